/* vm/instance_api.c — instances (wasm_instance_t): import checking and
 * linking on top of vm_instance_new, and exports.
 *
 * The module is compiled on its first instantiation (vm_module_compiled:
 * once per module, shared by every store).  The store owns the vm_instance
 * and one reference on the module (which keeps the compiled code alive),
 * from the moment vm_instance_new returns it — also when its initialization
 * or start function trapped, because its functions may already sit in
 * imported tables (DESIGN.md).  wasm_instance_delete drops the handle.
 */
#include <stdio.h>
#include <stdlib.h>

#include "frontend/types.h"
#include "instance.h"
#include "memory.h"
#include "table.h"
#include "vm.h"

typedef struct vm_store_inst {
  vm_instance *inst;
  vm_module *mod;
} vm_store_inst;

static void vm_store_inst_drop(void *p) {
  vm_store_inst *si = p;
  vm_instance_free(si->inst);
  vm_module_release(si->mod);
  free(si);
}

static void vm_store_inst_visit(void *p, gc_visit_fn *fn, void *vctx) {
  vm_instance_visit(((vm_store_inst *)p)->inst, fn, vctx);
}

/* Limits match (spec "import subtyping"): the actual size is at least the
 * import's minimum, and if the import has a maximum the actual one exists
 * and is not larger. */
static bool vm_limits_match(uint64_t size, bool has_max, uint64_t max,
                            const fe_limits *want) {
  if (size < want->min) return false;
  if (!want->has_max) return true;
  return has_max && max <= want->max;
}

/* Checks import i against extern x and fills *ref; NULL on success, else
 * the reason. */
static const char *vm_link_one(wasm_store_t *s, const fe_module *m, uint32_t i,
                               const wasm_extern_t *x, vm_extern_ref *ref) {
  const fe_import *imp = &m->imports[i];
  if (!x) return "unknown import";
  static const wasm_externkind_t kinds[] = {
      [FE_EXT_FUNC] = WASM_EXTERN_FUNC, [FE_EXT_TABLE] = WASM_EXTERN_TABLE,
      [FE_EXT_MEMORY] = WASM_EXTERN_MEMORY, [FE_EXT_GLOBAL] = WASM_EXTERN_GLOBAL,
      [FE_EXT_TAG] = KILN_EXTERN_TAG};
  if (imp->kind > FE_EXT_TAG || x->store != s || x->kind != kinds[imp->kind])
    return "incompatible import type";
  ref->kind = imp->kind;
  switch (imp->kind) {
  case FE_EXT_FUNC: {
    const wasm_func_t *f = (const wasm_func_t *)x;
    uint32_t want = m->types[m->funcs[imp->index].type].canon;
    if (!fe_typereg_sub(s->engine->types, f->f->type_id, want))
      return "incompatible import type";
    ref->u.func = f->f;
    return NULL;
  }
  case FE_EXT_GLOBAL: {
    const wasm_global_t *g = (const wasm_global_t *)x;
    const fe_global *want = &m->globals[imp->index];
    fe_valtype wvt = vm_valtype_canon(m, want->type);
    /* Wasm 3.0 import matching: an immutable global matches if its type is
     * a subtype of the import's; a mutable one needs the same type (in
     * canonical form concrete types are ids, so the word is the type) */
    if (g->mut != want->mut) return "incompatible import type";
    if (g->mut ? g->vt != wvt : !fe_vt_sub(m, g->vt, wvt))
      return "incompatible import type";
    ref->u.global = g->slot;
    return NULL;
  }
  case FE_EXT_TABLE: {
    const wasm_table_t *t = (const wasm_table_t *)x;
    const fe_table *want = &m->tables[imp->index];
    uint64_t max = vm_tab_max(t->t);
    if (t->elem != vm_valtype_canon(m, want->elem) || vm_tab_is64(t->t) != want->lim.is64 ||
        !vm_limits_match(vm_tab_size(t->t), max != UINT64_MAX, max, &want->lim))
      return "incompatible import type";
    ref->u.table = t->t;
    return NULL;
  }
  case FE_EXT_MEMORY: {
    const wasm_memory_t *mm = (const wasm_memory_t *)x;
    const fe_limits *want = &m->mems[imp->index].lim;
    bool is64 = vm_mem_is64(mm->m);
    uint64_t max = vm_mem_declared_max(mm->m);
    if (is64 != want->is64 ||
        !vm_limits_match(vm_mem_pages(mm->m), max != UINT64_MAX, max, want))
      return "incompatible import type";
    ref->u.mem = mm->m;
    return NULL;
  }
  case FE_EXT_TAG: {
    /* Wasm 3.0 import matching: the tag types match both ways, i.e. the
     * function types are the same type (equal canonical ids) */
    const kiln_tag_t *t = (const kiln_tag_t *)x;
    if (t->t->type_id != m->types[m->tags[imp->index].type].canon)
      return "incompatible import type";
    ref->u.tag = t->t;
    return NULL;
  }
  default:
    return "incompatible import type";
  }
}

static wasm_instance_t *vm_instance_fail(wasm_store_t *s, wasm_trap_t **trap,
                                         wasm_trap_t *t) {
  if (trap)
    *trap = t;
  else
    wasm_trap_delete(t);
  return NULL;
}

