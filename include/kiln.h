/* include/kiln.h — Kiln's extensions to the standard WebAssembly C API.
 *
 * wasm.h is the standard API; this header adds what the standard lacks:
 * validation that says why a module is rejected (section, offset, function,
 * reason), a summary of a module's contents, version information about
 * libkiln and about its compiler, and the parts of Wasm 3.0 that the
 * standard's types cannot express: v128 and typed (GC, function, exception)
 * reference types, 64-bit limits (memory64, table64) and tag types.
 *
 * The compiler (LLVM) lives in a separate shared object that libkiln loads on
 * first need; libkiln itself never links LLVM.  Everything here except
 * kiln_compiler_info works without the compiler.
 *
 * Like wasm.h, this header declares only what libkiln implements: config,
 * cache, GC-object and further statistics extensions arrive with their
 * issues; externref boxes and GC heap statistics are here.
 * docs/api.md describes the whole surface.
 */
#ifndef KILN_H
#define KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Versions
 * ---------------------------------------------------------------------- */

/* The version of libkiln, e.g. "0.1.0".  A static string. */
WASM_API_EXTERN const char *kiln_version(void);

/* ------------------------------------------------------------------------
 * Diagnostics: why a module was rejected
 * ---------------------------------------------------------------------- */

typedef enum kiln_diag_kind {
  KILN_DIAG_OK = 0,      /* the module is valid */
  KILN_DIAG_MALFORMED,   /* the bytes do not decode (spec: assert_malformed) */
  KILN_DIAG_INVALID,     /* they decode but do not validate (assert_invalid) */
  KILN_DIAG_UNSUPPORTED, /* valid perhaps, but beyond a limit of Kiln
                            (implementation limits, out of memory) */
} kiln_diag_kind_t;

/* Pseudo section ids of kiln_diagnostic_t.section_id; real sections use
 * their binary id (0 custom ... 13 tag). */
#define KILN_SECTION_HEADER 0xfe /* the magic number and version */
#define KILN_SECTION_NONE 0xff   /* no section (e.g. the module is valid) */

/* No function: the error is outside any code body. */
#define KILN_NO_FUNC UINT32_MAX

typedef struct kiln_diagnostic {
  kiln_diag_kind_t kind;
  size_t offset;       /* byte offset of the error in the module binary */
  uint8_t section_id;  /* binary section id, or KILN_SECTION_* */
  const char *section; /* static string naming it, e.g. "code section";
                          "" when the module is valid */
  uint32_t func_index; /* function index (imports count) or KILN_NO_FUNC */
  char message[256];   /* the spec's wording, then the specifics, e.g.
                          "type mismatch: expected i32, found i64";
                          "" when the module is valid */
} kiln_diagnostic_t;

/* Decodes and validates a binary module, without keeping it.  Its types are
 * interned into the engine's type registry (they stay there until the engine
 * is deleted).  Returns true if the module is valid.  If diag is not NULL it
 * is filled either way: kind KILN_DIAG_OK on success, else where and why the
 * module was rejected.  Safe to call from several threads on one engine. */
WASM_API_EXTERN bool kiln_module_validate_ex(wasm_engine_t *engine,
                                             const uint8_t *bytes, size_t size,
                                             kiln_diagnostic_t *diag);

/* Writes a diagnostic as one line of text, without a newline:
 *   "<kind>: <message> at offset 0x<hex> (<section>[, function <n>])"
 * where <kind> is "malformed module", "invalid module" or "unsupported
 * module"; a KILN_DIAG_OK diagnostic reads "ok".  diag must have been filled
 * by Kiln.  Like snprintf, writes at most size bytes including the final NUL
 * and returns the length of the whole text, so a result >= size means the
 * text was truncated.  buf may be NULL when size is 0. */
WASM_API_EXTERN size_t kiln_diagnostic_format(const kiln_diagnostic_t *diag,
                                              char *buf, size_t size);

/* ------------------------------------------------------------------------
 * The text format
 * ---------------------------------------------------------------------- */

/* Where and why a text module could not be parsed. */
typedef struct kiln_text_error {
  uint32_t line, column; /* 1-based; 0 when there is no position */
  char message[200];     /* names what was expected, e.g. "expected a value
                            type, found `i33`" */
} kiln_text_error_t;

