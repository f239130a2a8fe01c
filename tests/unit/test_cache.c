/* tests/unit/test_cache.c — the module cache and compiled artifacts
 * (docs/cache.md): a miss writes an entry that the next engine loads
 * without decoding or compiling, and every fault of the list — a
 * truncated entry, a flipped byte anywhere, a newer format, a wrong key, a
 * missing or unusable directory, a full disk (the cache's fault hook) —
 * gives a miss, a correct module and a replaced entry, never a crash; an
 * explicit artifact from another build, LLVM, CPU or options is refused
 * with an error naming which.
 *
 * Each test uses a temporary cache directory of its own.  The module
 * exercises everything an entry must carry: a start function, globals
 * (folded and not), a memory with data, a table with elements, passive
 * segments, exports of every kind.  The test links the static libkiln to
 * reach the fault hook (vm/cache.h) and the header layout
 * (vm/artifact.h).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend/serial.h"
#include "frontend/types.h"
#include "kiln.h"
#include "vm/artifact.h"
#include "vm/cache.h"
#include "vm/vm.h"
#include "wasm.h"

static const char module_wat[] =
    "(module\n"
    "  (type $ii (func (param i32) (result i32)))\n"
    "  (global $g (mut i32) (i32.const 7))\n"
    "  (global $k i64 (i64.const 40))\n"
    "  (memory (export \"mem\") 1 2)\n"
    "  (data (i32.const 16) \"kiln\")\n"
    "  (data $p \"\\05\\06\")\n"
    "  (table $t (export \"tab\") 4 funcref)\n"
    "  (elem (i32.const 1) $double $inc)\n"
    "  (elem $pe func $inc)\n"
    "  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))\n"
    "  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))\n"
    "  (func $start (global.set $g (i32.add (global.get $g) (i32.const 100))))\n"
    "  (start $start)\n"
    "  (func (export \"run\") (param i32) (result i32)\n"
    "    (memory.init $p (i32.const 32) (i32.const 0) (i32.const 2))\n"
    "    (i32.add\n"
    "      (i32.add (call_indirect (type $ii) (local.get 0) (i32.const 1))\n"
    "               (call_indirect (type $ii) (local.get 0) (i32.const 2)))\n"
    "      (i32.add (i32.add (global.get $g) (i32.wrap_i64 (global.get $k)))\n"
    "               (i32.add (i32.load8_u (i32.const 16)) (i32.load8_u (i32.const 33))))))\n"
    "  (global (export \"g\") (mut i32) (i32.const 0))\n"
    ")\n";

/* run(x) = 2x + (x+1) + 107 + 40 + 'k' (107) + 6; variants of the module
 * add `variant` to the 40 */
static int32_t variant;
static int32_t expected(int32_t x) { return 2 * x + x + 1 + 107 + 40 + variant + 107 + 6; }

static wasm_byte_vec_t module_bytes(const char *wat) {
  wasm_byte_vec_t out;
  kiln_text_error_t terr;
  bool ok = kiln_wat2wasm(wat, strlen(wat), &out, &terr);
  if (!ok)
    fail_msg("wat: %s", terr.message);
  return out;
}

/* A fresh temporary directory; `cache` is where the engine's cache goes
 * (below it, not yet made: the cache creates it). */
typedef struct tmpdir {
  char root[64];
  char cache[96];
} tmpdir;

static void tmpdir_make(tmpdir *t) {
  snprintf(t->root, sizeof t->root, "/tmp/kiln-cache-test-XXXXXX");
  assert_non_null(mkdtemp(t->root));
  snprintf(t->cache, sizeof t->cache, "%s/cache", t->root);
}

static void tmpdir_remove(tmpdir *t) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
  assert_int_equal(system(cmd), 0);
}

static wasm_engine_t *cache_engine(const char *dir, unsigned opt_level) {
  wasm_config_t *cfg = wasm_config_new();
  assert_non_null(cfg);
  kiln_config_set_cache(cfg, true, dir);
  kiln_config_set_opt_level(cfg, opt_level);
  wasm_engine_t *e = wasm_engine_new_with_config(cfg);
  assert_non_null(e);
  return e;
}

