/* frontend/decode.c — the binary section decoder.
 *
 * One pass over the module: the header, then each section in the order the
 * binary format fixes (custom sections anywhere), filling the module
 * description (module.h).  Validation that needs no operand stack happens
 * here, as each entity is decoded: index ranges, limits, types of imports
 * and tags, export names, segment modes and types.  Code bodies and
 * constant expressions are handed to the validator (validate.h) as they are
 * met, so that a module is fully decoded and validated when this returns.
 *
 * Every error is raised through the error context (error.h) and ends the
 * decoding: no function here returns a status.  Everything allocated comes
 * from the module arena, which fe_module_new frees on an error.
 *
 * Hostile inputs: every vector count is read with fe_read_count, which
 * refuses a count the remaining bytes cannot hold, and every index space is
 * capped (the MAX_* limits below), so a forged count cannot make the
 * decoder allocate more than a small multiple of the input size, nor
 * gigabytes in total.  (The validator bounds its own stacks: validate.c.)
 */
#include "decode.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "types.h"
#include "validate.h"

/* Binary encodings that are not value types or section ids. */
enum {
  BIN_REC = 0x4e,
  BIN_SUB = 0x50,
  BIN_SUB_FINAL = 0x4f,
  BIN_REF_NULL = 0x63,
  BIN_REF = 0x64,
  BIN_TABLE_INIT = 0x40,
};

/* ------------------------------------------------------------------------
 * Decoder state
 * ---------------------------------------------------------------------- */

/* A malformed-count error that the spec reports only after the last
 * section (it compares counts once everything is decoded), so that an
 * out-of-order section after it is reported first.  Raised at the next
 * non-custom section or at the end. */
typedef struct deferred {
  fe_errcode code; /* FE_E_OK: none */
  size_t at;
  uint8_t section;
  char detail[80];
} deferred;

typedef struct decoder {
  fe_module *m;
  fe_validator *v;
  fe_errctx *ec;
  /* capacities of the arrays that grow (arena_reserve) */
  uint32_t types_cap, funcs_cap, tables_cap, mems_cap, globals_cap, tags_cap,
      customs_cap;
  uint32_t ndefined_funcs; /* count of the function section */
  bool has_code, has_data;
  deferred pending;
  /* the first custom section named "name", parsed after the last section */
  bool has_names;
  fe_span names;
} decoder;

#define FAIL(d, at, ...) fe_fail((d)->ec, (at), __VA_ARGS__)

static void defer(decoder *d, size_t at, fe_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void defer(decoder *d, size_t at, fe_errcode code, const char *fmt, ...) {
  if (d->pending.code != FE_E_OK)
    return; /* the first one wins */
  d->pending.code = code;
  d->pending.at = at;
  d->pending.section = d->ec->section;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->pending.detail, sizeof d->pending.detail, fmt, ap);
  va_end(ap);
}

static void raise_deferred(decoder *d) {
  if (d->pending.code == FE_E_OK)
    return;
  d->ec->section = d->pending.section;
  FAIL(d, d->pending.at, d->pending.code, "%s", d->pending.detail);
}

/* Returns arr, or a copy of it, with room for `need` elements of `size`
 * bytes, n of which are in use.  Index spaces grow while imports are read
 * (their sizes are known only when the definitions' sections arrive), so
 * they are arena arrays that double: the copies stay linear in total and
 * the old arrays waste at most as much arena space as the live ones. */
static void *arena_reserve(decoder *d, void *arr, uint32_t n, uint32_t *cap,
                           uint32_t need, size_t size) {
  if (need <= *cap)
    return arr;
  uint32_t ncap = *cap <= UINT32_MAX / 2 ? *cap * 2 : need;
  if (ncap < need)
    ncap = need;
  if (ncap < 8)
    ncap = 8;
  void *p = fe_arena_array(&d->m->arena, ncap, size);
  if (n)
    memcpy(p, arr, (size_t)n * size);
  *cap = ncap;
  return p;
}

/* Room for one more element of arr[0..n). */
#define RESERVE1(d, arr, n, cap)                                               \
  ((arr) = arena_reserve((d), (arr), (n), &(cap), (n) + 1, sizeof *(arr)))

/* A vector count for an array the caller is about to allocate: bounded by
 * the bytes left (fe_read_count: every element takes at least one byte)
 * and by an implementation limit, of which `used` entries are taken.  One
 * byte, not each element's true minimum size, because the spec's decoder
 * reads elements until they run out: a larger minimum would report
 * "unexpected end" where the last element has a more precise error (the
 * tests check, e.g. a bad import kind in the last 3 bytes).  The caps keep
 * the arrays small all the same. */
static uint32_t read_count(decoder *d, fe_reader *r, uint32_t used,
                           uint32_t limit, const char *what) {
  size_t at = fe_offset(r);
  uint32_t n = fe_read_count(r, 1);
  if (used > limit || n > limit - used)
    FAIL(d, at, FE_E_TOO_MANY, "%" PRIu64 " %s (at most %u)",
         (uint64_t)used + n, what, limit);
  return n;
}

static fe_span span_of(const fe_reader *r, const uint8_t *p, size_t len) {
  fe_span s = {(uint32_t)(p - r->base), (uint32_t)len};
  return s;
}

