/* vm/gc_policy.h — allocation by Wasm code and when it collects
 * (docs/gc.md "Collections inside Wasm").
 *
 * Every GC allocation made by generated code (the allocation builtins:
 * array.new*, struct.new*, and the init routine's) goes through
 * vm_gc_alloc: it finds the store's heap (made on first use with the
 * engine's limit), runs a collection when the policy says so, allocates,
 * and when the heap's limit stops the allocation collects — counting with
 * the frames scanned, then tracing — and tries again; if the object still
 * cannot be had it traps with VM_TRAP_HEAP_EXHAUSTED.  A collection inside
 * Wasm scans the stack from its own frame up to the outermost entry of the
 * store on this thread (vm_store_enter recorded it), conservatively.
 */
#ifndef KILN_VM_GC_POLICY_H
#define KILN_VM_GC_POLICY_H

#include "gc/gc.h"

/* Allocates alloc(h, arg) in the heap of vmctx's store (see above); never
 * returns GC_NULL (it traps instead).  Called only from builtins that
 * generated code calls, on the thread running the store's code. */
gc_ref vm_gc_alloc(void *vmctx, gc_ref (*alloc)(gc_heap *h, void *arg), void *arg);

/* A collection now from inside Wasm code of vmctx's store (the frames
 * scanned); full: also the backup tracer.  Returns the number freed. */
size_t vm_gc_collect_in_wasm(void *vmctx, bool full);

struct wasm_store_t;
/* A collection of store s's heap from the host: with no Wasm frame active
 * a plain one; inside a host function called from Wasm, with the store's
 * frames scanned (the host's frames between them are scanned too: a host
 * holds references only in handles, which are roots).  Finalizers are not
 * run here.  Returns the number freed. */
size_t vm_gc_collect_store(struct wasm_store_t *s, bool full);

/* alloc(heap, arg) in store s's heap (which must exist) under the store's
 * policy for any allocation, by Wasm code or the host: in stress mode a
 * full collection first; at the heap limit a counting collection, then a
 * tracing one, each followed by a retry (vm_gc_collect_store).  GC_NULL if
 * the object still cannot be had. */
gc_ref vm_gc_alloc_in_store(struct wasm_store_t *s, gc_ref (*alloc)(gc_heap *h, void *arg),
                            void *arg);

#endif
