/* jit/emit_control.c — lowering of a function body: the instruction loop,
 * control flow (blocks, loops, ifs, branches, br_table, return,
 * unreachable), calls, and the function's prologue and epilogue.
 *
 * See emit.h for the shape of the lowering (phis at continuations, dead
 * code skipped).  The other opcode groups live in emit_numeric.c,
 * emit_memory.c and emit_variable.c; this file dispatches to them.
 */
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/decode.h"

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fprintf(stderr, "kiln-jit: out of memory\n");
    abort();
  }
  return q;
}

void jit_push(jit_func *f, LLVMValueRef v) {
  if (f->sp == f->stack_cap) {
    f->stack_cap = f->stack_cap ? f->stack_cap * 2 : 64;
    f->stack = xrealloc(f->stack, f->stack_cap * sizeof *f->stack);
  }
  f->stack[f->sp++] = v;
}

LLVMValueRef jit_vmctx_addr(jit_func *f, uint32_t off, const char *name) {
  LLVMValueRef idx = LLVMConstInt(f->jm->t_i64, off, 0);
  return LLVMBuildGEP2(f->b, f->jm->t_i8, f->vmctx, &idx, 1, name);
}

LLVMValueRef jit_load_vmctx(jit_func *f, uint32_t off, LLVMTypeRef type,
                            const char *name) {
  return jit_tag(f->jm, LLVMBuildLoad2(f->b, type, jit_vmctx_addr(f, off, name), name),
                 JIT_ALIAS_VM);
}

LLVMValueRef jit_call_builtin(jit_func *f, vm_builtin bi, LLVMTypeRef fnty,
                              LLVMValueRef *args, unsigned nargs) {
  jit_module *jm = f->jm;
  LLVMValueRef table = jit_load_vmctx(f, VM_OFF_BUILTINS, jm->t_ptr, "builtins");
  LLVMValueRef idx = LLVMConstInt(jm->t_i64, bi, 0);
  LLVMValueRef slot = LLVMBuildGEP2(f->b, jm->t_ptr, table, &idx, 1, "bi.slot");
  LLVMValueRef fp = LLVMBuildLoad2(f->b, jm->t_ptr, slot, "bi");
  return LLVMBuildCall2(f->b, fnty, fp, args, nargs, "");
}

LLVMBasicBlockRef jit_trap_block(jit_func *f, vm_trap_code code) {
  if (f->traps[code])
    return f->traps[code];
  jit_module *jm = f->jm;
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(f->b);
  LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "trap");
  LLVMPositionBuilderAtEnd(f->b, bb);
  LLVMTypeRef params[2] = {jm->t_ptr, jm->t_i32};
  LLVMTypeRef fnty = LLVMFunctionType(jm->t_void, params, 2, 0);
  LLVMValueRef args[2] = {f->vmctx, LLVMConstInt(jm->t_i32, code, 0)};
  LLVMValueRef call = jit_call_builtin(f, VM_BI_TRAP, fnty, args, 2);
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, jm->a_noreturn);
  LLVMBuildUnreachable(f->b);
  if (saved)
    LLVMPositionBuilderAtEnd(f->b, saved);
  f->traps[code] = bb;
  return bb;
}

void jit_trap_if(jit_func *f, LLVMValueRef cond, vm_trap_code code) {
  LLVMBasicBlockRef trap = jit_trap_block(f, code);
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "ok");
  LLVMBuildCondBr(f->b, cond, trap, ok);
  f->nchecks++;
  LLVMPositionBuilderAtEnd(f->b, ok);
}

void jit_ok_if(jit_func *f, LLVMValueRef ok, vm_trap_code code) {
  LLVMBasicBlockRef trap = jit_trap_block(f, code);
  LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "ok");
  LLVMValueRef br = LLVMBuildCondBr(f->b, ok, cont, trap);
  LLVMSetMetadata(br, f->jm->prof_kind, f->jm->prof_likely_first);
  f->nchecks++;
  LLVMPositionBuilderAtEnd(f->b, cont);
}

/* ------------------------------------------------------------------------
 * Control frames
 * ---------------------------------------------------------------------- */

