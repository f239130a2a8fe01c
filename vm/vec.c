/* vm/vec.c — the standard's vectors (wasm_NAME_vec_t) for every element
 * type libkiln implements.
 *
 * A vector is a plain {size, data} pair that its owner passes around by
 * value and releases with _delete.  An empty vector has size 0 and data
 * NULL, so that deleting it (or a vector whose allocation failed) is always
 * safe, and _delete leaves the vector empty, so a double delete is
 * harmless.  Allocation failure yields an empty vector: the standard API has
 * no other way to report it, and callers can test `data == NULL` when they
 * asked for a non-zero size.
 *
 * One implementation serves every element type: the vm_vec_* functions
 * work on a data array described by a vm_vec_elem (element size, and how to
 * delete and deep-copy one element in place), and VEC_DEFINE writes the
 * five public functions of one vector type as calls to them.  The names it
 * defines, for NAME in byte, valtype, functype, globaltype, tabletype,
 * memorytype, externtype, importtype and exporttype (prototypes in wasm.h):
 *   wasm_NAME_vec_new_empty        wasm_NAME_vec_new_uninitialized
 *   wasm_NAME_vec_new              wasm_NAME_vec_copy
 *   wasm_NAME_vec_delete
 * and, for the vectors of pointers, the static element adapters
 * vec_NAME_delete and vec_NAME_copy (VEC_PTR_ELEM).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* How to handle one element, given the address of its slot in the array.
 * del is NULL for plain values (nothing to release); copy is NULL when a
 * bitwise copy is a copy.  copy returns false when out of memory, leaving
 * nothing to release in *dst. */
typedef struct vm_vec_elem {
  size_t size;
  void (*del)(void *slot);
  bool (*copy)(void *dst, const void *src);
} vm_vec_elem;

/* An array of n elements, or NULL when n is 0, too large (no object may
 * exceed PTRDIFF_MAX bytes; glibc's malloc refuses them too) or memory is
 * exhausted.  Elements that own something are zeroed (NULL pointers), so a
 * vector deleted before it is filled frees nothing it does not own; plain
 * values are left uninitialized (malloc, not calloc: contents are
 * unspecified by the standard and large modules should not be cleared
 * twice). */
static void *vm_vec_alloc(const vm_vec_elem *e, size_t n) {
  if (n == 0 || n > PTRDIFF_MAX / e->size) return NULL;
  return e->del ? calloc(n, e->size) : malloc(n * e->size);
}

/* Deletes the n elements of data, then data. */
static void vm_vec_free(const vm_vec_elem *e, size_t n, void *data) {
  if (e->del && data)
    for (size_t i = 0; i < n; i++) e->del((char *)data + i * e->size);
  free(data);
}

/* A new array holding the n elements of src, which it takes ownership of:
 * the elements are moved, not copied.  When out of memory the elements are
 * deleted (the caller gave them away) and NULL is returned. */
static void *vm_vec_take(const vm_vec_elem *e, size_t n, const void *src) {
  if (n == 0 || !src) return NULL;
  void *data = vm_vec_alloc(e, n);
  if (!data) {
    if (e->del)
      for (size_t i = 0; i < n; i++)
        e->del((char *)(uintptr_t)src + i * e->size);
    return NULL;
  }
  memcpy(data, src, n * e->size);
  return data;
}

/* A deep copy of the n elements of src; NULL (and nothing allocated) when
 * out of memory. */
static void *vm_vec_copy(const vm_vec_elem *e, size_t n, const void *src) {
  if (n == 0 || !src) return NULL;
  void *data = vm_vec_alloc(e, n);
  if (!data) return NULL;
  if (!e->copy) {
    memcpy(data, src, n * e->size);
    return data;
  }
  for (size_t i = 0; i < n; i++) {
    if (!e->copy((char *)data + i * e->size,
                 (const char *)src + i * e->size)) {
      vm_vec_free(e, i, data); /* the slots after i are zero */
      return NULL;
    }
  }
  return data;
}

/* The five public functions of wasm_NAME_vec_t, whose elements are
 * wasm_NAME_t ptr_or_none (as in the standard's WASM_DECLARE_VEC) and are
 * described by the vm_vec_elem `elem`. */
#define VEC_DEFINE(name, ptr_or_none, elem)                                  \
  void wasm_##name##_vec_new_empty(own wasm_##name##_vec_t *out) {          \
    out->size = 0;                                                           \
    out->data = NULL;                                                        \
  }                                                                          \
  void wasm_##name##_vec_new_uninitialized(own wasm_##name##_vec_t *out,    \
                                           size_t size) {                    \
    out->data = vm_vec_alloc(&elem, size);                                   \
    out->size = out->data ? size : 0;                                        \
  }                                                                          \
  void wasm_##name##_vec_new(own wasm_##name##_vec_t *out, size_t size,     \
                             own wasm_##name##_t ptr_or_none const data[]) { \
    out->data = vm_vec_take(&elem, size, data);                              \
    out->size = out->data ? size : 0;                                        \
  }                                                                          \
  void wasm_##name##_vec_copy(own wasm_##name##_vec_t *out,                  \
                              const wasm_##name##_vec_t *src) {              \
    size_t n = src ? src->size : 0;                                          \
    out->data = vm_vec_copy(&elem, n, src ? src->data : NULL);               \
    out->size = out->data ? n : 0;                                           \
  }                                                                          \
  void wasm_##name##_vec_delete(own wasm_##name##_vec_t *vec) {              \
    if (!vec) return;                                                        \
    vm_vec_free(&elem, vec->size, vec->data);                                \
    vec->data = NULL;                                                        \
    vec->size = 0;                                                           \
  }

/* ---- bytes (also names) ------------------------------------------------ */

/* Bytes own nothing; a copy is a memcpy. */
static const vm_vec_elem vec_byte_elem = {sizeof(wasm_byte_t), NULL, NULL};

VEC_DEFINE(byte, , vec_byte_elem)

/* ---- vectors of owned pointers ----------------------------------------- */

/* The element adapters of a vector of wasm_NAME_t *: a slot holds one
 * owned pointer (possibly NULL), deleted with wasm_NAME_delete and copied
 * with wasm_NAME_copy.  They are typed wrappers rather than casts of the
 * public functions because calling a function through a pointer of another
 * type is undefined (and UBSan's -fsanitize=function reports it). */
#define VEC_PTR_ELEM(name)                                                   \
  static void vec_##name##_delete(void *slot) {                              \
    wasm_##name##_delete(*(wasm_##name##_t **)slot);                         \
  }                                                                          \
  static bool vec_##name##_copy(void *dst, const void *src) {                \
    const wasm_##name##_t *s = *(wasm_##name##_t *const *)src;               \
    wasm_##name##_t *d = s ? wasm_##name##_copy(s) : NULL;                   \
    *(wasm_##name##_t **)dst = d;                                            \
    return d || !s;                                                          \
  }                                                                          \
  static const vm_vec_elem vec_##name##_elem = {                             \
      sizeof(wasm_##name##_t *), vec_##name##_delete, vec_##name##_copy};    \
  VEC_DEFINE(name, *, vec_##name##_elem)

VEC_PTR_ELEM(valtype)
VEC_PTR_ELEM(functype)
VEC_PTR_ELEM(globaltype)
VEC_PTR_ELEM(tabletype)
VEC_PTR_ELEM(memorytype)
VEC_PTR_ELEM(externtype)
VEC_PTR_ELEM(importtype)
VEC_PTR_ELEM(exporttype)
