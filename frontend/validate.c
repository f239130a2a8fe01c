/* frontend/validate.c — validation of function bodies and constant
 * expressions (see validate.h).
 *
 * The algorithm is the one of the spec's validation appendix: an operand
 * stack of value types and a control stack of frames, each frame holding its
 * block type, the operand height at its start and whether the rest of it is
 * unreachable.  In unreachable code the operand stack is polymorphic: popping
 * below the frame's height yields FE_BOT, the type that matches everything,
 * and a reference popped that way is (ref bot).
 *
 * Instructions whose typing is a fixed signature are typed from the opcode
 * table (opcodes.def: "ii>i" and friends); the others are typed by hand in
 * one switch, grouped as the spec groups them.  Immediates are decoded here
 * too, so a body is decoded and validated in one pass.
 *
 * Non-defaultable locals (Wasm 3.0) must be set before they are read; a
 * local becomes "set" until the end of the block that set it, which we track
 * with a per-local flag and an undo stack cut back at every `end`/`else`.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "opcode.h"
#include "types.h"

/* Kiln's limits on function bodies (the spec has none; these are V8's). */
enum {
  MAX_LOCALS = 50000,
  MAX_BR_TABLE = 65520,
  MAX_NEW_FIXED = 10000,  /* operands of array.new_fixed */
  MAX_STACK = 1u << 20,   /* operand stack entries: 8 MiB at most */
};

/* The control frame of the function body itself. */
#define CTRL_FUNC FE_OP_COUNT_

/* (ref bot): a reference popped from the polymorphic stack. */
#define BOT_REF fe_vt_absref(false, 0)

typedef struct vctrl {
  uint16_t op;          /* FE_OP_BLOCK/LOOP/IF/ELSE/TRY_TABLE or CTRL_FUNC */
  bool unreachable;
  bool out_inline;      /* the results are the single type `single` */
  uint32_t height;      /* operand stack height at the frame's start */
  uint32_t init_height; /* local-init undo stack height at the start */
  const fe_valtype *in; /* block params */
  const fe_valtype *out;/* block results (unless out_inline) */
  uint32_t nin, nout;
  fe_valtype single;
} vctrl;

/* A decoded block type: [in*] -> [out*]. */
typedef struct blocktype {
  const fe_valtype *in, *out;
  uint32_t nin, nout;
  fe_valtype single;
  bool out_inline;
} blocktype;

struct fe_validator {
  fe_module *m;
  const fe_errctx *ec;
  fe_reader r;
  size_t op_off; /* offset of the instruction being validated */

  bool const_mode;
  uint32_t const_nglobals;

  fe_valtype *vals;
  uint32_t nvals, capvals;
  vctrl *ctrls;
  uint32_t nctrls, capctrls;

  fe_valtype *locals; /* params then declared locals */
  uint8_t *linit;     /* per local: 1 if it may be read */
  uint32_t nlocals, caplocals;
  uint32_t *inits;    /* undo stack of locals set in the current blocks */
  uint32_t ninits, capinits;

  uint32_t *labels;   /* br_table scratch */
  uint32_t caplabels;
  fe_valtype *tmp;    /* scratch for popped values */
  uint32_t captmp;

  const fe_type *ftype; /* the function being validated */
};

#define FAIL(v, code, ...) fe_fail((v)->ec, (v)->op_off, (code), __VA_ARGS__)

/* ------------------------------------------------------------------------
 * Scratch storage
 * ---------------------------------------------------------------------- */

/* Grows *p (of *cap elements of `size` bytes) to hold at least `need`.
 * The validator's arrays outlive a single function so that validating a
 * module allocates only a handful of times. */
static void grow(fe_validator *v, void **p, uint32_t *cap, uint64_t need,
                 size_t size) {
  if (need <= *cap)
    return;
  uint64_t n = *cap ? *cap : 16;
  while (n < need)
    n *= 2;
  if (n > UINT32_MAX / 2)
    FAIL(v, FE_E_TOO_MANY, "validator stack exceeds %u entries", UINT32_MAX / 2);
  void *q = realloc(*p, (size_t)n * size);
  if (!q)
    FAIL(v, FE_E_NOMEM, "growing the validator's stacks");
  *p = q;
  *cap = (uint32_t)n;
}

fe_validator *fe_validator_new(fe_module *m, const fe_errctx *ec) {
  fe_validator *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->m = m;
  v->ec = ec;
  return v;
}

void fe_validator_free(fe_validator *v) {
  if (!v)
    return;
  free(v->vals);
  free(v->ctrls);
  free(v->locals);
  free(v->linit);
  free(v->inits);
  free(v->labels);
  free(v->tmp);
  free(v);
}

/* ------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------- */

static const char *vtstr(fe_valtype t, char *buf, size_t n) {
  return fe_valtype_str(t, buf, n);
}

static bool is_bot_ref(fe_valtype t) {
  return FE_VT_IS_REF(t) && FE_VT_HTKIND(t) == FE_HT_ABSTRACT && FE_VT_HEAP(t) == 0;
}

/* a <: b, with the validator's bottom types. */
static bool vsub(fe_validator *v, fe_valtype a, fe_valtype b) {
  if (a == b || a == FE_BOT)
    return true;
  if (!FE_VT_IS_REF(a) || !FE_VT_IS_REF(b))
    return false;
  if (FE_VT_NULLABLE(a) && !FE_VT_NULLABLE(b))
    return false;
  if (is_bot_ref(a))
    return true;
  return fe_vt_sub(v->m, a, b);
}

static fe_valtype addr_type(bool is64) { return is64 ? FE_I64 : FE_I32; }

static const fe_type *read_type(fe_validator *v, uint32_t *idx) {
  uint32_t x = fe_read_u32(&v->r);
  if (x >= v->m->ntypes)
    FAIL(v, FE_E_UNKNOWN_TYPE, "type %u", x);
  if (idx)
    *idx = x;
  return &v->m->types[x];
}

static const fe_type *read_kind(fe_validator *v, uint32_t *idx, uint8_t kind) {
  const fe_type *t = read_type(v, idx);
  if (t->kind != kind) {
    fe_errcode c = kind == FE_COMP_STRUCT ? FE_E_NOT_STRUCT
                   : kind == FE_COMP_ARRAY ? FE_E_NOT_ARRAY : FE_E_NOT_FUNC;
    FAIL(v, c, "type %u", *idx);
  }
  return t;
}

static fe_valtype concrete_ref(bool nullable, uint32_t idx) {
  return fe_vt_ref(nullable, FE_HT_MODULE, idx);
}

static bool is_packed(fe_valtype t) {
  return FE_VT_CODE(t) == FE_I8 || FE_VT_CODE(t) == FE_I16;
}

