/* tests/unit/test_instantiate.c — instantiation semantics through the
 * public API only (wasm.h, kiln.h): partial initialization, trapping
 * segments, initializer expressions, reuse of an instance's resources
 * after a trap and after dirtying, and 100,000 store + instance cycles.
 *
 * Every semantic test runs twice, as two cmocka tests: on an engine that
 * allocates on demand (`..._on_demand`) and on one with a pool
 * (`..._pooled`, kiln_config_set_pooling).  Instantiation must mean the
 * same on both; the pool is an allocation strategy only.  The pool's own
 * statistics (kiln_engine_pool_stats) are checked by the test_pool_*
 * tests, per kiln.h.
 *
 * Modules are written as text and converted with kiln_wat2wasm;
 * KILN_JIT_PATH points at the build's compiler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "wasm.h"

#define PAGE 65536u

/* ------------------------------------------------------------------------
 * Engines
 * ---------------------------------------------------------------------- */

static wasm_engine_t *make_pool_engine(const kiln_pooling_config_t *pool) {
  wasm_config_t *cfg = wasm_config_new();
  assert_non_null(cfg);
  kiln_config_set_pooling(cfg, pool);
  wasm_engine_t *e = wasm_engine_new_with_config(cfg);
  assert_non_null(e);
  return e;
}

/* An on-demand engine, or one with a pool of `slots` instance slots (the
 * other pool settings at their defaults). */
static wasm_engine_t *make_engine(bool pooled, uint32_t slots) {
  kiln_pooling_config_t pool = {.instance_slots = slots};
  return make_pool_engine(pooled ? &pool : NULL);
}

typedef void body_fn(wasm_engine_t *engine);

/* Set by a body that found it cannot run here; run_on skips the test once
 * the engine is deleted. */
static bool skip_body;

static void run_on(body_fn *body, bool pooled, uint32_t slots) {
  wasm_engine_t *e = make_engine(pooled, slots);
  skip_body = false;
  body(e);
  wasm_engine_delete(e);
  if (skip_body)
    skip();
}

/* Two cmocka tests for one body: body_on_demand and body_pooled. */
#define ON_BOTH(body, slots)                                                     \
  static void body##_on_demand(void **state) {                                   \
    (void)state;                                                                 \
    run_on(body, false, slots);                                                  \
  }                                                                              \
  static void body##_pooled(void **state) {                                      \
    (void)state;                                                                 \
    run_on(body, true, slots);                                                   \
  }
#define BOTH(body) cmocka_unit_test(body##_on_demand), cmocka_unit_test(body##_pooled)

/* ------------------------------------------------------------------------
 * Modules, instances, exports, calls
 * ---------------------------------------------------------------------- */

static wasm_module_t *wat(wasm_engine_t *e, const char *text) {
  wasm_byte_vec_t bin;
  kiln_text_error_t terr;
  if (!kiln_wat2wasm(text, strlen(text), &bin, &terr))
    fail_msg("text %u:%u: %s", terr.line, terr.column, terr.message);
  kiln_diagnostic_t diag;
  wasm_module_t *m = kiln_module_new_ex(e, (const uint8_t *)bin.data, bin.size, &diag);
  wasm_byte_vec_delete(&bin);
  if (!m)
    fail_msg("module rejected: %s", diag.message);
  return m;
}

/* An instance with its exports and their names. */
typedef struct inst {
  wasm_instance_t *i;
  wasm_extern_vec_t ex;
  wasm_exporttype_vec_t names;
} inst;

/* Instantiates m; returns the trap (and leaves *r empty) if it fails. */
static wasm_trap_t *try_new(inst *r, wasm_store_t *s, const wasm_module_t *m,
                            wasm_extern_t **imports, size_t n) {
  wasm_extern_vec_t iv = {n, imports};
  wasm_trap_t *trap = NULL;
  *r = (inst){0};
  r->i = wasm_instance_new(s, m, &iv, &trap);
  if (!r->i) {
    assert_non_null(trap);
    return trap;
  }
  assert_null(trap);
  wasm_instance_exports(r->i, &r->ex);
  wasm_module_exports(m, &r->names);
  assert_int_equal(r->ex.size, r->names.size);
  return NULL;
}

static void inst_new(inst *r, wasm_store_t *s, const wasm_module_t *m, wasm_extern_t **imports,
                     size_t n) {
  wasm_trap_t *t = try_new(r, s, m, imports, n);
  if (t) {
    wasm_message_t msg;
    wasm_trap_message(t, &msg);
    fail_msg("instantiation failed: %s", msg.data);
  }
}

static void inst_delete(inst *r) {
  wasm_exporttype_vec_delete(&r->names);
  wasm_extern_vec_delete(&r->ex);
  wasm_instance_delete(r->i);
  *r = (inst){0};
}

static wasm_extern_t *get(const inst *r, const char *name) {
  for (size_t k = 0; k < r->names.size; k++) {
    const wasm_name_t *n = wasm_exporttype_name(r->names.data[k]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
      return r->ex.data[k];
  }
  fail_msg("no export \"%s\"", name);
  return NULL;
}

static wasm_func_t *get_func(const inst *r, const char *name) {
  wasm_func_t *f = wasm_extern_as_func(get(r, name));
  assert_non_null(f);
  return f;
}

static wasm_memory_t *get_memory(const inst *r, const char *name) {
  wasm_memory_t *m = wasm_extern_as_memory(get(r, name));
  assert_non_null(m);
  return m;
}

static wasm_table_t *get_table(const inst *r, const char *name) {
  wasm_table_t *t = wasm_extern_as_table(get(r, name));
  assert_non_null(t);
  return t;
}

static wasm_val_t get_global(const inst *r, const char *name) {
  wasm_global_t *g = wasm_extern_as_global(get(r, name));
  assert_non_null(g);
  wasm_val_t v;
  wasm_global_get(g, &v);
  return v;
}

/* The spec's wording of the trap codes these tests expect. */
static const char *trap_text(kiln_trap_code_t code) {
  switch (code) {
  case KILN_TRAP_UNREACHABLE: return "unreachable";
  case KILN_TRAP_MEMORY_OOB: return "out of bounds memory access";
  case KILN_TRAP_TABLE_OOB: return "out of bounds table access";
  default: return NULL;
  }
}

/* Checks and deletes a trap: its code, and its message (the spec's wording
 * when trap_text knows the code, else not empty). */
static void expect_trap(wasm_trap_t *t, kiln_trap_code_t code) {
  assert_non_null(t);
  wasm_message_t msg;
  wasm_trap_message(t, &msg);
  assert_true(msg.size > 1);
  assert_int_equal(msg.data[msg.size - 1], '\0');
  const char *want = trap_text(code);
  if (want)
    assert_string_equal(msg.data, want);
  assert_int_equal(kiln_trap_code(t), code);
  wasm_name_delete(&msg);
  wasm_trap_delete(t);
}

static void inst_fails(wasm_store_t *s, const wasm_module_t *m, wasm_extern_t **imports,
                       size_t n, kiln_trap_code_t code) {
  inst r;
  wasm_trap_t *t = try_new(&r, s, m, imports, n);
  if (!t)
    fail_msg("instantiation succeeded; expected trap code %d", (int)code);
  expect_trap(t, code);
}

/* Calls f with arg (NULL: no argument); the trap, and the result (if f has
 * one) in *out. */
static wasm_trap_t *try_call(wasm_func_t *f, const wasm_val_t *arg, wasm_val_t *out) {
  wasm_val_t a[1] = {WASM_INIT_VAL};
  wasm_val_t res[1] = {WASM_INIT_VAL};
  if (arg)
    a[0] = *arg;
  wasm_val_vec_t args = {arg ? 1 : 0, a};
  wasm_val_vec_t results = {wasm_func_result_arity(f), res};
  assert_true(results.size <= 1);
  wasm_trap_t *t = wasm_func_call(f, &args, &results);
  if (out)
    *out = res[0];
  return t;
}

static int32_t call_arg(wasm_func_t *f, const wasm_val_t *arg) {
  wasm_val_t v;
  wasm_trap_t *t = try_call(f, arg, &v);
  if (t) {
    wasm_message_t msg;
    wasm_trap_message(t, &msg);
    fail_msg("call trapped: %s", msg.data);
  }
  assert_int_equal(v.kind, WASM_I32);
  return v.of.i32;
}

static int32_t call0(wasm_func_t *f) { return call_arg(f, NULL); }

static int32_t call1(wasm_func_t *f, int32_t x) {
  wasm_val_t a = WASM_I32_VAL(x);
  return call_arg(f, &a);
}

/* Calls the function in table entry i (which must not be null). */
static int32_t call_entry(const wasm_table_t *tab, uint32_t i) {
  wasm_ref_t *r = wasm_table_get(tab, i);
  if (!r)
    fail_msg("table entry %u is null", i);
  int32_t v = call0(wasm_ref_as_func(r));
  wasm_ref_delete(r);
  return v;
}

static void expect_null_entries(const wasm_table_t *tab, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; i++) {
    wasm_ref_t *r = wasm_table_get(tab, i);
    if (r)
      fail_msg("table entry %u is not null", i);
  }
}

