/* vm/table.h — tables: the runtime objects behind vm_table records, and the
 * table builtins generated code calls (grow, fill, copy, init, elem.drop,
 * set of GC references).
 *
 * A table holds 64-bit words per element in memory of its own: vm_funcref
 * pointers for func-hierarchy tables (8 bytes each, read inline by
 * generated code), 32-bit GC references otherwise (4 bytes each).  Growing
 * may move the elements; generated code reloads the base on every access.
 *
 * Every write of a GC reference into a table goes through the write barrier
 * (gc_write on the 32-bit slot, the store's heap reached through the cell
 * the table was created with): set, fill, copy, init, grow and the initial
 * fill alike.  Freeing a table releases the counts it holds.
 */
#ifndef KILN_VM_TABLE_H
#define KILN_VM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gc/gc.h"
#include "vmctx.h"

typedef struct vm_tab vm_tab;

/* A table of `min` elements (at most `max`, UINT64_MAX for none) filled
 * with `init` (a funcref pointer or a GC reference as a 64-bit word).
 * heap is the store's heap cell (vmctx.h, vm_instance_head.heap): GC
 * references are counted in *heap.  NULL with a message if it cannot be
 * allocated. */
vm_tab *vm_tab_new(uint64_t min, uint64_t max, bool is64, bool funcref, uint64_t init,
                   gc_heap **heap, char *err, size_t errlen);
void vm_tab_free(vm_tab *t);
/* Fills the first n elements of a new funcref table from a table image
 * (vm/image.h): vmctx offsets of function references, 0 for null. */
void vm_tab_load_image(vm_tab *t, const uint32_t *items, uint64_t n, uint8_t *vmctx);
vm_table *vm_tab_record(vm_tab *t);

/* Pool slots (vm/pool.c).  vm_tab_pool_new wraps cap elements of storage
 * owned by the pool (zeroed) as a table held by nobody.  vm_tab_pool_take
 * gives it to an instance: clean means it holds what the previous release
 * left for the same module (its image or nulls, min elements); otherwise
 * what is there is cleared.  vm_tab_pool_release resets a table the
 * instance wrote or grew — nulls, then `image` (min vmctx offsets, NULL:
 * none) — and leaves a clean one as it is: cost only for what was dirtied.
 * vm_tab_free of a pooled table releases it with no image. */
vm_tab *vm_tab_pool_new(void *base, uint64_t cap);
void vm_tab_pool_delete(vm_tab *t);
bool vm_tab_pool_take(vm_tab *t, uint64_t min, uint64_t max, bool is64, bool funcref,
                      gc_heap **heap, bool clean, char *err, size_t errlen);
void vm_tab_pool_release(vm_tab *t, const uint32_t *image, uint64_t min, uint8_t *vmctx);
bool vm_tab_is_funcref(const vm_tab *t);
uint64_t vm_tab_size(const vm_tab *t);
uint64_t vm_tab_max(const vm_tab *t);
bool vm_tab_is64(const vm_tab *t);
/* table.grow: the old size, or -1 (beyond max or out of memory). */
int64_t vm_tab_grow(vm_tab *t, uint64_t delta, uint64_t init);
/* Element access; false if i is out of bounds. */
bool vm_tab_get(const vm_tab *t, uint64_t i, uint64_t *out);
bool vm_tab_set(vm_tab *t, uint64_t i, uint64_t v);
/* Calls visit(vctx, r) for every element of a GC-reference table (the heap
 * verifier's enumeration, gc_verify); nothing for a funcref table. */
void vm_tab_visit(const vm_tab *t, gc_visit_fn *visit, void *vctx);

/* A 64-bit segment word written through the barrier: the word holds a
 * zero-extended GC reference (vmctx.h, vm_elem_seg). */
void vm_gc_write_word(gc_heap *h, uint64_t *word, gc_ref v);

/* Builtins (vmctx.h signatures). */
int64_t vm_builtin_table_grow(void *vmctx, uint32_t table, uint64_t delta, uint64_t init);
void vm_builtin_table_fill(void *vmctx, uint32_t table, uint64_t i, uint64_t v, uint64_t n);
void vm_builtin_table_copy(void *vmctx, uint32_t dst, uint32_t src, uint64_t d, uint64_t s,
                           uint64_t n);
void vm_builtin_table_init(void *vmctx, uint32_t table, uint32_t elem, uint64_t d, uint32_t s,
                           uint32_t n);
void vm_builtin_elem_drop(void *vmctx, uint32_t elem);
void vm_builtin_table_set(void *vmctx, uint32_t table, uint64_t i, uint64_t v);
void vm_builtin_elem_set_ref(void *vmctx, uint32_t elem, uint32_t k, uint32_t v);
void vm_builtin_global_set_ref(void *vmctx, vm_global *slot, uint32_t v);

/* Process-wide: tables not yet freed, and the bytes of their element
 * arrays (kiln_runtime_stats). */
void vm_tab_get_stats(uint64_t *live, uint64_t *bytes);

#endif
