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
#include "image.h"
#include "pool.h"
#include "vm.h"

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

/* Resets an instance's pool slot to its module's starting state — memory
 * pages it dirtied dropped, tables it wrote reloaded — and returns it; a
 * slot whose reset failed or whose images a trap undid keeps no owner. */
static void release_slot(vm_instance *inst) {
  const fe_module *m = inst->m;
  const vm_compiled *c = inst->c;
  bool clean = !inst->images_undone;
  for (uint32_t i = m->nmem_imports; i < inst->nmems; i++)
    clean &= vm_mem_pool_release(inst->head.mems[i], m->mems[i].lim.min);
  for (uint32_t i = m->ntable_imports; i < inst->ntables; i++)
    vm_tab_pool_release(inst->head.tables[i], c->image->tables[i - m->ntable_imports],
                        m->tables[i].lim.min, inst->vmctx);
  /* every memory and table must have been taken for the slot to be the
   * module's (a build that failed half way is not) */
  clean &= inst->nmems == m->nmems && inst->ntables == m->ntables;
  gc_heap_free(inst->own_heap);
  vm_pool *pool = inst->pool;
  vm_slot *slot = inst->slot;
  vm_pool_give(pool, slot, clean ? c : NULL); /* last: inst lives in the slot */
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
  if (inst->slot) {
    release_slot(inst);
    return;
  }
  if (inst->head.mems)
    for (uint32_t i = m->nmem_imports; i < inst->nmems; i++)
      vm_mem_free(inst->head.mems[i]);
  if (inst->head.tables)
    for (uint32_t i = m->ntable_imports; i < inst->ntables; i++)
      vm_tab_free(inst->head.tables[i]);
  gc_heap_free(inst->own_heap);
  free(inst->vmctx); /* the block: vmctx, then the instance */
}

/* What the protected call runs: init, then the data stage, then start.
 * init_done tells a trap in the first apart (vm_instance_new). */
typedef struct init_call {
  vm_instance *inst;
  volatile bool init_done;
} init_call;

static void run_init(void *arg) {
  init_call *call = arg;
  vm_instance *inst = call->inst;
  const fe_module *m = inst->m;
  inst->c->init(inst->vmctx);
  call->init_done = true;
  inst->c->data(inst->vmctx);
  if (m->has_start) {
    vm_funcref *f = vm_instance_func(inst, m->start);
    uint8_t values[16];
    f->array_entry(f->typed_entry, f->vmctx, values);
  }
}

/* The init routine trapped before the data stage: the spec applied no data
 * segment, so the memory images are undone (and the folded segments are
 * not dropped).  Table images need no undo: they exist only when every
 * active element segment is folded, and then the routine can trap only
 * while evaluating globals and segment items, before the spec's instance
 * exists — nothing of it is reachable. */
static void undo_images(vm_instance *inst) {
  const fe_module *m = inst->m;
  const vm_image *img = inst->c->image;
  if (!img->fold.datas)
    return;
  inst->images_undone = true;
  for (uint32_t i = m->nmem_imports; i < inst->nmems; i++)
    vm_mem_clear(inst->head.mems[i], img->mems[i - m->nmem_imports].len);
  for (uint32_t d = 0; d < m->ndatas; d++)
    if (m->datas[d].mode == FE_SEG_ACTIVE)
      ((vm_data *)(inst->vmctx + vm_off_data(&inst->c->layout, d)))->len = m->datas[d].bytes.len;
}

/* The instance's one allocation: the vmctx (64-byte aligned, first, so
 * that the block is freed through it), the vm_instance, then its arrays. */
typedef struct block_layout {
  size_t inst, mems, tables, host_links, tags, own_tags, elem_items, elem_gc, size;
} block_layout;

static size_t place(size_t *at, size_t count, size_t size, size_t align) {
  *at = (*at + align - 1) & ~(align - 1);
  size_t off = *at;
  *at += count * size;
  return off;
}

/* Whether element segment e has storage for its items: not if the image
 * starts it dropped (vm/image.c). */
static bool elem_stored(const fe_module *m, const vm_image *img, uint32_t e) {
  return m->elems[e].mode == FE_SEG_PASSIVE || !img->fold.elems;
}

