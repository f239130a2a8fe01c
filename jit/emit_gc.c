/* jit/emit_gc.c — the GC proposal's instructions: structs, arrays, i31,
 * type tests and casts, and the extern/any conversions (docs/jit.md "GC
 * objects").
 *
 * Objects live in the store's GC heap (gc/gc.h); a reference outside the
 * func hierarchy is an i32: 0 null, low bit 1 an i31 (value << 1 | 1), else
 * the offset of an object's 16-byte header from the heap's region base.
 *
 *   * Reads are inline: the region base (from the heap, reached through
 *     vmctx->instance->heap), plus the reference, plus the field's offset.
 *     Struct fields follow the header in declaration order, each aligned
 *     to its size (gc.h, gc_struct_layout); array elements start at
 *     GC_ARRAY_ELEMS, the length is at GC_ARRAY_LENGTH.  Storage sizes:
 *     i8 1, i16 2, i32/f32 4, i64/f64 8, v128 16, GC references 4, funcrefs
 *     8 (vm_funcref pointers, not GC objects).
 *   * Writes of numbers and funcrefs are inline; every GC reference stored
 *     into a field or an element goes through the barrier builtin
 *     (VM_BI_GC_WRITE, gc_write).
 *   * Allocation and the bulk instructions (array.fill/copy/init_*,
 *     array.new_data/elem) are builtins (vm/builtins.c), which allocate
 *     through vm_gc_alloc and write references through the barrier.
 *     Values for them are stored in a scratch area of the frame, so that a
 *     collection's conservative frame scan sees them.
 *   * A struct type's layout (gc_struct_layout) is read-only data of the
 *     module's object, one per type per partition, given to gc_struct_new
 *     (the heap keeps a copy per canonical type id, for tracing).
 *   * Type tests (ref.test, ref.cast, br_on_cast*) compare the header's
 *     canonical type id with the expected one inline, and ask the registry
 *     (VM_BI_FUNC_SUBTYPE) only when they differ and the type is not final.
 *     An externref box seen as anyref (any.convert_extern is the identity)
 *     is an object of kind GC_KIND_EXTERN: any, but not eq, struct, array
 *     or i31.
 */
#include "emit.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "frontend/decode.h"
#include "frontend/types.h"
#include "gc/gc.h"

/* Generated code loads the region base from the heap (at
 * GC_HEAP_BASE_OFFSET, gc/gc.h), which exists whenever a non-null non-i31
 * reference does. */

static LLVMValueRef u32c(jit_func *f, uint32_t v) { return LLVMConstInt(f->jm->t_i32, v, 0); }
static LLVMValueRef u64c(jit_func *f, uint64_t v) { return LLVMConstInt(f->jm->t_i64, v, 0); }

/* ------------------------------------------------------------------------
 * Layouts
 * ---------------------------------------------------------------------- */

/* Whether storage type st holds counted GC references (4 bytes).
 * Funcref-typed storage holds vm_funcref pointers: 8 bytes, not GC
 * objects. */
static bool storage_counted(jit_module *jm, fe_valtype st) {
  return FE_VT_IS_REF(st) && LLVMGetTypeKind(jit_type(jm, st)) != LLVMPointerTypeKind;
}

/* The bytes of storage type st. */
static uint32_t storage_size(jit_module *jm, fe_valtype st) {
  return gc_storage_size(FE_VT_CODE(st), FE_VT_IS_REF(st) && !storage_counted(jm, st));
}

/* The offset of field i of struct type t from the header; for i == t->n,
 * the end of the last field: the struct's size, header included. */
static uint32_t field_offset(jit_module *jm, const fe_type *t, uint32_t i) {
  uint32_t off = (uint32_t)sizeof(gc_header);
  for (uint32_t k = 0;; k++) {
    if (k == t->n)
      return off;
    uint32_t size = storage_size(jm, t->vt[k]);
    off = (off + size - 1) & ~(size - 1);
    if (k == i)
      return off;
    off += size;
  }
}

