/* tests/unit/test_api.c — the type-level public API and wasm_module_t,
 * through wasm.h and kiln.h only.
 *
 * Covers: every type constructor and accessor round-trips (standard and
 * Kiln's extensions: v128 and typed references, 64-bit limits, tag types);
 * vector ownership (new takes, copy is deep, delete frees; run under ASan
 * for leaks and double frees); a hand-assembled module with imports and
 * exports of every kind whose import and export types must match exactly,
 * including canonical type ids across modules; rejected modules and their
 * diagnostics; and module sharing between two threads.
 */
#include <pthread.h>
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
#include "wasm_writer.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* The text of a value type, for readable assertions. */
static const char *vt_text(const wasm_valtype_t *t) {
  static char buf[64];
  size_t n = kiln_valtype_format(t, buf, sizeof buf);
  assert_true(n < sizeof buf);
  return buf;
}

static bool name_is(const wasm_name_t *n, const char *s) {
  return n->size == strlen(s) && memcmp(n->data, s, n->size) == 0;
}

static kiln_heaptype_t heap_of(const wasm_valtype_t *t) {
  kiln_heaptype_t h = {0xff, 0};
  assert_true(kiln_valtype_heaptype(t, &h));
  return h;
}

/* ------------------------------------------------------------------------
 * Value types
 * ---------------------------------------------------------------------- */

static void test_valtype_standard(void **state) {
  (void)state;
  static const struct {
    wasm_valkind_t kind;
    const char *text;
    bool is_ref;
  } kinds[] = {
      {WASM_I32, "i32", false},        {WASM_I64, "i64", false},
      {WASM_F32, "f32", false},        {WASM_F64, "f64", false},
      {KILN_V128, "v128", false},      {WASM_EXTERNREF, "externref", true},
      {WASM_FUNCREF, "funcref", true},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    wasm_valtype_t *t = wasm_valtype_new(kinds[i].kind);
    assert_non_null(t);
    assert_int_equal(wasm_valtype_kind(t), kinds[i].kind);
    assert_string_equal(vt_text(t), kinds[i].text);
    assert_int_equal(wasm_valtype_is_ref(t), kinds[i].is_ref);
    assert_int_equal(wasm_valtype_is_num(t), !kinds[i].is_ref);
    assert_int_equal(kiln_valtype_is_v128(t), kinds[i].kind == KILN_V128);
    assert_int_equal(kiln_valtype_is_nullable(t), kinds[i].is_ref);
    wasm_valtype_t *c = wasm_valtype_copy(t);
    assert_non_null(c);
    assert_ptr_not_equal(c, t);
    assert_int_equal(wasm_valtype_kind(c), kinds[i].kind);
    assert_true(kiln_valtype_equal(c, t));
    wasm_valtype_delete(t);
    wasm_valtype_delete(c);
  }
  /* The short-hands. */
  wasm_valtype_t *s[6] = {
      wasm_valtype_new_i32(),       wasm_valtype_new_i64(),
      wasm_valtype_new_f32(),       wasm_valtype_new_f64(),
      wasm_valtype_new_externref(), wasm_valtype_new_funcref()};
  wasm_valkind_t want[6] = {WASM_I32, WASM_I64,       WASM_F32,
                            WASM_F64, WASM_EXTERNREF, WASM_FUNCREF};
  for (int i = 0; i < 6; i++) {
    assert_int_equal(wasm_valtype_kind(s[i]), want[i]);
    wasm_valtype_delete(s[i]);
  }
  /* Kinds that name no single type, and unknown kinds. */
  assert_null(wasm_valtype_new(KILN_REF));
  assert_null(wasm_valtype_new(5));
  assert_null(wasm_valtype_new(127));
  assert_null(wasm_valtype_new(131));
  assert_true(wasm_valkind_is_ref(KILN_REF));
  assert_true(wasm_valkind_is_num(KILN_V128));
  /* Non-references have no heap type; *out stays untouched. */
  wasm_valtype_t *i32 = wasm_valtype_new_i32();
  kiln_heaptype_t h = {0x42, 7};
  assert_false(kiln_valtype_heaptype(i32, &h));
  assert_int_equal(h.kind, 0x42);
  assert_int_equal(h.type_id, 7);
  wasm_valtype_delete(i32);
  wasm_valtype_delete(NULL);
}

static void test_valtype_refs(void **state) {
  (void)state;
  static const struct {
    kiln_heapkind_t kind;
    const char *name;
  } heaps[] = {
      {KILN_HEAP_FUNC, "func"},         {KILN_HEAP_EXTERN, "extern"},
      {KILN_HEAP_ANY, "any"},           {KILN_HEAP_EQ, "eq"},
      {KILN_HEAP_I31, "i31"},           {KILN_HEAP_STRUCT, "struct"},
      {KILN_HEAP_ARRAY, "array"},       {KILN_HEAP_EXN, "exn"},
      {KILN_HEAP_NONE, "none"},         {KILN_HEAP_NOFUNC, "nofunc"},
      {KILN_HEAP_NOEXTERN, "noextern"}, {KILN_HEAP_NOEXN, "noexn"},
  };
  for (size_t i = 0; i < sizeof heaps / sizeof *heaps; i++) {
    for (int nullable = 0; nullable <= 1; nullable++) {
      wasm_valtype_t *t =
          kiln_valtype_new_ref(nullable, kiln_heaptype_abstract(heaps[i].kind));
      assert_non_null(t);
      assert_true(wasm_valtype_is_ref(t));
      assert_int_equal(kiln_valtype_is_nullable(t), nullable);
      kiln_heaptype_t h = heap_of(t);
      assert_int_equal(h.kind, heaps[i].kind);
      assert_int_equal(h.type_id, KILN_NO_TYPE);
      /* Only the two types the standard names get its kinds. */
      wasm_valkind_t want = KILN_REF;
      if (nullable && heaps[i].kind == KILN_HEAP_FUNC) want = WASM_FUNCREF;
      if (nullable && heaps[i].kind == KILN_HEAP_EXTERN) want = WASM_EXTERNREF;
      assert_int_equal(wasm_valtype_kind(t), want);
      if (!nullable) {
        char text[32];
        snprintf(text, sizeof text, "(ref %s)", heaps[i].name);
        assert_string_equal(vt_text(t), text);
      }
      wasm_valtype_t *c = wasm_valtype_copy(t);
      assert_true(kiln_valtype_equal(c, t));
      assert_int_equal(kiln_valtype_is_nullable(c), nullable);
      wasm_valtype_delete(c);
      wasm_valtype_delete(t);
    }
  }
  /* (ref null func) built either way is the same type. */
  wasm_valtype_t *a =
      kiln_valtype_new_ref(true, kiln_heaptype_abstract(KILN_HEAP_FUNC));
  wasm_valtype_t *b = wasm_valtype_new_funcref();
  wasm_valtype_t *c =
      kiln_valtype_new_ref(false, kiln_heaptype_abstract(KILN_HEAP_FUNC));
  assert_true(kiln_valtype_equal(a, b));
  assert_false(kiln_valtype_equal(a, c));
  wasm_valtype_delete(a);
  wasm_valtype_delete(b);
  wasm_valtype_delete(c);
  /* Concrete heap types keep their id. */
  wasm_valtype_t *r = kiln_valtype_new_ref(true, kiln_heaptype_concrete(7));
  assert_non_null(r);
  assert_int_equal(wasm_valtype_kind(r), KILN_REF);
  kiln_heaptype_t h = heap_of(r);
  assert_int_equal(h.kind, KILN_HEAP_CONCRETE);
  assert_int_equal(h.type_id, 7);
  assert_string_equal(vt_text(r), "(ref null canon#7)");
  wasm_valtype_t *r2 = kiln_valtype_new_ref(true, kiln_heaptype_concrete(8));
  assert_false(kiln_valtype_equal(r, r2));
  wasm_valtype_delete(r);
  wasm_valtype_delete(r2);
  /* Unknown heap kinds and the missing id are refused. */
  assert_null(kiln_valtype_new_ref(true, kiln_heaptype_abstract(0x68)));
  assert_null(kiln_valtype_new_ref(true, kiln_heaptype_abstract(0x75)));
  assert_null(
      kiln_valtype_new_ref(false, kiln_heaptype_concrete(KILN_NO_TYPE)));
}