/* The memory holds the n bytes of `data` at `off` and zeros everywhere
 * else. */
static void expect_bytes(const wasm_memory_t *mem, size_t off, const void *data, size_t n) {
  const unsigned char *p = (const unsigned char *)wasm_memory_data((wasm_memory_t *)mem);
  const unsigned char *d = data;
  size_t size = wasm_memory_data_size(mem);
  assert_true(off + n <= size);
  for (size_t i = 0; i < size; i++) {
    unsigned char want = i >= off && i - off < n ? d[i - off] : 0;
    if (p[i] != want)
      fail_msg("memory byte %zu is 0x%02x, expected 0x%02x", i, p[i], want);
  }
}

/* The counts of live instances, memories and tables are equal. */
static void expect_live_equal(const kiln_runtime_stats_t *a, const kiln_runtime_stats_t *b) {
  assert_int_equal(a->live_instances, b->live_instances);
  assert_int_equal(a->live_memories, b->live_memories);
  assert_int_equal(a->live_tables, b->live_tables);
}

/* The byte counters are equal too. */
static void expect_stats_equal(const kiln_runtime_stats_t *a, const kiln_runtime_stats_t *b) {
  expect_live_equal(a, b);
  assert_int_equal(a->memory_reserved_bytes, b->memory_reserved_bytes);
  assert_int_equal(a->memory_committed_bytes, b->memory_committed_bytes);
  assert_int_equal(a->table_bytes, b->table_bytes);
}

/* ------------------------------------------------------------------------
 * 1. Partial initialization
 *
 * Module A exports a table and a memory; module B imports them and fails
 * while initializing.  Wasm 3.0: active element segments are applied in
 * order, then active data segments, then the start function runs; a trap
 * stops there, and what was written to imported tables and memories stays.
 * B's functions placed in A's table before the trap stay callable, and
 * they see B's own memory, table and globals exactly as far as
 * initialization got.
 * ---------------------------------------------------------------------- */

static const char provider_text[] =
    "(module (table (export \"tab\") 10 funcref) (memory (export \"mem\") 1)\n"
    "  (func (export \"call\") (param i32) (result i32)\n"
    "    (call_indirect (result i32) (local.get 0))))";

/* A store holding an instance of A, whose table and memory B imports. */
typedef struct provider {
  wasm_store_t *s;
  wasm_module_t *m;
  inst a;
  wasm_table_t *tab;
  wasm_memory_t *mem;
  wasm_extern_t *imports[2];
} provider;

static void provider_open(provider *p, wasm_engine_t *e) {
  p->s = wasm_store_new(e);
  p->m = wat(e, provider_text);
  inst_new(&p->a, p->s, p->m, NULL, 0);
  p->tab = get_table(&p->a, "tab");
  p->mem = get_memory(&p->a, "mem");
  p->imports[0] = wasm_table_as_extern(p->tab);
  p->imports[1] = wasm_memory_as_extern(p->mem);
}

static void provider_close(provider *p) {
  inst_delete(&p->a);
  wasm_module_delete(p->m);
  wasm_store_delete(p->s);
}

/* Instantiates B (text) with A's table and memory; expects it to fail with
 * `code`.  The store keeps the failed instance's code. */
static void b_fails(provider *p, wasm_engine_t *e, const char *text, kiln_trap_code_t code) {
  wasm_module_t *m = wat(e, text);
  inst_fails(p->s, m, p->imports, 2, code);
  wasm_module_delete(m);
}

/* A's table entry i, called through A's call_indirect and directly. */
static int32_t entry(provider *p, uint32_t i) {
  int32_t via_a = call1(get_func(&p->a, "call"), (int32_t)i);
  assert_int_equal(call_entry(p->tab, i), via_a);
  return via_a;
}

/* B's imports and own objects; $own_tab encodes B's own table as
 * size * 100 + (entry 1 is null) * 10 + (entry 2 is null). */
#define B_PROLOGUE                                                                \
  "(import \"a\" \"tab\" (table 10 funcref))\n"                                   \
  "(import \"a\" \"mem\" (memory 1))\n"                                           \
  "(memory $own 1)\n"                                                             \
  "(table $ownt 3 funcref)\n"                                                     \
  "(global $g (mut i32) (i32.const 77))\n"                                        \
  "(func $glob (result i32) (global.get $g))\n"                                   \
  "(func $own_tab (result i32)\n"                                                 \
  "  (i32.add (i32.mul (table.size $ownt) (i32.const 100))\n"                     \
  "    (i32.add (i32.mul (ref.is_null (table.get $ownt (i32.const 1))) (i32.const 10))\n" \
  "             (ref.is_null (table.get $ownt (i32.const 2))))))\n"

/* Element segment #2 traps: #0 and #1 stay, #3 and #4 and every data
 * segment are not applied.  $peek reads B's own byte 0. */
static const char b_elem_trap[] =
    "(module " B_PROLOGUE
    "(func $peek (result i32) (i32.load8_u $own (i32.const 0)))\n"
    "(elem (table 0) (i32.const 0) func $peek $glob $own_tab)\n"
    "(elem (table $ownt) (i32.const 1) func $glob)\n"
    "(elem (table 0) (i32.const 9) func $glob $glob)\n"
    "(elem (table 0) (i32.const 5) func $glob)\n"
    "(elem (table $ownt) (i32.const 2) func $glob)\n"
    "(data (memory 0) (i32.const 0) \"xyz\")\n"
    "(data (memory $own) (i32.const 0) \"\\2a\"))";

/* Data segment #2 traps: the element segments and data segments #0 and #1
 * stay, #3 and #4 are not applied; the trapping segment writes nothing,
 * not even its first two bytes, which are in bounds.  $peek reads B's own
 * bytes 0 and 1. */
static const char b_data_trap[] =
    "(module " B_PROLOGUE
    "(func $peek (result i32) (i32.load16_u $own (i32.const 0)))\n"
    "(elem (table 0) (i32.const 0) func $peek $glob $own_tab)\n"
    "(elem (table $ownt) (i32.const 1) func $glob)\n"
    "(data (memory $own) (i32.const 0) \"\\01\")\n"
    "(data (memory 0) (i32.const 0) \"abc\")\n"
    "(data (memory 0) (i32.const 65534) \"xyz\")\n"
    "(data (memory $own) (i32.const 1) \"\\02\")\n"
    "(data (memory 0) (i32.const 100) \"zz\"))";

/* B fails with `code`; A's table then holds B's $peek, $glob and $own_tab
 * at 0, 1, 2 and nothing else, $peek returns `peek`, and A's memory holds
 * the n bytes of `mem` at 0 and nothing else. */
static void partial(wasm_engine_t *e, const char *b, kiln_trap_code_t code, int32_t peek,
                    const char *mem, size_t n) {
  provider p;
  provider_open(&p, e);
  b_fails(&p, e, b, code);
  assert_int_equal(entry(&p, 0), peek);
  assert_int_equal(entry(&p, 1), 77);  /* B's global, initialized before the segments */
  assert_int_equal(entry(&p, 2), 301); /* B's own table: [1] written, [2] not */
  expect_null_entries(p.tab, 3, 10);   /* the trapping segment and later ones */
  expect_bytes(p.mem, 0, mem, n);
  assert_int_equal(entry(&p, 1), 77);  /* B's functions keep working */
  provider_close(&p);
}

