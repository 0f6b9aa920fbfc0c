#!/usr/bin/env bash
# Fill fuzz/corpus/ with seeds: our scripts, the hostile files, and a small JSONL export.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/script_loader fuzz/corpus/export_reader
cp scripts/*.yaml tests/hostile/*.yaml fuzz/corpus/script_loader/
store="$(mktemp -d)"
cargo run --quiet -- --store "$store/s" sessions debug-append --sessions 3 --events 4 >/dev/null
cargo run --quiet -- --store "$store/s" sessions export > fuzz/corpus/export_reader/debug.jsonl
rm -rf "$store"
