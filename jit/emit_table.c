/* jit/emit_table.c — references (ref.null, ref.is_null, ref.as_non_null,
 * ref.func) and tables (table.get/set/size inline; grow, fill, copy, init and
 * elem.drop through builtins).
 *
 * A funcref is a pointer to a vm_funcref: a defined function's record lives
 * in this instance's vmctx, an imported one's in the exporter's.  Other
 * references are 32-bit GC references (0 is null).  Stores of GC references
 * into tables go through the write-barrier builtin, never inline
 * (DESIGN.md: one barrier path for everyone).
 */
#include "emit.h"

#include "frontend/decode.h"

static bool funcref_table(jit_func *f, uint32_t t) {
  return LLVMGetTypeKind(jit_type(f->jm, f->jm->m->tables[t].elem)) == LLVMPointerTypeKind;
}

/* The vm_table record of table t, and its length. */
static LLVMValueRef table_record(jit_func *f, uint32_t t) {
  return jit_load_vmctx(f, vm_off_table(f->jm->layout, t), f->jm->t_ptr, "table");
}
static LLVMValueRef table_length(jit_func *f, LLVMValueRef rec) {
  jit_module *jm = f->jm;
  LLVMValueRef off = LLVMConstInt(jm->t_i64, offsetof(vm_table, length), 0);
  return jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_i64, LLVMBuildGEP2(f->b, jm->t_i8, rec, &off, 1, ""),
                                    "table.length"),
                 JIT_ALIAS_VM);
}

/* A table index operand as i64 (table64 indices are already). */
static LLVMValueRef index64(jit_func *f, uint32_t t, LLVMValueRef i) {
  return f->jm->m->tables[t].lim.is64 ? i : LLVMBuildZExt(f->b, i, f->jm->t_i64, "");
}

/* The address of element i of table t, after the bounds check. */
static LLVMValueRef element(jit_func *f, uint32_t t, LLVMValueRef i) {
  jit_module *jm = f->jm;
  LLVMValueRef rec = table_record(f, t);
  LLVMValueRef i64 = index64(f, t, i);
  jit_trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, i64, table_length(f, rec), ""),
              VM_TRAP_TABLE_OOB);
  LLVMValueRef base = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_ptr, rec, "table.base"), JIT_ALIAS_VM);
  LLVMTypeRef et = funcref_table(f, t) ? jm->t_ptr : jm->t_i32;
  return LLVMBuildGEP2(f->b, et, base, &i64, 1, "elem");
}

static LLVMValueRef u32c(jit_func *f, uint32_t v) { return LLVMConstInt(f->jm->t_i32, v, 0); }