static kiln_cache_stats_t stats_of(wasm_engine_t *e) {
  kiln_cache_stats_t s;
  kiln_engine_cache_stats(e, &s);
  return s;
}

/* Instantiates module m and checks run(5) and the exports. */
static void check_module(wasm_engine_t *e, wasm_module_t *m) {
  wasm_store_t *s = wasm_store_new(e);
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  wasm_instance_t *inst = wasm_instance_new(s, m, &imports, &trap);
  assert_null(trap);
  assert_non_null(inst);
  wasm_extern_vec_t exports;
  wasm_instance_exports(inst, &exports);
  assert_int_equal(exports.size, 4);
  wasm_func_t *run = wasm_extern_as_func(exports.data[2]);
  assert_non_null(run);
  wasm_val_t args[1] = {WASM_I32_VAL(5)}, results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(results);
  trap = wasm_func_call(run, &av, &rv);
  assert_null(trap);
  assert_int_equal(results[0].of.i32, expected(5));
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(inst);
  wasm_store_delete(s);
}

/* Creates the module in a new engine on dir, checks it, and returns the
 * engine's cache stats after its compilation. */
static kiln_cache_stats_t use_module(const char *dir, const wasm_byte_vec_t *bytes) {
  wasm_engine_t *e = cache_engine(dir, 2);
  kiln_diagnostic_t diag;
  wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)bytes->data, bytes->size, &diag);
  assert_non_null(m);
  assert_int_equal(diag.kind, KILN_DIAG_OK);
  kiln_module_info_t info;
  kiln_module_get_info(m, &info);
  assert_int_equal(info.defined_functions, 4);
  assert_true(info.code_bytes > 20);
  check_module(e, m);
  wasm_module_delete(m);
  kiln_cache_stats_t st = stats_of(e);
  wasm_engine_delete(e);
  return st;
}

/* The one entry file of dir (there must be exactly one). */
static void entry_file(const char *dir, char *out, size_t size) {
  uint64_t n, bytes;
  char err[256];
  assert_true(kiln_cache_usage(dir, &n, &bytes, err, sizeof err));
  assert_int_equal(n, 1);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "ls '%s'/*.kiln", dir);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  assert_non_null(fgets(out, (int)size, p));
  pclose(p);
  out[strcspn(out, "\n")] = 0;
}

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(*size);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, *size, f), *size);
  fclose(f);
  return p;
}

static void write_file(const char *path, const uint8_t *p, size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, size, f), size);
  fclose(f);
}

/* ---- hits and misses ---------------------------------------------------- */

static void test_miss_then_hit(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  kiln_cache_stats_t st = use_module(t.cache, &bytes);
  assert_int_equal(st.hits, 0);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.writes, 1);
  assert_string_equal(st.dir, t.cache);
  struct stat sb;
  assert_int_equal(stat(t.cache, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0700);
  st = use_module(t.cache, &bytes);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.misses, 0);
  assert_int_equal(st.writes, 0);
  /* another opt level is another key: a miss and a second entry */
  wasm_engine_t *e = cache_engine(t.cache, 0);
  wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)bytes.data, bytes.size, NULL);
  assert_non_null(m);
  check_module(e, m);
  wasm_module_delete(m);
  st = stats_of(e);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.writes, 1);
  wasm_engine_delete(e);
  uint64_t n, total;
  char err[256];
  assert_true(kiln_cache_usage(t.cache, &n, &total, err, sizeof err));
  assert_int_equal(n, 2);
  uint64_t removed;
  assert_true(kiln_cache_clear(t.cache, &removed, err, sizeof err));
  assert_int_equal(removed, 2);
  assert_true(kiln_cache_usage(t.cache, &n, &total, err, sizeof err));
  assert_int_equal(n, 0);
  wasm_byte_vec_delete(&bytes);
  tmpdir_remove(&t);
}