static void partial_elem(wasm_engine_t *e) {
  /* no data segment applied: B's own byte 0 and A's memory stay 0 */
  partial(e, b_elem_trap, KILN_TRAP_TABLE_OOB, 0, "", 0);
}
ON_BOTH(partial_elem, 4)

static void partial_data(wasm_engine_t *e) {
  /* B's own byte 0 written (before the trap), byte 1 not (after) */
  partial(e, b_data_trap, KILN_TRAP_MEMORY_OOB, 1, "abc", 3);
}
ON_BOTH(partial_data, 4)

/* The start function writes, then traps: everything before it stays. */
static const char b_start_trap[] =
    "(module " B_PROLOGUE
    "(func $start (i32.store8 (i32.const 10) (i32.const 0x55))\n"
    "             (i32.store8 $own (i32.const 0) (i32.const 9)) (unreachable))\n"
    "(func $own8 (result i32) (i32.load8_u $own (i32.const 0)))\n"
    "(elem (table 0) (i32.const 4) func $glob $own8)\n"
    "(data (memory 0) (i32.const 0) \"start\")\n"
    "(data (memory $own) (i32.const 0) \"\\03\")\n"
    "(start $start))";

static void partial_start(wasm_engine_t *e) {
  provider p;
  provider_open(&p, e);
  b_fails(&p, e, b_start_trap, KILN_TRAP_UNREACHABLE);
  assert_int_equal(entry(&p, 4), 77);
  assert_int_equal(entry(&p, 5), 9); /* the data segment, then the start function's store */
  expect_null_entries(p.tab, 0, 4);
  expect_null_entries(p.tab, 6, 10);
  static const char want[] = "start\0\0\0\0\0\x55";
  expect_bytes(p.mem, 0, want, sizeof want - 1);
  provider_close(&p);
}
ON_BOTH(partial_start, 4)

/* ------------------------------------------------------------------------
 * 2. Trapping segments on defined tables and memories
 * ---------------------------------------------------------------------- */

#define OK (-1)

static const struct {
  const char *text;
  int code; /* the trap, or OK */
} segment_cases[] = {
    {"(module (table 2 funcref) (func $f) (elem (i32.const 0) func $f $f))", OK},
    {"(module (table 2 funcref) (func $f) (elem (i32.const 1) func $f $f))", KILN_TRAP_TABLE_OOB},
    {"(module (table 2 funcref) (elem (i32.const 2) func))", OK},
    {"(module (table 2 funcref) (elem (i32.const 3) func))", KILN_TRAP_TABLE_OOB},
    {"(module (table 2 funcref) (func $f) (elem (i32.const -1) func $f))", KILN_TRAP_TABLE_OOB},
    {"(module (table i64 2 funcref) (func $f) (elem (i64.const 2) func $f))",
     KILN_TRAP_TABLE_OOB},
    {"(module (memory 1) (data (i32.const 65535) \"a\"))", OK},
    {"(module (memory 1) (data (i32.const 65536) \"\"))", OK},
    {"(module (memory 1) (data (i32.const 65536) \"a\"))", KILN_TRAP_MEMORY_OOB},
    {"(module (memory 1) (data (i32.const 65535) \"ab\"))", KILN_TRAP_MEMORY_OOB},
    {"(module (memory 1) (data (i32.const 65537) \"\"))", KILN_TRAP_MEMORY_OOB},
    {"(module (memory 1) (data (i32.const -1) \"a\"))", KILN_TRAP_MEMORY_OOB},
    {"(module (memory 0) (data (i32.const 0) \"\"))", OK},
    {"(module (memory 0) (data (i32.const 0) \"a\"))", KILN_TRAP_MEMORY_OOB},
    {"(module (memory i64 1) (data (i64.const 65536) \"\"))", OK},
    {"(module (memory i64 1) (data (i64.const 65536) \"a\"))", KILN_TRAP_MEMORY_OOB},
    {"(module (memory i64 1) (data (i64.const -1) \"a\"))", KILN_TRAP_MEMORY_OOB},
};

static const char good_text[] =
    "(module (memory 1) (data (i32.const 0) \"ok\")\n"
    "  (func (export \"f\") (result i32) (i32.load16_u (i32.const 0))))";

/* The store still works: a good module instantiates and runs. */
static void expect_store_works(wasm_engine_t *e, wasm_store_t *s) {
  wasm_module_t *m = wat(e, good_text);
  inst r;
  inst_new(&r, s, m, NULL, 0);
  assert_int_equal(call0(get_func(&r, "f")), 'o' | 'k' << 8);
  inst_delete(&r);
  wasm_module_delete(m);
}

static void trapping_segments(wasm_engine_t *e) {
  kiln_runtime_stats_t before, after;
  kiln_runtime_stats(&before);
  wasm_store_t *s = wasm_store_new(e);
  for (size_t k = 0; k < sizeof segment_cases / sizeof *segment_cases; k++) {
    wasm_module_t *m = wat(e, segment_cases[k].text);
    if (segment_cases[k].code == OK) {
      inst r;
      inst_new(&r, s, m, NULL, 0);
      inst_delete(&r);
    } else {
      /* a failed instance stays alive in its store (the spec's partial
       * initialization: its functions may sit in imported tables) */
      kiln_runtime_stats_t pre, post;
      kiln_runtime_stats(&pre);
      inst_fails(s, m, NULL, 0, (kiln_trap_code_t)segment_cases[k].code);
      inst_fails(s, m, NULL, 0, (kiln_trap_code_t)segment_cases[k].code); /* again */
      kiln_runtime_stats(&post);
      assert_int_equal(post.live_instances, pre.live_instances + 2);
      assert_true(post.live_memories + post.live_tables >=
                  pre.live_memories + pre.live_tables + 2);
    }
    wasm_module_delete(m);
    expect_store_works(e, s);
  }
  wasm_store_delete(s);
  /* the failed instances, their memories and tables went with the store,
   * and every byte they were counted for */
  kiln_runtime_stats(&after);
  expect_stats_equal(&after, &before);
}
ON_BOTH(trapping_segments, 4)

/* ------------------------------------------------------------------------
 * 3. Initializer expressions
 *
 * Offsets and globals computed from an imported global, extended constant
 * expressions, defined globals read by later ones, numeric and reference
 * globals, a table with an initializer expression.  Instantiated with two
 * values of the imported global: base 3 and base 1.
 * ---------------------------------------------------------------------- */

static const char init_text[] =
    "(module\n"
    "  (import \"h\" \"base\" (global $base i32))\n"
    "  (import \"h\" \"fn\" (func $imp (result i32)))\n"
    "  (type $r (func (result i32)))\n"
    "  (func $f (type $r) (i32.const 11))\n"
    "  (table $t (export \"tab\") 10 funcref)\n"
    "  (table $ti (export \"tinit\") 4 funcref (ref.func $f))\n"
    "  (memory (export \"mem\") 1)\n"
    "  (global $sum (export \"sum\") i32 (i32.add (global.get $base) (i32.const 5)))\n"
    "  (global $prev (export \"prev\") i32 (i32.mul (global.get $sum) (i32.const 2)))\n"
    "  (global (export \"copy\") i32 (global.get $sum))\n"
    "  (global (export \"i64\") i64 (i64.const -81985529216486896))\n"
    "  (global (export \"i64x\") i64\n"
    "    (i64.sub (i64.const 10) (i64.mul (i64.const 3) (i64.const 4))))\n"
    "  (global (export \"f64\") f64 (f64.const -2.5))\n"
    "  (global (export \"f32\") f32 (f32.const 0.125))\n"
    "  (global $gf (export \"gf\") funcref (ref.func $f))\n"
    "  (global $gi (export \"gi\") funcref (ref.func $imp))\n"
    "  (global (export \"gn\") funcref (ref.null func))\n"
    "  (global (export \"gx\") externref (ref.null extern))\n"
    "  (elem (table $t) (global.get $base) func $f $imp)\n"
    "  (elem (table $t) (offset (i32.sub (global.get $prev) (i32.const 9))) func $imp)\n"
    "  (data (global.get $base) \"Q\")\n"
    "  (data (offset (i32.add (global.get $sum) (i32.const 100))) \"R\")\n"
    "  (func (export \"call\") (param i32) (result i32)\n"
    "    (call_indirect $t (type $r) (local.get 0)))\n"
    "  (func (export \"call_g\") (param i32) (result i32)\n"
    "    (table.set $t (i32.const 9)\n"
    "      (select (result funcref) (global.get $gf) (global.get $gi) (local.get 0)))\n"
    "    (call_indirect $t (type $r) (i32.const 9))))";

