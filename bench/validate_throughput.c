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

#include "bench_util.h"
#include "kiln.h"
#include "wasm.h"





static void usage(FILE *out) {
  fprintf(out, "usage: validate_throughput [--rounds N] [--min-round-ms MS] [--tsv] FILE...\n");
}

int main(int argc, char **argv) {
  bench_opts o;
  int parsed = bench_parse_opts(argc, argv, NULL, &o, usage);
  if (parsed >= 0) {
    free(o.files);
    return parsed;
  }
  int rounds = o.rounds, tsv = o.tsv, status = 0, nfiles = o.nfiles;
  double min_round = o.min_round;
  char **files = o.files;

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
    uint8_t *bytes = (uint8_t *)bench_read_file(files[f], &size);
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
      double t0 = bench_now();
      for (long r = 0; r < reps; r++)
        (void)kiln_module_validate_ex(engine, bytes, size, NULL);
      double dt = bench_now() - t0;
      if (dt >= min_round || reps >= (1L << 24))
        break;
      reps = dt > 0 ? (long)(reps * (min_round / dt) * 1.2) + 1 : reps * 10;
    }

    double t[BENCH_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
      double t0 = bench_now();
      for (long k = 0; k < reps; k++)
        (void)kiln_module_validate_ex(engine, bytes, size, NULL);
      t[r] = (bench_now() - t0) / (double)reps;
    }
    qsort(t, (size_t)rounds, sizeof t[0], bench_cmp_double);
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
