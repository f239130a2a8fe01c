/* tests/unit/test_externref.c — externref values end to end, through the
 * public API (kiln.h): boxes made by kiln_externref_new, stored into tables,
 * globals and element segments from Wasm (jit/ code and the init routine)
 * and from the API, every store through the write barrier.  Each test
 * checks the heap verifier after every step, that an object lives while
 * something holds it, and that it is freed at a reclamation point once
 * nothing does, its finalizer running exactly once.
 *
 * Module: tests/unit/jit/externref.wat (wat2wasm at build time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kiln.h"
#include "wasm.h"

#ifndef JIT_TEST_DIR
#error "JIT_TEST_DIR must name the directory of the compiled test modules"
#endif

enum { NBOX = 4 };

/* One test's world: a store, the module instantiated with a host global
 * "gx", its exports by name, and finalizer counters (box i's data is
 * &fin[i]). */
typedef struct world {
  wasm_engine_t *engine;
  wasm_store_t *store;
  wasm_module_t *module;
  wasm_global_t *gx, *gc;
  wasm_instance_t *instance;
  wasm_extern_vec_t exports;
  wasm_exporttype_vec_t types;
  int fin[NBOX];
} world;

static void finalize(void *data) { (*(int *)data)++; }

static wasm_ref_t *box(world *w, int i) {
  wasm_ref_t *r = kiln_externref_new(w->store, &w->fin[i], finalize);
  assert_non_null(r);
  assert_ptr_equal(kiln_externref_data(r), &w->fin[i]);
  return r;
}

static void verify(world *w) {
  char err[256];
  size_t n = kiln_store_gc_verify(w->store, err, sizeof err);
  if (n) fail_msg("heap verifier: %zu problems, first: %s", n, err);
}

static uint64_t live(world *w) {
  kiln_gc_stats_t st;
  kiln_store_gc_stats(w->store, &st);
  return st.live_objects;
}

/* Reclaims and returns the live objects left. */
static uint64_t collect(world *w) {
  kiln_store_gc_collect(w->store);
  verify(w);
  return live(w);
}

static wasm_extern_t *export(world *w, const char *name) {
  for (size_t i = 0; i < w->types.size; i++) {
    const wasm_name_t *n = wasm_exporttype_name(w->types.data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
      return w->exports.data[i];
  }
  fail_msg("no export %s", name);
  return NULL;
}

static wasm_val_t ref_val(wasm_ref_t *r) {
  wasm_val_t v = {.kind = WASM_EXTERNREF, .of = {.ref = r}};
  return v;
}
static wasm_val_t i32_val(int32_t x) {
  wasm_val_t v = {.kind = WASM_I32, .of = {.i32 = x}};
  return v;
}

/* Calls export `name` with n arguments; returns its result (if any: a new
 * handle for a reference, owned by the caller). */
static wasm_val_t call(world *w, const char *name, size_t n, ...) {
  wasm_val_t args[3];
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) args[i] = va_arg(ap, wasm_val_t);
  va_end(ap);
  wasm_val_t res[1] = {i32_val(0)};
  wasm_val_vec_t av = {n, args}, rv = {1, res};
  wasm_trap_t *t = wasm_func_call(wasm_extern_as_func(export(w, name)), &av, &rv);
  if (t) {
    wasm_trap_delete(t);
    res[0].kind = WASM_I32;
    res[0].of.i64 = -1;
  }
  return res[0];
}

static bool traps(world *w, const char *name, size_t n, wasm_val_t *args) {
  wasm_val_t res[1];
  wasm_val_vec_t av = {n, args}, rv = {1, res};
  wasm_trap_t *t = wasm_func_call(wasm_extern_as_func(export(w, name)), &av, &rv);
  bool trapped = t != NULL;
  wasm_trap_delete(t);
  return trapped;
}

/* The data of the box at table slot i (read from Wasm), NULL for null. */
static void *slot_data(world *w, int32_t i) {
  wasm_val_t v = call(w, "get", 1, i32_val(i));
  assert_int_equal(v.kind, WASM_EXTERNREF);
  void *d = kiln_externref_data(v.of.ref);
  wasm_val_delete(&v);
  return d;
}

