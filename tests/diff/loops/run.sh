#!/usr/bin/env bash
# tests/diff/loops/run.sh BUILD_DIR FIRST_SEED LAST_SEED — generates a loop
# module per seed (gen_loops.py, wat2wasm) and runs diff_loops on it
# (O0 against O2 and O2 in partitions).  Exit status 1 if any seed shows a
# mismatch.  `./dev difftest` runs it on a few seeds.
set -uo pipefail
build=$1 first=$2 last=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for s in $(seq "$first" "$last"); do
  python3 "$here/gen_loops.py" "$s" 40 >"$tmp/m$s.wat" &&
    wat2wasm "$tmp/m$s.wat" -o "$tmp/m$s.wasm" || { echo "seed $s: cannot generate"; status=1; continue; }
  KILN_JIT_PATH="$build/jit" "$build/tests/diff_loops" "$tmp/m$s.wasm" | tail -1 || status=1
done
exit $status
