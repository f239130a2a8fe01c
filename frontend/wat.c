/* frontend/wat.c — the text format's module level and instructions,
 * encoded straight into a binary module (wat.h says why and how).
 *
 * A module form is first read into a token array (so that any token can be
 * revisited), then walked three times:
 *   A. the fields are scanned for their kind and identifier: every index
 *      space is numbered (imports first — the text requires them to precede
 *      the definitions), so that identifiers may be used before the field
 *      that defines them;
 *   B. type definitions are parsed and encoded (a type use anywhere must be
 *      able to match any explicit type, even a later one);
 *   C. all other fields, in text order, each encoded into its section;
 *      implicit types are appended as type uses meet them.
 * Errors travel on one longjmp channel to the entry points, which free
 * everything the parser holds.
 *
 * Instructions are table-driven from opcodes.def / opcodes_simd.def (the
 * same rows the decoder uses): the mnemonic selects a row, the row's
 * immediate kind selects how the immediates are parsed.  Folded
 * instructions nest by recursion, bounded by WAT_MAX_DEPTH.
 */
#include "wat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "opcode.h"

enum { WAT_MAX_DEPTH = 1000 };

/* ------------------------------------------------------------------------
 * Growable byte buffers
 * ---------------------------------------------------------------------- */
typedef struct wbuf {
  uint8_t *p;
  size_t n, cap;
} wbuf;

typedef struct wname {
  const char *s; /* NULL: no name */
  uint32_t len;
} wname;

typedef struct nametab {
  wname *v;
  uint32_t n, cap;
} nametab;

enum { NS_FUNC, NS_TABLE, NS_MEM, NS_GLOBAL, NS_TAG, NS_TYPE, NS_ELEM,
       NS_DATA, NS_COUNT };
static const char *const ns_names[NS_COUNT] = {
    "function", "table", "memory", "global", "tag", "type", "elem", "data"};

/* What the parser knows about each type index. */
typedef struct tinfo {
  uint8_t kind;       /* FE_COMP_* */
  bool plain;         /* final, no supertype, alone in its rec group */
  uint32_t np, nr;    /* func: params, results */
  size_t sig, siglen; /* func: encoded params then results, in p->sigs */
  size_t plen;        /* func: bytes of the params */
  uint32_t field0, nfields; /* struct: field names in p->fields */
} tinfo;

typedef struct label {
  wname name;
  uint8_t op; /* 0x02 block, 0x03 loop, 0x04 if, 0x1f try_table, 0: func */
  bool plain; /* opened by a plain instruction: closed by `end` */
} label;

typedef struct section {
  wbuf b;
  uint32_t count;
} section;

typedef struct parser {
  jmp_buf jb;
  wat_error *err;
  wat_tok *toks;
  size_t ntoks, ntcap, at;
  size_t *match;        /* for each `(`, the index of its `)` */
  void **pool;          /* decoded names, freed at the end */
  size_t npool, poolcap;
  nametab names[NS_COUNT];
  uint32_t nimports[NS_COUNT]; /* pass A: imports per space */
  bool seen_def;
  tinfo *types;
  uint32_t ntypes, tcap, nexplicit;
  wbuf sigs;            /* func type signatures */
  wname *fields;
  uint32_t nfields, fcap;
  nametab locals;
  label *labels;
  uint32_t nlabels, lcap;
  wbuf **tmps;          /* a stack of temporary buffers (tmp_push) */
  size_t ntmp, tmpalloc, tmpcap;
  int depth;
  bool uses_data;       /* code needs the data count section */
  bool in_func;         /* parsing a function body */
  section sec_type, sec_import, sec_func, sec_table, sec_mem, sec_tag,
      sec_global, sec_export, sec_elem, sec_code, sec_data, sec_implicit;
  bool has_start;
  uint32_t start;
} parser;

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */
static const wat_tok *cur(parser *p) { return &p->toks[p->at]; }

__attribute__((noreturn, format(printf, 3, 4))) static void
fail_at(parser *p, const wat_tok *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
  va_end(ap);
  p->err->line = t ? t->pos.line : 0;
  p->err->col = t ? t->pos.col : 0;
  longjmp(p->jb, 1);
}

/* "expected WHAT, found 'TOKEN'" at the current token. */
__attribute__((noreturn)) static void expected(parser *p, const char *what) {
  const wat_tok *t = cur(p);
  if (t->kind == WAT_EOF)
    fail_at(p, t, "expected %s, found end of input", what);
  int n = t->len > 40 ? 40 : (int)t->len;
  fail_at(p, t, "expected %s, found '%.*s'%s", what, n, t->text,
          t->len > 40 ? "..." : "");
}

__attribute__((noreturn)) static void oom(parser *p) {
  fail_at(p, NULL, "out of memory");
}

static void *grow(parser *p, void *v, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return v;
  size_t nc = *cap ? *cap * 2 : 16;
  while (nc < need) nc *= 2;
  void *q = realloc(v, nc * elem);
  if (!q) oom(p);
  *cap = nc;
  return q;
}

#define GROW(p, arr, capf, need)                                               \
  do {                                                                         \
    size_t c_ = (capf);                                                        \
    (arr) = grow((p), (arr), &c_, (need), sizeof *(arr));                      \
    (capf) = (__typeof__(capf))c_;                                             \
  } while (0)

/* ------------------------------------------------------------------------
 * Encoding
 * ---------------------------------------------------------------------- */
static void put(parser *p, wbuf *b, const void *src, size_t n) {
  if (n > SIZE_MAX - b->n) oom(p);
  GROW(p, b->p, b->cap, b->n + n);
  if (n) memcpy(b->p + b->n, src, n);
  b->n += n;
}
static void put8(parser *p, wbuf *b, uint8_t v) { put(p, b, &v, 1); }
/* Bytes of p->sigs from offset off; NULL while it is empty (NULL + 0 is
 * undefined in C). */
static const uint8_t *sig_at(const parser *p, size_t off) {
  return p->sigs.p ? p->sigs.p + off : NULL;
}
static void putu(parser *p, wbuf *b, uint64_t v) {
  uint8_t t[10];
  size_t n = 0;
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    t[n++] = c | (v ? 0x80 : 0);
  } while (v);
  put(p, b, t, n);
}
static void puts_(parser *p, wbuf *b, int64_t v) {
  uint8_t t[10];
  size_t n = 0;
  for (;;) {
    uint8_t c = v & 0x7f;
    v >>= 7; /* arithmetic shift */
    if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
      t[n++] = c;
      break;
    }
    t[n++] = c | 0x80;
  }
  put(p, b, t, n);
}
static void put_le(parser *p, wbuf *b, uint64_t v, int n) {
  for (int i = 0; i < n; i++) put8(p, b, (uint8_t)(v >> (8 * i)));
}

/* Temporary buffers, owned by the parser (so an error frees them), used
 * in LIFO order: immediates of a folded instruction wait in one while its
 * operands are encoded. */
static wbuf *tmp_push(parser *p) {
  if (p->ntmp == p->tmpalloc) {
    GROW(p, p->tmps, p->tmpcap, p->tmpalloc + 1);
    wbuf *b = calloc(1, sizeof *b);
    if (!b) oom(p);
    p->tmps[p->tmpalloc++] = b;
  }
  wbuf *b = p->tmps[p->ntmp++];
  b->n = 0;
  return b;
}
static void tmp_pop(parser *p) { p->ntmp--; }

/* ------------------------------------------------------------------------
 * Tokens
 * ---------------------------------------------------------------------- */
static bool is_kw(const wat_tok *t, const char *s) {
  return t->kind == WAT_KEYWORD && wat_tok_is(t, s);
}
static bool at_kw(parser *p, const char *s) { return is_kw(cur(p), s); }
static bool at_lp(parser *p) { return cur(p)->kind == WAT_LPAREN; }
static bool at_rp(parser *p) { return cur(p)->kind == WAT_RPAREN; }
/* `(` followed by keyword s. */
static bool at_lkw(parser *p, const char *s) {
  return at_lp(p) && is_kw(&p->toks[p->at + 1], s);
}
static bool at_index(parser *p) {
  return cur(p)->kind == WAT_NUM || cur(p)->kind == WAT_ID;
}
static void advance(parser *p) {
  if (cur(p)->kind != WAT_EOF) p->at++;
}
static void expect_lp(parser *p) {
  if (!at_lp(p)) expected(p, "'('");
  advance(p);
}
static void expect_rp(parser *p) {
  if (!at_rp(p)) expected(p, "')'");
  advance(p);
}
static void expect_kw(parser *p, const char *s) {
  if (!at_kw(p, s)) {
    char what[48];
    snprintf(what, sizeof what, "'%s'", s);
    expected(p, what);
  }
  advance(p);
}
/* Skips a parenthesized form at the current `(`. */
static void skip_form(parser *p) { p->at = p->match[p->at] + 1; }

static void *pool_alloc(parser *p, size_t n) {
  GROW(p, p->pool, p->poolcap, p->npool + 1);
  void *q = malloc(n ? n : 1);
  if (!q) oom(p);
  p->pool[p->npool++] = q;
  return q;
}

/* The bytes of a string token (into the pool). */
static uint8_t *string_bytes(parser *p, const wat_tok *t, size_t *len) {
  uint8_t *b = pool_alloc(p, t->len);
  *len = wat_string(t, b);
  return b;
}

/* An identifier's name: `$abc` -> "abc", `$"a b"` -> the decoded string. */
static wname id_name(parser *p, const wat_tok *t) {
  wname n;
  if (t->len >= 2 && t->text[1] == '"') {
    wat_tok s = *t;
    s.kind = WAT_STRING;
    s.text++;
    s.len--;
    size_t len;
    uint8_t *b = string_bytes(p, &s, &len);
    if (len == 0) fail_at(p, t, "empty identifier");
    if (!wat_utf8_valid(b, len)) fail_at(p, t, "malformed UTF-8 encoding");
    n.s = (const char *)b;
    n.len = (uint32_t)len;
  } else {
    n.s = t->text + 1;
    n.len = (uint32_t)(t->len - 1);
  }
  return n;
}

