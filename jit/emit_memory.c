/* jit/emit_memory.c — loads, stores, memory.size and memory.grow.
 *
 * Every access is bounds-checked explicitly: `addr + offset + size <=
 * length` with 64-bit arithmetic (a 32-bit address plus a 32-bit offset
 * cannot overflow it; for 64-bit memories an offset+size beyond 2^64 traps
 * always).  A trapping access is a branch to a call of the trap builtin,
 * which reads memory in LLVM's model, so no store before it can be moved
 * past it and none after it before it: traps are exact (docs/jit.md).
 * For 32-bit memories the check is in the form LLVM's loop passes can
 * split off a loop (IRCE, multi-exit vectorization; jit/loops.c), so loops
 * run check-free on the iterations that provably stay in bounds.
 * Accesses use alignment 1: Wasm's alignment is a hint.
 */
#include "emit.h"

#include <stdlib.h>

/* The memarg immediate. */
typedef struct memarg {
  uint32_t mem;
  uint64_t offset;
} memarg;

static memarg read_memarg(jit_func *f) {
  memarg a;
  uint32_t flags = fe_read_u32(&f->r);
  a.mem = (flags & 0x40) ? fe_read_u32(&f->r) : 0;
  a.offset = fe_read_u64(&f->r);
  return a;
}

/* The vm_memory record of memory `mem`: the pointer is fixed for the
 * instance's lifetime, so a function loads it once, in its entry block,
 * which keeps the IR of memory-heavy functions small (base and length are
 * loaded at each access: memory.grow in a callee may change them). */
static LLVMValueRef memory_record(jit_func *f, uint32_t mem) {
  uint32_t off = vm_off_memory(f->jm->layout, mem);
  if (!f->entry)
    return jit_load_vmctx(f, off, f->jm->t_ptr, "memory");
  if (!f->mem_recs) {
    f->mem_recs = calloc(f->jm->m->nmems, sizeof *f->mem_recs);
    if (!f->mem_recs)
      abort();
  }
  if (!f->mem_recs[mem]) {
    LLVMBasicBlockRef here = LLVMGetInsertBlock(f->b);
    LLVMPositionBuilderBefore(f->b, LLVMGetBasicBlockTerminator(f->entry));
    f->mem_recs[mem] = jit_load_vmctx(f, off, f->jm->t_ptr, "memory");
    LLVMPositionBuilderAtEnd(f->b, here);
  }
  return f->mem_recs[mem];
}

static LLVMValueRef memory_length(jit_func *f, LLVMValueRef rec) {
  jit_module *jm = f->jm;
  LLVMValueRef off = LLVMConstInt(jm->t_i64, offsetof(vm_memory, length), 0);
  return jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_i64, LLVMBuildGEP2(f->b, jm->t_i8, rec, &off, 1, ""),
                                    "mem.length"),
                 JIT_ALIAS_VM);
}

/* max(x - k, 0) for unsigned 64-bit x. */
static LLVMValueRef usub_sat(jit_func *f, LLVMValueRef x, uint64_t k) {
  jit_module *jm = f->jm;
  if (k == 0)
    return x;
  LLVMTypeRef ty = LLVMFunctionType(jm->t_i64, (LLVMTypeRef[]){jm->t_i64, jm->t_i64}, 2, 0);
  unsigned id = LLVMLookupIntrinsicID("llvm.usub.sat", 13);
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(jm->mod, id, (LLVMTypeRef[]){jm->t_i64}, 1);
  LLVMValueRef args[2] = {x, LLVMConstInt(jm->t_i64, k, 0)};
  return LLVMBuildCall2(f->b, ty, fn, args, 2, "limit");
}