/* ------------------------------------------------------------------------
 * Value types (decode.h), shared with the validator
 *
 * Abstract heap types are single bytes (0x69..0x74), which read as s33 are
 * negative; a concrete heap type is a non-negative s33 type index.  So a
 * heap type is an abstract byte, or else an s33 that must not be negative.
 * ---------------------------------------------------------------------- */
static bool is_abstract_heap(uint8_t b) {
  return b >= FE_HT_EXN && b <= FE_HT_NOEXN;
}

fe_valtype fe_read_heaptype(fe_reader *r, uint32_t ntypes, bool nullable) {
  size_t at = fe_offset(r);
  uint8_t b = fe_peek_u8(r);
  if (is_abstract_heap(b)) {
    r->p++;
    return fe_vt_absref(nullable, b);
  }
  int64_t x = fe_read_s33(r);
  if (x < 0)
    fe_fail(r->ec, at, FE_E_HEAPTYPE, "0x%02x", b);
  if ((uint64_t)x >= ntypes)
    fe_fail(r->ec, at, FE_E_UNKNOWN_TYPE, "type %" PRId64 " of %u", x, ntypes);
  return fe_vt_ref(nullable, FE_HT_MODULE, (uint32_t)x);
}

/* A reference type after its first byte b, or 0 if b does not start one. */
static fe_valtype read_ref_after(fe_reader *r, uint8_t b, uint32_t ntypes) {
  if (b == BIN_REF_NULL || b == BIN_REF)
    return fe_read_heaptype(r, ntypes, b == BIN_REF_NULL);
  if (is_abstract_heap(b))
    return fe_vt_absref(true, b); /* shorthand: funcref = (ref null func) */
  return 0;
}

fe_valtype fe_read_reftype(fe_reader *r, uint32_t ntypes) {
  size_t at = fe_offset(r);
  uint8_t b = fe_read_u8(r);
  fe_valtype t = read_ref_after(r, b, ntypes);
  if (!t)
    fe_fail(r->ec, at, FE_E_REFTYPE, "0x%02x", b);
  return t;
}

fe_valtype fe_read_valtype(fe_reader *r, uint32_t ntypes) {
  size_t at = fe_offset(r);
  uint8_t b = fe_read_u8(r);
  switch (b) {
  case FE_I32:
  case FE_I64:
  case FE_F32:
  case FE_F64:
  case FE_V128:
    return fe_vt_num(b);
  default: {
    fe_valtype t = read_ref_after(r, b, ntypes);
    if (!t)
      fe_fail(r->ec, at, FE_E_VALTYPE, "0x%02x", b);
    return t;
  }
  }
}

/* ------------------------------------------------------------------------
 * Type section: rec groups of sub types of composite types
 * ---------------------------------------------------------------------- */

/* A mutability flag: exactly 0 or 1, one byte. */
static bool read_mut(decoder *d, fe_reader *r) {
  size_t at = fe_offset(r);
  uint8_t b = fe_read_u8(r);
  if (b > 1)
    FAIL(d, at, FE_E_MUTABILITY, "0x%02x", b);
  return b;
}

/* fieldtype: storage type (a value type or a packed i8/i16) + mutability. */
static void read_field(decoder *d, fe_reader *r, uint32_t ntypes,
                       fe_valtype *vt, uint8_t *mut) {
  uint8_t b = fe_peek_u8(r);
  if (b == FE_I8 || b == FE_I16) {
    r->p++;
    *vt = fe_vt_num(b);
  } else {
    *vt = fe_read_valtype(r, ntypes);
  }
  *mut = read_mut(d, r);
}

/* vec(valtype). */
static fe_valtype *read_valtypes(decoder *d, fe_reader *r, uint32_t ntypes,
                                 uint32_t *n) {
  *n = read_count(d, r, 0, FE_MAX_FUNC_VALUES, "parameters or results");
  fe_valtype *vt = fe_arena_array(&d->m->arena, *n, sizeof *vt);
  for (uint32_t i = 0; i < *n; i++)
    vt[i] = fe_read_valtype(r, ntypes);
  return vt;
}

/* comptype: func (params, results), struct (fields) or array (one field).
 * A function type's params and results are stored as one array, so the
 * params are read into a first array and copied once the results' count
 * is known. */
static void read_comptype(decoder *d, fe_reader *r, uint32_t ntypes,
                          fe_type *t) {
  fe_arena *a = &d->m->arena;
  size_t at = fe_offset(r);
  uint8_t kind = fe_read_u8(r);
  /* the spec reads this byte as an s7: a continuation bit makes it too
   * long rather than an unknown constructor */
  if (kind & 0x80)
    FAIL(d, at, FE_E_LEB_TOO_LONG, "composite type 0x%02x", kind);
  t->kind = kind;
  switch (kind) {
  case FE_COMP_FUNC: {
    uint32_t np, nr;
    fe_valtype *params = read_valtypes(d, r, ntypes, &np);
    fe_valtype *results = read_valtypes(d, r, ntypes, &nr);
    t->nparams = np;
    t->n = np + nr;
    t->vt = fe_arena_array(a, t->n, sizeof *t->vt);
    if (np)
      memcpy(t->vt, params, np * sizeof *t->vt);
    if (nr)
      memcpy(t->vt + np, results, nr * sizeof *t->vt);
    break;
  }
  case FE_COMP_STRUCT:
    t->n = read_count(d, r, 0, FE_MAX_FIELDS, "fields");
    t->vt = fe_arena_array(a, t->n, sizeof *t->vt);
    t->mut = fe_arena_array(a, t->n, sizeof *t->mut);
    for (uint32_t i = 0; i < t->n; i++)
      read_field(d, r, ntypes, &t->vt[i], &t->mut[i]);
    break;
  case FE_COMP_ARRAY:
    t->n = 1;
    t->vt = fe_arena_array(a, 1, sizeof *t->vt);
    t->mut = fe_arena_array(a, 1, sizeof *t->mut);
    read_field(d, r, ntypes, &t->vt[0], &t->mut[0]);
    break;
  default:
    FAIL(d, at, FE_E_COMPTYPE, "0x%02x", kind);
  }
}

