/* tests/unit/test_gc_wasm.c — collections while Wasm code runs, through the
 * public API: a loop that allocates without returning to the host must run
 * in bounded memory under a heap limit (the collector scans the Wasm frames
 * at its allocations), what the frames still hold must survive, and cycles
 * must be reclaimed by the backup tracer (kiln_store_gc_collect).  Each
 * test ends with the heap verifier and the live counts. */
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

#include "gc_world.h"

/* 10^6 arrays of 256 bytes (256 MB in all) allocated and dropped in one
 * call, under a 1 MiB heap: without collections inside Wasm the 4,000th
 * would trap (KILN_TRAP_HEAP_EXHAUSTED). */
static const char churn_wat[] =
    "(module (type $a (array (mut i32)))\n"
    "  (func (export \"churn\") (param $n i32)\n"
    "    (loop $l\n"
    "      (drop (array.new_default $a (i32.const 60)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))";

static void test_bounded_loop(void **state) {
  (void)state;
  world w;
  open_world(&w, churn_wat, (world_opts){1 << 20, false, 0});
  assert_int_equal(call1(&w, "churn", 1000000, NULL), -1);
  kiln_gc_stats_t st = stats(&w);
  assert_true(st.allocations >= 1000000);
  assert_true(st.committed_bytes <= (1 << 20));
  assert_true(st.collections > 0);
  assert_int_equal(st.traced_frees, 0); /* acyclic: counting freed everything */
  verify(&w);
  assert_int_equal(kiln_store_gc_collect(w.store), 0); /* the call's return freed the rest */
  assert_int_equal(stats(&w).live_objects, 0);
  close_world(&w);
}

/* 10^7 struct.new in one Wasm call under a 16 MiB heap limit (320 MB of
 * structs in all), each kept in a global until the next replaces it: the
 * collections inside the loop keep the heap bounded, and counting alone
 * frees everything (acyclic: the tracer freed nothing). */
static void test_ten_million_structs(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $p (struct (field i32) (field i64)))\n"
      "  (global $last (mut (ref null $p)) (ref.null $p))\n"
      "  (func (export \"run\") (param $n i32) (result i32)\n"
      "    (loop $l\n"
      "      (global.set $last (struct.new $p (local.get $n) (i64.extend_i32_u (local.get $n))))\n"
      "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
      "    (struct.get $p 0 (global.get $last))))";
  world w;
  open_world(&w, wat, (world_opts){16 << 20, false, 0});
  int32_t last = 0;
  assert_int_equal(call1(&w, "run", 10000000, &last), -1);
  assert_int_equal(last, 1);
  kiln_gc_stats_t st = stats(&w);
  assert_true(st.allocations >= 10000000);
  assert_true(st.committed_bytes <= (16 << 20));
  assert_int_equal(st.traced_frees, 0);
  assert_int_equal(st.live_objects, 1); /* the one in the global */
  verify(&w);
  close_world(&w);
}

/* The same loop, under a heap too small for even one array, traps with
 * heap exhausted, and the store survives. */
static void test_exhausted(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $a (array (mut i64)))\n"
      "  (global $keep (mut (ref null $a)) (ref.null $a))\n"
      "  (func (export \"hoard\") (param $n i32)\n"
      "    (loop $l\n"
      "      (global.set $keep (array.new_default $a (i32.const 100000)))\n"
      "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))";
  world w;
  open_world(&w, wat, (world_opts){1 << 20, false, 0});
  assert_int_equal(call1(&w, "hoard", 3, NULL), KILN_TRAP_HEAP_EXHAUSTED);
  verify(&w);
  close_world(&w);
}

/* Stress mode: a collection (frames scanned, cycles traced) at every
 * allocation.  A host function called in the loop reads the live count:
 * never more than the two arrays the frames may still hold (without
 * collections inside Wasm it would climb to 2,000). */
static wasm_store_t *probe_store;
static uint64_t probe_max;

static wasm_trap_t *probe(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  kiln_gc_stats_t st;
  kiln_store_gc_stats(probe_store, &st);
  if (st.live_objects > probe_max)
    probe_max = st.live_objects;
  return NULL;
}