/* A cache-hit module is the same module: imports, exports, and their
 * types, and an invalid module is still rejected (it is never cached). */
static void test_hit_module_is_complete(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  use_module(t.cache, &bytes);
  wasm_engine_t *e = cache_engine(t.cache, 2);
  wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)bytes.data, bytes.size, NULL);
  assert_non_null(m);
  assert_int_equal(stats_of(e).hits, 1);
  wasm_exporttype_vec_t ex;
  wasm_module_exports(m, &ex);
  assert_int_equal(ex.size, 4);
  const wasm_name_t *name = wasm_exporttype_name(ex.data[2]);
  assert_int_equal(name->size, 3);
  assert_memory_equal(name->data, "run", 3);
  const wasm_functype_t *ft =
      wasm_externtype_as_functype_const(wasm_exporttype_type(ex.data[2]));
  assert_int_equal(wasm_functype_params(ft)->size, 1);
  wasm_exporttype_vec_delete(&ex);
  wasm_module_delete(m);
  uint8_t bad[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
  kiln_diagnostic_t diag;
  assert_null(kiln_module_new_ex(e, bad, sizeof bad, &diag));
  assert_int_equal(diag.kind, KILN_DIAG_MALFORMED);
  wasm_engine_delete(e);
  wasm_byte_vec_delete(&bytes);
  tmpdir_remove(&t);
}

/* ---- damaged entries ----------------------------------------------------- */

/* With the entry of `bytes` replaced by `bad` (size n): the next engine
 * misses, rejects it, still runs the module correctly and writes a good
 * entry, which the engine after hits. */
static void expect_replaced(const char *dir, const char *entry, const uint8_t *bad, size_t n,
                            const wasm_byte_vec_t *bytes, const char *why_has) {
  write_file(entry, bad, n);
  kiln_cache_stats_t st = use_module(dir, bytes);
  assert_int_equal(st.hits, 0);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.rejected, 1);
  assert_int_equal(st.writes, 1);
  if (why_has && !strstr(st.error, why_has))
    fail_msg("error '%s' lacks '%s'", st.error, why_has);
  st = use_module(dir, bytes);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.rejected, 0);
}

/* A cache directory holding the module's one entry, and that entry's
 * good bytes, for the tests that damage it. */
typedef struct entry_world {
  tmpdir t;
  wasm_byte_vec_t bytes;
  char entry[256];
  uint8_t *good;
  size_t size;
} entry_world;

static void world_open(entry_world *w) {
  tmpdir_make(&w->t);
  w->bytes = module_bytes(module_wat);
  use_module(w->t.cache, &w->bytes);
  entry_file(w->t.cache, w->entry, sizeof w->entry);
  w->good = read_file(w->entry, &w->size);
}

static void world_close(entry_world *w) {
  free(w->good);
  wasm_byte_vec_delete(&w->bytes);
  tmpdir_remove(&w->t);
}

