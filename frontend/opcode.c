/* frontend/opcode.c — the opcode info table and the opcode decoder. */
#include "opcode.h"

#include "module.h"

/* Signature letters to value type codes, at compile time. */
#define SIGC(c)                                                                \
  ((c) == 'i' ? FE_I32 : (c) == 'I' ? FE_I64 : (c) == 'f' ? FE_F32           \
   : (c) == 'F' ? FE_F64 : (c) == 'v' ? FE_V128 : (c) == 'a' ? FE_SIG_ADDR : 0)

/* The info table is filled by a constructor from the .def rows; the
 * signature strings are parsed then (C cannot take a string literal apart
 * in a constant initializer). */
fe_opinfo fe_opinfo_table[FE_OP_COUNT_];

static const struct {
  const char *name;
  uint8_t prefix;
  uint32_t code;
  uint8_t imm;
  const char *sig;
  uint8_t size;
} rows[FE_OP_COUNT_] = {
#define OP(name, text, prefix, code, imm, sig, size)                          \
  {text, prefix, code, FE_IMM_##imm, sig, size},
#include "opcodes.def"
#include "opcodes_simd.def"
#undef OP
};

/* Decoder maps: opcode byte or sub-opcode -> fe_opcode + 1 (0 = illegal). */
enum { FD_MAX = 0x140 };
uint16_t fe_opmap_single[256];
static uint16_t map_fb[32];
static uint16_t map_fc[32];
static uint16_t map_fd[FD_MAX];
/* Runs before main (and before any dlopen'ed user of the library runs):
 * the table is immutable afterwards, so threads read it freely. */
__attribute__((constructor)) static void init_tables(void) {
  fe_opinfo *t = fe_opinfo_table;
  for (unsigned i = 0; i < FE_OP_COUNT_; i++) {
    fe_opinfo *o = &t[i];
    o->name = rows[i].name;
    o->prefix = rows[i].prefix;
    o->code = rows[i].code;
    o->imm = rows[i].imm;
    o->size = rows[i].size;
    o->nparams = o->nresults = -1;
    if (rows[i].sig) {
      const char *s = rows[i].sig;
      int n = 0;
      while (*s && *s != '>')
        o->params[n++] = (uint8_t)SIGC(*s), s++;
      o->nparams = (int8_t)n;
      if (*s == '>')
        s++;
      n = 0;
      while (*s)
        o->results[n++] = (uint8_t)SIGC(*s), s++;
      o->nresults = (int8_t)n;
    }
    uint16_t v = (uint16_t)(i + 1);
    switch (o->prefix) {
    case 0x00: fe_opmap_single[o->code] = v; break;
    case 0xfb: map_fb[o->code] = v; break;
    case 0xfc: map_fc[o->code] = v; break;
    case 0xfd: map_fd[o->code] = v; break;
    }
  }
}

fe_opcode fe_read_opcode_slow(fe_reader *r) {
  size_t at = fe_offset(r);
  uint8_t b = fe_read_u8(r);
  uint16_t v;
  uint32_t sub;
  switch (b) {
  case 0xfb:
    sub = fe_read_u32(r);
    v = sub < 32 ? map_fb[sub] : 0;
    break;
  case 0xfc:
    sub = fe_read_u32(r);
    v = sub < 32 ? map_fc[sub] : 0;
    break;
  case 0xfd:
    sub = fe_read_u32(r);
    v = sub < FD_MAX ? map_fd[sub] : 0;
    break;
  default:
    sub = b;
    v = fe_opmap_single[b];
    break;
  }
  if (!v) {
    if (b >= 0xfb && b <= 0xfd)
      fe_fail(r->ec, at, FE_E_ILLEGAL_OPCODE, "%02x %x", b, sub);
    fe_fail(r->ec, at, FE_E_ILLEGAL_OPCODE, "%02x", b);
  }
  return (fe_opcode)(v - 1);
}
