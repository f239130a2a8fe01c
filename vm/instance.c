/* vm/instance.c — instantiation and calls (see instance.h).
 *
 * Creating an instance does no compiler work: it allocates the vmctx,
 * creates the memories, tables and tags the module defines, links the imports,
 * fills the function references, type ids and segment records, and then
 * runs the compiled init routine (globals, table initializers, element and
 * data segments: jit/emit_init.c) and the start function, both under one
 * protected call.
 */
#include "instance.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "frontend/types.h"
#include "host.h"
#include "vm.h"

static uint8_t *vmctx_alloc(size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, 64, size ? size : 16) != 0)
    return NULL;
  memset(p, 0, size);
  return p;
}

vm_funcref *vm_instance_func(const vm_instance *inst, uint32_t f) {
  const fe_module *m = inst->m;
  const vm_layout *l = &inst->c->layout;
  if (f < m->nfunc_imports) {
    vm_funcref *p;
    memcpy(&p, inst->vmctx + vm_off_func_import(l, f), sizeof p);
    return p;
  }
  return (vm_funcref *)(inst->vmctx + vm_off_func(l, f - m->nfunc_imports));
}

vm_global *vm_instance_global(const vm_instance *inst, uint32_t g) {
  const fe_module *m = inst->m;
  const vm_layout *l = &inst->c->layout;
  if (g < m->nglobal_imports) {
    vm_global *p;
    memcpy(&p, inst->vmctx + vm_off_global_ptr(l, g), sizeof p);
    return p;
  }
  return (vm_global *)(inst->vmctx + vm_off_global(l, g - m->nglobal_imports));
}

bool vm_module_vt_is_func(const fe_module *m, fe_valtype vt) {
  return fe_ht_top(m, vt) == FE_HT_FUNC;
}

/* Whether global g's slot holds a counted GC reference. */
static bool global_is_gc(const fe_module *m, uint32_t g) {
  fe_valtype vt = m->globals[g].type;
  return FE_VT_IS_REF(vt) && !vm_module_vt_is_func(m, vt);
}

void vm_instance_visit(const vm_instance *inst, gc_visit_fn *visit, void *vctx) {
  const fe_module *m = inst->m;
  for (uint32_t i = m->ntable_imports; i < inst->ntables; i++)
    vm_tab_visit(inst->head.tables[i], visit, vctx);
  for (uint32_t g = m->nglobal_imports; g < m->nglobals; g++)
    if (global_is_gc(m, g))
      visit(vctx, vm_instance_global(inst, g)->gcref);
  for (uint32_t e = 0; e < m->nelems; e++)
    if (inst->elem_gc[e])
      for (uint64_t k = 0; k < inst->head.elems[e].len; k++)
        visit(vctx, (gc_ref)inst->head.elems[e].items[k]);
}

/* Releases every count the instance holds (globals, segments; its tables
 * release theirs when freed).  Only once the vmctx is built. */
static void release_refs(vm_instance *inst) {
  const fe_module *m = inst->m;
  gc_heap *h = *inst->head.heap;
  for (uint32_t g = m->nglobal_imports; g < m->nglobals; g++)
    if (global_is_gc(m, g))
      gc_write(h, &vm_instance_global(inst, g)->gcref, GC_NULL);
  for (uint32_t e = 0; e < m->nelems; e++)
    if (inst->elem_gc[e])
      for (uint64_t k = 0; k < inst->head.elems[e].len; k++)
        vm_gc_write_word(h, &inst->head.elems[e].items[k], GC_NULL);
}

/* Instances allocated and not yet freed, process-wide (kiln_runtime_stats). */
static atomic_uint_fast64_t stat_instances;

uint64_t vm_instance_live(void) {
  return atomic_load_explicit(&stat_instances, memory_order_relaxed);
}

void vm_instance_free(vm_instance *inst) {
  if (!inst)
    return;
  atomic_fetch_sub_explicit(&stat_instances, 1, memory_order_relaxed);
  const fe_module *m = inst->m;
  vm_vmctx_header *h = (vm_vmctx_header *)inst->vmctx;
  if (h && h->stack_group)
    vm_stack_group_remove(h->stack_group, h);
  if (inst->head.elems && inst->head.heap)
    release_refs(inst);
  if (inst->head.mems)
    for (uint32_t i = m->nmem_imports; i < inst->nmems; i++)
      vm_mem_free(inst->head.mems[i]);
  if (inst->head.tables)
    for (uint32_t i = m->ntable_imports; i < inst->ntables; i++)
      vm_tab_free(inst->head.tables[i]);
  free(inst->head.mems);
  free(inst->head.tables);
  free(inst->elem_items);
  free(inst->elem_gc);
  gc_heap_free(inst->own_heap);
  free(inst->host_links);
  free(inst->tags);
  free(inst->own_tags);
  free(inst->vmctx);
  free(inst);
}

/* What the protected call runs: init, then start. */
typedef struct init_call {
  vm_instance *inst;
} init_call;