/* Converts a module in the WebAssembly text format — one `(module ...)`
 * form, or bare module fields — into the binary format (Wasmtime's
 * wasmtime_wat2wasm is the model; wasm.h has no such call).  On success
 * returns true and fills *out, to be freed with wasm_byte_vec_delete; on a
 * syntax error returns false and, if err is not NULL, says where and why.
 * The binary is not validated here: wasm_module_new,
 * wasm_module_validate and kiln_module_validate_ex do that (their
 * diagnostics then give binary offsets).  Does not need an engine. */
WASM_API_EXTERN bool kiln_wat2wasm(const char *text, size_t len, wasm_byte_vec_t *out,
                                   kiln_text_error_t *err);

/* ------------------------------------------------------------------------
 * Module summary
 * ---------------------------------------------------------------------- */

typedef struct kiln_module_info {
  uint32_t types;             /* entries of the type section (all rec groups) */
  uint32_t imports;
  uint32_t functions;         /* the function index space: imports included */
  uint32_t defined_functions; /* functions with a body in the code section */
  uint32_t tables;            /* index spaces, imports included */
  uint32_t memories;
  uint32_t globals;
  uint32_t tags;
  uint32_t exports;
  uint32_t elem_segments;
  uint32_t data_segments;
  size_t code_bytes;          /* total size of the function bodies */
} kiln_module_info_t;

/* kiln_module_validate_ex, and on success also fills *info (if not NULL)
 * with the module's counts.  On failure *info is zeroed. */
WASM_API_EXTERN bool kiln_module_inspect(wasm_engine_t *engine,
                                         const uint8_t *bytes, size_t size,
                                         kiln_module_info_t *info,
                                         kiln_diagnostic_t *diag);

/* ------------------------------------------------------------------------
 * Value types beyond the standard's
 *
 * Inside Kiln a value type keeps everything Wasm 3.0 says about it; the
 * standard's wasm_valtype_kind shows what fits its kinds and these
 * functions show the rest.
 *
 * Kinds: wasm_valtype_kind returns one of the standard's kinds when the
 * type is exactly that type (WASM_EXTERNREF is (ref null extern),
 * WASM_FUNCREF is (ref null func)), KILN_V128 for v128, and KILN_REF for
 * every other reference type: non-nullable references, other abstract heap
 * types (any, eq, i31, struct, array, exn, the bottom types) and concrete
 * (defined) types.  wasm_valkind_is_ref is true for KILN_REF, and
 * wasm_valkind_is_num is true for KILN_V128 (it is not a reference).
 * ---------------------------------------------------------------------- */

enum kiln_valkind_enum {
  KILN_V128 = 4,  /* wasm_valtype_new(KILN_V128) makes a v128 type */
  KILN_REF = 130, /* any other reference type: kiln_valtype_new_ref */
};

/* A heap type: an abstract heap type, named by its binary code, or a
 * concrete one, named by a type id. */
typedef uint8_t kiln_heapkind_t;
enum kiln_heapkind_enum {
  KILN_HEAP_CONCRETE = 0, /* a defined type: kiln_heaptype_t.type_id */
  KILN_HEAP_EXN = 0x69,
  KILN_HEAP_ARRAY = 0x6a,
  KILN_HEAP_STRUCT = 0x6b,
  KILN_HEAP_I31 = 0x6c,
  KILN_HEAP_EQ = 0x6d,
  KILN_HEAP_ANY = 0x6e,
  KILN_HEAP_EXTERN = 0x6f,
  KILN_HEAP_FUNC = 0x70,
  KILN_HEAP_NONE = 0x71,
  KILN_HEAP_NOEXTERN = 0x72,
  KILN_HEAP_NOFUNC = 0x73,
  KILN_HEAP_NOEXN = 0x74,
};

/* No type id: the heap type is abstract, or a function type was built by
 * the embedder rather than read from a module. */
#define KILN_NO_TYPE UINT32_MAX

/* Type ids are the canonical ids of the engine's type registry: two
 * defined types of the same engine are the same type (iso-recursively
 * equal, in the same position of equal rec groups) if and only if their ids
 * are equal, whichever modules they come from.  An id means nothing to
 * another engine, and a value type does not keep its engine alive. */
typedef struct kiln_heaptype_t {
  kiln_heapkind_t kind;
  uint32_t type_id; /* KILN_HEAP_CONCRETE: the type's id; else KILN_NO_TYPE */
} kiln_heaptype_t;

static inline kiln_heaptype_t kiln_heaptype_abstract(kiln_heapkind_t kind) {
  kiln_heaptype_t h = {kind, KILN_NO_TYPE};
  return h;
}
static inline kiln_heaptype_t kiln_heaptype_concrete(uint32_t type_id) {
  kiln_heaptype_t h = {KILN_HEAP_CONCRETE, type_id};
  return h;
}

