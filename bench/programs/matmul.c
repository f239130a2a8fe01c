/* bench/programs/matmul.c — dense linear algebra: double-precision matrix
 * multiply (i-k-j order) of two N x N matrices, repeated.  Prints a
 * checksum of the result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void matmul(uint32_t n, const double *a, const double *b, double *c) {
  for (uint32_t i = 0; i < n * n; i++)
    c[i] = 0.0;
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t k = 0; k < n; k++) {
      double aik = a[i * n + k];
      for (uint32_t j = 0; j < n; j++)
        c[i * n + j] += aik * b[k * n + j];
    }
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 300;
  double *a = malloc(sizeof(double) * n * n);
  double *b = malloc(sizeof(double) * n * n);
  double *c = malloc(sizeof(double) * n * n);
  if (!a || !b || !c)
    return 1;
  uint32_t seed = 12345;
  for (uint32_t i = 0; i < n * n; i++) {
    seed = seed * 1103515245u + 12345u;
    a[i] = (double)((seed >> 16) % 1000) / 100.0 - 5.0;
    seed = seed * 1103515245u + 12345u;
    b[i] = (double)((seed >> 16) % 1000) / 100.0 - 5.0;
  }
  double trace = 0.0;
  for (int r = 0; r < 5; r++) {
    matmul(n, a, b, c);
    /* Feed the result back so no round can be skipped. */
    for (uint32_t i = 0; i < n; i++)
      a[i * n + i] += c[i * n + i] * 1e-6;
    trace = 0.0;
    for (uint32_t i = 0; i < n; i++)
      trace += c[i * n + i];
  }
  /* Sum of the result rounded to fixed point: stable across compilers that
   * evaluate the same IEEE operations in the same order. */
  int64_t fixed = 0;
  for (uint32_t i = 0; i < n * n; i++)
    fixed += (int64_t)(c[i] * 1000.0);
  printf("n = %u, trace = %.6f\n", (unsigned)n, trace);
  printf("checksum %016llx\n", (unsigned long long)fixed);
  free(a);
  free(b);
  free(c);
  return 0;
}
