/* tests/unit/test_opcodes.c — the opcode table (opcodes.def,
 * opcodes_simd.def) and the opcode decoder (fe_read_opcode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/module.h"
#include "frontend/opcode.h"

/* The rows again, as written: the raw SIG strings and the enum names. */
typedef struct row {
  const char *ident; /* NAME of the row */
  const char *text;
  unsigned prefix;
  uint32_t code;
  fe_imm imm;
  const char *sig;
  unsigned size;
} row;

static const row rows[] = {
#define OP(name, text, prefix, code, imm, sig, size)                          \
  {#name, text, prefix, code, FE_IMM_##imm, sig, size},
#include "frontend/opcodes.def"
#include "frontend/opcodes_simd.def"
#undef OP
};
enum { NROWS = sizeof rows / sizeof rows[0] };

/* ------------------------------------------------------------------------
 * Decoding helpers
 * ---------------------------------------------------------------------- */

/* Appends the u32 LEB128 of v, padded to at least min_len bytes. */
static size_t put_uleb(uint8_t *p, uint32_t v, size_t min_len) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v || n + 1 < min_len)
      b |= 0x80;
    p[n++] = b;
  } while (v || n < min_len);
  return n;
}

static size_t encode(uint8_t *buf, const row *r, size_t leb_len) {
  if (!r->prefix) {
    buf[0] = (uint8_t)r->code;
    return 1;
  }
  buf[0] = (uint8_t)r->prefix;
  return 1 + put_uleb(buf + 1, r->code, leb_len);
}

typedef struct decoded {
  int ok;            /* 1: decoded, 0: raised */
  fe_opcode op;      /* when ok */
  size_t consumed;   /* when ok */
  fe_errcode code;   /* when raised */
  size_t offset;     /* when raised */
} decoded;

/* Decodes one opcode from buf[0..n) placed at module offset `at`. */
static decoded decode_at(const uint8_t *buf, size_t n, size_t at) {
  static uint8_t module[64];
  assert_true(at + n <= sizeof module);
  memset(module, 0, sizeof module);
  memcpy(module + at, buf, n);

  static fe_error err; /* static: written by fe_fail before the longjmp */
  jmp_buf jb;
  fe_errctx ec = {.err = &err, .jmp = &jb, .section = FE_SEC_CODE, .func = 3};
  fe_reader r = {.base = module, .p = module + at, .end = module + at + n,
                 .ec = &ec, .eof_code = FE_E_UNEXPECTED_END_SECTION};
  decoded d;
  memset(&d, 0, sizeof d);
  if (setjmp(jb)) {
    d.ok = 0;
    d.code = err.code;
    d.offset = err.offset;
    assert_int_equal(err.section, FE_SEC_CODE);
    assert_int_equal(err.func, 3);
    return d;
  }
  d.op = fe_read_opcode(&r);
  d.ok = 1;
  d.consumed = (size_t)(r.p - (module + at));
  return d;
}

static decoded decode(const uint8_t *buf, size_t n) { return decode_at(buf, n, 0); }

static const row *find_row(unsigned prefix, uint32_t code) {
  for (unsigned i = 0; i < NROWS; i++)
    if (rows[i].prefix == prefix && rows[i].code == code)
      return &rows[i];
  return NULL;
}

static int find_text(const char *text) {
  for (unsigned i = 0; i < NROWS; i++)
    if (!strcmp(rows[i].text, text))
      return (int)i;
  return -1;
}

/* ------------------------------------------------------------------------
 * Table shape
 * ---------------------------------------------------------------------- */

static void test_table_matches_rows(void **state) {
  (void)state;
  assert_int_equal(NROWS, FE_OP_COUNT_);
  for (unsigned i = 0; i < NROWS; i++) {
    const fe_opinfo *o = fe_op_info((fe_opcode)i);
    assert_string_equal(o->name, rows[i].text);
    assert_int_equal(o->prefix, rows[i].prefix);
    assert_int_equal(o->code, rows[i].code);
    assert_int_equal(o->imm, rows[i].imm);
    assert_int_equal(o->size, rows[i].size);
  }
}