/* (ref null? heap).  NULL if the heap kind is unknown, a concrete heap
 * type has the id KILN_NO_TYPE, or memory is exhausted.  A concrete id is
 * not checked against any engine (types belong to none). */
WASM_API_EXTERN own wasm_valtype_t *kiln_valtype_new_ref(bool nullable,
                                                         kiln_heaptype_t heap);

WASM_API_EXTERN bool kiln_valtype_is_v128(const wasm_valtype_t *);

/* Whether a reference type admits null; false for non-references. */
WASM_API_EXTERN bool kiln_valtype_is_nullable(const wasm_valtype_t *);

/* The heap type of a reference type into *out; false (and *out untouched)
 * for non-references. */
WASM_API_EXTERN bool kiln_valtype_heaptype(const wasm_valtype_t *,
                                           kiln_heaptype_t *out);

/* Whether two value types are the same type (concrete heap types compare
 * by id, so both must come from one engine). */
WASM_API_EXTERN bool kiln_valtype_equal(const wasm_valtype_t *,
                                        const wasm_valtype_t *);

/* Writes the text form of a value type: "i32", "v128", "funcref",
 * "(ref any)", "(ref null canon#3)" for a concrete type (its id).  Like
 * snprintf, writes at most size bytes including the final NUL and returns
 * the length of the whole text; buf may be NULL when size is 0. */
WASM_API_EXTERN size_t kiln_valtype_format(const wasm_valtype_t *, char *buf,
                                           size_t size);

/* The type id of a function type read from a module (its import, export or
 * tag type), which is how Wasm 3.0 tells apart function types with equal
 * parameters and results in different rec groups or with different
 * supertypes; KILN_NO_TYPE for a function type built with
 * wasm_functype_new.  Copies keep it. */
WASM_API_EXTERN uint32_t kiln_functype_type_id(const wasm_functype_t *);

/* ------------------------------------------------------------------------
 * 64-bit limits: memory64 and table64
 *
 * The standard's wasm_limits_t has 32-bit fields and no address type.
 * Every memory and table type also has these limits, which are exact; the
 * standard view (wasm_memorytype_limits, wasm_tabletype_limits) is derived
 * from them, saturating values above 0xffffffff and showing a missing
 * maximum as wasm_limits_max_default.
 * ---------------------------------------------------------------------- */

typedef struct kiln_limits64_t {
  uint64_t min;
  uint64_t max; /* meaningful only if has_max; 0 otherwise */
  bool has_max;
  bool is64;    /* i64 addresses (memory64) or indices (table64) */
} kiln_limits64_t;

/* NULL if limits is NULL or memory is exhausted.  Like the standard's
 * constructors, the limits are not checked (min <= max, the 2^16 or 2^48
 * page bounds): that happens when a memory is created. */
WASM_API_EXTERN own wasm_memorytype_t *kiln_memorytype_new64(
    const kiln_limits64_t *limits);
WASM_API_EXTERN const kiln_limits64_t *kiln_memorytype_limits64(
    const wasm_memorytype_t *);

/* Takes ownership of the element type, on failure too; NULL as for
 * wasm_tabletype_new. */
WASM_API_EXTERN own wasm_tabletype_t *kiln_tabletype_new64(
    own wasm_valtype_t *element, const kiln_limits64_t *limits);
WASM_API_EXTERN const kiln_limits64_t *kiln_tabletype_limits64(
    const wasm_tabletype_t *);

/* ------------------------------------------------------------------------
 * Tag types (exception handling)
 *
 * A tag is a fifth kind of import and export, which the standard does not
 * know: its extern kind is KILN_EXTERN_TAG, and wasm_module_imports /
 * wasm_module_exports list tags with that kind.
 * ---------------------------------------------------------------------- */

enum kiln_externkind_enum {
  KILN_EXTERN_TAG = 4,
};

typedef struct kiln_tagtype_t kiln_tagtype_t;

/* A tag whose exceptions carry the parameters of `type`.  Takes ownership
 * of the function type, on failure too.  NULL if it is NULL, has results
 * (Wasm 3.0 requires none) or memory is exhausted. */
WASM_API_EXTERN own kiln_tagtype_t *kiln_tagtype_new(own wasm_functype_t *type);
WASM_API_EXTERN own kiln_tagtype_t *kiln_tagtype_copy(const kiln_tagtype_t *);
WASM_API_EXTERN void kiln_tagtype_delete(own kiln_tagtype_t *);