static wasm_trap_t *host_42(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  results->data[0] = (wasm_val_t)WASM_I32_VAL(42);
  return NULL;
}

/* The funcref global `name` is the function returning `want`. */
static void expect_func_global(const inst *r, const char *name, int32_t want) {
  wasm_val_t v = get_global(r, name);
  assert_int_equal(v.kind, WASM_FUNCREF);
  assert_non_null(v.of.ref);
  assert_int_equal(call0(wasm_ref_as_func(v.of.ref)), want);
  wasm_val_delete(&v);
}

static void expect_null_global(const inst *r, const char *name, wasm_valkind_t kind) {
  wasm_val_t v = get_global(r, name);
  assert_int_equal(v.kind, kind);
  assert_null(v.of.ref);
}

static void expect_initialized(const inst *r, int32_t base) {
  int32_t sum = base + 5, prev = 2 * sum;
  assert_int_equal(get_global(r, "sum").of.i32, sum);
  assert_int_equal(get_global(r, "prev").of.i32, prev);
  assert_int_equal(get_global(r, "copy").of.i32, sum);
  wasm_val_t v = get_global(r, "i64");
  assert_true(v.kind == WASM_I64 && (uint64_t)v.of.i64 == UINT64_C(0xfedcba9876543210));
  v = get_global(r, "i64x");
  assert_true(v.kind == WASM_I64 && v.of.i64 == -2);
  v = get_global(r, "f64");
  assert_true(v.kind == WASM_F64 && v.of.f64 == -2.5);
  v = get_global(r, "f32");
  assert_true(v.kind == WASM_F32 && v.of.f32 == 0.125f);
  expect_func_global(r, "gf", 11);
  expect_func_global(r, "gi", 42);
  expect_null_global(r, "gn", WASM_FUNCREF);
  expect_null_global(r, "gx", WASM_EXTERNREF);

  /* the element segments at base and at prev - 9 */
  const wasm_table_t *tab = get_table(r, "tab");
  int32_t want[10] = {0};
  want[base] = 11;
  want[base + 1] = 42;
  want[prev - 9] = 42;
  for (uint32_t i = 0; i < 10; i++) {
    if (want[i]) {
      assert_int_equal(call_entry(tab, i), want[i]);
      assert_int_equal(call1(get_func(r, "call"), (int32_t)i), want[i]);
    } else {
      expect_null_entries(tab, i, i + 1);
    }
  }
  /* the table with an initializer: every entry is $f */
  const wasm_table_t *ti = get_table(r, "tinit");
  assert_int_equal(wasm_table_size(ti), 4);
  for (uint32_t i = 0; i < 4; i++)
    assert_int_equal(call_entry(ti, i), 11);
  /* the data segments at base and at sum + 100 */
  char data[128] = {0};
  data[base] = 'Q';
  data[sum + 100] = 'R';
  expect_bytes(get_memory(r, "mem"), 0, data, sizeof data);
  /* the funcref globals, through a table */
  assert_int_equal(call1(get_func(r, "call_g"), 1), 11);
  assert_int_equal(call1(get_func(r, "call_g"), 0), 42);
}

static void initializers(wasm_engine_t *e) {
  wasm_module_t *m = wat(e, init_text);
  wasm_functype_t *ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  for (int32_t base = 3; base >= 1; base -= 2) {
    wasm_store_t *s = wasm_store_new(e);
    wasm_val_t bv = WASM_I32_VAL(base);
    wasm_global_t *g = wasm_global_new(s, gt, &bv);
    wasm_func_t *fn = wasm_func_new(s, ft, host_42);
    wasm_extern_t *imports[2] = {wasm_global_as_extern(g), wasm_func_as_extern(fn)};
    inst r;
    inst_new(&r, s, m, imports, 2);
    expect_initialized(&r, base);
    inst_delete(&r);
    wasm_func_delete(fn);
    wasm_global_delete(g);
    wasm_store_delete(s);
  }
  wasm_globaltype_delete(gt);
  wasm_functype_delete(ft);
  wasm_module_delete(m);
}
ON_BOTH(initializers, 4)

/* A v128 global with a constant, read back through its lanes (wasm_val_t
 * has no v128, so the host cannot read it directly).  Skipped while the
 * compiler lacks SIMD: the instantiation then fails with a resource trap
 * saying so. */
static const char v128_text[] =
    "(module (global $v v128 (v128.const i64x2 0x1122334455667788 -2))\n"
    "  (func (export \"lo\") (result i64) (i64x2.extract_lane 0 (global.get $v)))\n"
    "  (func (export \"hi\") (result i64) (i64x2.extract_lane 1 (global.get $v))))";

static bool compiler_lacks_simd(wasm_trap_t *t) {
  wasm_message_t msg;
  wasm_trap_message(t, &msg);
  bool lacks = kiln_trap_code(t) == KILN_TRAP_RESOURCE &&
               strstr(msg.data, "does not support") != NULL;
  wasm_name_delete(&msg);
  wasm_trap_delete(t);
  return lacks;
}

static int64_t call_i64(wasm_func_t *f) {
  wasm_val_t v;
  assert_null(try_call(f, NULL, &v));
  assert_int_equal(v.kind, WASM_I64);
  return v.of.i64;
}

static void init_v128(wasm_engine_t *e) {
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, v128_text);
  inst r;
  wasm_trap_t *t = try_new(&r, s, m, NULL, 0);
  if (t) {
    assert_true(compiler_lacks_simd(t));
    skip_body = true;
  } else {
    assert_true(call_i64(get_func(&r, "lo")) == INT64_C(0x1122334455667788));
    assert_true(call_i64(get_func(&r, "hi")) == -2);
    inst_delete(&r);
  }
  wasm_module_delete(m);
  wasm_store_delete(s);
}
ON_BOTH(init_v128, 4)

/* ------------------------------------------------------------------------
 * 4. Reuse after a trap and after dirtying
 *
 * A module of a given shape is instantiated in a new store, checked to be
 * exactly as its initialization makes it, dirtied (memory filled and
 * grown, table set and grown, global set, from Wasm and from the host),
 * and its store deleted; again and again, interleaved with failed
 * instantiations and other modules.  On a pool of one slot every
 * instantiation lands in the same slot.
 * ---------------------------------------------------------------------- */

typedef struct shape {
  const char *at;    /* the memory's address type: "i32" or "i64" */
  int pages;         /* its initial size (maximum 6) */
  int elems;         /* the table's size (maximum 30) */
  int g;             /* the mutable global's initial value */
  int elem_off;      /* the element segment: $a (1) there, $b (2) after */
  int data_off;      /* the data segment */
  const char *data;
  const char *extra; /* further module fields */
} shape;

/* The start function dirties everything and traps when the imported
 * global "env" "trap" is not 0. */
static const char shape_fmt[] =
    "(module\n"
    "  (import \"env\" \"trap\" (global $trap i32))\n"
    "  (memory (export \"mem\") %1$s %2$d 6)\n"
    "  (table (export \"tab\") %3$d 30 funcref)\n"
    "  (global $g (export \"g\") (mut i32) (i32.const %4$d))\n"
    "  (func $a (result i32) (i32.const 1))\n"
    "  (func $b (result i32) (i32.const 2))\n"
    "  (elem (i32.const %5$d) func $a $b)\n"
    "  (data (%1$s.const %6$d) \"%7$s\")\n"
    "  (func $dirty (export \"dirty\")\n"
    "    (memory.fill (%1$s.const 0) (i32.const 0xaa) (%1$s.shl (memory.size) (%1$s.const 16)))\n"
    "    (i32.store (%1$s.shl (memory.grow (%1$s.const 1)) (%1$s.const 16)) (i32.const -1))\n"
    "    (table.set (i32.const 0) (ref.func $b))\n"
    "    (table.set (i32.const %5$d) (ref.null func))\n"
    "    (drop (table.grow (ref.func $a) (i32.const 3)))\n"
    "    (global.set $g (i32.const 99)))\n"
    "  (func $start (if (global.get $trap) (then (call $dirty) (unreachable))))\n"
    "  (start $start)\n"
    "  (func (export \"peek_end\") (result i32)\n"
    "    (i32.load8_u (%1$s.shl (memory.size) (%1$s.const 16))))\n"
    "  (func (export \"call\") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))\n"
    "  %8$s)";