static void run_init(void *arg) {
  vm_instance *inst = ((init_call *)arg)->inst;
  const fe_module *m = inst->m;
  inst->c->init(inst->vmctx);
  if (m->has_start) {
    vm_funcref *f = vm_instance_func(inst, m->start);
    uint8_t values[16];
    f->array_entry(f->typed_entry, f->vmctx, values);
  }
}

/* Links imports and creates defined objects into vmctx.  False with a
 * message if an object cannot be created. */
static bool build(vm_instance *inst, const vm_extern_ref *imports, const vm_limits *limits,
                  char *err, size_t errlen) {
  const fe_module *m = inst->m;
  const vm_compiled *c = inst->c;
  const vm_layout *l = &c->layout;
  uint8_t *vmctx = inst->vmctx;
  vm_vmctx_header *h = (vm_vmctx_header *)vmctx;
  h->builtins = vm_builtins;
  h->instance = inst;
  h->store = inst->store;
  h->stack_group = limits->stack_group;
  if (h->stack_group && !vm_stack_group_add(h->stack_group, h)) {
    h->stack_group = NULL;
    snprintf(err, errlen, "out of memory");
    return false;
  }
  vm_stack_enter(h); /* init and start run on this thread */
  inst->head.heap =
      inst->store ? &((wasm_store_t *)inst->store)->heap : &inst->own_heap;

  /* imports, in import order, into their index spaces */
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0, ntg = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const vm_extern_ref *x = &imports[i];
    switch (m->imports[i].kind) {
    case FE_EXT_FUNC: {
      vm_funcref *fr = x->u.func;
      if (vm_funcref_is_host(fr)) {
        /* a host function: link a copy whose typed entry is this module's
         * host trampoline for the import's type */
        vm_funcref *link = &inst->host_links[nf];
        *link = *fr;
        link->typed_entry = c->host_trampolines[m->funcs[nf].type];
        fr = link;
      }
      memcpy(vmctx + vm_off_func_import(l, nf++), &fr, sizeof(void *));
      break;
    }
    case FE_EXT_TABLE:
      inst->head.tables[nt++] = x->u.table;
      break;
    case FE_EXT_MEMORY:
      inst->head.mems[nm++] = x->u.mem;
      break;
    case FE_EXT_GLOBAL:
      memcpy(vmctx + vm_off_global_ptr(l, ng++), &x->u.global, sizeof(void *));
      break;
    case FE_EXT_TAG:
      inst->tags[ntg++] = x->u.tag;
      break;
    default:
      break;
    }
  }
  /* defined tags: new objects (the code does not use them yet) */
  for (uint32_t i = m->ntag_imports; i < m->ntags; i++) {
    vm_tag *t = &inst->own_tags[i - m->ntag_imports];
    t->type_id = m->types[m->tags[i].type].canon;
    inst->tags[i] = t;
  }
  /* defined memories and tables */
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
    const fe_limits *lim = &m->mems[i].lim;
    inst->head.mems[i] = vm_mem_new(lim->min, lim->has_max ? lim->max : UINT64_MAX, lim->is64,
                                    limits->max_memory_pages, err, errlen);
    if (!inst->head.mems[i])
      return false;
    inst->nmems = i + 1;
  }
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
    const fe_table *t = &m->tables[i];
    bool funcref = vm_module_vt_is_func(m, t->elem);
    inst->head.tables[i] = vm_tab_new(t->lim.min, t->lim.has_max ? t->lim.max : UINT64_MAX,
                                      t->lim.is64, funcref, 0, inst->head.heap, err, errlen);
    if (!inst->head.tables[i])
      return false;
    inst->ntables = i + 1;
  }
  for (uint32_t i = 0; i < m->nmems; i++) {
    vm_memory *rec = vm_mem_record(inst->head.mems[i]);
    memcpy(vmctx + vm_off_memory(l, i), &rec, sizeof rec);
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    vm_table *rec = vm_tab_record(inst->head.tables[i]);
    memcpy(vmctx + vm_off_table(l, i), &rec, sizeof rec);
  }
  /* defined functions' references, type ids, segments */
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    vm_funcref *fr = (vm_funcref *)(vmctx + vm_off_func(l, f - m->nfunc_imports));
    uint32_t t = m->funcs[f].type;
    fr->typed_entry = c->entries[f - m->nfunc_imports];
    fr->array_entry = c->trampolines[t];
    fr->type_id = m->types[t].canon;
    fr->vmctx = vmctx;
  }
  for (uint32_t t = 0; t < m->ntypes; t++)
    memcpy(vmctx + vm_off_type_id(l, t), &m->types[t].canon, sizeof(uint32_t));
  for (uint32_t d = 0; d < m->ndatas; d++) {
    vm_data *rec = (vm_data *)(vmctx + vm_off_data(l, d));
    rec->ptr = m->bytes + m->datas[d].bytes.off;
    rec->len = m->datas[d].bytes.len;
  }
  uint64_t total = 0;
  for (uint32_t e = 0; e < m->nelems; e++)
    total += m->elems[e].count;
  inst->elem_items = calloc(total ? total : 1, sizeof *inst->elem_items);
  inst->elem_gc = calloc(m->nelems ? m->nelems : 1, 1);
  if (!inst->elem_items || !inst->elem_gc) {
    snprintf(err, errlen, "out of memory for element segments");
    return false;
  }
  for (uint32_t e = 0; e < m->nelems; e++)
    inst->elem_gc[e] = !vm_module_vt_is_func(m, m->elems[e].type);
  inst->head.elem_gc = inst->elem_gc;
  inst->head.elems = (vm_elem_seg *)(vmctx + l->elems);
  inst->head.types = m->reg;
  uint64_t at = 0;
  for (uint32_t e = 0; e < m->nelems; e++) {
    inst->head.elems[e].items = inst->elem_items + at;
    inst->head.elems[e].len = m->elems[e].count;
    at += m->elems[e].count;
  }
  return true;
}