static void test_stress_loop(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $a (array (mut i32)))\n"
      "  (import \"h\" \"probe\" (func $probe))\n"
      "  (func (export \"churn\") (param $n i32)\n"
      "    (loop $l\n"
      "      (drop (array.new_default $a (i32.const 60)))\n"
      "      (call $probe)\n"
      "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))";
  for (int stress = 0; stress < 2; stress++) {
    wasm_config_t *cfg = wasm_config_new();
    kiln_config_set_gc_stress(cfg, stress);
    wasm_engine_t *e = wasm_engine_new_with_config(cfg);
    wasm_store_t *s = wasm_store_new(e);
    probe_store = s;
    probe_max = 0;
    wasm_functype_t *ft = wasm_functype_new_0_0();
    wasm_func_t *pf = wasm_func_new(s, ft, probe);
    wasm_functype_delete(ft);
    wasm_byte_vec_t bin;
    kiln_text_error_t err;
    assert_true(kiln_wat2wasm(wat, strlen(wat), &bin, &err));
    wasm_module_t *m = wasm_module_new(s, &bin);
    wasm_byte_vec_delete(&bin);
    wasm_extern_t *imp[1] = {wasm_func_as_extern(pf)};
    wasm_extern_vec_t imports = WASM_ARRAY_VEC(imp);
    wasm_instance_t *inst = wasm_instance_new(s, m, &imports, NULL);
    assert_non_null(inst);
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    wasm_val_t a[1] = {WASM_I32_VAL(2000)};
    wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_EMPTY_VEC;
    assert_null(wasm_func_call(wasm_extern_as_func(ex.data[0]), &args, &res));
    if (stress)
      assert_true(probe_max <= 2);
    else
      assert_int_equal(probe_max, 2000);
    char msg[256];
    assert_int_equal(kiln_store_gc_verify(s, msg, sizeof msg), 0);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_module_delete(m);
    wasm_func_delete(pf);
    wasm_store_delete(s);
    wasm_engine_delete(e);
  }
}

/* An element segment of 1,000 array.new_default expressions and globals
 * holding arrays, evaluated by the init routine in stress mode (a full
 * collection at every one of its allocations) under a heap limit: every
 * array survives, held by the segment or a global, the table filled from
 * the segment holds them, and the counts are exact. */
static void test_init_collections(void **state) {
  (void)state;
  char *wat = malloc(100000);
  assert_non_null(wat);
  int n = sprintf(wat,
                  "(module (type $a (array (mut i32)))\n"
                  "  (table $t 1000 (ref null $a))\n"
                  "  (global $g0 (ref null $a) (array.new_default $a (i32.const 7)))\n"
                  "  (global $g1 (mut (ref null $a)) (array.new_default $a (i32.const 9)))\n"
                  "  (elem $e (ref null $a)");
  for (int i = 0; i < 1000; i++)
    n += sprintf(wat + n, " (item (array.new_default $a (i32.const %d)))", 1 + i % 50);
  sprintf(wat + n, ")\n"
                   "  (func (export \"fill\") (param i32) (result i32)\n"
                   "    (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1000))\n"
                   "    (ref.is_null (table.get $t (local.get 0)))))");
  world w;
  open_world(&w, wat, (world_opts){4 << 20, true, 0});
  free(wat);
  kiln_gc_stats_t st = stats(&w);
  assert_int_equal(st.live_objects, 1002);
  assert_true(st.collections >= 1000); /* inside the init routine */
  verify(&w);
  int32_t is_null = 1;
  assert_int_equal(call1(&w, "fill", 999, &is_null), -1);
  assert_int_equal(is_null, 0);
  verify(&w);
  assert_int_equal(stats(&w).live_objects, 1002);
  close_world(&w);
}

/* Cycles through struct fields, through arrays, and a cycle held by a
 * table slot: counting keeps them (their counts never reach 0); once
 * nothing holds them, kiln_store_gc_collect's tracer frees every object,
 * and the verifier agrees before and after. */
static void test_cycles(void **state) {
  (void)state;
  static const char wat[] =
      "(module\n"
      "  (type $s (struct (field (mut (ref null $s))) (field i32)))\n"
      "  (type $a (array (mut anyref)))\n"
      "  (table $t 4 anyref)\n"
      "  (func (export \"structs\") (param i32) (local $x (ref null $s)) (local $y (ref null $s))\n"
      "    (local.set $x (struct.new $s (ref.null $s) (i32.const 1)))\n"
      "    (local.set $y (struct.new $s (local.get $x) (i32.const 2)))\n"
      "    (struct.set $s 0 (local.get $x) (local.get $y)))\n"         /* x <-> y */
      "  (func (export \"arrays\") (param i32) (local $a (ref null $a)) (local $b (ref null $a))\n"
      "    (local.set $a (array.new_default $a (i32.const 3)))\n"
      "    (local.set $b (array.new_default $a (i32.const 100000)))\n" /* a large one */
      "    (array.set $a (local.get $a) (i32.const 2) (local.get $b))\n"
      "    (array.set $a (local.get $b) (i32.const 99999) (local.get $a)))\n"
      "  (func (export \"tabled\") (param i32) (local $x (ref null $s))\n"
      "    (local.set $x (struct.new $s (ref.null $s) (i32.const 3)))\n"
      "    (struct.set $s 0 (local.get $x) (local.get $x))\n"
      "    (table.set $t (i32.const 1) (local.get $x)))\n"
      "  (func (export \"untable\") (param i32) (table.set $t (i32.const 1) (ref.null any))))";
  world w;
  open_world(&w, wat, (world_opts){0, false, 0});
  static const char *const make[] = {"structs", "arrays", "tabled"};
  for (size_t k = 0; k < 3; k++)
    assert_int_equal(call1(&w, make[k], 0, NULL), -1);
  /* the calls returned: counting freed what it could, which is nothing */
  assert_int_equal(stats(&w).live_objects, 5);
  verify(&w);
  assert_int_equal(kiln_store_gc_collect(w.store), 4); /* the table still holds one */
  verify(&w);
  assert_int_equal(stats(&w).live_objects, 1);
  assert_int_equal(call1(&w, "untable", 0, NULL), -1);
  assert_int_equal(kiln_store_gc_collect(w.store), 1);
  kiln_gc_stats_t st = stats(&w);
  assert_int_equal(st.live_objects, 0);
  assert_int_equal(st.traced_frees, 5);
  verify(&w);
  close_world(&w);
}

