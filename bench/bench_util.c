/* bench/bench_util.c — see bench_util.h. */
#include "bench_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint8_t *bench_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n + 1 >= cap) {
      size_t ncap = cap ? cap * 2 : 1 << 16;
      uint8_t *nbuf = realloc(buf, ncap);
      if (!nbuf) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nbuf;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return NULL;
  }
  buf[n] = 0;
  *size = n;
  return buf;
}

int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int bench_parse_opts(int argc, char **argv, const char *flag, bench_opts *o,
                     void (*usage)(FILE *out)) {
  return bench_parse_opts_ex(argc, argv, flag, 1, o, usage);
}

int bench_parse_opts_ex(int argc, char **argv, const char *flag, int min_files,
                        bench_opts *o, void (*usage)(FILE *out)) {
  *o = (bench_opts){20, 0.020, 0, 0, calloc((size_t)argc, sizeof *o->files), 0};
  if (!o->files)
    return 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      o->rounds = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--min-round-ms") == 0 && i + 1 < argc) {
      o->min_round = atof(argv[++i]) / 1000.0;
    } else if (strcmp(argv[i], "--tsv") == 0) {
      o->tsv = 1;
    } else if (flag && strcmp(argv[i], flag) == 0) {
      o->flag = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      usage(stderr);
      return 2;
    } else {
      o->files[o->nfiles++] = argv[i];
    }
  }
  if (o->nfiles < min_files || o->rounds < 1 || o->rounds > BENCH_MAX_ROUNDS) {
    usage(stderr);
    return 2;
  }
  return -1;
}
