/* include/kiln.h — Kiln's extensions to the standard WebAssembly C API.
 *
 * wasm.h is the standard API; this header adds what the standard lacks:
 * validation that says why a module is rejected (section, offset, function,
 * reason), a summary of a module's contents, and version information about
 * libkiln and about its compiler.
 *
 * The compiler (LLVM) lives in a separate shared object that libkiln loads on
 * first need; libkiln itself never links LLVM.  Everything here except
 * kiln_compiler_info works without the compiler.
 *
 * Like wasm.h, this header declares only what libkiln implements: config,
 * cache, GC, value and statistics extensions arrive with their issues.
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_H */
