/* frontend/opcode.h — the instruction set: one enum, one info table, one
 * decoder for opcodes, all generated from opcodes.def and opcodes_simd.def.
 */
#ifndef KILN_FRONTEND_OPCODE_H
#define KILN_FRONTEND_OPCODE_H

#include <stdint.h>

#include "reader.h"

/* Immediate kinds: what follows the opcode in the binary. */
typedef enum fe_imm {
  FE_IMM_NONE,
  FE_IMM_BLOCK,         /* blocktype */
  FE_IMM_LABEL,         /* labelidx */
  FE_IMM_BR_TABLE,      /* vec(labelidx) labelidx */
  FE_IMM_FUNC,          /* funcidx */
  FE_IMM_CALL_INDIRECT, /* typeidx tableidx */
  FE_IMM_TYPE,          /* typeidx */
  FE_IMM_LOCAL,         /* localidx */
  FE_IMM_GLOBAL,        /* globalidx */
  FE_IMM_TABLE,         /* tableidx */
  FE_IMM_MEM,           /* memidx */
  FE_IMM_MEMARG,        /* memarg (align with memidx flag, [memidx], offset) */
  FE_IMM_I32,           /* s32 */
  FE_IMM_I64,           /* s64 */
  FE_IMM_F32,           /* 4 bytes */
  FE_IMM_F64,           /* 8 bytes */
  FE_IMM_V128,          /* 16 bytes */
  FE_IMM_SELECT_T,      /* vec(valtype) */
  FE_IMM_HEAPTYPE,      /* heaptype */
  FE_IMM_TYPE_FIELD,    /* typeidx fieldidx */
  FE_IMM_TYPE_U32,      /* typeidx u32 (array.new_fixed) */
  FE_IMM_TYPE_DATA,     /* typeidx dataidx */
  FE_IMM_TYPE_ELEM,     /* typeidx elemidx */
  FE_IMM_TYPE_TYPE,     /* typeidx typeidx (array.copy) */
  FE_IMM_BR_ON_CAST,    /* castflags labelidx heaptype heaptype */
  FE_IMM_MEM_INIT,      /* dataidx memidx */
  FE_IMM_DATA,          /* dataidx */
  FE_IMM_MEM_MEM,       /* memidx memidx */
  FE_IMM_TABLE_INIT,    /* elemidx tableidx */
  FE_IMM_ELEM,          /* elemidx */
  FE_IMM_TABLE_TABLE,   /* tableidx tableidx */
  FE_IMM_TAG,           /* tagidx */
  FE_IMM_TRY_TABLE,     /* blocktype vec(catch) */
  FE_IMM_LANE,          /* laneidx (one byte) */
  FE_IMM_MEMARG_LANE,   /* memarg laneidx */
  FE_IMM_SHUFFLE,       /* 16 laneidx bytes */
} fe_imm;

typedef enum fe_opcode {
#define OP(name, text, prefix, code, imm, sig, size) FE_OP_##name,
#include "opcodes.def"
#include "opcodes_simd.def"
#undef OP
  FE_OP_COUNT_
} fe_opcode;

/* Operand type letters of a table signature, decoded. */
enum { FE_SIG_ADDR = 1 }; /* 'a': the address type of the memory immediate */

typedef struct fe_opinfo {
  const char *name;  /* text mnemonic */
  uint8_t prefix;    /* 0 or prefix byte */
  uint32_t code;
  uint8_t imm;       /* fe_imm */
  uint8_t size;      /* memory access size in bytes, 0 if none */
  int8_t nparams;    /* -1: typed by hand in the validator */
  int8_t nresults;
  uint8_t params[4]; /* FE_I32.. FE_V128 codes, or FE_SIG_ADDR */
  uint8_t results[2];
} fe_opinfo;

extern fe_opinfo fe_opinfo_table[FE_OP_COUNT_]; /* read-only after startup */

static inline const fe_opinfo *fe_op_info(fe_opcode op) { return &fe_opinfo_table[op]; }

/* One-byte opcodes -> fe_opcode + 1 (0: illegal or a prefix). */
extern uint16_t fe_opmap_single[256];

/* The general case of fe_read_opcode: prefixes and errors. */
fe_opcode fe_read_opcode_slow(fe_reader *r);

/* Reads an opcode (with its prefix and u32 sub-opcode); raises
 * FE_E_ILLEGAL_OPCODE for an unknown one.  One-byte opcodes, most of any
 * code section, decode inline. */
static inline fe_opcode fe_read_opcode(fe_reader *r) {
  if (r->p < r->end) {
    uint16_t v = fe_opmap_single[*r->p];
    if (v) {
      r->p++;
      return (fe_opcode)(v - 1);
    }
  }
  return fe_read_opcode_slow(r);
}

#endif
