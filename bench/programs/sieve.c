/* bench/programs/sieve.c — the sieve of Eratosthenes over a byte array,
 * repeated.  Measures loops and memory stores.  Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t sieve(uint8_t *flags, uint32_t n) {
  uint32_t count = 0;
  memset(flags, 1, n + 1);
  flags[0] = flags[1] = 0;
  for (uint32_t i = 2; (uint64_t)i * i <= n; i++)
    if (flags[i])
      for (uint32_t j = i * i; j <= n; j += i)
        flags[j] = 0;
  for (uint32_t i = 0; i <= n; i++)
    count += flags[i];
  return count;
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 4000000;
  uint32_t rounds = 8, count = 0, sum = 0;
  uint8_t *flags = malloc((size_t)n + 1);
  if (!flags)
    return 1;
  for (uint32_t r = 0; r < rounds; r++) {
    count = sieve(flags, n - r);
    sum = sum * 31 + count;
  }
  /* The largest prime below n, as a second check. */
  uint32_t last = n;
  while (last > 0 && !flags[last])
    last--;
  printf("primes below %u: %u, largest %u\n", (unsigned)(n - rounds + 1),
         (unsigned)count, (unsigned)last);
  printf("checksum %08x\n", (unsigned)(sum ^ last));
  free(flags);
  return 0;
}