static wasm_module_t *shape_module(wasm_engine_t *e, const shape *sh) {
  char text[4096];
  int n = snprintf(text, sizeof text, shape_fmt, sh->at, sh->pages, sh->elems, sh->g,
                   sh->elem_off, sh->data_off, sh->data, sh->extra);
  assert_true(n > 0 && (size_t)n < sizeof text);
  return wat(e, text);
}

static const shape shape_m = {"i32", 1, 4, 7, 1, 16, "hello", ""};
static const shape shape_m2 = {"i32", 2, 6, 8, 3, 70000, "WORLD", ""};
static const shape shape_m64 = {"i64", 1, 5, 9, 0, 65000, "sixty-four", ""};
/* shape_m with an element segment out of bounds after the good one */
static const shape shape_mt = {"i32", 1, 4, 7, 1, 16, "hello", "(elem (i32.const 29) func $a)"};

/* The instance is as its module's initialization makes it. */
static void expect_fresh(const inst *r, const shape *sh) {
  wasm_memory_t *mem = get_memory(r, "mem");
  assert_int_equal(wasm_memory_size(mem), sh->pages);
  assert_int_equal(wasm_memory_data_size(mem), (size_t)sh->pages * PAGE);
  expect_bytes(mem, (size_t)sh->data_off, sh->data, strlen(sh->data));
  wasm_trap_t *t = try_call(get_func(r, "peek_end"), NULL, NULL);
  expect_trap(t, KILN_TRAP_MEMORY_OOB); /* the grown pages are gone */
  wasm_table_t *tab = get_table(r, "tab");
  assert_int_equal(wasm_table_size(tab), sh->elems);
  for (int i = 0; i < sh->elems; i++) {
    if (i == sh->elem_off || i == sh->elem_off + 1)
      assert_int_equal(call1(get_func(r, "call"), i), i - sh->elem_off + 1);
    else
      expect_null_entries(tab, (uint32_t)i, (uint32_t)i + 1);
  }
  wasm_val_t g = get_global(r, "g");
  assert_int_equal(g.kind, WASM_I32);
  assert_int_equal(g.of.i32, sh->g);
}

/* Dirties everything, from Wasm and from the host. */
static void dirty(const inst *r, const shape *sh) {
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  assert_null(wasm_func_call(get_func(r, "dirty"), &none, &none));
  wasm_memory_t *mem = get_memory(r, "mem");
  assert_true(wasm_memory_grow(mem, 1));
  assert_int_equal(wasm_memory_size(mem), sh->pages + 2);
  byte_t *p = wasm_memory_data(mem);
  assert_int_equal((unsigned char)p[0], 0xaa);
  /* the grown pages are zero but for the word $dirty wrote */
  size_t grown = (size_t)sh->pages * PAGE;
  assert_int_equal((unsigned char)p[grown], 0xff);
  for (size_t i = grown + 4; i < wasm_memory_data_size(mem); i++)
    if (p[i])
      fail_msg("grown memory byte %zu is not zero", i);
  p[wasm_memory_data_size(mem) - 1] = 0x77;
  wasm_table_t *tab = get_table(r, "tab");
  assert_true(wasm_table_grow(tab, 1, NULL));
  assert_int_equal(wasm_table_size(tab), sh->elems + 4);
  assert_true(wasm_table_set(tab, (wasm_table_size_t)sh->elem_off + 1, NULL));
  wasm_val_t v = WASM_I32_VAL(123);
  wasm_global_set(wasm_extern_as_global(get(r, "g")), &v);
  assert_int_equal(get_global(r, "g").of.i32, 123);
}

/* One round in a new store: instantiate m (of shape sh) with "env" "trap"
 * = trap; if it is to fail with `code`, check that; else check it is
 * fresh and dirty it.  Then delete the store. */
static void round_trip(wasm_engine_t *e, wasm_module_t *m, const shape *sh, int32_t trap,
                       int code) {
  wasm_store_t *s = wasm_store_new(e);
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_val_t tv = WASM_I32_VAL(trap);
  wasm_global_t *g = wasm_global_new(s, gt, &tv);
  wasm_extern_t *imports[1] = {wasm_global_as_extern(g)};
  if (code != OK) {
    inst_fails(s, m, imports, 1, (kiln_trap_code_t)code);
  } else {
    inst r;
    inst_new(&r, s, m, imports, 1);
    expect_fresh(&r, sh);
    dirty(&r, sh);
    inst_delete(&r);
  }
  wasm_global_delete(g);
  wasm_globaltype_delete(gt);
  wasm_store_delete(s);
}

typedef struct shapes {
  wasm_module_t *m, *m2, *m64, *mt;
} shapes;

static void shapes_new(shapes *x, wasm_engine_t *e) {
  x->m = shape_module(e, &shape_m);
  x->m2 = shape_module(e, &shape_m2);
  x->m64 = shape_module(e, &shape_m64);
  x->mt = shape_module(e, &shape_mt);
}

static void shapes_delete(shapes *x) {
  wasm_module_delete(x->m);
  wasm_module_delete(x->m2);
  wasm_module_delete(x->m64);
  wasm_module_delete(x->mt);
}

static void slot_reuse(wasm_engine_t *e) {
  shapes x;
  shapes_new(&x, e);
  round_trip(e, x.m, &shape_m, 0, OK);
  round_trip(e, x.m, &shape_m, 0, OK);                    /* after dirtying */
  round_trip(e, x.m, &shape_m, 1, KILN_TRAP_UNREACHABLE); /* dirties, traps */
  round_trip(e, x.m, &shape_m, 0, OK);
  round_trip(e, x.mt, &shape_mt, 0, KILN_TRAP_TABLE_OOB); /* traps in init */
  round_trip(e, x.m, &shape_m, 0, OK);
  round_trip(e, x.m2, &shape_m2, 0, OK); /* another module */
  round_trip(e, x.m, &shape_m, 0, OK);
  round_trip(e, x.m2, &shape_m2, 1, KILN_TRAP_UNREACHABLE);
  round_trip(e, x.m2, &shape_m2, 0, OK);
  round_trip(e, x.m64, &shape_m64, 0, OK); /* memory64 */
  round_trip(e, x.m64, &shape_m64, 0, OK);
  round_trip(e, x.m64, &shape_m64, 1, KILN_TRAP_UNREACHABLE);
  round_trip(e, x.m64, &shape_m64, 0, OK);
  round_trip(e, x.m, &shape_m, 0, OK);
  shapes_delete(&x);
}
ON_BOTH(slot_reuse, 1)

/* ------------------------------------------------------------------------
 * 5. 100,000 store + instance cycles
 * ---------------------------------------------------------------------- */

#define CYCLES 100000
#define CYCLES_WARM 1000
#define RSS_BOUND (16u << 20)

static const char cycle_text[] =
    "(module (memory 1) (table 100 funcref)\n"
    "  (func $a (result i32) (i32.const 1))\n"
    "  (func $b (result i32) (i32.const 2))\n"
    "  (func $c (result i32) (i32.const 3))\n"
    "  (elem (i32.const 0) func $a $b $c $a $b $c $a $b $c $a)\n"
    "  (data (i32.const 8) \"data\")\n"
    "  (func (export \"run\") (param i32) (result i32)\n"
    "    (i32.store (i32.const 64) (local.get 0))\n"
    "    (i32.add (i32.load (i32.const 64))\n"
    "      (i32.add (i32.load8_u (i32.const 8)) (call_indirect (result i32) (i32.const 2))))))";

