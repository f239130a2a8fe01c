/* vm/host.h — host functions as Wasm sees them.
 *
 * A host function is a context that starts with a vmctx header (so that
 * host trampolines find the builtins table: jit.h, kiln_h<T>) and holds its
 * vm_funcref and a dispatcher the API layer provides.  Its funcref's array
 * entry calls the dispatcher directly; its typed entry is left NULL, because
 * typed entries are machine code of a given function type, and Kiln has
 * them in compiled modules only: an instance that imports a host function
 * links a copy of the funcref whose typed entry is its own module's
 * kiln_h<T> (vm/instance.c).
 */
#ifndef KILN_VM_HOST_H
#define KILN_VM_HOST_H

#include <stdint.h>

#include "vmctx.h"

typedef struct vm_host_func vm_host_func;

/* Called with the values area: arguments in, results out (16 bytes each).
 * It may trap with vm_trap_raise (vm/trap.h). */
typedef void (*vm_host_call)(vm_host_func *self, void *values);

struct vm_host_func {
  vm_vmctx_header header; /* first: builtins table for the trampolines */
  vm_funcref funcref;     /* typed_entry NULL: linked per importing module */
  vm_host_call call;
  void *data;             /* the API layer's */
};

/* A host function of canonical type `type_id`; NULL on out of memory. */
vm_host_func *vm_host_func_new(uint32_t type_id, vm_host_call call, void *data);
void vm_host_func_free(vm_host_func *hf);

/* Whether f is a host function's own funcref (typed entry not linked). */
static inline int vm_funcref_is_host(const vm_funcref *f) { return f->typed_entry == 0; }

/* VM_BI_CALL_HOST. */
void vm_builtin_call_host(void *ctx, void *values);

#endif
