/* tests/unit/test_types.c — the type registry and subtyping (types.c).
 *
 * Modules are built by hand: a fe_module with an arena and a type array,
 * types appended with add_* and interned one rec group at a time with
 * intern(), which catches fe_fail with its own setjmp and returns the error
 * code.  Several "modules" sharing one registry stand for the modules of
 * one engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "frontend/types.h"

/* ------------------------------------------------------------------------
 * Hand-built modules
 * ---------------------------------------------------------------------- */

typedef struct tmod {
  fe_module m;
  fe_error err;
  fe_errctx ec;
  uint32_t cap;
} tmod;

static tmod *tmod_new(fe_typereg *reg, uint32_t cap) {
  tmod *t = calloc(1, sizeof *t);
  assert_non_null(t);
  fe_arena_init(&t->m.arena, NULL);
  t->m.reg = reg;
  t->m.types = fe_arena_array(&t->m.arena, cap, sizeof(fe_type));
  t->cap = cap;
  t->ec.err = &t->err;
  t->ec.section = FE_SEC_TYPE;
  t->ec.func = FE_NO_FUNC;
  return t;
}

static void tmod_free(tmod *t) {
  fe_arena_free(&t->m.arena);
  free(t);
}

/* Appends a type to the module without interning it; returns its index. */
static uint32_t add_type(tmod *t, uint8_t kind, bool final, uint32_t super,
                         uint32_t nparams, uint32_t n, const fe_valtype *vt,
                         const uint8_t *mut) {
  assert_true(t->m.ntypes < t->cap);
  fe_type *ty = &t->m.types[t->m.ntypes];
  ty->kind = kind;
  ty->final = final;
  ty->super = super;
  ty->nparams = nparams;
  ty->n = n;
  ty->vt = fe_arena_array(&t->m.arena, n, sizeof(fe_valtype));
  if (n)
    memcpy(ty->vt, vt, n * sizeof(fe_valtype));
  if (kind != FE_COMP_FUNC) {
    ty->mut = fe_arena_array(&t->m.arena, n, 1);
    if (n && mut)
      memcpy(ty->mut, mut, n);
  }
  ty->canon = UINT32_MAX;
  return t->m.ntypes++;
}

static uint32_t add_struct(tmod *t, bool final, uint32_t super, uint32_t n,
                           const fe_valtype *vt, const uint8_t *mut) {
  return add_type(t, FE_COMP_STRUCT, final, super, 0, n, vt, mut);
}

static uint32_t add_array(tmod *t, bool final, uint32_t super, fe_valtype vt,
                          bool mut) {
  uint8_t m = mut;
  return add_type(t, FE_COMP_ARRAY, final, super, 0, 1, &vt, &m);
}

static uint32_t add_func(tmod *t, bool final, uint32_t super, uint32_t np,
                         const fe_valtype *params, uint32_t nr,
                         const fe_valtype *results) {
  fe_valtype vt[16];
  assert_true(np + nr <= 16);
  for (uint32_t i = 0; i < np; i++)
    vt[i] = params[i];
  for (uint32_t i = 0; i < nr; i++)
    vt[np + i] = results[i];
  return add_type(t, FE_COMP_FUNC, final, super, np, np + nr, vt, NULL);
}

/* Interns types [start, ntypes) as one rec group; the error code, or
 * FE_E_OK. */
static fe_errcode intern(tmod *t, uint32_t start) {
  jmp_buf jb;
  uint32_t n = t->m.ntypes - start;
  for (uint32_t i = 0; i < n; i++) {
    t->m.types[start + i].rec_start = start;
    t->m.types[start + i].rec_size = n;
  }
  t->ec.jmp = &jb;
  if (setjmp(jb))
    return t->err.code;
  fe_typereg_intern(t->m.reg, &t->m, start, n, &t->ec, 0);
  return FE_E_OK;
}

/* Appends one type as its own rec group (with add_*), asserting success. */
#define SINGLE(t, add_call)                                                    \
  do {                                                                         \
    uint32_t i_ = (add_call);                                                  \
    assert_int_equal(intern((t), i_), FE_E_OK);                                \
  } while (0)

static uint32_t canon(const tmod *t, uint32_t i) { return t->m.types[i].canon; }

#define MREF(nul, idx) fe_vt_ref((nul), FE_HT_MODULE, (idx))
#define CREF(nul, id) fe_vt_ref((nul), FE_HT_CANON, (id))
#define AREF(nul, ht) fe_vt_absref((nul), (ht))

static const uint8_t MUT1[] = {1};
static const uint8_t MUT01[] = {0, 1};

/* The registry, fresh for each test. */
static int setup(void **state) {
  fe_typereg *reg = fe_typereg_new();
  if (!reg)
    return -1;
  *state = reg;
  return 0;
}

static int teardown(void **state) {
  fe_typereg_free(*state);
  return 0;
}

/* ------------------------------------------------------------------------
 * Canonicalization
 * ---------------------------------------------------------------------- */

/* Builds the same three groups into a module after `pad` unrelated
 * types, so module indices differ between calls but the groups do not. */
