/* bench/wat_throughput.c — how fast Kiln converts the text format.
 *
 *   wat_throughput [--rounds N] [--min-round-ms MS] [--tsv] [--modules] FILE...
 *
 * For each file: reads it, converts it once with kiln_wat2wasm (a text that
 * does not convert is reported and skipped; the binary is validated once
 * with kiln_module_validate_ex as a sanity check, which is not timed), then
 * times `rounds` rounds of kiln_wat2wasm through the public API.  A round
 * repeats the conversion enough times to last at least --min-round-ms (so
 * that small texts are timed above the clock's resolution) and yields the
 * time of one conversion, the freeing of its binary included.  Prints
 * size, median and minimum time per conversion and the throughput at the
 * median, in MB/s (10^6 bytes of text).  One thread.
 *
 * --modules: each FILE holds many module texts separated by NUL bytes (a
 * NUL cannot occur in a text module); each is converted on its own, texts
 * that do not convert are counted and left out, and a "conversion" is the
 * whole set (bytes = the sum of the converted texts; a module that
 * converts but does not validate, as the suite's assert_invalid ones, is
 * timed and counted, not reported one by one).  bench/run_wat.py
 * builds such a file from the spec suite's scripts.
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


typedef struct text {
  const char *p;
  size_t n;
} text;




/* Converts every text once; false if any conversion fails (cannot happen
 * once the set has been filtered, but a timing must not hide it). */
static int convert_all(const text *t, size_t nt) {
  int ok = 1;
  for (size_t i = 0; i < nt; i++) {
    wasm_byte_vec_t out;
    if (kiln_wat2wasm(t[i].p, t[i].n, &out, NULL))
      wasm_byte_vec_delete(&out);
    else
      ok = 0;
  }
  return ok;
}

static void usage(FILE *out) {
  fprintf(out, "usage: wat_throughput [--rounds N] [--min-round-ms MS] [--tsv] [--modules] FILE...\n");
}

int main(int argc, char **argv) {
  bench_opts o;
  int parsed = bench_parse_opts(argc, argv, "--modules", &o, usage);
  if (parsed >= 0) {
    free(o.files);
    return parsed;
  }
  int rounds = o.rounds, tsv = o.tsv, modules = o.flag, status = 0, nfiles = o.nfiles;
  double min_round = o.min_round;
  char **files = o.files;

  wasm_engine_t *engine = wasm_engine_new();
  if (!engine) {
    fprintf(stderr, "wat_throughput: cannot create an engine\n");
    free(files);
    return 2;
  }
  if (tsv)
    printf("file\tbytes\tmodules\tskipped\tinvalid\tbinary_bytes\tmedian_s\tmin_s\tmb_per_s\treps_per_round\n");

  for (int f = 0; f < nfiles; f++) {
    size_t size = 0;
    char *src = (char *)bench_read_file(files[f], &size);
    if (!src) {
      fprintf(stderr, "wat_throughput: cannot read %s\n", files[f]);
      status = 1;
      continue;
    }
    /* The texts: the whole file, or its NUL-separated pieces. */
    size_t cap = 1, nt = 0;
    if (modules)
      for (size_t i = 0; i < size; i++)
        cap += src[i] == 0;
    text *t = calloc(cap, sizeof *t);
    if (!t) {
      free(src);
      status = 1;
      continue;
    }
    if (modules) {
      size_t start = 0;
      for (size_t i = 0; i <= size; i++) {
        if (i == size || src[i] == 0) {
          if (i > start)
            t[nt++] = (text){src + start, i - start};
          start = i + 1;
        }
      }
    } else {
      t[nt++] = (text){src, size};
    }

    /* Convert each once: keep what converts, check that it validates. */
    size_t kept = 0, bytes = 0, bin_bytes = 0, skipped = 0, invalid = 0;
    for (size_t i = 0; i < nt; i++) {
      wasm_byte_vec_t out;
      kiln_text_error_t err;
      if (!kiln_wat2wasm(t[i].p, t[i].n, &out, &err)) {
        if (!modules)
          fprintf(stderr, "wat_throughput: %s:%u:%u: %s (not timed)\n", files[f], err.line,
                  err.column, err.message);
        skipped++;
        continue;
      }
      if (!kiln_module_validate_ex(engine, (const uint8_t *)out.data, out.size, NULL))
        invalid++;
      bin_bytes += out.size;
      wasm_byte_vec_delete(&out);
      bytes += t[i].n;
      t[kept++] = t[i];
    }
    if (invalid && !modules)
      fprintf(stderr, "wat_throughput: %s: %zu converted module(s) do not validate (timed anyway)\n",
              files[f], invalid);
    if (kept == 0) {
      fprintf(stderr, "wat_throughput: %s: nothing converts\n", files[f]);
      free(t);
      free(src);
      status = 1;
      continue;
    }

    /* Calibrate: repetitions per round so that a round lasts >= min_round.
     * The calibration runs double as warm-up. */
    long reps = 1;
    for (;;) {
      double t0 = bench_now();
      for (long r = 0; r < reps; r++)
        (void)convert_all(t, kept);
      double dt = bench_now() - t0;
      if (dt >= min_round || reps >= (1L << 24))
        break;
      reps = dt > 0 ? (long)(reps * (min_round / dt) * 1.2) + 1 : reps * 10;
    }

    double tm[BENCH_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
      double t0 = bench_now();
      for (long k = 0; k < reps; k++)
        if (!convert_all(t, kept))
          status = 1;
      tm[r] = (bench_now() - t0) / (double)reps;
    }
    qsort(tm, (size_t)rounds, sizeof tm[0], bench_cmp_double);
    double median = rounds % 2 ? tm[rounds / 2] : (tm[rounds / 2 - 1] + tm[rounds / 2]) / 2;
    double mbs = (double)bytes / median / 1e6;
    if (tsv)
      printf("%s\t%zu\t%zu\t%zu\t%zu\t%zu\t%.9f\t%.9f\t%.2f\t%ld\n", files[f], bytes, kept,
             skipped, invalid, bin_bytes, median, tm[0], mbs, reps);
    else
      printf("%s: %zu bytes of text in %zu module(s) (%zu skipped, %zu converted but invalid)"
             " -> %zu bytes of binary, %d rounds x %ld: median %.3f ms, min %.3f ms, %.1f MB/s\n",
             files[f], bytes, kept, skipped, invalid, bin_bytes, rounds, reps, median * 1e3,
             tm[0] * 1e3, mbs);
    fflush(stdout);
    free(t);
    free(src);
  }
  wasm_engine_delete(engine);
  free(files);
  return status;
}