static bool name_eq(wname a, wname b) {
  return a.s && b.s && a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

/* An optional identifier at the current token. */
static wname opt_id(parser *p) {
  wname n = {NULL, 0};
  if (cur(p)->kind == WAT_ID) {
    n = id_name(p, cur(p));
    advance(p);
  }
  return n;
}

static bool lookup(const nametab *t, wname n, uint32_t *idx) {
  for (uint32_t i = 0; i < t->n; i++)
    if (name_eq(t->v[i], n)) {
      *idx = i;
      return true;
    }
  return false;
}

/* Adds an entry to a name table; a name already present is an error. */
static uint32_t bind(parser *p, nametab *t, wname n, const wat_tok *at,
                     const char *what) {
  uint32_t dummy;
  if (n.s && lookup(t, n, &dummy))
    fail_at(p, at, "duplicate %s $%.*s", what, (int)n.len, n.s);
  GROW(p, t->v, t->cap, (size_t)t->n + 1);
  t->v[t->n] = n;
  return t->n++;
}

static uint32_t parse_u32(parser *p, const char *what) {
  uint32_t v;
  const wat_tok *t = cur(p);
  if (t->kind != WAT_NUM || !wat_parse_u32(t->text, t->len, &v)) expected(p, what);
  advance(p);
  return v;
}
static uint64_t parse_u64(parser *p, const char *what) {
  uint64_t v;
  const wat_tok *t = cur(p);
  if (t->kind != WAT_NUM || !wat_parse_u64(t->text, t->len, &v)) expected(p, what);
  advance(p);
  return v;
}

/* An index of name space ns: a number or a bound identifier. */
static uint32_t parse_idx(parser *p, int ns) {
  const wat_tok *t = cur(p);
  if (t->kind == WAT_NUM) {
    char what[40];
    snprintf(what, sizeof what, "%s index", ns_names[ns]);
    return parse_u32(p, what);
  }
  if (t->kind == WAT_ID) {
    uint32_t i;
    wname n = id_name(p, t);
    if (!lookup(&p->names[ns], n, &i))
      fail_at(p, t, "unknown %s $%.*s", ns_names[ns], (int)n.len, n.s);
    advance(p);
    return i;
  }
  char what[40];
  snprintf(what, sizeof what, "%s index", ns_names[ns]);
  expected(p, what);
}

static uint32_t parse_local(parser *p) {
  const wat_tok *t = cur(p);
  if (t->kind == WAT_ID) {
    uint32_t i;
    wname n = id_name(p, t);
    if (!lookup(&p->locals, n, &i))
      fail_at(p, t, "unknown local $%.*s", (int)n.len, n.s);
    advance(p);
    return i;
  }
  return parse_u32(p, "local index");
}

static uint32_t parse_label(parser *p) {
  const wat_tok *t = cur(p);
  if (t->kind == WAT_ID) {
    wname n = id_name(p, t);
    for (uint32_t i = p->nlabels; i-- > 0;)
      if (name_eq(p->labels[i].name, n)) {
        advance(p);
        return p->nlabels - 1 - i;
      }
    fail_at(p, t, "unknown label $%.*s", (int)n.len, n.s);
  }
  return parse_u32(p, "label index");
}

/* A name (import/export): a string of valid UTF-8. */
static void parse_name(parser *p, wbuf *b) {
  const wat_tok *t = cur(p);
  if (t->kind != WAT_STRING) expected(p, "a string");
  size_t len;
  uint8_t *s = string_bytes(p, t, &len);
  if (!wat_utf8_valid(s, len)) fail_at(p, t, "malformed UTF-8 encoding");
  putu(p, b, len);
  put(p, b, s, len);
  advance(p);
}

/* ------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------- */
/* A keyword and the binary code it stands for. */
typedef struct keyword_code {
  const char *name;
  uint8_t code;
} keyword_code;

static const keyword_code heaptypes[] = {
    {"func", FE_HT_FUNC},     {"extern", FE_HT_EXTERN},
    {"any", FE_HT_ANY},       {"eq", FE_HT_EQ},
    {"i31", FE_HT_I31},       {"struct", FE_HT_STRUCT},
    {"array", FE_HT_ARRAY},   {"none", FE_HT_NONE},
    {"nofunc", FE_HT_NOFUNC}, {"noextern", FE_HT_NOEXTERN},
    {"exn", FE_HT_EXN},       {"noexn", FE_HT_NOEXN},
};
static const keyword_code reftypes[] = {
    {"funcref", FE_HT_FUNC},         {"externref", FE_HT_EXTERN},
    {"anyref", FE_HT_ANY},           {"eqref", FE_HT_EQ},
    {"i31ref", FE_HT_I31},           {"structref", FE_HT_STRUCT},
    {"arrayref", FE_HT_ARRAY},       {"nullref", FE_HT_NONE},
    {"nullfuncref", FE_HT_NOFUNC},   {"nullexternref", FE_HT_NOEXTERN},
    {"exnref", FE_HT_EXN},           {"nullexnref", FE_HT_NOEXN},
};
static const keyword_code numtypes[] = {
    {"i32", FE_I32}, {"i64", FE_I64}, {"f32", FE_F32}, {"f64", FE_F64},
    {"v128", FE_V128},
};

/* A heap type: its encoding (s33) into hb; returns its length. */
static size_t heaptype_bytes(parser *p, uint8_t hb[8]) {
  const wat_tok *t = cur(p);
  if (t->kind == WAT_KEYWORD) {
    for (size_t i = 0; i < sizeof heaptypes / sizeof heaptypes[0]; i++)
      if (wat_tok_is(t, heaptypes[i].name)) {
        hb[0] = heaptypes[i].code;
        advance(p);
        return 1;
      }
  }
  if (!at_index(p)) expected(p, "a heap type");
  uint64_t v = parse_idx(p, NS_TYPE); /* s33 of a non-negative value */
  size_t n = 0;
  for (;;) {
    uint8_t c = v & 0x7f;
    v >>= 7;
    if (v == 0 && !(c & 0x40)) {
      hb[n++] = c;
      return n;
    }
    hb[n++] = c | 0x80;
  }
}

static void parse_heaptype(parser *p, wbuf *b) {
  uint8_t hb[8];
  size_t n = heaptype_bytes(p, hb);
  put(p, b, hb, n);
}

/* A reference type, either form; writes the heap type alone to ht (when
 * not NULL) and the full encoding to b (when not NULL).  Returns whether it
 * is nullable; false if there is no reference type here and !required. */
static bool parse_reftype_parts(parser *p, wbuf *b, wbuf *ht, bool *found) {
  const wat_tok *t = cur(p);
  *found = false;
  if (t->kind == WAT_KEYWORD) {
    for (size_t i = 0; i < sizeof reftypes / sizeof reftypes[0]; i++)
      if (wat_tok_is(t, reftypes[i].name)) {
        if (b) put8(p, b, reftypes[i].code);
        if (ht) put8(p, ht, reftypes[i].code);
        advance(p);
        *found = true;
        return true;
      }
    return false;
  }
  if (!at_lkw(p, "ref")) return false;
  p->at += 2;
  bool nullable = false;
  if (at_kw(p, "null")) {
    nullable = true;
    advance(p);
  }
  uint8_t hb[8];
  size_t hlen = heaptype_bytes(p, hb);
  expect_rp(p);
  if (b) {
    /* A nullable abstract type has a one-byte shorthand. */
    if (!(nullable && hlen == 1 && hb[0] >= 0x69))
      put8(p, b, nullable ? 0x63 : 0x64);
    put(p, b, hb, hlen);
  }
  if (ht) put(p, ht, hb, hlen);
  *found = true;
  return nullable;
}

static bool try_valtype(parser *p, wbuf *b) {
  const wat_tok *t = cur(p);
  if (t->kind == WAT_KEYWORD)
    for (size_t i = 0; i < sizeof numtypes / sizeof numtypes[0]; i++)
      if (wat_tok_is(t, numtypes[i].name)) {
        put8(p, b, numtypes[i].code);
        advance(p);
        return true;
      }
  bool found;
  parse_reftype_parts(p, b, NULL, &found);
  return found;
}

static void parse_valtype(parser *p, wbuf *b) {
  if (!try_valtype(p, b)) expected(p, "a value type");
}

static void parse_reftype(parser *p, wbuf *b) {
  bool found;
  parse_reftype_parts(p, b, NULL, &found);
  if (!found) expected(p, "a reference type");
}

/* A storage type: a value type, i8 or i16. */
static void parse_storagetype(parser *p, wbuf *b) {
  if (at_kw(p, "i8")) {
    put8(p, b, FE_I8);
    advance(p);
  } else if (at_kw(p, "i16")) {
    put8(p, b, FE_I16);
    advance(p);
  } else {
    parse_valtype(p, b);
  }
}

/* A field type: storagetype or (mut storagetype): encoding + mut byte. */
static void parse_fieldtype(parser *p, wbuf *b) {
  if (at_lkw(p, "mut")) {
    p->at += 2;
    parse_storagetype(p, b);
    put8(p, b, 1);
    expect_rp(p);
  } else {
    parse_storagetype(p, b);
    put8(p, b, 0);
  }
}

static tinfo *new_type(parser *p) {
  GROW(p, p->types, p->tcap, (size_t)p->ntypes + 1);
  tinfo *ti = &p->types[p->ntypes++];
  memset(ti, 0, sizeof *ti);
  return ti;
}

/* Params and results of a function type or type use, appended to p->sigs
 * (params first).  Param ids go to p->locals when ids is SIG_BIND, are
 * skipped when it is SIG_IGNORE (a type definition: they are documentation
 * only and may repeat), and are an error when it is SIG_NO_IDS.  Returns
 * whether there was any. */
enum { SIG_NO_IDS = 0, SIG_BIND = 1, SIG_IGNORE = 2 };
static bool parse_sig(parser *p, int ids, bool params_ok, uint32_t *np,
                      uint32_t *nr, size_t *plen) {
  size_t start = p->sigs.n;
  bool any = false;
  *np = *nr = 0;
  while (params_ok && at_lkw(p, "param")) {
    any = true;
    p->at += 2;
    if (cur(p)->kind == WAT_ID) {
      const wat_tok *t = cur(p);
      if (!ids) fail_at(p, t, "unexpected identifier in parameter");
      wname n = opt_id(p);
      parse_valtype(p, &p->sigs);
      if (ids == SIG_BIND) bind(p, &p->locals, n, t, "local");
      (*np)++;
    } else {
      while (!at_rp(p)) {
        parse_valtype(p, &p->sigs);
        if (ids == SIG_BIND) bind(p, &p->locals, (wname){NULL, 0}, NULL, "local");
        (*np)++;
      }
    }
    expect_rp(p);
  }
  *plen = p->sigs.n - start;
  while (at_lkw(p, "result")) {
    any = true;
    p->at += 2;
    while (!at_rp(p)) {
      parse_valtype(p, &p->sigs);
      (*nr)++;
    }
    expect_rp(p);
  }
  return any;
}

/* Finds the plain function type equal to the signature at sigs[start..]
 * or appends an implicit one; the signature bytes are consumed. */
static uint32_t find_or_add_functype(parser *p, size_t start, uint32_t np,
                                     uint32_t nr, size_t plen) {
  size_t len = p->sigs.n - start;
  for (uint32_t i = 0; i < p->ntypes; i++) {
    tinfo *ti = &p->types[i];
    if (ti->kind == FE_COMP_FUNC && ti->plain && ti->np == np && ti->nr == nr &&
        ti->plen == plen && ti->siglen == len &&
        (len == 0 || memcmp(p->sigs.p + ti->sig, p->sigs.p + start, len) == 0)) {
      p->sigs.n = start;
      return i;
    }
  }
  tinfo *ti = new_type(p);
  ti->kind = FE_COMP_FUNC;
  ti->plain = true;
  ti->np = np;
  ti->nr = nr;
  ti->sig = start;
  ti->siglen = len;
  ti->plen = plen;
  section *s = &p->sec_implicit;
  put8(p, &s->b, FE_COMP_FUNC);
  putu(p, &s->b, np);
  put(p, &s->b, sig_at(p, start), plen);
  putu(p, &s->b, nr);
  put(p, &s->b, sig_at(p, start + plen), len - plen);
  s->count++;
  return p->ntypes - 1;
}

/* A type use: (type x)? (param ...)* (result ...)*.  With ids, p->locals
 * gets one entry per parameter.  Returns the type index. */
static uint32_t parse_typeuse(parser *p, bool ids) {
  uint32_t x = 0;
  const wat_tok *tt = NULL; /* the index, when (type x) is present */
  if (at_lkw(p, "type")) {
    p->at += 2;
    tt = cur(p);
    x = parse_idx(p, NS_TYPE);
    expect_rp(p);
  }
  size_t start = p->sigs.n;
  uint32_t locals0 = p->locals.n;
  uint32_t np, nr;
  size_t plen;
  bool inl = parse_sig(p, ids, true, &np, &nr, &plen);
  if (!tt) return find_or_add_functype(p, start, np, nr, plen);
  /* `(param)` / `(result)` with no types desugar to nothing: only a
   * non-empty inline signature must match (the reference interpreter's
   * inline_func_type_explicit) */
  if (inl && (np || nr)) {
    size_t len = p->sigs.n - start;
    tinfo *ti = x < p->ntypes ? &p->types[x] : NULL;
    if (!ti || ti->kind != FE_COMP_FUNC || ti->np != np || ti->nr != nr ||
        ti->plen != plen || ti->siglen != len ||
        (len != 0 && memcmp(p->sigs.p + ti->sig, p->sigs.p + start, len) != 0))
      fail_at(p, tt, "inline function type does not match type %u", x);
  } else if (ids) {
    /* Unnamed parameters of the referenced type. */
    uint32_t n = x < p->ntypes && p->types[x].kind == FE_COMP_FUNC
                     ? p->types[x].np : 0;
    p->locals.n = locals0;
    for (uint32_t i = 0; i < n; i++)
      bind(p, &p->locals, (wname){NULL, 0}, NULL, "local");
  }
  p->sigs.n = start;
  return x;
}

/* A composite type: (func ...), (struct ...) or (array ...), into b. */
static void parse_comptype(parser *p, wbuf *b, tinfo *ti) {
  expect_lp(p);
  if (at_kw(p, "func")) {
    advance(p);
    ti->kind = FE_COMP_FUNC;
    ti->sig = p->sigs.n;
    parse_sig(p, SIG_IGNORE, true, &ti->np, &ti->nr, &ti->plen);
    ti->siglen = p->sigs.n - ti->sig;
    put8(p, b, FE_COMP_FUNC);
    putu(p, b, ti->np);
    put(p, b, sig_at(p, ti->sig), ti->plen);
    putu(p, b, ti->nr);
    put(p, b, sig_at(p, ti->sig + ti->plen), ti->siglen - ti->plen);
  } else if (at_kw(p, "struct")) {
    advance(p);
    ti->kind = FE_COMP_STRUCT;
    ti->field0 = p->nfields;
    wbuf *tb = tmp_push(p);
    uint32_t n = 0;
    while (at_lkw(p, "field")) {
      p->at += 2;
      if (cur(p)->kind == WAT_ID) {
        const wat_tok *t = cur(p);
        wname fn = opt_id(p);
        for (uint32_t i = ti->field0; i < p->nfields; i++)
          if (name_eq(p->fields[i], fn))
            fail_at(p, t, "duplicate field $%.*s", (int)fn.len, fn.s);
        GROW(p, p->fields, p->fcap, (size_t)p->nfields + 1);
        p->fields[p->nfields++] = fn;
        parse_fieldtype(p, tb);
        n++;
      } else {
        while (!at_rp(p)) {
          GROW(p, p->fields, p->fcap, (size_t)p->nfields + 1);
          p->fields[p->nfields++] = (wname){NULL, 0};
          parse_fieldtype(p, tb);
          n++;
        }
      }
      expect_rp(p);
    }
    ti->nfields = n;
    put8(p, b, FE_COMP_STRUCT);
    putu(p, b, n);
    put(p, b, tb->p, tb->n);
    tmp_pop(p);
  } else if (at_kw(p, "array")) {
    advance(p);
    ti->kind = FE_COMP_ARRAY;
    put8(p, b, FE_COMP_ARRAY);
    parse_fieldtype(p, b);
  } else {
    expected(p, "'func', 'struct' or 'array'");
  }
  expect_rp(p);
}

/* (type $id? (sub final? x* comptype) | comptype) at its `(`. */
static void parse_typedef(parser *p, wbuf *b, bool alone) {
  expect_lp(p);
  expect_kw(p, "type");
  opt_id(p);
  tinfo *ti = new_type(p);
  uint32_t self = p->ntypes - 1;
  if (at_lkw(p, "sub")) {
    p->at += 2;
    bool final = false;
    if (at_kw(p, "final")) {
      final = true;
      advance(p);
    }
    wbuf *tb = tmp_push(p);
    uint32_t ns = 0;
    while (at_index(p)) {
      putu(p, tb, parse_idx(p, NS_TYPE));
      ns++;
    }
    if (final && ns == 0) {
      tmp_pop(p);
    } else {
      put8(p, b, final ? 0x4f : 0x50);
      putu(p, b, ns);
      put(p, b, tb->p, tb->n);
      tmp_pop(p);
    }
    /* ti may move as types grow: parse into a local copy. */
    tinfo t = {0};
    parse_comptype(p, b, &t);
    /* an implicit type use matches only `(rec (type (sub final (func
     * ...))))`: final, no supertype, alone (the reference interpreter's
     * inline_func_type); a non-final or subtyped function type is another
     * type, and matching it changes ref.test / ref.cast / subtyping */
    t.plain = alone && final && ns == 0;
    p->types[self] = t;
    expect_rp(p);
  } else {
    tinfo t = {0};
    (void)ti;
    parse_comptype(p, b, &t);
    t.plain = alone;
    p->types[self] = t;
  }
  expect_rp(p);
}

/* ------------------------------------------------------------------------
 * Instructions
 * ---------------------------------------------------------------------- */
typedef struct oprow {
  const char *text;
  uint8_t prefix;
  uint32_t code;
  uint8_t imm;
  uint8_t size;
} oprow;

static const oprow ops[FE_OP_COUNT_] = {
#define OP(name, text, prefix, code, imm, sig, size)                           \
  {text, prefix, code, FE_IMM_##imm, size},
#include "opcodes.def"
#include "opcodes_simd.def"
#undef OP
};

/* Opcodes sorted by mnemonic (ties by opcode), for binary search. */
static uint16_t by_name[FE_OP_COUNT_];

static int cmp_ops(const void *a, const void *b) {
  uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
  int c = strcmp(ops[x].text, ops[y].text);
  return c ? c : (x > y) - (x < y);
}

/* Runs before main, as opcode.c's table: immutable afterwards. */
__attribute__((constructor)) static void init_by_name(void) {
  for (unsigned i = 0; i < FE_OP_COUNT_; i++) by_name[i] = (uint16_t)i;
  qsort(by_name, FE_OP_COUNT_, sizeof by_name[0], cmp_ops);
}

static int cmp_tok_name(const wat_tok *t, const char *s) {
  size_t n = strlen(s);
  size_t m = t->len < n ? t->len : n;
  int c = memcmp(t->text, s, m);
  if (c) return c;
  return (t->len > n) - (t->len < n);
}

/* The first opcode whose mnemonic is the token's text, or -1. */
static int find_op(const wat_tok *t) {
  size_t lo = 0, hi = FE_OP_COUNT_;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cmp_tok_name(t, ops[by_name[mid]].text) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < FE_OP_COUNT_ && cmp_tok_name(t, ops[by_name[lo]].text) == 0)
    return by_name[lo];
  return -1;
}

static void put_op(parser *p, wbuf *b, int op) {
  if (ops[op].prefix) {
    put8(p, b, ops[op].prefix);
    putu(p, b, ops[op].code);
  } else {
    put8(p, b, (uint8_t)ops[op].code);
  }
  switch (op) {
  case FE_OP_MEMORY_INIT: case FE_OP_DATA_DROP:
  case FE_OP_ARRAY_NEW_DATA: case FE_OP_ARRAY_INIT_DATA:
    if (p->in_func) p->uses_data = true;
    break;
  default: break;
  }
}

static void push_label(parser *p, wname n, uint8_t op, bool plain) {
  GROW(p, p->labels, p->lcap, (size_t)p->nlabels + 1);
  p->labels[p->nlabels++] = (label){n, op, plain};
}

/* A block's optional label: an identifier. */
static wname opt_label(parser *p) { return opt_id(p); }

/* blocktype: empty, one result, or a type use (s33 type index). */
static void parse_blocktype(parser *p, wbuf *b) {
  bool has_type = false;
  if (at_lkw(p, "type")) has_type = true;
  if (!has_type) {
    size_t start = p->sigs.n;
    uint32_t np, nr;
    size_t plen;
    parse_sig(p, false, true, &np, &nr, &plen);
    if (np == 0 && nr <= 1) {
      if (nr == 0)
        put8(p, b, 0x40);
      else
        put(p, b, sig_at(p, start), p->sigs.n - start);
      p->sigs.n = start;
      return;
    }
    puts_(p, b, find_or_add_functype(p, start, np, nr, plen));
    return;
  }
  puts_(p, b, parse_typeuse(p, false));
}

static void parse_memarg(parser *p, wbuf *b, int op) {
  uint32_t mem = 0;
  if (at_index(p)) mem = parse_idx(p, NS_MEM);
  uint64_t offset = 0;
  unsigned align = 0;
  {
    unsigned sz = ops[op].size;
    while (sz > 1) sz >>= 1, align++;
  }
  const wat_tok *t = cur(p);
  if (t->kind == WAT_KEYWORD && t->len > 7 && memcmp(t->text, "offset=", 7) == 0) {
    if (!wat_parse_u64(t->text + 7, t->len - 7, &offset)) expected(p, "an offset");
    advance(p);
    t = cur(p);
  }
  if (t->kind == WAT_KEYWORD && t->len > 6 && memcmp(t->text, "align=", 6) == 0) {
    uint64_t a;
    if (!wat_parse_u64(t->text + 6, t->len - 6, &a)) expected(p, "an alignment");
    if (a == 0 || (a & (a - 1))) fail_at(p, t, "alignment must be a power of two");
    align = 0;
    while (a > 1) a >>= 1, align++;
    advance(p);
  }
  if (mem != 0) {
    putu(p, b, align | 0x40);
    putu(p, b, mem);
  } else {
    putu(p, b, align);
  }
  putu(p, b, offset);
}

static uint8_t parse_lane(parser *p) {
  uint32_t v = parse_u32(p, "a lane index");
  if (v > 255) fail_at(p, &p->toks[p->at - 1], "lane index out of range");
  return (uint8_t)v;
}

/* v128.const shape lanes: 16 bytes little-endian. */
static void parse_v128(parser *p, wbuf *b) {
  static const char *const shapes[] = {"i8x16", "i16x8", "i32x4", "i64x2",
                                       "f32x4", "f64x2"};
  static const int nl[] = {16, 8, 4, 2, 4, 2};
  int s = -1;
  for (int i = 0; i < 6; i++)
    if (at_kw(p, shapes[i])) s = i;
  if (s < 0) expected(p, "a vector shape (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)");
  advance(p);
  for (int i = 0; i < nl[s]; i++) {
    const wat_tok *t = cur(p);
    bool ok = t->kind == WAT_NUM;
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    bool neg = ok && t->text[0] == '-';
    switch (s) {
    case 0:
      ok = ok && wat_parse_i32(t->text, t->len, &v32) &&
           (neg ? (int32_t)v32 >= -128 : v32 <= 255);
      if (ok) put8(p, b, (uint8_t)v32);
      break;
    case 1:
      ok = ok && wat_parse_i32(t->text, t->len, &v32) &&
           (neg ? (int32_t)v32 >= -32768 : v32 <= 65535);
      if (ok) put_le(p, b, v32, 2);
      break;
    case 2:
      ok = ok && wat_parse_i32(t->text, t->len, &v32);
      if (ok) put_le(p, b, v32, 4);
      break;
    case 3:
      ok = ok && wat_parse_i64(t->text, t->len, &v64);
      if (ok) put_le(p, b, v64, 8);
      break;
    case 4:
      ok = ok && wat_parse_f32(t->text, t->len, &v32);
      if (ok) put_le(p, b, v32, 4);
      break;
    default:
      ok = ok && wat_parse_f64(t->text, t->len, &v64);
      if (ok) put_le(p, b, v64, 8);
      break;
    }
    if (!ok) expected(p, "a lane value in range");
    advance(p);
  }
}

/* Two optional indices where the first, when both are present, is of space
 * ns1 (default 0) and the last is of ns2: memory.init, table.init. */
static void parse_opt_pair(parser *p, int ns1, int ns2, uint32_t *a, uint32_t *b) {
  *a = 0;
  if (!at_index(p)) {
    *b = parse_idx(p, ns2); /* reports the error */
    return;
  }
  const wat_tok *n = &p->toks[p->at + 1]; /* at most the EOF sentinel */
  if (n->kind == WAT_NUM || n->kind == WAT_ID) *a = parse_idx(p, ns1);
  *b = parse_idx(p, ns2);
}

/* memory.init / table.init: `(target)? segment`, encoded segment first. */
static void put_segment_target(parser *p, wbuf *b, int target_ns, int segment_ns) {
  uint32_t target, segment;
  parse_opt_pair(p, target_ns, segment_ns, &target, &segment);
  putu(p, b, segment);
  putu(p, b, target);
}

/* memory.copy / table.copy: `(dst src)?`, both 0 when absent. */
static void put_opt_two(parser *p, wbuf *b, int ns) {
  uint32_t dst = 0, src = 0;
  if (at_index(p)) {
    dst = parse_idx(p, ns);
    src = parse_idx(p, ns);
  }
  putu(p, b, dst);
  putu(p, b, src);
}

/* The immediates of opcode op (after its mnemonic), encoded into b with
 * the opcode in front (select, ref.test, ref.cast: the row chosen by the
 * immediates). */
static void parse_plain_imm(parser *p, wbuf *b, int op) {
  uint32_t x;
  switch (op) {
  case FE_OP_SELECT:
    if (at_lkw(p, "result")) {
      wbuf *tb = tmp_push(p);
      uint32_t n = 0;
      while (at_lkw(p, "result")) {
        p->at += 2;
        while (!at_rp(p)) {
          parse_valtype(p, tb);
          n++;
        }
        expect_rp(p);
      }
      put_op(p, b, FE_OP_SELECT_T);
      putu(p, b, n);
      put(p, b, tb->p, tb->n);
      tmp_pop(p);
    } else {
      put_op(p, b, FE_OP_SELECT);
    }
    return;
  case FE_OP_REF_TEST:
  case FE_OP_REF_CAST: {
    wbuf *tb = tmp_push(p);
    bool found;
    bool nullable = parse_reftype_parts(p, NULL, tb, &found);
    if (!found) expected(p, "a reference type");
    put_op(p, b, nullable ? op + 1 : op);
    put(p, b, tb->p, tb->n);
    tmp_pop(p);
    return;
  }
  case FE_OP_BR_ON_CAST:
  case FE_OP_BR_ON_CAST_FAIL: {
    put_op(p, b, op);
    uint32_t l = parse_label(p);
    wbuf *tb = tmp_push(p);
    bool found;
    bool n1 = parse_reftype_parts(p, NULL, tb, &found);
    if (!found) expected(p, "a reference type");
    bool n2 = parse_reftype_parts(p, NULL, tb, &found);
    if (!found) expected(p, "a reference type");
    put8(p, b, (uint8_t)((n1 ? 1 : 0) | (n2 ? 2 : 0)));
    putu(p, b, l);
    put(p, b, tb->p, tb->n);
    tmp_pop(p);
    return;
  }
  default: break;
  }
  put_op(p, b, op);
  switch ((fe_imm)ops[op].imm) {
  case FE_IMM_NONE: break;
  case FE_IMM_BLOCK:
  case FE_IMM_TRY_TABLE:
    /* handled by the callers (labels) */
    break;
  case FE_IMM_LABEL: putu(p, b, parse_label(p)); break;
  case FE_IMM_BR_TABLE: {
    wbuf *tb = tmp_push(p);
    uint32_t n = 0;
    while (at_index(p)) {
      putu(p, tb, parse_label(p));
      n++;
    }
    if (n == 0) expected(p, "a label");
    /* vec(labels but the last), then the default: the labels in order */
    putu(p, b, n - 1);
    put(p, b, tb->p, tb->n);
    tmp_pop(p);
    break;
  }
  case FE_IMM_FUNC: putu(p, b, parse_idx(p, NS_FUNC)); break;
  case FE_IMM_CALL_INDIRECT: {
    uint32_t table = 0;
    if (at_index(p)) table = parse_idx(p, NS_TABLE);
    putu(p, b, parse_typeuse(p, false));
    putu(p, b, table);
    break;
  }
  case FE_IMM_TYPE: putu(p, b, parse_idx(p, NS_TYPE)); break;
  case FE_IMM_LOCAL: putu(p, b, parse_local(p)); break;
  case FE_IMM_GLOBAL: putu(p, b, parse_idx(p, NS_GLOBAL)); break;
  case FE_IMM_TABLE:
    putu(p, b, at_index(p) ? parse_idx(p, NS_TABLE) : 0);
    break;
  case FE_IMM_MEM:
    putu(p, b, at_index(p) ? parse_idx(p, NS_MEM) : 0);
    break;
  case FE_IMM_MEMARG: parse_memarg(p, b, op); break;
  case FE_IMM_I32: {
    const wat_tok *t = cur(p);
    uint32_t v;
    if (t->kind != WAT_NUM || !wat_parse_i32(t->text, t->len, &v))
      expected(p, "an i32 literal");
    puts_(p, b, (int32_t)v);
    advance(p);
    break;
  }
  case FE_IMM_I64: {
    const wat_tok *t = cur(p);
    uint64_t v;
    if (t->kind != WAT_NUM || !wat_parse_i64(t->text, t->len, &v))
      expected(p, "an i64 literal");
    puts_(p, b, (int64_t)v);
    advance(p);
    break;
  }
  case FE_IMM_F32: {
    const wat_tok *t = cur(p);
    uint32_t v;
    if (t->kind != WAT_NUM || !wat_parse_f32(t->text, t->len, &v))
      expected(p, "an f32 literal");
    put_le(p, b, v, 4);
    advance(p);
    break;
  }
  case FE_IMM_F64: {
    const wat_tok *t = cur(p);
    uint64_t v;
    if (t->kind != WAT_NUM || !wat_parse_f64(t->text, t->len, &v))
      expected(p, "an f64 literal");
    put_le(p, b, v, 8);
    advance(p);
    break;
  }
  case FE_IMM_V128: parse_v128(p, b); break;
  case FE_IMM_SELECT_T: break; /* handled above */
  case FE_IMM_HEAPTYPE: parse_heaptype(p, b); break;
  case FE_IMM_TYPE_FIELD: {
    x = parse_idx(p, NS_TYPE);
    putu(p, b, x);
    const wat_tok *t = cur(p);
    if (t->kind == WAT_ID) {
      wname n = id_name(p, t);
      bool ok = false;
      if (x < p->ntypes && p->types[x].kind == FE_COMP_STRUCT) {
        tinfo *ti = &p->types[x];
        for (uint32_t i = 0; i < ti->nfields; i++)
          if (name_eq(p->fields[ti->field0 + i], n)) {
            putu(p, b, i);
            ok = true;
            break;
          }
      }
      if (!ok) fail_at(p, t, "unknown field $%.*s", (int)n.len, n.s);
      advance(p);
    } else {
      putu(p, b, parse_u32(p, "a field index"));
    }
    break;
  }
  case FE_IMM_TYPE_U32:
    putu(p, b, parse_idx(p, NS_TYPE));
    putu(p, b, parse_u32(p, "an array length"));
    break;
  case FE_IMM_TYPE_DATA:
    putu(p, b, parse_idx(p, NS_TYPE));
    putu(p, b, parse_idx(p, NS_DATA));
    break;
  case FE_IMM_TYPE_ELEM:
    putu(p, b, parse_idx(p, NS_TYPE));
    putu(p, b, parse_idx(p, NS_ELEM));
    break;
  case FE_IMM_TYPE_TYPE:
    putu(p, b, parse_idx(p, NS_TYPE));
    putu(p, b, parse_idx(p, NS_TYPE));
    break;
  case FE_IMM_BR_ON_CAST: break; /* handled above */
  case FE_IMM_MEM_INIT: put_segment_target(p, b, NS_MEM, NS_DATA); break;
  case FE_IMM_DATA: putu(p, b, parse_idx(p, NS_DATA)); break;
  case FE_IMM_MEM_MEM: put_opt_two(p, b, NS_MEM); break;
  case FE_IMM_TABLE_INIT: put_segment_target(p, b, NS_TABLE, NS_ELEM); break;
  case FE_IMM_ELEM: putu(p, b, parse_idx(p, NS_ELEM)); break;
  case FE_IMM_TABLE_TABLE: put_opt_two(p, b, NS_TABLE); break;
  case FE_IMM_TAG: putu(p, b, parse_idx(p, NS_TAG)); break;
  case FE_IMM_LANE: put8(p, b, parse_lane(p)); break;
  case FE_IMM_MEMARG_LANE:
    /* A memarg may start with a memory index; a lone number is the lane. */
    if (at_index(p)) {
      size_t save = p->at;
      p->at++;
      const wat_tok *n = cur(p);
      bool mem_first = n->kind == WAT_NUM || n->kind == WAT_ID ||
                       (n->kind == WAT_KEYWORD &&
                        (memcmp(n->text, "offset=", n->len < 7 ? n->len : 7) == 0 ||
                         memcmp(n->text, "align=", n->len < 6 ? n->len : 6) == 0));
      p->at = save;
      if (!mem_first) {
        /* only the lane */
        unsigned align = 0, sz = ops[op].size;
        while (sz > 1) sz >>= 1, align++;
        putu(p, b, align);
        putu(p, b, 0);
        put8(p, b, parse_lane(p));
        break;
      }
    }
    parse_memarg(p, b, op);
    put8(p, b, parse_lane(p));
    break;
  case FE_IMM_SHUFFLE:
    for (int i = 0; i < 16; i++) put8(p, b, parse_lane(p));
    break;
  }
}

/* try_table's catch clauses, after the block type. */
static void parse_catches(parser *p, wbuf *b) {
  wbuf *tb = tmp_push(p);
  uint32_t n = 0;
  for (;;) {
    if (at_lkw(p, "catch")) {
      p->at += 2;
      put8(p, tb, 0x00);
      putu(p, tb, parse_idx(p, NS_TAG));
    } else if (at_lkw(p, "catch_ref")) {
      p->at += 2;
      put8(p, tb, 0x01);
      putu(p, tb, parse_idx(p, NS_TAG));
    } else if (at_lkw(p, "catch_all")) {
      p->at += 2;
      put8(p, tb, 0x02);
    } else if (at_lkw(p, "catch_all_ref")) {
      p->at += 2;
      put8(p, tb, 0x03);
    } else {
      break;
    }
    putu(p, tb, parse_label(p));
    expect_rp(p);
    n++;
  }
  putu(p, b, n);
  put(p, b, tb->p, tb->n);
  tmp_pop(p);
}

/* An optional label id after `end` / `else` must match the block's. */
static void check_end_label(parser *p, wname blk) {
  if (cur(p)->kind != WAT_ID) return;
  wname n = id_name(p, cur(p));
  if (!name_eq(n, blk)) fail_at(p, cur(p), "mismatching label");
  advance(p);
}

/* The opening of a block-like instruction after its mnemonic: label,
 * block type (and catches); pushes the label. */
static void parse_block_head(parser *p, wbuf *b, int op, bool plain) {
  wname l = opt_label(p);
  put_op(p, b, op);
  parse_blocktype(p, b);
  if (op == FE_OP_TRY_TABLE) parse_catches(p, b);
  push_label(p, l, (uint8_t)ops[op].code, plain);
}

static int keyword_op(parser *p) {
  const wat_tok *t = cur(p);
  if (t->kind != WAT_KEYWORD) expected(p, "an instruction");
  int op = find_op(t);
  if (op < 0 || op == FE_OP_ELSE || op == FE_OP_END || op == FE_OP_SELECT_T) {
    if (op == FE_OP_ELSE || op == FE_OP_END) expected(p, "an instruction");
    int n = t->len > 40 ? 40 : (int)t->len;
    fail_at(p, t, "unknown operator '%.*s'", n, t->text);
  }
  return op;
}

static void parse_folded(parser *p, wbuf *b);

/* A sequence of instructions up to (not including) a `)`. */
static void parse_instrs(parser *p, wbuf *b) {
  uint32_t base = p->nlabels;
  for (;;) {
    const wat_tok *t = cur(p);
    if (t->kind == WAT_RPAREN || t->kind == WAT_EOF) break;
    if (t->kind == WAT_LPAREN) {
      parse_folded(p, b);
      continue;
    }
    if (is_kw(t, "end")) {
      if (p->nlabels == base) expected(p, "an instruction");
      advance(p);
      check_end_label(p, p->labels[p->nlabels - 1].name);
      p->nlabels--;
      put8(p, b, 0x0b);
      continue;
    }
    if (is_kw(t, "else")) {
      if (p->nlabels == base || p->labels[p->nlabels - 1].op != 0x04)
        expected(p, "an instruction");
      advance(p);
      check_end_label(p, p->labels[p->nlabels - 1].name);
      p->labels[p->nlabels - 1].op = 0x05; /* one else per if */
      put8(p, b, 0x05);
      continue;
    }
    int op = keyword_op(p);
    advance(p);
    if (op == FE_OP_BLOCK || op == FE_OP_LOOP || op == FE_OP_IF ||
        op == FE_OP_TRY_TABLE) {
      /* plain blocks do not recurse: no depth limit but memory */
      parse_block_head(p, b, op, true);
    } else {
      parse_plain_imm(p, b, op);
    }
  }
  if (p->nlabels != base) expected(p, "'end'");
}

/* A folded instruction at its `(`. */
static void parse_folded(parser *p, wbuf *b) {
  const wat_tok *open = cur(p);
  if (++p->depth > WAT_MAX_DEPTH) fail_at(p, open, "nesting too deep");
  advance(p);
  int op = keyword_op(p);
  advance(p);
  if (op == FE_OP_BLOCK || op == FE_OP_LOOP || op == FE_OP_TRY_TABLE) {
    parse_block_head(p, b, op, false);
    parse_instrs(p, b);
    p->nlabels--;
    put8(p, b, 0x0b);
  } else if (op == FE_OP_IF) {
    wname l = opt_label(p);
    wbuf *tb = tmp_push(p);
    parse_blocktype(p, tb);
    /* the condition: folded instructions before (then ...) */
    while (at_lp(p) && !at_lkw(p, "then")) parse_folded(p, b);
    put_op(p, b, op);
    put(p, b, tb->p, tb->n);
    tmp_pop(p);
    push_label(p, l, 0x04, false);
    if (!at_lkw(p, "then")) expected(p, "'(then'");
    p->at += 2;
    parse_instrs(p, b);
    expect_rp(p);
    if (at_lkw(p, "else")) {
      p->at += 2;
      put8(p, b, 0x05);
      parse_instrs(p, b);
      expect_rp(p);
    }
    p->nlabels--;
    put8(p, b, 0x0b);
  } else {
    wbuf *tb = tmp_push(p);
    parse_plain_imm(p, tb, op);
    while (at_lp(p)) parse_folded(p, b);
    put(p, b, tb->p, tb->n);
    tmp_pop(p);
  }
  expect_rp(p);
  p->depth--;
}

/* An expression up to `)`, with its final `end`. */
static void parse_expr(parser *p, wbuf *b) {
  parse_instrs(p, b);
  put8(p, b, 0x0b);
}

/* ------------------------------------------------------------------------
 * Module fields
 * ---------------------------------------------------------------------- */
static const char *const field_kw[] = {"func", "table", "memory", "global", "tag"};
enum { EXT_FUNC, EXT_TABLE, EXT_MEM, EXT_GLOBAL, EXT_TAG };

static int ext_kind(parser *p) {
  for (int i = 0; i < 5; i++)
    if (at_kw(p, field_kw[i])) return i;
  return -1;
}

/* Pass A: numbers the index spaces.  At a field's `(`. */
static void scan_field(parser *p) {
  size_t end = p->match[p->at];
  const wat_tok *open = cur(p);
  advance(p);
  const wat_tok *kw = cur(p);
  if (is_kw(kw, "type")) {
    advance(p);
    bind(p, &p->names[NS_TYPE], opt_id(p), kw + 1, "type");
  } else if (is_kw(kw, "rec")) {
    advance(p);
    while (at_lkw(p, "type")) {
      size_t e = p->match[p->at];
      p->at += 2;
      bind(p, &p->names[NS_TYPE], opt_id(p), cur(p) - 1, "type");
      p->at = e + 1;
    }
  } else if (is_kw(kw, "import")) {
    advance(p);
    if (cur(p)->kind == WAT_STRING) advance(p);
    if (cur(p)->kind == WAT_STRING) advance(p);
    if (!at_lp(p)) expected(p, "an import description");
    advance(p);
    int k = ext_kind(p);
    if (k < 0) expected(p, "'func', 'table', 'memory', 'global' or 'tag'");
    if (p->seen_def) fail_at(p, open, "import after function, table, memory, global or tag definition");
    advance(p);
    const wat_tok *it = cur(p);
    bind(p, &p->names[k], opt_id(p), it, ns_names[k]);
    p->nimports[k]++;
  } else if (ext_kind(p) >= 0) {
    int k = ext_kind(p);
    advance(p);
    const wat_tok *it = cur(p);
    wname n = opt_id(p);
    while (at_lkw(p, "export")) skip_form(p);
    bool imported = at_lkw(p, "import");
    if (imported) {
      if (p->seen_def) fail_at(p, open, "import after function, table, memory, global or tag definition");
      p->nimports[k]++;
    } else {
      p->seen_def = true;
    }
    bind(p, &p->names[k], n, it, ns_names[k]);
    if (!imported && k == EXT_TABLE) {
      /* table with an inline element segment */
      if (at_kw(p, "i64") || at_kw(p, "i32")) advance(p);
      bool found = false;
      if (at_lkw(p, "ref")) {
        skip_form(p);
        found = true;
      } else if (cur(p)->kind == WAT_KEYWORD) {
        advance(p);
        found = true;
      }
      if (found && at_lkw(p, "elem"))
        bind(p, &p->names[NS_ELEM], (wname){NULL, 0}, NULL, "elem");
    } else if (!imported && k == EXT_MEM) {
      if (at_kw(p, "i64") || at_kw(p, "i32")) advance(p);
      if (at_lkw(p, "data"))
        bind(p, &p->names[NS_DATA], (wname){NULL, 0}, NULL, "data");
    }
  } else if (is_kw(kw, "elem") || is_kw(kw, "data")) {
    int ns = is_kw(kw, "elem") ? NS_ELEM : NS_DATA;
    advance(p);
    const wat_tok *it = cur(p);
    bind(p, &p->names[ns], opt_id(p), it, ns_names[ns]);
  } else if (is_kw(kw, "export") || is_kw(kw, "start")) {
    /* nothing to number */
  } else {
    expected(p, "a module field");
  }
  p->at = end + 1;
}

/* Inline exports of a definition: (export "name")*. */
static void parse_inline_exports(parser *p, uint8_t kind, uint32_t idx) {
  while (at_lkw(p, "export")) {
    p->at += 2;
    parse_name(p, &p->sec_export.b);
    put8(p, &p->sec_export.b, kind);
    putu(p, &p->sec_export.b, idx);
    p->sec_export.count++;
    expect_rp(p);
  }
}

/* Limits: min max? with the flags byte of table / memory types. */
static void parse_limits(parser *p, wbuf *b, bool is64, bool mem) {
  const char *what = mem ? "a memory size" : "a table size";
  /* a 32-bit limit above 2^32 - 1 is invalid, not malformed: the
   * validator sees it (a 5-byte LEB128 that the decoder reads as u64) */
  uint64_t min = parse_u64(p, what);
  bool has_max = cur(p)->kind == WAT_NUM;
  uint64_t max = 0;
  if (has_max) max = parse_u64(p, what);
  bool shared = false;
  if (mem && at_kw(p, "shared")) {
    shared = true;
    advance(p);
  } else if (mem && at_kw(p, "unshared")) {
    advance(p);
  }
  put8(p, b, (uint8_t)((has_max ? 1 : 0) | (shared ? 2 : 0) | (is64 ? 4 : 0)));
  putu(p, b, min);
  if (has_max) putu(p, b, max);
}

static bool parse_addrtype(parser *p) {
  if (at_kw(p, "i64")) {
    advance(p);
    return true;
  }
  if (at_kw(p, "i32")) advance(p);
  return false;
}

/* tabletype: at? limits reftype */
static void parse_tabletype(parser *p, wbuf *b) {
  bool is64 = parse_addrtype(p);
  wbuf *tb = tmp_push(p);
  parse_limits(p, tb, is64, false);
  parse_reftype(p, b);
  put(p, b, tb->p, tb->n);
  tmp_pop(p);
}

static void parse_globaltype(parser *p, wbuf *b) {
  if (at_lkw(p, "mut")) {
    p->at += 2;
    parse_valtype(p, b);
    put8(p, b, 1);
    expect_rp(p);
  } else {
    parse_valtype(p, b);
    put8(p, b, 0);
  }
}

/* An import description after (import "m" "n" or (kind ... (import "m" "n")
 * of an inline import: the part after the id and exports. */
static void parse_import_desc(parser *p, int k) {
  wbuf *b = &p->sec_import.b;
  switch (k) {
  case EXT_FUNC: {
    uint32_t l0 = p->locals.n;
    uint32_t t = parse_typeuse(p, true);
    p->locals.n = l0;
    put8(p, b, 0x00);
    putu(p, b, t);
    break;
  }
  case EXT_TABLE:
    put8(p, b, 0x01);
    parse_tabletype(p, b);
    break;
  case EXT_MEM:
    put8(p, b, 0x02);
    parse_limits(p, b, parse_addrtype(p), true);
    break;
  case EXT_GLOBAL:
    put8(p, b, 0x03);
    parse_globaltype(p, b);
    break;
  default: {
    uint32_t l0 = p->locals.n;
    uint32_t t = parse_typeuse(p, true);
    p->locals.n = l0;
    put8(p, b, 0x04);
    put8(p, b, 0x00);
    putu(p, b, t);
    break;
  }
  }
  p->sec_import.count++;
}

static void parse_import_field(parser *p, uint32_t *next) {
  /* at "import" */
  advance(p);
  parse_name(p, &p->sec_import.b);
  parse_name(p, &p->sec_import.b);
  expect_lp(p);
  int k = ext_kind(p);
  advance(p);
  opt_id(p);
  next[k]++;
  parse_import_desc(p, k);
  expect_rp(p);
}

/* A function body: locals then instructions, as a code entry. */
static void parse_func_body(parser *p) {
  /* Each local's type, prefixed by the length of its encoding. */
  wbuf *types = tmp_push(p);
  while (at_lkw(p, "local")) {
    p->at += 2;
    bool named = cur(p)->kind == WAT_ID;
    while (named || !at_rp(p)) {
      const wat_tok *t = cur(p);
      wname n = opt_id(p);
      size_t m = types->n;
      put8(p, types, 0);
      parse_valtype(p, types);
      types->p[m] = (uint8_t)(types->n - m - 1);
      bind(p, &p->locals, n, t, "local");
      if (named) break;
    }
    expect_rp(p);
  }
  /* vec(locals): runs of equal types */
  wbuf *body = tmp_push(p);
  wbuf *runs = tmp_push(p);
  uint32_t nruns = 0;
  for (size_t i = 0; i < types->n;) {
    size_t len = types->p[i];
    const uint8_t *ty = types->p + i + 1;
    uint32_t cnt = 0;
    size_t j = i;
    while (j < types->n && types->p[j] == len &&
           memcmp(types->p + j + 1, ty, len) == 0) {
      cnt++;
      j += 1 + len;
    }
    putu(p, runs, cnt);
    put(p, runs, ty, len);
    nruns++;
    i = j;
  }
  putu(p, body, nruns);
  put(p, body, runs->p, runs->n);
  push_label(p, (wname){NULL, 0}, 0, false);
  p->in_func = true;
  parse_expr(p, body);
  p->in_func = false;
  p->nlabels--;
  putu(p, &p->sec_code.b, body->n);
  put(p, &p->sec_code.b, body->p, body->n);
  p->sec_code.count++;
  tmp_pop(p);
  tmp_pop(p);
  tmp_pop(p);
}

/* Offset of an active segment: (offset instr*) or one folded instruction. */
static void parse_offset(parser *p, wbuf *b) {
  if (at_lkw(p, "offset")) {
    p->at += 2;
    parse_expr(p, b);
    expect_rp(p);
  } else {
    if (!at_lp(p)) expected(p, "an offset expression");
    parse_folded(p, b);
    put8(p, b, 0x0b);
  }
}

/* Element list: writes vec(elements) to out and returns whether the
 * elements are expressions (their reference type then goes to ty).  For a
 * table's inline segment (in_table) there is no type or `func` keyword:
 * expressions or function indices follow directly. */
static bool parse_elemlist(parser *p, wbuf *ty, wbuf *out, bool in_table) {
  wbuf *items = tmp_push(p);
  uint32_t n = 0;
  bool exprs, found = false;
  if (!in_table) parse_reftype_parts(p, ty, NULL, &found);
  if (found || (in_table && at_lp(p))) {
    exprs = true;
    while (at_lp(p)) {
      if (at_lkw(p, "item")) {
        p->at += 2;
        parse_expr(p, items);
        expect_rp(p);
      } else {
        parse_folded(p, items);
        put8(p, items, 0x0b);
      }
      n++;
    }
  } else {
    exprs = false;
    if (!in_table && at_kw(p, "func")) advance(p);
    while (at_index(p)) {
      putu(p, items, parse_idx(p, NS_FUNC));
      n++;
    }
  }
  putu(p, out, n);
  put(p, out, items->p, items->n);
  tmp_pop(p);
  return exprs;
}

/* Writes an element segment.  An active segment whose table the text does
 * not name (table == FE_NO_INDEX: table 0) takes the short flags 0 / 4. */
static void emit_elem(parser *p, int mode, uint32_t table, const uint8_t *off,
                      size_t offlen, bool exprs, const uint8_t *ty,
                      size_t tylen, const uint8_t *payload, size_t plen) {
  wbuf *b = &p->sec_elem.b;
  bool funcref = tylen == 1 && ty[0] == FE_HT_FUNC;
  if (mode == FE_SEG_ACTIVE) {
    if (table == FE_NO_INDEX && (!exprs || funcref)) {
      put8(p, b, exprs ? 0x04 : 0x00);
      put(p, b, off, offlen);
    } else {
      put8(p, b, exprs ? 0x06 : 0x02);
      putu(p, b, table == FE_NO_INDEX ? 0 : table);
      put(p, b, off, offlen);
      if (exprs)
        put(p, b, ty, tylen);
      else
        put8(p, b, 0x00);
    }
  } else {
    put8(p, b, (uint8_t)((mode == FE_SEG_PASSIVE ? 0x01 : 0x03) | (exprs ? 4 : 0)));
    if (exprs)
      put(p, b, ty, tylen);
    else
      put8(p, b, 0x00);
  }
  put(p, b, payload, plen);
  p->sec_elem.count++;
}

static void parse_elem_field(parser *p) {
  /* at "elem" */
  advance(p);
  opt_id(p);
  int mode = FE_SEG_PASSIVE;
  uint32_t table = FE_NO_INDEX;
  wbuf *off = tmp_push(p), *ty = tmp_push(p), *pay = tmp_push(p);
  if (at_kw(p, "declare")) {
    mode = FE_SEG_DECLARATIVE;
    advance(p);
  } else {
    if (at_index(p)) {
      table = parse_idx(p, NS_TABLE);
      mode = FE_SEG_ACTIVE;
    } else if (at_lkw(p, "table")) {
      p->at += 2;
      table = parse_idx(p, NS_TABLE);
      expect_rp(p);
      mode = FE_SEG_ACTIVE;
    }
    if (at_lp(p) && !at_lkw(p, "ref")) {
      parse_offset(p, off);
      mode = FE_SEG_ACTIVE;
    } else if (mode == FE_SEG_ACTIVE) {
      expected(p, "an offset expression");
    }
  }
  bool exprs = parse_elemlist(p, ty, pay, false);
  emit_elem(p, mode, table, off->p, off->n, exprs, ty->p, ty->n, pay->p, pay->n);
  tmp_pop(p);
  tmp_pop(p);
  tmp_pop(p);
  expect_rp(p);
}

static void emit_data_head(parser *p, wbuf *b, bool active, uint32_t mem) {
  if (!active)
    put8(p, b, 0x01);
  else if (mem == 0)
    put8(p, b, 0x00);
  else {
    put8(p, b, 0x02);
    putu(p, b, mem);
  }
}

/* data strings, concatenated, as a vec(byte); returns their length. */
static size_t parse_datastrings(parser *p, wbuf *b) {
  wbuf *tb = tmp_push(p);
  while (cur(p)->kind == WAT_STRING) {
    size_t len;
    uint8_t *s = string_bytes(p, cur(p), &len);
    put(p, tb, s, len);
    advance(p);
  }
  size_t n = tb->n;
  putu(p, b, n);
  put(p, b, tb->p, n);
  tmp_pop(p);
  return n;
}

static void parse_data_field(parser *p) {
  advance(p);
  opt_id(p);
  wbuf *b = &p->sec_data.b;
  if (cur(p)->kind == WAT_STRING || at_rp(p)) {
    put8(p, b, 0x01);
  } else {
    uint32_t mem = 0;
    if (at_index(p)) {
      mem = parse_idx(p, NS_MEM);
    } else if (at_lkw(p, "memory")) {
      p->at += 2;
      mem = parse_idx(p, NS_MEM);
      expect_rp(p);
    }
    emit_data_head(p, b, true, mem);
    parse_offset(p, b);
  }
  parse_datastrings(p, b);
  p->sec_data.count++;
  expect_rp(p);
}

/* func/table/memory/global/tag definitions or inline imports. */
static void parse_def(parser *p, int k, uint32_t *next) {
  advance(p);
  opt_id(p);
  uint32_t idx = next[k]++;
  static const uint8_t kinds[] = {0, 1, 2, 3, 4};
  parse_inline_exports(p, kinds[k], idx);
  if (at_lkw(p, "import")) {
    p->at += 2;
    parse_name(p, &p->sec_import.b);
    parse_name(p, &p->sec_import.b);
    expect_rp(p);
    parse_import_desc(p, k);
    expect_rp(p);
    return;
  }
  switch (k) {
  case EXT_FUNC: {
    p->locals.n = 0;
    putu(p, &p->sec_func.b, parse_typeuse(p, true));
    p->sec_func.count++;
    parse_func_body(p);
    break;
  }
  case EXT_TABLE: {
    wbuf *b = &p->sec_table.b;
    bool is64 = parse_addrtype(p);
    wbuf *ty = tmp_push(p);
    bool found;
    parse_reftype_parts(p, ty, NULL, &found);
    if (found) {
      /* at? reftype (elem ...): a table exactly as large as the segment */
      if (!at_lkw(p, "elem")) expected(p, "'(elem'");
      p->at += 2;
      wbuf *pay = tmp_push(p);
      size_t n0 = p->at;
      bool exprs = parse_elemlist(p, ty, pay, true);
      (void)n0;
      if (!exprs && !(ty->n == 1 && ty->p[0] == FE_HT_FUNC)) {
        /* indices into a table of another type: as ref.func expressions */
        wbuf *e = tmp_push(p);
        uint64_t v;
        size_t i = 0;
        int sh = 0;
        uint64_t cnt = 0;
        for (; i < pay->n; i++, sh += 7) {
          cnt |= (uint64_t)(pay->p[i] & 0x7f) << sh;
          if (!(pay->p[i] & 0x80)) break;
        }
        i++;
        putu(p, e, cnt);
        for (uint64_t e_i = 0; e_i < cnt; e_i++) {
          size_t j = i;
          while (pay->p[j] & 0x80) j++;
          put8(p, e, 0xd2);
          put(p, e, pay->p + i, j + 1 - i);
          put8(p, e, 0x0b);
          i = j + 1;
        }
        (void)v;
        pay->n = 0;
        put(p, pay, e->p, e->n);
        tmp_pop(p);
        exprs = true;
      }
      expect_rp(p);
      /* the count is the vec length at the start of pay */
      uint64_t count = 0;
      for (size_t i = 0, sh = 0; i < pay->n && sh < 64; i++, sh += 7) {
        count |= (uint64_t)(pay->p[i] & 0x7f) << sh;
        if (!(pay->p[i] & 0x80)) break;
      }
      put(p, b, ty->p, ty->n);
      put8(p, b, is64 ? 0x05 : 0x01);
      putu(p, b, count);
      putu(p, b, count);
      p->sec_table.count++;
      uint8_t off[3] = {is64 ? 0x42 : 0x41, 0x00, 0x0b};
      emit_elem(p, FE_SEG_ACTIVE, idx, off, 3, exprs, ty->p, ty->n, pay->p, pay->n);
      tmp_pop(p);
      tmp_pop(p);
      break;
    }
    wbuf *lim = tmp_push(p);
    parse_limits(p, lim, is64, false);
    parse_reftype(p, ty);
    if (!at_rp(p)) {
      /* a table with an initializer expression */
      put8(p, b, 0x40);
      put8(p, b, 0x00);
      put(p, b, ty->p, ty->n);
      put(p, b, lim->p, lim->n);
      parse_expr(p, b);
    } else {
      put(p, b, ty->p, ty->n);
      put(p, b, lim->p, lim->n);
    }
    tmp_pop(p);
    tmp_pop(p);
    p->sec_table.count++;
    break;
  }
  case EXT_MEM: {
    wbuf *b = &p->sec_mem.b;
    bool is64 = parse_addrtype(p);
    if (at_lkw(p, "data")) {
      p->at += 2;
      wbuf *d = &p->sec_data.b;
      emit_data_head(p, d, true, idx);
      put8(p, d, is64 ? 0x42 : 0x41);
      put8(p, d, 0x00);
      put8(p, d, 0x0b);
      uint64_t len = parse_datastrings(p, d);
      p->sec_data.count++;
      expect_rp(p);
      uint64_t pages = (len + 65535) / 65536;
      put8(p, b, is64 ? 0x05 : 0x01);
      putu(p, b, pages);
      putu(p, b, pages);
    } else {
      parse_limits(p, b, is64, true);
    }
    p->sec_mem.count++;
    break;
  }
  case EXT_GLOBAL: {
    wbuf *b = &p->sec_global.b;
    parse_globaltype(p, b);
    parse_expr(p, b);
    p->sec_global.count++;
    break;
  }
  default: {
    uint32_t l0 = p->locals.n;
    uint32_t t = parse_typeuse(p, true);
    p->locals.n = l0;
    put8(p, &p->sec_tag.b, 0x00);
    putu(p, &p->sec_tag.b, t);
    p->sec_tag.count++;
    break;
  }
  }
  expect_rp(p);
}

static void parse_export_field(parser *p) {
  advance(p);
  wbuf *b = &p->sec_export.b;
  parse_name(p, b);
  expect_lp(p);
  int k = ext_kind(p);
  if (k < 0) expected(p, "'func', 'table', 'memory', 'global' or 'tag'");
  advance(p);
  put8(p, b, (uint8_t)k);
  putu(p, b, parse_idx(p, k));
  expect_rp(p);
  expect_rp(p);
  p->sec_export.count++;
}

/* Pass C: one field at its `(`. */
static void parse_field(parser *p, uint32_t *next) {
  advance(p);
  const wat_tok *kw = cur(p);
  int k = ext_kind(p);
  if (k >= 0) {
    parse_def(p, k, next);
  } else if (is_kw(kw, "import")) {
    parse_import_field(p, next);
    expect_rp(p);
  } else if (is_kw(kw, "export")) {
    parse_export_field(p);
  } else if (is_kw(kw, "start")) {
    advance(p);
    if (p->has_start) fail_at(p, kw, "multiple start sections");
    p->has_start = true;
    p->start = parse_idx(p, NS_FUNC);
    expect_rp(p);
  } else if (is_kw(kw, "elem")) {
    parse_elem_field(p);
  } else if (is_kw(kw, "data")) {
    parse_data_field(p);
  } else {
    expected(p, "a module field");
  }
}

static void emit_section(parser *p, wbuf *out, uint8_t id, section *s) {
  if (!s->count && id != 1) return;
  put8(p, out, id);
  wbuf tmp = {0};
  /* count + body */
  uint8_t lb[10];
  size_t ln = 0;
  uint64_t v = s->count;
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    lb[ln++] = c | (v ? 0x80 : 0);
  } while (v);
  (void)tmp;
  putu(p, out, ln + s->b.n);
  put(p, out, lb, ln);
  put(p, out, s->b.p, s->b.n);
}

