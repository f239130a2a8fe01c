/* tests/fuzz/fuzz_validate.c — libFuzzer target over the front end: decode
 * and validate arbitrary bytes (fe_module_new), free what was built.
 *
 * Any input must come back as a module or as an error; a crash, a sanitizer
 * report, a leak or a hang is a bug.  One type registry lives for the whole
 * run, as an engine's does, so that rec groups interned by earlier inputs
 * are exercised by later ones (hash-consing, cross-module subtyping).
 *
 * Build and run: ./dev fuzz [SECONDS] (docs/testing.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frontend/error.h"
#include "frontend/module.h"
#include "frontend/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fe_typereg *registry;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!registry) {
    registry = fe_typereg_new();
    if (!registry)
      abort();
  }
  fe_error err;
  fe_module *m = fe_module_new(registry, data, size, &err);
  if (m) {
    fe_module_free(m);
  } else {
    /* A rejection must say why. */
    if (err.code == FE_E_OK)
      abort();
    (void)fe_error_message(err.code);
  }
  return 0;
}
