/* tests/unit/test_gc_jit.c — the GC proposal's instructions as the compiler
 * lowers them (jit/emit_gc.c, vm/builtins.c), through the public API, where
 * the spec suite leaves gaps:
 *
 *   * barriers: struct.set, array.set, array.fill, array.copy (overlapping,
 *     both directions, and between arrays), array.init_elem, array.new,
 *     array.new_fixed, array.new_elem and struct.new over live references;
 *     after every step the heap verifier recomputes every count, and at the
 *     end, once nothing holds the objects, counting alone frees them all
 *     (the backup tracer finds nothing: no count was left too high);
 *   * stress mode (a full collection at every allocation, frames scanned):
 *     objects held only by Wasm locals, operands and the values a builtin
 *     is about to store (struct.new and array.new_fixed operands, array.new's
 *     value) survive;
 *   * GC values through the API: i31 references in and out, structs and
 *     arrays told apart (kiln_ref_kind, kiln_ref_type_id), type checks of
 *     arguments, externref boxes seen as anyref, handles keeping objects;
 *   * traps: null, bounds, cast, data and element segment ranges, the heap
 *     limit;
 *   * a module compiled in several partitions, each with its own copy of a
 *     struct layout.
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

#define TRAP_NULL_STRUCT KILN_TRAP_NULL_STRUCT
#define TRAP_NULL_ARRAY KILN_TRAP_NULL_ARRAY
#define TRAP_NULL_I31 KILN_TRAP_NULL_I31
#define TRAP_ARRAY_OOB KILN_TRAP_ARRAY_OOB
#define TRAP_CAST KILN_TRAP_CAST

#include "gc_world.h"


/* Calls `name` with values args[0..nargs) (owned by the caller); the
 * results go to res (the caller deletes references in them).  Returns the
 * trap code, or -1. */
static int call_vals(world *w, const char *name, wasm_val_t *args, size_t nargs,
                     wasm_val_t *res, size_t nres) {
  wasm_func_t *f = export(w, name);
  assert_int_equal(wasm_func_result_arity(f), nres);
  wasm_val_vec_t a = {nargs, args}, r = {nres, res};
  for (size_t i = 0; i < nres; i++)
    res[i] = (wasm_val_t)WASM_INIT_VAL;
  wasm_trap_t *t = wasm_func_call(f, &a, &r);
  if (!t)
    return -1;
  int code = (int)kiln_trap_code(t);
  wasm_trap_delete(t);
  return code;
}

/* Calls `name` with up to three i32 arguments (nargs of them); returns its
 * i32 result (0 if none); fails on a trap.  Checks the heap afterwards. */
static int32_t call3(world *w, const char *name, size_t nargs, int32_t a, int32_t b,
                     int32_t c) {
  wasm_val_t args[3] = {WASM_I32_VAL(a), WASM_I32_VAL(b), WASM_I32_VAL(c)};
  wasm_val_t res[1];
  size_t nres = wasm_func_result_arity(export(w, name));
  int code = call_vals(w, name, args, nargs, res, nres);
  if (code >= 0)
    fail_msg("%s trapped (code %d)", name, code);
  verify(w);
  return nres ? res[0].of.i32 : 0;
}
#define call0(w, n) call3(w, n, 0, 0, 0, 0)
#define call1(w, n, a) call3(w, n, 1, a, 0, 0)
#define call2(w, n, a, b) call3(w, n, 2, a, b, 0)
#define call3v(w, n, a, b, c) call3(w, n, 3, a, b, c)

/* The trap code of calling `name` with up to three i32 arguments. */
static int trap3(world *w, const char *name, size_t nargs, int32_t a, int32_t b, int32_t c) {
  wasm_val_t args[3] = {WASM_I32_VAL(a), WASM_I32_VAL(b), WASM_I32_VAL(c)};
  wasm_val_t res[1];
  int code = call_vals(w, name, args, nargs, res, wasm_func_result_arity(export(w, name)));
  verify(w);
  return code;
}

/* ------------------------------------------------------------------------
 * Barriers
 * ---------------------------------------------------------------------- */

/* $g holds a pair of boxes; $arr (8 slots), $arr2 (3) and $arr3 (from the
 * segment) hold boxes.  get(i) reads arr[i]'s value (-1: null). */