static jit_ctrl *push_ctrl(jit_func *f, uint8_t kind) {
  if (f->nctrls == f->ctrl_cap) {
    f->ctrl_cap = f->ctrl_cap ? f->ctrl_cap * 2 : 16;
    f->ctrls = xrealloc(f->ctrls, f->ctrl_cap * sizeof *f->ctrls);
  }
  jit_ctrl *c = &f->ctrls[f->nctrls++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  return c;
}

static const fe_valtype *ctrl_results(const jit_ctrl *c) {
  return c->results ? c->results : &c->single;
}

/* Reads a block type into the frame (params/results). */
static void read_blocktype(jit_func *f, jit_ctrl *c) {
  const fe_module *m = f->jm->m;
  uint8_t b = fe_peek_u8(&f->r);
  if (b == 0x40) {
    f->r.p++;
    return;
  }
  if ((b & 0xc0) == 0x40) {
    c->single = fe_read_valtype(&f->r, m->ntypes);
    c->results = NULL;
    c->nresults = 1;
    return;
  }
  const fe_type *t = &m->types[fe_read_s33(&f->r)];
  c->params = fe_func_params(t);
  c->nparams = t->nparams;
  c->results = fe_func_results(t);
  c->nresults = fe_func_nresults(t);
}

/* Phis for `n` values of types `ts` at the start of block bb. */
static LLVMValueRef *make_phis(jit_func *f, LLVMBasicBlockRef bb,
                               const fe_valtype *ts, uint32_t n) {
  if (n == 0)
    return NULL;
  LLVMValueRef *phis = xrealloc(NULL, n * sizeof *phis);
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(f->b);
  LLVMPositionBuilderAtEnd(f->b, bb);
  for (uint32_t i = 0; i < n; i++)
    phis[i] = LLVMBuildPhi(f->b, jit_type(f->jm, ts[i]), "");
  LLVMPositionBuilderAtEnd(f->b, saved);
  return phis;
}

/* Adds the top `n` operands as incoming values of phis, from the current
 * block, and branches to `target`. */
static void branch_with(jit_func *f, LLVMBasicBlockRef target, LLVMValueRef *phis,
                        uint32_t n) {
  LLVMBasicBlockRef from = LLVMGetInsertBlock(f->b);
  for (uint32_t i = 0; i < n; i++) {
    LLVMValueRef v = f->stack[f->sp - n + i];
    LLVMAddIncoming(phis[i], &v, &from, 1);
  }
  LLVMBuildBr(f->b, target);
}

/* A branch to the label of frame c (relative depth resolved by caller). */
static void branch_to(jit_func *f, jit_ctrl *c) {
  if (c->kind == JIT_LOOP) {
    branch_with(f, c->header, c->phis, c->nparams);
  } else {
    branch_with(f, c->cont, c->phis, c->nresults);
    c->branches++;
  }
}

static jit_ctrl *label(jit_func *f, uint32_t depth) {
  return &f->ctrls[f->nctrls - 1 - depth];
}

static void set_dead(jit_func *f) {
  f->dead = true;
  f->dead_depth = 0;
}

static void free_ctrl(jit_ctrl *c) {
  free(c->phis);
  free(c->if_params);
}

/* The end of frame c (already the top frame): fall through if reachable,
 * then continue at the continuation with the results, or stay dead if
 * nothing reaches it. */
static void end_frame(jit_func *f) {
  jit_ctrl *c = &f->ctrls[f->nctrls - 1];
  if (c->kind == JIT_IF && !c->has_else) {
    /* the missing else passes the params on as results */
    if (!f->dead)
      branch_to(f, c);
    LLVMPositionBuilderAtEnd(f->b, c->else_bb);
    f->sp = c->height;
    for (uint32_t i = 0; i < c->nparams; i++)
      jit_push(f, c->if_params[i]);
    f->dead = false;
  }
  if (!f->dead)
    branch_to(f, c);
  f->sp = c->height;
  LLVMBasicBlockRef cont = c->cont;
  if (c->branches == 0) {
    /* nothing reaches the continuation: what follows is dead */
    for (uint32_t i = 0; i < c->nresults; i++)
      LLVMInstructionEraseFromParent(c->phis[i]);
    LLVMDeleteBasicBlock(cont);
    free_ctrl(c);
    f->nctrls--;
    set_dead(f);
    return;
  }
  LLVMMoveBasicBlockAfter(cont, LLVMGetInsertBlock(f->b));
  LLVMPositionBuilderAtEnd(f->b, cont);
  for (uint32_t i = 0; i < c->nresults; i++)
    jit_push(f, c->phis[i]);
  free_ctrl(c);
  f->nctrls--;
  f->dead = false;
}

static void begin_block(jit_func *f, uint8_t kind) {
  jit_ctrl *c = push_ctrl(f, kind);
  read_blocktype(f, c);
  c->height = f->sp - c->nparams;
  c->cont = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "cont");
  c->phis = make_phis(f, c->cont, ctrl_results(c), c->nresults);
  if (kind == JIT_LOOP) {
    /* the loop's label is its header, carrying the params around */
    LLVMValueRef *rphis = c->phis;
    c->header = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "loop");
    c->phis = make_phis(f, c->header, c->params, c->nparams);
    branch_with(f, c->header, c->phis, c->nparams);
    LLVMPositionBuilderAtEnd(f->b, c->header);
    f->sp = c->height;
    for (uint32_t i = 0; i < c->nparams; i++)
      jit_push(f, c->phis[i]);
    /* the results' phis are kept in if_params' place for the end */
    c->if_params = rphis;
  }
}

/* A loop's end: its continuation receives the results. */
static void end_loop(jit_func *f) {
  jit_ctrl *c = &f->ctrls[f->nctrls - 1];
  free(c->phis);
  c->phis = c->if_params; /* the results' phis */
  c->if_params = NULL;
  c->kind = JIT_BLOCK;
  end_frame(f);
}

static void begin_if(jit_func *f) {
  LLVMValueRef cond = jit_pop(f);
  jit_ctrl *c = push_ctrl(f, JIT_IF);
  read_blocktype(f, c);
  c->height = f->sp - c->nparams;
  c->cont = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "endif");
  c->phis = make_phis(f, c->cont, ctrl_results(c), c->nresults);
  LLVMBasicBlockRef then_bb = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "then");
  c->else_bb = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "else");
  c->if_params = xrealloc(NULL, (c->nparams ? c->nparams : 1) * sizeof(LLVMValueRef));
  memcpy(c->if_params, f->stack + c->height, c->nparams * sizeof(LLVMValueRef));
  LLVMValueRef nz = LLVMBuildICmp(f->b, LLVMIntNE, cond, LLVMConstInt(f->jm->t_i32, 0, 0), "");
  LLVMBuildCondBr(f->b, nz, then_bb, c->else_bb);
  LLVMPositionBuilderAtEnd(f->b, then_bb);
}