/* The fields from the current token up to a `)` or the end. */
static void parse_fields(parser *p, wbuf *out) {
  size_t first = p->at;
  /* A */
  while (at_lp(p)) scan_field(p);
  if (!at_rp(p) && cur(p)->kind != WAT_EOF) expected(p, "a module field");
  size_t last = p->at;
  /* B: types */
  p->at = first;
  uint32_t nentries = 0;
  while (p->at < last) {
    size_t end = p->match[p->at];
    if (is_kw(&p->toks[p->at + 1], "type")) {
      parse_typedef(p, &p->sec_type.b, true);
      nentries++;
    } else if (is_kw(&p->toks[p->at + 1], "rec")) {
      p->at += 2;
      wbuf *tb = tmp_push(p);
      uint32_t n = 0;
      while (at_lkw(p, "type")) {
        parse_typedef(p, tb, false);
        n++;
      }
      expect_rp(p);
      put8(p, &p->sec_type.b, 0x4e);
      putu(p, &p->sec_type.b, n);
      put(p, &p->sec_type.b, tb->p, tb->n);
      tmp_pop(p);
      nentries++;
    }
    p->at = end + 1;
  }
  p->sec_type.count = nentries;
  p->nexplicit = p->ntypes;
  /* C */
  uint32_t next[5];
  for (int i = 0; i < 5; i++) next[i] = 0;
  /* imports and definitions share one counter per space: imports come
   * first in the text, so text order is index order */
  p->at = first;
  while (p->at < last) {
    size_t end = p->match[p->at];
    const wat_tok *kw = &p->toks[p->at + 1];
    if (is_kw(kw, "type") || is_kw(kw, "rec")) {
      p->at = end + 1;
      continue;
    }
    parse_field(p, next);
    if (p->at != end + 1) {
      p->at = end;
      expected(p, "')'");
    }
  }
  p->at = last;
  /* the binary */
  static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  put(p, out, magic, 8);
  section types = {0};
  put(p, &types.b, p->sec_type.b.p, p->sec_type.b.n);
  put(p, &types.b, p->sec_implicit.b.p, p->sec_implicit.b.n);
  types.count = p->sec_type.count + p->sec_implicit.count;
  if (types.count) emit_section(p, out, 1, &types);
  free(types.b.p);
  emit_section(p, out, 2, &p->sec_import);
  emit_section(p, out, 3, &p->sec_func);
  emit_section(p, out, 4, &p->sec_table);
  emit_section(p, out, 5, &p->sec_mem);
  emit_section(p, out, 13, &p->sec_tag);
  emit_section(p, out, 6, &p->sec_global);
  emit_section(p, out, 7, &p->sec_export);
  if (p->has_start) {
    put8(p, out, 8);
    wbuf t = {0};
    putu(p, &t, p->start);
    putu(p, out, t.n);
    put(p, out, t.p, t.n);
    free(t.p);
  }
  emit_section(p, out, 9, &p->sec_elem);
  if (p->uses_data) {
    wbuf t = {0};
    putu(p, &t, p->sec_data.count);
    put8(p, out, 12);
    putu(p, out, t.n);
    put(p, out, t.p, t.n);
    free(t.p);
  }
  emit_section(p, out, 10, &p->sec_code);
  emit_section(p, out, 11, &p->sec_data);
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */
static void parser_free(parser *p) {
  free(p->toks);
  free(p->match);
  for (size_t i = 0; i < p->npool; i++) free(p->pool[i]);
  free(p->pool);
  for (int i = 0; i < NS_COUNT; i++) free(p->names[i].v);
  free(p->types);
  free(p->sigs.p);
  free(p->fields);
  free(p->locals.v);
  free(p->labels);
  for (size_t i = 0; i < p->tmpalloc; i++) {
    free(p->tmps[i]->p);
    free(p->tmps[i]);
  }
  free(p->tmps);
  section *s[] = {&p->sec_type, &p->sec_import, &p->sec_func, &p->sec_table,
                  &p->sec_mem, &p->sec_tag, &p->sec_global, &p->sec_export,
                  &p->sec_elem, &p->sec_code, &p->sec_data, &p->sec_implicit};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) free(s[i]->b.p);
}