/* ------------------------------------------------------------------------
 * The operand stack
 * ---------------------------------------------------------------------- */

static void push(fe_validator *v, fe_valtype t) {
  if (v->nvals == v->capvals) {
    if (v->nvals >= MAX_STACK)
      FAIL(v, FE_E_TOO_MANY, "more than %u values on the operand stack (Kiln's limit)",
           MAX_STACK);
    grow(v, (void **)&v->vals, &v->capvals, (uint64_t)v->nvals + 1, sizeof *v->vals);
  }
  v->vals[v->nvals++] = t;
}

static void push_vals(fe_validator *v, const fe_valtype *ts, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    push(v, ts[i]);
}

/* Pops any value; `want` only serves the error message. */
static fe_valtype pop_for(fe_validator *v, fe_valtype want, bool any) {
  vctrl *c = &v->ctrls[v->nctrls - 1];
  if (v->nvals == c->height) {
    if (c->unreachable)
      return FE_BOT;
    char b[64];
    if (any)
      FAIL(v, FE_E_TYPE_MISMATCH, "expected a value but the stack is empty");
    FAIL(v, FE_E_TYPE_MISMATCH, "expected %s but the stack is empty",
         vtstr(want, b, sizeof b));
  }
  return v->vals[--v->nvals];
}

static fe_valtype pop_any(fe_validator *v) { return pop_for(v, FE_BOT, true); }

static inline fe_valtype pop(fe_validator *v, fe_valtype want) {
  /* fast path: the operand has exactly the wanted type */
  if (v->nvals > v->ctrls[v->nctrls - 1].height && v->vals[v->nvals - 1] == want) {
    v->nvals--;
    return want;
  }
  fe_valtype t = pop_for(v, want, false);
  if (!vsub(v, t, want)) {
    char a[64], b[64];
    FAIL(v, FE_E_TYPE_MISMATCH, "expected %s, found %s", vtstr(want, a, sizeof a),
         vtstr(t, b, sizeof b));
  }
  return t;
}

/* True when every further pop yields FE_BOT: the frame is unreachable and
 * its operands are used up.  Loops popping many operands stop there, so
 * that unreachable code cannot make validation slow (each further pop
 * would match anyway). */
static bool stack_exhausted(const fe_validator *v) {
  const vctrl *c = &v->ctrls[v->nctrls - 1];
  return c->unreachable && v->nvals == c->height;
}

static void pop_vals(fe_validator *v, const fe_valtype *ts, uint32_t n) {
  for (uint32_t i = n; i-- > 0 && !stack_exhausted(v);)
    pop(v, ts[i]);
}

/* Pops ts and pushes back what was popped (the spec's
 * push_vals(pop_vals(ts))): checks the stack without changing its types. */
static void check_vals(fe_validator *v, const fe_valtype *ts, uint32_t n) {
  grow(v, (void **)&v->tmp, &v->captmp, n, sizeof *v->tmp);
  uint32_t i = n;
  while (i > 0 && !stack_exhausted(v)) {
    i--;
    v->tmp[i] = pop(v, ts[i]);
  }
  /* values below the exhausted frame were FE_BOT: push back only what was
   * popped, the rest stays polymorphic */
  for (; i < n; i++)
    push(v, v->tmp[i]);
}

/* Pops a reference of any type; (ref bot) in unreachable code. */
static fe_valtype pop_ref(fe_validator *v) {
  fe_valtype t = pop_for(v, FE_BOT, true);
  if (t == FE_BOT)
    return BOT_REF;
  if (!FE_VT_IS_REF(t)) {
    char b[64];
    FAIL(v, FE_E_TYPE_MISMATCH, "expected a reference, found %s", vtstr(t, b, sizeof b));
  }
  return t;
}

/* ------------------------------------------------------------------------
 * The control stack
 * ---------------------------------------------------------------------- */

static const fe_valtype *ctrl_out(const vctrl *c) {
  return c->out_inline ? &c->single : c->out;
}

/* The types a branch to frame c carries. */
static const fe_valtype *label_types(const vctrl *c, uint32_t *n) {
  if (c->op == FE_OP_LOOP) {
    *n = c->nin;
    return c->in;
  }
  *n = c->nout;
  return ctrl_out(c);
}

static void push_ctrl(fe_validator *v, uint16_t op, const blocktype *bt) {
  if (v->nctrls == v->capctrls)
    grow(v, (void **)&v->ctrls, &v->capctrls, (uint64_t)v->nctrls + 1, sizeof *v->ctrls);
  vctrl *c = &v->ctrls[v->nctrls++];
  c->op = op;
  c->unreachable = false;
  c->height = v->nvals;
  c->init_height = v->ninits;
  c->in = bt->in;
  c->nin = bt->nin;
  c->out = bt->out;
  c->nout = bt->nout;
  c->single = bt->single;
  c->out_inline = bt->out_inline;
  push_vals(v, bt->in, bt->nin);
}

/* Pops the top frame after checking its results are on the stack, and
 * forgets the locals set inside it.  Returns a copy of the frame (whose
 * results must be read with ctrl_out on the copy). */
static vctrl pop_ctrl(fe_validator *v) {
  vctrl *c = &v->ctrls[v->nctrls - 1];
  pop_vals(v, ctrl_out(c), c->nout);
  if (v->nvals != c->height)
    FAIL(v, FE_E_TYPE_MISMATCH, "%u value(s) left on the stack at the end of the block",
         v->nvals - c->height);
  while (v->ninits > c->init_height)
    v->linit[v->inits[--v->ninits]] = 0;
  vctrl copy = *c;
  v->nctrls--;
  return copy;
}

static void set_unreachable(fe_validator *v) {
  vctrl *c = &v->ctrls[v->nctrls - 1];
  v->nvals = c->height;
  c->unreachable = true;
}

static vctrl *read_label(fe_validator *v) {
  uint32_t l = fe_read_u32(&v->r);
  if (l >= v->nctrls)
    FAIL(v, FE_E_UNKNOWN_LABEL, "label %u", l);
  return &v->ctrls[v->nctrls - 1 - l];
}

