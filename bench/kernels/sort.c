/* bench/kernels/sort.c — branches and memory: quicksort of 1M pseudo-random
 * 32-bit integers, n times. */
#include "kernel.h"

enum { N = 1 << 20 };
static uint32_t v[N];

static void quicksort(uint32_t *a, int64_t lo, int64_t hi) {
  while (lo < hi) {
    uint32_t pivot = a[lo + (hi - lo) / 2];
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot)
        i++;
      while (a[j] > pivot)
        j--;
      if (i <= j) {
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
}

uint64_t run(uint32_t n) {
  uint64_t sum = 0;
  uint32_t x = 12345;
  for (uint32_t round = 0; round < n; round++) {
    for (uint32_t i = 0; i < N; i++) {
      x = x * 1664525u + 1013904223u;
      v[i] = x;
    }
    quicksort(v, 0, N - 1);
    sum += v[N / 2] ^ v[round % N];
  }
  return sum;
}