static void do_else(jit_func *f) {
  jit_ctrl *c = &f->ctrls[f->nctrls - 1];
  if (!f->dead)
    branch_to(f, c);
  c->has_else = true;
  LLVMMoveBasicBlockAfter(c->else_bb, LLVMGetInsertBlock(f->b));
  LLVMPositionBuilderAtEnd(f->b, c->else_bb);
  f->sp = c->height;
  for (uint32_t i = 0; i < c->nparams; i++)
    jit_push(f, c->if_params[i]);
  f->dead = false;
}

/* ------------------------------------------------------------------------
 * Branches
 * ---------------------------------------------------------------------- */

static void do_br(jit_func *f, uint32_t depth) {
  branch_to(f, label(f, depth));
  set_dead(f);
}

/* Branches to the label of frame c with the top operands when `cond`
 * holds; continues otherwise. */
static void branch_if(jit_func *f, LLVMValueRef cond, jit_ctrl *c) {
  LLVMBasicBlockRef taken = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "br_if");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "br_if.else");
  LLVMBuildCondBr(f->b, cond, taken, next);
  LLVMPositionBuilderAtEnd(f->b, taken);
  branch_to(f, c);
  LLVMPositionBuilderAtEnd(f->b, next);
}

static void do_br_if(jit_func *f, uint32_t depth) {
  LLVMValueRef cond = jit_pop(f);
  branch_if(f, LLVMBuildICmp(f->b, LLVMIntNE, cond, LLVMConstInt(f->jm->t_i32, 0, 0), ""),
            label(f, depth));
}

/* br_on_null: a null reference branches with the operands below it; any
 * other stays on the stack.  br_on_non_null: a non-null reference
 * branches with the operands and itself; null is dropped.  Funcrefs
 * (pointers) and GC references (i32, 0 = null) alike. */
static void do_br_on_null(jit_func *f, uint32_t depth) {
  LLVMValueRef ref = jit_pop(f);
  branch_if(f, LLVMBuildIsNull(f->b, ref, ""), label(f, depth));
  jit_push(f, ref);
}

static void do_br_on_non_null(jit_func *f, uint32_t depth) {
  branch_if(f, LLVMBuildIsNotNull(f->b, jit_top(f), ""), label(f, depth));
  (void)jit_pop(f);
}

/* br_on_cast / br_on_cast_fail: the reference stays on the stack either
 * way; it branches when it is (br_on_cast) or is not (br_on_cast_fail) a
 * value of the target type.  Immediates: flags (bit 0: the source is
 * nullable, bit 1: the target is), the label, the source and target heap
 * types. */
static void do_br_on_cast(jit_func *f, bool on_fail) {
  uint32_t ntypes = f->jm->m->ntypes;
  uint8_t flags = fe_read_u8(&f->r);
  uint32_t depth = fe_read_u32(&f->r);
  (void)fe_read_heaptype(&f->r, ntypes, (flags & 1) != 0);
  fe_valtype target = fe_read_heaptype(&f->r, ntypes, (flags & 2) != 0);
  LLVMValueRef ok = jit_ref_test(f, jit_top(f), target);
  branch_if(f, on_fail ? LLVMBuildNot(f->b, ok, "") : ok, label(f, depth));
}

/* br_table: a switch to one intermediate block per distinct target, so
 * that each phi gets exactly one edge from each predecessor. */
static void do_br_table(jit_func *f) {
  uint32_t n = fe_read_u32(&f->r);
  uint32_t *targets = xrealloc(NULL, (n + 1) * sizeof *targets);
  for (uint32_t i = 0; i <= n; i++)
    targets[i] = fe_read_u32(&f->r);
  LLVMValueRef idx = jit_pop(f);
  /* one edge block per distinct depth */
  uint32_t maxd = 0;
  for (uint32_t i = 0; i <= n; i++)
    if (targets[i] > maxd)
      maxd = targets[i];
  LLVMBasicBlockRef *edge = xrealloc(NULL, (maxd + 1) * sizeof *edge);
  memset(edge, 0, (maxd + 1) * sizeof *edge);
  LLVMBasicBlockRef from = LLVMGetInsertBlock(f->b);
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t d = targets[i];
    if (edge[d])
      continue;
    edge[d] = LLVMAppendBasicBlockInContext(f->jm->ctx, f->fn, "br_table");
    LLVMPositionBuilderAtEnd(f->b, edge[d]);
    branch_to(f, label(f, d));
  }
  LLVMPositionBuilderAtEnd(f->b, from);
  LLVMValueRef sw = LLVMBuildSwitch(f->b, idx, edge[targets[n]], n);
  for (uint32_t i = 0; i < n; i++)
    LLVMAddCase(sw, LLVMConstInt(f->jm->t_i32, i, 0), edge[targets[i]]);
  free(edge);
  free(targets);
  set_dead(f);
}