/* blocktype ::= 0x40 | valtype | s33 type index. */
static void read_blocktype(fe_validator *v, blocktype *bt) {
  memset(bt, 0, sizeof *bt);
  uint8_t b = fe_peek_u8(&v->r);
  if (b == 0x40) {
    v->r.p++;
    return;
  }
  if ((b & 0xc0) == 0x40) { /* a one-byte negative s33: a value type */
    bt->single = fe_read_valtype(&v->r, v->m->ntypes);
    bt->nout = 1;
    bt->out_inline = true;
    return;
  }
  size_t at = fe_offset(&v->r);
  int64_t x = fe_read_s33(&v->r);
  if (x < 0)
    fe_fail(v->ec, at, FE_E_VALTYPE, "block type %lld", (long long)x);
  if ((uint64_t)x >= v->m->ntypes)
    FAIL(v, FE_E_UNKNOWN_TYPE, "block type %lld", (long long)x);
  const fe_type *t = &v->m->types[x];
  if (t->kind != FE_COMP_FUNC)
    FAIL(v, FE_E_NOT_FUNC, "block type %lld", (long long)x);
  bt->in = fe_func_params(t);
  bt->nin = t->nparams;
  bt->out = fe_func_results(t);
  bt->nout = fe_func_nresults(t);
}

/* ------------------------------------------------------------------------
 * Immediates naming module entities
 * ---------------------------------------------------------------------- */

static uint32_t read_index(fe_validator *v, uint32_t limit, fe_errcode code,
                           const char *what) {
  uint32_t x = fe_read_u32(&v->r);
  if (x >= limit)
    FAIL(v, code, "%s %u", what, x);
  return x;
}

static const fe_memory *read_mem(fe_validator *v) {
  return &v->m->mems[read_index(v, v->m->nmems, FE_E_UNKNOWN_MEMORY, "memory")];
}

static const fe_table *read_table(fe_validator *v) {
  return &v->m->tables[read_index(v, v->m->ntables, FE_E_UNKNOWN_TABLE, "table")];
}

/* The data count section is what lets a one-pass decoder check data
 * indices in code, which comes before the data section. */
static uint32_t read_data(fe_validator *v) {
  if (!v->m->has_datacount)
    FAIL(v, FE_E_DATA_COUNT_REQUIRED, NULL);
  return read_index(v, v->m->datacount, FE_E_UNKNOWN_DATA, "data segment");
}

static const fe_elem *read_elem(fe_validator *v) {
  return &v->m->elems[read_index(v, v->m->nelems, FE_E_UNKNOWN_ELEM, "elem segment")];
}

/* memarg ::= flags:u32 [memidx:u32 if flags bit 6] offset:u64.  Returns
 * the memory's address type. */
static fe_valtype read_memarg(fe_validator *v, unsigned size) {
  size_t at = fe_offset(&v->r);
  uint32_t flags = fe_read_u32(&v->r);
  if (flags >= 0x80)
    fe_fail(v->ec, at, FE_E_MEMOP_FLAGS, "0x%x", flags);
  uint32_t mem = 0;
  if (flags & 0x40) {
    mem = fe_read_u32(&v->r);
    flags &= ~0x40u;
  }
  uint64_t offset = fe_read_u64(&v->r);
  if (mem >= v->m->nmems)
    FAIL(v, FE_E_UNKNOWN_MEMORY, "memory %u", mem);
  bool is64 = v->m->mems[mem].lim.is64;
  unsigned natural = 0;
  while ((1u << natural) < size)
    natural++;
  if (flags > natural)
    FAIL(v, FE_E_ALIGNMENT, "alignment 2**%u, natural 2**%u", flags, natural);
  if (!is64 && offset > UINT32_MAX)
    FAIL(v, FE_E_OFFSET_RANGE, "offset %llu for a 32-bit memory", (unsigned long long)offset);
  return addr_type(is64);
}

/* Number of lanes of a SIMD instruction, from its shape prefix. */
static unsigned lane_count(const fe_opinfo *info) {
  const char *x = strchr(info->name, 'x');
  return x ? (unsigned)atoi(x + 1) : 16;
}

static void read_lane(fe_validator *v, unsigned lanes) {
  uint8_t lane = fe_read_u8(&v->r);
  if (lane >= lanes)
    FAIL(v, FE_E_LANE_INDEX, "lane %u of %u", lane, lanes);
}

/* ------------------------------------------------------------------------
 * Instructions typed by the opcode table
 * ---------------------------------------------------------------------- */

static fe_valtype sig_type(uint8_t c, fe_valtype addr) {
  return c == FE_SIG_ADDR ? addr : (fe_valtype)c;
}

static void validate_simple(fe_validator *v, const fe_opinfo *info) {
  fe_valtype addr = FE_I32;
  switch ((fe_imm)info->imm) {
  case FE_IMM_NONE:
    break;
  case FE_IMM_I32:
    (void)fe_read_s32(&v->r);
    break;
  case FE_IMM_I64:
    (void)fe_read_s64(&v->r);
    break;
  case FE_IMM_F32:
    (void)fe_read_bytes(&v->r, 4);
    break;
  case FE_IMM_F64:
    (void)fe_read_bytes(&v->r, 8);
    break;
  case FE_IMM_V128:
    (void)fe_read_bytes(&v->r, 16);
    break;
  case FE_IMM_MEMARG:
    addr = read_memarg(v, info->size);
    break;
  case FE_IMM_MEMARG_LANE:
    addr = read_memarg(v, info->size);
    read_lane(v, 16 / info->size);
    break;
  case FE_IMM_LANE:
    read_lane(v, lane_count(info));
    break;
  case FE_IMM_SHUFFLE:
    for (int i = 0; i < 16; i++)
      read_lane(v, 32);
    break;
  case FE_IMM_MEM:
    addr = addr_type(read_mem(v)->lim.is64);
    break;
  case FE_IMM_DATA:
    (void)read_data(v);
    break;
  case FE_IMM_ELEM:
    (void)read_elem(v);
    break;
  default:
    FAIL(v, FE_E_ILLEGAL_OPCODE, "%s: table signature with immediate kind %u",
         info->name, info->imm);
  }
  for (int i = info->nparams; i-- > 0;)
    pop(v, sig_type(info->params[i], addr));
  for (int i = 0; i < info->nresults; i++)
    push(v, sig_type(info->results[i], addr));
}

/* ------------------------------------------------------------------------
 * Instructions typed by hand
 * ---------------------------------------------------------------------- */

/* Calls: pops the parameters and pushes the results of function type t. */
static void do_call(fe_validator *v, const fe_type *t) {
  pop_vals(v, fe_func_params(t), t->nparams);
  push_vals(v, fe_func_results(t), fe_func_nresults(t));
}

/* Tail calls: the callee's results must be the caller's. */
static void do_return_call(fe_validator *v, const fe_type *t) {
  const fe_type *self = v->ftype;
  uint32_t n = fe_func_nresults(t);
  if (!self || n != fe_func_nresults(self))
    FAIL(v, FE_E_TYPE_MISMATCH, "tail call results differ from the function's");
  for (uint32_t i = 0; i < n; i++)
    if (!vsub(v, fe_func_results(t)[i], fe_func_results(self)[i]))
      FAIL(v, FE_E_TYPE_MISMATCH, "tail call result %u does not match the function's", i);
  pop_vals(v, fe_func_params(t), t->nparams);
  set_unreachable(v);
}