static void test_truncated_entry(void **state) {
  (void)state;
  entry_world w;
  world_open(&w);
  size_t cuts[] = {0, 1, 7, 8, 100, sizeof(vm_artifact_header), w.size / 2, w.size - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
    expect_replaced(w.t.cache, w.entry, w.good, cuts[i], &w.bytes, NULL);
  world_close(&w);
}

static void test_flipped_byte_anywhere(void **state) {
  (void)state;
  entry_world w;
  world_open(&w);
  size_t size = w.size;
  uint8_t *bad = malloc(size);
  assert_non_null(bad);
  /* every header byte, then a spread over the payload, and the last byte */
  for (size_t at = 0; at < size; at += at < sizeof(vm_artifact_header) ? 1 : size / 97 + 1) {
    memcpy(bad, w.good, size);
    bad[at] ^= 0x20;
    expect_replaced(w.t.cache, w.entry, bad, size, &w.bytes, NULL);
  }
  memcpy(bad, w.good, size);
  bad[size - 1] ^= 1;
  expect_replaced(w.t.cache, w.entry, bad, size, &w.bytes, "checksum");
  free(bad);
  world_close(&w);
}

static void test_newer_format(void **state) {
  (void)state;
  entry_world w;
  world_open(&w);
  vm_artifact_header h;
  memcpy(&h, w.good, sizeof h);
  h.format = VM_ARTIFACT_FORMAT + 1;
  h.header_size = 4096; /* a newer format may have a bigger header */
  memcpy(w.good, &h, sizeof h);
  expect_replaced(w.t.cache, w.entry, w.good, w.size, &w.bytes, "newer");
  world_close(&w);
}

/* The entry of module A under module B's name: B's lookup finds an entry
 * for another key, rejects it and compiles B. */
static void test_wrong_key(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t a = module_bytes(module_wat);
  use_module(t.cache, &a);
  char entry_a[256];
  entry_file(t.cache, entry_a, sizeof entry_a);
  size_t size;
  uint8_t *pa = read_file(entry_a, &size);
  /* B differs from A in one constant: run(x) differs by one */
  char wat_b[sizeof module_wat];
  snprintf(wat_b, sizeof wat_b, "%s", module_wat);
  char *k = strstr(wat_b, "(i64.const 40)");
  assert_non_null(k);
  memcpy(k, "(i64.const 41)", 14);
  wasm_byte_vec_t b = module_bytes(wat_b);
  uint8_t key_b[VM_HASH_BYTES];
  vm_compile_opts opts = {2, 0, 0};
  vm_artifact_key((const uint8_t *)b.data, b.size, &opts, key_b);
  char hex[2 * VM_HASH_BYTES + 1], entry_b[256];
  vm_hex(hex, key_b, VM_HASH_BYTES);
  snprintf(entry_b, sizeof entry_b, "%s/%s.kiln", t.cache, hex);
  write_file(entry_b, pa, size);
  wasm_engine_t *e = cache_engine(t.cache, 2);
  wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)b.data, b.size, NULL);
  assert_non_null(m);
  kiln_cache_stats_t st = stats_of(e);
  assert_int_equal(st.hits, 0);
  assert_int_equal(st.rejected, 1);
  assert_non_null(strstr(st.error, "another key"));
  wasm_store_t *s = wasm_store_new(e);
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t *inst = wasm_instance_new(s, m, &imports, NULL);
  assert_non_null(inst);
  wasm_extern_vec_t exports;
  wasm_instance_exports(inst, &exports);
  wasm_val_t args[1] = {WASM_I32_VAL(5)}, results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(results);
  assert_null(wasm_func_call(wasm_extern_as_func(exports.data[2]), &av, &rv));
  assert_int_equal(results[0].of.i32, expected(5) + 1); /* B's code, not A's */
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(inst);
  wasm_store_delete(s);
  wasm_module_delete(m);
  assert_int_equal(stats_of(e).writes, 1);
  wasm_engine_delete(e);
  free(pa);
  wasm_byte_vec_delete(&a);
  wasm_byte_vec_delete(&b);
  tmpdir_remove(&t);
}

/* ---- directories and disks ----------------------------------------------- */

static void test_missing_and_unusable_dir(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  /* missing, several levels deep: created on the first write */
  char deep[160];
  snprintf(deep, sizeof deep, "%s/a/b/c", t.root);
  kiln_cache_stats_t st = use_module(deep, &bytes);
  assert_int_equal(st.writes, 1);
  assert_int_equal(use_module(deep, &bytes).hits, 1);
  /* a path through a regular file can be neither read nor written */
  char file[128], below[160];
  snprintf(file, sizeof file, "%s/file", t.root);
  write_file(file, (const uint8_t *)"x", 1);
  snprintf(below, sizeof below, "%s/cache", file);
  for (int round = 0; round < 2; round++) {
    st = use_module(below, &bytes);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.writes, 0);
    assert_int_equal(st.write_failures, 1);
    assert_non_null(strstr(st.error, "Not a directory"));
  }
  wasm_byte_vec_delete(&bytes);
  tmpdir_remove(&t);
}

