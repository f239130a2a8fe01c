/* vm/module.c — modules: decoding and validating a binary, keeping the
 * result (wasm_module_t), its imports and exports, and sharing it between
 * threads.
 *
 * The frontend does the work (frontend/module.h: decode, validate, intern the
 * types into the engine's registry); this file turns its result into the
 * public answers: a bool for the standard wasm_module_validate, a diagnostic
 * and a summary for Kiln's extensions, and a module object that keeps the
 * description for the compiler.
 *
 * A module belongs to its engine, not to a store: it is immutable after
 * creation, so any thread and any store of the engine may use it at once.
 * The embedder holds handles (wasm_module_t from new, copy and obtain;
 * wasm_shared_module_t from share), each owning one reference to the
 * vm_module; the last handle deleted frees it.  The count is atomic, so
 * handles may be deleted on any thread.  The engine is not counted: it
 * must outlive every handle (docs/api.md).
 *
 * Compilation happens on the first instantiation (vm_module_compiled,
 * called by wasm_instance_new): the compiled code is kept in the module,
 * made once under the module's mutex, shared by every instance in every
 * store, and freed with the module's last reference (instances hold one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "cache.h"
#include "instance.h"
#include "pool.h"
#include "vm.h"

/* fe_module_new copies the bytes, and memcpy from NULL is undefined even for
 * zero bytes: an empty input is given a valid, empty buffer. */
static const uint8_t *vm_bytes_or_empty(const uint8_t *bytes) {
  static const uint8_t empty[1];
  return bytes ? bytes : empty;
}

/* Counts what the module holds.  Index spaces include imports, as the spec
 * numbers them; code_bytes is what the JIT will have to compile. */
static void vm_module_count(const fe_module *m, kiln_module_info_t *info) {
  info->types = m->ntypes;
  info->imports = m->nimports;
  info->functions = m->nfuncs;
  info->defined_functions = m->nfuncs - m->nfunc_imports;
  info->tables = m->ntables;
  info->memories = m->nmems;
  info->globals = m->nglobals;
  info->tags = m->ntags;
  info->exports = m->nexports;
  info->elem_segments = m->nelems;
  info->data_segments = m->ndatas;
  info->code_bytes = m->code_bytes;
}

/* ---- validation without keeping the module ---------------------------- */

/* The path the validation entry points take.  The module description is
 * built and dropped at once: validating keeps nothing but the interned
 * types. */
bool kiln_module_inspect(wasm_engine_t *engine, const uint8_t *bytes,
                         size_t size, kiln_module_info_t *info,
                         kiln_diagnostic_t *diag) {
  fe_error err;
  fe_module *m = fe_module_new(engine->types, vm_bytes_or_empty(bytes), size,
                               &err);
  if (info) {
    memset(info, 0, sizeof *info);
    if (m) vm_module_count(m, info);
  }
  if (diag) vm_diag_from_error(diag, m ? NULL : &err);
  if (!m) return false;
  fe_module_free(m);
  return true;
}

bool kiln_module_validate_ex(wasm_engine_t *engine, const uint8_t *bytes,
                             size_t size, kiln_diagnostic_t *diag) {
  return kiln_module_inspect(engine, bytes, size, NULL, diag);
}

/* The standard entry point: validation against the store's engine (types
 * are engine-wide, so the store adds nothing). */
bool wasm_module_validate(wasm_store_t *store, const wasm_byte_vec_t *binary) {
  if (!store || !binary) return false;
  return kiln_module_inspect(store->engine, (const uint8_t *)binary->data,
                             binary->size, NULL, NULL);
}

/* ---- module objects and their handles ---------------------------------- */

/* A new handle on m, taking one more reference; NULL when out of memory
 * (the count is then unchanged). */
static wasm_module_t *vm_module_handle(vm_module *m) {
  wasm_module_t *h = malloc(sizeof *h);
  if (!h) return NULL;
  atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
  h->m = m;
  return h;
}

/* Drops one reference; the last one frees the module.  acq_rel: the thread
 * that frees must see every other thread's use of the module finished. */
void vm_module_release(vm_module *m) {
  if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (m->compiled && m->engine->pool)
    vm_pool_forget(m->engine->pool, m->compiled);
  vm_compiled_free(m->compiled);
  pthread_mutex_destroy(&m->lock);
  fe_module_free(m->fe);
  free(m);
}

