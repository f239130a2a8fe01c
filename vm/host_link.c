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

/* A module whose one type is canonical type `id`; NULL if the type names a
 * concrete heap type or on failure. */
static fe_module *one_type_module(wasm_engine_t *e, uint32_t id) {
  const fe_type *t = fe_typereg_type(e->types, id);
  if (!t || t->kind != FE_COMP_FUNC)
    return NULL;
  fe_module *fm = vm_one_type_module(e, fe_func_params(t), t->nparams, fe_func_results(t),
                                     fe_func_nresults(t));
  if (fm && fm->types[0].canon != id) { /* cannot happen: same structure */
    fe_module_free(fm);
    fm = NULL;
  }
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
