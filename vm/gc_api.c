/* vm/gc_api.c — structs and arrays from the host (kiln.h): reading and
 * writing fields and elements of GC objects through their handles.  The
 * object layout is gc.h's (gc_struct_layout: fields in declaration order
 * after the header, each aligned to its size; array elements at
 * GC_ARRAY_ELEMS), the same rule jit/emit_gc.c compiles; every store of a
 * GC reference goes through the barrier (gc_write), like Wasm's. */
#include <string.h>

#include "frontend/types.h"
#include "gc/gc.h"
#include "vm.h"

/* Bytes of storage type st in an object (a funcref is a pointer; any other
 * reference a 32-bit GC reference). */
static uint32_t storage_size(wasm_engine_t *e, fe_valtype st) {
  return gc_storage_size(FE_VT_CODE(st), FE_VT_IS_REF(st) && vm_vt_is_func(e, st));
}

/* The object r refers to, if it is a struct or array (kind) of this API's
 * view: its header and its type in the engine's registry. */
static gc_header *object_of(const wasm_ref_t *r, uint8_t kind, const fe_type **type) {
  if (!r || r->ext.kind != VM_REF_GC || gc_is_i31(r->gc) || r->gc == GC_NULL)
    return NULL;
  gc_heap *h = r->ext.store->heap;
  gc_header *o = gc_header_of(h, r->gc);
  if (o->kind != kind)
    return NULL;
  *type = fe_typereg_type(r->ext.store->engine->types, o->type_id);
  return *type ? o : NULL;
}

/* Reads storage type st at p as a value of its unpacked type. */
static bool read_slot(wasm_store_t *s, fe_valtype st, const uint8_t *p, wasm_val_t *out) {
  uint8_t slot[16] = {0};
  uint32_t code = FE_VT_CODE(st);
  if (code == FE_I8 || code == FE_I16) { /* packed: zero-extended */
    uint32_t v = code == FE_I8 ? p[0] : (uint32_t)(p[0] | p[1] << 8);
    memcpy(slot, &v, 4);
    return vm_val_from_slot(s, fe_vt_num(FE_I32), slot, out);
  }
  memcpy(slot, p, storage_size(s->engine, st));
  return vm_val_from_slot(s, st, slot, out);
}

/* Writes v (of st's unpacked type) at p; GC references through the barrier. */
static bool write_slot(wasm_store_t *s, fe_valtype st, uint8_t *p, const wasm_val_t *v) {
  uint8_t slot[16];
  uint32_t code = FE_VT_CODE(st);
  bool packed = code == FE_I8 || code == FE_I16;
  if (!vm_val_to_slot(s, packed ? fe_vt_num(FE_I32) : st, v, slot))
    return false;
  if (packed) {
    memcpy(p, slot, code == FE_I8 ? 1 : 2); /* the low bits */
    return true;
  }
  if (FE_VT_IS_REF(st) && !vm_vt_is_func(s->engine, st)) {
    gc_ref r;
    memcpy(&r, slot, sizeof r);
    gc_write(s->heap, (gc_ref *)(void *)p, r);
    return true;
  }
  memcpy(p, slot, storage_size(s->engine, st));
  return true;
}

/* The address of field i of a struct of type t. */
static uint8_t *field_at(wasm_engine_t *e, gc_header *o, const fe_type *t, uint32_t i) {
  uint32_t off = (uint32_t)sizeof(gc_header);
  for (uint32_t k = 0;; k++) {
    uint32_t size = storage_size(e, t->vt[k]);
    off = (off + size - 1) & ~(size - 1);
    if (k == i)
      return (uint8_t *)o + off;
    off += size;
  }
}

bool kiln_struct_get(const wasm_ref_t *ref, uint32_t field, wasm_val_t *out) {
  const fe_type *t;
  gc_header *o = object_of(ref, GC_KIND_STRUCT, &t);
  if (!o || field >= t->n)
    return false;
  wasm_store_t *s = ref->ext.store;
  return read_slot(s, t->vt[field], field_at(s->engine, o, t, field), out);
}

bool kiln_struct_set(wasm_ref_t *ref, uint32_t field, const wasm_val_t *v) {
  const fe_type *t;
  gc_header *o = object_of(ref, GC_KIND_STRUCT, &t);
  if (!o || field >= t->n || !t->mut[field] || !v)
    return false;
  wasm_store_t *s = ref->ext.store;
  return write_slot(s, t->vt[field], field_at(s->engine, o, t, field), v);
}

bool kiln_array_len(const wasm_ref_t *ref, uint32_t *out) {
  const fe_type *t;
  gc_header *o = object_of(ref, GC_KIND_ARRAY, &t);
  if (!o)
    return false;
  memcpy(out, (uint8_t *)o + GC_ARRAY_LENGTH, sizeof *out);
  return true;
}

/* Element i of array ref, if in bounds. */
static uint8_t *element_at(const wasm_ref_t *ref, uint32_t i, const fe_type **t) {
  gc_header *o = object_of(ref, GC_KIND_ARRAY, t);
  uint32_t len;
  if (!o)
    return NULL;
  memcpy(&len, (uint8_t *)o + GC_ARRAY_LENGTH, sizeof len);
  if (i >= len)
    return NULL;
  return (uint8_t *)o + GC_ARRAY_ELEMS +
         (size_t)i * storage_size(ref->ext.store->engine, (*t)->vt[0]);
}

bool kiln_array_get(const wasm_ref_t *ref, uint32_t i, wasm_val_t *out) {
  const fe_type *t;
  uint8_t *p = element_at(ref, i, &t);
  return p && read_slot(ref->ext.store, t->vt[0], p, out);
}

bool kiln_array_set(wasm_ref_t *ref, uint32_t i, const wasm_val_t *v) {
  const fe_type *t;
  uint8_t *p = element_at(ref, i, &t);
  return p && t->mut[0] && v && write_slot(ref->ext.store, t->vt[0], p, v);
}
