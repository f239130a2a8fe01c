/* vm/externtype.c — the types of importable and exportable entities:
 * function, global, table and memory types (the standard's), tag types
 * (Kiln's, kiln.h), their common view wasm_externtype_t, and the
 * construction of all of them from a module description.
 *
 * Each type struct starts with a wasm_externtype_t header holding its kind
 * (vm.h), so converting to and from the extern view is a pointer cast after
 * a kind check, and deleting or copying through the extern view dispatches
 * on the kind.
 *
 * Constructors that take `own` arguments release them on every failure, so
 * the caller never has to know whether ownership passed.  Tables and
 * memories store their exact 64-bit limits and the standard's 32-bit view of
 * them, computed once here.
 */
#include <stddef.h>
#include <stdlib.h>

#include "vm.h"

_Static_assert(offsetof(wasm_functype_t, ext) == 0, "header first");
_Static_assert(offsetof(wasm_globaltype_t, ext) == 0, "header first");
_Static_assert(offsetof(wasm_tabletype_t, ext) == 0, "header first");
_Static_assert(offsetof(wasm_memorytype_t, ext) == 0, "header first");
_Static_assert(offsetof(kiln_tagtype_t, ext) == 0, "header first");

/* ---- limits ------------------------------------------------------------ */

static uint32_t vm_saturate32(uint64_t x) {
  return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

/* The standard's view of exact limits.  A maximum of 2^32-1 or more reads
 * as wasm_limits_max_default, which the standard uses for "no maximum". */
static wasm_limits_t vm_limits32(const kiln_limits64_t *l) {
  wasm_limits_t r = {vm_saturate32(l->min),
                     l->has_max ? vm_saturate32(l->max)
                                : wasm_limits_max_default};
  return r;
}

/* Exact limits from the standard's: 32-bit, no maximum when max is
 * wasm_limits_max_default. */
static kiln_limits64_t vm_limits64(const wasm_limits_t *l) {
  bool has_max = l->max != wasm_limits_max_default;
  kiln_limits64_t r = {l->min, has_max ? l->max : 0, has_max, false};
  return r;
}

/* The module's limits; a missing maximum is stored as 0, like
 * vm_limits64 does. */
static kiln_limits64_t vm_limits_fe(const fe_limits *l) {
  kiln_limits64_t r = {l->min, l->has_max ? l->max : 0, l->has_max, l->is64};
  return r;
}

/* ---- function types ---------------------------------------------------- */

static bool vm_valtypes_complete(const wasm_valtype_vec_t *v) {
  for (size_t i = 0; i < v->size; i++)
    if (!v->data[i]) return false;
  return true;
}

/* The vectors' contents are moved into the new type and the vectors left
 * empty; on failure they are deleted. */
static wasm_functype_t *vm_functype_take(wasm_valtype_vec_t *params,
                                         wasm_valtype_vec_t *results,
                                         uint32_t type_id) {
  wasm_functype_t *ft = NULL;
  if (!vm_valtypes_complete(params) || !vm_valtypes_complete(results))
    goto fail;
  ft = malloc(sizeof *ft);
  if (!ft) goto fail;
  ft->ext.kind = WASM_EXTERN_FUNC;
  ft->params = *params;
  ft->results = *results;
  ft->type_id = type_id;
  wasm_valtype_vec_new_empty(params);
  wasm_valtype_vec_new_empty(results);
  return ft;

fail:
  wasm_valtype_vec_delete(params);
  wasm_valtype_vec_delete(results);
  return NULL;
}

wasm_functype_t *wasm_functype_new(own wasm_valtype_vec_t *params,
                                   own wasm_valtype_vec_t *results) {
  if (!params || !results) {
    wasm_valtype_vec_delete(params); /* NULL is allowed */
    wasm_valtype_vec_delete(results);
    return NULL;
  }
  return vm_functype_take(params, results, KILN_NO_TYPE);
}

/* A copy of a vector that was not empty but came back empty ran out of
 * memory. */
static bool vm_valtype_vec_copied(wasm_valtype_vec_t *out,
                                  const wasm_valtype_vec_t *src) {
  wasm_valtype_vec_copy(out, src);
  return out->size == src->size;
}

wasm_functype_t *wasm_functype_copy(const wasm_functype_t *ft) {
  if (!ft) return NULL;
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new_empty(&results);
  if (!vm_valtype_vec_copied(&params, &ft->params) ||
      !vm_valtype_vec_copied(&results, &ft->results)) {
    wasm_valtype_vec_delete(&params);
    wasm_valtype_vec_delete(&results);
    return NULL;
  }
  return vm_functype_take(&params, &results, ft->type_id);
}

void wasm_functype_delete(own wasm_functype_t *ft) {
  if (!ft) return;
  wasm_valtype_vec_delete(&ft->params);
  wasm_valtype_vec_delete(&ft->results);
  free(ft);
}

const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *ft) {
  return &ft->params;
}

