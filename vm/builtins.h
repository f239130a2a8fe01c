/* vm/builtins.h — the builtins table: the functions of libkiln that
 * generated code calls through vmctx->builtins (docs/jit.md), indexed by
 * vm_builtin (vmctx.h), and the little they need to know of an instance.
 *
 * Builtins are plain C functions (the C calling convention, not tailcc).
 * One that traps long-jumps to the innermost activation (vm/trap.h), so it
 * holds no lock and no allocation across a point where it can trap.
 */
#ifndef KILN_VM_BUILTINS_H
#define KILN_VM_BUILTINS_H

#include <stdint.h>

#include "memory.h"
#include "vmctx.h"

/* The table every vmctx header points to (vm_vmctx_header.builtins). */
extern const void *const vm_builtins[VM_BI_COUNT_];

/* Builtins reach an instance through vm_instance_head (vmctx.h), the
 * first member of whatever vmctx->instance points to, and nothing else. */

/* VM_BI_TRAP: raises `code`, reporting the call's return address (in the
 * generated code) as the pc. */
_Noreturn void vm_builtin_trap(void *vmctx, uint32_t code);

/* VM_BI_FUNC_SUBTYPE: whether canonical type `sub` is a subtype of `super`
 * in the instance's engine (1 or 0). */
uint32_t vm_builtin_func_subtype(void *vmctx, uint32_t sub, uint32_t super);

/* VM_BI_ARRAY_NEW_DEFAULT: a zeroed array; traps when it cannot be made. */
uint32_t vm_builtin_array_new_default(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                      uint32_t elem_refs, uint32_t length);

/* The GC proposal's builtins (vmctx.h documents each).  They trap like
 * the instructions they implement. */
struct gc_struct_layout;
uint32_t vm_builtin_struct_new(void *vmctx, uint32_t type_id,
                               const struct gc_struct_layout *layout, const void *fields);
uint32_t vm_builtin_array_new(void *vmctx, uint32_t type_id, uint32_t elem_size,
                              uint32_t elem_refs, uint32_t length, const void *value);
uint32_t vm_builtin_array_new_fixed(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                    uint32_t elem_refs, uint32_t n, const void *values);
uint32_t vm_builtin_array_new_data(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                   const vm_data *seg, uint32_t offset, uint32_t length);
uint32_t vm_builtin_array_new_elem(void *vmctx, uint32_t type_id, uint32_t elem,
                                   uint32_t offset, uint32_t length);
void vm_builtin_array_fill(void *vmctx, uint32_t array, uint32_t i, const void *value, uint32_t n,
                           uint32_t elem_size, uint32_t elem_refs);
void vm_builtin_array_copy(void *vmctx, uint32_t dst, uint32_t d, uint32_t src, uint32_t s,
                           uint32_t n, uint32_t elem_size, uint32_t elem_refs);
void vm_builtin_array_init_data(void *vmctx, uint32_t array, uint32_t d, const vm_data *seg,
                                uint32_t s, uint32_t n, uint32_t elem_size);
void vm_builtin_array_init_elem(void *vmctx, uint32_t array, uint32_t d, uint32_t elem,
                                uint32_t s, uint32_t n);
void vm_builtin_gc_write(void *vmctx, uint32_t *slot, uint32_t ref);

/* VM_BI_MEMORY_GROW: memory.grow on memory `mem` of vmctx's instance: the
 * old size in pages, or -1. */
int64_t vm_builtin_memory_grow(void *vmctx, uint32_t mem, uint64_t delta);

#endif