static void block_layout_compute(const fe_module *m, const vm_compiled *c, block_layout *b) {
  const vm_layout *l = &c->layout;
  size_t at = l->size;
  uint64_t items = 0;
  for (uint32_t e = 0; e < m->nelems; e++)
    if (elem_stored(m, c->image, e))
      items += m->elems[e].count;
  b->inst = place(&at, 1, sizeof(vm_instance), 64);
  b->mems = place(&at, m->nmems, sizeof(vm_mem *), 8);
  b->tables = place(&at, m->ntables, sizeof(vm_tab *), 8);
  b->host_links = place(&at, m->nfunc_imports, sizeof(vm_funcref), 16);
  b->tags = place(&at, m->ntags, sizeof(vm_tag *), 8);
  b->own_tags = place(&at, m->ntags - m->ntag_imports, sizeof(vm_tag), 8);
  b->elem_items = place(&at, items, sizeof(uint64_t), 8);
  b->elem_gc = place(&at, m->nelems, 1, 1);
  b->size = (at + 63) & ~(size_t)63;
}

/* The vmctx from the module's image: constant parts, relocated.  A warm
 * pool slot's vmctx already holds the module's function references (they
 * never change), so only the rest is copied. */
static void load_vmctx(vm_instance *inst, bool warm) {
  const vm_compiled *c = inst->c;
  const vm_image *img = c->image;
  const vm_layout *l = &c->layout;
  const fe_module *m = inst->m;
  uint8_t *vmctx = inst->vmctx;
  uint64_t base = (uint64_t)(uintptr_t)vmctx;
  if (warm) {
    memcpy(vmctx, img->vmctx, l->funcs);
    memcpy(vmctx + l->type_ids, img->vmctx + l->type_ids, l->size - l->type_ids);
  } else {
    memcpy(vmctx, img->vmctx, l->size);
    for (uint32_t f = 0; f < m->nfuncs - m->nfunc_imports; f++)
      ((vm_funcref *)(vmctx + vm_off_func(l, f)))->vmctx = vmctx;
  }
  for (uint32_t i = 0; i < img->nrelocs; i++) {
    uint64_t w;
    memcpy(&w, vmctx + img->relocs[i], 8);
    w += base;
    memcpy(vmctx + img->relocs[i], &w, 8);
  }
}

/* Defined memory i (index space), from the pool slot or on demand, with
 * its image. */
static bool make_memory(vm_instance *inst, uint32_t i, const vm_limits *limits, bool warm,
                        char *err, size_t errlen) {
  const fe_module *m = inst->m;
  const fe_limits *lim = &m->mems[i].lim;
  uint64_t max = lim->has_max ? lim->max : UINT64_MAX;
  vm_mem *mem;
  if (inst->slot) {
    mem = inst->slot->mems[i - m->nmem_imports];
    uint64_t cap = vm_pool_max_memory_pages(inst->pool);
    if (limits->max_memory_pages < cap)
      cap = limits->max_memory_pages;
    if (!vm_mem_pool_take(mem, lim->min, max, lim->is64, cap, warm, err, errlen))
      return false;
  } else if (!(mem = vm_mem_new(lim->min, max, lim->is64, limits->max_memory_pages, err,
                                errlen))) {
    return false;
  }
  inst->head.mems[i] = mem;
  inst->nmems = i + 1;
  if (!warm)
    vm_mem_apply_image(mem, &inst->c->image->mems[i - m->nmem_imports]);
  return true;
}

/* Defined table i, likewise. */
static bool make_table(vm_instance *inst, uint32_t i, bool warm, char *err, size_t errlen) {
  const fe_module *m = inst->m;
  const fe_table *t = &m->tables[i];
  bool funcref = vm_module_vt_is_func(m, t->elem);
  uint64_t max = t->lim.has_max ? t->lim.max : UINT64_MAX;
  vm_tab *tab;
  if (inst->slot) {
    tab = inst->slot->tables[i - m->ntable_imports];
    if (!vm_tab_pool_take(tab, t->lim.min, max, t->lim.is64, funcref, inst->head.heap, warm,
                          err, errlen))
      return false;
  } else if (!(tab = vm_tab_new(t->lim.min, max, t->lim.is64, funcref, 0, inst->head.heap, err,
                                errlen))) {
    return false;
  }
  inst->head.tables[i] = tab;
  inst->ntables = i + 1;
  const uint32_t *items = inst->c->image->tables[i - m->ntable_imports];
  if (items && !warm)
    vm_tab_load_image(tab, items, t->lim.min, inst->vmctx);
  return true;
}

/* Links imports and creates defined objects into vmctx.  False with a
 * message if an object cannot be created. */