vm_instance *vm_instance_new(const fe_module *m, const vm_compiled *c,
                             const vm_extern_ref *imports, const vm_limits *limits, void *store,
                             bool *trapped, vm_trap_info *trap, char *err, size_t errlen) {
  *trapped = false;
  vm_instance *inst = calloc(1, sizeof *inst);
  if (!inst) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  atomic_fetch_add_explicit(&stat_instances, 1, memory_order_relaxed);
  inst->m = m;
  inst->c = c;
  inst->store = store;
  inst->nmems = m->nmem_imports;
  inst->ntables = m->ntable_imports;
  inst->vmctx = vmctx_alloc(c->layout.size);
  inst->head.mems = calloc(m->nmems ? m->nmems : 1, sizeof *inst->head.mems);
  inst->head.tables = calloc(m->ntables ? m->ntables : 1, sizeof *inst->head.tables);
  inst->host_links = calloc(m->nfunc_imports ? m->nfunc_imports : 1, sizeof *inst->host_links);
  inst->tags = calloc(m->ntags ? m->ntags : 1, sizeof *inst->tags);
  uint32_t own_tags = m->ntags - m->ntag_imports;
  inst->own_tags = calloc(own_tags ? own_tags : 1, sizeof *inst->own_tags);
  if (!inst->vmctx || !inst->head.mems || !inst->head.tables || !inst->host_links ||
      !inst->tags || !inst->own_tags) {
    snprintf(err, errlen, "out of memory");
    vm_instance_free(inst);
    return NULL;
  }
  if (!build(inst, imports, limits, err, errlen)) {
    vm_instance_free(inst);
    return NULL;
  }
  init_call call = {inst};
  if (!vm_call_protected(run_init, &call, trap))
    *trapped = true;
  return inst;
}

/* The host's call into Wasm. */
typedef struct invoke_call {
  vm_funcref *f;
  void *values;
} invoke_call;

static void run_invoke(void *arg) {
  invoke_call *ic = arg;
  ic->f->array_entry(ic->f->typed_entry, ic->f->vmctx, ic->values);
}

bool vm_stack_group_add(vm_stack_group *g, vm_vmctx_header *h) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 8;
    vm_vmctx_header **m = realloc(g->members, cap * sizeof *m);
    if (!m)
      return false;
    g->members = m;
    g->cap = cap;
  }
  g->members[g->n++] = h;
  h->stack_limit = g->limit;
  return true;
}

void vm_stack_group_remove(vm_stack_group *g, vm_vmctx_header *h) {
  for (size_t i = 0; i < g->n; i++)
    if (g->members[i] == h) {
      g->members[i] = g->members[--g->n];
      return;
    }
}

void vm_stack_group_free(vm_stack_group *g) {
  free(g->members);
  *g = (vm_stack_group){0};
}

/* Makes every vmctx reachable from h hold `limit`. */
static void stack_set(vm_vmctx_header *h, uintptr_t limit) {
  vm_stack_group *g = h->stack_group;
  if (!g) {
    h->stack_limit = limit;
    return;
  }
  if (g->limit == limit)
    return;
  g->limit = limit;
  for (size_t i = 0; i < g->n; i++)
    g->members[i]->stack_limit = limit;
}

void vm_stack_enter(vm_vmctx_header *h) { stack_set(h, vm_stack_limit()); }

bool vm_invoke(vm_funcref *f, void *values, vm_trap_info *trap) {
  /* the store's code may run on another thread than last time; and if it
   * is running now, on another thread blocked in a host call that made
   * this one enter, that thread's limit must be back when this returns */
  vm_vmctx_header *h = f->vmctx;
  vm_stack_group *g = h->stack_group;
  uintptr_t saved = g ? g->limit : h->stack_limit;
  bool nested = !g || g->active > 0;
  vm_stack_enter(h);
  if (g)
    g->active++;
  invoke_call ic = {f, values};
  bool ok = vm_call_protected(run_invoke, &ic, trap);
  if (g)
    g->active--;
  if (nested)
    stack_set(h, saved);
  return ok;
}