static void world_new(world *w) {
  memset(w, 0, sizeof *w);
  w->engine = wasm_engine_new();
  w->store = wasm_store_new(w->engine);
  assert_non_null(w->store);
  char path[512];
  snprintf(path, sizeof path, "%s/externref.wasm", JIT_TEST_DIR);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  /* the segment's items 0 and 2: ref.null extern -> global.get $gc (1) */
  static const unsigned char nulls[9] = {0xd0, 0x6f, 0x0b, 0xd0, 0x6f,
                                         0x0b, 0xd0, 0x6f, 0x0b};
  int found = 0;
  for (size_t i = 0; i + 9 <= n; i++)
    if (memcmp(buf + i, nulls, 9) == 0) {
      buf[i] = buf[i + 6] = 0x23;
      buf[i + 1] = buf[i + 7] = 0x01;
      found++;
    }
  assert_int_equal(found, 1);
  wasm_byte_vec_t bytes = {n, buf};
  w->module = wasm_module_new(w->store, &bytes);
  assert_non_null(w->module);
  wasm_exporttype_vec_new_empty(&w->types);
  wasm_module_exports(w->module, &w->types);
}

/* gc_init: the value of the immutable imported global "gc", which
 * initializes "gi" and items 0 and 2 of the segment (borrowed). */
static void world_instantiate(world *w, wasm_ref_t *gc_init) {
  wasm_globaltype_t *gt =
      wasm_globaltype_new(wasm_valtype_new(WASM_EXTERNREF), WASM_VAR);
  wasm_val_t v = ref_val(NULL);
  w->gx = wasm_global_new(w->store, gt, &v);
  wasm_globaltype_delete(gt);
  assert_non_null(w->gx);
  gt = wasm_globaltype_new(wasm_valtype_new(WASM_EXTERNREF), WASM_CONST);
  v = ref_val(gc_init);
  w->gc = wasm_global_new(w->store, gt, &v);
  wasm_globaltype_delete(gt);
  assert_non_null(w->gc);
  wasm_extern_t *imp[2] = {wasm_global_as_extern(w->gx), wasm_global_as_extern(w->gc)};
  wasm_extern_vec_t imports = {2, imp};
  wasm_trap_t *trap = NULL;
  w->instance = wasm_instance_new(w->store, w->module, &imports, &trap);
  assert_null(trap);
  assert_non_null(w->instance);
  wasm_instance_exports(w->instance, &w->exports);
  verify(w);
}

/* Deletes the store; every finalizer must have run exactly once by then. */
static void world_free(world *w, int boxes) {
  wasm_extern_vec_delete(&w->exports);
  wasm_exporttype_vec_delete(&w->types);
  wasm_instance_delete(w->instance);
  wasm_global_delete(w->gx);
  wasm_global_delete(w->gc);
  wasm_module_delete(w->module);
  wasm_store_delete(w->store);
  wasm_engine_delete(w->engine);
  for (int i = 0; i < boxes; i++) assert_int_equal(w->fin[i], 1);
}

/* table.set from Wasm and wasm_table_set, overwritten twice, nulled. */
static void test_table_set(void **state) {
  (void)state;
  world w;
  world_new(&w);
  world_instantiate(&w, NULL);
  wasm_table_t *t = wasm_extern_as_table(export(&w, "t"));
  wasm_ref_t *a = box(&w, 0), *b = box(&w, 1), *c = box(&w, 2);
  assert_int_equal(live(&w), 3);

  call(&w, "set", 2, i32_val(0), ref_val(a));            /* from Wasm */
  assert_true(wasm_table_set(t, 1, b));                 /* from the API */
  verify(&w);
  assert_ptr_equal(slot_data(&w, 0), &w.fin[0]);
  wasm_ref_t *r = wasm_table_get(t, 1);
  assert_ptr_equal(kiln_externref_data(r), &w.fin[1]);
  assert_true(wasm_ref_same(r, b));
  wasm_ref_delete(r);

  /* handles dropped: the table holds them */
  wasm_ref_delete(a);
  wasm_ref_delete(b);
  assert_int_equal(collect(&w), 3);
  assert_int_equal(w.fin[0] + w.fin[1], 0);

  /* slot 0 overwritten twice: a (only there) dies, b is also in slot 1 */
  r = wasm_table_get(t, 1);
  call(&w, "set", 2, i32_val(0), ref_val(r));
  assert_int_equal(collect(&w), 2);
  assert_int_equal(w.fin[0], 1);
  assert_true(wasm_table_set(t, 0, c));
  wasm_ref_delete(r);
  wasm_ref_delete(c);
  assert_int_equal(collect(&w), 2);
  assert_ptr_equal(slot_data(&w, 0), &w.fin[2]);
  assert_ptr_equal(slot_data(&w, 1), &w.fin[1]);

  /* nulled, once from each side */
  call(&w, "set", 2, i32_val(1), ref_val(NULL));
  assert_true(wasm_table_set(t, 0, NULL));
  assert_null(slot_data(&w, 0));
  assert_int_equal(collect(&w), 0);
  assert_int_equal(w.fin[1], 1);
  assert_int_equal(w.fin[2], 1);
  world_free(&w, 3);
}