/* A trap in the middle of initialization, after the init routine allocated
 * arrays into a global and a passive segment and stored host boxes with
 * finalizers in an imported table: the failed instance stays in the store
 * with what it holds (verifier), and deleting the store with live
 * references and finalizers pending frees everything, each finalizer
 * running exactly once. */
static int fin_runs[4];
static void fin(void *data) { (*(int *)data)++; }

static void test_init_trap_and_delete(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $a (array (mut i32)))\n"
      "  (import \"h\" \"t\" (table 4 externref))\n"
      "  (global $g (ref null $a) (array.new_default $a (i32.const 5)))\n"
      "  (elem $p (ref null $a) (item (array.new_default $a (i32.const 6))))\n"
      "  (table $own 2 externref)\n"
      "  (elem (table $own) (i32.const 0) externref (ref.null extern))\n"
      "  (elem (table $own) (i32.const 5) externref (ref.null extern)))"; /* traps */
  memset(fin_runs, 0, sizeof fin_runs);
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *s = wasm_store_new(e);
  wasm_tabletype_t *tt;
  {
    wasm_limits_t lim = {4, 4};
    tt = wasm_tabletype_new(wasm_valtype_new(WASM_EXTERNREF), &lim);
  }
  wasm_ref_t *boxes[4];
  for (int i = 0; i < 4; i++)
    boxes[i] = kiln_externref_new(s, &fin_runs[i], fin);
  wasm_table_t *t = wasm_table_new(s, tt, NULL);
  wasm_tabletype_delete(tt);
  assert_non_null(t);
  for (int i = 0; i < 3; i++) /* box 3 is held by its handle only */
    assert_true(wasm_table_set(t, (wasm_table_size_t)i, boxes[i]));
  wasm_byte_vec_t bin;
  kiln_text_error_t err;
  assert_true(kiln_wat2wasm(wat, strlen(wat), &bin, &err));
  wasm_module_t *m = wasm_module_new(s, &bin);
  wasm_byte_vec_delete(&bin);
  wasm_extern_t *imp[1] = {wasm_table_as_extern(t)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imp);
  wasm_trap_t *trap = NULL;
  assert_null(wasm_instance_new(s, m, &imports, &trap));
  assert_non_null(trap);
  assert_int_equal(kiln_trap_code(trap), KILN_TRAP_TABLE_OOB);
  wasm_trap_delete(trap);
  char msg[256];
  assert_int_equal(kiln_store_gc_verify(s, msg, sizeof msg), 0);
  kiln_gc_stats_t st;
  kiln_store_gc_stats(s, &st);
  assert_int_equal(st.live_objects, 6); /* 4 boxes, the global's and the segment's arrays */
  /* box 1 released: freed at the next reclamation point, its finalizer
   * pending until then; then delete everything with the rest live */
  assert_true(wasm_table_set(t, 1, NULL));
  wasm_ref_delete(boxes[1]);
  for (int i = 0; i < 4; i++)
    if (i != 1)
      wasm_ref_delete(boxes[i]);
  wasm_module_delete(m);
  wasm_table_delete(t);
  wasm_store_delete(s);
  for (int i = 0; i < 4; i++)
    assert_int_equal(fin_runs[i], 1);
  wasm_engine_delete(e);
}

/* Fields and elements from the host (kiln_struct_get/set, kiln_array_*):
 * packed fields, immutable fields refused, wrong types refused, reference
 * stores through the barrier (the verifier agrees, and counting alone
 * frees everything once the handles go). */