/* call_indirect / return_call_indirect: typeidx tableidx. */
static const fe_type *read_call_indirect(fe_validator *v) {
  uint32_t x;
  const fe_type *t = read_kind(v, &x, FE_COMP_FUNC);
  const fe_table *tab = read_table(v);
  if (!vsub(v, tab->elem, FE_FUNCREF))
    FAIL(v, FE_E_TYPE_MISMATCH, "call_indirect through a table that does not hold funcref");
  pop(v, addr_type(tab->lim.is64));
  return t;
}

static void validate_try_table(fe_validator *v) {
  blocktype bt;
  read_blocktype(v, &bt);
  uint32_t n = fe_read_count(&v->r, 2);
  for (uint32_t i = 0; i < n; i++) {
    size_t at = fe_offset(&v->r);
    uint8_t kind = fe_read_u8(&v->r);
    if (kind > 3)
      fe_fail(v->ec, at, FE_E_CATCH_KIND, "catch kind %u", kind);
    const fe_type *tag = NULL;
    if (kind < 2) {
      uint32_t x = read_index(v, v->m->ntags, FE_E_UNKNOWN_TAG, "tag");
      tag = &v->m->types[v->m->tags[x].type];
    }
    vctrl *c = read_label(v);
    uint32_t nl;
    const fe_valtype *lt = label_types(c, &nl);
    /* The values the catch clause hands to the label. */
    uint32_t nparams = tag ? tag->nparams : 0;
    bool ref = kind == 1 || kind == 3;
    if (nl != nparams + ref)
      FAIL(v, FE_E_TYPE_MISMATCH, "catch clause %u: label expects %u value(s), catch gives %u",
           i, nl, nparams + ref);
    for (uint32_t k = 0; k < nparams; k++)
      if (!vsub(v, tag->vt[k], lt[k]))
        FAIL(v, FE_E_TYPE_MISMATCH, "catch clause %u: value %u does not match the label", i, k);
    if (ref && !vsub(v, fe_vt_absref(false, FE_HT_EXN), lt[nparams]))
      FAIL(v, FE_E_TYPE_MISMATCH, "catch clause %u: exnref does not match the label", i);
  }
  pop_vals(v, bt.in, bt.nin);
  push_ctrl(v, FE_OP_TRY_TABLE, &bt);
}

static void validate_br_table(fe_validator *v) {
  uint32_t n = fe_read_count(&v->r, 1);
  if (n > MAX_BR_TABLE)
    FAIL(v, FE_E_TOO_MANY, "br_table with %u labels (Kiln's limit is %u)", n, MAX_BR_TABLE);
  grow(v, (void **)&v->labels, &v->caplabels, (uint64_t)n + 1, sizeof *v->labels);
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t l = fe_read_u32(&v->r);
    if (l >= v->nctrls)
      FAIL(v, FE_E_UNKNOWN_LABEL, "label %u", l);
    v->labels[i] = l;
  }
  pop(v, FE_I32);
  uint32_t arity;
  (void)label_types(&v->ctrls[v->nctrls - 1 - v->labels[n]], &arity);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k;
    const fe_valtype *lt = label_types(&v->ctrls[v->nctrls - 1 - v->labels[i]], &k);
    if (k != arity)
      FAIL(v, FE_E_TYPE_MISMATCH, "br_table target %u has arity %u, default has %u", i, k, arity);
    check_vals(v, lt, k);
  }
  uint32_t k;
  const fe_valtype *lt = label_types(&v->ctrls[v->nctrls - 1 - v->labels[n]], &k);
  pop_vals(v, lt, k);
  set_unreachable(v);
}

/* br_on_cast / br_on_cast_fail: flags label rt1 rt2. */
static void validate_br_on_cast(fe_validator *v, bool on_fail) {
  size_t at = fe_offset(&v->r);
  uint8_t flags = fe_read_u8(&v->r);
  if (flags > 3)
    fe_fail(v->ec, at, FE_E_CAST_FLAGS, "0x%x", flags);
  vctrl *c = read_label(v);
  fe_valtype rt1 = fe_read_heaptype(&v->r, v->m->ntypes, flags & 1);
  fe_valtype rt2 = fe_read_heaptype(&v->r, v->m->ntypes, (flags >> 1) & 1);
  if (!vsub(v, rt2, rt1)) {
    char a[64], b[64];
    FAIL(v, FE_E_TYPE_MISMATCH, "cast target %s is not a subtype of %s",
         vtstr(rt2, a, sizeof a), vtstr(rt1, b, sizeof b));
  }
  /* rt1 \ rt2: what is left when the cast fails (or succeeds, for
   * br_on_cast_fail the branch type is the difference). */
  fe_valtype diff = fe_vt_with_null(rt1, FE_VT_NULLABLE(rt1) && !FE_VT_NULLABLE(rt2));
  fe_valtype branch = on_fail ? diff : rt2;
  fe_valtype fall = on_fail ? rt2 : diff;
  uint32_t nl;
  const fe_valtype *lt = label_types(c, &nl);
  if (nl == 0)
    FAIL(v, FE_E_TYPE_MISMATCH, "branch target of a cast takes no values");
  if (!vsub(v, branch, lt[nl - 1])) {
    char a[64], b[64];
    FAIL(v, FE_E_TYPE_MISMATCH, "cast branch type %s does not match the label's %s",
         vtstr(branch, a, sizeof a), vtstr(lt[nl - 1], b, sizeof b));
  }
  pop(v, rt1);
  pop_vals(v, lt, nl - 1); /* the values passed along keep the label's types */
  push_vals(v, lt, nl - 1);
  push(v, fall);
}

/* struct.get* / struct.set: typeidx fieldidx. */
static const fe_type *read_field(fe_validator *v, uint32_t *x, uint32_t *field) {
  const fe_type *t = read_kind(v, x, FE_COMP_STRUCT);
  *field = fe_read_u32(&v->r);
  if (*field >= t->n)
    FAIL(v, FE_E_UNKNOWN_FIELD, "field %u of type %u", *field, *x);
  return t;
}

static void check_packed(fe_validator *v, fe_valtype st, bool want_packed) {
  if (is_packed(st) != want_packed)
    FAIL(v, want_packed ? FE_E_NOT_PACKED : FE_E_PACKED, NULL);
}