bool jit_emit_table(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  LLVMTypeRef P = jm->t_ptr, I32 = jm->t_i32, I64 = jm->t_i64;
  switch (op) {
  case FE_OP_REF_NULL: {
    fe_valtype t = fe_read_heaptype(&f->r, m->ntypes, true);
    jit_push(f, LLVMConstNull(jit_type(jm, t)));
    return true;
  }
  case FE_OP_REF_EQ: {
    /* eqref operands: 32-bit GC references (i31 included) compare as bits */
    LLVMValueRef y = jit_pop(f), x = jit_pop(f);
    jit_push(f, LLVMBuildZExt(f->b, LLVMBuildICmp(f->b, LLVMIntEQ, x, y, ""), I32, ""));
    return true;
  }
  case FE_OP_REF_IS_NULL: {
    LLVMValueRef v = jit_pop(f);
    LLVMValueRef z = LLVMBuildIsNull(f->b, v, "");
    jit_push(f, LLVMBuildZExt(f->b, z, I32, ""));
    return true;
  }
  case FE_OP_REF_AS_NON_NULL:
    /* funcref (pointer) or GC reference (i32): null is zero in both */
    jit_trap_if(f, LLVMBuildIsNull(f->b, jit_top(f), ""), VM_TRAP_NULL_REF);
    return true;
  case FE_OP_REF_FUNC: {
    uint32_t x = fe_read_u32(&f->r);
    if (x < m->nfunc_imports)
      jit_push(f, jit_load_vmctx(f, vm_off_func_import(jm->layout, x), P, "funcref"));
    else
      jit_push(f, jit_vmctx_addr(f, vm_off_func(jm->layout, x - m->nfunc_imports), "funcref"));
    return true;
  }
  case FE_OP_TABLE_GET: {
    uint32_t t = fe_read_u32(&f->r);
    LLVMValueRef p = element(f, t, jit_pop(f));
    jit_push(f, jit_tag(jm, LLVMBuildLoad2(f->b, funcref_table(f, t) ? P : I32, p, ""),
                        JIT_ALIAS_TABLE));
    return true;
  }
  case FE_OP_TABLE_SET: {
    uint32_t t = fe_read_u32(&f->r);
    LLVMValueRef v = jit_pop(f);
    LLVMValueRef i = jit_pop(f);
    if (funcref_table(f, t)) {
      jit_tag(jm, LLVMBuildStore(f->b, v, element(f, t, i)), JIT_ALIAS_TABLE);
      LLVMValueRef off = LLVMConstInt(jm->t_i64, offsetof(vm_table, dirty), 0);
      LLVMValueRef d = LLVMBuildGEP2(f->b, jm->t_i8, table_record(f, t), &off, 1, "");
      jit_tag(jm, LLVMBuildStore(f->b, LLVMConstInt(I64, 1, 0), d), JIT_ALIAS_VM);
    } else {
      LLVMValueRef args[4] = {f->vmctx, u32c(f, t), index64(f, t, i), jit_ref_bits(f, v)};
      LLVMTypeRef types[4] = {P, I32, I64, I64};
      jit_builtin(f, VM_BI_TABLE_SET, jm->t_void, args, types, 4);
    }
    return true;
  }
  case FE_OP_TABLE_SIZE: {
    uint32_t t = fe_read_u32(&f->r);
    LLVMValueRef n = table_length(f, table_record(f, t));
    jit_push(f, m->tables[t].lim.is64 ? n : LLVMBuildTrunc(f->b, n, I32, ""));
    return true;
  }
  case FE_OP_TABLE_GROW: {
    uint32_t t = fe_read_u32(&f->r);
    LLVMValueRef delta = index64(f, t, jit_pop(f));
    LLVMValueRef init = jit_ref_bits(f, jit_pop(f));
    LLVMValueRef args[4] = {f->vmctx, u32c(f, t), delta, init};
    LLVMTypeRef types[4] = {P, I32, I64, I64};
    LLVMValueRef old = jit_builtin(f, VM_BI_TABLE_GROW, I64, args, types, 4);
    jit_push(f, m->tables[t].lim.is64 ? old : LLVMBuildTrunc(f->b, old, I32, ""));
    return true;
  }
  case FE_OP_TABLE_FILL: {
    uint32_t t = fe_read_u32(&f->r);
    LLVMValueRef n = index64(f, t, jit_pop(f));
    LLVMValueRef v = jit_ref_bits(f, jit_pop(f));
    LLVMValueRef i = index64(f, t, jit_pop(f));
    LLVMValueRef args[5] = {f->vmctx, u32c(f, t), i, v, n};
    LLVMTypeRef types[5] = {P, I32, I64, I64, I64};
    jit_builtin(f, VM_BI_TABLE_FILL, jm->t_void, args, types, 5);
    return true;
  }
  case FE_OP_TABLE_COPY: {
    uint32_t d = fe_read_u32(&f->r), s = fe_read_u32(&f->r);
    bool n64 = m->tables[d].lim.is64 && m->tables[s].lim.is64;
    LLVMValueRef n = jit_pop(f);
    if (!n64)
      n = LLVMBuildZExt(f->b, n, I64, "");
    LLVMValueRef si = index64(f, s, jit_pop(f));
    LLVMValueRef di = index64(f, d, jit_pop(f));
    LLVMValueRef args[6] = {f->vmctx, u32c(f, d), u32c(f, s), di, si, n};
    LLVMTypeRef types[6] = {P, I32, I32, I64, I64, I64};
    jit_builtin(f, VM_BI_TABLE_COPY, jm->t_void, args, types, 6);
    return true;
  }
  case FE_OP_TABLE_INIT: {
    uint32_t e = fe_read_u32(&f->r), t = fe_read_u32(&f->r);
    LLVMValueRef n = jit_pop(f);
    LLVMValueRef s = jit_pop(f);
    LLVMValueRef d = index64(f, t, jit_pop(f));
    LLVMValueRef args[6] = {f->vmctx, u32c(f, t), u32c(f, e), d, s, n};
    LLVMTypeRef types[6] = {P, I32, I32, I64, I32, I32};
    jit_builtin(f, VM_BI_TABLE_INIT, jm->t_void, args, types, 6);
    return true;
  }
  case FE_OP_ELEM_DROP: {
    LLVMValueRef args[2] = {f->vmctx, u32c(f, fe_read_u32(&f->r))};
    LLVMTypeRef types[2] = {P, I32};
    jit_builtin(f, VM_BI_ELEM_DROP, jm->t_void, args, types, 2);
    return true;
  }
  default:
    return false;
  }
}
