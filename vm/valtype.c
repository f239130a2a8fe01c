/* vm/valtype.c — value types: the standard's wasm_valtype_t and Kiln's
 * accessors for what the standard's kinds cannot say (kiln.h: v128,
 * nullability, abstract and concrete heap types).
 *
 * A wasm_valtype_t holds the frontend's 64-bit value type word, with a
 * concrete heap type as a canonical id of the engine's registry (never a
 * module type index), so a type read from a module loses nothing and means
 * the same outside the module.  The standard's kind is derived from the
 * word; it is not stored.  The GC issue extends the same word (packed
 * storage types, accessors for a type id's definition) without changing
 * this representation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* The public heap kinds are the binary codes of the abstract heap types, so
 * that they convert without a table. */
_Static_assert((int)KILN_HEAP_EXN == (int)FE_HT_EXN, "heap codes differ");
_Static_assert((int)KILN_HEAP_ARRAY == (int)FE_HT_ARRAY, "heap codes differ");
_Static_assert((int)KILN_HEAP_STRUCT == (int)FE_HT_STRUCT, "heap codes differ");
_Static_assert((int)KILN_HEAP_I31 == (int)FE_HT_I31, "heap codes differ");
_Static_assert((int)KILN_HEAP_EQ == (int)FE_HT_EQ, "heap codes differ");
_Static_assert((int)KILN_HEAP_ANY == (int)FE_HT_ANY, "heap codes differ");
_Static_assert((int)KILN_HEAP_EXTERN == (int)FE_HT_EXTERN, "heap codes differ");
_Static_assert((int)KILN_HEAP_FUNC == (int)FE_HT_FUNC, "heap codes differ");
_Static_assert((int)KILN_HEAP_NONE == (int)FE_HT_NONE, "heap codes differ");
_Static_assert((int)KILN_HEAP_NOEXTERN == (int)FE_HT_NOEXTERN,
               "heap codes differ");
_Static_assert((int)KILN_HEAP_NOFUNC == (int)FE_HT_NOFUNC, "heap codes differ");
_Static_assert((int)KILN_HEAP_NOEXN == (int)FE_HT_NOEXN, "heap codes differ");
_Static_assert(KILN_NO_TYPE == FE_NO_INDEX, "type id sentinels differ");

wasm_valtype_t *vm_valtype_new(fe_valtype vt) {
  wasm_valtype_t *t = malloc(sizeof *t);
  if (t) t->vt = vt;
  return t;
}

/* A module's value types name concrete heap types by module type index;
 * the index's canonical id is what holds outside the module. */
fe_valtype vm_valtype_canon(const fe_module *m, fe_valtype vt) {
  if (!FE_VT_IS_REF(vt) || FE_VT_HTKIND(vt) != FE_HT_MODULE) return vt;
  return fe_vt_ref(FE_VT_NULLABLE(vt), FE_HT_CANON,
                   m->types[FE_VT_HEAP(vt)].canon);
}

/* ---- the standard's value types --------------------------------------- */

wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind) {
  switch (kind) {
  case WASM_I32: return vm_valtype_new(fe_vt_num(FE_I32));
  case WASM_I64: return vm_valtype_new(fe_vt_num(FE_I64));
  case WASM_F32: return vm_valtype_new(fe_vt_num(FE_F32));
  case WASM_F64: return vm_valtype_new(fe_vt_num(FE_F64));
  case KILN_V128: return vm_valtype_new(fe_vt_num(FE_V128));
  case WASM_EXTERNREF: return vm_valtype_new(FE_EXTERNREF);
  case WASM_FUNCREF: return vm_valtype_new(FE_FUNCREF);
  default: return NULL; /* KILN_REF needs a heap type; others are unknown */
  }
}

wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t) {
  return t ? vm_valtype_new(t->vt) : NULL;
}

void wasm_valtype_delete(own wasm_valtype_t *t) { free(t); }

/* The standard's kinds name exactly one type each; every other reference
 * type is KILN_REF, so that wasm_valtype_new(wasm_valtype_kind(t)) is
 * either t again or NULL, never a different type. */
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t) {
  switch (FE_VT_CODE(t->vt)) {
  case FE_I32: return WASM_I32;
  case FE_I64: return WASM_I64;
  case FE_F32: return WASM_F32;
  case FE_F64: return WASM_F64;
  case FE_V128: return KILN_V128;
  default: break;
  }
  if (t->vt == FE_EXTERNREF) return WASM_EXTERNREF;
  if (t->vt == FE_FUNCREF) return WASM_FUNCREF;
  return KILN_REF;
}

/* ---- Kiln's extensions ------------------------------------------------ */

static bool vm_heapkind_known(kiln_heapkind_t kind) {
  return kind >= KILN_HEAP_EXN && kind <= KILN_HEAP_NOEXN;
}

wasm_valtype_t *kiln_valtype_new_ref(bool nullable, kiln_heaptype_t heap) {
  if (heap.kind == KILN_HEAP_CONCRETE) {
    if (heap.type_id == KILN_NO_TYPE) return NULL;
    return vm_valtype_new(fe_vt_ref(nullable, FE_HT_CANON, heap.type_id));
  }
  if (!vm_heapkind_known(heap.kind)) return NULL;
  return vm_valtype_new(fe_vt_absref(nullable, heap.kind));
}

bool kiln_valtype_is_v128(const wasm_valtype_t *t) {
  return FE_VT_CODE(t->vt) == FE_V128;
}

bool kiln_valtype_is_nullable(const wasm_valtype_t *t) {
  return FE_VT_IS_REF(t->vt) && FE_VT_NULLABLE(t->vt);
}

bool kiln_valtype_heaptype(const wasm_valtype_t *t, kiln_heaptype_t *out) {
  if (!FE_VT_IS_REF(t->vt)) return false;
  if (FE_VT_HTKIND(t->vt) == FE_HT_CANON)
    *out = kiln_heaptype_concrete(FE_VT_HEAP(t->vt));
  else
    *out = kiln_heaptype_abstract((kiln_heapkind_t)FE_VT_HEAP(t->vt));
  return true;
}

/* Both words are in canonical form, where equal types have equal words. */
bool kiln_valtype_equal(const wasm_valtype_t *a, const wasm_valtype_t *b) {
  return a->vt == b->vt;
}

/* fe_valtype_str's text, with snprintf's contract.  64 bytes hold every
 * value type's text ("(ref null canon#4294967295)" is the longest). */
size_t kiln_valtype_format(const wasm_valtype_t *t, char *buf, size_t size) {
  char text[64];
  fe_valtype_str(t->vt, text, sizeof text);
  size_t n = strlen(text);
  if (size) {
    size_t k = n < size ? n : size - 1;
    memcpy(buf, text, k);
    buf[k] = 0;
  }
  return n;
}