/* A private constant of the module named `name`, of value init. */
static LLVMValueRef private_constant(jit_module *jm, const char *name, LLVMValueRef init,
                                     unsigned align) {
  LLVMValueRef g = LLVMAddGlobal(jm->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetAlignment(g, align);
  return g;
}

/* The gc_struct_layout of struct type x as a private constant of the
 * module ("kiln.layout.<x>", made on first use): {size, nrefs,
 * ref_offsets}, ref_offsets pointing to a constant array beside it (never
 * null: one unused entry when there are no references, so that a reader
 * may copy nrefs entries from it whatever nrefs is). */
static LLVMValueRef struct_layout(jit_func *f, uint32_t x) {
  jit_module *jm = f->jm;
  char name[40];
  snprintf(name, sizeof name, "kiln.layout.%u", x);
  LLVMValueRef g = LLVMGetNamedGlobal(jm->mod, name);
  if (g)
    return g;
  const fe_type *t = &jm->m->types[x];
  LLVMValueRef *offs = calloc(t->n ? t->n : 1, sizeof *offs);
  if (!offs)
    abort();
  uint32_t nrefs = 0;
  for (uint32_t i = 0; i < t->n; i++)
    if (storage_counted(jm, t->vt[i]))
      offs[nrefs++] = u32c(f, field_offset(jm, t, i));
  if (!nrefs)
    offs[0] = u32c(f, 0);
  char rname[48];
  snprintf(rname, sizeof rname, "kiln.layout.%u.refs", x);
  LLVMValueRef refs =
      private_constant(jm, rname, LLVMConstArray2(jm->t_i32, offs, nrefs ? nrefs : 1), 4);
  free(offs);
  LLVMValueRef fields[3] = {u32c(f, field_offset(jm, t, t->n)), u32c(f, nrefs), refs};
  return private_constant(jm, name, LLVMConstStructInContext(jm->ctx, fields, 3, 0), 8);
}

/* ------------------------------------------------------------------------
 * Addresses, loads and stores
 * ---------------------------------------------------------------------- */

static LLVMValueRef at(jit_func *f, LLVMValueRef p, uint64_t off) {
  LLVMValueRef idx = u64c(f, off);
  return off ? LLVMBuildGEP2(f->b, f->jm->t_i8, p, &idx, 1, "") : p;
}

/* A pointer at byte off of p, in VM data. */
static LLVMValueRef vm_load(jit_func *f, LLVMValueRef p, uint32_t off, const char *name) {
  return jit_tag(f->jm, LLVMBuildLoad2(f->b, f->jm->t_ptr, at(f, p, off), name), JIT_ALIAS_VM);
}

/* The heap's region base: vmctx->instance->heap (the store's cell) ->
 * the heap -> its base.  Only for a heap reference: then the heap exists. */
static LLVMValueRef heap_base(jit_func *f) {
  LLVMValueRef inst = jit_load_vmctx(f, offsetof(vm_vmctx_header, instance), f->jm->t_ptr,
                                     "instance");
  LLVMValueRef cell = vm_load(f, inst, offsetof(vm_instance_head, heap), "heap.cell");
  LLVMValueRef heap = vm_load(f, cell, 0, "heap");
  return vm_load(f, heap, GC_HEAP_BASE_OFFSET, "heap.base");
}

/* The address of byte `off` (i64) of the object at heap reference r. */
static LLVMValueRef object_addr(jit_func *f, LLVMValueRef r, LLVMValueRef off) {
  jit_module *jm = f->jm;
  LLVMValueRef o = LLVMBuildAdd(f->b, LLVMBuildZExt(f->b, r, jm->t_i64, ""), off, "");
  return LLVMBuildGEP2(f->b, jm->t_i8, heap_base(f), &o, 1, "obj");
}

static void null_check(jit_func *f, LLVMValueRef r, vm_trap_code code) {
  jit_trap_if(f, LLVMBuildIsNull(f->b, r, ""), code);
}

/* The LLVM type that storage type st is kept in memory as. */
static LLVMTypeRef memory_type(jit_module *jm, fe_valtype st) {
  switch (FE_VT_CODE(st)) {
  case FE_I8: return jm->t_i8;
  case FE_I16: return jm->t_i16;
  default: return jit_type(jm, st);
  }
}

/* Objects are 16-aligned, fields aligned to their size; array elements
 * start at 24, so a v128 element is only 8-aligned. */
static unsigned access_align(uint32_t size) { return size > 8 ? 8 : size; }

/* Loads a value of storage type st from p, extended to i32 for packed
 * types (signed: get_s). */
static LLVMValueRef load_storage(jit_func *f, LLVMValueRef p, fe_valtype st, bool is_signed) {
  jit_module *jm = f->jm;
  uint32_t size = storage_size(jm, st);
  LLVMValueRef v = LLVMBuildLoad2(f->b, memory_type(jm, st), p, "");
  LLVMSetAlignment(v, access_align(size));
  if (FE_VT_CODE(st) == FE_I8 || FE_VT_CODE(st) == FE_I16)
    v = is_signed ? LLVMBuildSExt(f->b, v, jm->t_i32, "") : LLVMBuildZExt(f->b, v, jm->t_i32, "");
  return v;
}

/* Stores v (the unpacked value) as storage type st at p, without a
 * barrier: numbers, funcrefs, and scratch memory. */
static void store_plain(jit_func *f, LLVMValueRef p, fe_valtype st, LLVMValueRef v) {
  jit_module *jm = f->jm;
  if (FE_VT_CODE(st) == FE_I8 || FE_VT_CODE(st) == FE_I16)
    v = LLVMBuildTrunc(f->b, v, memory_type(jm, st), "");
  LLVMSetAlignment(LLVMBuildStore(f->b, v, p), access_align(storage_size(jm, st)));
}

/* Stores v into a field or element at p: a GC reference through the
 * barrier builtin, anything else inline. */
static void store_field(jit_func *f, LLVMValueRef p, fe_valtype st, LLVMValueRef v) {
  jit_module *jm = f->jm;
  if (!storage_counted(jm, st)) {
    store_plain(f, p, st, v);
    return;
  }
  LLVMValueRef args[3] = {f->vmctx, p, v};
  LLVMTypeRef types[3] = {jm->t_ptr, jm->t_ptr, jm->t_i32};
  jit_builtin(f, VM_BI_GC_WRITE, jm->t_void, args, types, 3);
}

/* A scratch area of at least `size` bytes in the function's frame (an
 * alloca of the entry block, 16-aligned), where values for a builtin are
 * laid out; one per function, made larger when needed. */
static LLVMValueRef scratch(jit_func *f, uint32_t size) {
  jit_module *jm = f->jm;
  if (size <= f->gc_scratch_size)
    return f->gc_scratch;
  size = (size + 15) & ~15u;
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(f->b);
  LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(f->fn);
  LLVMValueRef first = LLVMGetFirstInstruction(entry);
  if (first)
    LLVMPositionBuilderBefore(f->b, first);
  else
    LLVMPositionBuilderAtEnd(f->b, entry);
  f->gc_scratch = LLVMBuildAlloca(f->b, LLVMArrayType2(jm->t_i8, size), "gc.scratch");
  LLVMSetAlignment(f->gc_scratch, 16);
  f->gc_scratch_size = size;
  LLVMPositionBuilderAtEnd(f->b, cur);
  return f->gc_scratch;
}

/* The canonical id of module type x (vmctx). */
static LLVMValueRef canonical_id(jit_func *f, uint32_t x) {
  return jit_load_vmctx(f, vm_off_type_id(f->jm->layout, x), f->jm->t_i32, "type");
}

/* ------------------------------------------------------------------------
 * Type tests
 * ---------------------------------------------------------------------- */

/* The outcomes of a test, meeting in a phi. */
typedef struct test_out {
  LLVMBasicBlockRef done;
  LLVMValueRef vals[6];
  LLVMBasicBlockRef from[6];
  unsigned n;
} test_out;

/* Ends the current block with the outcome v. */
static void test_result(jit_func *f, test_out *o, LLVMValueRef v) {
  o->vals[o->n] = v;
  o->from[o->n++] = LLVMGetInsertBlock(f->b);
  LLVMBuildBr(f->b, o->done);
}

/* When cond holds, the test ends with `outcome`; otherwise it continues
 * in a new block. */
static void test_exit(jit_func *f, test_out *o, LLVMValueRef cond, bool outcome) {
  jit_module *jm = f->jm;
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "test");
  o->vals[o->n] = LLVMConstInt(jm->t_i1, outcome, 0);
  o->from[o->n++] = LLVMGetInsertBlock(f->b);
  LLVMBuildCondBr(f->b, cond, o->done, next);
  LLVMPositionBuilderAtEnd(f->b, next);
}

