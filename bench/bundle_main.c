/* bench/bundle_main.c — the entry point of build/bench/kiln-bundle.wasm, the
 * large module of the validation-throughput benchmark: Kiln's own front end
 * (the frontend/ sources) plus every program of bench/programs, linked into
 * one wasm32-wasi multi-call program by bench/meson.build.  A real program
 * of Kiln's own, not a synthetic one.
 *
 *   kiln-bundle.wasm PROGRAM [ARGS...]   runs one bench program (fib, sort ...)
 *   kiln-bundle.wasm FILE...             decodes and validates each module
 *
 * (In the wasm build a front-end error traps: see bench/wasm-shim/setjmp.h.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/error.h"
#include "frontend/module.h"
#include "frontend/types.h"

/* Each program's main, renamed at compile time (-Dmain=bench_NAME_main). */
int bench_fib_main(int argc, char **argv);
int bench_matmul_main(int argc, char **argv);
int bench_nbody_main(int argc, char **argv);
int bench_sha256_main(int argc, char **argv);
int bench_sieve_main(int argc, char **argv);
int bench_sort_main(int argc, char **argv);
int bench_strings_main(int argc, char **argv);

static const struct {
  const char *name;
  int (*main)(int, char **);
} programs[] = {
  {"fib", bench_fib_main},       {"matmul", bench_matmul_main},
  {"nbody", bench_nbody_main},   {"sha256", bench_sha256_main},
  {"sieve", bench_sieve_main},   {"sort", bench_sort_main},
  {"strings", bench_strings_main},
};

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    uint8_t *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  fclose(f);
  *size = n;
  return buf;
}

static int validate_files(int n, char **paths) {
  fe_typereg *reg = fe_typereg_new();
  int status = 0;
  if (!reg)
    return 2;
  for (int i = 0; i < n; i++) {
    size_t size = 0;
    uint8_t *bytes = read_file(paths[i], &size);
    if (!bytes) {
      printf("%s: cannot read\n", paths[i]);
      status = 2;
      continue;
    }
    fe_error err;
    fe_module *m = fe_module_new(reg, bytes, size, &err);
    if (m) {
      printf("%s: ok (%u types, %u functions)\n", paths[i], (unsigned)m->ntypes,
             (unsigned)m->nfuncs);
      fe_module_free(m);
    } else {
      char msg[512];
      fe_error_format(&err, msg, sizeof msg);
      printf("%s: %s\n", paths[i], msg);
      status = 1;
    }
    free(bytes);
  }
  fe_typereg_free(reg);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("usage: kiln-bundle PROGRAM [ARGS...] | kiln-bundle FILE.wasm...\nprograms:");
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
      printf(" %s", programs[i].name);
    printf("\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
    if (strcmp(argv[1], programs[i].name) == 0)
      return programs[i].main(argc - 1, argv + 1);
  return validate_files(argc - 1, argv + 1);
}