/* subtype: `sub final? x* comptype`, or a bare comptype, which is final
 * with no supertype.  Wasm 3.0 allows at most one supertype.  Indices may
 * reach up to the end of the rec group (ntypes); that a supertype comes
 * before its subtype and matches it is checked by the registry. */
static void read_subtype(decoder *d, fe_reader *r, uint32_t ntypes,
                         fe_type *t) {
  t->final = true;
  t->super = FE_NO_INDEX;
  uint8_t b = fe_peek_u8(r);
  if (b == BIN_SUB || b == BIN_SUB_FINAL) {
    r->p++;
    t->final = b == BIN_SUB_FINAL;
    size_t at = fe_offset(r);
    uint32_t nsupers = fe_read_u32(r);
    if (nsupers > 1)
      FAIL(d, at, FE_E_SUB_TYPE, "%u supertypes (at most 1)", nsupers);
    if (nsupers == 1) {
      at = fe_offset(r);
      t->super = fe_read_u32(r);
      if (t->super >= ntypes)
        FAIL(d, at, FE_E_UNKNOWN_TYPE, "supertype %u of %u", t->super, ntypes);
    }
  }
  read_comptype(d, r, ntypes, t);
}

/* rectype: `rec subtype*` or a single subtype (a group of one).  Each group
 * is interned in the engine's registry as soon as it is read: later groups
 * refer to it by canonical id. */
static void type_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t ngroups = fe_read_count(r, 1);
  for (uint32_t g = 0; g < ngroups; g++) {
    size_t at = fe_offset(r);
    uint32_t n = 1;
    if (fe_peek_u8(r) == BIN_REC) {
      r->p++;
      n = read_count(d, r, m->ntypes, FE_MAX_TYPES, "types");
    } else if (m->ntypes >= FE_MAX_TYPES) {
      FAIL(d, at, FE_E_TOO_MANY, "more than %u types", FE_MAX_TYPES);
    }
    uint32_t start = m->ntypes;
    m->types = arena_reserve(d, m->types, start, &d->types_cap, start + n,
                             sizeof *m->types);
    for (uint32_t i = 0; i < n; i++) {
      fe_type *t = &m->types[start + i];
      memset(t, 0, sizeof *t);
      t->rec_start = start;
      t->rec_size = n;
      read_subtype(d, r, start + n, t);
    }
    m->ntypes = start + n;
    if (n)
      fe_typereg_intern(m->reg, m, start, n, d->ec, at);
  }
}

/* A type index that must name a function type (functions, tags). */
static uint32_t read_functype_index(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  uint32_t x = fe_read_u32(r);
  if (x >= m->ntypes)
    FAIL(d, at, FE_E_UNKNOWN_TYPE, "type %u of %u", x, m->ntypes);
  if (m->types[x].kind != FE_COMP_FUNC)
    FAIL(d, at, FE_E_NOT_FUNC, "type %u", x);
  return x;
}

/* ------------------------------------------------------------------------
 * Entity types: limits, tables, memories, globals, tags
 * ---------------------------------------------------------------------- */

/* limits: a flags byte (bit 0: has a maximum, bit 2: 64-bit addresses),
 * then u64 bounds for both address types; the range is a validation rule
 * of the table or memory.  Flags 2 and 3 (shared memory, threads) are not
 * Wasm 3.0. */
static void read_limits(decoder *d, fe_reader *r, fe_limits *lim) {
  size_t at = fe_offset(r);
  uint8_t flags = fe_read_u8(r);
  if (flags != 0x00 && flags != 0x01 && flags != 0x04 && flags != 0x05)
    FAIL(d, at, FE_E_LIMITS_FLAGS, "0x%02x", flags);
  lim->has_max = flags & 1;
  lim->is64 = (flags & 4) != 0;
  lim->shared = false;
  lim->min = fe_read_u64(r);
  lim->max = lim->has_max ? fe_read_u64(r) : 0;
}

/* The spec checks the bounds against the range first, then min <= max. */
static void check_limits(decoder *d, const fe_limits *lim, uint64_t range,
                         fe_errcode code, size_t at) {
  if (lim->min > range)
    FAIL(d, at, code, "minimum %" PRIu64 " > %" PRIu64, lim->min, range);
  if (lim->has_max && lim->max > range)
    FAIL(d, at, code, "maximum %" PRIu64 " > %" PRIu64, lim->max, range);
  if (lim->has_max && lim->min > lim->max)
    FAIL(d, at, FE_E_LIMITS_MINMAX, "%" PRIu64 " > %" PRIu64, lim->min,
         lim->max);
}

