/* vm/image.c — a module's instance image (see image.h). */
#include "image.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "builtins.h"
#include "instance.h"
#include "memory.h"

/* ---- constant expressions ---------------------------------------------- */

/* A constant value: 16 bytes of bits, or (func >= 0) a reference to defined
 * function `func` (module index), whose address is vmctx-relative. */
typedef struct cval {
  uint8_t bits[16];
  int64_t func;
} cval;

typedef struct creader {
  const uint8_t *p, *end;
  bool bad;
} creader;

static uint8_t rd_u8(creader *r) {
  if (r->p >= r->end) {
    r->bad = true;
    return 0x00; /* unreachable: opcode 0 is not folded */
  }
  return *r->p++;
}

static uint64_t rd_leb(creader *r, bool is_signed) {
  uint64_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = rd_u8(r);
    if (shift < 64)
      v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
  } while ((b & 0x80) && !r->bad && shift < 70);
  if (is_signed && shift < 64 && (b & 0x40))
    v |= ~(uint64_t)0 << shift;
  return v;
}

/* Evaluates the constant expression e of module m, if it is made only of
 * constants, ref.null, ref.func of a defined function, global.get of an
 * already folded defined global and extended-const arithmetic.  globals:
 * per defined global, its folded value (NULL entries: not folded). */
static bool eval_const(const fe_module *m, fe_span e, cval *const *globals, cval *out) {
  creader r = {m->bytes + e.off, m->bytes + e.off + e.len, false};
  cval st[8];
  unsigned sp = 0;
  for (;;) {
    uint8_t op = rd_u8(&r);
    if (r.bad)
      return false;
    if (op == 0x0b) /* end */
      break;
    if (sp == 8)
      return false;
    cval *v = &st[sp];
    memset(v, 0, sizeof *v);
    v->func = -1;
    switch (op) {
    case 0x41: { /* i32.const */
      uint32_t x = (uint32_t)rd_leb(&r, true);
      memcpy(v->bits, &x, 4);
      sp++;
      break;
    }
    case 0x42: { /* i64.const */
      uint64_t x = rd_leb(&r, true);
      memcpy(v->bits, &x, 8);
      sp++;
      break;
    }
    case 0x43: /* f32.const */
    case 0x44: { /* f64.const */
      unsigned n = op == 0x43 ? 4 : 8;
      if ((size_t)(r.end - r.p) < n)
        return false;
      memcpy(v->bits, r.p, n);
      r.p += n;
      sp++;
      break;
    }
    case 0xfd: /* v128.const only */
      if (rd_leb(&r, false) != 12 || r.end - r.p < 16)
        return false;
      memcpy(v->bits, r.p, 16);
      r.p += 16;
      sp++;
      break;
    case 0xd0: /* ref.null ht: the null of every representation is 0 */
      (void)rd_leb(&r, true);
      sp++;
      break;
    case 0xd2: { /* ref.func: defined functions only (imports' are per instance) */
      uint64_t x = rd_leb(&r, false);
      if (x < m->nfunc_imports || x >= m->nfuncs)
        return false;
      v->func = (int64_t)x;
      sp++;
      break;
    }
    case 0x23: { /* global.get of a folded defined global */
      uint64_t x = rd_leb(&r, false);
      if (x < m->nglobal_imports || x >= m->nglobals || !globals[x - m->nglobal_imports])
        return false;
      *v = *globals[x - m->nglobal_imports];
      sp++;
      break;
    }
    case 0x6a: case 0x6b: case 0x6c:   /* i32.add/sub/mul */
    case 0x7c: case 0x7d: case 0x7e: { /* i64.add/sub/mul */
      if (sp < 2 || st[sp - 1].func >= 0 || st[sp - 2].func >= 0)
        return false;
      uint64_t a = 0, b = 0;
      bool w = op >= 0x7c;
      memcpy(&a, st[sp - 2].bits, w ? 8 : 4);
      memcpy(&b, st[sp - 1].bits, w ? 8 : 4);
      unsigned k = (op - (w ? 0x7c : 0x6a));
      uint64_t c = k == 0 ? a + b : k == 1 ? a - b : a * b;
      sp--;
      memset(st[sp - 1].bits, 0, 16);
      memcpy(st[sp - 1].bits, &c, w ? 8 : 4);
      break;
    }
    default:
      return false;
    }
  }
  if (sp != 1)
    return false;
  *out = st[0];
  return true;
}

/* An offset (i32 or i64 by the index type) as an unsigned integer. */
static uint64_t cval_u64(const cval *v, bool is64) {
  uint64_t x = 0;
  memcpy(&x, v->bits, is64 ? 8 : 4);
  return x;
}