/* table.grow with an externref init value (delta 0 and more), and
 * wasm_table_grow. */
static void test_table_grow(void **state) {
  (void)state;
  world w;
  world_new(&w);
  world_instantiate(&w, NULL);
  wasm_table_t *t = wasm_extern_as_table(export(&w, "t"));
  wasm_ref_t *a = box(&w, 0), *b = box(&w, 1);
  wasm_val_t v = call(&w, "grow", 2, ref_val(a), i32_val(0));
  assert_int_equal(v.of.i32, 4);
  verify(&w);
  v = call(&w, "grow", 2, ref_val(a), i32_val(2));
  assert_int_equal(v.of.i32, 4);
  assert_true(wasm_table_grow(t, 1, b));
  assert_int_equal(wasm_table_size(t), 7);
  v = call(&w, "grow", 2, ref_val(b), i32_val(5)); /* beyond the maximum */
  assert_int_equal(v.of.i32, -1);
  wasm_ref_delete(a);
  wasm_ref_delete(b);
  assert_int_equal(collect(&w), 2);
  assert_ptr_equal(slot_data(&w, 5), &w.fin[0]);
  assert_ptr_equal(slot_data(&w, 6), &w.fin[1]);
  call(&w, "fill", 3, i32_val(4), ref_val(NULL), i32_val(3));
  assert_int_equal(collect(&w), 0);
  world_free(&w, 2);
}

/* table.fill and table.copy over live references, overlapping both ways;
 * a trapping copy changes nothing. */
static void test_table_fill_copy(void **state) {
  (void)state;
  world w;
  world_new(&w);
  world_instantiate(&w, NULL);
  wasm_ref_t *a = box(&w, 0), *b = box(&w, 1), *c = box(&w, 2);
  call(&w, "fill", 3, i32_val(0), ref_val(a), i32_val(4));
  verify(&w);
  call(&w, "fill", 3, i32_val(1), ref_val(b), i32_val(2)); /* over a */
  call(&w, "set", 2, i32_val(3), ref_val(c));
  verify(&w); /* [a b b c] */
  wasm_ref_delete(a);
  wasm_ref_delete(b);
  wasm_ref_delete(c);
  assert_int_equal(collect(&w), 3);

  call(&w, "copy", 3, i32_val(1), i32_val(0), i32_val(3)); /* d > s */
  assert_int_equal(collect(&w), 2);                        /* [a a b b]: c dies */
  assert_int_equal(w.fin[2], 1);
  assert_ptr_equal(slot_data(&w, 0), &w.fin[0]);
  assert_ptr_equal(slot_data(&w, 1), &w.fin[0]);
  assert_ptr_equal(slot_data(&w, 2), &w.fin[1]);
  assert_ptr_equal(slot_data(&w, 3), &w.fin[1]);
  call(&w, "copy", 3, i32_val(0), i32_val(2), i32_val(2)); /* d < s */
  assert_int_equal(collect(&w), 1);                        /* [b b b b]: a dies */
  assert_int_equal(w.fin[0], 1);

  wasm_val_t args[3] = {i32_val(2), i32_val(0), i32_val(3)};
  assert_true(traps(&w, "copy", 3, args));
  assert_int_equal(collect(&w), 1);

  call(&w, "fill", 3, i32_val(0), ref_val(NULL), i32_val(4));
  assert_int_equal(collect(&w), 0);
  world_free(&w, 3);
}

/* global.set from Wasm (a defined and an imported global) and
 * wasm_global_set; results come back as new handles. */
