/* vm/func.c — functions (wasm_func_t): host functions made by the embedder
 * and functions of instances, calls from the host, and the dispatcher that
 * runs a host callback when Wasm code calls it.
 *
 * A wasm_func_t is a handle on a vm_funcref.  A host function is a
 * vm_host_func (vm/host.h) whose data is a vm_hostfn record below; the store
 * owns both and runs the finalizer when it dies.  Its type must be a
 * canonical id of the engine's registry, because imports are checked and
 * call_indirect compares by id: a function type read from a module has one
 * (kiln_functype_type_id); one built with wasm_functype_new is interned by
 * decoding a one-type module made for it (vm_functype_intern).
 *
 * wasm_func_call calls a host function's callback directly; a Wasm function
 * goes through vm_invoke (a protected call).  When Wasm calls a host
 * function, the dispatcher converts the value slots to wasm_val_t, calls the
 * callback, converts the results back, and turns a returned trap into a VM
 * trap through the pending host trap (trap_api.c).  Nothing the dispatcher
 * allocates is held across the raise.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend/types.h"
#include "host.h"
#include "instance.h"
#include "trap.h"
#include "vm.h"

typedef struct vm_hostfn {
  vm_host_func *hf;
  wasm_store_t *store;
  const fe_type *type; /* canonical record in the engine's registry */
  wasm_func_callback_t cb;
  wasm_func_callback_with_env_t cb_env;
  void *env;
  void (*finalizer)(void *);
} vm_hostfn;

/* ---- handles ------------------------------------------------------------- */

wasm_func_t *vm_func_handle(wasm_store_t *s, vm_funcref *f) {
  if (!f) return NULL;
  wasm_func_t *h = malloc(sizeof *h);
  if (!h) return NULL;
  h->ext.kind = WASM_EXTERN_FUNC;
  h->ext.store = s;
  h->f = f;
  return h;
}

void wasm_func_delete(own wasm_func_t *f) { free(f); }

wasm_func_t *wasm_func_copy(const wasm_func_t *f) {
  return f ? vm_func_handle(f->ext.store, f->f) : NULL;
}

bool wasm_func_same(const wasm_func_t *a, const wasm_func_t *b) {
  return a && b && a->f == b->f;
}

wasm_ref_t *wasm_func_as_ref(wasm_func_t *f) { return (wasm_ref_t *)(void *)f; }
const wasm_ref_t *wasm_func_as_ref_const(const wasm_func_t *f) {
  return (const wasm_ref_t *)(const void *)f;
}
wasm_func_t *wasm_ref_as_func(wasm_ref_t *r) {
  return r && r->ext.kind == WASM_EXTERN_FUNC ? (wasm_func_t *)(void *)r : NULL;
}
const wasm_func_t *wasm_ref_as_func_const(const wasm_ref_t *r) {
  return r && r->ext.kind == WASM_EXTERN_FUNC ? (const wasm_func_t *)(const void *)r
                                              : NULL;
}

/* ---- types --------------------------------------------------------------- */

static const fe_type *vm_func_fetype(const wasm_func_t *f) {
  return fe_typereg_type(f->ext.store->engine->types, f->f->type_id);
}

wasm_functype_t *vm_functype_of_id(wasm_engine_t *e, uint32_t id) {
  const fe_type *t = fe_typereg_type(e->types, id);
  if (!t) return NULL;
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new_uninitialized(&params, t->nparams);
  wasm_valtype_vec_new_uninitialized(&results, fe_func_nresults(t));
  bool ok = params.size == t->nparams && results.size == fe_func_nresults(t);
  for (size_t i = 0; ok && i < params.size; i++)
    ok = (params.data[i] = vm_valtype_new(fe_func_params(t)[i])) != NULL;
  for (size_t i = 0; ok && i < results.size; i++)
    ok = (results.data[i] = vm_valtype_new(fe_func_results(t)[i])) != NULL;
  if (!ok) {
    wasm_valtype_vec_delete(&params);
    wasm_valtype_vec_delete(&results);
    return NULL;
  }
  wasm_functype_t *ft = wasm_functype_new(&params, &results);
  if (ft) ft->type_id = id;
  return ft;
}

wasm_functype_t *wasm_func_type(const wasm_func_t *f) {
  return vm_functype_of_id(f->ext.store->engine, f->f->type_id);
}

size_t wasm_func_param_arity(const wasm_func_t *f) {
  const fe_type *t = vm_func_fetype(f);
  return t ? t->nparams : 0;
}

size_t wasm_func_result_arity(const wasm_func_t *f) {
  const fe_type *t = vm_func_fetype(f);
  return t ? fe_func_nresults(t) : 0;
}

