/* vm/global.c — globals (wasm_global_t).
 *
 * A wasm_global_t is a handle on a 16-byte vm_global slot with the global's
 * type: the slot of an instance (in its vmctx) or, for a global the
 * embedder creates, a slot the store owns.  Imports link the slot itself,
 * so both sides see every write.  A global of a GC reference type holds a
 * counted reference: wasm_global_new and wasm_global_set store it through
 * the write barrier, and the store's drop of a host global releases it.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Whether a global of type vt holds a counted GC reference. */
static bool vm_global_is_gc(wasm_store_t *s, fe_valtype vt) {
  return FE_VT_IS_REF(vt) && !vm_vt_is_func(s->engine, vt);
}

/* A host global of a GC reference type: the slot first (16-aligned). */
typedef struct vm_gc_global {
  _Alignas(16) vm_global slot; /* size a multiple of 16, for aligned_alloc */
  wasm_store_t *store;
} vm_gc_global;

static void vm_gc_global_drop(void *p) {
  vm_gc_global *g = p;
  gc_write(g->store->heap, &g->slot.gcref, GC_NULL);
  free(g);
}

static void vm_gc_global_visit(void *p, gc_visit_fn *fn, void *vctx) {
  fn(vctx, ((vm_gc_global *)p)->slot.gcref);
}

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
  vm_global tmp;
  if (!vm_val_to_slot(s, vt, val, &tmp)) return NULL;
  bool mut = type->mutability == WASM_VAR;
  if (vm_global_is_gc(s, vt)) {
    vm_gc_global *g = aligned_alloc(16, sizeof *g);
    if (!g) return NULL;
    memset(g, 0, sizeof *g);
    g->store = s;
    if (!vm_store_own_gc(s, vm_gc_global_drop, vm_gc_global_visit, g)) {
      free(g);
      return NULL;
    }
    gc_write(s->heap, &g->slot.gcref, tmp.gcref);
    return vm_global_handle(s, &g->slot, vt, mut);
  }
  vm_global *slot = aligned_alloc(16, sizeof *slot);
  if (!slot) return NULL;
  memcpy(slot, &tmp, sizeof tmp);
  if (!vm_store_own(s, free, slot)) {
    free(slot);
    return NULL;
  }
  return vm_global_handle(s, slot, vt, mut);
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *g) {
  wasm_valtype_t *vt = vm_valtype_new(g->vt);
  return vt ? wasm_globaltype_new(vt, g->mut ? WASM_VAR : WASM_CONST) : NULL;
}

/* A reference value is a new handle (rooted for a GC reference); out of
 * memory reads as null. */
void wasm_global_get(const wasm_global_t *g, own wasm_val_t *out) {
  (void)vm_val_from_slot(g->ext.store, g->vt, g->slot, out);
}

void wasm_global_set(wasm_global_t *g, const wasm_val_t *val) {
  wasm_store_t *s = g->ext.store;
  vm_global tmp;
  if (!g->mut || !vm_val_to_slot(s, g->vt, val, &tmp)) return;
  if (vm_global_is_gc(s, g->vt))
    gc_write(s->heap, &g->slot->gcref, tmp.gcref);
  else
    memcpy(g->slot, &tmp, sizeof tmp);
}