static void test_valtype_format(void **state) {
  (void)state;
  wasm_valtype_t *t = kiln_valtype_new_ref(false, kiln_heaptype_concrete(12));
  char buf[8];
  /* snprintf's contract: truncated, NUL-terminated, full length returned. */
  size_t n = kiln_valtype_format(t, buf, sizeof buf);
  assert_int_equal(n, strlen("(ref canon#12)"));
  assert_string_equal(buf, "(ref ca");
  assert_int_equal(kiln_valtype_format(t, NULL, 0), n);
  wasm_valtype_delete(t);
}

/* ------------------------------------------------------------------------
 * Function, global, table, memory, tag and extern types
 * ---------------------------------------------------------------------- */

static void test_functype(void **state) {
  (void)state;
  wasm_valtype_t *ps[2] = {
      wasm_valtype_new_i32(),
      kiln_valtype_new_ref(false, kiln_heaptype_abstract(KILN_HEAP_ANY))};
  wasm_valtype_t *rs[1] = {wasm_valtype_new(KILN_V128)};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 2, ps);
  wasm_valtype_vec_new(&results, 1, rs);
  wasm_functype_t *ft = wasm_functype_new(&params, &results);
  assert_non_null(ft);
  /* Ownership moved: the caller's vectors are empty. */
  assert_int_equal(params.size, 0);
  assert_null(params.data);
  assert_int_equal(results.size, 0);
  const wasm_valtype_vec_t *p = wasm_functype_params(ft);
  const wasm_valtype_vec_t *r = wasm_functype_results(ft);
  assert_int_equal(p->size, 2);
  assert_ptr_equal(p->data[0], ps[0]); /* moved, not copied */
  assert_string_equal(vt_text(p->data[1]), "(ref any)");
  assert_int_equal(r->size, 1);
  assert_true(kiln_valtype_is_v128(r->data[0]));
  assert_int_equal(kiln_functype_type_id(ft), KILN_NO_TYPE);

  wasm_functype_t *copy = wasm_functype_copy(ft);
  assert_non_null(copy);
  assert_ptr_not_equal(wasm_functype_params(copy)->data[0], ps[0]);
  assert_int_equal(wasm_functype_params(copy)->size, 2);
  assert_true(kiln_valtype_equal(wasm_functype_params(copy)->data[1], ps[1]));
  assert_true(kiln_valtype_is_v128(wasm_functype_results(copy)->data[0]));
  wasm_functype_delete(ft);
  /* The copy outlives the original. */
  assert_int_equal(wasm_valtype_kind(wasm_functype_params(copy)->data[0]),
                   WASM_I32);

  /* Extern views are the same object. */
  wasm_externtype_t *et = wasm_functype_as_externtype(copy);
  assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_FUNC);
  assert_ptr_equal(wasm_externtype_as_functype(et), copy);
  assert_ptr_equal(wasm_externtype_as_functype_const(et), copy);
  assert_ptr_equal(wasm_functype_as_externtype_const(copy), et);
  assert_null(wasm_externtype_as_globaltype(et));
  assert_null(wasm_externtype_as_tabletype(et));
  assert_null(wasm_externtype_as_memorytype(et));
  assert_null(kiln_externtype_as_tagtype(et));
  assert_null(wasm_externtype_as_memorytype_const(et));
  wasm_externtype_delete(et); /* deletes the function type */

  /* Short-hands. */
  wasm_functype_t *f00 = wasm_functype_new_0_0();
  assert_int_equal(wasm_functype_params(f00)->size, 0);
  assert_int_equal(wasm_functype_results(f00)->size, 0);
  wasm_functype_delete(f00);
  wasm_functype_t *f32 = wasm_functype_new_3_2(
      wasm_valtype_new_i32(), wasm_valtype_new_i64(), wasm_valtype_new_f32(),
      wasm_valtype_new_f64(), wasm_valtype_new_funcref());
  assert_int_equal(wasm_functype_params(f32)->size, 3);
  assert_int_equal(wasm_valtype_kind(wasm_functype_params(f32)->data[2]),
                   WASM_F32);
  assert_int_equal(wasm_valtype_kind(wasm_functype_results(f32)->data[1]),
                   WASM_FUNCREF);
  wasm_functype_delete(f32);

  /* A NULL element is refused, and what was given is freed (ASan). */
  wasm_valtype_t *bad[2] = {wasm_valtype_new_i32(), NULL};
  wasm_valtype_vec_new(&params, 2, bad);
  wasm_valtype_vec_new_empty(&results);
  assert_null(wasm_functype_new(&params, &results));
  assert_int_equal(params.size, 0);
  wasm_functype_delete(NULL);
}

static void test_globaltype(void **state) {
  (void)state;
  wasm_valtype_t *content = wasm_valtype_new_i64();
  wasm_globaltype_t *gt = wasm_globaltype_new(content, WASM_VAR);
  assert_non_null(gt);
  assert_ptr_equal(wasm_globaltype_content(gt), content);
  assert_int_equal(wasm_globaltype_mutability(gt), WASM_VAR);
  wasm_globaltype_t *c = wasm_globaltype_copy(gt);
  assert_ptr_not_equal(wasm_globaltype_content(c), content);
  assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(c)), WASM_I64);
  assert_int_equal(wasm_globaltype_mutability(c), WASM_VAR);
  wasm_externtype_t *et = wasm_globaltype_as_externtype(c);
  assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_GLOBAL);
  assert_ptr_equal(wasm_externtype_as_globaltype(et), c);
  assert_ptr_equal(wasm_externtype_as_globaltype_const(et), c);
  assert_ptr_equal(wasm_globaltype_as_externtype_const(c), et);
  assert_null(wasm_externtype_as_functype(et));
  wasm_globaltype_delete(gt);
  wasm_globaltype_delete(c);

  wasm_globaltype_t *k =
      wasm_globaltype_new(wasm_valtype_new(KILN_V128), WASM_CONST);
  assert_int_equal(wasm_globaltype_mutability(k), WASM_CONST);
  assert_true(kiln_valtype_is_v128(wasm_globaltype_content(k)));
  wasm_globaltype_delete(k);

  /* Refused: a bad mutability (the content is freed: ASan), no content. */
  assert_null(wasm_globaltype_new(wasm_valtype_new_i32(), 2));
  assert_null(wasm_globaltype_new(NULL, WASM_CONST));
}

static void test_tabletype(void **state) {
  (void)state;
  wasm_limits_t lim = {1, 10};
  wasm_tabletype_t *tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &lim);
  assert_non_null(tt);
  assert_int_equal(wasm_valtype_kind(wasm_tabletype_element(tt)), WASM_FUNCREF);
  assert_int_equal(wasm_tabletype_limits(tt)->min, 1);
  assert_int_equal(wasm_tabletype_limits(tt)->max, 10);
  const kiln_limits64_t *l64 = kiln_tabletype_limits64(tt);
  assert_int_equal(l64->min, 1);
  assert_int_equal(l64->max, 10);
  assert_true(l64->has_max);
  assert_false(l64->is64);
  wasm_tabletype_t *c = wasm_tabletype_copy(tt);
  assert_ptr_not_equal(wasm_tabletype_element(c), wasm_tabletype_element(tt));
  assert_int_equal(wasm_tabletype_limits(c)->max, 10);
  wasm_externtype_t *et = wasm_tabletype_as_externtype(c);
  assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_TABLE);
  assert_ptr_equal(wasm_externtype_as_tabletype(et), c);
  assert_ptr_equal(wasm_externtype_as_tabletype_const(et), c);
  assert_ptr_equal(wasm_tabletype_as_externtype_const(c), et);
  wasm_tabletype_delete(tt);
  wasm_externtype_delete(et);

  /* No maximum. */
  wasm_limits_t open = {0, wasm_limits_max_default};
  tt = wasm_tabletype_new(wasm_valtype_new_externref(), &open);
  assert_int_equal(wasm_tabletype_limits(tt)->max, wasm_limits_max_default);
  assert_false(kiln_tabletype_limits64(tt)->has_max);
  wasm_tabletype_delete(tt);

  /* table64 with a typed element and limits beyond 32 bits: exact in the
   * 64-bit view, saturated in the standard one. */
  kiln_limits64_t big = {5, (uint64_t)1 << 40, true, true};
  tt = kiln_tabletype_new64(
      kiln_valtype_new_ref(false, kiln_heaptype_abstract(KILN_HEAP_STRUCT)),
      &big);
  assert_non_null(tt);
  assert_string_equal(vt_text(wasm_tabletype_element(tt)), "(ref struct)");
  assert_int_equal(wasm_tabletype_limits(tt)->min, 5);
  assert_int_equal(wasm_tabletype_limits(tt)->max, 0xffffffffu);
  l64 = kiln_tabletype_limits64(tt);
  assert_int_equal(l64->max, (uint64_t)1 << 40);
  assert_true(l64->is64);
  c = wasm_tabletype_copy(tt);
  assert_int_equal(kiln_tabletype_limits64(c)->max, (uint64_t)1 << 40);
  assert_true(kiln_tabletype_limits64(c)->is64);
  wasm_tabletype_delete(tt);
  wasm_tabletype_delete(c);

  /* Refused: a non-reference element (freed: ASan), no limits. */
  assert_null(wasm_tabletype_new(wasm_valtype_new_i32(), &lim));
  assert_null(wasm_tabletype_new(wasm_valtype_new_funcref(), NULL));
  assert_null(kiln_tabletype_new64(wasm_valtype_new_funcref(), NULL));
}

