/* tests/unit/test_cache_noid.c — a program linked without a GNU build id
 * (--build-id=none) and libkiln linked into it statically has no identity to
 * key its cache entries by (vm/identity.h): nothing is cached, rather than
 * every entry written and then rejected and removed by the next lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln.h"
#include "wasm.h"

int main(void) {
  char root[] = "/tmp/kiln-cache-noid-XXXXXX";
  if (!mkdtemp(root)) return 1;
  char dir[64];
  snprintf(dir, sizeof dir, "%s/cache", root);
  const char *wat = "(module (func (export \"f\") (result i32) (i32.const 42)))";
  wasm_byte_vec_t bin;
  kiln_text_error_t te;
  if (!kiln_wat2wasm(wat, strlen(wat), &bin, &te)) return 1;
  int failed = 0;
  for (int run = 0; run < 2; run++) {
    wasm_config_t *cfg = wasm_config_new();
    kiln_config_set_cache(cfg, true, dir);
    wasm_engine_t *e = wasm_engine_new_with_config(cfg);
    wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)bin.data, bin.size, NULL);
    kiln_diagnostic_t diag;
    if (!m || !kiln_module_compile(m, &diag)) {
      printf("run %d: the module does not compile\n", run);
      failed++;
    }
    kiln_cache_stats_t s;
    kiln_engine_cache_stats(e, &s);
    if (s.writes || s.rejected || s.hits || !strstr(s.error, "no GNU build id")) {
      printf("run %d: writes %llu, rejected %llu, hits %llu, error '%s'\n", run,
             (unsigned long long)s.writes, (unsigned long long)s.rejected,
             (unsigned long long)s.hits, s.error);
      failed++;
    }
    wasm_module_delete(m);
    wasm_engine_delete(e);
  }
  if (access(dir, F_OK) == 0) {
    printf("the cache directory was made\n");
    failed++;
  }
  wasm_byte_vec_delete(&bin);
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0) failed++;
  /* checks: per run, it compiles and nothing was cached; then no
   * directory was made, and the cleanup */
  int checks = 2 * 2 + 2;
  printf("%d passed, %d failed\n", checks - failed, failed);
  return failed != 0;
}