static const char barriers_wat[] =
    "(module\n"
    "  (type $box (struct (field $v (mut i32))))\n"
    "  (type $pair (struct (field $a (mut (ref null $box))) (field $n (mut i64))\n"
    "                      (field $b (mut (ref null $box))) (field $f (mut funcref))))\n"
    "  (type $arr (array (mut (ref null $box))))\n"
    "  (global $g (mut (ref null $pair)) (ref.null $pair))\n"
    "  (global $arr (mut (ref null $arr)) (ref.null $arr))\n"
    "  (global $arr2 (mut (ref null $arr)) (ref.null $arr))\n"
    "  (global $arr3 (mut (ref null $arr)) (ref.null $arr))\n"
    "  (elem $e (ref null $box) (item (struct.new $box (i32.const 100)))\n"
    "    (item (ref.null $box)) (item (struct.new $box (i32.const 102))))\n"
    "  (elem declare func $setup)\n"
    "  (func $box (param i32) (result (ref null $box))\n"
    "    (if (result (ref null $box)) (i32.lt_s (local.get 0) (i32.const 0))\n"
    "      (then (ref.null $box)) (else (struct.new $box (local.get 0)))))\n"
    "  (func $val (param (ref null $box)) (result i32)\n"
    "    (if (result i32) (ref.is_null (local.get 0)) (then (i32.const -1))\n"
    "      (else (struct.get $box $v (local.get 0)))))\n"
    "  (func $setup (export \"setup\")\n"
    "    (global.set $g (struct.new $pair (call $box (i32.const 1)) (i64.const 5)\n"
    "                                     (call $box (i32.const 2)) (ref.func $setup)))\n"
    "    (global.set $arr (array.new $arr (call $box (i32.const 10)) (i32.const 8)))\n"
    "    (global.set $arr2 (array.new_fixed $arr 3 (call $box (i32.const 20))\n"
    "                        (call $box (i32.const 21)) (call $box (i32.const 22)))))\n"
    "  (func (export \"pair\") (result i32)\n"
    "    (i32.add (i32.mul (call $val (struct.get $pair $a (global.get $g))) (i32.const 100))\n"
    "             (call $val (struct.get $pair $b (global.get $g)))))\n"
    "  (func (export \"set_a\") (param i32)\n"
    "    (struct.set $pair $a (global.get $g) (call $box (local.get 0))))\n"
    "  (func (export \"set_a_self\")\n"
    "    (struct.set $pair $a (global.get $g) (struct.get $pair $a (global.get $g))))\n"
    "  (func (export \"set_b_from_a\")\n"
    "    (struct.set $pair $b (global.get $g) (struct.get $pair $a (global.get $g))))\n"
    "  (func (export \"get\") (param i32) (result i32)\n"
    "    (call $val (array.get $arr (global.get $arr) (local.get 0))))\n"
    "  (func (export \"get3\") (param i32) (result i32)\n"
    "    (call $val (array.get $arr (global.get $arr3) (local.get 0))))\n"
    "  (func (export \"eq\") (param i32 i32) (result i32)\n"
    "    (ref.eq (array.get $arr (global.get $arr) (local.get 0))\n"
    "            (array.get $arr (global.get $arr) (local.get 1))))\n"
    "  (func (export \"set\") (param i32 i32)\n"
    "    (array.set $arr (global.get $arr) (local.get 0) (call $box (local.get 1))))\n"
    "  (func (export \"fill\") (param i32 i32 i32)\n"
    "    (array.fill $arr (global.get $arr) (local.get 0) (call $box (local.get 1))\n"
    "                (local.get 2)))\n"
    "  (func (export \"copy\") (param i32 i32 i32)\n"
    "    (array.copy $arr $arr (global.get $arr) (local.get 0) (global.get $arr) (local.get 1)\n"
    "                (local.get 2)))\n"
    "  (func (export \"copy2\") (param i32 i32 i32)\n"
    "    (array.copy $arr $arr (global.get $arr) (local.get 0) (global.get $arr2) (local.get 1)\n"
    "                (local.get 2)))\n"
    "  (func (export \"init_elem\") (param i32 i32 i32)\n"
    "    (array.init_elem $arr $e (global.get $arr) (local.get 0) (local.get 1) (local.get 2)))\n"
    "  (func (export \"new_elem\")\n"
    "    (global.set $arr3 (array.new_elem $arr $e (i32.const 0) (i32.const 3))))\n"
    "  (func (export \"drop_elem\") (elem.drop $e))\n"
    "  (func (export \"clear\")\n"
    "    (global.set $g (ref.null $pair)) (global.set $arr (ref.null $arr))\n"
    "    (global.set $arr2 (ref.null $arr)) (global.set $arr3 (ref.null $arr))))\n";