/* tabletype: reftype limits; 32-bit tables have at most 2^32-1 elements. */
static void read_tabletype(decoder *d, fe_reader *r, fe_table *t) {
  t->elem = fe_read_reftype(r, d->m->ntypes);
  size_t at = fe_offset(r);
  read_limits(d, r, &t->lim);
  check_limits(d, &t->lim, t->lim.is64 ? UINT64_MAX : UINT32_MAX,
               FE_E_TABLE_SIZE, at);
}

static void read_memtype(decoder *d, fe_reader *r, fe_memory *mem) {
  size_t at = fe_offset(r);
  read_limits(d, r, &mem->lim);
  check_limits(d, &mem->lim, mem->lim.is64 ? FE_MAX_PAGES64 : FE_MAX_PAGES32,
               FE_E_MEMORY_SIZE, at);
}

static void read_globaltype(decoder *d, fe_reader *r, fe_global *g) {
  g->type = fe_read_valtype(r, d->m->ntypes);
  g->mut = read_mut(d, r);
}

/* tagtype: attribute 0 (exception), then a function type with no
 * results. */
static void read_tagtype(decoder *d, fe_reader *r, fe_tag *tag) {
  size_t at = fe_offset(r);
  uint8_t attr = fe_read_u8(r);
  if (attr != 0)
    FAIL(d, at, FE_E_TAG_ATTR, "0x%02x", attr);
  at = fe_offset(r);
  tag->type = read_functype_index(d, r);
  if (fe_func_nresults(&d->m->types[tag->type]) != 0)
    FAIL(d, at, FE_E_TAG_RESULT, "type %u", tag->type);
}

/* ------------------------------------------------------------------------
 * Import section
 *
 * Imports come first in their index spaces, so each import is appended to
 * its space, which grows (arena_reserve) until the definitions arrive.
 * ---------------------------------------------------------------------- */
static void import_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, 0, FE_MAX_IMPORTS, "imports");
  m->imports = fe_arena_array(&m->arena, n, sizeof *m->imports);
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    fe_import *im = &m->imports[i];
    im->module.str = fe_read_name(r, &im->module.len);
    im->name.str = fe_read_name(r, &im->name.len);
    size_t at = fe_offset(r);
    im->kind = fe_read_u8(r);
    switch (im->kind) {
    case FE_EXT_FUNC:
      if (m->nfuncs >= FE_MAX_FUNCS)
        FAIL(d, at, FE_E_TOO_MANY, "more than %u functions", FE_MAX_FUNCS);
      RESERVE1(d, m->funcs, m->nfuncs, d->funcs_cap);
      m->funcs[m->nfuncs].type = read_functype_index(d, r);
      im->index = m->nfuncs++;
      break;
    case FE_EXT_TABLE:
      if (m->ntables >= FE_MAX_TABLES)
        FAIL(d, at, FE_E_TOO_MANY, "more than %u tables", FE_MAX_TABLES);
      RESERVE1(d, m->tables, m->ntables, d->tables_cap);
      read_tabletype(d, r, &m->tables[m->ntables]);
      im->index = m->ntables++;
      break;
    case FE_EXT_MEMORY:
      if (m->nmems >= FE_MAX_MEMS)
        FAIL(d, at, FE_E_TOO_MANY, "more than %u memories", FE_MAX_MEMS);
      RESERVE1(d, m->mems, m->nmems, d->mems_cap);
      read_memtype(d, r, &m->mems[m->nmems]);
      im->index = m->nmems++;
      break;
    case FE_EXT_GLOBAL:
      if (m->nglobals >= FE_MAX_GLOBALS)
        FAIL(d, at, FE_E_TOO_MANY, "more than %u globals", FE_MAX_GLOBALS);
      RESERVE1(d, m->globals, m->nglobals, d->globals_cap);
      read_globaltype(d, r, &m->globals[m->nglobals]);
      im->index = m->nglobals++;
      break;
    case FE_EXT_TAG:
      if (m->ntags >= FE_MAX_TAGS)
        FAIL(d, at, FE_E_TOO_MANY, "more than %u tags", FE_MAX_TAGS);
      RESERVE1(d, m->tags, m->ntags, d->tags_cap);
      read_tagtype(d, r, &m->tags[m->ntags]);
      im->index = m->ntags++;
      break;
    default:
      FAIL(d, at, FE_E_IMPORT_KIND, "0x%02x", im->kind);
    }
  }
  m->nfunc_imports = m->nfuncs;
  m->ntable_imports = m->ntables;
  m->nmem_imports = m->nmems;
  m->nglobal_imports = m->nglobals;
  m->ntag_imports = m->ntags;
}

/* ------------------------------------------------------------------------
 * Function, table, memory, tag and global sections: the definitions
 * ---------------------------------------------------------------------- */
static void function_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, m->nfuncs, FE_MAX_FUNCS, "functions");
  m->funcs = arena_reserve(d, m->funcs, m->nfuncs, &d->funcs_cap,
                           m->nfuncs + n, sizeof *m->funcs);
  for (uint32_t i = 0; i < n; i++)
    m->funcs[m->nfuncs++].type = read_functype_index(d, r);
  d->ndefined_funcs = n;
}

/* table: tabletype, or 0x40 0x00 tabletype expr (3.0: a table with an
 * initializer expression).  Without one the elements start as null, so
 * the element type must be nullable. */