WASM_API_EXTERN const wasm_functype_t *kiln_tagtype_functype(
    const kiln_tagtype_t *);

WASM_API_EXTERN wasm_externtype_t *kiln_tagtype_as_externtype(
    kiln_tagtype_t *);
WASM_API_EXTERN const wasm_externtype_t *kiln_tagtype_as_externtype_const(
    const kiln_tagtype_t *);
WASM_API_EXTERN kiln_tagtype_t *kiln_externtype_as_tagtype(
    wasm_externtype_t *);
WASM_API_EXTERN const kiln_tagtype_t *kiln_externtype_as_tagtype_const(
    const wasm_externtype_t *);

/* ------------------------------------------------------------------------
 * Tags
 *
 * A tag object, the runtime side of a tag type: each instance makes one per
 * tag its module defines, and an instance that imports a tag links the
 * object it is given.  A tag's identity is the object (two instances of
 * one module have different tags); its type is fixed.  Like the standard's
 * runtime objects, the object belongs to the store (it lives as long as
 * the instance that made it, i.e. until the store is deleted), and a
 * kiln_tag_t is a handle on it, owned by the embedder.
 *
 * wasm_instance_exports gives a tag export as a wasm_extern_t of kind
 * KILN_EXTERN_TAG; wasm_extern_type, wasm_extern_copy, wasm_extern_same
 * and wasm_extern_delete work on it.  A tag import matches a tag of the
 * same store whose function type is the same type (equal type ids).
 * ---------------------------------------------------------------------- */

typedef struct kiln_tag_t kiln_tag_t;

WASM_API_EXTERN void kiln_tag_delete(own kiln_tag_t *);
/* A new handle on the same tag; NULL if NULL or out of memory. */
WASM_API_EXTERN own kiln_tag_t *kiln_tag_copy(const kiln_tag_t *);
/* Whether two handles are on the same tag object. */
WASM_API_EXTERN bool kiln_tag_same(const kiln_tag_t *, const kiln_tag_t *);

/* The tag's type, its function type carrying the type id; NULL when out
 * of memory. */
WASM_API_EXTERN own kiln_tagtype_t *kiln_tag_type(const kiln_tag_t *);

WASM_API_EXTERN wasm_extern_t *kiln_tag_as_extern(kiln_tag_t *);
WASM_API_EXTERN const wasm_extern_t *kiln_tag_as_extern_const(const kiln_tag_t *);
/* NULL unless the extern is a tag. */
WASM_API_EXTERN kiln_tag_t *kiln_extern_as_tag(wasm_extern_t *);
WASM_API_EXTERN const kiln_tag_t *kiln_extern_as_tag_const(const wasm_extern_t *);

/* ------------------------------------------------------------------------
 * Modules
 * ---------------------------------------------------------------------- */

/* wasm_module_new on an engine, saying why a module is rejected: on
 * failure returns NULL and, if diag is not NULL, fills it as
 * kiln_module_validate_ex does (kind KILN_DIAG_OK on success).  The module
 * may then be used with every store of the engine. */
WASM_API_EXTERN own wasm_module_t *kiln_module_new_ex(wasm_engine_t *engine,
                                                      const uint8_t *bytes,
                                                      size_t size,
                                                      kiln_diagnostic_t *diag);

/* Fills *info with the counts of a module, as kiln_module_inspect does. */
WASM_API_EXTERN void kiln_module_get_info(const wasm_module_t *,
                                          kiln_module_info_t *info);

/* ------------------------------------------------------------------------
 * The compiler
 * ---------------------------------------------------------------------- */

typedef struct kiln_compiler_info {
  bool available;          /* the compiler was loaded */
  char path[4096];         /* the shared object that was loaded */
  char llvm_version[32];   /* of the loaded LLVM library, e.g. "19.1.7" */
  char host_triple[128];   /* e.g. "x86_64-pc-linux-gnu" */
  char host_cpu[128];      /* e.g. "znver4" */
  char host_features[4096]; /* LLVM's list, e.g. "+avx2,-avx512f,..." */
  char error[1024];        /* why the compiler is unavailable; else "" */
} kiln_compiler_info_t;

/* Loads the compiler if it is not loaded yet and describes it and the host
 * it compiles for.  The compiler object (libkiln-jit.so) is looked for next
 * to libkiln (and in jit/ there), then at $KILN_JIT_PATH (the object or its
 * directory); docs/cli.md gives the details.  The search runs once per
 * process and its outcome is kept.  Returns info->available.  When the
 * compiler cannot be loaded, every string but `error` is empty and `error`
 * says why. */