/* Under AddressSanitizer freed blocks wait in a quarantine (256 MiB by
 * default) before they are reused, and the allocator takes more memory
 * from the system while they wait, which the resident set would show as
 * growth (~40 MiB over the loop).  So under ASan the quarantine is drained
 * and the allocator's free memory released every 1,000 cycles and before
 * each measurement; without ASan this does nothing. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
void __sanitizer_purge_allocator(void);
#endif

static void settle_allocator(void) {
#ifdef TEST_ASAN
  __sanitizer_purge_allocator();
#endif
}

static size_t resident_bytes(void) {
  settle_allocator();
  FILE *fp = fopen("/proc/self/statm", "r");
  assert_non_null(fp);
  unsigned long size = 0, resident = 0;
  assert_int_equal(fscanf(fp, "%lu %lu", &size, &resident), 2);
  fclose(fp);
  return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* One cycle: store, instance, a call that writes the memory, delete.
 * `during`, if not NULL, receives the statistics while the instance
 * lives. */
static void one_cycle(wasm_engine_t *e, const wasm_module_t *m, int32_t k,
                      kiln_runtime_stats_t *during) {
  wasm_store_t *s = wasm_store_new(e);
  inst r;
  inst_new(&r, s, m, NULL, 0);
  if (call1(get_func(&r, "run"), k) != k + 'd' + 3)
    fail_msg("cycle %d: wrong result", k);
  if (during)
    kiln_runtime_stats(during);
  inst_delete(&r);
  wasm_store_delete(s);
}

/* Cycles from..to-1, the allocator settled every 1,000. */
static void cycles(wasm_engine_t *e, const wasm_module_t *m, int32_t from, int32_t to) {
  for (int32_t k = from; k < to; k++) {
    one_cycle(e, m, k, NULL);
    if (k % 1000 == 0)
      settle_allocator();
  }
}

/* What is asserted: while an instance lives it counts one instance, one
 * memory (64 KiB committed) and one table (100 elements of 8 bytes); after
 * 100,000 cycles the live counts are back at their values before the
 * loop, and the resident set grew by less than 16 MiB between cycle 1,000
 * and the end, and so are the byte counters: they count what instances
 * hold, also from a pool (a pool's idle slots are not in them).  A pooled
 * engine must have taken its one slot warm on every cycle but the first. */
static void many_cycles(wasm_engine_t *e, bool pooled) {
  wasm_module_t *m = wat(e, cycle_text);
  kiln_runtime_stats_t base, during, warm, end;
  kiln_runtime_stats(&base);
  one_cycle(e, m, 0, &during);
  assert_int_equal(during.live_instances, base.live_instances + 1);
  assert_int_equal(during.live_memories, base.live_memories + 1);
  assert_int_equal(during.live_tables, base.live_tables + 1);
  assert_true(during.memory_committed_bytes >= base.memory_committed_bytes + PAGE);
  assert_true(during.memory_reserved_bytes >= during.memory_committed_bytes);
  assert_true(during.table_bytes >= base.table_bytes + 100 * 8);
  cycles(e, m, 1, CYCLES_WARM);
  kiln_runtime_stats(&warm);
  size_t rss_warm = resident_bytes();
  cycles(e, m, CYCLES_WARM, CYCLES);
  size_t rss_end = resident_bytes();
  kiln_runtime_stats(&end);
  expect_live_equal(&end, &base);
  expect_stats_equal(&end, &base);
  (void)warm;
  if (pooled) {
    kiln_pool_stats_t ps;
    kiln_engine_pool_stats(e, &ps);
    assert_int_equal(ps.cold, 1);
    assert_int_equal(ps.warm, CYCLES - 1);
    assert_int_equal(ps.fallbacks, 0);
    assert_int_equal(ps.slots_in_use, 0);
  }
  if (rss_end > rss_warm + RSS_BOUND)
    fail_msg("resident set grew by %zu KiB over %d cycles", (rss_end - rss_warm) >> 10,
             CYCLES - CYCLES_WARM);
  wasm_module_delete(m);
}

static void many_cycles_on_demand(void **state) {
  (void)state;
  wasm_engine_t *e = make_engine(false, 0);
  many_cycles(e, false);
  wasm_engine_delete(e);
}

static void many_cycles_pooled(void **state) {
  (void)state;
  wasm_engine_t *e = make_engine(true, 1);
  many_cycles(e, true);
  wasm_engine_delete(e);
}

/* ------------------------------------------------------------------------
 * The pool's statistics (kiln_engine_pool_stats)
 * ---------------------------------------------------------------------- */

static void expect_pool(const wasm_engine_t *e, kiln_pool_stats_t want) {
  kiln_pool_stats_t got;
  kiln_engine_pool_stats(e, &got);
  assert_int_equal(got.slots, want.slots);
  assert_int_equal(got.slots_in_use, want.slots_in_use);
  assert_int_equal(got.warm, want.warm);
  assert_int_equal(got.cold, want.cold);
  assert_int_equal(got.fallbacks, want.fallbacks);
  assert_int_equal(got.refused, want.refused);
}

static const char small_text[] =
    "(module (memory 1) (table 1 funcref) (func (export \"f\") (result i32) (i32.const 5)))";

/* Modules that do not fit a slot of small_pool (below): two memories, two
 * tables, more elements than max_table_elements (also more than the
 * default 10,000), more pages than max_memory_pages. */
static const char *const misfits[] = {
    "(module (memory 1) (memory 1))",
    "(module (table 1 funcref) (table 1 funcref))",
    "(module (table 20000 funcref))",
    "(module (memory 3))",
    "(module (table 200 funcref))",
};
#define NMISFITS (sizeof misfits / sizeof *misfits)

/* An engine without a pool reports zeros. */
static void test_pool_off(void **state) {
  (void)state;
  wasm_engine_t *e = make_engine(false, 0);
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, small_text);
  inst r;
  inst_new(&r, s, m, NULL, 0);
  expect_pool(e, (kiln_pool_stats_t){0});
  inst_delete(&r);
  wasm_module_delete(m);
  wasm_store_delete(s);
  expect_pool(e, (kiln_pool_stats_t){0});
  wasm_engine_delete(e);
}

/* n instances of m in s. */
static void instantiate_n(wasm_store_t *s, const wasm_module_t *m, int n) {
  for (int k = 0; k < n; k++) {
    inst r;
    inst_new(&r, s, m, NULL, 0);
    assert_int_equal(call0(get_func(&r, "f")), 5);
    inst_delete(&r);
  }
}

/* Slots are held by live instances and returned when their store goes. */
static void test_pool_slots(void **state) {
  (void)state;
  wasm_engine_t *e = make_engine(true, 4);
  expect_pool(e, (kiln_pool_stats_t){.slots = 4});
  wasm_module_t *m = wat(e, small_text);
  wasm_store_t *s1 = wasm_store_new(e), *s2 = wasm_store_new(e);
  instantiate_n(s1, m, 3);
  expect_pool(e, (kiln_pool_stats_t){.slots = 4, .slots_in_use = 3, .cold = 3});
  instantiate_n(s2, m, 1);
  expect_pool(e, (kiln_pool_stats_t){.slots = 4, .slots_in_use = 4, .cold = 4});
  wasm_store_delete(s1);
  expect_pool(e, (kiln_pool_stats_t){.slots = 4, .slots_in_use = 1, .cold = 4});
  wasm_store_delete(s2);
  expect_pool(e, (kiln_pool_stats_t){.slots = 4, .cold = 4});
  wasm_module_delete(m);
  wasm_engine_delete(e);
}

/* Warm: the slot last held the same module; cold: it held another (or a
 * failed instantiation of another).  An instantiation that traps still
 * took its slot (the store keeps the failed instance); one that fails to
 * link takes none. */
