/* bench/programs/fib.c — recursion: naive Fibonacci and Ackermann.
 * Measures call overhead.  Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint32_t ack(uint32_t m, uint32_t n) {
  if (m == 0)
    return n + 1;
  if (n == 0)
    return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 35;
  uint32_t f = fib(n);
  uint32_t a = ack(2, 2000) + ack(3, 7);
  printf("fib(%u) = %u\n", (unsigned)n, (unsigned)f);
  printf("checksum %08x\n", (unsigned)(f * 2654435761u ^ a));
  return 0;
}
