/* jit/emit_numeric.c — constants, integer and float arithmetic, comparisons
 * and conversions, with Wasm's exact semantics:
 *
 * - div/rem trap on a zero divisor; signed division of INT_MIN by -1 traps
 *   (overflow) while rem_s of the same gives 0 (LLVM's srem would be UB);
 * - shift counts are taken modulo the width; rotates are funnel shifts;
 * - clz/ctz of 0 is the width (the intrinsics' "zero is poison" flag off);
 * - float min/max propagate a quiet NaN and order -0 < +0 (llvm.minimum/
 *   maximum, with NaN operands sent through an addition to quiet them);
 *   nearest rounds to even; neg/abs/copysign are bit operations;
 * - trapping float->int conversions check NaN (invalid conversion) and range
 *   (integer overflow) before converting; saturating ones use LLVM's
 *   fpto[su]i.sat;
 * - float constants keep their exact bits (NaN payloads included).
 */
#include "emit.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static LLVMValueRef call_intrinsic(jit_func *f, const char *name, LLVMTypeRef type,
                                   LLVMValueRef *args, unsigned nargs) {
  LLVMTypeRef fnty;
  LLVMValueRef fn = jit_intrinsic(f->jm, name, &type, 1, &fnty);
  return LLVMBuildCall2(f->b, fnty, fn, args, nargs, "");
}

static LLVMValueRef unary_intrinsic(jit_func *f, const char *name, LLVMValueRef x) {
  return call_intrinsic(f, name, LLVMTypeOf(x), &x, 1);
}

static LLVMValueRef binary_intrinsic(jit_func *f, const char *name, LLVMValueRef x,
                                     LLVMValueRef y) {
  LLVMValueRef args[2] = {x, y};
  return call_intrinsic(f, name, LLVMTypeOf(x), args, 2);
}

/* r with its quiet bit set if it is a NaN.  (llvm.canonicalize would say
 * this, but LLVM 19's x86 backend cannot select it.) */
static LLVMValueRef quiet_nan(jit_func *f, LLVMValueRef r) {
  jit_module *jm = f->jm;
  bool is32 = LLVMTypeOf(r) == jm->t_f32;
  LLVMTypeRef it = is32 ? jm->t_i32 : jm->t_i64;
  LLVMValueRef bits = LLVMBuildBitCast(f->b, r, it, "");
  LLVMValueRef qbit = LLVMConstInt(it, is32 ? 0x00400000u : 0x0008000000000000ull, 0);
  LLVMValueRef q = LLVMBuildBitCast(f->b, LLVMBuildOr(f->b, bits, qbit, ""), LLVMTypeOf(r), "");
  LLVMValueRef nan = LLVMBuildFCmp(f->b, LLVMRealUNO, r, r, "");
  return LLVMBuildSelect(f->b, nan, q, r, "");
}

/* Wasm arithmetic on a signalling NaN returns a quiet NaN, but LLVM folds
 * x - 0, x + -0, x * 1, x * -1 (to -x), x / 1 and x / -1 without quieting.
 * When the lowering sees such a constant operand, the result's NaN is
 * quieted explicitly (a compare and a select, only for these shapes).
 * Identities that appear only after optimization (a constant reaching the
 * operation through a local) are not covered: docs/jit.md. */
static LLVMValueRef quiet_identity(jit_func *f, fe_opcode op, LLVMValueRef r, LLVMValueRef x,
                                   LLVMValueRef y) {
  (void)x;
  if (!LLVMIsAConstantFP(y) && !LLVMIsAConstantFP(x))
    return r;
  LLVMBool loses;
  double cx = LLVMIsAConstantFP(x) ? LLVMConstRealGetDouble(x, &loses) : 2.0;
  double cy = LLVMIsAConstantFP(y) ? LLVMConstRealGetDouble(y, &loses) : 2.0;
  bool identity;
  switch (op) {
  case FE_OP_F32_ADD: case FE_OP_F64_ADD:
  case FE_OP_F32_SUB: case FE_OP_F64_SUB:
    identity = cx == 0.0 || cy == 0.0;
    break;
  case FE_OP_F32_MUL: case FE_OP_F64_MUL:
    identity = cx == 1.0 || cx == -1.0 || cy == 1.0 || cy == -1.0;
    break;
  default: /* div: only the divisor */
    identity = cy == 1.0 || cy == -1.0;
    break;
  }
  return identity ? quiet_nan(f, r) : r;
}