static void test_pool_warm_cold(void **state) {
  (void)state;
  wasm_engine_t *e = make_engine(true, 1);
  shapes x;
  shapes_new(&x, e);
  static const struct {
    int module; /* 0 m, 1 m2, 2 mt */
    int32_t trap;
    int code;
    uint64_t warm, cold;
  } steps[] = {
      {0, 0, OK, 0, 1},
      {0, 0, OK, 1, 1},
      {1, 0, OK, 1, 2},
      {0, 0, OK, 1, 3},
      {0, 1, KILN_TRAP_UNREACHABLE, 2, 3},
      {0, 0, OK, 3, 3},
      {2, 0, KILN_TRAP_TABLE_OOB, 3, 4},
      {0, 0, OK, 3, 5},
  };
  wasm_module_t *mods[3] = {x.m, x.m2, x.mt};
  const shape *sh[3] = {&shape_m, &shape_m2, &shape_mt};
  for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
    int i = steps[k].module;
    round_trip(e, mods[i], sh[i], steps[k].trap, steps[k].code);
    expect_pool(e, (kiln_pool_stats_t){.slots = 1, .warm = steps[k].warm,
                                       .cold = steps[k].cold});
  }
  wasm_store_t *s = wasm_store_new(e);
  inst_fails(s, x.m, NULL, 0, KILN_TRAP_LINK);
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .warm = 3, .cold = 5});
  wasm_store_delete(s);
  shapes_delete(&x);
  wasm_engine_delete(e);
}

/* Instantiates each misfit in s; `code` OK: each must succeed. */
static void try_misfits(wasm_engine_t *e, wasm_store_t *s, int code) {
  for (size_t k = 0; k < NMISFITS; k++) {
    wasm_module_t *m = wat(e, misfits[k]);
    if (code == OK) {
      inst r;
      inst_new(&r, s, m, NULL, 0);
      inst_delete(&r);
    } else {
      inst_fails(s, m, NULL, 0, (kiln_trap_code_t)code);
    }
    wasm_module_delete(m);
  }
}

static const kiln_pooling_config_t small_pool = {
    .instance_slots = 1, .max_memory_pages = 2, .max_table_elements = 100};

/* Without `strict`, an instantiation that cannot take a slot (all taken,
 * or the module does not fit) allocates on demand. */
static void test_pool_fallback(void **state) {
  (void)state;
  wasm_engine_t *e = make_pool_engine(&small_pool);
  wasm_module_t *m = wat(e, small_text);
  wasm_store_t *s = wasm_store_new(e);
  instantiate_n(s, m, 2);
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .slots_in_use = 1, .cold = 1, .fallbacks = 1});
  wasm_store_delete(s);
  s = wasm_store_new(e);
  try_misfits(e, s, OK); /* the slot is free, but they do not fit it */
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .cold = 1, .fallbacks = 1 + NMISFITS});
  wasm_store_delete(s);
  wasm_module_delete(m);
  wasm_engine_delete(e);
}

/* With `strict`, such an instantiation fails with a resource trap; the
 * store survives, and a slot returned is taken again. */
static void test_pool_strict(void **state) {
  (void)state;
  kiln_pooling_config_t cfg = small_pool;
  cfg.strict = true;
  wasm_engine_t *e = make_pool_engine(&cfg);
  wasm_module_t *m = wat(e, small_text);
  wasm_store_t *s = wasm_store_new(e);
  instantiate_n(s, m, 1);
  inst_fails(s, m, NULL, 0, KILN_TRAP_RESOURCE); /* the only slot is taken */
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .slots_in_use = 1, .cold = 1, .refused = 1});
  wasm_store_delete(s);
  s = wasm_store_new(e);
  try_misfits(e, s, KILN_TRAP_RESOURCE);
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .cold = 1, .refused = 1 + NMISFITS});
  instantiate_n(s, m, 1);
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .slots_in_use = 1, .warm = 1, .cold = 1,
                                     .refused = 1 + NMISFITS});
  wasm_store_delete(s);
  wasm_module_delete(m);
  wasm_engine_delete(e);
}

static const char grow_text[] =
    "(module (memory (export \"mem\") 1)\n"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))";

/* Grows a 1-page memory without a maximum page by page; the sizes it
 * reached (memory.grow's results) into got[0..n). */
static void grow_pages(wasm_engine_t *e, int32_t *got, int n) {
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, grow_text);
  inst r;
  inst_new(&r, s, m, NULL, 0);
  for (int k = 0; k < n; k++)
    got[k] = call1(get_func(&r, "grow"), 1);
  inst_delete(&r);
  wasm_module_delete(m);
  wasm_store_delete(s);
}

/* A memory in a slot grows at most to max_memory_pages (on demand, the
 * same module grows further). */
static void test_pool_max_pages(void **state) {
  (void)state;
  int32_t got[3];
  wasm_engine_t *e = make_engine(false, 0);
  grow_pages(e, got, 3);
  assert_int_equal(got[2], 3);
  wasm_engine_delete(e);
  e = make_pool_engine(&small_pool);
  grow_pages(e, got, 3);
  assert_int_equal(got[0], 1);
  assert_int_equal(got[1], -1);
  assert_int_equal(got[2], -1);
  expect_pool(e, (kiln_pool_stats_t){.slots = 1, .cold = 1});
  wasm_engine_delete(e);
}

/* ------------------------------------------------------------------------
 * Review reproducers
 * ---------------------------------------------------------------------- */

/* A declarative segment after a trapping active segment is not dropped yet
 * (Wasm 3.0: element segments are run in order, declarative ones dropped
 * in their turn; Wasm 2.0: declarative ones after every active one).  B's
 * $f, placed in A's table before the trap, can still table.init from it. */
static const char b_decl_trap[] =
    "(module (import \"a\" \"tab\" (table 10 funcref))\n"
    "  (import \"a\" \"mem\" (memory 1))\n"
    "  (table $own 1 funcref)\n"
    "  (func $g (result i32) (i32.const 42))\n"
    "  (func $f (result i32)\n"
    "    (table.init $own $decl (i32.const 0) (i32.const 0) (i32.const 1))\n"
    "    (call_indirect $own (result i32) (i32.const 0)))\n"
    "  (elem (table 0) (i32.const 0) func $f)\n"
    "  (elem (table 0) (i32.const 10) func $f)\n"
    "  (elem $decl declare func $g))";

static void partial_declarative(wasm_engine_t *e) {
  provider p;
  provider_open(&p, e);
  b_fails(&p, e, b_decl_trap, KILN_TRAP_TABLE_OOB);
  wasm_ref_t *r = wasm_table_get(p.tab, 0);
  assert_non_null(r);
  wasm_val_t v;
  wasm_trap_t *t = try_call(wasm_ref_as_func(r), NULL, &v);
  wasm_ref_delete(r);
  if (t) {
    wasm_message_t msg;
    wasm_trap_message(t, &msg);
    fail_msg("the declarative segment was dropped before its turn: %s", msg.data);
  }
  assert_int_equal(v.of.i32, 42);
  provider_close(&p);
}
ON_BOTH(partial_declarative, 4)

/* kiln_runtime_stats' table bytes come back to where they were after an
 * instance whose table grew is gone. */
static const char table_grow_text[] =
    "(module (table (export \"tab\") 1 funcref)\n"
    "  (func (export \"grow\") (result i32) (table.grow (ref.null func) (i32.const 5))))";

static void table_grow_stats(wasm_engine_t *e) {
  wasm_module_t *m = wat(e, table_grow_text);
  kiln_runtime_stats_t before, after;
  kiln_runtime_stats(&before);
  for (int k = 0; k < 2; k++) {
    wasm_store_t *s = wasm_store_new(e);
    inst r;
    inst_new(&r, s, m, NULL, 0);
    assert_int_equal(call0(get_func(&r, "grow")), 1);
    inst_delete(&r);
    wasm_store_delete(s);
  }
  kiln_runtime_stats(&after);
  expect_stats_equal(&after, &before);
  wasm_module_delete(m);
}
ON_BOTH(table_grow_stats, 1)

/* With no memfd for the image (here: no file descriptor left), the image is
 * copied into the memory; a warm slot must still hold it. */
#include <fcntl.h>
#include <sys/resource.h>

static const char image_text[] =
    "(module (memory (export \"mem\") 1) (data (i32.const 100) \"hello\"))";