static void check_numeric_array(fe_validator *v, const fe_type *t) {
  fe_valtype et = t->vt[0];
  if (FE_VT_IS_REF(et))
    FAIL(v, FE_E_ARRAY_NOT_NUMERIC, NULL);
}

static void check_mutable_array(fe_validator *v, const fe_type *t) {
  if (!t->mut[0])
    FAIL(v, FE_E_IMMUTABLE_ARRAY, NULL);
}

static void check_elem_fits(fe_validator *v, const fe_elem *e, fe_valtype want) {
  if (!vsub(v, e->type, want)) {
    char a[64], b[64];
    FAIL(v, FE_E_TYPE_MISMATCH, "element segment of %s used for %s",
         vtstr(e->type, a, sizeof a), vtstr(want, b, sizeof b));
  }
}

/* The smaller of two address types: a length spanning two memories or
 * tables must fit both. */
static fe_valtype min_addr(bool a64, bool b64) { return addr_type(a64 && b64); }

static void validate_gc(fe_validator *v, fe_opcode op) {
  fe_module *m = v->m;
  uint32_t x, f;
  const fe_type *t;
  switch (op) {
  case FE_OP_STRUCT_NEW:
    t = read_kind(v, &x, FE_COMP_STRUCT);
    for (uint32_t i = t->n; i-- > 0 && !stack_exhausted(v);)
      pop(v, fe_unpacked(t->vt[i]));
    push(v, concrete_ref(false, x));
    break;
  case FE_OP_STRUCT_NEW_DEFAULT:
    t = read_kind(v, &x, FE_COMP_STRUCT);
    for (uint32_t i = 0; i < t->n; i++)
      if (!fe_vt_defaultable(t->vt[i]))
        FAIL(v, FE_E_NOT_DEFAULTABLE, "field %u of type %u", i, x);
    push(v, concrete_ref(false, x));
    break;
  case FE_OP_STRUCT_GET:
  case FE_OP_STRUCT_GET_S:
  case FE_OP_STRUCT_GET_U:
    t = read_field(v, &x, &f);
    check_packed(v, t->vt[f], op != FE_OP_STRUCT_GET);
    pop(v, concrete_ref(true, x));
    push(v, fe_unpacked(t->vt[f]));
    break;
  case FE_OP_STRUCT_SET:
    t = read_field(v, &x, &f);
    if (!t->mut[f])
      FAIL(v, FE_E_IMMUTABLE_FIELD, "field %u of type %u", f, x);
    pop(v, fe_unpacked(t->vt[f]));
    pop(v, concrete_ref(true, x));
    break;
  case FE_OP_ARRAY_NEW:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    pop(v, FE_I32);
    pop(v, fe_unpacked(t->vt[0]));
    push(v, concrete_ref(false, x));
    break;
  case FE_OP_ARRAY_NEW_DEFAULT:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    if (!fe_vt_defaultable(t->vt[0]))
      FAIL(v, FE_E_NOT_DEFAULTABLE, "element of type %u", x);
    pop(v, FE_I32);
    push(v, concrete_ref(false, x));
    break;
  case FE_OP_ARRAY_NEW_FIXED: {
    t = read_kind(v, &x, FE_COMP_ARRAY);
    uint32_t n = fe_read_u32(&v->r);
    if (n > MAX_NEW_FIXED)
      FAIL(v, FE_E_TOO_MANY, "array.new_fixed of %u values (Kiln's limit is %u)", n,
           MAX_NEW_FIXED);
    fe_valtype et = fe_unpacked(t->vt[0]);
    for (uint32_t i = 0; i < n && !stack_exhausted(v); i++)
      pop(v, et);
    push(v, concrete_ref(false, x));
    break;
  }
  case FE_OP_ARRAY_NEW_DATA:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    (void)read_data(v);
    check_numeric_array(v, t);
    pop(v, FE_I32);
    pop(v, FE_I32);
    push(v, concrete_ref(false, x));
    break;
  case FE_OP_ARRAY_NEW_ELEM:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    check_elem_fits(v, read_elem(v), t->vt[0]);
    pop(v, FE_I32);
    pop(v, FE_I32);
    push(v, concrete_ref(false, x));
    break;
  case FE_OP_ARRAY_GET:
  case FE_OP_ARRAY_GET_S:
  case FE_OP_ARRAY_GET_U:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    check_packed(v, t->vt[0], op != FE_OP_ARRAY_GET);
    pop(v, FE_I32);
    pop(v, concrete_ref(true, x));
    push(v, fe_unpacked(t->vt[0]));
    break;
  case FE_OP_ARRAY_SET:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    check_mutable_array(v, t);
    pop(v, fe_unpacked(t->vt[0]));
    pop(v, FE_I32);
    pop(v, concrete_ref(true, x));
    break;
  case FE_OP_ARRAY_LEN:
    pop(v, fe_vt_absref(true, FE_HT_ARRAY));
    push(v, FE_I32);
    break;
  case FE_OP_ARRAY_FILL:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    check_mutable_array(v, t);
    pop(v, FE_I32);
    pop(v, fe_unpacked(t->vt[0]));
    pop(v, FE_I32);
    pop(v, concrete_ref(true, x));
    break;
  case FE_OP_ARRAY_COPY: {
    uint32_t y;
    t = read_kind(v, &x, FE_COMP_ARRAY);
    const fe_type *s = read_kind(v, &y, FE_COMP_ARRAY);
    check_mutable_array(v, t);
    /* storage subtyping: packed types only match themselves */
    fe_valtype dt = t->vt[0], st = s->vt[0];
    if (is_packed(dt) || is_packed(st) ? dt != st : !vsub(v, st, dt))
      FAIL(v, FE_E_ARRAY_TYPES, "array %u into array %u", y, x);
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, concrete_ref(true, y));
    pop(v, FE_I32);
    pop(v, concrete_ref(true, x));
    break;
  }
  case FE_OP_ARRAY_INIT_DATA:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    (void)read_data(v);
    check_mutable_array(v, t);
    check_numeric_array(v, t);
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, concrete_ref(true, x));
    break;
  case FE_OP_ARRAY_INIT_ELEM:
    t = read_kind(v, &x, FE_COMP_ARRAY);
    {
      const fe_elem *e = read_elem(v);
      check_mutable_array(v, t);
      check_elem_fits(v, e, t->vt[0]);
    }
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, concrete_ref(true, x));
    break;
  case FE_OP_REF_TEST:
  case FE_OP_REF_TEST_NULL:
  case FE_OP_REF_CAST:
  case FE_OP_REF_CAST_NULL: {
    bool nullable = op == FE_OP_REF_TEST_NULL || op == FE_OP_REF_CAST_NULL;
    fe_valtype rt = fe_read_heaptype(&v->r, m->ntypes, nullable);
    pop(v, fe_vt_absref(true, fe_ht_top(m, rt)));
    push(v, (op == FE_OP_REF_TEST || op == FE_OP_REF_TEST_NULL) ? FE_I32 : rt);
    break;
  }
  case FE_OP_BR_ON_CAST:
  case FE_OP_BR_ON_CAST_FAIL:
    validate_br_on_cast(v, op == FE_OP_BR_ON_CAST_FAIL);
    break;
  case FE_OP_ANY_CONVERT_EXTERN:
  case FE_OP_EXTERN_CONVERT_ANY: {
    bool to_any = op == FE_OP_ANY_CONVERT_EXTERN;
    fe_valtype t0 = pop(v, fe_vt_absref(true, to_any ? FE_HT_EXTERN : FE_HT_ANY));
    bool nullable = t0 != FE_BOT && FE_VT_NULLABLE(t0);
    push(v, fe_vt_absref(nullable, to_any ? FE_HT_ANY : FE_HT_EXTERN));
    break;
  }
  case FE_OP_REF_I31:
    pop(v, FE_I32);
    push(v, fe_vt_absref(false, FE_HT_I31));
    break;
  case FE_OP_I31_GET_S:
  case FE_OP_I31_GET_U:
    pop(v, fe_vt_absref(true, FE_HT_I31));
    push(v, FE_I32);
    break;
  default:
    FAIL(v, FE_E_ILLEGAL_OPCODE, "%s not handled", fe_op_info(op)->name);
  }
}

