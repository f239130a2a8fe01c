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
 * list; the GC heap is created at the first GC allocation (vm_store_heap)
 * and freed after everything else, running the remaining finalizers
 * (docs/gc.md "In the VM").
 */
#include <stdlib.h>

#include "gc_policy.h"
#include "instance.h"
#include "memory.h"
#include "table.h"
#include "vm.h"

/* Objects outside instances that hold counted references. */
struct vm_owned_gc {
  vm_owned_gc *next;
  void (*visit)(void *p, gc_visit_fn *fn, void *vctx);
  void *p;
};

/* NULL if `engine` is NULL or memory is exhausted.  The engine must outlive
 * the store. */
wasm_store_t *wasm_store_new(wasm_engine_t *engine) {
  if (!engine) return NULL;
  wasm_store_t *store = calloc(1, sizeof *store);
  if (!store) return NULL;
  store->engine = engine;
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

bool vm_store_own_gc(wasm_store_t *store, void (*drop)(void *),
                     void (*visit)(void *p, gc_visit_fn *fn, void *vctx), void *p) {
  vm_owned_gc *g = malloc(sizeof *g);
  if (!g) return false;
  if (!vm_store_own(store, drop, p)) {
    free(g);
    return false;
  }
  g->visit = visit;
  g->p = p;
  g->next = store->gc_owned;
  store->gc_owned = g;
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
  for (vm_owned_gc *g = store->gc_owned; g;) {
    vm_owned_gc *next = g->next;
    free(g);
    g = next;
  }
  /* last: the objects above released their counts into it; every live box's
   * finalizer runs here, once */
  gc_heap_free(store->heap);
  vm_stack_group_free(&store->stack_group);
  free(store);
}

/* ---- the GC heap ------------------------------------------------------- */

gc_heap *vm_store_heap(wasm_store_t *s) {
  if (!s->heap) s->heap = gc_heap_new(s->engine->config.gc_heap_limit, GC_HEAP_DEFAULT_FLAGS);
  return s->heap;
}

/* noinline: its frame address is above every frame its caller makes later,
 * which is where the Wasm frames of this entry will be (vm/gc_policy.c) */
__attribute__((noinline)) void vm_store_enter(wasm_store_t *s) {
  if (s->depth < VM_STORE_MAX_ENTRIES)
    s->entries[s->depth] = (struct vm_entry){pthread_self(),
                                             (uintptr_t)__builtin_frame_address(0)};
  s->depth++;
}

void vm_store_leave(wasm_store_t *s) {
  if (--s->depth == 0 && s->heap) {
    gc_reclaim(s->heap, false);
    gc_run_finalizers(s->heap);
  }
}

/* ---- kiln.h: statistics, collection, verification ----------------------- */

void kiln_runtime_stats(kiln_runtime_stats_t *out) {
  vm_mem_stats m;
  vm_mem_get_stats(&m);
  out->live_instances = vm_instance_live();
  out->live_memories = m.live;
  out->memory_reserved_bytes = m.reserved;
  out->memory_committed_bytes = m.committed;
  vm_tab_get_stats(&out->live_tables, &out->table_bytes);
}

void kiln_store_gc_stats(const wasm_store_t *s, kiln_gc_stats_t *out) {
  gc_stats st = {0};
  if (s && s->heap) gc_get_stats(s->heap, &st);
  out->live_objects = st.live_objects;
  out->live_bytes = st.live_bytes;
  out->allocations = st.allocations;
  out->frees = st.frees;
  out->pending_finalizers = st.pending_finalizers;
  out->committed_bytes = st.committed_bytes;
  out->collections = st.collections;
  out->traces = st.traces;
  out->traced_frees = st.traced_frees;
}

size_t kiln_store_gc_collect(wasm_store_t *s) {
  if (!s || !s->heap) return 0;
  size_t n = vm_gc_collect_store(s, true);
  if (s->depth == 0) gc_run_finalizers(s->heap); /* else at the outermost return */
  return n;
}

/* Every counted slot outside the heap: the verifier's enumeration, and the
 * roots of a full collection. */
void vm_store_enumerate(void *ud, gc_visit_fn *visit, void *vctx) {
  wasm_store_t *s = ud;
  for (vm_owned_gc *g = s->gc_owned; g; g = g->next) g->visit(g->p, visit, vctx);
  for (vm_instance *i = s->initializing; i; i = i->init_next) vm_instance_visit(i, visit, vctx);
}

size_t kiln_store_gc_verify(wasm_store_t *s, char *err, size_t n) {
  if (n) err[0] = 0;
  if (!s || !s->heap) return 0;
  return gc_verify(s->heap, vm_store_enumerate, s, err, n);
}