/* The end of a concrete test: actual and expected canonical ids equal, or
 * (unless the expected type is final: no other type is below it) a
 * declared subtype, asked of the registry. */
static void test_ids(jit_func *f, test_out *o, LLVMValueRef actual, uint32_t x) {
  jit_module *jm = f->jm;
  LLVMValueRef expected = canonical_id(f, x);
  LLVMValueRef eq = LLVMBuildICmp(f->b, LLVMIntEQ, actual, expected, "");
  if (jm->m->types[x].final) {
    test_result(f, o, eq);
    return;
  }
  test_exit(f, o, eq, true);
  LLVMValueRef args[3] = {f->vmctx, actual, expected};
  LLVMTypeRef types[3] = {jm->t_ptr, jm->t_i32, jm->t_i32};
  LLVMValueRef sub = jit_builtin(f, VM_BI_FUNC_SUBTYPE, jm->t_i32, args, types, 3);
  test_result(f, o, LLVMBuildICmp(f->b, LLVMIntNE, sub, u32c(f, 0), ""));
}

/* The test of a non-null reference v of the any hierarchy against heap
 * type ht (concrete: a module type index), neither any nor none. */
static void test_any(jit_func *f, test_out *o, LLVMValueRef v, bool concrete, uint32_t ht) {
  jit_module *jm = f->jm;
  LLVMValueRef i31 = LLVMBuildTrunc(f->b, v, jm->t_i1, "i31");
  bool eq = !concrete && ht == FE_HT_EQ;
  if (!concrete && ht == FE_HT_I31) {
    test_result(f, o, i31);
    return;
  }
  test_exit(f, o, i31, eq); /* an i31 is an eq, and nothing else here */
  /* a heap object: a struct, an array or an externref box */
  LLVMValueRef hdr = object_addr(f, v, u64c(f, 0));
  LLVMValueRef kind = LLVMBuildLoad2(f->b, jm->t_i8, at(f, hdr, offsetof(gc_header, kind)), "kind");
  if (eq) {
    test_result(f, o, LLVMBuildICmp(f->b, LLVMIntNE, kind,
                                    LLVMConstInt(jm->t_i8, GC_KIND_EXTERN, 0), ""));
    return;
  }
  bool is_struct = concrete ? jm->m->types[ht].kind == FE_COMP_STRUCT : ht == FE_HT_STRUCT;
  LLVMValueRef want = LLVMConstInt(jm->t_i8, is_struct ? GC_KIND_STRUCT : GC_KIND_ARRAY, 0);
  LLVMValueRef kind_ok = LLVMBuildICmp(f->b, LLVMIntEQ, kind, want, "");
  if (!concrete) {
    test_result(f, o, kind_ok);
    return;
  }
  test_exit(f, o, LLVMBuildNot(f->b, kind_ok, ""), false);
  test_ids(f, o, LLVMBuildLoad2(f->b, jm->t_i32, at(f, hdr, offsetof(gc_header, type_id)), "type"),
           ht);
}

