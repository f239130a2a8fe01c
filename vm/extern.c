/* vm/extern.c — externals (wasm_extern_t) and their vector.  Every runtime
 * handle starts with the wasm_extern_t header, so the conversions are casts
 * checked by kind (tags, Kiln's fifth kind, have theirs in vm/tag.c). */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

void wasm_extern_delete(own wasm_extern_t *e) { free(e); }

wasm_extern_t *wasm_extern_copy(const wasm_extern_t *e) {
  if (!e) return NULL;
  switch (e->kind) {
  case WASM_EXTERN_FUNC: return (wasm_extern_t *)wasm_func_copy((const wasm_func_t *)e);
  case WASM_EXTERN_GLOBAL: return (wasm_extern_t *)wasm_global_copy((const wasm_global_t *)e);
  case WASM_EXTERN_TABLE: return (wasm_extern_t *)wasm_table_copy((const wasm_table_t *)e);
  case WASM_EXTERN_MEMORY: return (wasm_extern_t *)wasm_memory_copy((const wasm_memory_t *)e);
  case KILN_EXTERN_TAG: return (wasm_extern_t *)kiln_tag_copy((const kiln_tag_t *)e);
  default: return NULL;
  }
}

bool wasm_extern_same(const wasm_extern_t *a, const wasm_extern_t *b) {
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
  case WASM_EXTERN_FUNC: return wasm_func_same((const wasm_func_t *)a, (const wasm_func_t *)b);
  case WASM_EXTERN_GLOBAL:
    return wasm_global_same((const wasm_global_t *)a, (const wasm_global_t *)b);
  case WASM_EXTERN_TABLE:
    return wasm_table_same((const wasm_table_t *)a, (const wasm_table_t *)b);
  case WASM_EXTERN_MEMORY:
    return wasm_memory_same((const wasm_memory_t *)a, (const wasm_memory_t *)b);
  case KILN_EXTERN_TAG: return kiln_tag_same((const kiln_tag_t *)a, (const kiln_tag_t *)b);
  default: return false;
  }
}

wasm_externkind_t wasm_extern_kind(const wasm_extern_t *e) { return e->kind; }

wasm_externtype_t *wasm_extern_type(const wasm_extern_t *e) {
  switch (e->kind) {
  case WASM_EXTERN_FUNC:
    return wasm_functype_as_externtype(wasm_func_type((const wasm_func_t *)e));
  case WASM_EXTERN_GLOBAL:
    return wasm_globaltype_as_externtype(wasm_global_type((const wasm_global_t *)e));
  case WASM_EXTERN_TABLE:
    return wasm_tabletype_as_externtype(wasm_table_type((const wasm_table_t *)e));
  case WASM_EXTERN_MEMORY:
    return wasm_memorytype_as_externtype(wasm_memory_type((const wasm_memory_t *)e));
  case KILN_EXTERN_TAG:
    return kiln_tagtype_as_externtype(kiln_tag_type((const kiln_tag_t *)e));
  default: return NULL;
  }
}

#define VM_EXTERN_CONV(name, type_t, KIND)                                     \
  wasm_extern_t *wasm_##name##_as_extern(type_t *x) { return (wasm_extern_t *)x; } \
  const wasm_extern_t *wasm_##name##_as_extern_const(const type_t *x) {        \
    return (const wasm_extern_t *)x;                                           \
  }                                                                            \
  type_t *wasm_extern_as_##name(wasm_extern_t *e) {                            \
    return e && e->kind == KIND ? (type_t *)e : NULL;                          \
  }                                                                            \
  const type_t *wasm_extern_as_##name##_const(const wasm_extern_t *e) {        \
    return e && e->kind == KIND ? (const type_t *)e : NULL;                    \
  }

VM_EXTERN_CONV(func, wasm_func_t, WASM_EXTERN_FUNC)
VM_EXTERN_CONV(global, wasm_global_t, WASM_EXTERN_GLOBAL)
VM_EXTERN_CONV(table, wasm_table_t, WASM_EXTERN_TABLE)
VM_EXTERN_CONV(memory, wasm_memory_t, WASM_EXTERN_MEMORY)

/* ---- wasm_extern_vec_t (vectors of owned pointers, as in vm/vec.c) ----- */

void wasm_extern_vec_new_empty(own wasm_extern_vec_t *out) {
  out->size = 0;
  out->data = NULL;
}

void wasm_extern_vec_new_uninitialized(own wasm_extern_vec_t *out, size_t n) {
  out->data = n && n <= PTRDIFF_MAX / sizeof(wasm_extern_t *)
                  ? calloc(n, sizeof(wasm_extern_t *))
                  : NULL;
  out->size = out->data ? n : 0;
}

void wasm_extern_vec_new(own wasm_extern_vec_t *out, size_t n,
                         own wasm_extern_t *const data[]) {
  wasm_extern_vec_new_uninitialized(out, n);
  if (out->data)
    memcpy(out->data, data, n * sizeof *data);
  else
    for (size_t i = 0; i < n; i++) wasm_extern_delete(data[i]);
}

void wasm_extern_vec_copy(own wasm_extern_vec_t *out, const wasm_extern_vec_t *src) {
  size_t n = src ? src->size : 0;
  wasm_extern_vec_new_uninitialized(out, n);
  for (size_t i = 0; i < out->size; i++) {
    out->data[i] = wasm_extern_copy(src->data[i]);
    if (src->data[i] && !out->data[i]) {
      wasm_extern_vec_delete(out);
      return;
    }
  }
}

void wasm_extern_vec_delete(own wasm_extern_vec_t *vec) {
  if (!vec) return;
  for (size_t i = 0; i < vec->size; i++) wasm_extern_delete(vec->data[i]);
  free(vec->data);
  vec->data = NULL;
  vec->size = 0;
}
