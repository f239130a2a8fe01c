/* vm/global.c — globals (wasm_global_t).
 *
 * A wasm_global_t is a handle on a 16-byte vm_global slot with the global's
 * type: the slot of an instance (in its vmctx) or, for a global the
 * embedder creates, a slot the store owns.  Imports link the slot itself,
 * so both sides see every write.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

wasm_global_t *vm_global_handle(wasm_store_t *s, vm_global *slot, fe_valtype vt,
                                bool mut) {
  wasm_global_t *g = malloc(sizeof *g);
  if (!g) return NULL;
  g->ext.kind = WASM_EXTERN_GLOBAL;
  g->ext.store = s;
  g->slot = slot;
  g->vt = vt;
  g->mut = mut;
  return g;
}

void wasm_global_delete(own wasm_global_t *g) { free(g); }

wasm_global_t *wasm_global_copy(const wasm_global_t *g) {
  return g ? vm_global_handle(g->ext.store, g->slot, g->vt, g->mut) : NULL;
}

bool wasm_global_same(const wasm_global_t *a, const wasm_global_t *b) {
  return a && b && a->slot == b->slot;
}

/* NULL when the value does not fit the type or memory runs out. */
wasm_global_t *wasm_global_new(wasm_store_t *s, const wasm_globaltype_t *type,
                               const wasm_val_t *val) {
  if (!s || !type || !val) return NULL;
  fe_valtype vt = type->content->vt;
  vm_global *slot = aligned_alloc(16, sizeof *slot);
  if (!slot) return NULL;
  if (!vm_val_to_slot(s->engine, vt, val, slot) || !vm_store_own(s, free, slot)) {
    free(slot);
    return NULL;
  }
  return vm_global_handle(s, slot, vt, type->mutability == WASM_VAR);
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *g) {
  wasm_valtype_t *vt = vm_valtype_new(g->vt);
  return vt ? wasm_globaltype_new(vt, g->mut ? WASM_VAR : WASM_CONST) : NULL;
}

/* A funcref value is a new handle; out of memory reads as null. */
void wasm_global_get(const wasm_global_t *g, own wasm_val_t *out) {
  (void)vm_val_from_slot(g->ext.store, g->vt, g->slot, out);
}

void wasm_global_set(wasm_global_t *g, const wasm_val_t *val) {
  vm_global tmp;
  if (!g->mut || !vm_val_to_slot(g->ext.store->engine, g->vt, val, &tmp)) return;
  memcpy(g->slot, &tmp, sizeof tmp);
}