static void test_prefixes_and_code_ranges(void **state) {
  (void)state;
  for (unsigned i = 0; i < NROWS; i++) {
    const row *r = &rows[i];
    switch (r->prefix) {
    case 0x00:
      assert_true(r->code < 0xfb || r->code > 0xfd); /* not a prefix byte */
      assert_true(r->code <= 0xff);
      break;
    case 0xfb: assert_true(r->code < 32); break;    /* map_fb */
    case 0xfc: assert_true(r->code < 32); break;    /* map_fc */
    case 0xfd: assert_true(r->code < 0x140); break; /* map_fd */
    default: fail_msg("%s: bad prefix %#x", r->text, r->prefix);
    }
  }
}

static void test_no_duplicate_codes(void **state) {
  (void)state;
  for (unsigned i = 0; i < NROWS; i++)
    for (unsigned j = i + 1; j < NROWS; j++)
      if (rows[i].prefix == rows[j].prefix && rows[i].code == rows[j].code)
        fail_msg("%s and %s share %#x %#x", rows[i].text, rows[j].text,
                 rows[i].prefix, (unsigned)rows[i].code);
}

static void test_counts(void **state) {
  (void)state;
  unsigned single = 0, fb = 0, fc = 0, simd = 0, relaxed = 0;
  for (unsigned i = 0; i < NROWS; i++) {
    switch (rows[i].prefix) {
    case 0x00: single++; break;
    case 0xfb: fb++; break;
    case 0xfc: fc++; break;
    case 0xfd:
      if (rows[i].code < 0x100)
        simd++;
      else
        relaxed++;
      break;
    }
  }
  /* Wasm 3.0 (5.3-binary.instructions.spectec): 194 one-byte opcodes
   * (else and end included), 31 GC (0xfb 0..30), 18 misc (0xfc 0..17),
   * 236 fixed-width SIMD, 20 relaxed SIMD. */
  assert_int_equal(single, 194);
  assert_int_equal(fb, 31);
  assert_int_equal(fc, 18);
  assert_int_equal(simd, 236);
  assert_int_equal(relaxed, 20);
  assert_int_equal(NROWS, 194 + 31 + 18 + 236 + 20);
}

/* 0xfb and 0xfc are dense; the 0xfd range 0..0x113 has exactly these 20
 * holes, all below 0x100. */
static void test_simd_holes(void **state) {
  (void)state;
  static const uint32_t holes[] = {0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2,
                                   0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf,
                                   0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee};
  for (uint32_t c = 0; c < 0x140; c++) {
    int hole = c > 0x113;
    for (unsigned k = 0; k < sizeof holes / sizeof holes[0]; k++)
      hole |= holes[k] == c;
    if (hole != (find_row(0xfd, c) == NULL))
      fail_msg("0xfd %#x: expected %s", (unsigned)c, hole ? "no row" : "a row");
  }
  for (uint32_t c = 0; c < 32; c++) {
    assert_true((find_row(0xfb, c) != NULL) == (c <= 30));
    assert_true((find_row(0xfc, c) != NULL) == (c <= 17));
  }
}

/* The 0xfd rows are written in sub-opcode order. */
static void test_simd_rows_sorted(void **state) {
  (void)state;
  int last = -1;
  for (unsigned i = 0; i < NROWS; i++) {
    if (rows[i].prefix != 0xfd)
      continue;
    assert_true((int)rows[i].code > last);
    last = (int)rows[i].code;
  }
  assert_int_equal(last, 0x113);
}

