/* vm/memory_api.c — memories (wasm_memory_t): handles on vm_mem objects
 * (vm/memory.h), owned by the instance that defines them or, when the
 * embedder creates one, by the store. */
#include <stdlib.h>

#include "memory.h"
#include "vm.h"

wasm_memory_t *vm_memory_handle(wasm_store_t *s, vm_mem *m) {
  wasm_memory_t *h = malloc(sizeof *h);
  if (!h) return NULL;
  h->ext.kind = WASM_EXTERN_MEMORY;
  h->ext.store = s;
  h->m = m;
  return h;
}

void wasm_memory_delete(own wasm_memory_t *m) { free(m); }

wasm_memory_t *wasm_memory_copy(const wasm_memory_t *m) {
  return m ? vm_memory_handle(m->ext.store, m->m) : NULL;
}

bool wasm_memory_same(const wasm_memory_t *a, const wasm_memory_t *b) {
  return a && b && a->m == b->m;
}

static void vm_mem_drop(void *p) { vm_mem_free(p); }

/* NULL when the limits are invalid (min > max, beyond 2^16 pages for a
 * 32-bit memory) or memory or address space runs out. */
wasm_memory_t *wasm_memory_new(wasm_store_t *s, const wasm_memorytype_t *type) {
  if (!s || !type) return NULL;
  const kiln_limits64_t *l = &type->limits;
  char err[128];
  vm_mem *m = vm_mem_new(l->min, l->has_max ? l->max : UINT64_MAX, l->is64, UINT64_MAX,
                         err, sizeof err);
  if (!m) return NULL;
  if (!vm_store_own(s, vm_mem_drop, m)) {
    vm_mem_free(m);
    return NULL;
  }
  return vm_memory_handle(s, m);
}

/* The current size as the minimum; the declared maximum, if any. */
wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *m) {
  uint64_t max = vm_mem_declared_max(m->m);
  bool is64 = vm_mem_is64(m->m);
  kiln_limits64_t l = {vm_mem_pages(m->m), 0, false, is64};
  if (max != UINT64_MAX) {
    l.max = max;
    l.has_max = true;
  }
  return kiln_memorytype_new64(&l);
}

byte_t *wasm_memory_data(wasm_memory_t *m) {
  return (byte_t *)vm_mem_record(m->m)->base;
}

size_t wasm_memory_data_size(const wasm_memory_t *m) {
  return (size_t)vm_mem_record(m->m)->length;
}

wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *m) {
  uint64_t p = vm_mem_pages(m->m);
  return p > UINT32_MAX ? UINT32_MAX : (wasm_memory_pages_t)p;
}

bool wasm_memory_grow(wasm_memory_t *m, wasm_memory_pages_t delta) {
  return vm_mem_grow(m->m, delta) >= 0;
}
