/* vm/builtins.c — the builtins table and the builtins that are not part of
 * another concept's file (see builtins.h). */
#include "builtins.h"

#include "gc_policy.h"

#include "frontend/types.h"
#include "gc/gc.h"
#include "host.h"
#include "table.h"
#include "trap.h"

/* noinline: the return address must be the call site in generated code. */
__attribute__((noinline)) _Noreturn void vm_builtin_trap(void *vmctx, uint32_t code) {
  (void)vmctx;
  vm_trap_raise_at((vm_trap_code)code, (uintptr_t)__builtin_return_address(0));
}

/* The slow path of call_indirect's signature check (ids differ): Wasm 3.0
 * accepts a function whose type is a declared subtype of the expected one. */
uint32_t vm_builtin_func_subtype(void *vmctx, uint32_t sub, uint32_t super) {
  const vm_vmctx_header *h = vmctx;
  const vm_instance_head *inst = h->instance;
  return fe_typereg_sub(inst->types, sub, super);
}

/* array.new_default: a zeroed array in the store's heap (created on first
 * use, like vm_store_heap does).  The new object is in the zero-count
 * table: a Wasm frame holds it until it is stored somewhere counted
 * (docs/gc.md).  A failed allocation traps. */
typedef struct array_args {
  uint32_t type_id, elem_size, elem_refs, length;
} array_args;

static gc_ref alloc_array(gc_heap *h, void *arg) {
  const array_args *a = arg;
  return gc_array_new(h, a->type_id, a->elem_size, a->elem_refs != 0, a->length);
}

uint32_t vm_builtin_array_new_default(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                      uint32_t elem_refs, uint32_t length) {
  array_args a = {type_id, elem_size, elem_refs, length};
  return vm_gc_alloc(vmctx, alloc_array, &a);
}

int64_t vm_builtin_memory_grow(void *vmctx, uint32_t mem, uint64_t delta) {
  const vm_vmctx_header *h = vmctx;
  const vm_instance_head *inst = h->instance;
  return vm_mem_grow(inst->mems[mem], delta);
}

/* Function pointers stored as data pointers (POSIX guarantees the round
 * trip); generated code loads a slot and calls it with the signature that
 * vmctx.h documents for it.  Every vm_builtin needs an entry here: a
 * missing one is NULL, and generated code that calls it crashes.  The
 * table builtins (VM_BI_TABLE_*, VM_BI_ELEM_DROP) get theirs with the
 * table implementation. */
const void *const vm_builtins[VM_BI_COUNT_] = {
    [VM_BI_TRAP] = (const void *)vm_builtin_trap,
    [VM_BI_MEMORY_GROW] = (const void *)vm_builtin_memory_grow,
    [VM_BI_TABLE_GROW] = (const void *)vm_builtin_table_grow,
    [VM_BI_TABLE_FILL] = (const void *)vm_builtin_table_fill,
    [VM_BI_TABLE_COPY] = (const void *)vm_builtin_table_copy,
    [VM_BI_TABLE_INIT] = (const void *)vm_builtin_table_init,
    [VM_BI_ELEM_DROP] = (const void *)vm_builtin_elem_drop,
    [VM_BI_TABLE_SET] = (const void *)vm_builtin_table_set,
    [VM_BI_CALL_HOST] = (const void *)vm_builtin_call_host,
    [VM_BI_FUNC_SUBTYPE] = (const void *)vm_builtin_func_subtype,
    [VM_BI_GLOBAL_SET_REF] = (const void *)vm_builtin_global_set_ref,
    [VM_BI_ELEM_SET_REF] = (const void *)vm_builtin_elem_set_ref,
    [VM_BI_ARRAY_NEW_DEFAULT] = (const void *)vm_builtin_array_new_default,
};
_Static_assert(VM_BI_ARRAY_NEW_DEFAULT + 1 == VM_BI_COUNT_, "every builtin has its slot");