static LLVMValueRef to_i32(jit_func *f, LLVMValueRef cond) {
  return LLVMBuildZExt(f->b, cond, f->jm->t_i32, "");
}

static LLVMValueRef const_int(LLVMTypeRef t, uint64_t v) { return LLVMConstInt(t, v, 0); }

/* ------------------------------------------------------------------------
 * Integer operations
 * ---------------------------------------------------------------------- */

static LLVMValueRef int_div_rem(jit_func *f, fe_opcode op, LLVMValueRef x,
                                LLVMValueRef y) {
  LLVMTypeRef t = LLVMTypeOf(x);
  unsigned bits = LLVMGetIntTypeWidth(t);
  bool is_signed = op == FE_OP_I32_DIV_S || op == FE_OP_I64_DIV_S ||
                   op == FE_OP_I32_REM_S || op == FE_OP_I64_REM_S;
  bool is_rem = op == FE_OP_I32_REM_S || op == FE_OP_I64_REM_S ||
                op == FE_OP_I32_REM_U || op == FE_OP_I64_REM_U;
  jit_trap_if(f, LLVMBuildICmp(f->b, LLVMIntEQ, y, const_int(t, 0), ""),
              VM_TRAP_INT_DIV_ZERO);
  if (!is_signed)
    return is_rem ? LLVMBuildURem(f->b, x, y, "") : LLVMBuildUDiv(f->b, x, y, "");
  LLVMValueRef minus1 = LLVMConstAllOnes(t);
  LLVMValueRef min = const_int(t, (uint64_t)1 << (bits - 1));
  LLVMValueRef overflow = LLVMBuildAnd(f->b, LLVMBuildICmp(f->b, LLVMIntEQ, x, min, ""),
                                       LLVMBuildICmp(f->b, LLVMIntEQ, y, minus1, ""), "");
  if (!is_rem) {
    jit_trap_if(f, overflow, VM_TRAP_INT_OVERFLOW);
    return LLVMBuildSDiv(f->b, x, y, "");
  }
  /* INT_MIN rem -1 is 0 in Wasm; divide by 1 instead to stay defined */
  LLVMValueRef safe_y = LLVMBuildSelect(f->b, overflow, const_int(t, 1), y, "");
  return LLVMBuildSRem(f->b, x, safe_y, "");
}

static LLVMValueRef shift(jit_func *f, fe_opcode op, LLVMValueRef x, LLVMValueRef y) {
  LLVMTypeRef t = LLVMTypeOf(x);
  unsigned bits = LLVMGetIntTypeWidth(t);
  LLVMValueRef n = LLVMBuildAnd(f->b, y, const_int(t, bits - 1), "");
  switch (op) {
  case FE_OP_I32_SHL: case FE_OP_I64_SHL: return LLVMBuildShl(f->b, x, n, "");
  case FE_OP_I32_SHR_S: case FE_OP_I64_SHR_S: return LLVMBuildAShr(f->b, x, n, "");
  case FE_OP_I32_SHR_U: case FE_OP_I64_SHR_U: return LLVMBuildLShr(f->b, x, n, "");
  case FE_OP_I32_ROTL: case FE_OP_I64_ROTL: {
    LLVMValueRef args[3] = {x, x, n};
    return call_intrinsic(f, "llvm.fshl", t, args, 3);
  }
  default: {
    LLVMValueRef args[3] = {x, x, n};
    return call_intrinsic(f, "llvm.fshr", t, args, 3);
  }
  }
}