static void image_without_memfd(wasm_engine_t *e) {
  wasm_module_t *m = wat(e, image_text);
  kiln_diagnostic_t d;
  assert_true(kiln_module_compile(m, &d));
  wasm_store_t *s = wasm_store_new(e);
  /* every descriptor below a lowered limit taken: memfd_create fails */
  struct rlimit old, low;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
  low = old;
  low.rlim_cur = 1024;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  static int fds[1024];
  int n = 0;
  while (n < 1024 && (fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
    n++;
  inst r;
  inst_new(&r, s, m, NULL, 0);
  while (n > 0)
    close(fds[--n]);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
  expect_bytes(get_memory(&r, "mem"), 100, "hello", 5);
  inst_delete(&r);
  wasm_store_delete(s);
  for (int k = 0; k < 2; k++) { /* pooled: warm */
    s = wasm_store_new(e);
    inst_new(&r, s, m, NULL, 0);
    expect_bytes(get_memory(&r, "mem"), 100, "hello", 5);
    inst_delete(&r);
    wasm_store_delete(s);
  }
  wasm_module_delete(m);
}
ON_BOTH(image_without_memfd, 1)

/* A table declared without a maximum has none, pooled too: an import that
 * asks for a maximum does not match it (Wasm 3.0 import matching), and
 * wasm_table_type reports none. */
static void table_no_max(wasm_engine_t *e) {
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *a = wat(e, "(module (table (export \"tab\") 1 funcref))");
  wasm_module_t *b = wat(e, "(module (import \"a\" \"tab\" (table 1 20000 funcref)))");
  inst ra;
  inst_new(&ra, s, a, NULL, 0);
  wasm_table_t *tab = get_table(&ra, "tab");
  wasm_extern_t *imports[1] = {wasm_table_as_extern(tab)};
  inst rb;
  wasm_trap_t *t = try_new(&rb, s, b, imports, 1);
  if (!t)
    fail_msg("a table without a maximum matched an import with one");
  expect_trap(t, KILN_TRAP_LINK);
  wasm_tabletype_t *tt = wasm_table_type(tab);
  const wasm_limits_t *lim = wasm_tabletype_limits(tt);
  assert_int_equal(lim->max, wasm_limits_max_default);
  wasm_tabletype_delete(tt);
  inst_delete(&ra);
  wasm_module_delete(a);
  wasm_module_delete(b);
  wasm_store_delete(s);
}
ON_BOTH(table_no_max, 4)

/* A module whose table cannot be instantiated (more elements than Kiln's
 * limit of 10^7) costs no memory to compile: its table image is not
 * built. */
static size_t max_rss(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  assert_non_null(fp);
  char line[256];
  size_t kib = 0;
  while (fgets(line, sizeof line, fp))
    if (sscanf(line, "VmHWM: %zu kB", &kib) == 1)
      break;
  fclose(fp);
  return kib << 10;
}

static void huge_table_image(wasm_engine_t *e) {
  wasm_module_t *m =
      wat(e, "(module (type $t (func)) (func $f (type $t))\n"
             "  (table 100000000 funcref (ref.func $f)))");
  FILE *cr = fopen("/proc/self/clear_refs", "w"); /* resets VmHWM */
  if (cr) {
    fputs("5", cr);
    fclose(cr);
  }
  size_t before = max_rss();
  wasm_store_t *s = wasm_store_new(e);
  inst_fails(s, m, NULL, 0, KILN_TRAP_RESOURCE);
  wasm_store_delete(s);
  size_t after = max_rss();
  if (after > before + (64u << 20))
    fail_msg("instantiating grew the resident set by %zu MiB", (after - before) >> 20);
  wasm_module_delete(m);
}
ON_BOTH(huge_table_image, 4)

/* Memories declared without a maximum have none, pooled too, whatever the
 * slot's max_memory_pages: an import asking for a maximum does not match. */
static void test_pool_memory_no_max(void **state) {
  (void)state;
  for (int pooled = 0; pooled < 2; pooled++) {
    wasm_engine_t *e = make_pool_engine(pooled ? &small_pool : NULL);
    wasm_store_t *s = wasm_store_new(e);
    wasm_module_t *a = wat(e, "(module (memory (export \"mem\") 1))");
    wasm_module_t *b = wat(e, "(module (import \"a\" \"mem\" (memory 1 3)))");
    inst ra, rb;
    inst_new(&ra, s, a, NULL, 0);
    wasm_extern_t *imports[1] = {get(&ra, "mem")};
    wasm_trap_t *t = try_new(&rb, s, b, imports, 1);
    if (!t)
      fail_msg("%s: a memory without a maximum matched an import with one",
               pooled ? "pooled" : "on demand");
    expect_trap(t, KILN_TRAP_LINK);
    inst_delete(&ra);
    wasm_module_delete(a);
    wasm_module_delete(b);
    wasm_store_delete(s);
    wasm_engine_delete(e);
  }
}

/* Instances of one module in one slot, each with imports of its own: a
 * host function, a global, and the host function in a table initializer
 * and an element segment (neither folds). */
static const char imports_text[] =
    "(module (import \"h\" \"f\" (func $h (result i32)))\n"
    "  (import \"h\" \"g\" (global $g i32))\n"
    "  (table $t 2 funcref (ref.func $h))\n"
    "  (table $u 2 funcref)\n"
    "  (elem (table $u) (global.get $g) func $h)\n"
    "  (global $c i32 (global.get $g))\n"
    "  (func (export \"f\") (result i32) (call $h))\n"
    "  (func (export \"g\") (result i32) (global.get $c))\n"
    "  (func (export \"t\") (result i32) (call_indirect $t (result i32) (i32.const 1)))\n"
    "  (func (export \"u\") (param i32) (result i32)\n"
    "    (call_indirect $u (result i32) (local.get 0))))";

static wasm_trap_t *host_7(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  results->data[0] = (wasm_val_t)WASM_I32_VAL(7);
  return NULL;
}

static void warm_imports(wasm_engine_t *e) {
  wasm_module_t *m = wat(e, imports_text);
  wasm_functype_t *ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  for (int k = 0; k < 4; k++) {
    wasm_store_t *s = wasm_store_new(e);
    wasm_val_t gv = WASM_I32_VAL(k & 1);
    wasm_global_t *g = wasm_global_new(s, gt, &gv);
    wasm_func_t *fn = wasm_func_new(s, ft, k & 1 ? host_7 : host_42);
    wasm_extern_t *imports[2] = {wasm_func_as_extern(fn), wasm_global_as_extern(g)};
    inst r;
    inst_new(&r, s, m, imports, 2);
    int32_t want = k & 1 ? 7 : 42;
    assert_int_equal(call0(get_func(&r, "f")), want);
    assert_int_equal(call0(get_func(&r, "g")), k & 1);
    assert_int_equal(call0(get_func(&r, "t")), want);
    assert_int_equal(call1(get_func(&r, "u"), k & 1), want);
    wasm_trap_t *t = try_call(get_func(&r, "u"), &(wasm_val_t)WASM_I32_VAL(1 - (k & 1)), NULL);
    assert_non_null(t); /* the other entry stays null */
    wasm_trap_delete(t);
    inst_delete(&r);
    wasm_func_delete(fn);
    wasm_global_delete(g);
    wasm_store_delete(s);
  }
  wasm_globaltype_delete(gt);
  wasm_functype_delete(ft);
  wasm_module_delete(m);
}
ON_BOTH(warm_imports, 1)

int main(void) {
  const struct CMUnitTest tests[] = {
      BOTH(partial_elem),
      BOTH(partial_data),
      BOTH(partial_start),
      BOTH(trapping_segments),
      BOTH(initializers),
      BOTH(init_v128),
      BOTH(slot_reuse),
      cmocka_unit_test(many_cycles_on_demand),
      cmocka_unit_test(many_cycles_pooled),
      cmocka_unit_test(test_pool_off),
      cmocka_unit_test(test_pool_slots),
      cmocka_unit_test(test_pool_warm_cold),
      cmocka_unit_test(test_pool_fallback),
      cmocka_unit_test(test_pool_strict),
      cmocka_unit_test(test_pool_max_pages),
      BOTH(partial_declarative),
      BOTH(table_grow_stats),
      BOTH(image_without_memfd),
      BOTH(table_no_max),
      BOTH(huge_table_image),
      cmocka_unit_test(test_pool_memory_no_max),
      BOTH(warm_imports),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