/* Frees a module no handle holds yet (refs 0). */
static void vm_module_release_unheld(vm_module *m) {
  atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
  vm_module_release(m);
}

void vm_module_retain(vm_module *m) {
  atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

/* The code-changing options of the engine's compilations. */
static vm_compile_opts vm_engine_opts(const wasm_engine_t *e) {
  unsigned p1 = e->config.opt_level_plus1;
  return (vm_compile_opts){p1 ? p1 - 1 : 2, e->config.compile_threads, 0};
}

/* Compiles the module, keeping its artifact (for wasm_module_serialize),
 * and writes it to the engine's cache.  The write happens under the
 * module's lock; it is a file write, no sync. */
vm_compiled *vm_module_compiled(vm_module *m, char *err, size_t errlen) {
  pthread_mutex_lock(&m->lock);
  if (!m->compiled) {
    vm_compile_opts opts = vm_engine_opts(m->engine);
    if (!m->has_key) {
      vm_artifact_key(m->fe->bytes, m->fe->size, &opts, m->key);
      m->has_key = true;
    }
    m->compiled = vm_compiled_compile(m->fe, &opts, m->key, err, errlen);
    if (m->compiled && m->engine->cache && m->compiled->artifact)
      vm_cache_put(m->engine->cache, m->key, m->compiled->artifact,
                   m->compiled->artifact_size);
  }
  vm_compiled *c = m->compiled;
  pthread_mutex_unlock(&m->lock);
  return c;
}

void kiln_config_set_opt_level(wasm_config_t *config, unsigned level) {
  if (config) config->opt_level_plus1 = (level > 3 ? 3 : level) + 1;
}

void kiln_config_set_compile_threads(wasm_config_t *config, unsigned threads) {
  if (config) config->compile_threads = threads;
}

bool kiln_module_compile(wasm_module_t *module, kiln_diagnostic_t *diag) {
  char err[sizeof diag->message];
  vm_compiled *c = vm_module_compiled(module->m, err, sizeof err);
  if (diag) {
    vm_diag_from_error(diag, NULL);
    if (!c) {
      diag->kind = KILN_DIAG_UNSUPPORTED;
      snprintf(diag->message, sizeof diag->message, "%s", err);
    }
  }
  return c != NULL;
}

/* A new module object holding fe (and compiled, which may be NULL), with
 * no handle yet; NULL when out of memory (nothing is freed then). */
static vm_module *vm_module_alloc(wasm_engine_t *engine, fe_module *fe, vm_compiled *compiled) {
  vm_module *m = malloc(sizeof *m);
  if (!m)
    return NULL;
  if (pthread_mutex_init(&m->lock, NULL) != 0) {
    free(m);
    return NULL;
  }
  atomic_init(&m->refs, 0);
  m->engine = engine;
  m->fe = fe;
  m->compiled = compiled;
  m->has_key = false;
  return m;
}

/* The module of an artifact (bytes, which it takes on success); key: a
 * cache entry's, or NULL.  NULL with the reason in why. */
static vm_module *vm_module_from_artifact(wasm_engine_t *engine, uint8_t *bytes, size_t size,
                                          const uint8_t *key, char *why, size_t whylen) {
  vm_artifact a;
  vm_compile_opts opts = vm_engine_opts(engine);
  if (!vm_artifact_open(engine->types, bytes, size, key, &opts, &a, why, whylen))
    return NULL;
  vm_compiled *c = vm_compiled_load(a.fe, &a, why, whylen);
  vm_module *m = c ? vm_module_alloc(engine, a.fe, c) : NULL;
  if (c && !m) {
    snprintf(why, whylen, "out of memory");
    vm_compiled_free(c);
  }
  if (m) {
    a.fe = NULL; /* the module's now */
    c->artifact = bytes;
    c->artifact_size = size;
    if (key) {
      memcpy(m->key, key, sizeof m->key);
      m->has_key = true;
    }
  }
  vm_artifact_close(&a);
  return m;
}

/* Looks the module up in the engine's cache: its handle on a hit, NULL on
 * a miss (a damaged or foreign entry is counted and removed).  Sets key. */
static wasm_module_t *vm_module_from_cache(wasm_engine_t *engine, const uint8_t *bytes,
                                           size_t size, uint8_t key[32]) {
  vm_compile_opts opts = vm_engine_opts(engine);
  vm_artifact_key(bytes, size, &opts, key);
  uint8_t *entry;
  size_t n;
  if (vm_cache_get(engine->cache, key, &entry, &n)) {
    char why[256];
    vm_module *m = vm_module_from_artifact(engine, entry, n, key, why, sizeof why);
    wasm_module_t *h = m ? vm_module_handle(m) : NULL;
    if (h) {
      vm_cache_count(engine->cache, true);
      return h;
    }
    if (m)
      vm_module_release_unheld(m);
    else {
      free(entry);
      vm_cache_reject(engine->cache, key, why);
    }
  }
  vm_cache_count(engine->cache, false);
  return NULL;
}

wasm_module_t *kiln_module_new_ex(wasm_engine_t *engine, const uint8_t *bytes,
                                  size_t size, kiln_diagnostic_t *diag) {
  uint8_t key[32];
  if (engine->cache) {
    wasm_module_t *h = vm_module_from_cache(engine, vm_bytes_or_empty(bytes), size, key);
    if (h) {
      if (diag) vm_diag_from_error(diag, NULL);
      return h;
    }
  }
  fe_error err;
  fe_module *fe = fe_module_new(engine->types, vm_bytes_or_empty(bytes), size,
                                &err);
  if (!fe) {
    if (diag) vm_diag_from_error(diag, &err);
    return NULL;
  }
  vm_module *m = vm_module_alloc(engine, fe, NULL);
  wasm_module_t *h = m ? vm_module_handle(m) : NULL;
  if (!h) {
    if (m) vm_module_release_unheld(m);
    else fe_module_free(fe);
    if (diag) vm_diag_nomem(diag, "creating the module object");
    return NULL;
  }
  if (engine->cache) {
    memcpy(m->key, key, sizeof key);
    m->has_key = true;
  }
  if (diag) vm_diag_from_error(diag, NULL);
  return h;
}

/* ---- serialized modules (vm/artifact.h) -------------------------------- */

bool kiln_module_serialize(wasm_module_t *module, wasm_byte_vec_t *out, kiln_diagnostic_t *diag) {
  wasm_byte_vec_new_empty(out);
  if (!kiln_module_compile(module, diag))
    return false;
  const vm_compiled *c = module->m->compiled;
  if (c->artifact)
    wasm_byte_vec_new(out, c->artifact_size, (const wasm_byte_t *)c->artifact);
  if (!c->artifact || out->size != c->artifact_size) {
    if (diag) vm_diag_nomem(diag, "serializing the module");
    return false;
  }
  return true;
}

void wasm_module_serialize(const wasm_module_t *module, own wasm_byte_vec_t *out) {
  if (!module) {
    wasm_byte_vec_new_empty(out);
    return;
  }
  /* compiling changes nothing the standard's const promises: the module's
   * code is made once, under its lock */
  kiln_module_serialize((wasm_module_t *)module, out, NULL);
}

wasm_module_t *kiln_module_deserialize_ex(wasm_engine_t *engine, const uint8_t *bytes,
                                          size_t size, kiln_diagnostic_t *diag) {
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy) {
    if (diag) vm_diag_nomem(diag, "deserializing the module");
    return NULL;
  }
  if (size)
    memcpy(copy, bytes, size);
  char why[sizeof diag->message - 32];
  vm_module *m = vm_module_from_artifact(engine, copy, size, NULL, why, sizeof why);
  wasm_module_t *h = m ? vm_module_handle(m) : NULL;
  if (!h) {
    if (m) vm_module_release_unheld(m);
    else free(copy);
    if (diag) {
      vm_diag_from_error(diag, NULL);
      diag->kind = KILN_DIAG_MALFORMED;
      snprintf(diag->message, sizeof diag->message, "unusable compiled module: %s",
               m ? "out of memory" : why);
    }
    return NULL;
  }
  if (diag) vm_diag_from_error(diag, NULL);
  return h;
}

