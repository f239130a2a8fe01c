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

/* VM_BI_MEMORY_GROW: memory.grow on memory `mem` of vmctx's instance: the
 * old size in pages, or -1. */
int64_t vm_builtin_memory_grow(void *vmctx, uint32_t mem, uint64_t delta);

#endif
