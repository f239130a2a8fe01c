/* tests/unit/test_gc_review.c — regressions from the review of the GC
 * (collections inside Wasm, large objects, the API), through the public
 * API:
 *
 *   * the frame scan under AddressSanitizer's detect_stack_use_after_return
 *     (this binary turns it on when built with ASan): the registers' buffer
 *     of the collecting frame must be on the thread's stack;
 *   * freed large objects' page runs merge, so a heap with nothing live can
 *     hold an object of nearly its limit;
 *   * wasm_table_get of an i31 reference is an i31 handle, not null;
 *   * one kiln_store_gc_collect is one collection in the statistics;
 *   * kiln_externref_new at the heap limit collects first (kiln.h: "an
 *     allocation that would pass it first collects"), outside Wasm and
 *     inside a host function called from Wasm.
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

#include "gc_world.h"

#if defined(__SANITIZE_ADDRESS__)
/* Locals of instrumented functions live on ASan's fake stack. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_stack_use_after_return=1"; }
#endif

/* ------------------------------------------------------------------------
 * The frame scan with ASan's fake stacks: objects held only by Wasm
 * locals survive stress-mode collections (without the fix: SEGV in the
 * scan, or the list freed under the loop).
 * ---------------------------------------------------------------------- */

static void test_scan_fake_stack(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $n (struct (field i32) (field (ref null $n))))\n"
      "  (func (export \"list\") (param $k i32) (result i32) (local $l (ref null $n)) (local $s i32)\n"
      "    (block $d (loop $m\n"
      "      (br_if $d (i32.eqz (local.get $k)))\n"
      "      (local.set $l (struct.new $n (local.get $k) (local.get $l)))\n"
      "      (local.set $k (i32.sub (local.get $k) (i32.const 1)))\n"
      "      (br $m)))\n"
      "    (block $e (loop $m\n"
      "      (br_if $e (ref.is_null (local.get $l)))\n"
      "      (local.set $s (i32.add (local.get $s) (struct.get $n 0 (local.get $l))))\n"
      "      (local.set $l (struct.get $n 1 (local.get $l)))\n"
      "      (br $m)))\n"
      "    (local.get $s)))";
  world w;
  open_world(&w, wat, (world_opts){.stress = true});
  int32_t sum = 0;
  assert_int_equal(call1(&w, "list", 300, &sum), -1);
  assert_int_equal(sum, 300 * 301 / 2);
  assert_true(stats(&w).collections >= 299); /* (the first made the heap) */
  verify(&w);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * Large objects: free page runs merge (and give pages back to the top), so
 * a 1 MiB heap (16 pages) with nothing live holds a 15-page array after
 * arrays of 2, 3, 4 and 5 pages came and went.  Without merging, each
 * freed run is too small for the next array, the top grows, and the
 * 6-page array traps with heap exhausted though nothing is live.
 * ---------------------------------------------------------------------- */

static void test_large_runs_merge(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $b (array (mut i8)))\n"
      "  (func (export \"big\") (param $pages i32) (result i32)\n"
      "    (array.len (array.new_default $b\n"
      "      (i32.sub (i32.shl (local.get $pages) (i32.const 16)) (i32.const 24))))))";
  world w;
  open_world(&w, wat, (world_opts){.heap_limit = 1 << 20});
  static const int pages[] = {2, 3, 4, 5, 6, 15, 1, 7, 15};
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    int32_t len = 0;
    int code = call1(&w, "big", pages[i], &len);
    if (code >= 0)
      fail_msg("array of %d pages (nothing else live) trapped: %d", pages[i], code);
    assert_int_equal(len, (pages[i] << 16) - 24);
    assert_int_equal(stats(&w).live_objects, 0);
  }
  verify(&w);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * wasm_table_get of an i31 reference: an i31 handle (as wasm_global_get and
 * call results give), not null.
 * ---------------------------------------------------------------------- */

