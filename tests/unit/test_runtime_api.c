/* tests/unit/test_runtime_api.c — the runtime half of the standard C API
 * (values, traps, functions, globals, tables, memories, externs,
 * instances), through the public headers only.
 *
 * Modules are tests/unit/jit/{runtime,start_trap}.wat, made binary by
 * wat2wasm at build time, and a few small binaries written out below;
 * KILN_JIT_PATH points at the build's compiler.
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

static wasm_module_t *load(wasm_store_t *store, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wasm", JIT_TEST_DIR, name);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  wasm_byte_vec_t bytes = {n, buf};
  wasm_module_t *m = wasm_module_new(store, &bytes);
  assert_non_null(m);
  return m;
}

static wasm_trap_t *host_add(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  assert_int_equal(args->size, 2);
  assert_int_equal(results->size, 1);
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32;
  return NULL;
}

typedef struct env {
  wasm_store_t *store;
  int finalized;
} env;

static wasm_trap_t *host_fail(void *e, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  wasm_message_t msg;
  wasm_name_new(&msg, 12, "host says no");
  wasm_trap_t *t = wasm_trap_new(((env *)e)->store, &msg);
  wasm_name_delete(&msg);
  return t;
}

static void finalize(void *e) { ((env *)e)->finalized++; }

static void assert_trap(wasm_trap_t *t, const char *msg, kiln_trap_code_t code) {
  assert_non_null(t);
  wasm_message_t m;
  wasm_trap_message(t, &m);
  assert_string_equal(m.data, msg);
  assert_int_equal(m.size, strlen(msg) + 1);
  wasm_name_delete(&m);
  assert_int_equal(kiln_trap_code(t), code);
  wasm_trap_delete(t);
}

static wasm_func_t *get_func(const wasm_extern_vec_t *ex, size_t i) {
  wasm_func_t *f = wasm_extern_as_func(ex->data[i]);
  assert_non_null(f);
  return f;
}

/* Calls f with one argument and returns its one result. */
static wasm_val_t call1(wasm_func_t *f, wasm_val_t arg) {
  wasm_val_t a[1] = {arg};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), results = WASM_ARRAY_VEC(r);
  wasm_trap_t *t = wasm_func_call(f, &args, &results);
  if (t) {
    wasm_message_t m;
    wasm_trap_message(t, &m);
    fail_msg("trap: %s", m.data);
  }
  return r[0];
}

enum { X_ADD, X_I64, X_F32, X_F64, X_DIV, X_FAIL, X_GET_G, X_SET_G, X_LOAD, X_STORE,
       X_SEVEN, X_CALL_TAB, X_MEM, X_TAB, X_G, X_OWN, X_HOST_ADD, X_COUNT };