static void validate_bulk(fe_validator *v, fe_opcode op) {
  switch (op) {
  case FE_OP_MEMORY_INIT: {
    /* dataidx comes first in the binary, but the memory is checked first,
     * as the spec interpreter does */
    fe_reader at_data = v->r;
    (void)fe_read_u32(&v->r);
    const fe_memory *mem = read_mem(v);
    fe_reader after = v->r;
    v->r = at_data;
    (void)read_data(v);
    v->r = after;
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, addr_type(mem->lim.is64));
    break;
  }
  case FE_OP_MEMORY_COPY: {
    const fe_memory *d = read_mem(v), *s = read_mem(v);
    pop(v, min_addr(d->lim.is64, s->lim.is64));
    pop(v, addr_type(s->lim.is64));
    pop(v, addr_type(d->lim.is64));
    break;
  }
  case FE_OP_MEMORY_FILL: {
    fe_valtype a = addr_type(read_mem(v)->lim.is64);
    pop(v, a);
    pop(v, FE_I32);
    pop(v, a);
    break;
  }
  case FE_OP_TABLE_INIT: {
    /* elemidx tableidx; the table is checked first (see memory.init) */
    fe_reader at_elem = v->r;
    (void)fe_read_u32(&v->r);
    const fe_table *t = read_table(v);
    fe_reader after = v->r;
    v->r = at_elem;
    const fe_elem *e = read_elem(v);
    v->r = after;
    check_elem_fits(v, e, t->elem);
    pop(v, FE_I32);
    pop(v, FE_I32);
    pop(v, addr_type(t->lim.is64));
    break;
  }
  case FE_OP_TABLE_COPY: {
    const fe_table *d = read_table(v), *s = read_table(v);
    if (!vsub(v, s->elem, d->elem))
      FAIL(v, FE_E_TYPE_MISMATCH, "table.copy between incompatible tables");
    pop(v, min_addr(d->lim.is64, s->lim.is64));
    pop(v, addr_type(s->lim.is64));
    pop(v, addr_type(d->lim.is64));
    break;
  }
  case FE_OP_TABLE_GROW: {
    const fe_table *t = read_table(v);
    fe_valtype a = addr_type(t->lim.is64);
    pop(v, a);
    pop(v, t->elem);
    push(v, a);
    break;
  }
  case FE_OP_TABLE_SIZE:
    push(v, addr_type(read_table(v)->lim.is64));
    break;
  case FE_OP_TABLE_FILL: {
    const fe_table *t = read_table(v);
    fe_valtype a = addr_type(t->lim.is64);
    pop(v, a);
    pop(v, t->elem);
    pop(v, a);
    break;
  }
  default:
    FAIL(v, FE_E_ILLEGAL_OPCODE, "%s not handled", fe_op_info(op)->name);
  }
}

/* Instructions allowed in constant expressions (Wasm 3.0 with extended
 * constants and GC allocation). */
static bool is_constant(fe_opcode op) {
  switch (op) {
  case FE_OP_I32_CONST: case FE_OP_I64_CONST: case FE_OP_F32_CONST:
  case FE_OP_F64_CONST: case FE_OP_V128_CONST: case FE_OP_REF_NULL:
  case FE_OP_REF_FUNC: case FE_OP_GLOBAL_GET: case FE_OP_I32_ADD:
  case FE_OP_I32_SUB: case FE_OP_I32_MUL: case FE_OP_I64_ADD:
  case FE_OP_I64_SUB: case FE_OP_I64_MUL: case FE_OP_STRUCT_NEW:
  case FE_OP_STRUCT_NEW_DEFAULT: case FE_OP_ARRAY_NEW:
  case FE_OP_ARRAY_NEW_DEFAULT: case FE_OP_ARRAY_NEW_FIXED:
  case FE_OP_ANY_CONVERT_EXTERN: case FE_OP_EXTERN_CONVERT_ANY:
  case FE_OP_REF_I31: case FE_OP_END:
    return true;
  default:
    return false;
  }
}

static void validate_local(fe_validator *v, fe_opcode op) {
  uint32_t x = fe_read_u32(&v->r);
  if (x >= v->nlocals)
    FAIL(v, FE_E_UNKNOWN_LOCAL, "local %u", x);
  fe_valtype t = v->locals[x];
  if (op == FE_OP_LOCAL_GET) {
    if (!v->linit[x])
      FAIL(v, FE_E_UNINIT_LOCAL, "local %u", x);
    push(v, t);
    return;
  }
  pop(v, t);
  if (!v->linit[x]) {
    grow(v, (void **)&v->inits, &v->capinits, (uint64_t)v->ninits + 1, sizeof *v->inits);
    v->inits[v->ninits++] = x;
    v->linit[x] = 1;
  }
  if (op == FE_OP_LOCAL_TEE)
    push(v, t);
}

/* ------------------------------------------------------------------------
 * The instruction loop
 * ---------------------------------------------------------------------- */

/* Validates instructions until the frame pushed by the caller is closed by
 * its `end`.  Returns with the reader after that `end`. */
