/* jit/emit_init.c — the module's compiled instantiation: kiln_init(vmctx).
 *
 * The instance creates its objects (memories, tables with null elements,
 * global slots, element-segment storage, data-segment records, function
 * references), applies the module's images (vm/image.h: what is constant
 * was evaluated once, and the request's fold says what that covers), and
 * then calls kiln_init, which performs the rest of the spec's
 * initialization in order:
 *   1. each defined table with an initializer expression, filled with it
 *      (such an expression sees the imported globals only: validation);
 *   2. each defined global's initializer, in order (a constant expression
 *      may read any preceding global, imported or defined);
 *   3. every element segment's items evaluated into the segment's storage;
 *   4. active element segments applied with table.init (bounds-checked:
 *      a trap stops initialization where it is) and dropped; declarative
 *      segments dropped;
 *   5. in a function of its own, kiln_data: active data segments applied
 *      with memory.init and dropped.
 * Folded parts are skipped: globals whose value is in the vmctx image,
 * tables whose contents are an image, and, when every active element (data)
 * segment is folded, the element (data) segments, which the image also
 * starts dropped, declarative ones included (they are dropped in their
 * turn among the active ones, so only when none of those can trap).  The
 * start function is called by the instance afterwards.  Constant
 * expressions are lowered with the function-body machinery (JIT_EXPR
 * frames), so every instruction a constant expression may use is compiled
 * the same way everywhere; LLVM folds what is constant.
 *
 * Every store of a GC reference (a reference type outside the func
 * hierarchy, lowered as i32) goes through a write-barrier builtin: globals
 * through VM_BI_GLOBAL_SET_REF, segment items through VM_BI_ELEM_SET_REF,
 * tables through VM_BI_TABLE_FILL / VM_BI_TABLE_INIT.  Funcrefs are plain
 * stores.
 */
#include "emit.h"

#include <stdlib.h>
#include <string.h>

static LLVMValueRef u32c(jit_func *f, uint32_t v) { return LLVMConstInt(f->jm->t_i32, v, 0); }

/* A table or memory offset as i64. */
static LLVMValueRef offset64(jit_func *f, LLVMValueRef v) {
  return LLVMTypeOf(v) == f->jm->t_i64 ? v : LLVMBuildZExt(f->b, v, f->jm->t_i64, "");
}

/* Whether a value of type vt is a GC reference (counted when stored). */
static bool is_gc_ref(jit_func *f, fe_valtype vt, LLVMValueRef v) {
  return FE_VT_IS_REF(vt) && LLVMTypeOf(v) == f->jm->t_i32;
}

/* What the fold leaves to the images. */
static bool global_folded(const jit_module *jm, uint32_t g) {
  return jm->fold && jm->fold->globals[g - jm->m->nglobal_imports];
}
static bool table_folded(const jit_module *jm, uint32_t t) {
  return jm->fold && jm->fold->tables[t];
}
/* Element segment i is neither evaluated nor applied by the routine. */
static bool elem_skipped(const jit_module *jm, const fe_elem *e) {
  return jm->fold && jm->fold->elems && e->mode != FE_SEG_PASSIVE;
}

static void init_globals(jit_func *f) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  for (uint32_t g = m->nglobal_imports; g < m->nglobals; g++) {
    if (global_folded(jm, g))
      continue;
    LLVMValueRef v = jit_emit_expr(f, m->globals[g].init);
    uint32_t off = vm_off_global(jm->layout, g - m->nglobal_imports);
    LLVMValueRef slot = jit_vmctx_addr(f, off, "global");
    if (is_gc_ref(f, m->globals[g].type, v)) {
      LLVMValueRef args[3] = {f->vmctx, slot, v};
      LLVMTypeRef types[3] = {jm->t_ptr, jm->t_ptr, jm->t_i32};
      jit_builtin(f, VM_BI_GLOBAL_SET_REF, jm->t_void, args, types, 3);
    } else {
      jit_tag(jm, LLVMBuildStore(f->b, v, slot), JIT_ALIAS_GLOBAL);
    }
  }
}

static void init_tables(jit_func *f) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  for (uint32_t t = m->ntable_imports; t < m->ntables; t++) {
    if (!m->tables[t].has_init || table_folded(jm, t))
      continue;
    LLVMValueRef v = jit_ref_bits(f, jit_emit_expr(f, m->tables[t].init));
    LLVMValueRef rec = jit_load_vmctx(f, vm_off_table(jm->layout, t), jm->t_ptr, "table");
    LLVMValueRef loff = LLVMConstInt(jm->t_i64, offsetof(vm_table, length), 0);
    LLVMValueRef n = LLVMBuildLoad2(f->b, jm->t_i64,
                                    LLVMBuildGEP2(f->b, jm->t_i8, rec, &loff, 1, ""), "");
    LLVMValueRef args[5] = {f->vmctx, u32c(f, t), LLVMConstInt(jm->t_i64, 0, 0), v, n};
    LLVMTypeRef types[5] = {jm->t_ptr, jm->t_i32, jm->t_i64, jm->t_i64, jm->t_i64};
    jit_builtin(f, VM_BI_TABLE_FILL, jm->t_void, args, types, 5);
  }
}