static LLVMValueRef count_bits(jit_func *f, const char *name, LLVMValueRef x) {
  LLVMValueRef args[2] = {x, LLVMConstInt(f->jm->t_i1, 0, 0)};
  return call_intrinsic(f, name, LLVMTypeOf(x), args, 2);
}

/* ------------------------------------------------------------------------
 * Float -> integer conversions
 * ---------------------------------------------------------------------- */

/* Trapping truncation: NaN -> invalid conversion; out of range -> integer
 * overflow.  x is in range iff lo - 1 < x < hi, where [lo, hi) is the
 * target's range: [-2^(n-1), 2^(n-1)) signed, [0, 2^n) unsigned.  Every
 * bound is a power of two, exact in both float types, except lo - 1 for
 * signed targets: exact only for f64 -> i32; otherwise the float just above
 * lo - 1 is lo itself, so the test becomes lo <= x. */
static LLVMValueRef trunc_checked(jit_func *f, LLVMValueRef x, LLVMTypeRef to,
                                  bool is_signed) {
  LLVMTypeRef ft = LLVMTypeOf(x);
  unsigned bits = LLVMGetIntTypeWidth(to);
  double hi, lo;
  if (is_signed) {
    hi = bits == 32 ? 2147483648.0 : 9223372036854775808.0;
    lo = -hi;
  } else {
    hi = bits == 32 ? 4294967296.0 : 18446744073709551616.0;
    lo = 0.0;
  }
  jit_trap_if(f, LLVMBuildFCmp(f->b, LLVMRealUNO, x, x, ""), VM_TRAP_BAD_CONVERSION);
  LLVMValueRef too_big = LLVMBuildFCmp(f->b, LLVMRealOGE, x, LLVMConstReal(ft, hi), "");
  LLVMValueRef too_small;
  bool lo1_exact = !is_signed || (LLVMGetTypeKind(ft) == LLVMDoubleTypeKind && bits == 32);
  if (lo1_exact)
    too_small = LLVMBuildFCmp(f->b, LLVMRealOLE, x, LLVMConstReal(ft, lo - 1.0), "");
  else
    too_small = LLVMBuildFCmp(f->b, LLVMRealOLT, x, LLVMConstReal(ft, lo), "");
  jit_trap_if(f, LLVMBuildOr(f->b, too_big, too_small, ""), VM_TRAP_INT_OVERFLOW);
  return is_signed ? LLVMBuildFPToSI(f->b, x, to, "") : LLVMBuildFPToUI(f->b, x, to, "");
}

static LLVMValueRef trunc_sat(jit_func *f, LLVMValueRef x, LLVMTypeRef to, bool is_signed) {
  LLVMTypeRef types[2] = {to, LLVMTypeOf(x)};
  LLVMTypeRef fnty;
  LLVMValueRef fn = jit_intrinsic(f->jm, is_signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat",
                                  types, 2, &fnty);
  return LLVMBuildCall2(f->b, fnty, fn, &x, 1, "");
}

/* ------------------------------------------------------------------------
 * The group
 * ---------------------------------------------------------------------- */