LLVMValueRef jit_ref_test(jit_func *f, LLVMValueRef v, fe_valtype rt) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  LLVMValueRef T = LLVMConstInt(jm->t_i1, 1, 0), F = LLVMConstInt(jm->t_i1, 0, 0);
  bool nullable = FE_VT_NULLABLE(rt);
  uint8_t top = fe_ht_top(m, rt);
  bool concrete = FE_VT_HTKIND(rt) != FE_HT_ABSTRACT;
  uint32_t ht = FE_VT_HEAP(rt);
  LLVMValueRef is_null = LLVMBuildIsNull(f->b, v, "");
  if (!concrete && ht == top) /* any, func, extern, exn: every non-null */
    return nullable ? T : LLVMBuildNot(f->b, is_null, "");
  if (!concrete && ht == fe_ht_bottom(m, rt)) /* none ...: only null */
    return nullable ? is_null : F;
  test_out o = {.n = 0};
  o.done = LLVMAppendBasicBlockInContext(jm->ctx, f->fn, "test.done");
  test_exit(f, &o, is_null, nullable);
  if (top == FE_HT_FUNC) {
    /* a concrete function type: the vm_funcref's canonical id */
    LLVMValueRef id = jit_tag(jm, LLVMBuildLoad2(f->b, jm->t_i32,
                                                 at(f, v, offsetof(vm_funcref, type_id)), "type"),
                              JIT_ALIAS_VM);
    test_ids(f, &o, id, ht);
  } else {
    test_any(f, &o, v, concrete, ht);
  }
  LLVMPositionBuilderAtEnd(f->b, o.done);
  LLVMValueRef phi = LLVMBuildPhi(f->b, jm->t_i1, "test");
  LLVMAddIncoming(phi, o.vals, o.from, o.n);
  return phi;
}

