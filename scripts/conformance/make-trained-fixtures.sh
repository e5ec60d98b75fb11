#!/usr/bin/env bash
# Regenerates the conformance suite's trained-model fixture (test/fixtures/conformance/
# trained-*): trains the models in TypeScript (export-trained.ts), then PyTorch computes their
# input gradients (trained-reference.py). Needs Debian's python3-torch; set PYTHON to an
# interpreter that has it if `python3` does not. Takes a few minutes (training).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx tsx scripts/conformance/export-trained.ts test/fixtures/conformance "$tmp"
"${PYTHON:-python3}" scripts/conformance/trained-reference.py "$tmp" test/fixtures/conformance