static void build_common(tmod *t, uint32_t pad) {
  for (uint32_t i = 0; i < pad; i++) {
    fe_valtype v[] = {FE_F32, FE_F32, FE_F32};
    SINGLE(t, add_struct(t, true, FE_NO_INDEX, 3, v, NULL));
  }
  uint32_t a = t->m.ntypes;
  fe_valtype va[] = {FE_I32, FE_I64};
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 2, va, MUT01));
  fe_valtype p[] = {FE_I32}, r[] = {MREF(true, a)};
  SINGLE(t, add_func(t, true, FE_NO_INDEX, 1, p, 1, r));
  uint32_t g = t->m.ntypes;
  fe_valtype v0[] = {MREF(false, g + 1)}, v1[] = {MREF(true, g), FE_I8};
  add_struct(t, true, FE_NO_INDEX, 1, v0, NULL);
  add_struct(t, true, FE_NO_INDEX, 2, v1, MUT01);
  assert_int_equal(intern(t, g), FE_E_OK);
}

static void test_identical_groups(void **state) {
  fe_typereg *reg = *state;
  tmod *m1 = tmod_new(reg, 16), *m2 = tmod_new(reg, 16);
  build_common(m1, 0);
  uint32_t count = fe_typereg_count(reg);
  assert_int_equal(count, 4);
  build_common(m2, 3);
  /* Only the padding type is new. */
  assert_int_equal(fe_typereg_count(reg), count + 1);
  for (uint32_t i = 0; i < 4; i++)
    assert_int_equal(canon(m1, i), canon(m2, 3 + i));

  /* The canonical records use canonical references. */
  const fe_type *f = fe_typereg_type(reg, canon(m1, 1));
  assert_int_equal(f->kind, FE_COMP_FUNC);
  assert_int_equal(f->canon, canon(m1, 1));
  assert_int_equal(f->nparams, 1);
  assert_int_equal(fe_func_nresults(f), 1);
  assert_true(fe_func_results(f)[0] == CREF(true, canon(m1, 0)));
  const fe_type *s = fe_typereg_type(reg, canon(m1, 3));
  assert_int_equal(s->rec_start, canon(m1, 2));
  assert_int_equal(s->rec_size, 2);
  assert_true(s->vt[0] == CREF(true, canon(m1, 2)));
  assert_true(s->vt[1] == FE_I8);
  assert_int_equal(s->mut[0], 0);
  assert_int_equal(s->mut[1], 1);
  assert_int_equal(s->super, FE_NO_INDEX);
  tmod_free(m1);
  tmod_free(m2);
}

static void test_distinct_groups(void **state) {
  fe_typereg *reg = *state;
  tmod *t = tmod_new(reg, 16);
  fe_valtype i32[] = {FE_I32}, i64[] = {FE_I64};
  uint32_t ids[8], k = 0;
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, i32, MUT1)); /* base */
  ids[k++] = canon(t, t->m.ntypes - 1);
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 1, i32, MUT1)); /* final */
  ids[k++] = canon(t, t->m.ntypes - 1);
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, i32, NULL)); /* immutable */
  ids[k++] = canon(t, t->m.ntypes - 1);
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, i64, MUT1)); /* field type */
  ids[k++] = canon(t, t->m.ntypes - 1);
  SINGLE(t, add_struct(t, false, 0, 1, i32, MUT1)); /* with a supertype */
  ids[k++] = canon(t, t->m.ntypes - 1);
  fe_valtype r1[] = {MREF(true, 0)}, r2[] = {MREF(false, 0)},
             r3[] = {MREF(true, 1)};
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 1, r1, NULL)); /* ref null 0 */
  ids[k++] = canon(t, t->m.ntypes - 1);
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 1, r2, NULL)); /* ref 0 */
  ids[k++] = canon(t, t->m.ntypes - 1);
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 1, r3, NULL)); /* ref null 1 */
  ids[k++] = canon(t, t->m.ntypes - 1);
  for (uint32_t i = 0; i < k; i++)
    for (uint32_t j = i + 1; j < k; j++)
      assert_int_not_equal(ids[i], ids[j]);
  assert_int_equal(fe_typereg_count(reg), k);
  /* A repeat of the base is the base. */
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, i32, MUT1));
  assert_int_equal(canon(t, t->m.ntypes - 1), ids[0]);
  tmod_free(t);
}

