/* vm/val.c — values (wasm_val_t, wasm_val_vec_t), references (wasm_ref_t)
 * and their conversion to and from the VM's 16-byte value slots.
 *
 * A reference value owns its wasm_ref_t.  A funcref is a wasm_func_t handle
 * seen as a reference (same object: its first member is the extern header,
 * whose kind says what it is); a GC reference (an externref box of the
 * store's GC heap: DESIGN.md "externref values are boxes in the GC heap")
 * is a VM_REF_GC handle holding the 32-bit reference and one API root on
 * it (gc_root_add), so the object stays alive while the embedder holds the
 * handle; wasm_ref_delete drops the root.  In a value slot a GC reference
 * is its 32-bit reference; writing it into a counted slot (table, global)
 * is the caller's business, through the barrier.  The any hierarchy's
 * values are VM_REF_GC handles too: structs, arrays, i31 references (no
 * heap object: nothing to root) and externref boxes seen as anyref
 * (any.convert_extern is the identity); kiln_ref_kind tells them apart.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend/types.h"
#include "gc/gc.h"
#include "gc_policy.h"
#include "host.h"
#include "vm.h"

/* ---- references -------------------------------------------------------- */

/* A VM_REF_GC handle on r, not rooted (an i31 reference needs no root, no
 * object and no heap). */
static wasm_ref_t *gc_handle(wasm_store_t *s, uint32_t r) {
  wasm_ref_t *h = malloc(sizeof *h);
  if (!h) return NULL;
  h->ext.kind = VM_REF_GC;
  h->ext.store = s;
  h->gc = r;
  return h;
}

wasm_ref_t *vm_ref_gc_handle(wasm_store_t *s, uint32_t r) {
  wasm_ref_t *h = gc_handle(s, r);
  if (h) gc_root_add(s->heap, r); /* a heap reference implies the heap exists */
  return h;
}

void wasm_ref_delete(own wasm_ref_t *r) {
  if (!r) return;
  if (r->ext.kind == VM_REF_GC) {
    gc_root_remove(r->ext.store->heap, r->gc);
    free(r);
  } else {
    wasm_extern_delete((wasm_extern_t *)r);
  }
}

wasm_ref_t *wasm_ref_copy(const wasm_ref_t *r) {
  if (!r) return NULL;
  if (r->ext.kind == VM_REF_GC) return vm_ref_gc_handle(r->ext.store, r->gc);
  return (wasm_ref_t *)wasm_extern_copy((const wasm_extern_t *)r);
}

bool wasm_ref_same(const wasm_ref_t *a, const wasm_ref_t *b) {
  if (!a || !b) return a == b;
  if (a->ext.kind == VM_REF_GC || b->ext.kind == VM_REF_GC)
    return a->ext.kind == b->ext.kind && a->ext.store == b->ext.store &&
           a->gc == b->gc;
  return wasm_extern_same((const wasm_extern_t *)a, (const wasm_extern_t *)b);
}

/* ---- GC references (kiln.h) --------------------------------------------- */

kiln_refkind_t kiln_ref_kind(const wasm_ref_t *r) {
  if (!r) return KILN_REFKIND_NULL;
  if (r->ext.kind != VM_REF_GC) return KILN_REFKIND_FUNC;
  if (gc_is_i31(r->gc)) return KILN_REFKIND_I31;
  switch (gc_header_of(r->ext.store->heap, r->gc)->kind) {
  case GC_KIND_STRUCT: return KILN_REFKIND_STRUCT;
  case GC_KIND_ARRAY: return KILN_REFKIND_ARRAY;
  default: return KILN_REFKIND_HOST;
  }
}

wasm_ref_t *kiln_ref_i31_new(wasm_store_t *s, uint32_t value) {
  return s ? gc_handle(s, gc_i31_new(value)) : NULL;
}

bool kiln_ref_i31_get(const wasm_ref_t *r, uint32_t *out) {
  if (kiln_ref_kind(r) != KILN_REFKIND_I31) return false;
  *out = gc_i31_get_u(r->gc);
  return true;
}

uint32_t kiln_ref_type_id(const wasm_ref_t *r) {
  kiln_refkind_t k = kiln_ref_kind(r);
  if (k != KILN_REFKIND_STRUCT && k != KILN_REFKIND_ARRAY) return KILN_NO_TYPE;
  return gc_header_of(r->ext.store->heap, r->gc)->type_id;
}

/* ---- externref boxes (kiln.h) ------------------------------------------- */

typedef struct box_args {
  void *data;
  void (*finalizer)(void *);
} box_args;

static gc_ref alloc_box(gc_heap *h, void *arg) {
  const box_args *b = arg;
  return gc_extern_new(h, b->data, b->finalizer);
}

