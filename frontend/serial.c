/* frontend/serial.c — saving a module description and loading it back
 * (serial.h says what is kept and why).
 *
 * The saved form, all integers little-endian as the host writes them
 * (artifacts are tied to one target: vm/artifact.c):
 *
 *   u32 FE_SERIAL_VERSION
 *   u32 blob length, then the blob: every byte range the description points
 *       to, copied one after another; spans and names below are offsets
 *       into it
 *   the entities in module order: types, imports, functions, tables,
 *   memories, globals, tags, exports, start, element segments, data
 *   segments, data count, code size — each kind a u32 count (and the number
 *   of imports of the kind) followed by its records, field by field.
 *
 * The loader reads with bounds checks and raises FE_E_CORRUPT through the
 * usual error context (error.h) for anything out of place: a count larger
 * than the bytes left can hold, an index past its index space, a value type
 * that names no type, a span outside the blob, trailing bytes.  Checks are
 * structural: what validation guaranteed about instructions and constant
 * expressions is trusted, because the description comes from a module that
 * validated and the artifact's checksum covers it (docs/cache.md "Trust").
 */
#include "serial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"

/* ------------------------------------------------------------------------
 * Saving
 * ---------------------------------------------------------------------- */

typedef struct sbuf {
  uint8_t *p;
  size_t len, cap;
  bool failed; /* out of memory: everything after is dropped */
} sbuf;

static void put(sbuf *b, const void *src, size_t n) {
  if (b->failed || n == 0)
    return;
  if (b->cap - b->len < n) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < n) {
      if (cap > SIZE_MAX / 2) {
        b->failed = true;
        return;
      }
      cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->failed = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static void put_u8(sbuf *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(sbuf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(sbuf *b, uint64_t v) { put(b, &v, 8); }

/* The writer's two buffers: the records and the blob their spans point
 * into. */
typedef struct saver {
  const fe_module *m;
  sbuf rec, blob;
} saver;

/* Copies [off, off+len) of the module's bytes into the blob and writes
 * the new span. */
static void put_span(saver *s, fe_span sp) {
  uint32_t off = (uint32_t)s->blob.len;
  put(&s->blob, s->m->bytes + sp.off, sp.len);
  put_u32(&s->rec, off);
  put_u32(&s->rec, sp.len);
}

static void put_name(saver *s, fe_name n) {
  fe_span sp = {n.len ? (uint32_t)((const uint8_t *)n.str - s->m->bytes) : 0, n.len};
  put_span(s, sp);
}

static void put_limits(sbuf *b, const fe_limits *l) {
  put_u64(b, l->min);
  put_u64(b, l->max);
  put_u8(b, l->has_max);
  put_u8(b, l->is64);
  put_u8(b, l->shared);
}

static void save_types(saver *s) {
  const fe_module *m = s->m;
  put_u32(&s->rec, m->ntypes);
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const fe_type *t = &m->types[i];
    put_u8(&s->rec, t->kind);
    put_u8(&s->rec, t->final);
    put_u32(&s->rec, t->super);
    put_u32(&s->rec, t->rec_start);
    put_u32(&s->rec, t->rec_size);
    put_u32(&s->rec, t->nparams);
    put_u32(&s->rec, t->n);
    for (uint32_t j = 0; j < t->n; j++)
      put_u64(&s->rec, t->vt[j]);
    if (t->kind != FE_COMP_FUNC)
      put(&s->rec, t->mut, t->n);
  }
}

static void save_entities(saver *s) {
  const fe_module *m = s->m;
  sbuf *r = &s->rec;
  put_u32(r, m->nimports);
  for (uint32_t i = 0; i < m->nimports; i++) {
    put_name(s, m->imports[i].module);
    put_name(s, m->imports[i].name);
    put_u8(r, m->imports[i].kind);
    put_u32(r, m->imports[i].index);
  }
  put_u32(r, m->nfuncs);
  put_u32(r, m->nfunc_imports);
  for (uint32_t i = 0; i < m->nfuncs; i++)
    put_u32(r, m->funcs[i].type);
  put_u32(r, m->ntables);
  put_u32(r, m->ntable_imports);
  for (uint32_t i = 0; i < m->ntables; i++) {
    put_u64(r, m->tables[i].elem);
    put_limits(r, &m->tables[i].lim);
    put_u8(r, m->tables[i].has_init);
    put_span(s, m->tables[i].has_init ? m->tables[i].init : (fe_span){0, 0});
  }
  put_u32(r, m->nmems);
  put_u32(r, m->nmem_imports);
  for (uint32_t i = 0; i < m->nmems; i++)
    put_limits(r, &m->mems[i].lim);
  put_u32(r, m->nglobals);
  put_u32(r, m->nglobal_imports);
  for (uint32_t i = 0; i < m->nglobals; i++) {
    put_u64(r, m->globals[i].type);
    put_u8(r, m->globals[i].mut);
    put_span(s, m->globals[i].init);
  }
  put_u32(r, m->ntags);
  put_u32(r, m->ntag_imports);
  for (uint32_t i = 0; i < m->ntags; i++)
    put_u32(r, m->tags[i].type);
  put_u32(r, m->nexports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    put_name(s, m->exports[i].name);
    put_u8(r, m->exports[i].kind);
    put_u32(r, m->exports[i].index);
  }
  put_u8(r, m->has_start);
  put_u32(r, m->start);
  put_u32(r, m->nelems);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const fe_elem *e = &m->elems[i];
    put_u8(r, e->mode);
    put_u32(r, e->table);
    put_span(s, e->mode == FE_SEG_ACTIVE ? e->offset : (fe_span){0, 0});
    put_u64(r, e->type);
    put_u8(r, e->funcs != NULL);
    put_u32(r, e->count);
    for (uint32_t j = 0; j < e->count; j++) {
      if (e->funcs)
        put_u32(r, e->funcs[j]);
      else
        put_span(s, e->exprs[j]);
    }
  }
  put_u32(r, m->ndatas);
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const fe_data *d = &m->datas[i];
    put_u8(r, d->mode);
    put_u32(r, d->memory);
    put_span(s, d->mode == FE_SEG_ACTIVE ? d->offset : (fe_span){0, 0});
    put_span(s, d->bytes);
  }
  put_u8(r, m->has_datacount);
  put_u32(r, m->datacount);
  put_u64(r, m->code_bytes);
}