/* Memory images larger than this are not made: the data segments stay in
 * the init routine. */
#define VM_IMAGE_MAX_BYTES ((uint64_t)64 << 20)

/* ---- the fold ------------------------------------------------------------ */

/* The vmctx offset a reference to function f is stored as (0: null). */
static uint32_t funcref_off(const fe_module *m, const vm_layout *l, const cval *v) {
  return v->func < 0 ? 0 : vm_off_func(l, (uint32_t)v->func - m->nfunc_imports);
}

/* Item k of element segment e; false if not foldable. */
static bool elem_item(const fe_module *m, const fe_elem *e, uint32_t k, cval *const *globals,
                      cval *out) {
  if (!e->funcs)
    return eval_const(m, e->exprs[k], globals, out);
  if (e->funcs[k] < m->nfunc_imports)
    return false;
  out->func = e->funcs[k];
  return true;
}

/* Whether expression e is `ref.func x` (of any function): it cannot trap. */
static bool is_ref_func(const fe_module *m, fe_span e) {
  creader r = {m->bytes + e.off, m->bytes + e.off + e.len, false};
  if (rd_u8(&r) != 0xd2)
    return false;
  (void)rd_leb(&r, false);
  return !r.bad && rd_u8(&r) == 0x0b && !r.bad && r.p == r.end;
}

/* Table images larger than this (elements) are not made: the element
 * segments stay in the init routine (and such a table, beyond Kiln's limit
 * of 10^7 elements, fails to instantiate anyway). */
#define VM_IMAGE_MAX_ELEMS (VM_IMAGE_MAX_BYTES / sizeof(uint32_t))

/* Whether every active element segment targets a defined funcref table
 * whose initializer folds, at a constant offset within its minimum, with
 * foldable items; and whether every declarative segment's items are sure
 * not to trap (the image starts them dropped, unevaluated). */
static bool elems_foldable(const fe_module *m, cval *const *globals) {
  for (uint32_t i = 0; i < m->nelems; i++) {
    const fe_elem *e = &m->elems[i];
    if (e->mode == FE_SEG_DECLARATIVE && e->exprs) {
      cval v;
      for (uint32_t k = 0; k < e->count; k++)
        if (!is_ref_func(m, e->exprs[k]) && !eval_const(m, e->exprs[k], globals, &v))
          return false;
    }
    if (e->mode != FE_SEG_ACTIVE)
      continue;
    if (e->table < m->ntable_imports)
      return false;
    const fe_table *t = &m->tables[e->table];
    if (!vm_module_vt_is_func(m, t->elem) || t->lim.min > VM_IMAGE_MAX_ELEMS)
      return false;
    cval v;
    if (t->has_init && !eval_const(m, t->init, globals, &v))
      return false;
    if (!eval_const(m, e->offset, globals, &v) || v.func >= 0)
      return false;
    uint64_t off = cval_u64(&v, t->lim.is64);
    if (off > t->lim.min || e->count > t->lim.min - off)
      return false;
    for (uint32_t k = 0; k < e->count; k++)
      if (!elem_item(m, e, k, globals, &v))
        return false;
  }
  return true;
}

/* Whether every active data segment targets a defined memory at a constant
 * offset within its minimum. */
static bool datas_foldable(const fe_module *m, cval *const *globals) {
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const fe_data *d = &m->datas[i];
    if (d->mode != FE_SEG_ACTIVE)
      continue;
    if (d->memory < m->nmem_imports)
      return false;
    const fe_limits *lim = &m->mems[d->memory].lim;
    cval v;
    if (!eval_const(m, d->offset, globals, &v) || v.func >= 0)
      return false;
    uint64_t off = cval_u64(&v, lim->is64);
    uint64_t size = lim->min * VM_PAGE_SIZE; /* min is at most 2^48 pages */
    if (off > size || d->bytes.len > size - off || off + d->bytes.len > VM_IMAGE_MAX_BYTES)
      return false;
  }
  return true;
}

/* The memory images: each defined memory's bytes up to the last page a
 * segment writes. */