static void lex_error(parser *p, wat_lexer *lx) {
  p->err->line = lx->err.pos.line;
  p->err->col = lx->err.pos.col;
  snprintf(p->err->msg, sizeof p->err->msg, "%s", lx->err.msg);
  longjmp(p->jb, 1);
}

/* Reads tokens into p->toks: one parenthesized form (whole = false) or
 * everything up to the end (whole = true); then an EOF sentinel.  Fills
 * p->match. */
static void read_tokens(parser *p, wat_lexer *lx, bool whole) {
  size_t *stack = NULL, sn = 0, scap = 0;
  size_t depth = 0;
  for (;;) {
    wat_tok t;
    if (!wat_lex_next(lx, &t)) {
      free(stack);
      lex_error(p, lx);
    }
    if (t.kind == WAT_RESERVED) {
      free(stack);
      int n = t.len > 40 ? 40 : (int)t.len;
      fail_at(p, &t, "unknown token '%.*s'", n, t.text);
    }
    GROW(p, p->toks, p->ntcap, p->ntoks + 2);
    p->toks[p->ntoks] = t;
    if (t.kind == WAT_LPAREN) {
      size_t c = scap;
      stack = grow(p, stack, &c, sn + 1, sizeof *stack);
      scap = c;
      stack[sn++] = p->ntoks;
      depth++;
    } else if (t.kind == WAT_RPAREN) {
      if (depth == 0) {
        free(stack);
        fail_at(p, &t, "unexpected ')'");
      }
      depth--;
      sn--;
    } else if (t.kind == WAT_EOF) {
      if (depth) {
        free(stack);
        fail_at(p, &t, "unexpected end of input, expected ')'");
      }
      if (!whole) {
        free(stack);
        fail_at(p, &t, "expected '('");
      }
      break;
    }
    p->ntoks++;
    if (!whole && depth == 0) {
      if (p->ntoks == 1) {
        free(stack);
        fail_at(p, &t, "expected '('");
      }
      /* sentinel */
      p->toks[p->ntoks] = (wat_tok){WAT_EOF, t.text + t.len, 0, t.pos};
      break;
    }
  }
  free(stack);
  /* matches: second pass with a counter-only stack in match itself */
  p->match = malloc((p->ntoks + 1) * sizeof *p->match);
  if (!p->match) oom(p);
  size_t *st = malloc((p->ntoks + 1) * sizeof *st);
  if (!st) oom(p);
  size_t n = 0;
  for (size_t i = 0; i <= p->ntoks; i++) {
    p->match[i] = i;
    if (p->toks[i].kind == WAT_LPAREN)
      st[n++] = i;
    else if (p->toks[i].kind == WAT_RPAREN && n)
      p->match[st[--n]] = i;
  }
  free(st);
}