/* ------------------------------------------------------------------------
 * Calls
 * ---------------------------------------------------------------------- */

/* Calls `callee` (a function pointer of Wasm type index t) with the
 * operands on the stack and `callee_vmctx`; pushes the results.
 *
 * A tail call (return_call*) is an LLVM musttail call followed by the
 * return of its result: the callee reuses this frame, so a chain of them
 * runs in constant stack.  tailcc lets the prototypes differ (the callee
 * may take more stack arguments than this function); the return types are
 * the same, since the callee's results match this function's.  With
 * results in memory the callee gets this function's own incoming results
 * area, never call_area (an alloca of the frame that goes away): it
 * writes the results straight where this function's caller reads them. */
static void emit_call(jit_func *f, uint32_t t, LLVMValueRef callee, LLVMValueRef callee_vmctx,
                      bool tail) {
  jit_module *jm = f->jm;
  const fe_type *ft = &jm->m->types[t];
  uint32_t np = ft->nparams, nr = fe_func_nresults(ft);
  bool in_memory = jit_results_in_memory(ft);
  LLVMValueRef *args = xrealloc(NULL, (np + 2) * sizeof *args);
  args[0] = callee_vmctx;
  for (uint32_t i = 0; i < np; i++)
    args[1 + i] = f->stack[f->sp - np + i];
  f->sp -= np;
  unsigned nargs = 1 + np;
  if (in_memory)
    args[nargs++] = tail ? f->results_area : f->call_area;
  LLVMTypeRef fnty = jit_fn_type(jm, t);
  LLVMValueRef call = LLVMBuildCall2(f->b, fnty, callee, args, nargs, "");
  LLVMSetInstructionCallConv(call, JIT_TAILCC);
  free(args);
  if (tail) {
    LLVMSetTailCallKind(call, LLVMTailCallKindMustTail);
    if (nr == 0 || in_memory)
      LLVMBuildRetVoid(f->b);
    else
      LLVMBuildRet(f->b, call);
    set_dead(f);
    return;
  }
  /* A Wasm `call` keeps its caller's frame: without notail, LLVM's
   * tail-recursion elimination turns recursion into a loop, and a runaway
   * recursion would run forever instead of exhausting the stack (only
   * return_call may reuse the frame). */
  LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
  if (nr == 0)
    return;
  if (nr == 1) {
    jit_push(f, call);
  } else if (!in_memory) {
    for (uint32_t i = 0; i < nr; i++)
      jit_push(f, LLVMBuildExtractValue(f->b, call, i, ""));
  } else {
    const fe_valtype *rt = fe_func_results(ft);
    for (uint32_t i = 0; i < nr; i++) {
      LLVMValueRef off = LLVMConstInt(jm->t_i64, 16 * i, 0);
      LLVMValueRef p = LLVMBuildGEP2(f->b, jm->t_i8, f->call_area, &off, 1, "");
      jit_push(f, LLVMBuildLoad2(f->b, jit_type(jm, rt[i]), p, ""));
    }
  }
}

/* Calls through vm_funcref `fr` (not null): its typed entry with its
 * vmctx. */
static void call_funcref(jit_func *f, uint32_t t, LLVMValueRef fr, bool tail) {
  jit_module *jm = f->jm;
  LLVMValueRef entry = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_ptr, fr, "entry"), JIT_ALIAS_VM);
  LLVMValueRef off = LLVMConstInt(jm->t_i64, offsetof(vm_funcref, vmctx), 0);
  LLVMValueRef vp = LLVMBuildGEP2(f->b, jm->t_i8, fr, &off, 1, "");
  LLVMValueRef cv = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_ptr, vp, "callee.vmctx"), JIT_ALIAS_VM);
  emit_call(f, t, entry, cv, tail);
}

/* call / return_call. */
static void do_call(jit_func *f, uint32_t callee, bool tail) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  uint32_t t = m->funcs[callee].type;
  if (callee >= m->nfunc_imports) {
    /* a defined function: a direct call, also into another partition (its
     * function is declared here and resolved when the partitions' objects
     * are merged, jit/link.c) */
    emit_call(f, t, jit_function(jm, callee), f->vmctx, tail);
    return;
  }
  /* an import: through the vm_funcref the instance linked (a host
   * function's typed entry is a host trampoline, tailcc too) */
  call_funcref(f, t, jit_load_vmctx(f, vm_off_func_import(jm->layout, callee), jm->t_ptr, "import"),
               tail);
}

/* call_indirect / return_call_indirect: bounds, null and signature checks,
 * then a call through the vm_funcref.  The signature check compares
 * canonical type ids (equal for equal types) and, when they differ, asks
 * whether the function's type is a declared subtype of the expected one. */