static void expect_arr(world *w, const int32_t *want) {
  for (int i = 0; i < 8; i++)
    if (call1(w, "get", i) != want[i])
      fail_msg("arr[%d] = %d, expected %d", i, call1(w, "get", i), want[i]);
}

static void test_barriers(void **state) {
  (void)state;
  world w;
  open_world(&w, barriers_wat, (world_opts){0});
  verify(&w);
  /* the segment's two boxes, held by the segment */
  assert_int_equal(stats(&w).live_objects, 2);
  call0(&w, "setup");
  /* pair + 2 boxes, arr + its box (8 counts), arr2 + 3 boxes */
  assert_int_equal(stats(&w).live_objects, 2 + 3 + 2 + 4);
  assert_int_equal(call0(&w, "pair"), 102);
  expect_arr(&w, (int32_t[]){10, 10, 10, 10, 10, 10, 10, 10});
  assert_int_equal(call2(&w, "eq", 0, 7), 1);

  /* struct.set over a live reference, over itself, one object twice */
  call1(&w, "set_a", 3);
  assert_int_equal(call0(&w, "pair"), 302);
  call0(&w, "set_a_self");
  call0(&w, "set_b_from_a");
  assert_int_equal(call0(&w, "pair"), 303);
  call1(&w, "set_a", -1);
  assert_int_equal(call0(&w, "pair"), -97);

  /* array.set and array.fill over live references, and with null */
  call2(&w, "set", 2, 30);
  call3v(&w, "fill", 3, 40, 3);
  call3v(&w, "fill", 7, -1, 1);
  expect_arr(&w, (int32_t[]){10, 10, 30, 40, 40, 40, 10, -1});
  call3v(&w, "fill", 8, 50, 0); /* empty, at the end: no trap */

  /* array.copy within the array, overlapping forwards and backwards */
  call3v(&w, "copy", 1, 2, 4); /* moves 30 40 40 40 one left */
  expect_arr(&w, (int32_t[]){10, 30, 40, 40, 40, 40, 10, -1});
  call3v(&w, "copy", 4, 0, 4); /* 10 30 40 40 four right, overlapping */
  expect_arr(&w, (int32_t[]){10, 30, 40, 40, 10, 30, 40, 40});
  assert_int_equal(call2(&w, "eq", 1, 5), 1);
  call3v(&w, "copy", 0, 0, 8); /* onto itself */
  /* from another array */
  call3v(&w, "copy2", 5, 0, 3);
  expect_arr(&w, (int32_t[]){10, 30, 40, 40, 10, 20, 21, 22});

  /* from the element segment: items are counted by the segment and again
   * by the arrays */
  call3v(&w, "init_elem", 0, 0, 3);
  expect_arr(&w, (int32_t[]){100, -1, 102, 40, 10, 20, 21, 22});
  call0(&w, "new_elem");
  assert_int_equal(call1(&w, "get3", 2), 102);

  /* nothing holds anything: the return of each call reclaims by counting */
  call0(&w, "clear");
  assert_int_equal(stats(&w).live_objects, 2); /* the segment's */
  call0(&w, "drop_elem");
  assert_int_equal(stats(&w).live_objects, 0);
  /* no count was left too high: the tracer has nothing to free */
  assert_int_equal(kiln_store_gc_collect(w.store), 0);
  assert_int_equal(stats(&w).traced_frees, 0);
  verify(&w);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * Stress: a collection (frames scanned, cycles traced) at every allocation
 * ---------------------------------------------------------------------- */

static const char stress_wat[] =
    "(module\n"
    "  (type $node (struct (field $v i32) (field $next (ref null $node))))\n"
    "  (type $tree (struct (field $l (ref null $tree)) (field $r (ref null $tree))))\n"
    "  (type $arr (array (mut (ref null $node))))\n"
    "  (type $big (struct (field i8) (field (ref null $node)) (field i64) (field v128)\n"
    "                     (field (ref null $node)) (field f32) (field i16) (field (ref null $node))))\n"
    "  ;; allocations of the init routine: each collects while the objects\n"
    "  ;; before it are held by globals, a table and a segment\n"
    "  (global $g1 (ref $node) (struct.new $node (i32.const 1) (ref.null $node)))\n"
    "  (global $g2 (ref $node) (struct.new $node (i32.const 2) (global.get $g1)))\n"
    "  (global $g3 (ref $arr) (array.new_fixed $arr 2 (global.get $g2)\n"
    "    (struct.new $node (i32.const 3) (struct.new $node (i32.const 4) (ref.null $node)))))\n"
    "  (table $t 2 (ref null $node) (struct.new $node (i32.const 5) (ref.null $node)))\n"
    "  (elem $e (ref null $node) (item (struct.new $node (i32.const 6) (ref.null $node))))\n"
    "  (func (export \"inits\") (result i32)\n"
    "    (array.init_elem $arr $e (global.get $g3) (i32.const 0) (i32.const 0) (i32.const 1))\n"
    "    (i32.add (i32.add (call $sum (global.get $g2))\n"
    "                      (call $sum (array.get $arr (global.get $g3) (i32.const 1))))\n"
    "             (i32.add (call $sum (table.get $t (i32.const 1)))\n"
    "                      (call $sum (array.get $arr (global.get $g3) (i32.const 0))))))\n"
    "  (func $sum (param $l (ref null $node)) (result i32) (local $s i32)\n"
    "    (block $done (loop $next\n"
    "      (br_if $done (ref.is_null (local.get $l)))\n"
    "      (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $l))))\n"
    "      (local.set $l (struct.get $node $next (local.get $l)))\n"
    "      (br $next)))\n"
    "    (local.get $s))\n"
    "  ;; a list of n nodes held only by a local\n"
    "  (func (export \"list\") (param $n i32) (result i32) (local $l (ref null $node))\n"
    "    (block $done (loop $more\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $l (struct.new $node (local.get $n) (local.get $l)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (br $more)))\n"
    "    (call $sum (local.get $l)))\n"
    "  ;; a tree: the left subtree waits on the operand stack while the right\n"
    "  ;; one is built\n"
    "  (func $tree (param $d i32) (result (ref null $tree))\n"
    "    (if (result (ref null $tree)) (i32.eqz (local.get $d)) (then (ref.null $tree))\n"
    "      (else (struct.new $tree (call $tree (i32.sub (local.get $d) (i32.const 1)))\n"
    "                              (call $tree (i32.sub (local.get $d) (i32.const 1)))))))\n"
    "  (func $count (param $t (ref null $tree)) (result i32)\n"
    "    (if (result i32) (ref.is_null (local.get $t)) (then (i32.const 0))\n"
    "      (else (i32.add (i32.const 1)\n"
    "        (i32.add (call $count (struct.get $tree $l (local.get $t)))\n"
    "                 (call $count (struct.get $tree $r (local.get $t))))))))\n"
    "  (func (export \"tree\") (param i32) (result i32) (call $count (call $tree (local.get 0))))\n"
    "  ;; operands of array.new_fixed and struct.new, fresh objects each\n"
    "  (func $n (param i32) (result (ref $node)) (struct.new $node (local.get 0) (ref.null $node)))\n"
    "  (func (export \"fixed\") (result i32) (local $a (ref $arr))\n"
    "    (local.set $a (array.new_fixed $arr 4 (call $n (i32.const 1)) (call $n (i32.const 2))\n"
    "                                        (call $n (i32.const 3)) (call $n (i32.const 4))))\n"
    "    (drop (array.new_default $arr (i32.const 100)))\n"
    "    (i32.add (i32.add (struct.get $node $v (array.get $arr (local.get $a) (i32.const 0)))\n"
    "                      (struct.get $node $v (array.get $arr (local.get $a) (i32.const 1))))\n"
    "             (i32.add (struct.get $node $v (array.get $arr (local.get $a) (i32.const 2)))\n"
    "                      (struct.get $node $v (array.get $arr (local.get $a) (i32.const 3))))))\n"
    "  (func (export \"big\") (result i32) (local $b (ref $big)) (local $z v128)\n"
    "    (local.set $b (struct.new $big (i32.const 0x1ff) (call $n (i32.const 5)) (i64.const 7)\n"
    "      (local.get $z) (call $n (i32.const 6)) (f32.const 8)\n"
    "      (i32.const 0x18009) (call $n (i32.const 9))))\n"
    "    (drop (struct.new_default $big))\n"
    "    (i32.add (i32.add (i32.add (struct.get_u $big 0 (local.get $b))\n"
    "                                (struct.get $node $v (struct.get $big 1 (local.get $b))))\n"
    "                      (i32.wrap_i64 (struct.get $big 2 (local.get $b))))\n"
    "             (i32.add (i32.add (struct.get $node $v (struct.get $big 4 (local.get $b)))\n"
    "                               (i32.trunc_f32_s (struct.get $big 5 (local.get $b))))\n"
    "                      (i32.add (struct.get_s $big 6 (local.get $b))\n"
    "                               (struct.get $node $v (struct.get $big 7 (local.get $b)))))))\n"
    "  (func (export \"new_value\") (result i32) (local $a (ref $arr))\n"
    "    (local.set $a (array.new $arr (call $n (i32.const 11)) (i32.const 50)))\n"
    "    (drop (array.new_default $arr (i32.const 10)))\n"
    "    (i32.add (struct.get $node $v (array.get $arr (local.get $a) (i32.const 0)))\n"
    "             (struct.get $node $v (array.get $arr (local.get $a) (i32.const 49))))))\n";

static void test_stress(void **state) {
  (void)state;
  world w;
  open_world(&w, stress_wat, (world_opts){.stress = true});
  /* what the init routine made: g1, g2, the two-node list and the array of
   * g3, the table's node, the segment's node */
  assert_int_equal(stats(&w).live_objects, 7);
  /* (2 + 1) + (3 + 4) + 5 + 6 (the segment's node, copied into g3[0]) */
  assert_int_equal(call0(&w, "inits"), 21);
  assert_int_equal(call1(&w, "list", 500), 500 * 501 / 2);
  assert_int_equal(stats(&w).live_objects, 7);
  assert_int_equal(call1(&w, "tree", 9), 511);
  assert_int_equal(call0(&w, "fixed"), 10);
  /* (i8)0x1ff unsigned, 5, 7, (the v128 is not read: no SIMD yet), 6, 8,
   * (i16)0x18009 signed, 9 */
  assert_int_equal(call0(&w, "big"), 0xff + 5 + 7 + 6 + 8 + (int16_t)0x8009 + 9);
  assert_int_equal(call0(&w, "new_value"), 22);
  kiln_gc_stats_t st = stats(&w);
  assert_true(st.collections >= 1000);
  assert_int_equal(st.live_objects, 7);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * Values through the API
 * ---------------------------------------------------------------------- */

static const char values_wat[] =
    "(module\n"
    "  (type $s (struct (field (mut i32))))\n"
    "  (type $t (struct (field i64)))\n"
    "  (type $a (array i8))\n"
    "  (global $keep (mut anyref) (ref.null any))\n"
    "  (func (export \"i31\") (param i32) (result i31ref) (ref.i31 (local.get 0)))\n"
    "  (func (export \"i31_get\") (param i31ref) (result i32) (i31.get_s (local.get 0)))\n"
    "  (func (export \"new_s\") (param i32) (result (ref $s)) (struct.new $s (local.get 0)))\n"
    "  (func (export \"new_a\") (result arrayref) (array.new_default $a (i32.const 3)))\n"
    "  (func (export \"get_s\") (param (ref $s)) (result i32) (struct.get $s 0 (local.get 0)))\n"
    "  (func (export \"is_eq\") (param anyref) (result i32) (ref.test eqref (local.get 0)))\n"
    "  (func (export \"is_s\") (param anyref) (result i32) (ref.test (ref $s) (local.get 0)))\n"
    "  (func (export \"internalize\") (param externref) (result anyref)\n"
    "    (any.convert_extern (local.get 0)))\n"
    "  (func (export \"externalize\") (param anyref) (result externref)\n"
    "    (extern.convert_any (local.get 0)))\n"
    "  (func (export \"keep\") (param anyref) (global.set $keep (local.get 0))))\n";

static wasm_val_t ref_val(wasm_ref_t *r) {
  wasm_val_t v = {.kind = KILN_REF, .of.ref = r};
  return v;
}

static int32_t call_ref_i32(world *w, const char *name, wasm_val_t arg) {
  wasm_val_t res[1];
  assert_int_equal(call_vals(w, name, &arg, 1, res, 1), -1);
  return res[0].of.i32;
}

static void test_values(void **state) {
  (void)state;
  world w;
  open_world(&w, values_wat, (world_opts){0});
  wasm_val_t arg = WASM_I32_VAL(-5), res[1];

  /* i31: out and back in; no heap object */
  assert_int_equal(call_vals(&w, "i31", &arg, 1, res, 1), -1);
  assert_int_equal(res[0].kind, KILN_REF);
  assert_int_equal(kiln_ref_kind(res[0].of.ref), KILN_REFKIND_I31);
  uint32_t u;
  assert_true(kiln_ref_i31_get(res[0].of.ref, &u));
  assert_int_equal(u, 0x7ffffffb);
  assert_int_equal(call_ref_i32(&w, "i31_get", res[0]), -5);
  wasm_val_delete(&res[0]);
  wasm_ref_t *i = kiln_ref_i31_new(w.store, 1234);
  assert_int_equal(call_ref_i32(&w, "i31_get", ref_val(i)), 1234);
  assert_int_equal(call_ref_i32(&w, "is_eq", ref_val(i)), 1);
  assert_int_equal(call_ref_i32(&w, "is_s", ref_val(i)), 0);
  assert_int_equal(kiln_ref_type_id(i), KILN_NO_TYPE);

  /* a struct: its kind and type, back into a parameter of its type */
  arg = (wasm_val_t)WASM_I32_VAL(77);
  assert_int_equal(call_vals(&w, "new_s", &arg, 1, res, 1), -1);
  wasm_ref_t *s = res[0].of.ref;
  assert_int_equal(kiln_ref_kind(s), KILN_REFKIND_STRUCT);
  wasm_functype_t *ft = wasm_func_type(export(&w, "new_s"));
  kiln_heaptype_t ht;
  assert_true(kiln_valtype_heaptype(wasm_functype_results(ft)->data[0], &ht));
  assert_int_equal(ht.kind, KILN_HEAP_CONCRETE);
  assert_int_equal(kiln_ref_type_id(s), ht.type_id);
  wasm_functype_delete(ft);
  assert_int_equal(call_ref_i32(&w, "get_s", ref_val(s)), 77);
  assert_int_equal(call_ref_i32(&w, "is_eq", ref_val(s)), 1);
  assert_int_equal(call_ref_i32(&w, "is_s", ref_val(s)), 1);

  /* an array is not a $s: refused as an argument, false for ref.test */
  assert_int_equal(call_vals(&w, "new_a", NULL, 0, res, 1), -1);
  wasm_ref_t *a = res[0].of.ref;
  assert_int_equal(kiln_ref_kind(a), KILN_REFKIND_ARRAY);
  assert_int_equal(call_ref_i32(&w, "is_s", ref_val(a)), 0);
  wasm_val_t bad = ref_val(a);
  assert_int_not_equal(call_vals(&w, "get_s", &bad, 1, res, 1), -1);
  /* nor an i31 */
  bad = ref_val(i);
  assert_int_not_equal(call_vals(&w, "get_s", &bad, 1, res, 1), -1);

  /* an externref box seen as anyref: an any, not an eq */
  wasm_ref_t *box = kiln_externref_new(w.store, &w, NULL);
  wasm_val_t ext = {.kind = WASM_EXTERNREF, .of.ref = box};
  assert_int_equal(call_vals(&w, "internalize", &ext, 1, res, 1), -1);
  assert_int_equal(res[0].kind, KILN_REF);
  assert_int_equal(kiln_ref_kind(res[0].of.ref), KILN_REFKIND_HOST);
  assert_ptr_equal(kiln_externref_data(res[0].of.ref), &w);
  assert_int_equal(call_ref_i32(&w, "is_eq", res[0]), 0);
  wasm_val_delete(&res[0]);
  assert_int_equal(call_ref_i32(&w, "is_eq", ref_val(box)), 0);
  /* a struct externalized and back */
  wasm_val_t sv = ref_val(s);
  assert_int_equal(call_vals(&w, "externalize", &sv, 1, res, 1), -1);
  assert_int_equal(res[0].kind, WASM_EXTERNREF);
  assert_int_equal(kiln_ref_kind(res[0].of.ref), KILN_REFKIND_STRUCT);
  wasm_val_t back[1];
  assert_int_equal(call_vals(&w, "internalize", &res[0], 1, back, 1), -1);
  wasm_val_delete(&res[0]);
  assert_int_equal(call_ref_i32(&w, "is_s", back[0]), 1);
  wasm_val_delete(&back[0]);

  /* handles keep their objects; the last handle's deletion frees them at
   * the next reclamation point */
  verify(&w);
  kiln_store_gc_collect(w.store);
  assert_int_equal(stats(&w).live_objects, 3); /* s, a, box */
  assert_int_equal(call_ref_i32(&w, "get_s", ref_val(s)), 77);
  wasm_val_t keep = ref_val(s);
  assert_int_equal(call_vals(&w, "keep", &keep, 1, res, 0), -1);
  wasm_ref_delete(s);
  wasm_ref_delete(a);
  wasm_ref_delete(box);
  wasm_ref_delete(i);
  kiln_store_gc_collect(w.store);
  verify(&w);
  assert_int_equal(stats(&w).live_objects, 1); /* s, in $keep */
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * Traps
 * ---------------------------------------------------------------------- */

static const char traps_wat[] =
    "(module\n"
    "  (type $s (struct (field (mut i32))))\n"
    "  (type $sub (sub (struct (field (mut i32)))))\n"
    "  (type $a (array (mut i16)))\n"
    "  (type $f (array (mut funcref)))\n"
    "  (memory 1)\n"
    "  (data $d \"\\01\\02\\03\\04\\05\\06\")\n"
    "  (elem $e funcref (ref.func $n) (ref.null func))\n"
    "  (type $n0 (func (param i32) (result i32)))\n"
    "  (func $n (export \"n\") (param i32) (result i32) (local.get 0))\n"
    "  (func (export \"null_struct\") (result i32) (struct.get $s 0 (ref.null $s)))\n"
    "  (func (export \"null_set\") (struct.set $s 0 (ref.null $s) (i32.const 1)))\n"
    "  (func (export \"null_array\") (result i32) (array.len (ref.null $a)))\n"
    "  (func (export \"null_fill\") (array.fill $a (ref.null $a) (i32.const 0) (i32.const 0) (i32.const 0)))\n"
    "  (func (export \"null_i31\") (result i32) (i31.get_u (ref.null i31)))\n"
    "  (func (export \"oob\") (param i32) (result i32)\n"
    "    (array.get_u $a (array.new $a (i32.const -1) (i32.const 4)) (local.get 0)))\n"
    "  (func (export \"fill\") (param i32 i32) (result i32) (local $x (ref $a))\n"
    "    (local.set $x (array.new_default $a (i32.const 4)))\n"
    "    (array.fill $a (local.get $x) (local.get 0) (i32.const 9) (local.get 1))\n"
    "    (array.get_s $a (local.get $x) (i32.const 3)))\n"
    "  (func (export \"new_data\") (param i32 i32) (result i32)\n"
    "    (array.get_u $a (array.new_data $a $d (local.get 0) (local.get 1)) (i32.const 0)))\n"
    "  (func (export \"init_data\") (param i32 i32 i32) (result i32) (local $x (ref $a))\n"
    "    (local.set $x (array.new_default $a (i32.const 4)))\n"
    "    (array.init_data $a $d (local.get $x) (local.get 0) (local.get 1) (local.get 2))\n"
    "    (array.get_u $a (local.get $x) (i32.const 3)))\n"
    "  (func (export \"new_elem\") (param i32 i32) (result i32)\n"
    "    (call_ref $n0 (i32.const 7) (ref.cast (ref $n0)\n"
    "      (array.get $f (array.new_elem $f $e (local.get 0) (local.get 1)) (i32.const 0)))))\n"
    "  (func (export \"cast\") (param i32) (result i32)\n"
    "    (struct.get $sub 0 (ref.cast (ref $sub)\n"
    "      (if (result anyref) (local.get 0) (then (struct.new $sub (i32.const 3)))\n"
    "        (else (struct.new $s (i32.const 4)))))))\n"
    "  (func (export \"huge\") (param i32) (result i32)\n"
    "    (array.len (array.new_default $a (local.get 0)))))\n";

static void test_traps(void **state) {
  (void)state;
  world w;
  open_world(&w, traps_wat, (world_opts){.heap_limit = 4 << 20});
  assert_int_equal(trap3(&w, "null_struct", 0, 0, 0, 0), TRAP_NULL_STRUCT);
  assert_int_equal(trap3(&w, "null_set", 0, 0, 0, 0), TRAP_NULL_STRUCT);
  assert_int_equal(trap3(&w, "null_array", 0, 0, 0, 0), TRAP_NULL_ARRAY);
  assert_int_equal(trap3(&w, "null_fill", 0, 0, 0, 0), TRAP_NULL_ARRAY);
  assert_int_equal(trap3(&w, "null_i31", 0, 0, 0, 0), TRAP_NULL_I31);
  assert_int_equal(call1(&w, "oob", 3), 0xffff);
  assert_int_equal(trap3(&w, "oob", 1, 4, 0, 0), TRAP_ARRAY_OOB);
  assert_int_equal(trap3(&w, "oob", 1, -1, 0, 0), TRAP_ARRAY_OOB);
  assert_int_equal(call2(&w, "fill", 1, 3), 9);
  assert_int_equal(call2(&w, "fill", 4, 0), 0);
  assert_int_equal(trap3(&w, "fill", 2, 2, 3, 0), TRAP_ARRAY_OOB);
  assert_int_equal(trap3(&w, "fill", 2, 5, 0, 0), TRAP_ARRAY_OOB);
  assert_int_equal(trap3(&w, "fill", 2, 1, -1, 0), TRAP_ARRAY_OOB);
  /* data: 6 bytes, 3 i16 elements; the range is checked before allocating */
  assert_int_equal(call2(&w, "new_data", 1, 2), 0x0302);
  assert_int_equal(call2(&w, "new_data", 4, 1), 0x0605);
  uint64_t before = stats(&w).allocations;
  assert_int_equal(trap3(&w, "new_data", 2, 1, 3, 0), KILN_TRAP_MEMORY_OOB);
  assert_int_equal(trap3(&w, "new_data", 2, 7, 0, 0), KILN_TRAP_MEMORY_OOB);
  assert_int_equal(trap3(&w, "new_data", 2, 0, 0x7fffffff, 0), KILN_TRAP_MEMORY_OOB);
  assert_int_equal(stats(&w).allocations, before);
  assert_int_equal(call3v(&w, "init_data", 3, 4, 1), 0x0605);
  assert_int_equal(trap3(&w, "init_data", 3, 1, 0, 5), TRAP_ARRAY_OOB);
  assert_int_equal(trap3(&w, "init_data", 3, 0, 5, 1), KILN_TRAP_MEMORY_OOB);
  /* elements: a funcref array, its element called */
  assert_int_equal(call2(&w, "new_elem", 0, 2), 7);
  assert_int_equal(trap3(&w, "new_elem", 2, 1, 2, 0), KILN_TRAP_TABLE_OOB);
  assert_int_equal(trap3(&w, "new_elem", 2, 1, 1, 0), TRAP_CAST); /* a null element */
  /* casts */
  assert_int_equal(call1(&w, "cast", 1), 3);
  assert_int_equal(trap3(&w, "cast", 1, 0, 0, 0), TRAP_CAST);
  /* the heap limit: a 2 GiB array cannot be had */
  assert_int_equal(call1(&w, "huge", 1000), 1000);
  assert_int_equal(trap3(&w, "huge", 1, 0x40000000, 0, 0), KILN_TRAP_HEAP_EXHAUSTED);
  verify(&w);
  close_world(&w);
}

/* ------------------------------------------------------------------------
 * Partitions
 * ---------------------------------------------------------------------- */

/* A module of 96 functions of about 1 KB each, so that 4 compile threads
 * get 3 partitions of 32 KB; each function allocates a $p (whose layout
 * each partition has its own copy of) holding another. */
static char *partitions_wat(void) {
  size_t cap = 1 << 20, n = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  n += (size_t)snprintf(s + n, cap - n,
                        "(module (type $p (struct (field i32) (field (ref null $p)) (field i64)))\n");
  for (int k = 0; k < 96; k++) {
    n += (size_t)snprintf(s + n, cap - n,
                          "(func (export \"f%d\") (result i32) (local $x (ref null $p))\n"
                          "  (local.set $x (struct.new $p (i32.const %d) (struct.new_default $p)"
                          " (i64.const 0)))\n  (i32.const 0)",
                          k, k);
    for (int j = 0; j < 250; j++)
      n += (size_t)snprintf(s + n, cap - n, " (i32.const %d) (i32.xor)", j * 7919 + k);
    n += (size_t)snprintf(s + n, cap - n,
                          "\n  (drop) (i32.add (struct.get $p 0 (local.get $x))\n"
                          "    (struct.get $p 0 (struct.get $p 1 (local.get $x)))))\n");
    assert_true(n < cap - 4096);
  }
  snprintf(s + n, cap - n, ")\n");
  return s;
}

static void test_partitions(void **state) {
  (void)state;
  char *wat = partitions_wat();
  world w;
  open_world(&w, wat, (world_opts){.threads = 4});
  free(wat);
  for (int k = 0; k < 96; k++) {
    char name[8];
    snprintf(name, sizeof name, "f%d", k);
    assert_int_equal(call0(&w, name), k);
  }
  assert_int_equal(stats(&w).live_objects, 0);
  close_world(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_barriers),
      cmocka_unit_test(test_stress),
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_traps),
      cmocka_unit_test(test_partitions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
