/* bench/validate_throughput.c — how fast Kiln decodes and validates.
 *
 *   validate_throughput [--rounds N] [--min-round-ms MS] [--tsv] FILE...
 *
 * For each file: reads it, checks it once (an invalid module is reported
 * and skipped), then times `rounds` rounds of kiln_module_validate_ex
 * through the public API on one engine.  A round repeats the validation
 * enough times to last at least --min-round-ms (so that small modules are
 * timed above the clock's resolution) and yields the time of one
 * validation.  Prints size, median and minimum time per validation and the
 * throughput at the median, in MB/s (10^6 bytes).  One thread.
 *
 * Timing only: it passes or fails nothing.  docs/performance.md has the
 * figures and how they were measured. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln.h"
#include "wasm.h"

#define MAX_ROUNDS 1000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
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
    size_t got = fread(buf + n, 1, cap - n, f);
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
  *size = n;
  return buf;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void usage(FILE *out) {
  fprintf(out, "usage: validate_throughput [--rounds N] [--min-round-ms MS] [--tsv] FILE...\n");
}

int main(int argc, char **argv) {
  int rounds = 20;
  double min_round = 0.020;
  int tsv = 0, status = 0, nfiles = 0;
  char **files = calloc((size_t)argc, sizeof *files);
  if (!files)
    return 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--min-round-ms") == 0 && i + 1 < argc) {
      min_round = atof(argv[++i]) / 1000.0;
    } else if (strcmp(argv[i], "--tsv") == 0) {
      tsv = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      free(files);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      usage(stderr);
      free(files);
      return 2;
    } else {
      files[nfiles++] = argv[i];
    }
  }
  if (nfiles == 0 || rounds < 1 || rounds > MAX_ROUNDS) {
    usage(stderr);
    free(files);
    return 2;
  }

  wasm_engine_t *engine = wasm_engine_new();
  if (!engine) {
    fprintf(stderr, "validate_throughput: cannot create an engine\n");
    free(files);
    return 2;
  }
  if (tsv)
    printf("file\tbytes\tmedian_s\tmin_s\tmb_per_s\treps_per_round\n");

  for (int f = 0; f < nfiles; f++) {
    size_t size = 0;
    uint8_t *bytes = read_file(files[f], &size);
    if (!bytes) {
      fprintf(stderr, "validate_throughput: cannot read %s\n", files[f]);
      status = 1;
      continue;
    }
    kiln_diagnostic_t diag;
    if (!kiln_module_validate_ex(engine, bytes, size, &diag)) {
      char msg[512];
      kiln_diagnostic_format(&diag, msg, sizeof msg);
      fprintf(stderr, "validate_throughput: %s: %s (not timed)\n", files[f], msg);
      free(bytes);
      status = 1;
      continue;
    }

    /* Calibrate: repetitions per round so that a round lasts >= min_round.
     * The calibration runs double as warm-up. */
    long reps = 1;
    for (;;) {
      double t0 = now_s();
      for (long r = 0; r < reps; r++)
        (void)kiln_module_validate_ex(engine, bytes, size, NULL);
      double dt = now_s() - t0;
      if (dt >= min_round || reps >= (1L << 24))
        break;
      reps = dt > 0 ? (long)(reps * (min_round / dt) * 1.2) + 1 : reps * 10;
    }

    double t[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
      double t0 = now_s();
      for (long k = 0; k < reps; k++)
        (void)kiln_module_validate_ex(engine, bytes, size, NULL);
      t[r] = (now_s() - t0) / (double)reps;
    }
    qsort(t, (size_t)rounds, sizeof t[0], cmp_double);
    double median = rounds % 2 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
    double mbs = (double)size / median / 1e6;
    if (tsv)
      printf("%s\t%zu\t%.9f\t%.9f\t%.2f\t%ld\n", files[f], size, median, t[0], mbs, reps);
    else
      printf("%s: %zu bytes, %d rounds x %ld: median %.3f ms, min %.3f ms, %.1f MB/s\n",
             files[f], size, rounds, reps, median * 1e3, t[0] * 1e3, mbs);
    fflush(stdout);
    free(bytes);
  }
  wasm_engine_delete(engine);
  free(files);
  return status;
}