static void table_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, m->ntables, FE_MAX_TABLES, "tables");
  m->tables = arena_reserve(d, m->tables, m->ntables, &d->tables_cap,
                            m->ntables + n, sizeof *m->tables);
  for (uint32_t i = 0; i < n; i++) {
    fe_table *t = &m->tables[m->ntables];
    size_t at = fe_offset(r);
    if (fe_peek_u8(r) == BIN_TABLE_INIT) {
      r->p++;
      size_t zat = fe_offset(r);
      uint8_t zero = fe_read_u8(r);
      if (zero != 0)
        FAIL(d, zat, FE_E_TABLE_FLAGS, "0x40 0x%02x", zero);
      read_tabletype(d, r, t);
      t->has_init = true;
      t->init = fe_validate_const(d->v, r, t->elem, m->nglobals);
    } else {
      read_tabletype(d, r, t);
      if (!fe_vt_defaultable(t->elem)) {
        char buf[64];
        FAIL(d, at, FE_E_TYPE_MISMATCH,
             "table of non-nullable %s needs an initializer",
             fe_valtype_str(t->elem, buf, sizeof buf));
      }
    }
    m->ntables++;
  }
}

static void memory_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, m->nmems, FE_MAX_MEMS, "memories");
  m->mems = arena_reserve(d, m->mems, m->nmems, &d->mems_cap, m->nmems + n,
                          sizeof *m->mems);
  for (uint32_t i = 0; i < n; i++)
    read_memtype(d, r, &m->mems[m->nmems++]);
}

static void tag_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, m->ntags, FE_MAX_TAGS, "tags");
  m->tags = arena_reserve(d, m->tags, m->ntags, &d->tags_cap, m->ntags + n,
                          sizeof *m->tags);
  for (uint32_t i = 0; i < n; i++)
    read_tagtype(d, r, &m->tags[m->ntags++]);
}

/* global: globaltype expr.  The initializer may read the globals before
 * this one (imported or defined: Wasm 3.0 / extended-const). */
static void global_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, m->nglobals, FE_MAX_GLOBALS, "globals");
  m->globals = arena_reserve(d, m->globals, m->nglobals, &d->globals_cap,
                             m->nglobals + n, sizeof *m->globals);
  for (uint32_t i = 0; i < n; i++) {
    fe_global *g = &m->globals[m->nglobals];
    read_globaltype(d, r, g);
    g->init = fe_validate_const(d->v, r, g->type, m->nglobals);
    m->nglobals++;
  }
}

/* ------------------------------------------------------------------------
 * Export section
 *
 * Export names must be unique.  They are checked with an open-addressing
 * hash set of export indices (FNV-1a over the name bytes), sized to a
 * power of two at least twice the count, so the check is linear.
 * ---------------------------------------------------------------------- */
static uint32_t name_hash(fe_name n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n.len; i++)
    h = (h ^ (uint8_t)n.str[i]) * 16777619u;
  return h;
}

static bool name_eq(fe_name a, fe_name b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.str, b.str, a.len) == 0);
}

static void mark_declared(fe_module *m, uint32_t f) {
  m->declared_funcs[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* The size of the index space an export or import kind names. */
static uint32_t space_size(const fe_module *m, uint8_t kind) {
  switch (kind) {
  case FE_EXT_FUNC: return m->nfuncs;
  case FE_EXT_TABLE: return m->ntables;
  case FE_EXT_MEMORY: return m->nmems;
  case FE_EXT_GLOBAL: return m->nglobals;
  default: return m->ntags;
  }
}

static const fe_errcode unknown_code[] = {
    [FE_EXT_FUNC] = FE_E_UNKNOWN_FUNC,     [FE_EXT_TABLE] = FE_E_UNKNOWN_TABLE,
    [FE_EXT_MEMORY] = FE_E_UNKNOWN_MEMORY, [FE_EXT_GLOBAL] = FE_E_UNKNOWN_GLOBAL,
    [FE_EXT_TAG] = FE_E_UNKNOWN_TAG,
};

static void export_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, 0, FE_MAX_EXPORTS, "exports");
  m->exports = fe_arena_array(&m->arena, n, sizeof *m->exports);
  m->nexports = n;
  uint32_t nslots = 16;
  while (nslots < 2 * n) /* n <= FE_MAX_EXPORTS: no overflow */
    nslots *= 2;
  uint32_t *slots = fe_arena_array(&m->arena, nslots, sizeof *slots);
  for (uint32_t i = 0; i < n; i++) {
    fe_export *e = &m->exports[i];
    size_t name_at = fe_offset(r);
    e->name.str = fe_read_name(r, &e->name.len);
    size_t at = fe_offset(r);
    e->kind = fe_read_u8(r);
    if (e->kind > FE_EXT_TAG)
      FAIL(d, at, FE_E_EXPORT_KIND, "0x%02x", e->kind);
    at = fe_offset(r);
    e->index = fe_read_u32(r);
    if (e->index >= space_size(m, e->kind))
      FAIL(d, at, unknown_code[e->kind], "%u", e->index);
    if (e->kind == FE_EXT_FUNC)
      mark_declared(m, e->index);
    /* slots hold export index + 1; 0 is empty */
    uint32_t h = name_hash(e->name) & (nslots - 1);
    while (slots[h]) {
      if (name_eq(m->exports[slots[h] - 1].name, e->name))
        FAIL(d, name_at, FE_E_DUPLICATE_EXPORT, "\"%.*s\"",
             (int)(e->name.len < 64 ? e->name.len : 64), e->name.str);
      h = (h + 1) & (nslots - 1);
    }
    slots[h] = i + 1;
  }
}