WASM_API_EXTERN bool kiln_compiler_info(wasm_engine_t *engine,
                                        kiln_compiler_info_t *info);

/* ------------------------------------------------------------------------
 * Traps and configuration
 * ---------------------------------------------------------------------- */

/* What kind of trap a wasm_trap_t is (the standard only gives a message).
 * KILN_TRAP_HOST: made by wasm_trap_new, i.e. by the embedder — also when a
 * host callback returned it and it travelled through Wasm code. */
typedef enum kiln_trap_code {
  KILN_TRAP_HOST = 0,
  KILN_TRAP_UNREACHABLE,      /* "unreachable" */
  KILN_TRAP_MEMORY_OOB,       /* "out of bounds memory access" */
  KILN_TRAP_TABLE_OOB,        /* "out of bounds table access" */
  KILN_TRAP_UNDEFINED_ELEM,   /* "undefined element" */
  KILN_TRAP_INDIRECT_NULL,    /* "null function reference" */
  KILN_TRAP_INDIRECT_TYPE,    /* "indirect call type mismatch" */
  KILN_TRAP_INT_DIV_ZERO,     /* "integer divide by zero" */
  KILN_TRAP_INT_OVERFLOW,     /* "integer overflow" */
  KILN_TRAP_BAD_CONVERSION,   /* "invalid conversion to integer" */
  KILN_TRAP_STACK_OVERFLOW,   /* "call stack exhausted" */
  KILN_TRAP_UNINIT_ELEM,      /* "uninitialized element" */
  KILN_TRAP_NULL_REF,         /* "null reference" */
  KILN_TRAP_HEAP_EXHAUSTED,   /* a GC allocation failed: heap limit or memory */
  KILN_TRAP_NULL_STRUCT,      /* "null structure reference" */
  KILN_TRAP_NULL_ARRAY,       /* "null array reference" */
  KILN_TRAP_NULL_I31,         /* "null i31 reference" */
  KILN_TRAP_ARRAY_OOB,        /* "out of bounds array access" */
  KILN_TRAP_CAST,             /* "cast failure" */
  KILN_TRAP_LINK = 100,       /* wasm_instance_new: an import is missing or
                                 of the wrong type */
  KILN_TRAP_RESOURCE,         /* out of memory, the compiler unavailable or
                                 failing, a bad argument */
} kiln_trap_code_t;

WASM_API_EXTERN kiln_trap_code_t kiln_trap_code(const wasm_trap_t *);

/* The optimization level modules of engines made with this config are
 * compiled with, 0..3 (default 2; larger values mean 3). */
WASM_API_EXTERN void kiln_config_set_opt_level(wasm_config_t *, unsigned level);

/* Compile threads for the modules of an engine made with this config: 0 (the
 * default) is one per core.  A module's functions are split into partitions
 * of similar code size compiled in parallel; small modules stay whole. */
WASM_API_EXTERN void kiln_config_set_compile_threads(wasm_config_t *, unsigned threads);

/* The pooling allocator (docs/architecture.md "The pool").  With
 * instance_slots > 0, an engine made with this config keeps that many
 * instance slots, each with memories_per_instance memory slots (an 8 GiB
 * address-space reservation each, made once when the engine is created)
 * and tables_per_instance table slots (max_table_elements elements each).
 * Deleting a store returns its instances' slots; a slot keeps the last
 * module's memory image mapped copy-on-write, its table image and its vmctx,
 * so the next instance of that module resets only what the last one
 * dirtied.  An instantiation that cannot take a slot (every slot in use, or
 * the module needs more memories, tables, pages or elements than a slot
 * has) allocates on demand, as without a pool, unless `strict` is set:
 * then it fails with a KILN_TRAP_RESOURCE trap naming the limit.  Memories
 * in a slot grow at most to max_memory_pages and tables to
 * max_table_elements (memory.grow / table.grow return -1 beyond; the types
 * keep their declared maximums).  Zero fields take the
 * defaults: 1 memory and 1 table per instance, 65536 pages (4 GiB),
 * 10,000 elements.  `cfg` is copied; NULL turns pooling off.  The pool's
 * address space is reserved by wasm_engine_new_with_config, which returns
 * NULL if it cannot be (a limit on address space such as `ulimit -v`, or
 * more than 128 TiB: instance_slots x memories_per_instance x 8 GiB). */
typedef struct kiln_pooling_config_t {
  uint32_t instance_slots;
  uint32_t memories_per_instance;
  uint32_t tables_per_instance;
  uint64_t max_memory_pages;
  uint64_t max_table_elements;
  bool strict;
} kiln_pooling_config_t;