/* A full disk: the write stops with ENOSPC partway; nothing is left
 * behind (no entry, no temporary file), the module works, and the next
 * engine writes the entry. */
static void test_disk_full(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  uint64_t cuts[] = {0, 1, sizeof(vm_artifact_header), sizeof(vm_artifact_header) + 100};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    wasm_engine_t *e = cache_engine(t.cache, 2);
    vm_cache_fault_after(e->cache, cuts[i]);
    wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)bytes.data, bytes.size, NULL);
    assert_non_null(m);
    check_module(e, m);
    wasm_module_delete(m);
    kiln_cache_stats_t st = stats_of(e);
    assert_int_equal(st.write_failures, 1);
    assert_int_equal(st.writes, 0);
    assert_non_null(strstr(st.error, "No space left on device"));
    wasm_engine_delete(e);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", t.cache);
    assert_int_equal(system(cmd), 0); /* nothing left behind */
  }
  assert_int_equal(use_module(t.cache, &bytes).writes, 1);
  assert_int_equal(use_module(t.cache, &bytes).hits, 1);
  wasm_byte_vec_delete(&bytes);
  tmpdir_remove(&t);
}

/* A temporary file left by a writer that died, whose process id this
 * process now has (pid reuse: in a container every run may be the same
 * pid), or held by another engine of this process, does not stop writes:
 * the writer takes another name. */
static void test_stale_temporary(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  assert_int_equal(mkdir(t.cache, 0700), 0);
  char stale[160];
  snprintf(stale, sizeof stale, "%s/.tmp-%ld-0", t.cache, (long)getpid());
  FILE *f = fopen(stale, "w");
  assert_non_null(f);
  fclose(f);
  kiln_cache_stats_t st = use_module(t.cache, &bytes);
  assert_int_equal(st.write_failures, 0);
  assert_int_equal(st.writes, 1);
  assert_int_equal(use_module(t.cache, &bytes).hits, 1);
  wasm_byte_vec_delete(&bytes);
  tmpdir_remove(&t);
}

/* Files of other programs in a shared directory (KILN_CACHE_DIR=/tmp) are
 * left alone, even named .tmp-*: only the cache's own temporary files
 * (.tmp-<pid>-<n>) are removed, by eviction when stale and by clear. */
