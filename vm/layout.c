/* vm/layout.c — the vmctx layout of a module (see vmctx.h): the only place
 * where offsets into a vmctx are computed. */
#include "vmctx.h"

#include "frontend/module.h"

_Static_assert(sizeof(vm_funcref) == 32, "vm_funcref is 32 bytes");
_Static_assert(sizeof(vm_global) == 16, "vm_global is 16 bytes");
_Static_assert(sizeof(void *) == 8, "Kiln targets 64-bit hosts");

/* Bump allocation of the parts, in the order generated code touches them
 * most: header, memories, tables, globals, functions, type ids, data and
 * element segments. */
static uint32_t take(uint64_t *at, uint64_t count, uint64_t size, uint64_t align) {
  *at = (*at + align - 1) & ~(align - 1);
  uint64_t off = *at;
  *at += count * size;
  return (uint32_t)off;
}

void vm_layout_compute(const fe_module *m, vm_layout *out) {
  /* The frontend's count limits keep the total far below 4 GiB:
   * 10^6 functions x 32 bytes is the largest part. */
  uint64_t at = sizeof(vm_vmctx_header);
  out->memories = take(&at, m->nmems, 8, 8);
  out->tables = take(&at, m->ntables, 8, 8);
  out->global_ptrs = take(&at, m->nglobal_imports, 8, 8);
  out->globals = take(&at, m->nglobals - m->nglobal_imports, 16, 16);
  out->func_imports = take(&at, m->nfunc_imports, 8, 8);
  out->funcs = take(&at, m->nfuncs - m->nfunc_imports, sizeof(vm_funcref), 16);
  out->type_ids = take(&at, m->ntypes, 4, 4);
  out->datas = take(&at, m->ndatas, sizeof(vm_data), 8);
  out->elems = take(&at, m->nelems, sizeof(vm_elem_seg), 8);
  out->size = (uint32_t)((at + 15) & ~(uint64_t)15);
}
