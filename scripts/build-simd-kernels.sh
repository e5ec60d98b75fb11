#!/usr/bin/env bash
# Builds src/main/engine/kernels/simd/kernels.c into the two modules the engine loads:
#   resources/wasm/ortholens-kernels.wasm         imports an unshared memory (stock wasm build)
#   resources/wasm/ortholens-kernels-shared.wasm  imports a shared memory (threaded build)
# Needs clang and lld with the wasm32 target (Debian: apt-get install -y clang lld wabt).
# The .wasm files are committed, so installing and running the project needs no compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
src=src/main/engine/kernels/simd/kernels.c
out=resources/wasm
mkdir -p "$out"
common=(--target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -ffreestanding
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
clang "${common[@]}" -o "$out/ortholens-kernels.wasm" "$src"
clang "${common[@]}" -matomics -Wl,--shared-memory -Wl,--max-memory=4294967296 \
  -o "$out/ortholens-kernels-shared.wasm" "$src"
# The module shares the backend's memory: it must not own data or use a stack there.
for f in "$out"/ortholens-kernels*.wasm; do
  wat=$(wasm2wat --enable-all "$f")
  if grep -qE '^\s*\(data ' <<<"$wat" || grep -qE 'global\.(get|set) 0' <<<"$wat"; then
    echo "$f uses static data or the stack: refusing it" >&2
    exit 1
  fi
  echo "built $f ($(stat -c %s "$f") bytes)"
done