wasm_module_t *wasm_module_deserialize(wasm_store_t *store, const wasm_byte_vec_t *bytes) {
  if (!store || !bytes) return NULL;
  return kiln_module_deserialize_ex(store->engine, (const uint8_t *)bytes->data, bytes->size,
                                    NULL);
}

wasm_module_t *wasm_module_new(wasm_store_t *store,
                               const wasm_byte_vec_t *binary) {
  if (!store || !binary) return NULL;
  return kiln_module_new_ex(store->engine, (const uint8_t *)binary->data,
                            binary->size, NULL);
}

void wasm_module_delete(own wasm_module_t *module) {
  if (!module) return;
  vm_module_release(module->m);
  free(module);
}

wasm_module_t *wasm_module_copy(const wasm_module_t *module) {
  return module ? vm_module_handle(module->m) : NULL;
}

bool wasm_module_same(const wasm_module_t *a, const wasm_module_t *b) {
  return a && b && a->m == b->m;
}

/* Sharing is counting: the module is immutable and engine-wide already, so
 * the shared handle and every module obtained from it are the same
 * module. */
wasm_shared_module_t *wasm_module_share(const wasm_module_t *module) {
  if (!module) return NULL;
  wasm_shared_module_t *s = malloc(sizeof *s);
  if (!s) return NULL;
  atomic_fetch_add_explicit(&module->m->refs, 1, memory_order_relaxed);
  s->m = module->m;
  return s;
}

