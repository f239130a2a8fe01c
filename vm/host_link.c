/* vm/host_link.c — typed entries for host functions.
 *
 * A host function made by wasm_func_new has no typed entry: machine code of
 * its type exists only in compiled modules (vm/host.h).  An instance that
 * imports it links a copy with its own module's host trampoline; but when
 * the function itself becomes a funcref value (an argument, a global, a
 * table element), Wasm may call it through call_indirect or call_ref, so it
 * needs a typed entry of its own.  The engine keeps, per canonical function
 * type, a one-type module compiled just for its host trampoline (kiln_h0),
 * made on first need and kept until the engine is deleted; linking sets the
 * host function's typed entry to it, once.
 *
 * Types with concrete references (a (ref $t) parameter) cannot be written as
 * a one-type module; such host functions stay unlinked, and uses that need
 * a typed entry are refused, as before.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/types.h"
#include "host.h"
#include "instance.h"
#include "vm.h"

struct vm_host_link {
  uint32_t type_id;
  fe_module *module;
  vm_compiled *compiled;
  vm_host_link *next;
};

static size_t put_leb(uint8_t *out, uint32_t v) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}

/* A module whose one type is canonical type `id`; NULL if the type names a
 * concrete heap type or on failure. */
static fe_module *one_type_module(wasm_engine_t *e, uint32_t id) {
  const fe_type *t = fe_typereg_type(e->types, id);
  if (!t || t->kind != FE_COMP_FUNC || t->n > 2000)
    return NULL;
  size_t cap = 64 + 2 * (size_t)t->n;
  uint8_t *mod = malloc(cap), *body = malloc(cap);
  fe_module *fm = NULL;
  if (!mod || !body)
    goto out;
  size_t n = 0;
  body[n++] = 1;    /* one type */
  body[n++] = 0x60; /* func */
  for (int part = 0; part < 2; part++) {
    uint32_t count = part ? fe_func_nresults(t) : t->nparams;
    const fe_valtype *vt = part ? fe_func_results(t) : fe_func_params(t);
    n += put_leb(body + n, count);
    for (uint32_t i = 0; i < count; i++) {
      if (!FE_VT_IS_REF(vt[i])) {
        body[n++] = FE_VT_CODE(vt[i]);
      } else if (FE_VT_HTKIND(vt[i]) == FE_HT_ABSTRACT) {
        body[n++] = FE_VT_NULLABLE(vt[i]) ? 0x63 : 0x64;
        body[n++] = (uint8_t)FE_VT_HEAP(vt[i]);
      } else {
        goto out; /* a concrete reference: not expressible here */
      }
    }
  }
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  memcpy(mod, header, 8);
  size_t m = 8;
  mod[m++] = 1; /* type section */
  m += put_leb(mod + m, (uint32_t)n);
  memcpy(mod + m, body, n);
  m += n;
  fe_error err;
  fm = fe_module_new(e->types, mod, m, &err);
  if (fm && fm->types[0].canon != id) { /* cannot happen: same structure */
    fe_module_free(fm);
    fm = NULL;
  }
out:
  free(mod);
  free(body);
  return fm;
}

/* The engine's host trampoline for canonical type `id`, made on first need;
 * NULL if it cannot be made. */
static void *host_trampoline(wasm_engine_t *e, uint32_t id) {
  pthread_mutex_lock(&e->host_links_lock);
  vm_host_link *l = e->host_links;
  while (l && l->type_id != id)
    l = l->next;
  if (!l) {
    fe_module *fm = one_type_module(e, id);
    char err[256];
    vm_compiled *c = fm ? vm_compiled_new(fm, 2, err, sizeof err) : NULL;
    l = c ? calloc(1, sizeof *l) : NULL;
    if (!l) {
      vm_compiled_free(c);
      fe_module_free(fm);
      pthread_mutex_unlock(&e->host_links_lock);
      return NULL;
    }
    l->type_id = id;
    l->module = fm;
    l->compiled = c;
    l->next = e->host_links;
    e->host_links = l;
  }
  void *entry = l->compiled->host_trampolines[0];
  pthread_mutex_unlock(&e->host_links_lock);
  return entry;
}

bool vm_host_link_func(wasm_engine_t *e, vm_funcref *f) {
  if (!vm_funcref_is_host(f))
    return true;
  void *entry = host_trampoline(e, f->type_id);
  if (!entry)
    return false;
  f->typed_entry = entry;
  return true;
}

void vm_host_links_free(wasm_engine_t *e) {
  vm_host_link *l = e->host_links;
  while (l) {
    vm_host_link *next = l->next;
    vm_compiled_free(l->compiled);
    fe_module_free(l->module);
    free(l);
    l = next;
  }
  e->host_links = NULL;
}
