/* vm/table.c — tables and the table builtins (see table.h).
 *
 * Bounds are checked before anything is written, so a trapping fill, copy
 * or init leaves the table unchanged, as the spec requires.  Every store
 * of a GC reference funnels through put(), which calls the write barrier
 * (gc_write, gc/gc.h) on the 32-bit slot; funcref pointers are not GC
 * objects and are stored as they are.
 */
#include "table.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "trap.h"

struct vm_tab {
  vm_table rec; /* {base, length}: what generated code reads */
  uint64_t max;
  uint64_t cap; /* allocated elements */
  gc_heap **heap; /* the store's heap cell (GC-reference tables) */
  bool is64;
  bool funcref;
  bool pooled;    /* a pool slot's table (vm/pool.c): storage never freed */
  bool held;      /* pooled: an instance holds it (counted in the stats) */
};

/* Kiln's cap on table length, whatever the declared maximum: 10^7 elements
 * (80 MB of funcrefs), as in other engines. */
enum { TABLE_LIMIT = 10000000 };

static size_t elem_size(const vm_tab *t) { return t->funcref ? 8 : 4; }

/* Tables allocated and not yet freed, and the bytes of their element
 * arrays, process-wide (kiln_runtime_stats). */
static atomic_uint_fast64_t stat_tables, stat_table_bytes;

void vm_tab_get_stats(uint64_t *live, uint64_t *bytes) {
  *live = atomic_load_explicit(&stat_tables, memory_order_relaxed);
  *bytes = atomic_load_explicit(&stat_table_bytes, memory_order_relaxed);
}

/* The one store into a table: through the barrier for GC references. */
static void put(vm_tab *t, uint64_t i, uint64_t v) {
  t->rec.dirty = 1;
  if (t->funcref)
    ((uint64_t *)t->rec.base)[i] = v;
  else
    gc_write(*t->heap, &((gc_ref *)t->rec.base)[i], (gc_ref)v);
}

void vm_gc_write_word(gc_heap *h, uint64_t *word, gc_ref v) {
  /* gc_write_slow counts and stores; it keeps no slot address, so a
   * 32-bit temporary stands for the 64-bit word */
  gc_ref r = (gc_ref)*word;
  gc_write(h, &r, v);
  *word = r;
}

static uint64_t take(const vm_tab *t, uint64_t i) {
  return t->funcref ? ((uint64_t *)t->rec.base)[i] : ((uint32_t *)t->rec.base)[i];
}

vm_tab *vm_tab_new(uint64_t min, uint64_t max, bool is64, bool funcref, uint64_t init,
                   gc_heap **heap, char *err, size_t errlen) {
  if (min > TABLE_LIMIT) {
    snprintf(err, errlen, "table of %llu elements exceeds Kiln's limit of %u",
             (unsigned long long)min, TABLE_LIMIT);
    return NULL;
  }
  vm_tab *t = calloc(1, sizeof *t);
  if (!t) {
    snprintf(err, errlen, "out of memory for a table");
    return NULL;
  }
  t->max = max;
  t->is64 = is64;
  t->funcref = funcref;
  t->heap = heap;
  t->cap = min ? min : 1;
  t->rec.base = calloc(t->cap, elem_size(t)); /* zero: null, for the barrier */
  if (!t->rec.base) {
    free(t);
    snprintf(err, errlen, "out of memory for a table of %llu elements", (unsigned long long)min);
    return NULL;
  }
  t->rec.length = min;
  if (init)
    for (uint64_t i = 0; i < min; i++)
      put(t, i, init);
  atomic_fetch_add_explicit(&stat_tables, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&stat_table_bytes, t->cap * elem_size(t), memory_order_relaxed);
  return t;
}

void vm_tab_free(vm_tab *t) {
  if (!t)
    return;
  if (t->pooled) {
    vm_tab_pool_release(t, NULL, 0, NULL);
    return;
  }
  if (!t->funcref) /* release the counts it holds */
    for (uint64_t i = 0; i < t->rec.length; i++)
      put(t, i, 0);
  atomic_fetch_sub_explicit(&stat_tables, 1, memory_order_relaxed);
  atomic_fetch_sub_explicit(&stat_table_bytes, t->cap * elem_size(t), memory_order_relaxed);
  free(t->rec.base);
  free(t);
}

