/* cli/validate.c — `kiln validate [--report] FILE...`.
 *
 * Decodes and validates each file with kiln_module_validate_ex.  A file
 * whose name ends in .wat is a text module: it is first converted with
 * kiln_wat2wasm (a syntax error prints "error: FILE:LINE:COL: message"),
 * then its binary is validated like any other.  A valid
 * module prints nothing; a rejected one prints one line,
 * "error: FILE: <diagnostic>", to stderr, in the wording every Kiln tool
 * shares (kiln_diagnostic_format).  With --report it also prints, on stdout,
 * one line per module and a summary, timing validation: until the compiler
 * lands this is Kiln's throughput measure on bundled inputs (docs/cli.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kiln.h"
#include "wasm.h"

/* Each module is validated this many times in --report mode and the median
 * time is reported: odd, so the median is one run; small, so that a large
 * corpus stays quick. */
#define REPORT_RUNS 5

typedef struct report_totals {
  unsigned modules, valid, rejected;
  uint64_t bytes;
  uint64_t ns; /* sum of the per-module medians */
} report_totals;

void cli_validate_usage(void) {
  printf("usage: kiln validate [--report] [--] FILE...\n"
         "\n"
         "Decodes and validates WebAssembly modules: binaries, and text\n"
         "modules (FILE.wat), converted to a binary first.  A valid module\n"
         "prints nothing; a rejected one prints one line to stderr:\n"
         "  error: FILE: <kind>: <reason> at offset 0xNN (<section>[, function N])\n"
         "  error: FILE.wat:LINE:COL: <message>   (a syntax error in the text)\n"
         "(offsets in a .wat file's diagnostics are those of its binary)\n"
         "\n"
         "  --report   also print, per module, its status, size, function and\n"
         "             type counts, and the median validation time of %d runs\n"
         "             with its rate in MB/s; then a summary line\n"
         "\n"
         "Exit status: 0 all modules valid, 1 a module was rejected or a file\n"
         "could not be read, 2 usage error.\n",
         REPORT_RUNS);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Decimal megabytes (10^6 bytes) per second; 0 when no time was measured. */
static double rate_mb_s(uint64_t bytes, uint64_t ns) {
  return ns ? (double)bytes * 1e3 / (double)ns : 0.0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static const char *status_name(kiln_diag_kind_t kind) {
  switch (kind) {
  case KILN_DIAG_OK: return "ok";
  case KILN_DIAG_MALFORMED: return "malformed";
  case KILN_DIAG_INVALID: return "invalid";
  default: return "unsupported";
  }
}

/* Prints "error: FILE: <diagnostic>".  The buffer fits any diagnostic Kiln
 * makes; a longer one would be cut, never overrun. */
static void print_rejection(const char *path, const kiln_diagnostic_t *diag) {
  char line[1024];
  kiln_diagnostic_format(diag, line, sizeof line);
  fprintf(stderr, "error: %s: %s\n", path, line);
}

/* Validates one module REPORT_RUNS times (the first run also collects the
 * counts), prints its report line and adds it to the totals.  Every run does
 * the same work, so the rejected modules are timed too. */
static bool report_module(wasm_engine_t *engine, const char *path,
                          const uint8_t *data, size_t size,
                          report_totals *totals) {
  kiln_module_info_t info;
  kiln_diagnostic_t diag;
  uint64_t ns[REPORT_RUNS];
  bool ok = false;
  for (int i = 0; i < REPORT_RUNS; i++) {
    uint64_t t0 = now_ns();
    ok = kiln_module_inspect(engine, data, size, i == 0 ? &info : NULL,
                             i == 0 ? &diag : NULL);
    ns[i] = now_ns() - t0;
  }
  qsort(ns, REPORT_RUNS, sizeof ns[0], cmp_u64);
  uint64_t median = ns[REPORT_RUNS / 2];

  if (!ok) print_rejection(path, &diag);
  char funcs[16] = "-", types[16] = "-";
  if (ok) {
    snprintf(funcs, sizeof funcs, "%u", info.functions);
    snprintf(types, sizeof types, "%u", info.types);
  }
  printf("%s %s size=%zu functions=%s types=%s time=%.1fus rate=%.1fMB/s\n",
         status_name(diag.kind), path, size, funcs, types,
         (double)median / 1e3, rate_mb_s(size, median));

  totals->modules++;
  if (ok)
    totals->valid++;
  else
    totals->rejected++;
  totals->bytes += size;
  totals->ns += median;
  return ok;
}

int cli_validate(int argc, char **argv) {
  bool report = false;
  int first = 1;
  for (; first < argc; first++) {
    const char *arg = argv[first];
    if (arg[0] != '-' || arg[1] == 0) break; /* "-" is a file name */
    if (strcmp(arg, "--") == 0) {
      first++;
      break;
    }
    if (strcmp(arg, "--report") == 0) {
      report = true;
    } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      cli_validate_usage();
      return CLI_EXIT_OK;
    } else {
      return cli_usage_error("validate: unknown option '%s'", arg);
    }
  }
  if (first >= argc) return cli_usage_error("validate: no input files");

  wasm_engine_t *engine = wasm_engine_new();
  if (!engine) {
    fprintf(stderr, "kiln: cannot create an engine: out of memory\n");
    return CLI_EXIT_FAILURE;
  }
  report_totals totals = {0};
  int status = CLI_EXIT_OK;
  for (int i = first; i < argc; i++) {
    const char *path = argv[i];
    uint8_t *data = NULL;
    size_t size = 0;
    int err = 0;
    if (!cli_read_file(path, &data, &size, &err)) {
      fprintf(stderr, "error: %s: cannot read: %s\n", path, strerror(err));
      status = CLI_EXIT_FAILURE;
      continue;
    }
    if (strlen(path) > 4 &&
        strcmp(path + strlen(path) - 4, ".wat") == 0) {
      /* a text module: its binary is what is validated (and timed) */
      wasm_byte_vec_t bin;
      kiln_text_error_t terr;
      bool parsed = kiln_wat2wasm((const char *)data, size, &bin, &terr);
      free(data);
      data = NULL;
      if (!parsed) {
        fprintf(stderr, "error: %s:%u:%u: %s\n", path, terr.line,
                terr.column, terr.message);
        status = CLI_EXIT_FAILURE;
        if (report) {
          printf("malformed %s size=%zu functions=- types=- time=-us "
                 "rate=-MB/s\n", path, size);
          totals.modules++;
          totals.rejected++;
        }
        continue;
      }
      size = bin.size;
      data = malloc(size ? size : 1);
      if (data && size) memcpy(data, bin.data, size);
      wasm_byte_vec_delete(&bin);
      if (!data) {
        fprintf(stderr, "error: %s: out of memory\n", path);
        status = CLI_EXIT_FAILURE;
        continue;
      }
    }
    bool ok;
    if (report) {
      ok = report_module(engine, path, data, size, &totals);
    } else {
      kiln_diagnostic_t diag;
      ok = kiln_module_validate_ex(engine, data, size, &diag);
      if (!ok) print_rejection(path, &diag);
    }
    if (!ok) status = CLI_EXIT_FAILURE;
    free(data);
  }
  if (report)
    printf("%u modules, %u valid, %u rejected, total %llu bytes, %.1f MB/s\n",
           totals.modules, totals.valid, totals.rejected,
           (unsigned long long)totals.bytes,
           rate_mb_s(totals.bytes, totals.ns));
  wasm_engine_delete(engine);
  return status;
}