WASM_API_EXTERN void kiln_config_set_pooling(wasm_config_t *, const kiln_pooling_config_t *cfg);

/* The engine's pool: its size and what instantiations did.  All 0 for an
 * engine without a pool. */
typedef struct kiln_pool_stats_t {
  uint64_t slots;         /* instance slots */
  uint64_t slots_in_use;  /* held by live instances */
  uint64_t warm;          /* instantiations into a slot that last held the
                             same module (its images still mapped) */
  uint64_t cold;          /* instantiations into a slot set up anew */
  uint64_t fallbacks;     /* instantiations allocated on demand (pool full,
                             or the module does not fit a slot) */
  uint64_t refused;       /* strict pools: instantiations refused so */
} kiln_pool_stats_t;

WASM_API_EXTERN void kiln_engine_pool_stats(const wasm_engine_t *, kiln_pool_stats_t *out);

/* ---- the module cache and compiled artifacts (docs/cache.md) ----------
 *
 * With the cache on, creating a module (wasm_module_new,
 * kiln_module_new_ex) first looks for its compiled form in the cache
 * directory, keyed by a hash of the module's bytes and of everything the
 * code depends on (this build of Kiln, LLVM, the CPU, the compile options).
 * A hit loads the module without decoding, validating or compiling it, and
 * without loading LLVM; a miss decodes and validates as usual, and the
 * module's compilation (at its first instantiation or kiln_module_compile)
 * writes the entry.  A damaged or foreign entry is a miss (and is replaced);
 * a directory that cannot be read or written makes every lookup a miss:
 * the cache never makes module creation fail.  The cache directory must be
 * as trusted as the Kiln binary itself: its entries are machine code. */

/* Turns the cache on (off by default) for engines made with this config.
 * dir: the directory, created on first write (mode 0700); NULL: the default
 * (kiln_cache_default_dir).  The string is copied. */
WASM_API_EXTERN void kiln_config_set_cache(wasm_config_t *, bool on, const char *dir);

/* The cache's size bound in bytes (default 1 GiB; 0: the default): after a
 * write that takes the directory past it, the least recently used entries
 * are removed until it is at 90% of the bound. */
WASM_API_EXTERN void kiln_config_set_cache_limit(wasm_config_t *, uint64_t bytes);

/* The default cache directory: $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln,
 * else $HOME/.cache/kiln (the home directory from the password database
 * when $HOME is unset).  False if none can be found or it does not fit. */
WASM_API_EXTERN bool kiln_cache_default_dir(char *buf, size_t size);

/* What the engine's cache did (all 0 without a cache).  error: the last
 * failure to read, write or use an entry, or "" when there was none. */
typedef struct kiln_cache_stats_t {
  uint64_t hits;           /* modules loaded from the cache */
  uint64_t misses;         /* modules decoded and validated instead */
  uint64_t rejected;       /* entries found but unusable (damaged, another
                              key or build): counted as misses too */
  uint64_t writes;         /* entries written */
  uint64_t write_failures; /* entries that could not be written */
  uint64_t evictions;      /* entries removed to keep to the bound */
  char dir[4096];          /* the directory ("" without a cache) */
  char error[256];
} kiln_cache_stats_t;

WASM_API_EXTERN void kiln_engine_cache_stats(const wasm_engine_t *, kiln_cache_stats_t *out);

/* The entries of cache directory dir (NULL: the default): their number and
 * total size in bytes.  A missing directory holds none.  False with a
 * message in err when it cannot be read. */
WASM_API_EXTERN bool kiln_cache_usage(const char *dir, uint64_t *entries, uint64_t *bytes,
                                      char *err, size_t errlen);

/* Removes every entry (and stale temporary file) of cache directory dir
 * (NULL: the default); *removed counts them (may be NULL).  False with a
 * message in err when the directory cannot be read or an entry cannot be
 * removed. */
WASM_API_EXTERN bool kiln_cache_clear(const char *dir, uint64_t *removed, char *err,
                                      size_t errlen);

/* The first 8 bytes of a serialized module (wasm_module_serialize, `kiln
 * compile`, cache entries), which tell it from a WebAssembly binary. */
#define KILN_SERIALIZED_MAGIC "\x7fKILNMOD"

/* Serializes a module's compiled form (compiling it first if needed) into
 * the cache's format: wasm_module_serialize, with a diagnostic.  False with
 * the reason in *diag (may be NULL) when compilation fails. */