static void test_recursive_groups(void **state) {
  fe_typereg *reg = *state;
  tmod *m1 = tmod_new(reg, 16), *m2 = tmod_new(reg, 16);
  fe_valtype f32[] = {FE_F32};
  SINGLE(m2, add_struct(m2, true, FE_NO_INDEX, 1, f32, NULL)); /* padding */

  /* Self-referential: struct with a (ref null self) field. */
  fe_valtype self1[] = {MREF(true, 0)}, self2[] = {MREF(true, 1)};
  SINGLE(m1, add_struct(m1, true, FE_NO_INDEX, 1, self1, NULL));
  SINGLE(m2, add_struct(m2, true, FE_NO_INDEX, 1, self2, NULL));
  assert_int_equal(canon(m1, 0), canon(m2, 1));
  const fe_type *s = fe_typereg_type(reg, canon(m1, 0));
  assert_true(s->vt[0] == CREF(true, canon(m1, 0)));

  /* Mutually recursive pair: {a: (ref b)}, {b: (ref null a), i32}. */
  fe_valtype a1[] = {MREF(false, 2)}, b1[] = {MREF(true, 1), FE_I32};
  add_struct(m1, true, FE_NO_INDEX, 1, a1, NULL);
  add_struct(m1, true, FE_NO_INDEX, 2, b1, NULL);
  assert_int_equal(intern(m1, 1), FE_E_OK);
  fe_valtype a2[] = {MREF(false, 3)}, b2[] = {MREF(true, 2), FE_I32};
  add_struct(m2, true, FE_NO_INDEX, 1, a2, NULL);
  add_struct(m2, true, FE_NO_INDEX, 2, b2, NULL);
  assert_int_equal(intern(m2, 2), FE_E_OK);
  assert_int_equal(canon(m1, 1), canon(m2, 2));
  assert_int_equal(canon(m1, 2), canon(m2, 3));
  assert_int_equal(canon(m1, 2), canon(m1, 1) + 1);
  assert_true(fe_typereg_type(reg, canon(m1, 1))->vt[0] ==
              CREF(false, canon(m1, 2)));
  assert_true(fe_typereg_type(reg, canon(m1, 2))->vt[0] ==
              CREF(true, canon(m1, 1)));

  /* Swapping the order inside the group is a different group. */
  fe_valtype b3[] = {MREF(true, 5), FE_I32}, a3[] = {MREF(false, 4)};
  add_struct(m2, true, FE_NO_INDEX, 2, b3, NULL);
  add_struct(m2, true, FE_NO_INDEX, 1, a3, NULL);
  assert_int_equal(intern(m2, 4), FE_E_OK);
  assert_int_not_equal(canon(m2, 4), canon(m1, 2));
  assert_int_not_equal(canon(m2, 5), canon(m1, 1));

  /* A reference to the self-referential type from outside its group is
   * not a self-reference: rec{struct (ref null S)} != S. */
  uint32_t before = fe_typereg_count(reg);
  SINGLE(m1, add_struct(m1, true, FE_NO_INDEX, 1, self1, NULL));
  assert_int_not_equal(canon(m1, 3), canon(m1, 0));
  assert_int_equal(fe_typereg_count(reg), before + 1);
  tmod_free(m1);
  tmod_free(m2);
}

static void test_isorecursive(void **state) {
  fe_typereg *reg = *state;
  tmod *t = tmod_new(reg, 8);
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 0, NULL, NULL));
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 0, NULL, NULL));
  assert_int_equal(canon(t, 0), canon(t, 1)); /* two singletons: one type */
  add_struct(t, true, FE_NO_INDEX, 0, NULL, NULL);
  add_struct(t, true, FE_NO_INDEX, 0, NULL, NULL);
  assert_int_equal(intern(t, 2), FE_E_OK);
  /* In one group, two identical definitions are two types, and neither is
   * the singleton. */
  assert_int_not_equal(canon(t, 2), canon(t, 3));
  assert_int_not_equal(canon(t, 2), canon(t, 0));
  assert_int_not_equal(canon(t, 3), canon(t, 0));
  assert_int_equal(fe_typereg_count(reg), 3);
  /* An empty rec group is valid and defines nothing. */
  assert_int_equal(intern(t, 4), FE_E_OK);
  assert_int_equal(fe_typereg_count(reg), 3);
  tmod_free(t);
}

/* ------------------------------------------------------------------------
 * Declared subtyping
 * ---------------------------------------------------------------------- */

static void test_display(void **state) {
  fe_typereg *reg = *state;
  tmod *t = tmod_new(reg, 16), *u = tmod_new(reg, 16);
  fe_valtype v[] = {FE_I32, FE_I64, FE_F32};
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, v, NULL)); /* A */
  SINGLE(t, add_struct(t, false, 0, 2, v, NULL));           /* B <: A */
  SINGLE(t, add_struct(t, false, 1, 3, v, NULL));           /* C <: B */
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, v, NULL)); /* A again */
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 0, v, NULL)); /* D */
  uint32_t a = canon(t, 0), b = canon(t, 1), c = canon(t, 2), d = canon(t, 4);
  assert_int_equal(canon(t, 3), a);
  assert_true(fe_typereg_sub(reg, a, a));
  assert_true(fe_typereg_sub(reg, b, a));
  assert_true(fe_typereg_sub(reg, c, b));
  assert_true(fe_typereg_sub(reg, c, a)); /* transitive */
  assert_false(fe_typereg_sub(reg, a, b));
  assert_false(fe_typereg_sub(reg, a, c));
  assert_false(fe_typereg_sub(reg, b, c));
  assert_false(fe_typereg_sub(reg, c, d));
  assert_false(fe_typereg_sub(reg, d, a));
  assert_int_equal(fe_typereg_type(reg, c)->super, b);
  assert_int_equal(fe_typereg_type(reg, b)->super, a);

  /* The same chain in another module, inside one group: a different
   * group, hence different ids, with the same relations. */
  add_struct(u, false, FE_NO_INDEX, 1, v, NULL);
  add_struct(u, false, 0, 2, v, NULL);
  add_struct(u, false, 1, 3, v, NULL);
  assert_int_equal(intern(u, 0), FE_E_OK);
  assert_int_not_equal(canon(u, 0), a);
  assert_true(fe_typereg_sub(reg, canon(u, 2), canon(u, 0)));
  assert_false(fe_typereg_sub(reg, canon(u, 2), a));
  assert_int_equal(fe_typereg_type(reg, canon(u, 2))->super, canon(u, 1));
  /* Module-form subtyping follows the same chains. */
  assert_true(fe_vt_sub(&t->m, MREF(false, 2), MREF(true, 3)));
  assert_false(fe_vt_sub(&t->m, MREF(false, 3), MREF(true, 2)));
  tmod_free(t);
  tmod_free(u);
}