static void run(fe_validator *v) {
  fe_module *m = v->m;
  fe_reader *r = &v->r;
  for (;;) {
    if (fe_at_end(r))
      fe_fail(v->ec, fe_offset(r), v->const_mode ? FE_E_UNEXPECTED_END_SECTION
                                                 : FE_E_END_EXPECTED, NULL);
    v->op_off = fe_offset(r);
    fe_opcode op = fe_read_opcode(r);
    const fe_opinfo *info = fe_op_info(op);
    if (v->const_mode && !is_constant(op))
      FAIL(v, FE_E_CONST_REQUIRED, "%s", info->name);
    if (info->nparams >= 0) {
      validate_simple(v, info);
      continue;
    }
    switch (op) {
    /* --- control ----------------------------------------------------- */
    case FE_OP_UNREACHABLE:
      set_unreachable(v);
      break;
    case FE_OP_BLOCK:
    case FE_OP_LOOP:
    case FE_OP_IF: {
      blocktype bt;
      read_blocktype(v, &bt);
      if (op == FE_OP_IF)
        pop(v, FE_I32);
      pop_vals(v, bt.in, bt.nin);
      push_ctrl(v, (uint16_t)op, &bt);
      break;
    }
    case FE_OP_ELSE: {
      if (v->ctrls[v->nctrls - 1].op != FE_OP_IF)
        FAIL(v, FE_E_TYPE_MISMATCH, "else without if");
      vctrl c = pop_ctrl(v);
      blocktype bt = {c.in, c.out, c.nin, c.nout, c.single, c.out_inline};
      push_ctrl(v, FE_OP_ELSE, &bt);
      break;
    }
    case FE_OP_END: {
      vctrl c = pop_ctrl(v);
      if (c.op == FE_OP_IF) {
        /* no else: the missing branch passes the params on as results */
        if (c.nin != c.nout)
          FAIL(v, FE_E_TYPE_MISMATCH, "if without else must have matching params and results");
        for (uint32_t i = 0; i < c.nin; i++)
          if (!vsub(v, c.in[i], ctrl_out(&c)[i]))
            FAIL(v, FE_E_TYPE_MISMATCH, "if without else must have matching params and results");
      }
      push_vals(v, ctrl_out(&c), c.nout);
      if (v->nctrls == 0)
        return;
      break;
    }
    case FE_OP_TRY_TABLE:
      validate_try_table(v);
      break;
    case FE_OP_THROW: {
      uint32_t x = read_index(v, m->ntags, FE_E_UNKNOWN_TAG, "tag");
      const fe_type *t = &m->types[m->tags[x].type];
      pop_vals(v, fe_func_params(t), t->nparams);
      set_unreachable(v);
      break;
    }
    case FE_OP_THROW_REF:
      pop(v, FE_EXNREF);
      set_unreachable(v);
      break;
    case FE_OP_BR: {
      uint32_t n;
      const fe_valtype *lt = label_types(read_label(v), &n);
      pop_vals(v, lt, n);
      set_unreachable(v);
      break;
    }
    case FE_OP_BR_IF: {
      uint32_t n;
      const fe_valtype *lt = label_types(read_label(v), &n);
      pop(v, FE_I32);
      pop_vals(v, lt, n);
      push_vals(v, lt, n);
      break;
    }
    case FE_OP_BR_TABLE:
      validate_br_table(v);
      break;
    case FE_OP_RETURN: {
      const vctrl *fn = &v->ctrls[0];
      pop_vals(v, ctrl_out(fn), fn->nout);
      set_unreachable(v);
      break;
    }
    case FE_OP_BR_ON_NULL: {
      uint32_t n;
      const fe_valtype *lt = label_types(read_label(v), &n);
      fe_valtype t = pop_ref(v);
      pop_vals(v, lt, n);
      push_vals(v, lt, n);
      push(v, fe_vt_with_null(t, false));
      break;
    }
    case FE_OP_BR_ON_NON_NULL: {
      uint32_t n;
      const fe_valtype *lt = label_types(read_label(v), &n);
      if (n == 0)
        FAIL(v, FE_E_TYPE_MISMATCH, "br_on_non_null to a label that takes no values");
      fe_valtype t = pop_ref(v);
      push(v, fe_vt_with_null(t, false));
      pop_vals(v, lt, n);
      push_vals(v, lt, n - 1);
      break;
    }
    /* --- calls ------------------------------------------------------- */
    case FE_OP_CALL:
      do_call(v, fe_func_type(m, read_index(v, m->nfuncs, FE_E_UNKNOWN_FUNC, "function")));
      break;
    case FE_OP_RETURN_CALL:
      do_return_call(v, fe_func_type(m, read_index(v, m->nfuncs, FE_E_UNKNOWN_FUNC, "function")));
      break;
    case FE_OP_CALL_INDIRECT:
      do_call(v, read_call_indirect(v));
      break;
    case FE_OP_RETURN_CALL_INDIRECT:
      do_return_call(v, read_call_indirect(v));
      break;
    case FE_OP_CALL_REF:
    case FE_OP_RETURN_CALL_REF: {
      uint32_t x;
      const fe_type *t = read_kind(v, &x, FE_COMP_FUNC);
      pop(v, concrete_ref(true, x));
      if (op == FE_OP_CALL_REF)
        do_call(v, t);
      else
        do_return_call(v, t);
      break;
    }
    /* --- parametric -------------------------------------------------- */
    case FE_OP_DROP:
      (void)pop_any(v);
      break;
    case FE_OP_SELECT: {
      pop(v, FE_I32);
      fe_valtype t1 = pop_any(v), t2 = pop_any(v);
      if (FE_VT_IS_REF(t1) || FE_VT_IS_REF(t2))
        FAIL(v, FE_E_TYPE_MISMATCH, "select of references needs a type annotation");
      if (t1 != FE_BOT && t2 != FE_BOT && t1 != t2) {
        char a[64], b[64];
        FAIL(v, FE_E_TYPE_MISMATCH, "select of %s and %s", vtstr(t2, a, sizeof a),
             vtstr(t1, b, sizeof b));
      }
      push(v, t1 == FE_BOT ? t2 : t1);
      break;
    }
    case FE_OP_SELECT_T: {
      uint32_t n = fe_read_u32(r);
      if (n != 1)
        FAIL(v, FE_E_RESULT_ARITY, "select with %u types", n);
      fe_valtype t = fe_read_valtype(r, m->ntypes);
      pop(v, FE_I32);
      pop(v, t);
      pop(v, t);
      push(v, t);
      break;
    }
    /* --- variables --------------------------------------------------- */
    case FE_OP_LOCAL_GET:
    case FE_OP_LOCAL_SET:
    case FE_OP_LOCAL_TEE:
      validate_local(v, op);
      break;
    case FE_OP_GLOBAL_GET: {
      uint32_t limit = v->const_mode ? v->const_nglobals : m->nglobals;
      uint32_t x = read_index(v, limit, FE_E_UNKNOWN_GLOBAL, "global");
      if (v->const_mode && m->globals[x].mut)
        FAIL(v, FE_E_CONST_REQUIRED, "global.get of mutable global %u", x);
      push(v, m->globals[x].type);
      break;
    }
    case FE_OP_GLOBAL_SET: {
      uint32_t x = read_index(v, m->nglobals, FE_E_UNKNOWN_GLOBAL, "global");
      if (!m->globals[x].mut)
        FAIL(v, FE_E_IMMUTABLE_GLOBAL, "global %u", x);
      pop(v, m->globals[x].type);
      break;
    }
    /* --- tables ------------------------------------------------------ */
    case FE_OP_TABLE_GET: {
      const fe_table *t = read_table(v);
      pop(v, addr_type(t->lim.is64));
      push(v, t->elem);
      break;
    }
    case FE_OP_TABLE_SET: {
      const fe_table *t = read_table(v);
      pop(v, t->elem);
      pop(v, addr_type(t->lim.is64));
      break;
    }
    /* --- references -------------------------------------------------- */
    case FE_OP_REF_NULL:
      push(v, fe_read_heaptype(r, m->ntypes, true));
      break;
    case FE_OP_REF_IS_NULL:
      (void)pop_ref(v);
      push(v, FE_I32);
      break;
    case FE_OP_REF_AS_NON_NULL:
      push(v, fe_vt_with_null(pop_ref(v), false));
      break;
    case FE_OP_REF_FUNC: {
      uint32_t x = read_index(v, m->nfuncs, FE_E_UNKNOWN_FUNC, "function");
      if (v->const_mode)
        m->declared_funcs[x >> 3] |= (uint8_t)(1u << (x & 7));
      else if (!fe_func_declared(m, x))
        FAIL(v, FE_E_UNDECLARED_FUNC_REF, "function %u", x);
      push(v, concrete_ref(false, m->funcs[x].type));
      break;
    }
    case FE_OP_REF_EQ:
      pop(v, fe_vt_absref(true, FE_HT_EQ));
      pop(v, fe_vt_absref(true, FE_HT_EQ));
      push(v, FE_I32);
      break;
    default:
      if (info->prefix == 0xfb)
        validate_gc(v, op);
      else if (info->prefix == 0xfc)
        validate_bulk(v, op);
      else
        FAIL(v, FE_E_ILLEGAL_OPCODE, "%s not handled", info->name);
      break;
    }
  }
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

static void reset(fe_validator *v) {
  v->nvals = v->nctrls = v->ninits = 0;
  v->const_mode = false;
}

/* locals ::= vec(count:u32 valtype).  The declared count may not exceed
 * 2^32-1 in all (the spec) nor MAX_LOCALS (Kiln). */
static void read_locals(fe_validator *v, fe_func *fn, const fe_type *ft) {
  fe_reader *r = &v->r;
  uint32_t ngroups = fe_read_count(r, 2);
  uint64_t total = ft->nparams;
  v->nlocals = ft->nparams;
  grow(v, (void **)&v->locals, &v->caplocals, total + 1, sizeof *v->locals);
  memcpy(v->locals, ft->vt, ft->nparams * sizeof *v->locals);
  for (uint32_t g = 0; g < ngroups; g++) {
    size_t at = fe_offset(r);
    uint32_t count = fe_read_u32(r);
    total += count;
    if (total - ft->nparams > UINT32_MAX)
      fe_fail(v->ec, at, FE_E_TOO_MANY_LOCALS, NULL);
    if (total > MAX_LOCALS)
      fe_fail(v->ec, at, FE_E_TOO_MANY_LOCALS, "more than %u (Kiln's limit)", MAX_LOCALS);
    fe_valtype t = fe_read_valtype(r, v->m->ntypes);
    grow(v, (void **)&v->locals, &v->caplocals, total, sizeof *v->locals);
    for (uint32_t i = 0; i < count; i++)
      v->locals[v->nlocals++] = t;
  }
  /* linit shares locals' capacity */
  uint8_t *li = realloc(v->linit, v->caplocals ? v->caplocals : 1);
  if (!li)
    FAIL(v, FE_E_NOMEM, "locals");
  v->linit = li;
  for (uint32_t i = 0; i < v->nlocals; i++)
    v->linit[i] = i < ft->nparams || fe_vt_defaultable(v->locals[i]);
  fn->nlocals = v->nlocals - ft->nparams;
  fn->locals = fe_arena_array(&v->m->arena, fn->nlocals, sizeof *fn->locals);
  memcpy(fn->locals, v->locals + ft->nparams, fn->nlocals * sizeof *fn->locals);
}

void fe_validate_func(fe_validator *v, uint32_t f) {
  fe_module *m = v->m;
  fe_func *fn = &m->funcs[f];
  const fe_type *ft = &m->types[fn->type];
  reset(v);
  v->ftype = ft;
  v->r = (fe_reader){m->bytes, m->bytes + fn->body.off,
                     m->bytes + fn->body.off + fn->body.len, v->ec,
                     FE_E_UNEXPECTED_END_SECTION};
  v->op_off = fn->body.off;
  read_locals(v, fn, ft);
  size_t code_start = fe_offset(&v->r);
  blocktype bt = {NULL, fe_func_results(ft), 0, fe_func_nresults(ft), 0, false};
  push_ctrl(v, CTRL_FUNC, &bt);
  run(v);
  if (!fe_at_end(&v->r))
    fe_fail(v->ec, fe_offset(&v->r), FE_E_SECTION_SIZE,
            "%zu byte(s) after the function's final end", fe_remaining(&v->r));
  fn->code.off = (uint32_t)code_start;
  fn->code.len = (uint32_t)(fe_offset(&v->r) - code_start);
}

fe_span fe_validate_const(fe_validator *v, fe_reader *r, fe_valtype type,
                          uint32_t nglobals) {
  reset(v);
  v->const_mode = true;
  v->const_nglobals = nglobals;
  v->ftype = NULL;
  v->nlocals = 0;
  v->r = *r;
  size_t start = fe_offset(r);
  v->op_off = start;
  blocktype bt = {NULL, NULL, 0, 1, type, true};
  push_ctrl(v, CTRL_FUNC, &bt);
  run(v);
  r->p = v->r.p;
  v->const_mode = false;
  return (fe_span){(uint32_t)start, (uint32_t)(fe_offset(r) - start)};
}