static void test_foreign_files(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  assert_int_equal(mkdir(t.cache, 0700), 0);
  const char *names[] = {".tmp-foreign", ".tmp-12-x", ".tmp-99-7"};
  char path[3][160];
  struct timespec old[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
  for (int i = 0; i < 3; i++) {
    snprintf(path[i], sizeof path[i], "%s/%s", t.cache, names[i]);
    FILE *f = fopen(path[i], "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(utimensat(AT_FDCWD, path[i], old, 0), 0);
  }
  assert_int_equal(use_module(t.cache, &bytes).writes, 1); /* evicts stale temporaries */
  assert_int_equal(access(path[0], F_OK), 0);
  assert_int_equal(access(path[1], F_OK), 0);
  assert_int_not_equal(access(path[2], F_OK), 0); /* the cache's own, stale */
  uint64_t removed;
  char err[256];
  assert_true(kiln_cache_clear(t.cache, &removed, err, sizeof err));
  assert_int_equal(removed, 1); /* the entry */
  assert_int_equal(access(path[0], F_OK), 0);
  assert_int_equal(access(path[1], F_OK), 0);
  wasm_byte_vec_delete(&bytes);
  tmpdir_remove(&t);
}

/* The size bound: entries beyond it are evicted, least recently used
 * first (a hit refreshes an entry). */
static void test_eviction(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  wasm_byte_vec_t mods[4];
  char wat[sizeof module_wat + 8];
  for (int i = 0; i < 4; i++) {
    snprintf(wat, sizeof wat, "%s", module_wat);
    char *k = strstr(wat, "(i64.const 40)");
    k[12] = (char)('0' + i);
    mods[i] = module_bytes(wat);
  }
  uint64_t one = 0, n;
  char err[256];
  {
    use_module(t.cache, &mods[0]);
    assert_true(kiln_cache_usage(t.cache, &n, &one, err, sizeof err));
  }
  /* a bound of three entries: the fourth write takes the directory past
   * it, and eviction goes down to 90% of it, 2.7 entries: two go */
  uint64_t limit = one * 3;
  for (int i = 1; i < 3; i++) {
    wasm_engine_t *e = cache_engine(t.cache, 2);
    wasm_module_t *m =
        kiln_module_new_ex(e, (const uint8_t *)mods[i].data, mods[i].size, NULL);
    assert_true(kiln_module_compile(m, NULL));
    wasm_module_delete(m);
    wasm_engine_delete(e);
  }
  /* touch module 0 (a hit): module 1 is now the oldest */
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  assert_int_equal(use_module(t.cache, &mods[0]).hits, 1);
  nanosleep(&pause, NULL);
  wasm_config_t *cfg = wasm_config_new();
  kiln_config_set_cache(cfg, true, t.cache);
  kiln_config_set_cache_limit(cfg, limit);
  wasm_engine_t *e = wasm_engine_new_with_config(cfg);
  wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)mods[3].data, mods[3].size, NULL);
  assert_true(kiln_module_compile(m, NULL));
  wasm_module_delete(m);
  kiln_cache_stats_t st = stats_of(e);
  assert_int_equal(st.evictions, 2);
  wasm_engine_delete(e);
  assert_true(kiln_cache_usage(t.cache, &n, &one, err, sizeof err));
  assert_int_equal(n, 2);
  /* 0 (refreshed) and 3 (newest) stay; 1 and 2 went */
  assert_int_equal(use_module(t.cache, &mods[0]).hits, 1);
  variant = 3;
  assert_int_equal(use_module(t.cache, &mods[3]).hits, 1);
  variant = 0;
  for (int i = 0; i < 4; i++)
    wasm_byte_vec_delete(&mods[i]);
  tmpdir_remove(&t);
}

/* Threads with engines of their own on one directory, each compiling
 * modules of its own at the same time: every write succeeds (temporary
 * file names are unique in the process, not per engine). */
typedef struct writer {
  const char *dir;
  int id;
  kiln_cache_stats_t st;
} writer;

static void *write_modules(void *p) {
  writer *w = p;
  wasm_engine_t *e = cache_engine(w->dir, 2);
  for (int i = 0; i < 8; i++) {
    char wat[128];
    snprintf(wat, sizeof wat, "(module (func (export \"f\") (result i32) (i32.const %d)))",
             w->id * 100 + i);
    wasm_byte_vec_t b = module_bytes(wat);
    wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)b.data, b.size, NULL);
    if (m) kiln_module_compile(m, NULL);
    wasm_module_delete(m);
    wasm_byte_vec_delete(&b);
  }
  w->st = stats_of(e);
  wasm_engine_delete(e);
  return NULL;
}

static void test_engines_share_a_directory(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  writer w[2] = {{t.cache, 1, {0}}, {t.cache, 2, {0}}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, write_modules, &w[i]), 0);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(w[i].st.writes, 8);
    assert_int_equal(w[i].st.write_failures, 0);
  }
  uint64_t n, bytes;
  char err[256];
  assert_true(kiln_cache_usage(t.cache, &n, &bytes, err, sizeof err));
  assert_int_equal(n, 16);
  tmpdir_remove(&t);
}

/* ---- explicit artifacts ------------------------------------------------- */

/* Recomputes an artifact's checksum after a test edited its header, so
 * that the identity check, not the checksum, is what refuses it. */
static void reseal(uint8_t *p, size_t size) {
  vm_artifact_header h;
  memcpy(&h, p, sizeof h);
  memset(h.checksum, 0, sizeof h.checksum);
  vm_hasher s;
  vm_hash_init(&s);
  vm_hash_update(&s, &h, sizeof h);
  vm_hash_update(&s, p + sizeof h, size - sizeof h);
  vm_hash_final(&s, h.checksum);
  memcpy(p, &h, sizeof h);
}

