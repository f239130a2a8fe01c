/* tests/unit/test_nollvm.c — validating a module must not load LLVM.
 *
 * libkiln never links LLVM; the compiler object (which does) is loaded only
 * when something is compiled (docs/architecture.md).  This program links
 * the shared libkiln like an embedder, validates a module through the
 * public API, and then inspects the process's loaded objects: neither
 * libLLVM nor libkiln-jit may be among them.  It also checks that libkiln
 * itself is loaded (so the inspection sees something).
 */
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kiln.h"
#include "wasm.h"

typedef struct seen {
  int llvm, jit, kiln;
} seen;

static int visit(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  seen *s = data;
  const char *name = info->dlpi_name ? info->dlpi_name : "";
  if (strstr(name, "libLLVM"))
    s->llvm++;
  if (strstr(name, "kiln-jit"))
    s->jit++;
  if (strstr(name, "libkiln.so"))
    s->kiln++;
  return 0;
}

static void test_validate_loads_no_llvm(void **state) {
  (void)state;
  /* (module (func (result i32) i32.const 7)) */
  static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                                 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a,
                                 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b};
  wasm_engine_t *engine = wasm_engine_new();
  assert_non_null(engine);
  kiln_diagnostic_t diag;
  assert_true(kiln_module_validate_ex(engine, wasm, sizeof wasm, &diag));
  seen s = {0, 0, 0};
  dl_iterate_phdr(visit, &s);
  assert_int_equal(s.kiln, 1);
  assert_int_equal(s.llvm, 0);
  assert_int_equal(s.jit, 0);
  wasm_engine_delete(engine);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_validate_loads_no_llvm)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