static void test_memorytype(void **state) {
  (void)state;
  wasm_limits_t lim = {1, 2};
  wasm_memorytype_t *mt = wasm_memorytype_new(&lim);
  assert_non_null(mt);
  assert_int_equal(wasm_memorytype_limits(mt)->min, 1);
  assert_int_equal(wasm_memorytype_limits(mt)->max, 2);
  assert_false(kiln_memorytype_limits64(mt)->is64);
  assert_true(kiln_memorytype_limits64(mt)->has_max);
  wasm_memorytype_t *c = wasm_memorytype_copy(mt);
  assert_ptr_not_equal(c, mt);
  assert_int_equal(wasm_memorytype_limits(c)->max, 2);
  wasm_externtype_t *et = wasm_memorytype_as_externtype(c);
  assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_MEMORY);
  assert_ptr_equal(wasm_externtype_as_memorytype(et), c);
  assert_ptr_equal(wasm_externtype_as_memorytype_const(et), c);
  assert_ptr_equal(wasm_memorytype_as_externtype_const(c), et);
  assert_null(wasm_externtype_as_tabletype_const(et));
  wasm_memorytype_delete(mt);
  wasm_externtype_delete(et);

  wasm_limits_t open = {3, wasm_limits_max_default};
  mt = wasm_memorytype_new(&open);
  assert_false(kiln_memorytype_limits64(mt)->has_max);
  assert_int_equal(kiln_memorytype_limits64(mt)->max, 0);
  assert_int_equal(wasm_memorytype_limits(mt)->max, wasm_limits_max_default);
  wasm_memorytype_delete(mt);

  /* memory64: a minimum beyond 32 bits, no maximum. */
  kiln_limits64_t l = {(uint64_t)1 << 33, 12345, false, true};
  mt = kiln_memorytype_new64(&l);
  assert_non_null(mt);
  const kiln_limits64_t *l64 = kiln_memorytype_limits64(mt);
  assert_int_equal(l64->min, (uint64_t)1 << 33);
  assert_false(l64->has_max);
  assert_int_equal(l64->max, 0); /* normalized: no maximum */
  assert_true(l64->is64);
  assert_int_equal(wasm_memorytype_limits(mt)->min, 0xffffffffu);
  assert_int_equal(wasm_memorytype_limits(mt)->max, wasm_limits_max_default);
  wasm_memorytype_delete(mt);

  assert_null(wasm_memorytype_new(NULL));
  assert_null(kiln_memorytype_new64(NULL));
}

static void test_tagtype(void **state) {
  (void)state;
  kiln_tagtype_t *tag = kiln_tagtype_new(
      wasm_functype_new_2_0(wasm_valtype_new_i32(), wasm_valtype_new_f64()));
  assert_non_null(tag);
  const wasm_functype_t *ft = kiln_tagtype_functype(tag);
  assert_int_equal(wasm_functype_params(ft)->size, 2);
  assert_int_equal(wasm_valtype_kind(wasm_functype_params(ft)->data[1]),
                   WASM_F64);
  wasm_externtype_t *et = kiln_tagtype_as_externtype(tag);
  assert_int_equal(wasm_externtype_kind(et), KILN_EXTERN_TAG);
  assert_ptr_equal(kiln_externtype_as_tagtype(et), tag);
  assert_ptr_equal(kiln_externtype_as_tagtype_const(et), tag);
  assert_ptr_equal(kiln_tagtype_as_externtype_const(tag), et);
  assert_null(wasm_externtype_as_functype(et));
  wasm_externtype_t *ec = wasm_externtype_copy(et);
  assert_non_null(ec);
  assert_ptr_not_equal(ec, et);
  const kiln_tagtype_t *tc = kiln_externtype_as_tagtype_const(ec);
  assert_non_null(tc);
  assert_int_equal(wasm_functype_params(kiln_tagtype_functype(tc))->size, 2);
  kiln_tagtype_delete(tag);
  wasm_externtype_delete(ec);
  /* A tag's function type has no results; the type given is freed. */
  assert_null(kiln_tagtype_new(wasm_functype_new_0_1(wasm_valtype_new_i32())));
  assert_null(kiln_tagtype_new(NULL));
}

static void test_import_export_types(void **state) {
  (void)state;
  wasm_name_t mod, name;
  wasm_name_new_from_string(&mod, "env");
  wasm_name_new_from_string(&name, "memory");
  wasm_limits_t lim = {1, 1};
  wasm_importtype_t *it = wasm_importtype_new(
      &mod, &name, wasm_memorytype_as_externtype(wasm_memorytype_new(&lim)));
  assert_non_null(it);
  assert_int_equal(mod.size, 0); /* moved */
  assert_null(name.data);
  assert_true(name_is(wasm_importtype_module(it), "env"));
  assert_true(name_is(wasm_importtype_name(it), "memory"));
  assert_int_equal(wasm_externtype_kind(wasm_importtype_type(it)),
                   WASM_EXTERN_MEMORY);
  wasm_importtype_t *ic = wasm_importtype_copy(it);
  assert_ptr_not_equal(wasm_importtype_module(ic)->data,
                       wasm_importtype_module(it)->data);
  assert_ptr_not_equal(wasm_importtype_type(ic), wasm_importtype_type(it));
  wasm_importtype_delete(it);
  assert_true(name_is(wasm_importtype_module(ic), "env"));
  assert_true(name_is(wasm_importtype_name(ic), "memory"));
  assert_int_equal(wasm_memorytype_limits(wasm_externtype_as_memorytype_const(
                                              wasm_importtype_type(ic)))
                       ->max,
                   1);
  wasm_importtype_delete(ic);

  /* An empty name is a valid name. */
  wasm_name_new_empty(&name);
  wasm_exporttype_t *et = wasm_exporttype_new(
      &name, wasm_functype_as_externtype(wasm_functype_new_0_0()));
  assert_non_null(et);
  assert_int_equal(wasm_exporttype_name(et)->size, 0);
  assert_int_equal(wasm_externtype_kind(wasm_exporttype_type(et)),
                   WASM_EXTERN_FUNC);
  wasm_exporttype_t *ec = wasm_exporttype_copy(et);
  wasm_exporttype_delete(et);
  assert_int_equal(wasm_externtype_kind(wasm_exporttype_type(ec)),
                   WASM_EXTERN_FUNC);
  wasm_exporttype_delete(ec);

  wasm_name_new_from_string(&name, "x");
  et = wasm_exporttype_new(
      &name, wasm_globaltype_as_externtype(
                 wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST)));
  assert_true(name_is(wasm_exporttype_name(et), "x"));
  wasm_exporttype_delete(et);

  /* Missing arguments: NULL, and what was given is freed (ASan). */
  wasm_name_new_from_string(&mod, "a");
  wasm_name_new_from_string(&name, "b");
  assert_null(wasm_importtype_new(&mod, &name, NULL));
  assert_int_equal(mod.size, 0);
  wasm_name_new_from_string(&name, "b");
  assert_null(wasm_exporttype_new(&name, NULL));
  assert_null(wasm_exporttype_new(
      NULL, wasm_functype_as_externtype(wasm_functype_new_0_0())));
}