static void do_call_indirect(jit_func *f, bool tail) {
  jit_module *jm = f->jm;
  uint32_t t = fe_read_u32(&f->r);
  uint32_t ti = fe_read_u32(&f->r);
  const fe_table *tab = &jm->m->tables[ti];
  LLVMValueRef idx = jit_pop(f);
  if (!tab->lim.is64)
    idx = LLVMBuildZExt(f->b, idx, jm->t_i64, "");
  LLVMValueRef tp = jit_load_vmctx(f, vm_off_table(jm->layout, ti), jm->t_ptr, "table");
  LLVMValueRef loff = LLVMConstInt(jm->t_i64, offsetof(vm_table, length), 0);
  LLVMValueRef len = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_i64,
                                    LLVMBuildGEP2(f->b, jm->t_i8, tp, &loff, 1, ""), "len"),
                            JIT_ALIAS_VM);
  jit_trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, idx, len, ""), VM_TRAP_UNDEFINED_ELEM);
  LLVMValueRef base = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_ptr, tp, "base"), JIT_ALIAS_VM);
  LLVMValueRef slot = LLVMBuildGEP2(f->b, jm->t_ptr, base, &idx, 1, "");
  LLVMValueRef fr = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_ptr, slot, "funcref"), JIT_ALIAS_TABLE);
  jit_trap_if(f, LLVMBuildIsNull(f->b, fr, ""), VM_TRAP_UNINIT_ELEM);
  LLVMValueRef toff = LLVMConstInt(jm->t_i64, offsetof(vm_funcref, type_id), 0);
  LLVMValueRef actual = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_i32,
                                       LLVMBuildGEP2(f->b, jm->t_i8, fr, &toff, 1, ""), "type"),
                                JIT_ALIAS_VM);
  LLVMValueRef expected = jit_load_vmctx(f, vm_off_type_id(jm->layout, t), jm->t_i32, "expected");
  /* equal canonical ids: the common case, inline; different ids may still
   * be a declared subtype (Wasm 3.0): asked of the registry out of line */
  LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "sig.slow");
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "sig.ok");
  LLVMBuildCondBr(f->b, LLVMBuildICmp(f->b, LLVMIntEQ, actual, expected, ""), ok, slow);
  LLVMPositionBuilderAtEnd(f->b, slow);
  LLVMValueRef sargs[3] = {f->vmctx, actual, expected};
  LLVMTypeRef stypes[3] = {jm->t_ptr, jm->t_i32, jm->t_i32};
  LLVMValueRef is_sub = jit_builtin(f, VM_BI_FUNC_SUBTYPE, jm->t_i32, sargs, stypes, 3);
  jit_trap_if(f, LLVMBuildICmp(f->b, LLVMIntEQ, is_sub, LLVMConstInt(jm->t_i32, 0, 0), ""),
              VM_TRAP_INDIRECT_TYPE);
  LLVMBuildBr(f->b, ok);
  LLVMPositionBuilderAtEnd(f->b, ok);
  call_funcref(f, t, fr, tail);
}

/* call_ref / return_call_ref: the reference's static type is the function
 * type (or a subtype), so only null is checked. */
static void do_call_ref(jit_func *f, bool tail) {
  uint32_t t = fe_read_u32(&f->r);
  LLVMValueRef fr = jit_pop(f);
  jit_trap_if(f, LLVMBuildIsNull(f->b, fr, ""), VM_TRAP_INDIRECT_NULL);
  call_funcref(f, t, fr, tail);
}

/* ------------------------------------------------------------------------
 * Prologue and epilogue
 * ---------------------------------------------------------------------- */

/* The function's return: the results (from the function frame's phis) as
 * a scalar, a struct, or stored into the caller's results area. */
static void emit_return_block(jit_func *f, LLVMValueRef *vals) {
  jit_module *jm = f->jm;
  const fe_type *ft = f->type;
  uint32_t nr = fe_func_nresults(ft);
  if (nr == 0) {
    LLVMBuildRetVoid(f->b);
  } else if (nr == 1) {
    LLVMBuildRet(f->b, vals[0]);
  } else if (!jit_results_in_memory(ft)) {
    LLVMBuildAggregateRet(f->b, vals, nr);
  } else {
    for (uint32_t i = 0; i < nr; i++) {
      LLVMValueRef off = LLVMConstInt(jm->t_i64, 16 * i, 0);
      LLVMValueRef p = LLVMBuildGEP2(f->b, jm->t_i8, f->results_area, &off, 1, "");
      LLVMBuildStore(f->b, vals[i], p);
    }
    LLVMBuildRetVoid(f->b);
  }
}

static LLVMValueRef zero_of(jit_module *jm, fe_valtype t) {
  return LLVMConstNull(jit_type(jm, t));
}

/* Whether a function's frame may be large: every value it can hold at once
 * is a local or an operand (at most one per byte of its body), so with
 * fewer than 4096 of both together its frame stays far below
 * VM_STACK_RESERVE (16 bytes a value: 64 KiB, plus what LLVM adds). */
static bool frame_may_be_large(const jit_func *f) {
  const fe_module *m = f->jm->m;
  return (uint64_t)f->nlocals + m->funcs[f->index].code.len >= 4096;
}

/* Entry block: locals as allocas (mem2reg makes them SSA), the stack-limit
 * check, and a results area for callees with 4 or more results. */