static bool build(vm_instance *inst, const vm_extern_ref *imports, const vm_limits *limits,
                  bool warm, char *err, size_t errlen) {
  const fe_module *m = inst->m;
  const vm_compiled *c = inst->c;
  const vm_layout *l = &c->layout;
  uint8_t *vmctx = inst->vmctx;
  load_vmctx(inst, warm);
  vm_vmctx_header *h = (vm_vmctx_header *)vmctx;
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
  /* defined memories and tables, with their images */
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
    if (!make_memory(inst, i, limits, warm, err, errlen))
      return false;
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
    if (!make_table(inst, i, warm, err, errlen))
      return false;
  for (uint32_t i = 0; i < m->nmems; i++) {
    vm_memory *rec = vm_mem_record(inst->head.mems[i]);
    memcpy(vmctx + vm_off_memory(l, i), &rec, sizeof rec);
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    vm_table *rec = vm_tab_record(inst->head.tables[i]);
    memcpy(vmctx + vm_off_table(l, i), &rec, sizeof rec);
  }
  /* element segments: storage for their items (the image gave the lengths) */
  inst->head.elem_gc = inst->elem_gc;
  inst->head.elems = (vm_elem_seg *)(vmctx + l->elems);
  inst->head.types = m->reg;
  uint64_t at = 0;
  for (uint32_t e = 0; e < m->nelems; e++) {
    inst->elem_gc[e] = !vm_module_vt_is_func(m, m->elems[e].type);
    inst->head.elems[e].items = inst->elem_items + at;
    if (elem_stored(m, c->image, e))
      at += m->elems[e].count;
  }
  return true;
}

/* The largest minimum of the module's defined memories (pages) and
 * tables (elements): what a pool slot must hold. */
static void largest_minimums(const fe_module *m, uint64_t *pages, uint64_t *elems) {
  *pages = *elems = 0;
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
    if (m->mems[i].lim.min > *pages)
      *pages = m->mems[i].lim.min;
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
    if (m->tables[i].lim.min > *elems)
      *elems = m->tables[i].lim.min;
}

vm_instance *vm_instance_new(const fe_module *m, const vm_compiled *c,
                             const vm_extern_ref *imports, const vm_limits *limits, void *store,
                             bool *trapped, vm_trap_info *trap, char *err, size_t errlen) {
  *trapped = false;
  block_layout bl;
  block_layout_compute(m, c, &bl);
  vm_slot *slot = NULL;
  bool warm = false;
  if (limits->pool) {
    uint64_t pages, elems;
    largest_minimums(m, &pages, &elems);
    slot = vm_pool_take(limits->pool, c, bl.size, m->nmems - m->nmem_imports,
                        m->ntables - m->ntable_imports, pages, elems, &warm, err, errlen);
    if (!slot && vm_pool_strict(limits->pool))
      return NULL;
  }
  void *block = slot ? slot->block : NULL;
  if (!slot && posix_memalign(&block, 64, bl.size) != 0) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  uint8_t *base = block;
  /* the vmctx part is written by load_vmctx */
  memset(base + c->layout.size, 0, bl.size - c->layout.size);
  vm_instance *inst = (vm_instance *)(base + bl.inst);
  atomic_fetch_add_explicit(&stat_instances, 1, memory_order_relaxed);
  inst->m = m;
  inst->c = c;
  inst->store = store;
  inst->pool = slot ? limits->pool : NULL;
  inst->slot = slot;
  inst->nmems = m->nmem_imports;
  inst->ntables = m->ntable_imports;
  inst->vmctx = base;
  inst->head.mems = (vm_mem **)(base + bl.mems);
  inst->head.tables = (vm_tab **)(base + bl.tables);
  inst->host_links = (vm_funcref *)(base + bl.host_links);
  inst->tags = (vm_tag **)(base + bl.tags);
  inst->own_tags = (vm_tag *)(base + bl.own_tags);
  inst->elem_items = (uint64_t *)(base + bl.elem_items);
  inst->elem_gc = base + bl.elem_gc;
  if (!build(inst, imports, limits, warm, err, errlen)) {
    inst->images_undone = true; /* a slot half set up is not clean */
    vm_instance_free(inst);
    return NULL;
  }
  /* while init and start run, a full collection (an allocation of theirs
   * may start one) sees this instance's tables, globals and segments as
   * roots: the store lists it only once this returns */
  wasm_store_t *s = store;
  if (s) {
    inst->init_next = s->initializing;
    s->initializing = inst;
  }
  init_call call = {inst, false};
  bool ok = vm_call_protected(run_init, &call, trap);
  if (s)
    s->initializing = inst->init_next;
  if (!ok) {
    *trapped = true;
    if (!call.init_done)
      undo_images(inst);
  }
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