/* Interns [sup, sub] as two singleton groups of a fresh module (sub
 * declaring sup as its supertype) and returns the second group's result. */
typedef struct decl {
  uint8_t kind;
  bool final;
  uint32_t nparams, n;
  fe_valtype vt[4];
  uint8_t mut[4];
} decl;

static fe_errcode try_pair(fe_typereg *reg, const decl *sup, const decl *sub) {
  tmod *t = tmod_new(reg, 4);
  add_type(t, sup->kind, sup->final, FE_NO_INDEX, sup->nparams, sup->n,
           sup->vt, sup->mut);
  assert_int_equal(intern(t, 0), FE_E_OK);
  add_type(t, sub->kind, sub->final, 0, sub->nparams, sub->n, sub->vt,
           sub->mut);
  fe_errcode e = intern(t, 1);
  tmod_free(t);
  return e;
}

static void test_invalid_supers(void **state) {
  fe_typereg *reg = *state;
  const decl empty_struct = {FE_COMP_STRUCT, false, 0, 0, {0}, {0}};
  const decl final_struct = {FE_COMP_STRUCT, true, 0, 0, {0}, {0}};
  const decl arr = {FE_COMP_ARRAY, false, 0, 1, {FE_I32}, {0}};
  const decl func = {FE_COMP_FUNC, false, 0, 0, {0}, {0}};
  /* The error names both types and the reason. */
  tmod *t = tmod_new(reg, 4);
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 0, NULL, NULL));
  add_struct(t, false, 0, 0, NULL, NULL);
  assert_int_equal(intern(t, 1), FE_E_SUB_TYPE);
  assert_string_equal(t->err.detail,
                      "type 1 does not match its supertype 0: "
                      "the supertype is final");
  tmod_free(t);
  assert_int_equal(try_pair(reg, &empty_struct, &empty_struct), FE_E_OK);
  assert_int_equal(try_pair(reg, &final_struct, &empty_struct), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &arr, &empty_struct), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &empty_struct, &arr), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &func, &empty_struct), FE_E_SUB_TYPE);

  /* Struct fields: width and depth subtyping on immutable fields. */
  const decl s_any = {FE_COMP_STRUCT, false, 0, 1, {AREF(false, FE_HT_ANY)}, {0}};
  const decl s_eq_i32 = {
      FE_COMP_STRUCT, false, 0, 2, {AREF(false, FE_HT_EQ), FE_I32}, {0, 0}};
  assert_int_equal(try_pair(reg, &s_any, &s_eq_i32), FE_E_OK);
  assert_int_equal(try_pair(reg, &s_eq_i32, &s_any), FE_E_SUB_TYPE);
  /* Mutability must agree, and mutable fields must be equal. */
  const decl s_mut_i32 = {FE_COMP_STRUCT, false, 0, 1, {FE_I32}, {1}};
  const decl s_i32 = {FE_COMP_STRUCT, false, 0, 1, {FE_I32}, {0}};
  assert_int_equal(try_pair(reg, &s_mut_i32, &s_i32), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &s_i32, &s_mut_i32), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &s_mut_i32, &s_mut_i32), FE_E_OK);
  const decl s_mut_any = {FE_COMP_STRUCT, false, 0, 1, {AREF(false, FE_HT_ANY)}, {1}};
  const decl s_mut_eq = {FE_COMP_STRUCT, false, 0, 1, {AREF(false, FE_HT_EQ)}, {1}};
  assert_int_equal(try_pair(reg, &s_mut_any, &s_mut_eq), FE_E_SUB_TYPE);
  /* Arrays: the same rule on the element; packed types only match
   * themselves. */
  const decl a_i8 = {FE_COMP_ARRAY, false, 0, 1, {FE_I8}, {0}};
  const decl a_i16 = {FE_COMP_ARRAY, false, 0, 1, {FE_I16}, {0}};
  const decl a_none = {FE_COMP_ARRAY, false, 0, 1, {AREF(false, FE_HT_NONE)}, {0}};
  const decl a_any = {FE_COMP_ARRAY, false, 0, 1, {AREF(false, FE_HT_ANY)}, {0}};
  assert_int_equal(try_pair(reg, &a_i8, &a_i16), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &a_i8, &a_i8), FE_E_OK);
  assert_int_equal(try_pair(reg, &a_any, &a_none), FE_E_OK);
  assert_int_equal(try_pair(reg, &a_none, &a_any), FE_E_SUB_TYPE);

  /* Functions: results covariant, parameters contravariant, same arity. */
  const decl f_res_eq = {FE_COMP_FUNC, false, 0, 1, {AREF(false, FE_HT_EQ)}, {0}};
  const decl f_res_any = {FE_COMP_FUNC, false, 0, 1, {AREF(false, FE_HT_ANY)}, {0}};
  const decl f_res_i31 = {FE_COMP_FUNC, false, 0, 1, {AREF(false, FE_HT_I31)}, {0}};
  assert_int_equal(try_pair(reg, &f_res_eq, &f_res_any), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &f_res_eq, &f_res_i31), FE_E_OK);
  const decl f_par_eq = {FE_COMP_FUNC, false, 1, 1, {AREF(false, FE_HT_EQ)}, {0}};
  const decl f_par_any = {FE_COMP_FUNC, false, 1, 1, {AREF(false, FE_HT_ANY)}, {0}};
  const decl f_par_i31 = {FE_COMP_FUNC, false, 1, 1, {AREF(false, FE_HT_I31)}, {0}};
  assert_int_equal(try_pair(reg, &f_par_eq, &f_par_any), FE_E_OK);
  assert_int_equal(try_pair(reg, &f_par_eq, &f_par_i31), FE_E_SUB_TYPE);
  const decl f_par_i32 = {FE_COMP_FUNC, false, 1, 1, {FE_I32}, {0}};
  assert_int_equal(try_pair(reg, &func, &f_par_i32), FE_E_SUB_TYPE);
  assert_int_equal(try_pair(reg, &f_res_eq, &f_par_eq), FE_E_SUB_TYPE);
}

