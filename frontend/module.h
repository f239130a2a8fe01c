/* frontend/module.h — the module description: what decoding a module yields.
 *
 * A validated module, independent of LLVM and of the VM.  Everything in it
 * lives in the module's arena and is immutable after fe_module_new returns,
 * so a module can be shared by threads.  Code bodies and constant
 * expressions are kept as byte ranges of the module's own copy of the
 * binary: they are validated here and lowered later by jit/, which re-reads
 * them with reader.h and the opcode table (opcode.h).
 *
 * Index spaces (functions, tables, memories, globals, tags) hold imports
 * first, then definitions, as in the spec.  Type indices in a module are
 * module-relative; each type also carries its canonical id in the engine's
 * type registry (types.h), which is what compares across modules.
 */
#ifndef KILN_FRONTEND_MODULE_H
#define KILN_FRONTEND_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"

/* ------------------------------------------------------------------------
 * Value types
 *
 * A value type is a 64-bit word so that types compare with ==:
 *   bits  0..7   code: the binary encoding of the type constructor
 *                (FE_I32 ... FE_V128, FE_REF; FE_I8/FE_I16 for packed
 *                storage types; FE_BOT for the validator's unknown type)
 *   bit   8      nullable (references only)
 *   bits  9..10  how to read the heap type: FE_HT_ABSTRACT (bits 32..63 hold
 *                the abstract heap type's binary code, e.g. FE_HT_FUNC),
 *                FE_HT_MODULE (a module type index), FE_HT_CANON (a canonical
 *                id in the type registry) or FE_HT_REC (an index relative to
 *                the start of the rec group being canonicalized)
 *   bits 32..63  heap type value
 * Non-reference types have all bits above 7 zero.
 * ---------------------------------------------------------------------- */
typedef uint64_t fe_valtype;

enum {
  FE_BOT = 0x00, /* validator only: the type of an unreachable operand */
  FE_I32 = 0x7f,
  FE_I64 = 0x7e,
  FE_F32 = 0x7d,
  FE_F64 = 0x7c,
  FE_V128 = 0x7b,
  FE_I8 = 0x78,  /* packed storage type */
  FE_I16 = 0x77, /* packed storage type */
  FE_REF = 0x64,
};

/* Abstract heap types, by their binary code. */
enum {
  FE_HT_NOEXN = 0x74,
  FE_HT_NOFUNC = 0x73,
  FE_HT_NOEXTERN = 0x72,
  FE_HT_NONE = 0x71,
  FE_HT_FUNC = 0x70,
  FE_HT_EXTERN = 0x6f,
  FE_HT_ANY = 0x6e,
  FE_HT_EQ = 0x6d,
  FE_HT_I31 = 0x6c,
  FE_HT_STRUCT = 0x6b,
  FE_HT_ARRAY = 0x6a,
  FE_HT_EXN = 0x69,
};

/* How bits 32..63 of a reference type are to be read. */
enum {
  FE_HT_ABSTRACT = 0,
  FE_HT_MODULE = 1,
  FE_HT_CANON = 2,
  FE_HT_REC = 3,
};

#define FE_VT_CODE(t) ((uint8_t)((t) & 0xff))
#define FE_VT_NULLABLE(t) ((bool)(((t) >> 8) & 1))
#define FE_VT_HTKIND(t) ((unsigned)(((t) >> 9) & 3))
#define FE_VT_HEAP(t) ((uint32_t)((t) >> 32))
#define FE_VT_IS_REF(t) (FE_VT_CODE(t) == FE_REF)

static inline fe_valtype fe_vt_num(uint8_t code) { return code; }
static inline fe_valtype fe_vt_ref(bool nullable, unsigned htkind, uint32_t heap) {
  return (fe_valtype)FE_REF | ((fe_valtype)nullable << 8) |
         ((fe_valtype)htkind << 9) | ((fe_valtype)heap << 32);
}
static inline fe_valtype fe_vt_absref(bool nullable, uint8_t ht) {
  return fe_vt_ref(nullable, FE_HT_ABSTRACT, ht);
}
/* The same reference type with the given nullability. */
static inline fe_valtype fe_vt_with_null(fe_valtype t, bool nullable) {
  return (t & ~((fe_valtype)1 << 8)) | ((fe_valtype)nullable << 8);
}

#define FE_FUNCREF fe_vt_absref(true, FE_HT_FUNC)
#define FE_EXTERNREF fe_vt_absref(true, FE_HT_EXTERN)
#define FE_EXNREF fe_vt_absref(true, FE_HT_EXN)