/* ------------------------------------------------------------------------
 * Vectors
 * ---------------------------------------------------------------------- */

static void test_vec_bytes(void **state) {
  (void)state;
  wasm_byte_vec_t v, c;
  wasm_byte_vec_new(&v, 5, "hello");
  assert_int_equal(v.size, 5);
  wasm_byte_vec_copy(&c, &v);
  assert_int_equal(c.size, 5);
  assert_ptr_not_equal(c.data, v.data);
  assert_memory_equal(c.data, "hello", 5);
  wasm_byte_vec_delete(&v);
  assert_int_equal(v.size, 0);
  assert_null(v.data);
  wasm_byte_vec_delete(&v); /* harmless */
  assert_memory_equal(c.data, "hello", 5);
  wasm_byte_vec_delete(&c);

  wasm_byte_vec_new_uninitialized(&v, 3);
  assert_int_equal(v.size, 3);
  memcpy(v.data, "abc", 3);
  wasm_name_t n;
  wasm_name_copy(&n, &v);
  assert_true(name_is(&n, "abc"));
  wasm_name_delete(&n);
  wasm_byte_vec_delete(&v);

  wasm_name_new_from_string_nt(&n, "ab");
  assert_int_equal(n.size, 3);
  assert_int_equal(n.data[2], 0);
  wasm_name_delete(&n);

  wasm_byte_vec_new_empty(&v);
  wasm_byte_vec_copy(&c, &v);
  assert_int_equal(c.size, 0);
  assert_null(c.data);
  wasm_byte_vec_new(&v, 0, NULL);
  assert_int_equal(v.size, 0);
  wasm_byte_vec_delete(&v);
  wasm_byte_vec_delete(NULL);
}

static void test_vec_pointers(void **state) {
  (void)state;
  /* new_uninitialized: NULL elements, safe to delete partly filled. */
  wasm_valtype_vec_t v;
  wasm_valtype_vec_new_uninitialized(&v, 4);
  assert_int_equal(v.size, 4);
  for (size_t i = 0; i < 4; i++)
    assert_null(v.data[i]);
  v.data[1] = wasm_valtype_new_f32();
  wasm_valtype_vec_t c;
  wasm_valtype_vec_copy(&c, &v); /* NULL elements copy as NULL */
  assert_int_equal(c.size, 4);
  assert_null(c.data[0]);
  assert_non_null(c.data[1]);
  assert_ptr_not_equal(c.data[1], v.data[1]);
  wasm_valtype_vec_delete(&v);
  assert_int_equal(v.size, 0);
  assert_int_equal(wasm_valtype_kind(c.data[1]), WASM_F32);
  wasm_valtype_vec_delete(&c);
  wasm_valtype_vec_delete(&c);

  /* new takes the elements; copy is deep; each vector frees its own. */
  wasm_valtype_t *elems[3] = {
      wasm_valtype_new_i32(), wasm_valtype_new_externref(),
      kiln_valtype_new_ref(false, kiln_heaptype_concrete(3))};
  wasm_valtype_vec_new(&v, 3, elems);
  assert_ptr_equal(v.data[2], elems[2]);
  wasm_valtype_vec_copy(&c, &v);
  for (size_t i = 0; i < 3; i++) {
    assert_ptr_not_equal(c.data[i], v.data[i]);
    assert_true(kiln_valtype_equal(c.data[i], v.data[i]));
  }
  wasm_valtype_vec_delete(&v);
  assert_string_equal(vt_text(c.data[2]), "(ref canon#3)");
  wasm_valtype_vec_delete(&c);

  /* WASM_ARRAY_VEC / WASM_EMPTY_VEC make borrowed views for copying. */
  wasm_valtype_t *i64 = wasm_valtype_new_i64();
  wasm_valtype_t *arr[1] = {i64};
  wasm_valtype_vec_t view = WASM_ARRAY_VEC(arr);
  wasm_valtype_vec_copy(&c, &view);
  assert_int_equal(c.size, 1);
  assert_ptr_not_equal(c.data[0], i64);
  wasm_valtype_vec_delete(&c);
  wasm_valtype_delete(i64);
  wasm_valtype_vec_t empty = WASM_EMPTY_VEC;
  wasm_valtype_vec_copy(&c, &empty);
  assert_int_equal(c.size, 0);

  /* A size that cannot be allocated gives an empty vector; the elements
   * given to _new are then freed (ASan: no leak). */
  wasm_valtype_vec_new_uninitialized(&v, SIZE_MAX / 2);
  assert_int_equal(v.size, 0);
  assert_null(v.data);
  wasm_byte_vec_t huge;
  wasm_byte_vec_new_uninitialized(&huge, SIZE_MAX);
  assert_int_equal(huge.size, 0);
  assert_null(huge.data);

  /* Every vector type, through the extern types it holds. */
  wasm_limits_t lim = {0, 1};
  wasm_externtype_t *ets[5] = {
      wasm_functype_as_externtype(wasm_functype_new_1_1(
          wasm_valtype_new_i32(), wasm_valtype_new_i64())),
      wasm_globaltype_as_externtype(
          wasm_globaltype_new(wasm_valtype_new_f64(), WASM_VAR)),
      wasm_tabletype_as_externtype(
          wasm_tabletype_new(wasm_valtype_new_funcref(), &lim)),
      wasm_memorytype_as_externtype(wasm_memorytype_new(&lim)),
      kiln_tagtype_as_externtype(kiln_tagtype_new(wasm_functype_new_0_0())),
  };
  wasm_externtype_vec_t ev, ec;
  wasm_externtype_vec_new(&ev, 5, ets);
  wasm_externtype_vec_copy(&ec, &ev);
  assert_int_equal(ec.size, 5);
  static const wasm_externkind_t kinds[5] = {
      WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_TABLE,
      WASM_EXTERN_MEMORY, KILN_EXTERN_TAG};
  for (size_t i = 0; i < 5; i++) {
    assert_ptr_not_equal(ec.data[i], ev.data[i]);
    assert_int_equal(wasm_externtype_kind(ec.data[i]), kinds[i]);
  }
  wasm_externtype_vec_delete(&ev);
  wasm_externtype_vec_delete(&ec);

  wasm_functype_t *fts[2] = {wasm_functype_new_0_0(), wasm_functype_new_0_0()};
  wasm_functype_vec_t fv, fc;
  wasm_functype_vec_new(&fv, 2, fts);
  wasm_functype_vec_copy(&fc, &fv);
  wasm_functype_vec_delete(&fv);
  assert_int_equal(fc.size, 2);
  wasm_functype_vec_delete(&fc);

  wasm_globaltype_t *gts[1] = {
      wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST)};
  wasm_globaltype_vec_t gv, gc;
  wasm_globaltype_vec_new(&gv, 1, gts);
  wasm_globaltype_vec_copy(&gc, &gv);
  wasm_globaltype_vec_delete(&gv);
  assert_int_equal(wasm_globaltype_mutability(gc.data[0]), WASM_CONST);
  wasm_globaltype_vec_delete(&gc);

  wasm_tabletype_t *tts[1] = {
      wasm_tabletype_new(wasm_valtype_new_externref(), &lim)};
  wasm_tabletype_vec_t tv, tc;
  wasm_tabletype_vec_new(&tv, 1, tts);
  wasm_tabletype_vec_copy(&tc, &tv);
  wasm_tabletype_vec_delete(&tv);
  assert_int_equal(wasm_tabletype_limits(tc.data[0])->max, 1);
  wasm_tabletype_vec_delete(&tc);

  wasm_memorytype_t *mts[1] = {wasm_memorytype_new(&lim)};
  wasm_memorytype_vec_t mv, mc;
  wasm_memorytype_vec_new(&mv, 1, mts);
  wasm_memorytype_vec_copy(&mc, &mv);
  wasm_memorytype_vec_delete(&mv);
  assert_int_equal(wasm_memorytype_limits(mc.data[0])->max, 1);
  wasm_memorytype_vec_delete(&mc);

  wasm_name_t m, n;
  wasm_name_new_from_string(&m, "m");
  wasm_name_new_from_string(&n, "n");
  wasm_importtype_t *its[1] = {wasm_importtype_new(
      &m, &n, wasm_functype_as_externtype(wasm_functype_new_0_0()))};
  wasm_importtype_vec_t iv, ic;
  wasm_importtype_vec_new(&iv, 1, its);
  wasm_importtype_vec_copy(&ic, &iv);
  wasm_importtype_vec_delete(&iv);
  assert_true(name_is(wasm_importtype_name(ic.data[0]), "n"));
  wasm_importtype_vec_delete(&ic);

  wasm_name_new_from_string(&n, "e");
  wasm_exporttype_t *exs[1] = {wasm_exporttype_new(
      &n, wasm_memorytype_as_externtype(wasm_memorytype_new(&lim)))};
  wasm_exporttype_vec_t xv, xc;
  wasm_exporttype_vec_new(&xv, 1, exs);
  wasm_exporttype_vec_copy(&xc, &xv);
  wasm_exporttype_vec_delete(&xv);
  assert_true(name_is(wasm_exporttype_name(xc.data[0]), "e"));
  wasm_exporttype_vec_delete(&xc);
}

