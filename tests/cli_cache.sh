#!/bin/sh
# tests/cli_cache.sh — the module cache and precompiled modules from the
# command line (docs/cache.md): a miss compiles and writes, a hit loads
# neither LLVM nor the compiler object (the dynamic loader's own trace,
# LD_DEBUG=files, as in cli_nollvm.sh); `kiln compile` artifacts run
# without them and damaged ones are refused with a clear error; processes
# compiling the same module at once all succeed and leave one entry; a
# read-only cache directory still serves hits and misses run; an unusable
# directory never fails a run; `kiln cache stats|clear|dir` and the default
# directory's resolution.
#   cli_cache.sh KILN
set -u
kiln=$1
dir=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$dir" 2>/dev/null; rm -rf "$dir"' EXIT
unset KILN_CACHE_DIR
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

cat >"$dir/a.wat" <<'EOF'
(module
  (global $g (mut i32) (i32.const 1))
  (func $start (global.set $g (i32.const 40)))
  (start $start)
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (global.get $g) (i32.add (local.get 0) (local.get 1)))))
EOF
sed 's/i32.const 40/i32.const 50/' "$dir/a.wat" >"$dir/b.wat"
cache="$dir/cache"

# expect DESC WANT_OUT WANT_ERR_PATTERN ARG...: `kiln run ARG...` exits 0,
# prints WANT_OUT, and its stderr matches the pattern
expect() {
  desc=$1 want_out=$2 want_err=$3
  shift 3
  out=$("$kiln" run "$@" 2>"$dir/stderr")
  rc=$?
  err=$(cat "$dir/stderr")
  case $err in
  $want_err) err_ok=1 ;;
  *) err_ok=0 ;;
  esac
  if [ $rc -eq 0 ] && [ "$out" = "$want_out" ] && [ $err_ok -eq 1 ]; then
    ok
  else
    bad "$desc: status $rc, stdout '$out', stderr '$err'"
  fi
}

loads_llvm() {
  LD_DEBUG=files "$kiln" "$@" 2>&1 >/dev/null | grep -qiE 'file=[^ ]*(libLLVM|kiln-jit)'
}

# ---- miss, then hit without LLVM
expect "miss" 45 "*miss in $cache; compiled and written*" -v --cache-dir "$cache" --invoke add "$dir/a.wat" 2 3
expect "hit" 45 "*hit in $cache*" -v --cache-dir "$cache" --invoke add "$dir/a.wat" 2 3
if loads_llvm run --cache-dir "$cache" --invoke add "$dir/a.wat" 2 3; then
  bad "a cache hit loaded LLVM or the compiler object"
else ok; fi
if loads_llvm run --cache-dir "$dir/other" --invoke add "$dir/a.wat" 2 3; then ok; else
  bad "control: a miss shows no LLVM in the trace, so the check proves nothing"
fi
expect "--no-cache" 45 "*cache: off*" -v --no-cache --cache-dir "$cache" --invoke add "$dir/a.wat" 2 3
out=$(KILN_CACHE_DIR="$cache" "$kiln" run -v --invoke add "$dir/a.wat" 2 3 2>&1)
case $out in *"hit in $cache"*) ok ;; *) bad "KILN_CACHE_DIR not used: $out" ;; esac

# ---- kiln cache
out=$("$kiln" cache stats --cache-dir "$cache")
case $out in *"entries:   1"*) ok ;; *) bad "cache stats: $out" ;; esac
out=$(KILN_CACHE_DIR="$cache" "$kiln" cache dir)
[ "$out" = "$cache" ] && ok || bad "cache dir with KILN_CACHE_DIR: $out"
out=$(XDG_CACHE_HOME=/xdg "$kiln" cache dir)
[ "$out" = "/xdg/kiln" ] && ok || bad "cache dir with XDG_CACHE_HOME: $out"
out=$(XDG_CACHE_HOME=relative HOME=/home/h "$kiln" cache dir)
[ "$out" = "/home/h/.cache/kiln" ] && ok || bad "cache dir from HOME: $out"
"$kiln" cache frob >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "cache frob is not a usage error"

# ---- precompiled modules
if "$kiln" compile "$dir/a.wat" -o "$dir/a.kiln" && [ -s "$dir/a.kiln" ]; then ok; else
  bad "kiln compile failed"
fi
expect "artifact" 45 "" --no-cache --invoke add "$dir/a.kiln" 2 3
if loads_llvm run --no-cache --invoke add "$dir/a.kiln" 2 3; then
  bad "a precompiled module loaded LLVM or the compiler object"