/* ------------------------------------------------------------------------
 * Structs and arrays
 * ---------------------------------------------------------------------- */

/* Calls an allocation builtin returning the new object (an i32). */
static LLVMValueRef alloc_call(jit_func *f, vm_builtin bi, LLVMValueRef *args, LLVMTypeRef *types,
                               unsigned n) {
  return jit_builtin(f, bi, f->jm->t_i32, args, types, n);
}

static void struct_new(jit_func *f, uint32_t x, bool with_values) {
  jit_module *jm = f->jm;
  const fe_type *t = &jm->m->types[x];
  LLVMValueRef fields = LLVMConstNull(jm->t_ptr);
  if (with_values && t->n > 0) {
    fields = scratch(f, field_offset(jm, t, t->n));
    for (uint32_t i = 0; i < t->n; i++) {
      LLVMValueRef v = f->stack[f->sp - t->n + i];
      store_plain(f, at(f, fields, field_offset(jm, t, i)), t->vt[i], v);
    }
  }
  if (with_values)
    f->sp -= t->n;
  LLVMValueRef args[4] = {f->vmctx, canonical_id(f, x), struct_layout(f, x), fields};
  LLVMTypeRef types[4] = {jm->t_ptr, jm->t_i32, jm->t_ptr, jm->t_ptr};
  jit_push(f, alloc_call(f, VM_BI_STRUCT_NEW, args, types, 4));
}

/* The address of field i of struct type x in the (checked) struct r. */
static LLVMValueRef field_addr(jit_func *f, uint32_t x, uint32_t i, LLVMValueRef r) {
  jit_module *jm = f->jm;
  null_check(f, r, VM_TRAP_NULL_STRUCT);
  return object_addr(f, r, u64c(f, field_offset(jm, &jm->m->types[x], i)));
}

/* The length of the (non-null) array r. */
static LLVMValueRef array_len(jit_func *f, LLVMValueRef r) {
  LLVMValueRef len = LLVMBuildLoad2(f->b, f->jm->t_i32,
                                    object_addr(f, r, u64c(f, GC_ARRAY_LENGTH)), "array.len");
  LLVMSetAlignment(len, 4);
  return len;
}

/* The address of element i of array r of type x, after the null and
 * bounds checks. */
