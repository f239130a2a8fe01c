/* bench/kernels/matmul.c — dense linear algebra: C = A x B for 192 x 192
 * doubles, n times (loads, stores, floating point). */
#include "kernel.h"

enum { M = 192 };
static double a[M][M], b[M][M], c[M][M];

uint64_t run(uint32_t n) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) {
      a[i][j] = (double)((i * 7 + j * 3) % 17) / 8.0;
      b[i][j] = (double)((i * 5 + j * 11) % 13) / 4.0;
    }
  double sum = 0;
  for (uint32_t round = 0; round < n; round++) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < M; j++)
        c[i][j] = 0;
    for (int i = 0; i < M; i++)
      for (int k = 0; k < M; k++) {
        double aik = a[i][k];
        for (int j = 0; j < M; j++)
          c[i][j] += aik * b[k][j];
      }
    sum += c[round % M][(round * 7) % M];
  }
  return (uint64_t)(sum * 1000.0);
}