const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *ft) {
  return &ft->results;
}

uint32_t kiln_functype_type_id(const wasm_functype_t *ft) {
  return ft->type_id;
}

/* The function type of module type index `index`, with its canonical id. */
static wasm_functype_t *vm_functype_of(const fe_module *m, uint32_t index) {
  const fe_type *t = &m->types[index];
  uint32_t np = t->nparams, nr = fe_func_nresults(t);
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new_uninitialized(&params, np);
  wasm_valtype_vec_new_uninitialized(&results, nr);
  if (params.size != np || results.size != nr) goto fail;
  for (uint32_t i = 0; i < np; i++) {
    params.data[i] = vm_valtype_new(vm_valtype_canon(m, fe_func_params(t)[i]));
    if (!params.data[i]) goto fail;
  }
  for (uint32_t i = 0; i < nr; i++) {
    results.data[i] =
        vm_valtype_new(vm_valtype_canon(m, fe_func_results(t)[i]));
    if (!results.data[i]) goto fail;
  }
  return vm_functype_take(&params, &results, t->canon);

fail:
  wasm_valtype_vec_delete(&params);
  wasm_valtype_vec_delete(&results);
  return NULL;
}

/* ---- global types ------------------------------------------------------ */

wasm_globaltype_t *wasm_globaltype_new(own wasm_valtype_t *content,
                                       wasm_mutability_t mutability) {
  wasm_globaltype_t *gt = NULL;
  if (!content || (mutability != WASM_CONST && mutability != WASM_VAR))
    goto fail;
  gt = malloc(sizeof *gt);
  if (!gt) goto fail;
  gt->ext.kind = WASM_EXTERN_GLOBAL;
  gt->content = content;
  gt->mutability = mutability;
  return gt;

fail:
  wasm_valtype_delete(content);
  return NULL;
}

wasm_globaltype_t *wasm_globaltype_copy(const wasm_globaltype_t *gt) {
  if (!gt) return NULL;
  wasm_valtype_t *content = wasm_valtype_copy(gt->content);
  return content ? wasm_globaltype_new(content, gt->mutability) : NULL;
}

void wasm_globaltype_delete(own wasm_globaltype_t *gt) {
  if (!gt) return;
  wasm_valtype_delete(gt->content);
  free(gt);
}

const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *gt) {
  return gt->content;
}

wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *gt) {
  return gt->mutability;
}

/* ---- table types ------------------------------------------------------- */

wasm_tabletype_t *kiln_tabletype_new64(own wasm_valtype_t *element,
                                       const kiln_limits64_t *limits) {
  wasm_tabletype_t *tt = NULL;
  if (!element || !limits || !FE_VT_IS_REF(element->vt)) goto fail;
  tt = malloc(sizeof *tt);
  if (!tt) goto fail;
  tt->ext.kind = WASM_EXTERN_TABLE;
  tt->element = element;
  tt->limits = *limits;
  if (!tt->limits.has_max) tt->limits.max = 0;
  tt->limits32 = vm_limits32(&tt->limits);
  return tt;

fail:
  wasm_valtype_delete(element);
  return NULL;
}

wasm_tabletype_t *wasm_tabletype_new(own wasm_valtype_t *element,
                                     const wasm_limits_t *limits) {
  if (!limits) {
    wasm_valtype_delete(element);
    return NULL;
  }
  kiln_limits64_t l = vm_limits64(limits);
  return kiln_tabletype_new64(element, &l);
}

wasm_tabletype_t *wasm_tabletype_copy(const wasm_tabletype_t *tt) {
  if (!tt) return NULL;
  wasm_valtype_t *element = wasm_valtype_copy(tt->element);
  return element ? kiln_tabletype_new64(element, &tt->limits) : NULL;
}

void wasm_tabletype_delete(own wasm_tabletype_t *tt) {
  if (!tt) return;
  wasm_valtype_delete(tt->element);
  free(tt);
}

const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *tt) {
  return tt->element;
}

const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *tt) {
  return &tt->limits32;
}

const kiln_limits64_t *kiln_tabletype_limits64(const wasm_tabletype_t *tt) {
  return &tt->limits;
}