static void expect_refused(wasm_engine_t *e, const uint8_t *p, size_t size, const char *why) {
  kiln_diagnostic_t diag;
  wasm_module_t *m = kiln_module_deserialize_ex(e, p, size, &diag);
  assert_null(m);
  assert_int_equal(diag.kind, KILN_DIAG_MALFORMED);
  if (!strstr(diag.message, why))
    fail_msg("message '%s' lacks '%s'", diag.message, why);
}

static void test_artifacts(void **state) {
  (void)state;
  wasm_byte_vec_t bytes = module_bytes(module_wat);
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(e);
  wasm_module_t *m = wasm_module_new(store, &bytes);
  assert_non_null(m);
  wasm_byte_vec_t art;
  wasm_module_serialize(m, &art);
  assert_true(art.size > sizeof(vm_artifact_header));
  wasm_module_delete(m);
  wasm_store_delete(store);
  wasm_engine_delete(e);

  /* a new engine loads it and it runs; serializing it again gives the
   * same bytes */
  e = wasm_engine_new();
  store = wasm_store_new(e);
  m = wasm_module_deserialize(store, &art);
  assert_non_null(m);
  check_module(e, m);
  wasm_byte_vec_t again;
  wasm_module_serialize(m, &again);
  assert_int_equal(again.size, art.size);
  assert_memory_equal(again.data, art.data, art.size);
  wasm_byte_vec_delete(&again);
  wasm_module_delete(m);

  uint8_t *p = malloc(art.size);
  assert_non_null(p);
  /* not an artifact; truncated; damaged */
  expect_refused(e, (const uint8_t *)bytes.data, bytes.size, "not a Kiln compiled module");
  expect_refused(e, (const uint8_t *)art.data, art.size - 1, "truncated");
  memcpy(p, art.data, art.size);
  p[art.size / 2] ^= 4;
  expect_refused(e, p, art.size, "checksum");
  /* another build, LLVM, triple, CPU */
  struct {
    size_t off, len;
    const char *why;
  } edits[] = {
      {offsetof(vm_artifact_header, build_id), 1, "another build of Kiln"},
      {offsetof(vm_artifact_header, llvm_version), 1, "compiled with LLVM"},
      {offsetof(vm_artifact_header, triple), 1, "compiled for target"},
      {offsetof(vm_artifact_header, cpu), 1, "another CPU feature set"},
      {offsetof(vm_artifact_header, format), 1, "newer"},
  };
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    memcpy(p, art.data, art.size);
    p[edits[i].off] ^= 1;
    if (edits[i].off == offsetof(vm_artifact_header, format))
      p[edits[i].off] = VM_ARTIFACT_FORMAT + 1;
    reseal(p, art.size);
    expect_refused(e, p, art.size, edits[i].why);
  }
  wasm_store_delete(store);
  wasm_engine_delete(e);
  /* other options: an engine compiling at O3 refuses O2 code */
  wasm_config_t *cfg = wasm_config_new();
  kiln_config_set_opt_level(cfg, 3);
  e = wasm_engine_new_with_config(cfg);
  expect_refused(e, (const uint8_t *)art.data, art.size, "other options");
  wasm_engine_delete(e);
  free(p);
  wasm_byte_vec_delete(&art);
  wasm_byte_vec_delete(&bytes);
}


/* ---- the description's structural checks (frontend/serial.c) ----------- */

/* Saves m's description with one field edited (by `edit`) and loads it:
 * the loader must refuse it with `why`. */