/* Writes the text form of t ("i32", "(ref null 3)", "funcref") into buf. */
const char *fe_valtype_str(fe_valtype t, char *buf, size_t size);
/* Defaultable: numeric, vector, or a nullable reference. */
static inline bool fe_vt_defaultable(fe_valtype t) {
  return !FE_VT_IS_REF(t) || FE_VT_NULLABLE(t);
}
/* Unpacked value type of a storage type (i8/i16 -> i32). */
static inline fe_valtype fe_unpacked(fe_valtype t) {
  return (FE_VT_CODE(t) == FE_I8 || FE_VT_CODE(t) == FE_I16) ? FE_I32 : t;
}

/* ------------------------------------------------------------------------
 * Implementation limits
 *
 * Far above what real modules use (the JS API's limits are lower still),
 * low enough that arrays sized from them stay in the tens of megabytes.
 * Exceeding one raises FE_E_TOO_MANY.  Decoding applies them (decode.c),
 * and so does loading a saved description (serial.c): the VM sizes its
 * structures by them (vm/layout.c keeps a vmctx below 4 GiB).
 * ---------------------------------------------------------------------- */
enum {
  FE_MAX_TYPES = 1000000,
  FE_MAX_FIELDS = 1000000,  /* fields of a struct type */
  FE_MAX_FUNC_VALUES = 1000, /* params, and results, of a function type (the JS
                             API's limit, which V8 and Wasmtime apply): the
                             validator's work per call grows with them */
  FE_MAX_IMPORTS = 1000000,
  FE_MAX_FUNCS = 1000000,
  FE_MAX_TABLES = 100000,
  FE_MAX_MEMS = 100000,
  FE_MAX_TAGS = 100000,
  FE_MAX_GLOBALS = 1000000,
  FE_MAX_EXPORTS = 1000000,
  FE_MAX_ELEM_SEGS = 1000000,
  FE_MAX_ELEMS = 1000000,   /* elements of one segment */
  FE_MAX_DATA_SEGS = 1000000,
  FE_MAX_CUSTOMS = 1000000,
};

/* Largest memory in pages: 2^16 pages of 64 KiB for 32-bit addresses,
 * 2^48 for 64-bit ones (2^64 bytes). */
#define FE_MAX_PAGES32 ((uint64_t)1 << 16)
#define FE_MAX_PAGES64 ((uint64_t)1 << 48)

/* ------------------------------------------------------------------------
 * Types (the type section): rec groups of sub types of composite types
 * ---------------------------------------------------------------------- */
enum {
  FE_COMP_FUNC = 0x60,
  FE_COMP_STRUCT = 0x5f,
  FE_COMP_ARRAY = 0x5e,
};

#define FE_NO_INDEX UINT32_MAX

typedef struct fe_type {
  uint8_t kind;       /* FE_COMP_* */
  bool final;
  uint32_t super;     /* declared supertype (index in the same space as the
                         type's own) or FE_NO_INDEX */
  uint32_t rec_start; /* index of the first type of its rec group */
  uint32_t rec_size;  /* number of types in the rec group */
  uint32_t nparams;   /* func: number of params (results follow them) */
  uint32_t n;         /* func: params + results; struct: fields; array: 1 */
  fe_valtype *vt;     /* n value/storage types */
  uint8_t *mut;       /* struct/array: n mutability flags; func: NULL */
  uint32_t canon;     /* canonical id in the engine's type registry */
} fe_type;

static inline uint32_t fe_func_nresults(const fe_type *t) { return t->n - t->nparams; }
static inline const fe_valtype *fe_func_params(const fe_type *t) { return t->vt; }
static inline const fe_valtype *fe_func_results(const fe_type *t) { return t->vt + t->nparams; }

/* ------------------------------------------------------------------------
 * Entities
 * ---------------------------------------------------------------------- */
typedef struct fe_name {
  const char *str; /* points into the module's bytes; not NUL-terminated */
  uint32_t len;
} fe_name;

/* A constant expression or code range: [off, off+len) of the module bytes.
 * For a constant expression the range ends with (and includes) `end`. */
typedef struct fe_span {
  uint32_t off, len;
} fe_span;

typedef struct fe_limits {
  uint64_t min, max;
  bool has_max;
  bool is64;   /* 64-bit addresses / indices (memory64, table64) */
  bool shared; /* memories only (threads; decoded, rejected as unsupported) */
} fe_limits;

typedef struct fe_table {
  fe_valtype elem;
  fe_limits lim;
  bool has_init;  /* table initializer expression (3.0) */
  fe_span init;
} fe_table;