/* The checked address of a `size`-byte access at addr + a.offset. */
static LLVMValueRef effective_address(jit_func *f, memarg a, LLVMValueRef addr,
                                      unsigned size) {
  jit_module *jm = f->jm;
  bool is64 = jm->m->mems[a.mem].lim.is64;
  LLVMValueRef rec = memory_record(f, a.mem);
  LLVMValueRef len = memory_length(f, rec);
  LLVMValueRef base = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_ptr, rec, "mem.base"), JIT_ALIAS_VM);
  LLVMValueRef a64 = is64 ? addr : LLVMBuildZExt(f->b, addr, jm->t_i64, "");
  uint64_t end = a.offset + size;
  if (end < a.offset) {
    /* offset + size overflows 64 bits: no address is in bounds */
    LLVMBuildBr(f->b, jit_trap_block(f, VM_TRAP_MEMORY_OOB));
    LLVMBasicBlockRef dead = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "dead");
    LLVMPositionBuilderAtEnd(f->b, dead);
  } else if (!is64) {
    /* in bounds iff addr + offset + size - 1 < length (a 32-bit address
     * plus a 32-bit offset cannot overflow 64 bits), written as one
     * compare of the address itself with a limit, `addr < length -
     * (offset + size - 1)` (0 when the length is shorter): the form of
     * range check IRCE recognizes when addr is an induction variable, the
     * limit being loop-invariant (jit/loops.c) */
    LLVMValueRef limit = usub_sat(f, len, end - 1);
    jit_ok_if(f, LLVMBuildICmp(f->b, LLVMIntULT, a64, limit, "inbounds"), VM_TRAP_MEMORY_OOB);
  } else {
    LLVMValueRef endv = LLVMConstInt(jm->t_i64, end, 0);
    LLVMValueRef short_mem = LLVMBuildICmp(f->b, LLVMIntULT, len, endv, "");
    LLVMValueRef past = LLVMBuildICmp(f->b, LLVMIntUGT, a64,
                                      LLVMBuildSub(f->b, len, endv, ""), "");
    jit_trap_if(f, LLVMBuildOr(f->b, short_mem, past, ""), VM_TRAP_MEMORY_OOB);
  }
  LLVMValueRef ea = LLVMBuildAdd(f->b, a64, LLVMConstInt(jm->t_i64, a.offset, 0), "");
  return LLVMBuildGEP2(f->b, jm->t_i8, base, &ea, 1, "ea");
}

/* The access size is the opcode table's (opcodes.def SIZE column). */
static void load(jit_func *f, fe_opcode op, LLVMTypeRef mem_type, LLVMTypeRef result, int ext) {
  memarg a = read_memarg(f);
  LLVMValueRef p = effective_address(f, a, jit_pop(f), fe_op_info(op)->size);
  LLVMValueRef v = jit_tag(f->jm, LLVMBuildLoad2(f->b, mem_type, p, ""), JIT_ALIAS_LINEAR);
  LLVMSetAlignment(v, 1);
  if (ext > 0)
    v = LLVMBuildSExt(f->b, v, result, "");
  else if (ext < 0)
    v = LLVMBuildZExt(f->b, v, result, "");
  jit_push(f, v);
}

static void store(jit_func *f, fe_opcode op, LLVMTypeRef mem_type) {
  memarg a = read_memarg(f);
  LLVMValueRef v = jit_pop(f);
  LLVMTypeRef vt = LLVMTypeOf(v);
  LLVMValueRef p = effective_address(f, a, jit_pop(f), fe_op_info(op)->size);
  if (vt != mem_type)
    v = LLVMBuildTrunc(f->b, v, mem_type, "");
  LLVMValueRef s = jit_tag(f->jm, LLVMBuildStore(f->b, v, p), JIT_ALIAS_LINEAR);
  LLVMSetAlignment(s, 1);
}

/* Traps unless [start, start + n) lies within [0, len) (64-bit, without
 * overflow: n > len or start > len - n is out of bounds). */
static void check_range(jit_func *f, LLVMValueRef start, LLVMValueRef n, LLVMValueRef len) {
  LLVMValueRef too_long = LLVMBuildICmp(f->b, LLVMIntUGT, n, len, "");
  LLVMValueRef past = LLVMBuildICmp(f->b, LLVMIntUGT, start, LLVMBuildSub(f->b, len, n, ""), "");
  jit_trap_if(f, LLVMBuildOr(f->b, too_long, past, ""), VM_TRAP_MEMORY_OOB);
}

static LLVMValueRef addr64(jit_func *f, uint32_t mem, LLVMValueRef a) {
  return f->jm->m->mems[mem].lim.is64 ? a : LLVMBuildZExt(f->b, a, f->jm->t_i64, "");
}