static LLVMValueRef elem_addr(jit_func *f, uint32_t x, LLVMValueRef r, LLVMValueRef i) {
  jit_module *jm = f->jm;
  uint32_t size = storage_size(jm, jm->m->types[x].vt[0]);
  null_check(f, r, VM_TRAP_NULL_ARRAY);
  jit_ok_if(f, LLVMBuildICmp(f->b, LLVMIntULT, i, array_len(f, r), ""), VM_TRAP_ARRAY_OOB);
  LLVMValueRef off = LLVMBuildMul(f->b, LLVMBuildZExt(f->b, i, jm->t_i64, ""), u64c(f, size), "");
  return object_addr(f, r, LLVMBuildAdd(f->b, off, u64c(f, GC_ARRAY_ELEMS), ""));
}

/* The element layout arguments of array type x: elem_size, elem_refs. */
static void elem_args(jit_func *f, uint32_t x, LLVMValueRef *size_out, LLVMValueRef *refs_out) {
  fe_valtype st = f->jm->m->types[x].vt[0];
  *size_out = u32c(f, storage_size(f->jm, st));
  *refs_out = u32c(f, storage_counted(f->jm, st));
}

/* One value of array type x's element type, stored in the scratch area
 * for a builtin. */
static LLVMValueRef value_in_memory(jit_func *f, uint32_t x, LLVMValueRef v) {
  LLVMValueRef p = scratch(f, 16);
  store_plain(f, p, f->jm->m->types[x].vt[0], v);
  return p;
}

static LLVMValueRef data_record(jit_func *f, uint32_t d) {
  return jit_vmctx_addr(f, vm_off_data(f->jm->layout, d), "data");
}