/* ---- memory types ------------------------------------------------------ */

wasm_memorytype_t *kiln_memorytype_new64(const kiln_limits64_t *limits) {
  if (!limits) return NULL;
  wasm_memorytype_t *mt = malloc(sizeof *mt);
  if (!mt) return NULL;
  mt->ext.kind = WASM_EXTERN_MEMORY;
  mt->limits = *limits;
  if (!mt->limits.has_max) mt->limits.max = 0;
  mt->limits32 = vm_limits32(&mt->limits);
  return mt;
}

wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits) {
  if (!limits) return NULL;
  kiln_limits64_t l = vm_limits64(limits);
  return kiln_memorytype_new64(&l);
}

wasm_memorytype_t *wasm_memorytype_copy(const wasm_memorytype_t *mt) {
  return mt ? kiln_memorytype_new64(&mt->limits) : NULL;
}

void wasm_memorytype_delete(own wasm_memorytype_t *mt) { free(mt); }

const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *mt) {
  return &mt->limits32;
}

const kiln_limits64_t *kiln_memorytype_limits64(const wasm_memorytype_t *mt) {
  return &mt->limits;
}

/* ---- tag types --------------------------------------------------------- */

kiln_tagtype_t *kiln_tagtype_new(own wasm_functype_t *type) {
  kiln_tagtype_t *tt = NULL;
  if (!type || type->results.size != 0) goto fail;
  tt = malloc(sizeof *tt);
  if (!tt) goto fail;
  tt->ext.kind = KILN_EXTERN_TAG;
  tt->type = type;
  return tt;

fail:
  wasm_functype_delete(type);
  return NULL;
}

kiln_tagtype_t *kiln_tagtype_copy(const kiln_tagtype_t *tt) {
  if (!tt) return NULL;
  wasm_functype_t *type = wasm_functype_copy(tt->type);
  return type ? kiln_tagtype_new(type) : NULL;
}

void kiln_tagtype_delete(own kiln_tagtype_t *tt) {
  if (!tt) return;
  wasm_functype_delete(tt->type);
  free(tt);
}

const wasm_functype_t *kiln_tagtype_functype(const kiln_tagtype_t *tt) {
  return tt->type;
}

/* ---- extern types ------------------------------------------------------ */

wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *et) {
  return et->kind;
}

/* Upcasts: every type is its own extern view (its first member). */
wasm_externtype_t *wasm_functype_as_externtype(wasm_functype_t *t) {
  return t ? &t->ext : NULL;
}
wasm_externtype_t *wasm_globaltype_as_externtype(wasm_globaltype_t *t) {
  return t ? &t->ext : NULL;
}
wasm_externtype_t *wasm_tabletype_as_externtype(wasm_tabletype_t *t) {
  return t ? &t->ext : NULL;
}
wasm_externtype_t *wasm_memorytype_as_externtype(wasm_memorytype_t *t) {
  return t ? &t->ext : NULL;
}
wasm_externtype_t *kiln_tagtype_as_externtype(kiln_tagtype_t *t) {
  return t ? &t->ext : NULL;
}

const wasm_externtype_t *wasm_functype_as_externtype_const(
    const wasm_functype_t *t) {
  return t ? &t->ext : NULL;
}
const wasm_externtype_t *wasm_globaltype_as_externtype_const(
    const wasm_globaltype_t *t) {
  return t ? &t->ext : NULL;
}
const wasm_externtype_t *wasm_tabletype_as_externtype_const(
    const wasm_tabletype_t *t) {
  return t ? &t->ext : NULL;
}
const wasm_externtype_t *wasm_memorytype_as_externtype_const(
    const wasm_memorytype_t *t) {
  return t ? &t->ext : NULL;
}
const wasm_externtype_t *kiln_tagtype_as_externtype_const(
    const kiln_tagtype_t *t) {
  return t ? &t->ext : NULL;
}

/* Downcasts: NULL unless the extern type is of that kind.  A pointer to a
 * struct's first member converts back to a pointer to the struct. */
wasm_functype_t *wasm_externtype_as_functype(wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_FUNC ? (wasm_functype_t *)et : NULL;
}
wasm_globaltype_t *wasm_externtype_as_globaltype(wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_GLOBAL ? (wasm_globaltype_t *)et
                                              : NULL;
}
wasm_tabletype_t *wasm_externtype_as_tabletype(wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_TABLE ? (wasm_tabletype_t *)et : NULL;
}
wasm_memorytype_t *wasm_externtype_as_memorytype(wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_MEMORY ? (wasm_memorytype_t *)et
                                              : NULL;
}
kiln_tagtype_t *kiln_externtype_as_tagtype(wasm_externtype_t *et) {
  return et && et->kind == KILN_EXTERN_TAG ? (kiln_tagtype_t *)et : NULL;
}