static void test_runtime(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  env e = {store, 0};
  wasm_module_t *module = load(store, "runtime");

  /* the imports, made by the embedder */
  wasm_functype_t *t_add = wasm_functype_new_2_1(
      wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_functype_t *t_fail = wasm_functype_new_0_0();
  wasm_func_t *f_add = wasm_func_new(store, t_add, host_add);
  wasm_func_t *f_fail = wasm_func_new_with_env(store, t_fail, host_fail, &e, finalize);
  assert_non_null(f_add);
  assert_non_null(f_fail);
  assert_int_equal(wasm_func_param_arity(f_add), 2);
  assert_int_equal(wasm_func_result_arity(f_add), 1);
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t g0 = WASM_I32_VAL(40);
  wasm_global_t *g = wasm_global_new(store, gt, &g0);
  assert_non_null(g);
  wasm_limits_t ml = {1, 2};
  wasm_memorytype_t *mt = wasm_memorytype_new(&ml);
  wasm_memory_t *mem = wasm_memory_new(store, mt);
  assert_non_null(mem);
  wasm_limits_t tl = {2, 10};
  wasm_tabletype_t *tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &tl);
  wasm_table_t *tab = wasm_table_new(store, tt, NULL);
  assert_non_null(tab);

  /* a mismatched import: the table given where the memory belongs */
  wasm_extern_t *bad[5] = {wasm_func_as_extern(f_add), wasm_func_as_extern(f_fail),
                           wasm_global_as_extern(g), wasm_table_as_extern(tab),
                           wasm_table_as_extern(tab)};
  wasm_extern_vec_t bad_imports = WASM_ARRAY_VEC(bad);
  wasm_trap_t *trap = NULL;
  assert_null(wasm_instance_new(store, module, &bad_imports, &trap));
  assert_non_null(trap);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  assert_non_null(strstr(msg.data, "incompatible import type"));
  wasm_name_delete(&msg);
  assert_int_equal(kiln_trap_code(trap), KILN_TRAP_LINK);
  wasm_trap_delete(trap);
  /* a function of the wrong type */
  bad[0] = wasm_func_as_extern(f_fail);
  bad[3] = wasm_memory_as_extern(mem);
  assert_null(wasm_instance_new(store, module, &bad_imports, &trap));
  assert_trap(trap, "incompatible import type: \"env\" \"add\"", KILN_TRAP_LINK);
  /* too few imports */
  wasm_extern_t *two[2] = {wasm_func_as_extern(f_add), wasm_func_as_extern(f_fail)};
  wasm_extern_vec_t few = WASM_ARRAY_VEC(two);
  assert_null(wasm_instance_new(store, module, &few, &trap));
  assert_trap(trap, "unknown import: \"env\" \"g\"", KILN_TRAP_LINK);

  wasm_extern_t *imp[5] = {wasm_func_as_extern(f_add), wasm_func_as_extern(f_fail),
                           wasm_global_as_extern(g), wasm_memory_as_extern(mem),
                           wasm_table_as_extern(tab)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imp);
  wasm_instance_t *inst = wasm_instance_new(store, module, &imports, &trap);
  if (!inst) {
    wasm_message_t why;
    wasm_trap_message(trap, &why);
    fail_msg("instantiate: %s", why.data);
  }
  assert_null(trap);
  wasm_extern_vec_t ex;
  wasm_instance_exports(inst, &ex);
  assert_int_equal(ex.size, X_COUNT);
  assert_int_equal(wasm_extern_kind(ex.data[X_MEM]), WASM_EXTERN_MEMORY);
  assert_int_equal(wasm_extern_kind(ex.data[X_TAB]), WASM_EXTERN_TABLE);
  assert_int_equal(wasm_extern_kind(ex.data[X_G]), WASM_EXTERN_GLOBAL);
  assert_int_equal(wasm_extern_kind(ex.data[X_ADD]), WASM_EXTERN_FUNC);
  assert_null(wasm_extern_as_memory(ex.data[X_ADD]));
  wasm_externtype_t *et = wasm_extern_type(ex.data[X_ADD]);
  assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_FUNC);
  assert_int_equal(wasm_functype_params(wasm_externtype_as_functype(et))->size, 2);
  wasm_externtype_delete(et);

  /* every numeric type; the host function called by Wasm */
  wasm_val_t a2[2] = {WASM_I32_VAL(20), WASM_I32_VAL(22)};
  wasm_val_t r1[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args2 = WASM_ARRAY_VEC(a2), res1 = WASM_ARRAY_VEC(r1);
  assert_null(wasm_func_call(get_func(&ex, X_ADD), &args2, &res1));
  assert_int_equal(r1[0].kind, WASM_I32);
  assert_int_equal(r1[0].of.i32, 42);
  assert_null(wasm_func_call(f_add, &args2, &res1)); /* the host function directly */
  assert_int_equal(r1[0].of.i32, 42);
  assert_null(wasm_func_call(get_func(&ex, X_HOST_ADD), &args2, &res1)); /* re-exported */
  assert_int_equal(r1[0].of.i32, 42);
  wasm_val_t v = call1(get_func(&ex, X_I64), (wasm_val_t)WASM_I64_VAL(INT64_C(1) << 40));
  assert_int_equal(v.kind, WASM_I64);
  assert_true(v.of.i64 == (INT64_C(3) << 40));
  v = call1(get_func(&ex, X_F32), (wasm_val_t)WASM_F32_VAL(1.25f));
  assert_true(v.kind == WASM_F32 && v.of.f32 == 2.5f);
  v = call1(get_func(&ex, X_F64), (wasm_val_t)WASM_F64_VAL(2.0));
  assert_true(v.kind == WASM_F64 && v.of.f64 == 2.5);

  /* a trap from Wasm, and one from a host callback through Wasm */
  a2[0].of.i32 = 7;
  a2[1].of.i32 = 0;
  assert_trap(wasm_func_call(get_func(&ex, X_DIV), &args2, &res1), "integer divide by zero",
              KILN_TRAP_INT_DIV_ZERO);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  assert_trap(wasm_func_call(get_func(&ex, X_FAIL), &none, &none), "host says no",
              KILN_TRAP_HOST);
  assert_trap(wasm_func_call(f_fail, &none, &none), "host says no", KILN_TRAP_HOST);
  /* calls work after traps */
  a2[1].of.i32 = 2;
  assert_null(wasm_func_call(get_func(&ex, X_DIV), &args2, &res1));
  assert_int_equal(r1[0].of.i32, 3);

  /* globals: the imported one seen from both sides, the exported one */
  wasm_val_t a0[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args0 = {0, a0};
  assert_null(wasm_func_call(get_func(&ex, X_GET_G), &args0, &res1));
  assert_int_equal(r1[0].of.i32, 40);
  wasm_val_t g1 = WASM_I32_VAL(41);
  wasm_global_set(g, &g1);
  assert_null(wasm_func_call(get_func(&ex, X_GET_G), &args0, &res1));
  assert_int_equal(r1[0].of.i32, 41);
  wasm_val_t a1[1] = {WASM_I32_VAL(99)};
  wasm_val_vec_t args1 = WASM_ARRAY_VEC(a1);
  assert_null(wasm_func_call(get_func(&ex, X_SET_G), &args1, &none));
  wasm_val_t out;
  wasm_global_get(g, &out);
  assert_int_equal(out.of.i32, 99);
  wasm_global_get(wasm_extern_as_global(ex.data[X_G]), &out);
  assert_int_equal(out.of.i32, 99);
  wasm_global_t *own_g = wasm_extern_as_global(ex.data[X_OWN]);
  wasm_global_get(own_g, &out);
  assert_true(out.kind == WASM_I64 && out.of.i64 == 7);
  wasm_globaltype_t *ogt = wasm_global_type(own_g);
  assert_int_equal(wasm_globaltype_mutability(ogt), WASM_VAR);
  assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(ogt)), WASM_I64);
  wasm_globaltype_delete(ogt);

  /* memory: both sides see the same bytes */
  wasm_memory_t *xm = wasm_extern_as_memory(ex.data[X_MEM]);
  assert_true(wasm_memory_same(xm, mem));
  assert_int_equal(wasm_memory_size(mem), 1);
  assert_int_equal(wasm_memory_data_size(mem), 65536);
  int32_t word = 0x12345678;
  memcpy(wasm_memory_data(mem) + 100, &word, 4);
  assert_int_equal(call1(get_func(&ex, X_LOAD), (wasm_val_t)WASM_I32_VAL(100)).of.i32, word);
  a2[0].of.i32 = 200;
  a2[1].of.i32 = -5;
  wasm_val_vec_t none_res = WASM_EMPTY_VEC;
  assert_null(wasm_func_call(get_func(&ex, X_STORE), &args2, &none_res));
  memcpy(&word, wasm_memory_data(xm) + 200, 4);
  assert_int_equal(word, -5);
  assert_true(wasm_memory_grow(mem, 1));
  assert_int_equal(wasm_memory_size(xm), 2);
  assert_false(wasm_memory_grow(mem, 1)); /* maximum 2 */

  /* tables: get, set, grow, and Wasm calling what the host stored */
  assert_int_equal(wasm_table_size(tab), 2);
  assert_null(wasm_table_get(tab, 0));
  wasm_func_t *seven = get_func(&ex, X_SEVEN);
  assert_true(wasm_table_set(tab, 1, wasm_func_as_ref(seven)));
  assert_int_equal(call1(get_func(&ex, X_CALL_TAB), (wasm_val_t)WASM_I32_VAL(1)).of.i32, 7);
  wasm_ref_t *r = wasm_table_get(tab, 1);
  assert_non_null(r);
  assert_true(wasm_func_same(wasm_ref_as_func(r), seven));
  assert_true(wasm_table_grow(tab, 3, r));
  wasm_ref_delete(r);
  assert_int_equal(wasm_table_size(tab), 5);
  assert_int_equal(call1(get_func(&ex, X_CALL_TAB), (wasm_val_t)WASM_I32_VAL(4)).of.i32, 7);
  assert_trap(wasm_func_call(get_func(&ex, X_CALL_TAB), &args1, &res1), "undefined element",
              KILN_TRAP_UNDEFINED_ELEM);
  assert_false(wasm_table_set(tab, 5, NULL));
  assert_false(wasm_table_grow(tab, 6, NULL)); /* maximum 10 */

  /* instantiation trap: the start function traps after the element
   * segment wrote to the imported table; the write stays */
  wasm_module_t *sm = load(store, "start_trap");
  wasm_extern_t *simp[1] = {wasm_table_as_extern(tab)};
  wasm_extern_vec_t simports = WASM_ARRAY_VEC(simp);
  assert_null(wasm_instance_new(store, sm, &simports, &trap));
  assert_trap(trap, "unreachable", KILN_TRAP_UNREACHABLE);
  wasm_val_t a00[1] = {WASM_I32_VAL(0)};
  wasm_val_vec_t args00 = WASM_ARRAY_VEC(a00);
  assert_null(wasm_func_call(get_func(&ex, X_CALL_TAB), &args00, &res1));
  assert_int_equal(r1[0].of.i32, 5);
  assert_null(wasm_instance_new(store, sm, &simports, NULL));
  wasm_module_delete(sm); /* the store keeps the failed instances' code */
  assert_int_equal(call1(get_func(&ex, X_CALL_TAB), (wasm_val_t)WASM_I32_VAL(0)).of.i32, 5);

  /* a second instance of the same module (compiled once) */
  wasm_instance_t *inst2 = wasm_instance_new(store, module, &imports, &trap);
  assert_non_null(inst2);
  wasm_instance_delete(inst2);

  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_func_delete(f_add);
  wasm_func_delete(f_fail);
  wasm_global_delete(g);
  wasm_memory_delete(mem);
  wasm_table_delete(tab);
  wasm_functype_delete(t_add);
  wasm_functype_delete(t_fail);
  wasm_globaltype_delete(gt);
  wasm_memorytype_delete(mt);
  wasm_tabletype_delete(tt);
  assert_int_equal(e.finalized, 0);
  wasm_store_delete(store);
  assert_int_equal(e.finalized, 1);
  wasm_engine_delete(engine);
}

