#!/bin/sh
# tests/cli_nollvm.sh — `kiln validate` must not load LLVM or the compiler
# object, and `kiln version` (which asks the compiler) must: the dynamic
# loader's own trace (LD_DEBUG=files) lists every object it opens.
#   cli_nollvm.sh KILN MODULE.wasm
set -u
kiln=$1 module=$2
trace=$(LD_DEBUG=files "$kiln" validate "$module" 2>&1) || { echo "kiln validate failed"; exit 1; }
if printf '%s\n' "$trace" | grep -qiE 'file=[^ ]*(libLLVM|kiln-jit)'; then
  echo "FAIL: kiln validate loaded LLVM or the compiler:"
  printf '%s\n' "$trace" | grep -iE 'file=[^ ]*(libLLVM|kiln-jit)' | head -3
  echo "0 passed, 1 failed"
  exit 1
fi
# the control: the same trace does show LLVM when the compiler is used
trace=$(LD_DEBUG=files "$kiln" version 2>&1)
if ! printf '%s\n' "$trace" | grep -qiE 'file=[^ ]*libLLVM'; then
  echo "FAIL: the trace shows no LLVM even for kiln version: the check would prove nothing"
  echo "1 passed, 1 failed"
  exit 1
fi
echo "kiln validate: no LLVM, no compiler object; kiln version: LLVM loaded"
echo "2 passed, 0 failed"