const wasm_functype_t *wasm_externtype_as_functype_const(
    const wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_FUNC ? (const wasm_functype_t *)et
                                            : NULL;
}
const wasm_globaltype_t *wasm_externtype_as_globaltype_const(
    const wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_GLOBAL ? (const wasm_globaltype_t *)et
                                              : NULL;
}
const wasm_tabletype_t *wasm_externtype_as_tabletype_const(
    const wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_TABLE ? (const wasm_tabletype_t *)et
                                             : NULL;
}
const wasm_memorytype_t *wasm_externtype_as_memorytype_const(
    const wasm_externtype_t *et) {
  return et && et->kind == WASM_EXTERN_MEMORY ? (const wasm_memorytype_t *)et
                                              : NULL;
}
const kiln_tagtype_t *kiln_externtype_as_tagtype_const(
    const wasm_externtype_t *et) {
  return et && et->kind == KILN_EXTERN_TAG ? (const kiln_tagtype_t *)et
                                           : NULL;
}

wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *et) {
  if (!et) return NULL;
  switch (et->kind) {
  case WASM_EXTERN_FUNC:
    return wasm_functype_as_externtype(
        wasm_functype_copy(wasm_externtype_as_functype_const(et)));
  case WASM_EXTERN_GLOBAL:
    return wasm_globaltype_as_externtype(
        wasm_globaltype_copy(wasm_externtype_as_globaltype_const(et)));
  case WASM_EXTERN_TABLE:
    return wasm_tabletype_as_externtype(
        wasm_tabletype_copy(wasm_externtype_as_tabletype_const(et)));
  case WASM_EXTERN_MEMORY:
    return wasm_memorytype_as_externtype(
        wasm_memorytype_copy(wasm_externtype_as_memorytype_const(et)));
  case KILN_EXTERN_TAG:
    return kiln_tagtype_as_externtype(
        kiln_tagtype_copy(kiln_externtype_as_tagtype_const(et)));
  default: return NULL;
  }
}

void wasm_externtype_delete(own wasm_externtype_t *et) {
  if (!et) return;
  switch (et->kind) {
  case WASM_EXTERN_FUNC:
    wasm_functype_delete(wasm_externtype_as_functype(et));
    break;
  case WASM_EXTERN_GLOBAL:
    wasm_globaltype_delete(wasm_externtype_as_globaltype(et));
    break;
  case WASM_EXTERN_TABLE:
    wasm_tabletype_delete(wasm_externtype_as_tabletype(et));
    break;
  case WASM_EXTERN_MEMORY:
    wasm_memorytype_delete(wasm_externtype_as_memorytype(et));
    break;
  case KILN_EXTERN_TAG:
    kiln_tagtype_delete(kiln_externtype_as_tagtype(et));
    break;
  default: break; /* not made by Kiln: nothing is known to free */
  }
}

/* ---- types of a module's entities ------------------------------------- */

wasm_externtype_t *vm_externtype_of(const fe_module *m, uint8_t kind,
                                    uint32_t index) {
  switch (kind) {
  case FE_EXT_FUNC:
    return wasm_functype_as_externtype(
        vm_functype_of(m, m->funcs[index].type));
  case FE_EXT_TABLE: {
    const fe_table *t = &m->tables[index];
    kiln_limits64_t l = vm_limits_fe(&t->lim);
    return wasm_tabletype_as_externtype(kiln_tabletype_new64(
        vm_valtype_new(vm_valtype_canon(m, t->elem)), &l));
  }
  case FE_EXT_MEMORY: {
    kiln_limits64_t l = vm_limits_fe(&m->mems[index].lim);
    return wasm_memorytype_as_externtype(kiln_memorytype_new64(&l));
  }
  case FE_EXT_GLOBAL: {
    const fe_global *g = &m->globals[index];
    return wasm_globaltype_as_externtype(
        wasm_globaltype_new(vm_valtype_new(vm_valtype_canon(m, g->type)),
                            g->mut ? WASM_VAR : WASM_CONST));
  }
  case FE_EXT_TAG:
    return kiln_tagtype_as_externtype(
        kiln_tagtype_new(vm_functype_of(m, m->tags[index].type)));
  default: return NULL;
  }
}