static void emit_prologue(jit_func *f) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  const fe_func *fn = &m->funcs[f->index];
  const fe_type *ft = f->type;
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "entry");
  LLVMPositionBuilderAtEnd(f->b, entry);
  f->entry = entry;
  f->vmctx = LLVMGetParam(f->fn, 0);
  if (jit_results_in_memory(ft))
    f->results_area = LLVMGetParam(f->fn, 1 + ft->nparams);

  f->nlocals = ft->nparams + fn->nlocals;
  f->locals = xrealloc(NULL, (f->nlocals ? f->nlocals : 1) * sizeof *f->locals);
  f->local_types = xrealloc(NULL, (f->nlocals ? f->nlocals : 1) * sizeof *f->local_types);
  for (uint32_t i = 0; i < f->nlocals; i++) {
    fe_valtype t = i < ft->nparams ? ft->vt[i] : fn->locals[i - ft->nparams];
    f->local_types[i] = t;
    f->locals[i] = LLVMBuildAlloca(f->b, jit_type(jm, t), "local");
    LLVMValueRef init = i < ft->nparams ? LLVMGetParam(f->fn, 1 + i) : zero_of(jm, t);
    LLVMBuildStore(f->b, init, f->locals[i]);
  }
  /* a results area big enough for any callee of this function */
  if (f->call_area_size) {
    LLVMTypeRef at = LLVMArrayType2(jm->t_i8, f->call_area_size);
    f->call_area = LLVMBuildAlloca(f->b, at, "results.area");
    LLVMSetAlignment(f->call_area, 16);
  }
  /* stack overflow: the frame against vmctx->stack_limit (the host
   * rewrites it only between entries, vm/instance.h), so that
   * VM_STACK_RESERVE bytes stay below every frame for C code (host
   * functions, builtins, the trap path).  A frame that cannot be large is
   * checked at its top, the frame address (free: %rbp); any other at its
   * bottom, the stack pointer after the prologue allocated it (reading
   * %rsp after the prologue's pushes costs a stack-engine sync: ~4% on
   * fib).  Below the limit, the trap builtin runs on this stack: it first
   * touches 16 KiB below the frame, so that with less room than that left
   * the touch faults on the guard page (a stack overflow, to the signal
   * handler on its alternate stack) instead of the C code. */
  LLVMValueRef sp;
  if (frame_may_be_large(f)) {
    LLVMTypeRef ss_ty;
    LLVMValueRef ss = jit_intrinsic(jm, "llvm.stacksave", &jm->t_ptr, 1, &ss_ty);
    sp = LLVMBuildPtrToInt(f->b, LLVMBuildCall2(f->b, ss_ty, ss, NULL, 0, "frame.bottom"),
                           jm->t_i64, "sp");
  } else {
    LLVMTypeRef fa_ty;
    LLVMValueRef fa = jit_intrinsic(jm, "llvm.frameaddress", &jm->t_ptr, 1, &fa_ty);
    LLVMValueRef zero = LLVMConstInt(jm->t_i32, 0, 0);
    sp = LLVMBuildPtrToInt(f->b, LLVMBuildCall2(f->b, fa_ty, fa, &zero, 1, "frame"), jm->t_i64,
                           "sp");
  }
  LLVMValueRef limit = jit_load_vmctx(f, VM_OFF_STACK_LIMIT, jm->t_i64, "stack.limit");
  LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "stack.low");
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "ok");
  LLVMBuildCondBr(f->b, LLVMBuildICmp(f->b, LLVMIntULT, sp, limit, ""), slow, ok);
  f->nchecks++;
  LLVMPositionBuilderAtEnd(f->b, slow);
  LLVMValueRef room = LLVMBuildIntToPtr(
      f->b, LLVMBuildSub(f->b, sp, LLVMConstInt(jm->t_i64, 16384, 0), ""), jm->t_ptr, "");
  LLVMSetVolatile(LLVMBuildLoad2(f->b, jm->t_i8, room, ""), 1);
  LLVMBuildBr(f->b, jit_trap_block(f, VM_TRAP_STACK_OVERFLOW));
  LLVMPositionBuilderAtEnd(f->b, ok);
}

/* The results area callees with 4 or more results write into: sized for
 * the largest such function type of the module (computed once per
 * partition), allocated once per function. */
uint32_t jit_call_area_size(const fe_module *m) {
  uint32_t size = 0;
  for (uint32_t t = 0; t < m->ntypes; t++) {
    const fe_type *ft = &m->types[t];
    if (ft->kind == FE_COMP_FUNC && jit_results_in_memory(ft) &&
        16 * fe_func_nresults(ft) > size)
      size = 16 * fe_func_nresults(ft);
  }
  return size;
}

/* ------------------------------------------------------------------------
 * Skipping dead code
 * ---------------------------------------------------------------------- */

/* Advances over a block type. */
static void skip_blocktype(fe_reader *r, uint32_t ntypes) {
  uint8_t b = fe_peek_u8(r);
  if (b == 0x40)
    r->p++;
  else if ((b & 0xc0) == 0x40)
    (void)fe_read_valtype(r, ntypes);
  else
    (void)fe_read_s33(r);
}

