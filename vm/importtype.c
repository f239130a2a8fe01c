/* vm/importtype.c — import types (module name, name, extern type) and
 * export types (name, extern type).
 *
 * Both own their names and their extern type.  The constructors take
 * ownership of their arguments, on failure too: names are moved (the
 * caller's vectors are left empty), so the caller may delete them again
 * harmlessly.
 */
#include <stdlib.h>

#include "vm.h"

/* Moves *from into *to and leaves *from empty. */
static void vm_name_move(wasm_name_t *to, wasm_name_t *from) {
  *to = *from;
  wasm_name_new_empty(from);
}

/* A copy of a name that was not empty but came back empty ran out of
 * memory. */
static bool vm_name_copied(wasm_name_t *out, const wasm_name_t *src) {
  wasm_name_copy(out, src);
  return out->size == src->size;
}

/* ---- import types ------------------------------------------------------ */

wasm_importtype_t *wasm_importtype_new(own wasm_name_t *module,
                                       own wasm_name_t *name,
                                       own wasm_externtype_t *type) {
  wasm_importtype_t *it = NULL;
  if (!module || !name || !type) goto fail;
  it = malloc(sizeof *it);
  if (!it) goto fail;
  vm_name_move(&it->module, module);
  vm_name_move(&it->name, name);
  it->type = type;
  return it;

fail:
  wasm_name_delete(module);
  wasm_name_delete(name);
  wasm_externtype_delete(type);
  return NULL;
}

wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *it) {
  if (!it) return NULL;
  wasm_name_t module, name;
  wasm_name_new_empty(&name);
  wasm_externtype_t *type = NULL;
  if (!vm_name_copied(&module, &it->module) ||
      !vm_name_copied(&name, &it->name) ||
      !(type = wasm_externtype_copy(it->type))) {
    wasm_name_delete(&module);
    wasm_name_delete(&name);
    return NULL;
  }
  return wasm_importtype_new(&module, &name, type);
}

void wasm_importtype_delete(own wasm_importtype_t *it) {
  if (!it) return;
  wasm_name_delete(&it->module);
  wasm_name_delete(&it->name);
  wasm_externtype_delete(it->type);
  free(it);
}

const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *it) {
  return &it->module;
}

const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *it) {
  return &it->name;
}

const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *it) {
  return it->type;
}

/* ---- export types ------------------------------------------------------ */

wasm_exporttype_t *wasm_exporttype_new(own wasm_name_t *name,
                                       own wasm_externtype_t *type) {
  wasm_exporttype_t *et = NULL;
  if (!name || !type) goto fail;
  et = malloc(sizeof *et);
  if (!et) goto fail;
  vm_name_move(&et->name, name);
  et->type = type;
  return et;

fail:
  wasm_name_delete(name);
  wasm_externtype_delete(type);
  return NULL;
}

wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *et) {
  if (!et) return NULL;
  wasm_name_t name;
  wasm_externtype_t *type = NULL;
  if (!vm_name_copied(&name, &et->name) ||
      !(type = wasm_externtype_copy(et->type))) {
    wasm_name_delete(&name);
    return NULL;
  }
  return wasm_exporttype_new(&name, type);
}

void wasm_exporttype_delete(own wasm_exporttype_t *et) {
  if (!et) return;
  wasm_name_delete(&et->name);
  wasm_externtype_delete(et->type);
  free(et);
}

const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *et) {
  return &et->name;
}

const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *et) {
  return et->type;
}