static void test_super_indices(void **state) {
  fe_typereg *reg = *state;
  /* A supertype later in the same group. */
  tmod *t = tmod_new(reg, 8);
  add_struct(t, false, 1, 0, NULL, NULL);
  add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL);
  assert_int_equal(intern(t, 0), FE_E_SUB_TYPE);
  assert_non_null(strstr(t->err.detail, "forward use of type 1"));
  assert_int_equal(fe_typereg_count(reg), 0); /* nothing was published */
  tmod_free(t);
  /* Its own supertype. */
  t = tmod_new(reg, 8);
  add_struct(t, false, 0, 0, NULL, NULL);
  assert_int_equal(intern(t, 0), FE_E_SUB_TYPE);
  tmod_free(t);
  /* A supertype after the group. */
  t = tmod_new(reg, 8);
  add_struct(t, false, 1, 0, NULL, NULL);
  add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL);
  t->m.ntypes = 1; /* intern [0, 1) only */
  assert_int_equal(intern(t, 0), FE_E_UNKNOWN_TYPE);
  tmod_free(t);
  /* A field type after the group. */
  t = tmod_new(reg, 8);
  fe_valtype r[] = {MREF(true, 1)};
  add_func(t, true, FE_NO_INDEX, 1, r, 0, NULL);
  add_func(t, true, FE_NO_INDEX, 0, NULL, 0, NULL);
  t->m.ntypes = 1;
  assert_int_equal(intern(t, 0), FE_E_UNKNOWN_TYPE);
  tmod_free(t);

  /* Valid: an earlier in-group supertype, and subtyping between in-group
   * types resting on the declaration being checked:
   * rec { a = sub struct (ref a); b = sub a struct (ref b) }. */
  t = tmod_new(reg, 16);
  fe_valtype fa[] = {MREF(false, 0)}, fb[] = {MREF(false, 1)};
  add_struct(t, false, FE_NO_INDEX, 1, fa, NULL);
  add_struct(t, false, 0, 1, fb, NULL);
  assert_int_equal(intern(t, 0), FE_E_OK);
  assert_true(fe_typereg_sub(reg, canon(t, 1), canon(t, 0)));
  assert_int_equal(fe_typereg_type(reg, canon(t, 1))->super, canon(t, 0));

  /* The spec's "transitive equivalent subtyping": a3 and b3 are the same
   * type, so u's field (ref b3) matches t's (ref a3). */
  uint32_t s = t->m.ntypes;
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL)); /* a1 */
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL)); /* b1 */
  SINGLE(t, add_struct(t, false, s, 0, NULL, NULL));           /* a2 */
  SINGLE(t, add_struct(t, false, s + 1, 0, NULL, NULL));       /* b2 */
  SINGLE(t, add_struct(t, false, s + 2, 0, NULL, NULL));       /* a3 */
  SINGLE(t, add_struct(t, false, s + 3, 0, NULL, NULL));       /* b3 */
  assert_int_equal(canon(t, s + 4), canon(t, s + 5));
  fe_valtype ta[] = {MREF(false, s + 4)}, tb[] = {MREF(false, s + 5)};
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 1, ta, NULL));
  SINGLE(t, add_struct(t, false, s + 6, 1, tb, NULL));
  tmod_free(t);
}