wasm_ref_t *kiln_externref_new(wasm_store_t *s, void *data,
                               void (*finalizer)(void *)) {
  if (!s) return NULL;
  gc_heap *h = vm_store_heap(s);
  if (!h) return NULL;
  /* the store's policy, as for Wasm's allocations (inside a host function
   * called from Wasm, collections scan the store's frames) */
  box_args b = {data, finalizer};
  gc_ref r = vm_gc_alloc_in_store(s, alloc_box, &b);
  if (r == GC_NULL) return NULL;
  wasm_ref_t *ref = vm_ref_gc_handle(s, r);
  /* unrooted, the new box waits in the ZCT for the next reclamation point */
  return ref;
}

void *kiln_externref_data(const wasm_ref_t *r) {
  if (!r || r->ext.kind != VM_REF_GC) return NULL;
  gc_heap *h = r->ext.store->heap;
  if (!gc_is_object(h, r->gc) ||
      gc_header_of(h, r->gc)->kind != GC_KIND_EXTERN)
    return NULL;
  return gc_extern_data(h, r->gc);
}

/* ---- values -------------------------------------------------------------- */

static bool vm_kind_is_ref(wasm_valkind_t k) {
  return k == WASM_FUNCREF || k == WASM_EXTERNREF || k == KILN_REF;
}

void wasm_val_delete(own wasm_val_t *v) {
  if (v && vm_kind_is_ref(v->kind)) {
    wasm_ref_delete(v->of.ref);
    v->of.ref = NULL;
  }
}

void wasm_val_copy(own wasm_val_t *out, const wasm_val_t *v) {
  *out = *v;
  if (vm_kind_is_ref(v->kind)) out->of.ref = wasm_ref_copy(v->of.ref);
}

void wasm_val_vec_new_empty(own wasm_val_vec_t *out) {
  out->size = 0;
  out->data = NULL;
}

/* Elements are zeroed (the i32 value 0: nothing to release). */
void wasm_val_vec_new_uninitialized(own wasm_val_vec_t *out, size_t n) {
  out->data = n && n <= PTRDIFF_MAX / sizeof(wasm_val_t)
                  ? calloc(n, sizeof(wasm_val_t))
                  : NULL;
  out->size = out->data ? n : 0;
}

void wasm_val_vec_new(own wasm_val_vec_t *out, size_t n,
                      own wasm_val_t const data[]) {
  wasm_val_vec_new_uninitialized(out, n);
  if (out->data)
    memcpy(out->data, data, n * sizeof(wasm_val_t));
  else
    for (size_t i = 0; i < n; i++) {
      wasm_val_t v = data[i];
      wasm_val_delete(&v);
    }
}

void wasm_val_vec_copy(own wasm_val_vec_t *out, const wasm_val_vec_t *src) {
  size_t n = src ? src->size : 0;
  wasm_val_vec_new_uninitialized(out, n);
  for (size_t i = 0; i < out->size; i++) {
    wasm_val_copy(&out->data[i], &src->data[i]);
    if (vm_kind_is_ref(src->data[i].kind) && src->data[i].of.ref &&
        !out->data[i].of.ref) { /* out of memory */
      out->size = i + 1;
      wasm_val_vec_delete(out);
      return;
    }
  }
}

void wasm_val_vec_delete(own wasm_val_vec_t *vec) {
  if (!vec) return;
  for (size_t i = 0; i < vec->size; i++) wasm_val_delete(&vec->data[i]);
  free(vec->data);
  vec->data = NULL;
  vec->size = 0;
}

/* ---- value slots --------------------------------------------------------- */

wasm_valkind_t vm_vt_kind(fe_valtype vt) {
  switch (FE_VT_CODE(vt)) {
  case FE_I32: return WASM_I32;
  case FE_I64: return WASM_I64;
  case FE_F32: return WASM_F32;
  case FE_F64: return WASM_F64;
  case FE_V128: return KILN_V128;
  default: break;
  }
  if (vt == FE_FUNCREF) return WASM_FUNCREF;
  if (vt == FE_EXTERNREF) return WASM_EXTERNREF;
  return KILN_REF;
}

bool vm_vt_is_func(wasm_engine_t *e, fe_valtype vt) {
  return fe_typereg_ht_top(e->types, vt) == FE_HT_FUNC;
}

/* The kind of a value of type vt, which names the value's hierarchy rather
 * than its static type: every function reference ((ref null $t), nullfuncref,
 * (ref func) ...) is WASM_FUNCREF, every extern reference WASM_EXTERNREF, and
 * the any and exn hierarchies KILN_REF; numeric types as vm_vt_kind.  So a
 * null reference of a typed function type reads like the standard's null
 * funcref, and an embedder that knows only the standard kinds still sees
 * which hierarchy a reference belongs to. */
static wasm_valkind_t vm_val_kind(wasm_engine_t *e, fe_valtype vt) {
  switch (fe_typereg_ht_top(e->types, vt)) {
  case 0: return vm_vt_kind(vt); /* not a reference */
  case FE_HT_FUNC: return WASM_FUNCREF;
  case FE_HT_EXTERN: return WASM_EXTERNREF;
  default: return KILN_REF;
  }
}