/* A module from its bytes. */
static wasm_module_t *from_bytes(wasm_store_t *store, const uint8_t *b, size_t n) {
  wasm_byte_vec_t bytes = {n, (wasm_byte_t *)b};
  wasm_module_t *m = wasm_module_new(store, &bytes);
  assert_non_null(m);
  return m;
}

#define WASM_HEADER 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* (module (tag (export "t") (param i32))) */
static const uint8_t tag_def[] = {
    WASM_HEADER,
    0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, /* type 0: (func (param i32)) */
    0x0d, 0x03, 0x01, 0x00, 0x00,             /* tag 0: type 0 */
    0x07, 0x05, 0x01, 0x01, 't', 0x04, 0x00,  /* export "t" (tag 0) */
};

/* (module (import "a" "t" (tag (param P))) (export "t" (tag 0))), P being
 * the value type byte at offset TAG_USE_PARAM */
#define TAG_USE_PARAM 13
static const uint8_t tag_use[] = {
    WASM_HEADER,
    0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,                   /* type 0 */
    0x02, 0x08, 0x01, 0x01, 'a', 0x01, 't', 0x04, 0x00, 0x00,   /* import */
    0x07, 0x05, 0x01, 0x01, 't', 0x04, 0x00,                    /* export */
};

/* Tags: exported as extern objects of kind KILN_EXTERN_TAG, imported by
 * another instance when the function types are the same type. */