static void test_depth_limit(void **state) {
  fe_typereg *reg = *state;
  tmod *t = tmod_new(reg, 80);
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL));
  for (uint32_t i = 1; i <= 63; i++)
    SINGLE(t, add_struct(t, false, i - 1, 0, NULL, NULL));
  assert_true(fe_typereg_sub(reg, canon(t, 63), canon(t, 0)));
  assert_true(fe_typereg_sub(reg, canon(t, 63), canon(t, 40)));
  assert_false(fe_typereg_sub(reg, canon(t, 40), canon(t, 63)));
  add_struct(t, false, 63, 0, NULL, NULL);
  assert_int_equal(intern(t, 64), FE_E_TOO_MANY);
  tmod_free(t);
}

/* ------------------------------------------------------------------------
 * Value and heap subtyping in module form
 * ---------------------------------------------------------------------- */

static void test_lattice(void **state) {
  fe_typereg *reg = *state;
  tmod *t = tmod_new(reg, 8);
  fe_valtype i32[] = {FE_I32};
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL)); /* 0 struct */
  SINGLE(t, add_array(t, true, FE_NO_INDEX, FE_I32, true));    /* 1 array */
  SINGLE(t, add_func(t, true, FE_NO_INDEX, 1, i32, 0, NULL));   /* 2 func */
  SINGLE(t, add_struct(t, false, FE_NO_INDEX, 0, NULL, NULL)); /* 3 == 0 */
  const fe_module *m = &t->m;
  fe_valtype s0 = MREF(false, 0), s0n = MREF(true, 0);

  assert_true(fe_vt_sub(m, AREF(true, FE_HT_NONE), s0n));
  assert_true(fe_vt_sub(m, AREF(false, FE_HT_NONE), s0));
  assert_false(fe_vt_sub(m, AREF(true, FE_HT_NONE), s0));
  assert_true(fe_vt_sub(m, s0, AREF(true, FE_HT_EQ)));
  assert_true(fe_vt_sub(m, s0, AREF(true, FE_HT_ANY)));
  assert_true(fe_vt_sub(m, s0, AREF(false, FE_HT_STRUCT)));
  assert_false(fe_vt_sub(m, s0n, AREF(false, FE_HT_STRUCT)));
  assert_false(fe_vt_sub(m, s0, AREF(true, FE_HT_ARRAY)));
  assert_false(fe_vt_sub(m, s0, AREF(true, FE_HT_I31)));
  assert_false(fe_vt_sub(m, s0, FE_FUNCREF));
  assert_true(fe_vt_sub(m, s0, s0n));
  assert_false(fe_vt_sub(m, s0n, s0));
  assert_false(fe_vt_sub(m, AREF(true, FE_HT_EQ), s0n));
  assert_true(fe_vt_sub(m, MREF(false, 1), AREF(false, FE_HT_ARRAY)));
  assert_false(fe_vt_sub(m, MREF(false, 1), AREF(false, FE_HT_STRUCT)));
  assert_false(fe_vt_sub(m, MREF(false, 1), s0));

  assert_true(fe_vt_sub(m, AREF(true, FE_HT_NOFUNC), MREF(true, 2)));
  assert_true(fe_vt_sub(m, MREF(false, 2), FE_FUNCREF));
  assert_false(fe_vt_sub(m, MREF(false, 2), AREF(true, FE_HT_ANY)));
  assert_false(fe_vt_sub(m, AREF(true, FE_HT_NOFUNC), s0n));
  assert_false(fe_vt_sub(m, AREF(true, FE_HT_NONE), MREF(true, 2)));
  assert_false(fe_vt_sub(m, FE_FUNCREF, MREF(true, 2)));

  assert_false(fe_vt_sub(m, AREF(true, FE_HT_I31), AREF(true, FE_HT_STRUCT)));
  assert_true(fe_vt_sub(m, AREF(false, FE_HT_I31), AREF(true, FE_HT_EQ)));
  assert_true(fe_vt_sub(m, AREF(true, FE_HT_NONE), AREF(true, FE_HT_I31)));
  assert_true(fe_vt_sub(m, AREF(true, FE_HT_EQ), AREF(true, FE_HT_ANY)));
  assert_false(fe_vt_sub(m, AREF(true, FE_HT_ANY), AREF(true, FE_HT_EQ)));
  assert_true(fe_vt_sub(m, AREF(true, FE_HT_NOEXTERN), FE_EXTERNREF));
  assert_false(fe_vt_sub(m, FE_EXTERNREF, AREF(true, FE_HT_ANY)));
  assert_false(fe_vt_sub(m, AREF(true, FE_HT_NONE), FE_EXTERNREF));
  assert_true(fe_vt_sub(m, AREF(true, FE_HT_NOEXN), FE_EXNREF));
  assert_false(fe_vt_sub(m, FE_EXNREF, FE_FUNCREF));

  /* Numeric, vector and packed types only match themselves; FE_BOT is
   * below everything and above nothing else. */
  assert_true(fe_vt_sub(m, FE_I32, FE_I32));
  assert_false(fe_vt_sub(m, FE_I32, FE_I64));
  assert_false(fe_vt_sub(m, FE_F32, FE_I32));
  assert_false(fe_vt_sub(m, FE_I8, FE_I16));
  assert_false(fe_vt_sub(m, FE_I32, FE_FUNCREF));
  assert_false(fe_vt_sub(m, FE_FUNCREF, FE_I32));
  assert_true(fe_vt_sub(m, FE_BOT, FE_V128));
  assert_true(fe_vt_sub(m, FE_BOT, s0));
  assert_false(fe_vt_sub(m, FE_I32, FE_BOT));
  assert_false(fe_vt_sub(m, s0n, FE_BOT));
  assert_true(fe_vt_sub(NULL, FE_BOT, FE_EXNREF));
  assert_true(fe_vt_sub(NULL, AREF(false, FE_HT_I31), AREF(true, FE_HT_ANY)));

  /* Heap subtyping ignores nullability. */
  assert_true(fe_ht_sub(m, s0n, AREF(false, FE_HT_STRUCT)));
  assert_true(fe_ht_sub(m, s0n, s0));
  assert_true(fe_ht_sub(m, AREF(false, FE_HT_NONE), s0n));
  assert_false(fe_ht_sub(m, AREF(false, FE_HT_STRUCT), s0));

  /* Equality: two indices of one canonical type are equal. */
  assert_int_equal(canon(t, 0), canon(t, 3));
  assert_true(fe_vt_eq(m, MREF(false, 3), s0));
  assert_true(fe_vt_sub(m, MREF(false, 3), s0));
  assert_true(fe_vt_sub(m, s0n, MREF(true, 3)));
  assert_false(fe_vt_eq(m, MREF(true, 3), s0));
  assert_false(fe_vt_eq(m, MREF(false, 1), s0));
  assert_false(fe_vt_eq(m, AREF(false, FE_HT_STRUCT), s0));
  assert_true(fe_vt_eq(m, FE_I64, FE_I64));
  assert_false(fe_vt_eq(m, FE_I64, FE_F64));
  assert_false(fe_vt_eq(m, FE_FUNCREF, AREF(false, FE_HT_FUNC)));

  /* Tops and bottoms. */
  assert_int_equal(fe_ht_top(m, s0), FE_HT_ANY);
  assert_int_equal(fe_ht_bottom(m, s0), FE_HT_NONE);
  assert_int_equal(fe_ht_top(m, MREF(true, 1)), FE_HT_ANY);
  assert_int_equal(fe_ht_top(m, MREF(true, 2)), FE_HT_FUNC);
  assert_int_equal(fe_ht_bottom(m, MREF(true, 2)), FE_HT_NOFUNC);
  assert_int_equal(fe_ht_top(m, AREF(true, FE_HT_I31)), FE_HT_ANY);
  assert_int_equal(fe_ht_top(m, AREF(true, FE_HT_NONE)), FE_HT_ANY);
  assert_int_equal(fe_ht_bottom(m, AREF(true, FE_HT_EQ)), FE_HT_NONE);
  assert_int_equal(fe_ht_top(m, AREF(true, FE_HT_NOFUNC)), FE_HT_FUNC);
  assert_int_equal(fe_ht_top(m, AREF(true, FE_HT_NOEXTERN)), FE_HT_EXTERN);
  assert_int_equal(fe_ht_bottom(m, FE_EXTERNREF), FE_HT_NOEXTERN);
  assert_int_equal(fe_ht_top(m, AREF(false, FE_HT_NOEXN)), FE_HT_EXN);
  assert_int_equal(fe_ht_bottom(m, FE_EXNREF), FE_HT_NOEXN);
  assert_int_equal(fe_ht_top(m, FE_I32), 0);
  tmod_free(t);
}

