/* vm/vec.c — byte vectors (wasm_byte_vec_t, also wasm_name_t).
 *
 * The standard's vectors are plain {size, data} pairs that the owner passes
 * around by value and releases with _delete.  An empty vector has size 0 and
 * data NULL, so that deleting it (or a vector whose allocation failed) is
 * always safe.  Allocation failure yields an empty vector: the standard API
 * has no other way to report it, and callers can test `data == NULL` when
 * they asked for a non-zero size.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Empty vectors own nothing; this is also the state a deleted vector is
 * left in, so a double delete is harmless. */
void wasm_byte_vec_new_empty(own wasm_byte_vec_t *out) {
  out->size = 0;
  out->data = NULL;
}

/* The embedder fills the bytes itself (e.g. reading a file into a vector
 * before wasm_module_validate).  malloc, not calloc: contents are
 * unspecified by the standard and large modules should not be cleared
 * twice. */
void wasm_byte_vec_new_uninitialized(own wasm_byte_vec_t *out, size_t size) {
  out->data = size ? malloc(size) : NULL;
  out->size = out->data ? size : 0;
}

/* Copies `size` bytes from `data` into a new vector.  The standard marks the
 * source `own`, but for plain bytes there is nothing to take ownership of:
 * copying is what every implementation does. */
void wasm_byte_vec_new(own wasm_byte_vec_t *out, size_t size,
                       own wasm_byte_t const data[]) {
  wasm_byte_vec_new_uninitialized(out, size);
  if (out->size) memcpy(out->data, data, size);
}

void wasm_byte_vec_copy(own wasm_byte_vec_t *out, const wasm_byte_vec_t *src) {
  wasm_byte_vec_new(out, src->size, src->data);
}

void wasm_byte_vec_delete(own wasm_byte_vec_t *vec) {
  if (!vec) return;
  free(vec->data);
  vec->data = NULL;
  vec->size = 0;
}
