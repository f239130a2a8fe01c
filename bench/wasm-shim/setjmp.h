/* bench/wasm-shim/setjmp.h — stands in for <setjmp.h> when the front end is
 * compiled to wasm32-wasi as a benchmark input (bench/meson.build).
 *
 * wasi-libc (Debian 12) has no setjmp/longjmp, and clang 14 cannot lower
 * them for wasm32.  The front end raises errors by longjmp; in this build an
 * error traps instead.  That is enough for what the module is for: a large,
 * real program whose bytes Kiln's validator is timed on.  Never used by the
 * native build. */
#ifndef KILN_BENCH_WASM_SHIM_SETJMP_H
#define KILN_BENCH_WASM_SHIM_SETJMP_H

typedef long jmp_buf[1];

#define setjmp(env) ((void)(env), 0)

_Noreturn static inline void longjmp(jmp_buf env, int val) {
  (void)env;
  (void)val;
  __builtin_trap();
}

#endif
