#!/bin/sh
# tests/cli_run.sh — `kiln run` on small modules written here: _start and
# the start function, --invoke with arguments of every numeric type and its
# printed results, and every error with its exit status (1 failure, 2
# usage error) and its one line on stderr.
#   cli_run.sh KILN
set -u
kiln=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# the module cache (on by default for kiln run) goes here, not into $HOME
export KILN_CACHE_DIR="$dir/cache"
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# check DESC STATUS STDOUT STDERR_PATTERN ARG...: runs `kiln run ARG...` and
# compares the exit status, the whole stdout and stderr against a shell
# pattern ('' for none)
check() {
  desc=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 4
  out=$("$kiln" run "$@" 2>"$dir/stderr")
  rc=$?
  err=$(cat "$dir/stderr")
  case $err in
  $want_err) err_ok=1 ;;
  *) err_ok=0 ;;
  esac
  if [ $rc -eq "$want_rc" ] && [ "$out" = "$want_out" ] && [ $err_ok -eq 1 ]; then
    ok
  else
    bad "$desc: kiln run $* (exit $rc, want $want_rc)"
    printf 'stdout:\n%s\nstderr:\n%s\n' "$out" "$err"
  fi
}

cat >"$dir/funcs.wat" <<'EOF'
(module
  (global $g (mut i32) (i32.const 0))
  (func $init (global.set $g (i32.const 42)))
  (start $init)
  (func (export "get") (result i32) (global.get $g))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func (export "id32") (param f32) (result f32) (local.get 0))
  (func (export "id64") (param f64) (result f64) (local.get 0))
  (func (export "many") (result i32 i64 f32 f64)
    (i32.const -1) (i64.const 0x7fff_ffff_ffff_ffff) (f32.const 0.1)
    (f64.const -inf))
  (func $r (export "refs") (param externref funcref) (result externref funcref funcref)
    (local.get 0) (local.get 1) (ref.func $r))
  (func $d (export "deep") (call $d))
  (memory (export "mem") 1))
EOF

cat >"$dir/trap.wat" <<'EOF'
(module
  (func (export "_start") unreachable))
EOF

cat >"$dir/start.wat" <<'EOF'
(module
  (func $s unreachable)
  (start $s)
  (func (export "f") (result i32) (i32.const 1)))
EOF

cat >"$dir/quiet.wat" <<'EOF'
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "_start") (global.set $n (i32.const 1))))
EOF

cat >"$dir/badstart.wat" <<'EOF'
(module (func (export "_start") (param i32)))
EOF

cat >"$dir/import.wat" <<'EOF'
(module
  (import "env" "print" (func (param i32)))
  (import "env" "mem" (memory 1))
  (func (export "_start")))
EOF

cat >"$dir/invalid.wat" <<'EOF'
(module (func (result i32) (i64.const 1)))
EOF

printf '(module\n  (func i32.konst 1))\n' >"$dir/syntax.wat"

cat >"$dir/types.wat" <<'EOF'
(module
  (func (export "vres") (result v128) (v128.const i64x2 1 2))
  (func (export "vpar") (param i32 v128))
  (func (export "anyp") (param anyref)))
EOF

# _start traps: the trap's message, exit 1, nothing on stdout
check "_start traps" 1 "" "error: $dir/trap.wat: trap: unreachable" \
  "$dir/trap.wat"
# the same module as a binary
"$kiln" wat2wasm "$dir/trap.wat" -o "$dir/trap.wasm" || bad "wat2wasm trap.wat"
check "_start traps (.wasm)" 1 "" "*trap: unreachable" "$dir/trap.wasm"
# the start function traps during instantiation, before --invoke's call
check "start function traps" 1 "" "error: $dir/start.wat: trap: unreachable" \
  --invoke f "$dir/start.wat"
# _start runs and returns: nothing printed, exit 0
check "_start returns" 0 "" "" "$dir/quiet.wat"
# no _start: instantiation (the start function) is the whole run
check "no _start" 0 "" "" "$dir/funcs.wat"
check "_start of the wrong type" 1 "" "*_start has type*expected*" \
  "$dir/badstart.wat"

# the start function ran before the call: it set the global
check "start function ran" 0 "42" "" --invoke get "$dir/funcs.wat"
check "i32 add" 0 "5" "" --invoke add "$dir/funcs.wat" 2 3
check "i32 unsigned and hex" 0 "2147483647" "" \
  --invoke add "$dir/funcs.wat" 0xffffffff -2147483648
check "i32 wraps" 0 "-2147483648" "" --invoke add "$dir/funcs.wat" 2147483647 1
check "i64 negative and hex" 0 "11" "" --invoke add64 "$dir/funcs.wat" -5 0x10
check "i64 unsigned max" 0 "-1" "" \
  --invoke add64 "$dir/funcs.wat" 18446744073709551615 0