static bool emit_array(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  LLVMTypeRef P = jm->t_ptr, I32 = jm->t_i32;
  switch (op) {
  case FE_OP_ARRAY_NEW:
  case FE_OP_ARRAY_NEW_DEFAULT: {
    uint32_t x = fe_read_u32(&f->r);
    LLVMValueRef size, refs;
    elem_args(f, x, &size, &refs);
    LLVMValueRef length = jit_pop(f);
    if (op == FE_OP_ARRAY_NEW_DEFAULT) {
      LLVMValueRef args[5] = {f->vmctx, canonical_id(f, x), size, refs, length};
      LLVMTypeRef types[5] = {P, I32, I32, I32, I32};
      jit_push(f, alloc_call(f, VM_BI_ARRAY_NEW_DEFAULT, args, types, 5));
    } else {
      LLVMValueRef value = value_in_memory(f, x, jit_pop(f));
      LLVMValueRef args[6] = {f->vmctx, canonical_id(f, x), size, refs, length, value};
      LLVMTypeRef types[6] = {P, I32, I32, I32, I32, P};
      jit_push(f, alloc_call(f, VM_BI_ARRAY_NEW, args, types, 6));
    }
    return true;
  }
  case FE_OP_ARRAY_NEW_FIXED: {
    uint32_t x = fe_read_u32(&f->r), n = fe_read_u32(&f->r);
    fe_valtype st = jm->m->types[x].vt[0];
    uint32_t esize = storage_size(jm, st);
    LLVMValueRef values = LLVMConstNull(P);
    if (n) {
      values = scratch(f, n * esize);
      for (uint32_t i = 0; i < n; i++)
        store_plain(f, at(f, values, (uint64_t)i * esize), st, f->stack[f->sp - n + i]);
      f->sp -= n;
    }
    LLVMValueRef args[6] = {f->vmctx, canonical_id(f, x), u32c(f, esize),
                            u32c(f, storage_counted(jm, st)), u32c(f, n), values};
    LLVMTypeRef types[6] = {P, I32, I32, I32, I32, P};
    jit_push(f, alloc_call(f, VM_BI_ARRAY_NEW_FIXED, args, types, 6));
    return true;
  }
  case FE_OP_ARRAY_NEW_DATA: {
    uint32_t x = fe_read_u32(&f->r), d = fe_read_u32(&f->r);
    LLVMValueRef size, refs;
    elem_args(f, x, &size, &refs);
    LLVMValueRef n = jit_pop(f), s = jit_pop(f);
    LLVMValueRef args[6] = {f->vmctx, canonical_id(f, x), size, data_record(f, d), s, n};
    LLVMTypeRef types[6] = {P, I32, I32, P, I32, I32};
    jit_push(f, alloc_call(f, VM_BI_ARRAY_NEW_DATA, args, types, 6));
    return true;
  }
  case FE_OP_ARRAY_NEW_ELEM: {
    uint32_t x = fe_read_u32(&f->r), e = fe_read_u32(&f->r);
    LLVMValueRef n = jit_pop(f), s = jit_pop(f);
    LLVMValueRef args[5] = {f->vmctx, canonical_id(f, x), u32c(f, e), s, n};
    LLVMTypeRef types[5] = {P, I32, I32, I32, I32};
    jit_push(f, alloc_call(f, VM_BI_ARRAY_NEW_ELEM, args, types, 5));
    return true;
  }
  case FE_OP_ARRAY_GET:
  case FE_OP_ARRAY_GET_S:
  case FE_OP_ARRAY_GET_U: {
    uint32_t x = fe_read_u32(&f->r);
    LLVMValueRef i = jit_pop(f), r = jit_pop(f);
    jit_push(f, load_storage(f, elem_addr(f, x, r, i), jm->m->types[x].vt[0],
                             op == FE_OP_ARRAY_GET_S));
    return true;
  }
  case FE_OP_ARRAY_SET: {
    uint32_t x = fe_read_u32(&f->r);
    LLVMValueRef v = jit_pop(f), i = jit_pop(f), r = jit_pop(f);
    store_field(f, elem_addr(f, x, r, i), jm->m->types[x].vt[0], v);
    return true;
  }
  case FE_OP_ARRAY_LEN: {
    LLVMValueRef r = jit_pop(f);
    null_check(f, r, VM_TRAP_NULL_ARRAY);
    jit_push(f, array_len(f, r));
    return true;
  }
  case FE_OP_ARRAY_FILL: {
    uint32_t x = fe_read_u32(&f->r);
    LLVMValueRef size, refs;
    elem_args(f, x, &size, &refs);
    LLVMValueRef n = jit_pop(f), v = jit_pop(f), i = jit_pop(f), r = jit_pop(f);
    LLVMValueRef args[7] = {f->vmctx, r, i, value_in_memory(f, x, v), n, size, refs};
    LLVMTypeRef types[7] = {P, I32, I32, P, I32, I32, I32};
    jit_builtin(f, VM_BI_ARRAY_FILL, jm->t_void, args, types, 7);
    return true;
  }
  case FE_OP_ARRAY_COPY: {
    uint32_t x = fe_read_u32(&f->r);
    (void)fe_read_u32(&f->r); /* the source's elements have the same layout */
    LLVMValueRef size, refs;
    elem_args(f, x, &size, &refs);
    LLVMValueRef n = jit_pop(f), s = jit_pop(f), src = jit_pop(f), d = jit_pop(f),
                 dst = jit_pop(f);
    LLVMValueRef args[8] = {f->vmctx, dst, d, src, s, n, size, refs};
    LLVMTypeRef types[8] = {P, I32, I32, I32, I32, I32, I32, I32};
    jit_builtin(f, VM_BI_ARRAY_COPY, jm->t_void, args, types, 8);
    return true;
  }
  case FE_OP_ARRAY_INIT_DATA: {
    uint32_t x = fe_read_u32(&f->r), seg = fe_read_u32(&f->r);
    LLVMValueRef size, refs;
    elem_args(f, x, &size, &refs);
    LLVMValueRef n = jit_pop(f), s = jit_pop(f), d = jit_pop(f), r = jit_pop(f);
    LLVMValueRef args[7] = {f->vmctx, r, d, data_record(f, seg), s, n, size};
    LLVMTypeRef types[7] = {P, I32, I32, P, I32, I32, I32};
    jit_builtin(f, VM_BI_ARRAY_INIT_DATA, jm->t_void, args, types, 7);
    return true;
  }
  case FE_OP_ARRAY_INIT_ELEM: {
    (void)fe_read_u32(&f->r); /* the element layout follows the segment's */
    uint32_t e = fe_read_u32(&f->r);
    LLVMValueRef n = jit_pop(f), s = jit_pop(f), d = jit_pop(f), r = jit_pop(f);
    LLVMValueRef args[6] = {f->vmctx, r, d, u32c(f, e), s, n};
    LLVMTypeRef types[6] = {P, I32, I32, I32, I32, I32};
    jit_builtin(f, VM_BI_ARRAY_INIT_ELEM, jm->t_void, args, types, 6);
    return true;
  }
  default:
    return false;
  }
}

