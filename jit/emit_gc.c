/* jit/emit_gc.c — the GC proposal's instructions.  So far: array.new_default,
 * which allocates a zeroed array in the store's GC heap through a builtin
 * (gc/gc.h gc_array_new).  Everything else of the GC proposal is reported
 * as unsupported by the dispatcher until the GC issue. */
#include "emit.h"

/* Element size and whether the elements are counted GC references, from
 * an array type's storage type.  Funcref elements are vm_funcref pointers:
 * 8 bytes, not GC objects. */
static void element_layout(jit_module *jm, fe_valtype st, uint32_t *size, bool *refs) {
  *refs = false;
  switch (FE_VT_CODE(st)) {
  case FE_I8: *size = 1; return;
  case FE_I16: *size = 2; return;
  case FE_I32: case FE_F32: *size = 4; return;
  case FE_I64: case FE_F64: *size = 8; return;
  case FE_V128: *size = 16; return;
  default: /* a reference */
    if (LLVMGetTypeKind(jit_type(jm, st)) == LLVMPointerTypeKind) {
      *size = 8;
    } else {
      *size = 4;
      *refs = true;
    }
  }
}

bool jit_emit_gc(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  switch (op) {
  case FE_OP_ARRAY_NEW_DEFAULT: {
    uint32_t x = fe_read_u32(&f->r);
    uint32_t size;
    bool refs;
    element_layout(jm, jm->m->types[x].vt[0], &size, &refs);
    LLVMValueRef length = jit_pop(f);
    /* the canonical id is the engine's, known at run time: from vmctx */
    LLVMValueRef type_id = jit_load_vmctx(f, vm_off_type_id(jm->layout, x), jm->t_i32, "type");
    LLVMValueRef args[5] = {f->vmctx, type_id, LLVMConstInt(jm->t_i32, size, 0),
                            LLVMConstInt(jm->t_i32, refs, 0), length};
    LLVMTypeRef types[5] = {jm->t_ptr, jm->t_i32, jm->t_i32, jm->t_i32, jm->t_i32};
    jit_push(f, jit_builtin(f, VM_BI_ARRAY_NEW_DEFAULT, jm->t_i32, args, types, 5));
    return true;
  }
  default:
    return false;
  }
}