check "i64 min" 0 "-9223372036854775808" "" \
  --invoke add64 "$dir/funcs.wat" -0x8000000000000000 0
check "f64 round trip" 0 "0.10000000000000001" "" --invoke id64 "$dir/funcs.wat" 0.1
check "f64 hex float" 0 "-0.125" "" --invoke id64 "$dir/funcs.wat" -0x1p-3
check "f64 nan payload" 0 "-nan:0x1" "" --invoke id64 "$dir/funcs.wat" -nan:0x1
check "f32 nan" 0 "nan" "" --invoke id32 "$dir/funcs.wat" nan
check "f32 nan payload" 0 "nan:0x200000" "" \
  --invoke id32 "$dir/funcs.wat" nan:0x200000
check "f32 round trip" 0 "3.40282347e+38" "" \
  --invoke id32 "$dir/funcs.wat" 3.4028234663852886e38
check "f32 -inf" 0 "-inf" "" --invoke id32 "$dir/funcs.wat" -inf
check "several results" 0 "-1
9223372036854775807
0.100000001
-inf" "" --invoke many "$dir/funcs.wat"
check "references" 0 "null
null
ref.func" "" --invoke refs "$dir/funcs.wat" null null
check "stack exhaustion" 1 "" "error: $dir/funcs.wat: trap: call stack exhausted" \
  --invoke deep "$dir/funcs.wat"
check "-- ends the options" 0 "5" "" --invoke add -- "$dir/funcs.wat" 2 3

# arguments that do not fit: usage errors
check "too few arguments" 2 "" "*\"add\" takes 2 arguments*1 given*" \
  --invoke add "$dir/funcs.wat" 1
check "too many arguments" 2 "" "*takes 0 arguments*1 given*" \
  --invoke get "$dir/funcs.wat" 1
check "malformed i32" 2 "" "*argument 2 'x': not a valid i32*" \
  --invoke add "$dir/funcs.wat" 1 x
check "i32 out of range" 2 "" "*argument 1 '4294967296': not a valid i32*" \
  --invoke add "$dir/funcs.wat" 4294967296 0
check "malformed f64" 2 "" "*argument 1 '1.5x': not a valid f64*" \
  --invoke id64 "$dir/funcs.wat" 1.5x
check "f32 out of range" 2 "" "*not a valid f32*" \
  --invoke id32 "$dir/funcs.wat" 1e39
check "non-null reference" 2 "" "*argument 2 'f': expected null*" \
  --invoke refs "$dir/funcs.wat" null f
check "arguments without --invoke" 2 "" "*arguments given but no --invoke*" \
  "$dir/funcs.wat" 1

# types kiln run cannot pass or print: refused before the module runs
check "v128 result" 1 "" \
  "error: $dir/types.wat: \"vres\": result 1 has type v128: kiln run cannot print it" \
  --invoke vres "$dir/types.wat"
check "v128 parameter" 1 "" "*\"vpar\": parameter 2 has type v128: kiln run cannot pass it" \
  --invoke vpar "$dir/types.wat" 1 2
check "anyref parameter" 1 "" "*parameter 1 has type anyref: kiln run cannot pass it" \
  --invoke anyp "$dir/types.wat" null
# what to call
check "missing export" 1 "" "error: $dir/funcs.wat: no exported function \"nope\"" \
  --invoke nope "$dir/funcs.wat"
check "export not a function" 1 "" "*export \"mem\" is a memory, not a function" \
  --invoke mem "$dir/funcs.wat"

# modules kiln run cannot run
check "import" 1 "" \
  "error: $dir/import.wat: unresolved import \"env\" \"print\" (func): kiln run provides no imports" \
  "$dir/import.wat"
check "rejected module" 1 "" \
  "error: $dir/invalid.wat: invalid module: type mismatch: expected i32, found i64 at offset *" \
  "$dir/invalid.wat"
check "text syntax error" 1 "" "error: $dir/syntax.wat:2:9: unknown operator 'i32.konst'" \
  "$dir/syntax.wat"
printf 'junk' >"$dir/junk.wasm"
check "malformed binary" 1 "" "error: $dir/junk.wasm: malformed module: *" \
  "$dir/junk.wasm"
check "missing file" 1 "" "error: $dir/none.wasm: cannot read: No such file or directory" \
  "$dir/none.wasm"

# the command line
check "no arguments" 2 "" "kiln: run: no input file; run 'kiln help' for usage"
check "--invoke without a name" 2 "" "*--invoke needs a function name*" --invoke
check "unknown option" 2 "" "kiln: run: unknown option '--fast'*" \
  --fast "$dir/funcs.wat"
check "--help" 0 "$("$kiln" help run)" "" --help
case $("$kiln" help run) in
"usage: kiln run [OPTIONS] [--] FILE [ARGS...]"*) ok ;;
*) bad "kiln help run does not start with the usage line" ;;
esac

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
