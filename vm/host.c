/* vm/host.c — host functions (see host.h). */
#include "host.h"

#include <stdlib.h>

#include "builtins.h"

/* The array entry of every host function: the host calls it like any
 * function; the typed entry argument is unused. */
static void host_array_entry(void *typed_entry, void *ctx, void *values) {
  (void)typed_entry;
  vm_host_func *hf = ctx;
  hf->call(hf, values);
}

vm_host_func *vm_host_func_new(uint32_t type_id, vm_host_call call, void *data) {
  vm_host_func *hf = calloc(1, sizeof *hf);
  if (!hf)
    return NULL;
  hf->header.builtins = vm_builtins;
  /* host trampolines do not check the stack; vm_invoke writes the limit
   * (no group) as for any other funcref */
  hf->funcref.typed_entry = NULL;
  hf->funcref.array_entry = host_array_entry;
  hf->funcref.type_id = type_id;
  hf->funcref.vmctx = hf;
  hf->call = call;
  hf->data = data;
  return hf;
}

void vm_host_func_free(vm_host_func *hf) { free(hf); }

void vm_builtin_call_host(void *ctx, void *values) {
  vm_host_func *hf = ctx;
  hf->call(hf, values);
}
