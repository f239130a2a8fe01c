/* bench/bench_util.c — see bench_util.h. */
#include "bench_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STRING_(x) #x
#define STRING(x) STRING_(x)

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
  const char *prog = argc > 0 && argv[0] ? argv[0] : "bench";
  const char *why = NULL, *arg = NULL;
  for (int i = 1; i < argc && !why; i++) {
    arg = argv[i];
    int has_value = i + 1 < argc;
    if ((strcmp(arg, "--rounds") == 0 || strcmp(arg, "--min-round-ms") == 0) && !has_value) {
      why = "needs a value";
    } else if (strcmp(arg, "--rounds") == 0) {
      o->rounds = atoi(argv[++i]);
      if (o->rounds < 1 || o->rounds > BENCH_MAX_ROUNDS)
        why = "must be 1 to " STRING(BENCH_MAX_ROUNDS);
    } else if (strcmp(arg, "--min-round-ms") == 0) {
      o->min_round = atof(argv[++i]) / 1000.0;
    } else if (strcmp(arg, "--tsv") == 0) {
      o->tsv = 1;
    } else if (flag && strcmp(arg, flag) == 0) {
      o->flag = 1;
    } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (arg[0] == '-' && arg[1] != 0) {
      why = "unknown option";
    } else {
      o->files[o->nfiles++] = argv[i];
    }
  }
  if (!why && o->nfiles >= min_files)
    return -1;
  if (why)
    fprintf(stderr, "%s: %s: %s\n", prog, arg, why);
  else
    fprintf(stderr, "%s: needs at least %d FILE argument%s\n", prog, min_files,
            min_files == 1 ? "" : "s");
  usage(stderr);
  return 2;
}