/* ------------------------------------------------------------------------
 * Modules written with wasm_writer.h
 * ---------------------------------------------------------------------- */

/* Value type and heap type codes. */
enum {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
  FUNCREF = 0x70,
  EXTERNREF = 0x6f,
  REF = 0x64,
  REFNULL = 0x63
};

/* The test module: imports and exports of every kind (function, table,
 * memory, global, tag), 32- and 64-bit limits, typed references.
 *
 *   type 0  (func (param i32 i64) (result f32))
 *   type 1  (func)
 *   type 2  (func (param i32))                        ;; the tags' type
 *   type 3  (struct (field (mut i32)))
 *   type 4  (func (param (ref null 3) v128) (result (ref 0)))
 *
 *   import "env" "f"   (func (type 0))                ;; func 0
 *   import "env" "h"   (func (type 4))                ;; func 1
 *   import "env" "t"   (table 1 10 funcref)           ;; table 0
 *   import "env" "m"   (memory 1)                     ;; memory 0
 *   import "env" "g"   (global (mut i64))             ;; global 0
 *   import "env" "e"   (tag (type 2))                 ;; tag 0
 *   import "env" "m64" (memory i64 3 0x100000000)     ;; memory 1
 *   import "env" "t64" (table i64 0 100 (ref null 3)) ;; table 1
 *   import "env" "gr"  (global (ref 4))               ;; global 1
 *   import "env" "v"   (global v128)                  ;; global 2
 *
 *   func 2 (type 1), func 3 (type 0); table 2 (2 externref);
 *   memory 2 (0 1); tag 1 (type 2); global 3 (mut f64) = 0
 *
 *   export "f1" func 2, "f2" func 3, "fi" func 0, "tab" table 2,
 *          "t64" table 1, "mem" memory 2, "m64" memory 1, "glob" global 3,
 *          "gr" global 1, "tag" tag 1, "etag" tag 0
 */
static void build_module(wbuf *m) {
  wbuf s = {0};
  wb_header(m);

  WB(&s, 0x60, 2, I32, I64, 1, F32);
  WB(&s, 0x60, 0, 0);
  WB(&s, 0x60, 1, I32, 0);
  WB(&s, 0x5f, 1, I32, 1);
  WB(&s, 0x60, 2, REFNULL, 3, V128, 1, REF, 0);
  wb_vec_section(m, 1, 5, &s);

  /* clang-format off */
  wb_name(&s, "env"); wb_name(&s, "f");   WB(&s, 0x00, 0);
  wb_name(&s, "env"); wb_name(&s, "h");   WB(&s, 0x00, 4);
  wb_name(&s, "env"); wb_name(&s, "t");   WB(&s, 0x01, FUNCREF, 0x01, 1, 10);
  wb_name(&s, "env"); wb_name(&s, "m");   WB(&s, 0x02, 0x00, 1);
  wb_name(&s, "env"); wb_name(&s, "g");   WB(&s, 0x03, I64, 1);
  wb_name(&s, "env"); wb_name(&s, "e");   WB(&s, 0x04, 0, 2);
  wb_name(&s, "env"); wb_name(&s, "m64"); WB(&s, 0x02, 0x05, 3);
  wb_uleb(&s, (uint64_t)1 << 32);
  wb_name(&s, "env"); wb_name(&s, "t64"); WB(&s, 0x01, REFNULL, 3, 0x05, 0, 100);
  wb_name(&s, "env"); wb_name(&s, "gr");  WB(&s, 0x03, REF, 4, 0);
  wb_name(&s, "env"); wb_name(&s, "v");   WB(&s, 0x03, V128, 0);
  wb_vec_section(m, 2, 10, &s);
  /* clang-format on */

  WB(&s, 1, 0);
  wb_vec_section(m, 3, 2, &s); /* functions */
  WB(&s, EXTERNREF, 0x00, 2);
  wb_vec_section(m, 4, 1, &s); /* tables */
  WB(&s, 0x01, 0, 1);
  wb_vec_section(m, 5, 1, &s); /* memories */
  WB(&s, 0, 2);
  wb_vec_section(m, 13, 1, &s); /* tags */
  WB(&s, F64, 1, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b);
  wb_vec_section(m, 6, 1, &s); /* globals */

  /* clang-format off */
  wb_name(&s, "f1");   WB(&s, 0x00, 2);
  wb_name(&s, "f2");   WB(&s, 0x00, 3);
  wb_name(&s, "fi");   WB(&s, 0x00, 0);
  wb_name(&s, "tab");  WB(&s, 0x01, 2);
  wb_name(&s, "t64");  WB(&s, 0x01, 1);
  wb_name(&s, "mem");  WB(&s, 0x02, 2);
  wb_name(&s, "m64");  WB(&s, 0x02, 1);
  wb_name(&s, "glob"); WB(&s, 0x03, 3);
  wb_name(&s, "gr");   WB(&s, 0x03, 1);
  wb_name(&s, "tag");  WB(&s, 0x04, 1);
  wb_name(&s, "etag"); WB(&s, 0x04, 0);
  wb_vec_section(m, 7, 11, &s);
  /* clang-format on */

  WB(&s, 2, 0, 0x0b);       /* func 2: end */
  WB(&s, 3, 0, 0x00, 0x0b); /* func 3: unreachable end */
  wb_vec_section(m, 10, 2, &s);
}

/* A module importing one function of type (func (param i32 i64) (result
 * f32)), alone in its rec group or (rec_pair) in a group of two. */
static void build_importer(wbuf *m, bool rec_pair) {
  wbuf s = {0};
  wb_header(m);
  if (rec_pair) {
    WB(&s, 0x4e, 2, 0x60, 2, I32, I64, 1, F32, 0x60, 0, 0);
  } else {
    WB(&s, 0x60, 2, I32, I64, 1, F32);
  }
  wb_vec_section(m, 1, 1, &s);
  wb_name(&s, "x");
  wb_name(&s, "y");
  WB(&s, 0x00, 0);
  wb_vec_section(m, 2, 1, &s);
}

static wasm_module_t *module_from(wasm_store_t *store, const wbuf *b) {
  wasm_byte_vec_t bytes;
  wasm_byte_vec_new(&bytes, b->n, (const wasm_byte_t *)b->p);
  wasm_module_t *mod = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  return mod;
}

/* ------------------------------------------------------------------------
 * Modules
 * ---------------------------------------------------------------------- */

static const wasm_functype_t *as_func(const wasm_externtype_t *t) {
  const wasm_functype_t *f = wasm_externtype_as_functype_const(t);
  assert_non_null(f);
  return f;
}

static void assert_kinds(const wasm_valtype_vec_t *v, size_t n,
                         const wasm_valkind_t *kinds) {
  assert_int_equal(v->size, n);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(wasm_valtype_kind(v->data[i]), kinds[i]);
}

/* The function type (func (param i32 i64) (result f32)). */
static void assert_type0(const wasm_functype_t *f) {
  assert_kinds(wasm_functype_params(f), 2,
               (wasm_valkind_t[]){WASM_I32, WASM_I64});
  assert_kinds(wasm_functype_results(f), 1, (wasm_valkind_t[]){WASM_F32});
  assert_int_not_equal(kiln_functype_type_id(f), KILN_NO_TYPE);
}