static void test_host_fields(void **state) {
  (void)state;
  static const char wat[] =
      "(module\n"
      "  (type $s (struct (field (mut i8)) (field (mut i64)) (field (mut anyref))\n"
      "                   (field i32)))\n"
      "  (type $a (array (mut (ref null $s))))\n"
      "  (func (export \"mk\") (param i32) (result (ref $s))\n"
      "    (struct.new $s (i32.const 0x1ff) (i64.const 5) (ref.null any) (local.get 0)))\n"
      "  (func (export \"arr\") (param i32) (result (ref $a))\n"
      "    (array.new_default $a (local.get 0)))\n"
      "  (func (export \"peek\") (param (ref $s)) (result i32)\n"
      "    (struct.get_u $s 0 (local.get 0))))";
  world w;
  open_world(&w, wat, (world_opts){0, false, 0});
  wasm_val_t a[1] = {WASM_I32_VAL(9)}, r[1];
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_ARRAY_VEC(r);
  assert_null(wasm_func_call(export(&w, "mk"), &args, &res));
  wasm_ref_t *s1 = r[0].of.ref;
  assert_null(wasm_func_call(export(&w, "mk"), &args, &res));
  wasm_ref_t *s2 = r[0].of.ref;
  a[0] = (wasm_val_t)WASM_I32_VAL(3);
  assert_null(wasm_func_call(export(&w, "arr"), &args, &res));
  wasm_ref_t *arr = r[0].of.ref;
  assert_int_equal(kiln_ref_kind(s1), KILN_REFKIND_STRUCT);

  wasm_val_t v;
  assert_true(kiln_struct_get(s1, 0, &v)); /* i8 0x1ff -> 0xff, zero-extended */
  assert_int_equal(v.kind, WASM_I32);
  assert_int_equal(v.of.i32, 0xff);
  assert_true(kiln_struct_get(s1, 3, &v));
  assert_int_equal(v.of.i32, 9);
  wasm_val_t nv = WASM_I32_VAL(0x1234);
  assert_true(kiln_struct_set(s1, 0, &nv)); /* packed: the low byte */
  assert_true(kiln_struct_get(s1, 0, &v));
  assert_int_equal(v.of.i32, 0x34);
  assert_false(kiln_struct_set(s1, 3, &nv)); /* immutable */
  assert_false(kiln_struct_set(s1, 1, &nv)); /* i64 field, i32 value */
  assert_false(kiln_struct_get(s1, 4, &v));  /* no such field */
  assert_false(kiln_struct_get(arr, 0, &v)); /* not a struct */

  /* references: s1.f2 = s2 (counted), arr[1] = s1, arr[2] = s2 */
  wasm_val_t rv = {.kind = KILN_REF, .of.ref = s2};
  assert_true(kiln_struct_set(s1, 2, &rv));
  verify(&w);
  uint32_t len = 0;
  assert_true(kiln_array_len(arr, &len));
  assert_int_equal(len, 3);
  rv.of.ref = s1;
  assert_true(kiln_array_set(arr, 1, &rv));
  rv.of.ref = s2;
  assert_true(kiln_array_set(arr, 2, &rv));
  assert_false(kiln_array_set(arr, 3, &rv)); /* out of bounds */
  wasm_val_t iv = WASM_I32_VAL(1);
  assert_false(kiln_array_set(arr, 0, &iv)); /* wrong type */
  verify(&w);
  assert_true(kiln_array_get(arr, 1, &v));
  assert_true(wasm_ref_same(v.of.ref, s1));
  wasm_val_delete(&v);
  assert_true(kiln_struct_get(s1, 2, &v));
  assert_true(wasm_ref_same(v.of.ref, s2));
  wasm_val_delete(&v);
  /* Wasm sees the host's write */
  wasm_val_t pa[1] = {{.kind = KILN_REF, .of.ref = s1}};
  wasm_val_vec_t pargs = WASM_ARRAY_VEC(pa);
  assert_null(wasm_func_call(export(&w, "peek"), &pargs, &res));
  assert_int_equal(r[0].of.i32, 0x34);
  /* overwrite arr[2] (releases one count on s2), then let everything go */
  rv.of.ref = NULL;
  assert_true(kiln_array_set(arr, 2, &rv));
  verify(&w);
  wasm_ref_delete(s1);
  wasm_ref_delete(s2);
  wasm_ref_delete(arr);
  kiln_store_gc_collect(w.store);
  kiln_gc_stats_t st = stats(&w);
  assert_int_equal(st.live_objects, 0);
  assert_int_equal(st.traced_frees, 0); /* counting freed all: no missed decrement */
  close_world(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bounded_loop),
      cmocka_unit_test(test_ten_million_structs),
      cmocka_unit_test(test_exhausted),
      cmocka_unit_test(test_stress_loop),
      cmocka_unit_test(test_init_collections),
      cmocka_unit_test(test_cycles),
      cmocka_unit_test(test_init_trap_and_delete),
      cmocka_unit_test(test_host_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