/* Advances over the immediates of op without lowering it. */
static void skip_immediates(jit_func *f, const fe_opinfo *info) {
  fe_reader *r = &f->r;
  uint32_t ntypes = f->jm->m->ntypes;
  switch ((fe_imm)info->imm) {
  case FE_IMM_NONE:
    break;
  case FE_IMM_BLOCK:
    skip_blocktype(r, ntypes);
    break;
  case FE_IMM_LABEL: case FE_IMM_FUNC: case FE_IMM_TYPE: case FE_IMM_LOCAL:
  case FE_IMM_GLOBAL: case FE_IMM_TABLE: case FE_IMM_MEM: case FE_IMM_DATA:
  case FE_IMM_ELEM: case FE_IMM_TAG:
    (void)fe_read_u32(r);
    break;
  case FE_IMM_CALL_INDIRECT: case FE_IMM_TYPE_FIELD: case FE_IMM_TYPE_U32:
  case FE_IMM_TYPE_DATA: case FE_IMM_TYPE_ELEM: case FE_IMM_TYPE_TYPE:
  case FE_IMM_MEM_INIT: case FE_IMM_MEM_MEM: case FE_IMM_TABLE_INIT:
  case FE_IMM_TABLE_TABLE:
    (void)fe_read_u32(r);
    (void)fe_read_u32(r);
    break;
  case FE_IMM_BR_TABLE: {
    uint32_t n = fe_read_u32(r);
    for (uint32_t i = 0; i <= n; i++)
      (void)fe_read_u32(r);
    break;
  }
  case FE_IMM_MEMARG:
  case FE_IMM_MEMARG_LANE: {
    uint32_t flags = fe_read_u32(r);
    if (flags & 0x40)
      (void)fe_read_u32(r);
    (void)fe_read_u64(r);
    if (info->imm == FE_IMM_MEMARG_LANE)
      (void)fe_read_u8(r);
    break;
  }
  case FE_IMM_I32: (void)fe_read_s32(r); break;
  case FE_IMM_I64: (void)fe_read_s64(r); break;
  case FE_IMM_F32: (void)fe_read_bytes(r, 4); break;
  case FE_IMM_F64: (void)fe_read_bytes(r, 8); break;
  case FE_IMM_V128: (void)fe_read_bytes(r, 16); break;
  case FE_IMM_LANE: (void)fe_read_u8(r); break;
  case FE_IMM_SHUFFLE: (void)fe_read_bytes(r, 16); break;
  case FE_IMM_SELECT_T: {
    uint32_t n = fe_read_u32(r);
    for (uint32_t i = 0; i < n; i++)
      (void)fe_read_valtype(r, ntypes);
    break;
  }
  case FE_IMM_HEAPTYPE:
    (void)fe_read_heaptype(r, ntypes, true);
    break;
  case FE_IMM_BR_ON_CAST:
    (void)fe_read_u8(r);
    (void)fe_read_u32(r);
    (void)fe_read_heaptype(r, ntypes, true);
    (void)fe_read_heaptype(r, ntypes, true);
    break;
  case FE_IMM_TRY_TABLE: {
    skip_blocktype(r, ntypes);
    uint32_t n = fe_read_u32(r);
    for (uint32_t i = 0; i < n; i++) {
      uint8_t kind = fe_read_u8(r);
      if (kind < 2)
        (void)fe_read_u32(r);
      (void)fe_read_u32(r);
    }
    break;
  }
  }
}

/* In dead code: tracks nesting; returns true when an else/end belongs to
 * the frame that became dead (so it must be lowered). */
static bool skip_dead(jit_func *f, fe_opcode op, const fe_opinfo *info) {
  switch (op) {
  case FE_OP_BLOCK: case FE_OP_LOOP: case FE_OP_IF: case FE_OP_TRY_TABLE:
    f->dead_depth++;
    skip_immediates(f, info);
    return false;
  case FE_OP_ELSE:
    return f->dead_depth == 0;
  case FE_OP_END:
    if (f->dead_depth == 0)
      return true;
    f->dead_depth--;
    return false;
  default:
    skip_immediates(f, info);
    return false;
  }
}

/* ------------------------------------------------------------------------
 * The instruction loop
 * ---------------------------------------------------------------------- */

static _Noreturn void unsupported(jit_func *f, const fe_opinfo *info) {
  fe_fail(&f->jm->ec, fe_offset(&f->r), FE_E_TOO_MANY,
          "the compiler does not support %s yet", info->name);
}

