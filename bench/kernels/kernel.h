/* bench/kernels/kernel.h — what every compute kernel exports.
 *
 * A kernel is freestanding C (no libc) compiled twice with the same flags:
 * for wasm32 (clang-14 --target=wasm32 -nostdlib, `run` exported) and
 * natively (the symbol renamed per kernel, linked into the harness).
 * run(n) does n units of work and returns a checksum, so both builds can
 * be compared for equality as well as for time.
 */
#ifndef KILN_BENCH_KERNEL_H
#define KILN_BENCH_KERNEL_H

#include <stdint.h>

#ifdef __wasm__
#define KERNEL_EXPORT __attribute__((export_name("run")))
#else
#define KERNEL_EXPORT
#endif

KERNEL_EXPORT uint64_t run(uint32_t n);

#endif