static bool parse_module_text(const char *src, size_t len, wat_module *out,
                              wat_error *err, int level);

/* The module form in p->toks (from index 0). */
static void module_form(parser *p, unsigned flags, wat_module *out, wbuf *bin,
                        int level) {
  expect_lp(p);
  expect_kw(p, "module");
  if (at_kw(p, "definition")) {
    if (!(flags & WAT_ALLOW_DEFINITION)) expected(p, "a module field");
    out->definition = true;
    advance(p);
  }
  if (cur(p)->kind == WAT_ID) {
    wname n = id_name(p, cur(p));
    out->id = malloc((size_t)n.len + 1);
    if (!out->id) oom(p);
    memcpy(out->id, n.s, n.len);
    out->id[n.len] = 0;
    out->id_len = n.len;
    advance(p);
  }
  if (at_kw(p, "binary") || at_kw(p, "quote")) {
    bool quote = at_kw(p, "quote");
    advance(p);
    wbuf *tb = tmp_push(p);
    while (cur(p)->kind == WAT_STRING) {
      size_t l;
      uint8_t *s = string_bytes(p, cur(p), &l);
      put(p, tb, s, l);
      advance(p);
    }
    expect_rp(p);
    if (!quote) {
      out->form = WAT_FORM_BINARY;
      put(p, bin, tb->p, tb->n);
      return;
    }
    out->form = WAT_FORM_QUOTE;
    if (level > 0) fail_at(p, NULL, "nested module quote");
    wat_module inner;
    if (!parse_module_text((const char *)tb->p, tb->n,
                           &inner, p->err, level + 1))
      longjmp(p->jb, 1);
    put(p, bin, inner.bytes, inner.size);
    wat_module_free(&inner);
    return;
  }
  out->form = WAT_FORM_TEXT;
  parse_fields(p, bin);
  expect_rp(p);
}