static void emit_body(jit_func *f) {
  for (;;) {
    fe_opcode op = fe_read_opcode(&f->r);
    const fe_opinfo *info = fe_op_info(op);
    if (f->dead && !skip_dead(f, op, info))
      continue;
    switch (op) {
    case FE_OP_NOP:
      break;
    case FE_OP_UNREACHABLE:
      LLVMBuildBr(f->b, jit_trap_block(f, VM_TRAP_UNREACHABLE));
      set_dead(f);
      break;
    case FE_OP_BLOCK:
      begin_block(f, JIT_BLOCK);
      break;
    case FE_OP_LOOP:
      begin_block(f, JIT_LOOP);
      break;
    case FE_OP_IF:
      begin_if(f);
      break;
    case FE_OP_ELSE:
      do_else(f);
      break;
    case FE_OP_END: {
      jit_ctrl *c = &f->ctrls[f->nctrls - 1];
      if (c->kind == JIT_FUNC) {
        if (!f->dead)
          branch_to(f, c);
        LLVMMoveBasicBlockAfter(c->cont, LLVMGetInsertBlock(f->b));
        LLVMPositionBuilderAtEnd(f->b, c->cont);
        if (c->branches > 0) {
          emit_return_block(f, c->phis);
        } else {
          for (uint32_t i = 0; i < c->nresults; i++)
            LLVMInstructionEraseFromParent(c->phis[i]);
          LLVMBuildUnreachable(f->b);
        }
        free_ctrl(c);
        f->nctrls--;
        return;
      }
      if (c->kind == JIT_EXPR) {
        free_ctrl(c);
        f->nctrls--;
        return;
      }
      if (c->kind == JIT_LOOP)
        end_loop(f);
      else
        end_frame(f);
      break;
    }
    case FE_OP_BR:
      do_br(f, fe_read_u32(&f->r));
      break;
    case FE_OP_BR_IF:
      do_br_if(f, fe_read_u32(&f->r));
      break;
    case FE_OP_BR_TABLE:
      do_br_table(f);
      break;
    case FE_OP_BR_ON_NULL:
      do_br_on_null(f, fe_read_u32(&f->r));
      break;
    case FE_OP_BR_ON_NON_NULL:
      do_br_on_non_null(f, fe_read_u32(&f->r));
      break;
    case FE_OP_BR_ON_CAST:
    case FE_OP_BR_ON_CAST_FAIL:
      do_br_on_cast(f, op == FE_OP_BR_ON_CAST_FAIL);
      break;
    case FE_OP_RETURN:
      do_br(f, f->nctrls - 1);
      break;
    case FE_OP_CALL:
    case FE_OP_RETURN_CALL:
      do_call(f, fe_read_u32(&f->r), op == FE_OP_RETURN_CALL);
      break;
    case FE_OP_CALL_INDIRECT:
    case FE_OP_RETURN_CALL_INDIRECT:
      do_call_indirect(f, op == FE_OP_RETURN_CALL_INDIRECT);
      break;
    case FE_OP_CALL_REF:
    case FE_OP_RETURN_CALL_REF:
      do_call_ref(f, op == FE_OP_RETURN_CALL_REF);
      break;
    default:
      if (jit_emit_numeric(f, op) || jit_emit_memory(f, op) ||
          jit_emit_variable(f, op) || jit_emit_table(f, op) || jit_emit_gc(f, op))
        break;
      unsupported(f, info);
    }
  }
}

LLVMValueRef jit_emit_expr(jit_func *f, fe_span e) {
  const fe_module *m = f->jm->m;
  f->r = (fe_reader){m->bytes, m->bytes + e.off, m->bytes + e.off + e.len, &f->jm->ec,
                     FE_E_UNEXPECTED_END_SECTION};
  jit_ctrl *c = push_ctrl(f, JIT_EXPR);
  c->height = f->sp;
  emit_body(f);
  return jit_pop(f);
}

LLVMValueRef jit_builtin(jit_func *f, vm_builtin bi, LLVMTypeRef ret, LLVMValueRef *args,
                         LLVMTypeRef *types, unsigned n) {
  return jit_call_builtin(f, bi, LLVMFunctionType(ret, types, n, 0), args, n);
}

LLVMValueRef jit_ref_bits(jit_func *f, LLVMValueRef v) {
  if (LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMPointerTypeKind)
    return LLVMBuildPtrToInt(f->b, v, f->jm->t_i64, "");
  return LLVMBuildZExt(f->b, v, f->jm->t_i64, "");
}

void jit_func_release(jit_func *f) {
  if (!f)
    return;
  for (uint32_t i = 0; i < f->nctrls; i++)
    free_ctrl(&f->ctrls[i]);
  free(f->locals);
  free(f->local_types);
  free(f->stack);
  free(f->ctrls);
  free(f->mem_recs);
  free(f);
}

void jit_emit_function(jit_module *jm, uint32_t index) {
  const fe_module *m = jm->m;
  const fe_func *fn = &m->funcs[index];
  /* on the heap and known to jm, so that an error long-jumping out of the
   * lowering can free it */
  jit_func *f = xrealloc(NULL, sizeof *f);
  memset(f, 0, sizeof *f);
  jm->cur = f;
  f->jm = jm;
  f->b = jm->b;
  f->index = index;
  f->type = &m->types[fn->type];
  f->fn = jm->funcs[index];
  f->r = (fe_reader){m->bytes, m->bytes + fn->code.off,
                     m->bytes + fn->code.off + fn->code.len, &jm->ec,
                     FE_E_UNEXPECTED_END_SECTION};
  f->call_area_size = jm->call_area_size;
  emit_prologue(f);
  jit_ctrl *c = push_ctrl(f, JIT_FUNC);
  c->results = fe_func_results(f->type);
  c->nresults = fe_func_nresults(f->type);
  c->height = 0;
  c->cont = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "return");
  c->phis = make_phis(f, c->cont, c->results, c->nresults);
  emit_body(f);
  /* LLVM's optimizations are quadratic in the number of trap branches of a
   * function (known-bits queries walk every dominating condition on a
   * shared value: a memory's length, a base address): a function with
   * thousands of them compiles without optimization (docs/jit.md) */
  if (f->nchecks > JIT_MAX_OPTIMIZED_CHECKS) {
    LLVMAddAttributeAtIndex(f->fn, LLVMAttributeFunctionIndex, jm->a_optnone);
    LLVMAddAttributeAtIndex(f->fn, LLVMAttributeFunctionIndex, jm->a_noinline);
  }
  jm->cur = NULL;
  jit_func_release(f);
}