/* ------------------------------------------------------------------------
 * Text form and storage size
 * ---------------------------------------------------------------------- */

static void check_str(fe_valtype t, const char *want) {
  char buf[64];
  assert_ptr_equal(fe_valtype_str(t, buf, sizeof buf), buf);
  assert_string_equal(buf, want);
}

static void test_valtype_str(void **state) {
  (void)state;
  check_str(FE_I32, "i32");
  check_str(FE_I64, "i64");
  check_str(FE_F32, "f32");
  check_str(FE_F64, "f64");
  check_str(FE_V128, "v128");
  check_str(FE_I8, "i8");
  check_str(FE_I16, "i16");
  check_str(FE_BOT, "bot");
  check_str(FE_FUNCREF, "funcref");
  check_str(FE_EXTERNREF, "externref");
  check_str(AREF(true, FE_HT_ANY), "anyref");
  check_str(AREF(true, FE_HT_EQ), "eqref");
  check_str(AREF(true, FE_HT_I31), "i31ref");
  check_str(AREF(true, FE_HT_STRUCT), "structref");
  check_str(AREF(true, FE_HT_ARRAY), "arrayref");
  check_str(FE_EXNREF, "exnref");
  check_str(AREF(true, FE_HT_NONE), "nullref");
  check_str(AREF(true, FE_HT_NOFUNC), "nullfuncref");
  check_str(AREF(true, FE_HT_NOEXTERN), "nullexternref");
  check_str(AREF(true, FE_HT_NOEXN), "nullexnref");
  check_str(AREF(false, FE_HT_FUNC), "(ref func)");
  check_str(AREF(false, FE_HT_NONE), "(ref none)");
  check_str(AREF(false, FE_HT_NOEXN), "(ref noexn)");
  check_str(AREF(false, FE_HT_I31), "(ref i31)");
  check_str(MREF(true, 3), "(ref null 3)");
  check_str(MREF(false, 3), "(ref 3)");
  check_str(CREF(false, 12), "(ref canon#12)");
  check_str(CREF(true, 12), "(ref null canon#12)");
  check_str(fe_vt_ref(false, FE_HT_REC, 1), "(ref rec.1)");
  char small[6];
  fe_valtype_str(MREF(true, 3), small, sizeof small);
  assert_string_equal(small, "(ref ");
}