/* The value of item k of element segment e. */
static LLVMValueRef elem_item(jit_func *f, const fe_elem *e, uint32_t k) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  if (e->exprs)
    return jit_emit_expr(f, e->exprs[k]);
  uint32_t x = e->funcs[k];
  if (x < m->nfunc_imports)
    return jit_load_vmctx(f, vm_off_func_import(jm->layout, x), jm->t_ptr, "funcref");
  return jit_vmctx_addr(f, vm_off_func(jm->layout, x - m->nfunc_imports), "funcref");
}

static void init_elem_items(jit_func *f) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const fe_elem *e = &m->elems[i];
    if (e->count == 0 || elem_skipped(jm, e))
      continue;
    LLVMValueRef items = jit_load_vmctx(f, vm_off_elem(jm->layout, i), jm->t_ptr, "items");
    for (uint32_t k = 0; k < e->count; k++) {
      LLVMValueRef item = elem_item(f, e, k);
      if (is_gc_ref(f, e->type, item)) {
        LLVMValueRef args[4] = {f->vmctx, u32c(f, i), u32c(f, k), item};
        LLVMTypeRef types[4] = {jm->t_ptr, jm->t_i32, jm->t_i32, jm->t_i32};
        jit_builtin(f, VM_BI_ELEM_SET_REF, jm->t_void, args, types, 4);
        continue;
      }
      LLVMValueRef v = jit_ref_bits(f, item);
      LLVMValueRef idx = LLVMConstInt(jm->t_i64, k, 0);
      LLVMBuildStore(f->b, v, LLVMBuildGEP2(f->b, jm->t_i64, items, &idx, 1, ""));
    }
  }
}

static void apply_elems(jit_func *f) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  LLVMTypeRef drop_types[2] = {jm->t_ptr, jm->t_i32};
  for (uint32_t i = 0; i < m->nelems; i++) {
    const fe_elem *e = &m->elems[i];
    if (e->mode == FE_SEG_PASSIVE || elem_skipped(jm, e))
      continue;
    if (e->mode == FE_SEG_ACTIVE) {
      LLVMValueRef d = offset64(f, jit_emit_expr(f, e->offset));
      LLVMValueRef args[6] = {f->vmctx, u32c(f, e->table), u32c(f, i), d, u32c(f, 0),
                              u32c(f, e->count)};
      LLVMTypeRef types[6] = {jm->t_ptr, jm->t_i32, jm->t_i32, jm->t_i64, jm->t_i32, jm->t_i32};
      jit_builtin(f, VM_BI_TABLE_INIT, jm->t_void, args, types, 6);
    }
    LLVMValueRef dargs[2] = {f->vmctx, u32c(f, i)};
    jit_builtin(f, VM_BI_ELEM_DROP, jm->t_void, dargs, drop_types, 2);
  }
}

static void apply_datas(jit_func *f) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  if (jm->fold && jm->fold->datas)
    return;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const fe_data *d = &m->datas[i];
    if (d->mode != FE_SEG_ACTIVE)
      continue;
    LLVMValueRef off = jit_emit_expr(f, d->offset);
    jit_memory_init(f, i, d->memory, off, LLVMConstInt(jm->t_i64, 0, 0),
                    LLVMConstInt(jm->t_i64, d->bytes.len, 0));
    jit_data_drop(f, i);
  }
}

/* A routine void name(ptr vmctx) whose body is emit(f). */
static void emit_routine(jit_module *jm, const char *name, void (*emit)(jit_func *)) {
  LLVMTypeRef param = jm->t_ptr;
  LLVMValueRef fn = LLVMAddFunction(jm->mod, name, LLVMFunctionType(jm->t_void, &param, 1, 0));
  LLVMSetVisibility(fn, LLVMHiddenVisibility);
  jit_set_function_attrs(jm, fn);
  jit_func *f = calloc(1, sizeof *f);
  if (!f)
    abort();
  jm->cur = f;
  f->jm = jm;
  f->b = jm->b;
  f->fn = fn;
  f->index = FE_NO_INDEX;
  LLVMPositionBuilderAtEnd(f->b, LLVMAppendBasicBlockInContext(jm->ctx, fn, "entry"));
  f->vmctx = LLVMGetParam(fn, 0);
  emit(f);
  LLVMBuildRetVoid(f->b);
  jm->cur = NULL;
  jit_func_release(f);
}

static void emit_init_body(jit_func *f) {
  init_tables(f);
  init_globals(f);
  init_elem_items(f);
  apply_elems(f);
}

void jit_emit_init(jit_module *jm) {
  emit_routine(jm, "kiln_init", emit_init_body);
  emit_routine(jm, "kiln_data", apply_datas);
}