/* The binary encoding of a value type (canonical form); false for a
 * concrete heap type, which a one-type module cannot name. */
static bool vm_encode_vt(fe_valtype vt, uint8_t *out, size_t *n) {
  if (!FE_VT_IS_REF(vt)) {
    out[(*n)++] = FE_VT_CODE(vt);
    return true;
  }
  if (FE_VT_HTKIND(vt) != FE_HT_ABSTRACT) return false;
  out[(*n)++] = FE_VT_NULLABLE(vt) ? 0x63 : 0x64;
  out[(*n)++] = (uint8_t)FE_VT_HEAP(vt);
  return true;
}

static size_t vm_leb(uint8_t *out, uint32_t v) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}

fe_module *vm_one_type_module(wasm_engine_t *e, const fe_valtype *params, size_t np,
                              const fe_valtype *results, size_t nr) {
  if (np > 1000 || nr > 1000) return NULL;
  size_t cap = 32 + 2 * (np + nr);
  uint8_t *body = malloc(cap), *mod = malloc(cap + 16);
  fe_module *fm = NULL;
  if (!body || !mod) goto out;
  size_t n = 0;
  body[n++] = 1;    /* one type */
  body[n++] = 0x60; /* func */
  n += vm_leb(body + n, (uint32_t)np);
  for (size_t i = 0; i < np; i++)
    if (!vm_encode_vt(params[i], body, &n)) goto out;
  n += vm_leb(body + n, (uint32_t)nr);
  for (size_t i = 0; i < nr; i++)
    if (!vm_encode_vt(results[i], body, &n)) goto out;
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  memcpy(mod, header, 8);
  size_t m = 8;
  mod[m++] = 1; /* type section */
  m += vm_leb(mod + m, (uint32_t)n);
  memcpy(mod + m, body, n);
  m += n;
  fe_error err;
  fm = fe_module_new(e->types, mod, m, &err);
out:
  free(body);
  free(mod);
  return fm;
}

/* The canonical id of a function type built by the embedder: interned by
 * decoding a one-type module made for it.  KILN_NO_TYPE if it cannot be (a
 * concrete reference type, too many values, out of memory). */
static uint32_t vm_functype_intern(wasm_engine_t *e, const wasm_functype_t *ft) {
  if (ft->type_id != KILN_NO_TYPE) return ft->type_id;
  size_t np = ft->params.size, nr = ft->results.size;
  if (np > 1000 || nr > 1000) return KILN_NO_TYPE;
  fe_valtype *vt = malloc((np + nr + 1) * sizeof *vt);
  if (!vt) return KILN_NO_TYPE;
  for (size_t i = 0; i < np; i++) vt[i] = ft->params.data[i]->vt;
  for (size_t i = 0; i < nr; i++) vt[np + i] = ft->results.data[i]->vt;
  fe_module *fm = vm_one_type_module(e, vt, np, vt + np, nr);
  free(vt);
  uint32_t id = fm ? fm->types[0].canon : KILN_NO_TYPE;
  fe_module_free(fm);
  return id;
}

/* ---- host functions ------------------------------------------------------ */

static void vm_hostfn_drop(void *p) {
  vm_hostfn *h = p;
  if (h->finalizer) h->finalizer(h->env);
  vm_host_func_free(h->hf);
  free(h);
}

static wasm_trap_t *vm_hostfn_run(vm_hostfn *h, const wasm_val_vec_t *args,
                                  wasm_val_vec_t *results) {
  return h->cb_env ? h->cb_env(h->env, args, results) : h->cb(args, results);
}

/* The dispatcher: Wasm (or vm_invoke) calls the host function with a
 * values area. */
static void vm_hostfn_dispatch(vm_host_func *hf, void *values) {
  vm_hostfn *h = hf->data;
  const fe_type *t = h->type;
  uint8_t *slots = values;
  uint32_t np = t->nparams, nr = fe_func_nresults(t);
  wasm_val_vec_t args, results;
  wasm_val_vec_new_uninitialized(&args, np);
  wasm_val_vec_new_uninitialized(&results, nr);
  wasm_trap_t *trap = NULL;
  bool failed = true;
  if (args.size != np || results.size != nr) {
    trap = vm_trap_make(h->store, "out of memory", KILN_TRAP_RESOURCE);
    goto done;
  }
  for (uint32_t i = 0; i < np; i++)
    if (!vm_val_from_slot(h->store, fe_func_params(t)[i], slots + 16 * i,
                          &args.data[i])) {
      trap = vm_trap_make(h->store, "out of memory", KILN_TRAP_RESOURCE);
      goto done;
    }
  for (uint32_t i = 0; i < nr; i++) results.data[i].kind = vm_vt_kind(fe_func_results(t)[i]);
  trap = vm_hostfn_run(h, &args, &results);
  if (trap) goto done;
  for (uint32_t i = 0; i < nr; i++)
    if (!vm_val_to_slot(h->store, fe_func_results(t)[i], &results.data[i],
                        slots + 16 * i)) {
      trap = vm_trap_make(h->store, "host function result type mismatch",
                          KILN_TRAP_RESOURCE);
      goto done;
    }
  failed = false;
done:
  wasm_val_vec_delete(&args);
  wasm_val_vec_delete(&results);
  if (trap) vm_trap_raise_host(trap);
  if (failed) vm_trap_raise(VM_TRAP_UNREACHABLE); /* no memory for a trap */
}

