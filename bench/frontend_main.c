/* bench/frontend_main.c — a small driver that, linked with Kiln's front end
 * (the frontend/ sources) and compiled to wasm32-wasi, makes the large module of the
 * validation-throughput benchmark (build/bench/kiln-frontend.wasm): a real
 * program of Kiln's own, tens of thousands of lines of C.
 *
 * It also runs: `kiln-frontend.wasm FILE...` decodes and validates each
 * file and prints "ok" or the error.  (In the wasm build an error traps, see
 * bench/wasm-shim/setjmp.h.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "frontend/error.h"
#include "frontend/module.h"
#include "frontend/types.h"

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

int main(int argc, char **argv) {
  fe_typereg *reg = fe_typereg_new();
  int status = 0;
  if (!reg)
    return 2;
  for (int i = 1; i < argc; i++) {
    size_t size = 0;
    uint8_t *bytes = read_file(argv[i], &size);
    if (!bytes) {
      printf("%s: cannot read\n", argv[i]);
      status = 2;
      continue;
    }
    fe_error err;
    fe_module *m = fe_module_new(reg, bytes, size, &err);
    if (m) {
      printf("%s: ok (%u types, %u functions)\n", argv[i], (unsigned)m->ntypes,
             (unsigned)m->nfuncs);
      fe_module_free(m);
    } else {
      char msg[512];
      fe_error_format(&err, msg, sizeof msg);
      printf("%s: %s\n", argv[i], msg);
      status = 1;
    }
    free(bytes);
  }
  fe_typereg_free(reg);
  return status;
}
