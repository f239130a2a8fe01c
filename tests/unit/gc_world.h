/* tests/unit/gc_world.h — what the GC tests through the public API share
 * (test_gc_jit.c, test_gc_wasm.c, test_gc_review.c): one module
 * instantiated in a store of an engine configured for the GC (heap limit,
 * stress mode, compile threads), its exports by name, the heap verifier,
 * the store's GC statistics, and a call with one i32 argument.  Static functions: each test
 * file includes it once, after cmocka.h, kiln.h and wasm.h. */
#ifndef KILN_TESTS_GC_WORLD_H
#define KILN_TESTS_GC_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct world {
  wasm_engine_t *engine;
  wasm_store_t *store;
  wasm_module_t *module;
  wasm_instance_t *instance;
  wasm_extern_vec_t exports;
  wasm_exporttype_vec_t types;
} world;

typedef struct world_opts {
  uint64_t heap_limit;
  bool stress;
  unsigned threads; /* 0: the default */
} world_opts;

static void open_world(world *w, const char *wat, world_opts o) {
  wasm_config_t *cfg = wasm_config_new();
  assert_non_null(cfg);
  kiln_config_set_gc_heap_limit(cfg, o.heap_limit);
  kiln_config_set_gc_stress(cfg, o.stress);
  if (o.threads)
    kiln_config_set_compile_threads(cfg, o.threads);
  w->engine = wasm_engine_new_with_config(cfg);
  assert_non_null(w->engine);
  w->store = wasm_store_new(w->engine);
  assert_non_null(w->store);
  wasm_byte_vec_t bin;
  kiln_text_error_t err;
  if (!kiln_wat2wasm(wat, strlen(wat), &bin, &err))
    fail_msg("wat: %u:%u: %s", err.line, err.column, err.message);
  w->module = wasm_module_new(w->store, &bin);
  wasm_byte_vec_delete(&bin);
  assert_non_null(w->module);
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  w->instance = wasm_instance_new(w->store, w->module, &none, &trap);
  if (!w->instance) {
    wasm_message_t msg = {0};
    if (trap)
      wasm_trap_message(trap, &msg);
    fail_msg("instantiation failed: %.*s", (int)msg.size, msg.data);
  }
  wasm_instance_exports(w->instance, &w->exports);
  wasm_module_exports(w->module, &w->types);
}

static void close_world(world *w) {
  wasm_exporttype_vec_delete(&w->types);
  wasm_extern_vec_delete(&w->exports);
  wasm_instance_delete(w->instance);
  wasm_module_delete(w->module);
  wasm_store_delete(w->store);
  wasm_engine_delete(w->engine);
}

__attribute__((unused)) static wasm_func_t *export(world *w, const char *name) {
  for (size_t i = 0; i < w->types.size; i++) {
    const wasm_name_t *n = wasm_exporttype_name(w->types.data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
      return wasm_extern_as_func(w->exports.data[i]);
  }
  fail_msg("no export %s", name);
  return NULL;
}

__attribute__((unused)) static void verify(world *w) {
  char err[256];
  size_t n = kiln_store_gc_verify(w->store, err, sizeof err);
  if (n)
    fail_msg("heap verifier: %zu problems, first: %s", n, err);
}

__attribute__((unused)) static kiln_gc_stats_t stats(world *w) {
  kiln_gc_stats_t st;
  kiln_store_gc_stats(w->store, &st);
  return st;
}

/* Calls `name` with one i32 argument; returns the trap code (-1: none), the
 * i32 result (if any) in *out. */
__attribute__((unused)) static int call1(world *w, const char *name, int32_t arg, int32_t *out) {
  wasm_func_t *f = export(w, name);
  wasm_val_t a[1] = {WASM_I32_VAL(arg)}, r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {wasm_func_param_arity(f), a}, res = {wasm_func_result_arity(f), r};
  wasm_trap_t *t = wasm_func_call(f, &args, &res);
  if (t) {
    int code = (int)kiln_trap_code(t);
    wasm_trap_delete(t);
    return code;
  }
  if (out && res.size)
    *out = r[0].of.i32;
  return -1;
}

#endif