static bool finish(parser *p, wbuf *bin, wat_module *out, bool ok) {
  parser_free(p);
  if (!ok) {
    free(bin->p);
    free(out->id);
    memset(out, 0, sizeof *out);
    return false;
  }
  out->bytes = bin->p;
  out->size = bin->n;
  if (!out->bytes) {
    out->bytes = malloc(1);
    if (!out->bytes) {
      free(out->id);
      memset(out, 0, sizeof *out);
      return false;
    }
  }
  return true;
}

bool wat_parse_module(wat_lexer *lx, unsigned flags, wat_module *out,
                      wat_error *err) {
  parser *p = calloc(1, sizeof *p);
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  if (!p) {
    snprintf(err->msg, sizeof err->msg, "out of memory");
    return false;
  }
  p->err = err;
  wbuf bin = {0};
  bool ok = false;
  if (setjmp(p->jb) == 0) {
    read_tokens(p, lx, false);
    module_form(p, flags, out, &bin, 0);
    ok = true;
  }
  ok = finish(p, &bin, out, ok);
  free(p);
  return ok;
}

static bool parse_module_text(const char *src, size_t len, wat_module *out,
                              wat_error *err, int level) {
  parser *p = calloc(1, sizeof *p);
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  if (!p) {
    snprintf(err->msg, sizeof err->msg, "out of memory");
    return false;
  }
  p->err = err;
  wbuf bin = {0};
  bool ok = false;
  wat_lexer lx;
  wat_lex_init(&lx, src, len);
  if (setjmp(p->jb) == 0) {
    read_tokens(p, &lx, true);
    if (at_lkw(p, "module")) {
      module_form(p, 0, out, &bin, level);
      if (cur(p)->kind != WAT_EOF) expected(p, "end of input");
    } else {
      out->form = WAT_FORM_TEXT;
      parse_fields(p, &bin);
      if (cur(p)->kind != WAT_EOF) expected(p, "a module field");
    }
    ok = true;
  }
  ok = finish(p, &bin, out, ok);
  free(p);
  return ok;
}

bool wat_parse_text(const char *src, size_t len, wat_module *out,
                    wat_error *err) {
  return parse_module_text(src, len, out, err, 0);
}

void wat_module_free(wat_module *m) {
  if (!m) return;
  free(m->bytes);
  free(m->id);
  memset(m, 0, sizeof *m);
}

bool wat_is_module_field(const wat_tok *kw) {
  static const char *const fields[] = {"type",   "rec",    "func",   "table",
                                       "memory", "global", "tag",    "import",
                                       "export", "start",  "elem",   "data"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (wat_tok_is(kw, fields[i]))
      return true;
  return false;
}