static LLVMValueRef at(jit_func *f, LLVMValueRef base, LLVMValueRef off) {
  return LLVMBuildGEP2(f->b, f->jm->t_i8, base, &off, 1, "");
}

void jit_memory_init(jit_func *f, uint32_t seg, uint32_t mem, LLVMValueRef d,
                     LLVMValueRef s, LLVMValueRef n) {
  jit_module *jm = f->jm;
  LLVMTypeRef I64 = jm->t_i64;
  LLVMValueRef da = addr64(f, mem, d);
  LLVMValueRef rec = memory_record(f, mem);
  LLVMValueRef dataptr = jit_vmctx_addr(f, vm_off_data(jm->layout, seg), "data");
  LLVMValueRef loff = LLVMConstInt(I64, offsetof(vm_data, len), 0);
  LLVMValueRef dlen = LLVMBuildLoad2(f->b, I64, at(f, dataptr, loff), "data.len");
  check_range(f, s, n, dlen);
  check_range(f, da, n, memory_length(f, rec));
  LLVMValueRef src = at(f, LLVMBuildLoad2(f->b, jm->t_ptr, dataptr, "data.ptr"), s);
  LLVMBuildMemCpy(f->b, at(f, LLVMBuildLoad2(f->b, jm->t_ptr, rec, ""), da), 1, src, 1, n);
}

void jit_data_drop(jit_func *f, uint32_t seg) {
  jit_module *jm = f->jm;
  LLVMValueRef dataptr = jit_vmctx_addr(f, vm_off_data(jm->layout, seg), "data");
  LLVMValueRef loff = LLVMConstInt(jm->t_i64, offsetof(vm_data, len), 0);
  LLVMBuildStore(f->b, LLVMConstInt(jm->t_i64, 0, 0), at(f, dataptr, loff));
}

/* memory.copy / memory.fill / memory.init / data.drop: checked, then
 * llvm.memmove / memset / memcpy (the whole range is checked first, so a
 * trapping operation writes nothing, as the spec requires). */
static bool bulk(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  LLVMTypeRef I64 = jm->t_i64;
  switch (op) {
  case FE_OP_MEMORY_COPY: {
    uint32_t d = fe_read_u32(&f->r), s = fe_read_u32(&f->r);
    bool n64 = jm->m->mems[d].lim.is64 && jm->m->mems[s].lim.is64;
    LLVMValueRef n = jit_pop(f);
    if (!n64)
      n = LLVMBuildZExt(f->b, n, I64, "");
    LLVMValueRef sa = addr64(f, s, jit_pop(f));
    LLVMValueRef da = addr64(f, d, jit_pop(f));
    LLVMValueRef drec = memory_record(f, d), srec = memory_record(f, s);
    check_range(f, da, n, memory_length(f, drec));
    check_range(f, sa, n, memory_length(f, srec));
    LLVMValueRef dp = at(f, LLVMBuildLoad2(f->b, jm->t_ptr, drec, ""), da);
    LLVMValueRef sp = at(f, LLVMBuildLoad2(f->b, jm->t_ptr, srec, ""), sa);
    LLVMBuildMemMove(f->b, dp, 1, sp, 1, n);
    return true;
  }
  case FE_OP_MEMORY_FILL: {
    uint32_t d = fe_read_u32(&f->r);
    LLVMValueRef n = addr64(f, d, jit_pop(f));
    LLVMValueRef v = LLVMBuildTrunc(f->b, jit_pop(f), jm->t_i8, "");
    LLVMValueRef da = addr64(f, d, jit_pop(f));
    LLVMValueRef rec = memory_record(f, d);
    check_range(f, da, n, memory_length(f, rec));
    LLVMBuildMemSet(f->b, at(f, LLVMBuildLoad2(f->b, jm->t_ptr, rec, ""), da), v, n, 1);
    return true;
  }
  case FE_OP_MEMORY_INIT: {
    uint32_t seg = fe_read_u32(&f->r), d = fe_read_u32(&f->r);
    LLVMValueRef n = LLVMBuildZExt(f->b, jit_pop(f), I64, "");
    LLVMValueRef s = LLVMBuildZExt(f->b, jit_pop(f), I64, "");
    jit_memory_init(f, seg, d, jit_pop(f), s, n);
    return true;
  }
  case FE_OP_DATA_DROP:
    jit_data_drop(f, fe_read_u32(&f->r));
    return true;
  default:
    return false;
  }
}