typedef struct fe_memory {
  fe_limits lim;
} fe_memory;

typedef struct fe_global {
  fe_valtype type;
  bool mut;
  fe_span init; /* len 0 for imports */
} fe_global;

typedef struct fe_tag {
  uint32_t type; /* index of a function type with no results */
} fe_tag;

typedef struct fe_func {
  uint32_t type;      /* type index of a function type */
  fe_span body;       /* definitions: the body after its size (locals + code) */
  uint32_t nlocals;   /* declared locals, not counting params */
  fe_valtype *locals; /* the declared locals (set by validation) */
  fe_span code;       /* the instruction sequence after the local declarations,
                         ending with its final `end` */
} fe_func;

enum {
  FE_EXT_FUNC = 0,
  FE_EXT_TABLE = 1,
  FE_EXT_MEMORY = 2,
  FE_EXT_GLOBAL = 3,
  FE_EXT_TAG = 4,
};

typedef struct fe_import {
  fe_name module, name;
  uint8_t kind;   /* FE_EXT_* */
  uint32_t index; /* index in the kind's index space */
} fe_import;

typedef struct fe_export {
  fe_name name;
  uint8_t kind;
  uint32_t index;
} fe_export;

enum {
  FE_SEG_ACTIVE = 0,
  FE_SEG_PASSIVE = 1,
  FE_SEG_DECLARATIVE = 2,
};

typedef struct fe_elem {
  uint8_t mode;      /* FE_SEG_* */
  uint32_t table;    /* active only */
  fe_span offset;    /* active only */
  fe_valtype type;   /* element reference type */
  uint32_t count;
  uint32_t *funcs;   /* count function indices, when the segment uses the
                        funcidx encoding; NULL otherwise */
  fe_span *exprs;    /* count constant expressions, otherwise NULL */
} fe_elem;

typedef struct fe_data {
  uint8_t mode;     /* FE_SEG_ACTIVE or FE_SEG_PASSIVE */
  uint32_t memory;  /* active only */
  fe_span offset;   /* active only */
  fe_span bytes;    /* the initialization bytes */
} fe_data;

typedef struct fe_custom {
  fe_name name;
  fe_span content;
} fe_custom;

/* ------------------------------------------------------------------------
 * The module
 * ---------------------------------------------------------------------- */
typedef struct fe_typereg fe_typereg;

typedef struct fe_module {
  fe_arena arena;
  uint8_t *bytes; /* the module's own copy of the binary */
  size_t size;

  fe_typereg *reg; /* the engine's type registry the types are interned in */
  fe_type *types;
  uint32_t ntypes;

  fe_import *imports;
  uint32_t nimports;

  fe_func *funcs;
  uint32_t nfuncs, nfunc_imports;
  fe_table *tables;
  uint32_t ntables, ntable_imports;
  fe_memory *mems;
  uint32_t nmems, nmem_imports;
  fe_global *globals;
  uint32_t nglobals, nglobal_imports;
  fe_tag *tags;
  uint32_t ntags, ntag_imports;

  fe_export *exports;
  uint32_t nexports;

  bool has_start;
  uint32_t start;

  fe_elem *elems;
  uint32_t nelems;
  fe_data *datas;
  uint32_t ndatas;
  bool has_datacount;
  uint32_t datacount;

  /* C.refs of the spec: functions referenced outside function bodies, which
   * ref.func inside bodies may name.  One bit per function. */
  uint8_t *declared_funcs;

  fe_custom *customs;
  uint32_t ncustoms;
  /* From the "name" section when present and well-formed: per-function
   * names (str NULL when absent).  Malformed name sections are ignored. */
  fe_name *func_names;

  /* The sum of the defined functions' body sizes (kiln_module_get_info). */
  uint64_t code_bytes;
  /* Loaded from a saved description (serial.h): no function bodies, custom
   * sections, function names or declared-function set; code is compiled
   * already. */
  bool bodies_dropped;
} fe_module;

/* Decodes and validates a module.  `bytes` is copied.  On failure returns
 * NULL and fills *err (code, offset, section, function, detail).  The type
 * registry must outlive the module. */
fe_module *fe_module_new(fe_typereg *reg, const uint8_t *bytes, size_t size,
                         fe_error *err);
void fe_module_free(fe_module *m);

static inline bool fe_func_declared(const fe_module *m, uint32_t f) {
  return (m->declared_funcs[f >> 3] >> (f & 7)) & 1;
}

/* Type of a function by function index. */
static inline const fe_type *fe_func_type(const fe_module *m, uint32_t f) {
  return &m->types[m->funcs[f].type];
}

#endif