wasm_instance_t *wasm_instance_new(wasm_store_t *s, const wasm_module_t *module,
                                   const wasm_extern_vec_t *imports,
                                   own wasm_trap_t **trap) {
  if (trap) *trap = NULL;
  if (!s || !module)
    return vm_instance_fail(s, trap, NULL);
  vm_module *mod = module->m;
  const fe_module *m = mod->fe;
  char err[512];
  if (mod->engine != s->engine)
    return vm_instance_fail(s, trap,
                            vm_trap_make(s, "module of another engine", KILN_TRAP_RESOURCE));
  vm_compiled *c = vm_module_compiled(mod, err, sizeof err);
  if (!c) return vm_instance_fail(s, trap, vm_trap_make(s, err, KILN_TRAP_RESOURCE));

  vm_extern_ref *refs = calloc(m->nimports ? m->nimports : 1, sizeof *refs);
  if (!refs)
    return vm_instance_fail(s, trap, vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE));
  size_t have = imports ? imports->size : 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const char *why = vm_link_one(s, m, i, i < have ? imports->data[i] : NULL, &refs[i]);
    if (why) {
      const fe_import *imp = &m->imports[i];
      snprintf(err, sizeof err, "%s: \"%.*s\" \"%.*s\"", why, (int)imp->module.len,
               imp->module.str, (int)imp->name.len, imp->name.str);
      free(refs);
      return vm_instance_fail(s, trap, vm_trap_make(s, err, KILN_TRAP_LINK));
    }
  }

  vm_store_inst *si = malloc(sizeof *si);
  wasm_instance_t *h = malloc(sizeof *h);
  if (!si || !h) {
    free(si);
    free(h);
    free(refs);
    return vm_instance_fail(s, trap, vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE));
  }
  vm_limits lim = {UINT64_MAX, &s->stack_group, s->engine->pool};
  bool trapped = false;
  vm_trap_info info;
  /* the init routine and the start function are Wasm frames of the store;
   * leaving them is a reclamation point (everything the instance stored is
   * counted by then) */
  vm_store_enter(s);
  vm_instance *inst =
      vm_instance_new(m, c, refs, &lim, s, &trapped, &info, err, sizeof err);
  vm_store_leave(s);
  free(refs);
  if (!inst) {
    free(si);
    free(h);
    return vm_instance_fail(s, trap, vm_trap_make(s, err, KILN_TRAP_RESOURCE));
  }
  vm_module_retain(mod);
  si->inst = inst;
  si->mod = mod;
  if (!vm_store_own_gc(s, vm_store_inst_drop, vm_store_inst_visit, si)) {
    /* cannot keep it: nothing of it may have escaped unless it trapped */
    vm_store_inst_drop(si);
    free(h);
    return vm_instance_fail(s, trap, vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE));
  }
  if (trapped) {
    free(h);
    wasm_trap_t *t = vm_trap_from_info(s, &info);
    if (!t) t = vm_trap_make(s, "out of memory", KILN_TRAP_RESOURCE);
    return vm_instance_fail(s, trap, t);
  }
  h->store = s;
  h->inst = inst;
  return h;
}

void wasm_instance_delete(own wasm_instance_t *i) { free(i); }

wasm_instance_t *wasm_instance_copy(const wasm_instance_t *i) {
  if (!i) return NULL;
  wasm_instance_t *h = malloc(sizeof *h);
  if (h) *h = *i;
  return h;
}

static wasm_extern_t *vm_export_of(wasm_store_t *s, vm_instance *inst, const fe_export *e) {
  const fe_module *m = inst->m;
  switch (e->kind) {
  case FE_EXT_FUNC:
    return (wasm_extern_t *)vm_func_handle(s, vm_instance_func(inst, e->index));
  case FE_EXT_GLOBAL: {
    const fe_global *g = &m->globals[e->index];
    return (wasm_extern_t *)vm_global_handle(s, vm_instance_global(inst, e->index),
                                             vm_valtype_canon(m, g->type), g->mut);
  }
  case FE_EXT_TABLE:
    return (wasm_extern_t *)vm_table_handle(s, inst->head.tables[e->index],
                                            vm_valtype_canon(m, m->tables[e->index].elem));
  case FE_EXT_MEMORY:
    return (wasm_extern_t *)vm_memory_handle(s, inst->head.mems[e->index]);
  case FE_EXT_TAG:
    return (wasm_extern_t *)vm_tag_handle(s, inst->tags[e->index]);
  default:
    return NULL;
  }
}

/* Empty when out of memory. */
void wasm_instance_exports(const wasm_instance_t *i, own wasm_extern_vec_t *out) {
  const fe_module *m = i->inst->m;
  wasm_extern_vec_new_uninitialized(out, m->nexports);
  if (out->size != m->nexports) return;
  for (uint32_t k = 0; k < m->nexports; k++) {
    const fe_export *e = &m->exports[k];
    out->data[k] = vm_export_of(i->store, i->inst, e);
    if (!out->data[k]) {
      wasm_extern_vec_delete(out);
      return;
    }
  }
}