/* ------------------------------------------------------------------------
 * Start section
 * ---------------------------------------------------------------------- */
static void start_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  uint32_t f = fe_read_u32(r);
  if (f >= m->nfuncs)
    FAIL(d, at, FE_E_UNKNOWN_FUNC, "%u", f);
  if (fe_func_type(m, f)->n != 0)
    FAIL(d, at, FE_E_START_FUNC, "function %u must have type [] -> []", f);
  m->has_start = true;
  m->start = f;
}

/* ------------------------------------------------------------------------
 * Element section
 *
 * The flags (0..7) select one of eight encodings:
 *   bit 0  passive or declarative (else active)
 *   bit 1  active: an explicit table index; else: declarative (if bit 0)
 *   bit 2  element expressions with a reftype (else function indices with
 *          an elemkind)
 * Flags 0 and 4 (active, table 0) carry no elemkind / reftype: their types
 * are (ref func) and funcref.
 * ---------------------------------------------------------------------- */

/* The offset expression of an active segment: of the address type of its
 * table or memory. */
static fe_span read_offset(decoder *d, fe_reader *r, bool is64) {
  return fe_validate_const(d->v, r, fe_vt_num(is64 ? FE_I64 : FE_I32),
                           d->m->nglobals);
}

static void read_elem(decoder *d, fe_reader *r, fe_elem *e) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  uint32_t flags = fe_read_u32(r);
  if (flags > 7)
    FAIL(d, at, FE_E_SEGMENT_FLAGS, "element segment flags %u", flags);
  bool exprs = flags & 4;

  if (flags & 1) {
    e->mode = (flags & 2) ? FE_SEG_DECLARATIVE : FE_SEG_PASSIVE;
  } else {
    e->mode = FE_SEG_ACTIVE;
    at = fe_offset(r);
    e->table = (flags & 2) ? fe_read_u32(r) : 0;
    if (e->table >= m->ntables)
      FAIL(d, at, FE_E_UNKNOWN_TABLE, "%u", e->table);
    e->offset = read_offset(d, r, m->tables[e->table].lim.is64);
  }

  at = fe_offset(r);
  if (flags & 3) {
    if (exprs) {
      e->type = fe_read_reftype(r, m->ntypes);
    } else {
      uint8_t kind = fe_read_u8(r);
      if (kind != 0)
        FAIL(d, at, FE_E_ELEM_KIND, "0x%02x", kind);
      e->type = fe_vt_absref(false, FE_HT_FUNC);
    }
  } else {
    e->type = exprs ? FE_FUNCREF : fe_vt_absref(false, FE_HT_FUNC);
  }
  if (e->mode == FE_SEG_ACTIVE &&
      !fe_vt_sub(m, e->type, m->tables[e->table].elem)) {
    char b1[64], b2[64];
    FAIL(d, at, FE_E_TYPE_MISMATCH, "elements of type %s in a table of %s",
         fe_valtype_str(e->type, b1, sizeof b1),
         fe_valtype_str(m->tables[e->table].elem, b2, sizeof b2));
  }

  e->count = read_count(d, r, 0, FE_MAX_ELEMS, "elements in a segment");
  if (exprs) {
    e->exprs = fe_arena_array(&m->arena, e->count, sizeof *e->exprs);
    for (uint32_t i = 0; i < e->count; i++)
      e->exprs[i] = fe_validate_const(d->v, r, e->type, m->nglobals);
  } else {
    e->funcs = fe_arena_array(&m->arena, e->count, sizeof *e->funcs);
    for (uint32_t i = 0; i < e->count; i++) {
      at = fe_offset(r);
      uint32_t f = fe_read_u32(r);
      if (f >= m->nfuncs)
        FAIL(d, at, FE_E_UNKNOWN_FUNC, "%u", f);
      mark_declared(m, f);
      e->funcs[i] = f;
    }
  }
}

static void element_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  uint32_t n = read_count(d, r, 0, FE_MAX_ELEM_SEGS, "element segments");
  m->elems = fe_arena_array(&m->arena, n, sizeof *m->elems);
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++)
    read_elem(d, r, &m->elems[i]);
}

/* ------------------------------------------------------------------------
 * Data count, code and data sections
 * ---------------------------------------------------------------------- */
static void datacount_section(decoder *d, fe_reader *r) {
  d->m->datacount = fe_read_u32(r);
  d->m->has_datacount = true;
}

/* code: u32 size, then the body (locals and instructions), which the
 * validator decodes.  The count must match the function section's; it is
 * not used to allocate (the bodies' index space exists already).  On a
 * mismatch the error is deferred (see `deferred`) and the bodies are
 * skipped unvalidated. */
static void code_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  uint32_t n = fe_read_u32(r);
  bool match = n == d->ndefined_funcs;
  if (!match)
    defer(d, at, FE_E_FUNC_CODE_COUNT, "%u bodies for %u functions", n,
          d->ndefined_funcs);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t size = fe_read_u32(r);
    const uint8_t *body = fe_read_bytes(r, size);
    if (!match)
      continue;
    uint32_t f = m->nfunc_imports + i;
    m->funcs[f].body = span_of(r, body, size);
    d->ec->func = f;
    fe_validate_func(d->v, f);
  }
  d->ec->func = FE_NO_FUNC;
  d->has_code = true;
}

