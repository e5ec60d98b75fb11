#!/usr/bin/env bash
# Regenerates test/fixtures/conformance/references.json: exports the conformance cases'
# inputs (TypeScript), then computes their float64 references (PyTorch + PIL). Needs Debian's
# python3-torch and python3-pil; set PYTHON to an interpreter that has them if `python3` does
# not. The tests only read the committed JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx tsx scripts/conformance/export-inputs.ts "$tmp"
mkdir -p test/fixtures/conformance
"${PYTHON:-python3}" scripts/conformance/reference.py "$tmp" test/fixtures/conformance/references.json