bool jit_emit_gc(jit_func *f, fe_opcode op) {
  jit_module *jm = f->jm;
  const fe_module *m = jm->m;
  switch (op) {
  case FE_OP_STRUCT_NEW:
  case FE_OP_STRUCT_NEW_DEFAULT:
    struct_new(f, fe_read_u32(&f->r), op == FE_OP_STRUCT_NEW);
    return true;
  case FE_OP_STRUCT_GET:
  case FE_OP_STRUCT_GET_S:
  case FE_OP_STRUCT_GET_U: {
    uint32_t x = fe_read_u32(&f->r), i = fe_read_u32(&f->r);
    LLVMValueRef p = field_addr(f, x, i, jit_pop(f));
    jit_push(f, load_storage(f, p, m->types[x].vt[i], op == FE_OP_STRUCT_GET_S));
    return true;
  }
  case FE_OP_STRUCT_SET: {
    uint32_t x = fe_read_u32(&f->r), i = fe_read_u32(&f->r);
    LLVMValueRef v = jit_pop(f);
    store_field(f, field_addr(f, x, i, jit_pop(f)), m->types[x].vt[i], v);
    return true;
  }
  case FE_OP_REF_I31: {
    LLVMValueRef v = jit_pop(f);
    jit_push(f, LLVMBuildOr(f->b, LLVMBuildShl(f->b, v, u32c(f, 1), ""), u32c(f, 1), "i31"));
    return true;
  }
  case FE_OP_I31_GET_S:
  case FE_OP_I31_GET_U: {
    LLVMValueRef v = jit_pop(f);
    null_check(f, v, VM_TRAP_NULL_I31);
    jit_push(f, op == FE_OP_I31_GET_S ? LLVMBuildAShr(f->b, v, u32c(f, 1), "")
                                      : LLVMBuildLShr(f->b, v, u32c(f, 1), ""));
    return true;
  }
  case FE_OP_REF_TEST:
  case FE_OP_REF_TEST_NULL: {
    fe_valtype rt = fe_read_heaptype(&f->r, m->ntypes, op == FE_OP_REF_TEST_NULL);
    LLVMValueRef ok = jit_ref_test(f, jit_pop(f), rt);
    jit_push(f, LLVMBuildZExt(f->b, ok, jm->t_i32, ""));
    return true;
  }
  case FE_OP_REF_CAST:
  case FE_OP_REF_CAST_NULL: {
    fe_valtype rt = fe_read_heaptype(&f->r, m->ntypes, op == FE_OP_REF_CAST_NULL);
    jit_ok_if(f, jit_ref_test(f, jit_top(f), rt), VM_TRAP_CAST);
    return true;
  }
  case FE_OP_ANY_CONVERT_EXTERN:
  case FE_OP_EXTERN_CONVERT_ANY:
    /* the same 32-bit reference in either hierarchy: a host's externref box
     * seen as anyref is an object of kind GC_KIND_EXTERN, which the type
     * tests know */
    return true;
  default:
    return emit_array(f, op);
  }
}
