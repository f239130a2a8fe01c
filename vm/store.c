/* vm/store.c — stores.
 *
 * A store will own instances, host functions, the GC heap and every handle
 * the embedder holds.  Users bound memory by creating a fresh store per
 * request, so creating and deleting one must be cheap: the GC heap and
 * everything else are created lazily, on first use, and today a store is
 * just its engine pointer.
 */
#include <stdlib.h>

#include "vm.h"

/* NULL if `engine` is NULL or memory is exhausted.  The engine must outlive
 * the store. */
wasm_store_t *wasm_store_new(wasm_engine_t *engine) {
  if (!engine) return NULL;
  wasm_store_t *store = malloc(sizeof *store);
  if (!store) return NULL;
  store->engine = engine;
  return store;
}

void wasm_store_delete(own wasm_store_t *store) { free(store); }
