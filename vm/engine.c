/* vm/engine.c — configs and engines.
 *
 * An engine is the long-lived, thread-shared context: it owns the
 * engine-wide type registry (one per engine, so that canonical type ids
 * compare across all of the engine's modules; the registry locks itself) and
 * the module cache (vm/cache.h) when configured.  The compiler object is
 * loaded on first need, not here: creating an engine must stay cheap and
 * must not pull in LLVM (DESIGN.md "The runtime does not need LLVM").
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "pool.h"
#include "vm.h"

wasm_config_t *wasm_config_new(void) {
  return calloc(1, sizeof(wasm_config_t));
}

void wasm_config_delete(own wasm_config_t *config) {
  if (config)
    free(config->cache_dir);
  free(config);
}

/* Takes ownership of `config` (the standard's `own`): it is copied into the
 * engine and freed, on failure too, so the caller never deletes it.  A NULL
 * config means the defaults.  Returns NULL when out of memory. */
wasm_engine_t *wasm_engine_new_with_config(own wasm_config_t *config) {
  wasm_engine_t *engine = calloc(1, sizeof *engine);
  if (!engine) goto fail;
  if (config) engine->config = *config;
  engine->config.cache_dir = NULL; /* freed with config */
  engine->types = fe_typereg_new();
  if (!engine->types) goto fail;
  /* A cache that cannot be set up (no home directory) leaves it off:
   * kiln_engine_cache_stats shows an empty directory then. */
  if (config && config->cache)
    engine->cache = vm_cache_new(config->cache_dir, config->cache_limit);
  if (engine->config.pooling.instance_slots) {
    char err[256];
    engine->pool = vm_pool_new(&engine->config.pooling, err, sizeof err);
    if (!engine->pool) {
      fe_typereg_free(engine->types);
      vm_cache_free(engine->cache);
      goto fail;
    }
  }
  pthread_mutex_init(&engine->host_links_lock, NULL);
  wasm_config_delete(config);
  return engine;

fail:
  free(engine);
  wasm_config_delete(config);
  return NULL;
}

void kiln_config_set_pooling(wasm_config_t *config, const kiln_pooling_config_t *cfg) {
  if (!config) return;
  if (cfg)
    config->pooling = *cfg;
  else
    config->pooling = (kiln_pooling_config_t){0};
}

void kiln_config_set_gc_heap_limit(wasm_config_t *config, uint64_t bytes) {
  if (config) config->gc_heap_limit = bytes;
}

void kiln_config_set_gc_stress(wasm_config_t *config, bool on) {
  if (config) config->gc_stress = on;
}

void kiln_config_set_cache(wasm_config_t *config, bool on, const char *dir) {
  if (!config) return;
  free(config->cache_dir);
  config->cache_dir = dir ? strdup(dir) : NULL;
  /* out of memory copying the name: off rather than the default directory */
  config->cache = on && (!dir || config->cache_dir);
}

void kiln_config_set_cache_limit(wasm_config_t *config, uint64_t bytes) {
  if (config) config->cache_limit = bytes;
}

void kiln_engine_cache_stats(const wasm_engine_t *engine, kiln_cache_stats_t *out) {
  vm_cache_stats(engine ? engine->cache : NULL, out);
}

void kiln_engine_pool_stats(const wasm_engine_t *engine, kiln_pool_stats_t *out) {
  *out = (kiln_pool_stats_t){0};
  if (engine && engine->pool)
    vm_pool_stats(engine->pool, out);
}

wasm_engine_t *wasm_engine_new(void) {
  return wasm_engine_new_with_config(NULL);
}

/* Every store and module of the engine must be deleted before it: they hold
 * canonical ids of its registry. */
void wasm_engine_delete(own wasm_engine_t *engine) {
  if (!engine) return;
  vm_host_links_free(engine);
  vm_pool_free(engine->pool);
  vm_cache_free(engine->cache);
  pthread_mutex_destroy(&engine->host_links_lock);
  fe_typereg_free(engine->types);
  free(engine);
}