static void test_module_imports(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wbuf b = {0};
  build_module(&b);
  assert_true(
      wasm_module_validate(store, &(wasm_byte_vec_t){b.n, (wasm_byte_t *)b.p}));
  wasm_module_t *mod = module_from(store, &b);
  assert_non_null(mod);

  wasm_importtype_vec_t im;
  wasm_module_imports(mod, &im);
  assert_int_equal(im.size, 10);
  static const char *names[10] = {"f", "h",   "t",   "m",  "g",
                                  "e", "m64", "t64", "gr", "v"};
  static const wasm_externkind_t kinds[10] = {
      WASM_EXTERN_FUNC,   WASM_EXTERN_FUNC,   WASM_EXTERN_TABLE,
      WASM_EXTERN_MEMORY, WASM_EXTERN_GLOBAL, KILN_EXTERN_TAG,
      WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE,  WASM_EXTERN_GLOBAL,
      WASM_EXTERN_GLOBAL};
  for (size_t i = 0; i < 10; i++) {
    assert_true(name_is(wasm_importtype_module(im.data[i]), "env"));
    assert_true(name_is(wasm_importtype_name(im.data[i]), names[i]));
    assert_int_equal(wasm_externtype_kind(wasm_importtype_type(im.data[i])),
                     kinds[i]);
  }

  /* "f": type 0. */
  const wasm_functype_t *f = as_func(wasm_importtype_type(im.data[0]));
  assert_type0(f);
  uint32_t id0 = kiln_functype_type_id(f);

  /* "h": (func (param (ref null 3) v128) (result (ref 0))): the concrete
   * references carry canonical ids, the one of type 0 among them. */
  const wasm_functype_t *h = as_func(wasm_importtype_type(im.data[1]));
  uint32_t id4 = kiln_functype_type_id(h);
  assert_int_not_equal(id4, KILN_NO_TYPE);
  assert_int_not_equal(id4, id0);
  const wasm_valtype_vec_t *hp = wasm_functype_params(h);
  assert_int_equal(hp->size, 2);
  assert_int_equal(wasm_valtype_kind(hp->data[0]), KILN_REF);
  assert_true(kiln_valtype_is_nullable(hp->data[0]));
  kiln_heaptype_t ht3 = heap_of(hp->data[0]);
  assert_int_equal(ht3.kind, KILN_HEAP_CONCRETE);
  assert_int_not_equal(ht3.type_id, id0);
  assert_int_not_equal(ht3.type_id, id4);
  assert_true(kiln_valtype_is_v128(hp->data[1]));
  const wasm_valtype_vec_t *hr = wasm_functype_results(h);
  assert_int_equal(hr->size, 1);
  assert_false(kiln_valtype_is_nullable(hr->data[0]));
  kiln_heaptype_t ht0 = heap_of(hr->data[0]);
  assert_int_equal(ht0.kind, KILN_HEAP_CONCRETE);
  assert_int_equal(ht0.type_id, id0);

  /* "t": (table 1 10 funcref). */
  const wasm_tabletype_t *t =
      wasm_externtype_as_tabletype_const(wasm_importtype_type(im.data[2]));
  assert_non_null(t);
  assert_int_equal(wasm_valtype_kind(wasm_tabletype_element(t)), WASM_FUNCREF);
  assert_int_equal(wasm_tabletype_limits(t)->min, 1);
  assert_int_equal(wasm_tabletype_limits(t)->max, 10);
  assert_false(kiln_tabletype_limits64(t)->is64);

  /* "m": (memory 1). */
  const wasm_memorytype_t *mem =
      wasm_externtype_as_memorytype_const(wasm_importtype_type(im.data[3]));
  assert_non_null(mem);
  assert_int_equal(wasm_memorytype_limits(mem)->min, 1);
  assert_int_equal(wasm_memorytype_limits(mem)->max, wasm_limits_max_default);
  assert_false(kiln_memorytype_limits64(mem)->has_max);
  assert_false(kiln_memorytype_limits64(mem)->is64);

  /* "g": (global (mut i64)). */
  const wasm_globaltype_t *g =
      wasm_externtype_as_globaltype_const(wasm_importtype_type(im.data[4]));
  assert_non_null(g);
  assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(g)), WASM_I64);
  assert_int_equal(wasm_globaltype_mutability(g), WASM_VAR);

  /* "e": (tag (type 2)) = (param i32). */
  const kiln_tagtype_t *e =
      kiln_externtype_as_tagtype_const(wasm_importtype_type(im.data[5]));
  assert_non_null(e);
  assert_kinds(wasm_functype_params(kiln_tagtype_functype(e)), 1,
               (wasm_valkind_t[]){WASM_I32});
  assert_int_equal(wasm_functype_results(kiln_tagtype_functype(e))->size, 0);
  uint32_t id2 = kiln_functype_type_id(kiln_tagtype_functype(e));
  assert_int_not_equal(id2, KILN_NO_TYPE);

  /* "m64": (memory i64 3 0x100000000): exact in 64 bits, saturated in 32. */
  mem = wasm_externtype_as_memorytype_const(wasm_importtype_type(im.data[6]));
  assert_non_null(mem);
  const kiln_limits64_t *l = kiln_memorytype_limits64(mem);
  assert_true(l->is64);
  assert_true(l->has_max);
  assert_int_equal(l->min, 3);
  assert_int_equal(l->max, (uint64_t)1 << 32);
  assert_int_equal(wasm_memorytype_limits(mem)->min, 3);
  assert_int_equal(wasm_memorytype_limits(mem)->max, 0xffffffffu);

  /* "t64": (table i64 0 100 (ref null 3)). */
  t = wasm_externtype_as_tabletype_const(wasm_importtype_type(im.data[7]));
  assert_non_null(t);
  l = kiln_tabletype_limits64(t);
  assert_true(l->is64);
  assert_int_equal(l->min, 0);
  assert_int_equal(l->max, 100);
  assert_int_equal(wasm_valtype_kind(wasm_tabletype_element(t)), KILN_REF);
  assert_true(kiln_valtype_is_nullable(wasm_tabletype_element(t)));
  kiln_heaptype_t th = heap_of(wasm_tabletype_element(t));
  assert_int_equal(th.kind, KILN_HEAP_CONCRETE);
  assert_int_equal(th.type_id, ht3.type_id);

  /* "gr": (global (ref 4)), the type of "h". */
  g = wasm_externtype_as_globaltype_const(wasm_importtype_type(im.data[8]));
  assert_int_equal(wasm_globaltype_mutability(g), WASM_CONST);
  assert_false(kiln_valtype_is_nullable(wasm_globaltype_content(g)));
  assert_int_equal(heap_of(wasm_globaltype_content(g)).type_id, id4);

  /* "v": (global v128). */
  g = wasm_externtype_as_globaltype_const(wasm_importtype_type(im.data[9]));
  assert_true(kiln_valtype_is_v128(wasm_globaltype_content(g)));
  assert_int_equal(wasm_globaltype_mutability(g), WASM_CONST);

  /* A deep copy of the whole vector outlives the original and the module. */
  wasm_importtype_vec_t copy;
  wasm_importtype_vec_copy(&copy, &im);
  wasm_importtype_vec_delete(&im);
  wasm_module_delete(mod);
  assert_int_equal(copy.size, 10);
  assert_true(name_is(wasm_importtype_name(copy.data[6]), "m64"));
  assert_int_equal(
      kiln_memorytype_limits64(wasm_externtype_as_memorytype_const(
                                   wasm_importtype_type(copy.data[6])))
          ->max,
      (uint64_t)1 << 32);
  assert_int_equal(
      kiln_functype_type_id(as_func(wasm_importtype_type(copy.data[1]))), id4);
  wasm_importtype_vec_delete(&copy);

  free(b.p);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