static bool build_mems(vm_image *img, const fe_module *m, cval *const *globals) {
  uint32_t nm = m->nmems - m->nmem_imports;
  for (uint32_t i = 0; i < nm; i++)
    img->mems[i] = (vm_mem_image){NULL, 0, -1, 0};
  if (!img->fold.datas)
    return true;
  uint64_t *end = calloc(nm ? nm : 1, sizeof *end);
  if (!end)
    return false;
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t i = 0; i < m->ndatas; i++) {
      const fe_data *d = &m->datas[i];
      if (d->mode != FE_SEG_ACTIVE || d->bytes.len == 0)
        continue;
      cval v;
      eval_const(m, d->offset, globals, &v); /* foldable: checked */
      uint64_t off = cval_u64(&v, m->mems[d->memory].lim.is64);
      uint32_t k = d->memory - m->nmem_imports;
      if (pass == 0) {
        uint64_t e = (off + d->bytes.len + 4095) & ~(uint64_t)4095;
        if (e > end[k])
          end[k] = e;
      } else {
        memcpy((uint8_t *)img->mems[k].bytes + off, m->bytes + d->bytes.off, d->bytes.len);
      }
    }
    for (uint32_t k = 0; pass == 0 && k < nm; k++) {
      if (!end[k])
        continue;
      uint8_t *b = calloc(1, end[k]);
      if (!b) {
        free(end);
        return false;
      }
      img->mems[k].bytes = b;
      img->mems[k].len = end[k];
    }
  }
  free(end);
  return true;
}

/* The table images: initializer, then the active segments in order. */
static bool build_tables(vm_image *img, const fe_module *m, const vm_layout *l,
                         cval *const *globals) {
  for (uint32_t t = m->ntable_imports; t < m->ntables; t++) {
    const fe_table *tab = &m->tables[t];
    bool used = tab->has_init;
    for (uint32_t i = 0; i < m->nelems && !used; i++)
      used = m->elems[i].mode == FE_SEG_ACTIVE && m->elems[i].table == t;
    cval v;
    if (!used || !img->fold.elems || !vm_module_vt_is_func(m, tab->elem) ||
        tab->lim.min > VM_IMAGE_MAX_ELEMS ||
        (tab->has_init && !eval_const(m, tab->init, globals, &v)))
      continue; /* (then no active segment targets it: elems_foldable) */
    uint32_t *items = calloc(tab->lim.min ? tab->lim.min : 1, sizeof *items);
    if (!items)
      return false;
    img->tables[t - m->ntable_imports] = items;
    img->fold.tables[t] = 1;
    if (tab->has_init) {
      uint32_t x = funcref_off(m, l, &v);
      for (uint64_t k = 0; k < tab->lim.min; k++)
        items[k] = x;
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
      const fe_elem *e = &m->elems[i];
      if (e->mode != FE_SEG_ACTIVE || e->table != t)
        continue;
      eval_const(m, e->offset, globals, &v);
      uint64_t off = cval_u64(&v, tab->lim.is64);
      for (uint32_t k = 0; k < e->count; k++) {
        elem_item(m, e, k, globals, &v); /* foldable: checked */
        items[off + k] = funcref_off(m, l, &v);
      }
    }
  }
  return true;
}

static void add_reloc(vm_image *img, uint32_t off) { img->relocs[img->nrelocs++] = off; }