void wasm_shared_module_delete(own wasm_shared_module_t *shared) {
  if (!shared) return;
  vm_module_release(shared->m);
  free(shared);
}

/* A module can only be used with stores of its own engine: its types are
 * interned in that engine's registry. */
wasm_module_t *wasm_module_obtain(wasm_store_t *store,
                                  const wasm_shared_module_t *shared) {
  if (!store || !shared || store->engine != shared->m->engine) return NULL;
  return vm_module_handle(shared->m);
}

void kiln_module_get_info(const wasm_module_t *module,
                          kiln_module_info_t *info) {
  memset(info, 0, sizeof *info);
  vm_module_count(module->m->fe, info);
}

/* ---- imports and exports ----------------------------------------------- */

/* A new name holding the bytes of a module's name.  Returns false when out
 * of memory (a non-empty name came back empty). */
static bool vm_name_from_fe(wasm_name_t *out, fe_name n) {
  wasm_name_new(out, n.len, n.str);
  return out->size == n.len;
}

static wasm_importtype_t *vm_importtype_of(const fe_module *m,
                                           const fe_import *imp) {
  wasm_name_t module, name;
  wasm_name_new_empty(&name);
  if (!vm_name_from_fe(&module, imp->module) ||
      !vm_name_from_fe(&name, imp->name)) {
    wasm_name_delete(&module);
    wasm_name_delete(&name);
    return NULL;
  }
  return wasm_importtype_new(&module, &name,
                             vm_externtype_of(m, imp->kind, imp->index));
}

static wasm_exporttype_t *vm_exporttype_of(const fe_module *m,
                                           const fe_export *exp) {
  wasm_name_t name;
  if (!vm_name_from_fe(&name, exp->name)) return NULL;
  return wasm_exporttype_new(&name, vm_externtype_of(m, exp->kind, exp->index));
}

/* On out of memory *out is empty: the standard has no other answer.  A
 * module with imports that returns none has run out of memory
 * (kiln_module_get_info gives the count). */
void wasm_module_imports(const wasm_module_t *module,
                         own wasm_importtype_vec_t *out) {
  const fe_module *m = module->m->fe;
  wasm_importtype_vec_new_uninitialized(out, m->nimports);
  if (out->size != m->nimports) return;
  for (uint32_t i = 0; i < m->nimports; i++) {
    out->data[i] = vm_importtype_of(m, &m->imports[i]);
    if (!out->data[i]) {
      wasm_importtype_vec_delete(out);
      return;
    }
  }
}

void wasm_module_exports(const wasm_module_t *module,
                         own wasm_exporttype_vec_t *out) {
  const fe_module *m = module->m->fe;
  wasm_exporttype_vec_new_uninitialized(out, m->nexports);
  if (out->size != m->nexports) return;
  for (uint32_t i = 0; i < m->nexports; i++) {
    out->data[i] = vm_exporttype_of(m, &m->exports[i]);
    if (!out->data[i]) {
      wasm_exporttype_vec_delete(out);
      return;
    }
  }
}