bool fe_module_save(const fe_module *m, uint8_t **out, size_t *size) {
  saver s = {m, {0}, {0}};
  save_types(&s);
  save_entities(&s);
  sbuf all = {0};
  bool ok = !s.rec.failed && !s.blob.failed && s.blob.len <= UINT32_MAX;
  if (ok) {
    put_u32(&all, FE_SERIAL_VERSION);
    put_u32(&all, (uint32_t)s.blob.len);
    put(&all, s.blob.p, s.blob.len);
    put(&all, s.rec.p, s.rec.len);
    ok = !all.failed;
  }
  free(s.rec.p);
  free(s.blob.p);
  if (!ok) {
    free(all.p);
    return false;
  }
  *out = all.p;
  *size = all.len;
  return true;
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

typedef struct loader {
  fe_module *m;
  const fe_errctx *ec;
  const uint8_t *p, *end, *base;
} loader;

#define CORRUPT(l, ...) fe_fail((l)->ec, (size_t)((l)->p - (l)->base), FE_E_CORRUPT, __VA_ARGS__)

static void get(loader *l, void *dst, size_t n, const char *what) {
  if ((size_t)(l->end - l->p) < n)
    CORRUPT(l, "ends inside %s", what);
  memcpy(dst, l->p, n);
  l->p += n;
}

static uint8_t get_u8(loader *l, const char *what) {
  uint8_t v;
  get(l, &v, 1, what);
  return v;
}

static bool get_bool(loader *l, const char *what) {
  uint8_t v = get_u8(l, what);
  if (v > 1)
    CORRUPT(l, "%s flag %u", what, v);
  return v;
}

static uint32_t get_u32(loader *l, const char *what) {
  uint32_t v;
  get(l, &v, 4, what);
  return v;
}

static uint64_t get_u64(loader *l, const char *what) {
  uint64_t v;
  get(l, &v, 8, what);
  return v;
}

/* A count of records of at least `min_size` bytes each: it cannot exceed
 * what is left, which bounds every allocation by the input's size, nor the
 * decoder's limit (module.h), which the VM sizes its structures by. */
static uint32_t get_count(loader *l, size_t min_size, uint32_t max, const char *what) {
  uint32_t n = get_u32(l, what);
  if (n > (size_t)(l->end - l->p) / min_size || n > max)
    CORRUPT(l, "%u %s in %zu bytes (at most %u)", n, what, (size_t)(l->end - l->p), max);
  return n;
}

/* An array of n records from the module's arena. */
static void *alloc_n(loader *l, uint32_t n, size_t size) {
  return fe_arena_array(&l->m->arena, n ? n : 1, size);
}

static fe_span get_span(loader *l, const char *what) {
  fe_span sp;
  sp.off = get_u32(l, what);
  sp.len = get_u32(l, what);
  if (sp.off > l->m->size || sp.len > l->m->size - sp.off)
    CORRUPT(l, "%s [%u, +%u) outside the %zu saved bytes", what, sp.off, sp.len, l->m->size);
  return sp;
}

static fe_name get_name(loader *l, const char *what) {
  fe_span sp = get_span(l, what);
  return (fe_name){(const char *)l->m->bytes + sp.off, sp.len};
}

static fe_limits get_limits(loader *l, uint64_t range32, uint64_t range64) {
  fe_limits lim;
  lim.min = get_u64(l, "limits");
  lim.max = get_u64(l, "limits");
  lim.has_max = get_bool(l, "limits");
  lim.is64 = get_bool(l, "limits");
  lim.shared = get_bool(l, "limits");
  uint64_t range = lim.is64 ? range64 : range32;
  if ((lim.has_max && lim.max < lim.min) || lim.min > range || (lim.has_max && lim.max > range))
    CORRUPT(l, "limits min %llu, max %llu (at most %llu)", (unsigned long long)lim.min,
            (unsigned long long)lim.max, (unsigned long long)range);
  return lim;
}

/* Whether code is an abstract heap type's binary code. */
static bool abstract_heap(uint32_t code) {
  return code >= FE_HT_EXN && code <= FE_HT_NOEXN;
}

/* A value type in module form; packed storage types only where `storage`. */
static fe_valtype check_vt(loader *l, fe_valtype v, bool storage, const char *what) {
  switch (FE_VT_CODE(v)) {
  case FE_I32: case FE_I64: case FE_F32: case FE_F64: case FE_V128:
    if (v >> 8)
      break;
    return v;
  case FE_I8: case FE_I16:
    if (!storage || (v >> 8))
      break;
    return v;
  case FE_REF:
    if ((v >> 11) & 0x1fffff)
      break;
    if (FE_VT_HTKIND(v) == FE_HT_ABSTRACT && abstract_heap(FE_VT_HEAP(v)))
      return v;
    if (FE_VT_HTKIND(v) == FE_HT_MODULE && FE_VT_HEAP(v) < l->m->ntypes)
      return v;
    break;
  default:
    break;
  }
  CORRUPT(l, "%s has value type word 0x%llx", what, (unsigned long long)v);
}

static fe_valtype get_reftype(loader *l, const char *what) {
  fe_valtype v = check_vt(l, get_u64(l, what), false, what);
  if (!FE_VT_IS_REF(v))
    CORRUPT(l, "%s is not a reference type", what);
  return v;
}

/* A type index naming a function type. */
static uint32_t get_functype(loader *l, const char *what) {
  uint32_t t = get_u32(l, what);
  if (t >= l->m->ntypes || l->m->types[t].kind != FE_COMP_FUNC)
    CORRUPT(l, "%s has type %u, not a function type", what, t);
  return t;
}

static void load_types(loader *l) {
  fe_module *m = l->m;
  m->ntypes = get_count(l, 22, FE_MAX_TYPES, "types");
  m->types = alloc_n(l, m->ntypes, sizeof *m->types);
  for (uint32_t i = 0; i < m->ntypes; i++) {
    fe_type *t = &m->types[i];
    t->kind = get_u8(l, "type");
    t->final = get_bool(l, "type");
    t->super = get_u32(l, "type");
    t->rec_start = get_u32(l, "type");
    t->rec_size = get_u32(l, "type");
    t->nparams = get_u32(l, "type");
    t->n = get_count(l, 8, FE_MAX_FIELDS, "value types");
    if (t->kind != FE_COMP_FUNC && t->kind != FE_COMP_STRUCT && t->kind != FE_COMP_ARRAY)
      CORRUPT(l, "type %u has kind 0x%x", i, t->kind);
    if (t->rec_start > i || t->rec_size == 0 || t->rec_size > m->ntypes - t->rec_start ||
        i >= t->rec_start + t->rec_size ||
        (i > t->rec_start && (m->types[i - 1].rec_start != t->rec_start ||
                              m->types[i - 1].rec_size != t->rec_size)) ||
        /* a group starts where the one before ends */
        (i == t->rec_start && i > 0 &&
         m->types[i - 1].rec_start + m->types[i - 1].rec_size != i))
      CORRUPT(l, "type %u in rec group [%u, +%u)", i, t->rec_start, t->rec_size);
    if (t->super != FE_NO_INDEX && t->super >= i)
      CORRUPT(l, "type %u has supertype %u", i, t->super);
    if (t->kind == FE_COMP_FUNC ? t->nparams > t->n || t->nparams > FE_MAX_FUNC_VALUES ||
                                      t->n - t->nparams > FE_MAX_FUNC_VALUES
                                : t->nparams != 0 || (t->kind == FE_COMP_ARRAY && t->n != 1))
      CORRUPT(l, "type %u has %u params of %u types", i, t->nparams, t->n);
    /* ntypes is not final until the whole section is read, but rec groups
     * only refer below their end, which the registry checks. */
    t->vt = alloc_n(l, t->n, sizeof *t->vt);
    for (uint32_t j = 0; j < t->n; j++)
      t->vt[j] = get_u64(l, "value type");
    if (t->kind != FE_COMP_FUNC) {
      t->mut = alloc_n(l, t->n, 1);
      get(l, t->mut, t->n, "mutability flags");
    }
  }
  for (uint32_t i = 0; i < m->ntypes; i++) {
    fe_type *t = &m->types[i];
    for (uint32_t j = 0; j < t->n; j++)
      check_vt(l, t->vt[j], t->kind != FE_COMP_FUNC, "a type");
    if (t->mut)
      for (uint32_t j = 0; j < t->n; j++)
        if (t->mut[j] > 1)
          CORRUPT(l, "type %u field %u mutability %u", i, j, t->mut[j]);
  }
  for (uint32_t i = 0; i < m->ntypes; i += m->types[i].rec_size)
    fe_typereg_intern(m->reg, m, i, m->types[i].rec_size, l->ec, (size_t)(l->p - l->base));
}

/* The count of an index space and how many of it are imports. */
static void get_space(loader *l, uint32_t *n, uint32_t *nimports, size_t min_size, uint32_t max,
                      const char *what) {
  *n = get_count(l, min_size, max, what);
  *nimports = get_u32(l, what);
  if (*nimports > *n)
    CORRUPT(l, "%u imported of %u %s", *nimports, *n, what);
}

static void load_imports(loader *l) {
  fe_module *m = l->m;
  m->nimports = get_count(l, 21, FE_MAX_IMPORTS, "imports");
  m->imports = alloc_n(l, m->nimports, sizeof *m->imports);
  for (uint32_t i = 0; i < m->nimports; i++) {
    m->imports[i].module = get_name(l, "an import's module name");
    m->imports[i].name = get_name(l, "an import's name");
    m->imports[i].kind = get_u8(l, "import");
    m->imports[i].index = get_u32(l, "import");
  }
}

/* The size of the index space of an entity kind (imported ones only, or
 * all); UINT32_MAX: no such kind. */
static uint32_t space_of(const fe_module *m, uint8_t kind, bool imported) {
  switch (kind) {
  case FE_EXT_FUNC: return imported ? m->nfunc_imports : m->nfuncs;
  case FE_EXT_TABLE: return imported ? m->ntable_imports : m->ntables;
  case FE_EXT_MEMORY: return imported ? m->nmem_imports : m->nmems;
  case FE_EXT_GLOBAL: return imported ? m->nglobal_imports : m->nglobals;
  case FE_EXT_TAG: return imported ? m->ntag_imports : m->ntags;
  default: return UINT32_MAX;
  }
}

/* Imports are checked once every index space is known: as decoding numbers
 * them, the imports of each kind are that kind's imported entities 0, 1, ...
 * in order, each named exactly once (instantiation fills the imported part
 * of every index space from the import list alone). */
static void check_imports(loader *l) {
  uint32_t next[FE_EXT_TAG + 1] = {0};
  for (uint32_t i = 0; i < l->m->nimports; i++) {
    const fe_import *imp = &l->m->imports[i];
    uint32_t n = space_of(l->m, imp->kind, true);
    if (n == UINT32_MAX || imp->index >= n || imp->index != next[imp->kind])
      CORRUPT(l, "import %u is entity %u of kind %u", i, imp->index, imp->kind);
    next[imp->kind]++;
  }
  for (uint8_t k = FE_EXT_FUNC; k <= FE_EXT_TAG; k++)
    if (next[k] != space_of(l->m, k, true))
      CORRUPT(l, "%u imports of kind %u for %u imported entities", next[k], k,
              space_of(l->m, k, true));
}

static void load_entities(loader *l) {
  fe_module *m = l->m;
  load_imports(l);
  get_space(l, &m->nfuncs, &m->nfunc_imports, 4, FE_MAX_FUNCS, "functions");
  m->funcs = alloc_n(l, m->nfuncs, sizeof *m->funcs);
  for (uint32_t i = 0; i < m->nfuncs; i++)
    m->funcs[i].type = get_functype(l, "a function");
  get_space(l, &m->ntables, &m->ntable_imports, 36, FE_MAX_TABLES, "tables");
  m->tables = alloc_n(l, m->ntables, sizeof *m->tables);
  for (uint32_t i = 0; i < m->ntables; i++) {
    m->tables[i].elem = get_reftype(l, "a table");
    m->tables[i].lim = get_limits(l, UINT32_MAX, UINT64_MAX);
    m->tables[i].has_init = get_bool(l, "table");
    m->tables[i].init = get_span(l, "a table initializer");
  }
  get_space(l, &m->nmems, &m->nmem_imports, 19, FE_MAX_MEMS, "memories");
  m->mems = alloc_n(l, m->nmems, sizeof *m->mems);
  for (uint32_t i = 0; i < m->nmems; i++)
    m->mems[i].lim = get_limits(l, FE_MAX_PAGES32, FE_MAX_PAGES64);
  get_space(l, &m->nglobals, &m->nglobal_imports, 17, FE_MAX_GLOBALS, "globals");
  m->globals = alloc_n(l, m->nglobals, sizeof *m->globals);
  for (uint32_t i = 0; i < m->nglobals; i++) {
    m->globals[i].type = check_vt(l, get_u64(l, "global"), false, "a global");
    m->globals[i].mut = get_bool(l, "global");
    m->globals[i].init = get_span(l, "a global initializer");
    if (i >= m->nglobal_imports && m->globals[i].init.len == 0)
      CORRUPT(l, "global %u has no initializer", i);
  }
  get_space(l, &m->ntags, &m->ntag_imports, 4, FE_MAX_TAGS, "tags");
  m->tags = alloc_n(l, m->ntags, sizeof *m->tags);
  for (uint32_t i = 0; i < m->ntags; i++)
    m->tags[i].type = get_functype(l, "a tag");
  check_imports(l);

  m->nexports = get_count(l, 13, FE_MAX_EXPORTS, "exports");
  m->exports = alloc_n(l, m->nexports, sizeof *m->exports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    fe_export *e = &m->exports[i];
    e->name = get_name(l, "an export's name");
    e->kind = get_u8(l, "export");
    e->index = get_u32(l, "export");
    uint32_t n = space_of(m, e->kind, false);
    if (n == UINT32_MAX || e->index >= n)
      CORRUPT(l, "export %u is entity %u of kind %u", i, e->index, e->kind);
  }
  m->has_start = get_bool(l, "start");
  m->start = get_u32(l, "start");
  if (m->has_start && m->start >= m->nfuncs)
    CORRUPT(l, "start function %u of %u", m->start, m->nfuncs);
}

static void load_segments(loader *l) {
  fe_module *m = l->m;
  m->nelems = get_count(l, 26, FE_MAX_ELEM_SEGS, "element segments");
  m->elems = alloc_n(l, m->nelems, sizeof *m->elems);
  for (uint32_t i = 0; i < m->nelems; i++) {
    fe_elem *e = &m->elems[i];
    e->mode = get_u8(l, "element segment");
    e->table = get_u32(l, "element segment");
    e->offset = get_span(l, "an element offset");
    e->type = get_reftype(l, "an element segment");
    bool funcs = get_bool(l, "element segment");
    e->count = get_count(l, funcs ? 4 : 8, FE_MAX_ELEMS, "elements");
    if (e->mode > FE_SEG_DECLARATIVE || (e->mode == FE_SEG_ACTIVE && e->table >= m->ntables))
      CORRUPT(l, "element segment %u: mode %u, table %u", i, e->mode, e->table);
    if (funcs) {
      e->funcs = alloc_n(l, e->count, sizeof *e->funcs);
      for (uint32_t j = 0; j < e->count; j++)
        if ((e->funcs[j] = get_u32(l, "element")) >= m->nfuncs)
          CORRUPT(l, "element segment %u item %u is function %u", i, j, e->funcs[j]);
    } else {
      e->exprs = alloc_n(l, e->count, sizeof *e->exprs);
      for (uint32_t j = 0; j < e->count; j++)
        e->exprs[j] = get_span(l, "an element expression");
    }
  }
  m->ndatas = get_count(l, 21, FE_MAX_DATA_SEGS, "data segments");
  m->datas = alloc_n(l, m->ndatas, sizeof *m->datas);
  for (uint32_t i = 0; i < m->ndatas; i++) {
    fe_data *d = &m->datas[i];
    d->mode = get_u8(l, "data segment");
    d->memory = get_u32(l, "data segment");
    d->offset = get_span(l, "a data offset");
    d->bytes = get_span(l, "a data segment's bytes");
    if (d->mode > FE_SEG_PASSIVE || (d->mode == FE_SEG_ACTIVE && d->memory >= m->nmems))
      CORRUPT(l, "data segment %u: mode %u, memory %u", i, d->mode, d->memory);
  }
  m->has_datacount = get_bool(l, "data count");
  m->datacount = get_u32(l, "data count");
  m->code_bytes = get_u64(l, "code size");
}

/* The protected part of fe_module_load (see fe_module_new's). */
static bool load_protected(fe_module *m, const uint8_t *bytes, size_t size, fe_error *err) {
  jmp_buf jmp;
  fe_errctx ec = {err, &jmp, FE_SEC_NONE, FE_NO_FUNC};
  m->arena.ec = &ec;
  if (setjmp(jmp))
    return false;
  loader l = {m, &ec, bytes, bytes + size, bytes};
  uint32_t version = get_u32(&l, "the header");
  if (version != FE_SERIAL_VERSION)
    CORRUPT(&l, "saved by description format %u, this Kiln reads %u", version,
            FE_SERIAL_VERSION);
  uint32_t blob = get_u32(&l, "the header");
  if (blob > size - 8)
    CORRUPT(&l, "%u saved bytes in %zu", blob, size - 8);
  m->bytes = fe_arena_alloc(&m->arena, blob);
  memcpy(m->bytes, l.p, blob);
  m->size = blob;
  l.p += blob;
  load_types(&l);
  load_entities(&l);
  load_segments(&l);
  if (l.p != l.end)
    CORRUPT(&l, "%zu bytes after the description", (size_t)(l.end - l.p));
  m->declared_funcs = fe_arena_array(&m->arena, m->nfuncs / 8 + 1, 1);
  m->bodies_dropped = true;
  m->arena.ec = NULL;
  return true;
}

fe_module *fe_module_load(fe_typereg *reg, const uint8_t *bytes, size_t size, fe_error *err) {
  fe_error scratch;
  if (!err)
    err = &scratch;
  memset(err, 0, sizeof *err);
  err->section = FE_SEC_NONE;
  err->func = FE_NO_FUNC;
  fe_module *m = calloc(1, sizeof *m);
  if (!m) {
    err->code = FE_E_NOMEM;
    return NULL;
  }
  fe_arena_init(&m->arena, NULL);
  m->reg = reg;
  if (!load_protected(m, bytes, size, err)) {
    fe_module_free(m);
    return NULL;
  }
  err->code = FE_E_OK;
  return m;
}