WASM_API_EXTERN bool kiln_module_serialize(wasm_module_t *, wasm_byte_vec_t *out,
                                           kiln_diagnostic_t *diag);

/* A module from serialized bytes (wasm_module_serialize, `kiln compile`):
 * wasm_module_deserialize, with a diagnostic naming what is wrong — not a
 * Kiln artifact, damaged, or made by another build of Kiln, another LLVM,
 * for another CPU feature set or with other compile options than engine's
 * (kind KILN_DIAG_MALFORMED). */
WASM_API_EXTERN own wasm_module_t *kiln_module_deserialize_ex(wasm_engine_t *,
                                                              const uint8_t *bytes, size_t size,
                                                              kiln_diagnostic_t *diag);

/* Compiles the module now, rather than at its first instantiation (which
 * otherwise does it, once; instances share the code).  Returns false with
 * the reason in *diag (kind KILN_DIAG_UNSUPPORTED) when the compiler cannot
 * be loaded or does not support an instruction of the module yet.  diag may
 * be NULL. */
WASM_API_EXTERN bool kiln_module_compile(wasm_module_t *module, kiln_diagnostic_t *diag);

/* ------------------------------------------------------------------------
 * Host references (externref) and the store's GC heap
 * ---------------------------------------------------------------------- */

/* A new externref: a box in the store's GC heap (created at this first GC
 * allocation) holding `data` and an optional finalizer, returned as a new
 * reference handle (kind WASM_EXTERNREF in a wasm_val_t).  While a handle
 * on it exists the box stays alive; once no handle, table, global or
 * element segment holds it, it is freed at the next reclamation point (the
 * return of the outermost wasm_func_call / wasm_instance_new, or
 * kiln_store_gc_collect) and its finalizer runs once, with `data`, outside
 * Wasm code; every finalizer still due runs when the store is deleted.  A
 * finalizer may free or inspect its data and use other stores, but must not
 * touch the store the box belongs to.  NULL when out of memory or the
 * heap's limit is reached. */
WASM_API_EXTERN own wasm_ref_t *kiln_externref_new(wasm_store_t *store, void *data,
                                                   void (*finalizer)(void *));

/* The data of an externref box made by kiln_externref_new (through any
 * handle on it, also one returned by Wasm); NULL for NULL and for a
 * reference that is not such a box (e.g. a funcref). */
WASM_API_EXTERN void *kiln_externref_data(const wasm_ref_t *ref);

/* Process-wide counters of what Kiln holds for instances, across every
 * engine and store: each object is counted from its creation until it is
 * freed (an instance, its memories and tables live until their store is
 * deleted).  For leak checks and for watching instantiation cost. */
typedef struct kiln_runtime_stats_t {
  uint64_t live_instances;
  uint64_t live_memories;
  uint64_t memory_reserved_bytes;  /* address space reserved for memories */
  uint64_t memory_committed_bytes; /* of which readable and writable */
  uint64_t live_tables;
  uint64_t table_bytes;            /* element arrays of the live tables */
} kiln_runtime_stats_t;

WASM_API_EXTERN void kiln_runtime_stats(kiln_runtime_stats_t *out);

/* Statistics of the store's GC heap (all 0 before its first allocation). */
typedef struct kiln_gc_stats_t {
  uint64_t live_objects;
  uint64_t live_bytes;         /* cell sizes of live objects */
  uint64_t allocations;        /* since the store was created */
  uint64_t frees;
  uint64_t pending_finalizers; /* queued, not yet run */
  uint64_t committed_bytes;
  uint64_t collections;        /* inside Wasm or kiln_store_gc_collect */
  uint64_t traces;             /* of which the backup tracer ran */
  uint64_t traced_frees;       /* objects only the tracer freed: cycles, or
                                  a count never dropped (in an acyclic
                                  program, a missing decrement) */
} kiln_gc_stats_t;

WASM_API_EXTERN void kiln_store_gc_stats(const wasm_store_t *store, kiln_gc_stats_t *out);

/* A full collection now: frees every object that nothing (handle, table,
 * global, segment, other live object, active Wasm frame) holds, cycles
 * included (the backup tracer), and runs the queued finalizers.  Called
 * from a host function while Wasm code of the store is active, it scans the
 * store's Wasm frames (and the host frames between them: a host holds
 * references only in handles, which are roots) and leaves the finalizers
 * to the return of the outermost call; if an active call of the store is on
 * another thread it frees nothing.  Returns the number of objects freed. */
WASM_API_EXTERN size_t kiln_store_gc_collect(wasm_store_t *store);