/* ------------------------------------------------------------------------
 * Concurrency
 * ---------------------------------------------------------------------- */

enum { THREAD_GROUPS = 10000 };

typedef struct worker {
  fe_typereg *reg;
  unsigned tid;
  pthread_barrier_t *start; /* both threads begin together */
  tmod *t;
  int failures;
} worker;

/* Interns THREAD_GROUPS singleton groups: even ones a chain shared by both
 * threads (struct (ref null previous-shared)), odd ones a chain private to
 * the thread (tid+1 i64 fields, then (ref null previous-private)); and
 * reads back published records lock-free as it goes. */
static void *worker_run(void *arg) {
  worker *w = arg;
  w->t = tmod_new(w->reg, THREAD_GROUPS);
  tmod *t = w->t;
  uint32_t prev_shared = FE_NO_INDEX, prev_private = FE_NO_INDEX;
  pthread_barrier_wait(w->start);
  for (uint32_t i = 0; i < THREAD_GROUPS; i++) {
    fe_valtype v[4];
    uint32_t n = 0;
    bool shared = i % 2 == 0;
    uint32_t prev = shared ? prev_shared : prev_private;
    if (!shared)
      for (unsigned k = 0; k <= w->tid; k++)
        v[n++] = FE_I64;
    v[n++] = prev == FE_NO_INDEX ? FE_I32 : MREF(true, prev);
    uint32_t x = add_struct(t, true, FE_NO_INDEX, n, v, NULL);
    if (intern(t, x) != FE_E_OK) {
      w->failures++;
      return NULL;
    }
    const fe_type *r = fe_typereg_type(w->reg, canon(t, x));
    if (r->canon != canon(t, x) || r->n != n ||
        (prev != FE_NO_INDEX && r->vt[n - 1] != CREF(true, canon(t, prev))))
      w->failures++;
    if (shared)
      prev_shared = x;
    else
      prev_private = x;
  }
  return NULL;
}

static void test_threads(void **state) {
  fe_typereg *reg = *state;
  pthread_barrier_t start;
  assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
  worker w[2] = {{reg, 0, &start, NULL, 0}, {reg, 1, &start, NULL, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  pthread_barrier_destroy(&start);
  assert_int_equal(w[0].failures, 0);
  assert_int_equal(w[1].failures, 0);
  /* Shared groups have one id; private ones one each per thread. */
  uint32_t half = THREAD_GROUPS / 2;
  assert_int_equal(fe_typereg_count(reg), half + 2 * half);
  for (uint32_t i = 0; i < THREAD_GROUPS; i++) {
    if (i % 2 == 0)
      assert_int_equal(canon(w[0].t, i), canon(w[1].t, i));
    else
      assert_int_not_equal(canon(w[0].t, i), canon(w[1].t, i));
  }
  /* And a third, sequential pass finds every shared group again. */
  tmod *t = tmod_new(reg, 4);
  fe_valtype v[] = {FE_I32};
  SINGLE(t, add_struct(t, true, FE_NO_INDEX, 1, v, NULL));
  assert_int_equal(canon(t, 0), canon(w[0].t, 0));
  assert_int_equal(fe_typereg_count(reg), half + 2 * half);
  tmod_free(t);
  tmod_free(w[0].t);
  tmod_free(w[1].t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_identical_groups, setup, teardown),
      cmocka_unit_test_setup_teardown(test_distinct_groups, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recursive_groups, setup, teardown),
      cmocka_unit_test_setup_teardown(test_isorecursive, setup, teardown),
      cmocka_unit_test_setup_teardown(test_display, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_supers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_super_indices, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lattice, setup, teardown),
      cmocka_unit_test(test_valtype_str),
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
  };
  int n = (int)(sizeof tests / sizeof tests[0]);
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed != 0;
}