static void test_globals(void **state) {
  (void)state;
  world w;
  world_new(&w);
  world_instantiate(&w, NULL);
  wasm_global_t *g = wasm_extern_as_global(export(&w, "g"));
  wasm_ref_t *a = box(&w, 0), *b = box(&w, 1), *c = box(&w, 2);
  call(&w, "gset", 1, ref_val(a));
  wasm_val_t v = call(&w, "gget", 0);
  assert_true(wasm_ref_same(v.of.ref, a));
  wasm_val_delete(&v);
  call(&w, "gxset", 1, ref_val(c));
  verify(&w);

  wasm_val_t bv = ref_val(b);
  wasm_global_set(g, &bv); /* a loses its only holder but its handle */
  wasm_global_get(g, &v);
  assert_ptr_equal(kiln_externref_data(v.of.ref), &w.fin[1]);
  wasm_val_delete(&v);
  wasm_global_get(w.gx, &v);
  assert_ptr_equal(kiln_externref_data(v.of.ref), &w.fin[2]);
  wasm_val_delete(&v);
  v = call(&w, "id", 1, ref_val(a));
  assert_true(wasm_ref_same(v.of.ref, a));
  wasm_val_delete(&v);

  wasm_ref_delete(a);
  wasm_ref_delete(b);
  wasm_ref_delete(c);
  assert_int_equal(collect(&w), 2);
  assert_int_equal(w.fin[0], 1);

  call(&w, "gset", 1, ref_val(NULL)); /* the global was b */
  wasm_val_t nv = ref_val(NULL);
  wasm_global_set(w.gx, &nv);
  assert_int_equal(collect(&w), 0);
  world_free(&w, 3);
}

/* The init routine's stores: a global initialized from the imported one,
 * segment items; table.init copies items, elem.drop releases them.  The
 * immutable global keeps its box until the store dies. */
static void test_init_and_segments(void **state) {
  (void)state;
  world w;
  world_new(&w);
  wasm_ref_t *d = box(&w, 0);
  world_instantiate(&w, d);
  wasm_ref_delete(d);
  /* held by gc, gi and two segment items */
  assert_int_equal(collect(&w), 1);

  call(&w, "init", 3, i32_val(1), i32_val(0), i32_val(3));
  verify(&w);
  assert_ptr_equal(slot_data(&w, 1), &w.fin[0]);
  assert_null(slot_data(&w, 2));
  assert_ptr_equal(slot_data(&w, 3), &w.fin[0]);
  call(&w, "drop", 0);
  verify(&w);
  call(&w, "fill", 3, i32_val(0), ref_val(NULL), i32_val(4));
  assert_int_equal(collect(&w), 1); /* gc and gi (immutable) */
  wasm_global_t *gi = wasm_extern_as_global(export(&w, "gi"));
  wasm_val_t v;
  wasm_global_get(gi, &v);
  assert_ptr_equal(kiln_externref_data(v.of.ref), &w.fin[0]);
  wasm_val_delete(&v);
  assert_int_equal(w.fin[0], 0);
  world_free(&w, 1); /* the store's deletion finalizes it, once */
}

/* A box nothing holds is freed when the outermost call returns; a handle
 * keeps one alive across calls; a box of another store is refused. */
static void test_reclaim_points(void **state) {
  (void)state;
  world w;
  world_new(&w);
  world_instantiate(&w, NULL);
  wasm_ref_t *a = box(&w, 0);
  wasm_val_t v = call(&w, "id", 1, ref_val(a));
  wasm_ref_delete(a);
  call(&w, "size", 0); /* a reclamation point: v's handle holds it */
  assert_int_equal(live(&w), 1);
  wasm_val_delete(&v);
  call(&w, "size", 0);
  assert_int_equal(live(&w), 0);
  assert_int_equal(w.fin[0], 1);

  wasm_store_t *other = wasm_store_new(w.engine);
  int fin = 0;
  wasm_ref_t *x = kiln_externref_new(other, &fin, finalize);
  wasm_table_t *t = wasm_extern_as_table(export(&w, "t"));
  assert_false(wasm_table_set(t, 0, x));
  wasm_ref_delete(x);
  wasm_store_delete(other);
  assert_int_equal(fin, 1);
  world_free(&w, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_set),
      cmocka_unit_test(test_table_grow),
      cmocka_unit_test(test_table_fill_copy),
      cmocka_unit_test(test_globals),
      cmocka_unit_test(test_init_and_segments),
      cmocka_unit_test(test_reclaim_points),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