static void test_tags(void **state) {
  (void)state;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *def = from_bytes(store, tag_def, sizeof tag_def);
  wasm_module_t *use = from_bytes(store, tag_use, sizeof tag_use);
  uint8_t use_f32[sizeof tag_use];
  memcpy(use_f32, tag_use, sizeof tag_use);
  assert_int_equal(use_f32[TAG_USE_PARAM], 0x7f);
  use_f32[TAG_USE_PARAM] = 0x7d; /* (param f32) */
  wasm_module_t *use_bad = from_bytes(store, use_f32, sizeof use_f32);

  wasm_trap_t *trap = NULL;
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t *a = wasm_instance_new(store, def, &none, &trap);
  assert_null(trap);
  assert_non_null(a);
  wasm_extern_vec_t ax;
  wasm_instance_exports(a, &ax);
  assert_int_equal(ax.size, 1);
  assert_non_null(ax.data[0]);
  assert_int_equal(wasm_extern_kind(ax.data[0]), KILN_EXTERN_TAG);
  kiln_tag_t *tag = kiln_extern_as_tag(ax.data[0]);
  assert_non_null(tag);
  assert_ptr_equal(kiln_tag_as_extern(tag), ax.data[0]);
  assert_null(wasm_extern_as_func(ax.data[0]));
  assert_null(kiln_extern_as_tag(NULL));

  /* its type: (param i32), with the module's type id */
  kiln_tagtype_t *tt = kiln_tag_type(tag);
  assert_non_null(tt);
  const wasm_functype_t *ft = kiln_tagtype_functype(tt);
  assert_int_equal(wasm_functype_params(ft)->size, 1);
  assert_int_equal(wasm_valtype_kind(wasm_functype_params(ft)->data[0]), WASM_I32);
  assert_int_equal(wasm_functype_results(ft)->size, 0);
  assert_int_not_equal(kiln_functype_type_id(ft), KILN_NO_TYPE);
  wasm_exporttype_vec_t et;
  wasm_module_exports(def, &et);
  const kiln_tagtype_t *want =
      kiln_externtype_as_tagtype_const(wasm_exporttype_type(et.data[0]));
  assert_non_null(want);
  assert_int_equal(kiln_functype_type_id(kiln_tagtype_functype(want)),
                   kiln_functype_type_id(ft));
  wasm_exporttype_vec_delete(&et);
  kiln_tagtype_delete(tt);
  wasm_externtype_t *xt = wasm_extern_type(ax.data[0]);
  assert_non_null(xt);
  assert_int_equal(wasm_externtype_kind(xt), KILN_EXTERN_TAG);
  wasm_externtype_delete(xt);

  /* copies are handles on the same tag */
  wasm_extern_t *copy = wasm_extern_copy(ax.data[0]);
  assert_non_null(copy);
  assert_true(wasm_extern_same(copy, ax.data[0]));
  assert_true(kiln_tag_same(kiln_extern_as_tag(copy), tag));
  wasm_extern_delete(copy);

  /* imported and re-exported: the same object */
  wasm_extern_vec_t imports = {1, ax.data};
  wasm_instance_t *b = wasm_instance_new(store, use, &imports, &trap);
  assert_null(trap);
  assert_non_null(b);
  wasm_extern_vec_t bx;
  wasm_instance_exports(b, &bx);
  assert_int_equal(bx.size, 1);
  assert_true(kiln_tag_same(kiln_extern_as_tag(bx.data[0]), tag));

  /* another instance of the defining module: another tag, which matches
   * the import all the same */
  wasm_instance_t *a2 = wasm_instance_new(store, def, &none, &trap);
  assert_non_null(a2);
  wasm_extern_vec_t a2x;
  wasm_instance_exports(a2, &a2x);
  assert_false(wasm_extern_same(a2x.data[0], ax.data[0]));
  wasm_extern_vec_t imports2 = {1, a2x.data};
  wasm_instance_t *b2 = wasm_instance_new(store, use, &imports2, &trap);
  assert_non_null(b2);
  wasm_instance_delete(b2);

  /* a tag of another function type, a missing tag, another kind */
  assert_null(wasm_instance_new(store, use_bad, &imports, &trap));
  assert_trap(trap, "incompatible import type: \"a\" \"t\"", KILN_TRAP_LINK);
  assert_null(wasm_instance_new(store, use, &none, &trap));
  assert_trap(trap, "unknown import: \"a\" \"t\"", KILN_TRAP_LINK);
  wasm_limits_t ml = {1, 1};
  wasm_memorytype_t *mt = wasm_memorytype_new(&ml);
  wasm_memory_t *mem = wasm_memory_new(store, mt);
  wasm_extern_t *memx = wasm_memory_as_extern(mem);
  wasm_extern_vec_t imports3 = {1, &memx};
  assert_null(wasm_instance_new(store, use, &imports3, &trap));
  assert_trap(trap, "incompatible import type: \"a\" \"t\"", KILN_TRAP_LINK);
  /* a tag of another store */
  wasm_store_t *other = wasm_store_new(engine);
  assert_null(wasm_instance_new(other, use, &imports, &trap));
  assert_trap(trap, "incompatible import type: \"a\" \"t\"", KILN_TRAP_LINK);
  wasm_store_delete(other);

  wasm_memory_delete(mem);
  wasm_memorytype_delete(mt);
  wasm_extern_vec_delete(&a2x);
  wasm_extern_vec_delete(&bx);
  wasm_extern_vec_delete(&ax);
  wasm_instance_delete(a2);
  wasm_instance_delete(b);
  wasm_instance_delete(a);
  wasm_module_delete(use_bad);
  wasm_module_delete(use);
  wasm_module_delete(def);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* kiln_runtime_stats: an instance with a memory and a table is counted
 * while its store lives, and 10,000 store + instance cycles bring every
 * counter back to where it started. */
static void test_runtime_stats(void **state) {
  (void)state;
  static const char text[] =
      "(module (memory 1) (table 10 funcref) (func $f) (elem (i32.const 0) $f)\n"
      "        (data (i32.const 0) \"abc\") (func (export \"nop\")))";
  wasm_byte_vec_t bin;
  kiln_text_error_t terr;
  assert_true(kiln_wat2wasm(text, strlen(text), &bin, &terr));
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *s0 = wasm_store_new(engine);
  wasm_module_t *m = wasm_module_new(s0, &bin);
  wasm_byte_vec_delete(&bin);
  assert_non_null(m);
  kiln_runtime_stats_t base, now;
  kiln_runtime_stats(&base);
  for (int i = 0; i < 10000; i++) {
    wasm_store_t *s = wasm_store_new(engine);
    wasm_extern_vec_t imports = WASM_EMPTY_VEC;
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(s, m, &imports, &trap);
    assert_non_null(inst);
    if (i == 0) {
      kiln_runtime_stats(&now);
      assert_int_equal(now.live_instances, base.live_instances + 1);
      assert_int_equal(now.live_memories, base.live_memories + 1);
      assert_int_equal(now.memory_committed_bytes, base.memory_committed_bytes + 65536);
      assert_true(now.memory_reserved_bytes >= base.memory_reserved_bytes + 65536);
      assert_int_equal(now.live_tables, base.live_tables + 1);
      assert_int_equal(now.table_bytes, base.table_bytes + 10 * 8);
    }
    wasm_instance_delete(inst);
    wasm_store_delete(s);
  }
  kiln_runtime_stats(&now);
  assert_memory_equal(&now, &base, sizeof now);
  wasm_module_delete(m);
  wasm_store_delete(s0);
  wasm_engine_delete(engine);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_runtime),
      cmocka_unit_test(test_tags),
      cmocka_unit_test(test_runtime_stats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
