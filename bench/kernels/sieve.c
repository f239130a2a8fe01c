/* bench/kernels/sieve.c — memory traffic: the sieve of Eratosthenes over a
 * 4 MiB byte array, n times. */
#include "kernel.h"

enum { N = 4 << 20 };
static uint8_t composite[N];

uint64_t run(uint32_t n) {
  uint64_t count = 0;
  for (uint32_t round = 0; round < n; round++) {
    for (uint32_t i = 0; i < N; i++)
      composite[i] = 0;
    count = 0;
    for (uint32_t i = 2; i < N; i++) {
      if (composite[i])
        continue;
      count++;
      for (uint64_t j = (uint64_t)i * i; j < N; j += i)
        composite[j] = 1;
    }
  }
  return count;
}