/* The GC heap of every store of an engine made with this config may grow
 * to `bytes` of object pages (rounded down to 64 KiB; 0, the default: the
 * maximum, 4 GiB - 64 KiB).  An allocation that would pass it — by Wasm
 * code or by kiln_externref_new — first collects (counting, then tracing);
 * if that frees too little, Wasm code traps (KILN_TRAP_HEAP_EXHAUSTED) and
 * kiln_externref_new returns NULL. */
WASM_API_EXTERN void kiln_config_set_gc_heap_limit(wasm_config_t *, uint64_t bytes);

/* Stress mode, for tests: every GC allocation of Wasm code first runs a
 * collection (the frames scanned, cycles traced), so a reference the
 * collector fails to see is freed at once, and freed cells are poisoned
 * (docs/gc.md). */
WASM_API_EXTERN void kiln_config_set_gc_stress(wasm_config_t *, bool on);

/* The heap verifier (for tests and debugging): recomputes every object's
 * reference count from the tables, globals and element segments of the
 * store and compares it with the stored count.  Returns the number of
 * problems (0: consistent) and describes the first in err (if n > 0). */
WASM_API_EXTERN size_t kiln_store_gc_verify(wasm_store_t *store, char *err, size_t n);

/* ------------------------------------------------------------------------
 * GC references (the GC proposal)
 *
 * A non-null reference of the any hierarchy handed out by Kiln (a call
 * result, wasm_global_get, wasm_table_get, a host function's argument) is
 * a wasm_ref_t, of kind KILN_REF in a wasm_val_t (WASM_EXTERNREF for an
 * externalized one: extern.convert_any and any.convert_extern keep the
 * reference); these tell what it refers to.  An externref box
 * (kiln_externref_new) passed where an anyref is expected is an any, but
 * not an eq.  Handles on structs and arrays keep them alive, as on boxes.
 * ---------------------------------------------------------------------- */
typedef uint8_t kiln_refkind_t;
enum kiln_refkind_enum {
  KILN_REFKIND_NULL = 0, /* NULL */
  KILN_REFKIND_FUNC,     /* a function (wasm_ref_as_func) */
  KILN_REFKIND_HOST,     /* an externref box (kiln_externref_new) */
  KILN_REFKIND_I31,
  KILN_REFKIND_STRUCT,
  KILN_REFKIND_ARRAY,
  KILN_REFKIND_EXN,      /* an exception (exnref): reserved, not produced
                            until exception handling is compiled */
};

WASM_API_EXTERN kiln_refkind_t kiln_ref_kind(const wasm_ref_t *ref);

/* A new i31 reference to the low 31 bits of value (no GC allocation).
 * NULL when out of memory. */
WASM_API_EXTERN own wasm_ref_t *kiln_ref_i31_new(wasm_store_t *store, uint32_t value);

/* The value of an i31 reference, zero-extended (as i31.get_u), into *out;
 * false (and *out untouched) for anything else. */
WASM_API_EXTERN bool kiln_ref_i31_get(const wasm_ref_t *ref, uint32_t *out);

/* The type id of a struct or array (the canonical id that
 * kiln_heaptype_t.type_id names); KILN_NO_TYPE for anything else. */
WASM_API_EXTERN uint32_t kiln_ref_type_id(const wasm_ref_t *ref);

/* Fields of a struct and elements of an array, from the host.  Values are
 * of the field's or element's type as Wasm sees it (a packed i8 / i16 reads
 * as a zero-extended i32 and is written from an i32's low bits); a
 * reference read is a new handle to delete; a reference written goes
 * through the write barrier, as a Wasm struct.set does, and must be of the
 * field's type and of the same store.  Each returns false, changing
 * nothing, when ref is not a struct (array), the field or index does not
 * exist or is out of bounds, a set targets an immutable field, or the value
 * is of the wrong type. */
WASM_API_EXTERN bool kiln_struct_get(const wasm_ref_t *ref, uint32_t field, wasm_val_t *out);
WASM_API_EXTERN bool kiln_struct_set(wasm_ref_t *ref, uint32_t field, const wasm_val_t *v);
WASM_API_EXTERN bool kiln_array_len(const wasm_ref_t *ref, uint32_t *out);
WASM_API_EXTERN bool kiln_array_get(const wasm_ref_t *ref, uint32_t index, wasm_val_t *out);
WASM_API_EXTERN bool kiln_array_set(wasm_ref_t *ref, uint32_t index, const wasm_val_t *v);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_H */
