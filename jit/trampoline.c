/* jit/trampoline.c — array-call trampolines: how the host calls Wasm.
 *
 * kiln_a<T>(typed_entry, vmctx, values) loads the arguments of function
 * type T from `values` (16 bytes per value), calls the typed entry (tailcc)
 * and stores the results back into `values`.  For 4 or more results the
 * callee writes them itself: `values` doubles as its results area, since
 * the arguments have been read by then.  One trampoline per function type
 * of the module serves every function of that type (docs/jit.md).
 */
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>

void jit_emit_trampoline(jit_module *jm, uint32_t t) {
  const fe_type *ft = &jm->m->types[t];
  uint32_t np = ft->nparams, nr = fe_func_nresults(ft);
  char name[32];
  snprintf(name, sizeof name, "kiln_a%u", t);
  LLVMTypeRef params[3] = {jm->t_ptr, jm->t_ptr, jm->t_ptr};
  LLVMValueRef fn = LLVMAddFunction(jm->mod, name, LLVMFunctionType(jm->t_void, params, 3, 0));
  LLVMSetVisibility(fn, LLVMHiddenVisibility);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, jm->a_frame_pointer);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, jm->a_nounwind);
  LLVMBuilderRef b = jm->b;
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(jm->ctx, fn, "entry"));
  LLVMValueRef entry = LLVMGetParam(fn, 0);
  LLVMValueRef values = LLVMGetParam(fn, 2);

  LLVMValueRef *args = malloc((np + 2) * sizeof *args);
  if (!args)
    abort();
  unsigned n = 0;
  args[n++] = LLVMGetParam(fn, 1);
  for (uint32_t i = 0; i < np; i++) {
    LLVMValueRef off = LLVMConstInt(jm->t_i64, 16 * i, 0);
    LLVMValueRef p = LLVMBuildGEP2(b, jm->t_i8, values, &off, 1, "");
    args[n++] = LLVMBuildLoad2(b, jit_type(jm, ft->vt[i]), p, "");
  }
  bool in_memory = jit_results_in_memory(ft);
  if (in_memory)
    args[n++] = values;
  LLVMValueRef call = LLVMBuildCall2(b, jit_fn_type(jm, t), entry, args, n, "");
  LLVMSetInstructionCallConv(call, JIT_TAILCC);
  free(args);
  if (!in_memory) {
    for (uint32_t i = 0; i < nr; i++) {
      LLVMValueRef v = nr == 1 ? call : LLVMBuildExtractValue(b, call, i, "");
      LLVMValueRef off = LLVMConstInt(jm->t_i64, 16 * i, 0);
      LLVMBuildStore(b, v, LLVMBuildGEP2(b, jm->t_i8, values, &off, 1, ""));
    }
  }
  LLVMBuildRetVoid(b);
}