bool jit_emit_numeric(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  LLVMBuilderRef b = f->b;
  LLVMValueRef x, y;
  switch (op) {
  /* --- constants ------------------------------------------------------ */
  case FE_OP_I32_CONST:
    jit_push(f, const_int(jm->t_i32, (uint32_t)fe_read_s32(&f->r)));
    return true;
  case FE_OP_I64_CONST:
    jit_push(f, const_int(jm->t_i64, (uint64_t)fe_read_s64(&f->r)));
    return true;
  case FE_OP_F32_CONST:
    jit_push(f, LLVMConstBitCast(const_int(jm->t_i32, fe_read_f32_bits(&f->r)), jm->t_f32));
    return true;
  case FE_OP_F64_CONST:
    jit_push(f, LLVMConstBitCast(const_int(jm->t_i64, fe_read_f64_bits(&f->r)), jm->t_f64));
    return true;

  /* --- integer comparisons ------------------------------------------- */
  case FE_OP_I32_EQZ: case FE_OP_I64_EQZ:
    x = jit_pop(f);
    jit_push(f, to_i32(f, LLVMBuildICmp(b, LLVMIntEQ, x, LLVMConstNull(LLVMTypeOf(x)), "")));
    return true;
#define ICMP(A, B, P)                                                          \
  case FE_OP_I32_##A: case FE_OP_I64_##B:                                      \
    y = jit_pop(f);                                                            \
    x = jit_pop(f);                                                            \
    jit_push(f, to_i32(f, LLVMBuildICmp(b, P, x, y, "")));                     \
    return true;
  ICMP(EQ, EQ, LLVMIntEQ)
  ICMP(NE, NE, LLVMIntNE)
  ICMP(LT_S, LT_S, LLVMIntSLT)
  ICMP(LT_U, LT_U, LLVMIntULT)
  ICMP(GT_S, GT_S, LLVMIntSGT)
  ICMP(GT_U, GT_U, LLVMIntUGT)
  ICMP(LE_S, LE_S, LLVMIntSLE)
  ICMP(LE_U, LE_U, LLVMIntULE)
  ICMP(GE_S, GE_S, LLVMIntSGE)
  ICMP(GE_U, GE_U, LLVMIntUGE)
#undef ICMP

  /* --- float comparisons (ordered, except ne which is true on NaN) ----- */
#define FCMP(A, P)                                                             \
  case FE_OP_F32_##A: case FE_OP_F64_##A:                                      \
    y = jit_pop(f);                                                            \
    x = jit_pop(f);                                                            \
    jit_push(f, to_i32(f, LLVMBuildFCmp(b, P, x, y, "")));                     \
    return true;
  FCMP(EQ, LLVMRealOEQ)
  FCMP(NE, LLVMRealUNE)
  FCMP(LT, LLVMRealOLT)
  FCMP(GT, LLVMRealOGT)
  FCMP(LE, LLVMRealOLE)
  FCMP(GE, LLVMRealOGE)
#undef FCMP

  /* --- integer arithmetic --------------------------------------------- */
  case FE_OP_I32_CLZ: case FE_OP_I64_CLZ:
    jit_push(f, count_bits(f, "llvm.ctlz", jit_pop(f)));
    return true;
  case FE_OP_I32_CTZ: case FE_OP_I64_CTZ:
    jit_push(f, count_bits(f, "llvm.cttz", jit_pop(f)));
    return true;
  case FE_OP_I32_POPCNT: case FE_OP_I64_POPCNT:
    jit_push(f, unary_intrinsic(f, "llvm.ctpop", jit_pop(f)));
    return true;
#define IBIN(A, BUILD)                                                         \
  case FE_OP_I32_##A: case FE_OP_I64_##A:                                      \
    y = jit_pop(f);                                                            \
    x = jit_pop(f);                                                            \
    jit_push(f, BUILD(b, x, y, ""));                                           \
    return true;
  IBIN(ADD, LLVMBuildAdd)
  IBIN(SUB, LLVMBuildSub)
  IBIN(MUL, LLVMBuildMul)
  IBIN(AND, LLVMBuildAnd)
  IBIN(OR, LLVMBuildOr)
  IBIN(XOR, LLVMBuildXor)
#undef IBIN
  case FE_OP_I32_DIV_S: case FE_OP_I64_DIV_S: case FE_OP_I32_DIV_U:
  case FE_OP_I64_DIV_U: case FE_OP_I32_REM_S: case FE_OP_I64_REM_S:
  case FE_OP_I32_REM_U: case FE_OP_I64_REM_U:
    y = jit_pop(f);
    x = jit_pop(f);
    jit_push(f, int_div_rem(f, op, x, y));
    return true;
  case FE_OP_I32_SHL: case FE_OP_I64_SHL: case FE_OP_I32_SHR_S:
  case FE_OP_I64_SHR_S: case FE_OP_I32_SHR_U: case FE_OP_I64_SHR_U:
  case FE_OP_I32_ROTL: case FE_OP_I64_ROTL: case FE_OP_I32_ROTR:
  case FE_OP_I64_ROTR:
    y = jit_pop(f);
    x = jit_pop(f);
    jit_push(f, shift(f, op, x, y));
    return true;

  /* --- float arithmetic ------------------------------------------------ */
#define FUN(A, NAME)                                                           \
  case FE_OP_F32_##A: case FE_OP_F64_##A:                                      \
    jit_push(f, unary_intrinsic(f, NAME, jit_pop(f)));                         \
    return true;
  FUN(ABS, "llvm.fabs")
  FUN(CEIL, "llvm.ceil")
  FUN(FLOOR, "llvm.floor")
  FUN(TRUNC, "llvm.trunc")
  FUN(NEAREST, "llvm.roundeven")
  FUN(SQRT, "llvm.sqrt")
#undef FUN
  case FE_OP_F32_NEG: case FE_OP_F64_NEG:
    jit_push(f, LLVMBuildFNeg(b, jit_pop(f), ""));
    return true;
#define FBIN(A, BUILD)                                                         \
  case FE_OP_F32_##A: case FE_OP_F64_##A:                                      \
    y = jit_pop(f);                                                            \
    x = jit_pop(f);                                                            \
    jit_push(f, quiet_identity(f, op, BUILD(b, x, y, ""), x, y));              \
    return true;
  FBIN(ADD, LLVMBuildFAdd)
  FBIN(SUB, LLVMBuildFSub)
  FBIN(MUL, LLVMBuildFMul)
  FBIN(DIV, LLVMBuildFDiv)
#undef FBIN
  case FE_OP_F32_MIN: case FE_OP_F64_MIN:
  case FE_OP_F32_MAX: case FE_OP_F64_MAX: {
    y = jit_pop(f);
    x = jit_pop(f);
    bool is_min = op == FE_OP_F32_MIN || op == FE_OP_F64_MIN;
    LLVMValueRef r = binary_intrinsic(f, is_min ? "llvm.minimum" : "llvm.maximum", x, y);
    /* llvm.minimum/maximum return a NaN operand as it is, signalling or
     * not; Wasm wants a quiet NaN: x + y is one whenever either is NaN */
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, x, y, "");
    jit_push(f, LLVMBuildSelect(b, nan, LLVMBuildFAdd(b, x, y, ""), r, ""));
    return true;
  }
  case FE_OP_F32_COPYSIGN: case FE_OP_F64_COPYSIGN:
    y = jit_pop(f);
    x = jit_pop(f);
    jit_push(f, binary_intrinsic(f, "llvm.copysign", x, y));
    return true;

  /* --- conversions ----------------------------------------------------- */
  case FE_OP_I32_WRAP_I64:
    jit_push(f, LLVMBuildTrunc(b, jit_pop(f), jm->t_i32, ""));
    return true;
  case FE_OP_I64_EXTEND_I32_S:
    jit_push(f, LLVMBuildSExt(b, jit_pop(f), jm->t_i64, ""));
    return true;
  case FE_OP_I64_EXTEND_I32_U:
    jit_push(f, LLVMBuildZExt(b, jit_pop(f), jm->t_i64, ""));
    return true;
  case FE_OP_I32_TRUNC_F32_S: case FE_OP_I32_TRUNC_F64_S:
    jit_push(f, trunc_checked(f, jit_pop(f), jm->t_i32, true));
    return true;
  case FE_OP_I32_TRUNC_F32_U: case FE_OP_I32_TRUNC_F64_U:
    jit_push(f, trunc_checked(f, jit_pop(f), jm->t_i32, false));
    return true;
  case FE_OP_I64_TRUNC_F32_S: case FE_OP_I64_TRUNC_F64_S:
    jit_push(f, trunc_checked(f, jit_pop(f), jm->t_i64, true));
    return true;
  case FE_OP_I64_TRUNC_F32_U: case FE_OP_I64_TRUNC_F64_U:
    jit_push(f, trunc_checked(f, jit_pop(f), jm->t_i64, false));
    return true;
  case FE_OP_I32_TRUNC_SAT_F32_S: case FE_OP_I32_TRUNC_SAT_F64_S:
    jit_push(f, trunc_sat(f, jit_pop(f), jm->t_i32, true));
    return true;
  case FE_OP_I32_TRUNC_SAT_F32_U: case FE_OP_I32_TRUNC_SAT_F64_U:
    jit_push(f, trunc_sat(f, jit_pop(f), jm->t_i32, false));
    return true;
  case FE_OP_I64_TRUNC_SAT_F32_S: case FE_OP_I64_TRUNC_SAT_F64_S:
    jit_push(f, trunc_sat(f, jit_pop(f), jm->t_i64, true));
    return true;
  case FE_OP_I64_TRUNC_SAT_F32_U: case FE_OP_I64_TRUNC_SAT_F64_U:
    jit_push(f, trunc_sat(f, jit_pop(f), jm->t_i64, false));
    return true;
  case FE_OP_F32_CONVERT_I32_S: case FE_OP_F32_CONVERT_I64_S:
    jit_push(f, LLVMBuildSIToFP(b, jit_pop(f), jm->t_f32, ""));
    return true;
  case FE_OP_F32_CONVERT_I32_U: case FE_OP_F32_CONVERT_I64_U:
    jit_push(f, LLVMBuildUIToFP(b, jit_pop(f), jm->t_f32, ""));
    return true;
  case FE_OP_F64_CONVERT_I32_S: case FE_OP_F64_CONVERT_I64_S:
    jit_push(f, LLVMBuildSIToFP(b, jit_pop(f), jm->t_f64, ""));
    return true;
  case FE_OP_F64_CONVERT_I32_U: case FE_OP_F64_CONVERT_I64_U:
    jit_push(f, LLVMBuildUIToFP(b, jit_pop(f), jm->t_f64, ""));
    return true;
  case FE_OP_F32_DEMOTE_F64: {
    x = jit_pop(f);
    LLVMValueRef r = LLVMBuildFPTrunc(b, x, jm->t_f32, "");
    /* demote(promote(x)) folds to x, which would keep a signalling NaN */
    if (LLVMIsAInstruction(x) && LLVMGetInstructionOpcode(x) == LLVMFPExt)
      r = quiet_nan(f, r);
    jit_push(f, r);
    return true;
  }
  case FE_OP_F64_PROMOTE_F32:
    jit_push(f, LLVMBuildFPExt(b, jit_pop(f), jm->t_f64, ""));
    return true;
  case FE_OP_I32_REINTERPRET_F32:
    jit_push(f, LLVMBuildBitCast(b, jit_pop(f), jm->t_i32, ""));
    return true;
  case FE_OP_I64_REINTERPRET_F64:
    jit_push(f, LLVMBuildBitCast(b, jit_pop(f), jm->t_i64, ""));
    return true;
  case FE_OP_F32_REINTERPRET_I32:
    jit_push(f, LLVMBuildBitCast(b, jit_pop(f), jm->t_f32, ""));
    return true;
  case FE_OP_F64_REINTERPRET_I64:
    jit_push(f, LLVMBuildBitCast(b, jit_pop(f), jm->t_f64, ""));
    return true;
#define SEXT(OP, NARROW, WIDE)                                                 \
  case OP:                                                                     \
    x = LLVMBuildTrunc(b, jit_pop(f), jm->NARROW, "");                         \
    jit_push(f, LLVMBuildSExt(b, x, jm->WIDE, ""));                            \
    return true;
  SEXT(FE_OP_I32_EXTEND8_S, t_i8, t_i32)
  SEXT(FE_OP_I32_EXTEND16_S, t_i16, t_i32)
  SEXT(FE_OP_I64_EXTEND8_S, t_i8, t_i64)
  SEXT(FE_OP_I64_EXTEND16_S, t_i16, t_i64)
  SEXT(FE_OP_I64_EXTEND32_S, t_i32, t_i64)
#undef SEXT
  default:
    return false;
  }
}
