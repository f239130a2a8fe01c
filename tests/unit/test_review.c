/* tests/unit/test_review.c — regressions found by review of the JIT core,
 * through the public API:
 *   - the stack limit is per store and refreshed on every entry, so code of
 *     an instance created on one thread and called on another checks
 *     against the calling thread's stack (no spurious "call stack exhausted",
 *     and a runaway recursion traps instead of overflowing the stack);
 *   - call_indirect accepts a function whose type is a declared subtype of
 *     the expected one;
 *   - a function made by wasm_func_new passed to Wasm as a funcref value is
 *     callable from Wasm (it gets a typed entry from the engine's per-type
 *     host trampoline), not a crash.
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

#include "wasm.h"

#if !defined(JIT_TEST_DIR) || !defined(JIT_SOURCE_DIR)
#error "JIT_TEST_DIR and JIT_SOURCE_DIR must name the module directories"
#endif

static wasm_module_t *load(wasm_store_t *store, const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  wasm_byte_vec_t bytes;
  wasm_byte_vec_new_uninitialized(&bytes, (size_t)n);
  assert_int_equal(fread(bytes.data, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  wasm_module_t *m = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  assert_non_null(m);
  return m;
}

/* Calls f(i32) -> i32; returns the trap message ("" if none) in msg. */
static int32_t call_i32(wasm_func_t *f, int32_t x, char *msg, size_t size) {
  wasm_val_t a[1] = {WASM_I32_VAL(x)};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_ARRAY_VEC(r);
  wasm_trap_t *t = wasm_func_call(f, &args, &res);
  msg[0] = 0;
  if (t) {
    wasm_message_t m;
    wasm_trap_message(t, &m);
    snprintf(msg, size, "%.*s", (int)m.size, m.data);
    wasm_byte_vec_delete(&m);
    wasm_trap_delete(t);
    return 0;
  }
  return r[0].of.i32;
}

typedef struct world {
  wasm_engine_t *engine;
  wasm_store_t *store;
  wasm_module_t *rec_module, *callrec_module;
  wasm_instance_t *rec, *callrec;
  wasm_func_t *entry; /* callrec's export: calls rec in the other instance */
} world;

static void *instantiate_rec(void *arg) {
  world *w = arg;
  wasm_trap_t *t = NULL;
  w->rec = wasm_instance_new(w->store, w->rec_module, NULL, &t);
  return NULL;
}

/* rec instantiated on the main thread or on a worker; callrec imports it. */
static void build(world *w, bool rec_on_worker) {
  w->engine = wasm_engine_new();
  w->store = wasm_store_new(w->engine);
  w->rec_module = load(w->store, JIT_TEST_DIR, "rec");
  w->callrec_module = load(w->store, JIT_TEST_DIR, "callrec");
  if (rec_on_worker) {
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, instantiate_rec, w), 0);
    pthread_join(th, NULL);
  } else {
    instantiate_rec(w);
  }
  assert_non_null(w->rec);
  wasm_extern_vec_t rec_exports;
  wasm_instance_exports(w->rec, &rec_exports);
  wasm_extern_vec_t imports = {1, rec_exports.data};
  wasm_trap_t *t = NULL;
  w->callrec = wasm_instance_new(w->store, w->callrec_module, &imports, &t);
  assert_non_null(w->callrec);
  wasm_extern_vec_delete(&rec_exports);
  wasm_extern_vec_t exports;
  wasm_instance_exports(w->callrec, &exports);
  w->entry = wasm_func_copy(wasm_extern_as_func(exports.data[0]));
  wasm_extern_vec_delete(&exports);
}

static void destroy(world *w) {
  wasm_func_delete(w->entry);
  wasm_instance_delete(w->callrec);
  wasm_instance_delete(w->rec);
  wasm_module_delete(w->callrec_module);
  wasm_module_delete(w->rec_module);
  wasm_store_delete(w->store);
  wasm_engine_delete(w->engine);
}

typedef struct thread_call {
  wasm_func_t *f;
  int32_t arg, result;
  char msg[128];
} thread_call;

static void *call_on_thread(void *arg) {
  thread_call *c = arg;
  c->result = call_i32(c->f, c->arg, c->msg, sizeof c->msg);
  return NULL;
}

static void test_store_moves_between_threads(void **state) {
  (void)state;
  world w;
  memset(&w, 0, sizeof w);
  build(&w, false);
  char msg[128];
  assert_int_equal(call_i32(w.entry, 1000, msg, sizeof msg), 1000);
  assert_string_equal(msg, "");
  /* the same store, now on another thread, whose stack lies elsewhere */
  thread_call c = {w.entry, 1000, 0, ""};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, call_on_thread, &c), 0);
  pthread_join(th, NULL);
  assert_string_equal(c.msg, "");
  assert_int_equal(c.result, 1000);
  destroy(&w);
}

static void test_runaway_after_thread_change(void **state) {
  (void)state;
  world w;
  memset(&w, 0, sizeof w);
  build(&w, true); /* rec's instance made on a worker thread */
  char msg[128];
  call_i32(w.entry, 100000000, msg, sizeof msg);
  assert_string_equal(msg, "call stack exhausted");
  assert_int_equal(call_i32(w.entry, 10, msg, sizeof msg), 10); /* still works */
  destroy(&w);
}

static void test_call_indirect_subtype(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = load(s, JIT_SOURCE_DIR, "sub_call_indirect");
  wasm_trap_t *t = NULL;
  wasm_instance_t *i = wasm_instance_new(s, m, NULL, &t);
  assert_non_null(i);
  wasm_extern_vec_t ex;
  wasm_instance_exports(i, &ex);
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_EMPTY_VEC, res = WASM_ARRAY_VEC(r);
  assert_null(wasm_func_call(wasm_extern_as_func(ex.data[0]), &args, &res));
  assert_int_equal(r[0].of.i32, 5);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(i);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

static wasm_trap_t *seven(const wasm_val_vec_t *a, wasm_val_vec_t *r) {
  (void)a;
  r->data[0].kind = WASM_I32;
  r->data[0].of.i32 = 7;
  return NULL;
}

static void test_host_func_as_funcref(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = load(s, JIT_TEST_DIR, "funcref_arg");
  wasm_trap_t *t = NULL;
  wasm_instance_t *i = wasm_instance_new(s, m, NULL, &t);
  assert_non_null(i);
  wasm_extern_vec_t ex;
  wasm_instance_exports(i, &ex);
  wasm_functype_t *ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t *h = wasm_func_new(s, ft, seven);
  wasm_functype_delete(ft);
  wasm_val_t a[1];
  a[0].kind = WASM_FUNCREF;
  a[0].of.ref = wasm_func_as_ref(h);
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_ARRAY_VEC(r);
  /* the module stores it in its table and calls it with call_indirect:
   * the host function got a typed entry when it became a value */
  t = wasm_func_call(wasm_extern_as_func(ex.data[0]), &args, &res);
  assert_null(t);
  assert_int_equal(r[0].of.i32, 7);
  /* a second call reuses the link */
  r[0].of.i32 = 0;
  assert_null(wasm_func_call(wasm_extern_as_func(ex.data[0]), &args, &res));
  assert_int_equal(r[0].of.i32, 7);
  wasm_func_delete(h);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(i);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_store_moves_between_threads),
      cmocka_unit_test(test_runaway_after_thread_change),
      cmocka_unit_test(test_call_indirect_subtype),
      cmocka_unit_test(test_host_func_as_funcref),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