vm_image *vm_image_new(const fe_module *m, const vm_layout *l) {
  vm_image *img = calloc(1, sizeof *img);
  if (!img)
    return NULL;
  uint32_t ng = m->nglobals - m->nglobal_imports;
  uint32_t nf = m->nfuncs - m->nfunc_imports;
  uint32_t nt = m->ntables - m->ntable_imports;
  uint32_t nm = m->nmems - m->nmem_imports;
  cval *vals = calloc(ng ? ng : 1, sizeof *vals);
  cval **globals = calloc(ng ? ng : 1, sizeof *globals);
  img->fold.globals = calloc(ng ? ng : 1, 1);
  img->fold.tables = calloc(m->ntables ? m->ntables : 1, 1);
  img->vmctx = calloc(1, l->size ? l->size : 16);
  img->relocs = calloc((size_t)ng + 1, sizeof *img->relocs);
  img->tables = calloc(nt ? nt : 1, sizeof *img->tables);
  img->mems = calloc(nm ? nm : 1, sizeof *img->mems);
  img->ntables = img->tables ? nt : 0;
  img->nmems = 0;
  if (!vals || !globals || !img->fold.globals || !img->fold.tables || !img->vmctx ||
      !img->relocs || !img->tables || !img->mems)
    goto fail;
  /* globals in order: a folded one may read an earlier folded one; an
   * immutable one only (validation: constant expressions read immutable
   * globals) */
  for (uint32_t g = 0; g < ng; g++) {
    const fe_global *gl = &m->globals[m->nglobal_imports + g];
    if (!eval_const(m, gl->init, globals, &vals[g]))
      continue;
    globals[g] = &vals[g];
    img->fold.globals[g] = 1;
    uint32_t off = vm_off_global(l, g);
    if (vals[g].func >= 0) {
      uint64_t x = funcref_off(m, l, &vals[g]);
      memcpy(img->vmctx + off, &x, 8);
      add_reloc(img, off);
    } else {
      memcpy(img->vmctx + off, vals[g].bits, 16);
    }
  }
  img->fold.elems = elems_foldable(m, globals);
  img->fold.datas = datas_foldable(m, globals);
  if (!build_tables(img, m, l, globals))
    goto fail;
  img->nmems = nm; /* (build_mems makes every entry valid first) */
  if (!build_mems(img, m, globals))
    goto fail;

  /* the rest of the vmctx: header, function references, type ids,
   * segment records */
  vm_vmctx_header *h = (vm_vmctx_header *)img->vmctx;
  h->builtins = vm_builtins;
  for (uint32_t f = 0; f < nf; f++) {
    uint32_t off = vm_off_func(l, f);
    vm_funcref *fr = (vm_funcref *)(img->vmctx + off);
    fr->type_id = m->types[m->funcs[m->nfunc_imports + f].type].canon;
    /* (fr->vmctx: written by the instance, vm/instance.c load_vmctx) */
  }
  for (uint32_t t = 0; t < m->ntypes; t++)
    memcpy(img->vmctx + vm_off_type_id(l, t), &m->types[t].canon, sizeof(uint32_t));
  for (uint32_t d = 0; d < m->ndatas; d++) {
    vm_data *rec = (vm_data *)(img->vmctx + vm_off_data(l, d));
    rec->ptr = m->bytes + m->datas[d].bytes.off;
    bool dropped = img->fold.datas && m->datas[d].mode == FE_SEG_ACTIVE;
    rec->len = dropped ? 0 : m->datas[d].bytes.len;
  }
  for (uint32_t e = 0; e < m->nelems; e++) {
    vm_elem_seg *rec = (vm_elem_seg *)(img->vmctx + vm_off_elem(l, e));
    const fe_elem *el = &m->elems[e];
    /* declarative segments are dropped in their turn among the active
     * ones: before instantiation only if no active one can trap */
    bool dropped = img->fold.elems && el->mode != FE_SEG_PASSIVE;
    rec->len = dropped ? 0 : el->count;
  }
  free(vals);
  free(globals);
  return img;
fail:
  free(vals);
  free(globals);
  vm_image_free(img);
  return NULL;
}

void vm_image_set_code(vm_image *img, const fe_module *m, const vm_layout *l,
                       void *const *entries, void (*const *trampolines)(void *, void *, void *)) {
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    vm_funcref *fr = (vm_funcref *)(img->vmctx + vm_off_func(l, f - m->nfunc_imports));
    fr->typed_entry = entries[f - m->nfunc_imports];
    fr->array_entry = trampolines[m->funcs[f].type];
  }
}

void vm_image_free(vm_image *img) {
  if (!img)
    return;
  if (img->tables)
    for (uint32_t t = 0; t < img->ntables; t++)
      free(img->tables[t]);
  if (img->mems)
    for (uint32_t k = 0; k < img->nmems; k++) {
      free((void *)img->mems[k].bytes);
      if (img->mems[k].memfd >= 0)
        close(img->mems[k].memfd);
    }
  free(img->tables);
  free(img->mems);
  free(img->fold.globals);
  free(img->fold.tables);
  free(img->vmctx);
  free(img->relocs);
  free(img);
}

bool vm_page_is_zero(const uint8_t *p) {
  uint64_t acc = 0;
  for (size_t i = 0; i < 4096; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    acc |= w;
  }
  return acc == 0;
}

static pthread_mutex_t memfd_lock = PTHREAD_MUTEX_INITIALIZER;

int vm_mem_image_fd(vm_mem_image *mi) {
  int state = __atomic_load_n(&mi->memfd_state, __ATOMIC_ACQUIRE);
  if (state)
    return state > 0 ? mi->memfd : -1;
  pthread_mutex_lock(&memfd_lock);
  if (!mi->memfd_state) {
    int fd = memfd_create("kiln-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    bool ok = fd >= 0;
    ok = ok && ftruncate(fd, (off_t)mi->len) == 0;
    /* pages of zeros stay holes */
    for (uint64_t at = 0; ok && at < mi->len; at += 4096) {
      if (vm_page_is_zero(mi->bytes + at))
        continue;
      ok = pwrite(fd, mi->bytes + at, 4096, (off_t)at) == 4096;
    }
    /* sealed: nothing can change the image under the instances mapping it */
    if (ok && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
      ok = false;
    if (!ok && fd >= 0)
      close(fd);
    mi->memfd = ok ? fd : -1;
    __atomic_store_n(&mi->memfd_state, ok ? 1 : -1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&memfd_lock);
  return mi->memfd_state > 0 ? mi->memfd : -1;
}