/* data: flags 0 (active, memory 0), 1 (passive) or 2 (active, memory
 * index), then the offset expression if active, then vec(byte). */
static void read_data(decoder *d, fe_reader *r, fe_data *seg) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  uint32_t flags = fe_read_u32(r);
  if (flags > 2)
    FAIL(d, at, FE_E_SEGMENT_FLAGS, "data segment flags %u", flags);
  if (flags == 1) {
    seg->mode = FE_SEG_PASSIVE;
  } else {
    seg->mode = FE_SEG_ACTIVE;
    at = fe_offset(r);
    seg->memory = flags == 2 ? fe_read_u32(r) : 0;
    if (seg->memory >= m->nmems)
      FAIL(d, at, FE_E_UNKNOWN_MEMORY, "%u", seg->memory);
    seg->offset = read_offset(d, r, m->mems[seg->memory].lim.is64);
  }
  uint32_t len = fe_read_u32(r);
  seg->bytes = span_of(r, fe_read_bytes(r, len), len);
}

static void data_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  uint32_t n = read_count(d, r, 0, FE_MAX_DATA_SEGS, "data segments");
  if (m->has_datacount && n != m->datacount)
    defer(d, at, FE_E_DATA_COUNT_MISMATCH, "%u segments, data count %u", n,
          m->datacount);
  m->datas = fe_arena_array(&m->arena, n, sizeof *m->datas);
  m->ndatas = n;
  for (uint32_t i = 0; i < n; i++)
    read_data(d, r, &m->datas[i]);
  d->has_data = true;
}

/* ------------------------------------------------------------------------
 * Custom sections, and the function names of the "name" section
 * ---------------------------------------------------------------------- */

/* custom: a name (which must be valid UTF-8: a bad name is malformed) and
 * content bytes that are kept, not interpreted.  The first section called
 * "name" is parsed after the last section, when the function index space
 * is complete. */
static void custom_section(decoder *d, fe_reader *r) {
  fe_module *m = d->m;
  size_t at = fe_offset(r);
  if (m->ncustoms >= FE_MAX_CUSTOMS)
    FAIL(d, at, FE_E_TOO_MANY, "more than %u custom sections", FE_MAX_CUSTOMS);
  RESERVE1(d, m->customs, m->ncustoms, d->customs_cap);
  fe_custom *c = &m->customs[m->ncustoms++];
  c->name.str = fe_read_name(r, &c->name.len);
  c->content = span_of(r, r->p, fe_remaining(r));
  r->p = r->end;
  if (!d->has_names && c->name.len == 4 && memcmp(c->name.str, "name", 4) == 0) {
    d->has_names = true;
    d->names = c->content;
  }
}

/* The function-names subsection (id 1): a name map, vec(funcidx name),
 * sorted by strictly increasing index.  Returns an array of m->nfuncs names
 * (str NULL where absent).  Raises through r on anything malformed. */
static fe_name *read_func_names(fe_module *m, fe_reader *r) {
  fe_name *names = fe_arena_array(&m->arena, m->nfuncs, sizeof *names);
  uint32_t n = fe_read_u32(r);
  uint32_t prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t f = fe_read_u32(r);
    if (f >= m->nfuncs || (i > 0 && f <= prev))
      fe_rfail(r, FE_E_UNKNOWN_FUNC, "name section: function %u", f);
    names[f].str = fe_read_name(r, &names[f].len);
    prev = f;
  }
  return names;
}

/* Subsections: id byte, u32 size, contents, in increasing id order.  Only
 * function names are kept; others are skipped. */
static fe_name *read_name_section(fe_module *m, fe_reader *r) {
  fe_name *names = NULL;
  int last = -1;
  while (!fe_at_end(r)) {
    uint8_t id = fe_read_u8(r);
    if ((int)id <= last)
      fe_rfail(r, FE_E_SECTION_ORDER, "name subsection %u", id);
    last = id;
    uint32_t size = fe_read_u32(r);
    fe_reader sub = fe_sub_reader(r, size, FE_E_UNEXPECTED_END_SECTION);
    if (id == 1) {
      names = read_func_names(m, &sub);
      if (!fe_at_end(&sub))
        fe_rfail(&sub, FE_E_SECTION_SIZE, "name subsection %u", id);
    }
  }
  return names;
}

/* Custom sections never make a module malformed (spec, custom sections),
 * so the name section is read under an error context of its own: an error
 * inside it long-jumps here, not to fe_module_new, and the section is
 * ignored.  Its allocations stay in the arena either way; out of memory
 * still raises through the arena's (the module's) context.  m->func_names
 * is set only when the whole section has been read. */
static void parse_names(decoder *d) {
  fe_module *m = d->m;
  fe_error ignored;
  jmp_buf jmp;
  fe_errctx ec = {&ignored, &jmp, FE_SEC_CUSTOM, FE_NO_FUNC};
  if (setjmp(jmp))
    return;
  fe_reader r = {m->bytes, m->bytes + d->names.off,
                 m->bytes + d->names.off + d->names.len, &ec,
                 FE_E_UNEXPECTED_END_SECTION};
  m->func_names = read_name_section(m, &r);
}

