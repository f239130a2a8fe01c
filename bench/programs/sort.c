/* bench/programs/sort.c — sorting: quicksort (median of three, insertion
 * sort for short ranges) and a bottom-up mergesort over the same
 * pseudo-random integers; the two results must agree.  Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void insertion(int32_t *a, long lo, long hi) {
  for (long i = lo + 1; i <= hi; i++) {
    int32_t v = a[i];
    long j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(int32_t *a, long i, long j) {
  int32_t t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void quicksort(int32_t *a, long lo, long hi) {
  while (hi - lo > 16) {
    long mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    int32_t pivot = a[mid];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    /* Recurse into the smaller half, loop on the larger: bounded stack. */
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
  insertion(a, lo, hi);
}

static void mergesort(int32_t *a, int32_t *tmp, long n) {
  for (long width = 1; width < n; width *= 2) {
    for (long lo = 0; lo < n; lo += 2 * width) {
      long mid = lo + width < n ? lo + width : n;
      long hi = lo + 2 * width < n ? lo + 2 * width : n;
      long i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
      while (i < mid)
        tmp[k++] = a[i++];
      while (j < hi)
        tmp[k++] = a[j++];
    }
    int32_t *t = a;
    a = tmp;
    tmp = t;
    /* The pointers swap each pass; the caller's array is copied back below. */
  }
  (void)a;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int32_t *orig = malloc(sizeof(int32_t) * (size_t)n);
  int32_t *q = malloc(sizeof(int32_t) * (size_t)n);
  int32_t *m = malloc(sizeof(int32_t) * (size_t)n);
  int32_t *tmp = malloc(sizeof(int32_t) * (size_t)n);
  if (!orig || !q || !m || !tmp)
    return 1;
  uint64_t x = 88172645463325252ull;
  for (long i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    orig[i] = (int32_t)(x % 2000000) - 1000000;
  }
  uint32_t sum = 0;
  for (int r = 0; r < 3; r++) {
    memcpy(q, orig, sizeof(int32_t) * (size_t)n);
    memcpy(m, orig, sizeof(int32_t) * (size_t)n);
    quicksort(q, 0, n - 1);
    mergesort(m, tmp, n);
    /* mergesort leaves the result in m or tmp depending on the pass count. */
    long passes = 0;
    for (long w = 1; w < n; w *= 2)
      passes++;
    const int32_t *ms = passes % 2 ? tmp : m;
    if (memcmp(q, ms, sizeof(int32_t) * (size_t)n) != 0) {
      printf("quicksort and mergesort disagree\n");
      return 1;
    }
    for (long i = 1; i < n; i++)
      if (q[i - 1] > q[i]) {
        printf("not sorted at %ld\n", i);
        return 1;
      }
    for (long i = 0; i < n; i += 997)
      sum = sum * 31 + (uint32_t)q[i];
    orig[r] = (int32_t)(sum % 2000000) - 1000000; /* vary the input */
  }
  printf("sorted %ld integers x3: min %d, median %d, max %d\n", n, (int)q[0],
         (int)q[n / 2], (int)q[n - 1]);
  printf("checksum %08x\n", (unsigned)sum);
  free(orig);
  free(q);
  free(m);
  free(tmp);
  return 0;
}
