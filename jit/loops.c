/* jit/loops.c — making Wasm loops fit LLVM's range-check elimination.
 *
 * Why.  Every access to a linear memory is bounds-checked by a branch to a
 * trap (jit/emit_memory.c), so traps are exact: no store before a faulting
 * access is lost and none after it happens.  But a loop with such exits
 * cannot be vectorized.  LLVM's inductive range check elimination (IRCE)
 * removes the checks without giving up exactness: it splits a loop into a
 * pre-loop, a main loop whose iterations provably pass every check, and a
 * post-loop that runs the remaining iterations still checked, so the first
 * failing check still traps at the same iteration with the same memory
 * behind it.  The main loop is then free for the vectorizer.
 *
 * IRCE wants the loop's latch to be an inequality (`iv.next < limit`).
 * Loops compiled to Wasm by clang arrive with the latch already rewritten
 * by clang's own loop passes into an equality with a byte stride, e.g.
 *
 *     iv.next = add iv, 24 ; br (icmp eq iv.next, 1536), exit, header
 *
 * which IRCE accepts only for a stride of one.  This pass rewrites such a
 * latch into `icmp ugt iv.next, 1535` (or `ne` into `ult`) when that is the
 * same test on every value the induction variable takes: it starts at a
 * constant below the limit and the stride divides the distance, so the
 * values before the exit are all below the limit, none wraps, and the
 * first value not below it is the limit itself.  Nothing else changes.
 *
 * It runs between a first simplification pipeline (SSA form, rotated loops,
 * widened induction variables) and IRCE (jit/compile.c). */
#include <stdint.h>

#include "emit.h"

/* The value of an integer constant of at most 64 bits, if `v` is one. */
static bool const_int(LLVMValueRef v, uint64_t *out) {
  if (!v || !LLVMIsAConstantInt(v) || LLVMGetIntTypeWidth(LLVMTypeOf(v)) > 64)
    return false;
  *out = LLVMConstIntGetZExtValue(v);
  return true;
}

/* The largest value of an integer type of `bits` bits (2 to 64). */
static uint64_t type_max(unsigned bits) {
  return bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

/* If `term` is a latch `br (icmp eq|ne next, C)` of a loop whose header
 * phi starts at a constant and steps by a constant to `next`, rewrites the
 * compare as an unsigned inequality.  Returns whether it did. */
static bool rewrite_latch(LLVMBuilderRef b, LLVMBasicBlockRef bb, LLVMValueRef term) {
  if (!LLVMIsABranchInst(term) || !LLVMIsConditional(term))
    return false;
  LLVMValueRef cmp = LLVMGetCondition(term);
  if (!LLVMIsAICmpInst(cmp))
    return false;
  LLVMIntPredicate pred = LLVMGetICmpPredicate(cmp);
  if (pred != LLVMIntEQ && pred != LLVMIntNE)
    return false;
  LLVMValueRef next = LLVMGetOperand(cmp, 0);
  uint64_t limit, step, start;
  if (!const_int(LLVMGetOperand(cmp, 1), &limit) || !LLVMIsAInstruction(next) ||
      LLVMGetInstructionOpcode(next) != LLVMAdd)
    return false;
  LLVMValueRef iv = LLVMGetOperand(next, 0);
  if (!const_int(LLVMGetOperand(next, 1), &step) || !LLVMIsAPHINode(iv) ||
      LLVMCountIncoming(iv) != 2)
    return false;
  /* iv = phi [start, entry], [next, this latch] */
  LLVMValueRef start_v = NULL;
  bool from_latch = false;
  for (unsigned k = 0; k < 2; k++) {
    LLVMValueRef in = LLVMGetIncomingValue(iv, k);
    if (in == next && LLVMGetIncomingBlock(iv, k) == bb)
      from_latch = true;
    else
      start_v = in;
  }
  if (!from_latch || !const_int(start_v, &start))
    return false;
  /* the back edge: eq exits on true, ne continues on true */
  LLVMBasicBlockRef header = LLVMGetInstructionParent(iv);
  if (LLVMGetSuccessor(term, pred == LLVMIntEQ ? 1 : 0) != header)
    return false;
  unsigned bits = LLVMGetIntTypeWidth(LLVMTypeOf(next));
  uint64_t max = type_max(bits);
  if (step == 0 || step > max / 2 || start >= limit || limit > max ||
      (limit - start) % step != 0)
    return false;
  LLVMPositionBuilderBefore(b, cmp);
  LLVMValueRef repl =
      pred == LLVMIntEQ
          ? LLVMBuildICmp(b, LLVMIntUGT, next, LLVMConstInt(LLVMTypeOf(next), limit - 1, 0),
                          "latch")
          : LLVMBuildICmp(b, LLVMIntULT, next, LLVMConstInt(LLVMTypeOf(next), limit, 0),
                          "latch");
  LLVMSetCondition(term, repl);
  if (!LLVMGetFirstUse(cmp))
    LLVMInstructionEraseFromParent(cmp);
  return true;
}

unsigned jit_canonicalize_latches(LLVMModuleRef mod) {
  LLVMBuilderRef b = LLVMCreateBuilderInContext(LLVMGetModuleContext(mod));
  unsigned n = 0;
  for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
      LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
      if (term && rewrite_latch(b, bb, term))
        n++;
    }
  LLVMDisposeBuilder(b);
  return n;
}
