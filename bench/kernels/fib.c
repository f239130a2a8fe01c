/* bench/kernels/fib.c — recursion: naive Fibonacci (calls and returns). */
#include "kernel.h"

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

uint64_t run(uint32_t n) { return fib(n); }