static wasm_func_t *vm_hostfn_new(wasm_store_t *s, const wasm_functype_t *type,
                                  wasm_func_callback_t cb,
                                  wasm_func_callback_with_env_t cb_env, void *env,
                                  void (*finalizer)(void *)) {
  if (!s || !type || (!cb && !cb_env)) goto fail;
  uint32_t id = vm_functype_intern(s->engine, type);
  if (id == KILN_NO_TYPE) goto fail;
  vm_hostfn *h = calloc(1, sizeof *h);
  if (!h) goto fail;
  h->store = s;
  h->type = fe_typereg_type(s->engine->types, id);
  h->cb = cb;
  h->cb_env = cb_env;
  h->env = env;
  h->hf = vm_host_func_new(id, vm_hostfn_dispatch, h);
  if (!h->hf || !vm_store_own(s, vm_hostfn_drop, h)) {
    vm_host_func_free(h->hf);
    free(h);
    goto fail;
  }
  h->finalizer = finalizer; /* from now on the store runs it */
  return vm_func_handle(s, &h->hf->funcref);
fail:
  /* the standard's contract: the finalizer owns env once we return */
  if (finalizer) finalizer(env);
  return NULL;
}

wasm_func_t *wasm_func_new(wasm_store_t *s, const wasm_functype_t *type,
                           wasm_func_callback_t cb) {
  return vm_hostfn_new(s, type, cb, NULL, NULL, NULL);
}

wasm_func_t *wasm_func_new_with_env(wasm_store_t *s, const wasm_functype_t *type,
                                    wasm_func_callback_with_env_t cb, void *env,
                                    void (*finalizer)(void *)) {
  return vm_hostfn_new(s, type, NULL, cb, env, finalizer);
}

/* ---- calls from the host --------------------------------------------------- */

wasm_trap_t *wasm_func_call(const wasm_func_t *func, const wasm_val_vec_t *args,
                            wasm_val_vec_t *results) {
  wasm_store_t *s = func->ext.store;
  const fe_type *t = vm_func_fetype(func);
  uint32_t np = t->nparams, nr = fe_func_nresults(t);
  size_t nargs = args ? args->size : 0, nres = results ? results->size : 0;
  if (nargs != np || nres < nr)
    return vm_trap_make(s, "wrong number of arguments or results", KILN_TRAP_RESOURCE);
  vm_funcref *f = func->f;
  if (vm_funcref_is_host(f)) {
    vm_hostfn *h = ((vm_host_func *)f->vmctx)->data;
    for (uint32_t i = 0; i < nr; i++) {
      results->data[i].kind = vm_vt_kind(fe_func_results(t)[i]);
      memset(&results->data[i].of, 0, sizeof results->data[i].of);
    }
    return vm_hostfn_run(h, args, results);
  }
  size_t n = np > nr ? np : nr;
  void *values = aligned_alloc(16, 16 * (n ? n : 1));
  if (!values) return vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE);
  for (uint32_t i = 0; i < np; i++)
    if (!vm_val_to_slot(s, fe_func_params(t)[i], &args->data[i],
                        (uint8_t *)values + 16 * i)) {
      free(values);
      return vm_trap_make(s, "argument type mismatch", KILN_TRAP_RESOURCE);
    }
  vm_trap_info info;
  wasm_trap_t *trap = NULL;
  vm_store_enter(s);
  if (!vm_invoke(f, values, &info)) {
    trap = vm_trap_from_info(s, &info);
    if (!trap) trap = vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE);
  } else {
    for (uint32_t i = 0; i < nr; i++)
      if (!vm_val_from_slot(s, fe_func_results(t)[i], (uint8_t *)values + 16 * i,
                            &results->data[i])) {
        for (uint32_t j = 0; j < i; j++) wasm_val_delete(&results->data[j]);
        trap = vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE);
        break;
      }
  }
  /* results are rooted handles by now: the outermost exit reclaims */
  vm_store_leave(s);
  free(values);
  return trap;
}