void vm_tab_load_image(vm_tab *t, const uint32_t *items, uint64_t n, uint8_t *vmctx) {
  uint64_t *base = t->rec.base; /* a funcref table: plain stores */
  for (uint64_t k = 0; k < n; k++)
    base[k] = items[k] ? (uint64_t)(uintptr_t)(vmctx + items[k]) : 0;
}

vm_table *vm_tab_record(vm_tab *t) { return &t->rec; }

/* ---- pool slots (vm/pool.c) ----------------------------------------------
 * A pooled table's storage is the pool's (cap elements of 8 bytes, zero
 * when the pool is made).  Between instances it holds what the last module
 * left in it after vm_tab_pool_release: its image, or nulls. */

vm_tab *vm_tab_pool_new(void *base, uint64_t cap) {
  vm_tab *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->rec.base = base;
  t->cap = cap;
  t->pooled = true;
  return t;
}

void vm_tab_pool_delete(vm_tab *t) { free(t); }

bool vm_tab_pool_take(vm_tab *t, uint64_t min, uint64_t max, bool is64, bool funcref,
                      gc_heap **heap, bool clean, char *err, size_t errlen) {
  uint64_t cap = t->cap < TABLE_LIMIT ? t->cap : TABLE_LIMIT;
  if (min > cap) {
    snprintf(err, errlen, "table of %llu elements exceeds the pool slot's %llu",
             (unsigned long long)min, (unsigned long long)cap);
    return false;
  }
  if (!clean) /* what the last module left: nulls for this one */
    memset(t->rec.base, 0, t->rec.length * elem_size(t));
  t->max = max; /* the declared one (import matching, wasm_table_type);
                   growth also stops at the slot's capacity: vm_tab_grow */
  t->is64 = is64;
  t->funcref = funcref;
  t->heap = heap;
  t->rec.length = min;
  t->rec.dirty = 0;
  t->held = true;
  atomic_fetch_add_explicit(&stat_tables, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&stat_table_bytes, min * elem_size(t), memory_order_relaxed);
  return true;
}

void vm_tab_pool_release(vm_tab *t, const uint32_t *image, uint64_t min, uint8_t *vmctx) {
  if (!t->held)
    return;
  t->held = false;
  atomic_fetch_sub_explicit(&stat_tables, 1, memory_order_relaxed);
  atomic_fetch_sub_explicit(&stat_table_bytes, t->rec.length * elem_size(t),
                            memory_order_relaxed);
  if (t->rec.dirty || t->rec.length != min) {
    if (!t->funcref) /* release the counts it holds */
      for (uint64_t i = 0; i < t->rec.length; i++)
        put(t, i, 0);
    memset(t->rec.base, 0, t->rec.length * elem_size(t));
    if (image)
      vm_tab_load_image(t, image, min, vmctx);
  }
  t->rec.length = image ? min : 0;
  t->rec.dirty = 0;
}
bool vm_tab_is_funcref(const vm_tab *t) { return t->funcref; }
uint64_t vm_tab_size(const vm_tab *t) { return t->rec.length; }
uint64_t vm_tab_max(const vm_tab *t) { return t->max; }
bool vm_tab_is64(const vm_tab *t) { return t->is64; }

int64_t vm_tab_grow(vm_tab *t, uint64_t delta, uint64_t init) {
  uint64_t old = t->rec.length;
  uint64_t limit = t->max < TABLE_LIMIT ? t->max : TABLE_LIMIT;
  if (t->pooled && limit > t->cap) /* a pool slot's storage never moves */
    limit = t->cap;
  if (delta > limit - old)
    return -1;
  uint64_t want = old + delta;
  if (want > t->cap) {
    uint64_t cap = t->cap * 2 > want ? t->cap * 2 : want;
    if (cap > limit)
      cap = limit;
    void *p = realloc(t->rec.base, cap * elem_size(t));
    if (!p)
      return -1;
    t->rec.base = p;
    /* zero the new part: put() reads the old value of a slot */
    memset((char *)p + t->cap * elem_size(t), 0, (cap - t->cap) * elem_size(t));
    atomic_fetch_add_explicit(&stat_table_bytes, (cap - t->cap) * elem_size(t),
                              memory_order_relaxed);
    t->cap = cap;
  }
  for (uint64_t i = old; i < want; i++)
    put(t, i, init);
  t->rec.length = want;
  if (t->pooled) /* counted by length (vm_tab_pool_take/release) */
    atomic_fetch_add_explicit(&stat_table_bytes, delta * elem_size(t), memory_order_relaxed);
  return (int64_t)old;
}