static void expect_desc_refused(const wasm_byte_vec_t *bytes, void (*edit)(fe_module *),
                                const char *why) {
  fe_typereg *reg = fe_typereg_new();
  assert_non_null(reg);
  fe_error err;
  fe_module *m = fe_module_new(reg, (const uint8_t *)bytes->data, bytes->size, &err);
  assert_non_null(m);
  uint8_t *desc;
  size_t size;
  assert_true(fe_module_save(m, &desc, &size));
  fe_module *back = fe_module_load(reg, desc, size, &err);
  assert_non_null(back); /* unedited: loads */
  fe_module_free(back);
  free(desc);
  edit(m);
  assert_true(fe_module_save(m, &desc, &size));
  back = fe_module_load(reg, desc, size, &err);
  if (back)
    fail_msg("an edited description (%s) loaded", why);
  assert_int_equal(err.code, FE_E_CORRUPT);
  if (!strstr(err.detail, why))
    fail_msg("message '%s' lacks '%s'", err.detail, why);
  free(desc);
  fe_module_free(m);
  fe_typereg_free(reg);
}

static void drop_imports(fe_module *m) { m->nimports = 0; }
static void import_twice(fe_module *m) { m->imports[1] = m->imports[0]; }
static void import_kind(fe_module *m) { m->imports[1].kind = FE_EXT_FUNC; m->imports[1].index = 1; }
/* types 0-1 a group of two, type 1 also a group of its own */
static void split_group(fe_module *m) {
  m->types[0].rec_size = 2;
  m->types[1].rec_start = 1;
  m->types[1].rec_size = 1;
}

/* Instantiation fills the imported part of every index space from the
 * import list: a list that leaves an imported entity out (then its slot is
 * NULL: a crash at instantiation or at the first use) or names one twice is
 * refused. */
static void test_description_imports(void **state) {
  (void)state;
  wasm_byte_vec_t bytes = module_bytes(
      "(module (import \"m\" \"f\" (func)) (import \"m\" \"mem\" (memory 1))\n"
      "  (export \"mem\" (memory 0)) (func (export \"g\") (call 0)))");
  expect_desc_refused(&bytes, drop_imports, "imports of kind");
  expect_desc_refused(&bytes, import_twice, "import 1 is entity 0 of kind 0");
  expect_desc_refused(&bytes, import_kind, "import 1 is entity 1 of kind 0");
  wasm_byte_vec_delete(&bytes);
}

/* Rec groups tile the type section: a type cannot start a group of its own
 * inside the group before it (the registry would intern the two types as
 * one group while the second says otherwise). */
static void test_description_rec_groups(void **state) {
  (void)state;
  wasm_byte_vec_t bytes = module_bytes(
      "(module (type (func)) (type (func (param i32))) (type (func (param i64))))");
  expect_desc_refused(&bytes, split_group, "in rec group");
  wasm_byte_vec_delete(&bytes);
}

static void memory_too_big(fe_module *m) { m->mems[0].lim.min = FE_MAX_PAGES32 + 1; }
static void memory_max_below_min(fe_module *m) {
  m->mems[0].lim.has_max = true;
  m->mems[0].lim.max = 0;
}

/* Limits the decoder enforces hold for a loaded description too: the VM
 * sizes memories and its structures by them. */
static void test_description_limits(void **state) {
  (void)state;
  wasm_byte_vec_t bytes = module_bytes("(module (memory 1))");
  expect_desc_refused(&bytes, memory_too_big, "limits min 65537");
  expect_desc_refused(&bytes, memory_max_below_min, "limits min 1, max 0");
  wasm_byte_vec_delete(&bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_miss_then_hit),
      cmocka_unit_test(test_hit_module_is_complete),
      cmocka_unit_test(test_truncated_entry),
      cmocka_unit_test(test_flipped_byte_anywhere),
      cmocka_unit_test(test_newer_format),
      cmocka_unit_test(test_wrong_key),
      cmocka_unit_test(test_missing_and_unusable_dir),
      cmocka_unit_test(test_disk_full),
      cmocka_unit_test(test_stale_temporary),
      cmocka_unit_test(test_foreign_files),
      cmocka_unit_test(test_eviction),
      cmocka_unit_test(test_engines_share_a_directory),
      cmocka_unit_test(test_artifacts),
      cmocka_unit_test(test_description_imports),
      cmocka_unit_test(test_description_rec_groups),
      cmocka_unit_test(test_description_limits),
  };
  int n = (int)(sizeof tests / sizeof tests[0]);
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed != 0;
}