static void test_module_exports(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wbuf b = {0};
  build_module(&b);
  wasm_module_t *mod = module_from(store, &b);
  assert_non_null(mod);

  wasm_importtype_vec_t im;
  wasm_module_imports(mod, &im);
  uint32_t id0 =
      kiln_functype_type_id(as_func(wasm_importtype_type(im.data[0])));
  uint32_t id2 = kiln_functype_type_id(kiln_tagtype_functype(
      kiln_externtype_as_tagtype_const(wasm_importtype_type(im.data[5]))));
  uint32_t id4 =
      kiln_functype_type_id(as_func(wasm_importtype_type(im.data[1])));

  wasm_exporttype_vec_t ex;
  wasm_module_exports(mod, &ex);
  assert_int_equal(ex.size, 11);
  static const char *names[11] = {"f1",  "f2",   "fi", "tab", "t64", "mem",
                                  "m64", "glob", "gr", "tag", "etag"};
  static const wasm_externkind_t kinds[11] = {
      WASM_EXTERN_FUNC,   WASM_EXTERN_FUNC,   WASM_EXTERN_FUNC,
      WASM_EXTERN_TABLE,  WASM_EXTERN_TABLE,  WASM_EXTERN_MEMORY,
      WASM_EXTERN_MEMORY, WASM_EXTERN_GLOBAL, WASM_EXTERN_GLOBAL,
      KILN_EXTERN_TAG,    KILN_EXTERN_TAG};
  for (size_t i = 0; i < 11; i++) {
    assert_true(name_is(wasm_exporttype_name(ex.data[i]), names[i]));
    assert_int_equal(wasm_externtype_kind(wasm_exporttype_type(ex.data[i])),
                     kinds[i]);
  }

  /* "f1": type 1, (func). */
  const wasm_functype_t *f = as_func(wasm_exporttype_type(ex.data[0]));
  assert_int_equal(wasm_functype_params(f)->size, 0);
  assert_int_equal(wasm_functype_results(f)->size, 0);
  uint32_t id1 = kiln_functype_type_id(f);
  assert_int_not_equal(id1, KILN_NO_TYPE);
  assert_int_not_equal(id1, id0);
  /* "f2" (defined) and "fi" (the re-exported import) are type 0. */
  assert_type0(as_func(wasm_exporttype_type(ex.data[1])));
  assert_int_equal(
      kiln_functype_type_id(as_func(wasm_exporttype_type(ex.data[1]))), id0);
  assert_int_equal(
      kiln_functype_type_id(as_func(wasm_exporttype_type(ex.data[2]))), id0);

  /* "tab": (table 2 externref). */
  const wasm_tabletype_t *t =
      wasm_externtype_as_tabletype_const(wasm_exporttype_type(ex.data[3]));
  assert_int_equal(wasm_valtype_kind(wasm_tabletype_element(t)),
                   WASM_EXTERNREF);
  assert_int_equal(wasm_tabletype_limits(t)->min, 2);
  assert_int_equal(wasm_tabletype_limits(t)->max, wasm_limits_max_default);
  /* "t64": the imported table64. */
  t = wasm_externtype_as_tabletype_const(wasm_exporttype_type(ex.data[4]));
  assert_true(kiln_tabletype_limits64(t)->is64);
  assert_int_equal(kiln_tabletype_limits64(t)->max, 100);

  /* "mem": (memory 0 1); "m64": the imported memory64. */
  const wasm_memorytype_t *mem =
      wasm_externtype_as_memorytype_const(wasm_exporttype_type(ex.data[5]));
  assert_int_equal(wasm_memorytype_limits(mem)->min, 0);
  assert_int_equal(wasm_memorytype_limits(mem)->max, 1);
  mem = wasm_externtype_as_memorytype_const(wasm_exporttype_type(ex.data[6]));
  assert_true(kiln_memorytype_limits64(mem)->is64);
  assert_int_equal(kiln_memorytype_limits64(mem)->max, (uint64_t)1 << 32);

  /* "glob": (global (mut f64)); "gr": (global (ref 4)). */
  const wasm_globaltype_t *g =
      wasm_externtype_as_globaltype_const(wasm_exporttype_type(ex.data[7]));
  assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(g)), WASM_F64);
  assert_int_equal(wasm_globaltype_mutability(g), WASM_VAR);
  g = wasm_externtype_as_globaltype_const(wasm_exporttype_type(ex.data[8]));
  assert_int_equal(heap_of(wasm_globaltype_content(g)).type_id, id4);

  /* "tag" (defined) and "etag" (imported): both type 2. */
  for (size_t i = 9; i < 11; i++) {
    const kiln_tagtype_t *tag =
        kiln_externtype_as_tagtype_const(wasm_exporttype_type(ex.data[i]));
    assert_non_null(tag);
    assert_kinds(wasm_functype_params(kiln_tagtype_functype(tag)), 1,
                 (wasm_valkind_t[]){WASM_I32});
    assert_int_equal(kiln_functype_type_id(kiln_tagtype_functype(tag)), id2);
  }

  /* The summary agrees. */
  kiln_module_info_t info;
  kiln_module_get_info(mod, &info);
  assert_int_equal(info.imports, 10);
  assert_int_equal(info.exports, 11);
  assert_int_equal(info.functions, 4);
  assert_int_equal(info.defined_functions, 2);
  assert_int_equal(info.tables, 3);
  assert_int_equal(info.memories, 3);
  assert_int_equal(info.globals, 4);
  assert_int_equal(info.tags, 2);
  assert_int_equal(info.types, 5);

  wasm_exporttype_vec_delete(&ex);
  wasm_importtype_vec_delete(&im);
  wasm_module_delete(mod);
  free(b.p);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* Canonical ids compare across modules of one engine: the same function
 * type alone in its rec group has one id in every module; in another rec
 * group it is another type. */
