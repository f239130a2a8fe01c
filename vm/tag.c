/* vm/tag.c — tags (kiln_tag_t): handles on the vm_tag objects an instance
 * makes for the tags its module defines (vm/instance.h).  Exception
 * handling will throw and catch by the object's identity; until then a tag
 * is linked, exported and compared. */
#include <stdlib.h>

#include "instance.h"
#include "vm.h"

kiln_tag_t *vm_tag_handle(wasm_store_t *s, vm_tag *t) {
  kiln_tag_t *h = malloc(sizeof *h);
  if (!h) return NULL;
  h->ext.kind = KILN_EXTERN_TAG;
  h->ext.store = s;
  h->t = t;
  return h;
}

void kiln_tag_delete(own kiln_tag_t *t) { free(t); }

kiln_tag_t *kiln_tag_copy(const kiln_tag_t *t) {
  return t ? vm_tag_handle(t->ext.store, t->t) : NULL;
}

bool kiln_tag_same(const kiln_tag_t *a, const kiln_tag_t *b) {
  return a && b && a->t == b->t;
}

kiln_tagtype_t *kiln_tag_type(const kiln_tag_t *t) {
  wasm_functype_t *ft = vm_functype_of_id(t->ext.store->engine, t->t->type_id);
  return ft ? kiln_tagtype_new(ft) : NULL;
}

wasm_extern_t *kiln_tag_as_extern(kiln_tag_t *t) { return (wasm_extern_t *)t; }

const wasm_extern_t *kiln_tag_as_extern_const(const kiln_tag_t *t) {
  return (const wasm_extern_t *)t;
}

kiln_tag_t *kiln_extern_as_tag(wasm_extern_t *e) {
  return e && e->kind == KILN_EXTERN_TAG ? (kiln_tag_t *)e : NULL;
}

const kiln_tag_t *kiln_extern_as_tag_const(const wasm_extern_t *e) {
  return e && e->kind == KILN_EXTERN_TAG ? (const kiln_tag_t *)e : NULL;
}
