/* jit/emit_variable.c — locals, globals, drop and select.
 *
 * Locals are allocas that mem2reg turns into SSA values.  Defined globals
 * live inline in vmctx (16-byte slots); imported ones through a pointer to
 * the exporter's slot (vmctx.h).  global.set of a GC reference (any
 * reference type outside the func hierarchy: an i32) goes through the
 * write-barrier builtin VM_BI_GLOBAL_SET_REF, never inline (DESIGN.md: one
 * barrier path for everyone); funcrefs are not GC objects.
 */
#include "emit.h"

#include "frontend/decode.h"

/* The address of global `g`'s slot. */
static LLVMValueRef global_slot(jit_func *f, uint32_t g) {
  const fe_module *m = f->jm->m;
  const vm_layout *l = f->jm->layout;
  if (g < m->nglobal_imports)
    return jit_load_vmctx(f, vm_off_global_ptr(l, g), f->jm->t_ptr, "global.ptr");
  return jit_vmctx_addr(f, vm_off_global(l, g - m->nglobal_imports), "global");
}

/* Stores v into global g's slot: through the barrier builtin for a GC
 * reference. */
static void jit_global_store(jit_func *f, uint32_t g, LLVMValueRef v, LLVMValueRef slot) {
  jit_module *jm = f->jm;
  fe_valtype vt = jm->m->globals[g].type;
  if (FE_VT_IS_REF(vt) && LLVMTypeOf(v) == jm->t_i32) {
    LLVMValueRef args[3] = {f->vmctx, slot, v};
    LLVMTypeRef types[3] = {jm->t_ptr, jm->t_ptr, jm->t_i32};
    jit_builtin(f, VM_BI_GLOBAL_SET_REF, jm->t_void, args, types, 3);
    return;
  }
  jit_tag(jm, LLVMBuildStore(f->b, v, slot), JIT_ALIAS_GLOBAL);
}

bool jit_emit_variable(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  switch (op) {
  case FE_OP_LOCAL_GET: {
    uint32_t x = fe_read_u32(&f->r);
    jit_push(f, LLVMBuildLoad2(f->b, jit_type(jm, f->local_types[x]), f->locals[x], ""));
    return true;
  }
  case FE_OP_LOCAL_SET:
    LLVMBuildStore(f->b, jit_pop(f), f->locals[fe_read_u32(&f->r)]);
    return true;
  case FE_OP_LOCAL_TEE:
    LLVMBuildStore(f->b, jit_top(f), f->locals[fe_read_u32(&f->r)]);
    return true;
  case FE_OP_GLOBAL_GET: {
    uint32_t g = fe_read_u32(&f->r);
    LLVMTypeRef t = jit_type(jm, jm->m->globals[g].type);
    jit_push(f, jit_tag(jm, LLVMBuildLoad2(f->b, t, global_slot(f, g), ""), JIT_ALIAS_GLOBAL));
    return true;
  }
  case FE_OP_GLOBAL_SET: {
    uint32_t g = fe_read_u32(&f->r);
    jit_global_store(f, g, jit_pop(f), global_slot(f, g));
    return true;
  }
  case FE_OP_DROP:
    (void)jit_pop(f);
    return true;
  case FE_OP_SELECT:
  case FE_OP_SELECT_T: {
    if (op == FE_OP_SELECT_T) {
      uint32_t n = fe_read_u32(&f->r);
      for (uint32_t i = 0; i < n; i++)
        (void)fe_read_valtype(&f->r, jm->m->ntypes);
    }
    LLVMValueRef c = jit_pop(f);
    LLVMValueRef y = jit_pop(f);
    LLVMValueRef x = jit_pop(f);
    LLVMValueRef nz = LLVMBuildICmp(f->b, LLVMIntNE, c, LLVMConstInt(jm->t_i32, 0, 0), "");
    jit_push(f, LLVMBuildSelect(f->b, nz, x, y, ""));
    return true;
  }
  default:
    return false;
  }
}