/* Whether GC reference handle r (of store s, not null) is a value of
 * reference type vt (canonical form), as ref.test decides: an externref box
 * is an any (and an extern), not an eq. */
static bool gc_ref_in_type(wasm_store_t *s, const wasm_ref_t *r, fe_valtype vt) {
  uint32_t heap = FE_VT_HEAP(vt);
  if (FE_VT_HTKIND(vt) == FE_HT_ABSTRACT && (heap == FE_HT_EXTERN || heap == FE_HT_ANY))
    return true;
  kiln_refkind_t k = kiln_ref_kind(r);
  if (FE_VT_HTKIND(vt) != FE_HT_ABSTRACT)
    return (k == KILN_REFKIND_STRUCT || k == KILN_REFKIND_ARRAY) &&
           fe_typereg_sub(s->engine->types, kiln_ref_type_id(r), heap);
  switch (heap) {
  case FE_HT_EQ: return k == KILN_REFKIND_I31 || k == KILN_REFKIND_STRUCT ||
                        k == KILN_REFKIND_ARRAY;
  case FE_HT_I31: return k == KILN_REFKIND_I31;
  case FE_HT_STRUCT: return k == KILN_REFKIND_STRUCT;
  case FE_HT_ARRAY: return k == KILN_REFKIND_ARRAY;
  default: return false; /* none, noextern, exn ... */
  }
}

bool vm_val_to_slot(wasm_store_t *s, fe_valtype vt, const wasm_val_t *v,
                    void *slot) {
  wasm_engine_t *e = s->engine;
  memset(slot, 0, 16);
  wasm_valkind_t k = vm_vt_kind(vt);
  switch (k) {
  case WASM_I32:
  case WASM_F32:
    if (v->kind != k) return false;
    memcpy(slot, &v->of, 4);
    return true;
  case WASM_I64:
  case WASM_F64:
    if (v->kind != k) return false;
    memcpy(slot, &v->of, 8);
    return true;
  case KILN_V128: /* wasm_val_t has no v128 */
    return false;
  default:
    break;
  }
  if (!vm_kind_is_ref(v->kind)) return false;
  /* WASM_FUNCREF and WASM_EXTERNREF name their hierarchy; KILN_REF is any
   * reference (the type decides) */
  if (v->kind != KILN_REF && v->kind != vm_val_kind(e, vt)) return false;
  const wasm_ref_t *r = v->of.ref;
  if (vm_vt_is_func(e, vt)) {
    if (!r) return FE_VT_NULLABLE(vt);
    if (r->ext.kind != WASM_EXTERN_FUNC) return false;
    vm_funcref *f = ((const wasm_func_t *)(const void *)r)->f;
    /* a function made by wasm_func_new gets a typed entry of its own when
     * it first becomes a value (vm/host_link.c): Wasm may call it through a
     * table or call_ref; refused if its type cannot have one */
    if (!vm_host_link_func(s->engine, f))
      return false;
    if (FE_VT_HTKIND(vt) != FE_HT_ABSTRACT &&
        !fe_typereg_sub(e->types, f->type_id, FE_VT_HEAP(vt)))
      return false;
    if (FE_VT_HTKIND(vt) == FE_HT_ABSTRACT && FE_VT_HEAP(vt) == FE_HT_NOFUNC)
      return false;
    memcpy(slot, &f, sizeof f);
    return true;
  }
  if (!r) return FE_VT_NULLABLE(vt);
  /* GC references of this store: into extern (whatever they are: an
   * externalized any is an externref) or a type of the any hierarchy they
   * are values of; noextern and none have no values */
  if (r->ext.kind != VM_REF_GC || r->ext.store != s) return false;
  if (!gc_ref_in_type(s, r, vt)) return false;
  memcpy(slot, &r->gc, sizeof r->gc);
  return true;
}

bool vm_val_from_slot(wasm_store_t *s, fe_valtype vt, const void *slot,
                      wasm_val_t *out) {
  memset(out, 0, sizeof *out);
  out->kind = vm_val_kind(s->engine, vt);
  switch (out->kind) {
  case WASM_I32:
  case WASM_F32:
    memcpy(&out->of, slot, 4);
    return true;
  case WASM_I64:
  case WASM_F64:
    memcpy(&out->of, slot, 8);
    return true;
  case KILN_V128:
    return true; /* not representable: reads as zero */
  default:
    break;
  }
  out->of.ref = NULL;
  if (!vm_vt_is_func(s->engine, vt)) {
    uint32_t r;
    memcpy(&r, slot, sizeof r);
    if (r == GC_NULL) return true;
    out->of.ref = gc_is_i31(r) ? gc_handle(s, r) : vm_ref_gc_handle(s, r);
    return out->of.ref != NULL;
  }
  vm_funcref *f;
  memcpy(&f, slot, sizeof f);
  if (!f) return true;
  out->of.ref = wasm_func_as_ref(vm_func_handle(s, f));
  return out->of.ref != NULL;
}