/* ------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

static int shared_pair(const row *a, const row *b) {
  static const char *const pairs[][2] = {
      {"SELECT", "SELECT_T"},
      {"REF_TEST", "REF_TEST_NULL"},
      {"REF_CAST", "REF_CAST_NULL"},
  };
  for (unsigned k = 0; k < 3; k++)
    if (!strcmp(a->ident, pairs[k][0]) && !strcmp(b->ident, pairs[k][1]))
      return 1;
  return 0;
}

static void test_mnemonics_unique(void **state) {
  (void)state;
  unsigned shared = 0;
  for (unsigned i = 0; i < NROWS; i++)
    for (unsigned j = i + 1; j < NROWS; j++)
      if (!strcmp(rows[i].text, rows[j].text)) {
        if (!shared_pair(&rows[i], &rows[j]))
          fail_msg("mnemonic %s used by %s and %s", rows[i].text,
                   rows[i].ident, rows[j].ident);
        shared++;
      }
  assert_int_equal(shared, 3);
}

/* NAME is the mnemonic upper-cased with '.' -> '_' (three exceptions); the
 * mnemonic is lower case, digits, '_' and at most one '.'. */
static void test_enum_names(void **state) {
  (void)state;
  for (unsigned i = 0; i < NROWS; i++) {
    const row *r = &rows[i];
    char want[64];
    size_t n = strlen(r->text);
    assert_true(n > 0 && n < sizeof want);
    unsigned dots = 0;
    for (size_t k = 0; k <= n; k++) {
      char c = r->text[k];
      if (c == '.')
        dots++;
      else if (c)
        assert_true((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      want[k] = c == '.' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    assert_true(dots <= 1);
    if (!strcmp(r->ident, "SELECT_T") || !strcmp(r->ident, "REF_TEST_NULL") ||
        !strcmp(r->ident, "REF_CAST_NULL"))
      continue;
    if (strcmp(r->ident, want))
      fail_msg("row %s has mnemonic %s", r->ident, r->text);
  }
}

/* ------------------------------------------------------------------------
 * Immediates, sizes, signatures
 * ---------------------------------------------------------------------- */

static void test_memory_sizes(void **state) {
  (void)state;
  for (unsigned i = 0; i < NROWS; i++) {
    const row *r = &rows[i];
    if (r->imm == FE_IMM_MEMARG || r->imm == FE_IMM_MEMARG_LANE) {
      unsigned s = r->size;
      if (s != 1 && s != 2 && s != 4 && s != 8 && s != 16)
        fail_msg("%s: size %u", r->text, s);
      if (r->imm == FE_IMM_MEMARG_LANE)
        assert_true(s <= 8);
    } else if (r->size != 0) {
      fail_msg("%s: size %u without a memarg", r->text, r->size);
    }
  }
  assert_int_equal(rows[FE_OP_V128_LOAD].size, 16);
  assert_int_equal(rows[FE_OP_V128_STORE].size, 16);
  assert_int_equal(rows[FE_OP_V128_LOAD8X8_S].size, 8);
  assert_int_equal(rows[FE_OP_V128_LOAD8_SPLAT].size, 1);
  assert_int_equal(rows[FE_OP_V128_LOAD32_ZERO].size, 4);
  assert_int_equal(rows[FE_OP_V128_LOAD16_LANE].size, 2);
  assert_int_equal(rows[FE_OP_V128_STORE64_LANE].size, 8);
  assert_int_equal(rows[FE_OP_I64_LOAD32_U].size, 4);
  assert_int_equal(rows[FE_OP_I32_STORE8].size, 1);
}

static uint8_t sig_code(char c) {
  switch (c) {
  case 'i': return FE_I32;
  case 'I': return FE_I64;
  case 'f': return FE_F32;
  case 'F': return FE_F64;
  case 'v': return FE_V128;
  case 'a': return FE_SIG_ADDR;
  default: return 0;
  }
}

static void test_signatures_parse(void **state) {
  (void)state;
  for (unsigned i = 0; i < NROWS; i++) {
    const row *r = &rows[i];
    const fe_opinfo *o = fe_op_info((fe_opcode)i);
    if (!r->sig) {
      assert_int_equal(o->nparams, -1);
      assert_int_equal(o->nresults, -1);
      continue;
    }
    const char *gt = strchr(r->sig, '>');
    if (!gt)
      fail_msg("%s: signature \"%s\" has no '>'", r->text, r->sig);
    assert_null(strchr(gt + 1, '>'));
    size_t np = (size_t)(gt - r->sig), nr = strlen(gt + 1);
    assert_true(np <= sizeof o->params);
    assert_true(nr <= sizeof o->results);
    assert_int_equal(o->nparams, (int)np);
    assert_int_equal(o->nresults, (int)nr);
    int uses_addr = 0;
    for (size_t k = 0; k < np; k++) {
      uint8_t c = sig_code(r->sig[k]);
      if (!c)
        fail_msg("%s: bad letter '%c' in \"%s\"", r->text, r->sig[k], r->sig);
      assert_int_equal(o->params[k], c);
      uses_addr |= c == FE_SIG_ADDR;
    }
    for (size_t k = 0; k < nr; k++) {
      uint8_t c = sig_code(gt[1 + k]);
      if (!c)
        fail_msg("%s: bad letter '%c' in \"%s\"", r->text, gt[1 + k], r->sig);
      assert_int_equal(o->results[k], c);
      uses_addr |= c == FE_SIG_ADDR;
    }
    /* 'a' needs a memory immediate to take the address type from */
    if (uses_addr)
      assert_true(r->imm == FE_IMM_MEMARG || r->imm == FE_IMM_MEMARG_LANE ||
                  r->imm == FE_IMM_MEM);
    /* loads and stores are typed by the table */
    if (r->imm == FE_IMM_MEMARG || r->imm == FE_IMM_MEMARG_LANE)
      assert_true(uses_addr && o->params[0] == FE_SIG_ADDR);
  }
}

/* Every 0xfd row is typed by the table, and the v128-ness of its operands
 * follows from the kind of instruction. */
static void test_simd_signatures(void **state) {
  (void)state;
  static const struct {
    fe_opcode op;
    const char *sig;
  } spot[] = {
      {FE_OP_V128_LOAD, "a>v"},           {FE_OP_V128_STORE, "av>"},
      {FE_OP_V128_LOAD8_LANE, "av>v"},    {FE_OP_V128_STORE32_LANE, "av>"},
      {FE_OP_V128_CONST, ">v"},           {FE_OP_I8X16_SHUFFLE, "vv>v"},
      {FE_OP_I8X16_SPLAT, "i>v"},         {FE_OP_I64X2_SPLAT, "I>v"},
      {FE_OP_F32X4_SPLAT, "f>v"},         {FE_OP_F64X2_SPLAT, "F>v"},
      {FE_OP_I8X16_EXTRACT_LANE_S, "v>i"}, {FE_OP_I64X2_EXTRACT_LANE, "v>I"},
      {FE_OP_F32X4_EXTRACT_LANE, "v>f"},  {FE_OP_F64X2_EXTRACT_LANE, "v>F"},
      {FE_OP_I8X16_REPLACE_LANE, "vi>v"}, {FE_OP_I64X2_REPLACE_LANE, "vI>v"},
      {FE_OP_F32X4_REPLACE_LANE, "vf>v"}, {FE_OP_F64X2_REPLACE_LANE, "vF>v"},
      {FE_OP_V128_BITSELECT, "vvv>v"},    {FE_OP_V128_ANY_TRUE, "v>i"},
      {FE_OP_I64X2_SHR_U, "vi>v"},        {FE_OP_I32X4_BITMASK, "v>i"},
      {FE_OP_I16X8_ALL_TRUE, "v>i"},      {FE_OP_I32X4_ADD, "vv>v"},
      {FE_OP_F32X4_RELAXED_MADD, "vvv>v"},
      {FE_OP_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S, "vvv>v"},
      {FE_OP_I16X8_RELAXED_DOT_I8X16_I7X16_S, "vv>v"},
      {FE_OP_I64X2_RELAXED_LANESELECT, "vvv>v"},
  };
  for (unsigned k = 0; k < sizeof spot / sizeof spot[0]; k++) {
    assert_non_null(rows[spot[k].op].sig);
    assert_string_equal(rows[spot[k].op].sig, spot[k].sig);
  }
  for (unsigned i = 0; i < NROWS; i++) {
    const row *r = &rows[i];
    if (r->prefix != 0xfd)
      continue;
    assert_non_null(r->sig);
    const char *t = r->text;
    const char *s = r->sig;
    if (strstr(t, ".shl") || strstr(t, ".shr_"))
      assert_string_equal(s, "vi>v");
    else if (strstr(t, "all_true") || strstr(t, "any_true") || strstr(t, "bitmask"))
      assert_string_equal(s, "v>i");
    else if (strstr(t, "_lane") || strstr(t, "splat") || strstr(t, "load") ||
             strstr(t, "store") || strstr(t, "const"))
      continue; /* spot-checked above; the rest by the spec cross-check */
    else
      /* every other SIMD instruction maps vectors to one vector */
      assert_true(!strcmp(s, "v>v") || !strcmp(s, "vv>v") || !strcmp(s, "vvv>v"));
  }
}

static int has_shape_prefix(const char *t) {
  static const char *const shapes[] = {"i8x16.", "i16x8.", "i32x4.",
                                       "i64x2.", "f32x4.", "f64x2."};
  for (unsigned k = 0; k < 6; k++)
    if (!strncmp(t, shapes[k], strlen(shapes[k])))
      return 1;
  return 0;
}

static void test_simd_immediates(void **state) {
  (void)state;
  unsigned lane = 0, memarg_lane = 0, memarg = 0;
  for (unsigned i = 0; i < NROWS; i++) {
    const row *r = &rows[i];
    switch (r->imm) {
    case FE_IMM_LANE:
      assert_int_equal(r->prefix, 0xfd);
      assert_true(has_shape_prefix(r->text));
      assert_true(strstr(r->text, "extract_lane") || strstr(r->text, "replace_lane"));
      lane++;
      break;
    case FE_IMM_MEMARG_LANE:
      assert_int_equal(r->prefix, 0xfd);
      assert_true(!strncmp(r->text, "v128.", 5) && strstr(r->text, "_lane"));
      memarg_lane++;
      break;
    case FE_IMM_SHUFFLE:
      assert_int_equal(i, FE_OP_I8X16_SHUFFLE);
      break;
    case FE_IMM_V128:
      assert_int_equal(i, FE_OP_V128_CONST);
      break;
    case FE_IMM_MEMARG:
      if (r->prefix == 0xfd)
        memarg++;
      break;
    default:
      break;
    }
  }
  assert_int_equal(lane, 14);
  assert_int_equal(memarg_lane, 8);
  assert_int_equal(memarg, 14); /* 12 loads/store + 2 zero loads */
}

/* A few encodings written out from the spec, as a guard against a shifted
 * row. */
static void test_spot_codes(void **state) {
  (void)state;
  static const struct {
    const char *text;
    unsigned prefix;
    uint32_t code;
  } spot[] = {
      {"v128.load", 0xfd, 0x00},
      {"v128.store", 0xfd, 0x0b},
      {"v128.const", 0xfd, 0x0c},
      {"i8x16.shuffle", 0xfd, 0x0d},
      {"f64x2.replace_lane", 0xfd, 0x22},
      {"v128.any_true", 0xfd, 0x53},
      {"v128.load8_lane", 0xfd, 0x54},
      {"v128.store64_lane", 0xfd, 0x5b},
      {"v128.load64_zero", 0xfd, 0x5d},
      {"f32x4.demote_f64x2_zero", 0xfd, 0x5e},
      {"f64x2.promote_low_f32x4", 0xfd, 0x5f},
      {"f64x2.trunc", 0xfd, 0x7a},
      {"i16x8.q15mulr_sat_s", 0xfd, 0x82},
      {"f64x2.nearest", 0xfd, 0x94},
      {"i16x8.avgr_u", 0xfd, 0x9b},
      {"i32x4.dot_i16x8_s", 0xfd, 0xba},
      {"i64x2.eq", 0xfd, 0xd6},
      {"i64x2.ge_s", 0xfd, 0xdb},
      {"f32x4.pmax", 0xfd, 0xeb},
      {"f64x2.convert_low_i32x4_u", 0xfd, 0xff},
      {"i8x16.relaxed_swizzle", 0xfd, 0x100},
      {"i32x4.relaxed_trunc_f64x2_u_zero", 0xfd, 0x104},
      {"f64x2.relaxed_nmadd", 0xfd, 0x108},
      {"i64x2.relaxed_laneselect", 0xfd, 0x10c},
      {"f64x2.relaxed_max", 0xfd, 0x110},
      {"i16x8.relaxed_q15mulr_s", 0xfd, 0x111},
      {"i32x4.relaxed_dot_i8x16_i7x16_add_s", 0xfd, 0x113},
      {"throw_ref", 0x00, 0x0a},
      {"try_table", 0x00, 0x1f},
      {"return_call_ref", 0x00, 0x15},
      {"br_on_non_null", 0x00, 0xd6},
      {"i64.extend32_s", 0x00, 0xc4},
      {"array.init_elem", 0xfb, 0x13},
      {"i31.get_u", 0xfb, 0x1e},
      {"table.fill", 0xfc, 0x11},
  };
  for (unsigned k = 0; k < sizeof spot / sizeof spot[0]; k++) {
    int i = find_text(spot[k].text);
    if (i < 0)
      fail_msg("no row for %s", spot[k].text);
    assert_int_equal(rows[i].prefix, spot[k].prefix);
    assert_int_equal(rows[i].code, spot[k].code);
  }
}

/* ------------------------------------------------------------------------
 * Decoding
 * ---------------------------------------------------------------------- */

static void test_roundtrip(void **state) {
  (void)state;
  uint8_t buf[8];
  for (unsigned i = 0; i < NROWS; i++) {
    size_t n = encode(buf, &rows[i], 1);
    decoded d = decode(buf, n);
    if (!d.ok)
      fail_msg("%s: raised %d", rows[i].text, d.code);
    assert_int_equal(d.op, i);
    assert_int_equal(d.consumed, n);
  }
}

/* A u32 LEB128 may use any length up to 5 bytes. */
static void test_roundtrip_padded_leb(void **state) {
  (void)state;
  uint8_t buf[8];
  for (unsigned i = 0; i < NROWS; i++) {
    if (!rows[i].prefix)
      continue;
    for (size_t len = 2; len <= 5; len++) {
      size_t n = encode(buf, &rows[i], len);
      assert_int_equal(n, 1 + len);
      decoded d = decode(buf, n);
      if (!d.ok)
        fail_msg("%s (%zu-byte LEB): raised %d", rows[i].text, len, d.code);
      assert_int_equal(d.op, i);
      assert_int_equal(d.consumed, n);
    }
  }
}

/* Decoding stops after the opcode: immediates are left for the caller. */
static void test_leaves_immediates(void **state) {
  (void)state;
  const uint8_t lane[] = {0xfd, 0x15, 0x07, 0x0b};
  decoded d = decode(lane, sizeof lane);
  assert_true(d.ok);
  assert_int_equal(d.op, FE_OP_I8X16_EXTRACT_LANE_S);
  assert_int_equal(d.consumed, 2);
  const uint8_t relaxed[] = {0xfd, 0x93, 0x02, 0x0b}; /* 0x113 */
  d = decode(relaxed, sizeof relaxed);
  assert_true(d.ok);
  assert_int_equal(d.op, FE_OP_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S);
  assert_int_equal(d.consumed, 3);
}

static void expect_illegal(const uint8_t *buf, size_t n) {
  decoded d = decode_at(buf, n, 5);
  if (d.ok)
    fail_msg("%02x %02x: decoded as %s", buf[0], n > 1 ? buf[1] : 0,
             fe_op_info(d.op)->name);
  assert_int_equal(d.code, FE_E_ILLEGAL_OPCODE);
  assert_int_equal(d.offset, 5); /* the offset of the opcode's first byte */
}

static void test_illegal_opcodes(void **state) {
  (void)state;
  uint8_t buf[8];
  /* every unassigned one-byte opcode */
  for (unsigned b = 0; b < 256; b++) {
    if ((b >= 0xfb && b <= 0xfd) || find_row(0, b))
      continue;
    buf[0] = (uint8_t)b;
    expect_illegal(buf, 1);
  }
  /* every unassigned sub-opcode below the map limits, and beyond them */
  static const struct {
    unsigned prefix;
    uint32_t limit;
  } pre[] = {{0xfb, 32}, {0xfc, 32}, {0xfd, 0x140}};
  for (unsigned k = 0; k < 3; k++) {
    for (uint32_t c = 0; c < pre[k].limit + 8; c++) {
      if (find_row(pre[k].prefix, c))
        continue;
      row r = {"", "", pre[k].prefix, c, FE_IMM_NONE, NULL, 0};
      expect_illegal(buf, encode(buf, &r, 1));
    }
    row big = {"", "", pre[k].prefix, UINT32_MAX, FE_IMM_NONE, NULL, 0};
    expect_illegal(buf, encode(buf, &big, 1));
  }
  /* named cases: a SIMD hole, legacy exception handling, wide arithmetic */
  const uint8_t simd_hole[] = {0xfd, 0x9a, 0x01};
  expect_illegal(simd_hole, sizeof simd_hole);
  const uint8_t after_relaxed[] = {0xfd, 0x94, 0x02}; /* 0x114 */
  expect_illegal(after_relaxed, sizeof after_relaxed);
  const uint8_t legacy_try[] = {0x06};
  expect_illegal(legacy_try, 1);
  const uint8_t prefix_ff[] = {0xff, 0x00};
  expect_illegal(prefix_ff, sizeof prefix_ff);
  const uint8_t fc_19[] = {0xfc, 0x13};
  expect_illegal(fc_19, sizeof fc_19);
}

/* A prefix at the end of the input is an unexpected end, not an illegal
 * opcode. */
static void test_truncated(void **state) {
  (void)state;
  const uint8_t fd[] = {0xfd};
  decoded d = decode(fd, 1);
  assert_false(d.ok);
  assert_int_equal(d.code, FE_E_UNEXPECTED_END_SECTION);
  const uint8_t fd_cont[] = {0xfd, 0x80};
  d = decode(fd_cont, 2);
  assert_false(d.ok);
  assert_int_equal(d.code, FE_E_UNEXPECTED_END_SECTION);
  d = decode(fd, 0);
  assert_false(d.ok);
  assert_int_equal(d.code, FE_E_UNEXPECTED_END_SECTION);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_matches_rows),
      cmocka_unit_test(test_prefixes_and_code_ranges),
      cmocka_unit_test(test_no_duplicate_codes),
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_simd_holes),
      cmocka_unit_test(test_simd_rows_sorted),
      cmocka_unit_test(test_mnemonics_unique),
      cmocka_unit_test(test_enum_names),
      cmocka_unit_test(test_memory_sizes),
      cmocka_unit_test(test_signatures_parse),
      cmocka_unit_test(test_simd_signatures),
      cmocka_unit_test(test_simd_immediates),
      cmocka_unit_test(test_spot_codes),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_roundtrip_padded_leb),
      cmocka_unit_test(test_leaves_immediates),
      cmocka_unit_test(test_illegal_opcodes),
      cmocka_unit_test(test_truncated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