/* ------------------------------------------------------------------------
 * The module: header, section order, final checks
 * ---------------------------------------------------------------------- */

/* The position of each section id in the order the binary format requires
 * (3.0: the tag section between memory and global, data count between
 * element and code); custom sections (rank 0) may appear anywhere. */
static const uint8_t section_rank[FE_SEC_TAG + 1] = {
    [FE_SEC_CUSTOM] = 0,     [FE_SEC_TYPE] = 1,    [FE_SEC_IMPORT] = 2,
    [FE_SEC_FUNCTION] = 3,   [FE_SEC_TABLE] = 4,   [FE_SEC_MEMORY] = 5,
    [FE_SEC_TAG] = 6,        [FE_SEC_GLOBAL] = 7,  [FE_SEC_EXPORT] = 8,
    [FE_SEC_START] = 9,      [FE_SEC_ELEMENT] = 10, [FE_SEC_DATACOUNT] = 11,
    [FE_SEC_CODE] = 12,      [FE_SEC_DATA] = 13,
};

/* The function index space is complete after the function section; every
 * later section may mark functions as declared (exports, elements, ref.func
 * in constant expressions), so the bit set is allocated before the first
 * of them. */
static void ensure_declared(decoder *d) {
  fe_module *m = d->m;
  if (!m->declared_funcs)
    m->declared_funcs =
        fe_arena_alloc(&m->arena, ((size_t)m->nfuncs + 7) / 8);
}

static void read_header(decoder *d, fe_reader *r) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d}; /* \0asm */
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  if (memcmp(fe_read_bytes(r, 4), magic, 4) != 0)
    FAIL(d, 0, FE_E_MAGIC, NULL);
  if (memcmp(fe_read_bytes(r, 4), version, 4) != 0)
    FAIL(d, 4, FE_E_VERSION, NULL);
}

static void decode_section(decoder *d, uint8_t id, fe_reader *s) {
  switch (id) {
  case FE_SEC_CUSTOM: custom_section(d, s); break;
  case FE_SEC_TYPE: type_section(d, s); break;
  case FE_SEC_IMPORT: import_section(d, s); break;
  case FE_SEC_FUNCTION: function_section(d, s); break;
  case FE_SEC_TABLE: table_section(d, s); break;
  case FE_SEC_MEMORY: memory_section(d, s); break;
  case FE_SEC_TAG: tag_section(d, s); break;
  case FE_SEC_GLOBAL: global_section(d, s); break;
  case FE_SEC_EXPORT: export_section(d, s); break;
  case FE_SEC_START: start_section(d, s); break;
  case FE_SEC_ELEMENT: element_section(d, s); break;
  case FE_SEC_DATACOUNT: datacount_section(d, s); break;
  case FE_SEC_CODE: code_section(d, s); break;
  case FE_SEC_DATA: data_section(d, s); break;
  }
}

/* Each section: id byte, u32 size, contents, which must use exactly `size`
 * bytes.  A section that claims more bytes than the module has is "length
 * out of bounds"; reading past its end inside it is "unexpected end of
 * section or function" (the sub-reader's eof code). */
void fe_decode_module(fe_module *m, fe_validator *v, fe_errctx *ec) {
  decoder d = {.m = m, .v = v, .ec = ec};
  fe_reader r = {m->bytes, m->bytes, m->bytes + m->size, ec,
                 FE_E_UNEXPECTED_END};
  ec->section = FE_SEC_HEADER;
  ec->func = FE_NO_FUNC;
  read_header(&d, &r);

  unsigned last = 0;
  while (!fe_at_end(&r)) {
    size_t at = fe_offset(&r);
    uint8_t id = fe_read_u8(&r);
    ec->section = FE_SEC_NONE;
    if (id > FE_SEC_TAG)
      FAIL(&d, at, FE_E_SECTION_ID, "%u", id);
    ec->section = id;
    if (id != FE_SEC_CUSTOM) {
      if (section_rank[id] <= last)
        FAIL(&d, at, FE_E_SECTION_ORDER, "%s out of order or repeated",
             fe_section_name(id));
      last = section_rank[id];
      raise_deferred(&d);
    }
    size_t size_at = fe_offset(&r);
    uint32_t size = fe_read_u32(&r);
    if (size > fe_remaining(&r))
      FAIL(&d, size_at, FE_E_LENGTH_OOB, "section of %u bytes, %zu left",
           size, fe_remaining(&r));
    fe_reader s = fe_sub_reader(&r, size, FE_E_UNEXPECTED_END_SECTION);
    if (section_rank[id] > section_rank[FE_SEC_FUNCTION])
      ensure_declared(&d);
    decode_section(&d, id, &s);
    if (!fe_at_end(&s))
      FAIL(&d, fe_offset(&s), FE_E_SECTION_SIZE, "%zu bytes left in section",
           fe_remaining(&s));
  }

  raise_deferred(&d);
  ec->section = FE_SEC_NONE;
  if (!d.has_code && d.ndefined_funcs > 0)
    FAIL(&d, m->size, FE_E_FUNC_CODE_COUNT,
         "%u functions, no code section", d.ndefined_funcs);
  if (m->has_datacount && !d.has_data && m->datacount != 0)
    FAIL(&d, m->size, FE_E_DATA_COUNT_MISMATCH,
         "data count %u, no data section", m->datacount);
  ensure_declared(&d);
  if (d.has_names)
    parse_names(&d);
}