static void test_module_type_identity(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wbuf a = {0}, b = {0}, c = {0};
  build_module(&a);
  build_importer(&b, false);
  build_importer(&c, true);
  wasm_module_t *ma = module_from(store, &a);
  wasm_module_t *mb = module_from(store, &b);
  wasm_module_t *mc = module_from(store, &c);
  assert_non_null(ma);
  assert_non_null(mb);
  assert_non_null(mc);
  wasm_importtype_vec_t ia, ib, ic;
  wasm_module_imports(ma, &ia);
  wasm_module_imports(mb, &ib);
  wasm_module_imports(mc, &ic);
  const wasm_functype_t *fa = as_func(wasm_importtype_type(ia.data[0]));
  const wasm_functype_t *fb = as_func(wasm_importtype_type(ib.data[0]));
  const wasm_functype_t *fc = as_func(wasm_importtype_type(ic.data[0]));
  assert_type0(fb);
  assert_type0(fc);
  assert_true(name_is(wasm_importtype_module(ib.data[0]), "x"));
  assert_true(name_is(wasm_importtype_name(ib.data[0]), "y"));
  assert_int_equal(kiln_functype_type_id(fa), kiln_functype_type_id(fb));
  assert_int_not_equal(kiln_functype_type_id(fa), kiln_functype_type_id(fc));
  wasm_importtype_vec_delete(&ia);
  wasm_importtype_vec_delete(&ib);
  wasm_importtype_vec_delete(&ic);
  /* A module without exports has an empty export vector. */
  wasm_exporttype_vec_t eb;
  wasm_module_exports(mb, &eb);
  assert_int_equal(eb.size, 0);
  assert_null(eb.data);
  wasm_exporttype_vec_delete(&eb);
  wasm_module_delete(ma);
  wasm_module_delete(mb);
  wasm_module_delete(mc);
  free(a.p);
  free(b.p);
  free(c.p);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

static void test_module_invalid(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);

  /* Malformed: wrong version. */
  static const uint8_t bad_version[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
  wasm_byte_vec_t bytes;
  wasm_byte_vec_new(&bytes, sizeof bad_version,
                    (const wasm_byte_t *)bad_version);
  assert_null(wasm_module_new(store, &bytes));
  assert_false(wasm_module_validate(store, &bytes));
  wasm_byte_vec_delete(&bytes);
  kiln_diagnostic_t d;
  assert_null(kiln_module_new_ex(engine, bad_version, sizeof bad_version, &d));
  assert_int_equal(d.kind, KILN_DIAG_MALFORMED);
  assert_int_equal(d.section_id, KILN_SECTION_HEADER);
  assert_true(strlen(d.message) > 0);

  /* Invalid: (func (result i32)) with an empty body. */
  wbuf m = {0}, s = {0};
  wb_header(&m);
  WB(&s, 0x60, 0, 1, I32);
  wb_vec_section(&m, 1, 1, &s);
  WB(&s, 0);
  wb_vec_section(&m, 3, 1, &s);
  WB(&s, 2, 0, 0x0b);
  wb_vec_section(&m, 10, 1, &s);
  assert_null(module_from(store, &m));
  assert_null(kiln_module_new_ex(engine, m.p, m.n, &d));
  assert_int_equal(d.kind, KILN_DIAG_INVALID);
  assert_int_equal(d.section_id, 10);
  assert_int_equal(d.func_index, 0);
  assert_non_null(strstr(d.message, "type mismatch"));
  free(m.p);

  /* Empty input, NULL arguments. */
  assert_null(kiln_module_new_ex(engine, NULL, 0, &d));
  assert_int_equal(d.kind, KILN_DIAG_MALFORMED);
  wasm_byte_vec_new_empty(&bytes);
  assert_null(wasm_module_new(store, &bytes));
  assert_null(wasm_module_new(store, NULL));
  assert_null(wasm_module_new(NULL, &bytes));

  /* A valid module clears the diagnostic. */
  wbuf ok = {0};
  build_importer(&ok, false);
  memset(&d, 0x55, sizeof d);
  wasm_module_t *mod = kiln_module_new_ex(engine, ok.p, ok.n, &d);
  assert_non_null(mod);
  assert_int_equal(d.kind, KILN_DIAG_OK);
  assert_string_equal(d.message, "");
  wasm_module_delete(mod);
  free(ok.p);
  wasm_module_delete(NULL);

  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* Handles: copy and obtain give the same module; each is deleted on its
 * own; a store of another engine cannot obtain it. */
static void test_module_handles(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_engine_t *other = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_store_t *store2 = wasm_store_new(engine);
  wasm_store_t *foreign = wasm_store_new(other);
  wbuf b = {0};
  build_importer(&b, false);
  wasm_module_t *mod = module_from(store, &b);
  wasm_module_t *again = module_from(store, &b);
  assert_false(wasm_module_same(mod, again)); /* two modules */
  wasm_module_delete(again);

  wasm_module_t *copy = wasm_module_copy(mod);
  assert_non_null(copy);
  assert_ptr_not_equal(copy, mod);
  assert_true(wasm_module_same(copy, mod));
  wasm_shared_module_t *shared = wasm_module_share(mod);
  assert_non_null(shared);
  wasm_module_delete(mod); /* the copy and the shared handle keep it */
  wasm_module_t *obtained = wasm_module_obtain(store2, shared);
  assert_non_null(obtained);
  assert_true(wasm_module_same(obtained, copy));
  assert_null(wasm_module_obtain(foreign, shared));
  assert_null(wasm_module_obtain(NULL, shared));
  wasm_shared_module_delete(shared);
  wasm_module_delete(copy);
  wasm_importtype_vec_t im;
  wasm_module_imports(obtained, &im); /* still alive through `obtained` */
  assert_int_equal(im.size, 1);
  wasm_importtype_vec_delete(&im);
  wasm_module_delete(obtained);
  wasm_shared_module_delete(NULL);
  assert_null(wasm_module_copy(NULL));
  assert_null(wasm_module_share(NULL));

  free(b.p);
  wasm_store_delete(store);
  wasm_store_delete(store2);
  wasm_store_delete(foreign);
  wasm_engine_delete(engine);
  wasm_engine_delete(other);
}

/* Two threads obtain the module from their own shared handle, each in its
 * own store, read its imports and exports many times, and drop their
 * handles; the main thread drops its own handle first, so the module is
 * freed by whichever worker finishes last (ASan checks that it is freed
 * exactly once).  Workers count failures instead of asserting: cmocka's
 * assertions must run on the test's thread. */
typedef struct worker {
  wasm_engine_t *engine;
  wasm_shared_module_t *shared;
  int failures;
} worker;

enum { WORKER_ROUNDS = 300 };

static void *worker_main(void *arg) {
  worker *w = arg;
  wasm_store_t *store = wasm_store_new(w->engine);
  wasm_module_t *mod = wasm_module_obtain(store, w->shared);
  wasm_shared_module_delete(w->shared);
  if (!store || !mod) {
    w->failures++;
    goto done;
  }
  for (int r = 0; r < WORKER_ROUNDS; r++) {
    wasm_module_t *copy = wasm_module_copy(mod);
    wasm_importtype_vec_t im;
    wasm_exporttype_vec_t ex;
    wasm_module_imports(copy, &im);
    wasm_module_exports(mod, &ex);
    if (im.size != 10 || ex.size != 11)
      w->failures++;
    else {
      if (!name_is(wasm_importtype_name(im.data[6]), "m64")) w->failures++;
      if (!name_is(wasm_exporttype_name(ex.data[10]), "etag")) w->failures++;
      const wasm_functype_t *f =
          wasm_externtype_as_functype_const(wasm_importtype_type(im.data[0]));
      if (!f || wasm_functype_params(f)->size != 2) w->failures++;
    }
    wasm_importtype_vec_delete(&im);
    wasm_exporttype_vec_delete(&ex);
    if (!wasm_module_same(copy, mod)) w->failures++;
    wasm_module_delete(copy);
  }
done:
  wasm_module_delete(mod);
  wasm_store_delete(store);
  return NULL;
}

static void test_module_threads(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wbuf b = {0};
  build_module(&b);
  wasm_module_t *mod = module_from(store, &b);
  assert_non_null(mod);
  worker w[2];
  pthread_t th[2];
  for (int i = 0; i < 2; i++) {
    w[i] = (worker){engine, wasm_module_share(mod), 0};
    assert_non_null(w[i].shared);
  }
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
  wasm_module_delete(mod);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(w[i].failures, 0);
  }
  free(b.p);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* kiln_wat2wasm: text in, the binary wat2wasm would write out (validated
 * here by kiln_module_validate_ex); a syntax error with its position. */
static void test_wat2wasm(void **state) {
  (void)state;
  static const char text[] = "(module\n  (func (export \"f\") (result i32) i32.const 42))";
  static const uint8_t expect[] = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* header */
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,             /* type () -> i32 */
      0x03, 0x02, 0x01, 0x00,                               /* func 0: type 0 */
      0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,              /* export "f" */
      0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,       /* i32.const 42 */
  };
  wasm_byte_vec_t out;
  kiln_text_error_t err;
  assert_true(kiln_wat2wasm(text, strlen(text), &out, &err));
  assert_int_equal(out.size, sizeof expect);
  assert_memory_equal(out.data, expect, sizeof expect);
  wasm_engine_t *engine = wasm_engine_new();
  kiln_diagnostic_t diag;
  assert_true(kiln_module_validate_ex(engine, (const uint8_t *)out.data, out.size, &diag));
  wasm_engine_delete(engine);
  wasm_byte_vec_delete(&out);

  static const char bad[] = "(module\n  (func (result i33)))";
  assert_false(kiln_wat2wasm(bad, strlen(bad), &out, &err));
  assert_int_equal(out.size, 0);
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 17);
  assert_true(err.message[0] != 0);
  assert_false(kiln_wat2wasm(bad, strlen(bad), &out, NULL)); /* err optional */
  assert_false(kiln_wat2wasm(NULL, 5, &out, &err));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valtype_standard),
      cmocka_unit_test(test_valtype_refs),
      cmocka_unit_test(test_valtype_format),
      cmocka_unit_test(test_functype),
      cmocka_unit_test(test_globaltype),
      cmocka_unit_test(test_tabletype),
      cmocka_unit_test(test_memorytype),
      cmocka_unit_test(test_tagtype),
      cmocka_unit_test(test_import_export_types),
      cmocka_unit_test(test_vec_bytes),
      cmocka_unit_test(test_vec_pointers),
      cmocka_unit_test(test_module_imports),
      cmocka_unit_test(test_module_exports),
      cmocka_unit_test(test_module_type_identity),
      cmocka_unit_test(test_module_invalid),
      cmocka_unit_test(test_module_handles),
      cmocka_unit_test(test_module_threads),
      cmocka_unit_test(test_wat2wasm),
  };
  int total = (int)(sizeof tests / sizeof *tests);
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("%d passed, %d failed\n", total - failed, failed);
  return failed != 0;
}
