/* vm/table_api.c — tables (wasm_table_t): handles on vm_tab objects
 * (vm/table.h), owned by the instance that defines them or, when the
 * embedder creates one, by the store.
 *
 * Elements cross as references: a funcref element is a new wasm_func_t
 * handle.  A host function made by wasm_func_new cannot be stored in a
 * table yet (wasm_table_set / grow / new refuse it): Wasm code calls table
 * elements through their typed entry, which a host function gets only when
 * an instance links it (vm/instance.c).  The same function exported back
 * by an instance that imports it is linked and can be stored.  Tables of
 * other reference types hold 32-bit GC references (externref boxes of the
 * store): vm_tab_set / grow / new store them through the write barrier,
 * and wasm_table_get returns a new rooted handle.
 */
#include <stdlib.h>

#include "host.h"
#include "table.h"
#include "vm.h"

wasm_table_t *vm_table_handle(wasm_store_t *s, vm_tab *t, fe_valtype elem) {
  wasm_table_t *h = malloc(sizeof *h);
  if (!h) return NULL;
  h->ext.kind = WASM_EXTERN_TABLE;
  h->ext.store = s;
  h->t = t;
  h->elem = elem;
  return h;
}

void wasm_table_delete(own wasm_table_t *t) { free(t); }

wasm_table_t *wasm_table_copy(const wasm_table_t *t) {
  return t ? vm_table_handle(t->ext.store, t->t, t->elem) : NULL;
}

bool wasm_table_same(const wasm_table_t *a, const wasm_table_t *b) {
  return a && b && a->t == b->t;
}

/* A reference as a table word; false if the table cannot hold it. */
static bool vm_ref_word(wasm_store_t *s, fe_valtype elem, const wasm_ref_t *r,
                        uint64_t *word) {
  wasm_engine_t *e = s->engine;
  wasm_val_t v = {.kind = vm_vt_kind(elem), .of = {.ref = (wasm_ref_t *)r}};
  if (v.kind != WASM_FUNCREF && v.kind != WASM_EXTERNREF) v.kind = KILN_REF;
  vm_global slot;
  if (!vm_val_to_slot(s, elem, &v, &slot)) return false;
  if (!vm_vt_is_func(e, elem)) {
    *word = slot.gcref;
    return true;
  }
  if (slot.funcref && !vm_host_link_func(e, slot.funcref)) return false;
  *word = (uint64_t)(uintptr_t)slot.funcref;
  return true;
}

static void vm_tab_drop(void *p) { vm_tab_free(p); }
static void vm_tab_gc_visit(void *p, gc_visit_fn *fn, void *vctx) {
  vm_tab_visit(p, fn, vctx);
}

wasm_table_t *wasm_table_new(wasm_store_t *s, const wasm_tabletype_t *type,
                             wasm_ref_t *init) {
  if (!s || !type) return NULL;
  fe_valtype elem = type->element->vt;
  uint64_t word;
  if (!vm_ref_word(s, elem, init, &word)) return NULL;
  const kiln_limits64_t *l = &type->limits;
  char err[128];
  vm_tab *t = vm_tab_new(l->min, l->has_max ? l->max : UINT64_MAX, l->is64,
                         vm_vt_is_func(s->engine, elem), word, &s->heap, err, sizeof err);
  if (!t) return NULL;
  if (!vm_store_own_gc(s, vm_tab_drop, vm_tab_gc_visit, t)) {
    vm_tab_free(t);
    return NULL;
  }
  return vm_table_handle(s, t, elem);
}

wasm_tabletype_t *wasm_table_type(const wasm_table_t *t) {
  uint64_t max = vm_tab_max(t->t);
  kiln_limits64_t l = {vm_tab_size(t->t), max == UINT64_MAX ? 0 : max,
                       max != UINT64_MAX, vm_tab_is64(t->t)};
  return kiln_tabletype_new64(vm_valtype_new(t->elem), &l);
}

wasm_ref_t *wasm_table_get(const wasm_table_t *t, wasm_table_size_t index) {
  uint64_t word;
  if (!vm_tab_get(t->t, index, &word)) return NULL;
  if (!vm_vt_is_func(t->ext.store->engine, t->elem)) {
    /* as wasm_global_get: a rooted handle on an object, a handle on an i31
     * reference, NULL for null (or out of memory) */
    vm_global slot = {.gcref = (gc_ref)word};
    wasm_val_t v = {.of.ref = NULL};
    (void)vm_val_from_slot(t->ext.store, t->elem, &slot, &v);
    return v.of.ref;
  }
  vm_funcref *f = (vm_funcref *)(uintptr_t)word;
  return wasm_func_as_ref(vm_func_handle(t->ext.store, f));
}

bool wasm_table_set(wasm_table_t *t, wasm_table_size_t index, wasm_ref_t *r) {
  uint64_t word;
  return vm_ref_word(t->ext.store, t->elem, r, &word) &&
         vm_tab_set(t->t, index, word);
}

wasm_table_size_t wasm_table_size(const wasm_table_t *t) {
  uint64_t n = vm_tab_size(t->t);
  return n > UINT32_MAX ? UINT32_MAX : (wasm_table_size_t)n;
}

bool wasm_table_grow(wasm_table_t *t, wasm_table_size_t delta, wasm_ref_t *init) {
  uint64_t word;
  return vm_ref_word(t->ext.store, t->elem, init, &word) &&
         vm_tab_grow(t->t, delta, word) >= 0;
}
