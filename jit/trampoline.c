/* jit/trampoline.c — the trampolines between the host and Wasm:
 * array-call trampolines (host -> Wasm) and host trampolines (Wasm -> host).
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
  jit_set_function_attrs(jm, fn);
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

/* kiln_h<T>: the typed entry of a host function of type T.  Wasm code calls
 * it like any function of type T (tailcc, ctx first); it stores the
 * arguments into a values area on its frame, calls the CALL_HOST builtin
 * with the host function's context, and returns the results found there
 * (or leaves them in the caller's results area, for 4 or more). */
void jit_emit_host_trampoline(jit_module *jm, uint32_t t) {
  const fe_type *ft = &jm->m->types[t];
  uint32_t np = ft->nparams, nr = fe_func_nresults(ft);
  char name[32];
  snprintf(name, sizeof name, "kiln_h%u", t);
  LLVMValueRef fn = LLVMAddFunction(jm->mod, name, jit_fn_type(jm, t));
  LLVMSetFunctionCallConv(fn, JIT_TAILCC);
  LLVMSetVisibility(fn, LLVMHiddenVisibility);
  jit_set_function_attrs(jm, fn);
  LLVMBuilderRef b = jm->b;
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(jm->ctx, fn, "entry"));
  LLVMValueRef ctx = LLVMGetParam(fn, 0);
  uint32_t slots = np > nr ? np : nr;
  LLVMValueRef values = LLVMBuildAlloca(b, LLVMArrayType2(jm->t_i8, 16 * (slots ? slots : 1)),
                                        "values");
  LLVMSetAlignment(values, 16);
  for (uint32_t i = 0; i < np; i++) {
    LLVMValueRef off = LLVMConstInt(jm->t_i64, 16 * i, 0);
    LLVMBuildStore(b, LLVMGetParam(fn, 1 + i), LLVMBuildGEP2(b, jm->t_i8, values, &off, 1, ""));
  }
  /* the builtins table from the context's header, as jit_call_builtin does
   * from a vmctx */
  LLVMValueRef boff = LLVMConstInt(jm->t_i64, VM_OFF_BUILTINS, 0);
  LLVMValueRef table = LLVMBuildLoad2(b, jm->t_ptr, LLVMBuildGEP2(b, jm->t_i8, ctx, &boff, 1, ""),
                                      "builtins");
  LLVMValueRef idx = LLVMConstInt(jm->t_i64, VM_BI_CALL_HOST, 0);
  LLVMValueRef fp = LLVMBuildLoad2(b, jm->t_ptr, LLVMBuildGEP2(b, jm->t_ptr, table, &idx, 1, ""),
                                   "call_host");
  LLVMTypeRef params[2] = {jm->t_ptr, jm->t_ptr};
  LLVMValueRef args[2] = {ctx, values};
  LLVMBuildCall2(b, LLVMFunctionType(jm->t_void, params, 2, 0), fp, args, 2, "");
  const fe_valtype *rt = fe_func_results(ft);
  if (jit_results_in_memory(ft)) {
    LLVMValueRef area = LLVMGetParam(fn, 1 + np);
    LLVMBuildMemCpy(b, area, 16, values, 16, LLVMConstInt(jm->t_i64, 16 * nr, 0));
    LLVMBuildRetVoid(b);
    return;
  }
  LLVMValueRef rv[3];
  for (uint32_t i = 0; i < nr; i++) {
    LLVMValueRef off = LLVMConstInt(jm->t_i64, 16 * i, 0);
    rv[i] = LLVMBuildLoad2(b, jit_type(jm, rt[i]), LLVMBuildGEP2(b, jm->t_i8, values, &off, 1, ""), "");
  }
  if (nr == 0)
    LLVMBuildRetVoid(b);
  else if (nr == 1)
    LLVMBuildRet(b, rv[0]);
  else
    LLVMBuildAggregateRet(b, rv, nr);
}