bool vm_tab_get(const vm_tab *t, uint64_t i, uint64_t *out) {
  if (i >= t->rec.length)
    return false;
  *out = take(t, i);
  return true;
}

bool vm_tab_set(vm_tab *t, uint64_t i, uint64_t v) {
  if (i >= t->rec.length)
    return false;
  put(t, i, v);
  return true;
}

void vm_tab_visit(const vm_tab *t, gc_visit_fn *visit, void *vctx) {
  if (t->funcref)
    return;
  for (uint64_t i = 0; i < t->rec.length; i++)
    visit(vctx, ((const gc_ref *)t->rec.base)[i]);
}

/* ------------------------------------------------------------------------
 * Builtins
 * ---------------------------------------------------------------------- */

static vm_instance_head *instance_of(void *vmctx) {
  return ((vm_vmctx_header *)vmctx)->instance;
}

/* [i, i + n) within [0, size)? */
static bool in_range(uint64_t i, uint64_t n, uint64_t size) {
  return n <= size && i <= size - n;
}

int64_t vm_builtin_table_grow(void *vmctx, uint32_t table, uint64_t delta, uint64_t init) {
  return vm_tab_grow(instance_of(vmctx)->tables[table], delta, init);
}

void vm_builtin_table_fill(void *vmctx, uint32_t table, uint64_t i, uint64_t v, uint64_t n) {
  vm_tab *t = instance_of(vmctx)->tables[table];
  if (!in_range(i, n, t->rec.length))
    vm_trap_raise(VM_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++)
    put(t, i + k, v);
}

void vm_builtin_table_copy(void *vmctx, uint32_t dst, uint32_t src, uint64_t d, uint64_t s,
                           uint64_t n) {
  vm_instance_head *inst = instance_of(vmctx);
  vm_tab *td = inst->tables[dst], *ts = inst->tables[src];
  if (!in_range(d, n, td->rec.length) || !in_range(s, n, ts->rec.length))
    vm_trap_raise(VM_TRAP_TABLE_OOB);
  /* same element size (validation: same hierarchy) */
  if (td->funcref) {
    td->rec.dirty = 1;
    memmove((char *)td->rec.base + d * elem_size(td), (char *)ts->rec.base + s * elem_size(ts),
            n * elem_size(td));
    return;
  }
  /* GC references: element by element through the barrier, in the
   * direction that reads every source slot before it is overwritten when
   * the ranges overlap in one table (as memmove) */
  if (td != ts || d <= s) {
    for (uint64_t k = 0; k < n; k++)
      put(td, d + k, take(ts, s + k));
  } else {
    for (uint64_t k = n; k-- > 0;)
      put(td, d + k, take(ts, s + k));
  }
}

void vm_builtin_table_init(void *vmctx, uint32_t table, uint32_t elem, uint64_t d, uint32_t s,
                           uint32_t n) {
  vm_instance_head *inst = instance_of(vmctx);
  vm_tab *t = inst->tables[table];
  const vm_elem_seg *seg = &inst->elems[elem];
  if (!in_range(s, n, seg->len) || !in_range(d, n, t->rec.length))
    vm_trap_raise(VM_TRAP_TABLE_OOB);
  for (uint32_t k = 0; k < n; k++)
    put(t, d + k, seg->items[s + k]);
}

void vm_builtin_elem_drop(void *vmctx, uint32_t elem) {
  vm_instance_head *inst = instance_of(vmctx);
  vm_elem_seg *seg = &inst->elems[elem];
  /* the items stay allocated until the instance dies; the references they
   * held are released now */
  if (inst->elem_gc[elem])
    for (uint64_t k = 0; k < seg->len; k++)
      vm_gc_write_word(*inst->heap, &seg->items[k], GC_NULL);
  seg->len = 0;
}

void vm_builtin_elem_set_ref(void *vmctx, uint32_t elem, uint32_t k, uint32_t v) {
  vm_instance_head *inst = instance_of(vmctx);
  vm_gc_write_word(*inst->heap, &inst->elems[elem].items[k], v);
}

void vm_builtin_global_set_ref(void *vmctx, vm_global *slot, uint32_t v) {
  gc_write(*instance_of(vmctx)->heap, &slot->gcref, v);
}

void vm_builtin_table_set(void *vmctx, uint32_t table, uint64_t i, uint64_t v) {
  if (!vm_tab_set(instance_of(vmctx)->tables[table], i, v))
    vm_trap_raise(VM_TRAP_TABLE_OOB);
}
