/* vm/store.c — stores.
 *
 * A store owns every runtime object made in it: instances (with the
 * memories and tables they define), host functions, and the globals,
 * tables and memories the embedder creates (DESIGN.md "Ownership and
 * lifetimes").  They sit on one list, released in reverse order of creation
 * when the store is deleted; nothing is released earlier, because a
 * function of one instance may sit in another's table and a failed
 * instantiation's writes to imported tables stay visible.  Users bound
 * memory by creating a fresh store per request, so creating and deleting
 * one must be cheap: an empty store is its engine pointer and an empty
 * list (the GC heap will be created lazily).
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
  store->owned = NULL;
  return store;
}

bool vm_store_own(wasm_store_t *store, void (*drop)(void *), void *p) {
  vm_owned *o = malloc(sizeof *o);
  if (!o) return false;
  o->drop = drop;
  o->p = p;
  o->next = store->owned;
  store->owned = o;
  return true;
}

void wasm_store_delete(own wasm_store_t *store) {
  if (!store) return;
  vm_owned *o = store->owned;
  while (o) {
    vm_owned *next = o->next;
    o->drop(o->p);
    free(o);
    o = next;
  }
  free(store);
}
