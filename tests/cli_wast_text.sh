#!/bin/sh
# tests/cli_wast_text.sh — `kiln wast` on .wast scripts and `kiln validate`
# on .wat modules, on small scripts written here: every script form the
# runner reads (values, names, module definition/instance, register, every
# assert kind), syntax errors reported as FILE:LINE:COL with the file
# failed and the next file still run, .wast and .json mixed in one call.
#   cli_wast_text.sh KILN JSON_SCRIPT
set -u
kiln=$1 json=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

cat >"$dir/good.wast" <<'EOF'
;; every command and value form the runner reads
(module $M
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "f") (param f32) (result f32) (local.get 0))
  (func (export "qnan") (result f64) (f64.const nan:0x8_0000_0000_0001))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "nullf") (result funcref) (ref.null func))
  (func (export "deep") (call 5))
  (global (export "g") i64 (i64.const -1)))
(register "m" $M)
(module (import "m" "add" (func $a (param i32 i32) (result i32)))
  (func (export "a2") (param i32) (result i32)
    (call $a (local.get 0) (i32.const 0x7fff_ffff))))
(assert_return (invoke "a2" (i32.const 1)) (i32.const -0x8000_0000))
(assert_return (invoke $M "f" (f32.const -0x1.8p+1)) (f32.const -3))
(assert_return (invoke $M "f" (f32.const nan:0x40_0001)) (f32.const nan:arithmetic))
(assert_return (invoke $M "qnan") (f64.const nan:arithmetic))
(assert_return (invoke $M "qnan") (either (f64.const 1) (f64.const nan:0x8000000000001)))
(assert_return (invoke $M "ext" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke $M "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke $M "nullf") (ref.null))
(assert_return (get $M "g") (i64.const 18_446_744_073_709_551_615))
(assert_exhaustion (invoke $M "deep") "call stack exhausted")
(assert_malformed (module quote "(func i32.konst 1)") "unknown operator")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_uninstantiable (module (func $s unreachable) (start $s)) "unreachable")
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
(invoke $M "add" (i32.const 1) (i32.const 2))
(module $"N\00x" (func (export "\00") (result i32) (i32.const 7)))
(assert_return (invoke $"N\00x" "\00") (i32.const 7))
(module definition $D (func (export "h") (result i32) (i32.const 3)))
(module instance $I $D)
(assert_return (invoke $I "h") (i32.const 3))
(assert_return (invoke "h") (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -128))
EOF
# the recursive function: (call 5) is "deep" itself (index 5)
out=$("$kiln" wast "$dir/good.wast" 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" |
   grep -qx "$dir/good.wast: 25 passed, 0 failed, 1 skipped"; then ok
else bad "good.wast (exit $rc):"; printf '%s\n' "$out"; fi

# a syntax error outside a module: FILE:LINE:COL on stderr, the commands
# before it run, the error counts as a failure, the next file still runs
printf '(module (func (export "f")))\n(assert_return (invoke "f")\n  (i32.const 1x))\n(assert_return (invoke "f"))\n' >"$dir/bad.wast"
err=$("$kiln" wast "$dir/bad.wast" "$dir/good.wast" 2>&1 >"$dir/out")
rc=$?
if [ $rc -eq 1 ] &&
   [ "$err" = "error: $dir/bad.wast:3:14: expected an i32, found '1x'" ] &&
   grep -qx "$dir/bad.wast: 1 passed, 1 failed, 0 skipped" "$dir/out" &&
   grep -qx "$dir/good.wast: 25 passed, 0 failed, 1 skipped" "$dir/out"; then ok
else bad "bad.wast (exit $rc): $err"; cat "$dir/out"; fi

# a module the parser rejects fails its `module` command, not the script
printf '(module (func (i32.konst 1)))\n(module (func (export "g")))\n(assert_return (invoke "g"))\n' >"$dir/badmod.wast"
out=$("$kiln" wast "$dir/badmod.wast" 2>&1)
if printf '%s\n' "$out" | grep -q "badmod.wast:1: module: text rejected: 1:16: unknown operator" &&
   printf '%s\n' "$out" | grep -qx "$dir/badmod.wast: 2 passed, 1 failed, 0 skipped"; then ok
else bad "badmod.wast:"; printf '%s\n' "$out"; fi

# hostile scripts: no crash, a summary line and exit 1 for each
i=0
for text in '(' ')' '(module' '(assert_return (invoke "f" (i32.const' \
    '(assert_return (invoke "f") (either (either' '"unterminated' \
    '(module quote "(func") (assert_malformed (module quote "(") "x")' \
    '(register)' '(module instance $a $b $c)' '(; unclosed' \
    '(assert_trap (module (func $x)) )' '(get)' '(invoke "f" (ref.null))' \
    '(assert_return (invoke "f") (v128.const f32x4 1 2 3))'; do
  i=$((i + 1))
  printf '%s' "$text" >"$dir/h$i.wast"
  out=$("$kiln" wast "$dir/h$i.wast" 2>&1)
  rc=$?
  if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "^$dir/h$i.wast: .* failed"; then ok
  else bad "hostile script '$text' (exit $rc):"; printf '%s\n' "$out"; fi
done

# (either ...) nested a million deep: an error, not a stack overflow
awk 'BEGIN { printf "(assert_return (invoke \"f\") "; for (i = 0; i < 1000000; i++) printf "(either " }' >"$dir/deep.wast"
out=$("$kiln" wast "$dir/deep.wast" 2>&1)
rc=$?
if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "nested more than 32 deep"; then ok
else bad "deep either (exit $rc):"; printf '%s\n' "$out" | head -5; fi

# .wast and .json in one call
out=$("$kiln" wast "$dir/good.wast" "$json" 2>&1)
if [ $? -eq 0 ] && printf '%s\n' "$out" | grep -q "^$json: [0-9]* passed, 0 failed"; then ok
else bad "mixed .wast and .json:"; printf '%s\n' "$out"; fi

# kiln validate on text modules
printf '(module (func (result i32) i32.const 1))' >"$dir/ok.wat"
printf '(module (func (result i32) i64.const 1))' >"$dir/inv.wat"
printf '(module\n  (func (result i32) i32.konst 1))' >"$dir/bad.wat"
if "$kiln" validate "$dir/ok.wat"; then ok; else bad "validate ok.wat"; fi
err=$("$kiln" validate "$dir/bad.wat" "$dir/inv.wat" "$dir/ok.wat" 2>&1)
rc=$?
want="error: $dir/bad.wat:2:22: unknown operator 'i32.konst'
error: $dir/inv.wat: invalid module: type mismatch: expected i32, found i64 at offset 0x1a (code section, function 0)"
if [ $rc -eq 1 ] && [ "$err" = "$want" ]; then ok
else bad "validate .wat (exit $rc):"; printf '%s\n' "$err"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