else ok; fi
"$kiln" compile "$dir/b.wat" && [ -s "$dir/b.kiln" ] && ok || bad "kiln compile (default -o) failed"
# damaged: a flipped byte in the payload, and a truncated file
cp "$dir/a.kiln" "$dir/bad.kiln"
size=$(wc -c <"$dir/a.kiln")
printf 'X' | dd of="$dir/bad.kiln" bs=1 seek=$((size - 10)) conv=notrunc 2>/dev/null
out=$("$kiln" run --invoke add "$dir/bad.kiln" 2 3 2>&1)
rc=$?
case "$rc $out" in "1 error: $dir/bad.kiln: unusable compiled module: damaged: checksum mismatch") ok ;;
*) bad "damaged artifact: $rc $out" ;; esac
head -c 200 "$dir/a.kiln" >"$dir/short.kiln"
out=$("$kiln" run --invoke add "$dir/short.kiln" 2 3 2>&1)
case "$?:$out" in 1:*"truncated or damaged"*) ok ;; *) bad "truncated artifact: $out" ;; esac
"$kiln" compile "$dir/missing.wat" 2>/dev/null
[ $? -eq 1 ] && ok || bad "compiling a missing file does not fail with 1"

# ---- processes compiling the same module at once
race="$dir/race"
for i in 1 2 3 4; do
  "$kiln" run --cache-dir "$race" --invoke add "$dir/b.wat" 1 "$i" >"$dir/race.$i" 2>&1 &
done
wait
for i in 1 2 3 4; do
  [ "$(cat "$dir/race.$i")" = $((51 + i)) ] && ok || bad "racing run $i: $(cat "$dir/race.$i")"
done
n=$(ls -A "$race" | wc -l)
[ "$n" -eq 1 ] && ok || bad "after the race the directory holds $n files: $(ls -A "$race")"
expect "hit after the race" 55 "*hit in $race*" -v --cache-dir "$race" --invoke add "$dir/b.wat" 2 3

# ---- a read-only cache directory: hits are served, misses run unwritten
ro="$dir/ro"
"$kiln" run --cache-dir "$ro" --invoke add "$dir/a.wat" 2 3 >/dev/null
chmod 755 "$dir" && chmod 644 "$ro"/*.kiln && chmod 555 "$ro"
ro_kiln=$kiln
if [ "$(id -u)" -eq 0 ]; then
  # root writes anywhere: run as nobody, for whom the directory is read-only.
  # The build tree may be out of nobody's reach (a clone in a 0700
  # directory): nobody runs copies of kiln, libkiln and the compiler, laid
  # out as in the build tree (kiln finds libkiln at $ORIGIN/..).
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
  top=$(dirname "$kiln")/..
  mkdir -p "$dir/bin/cli" "$dir/bin/jit"
  cp "$kiln" "$dir/bin/cli/kiln"
  cp -L "$top/libkiln.so.0" "$dir/bin/"
  cp -L "$top/jit/libkiln-jit.so" "$dir/bin/jit/"
  chmod -R a+rX "$dir/bin"
  ro_kiln="$dir/bin/cli/kiln"
else
  as_user=""
fi
out=$($as_user "$ro_kiln" run -v --cache-dir "$ro" --invoke add "$dir/a.wat" 2 3 2>&1)
case $out in "45"*"hit in $ro"*) ok ;; *) bad "read-only directory, hit: $out" ;; esac
out=$($as_user "$ro_kiln" run -v --cache-dir "$ro" --invoke add "$dir/b.wat" 2 3 2>&1)
case $out in "55"*"miss in $ro"*"Permission denied"*) ok ;; *) bad "read-only directory, miss: $out" ;; esac
[ "$(ls -A "$ro" | wc -l)" -eq 1 ] && ok || bad "read-only directory changed: $(ls -A "$ro")"
chmod 755 "$ro"

# ---- an unusable directory (below a regular file) never fails a run
: >"$dir/file"
expect "unusable directory" 45 "*miss*Not a directory*" -v --cache-dir "$dir/file/cache" --invoke add "$dir/a.wat" 2 3

# ---- clear
out=$("$kiln" cache clear --cache-dir "$cache")
case $out in "removed 1 file from $cache") ok ;; *) bad "cache clear: $out" ;; esac
out=$("$kiln" cache stats --cache-dir "$cache")
case $out in *"entries:   0"*) ok ;; *) bad "cache stats after clear: $out" ;; esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