static void test_table_get_i31(void **state) {
  (void)state;
  static const char wat[] =
      "(module (table (export \"t\") 2 anyref)\n"
      "  (func (export \"set\") (param i32) (result i32)\n"
      "    (table.set 0 (i32.const 1) (ref.i31 (local.get 0))) (i32.const 0)))";
  world w;
  open_world(&w, wat, (world_opts){0});
  assert_int_equal(call1(&w, "set", 1234, NULL), -1);
  wasm_table_t *t = NULL;
  for (size_t i = 0; i < w.exports.size; i++)
    if (wasm_extern_kind(w.exports.data[i]) == WASM_EXTERN_TABLE)
      t = wasm_extern_as_table(w.exports.data[i]);
  assert_non_null(t);
  wasm_ref_t *r = wasm_table_get(t, 1);
  assert_non_null(r);
  assert_int_equal(kiln_ref_kind(r), KILN_REFKIND_I31);
  uint32_t v = 0;
  assert_true(kiln_ref_i31_get(r, &v));
  assert_int_equal(v, 1234);
  wasm_ref_delete(r);
  assert_null(wasm_table_get(t, 0)); /* null is still NULL */
  verify(&w);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * Statistics: kiln_store_gc_collect is one collection, also when the ZCT
 * is not empty after its trace (an object with a handle and count 0).
 * ---------------------------------------------------------------------- */

static void test_collections_counted_once(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $s (struct (field i32)))\n"
      "  (func (export \"mk\") (result anyref) (struct.new $s (i32.const 1))))";
  world w;
  open_world(&w, wat, (world_opts){0});
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_EMPTY_VEC, res = WASM_ARRAY_VEC(r);
  assert_null(wasm_func_call(export(&w, "mk"), &args, &res));
  assert_non_null(r[0].of.ref); /* rc 0, held by its handle: in the ZCT */
  uint64_t before = stats(&w).collections;
  kiln_store_gc_collect(w.store);
  assert_int_equal(stats(&w).collections - before, 1);
  assert_int_equal(stats(&w).traces, 1);
  wasm_val_delete(&r[0]);
  verify(&w);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * kiln_externref_new at the heap limit: the garbage Wasm left behind (large
 * arrays freed only by a collection: a cycle) fills the heap; a box made
 * by a host function called from Wasm, and one made by the host outside
 * Wasm, should first collect.
 * ---------------------------------------------------------------------- */

static wasm_store_t *box_store;
static int boxes_failed;

static wasm_trap_t *make_box(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  wasm_ref_t *b = kiln_externref_new(box_store, NULL, NULL);
  if (!b)
    boxes_failed++;
  results->data[0] = (wasm_val_t){.kind = WASM_EXTERNREF, .of.ref = b};
  return NULL;
}

static void test_host_box_at_limit(void **state) {
  (void)state;
  static const char wat[] =
      "(module (type $a (array (mut anyref)))\n"
      "  (import \"h\" \"box\" (func $box (result externref)))\n"
      "  ;; a cycle of two 7-page arrays: 14 of the 16 pages, garbage on return\n"
      "  (func $fill (local $x (ref null $a)) (local $y (ref null $a))\n"
      "    (local.set $x (array.new_default $a (i32.const 114000)))\n"
      "    (local.set $y (array.new_default $a (i32.const 114000)))\n"
      "    (array.set $a (local.get $x) (i32.const 0) (local.get $y))\n"
      "    (array.set $a (local.get $y) (i32.const 0) (local.get $x)))\n"
      "  (func (export \"fill\") (call $fill))\n"
      "  (func (export \"boxes\") (param $n i32) (result i32)\n"
      "    (call $fill)\n"
      "    (loop $l\n"
      "      (drop (call $box))\n"
      "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
      "    (i32.const 0)))";
  wasm_config_t *cfg = wasm_config_new();
  kiln_config_set_gc_heap_limit(cfg, 1 << 20);
  wasm_engine_t *e = wasm_engine_new_with_config(cfg);
  wasm_store_t *s = wasm_store_new(e);
  box_store = s;
  boxes_failed = 0;
  wasm_valtype_t *ext = wasm_valtype_new(WASM_EXTERNREF);
  wasm_functype_t *ft = wasm_functype_new_0_1(ext);
  wasm_func_t *bf = wasm_func_new(s, ft, make_box);
  wasm_functype_delete(ft);
  wasm_byte_vec_t bin;
  kiln_text_error_t err;
  assert_true(kiln_wat2wasm(wat, strlen(wat), &bin, &err));
  wasm_module_t *m = wasm_module_new(s, &bin);
  wasm_byte_vec_delete(&bin);
  assert_non_null(m);
  wasm_extern_t *imp[1] = {wasm_func_as_extern(bf)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imp);
  wasm_instance_t *inst = wasm_instance_new(s, m, &imports, NULL);
  assert_non_null(inst);
  wasm_extern_vec_t ex;
  wasm_instance_exports(inst, &ex);
  /* outside Wasm: the cycle left by fill */
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  assert_null(wasm_func_call(wasm_extern_as_func(ex.data[0]), &none, &none));
  int host_failed = 0;
  for (int i = 0; i < 5000; i++) { /* 5000 boxes of 32 bytes: 3 pages */
    wasm_ref_t *b = kiln_externref_new(s, NULL, NULL);
    if (!b) {
      host_failed++;
      break;
    }
    wasm_ref_delete(b);
  }
  /* inside Wasm (a host function called from it): the same */
  wasm_val_t a[1] = {WASM_I32_VAL(5000)}, r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_ARRAY_VEC(r);
  wasm_trap_t *t = wasm_func_call(wasm_extern_as_func(ex.data[1]), &args, &res);
  if (t)
    wasm_trap_delete(t);
  char msg[256];
  assert_int_equal(kiln_store_gc_verify(s, msg, sizeof msg), 0);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_module_delete(m);
  wasm_func_delete(bf);
  wasm_store_delete(s);
  wasm_engine_delete(e);
  if (host_failed)
    fail_msg("kiln_externref_new outside Wasm returned NULL at the limit (garbage not collected)");
  /* inside a host function called from Wasm it collects too, the store's
   * frames scanned */
  if (boxes_failed)
    fail_msg("kiln_externref_new in a host function returned NULL %d times at the limit",
             boxes_failed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scan_fake_stack),
      cmocka_unit_test(test_large_runs_merge),
      cmocka_unit_test(test_table_get_i31),
      cmocka_unit_test(test_collections_counted_once),
      cmocka_unit_test(test_host_box_at_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