bool jit_emit_memory(jit_func *f, fe_opcode op) {
  if (bulk(f, op))
    return true;
  jit_module *jm = f->jm;
  switch (op) {
  case FE_OP_I32_LOAD: load(f, op, jm->t_i32, jm->t_i32, 0); return true;
  case FE_OP_I64_LOAD: load(f, op, jm->t_i64, jm->t_i64, 0); return true;
  case FE_OP_F32_LOAD: load(f, op, jm->t_f32, jm->t_f32, 0); return true;
  case FE_OP_F64_LOAD: load(f, op, jm->t_f64, jm->t_f64, 0); return true;
  case FE_OP_I32_LOAD8_S: load(f, op, jm->t_i8, jm->t_i32, 1); return true;
  case FE_OP_I32_LOAD8_U: load(f, op, jm->t_i8, jm->t_i32, -1); return true;
  case FE_OP_I32_LOAD16_S: load(f, op, jm->t_i16, jm->t_i32, 1); return true;
  case FE_OP_I32_LOAD16_U: load(f, op, jm->t_i16, jm->t_i32, -1); return true;
  case FE_OP_I64_LOAD8_S: load(f, op, jm->t_i8, jm->t_i64, 1); return true;
  case FE_OP_I64_LOAD8_U: load(f, op, jm->t_i8, jm->t_i64, -1); return true;
  case FE_OP_I64_LOAD16_S: load(f, op, jm->t_i16, jm->t_i64, 1); return true;
  case FE_OP_I64_LOAD16_U: load(f, op, jm->t_i16, jm->t_i64, -1); return true;
  case FE_OP_I64_LOAD32_S: load(f, op, jm->t_i32, jm->t_i64, 1); return true;
  case FE_OP_I64_LOAD32_U: load(f, op, jm->t_i32, jm->t_i64, -1); return true;
  case FE_OP_I32_STORE: store(f, op, jm->t_i32); return true;
  case FE_OP_I64_STORE: store(f, op, jm->t_i64); return true;
  case FE_OP_F32_STORE: store(f, op, jm->t_f32); return true;
  case FE_OP_F64_STORE: store(f, op, jm->t_f64); return true;
  case FE_OP_I32_STORE8: case FE_OP_I64_STORE8: store(f, op, jm->t_i8); return true;
  case FE_OP_I32_STORE16: case FE_OP_I64_STORE16: store(f, op, jm->t_i16); return true;
  case FE_OP_I64_STORE32: store(f, op, jm->t_i32); return true;
  case FE_OP_MEMORY_SIZE: {
    uint32_t mem = fe_read_u32(&f->r);
    LLVMValueRef pages = LLVMBuildLShr(f->b, memory_length(f, memory_record(f, mem)),
                                       LLVMConstInt(jm->t_i64, 16, 0), "pages");
    if (!jm->m->mems[mem].lim.is64)
      pages = LLVMBuildTrunc(f->b, pages, jm->t_i32, "");
    jit_push(f, pages);
    return true;
  }
  case FE_OP_MEMORY_GROW: {
    uint32_t mem = fe_read_u32(&f->r);
    bool is64 = jm->m->mems[mem].lim.is64;
    LLVMValueRef delta = jit_pop(f);
    if (!is64)
      delta = LLVMBuildZExt(f->b, delta, jm->t_i64, "");
    LLVMTypeRef params[3] = {jm->t_ptr, jm->t_i32, jm->t_i64};
    LLVMTypeRef fnty = LLVMFunctionType(jm->t_i64, params, 3, 0);
    LLVMValueRef args[3] = {f->vmctx, LLVMConstInt(jm->t_i32, mem, 0), delta};
    LLVMValueRef old = jit_call_builtin(f, VM_BI_MEMORY_GROW, fnty, args, 3);
    if (!is64)
      old = LLVMBuildTrunc(f->b, old, jm->t_i32, "");
    jit_push(f, old);
    return true;
  }
  default:
    return false;
  }
}
