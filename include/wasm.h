/* include/wasm.h — the standard WebAssembly C API (WebAssembly/wasm-c-api).
 *
 * Names, types and signatures follow the published header exactly, so that
 * code written against another runtime's wasm.h compiles against Kiln's.
 *
 * This is a subset: it declares only what libkiln implements today, so that
 * every function declared here links.  Today that is vectors, configs,
 * engines, stores, the type representations (value, function, global,
 * table, memory, extern, import and export types) and modules (creation,
 * validation, imports, exports, sharing between threads), values,
 * function references, traps, functions, globals, tables, memories,
 * externs and instances.  Frames, foreign objects, host_info and the
 * module cache are not there yet.  Kiln's own extensions (v128 and typed references, 64-bit
 * limits, tag types, diagnostics) live in kiln.h; docs/api.md describes the
 * whole surface.
 *
 * Ownership follows the standard: `own` marks a pointer whose owner must
 * release it with the matching wasm_xxx_delete; an `own` parameter passes
 * ownership to the callee, an `own` result to the caller, and an `own`
 * parameter named `out` is a copy-back output that passes ownership to the
 * caller.  An own vector owns its data array and its elements.  Deleting
 * NULL (or an empty vector) does nothing.
 *
 * The standard generates its declarations with the macros WASM_DECLARE_OWN,
 * WASM_DECLARE_VEC and WASM_DECLARE_TYPE.  Kiln defines those macros (code
 * written for the standard may use them) but writes every declaration below
 * out in full, so that each name can be found with grep.
 */
#ifndef WASM_H
#define WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* libkiln is built with hidden visibility; this macro exports the API.  An
 * embedder may predefine it (e.g. to nothing when linking statically). */
#ifndef WASM_API_EXTERN
#if defined(__GNUC__) || defined(__clang__)
#define WASM_API_EXTERN __attribute__((visibility("default")))
#else
#define WASM_API_EXTERN
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Auxiliaries
 * ---------------------------------------------------------------------- */

/* Machine types. */
typedef char byte_t;
typedef float float32_t;
typedef double float64_t;

/* The ownership annotation: documentation only, it expands to nothing. */
#define own

/* The standard's declaration macros (see the comment at the top). */
#define WASM_DECLARE_OWN(name)                          \
  typedef struct wasm_##name##_t wasm_##name##_t;       \
  WASM_API_EXTERN void wasm_##name##_delete(own wasm_##name##_t *);

/* The vector type wasm_NAME_vec_t (size + data) and its five functions.
 * ptr_or_none is `*` for vectors of owned pointers and empty for vectors of
 * plain values. */
#define WASM_DECLARE_VEC(name, ptr_or_none)                                 \
  typedef struct wasm_##name##_vec_t {                                      \
    size_t size;                                                            \
    wasm_##name##_t ptr_or_none *data;                                      \
  } wasm_##name##_vec_t;                                                    \
  WASM_API_EXTERN void wasm_##name##_vec_new_empty(                         \
      own wasm_##name##_vec_t *out);                                        \
  WASM_API_EXTERN void wasm_##name##_vec_new_uninitialized(                 \
      own wasm_##name##_vec_t *out, size_t);                                \
  WASM_API_EXTERN void wasm_##name##_vec_new(                               \
      own wasm_##name##_vec_t *out, size_t,                                 \
      own wasm_##name##_t ptr_or_none const[]);                             \
  WASM_API_EXTERN void wasm_##name##_vec_copy(                              \
      own wasm_##name##_vec_t *out, const wasm_##name##_vec_t *);           \
  WASM_API_EXTERN void wasm_##name##_vec_delete(own wasm_##name##_vec_t *);

/* An owned type with a vector type and a copy function. */
#define WASM_DECLARE_TYPE(name)                                             \
  WASM_DECLARE_OWN(name)                                                    \
  WASM_DECLARE_VEC(name, *)                                                 \
  WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_copy(                  \
      const wasm_##name##_t *);

/* Vectors.  Every wasm_NAME_vec_t has the five functions below, shown here
 * for bytes:
 *   new_empty          size 0, data NULL
 *   new_uninitialized  `size` elements; for vectors of pointers they are
 *                      NULL, so deleting a partly filled vector is safe
 *   new                takes ownership of the `size` elements of the array
 *                      (the pointers are moved, not the objects copied)
 *   copy               a deep copy: every element is copied
 *   delete             deletes every element, then the array
 * A vector whose allocation failed is empty (size 0, data NULL): the
 * standard has no other way to report it. */
typedef byte_t wasm_byte_t;
typedef struct wasm_byte_vec_t {
  size_t size;
  wasm_byte_t *data;
} wasm_byte_vec_t;
WASM_API_EXTERN void wasm_byte_vec_new_empty(own wasm_byte_vec_t *out);
WASM_API_EXTERN void wasm_byte_vec_new_uninitialized(own wasm_byte_vec_t *out,
                                                     size_t);
WASM_API_EXTERN void wasm_byte_vec_new(own wasm_byte_vec_t *out, size_t,
                                       own wasm_byte_t const[]);
WASM_API_EXTERN void wasm_byte_vec_copy(own wasm_byte_vec_t *out,
                                        const wasm_byte_vec_t *);
WASM_API_EXTERN void wasm_byte_vec_delete(own wasm_byte_vec_t *);

/* Names are byte vectors (UTF-8, not NUL-terminated). */
typedef wasm_byte_vec_t wasm_name_t;

#define wasm_name wasm_byte_vec
#define wasm_name_new wasm_byte_vec_new
#define wasm_name_new_empty wasm_byte_vec_new_empty
#define wasm_name_new_uninitialized wasm_byte_vec_new_uninitialized
#define wasm_name_copy wasm_byte_vec_copy
#define wasm_name_delete wasm_byte_vec_delete

/* A name holding the characters of s, without the terminating NUL. */
static inline void wasm_name_new_from_string(own wasm_name_t *out,
                                             const char *s) {
  wasm_name_new(out, strlen(s), s);
}

/* A name holding the characters of s and the terminating NUL. */
static inline void wasm_name_new_from_string_nt(own wasm_name_t *out,
                                                const char *s) {
  wasm_name_new(out, strlen(s) + 1, s);
}

/* ------------------------------------------------------------------------
 * Runtime environment
 * ---------------------------------------------------------------------- */

/* Configuration.  Kiln's settings are set through kiln.h. */
typedef struct wasm_config_t wasm_config_t;
WASM_API_EXTERN void wasm_config_delete(own wasm_config_t *);

WASM_API_EXTERN own wasm_config_t *wasm_config_new(void);

/* Engine: owns the configuration, the engine-wide type registry and the
 * compiler.  Thread-safe.  Deleted after every store and module made with
 * it (docs/api.md). */
typedef struct wasm_engine_t wasm_engine_t;
WASM_API_EXTERN void wasm_engine_delete(own wasm_engine_t *);

WASM_API_EXTERN own wasm_engine_t *wasm_engine_new(void);
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new_with_config(
    own wasm_config_t *);

/* Store: the unit of isolation an embedder creates per task.  Used by one
 * thread at a time; deleted before its engine. */
typedef struct wasm_store_t wasm_store_t;
WASM_API_EXTERN void wasm_store_delete(own wasm_store_t *);

WASM_API_EXTERN own wasm_store_t *wasm_store_new(wasm_engine_t *);

/* ------------------------------------------------------------------------
 * Type representations
 *
 * Types are plain values owned by the embedder: they belong to no engine or
 * store, and any thread may use them (one thread at a time per object).
 * Every type has new (or the module's imports/exports), copy (deep) and
 * delete, and a vector type.
 * ---------------------------------------------------------------------- */

/* Type attributes. */
typedef uint8_t wasm_mutability_t;
enum wasm_mutability_enum {
  WASM_CONST,
  WASM_VAR,
};

/* Limits in pages (memories) or elements (tables).  max ==
 * wasm_limits_max_default means "no maximum".  Limits beyond 32 bits
 * (memory64, table64) are read and written through kiln.h's
 * kiln_limits64_t; this view saturates at 0xffffffff. */
typedef struct wasm_limits_t {
  uint32_t min;
  uint32_t max;
} wasm_limits_t;

static const uint32_t wasm_limits_max_default = 0xffffffff;

/* Value types. */
typedef struct wasm_valtype_t wasm_valtype_t;
WASM_API_EXTERN void wasm_valtype_delete(own wasm_valtype_t *);
typedef struct wasm_valtype_vec_t {
  size_t size;
  wasm_valtype_t **data;
} wasm_valtype_vec_t;
WASM_API_EXTERN void wasm_valtype_vec_new_empty(own wasm_valtype_vec_t *out);
WASM_API_EXTERN void wasm_valtype_vec_new_uninitialized(
    own wasm_valtype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_valtype_vec_new(own wasm_valtype_vec_t *out, size_t,
                                          own wasm_valtype_t *const[]);
WASM_API_EXTERN void wasm_valtype_vec_copy(own wasm_valtype_vec_t *out,
                                           const wasm_valtype_vec_t *);
WASM_API_EXTERN void wasm_valtype_vec_delete(own wasm_valtype_vec_t *);
WASM_API_EXTERN own wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *);

/* The standard's kinds.  WASM_EXTERNREF is exactly (ref null extern) and
 * WASM_FUNCREF exactly (ref null func).  Kiln adds KILN_V128 and KILN_REF
 * (every other reference type) in kiln.h. */
typedef uint8_t wasm_valkind_t;
enum wasm_valkind_enum {
  WASM_I32,
  WASM_I64,
  WASM_F32,
  WASM_F64,
  WASM_EXTERNREF = 128,
  WASM_FUNCREF,
};

/* NULL for a kind that names no single type (KILN_REF: use
 * kiln_valtype_new_ref) or an unknown kind. */
WASM_API_EXTERN own wasm_valtype_t *wasm_valtype_new(wasm_valkind_t);

WASM_API_EXTERN wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *);

static inline bool wasm_valkind_is_num(wasm_valkind_t k) {
  return k < WASM_EXTERNREF;
}
static inline bool wasm_valkind_is_ref(wasm_valkind_t k) {
  return k >= WASM_EXTERNREF;
}

static inline bool wasm_valtype_is_num(const wasm_valtype_t *t) {
  return wasm_valkind_is_num(wasm_valtype_kind(t));
}
static inline bool wasm_valtype_is_ref(const wasm_valtype_t *t) {
  return wasm_valkind_is_ref(wasm_valtype_kind(t));
}

/* Function types. */
typedef struct wasm_functype_t wasm_functype_t;
WASM_API_EXTERN void wasm_functype_delete(own wasm_functype_t *);
typedef struct wasm_functype_vec_t {
  size_t size;
  wasm_functype_t **data;
} wasm_functype_vec_t;
WASM_API_EXTERN void wasm_functype_vec_new_empty(own wasm_functype_vec_t *out);
WASM_API_EXTERN void wasm_functype_vec_new_uninitialized(
    own wasm_functype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_functype_vec_new(own wasm_functype_vec_t *out,
                                           size_t,
                                           own wasm_functype_t *const[]);
WASM_API_EXTERN void wasm_functype_vec_copy(own wasm_functype_vec_t *out,
                                            const wasm_functype_vec_t *);
WASM_API_EXTERN void wasm_functype_vec_delete(own wasm_functype_vec_t *);
WASM_API_EXTERN own wasm_functype_t *wasm_functype_copy(
    const wasm_functype_t *);

/* Takes ownership of both vectors (their contents are moved into the
 * function type and *params, *results are left empty), on failure too.
 * NULL if a vector holds a NULL element or memory is exhausted. */
WASM_API_EXTERN own wasm_functype_t *wasm_functype_new(
    own wasm_valtype_vec_t *params, own wasm_valtype_vec_t *results);

WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_params(
    const wasm_functype_t *);
WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_results(
    const wasm_functype_t *);

/* Global types. */
typedef struct wasm_globaltype_t wasm_globaltype_t;
WASM_API_EXTERN void wasm_globaltype_delete(own wasm_globaltype_t *);
typedef struct wasm_globaltype_vec_t {
  size_t size;
  wasm_globaltype_t **data;
} wasm_globaltype_vec_t;
WASM_API_EXTERN void wasm_globaltype_vec_new_empty(
    own wasm_globaltype_vec_t *out);
WASM_API_EXTERN void wasm_globaltype_vec_new_uninitialized(
    own wasm_globaltype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_globaltype_vec_new(own wasm_globaltype_vec_t *out,
                                             size_t,
                                             own wasm_globaltype_t *const[]);
WASM_API_EXTERN void wasm_globaltype_vec_copy(own wasm_globaltype_vec_t *out,
                                              const wasm_globaltype_vec_t *);
WASM_API_EXTERN void wasm_globaltype_vec_delete(own wasm_globaltype_vec_t *);
WASM_API_EXTERN own wasm_globaltype_t *wasm_globaltype_copy(
    const wasm_globaltype_t *);

/* Takes ownership of the content type, on failure too.  NULL if it is
 * NULL, the mutability is neither WASM_CONST nor WASM_VAR, or memory is
 * exhausted. */
WASM_API_EXTERN own wasm_globaltype_t *wasm_globaltype_new(
    own wasm_valtype_t *, wasm_mutability_t);

WASM_API_EXTERN const wasm_valtype_t *wasm_globaltype_content(
    const wasm_globaltype_t *);
WASM_API_EXTERN wasm_mutability_t wasm_globaltype_mutability(
    const wasm_globaltype_t *);

/* Table types. */
typedef struct wasm_tabletype_t wasm_tabletype_t;
WASM_API_EXTERN void wasm_tabletype_delete(own wasm_tabletype_t *);
typedef struct wasm_tabletype_vec_t {
  size_t size;
  wasm_tabletype_t **data;
} wasm_tabletype_vec_t;
WASM_API_EXTERN void wasm_tabletype_vec_new_empty(
    own wasm_tabletype_vec_t *out);
WASM_API_EXTERN void wasm_tabletype_vec_new_uninitialized(
    own wasm_tabletype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_tabletype_vec_new(own wasm_tabletype_vec_t *out,
                                            size_t,
                                            own wasm_tabletype_t *const[]);
WASM_API_EXTERN void wasm_tabletype_vec_copy(own wasm_tabletype_vec_t *out,
                                             const wasm_tabletype_vec_t *);
WASM_API_EXTERN void wasm_tabletype_vec_delete(own wasm_tabletype_vec_t *);
WASM_API_EXTERN own wasm_tabletype_t *wasm_tabletype_copy(
    const wasm_tabletype_t *);

/* Takes ownership of the element type, on failure too.  NULL if it is not
 * a reference type, the limits are NULL or memory is exhausted.  The table
 * has 32-bit indices (kiln_tabletype_new64 makes a table64). */
WASM_API_EXTERN own wasm_tabletype_t *wasm_tabletype_new(
    own wasm_valtype_t *, const wasm_limits_t *);

WASM_API_EXTERN const wasm_valtype_t *wasm_tabletype_element(
    const wasm_tabletype_t *);
WASM_API_EXTERN const wasm_limits_t *wasm_tabletype_limits(
    const wasm_tabletype_t *);

/* Memory types. */
typedef struct wasm_memorytype_t wasm_memorytype_t;
WASM_API_EXTERN void wasm_memorytype_delete(own wasm_memorytype_t *);
typedef struct wasm_memorytype_vec_t {
  size_t size;
  wasm_memorytype_t **data;
} wasm_memorytype_vec_t;
WASM_API_EXTERN void wasm_memorytype_vec_new_empty(
    own wasm_memorytype_vec_t *out);
WASM_API_EXTERN void wasm_memorytype_vec_new_uninitialized(
    own wasm_memorytype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_memorytype_vec_new(own wasm_memorytype_vec_t *out,
                                             size_t,
                                             own wasm_memorytype_t *const[]);
WASM_API_EXTERN void wasm_memorytype_vec_copy(own wasm_memorytype_vec_t *out,
                                              const wasm_memorytype_vec_t *);
WASM_API_EXTERN void wasm_memorytype_vec_delete(own wasm_memorytype_vec_t *);
WASM_API_EXTERN own wasm_memorytype_t *wasm_memorytype_copy(
    const wasm_memorytype_t *);

/* A 32-bit memory (kiln_memorytype_new64 makes a memory64).  NULL if the
 * limits are NULL or memory is exhausted. */
WASM_API_EXTERN own wasm_memorytype_t *wasm_memorytype_new(
    const wasm_limits_t *);

WASM_API_EXTERN const wasm_limits_t *wasm_memorytype_limits(
    const wasm_memorytype_t *);

/* Extern types: the common view of function, global, table and memory
 * types (and Kiln's tag types, kiln.h).  The as_ conversions return the
 * same object viewed as the other type, not a copy; converting an extern
 * type to the wrong kind gives NULL. */
typedef struct wasm_externtype_t wasm_externtype_t;
WASM_API_EXTERN void wasm_externtype_delete(own wasm_externtype_t *);
typedef struct wasm_externtype_vec_t {
  size_t size;
  wasm_externtype_t **data;
} wasm_externtype_vec_t;
WASM_API_EXTERN void wasm_externtype_vec_new_empty(
    own wasm_externtype_vec_t *out);
WASM_API_EXTERN void wasm_externtype_vec_new_uninitialized(
    own wasm_externtype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_externtype_vec_new(own wasm_externtype_vec_t *out,
                                             size_t,
                                             own wasm_externtype_t *const[]);
WASM_API_EXTERN void wasm_externtype_vec_copy(own wasm_externtype_vec_t *out,
                                              const wasm_externtype_vec_t *);
WASM_API_EXTERN void wasm_externtype_vec_delete(own wasm_externtype_vec_t *);
WASM_API_EXTERN own wasm_externtype_t *wasm_externtype_copy(
    const wasm_externtype_t *);

/* Kiln adds KILN_EXTERN_TAG (kiln.h). */
typedef uint8_t wasm_externkind_t;
enum wasm_externkind_enum {
  WASM_EXTERN_FUNC,
  WASM_EXTERN_GLOBAL,
  WASM_EXTERN_TABLE,
  WASM_EXTERN_MEMORY,
};

WASM_API_EXTERN wasm_externkind_t wasm_externtype_kind(
    const wasm_externtype_t *);

WASM_API_EXTERN wasm_externtype_t *wasm_functype_as_externtype(
    wasm_functype_t *);
WASM_API_EXTERN wasm_externtype_t *wasm_globaltype_as_externtype(
    wasm_globaltype_t *);
WASM_API_EXTERN wasm_externtype_t *wasm_tabletype_as_externtype(
    wasm_tabletype_t *);
WASM_API_EXTERN wasm_externtype_t *wasm_memorytype_as_externtype(
    wasm_memorytype_t *);

WASM_API_EXTERN wasm_functype_t *wasm_externtype_as_functype(
    wasm_externtype_t *);
WASM_API_EXTERN wasm_globaltype_t *wasm_externtype_as_globaltype(
    wasm_externtype_t *);
WASM_API_EXTERN wasm_tabletype_t *wasm_externtype_as_tabletype(
    wasm_externtype_t *);
WASM_API_EXTERN wasm_memorytype_t *wasm_externtype_as_memorytype(
    wasm_externtype_t *);

WASM_API_EXTERN const wasm_externtype_t *wasm_functype_as_externtype_const(
    const wasm_functype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_globaltype_as_externtype_const(
    const wasm_globaltype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_tabletype_as_externtype_const(
    const wasm_tabletype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_memorytype_as_externtype_const(
    const wasm_memorytype_t *);

WASM_API_EXTERN const wasm_functype_t *wasm_externtype_as_functype_const(
    const wasm_externtype_t *);
WASM_API_EXTERN const wasm_globaltype_t *wasm_externtype_as_globaltype_const(
    const wasm_externtype_t *);
WASM_API_EXTERN const wasm_tabletype_t *wasm_externtype_as_tabletype_const(
    const wasm_externtype_t *);
WASM_API_EXTERN const wasm_memorytype_t *wasm_externtype_as_memorytype_const(
    const wasm_externtype_t *);

/* Import types. */
typedef struct wasm_importtype_t wasm_importtype_t;
WASM_API_EXTERN void wasm_importtype_delete(own wasm_importtype_t *);
typedef struct wasm_importtype_vec_t {
  size_t size;
  wasm_importtype_t **data;
} wasm_importtype_vec_t;
WASM_API_EXTERN void wasm_importtype_vec_new_empty(
    own wasm_importtype_vec_t *out);
WASM_API_EXTERN void wasm_importtype_vec_new_uninitialized(
    own wasm_importtype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_importtype_vec_new(own wasm_importtype_vec_t *out,
                                             size_t,
                                             own wasm_importtype_t *const[]);
WASM_API_EXTERN void wasm_importtype_vec_copy(own wasm_importtype_vec_t *out,
                                              const wasm_importtype_vec_t *);
WASM_API_EXTERN void wasm_importtype_vec_delete(own wasm_importtype_vec_t *);
WASM_API_EXTERN own wasm_importtype_t *wasm_importtype_copy(
    const wasm_importtype_t *);

/* Takes ownership of the two names (moved; *module and *name are left
 * empty) and of the type, on failure too.  NULL if an argument is NULL or
 * memory is exhausted. */
WASM_API_EXTERN own wasm_importtype_t *wasm_importtype_new(
    own wasm_name_t *module, own wasm_name_t *name, own wasm_externtype_t *);

WASM_API_EXTERN const wasm_name_t *wasm_importtype_module(
    const wasm_importtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_importtype_name(
    const wasm_importtype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_importtype_type(
    const wasm_importtype_t *);

/* Export types. */
typedef struct wasm_exporttype_t wasm_exporttype_t;
WASM_API_EXTERN void wasm_exporttype_delete(own wasm_exporttype_t *);
typedef struct wasm_exporttype_vec_t {
  size_t size;
  wasm_exporttype_t **data;
} wasm_exporttype_vec_t;
WASM_API_EXTERN void wasm_exporttype_vec_new_empty(
    own wasm_exporttype_vec_t *out);
WASM_API_EXTERN void wasm_exporttype_vec_new_uninitialized(
    own wasm_exporttype_vec_t *out, size_t);
WASM_API_EXTERN void wasm_exporttype_vec_new(own wasm_exporttype_vec_t *out,
                                             size_t,
                                             own wasm_exporttype_t *const[]);
WASM_API_EXTERN void wasm_exporttype_vec_copy(own wasm_exporttype_vec_t *out,
                                              const wasm_exporttype_vec_t *);
WASM_API_EXTERN void wasm_exporttype_vec_delete(own wasm_exporttype_vec_t *);
WASM_API_EXTERN own wasm_exporttype_t *wasm_exporttype_copy(
    const wasm_exporttype_t *);

/* Takes ownership of the name (moved; *name is left empty) and of the
 * type, on failure too.  NULL if an argument is NULL or memory is
 * exhausted. */
WASM_API_EXTERN own wasm_exporttype_t *wasm_exporttype_new(
    own wasm_name_t *, own wasm_externtype_t *);

WASM_API_EXTERN const wasm_name_t *wasm_exporttype_name(
    const wasm_exporttype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_exporttype_type(
    const wasm_exporttype_t *);

/* ------------------------------------------------------------------------
 * Modules
 *
 * A module is decoded and validated once and is then immutable.  It belongs
 * to the engine of the store it was made with: it may be used with any
 * store of that engine, from any thread.  A wasm_module_t is a handle on
 * it; copy, share and obtain make more handles on the same module, which
 * lives until its last handle is deleted.  Every handle must be deleted
 * before the engine (docs/api.md).
 * ---------------------------------------------------------------------- */

typedef struct wasm_module_t wasm_module_t;
WASM_API_EXTERN void wasm_module_delete(own wasm_module_t *);
/* A new handle on the same module (no copying of the module). */
WASM_API_EXTERN own wasm_module_t *wasm_module_copy(const wasm_module_t *);
/* Whether two handles refer to the same module. */
WASM_API_EXTERN bool wasm_module_same(const wasm_module_t *,
                                      const wasm_module_t *);

/* A handle that may be passed to another thread, which turns it back into
 * a module handle with wasm_module_obtain. */
typedef struct wasm_shared_module_t wasm_shared_module_t;
WASM_API_EXTERN void wasm_shared_module_delete(own wasm_shared_module_t *);
WASM_API_EXTERN own wasm_shared_module_t *wasm_module_share(
    const wasm_module_t *);
/* NULL if the store belongs to another engine than the module. */
WASM_API_EXTERN own wasm_module_t *wasm_module_obtain(
    wasm_store_t *, const wasm_shared_module_t *);

/* Decodes and validates a binary module.  NULL if it is malformed or
 * invalid, beyond a limit of Kiln, or memory is exhausted; Kiln's
 * kiln_module_new_ex (kiln.h) does the same and says why. */
WASM_API_EXTERN own wasm_module_t *wasm_module_new(
    wasm_store_t *, const wasm_byte_vec_t *binary);

/* The module's compiled form as bytes (compiling it first if needed):
 * Kiln's artifact format, the same as its module cache's (docs/cache.md).
 * out is empty when compilation fails or memory is exhausted
 * (kiln_module_serialize says why). */
WASM_API_EXTERN void wasm_module_serialize(const wasm_module_t *, own wasm_byte_vec_t *out);
/* A module from wasm_module_serialize's bytes, without decoding, validating
 * or compiling it.  NULL if they are damaged or were made by another build
 * of Kiln, for another CPU or with other compile options
 * (kiln_module_deserialize_ex says which). */
WASM_API_EXTERN own wasm_module_t *wasm_module_deserialize(wasm_store_t *,
                                                           const wasm_byte_vec_t *);

/* Decodes and validates a binary module without keeping it.  Kiln's
 * kiln_module_validate_ex (kiln.h) does the same and says why a module is
 * rejected. */
WASM_API_EXTERN bool wasm_module_validate(wasm_store_t *,
                                          const wasm_byte_vec_t *binary);

/* The module's imports in the order of its import section, and its exports
 * in the order of its export section, with their full types. */
WASM_API_EXTERN void wasm_module_imports(const wasm_module_t *,
                                         own wasm_importtype_vec_t *out);
WASM_API_EXTERN void wasm_module_exports(const wasm_module_t *,
                                         own wasm_exporttype_vec_t *out);

/* ------------------------------------------------------------------------
 * Runtime objects
 *
 * Functions, globals, tables, memories and instances belong to the store
 * they were created in (or instantiated into): the store owns them and
 * frees them all when it is deleted.  A wasm_func_t, wasm_global_t,
 * wasm_table_t, wasm_memory_t, wasm_extern_t or wasm_instance_t the
 * embedder holds is a handle: its _delete frees the handle only, _copy
 * makes another handle on the same object.  No handle may be used after
 * its store is deleted.
 * ---------------------------------------------------------------------- */

/* References.  A funcref value is a wasm_func_t seen as a reference
 * (wasm_func_as_ref, wasm_ref_as_func); NULL is the null reference.
 * Kiln does not have host (externref) references yet: externref values are
 * null. */
typedef struct wasm_ref_t wasm_ref_t;
WASM_API_EXTERN void wasm_ref_delete(own wasm_ref_t *);
WASM_API_EXTERN own wasm_ref_t *wasm_ref_copy(const wasm_ref_t *);
WASM_API_EXTERN bool wasm_ref_same(const wasm_ref_t *, const wasm_ref_t *);

/* Values.  A reference value owns its wasm_ref_t. */
typedef struct wasm_val_t {
  wasm_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float32_t f32;
    float64_t f64;
    struct wasm_ref_t *ref;
  } of;
} wasm_val_t;

WASM_API_EXTERN void wasm_val_delete(own wasm_val_t *v);
WASM_API_EXTERN void wasm_val_copy(own wasm_val_t *out, const wasm_val_t *);

typedef struct wasm_val_vec_t {
  size_t size;
  wasm_val_t *data;
} wasm_val_vec_t;
WASM_API_EXTERN void wasm_val_vec_new_empty(own wasm_val_vec_t *out);
WASM_API_EXTERN void wasm_val_vec_new_uninitialized(own wasm_val_vec_t *out,
                                                    size_t);
WASM_API_EXTERN void wasm_val_vec_new(own wasm_val_vec_t *out, size_t,
                                      own wasm_val_t const[]);
WASM_API_EXTERN void wasm_val_vec_copy(own wasm_val_vec_t *out,
                                       const wasm_val_vec_t *);
WASM_API_EXTERN void wasm_val_vec_delete(own wasm_val_vec_t *);

/* Traps.  A message is a name whose bytes end with a NUL (counted in its
 * size). */
typedef wasm_name_t wasm_message_t;

typedef struct wasm_trap_t wasm_trap_t;
WASM_API_EXTERN void wasm_trap_delete(own wasm_trap_t *);
WASM_API_EXTERN own wasm_trap_t *wasm_trap_copy(const wasm_trap_t *);
/* A trap with a copy of the message (a terminating NUL is added if it has
 * none).  NULL when out of memory. */
WASM_API_EXTERN own wasm_trap_t *wasm_trap_new(wasm_store_t *store,
                                               const wasm_message_t *);
WASM_API_EXTERN void wasm_trap_message(const wasm_trap_t *,
                                       own wasm_message_t *out);

/* Functions.  A callback receives the arguments and a results vector of
 * the function's result arity to fill; returning a trap (owned by the
 * caller) makes the call trap with it. */
typedef struct wasm_func_t wasm_func_t;
WASM_API_EXTERN void wasm_func_delete(own wasm_func_t *);
WASM_API_EXTERN own wasm_func_t *wasm_func_copy(const wasm_func_t *);
WASM_API_EXTERN bool wasm_func_same(const wasm_func_t *, const wasm_func_t *);
WASM_API_EXTERN wasm_ref_t *wasm_func_as_ref(wasm_func_t *);
WASM_API_EXTERN wasm_func_t *wasm_ref_as_func(wasm_ref_t *);
WASM_API_EXTERN const wasm_ref_t *wasm_func_as_ref_const(const wasm_func_t *);
WASM_API_EXTERN const wasm_func_t *wasm_ref_as_func_const(const wasm_ref_t *);

typedef own wasm_trap_t *(*wasm_func_callback_t)(const wasm_val_vec_t *args,
                                                 own wasm_val_vec_t *results);
typedef own wasm_trap_t *(*wasm_func_callback_with_env_t)(
    void *env, const wasm_val_vec_t *args, own wasm_val_vec_t *results);

WASM_API_EXTERN own wasm_func_t *wasm_func_new(wasm_store_t *,
                                               const wasm_functype_t *,
                                               wasm_func_callback_t);
/* The finalizer (may be NULL) is called with env when the store is
 * deleted. */
WASM_API_EXTERN own wasm_func_t *wasm_func_new_with_env(
    wasm_store_t *, const wasm_functype_t *type,
    wasm_func_callback_with_env_t, void *env, void (*finalizer)(void *));

WASM_API_EXTERN own wasm_functype_t *wasm_func_type(const wasm_func_t *);
WASM_API_EXTERN size_t wasm_func_param_arity(const wasm_func_t *);
WASM_API_EXTERN size_t wasm_func_result_arity(const wasm_func_t *);

/* Calls the function: args must match its parameters, results must have
 * its result arity (its elements are overwritten, not deleted).  Returns
 * NULL, or the trap (owned by the caller). */
WASM_API_EXTERN own wasm_trap_t *wasm_func_call(const wasm_func_t *,
                                                const wasm_val_vec_t *args,
                                                wasm_val_vec_t *results);

/* Global instances. */
typedef struct wasm_global_t wasm_global_t;
WASM_API_EXTERN void wasm_global_delete(own wasm_global_t *);
WASM_API_EXTERN own wasm_global_t *wasm_global_copy(const wasm_global_t *);
WASM_API_EXTERN bool wasm_global_same(const wasm_global_t *,
                                      const wasm_global_t *);

WASM_API_EXTERN own wasm_global_t *wasm_global_new(wasm_store_t *,
                                                   const wasm_globaltype_t *,
                                                   const wasm_val_t *);
WASM_API_EXTERN own wasm_globaltype_t *wasm_global_type(const wasm_global_t *);
WASM_API_EXTERN void wasm_global_get(const wasm_global_t *,
                                     own wasm_val_t *out);
/* Ignored when the global is immutable or the value's kind is wrong. */
WASM_API_EXTERN void wasm_global_set(wasm_global_t *, const wasm_val_t *);

/* Table instances. */
typedef struct wasm_table_t wasm_table_t;
WASM_API_EXTERN void wasm_table_delete(own wasm_table_t *);
WASM_API_EXTERN own wasm_table_t *wasm_table_copy(const wasm_table_t *);
WASM_API_EXTERN bool wasm_table_same(const wasm_table_t *,
                                     const wasm_table_t *);

typedef uint32_t wasm_table_size_t;

WASM_API_EXTERN own wasm_table_t *wasm_table_new(wasm_store_t *,
                                                 const wasm_tabletype_t *,
                                                 wasm_ref_t *init);
WASM_API_EXTERN own wasm_tabletype_t *wasm_table_type(const wasm_table_t *);
/* NULL for a null element or an index out of bounds. */
WASM_API_EXTERN own wasm_ref_t *wasm_table_get(const wasm_table_t *,
                                               wasm_table_size_t index);
WASM_API_EXTERN bool wasm_table_set(wasm_table_t *, wasm_table_size_t index,
                                    wasm_ref_t *);
WASM_API_EXTERN wasm_table_size_t wasm_table_size(const wasm_table_t *);
WASM_API_EXTERN bool wasm_table_grow(wasm_table_t *, wasm_table_size_t delta,
                                     wasm_ref_t *init);

/* Memory instances. */
typedef struct wasm_memory_t wasm_memory_t;
WASM_API_EXTERN void wasm_memory_delete(own wasm_memory_t *);
WASM_API_EXTERN own wasm_memory_t *wasm_memory_copy(const wasm_memory_t *);
WASM_API_EXTERN bool wasm_memory_same(const wasm_memory_t *,
                                      const wasm_memory_t *);

typedef uint32_t wasm_memory_pages_t;
static const size_t MEMORY_PAGE_SIZE = 0x10000;

WASM_API_EXTERN own wasm_memory_t *wasm_memory_new(wasm_store_t *,
                                                   const wasm_memorytype_t *);
WASM_API_EXTERN own wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *);
WASM_API_EXTERN byte_t *wasm_memory_data(wasm_memory_t *);
WASM_API_EXTERN size_t wasm_memory_data_size(const wasm_memory_t *);
WASM_API_EXTERN wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *);
WASM_API_EXTERN bool wasm_memory_grow(wasm_memory_t *,
                                      wasm_memory_pages_t delta);

/* Externals: any of the four, seen as one type.  The as_ conversions
 * return the same handle viewed as the other type (NULL for the wrong
 * kind): delete it once, through either view. */
typedef struct wasm_extern_t wasm_extern_t;
WASM_API_EXTERN void wasm_extern_delete(own wasm_extern_t *);
WASM_API_EXTERN own wasm_extern_t *wasm_extern_copy(const wasm_extern_t *);
WASM_API_EXTERN bool wasm_extern_same(const wasm_extern_t *,
                                      const wasm_extern_t *);
typedef struct wasm_extern_vec_t {
  size_t size;
  wasm_extern_t **data;
} wasm_extern_vec_t;
WASM_API_EXTERN void wasm_extern_vec_new_empty(own wasm_extern_vec_t *out);
WASM_API_EXTERN void wasm_extern_vec_new_uninitialized(
    own wasm_extern_vec_t *out, size_t);
WASM_API_EXTERN void wasm_extern_vec_new(own wasm_extern_vec_t *out, size_t,
                                         own wasm_extern_t *const[]);
WASM_API_EXTERN void wasm_extern_vec_copy(own wasm_extern_vec_t *out,
                                          const wasm_extern_vec_t *);
WASM_API_EXTERN void wasm_extern_vec_delete(own wasm_extern_vec_t *);

WASM_API_EXTERN wasm_externkind_t wasm_extern_kind(const wasm_extern_t *);
WASM_API_EXTERN own wasm_externtype_t *wasm_extern_type(const wasm_extern_t *);

WASM_API_EXTERN wasm_extern_t *wasm_func_as_extern(wasm_func_t *);
WASM_API_EXTERN wasm_extern_t *wasm_global_as_extern(wasm_global_t *);
WASM_API_EXTERN wasm_extern_t *wasm_table_as_extern(wasm_table_t *);
WASM_API_EXTERN wasm_extern_t *wasm_memory_as_extern(wasm_memory_t *);

WASM_API_EXTERN wasm_func_t *wasm_extern_as_func(wasm_extern_t *);
WASM_API_EXTERN wasm_global_t *wasm_extern_as_global(wasm_extern_t *);
WASM_API_EXTERN wasm_table_t *wasm_extern_as_table(wasm_extern_t *);
WASM_API_EXTERN wasm_memory_t *wasm_extern_as_memory(wasm_extern_t *);

WASM_API_EXTERN const wasm_extern_t *wasm_func_as_extern_const(
    const wasm_func_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_global_as_extern_const(
    const wasm_global_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_table_as_extern_const(
    const wasm_table_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_memory_as_extern_const(
    const wasm_memory_t *);

WASM_API_EXTERN const wasm_func_t *wasm_extern_as_func_const(
    const wasm_extern_t *);
WASM_API_EXTERN const wasm_global_t *wasm_extern_as_global_const(
    const wasm_extern_t *);
WASM_API_EXTERN const wasm_table_t *wasm_extern_as_table_const(
    const wasm_extern_t *);
WASM_API_EXTERN const wasm_memory_t *wasm_extern_as_memory_const(
    const wasm_extern_t *);

/* Module instances. */
typedef struct wasm_instance_t wasm_instance_t;
WASM_API_EXTERN void wasm_instance_delete(own wasm_instance_t *);
WASM_API_EXTERN own wasm_instance_t *wasm_instance_copy(
    const wasm_instance_t *);

/* Compiles the module on its first instantiation, checks and links the
 * imports (one per module import, in order), runs the initialization and
 * the start function.  NULL on failure; then, if trap is not NULL, *trap
 * is the reason (owned by the caller): an instantiation trap, or
 * "unknown import" / "incompatible import type" / a compiler or resource
 * error.  *trap is NULL on success. */
WASM_API_EXTERN own wasm_instance_t *wasm_instance_new(
    wasm_store_t *, const wasm_module_t *, const wasm_extern_vec_t *imports,
    own wasm_trap_t **trap);

/* The exports in export order; tags appear as externs of kind
 * KILN_EXTERN_TAG (kiln.h: kiln_extern_as_tag). */
WASM_API_EXTERN void wasm_instance_exports(const wasm_instance_t *,
                                           own wasm_extern_vec_t *out);

/* ------------------------------------------------------------------------
 * Convenience
 * ---------------------------------------------------------------------- */

/* Vectors. */
#define WASM_EMPTY_VEC {0, NULL}
#define WASM_ARRAY_VEC(array) {sizeof(array) / sizeof(*(array)), array}

/* Value construction short-hands. */
#define WASM_I32_VAL(i) {.kind = WASM_I32, .of = {.i32 = i}}
#define WASM_I64_VAL(i) {.kind = WASM_I64, .of = {.i64 = i}}
#define WASM_F32_VAL(z) {.kind = WASM_F32, .of = {.f32 = z}}
#define WASM_F64_VAL(z) {.kind = WASM_F64, .of = {.f64 = z}}
#define WASM_REF_VAL(r) {.kind = WASM_FUNCREF, .of = {.ref = r}}
#define WASM_INIT_VAL {.kind = WASM_FUNCREF, .of = {.ref = NULL}}

/* Value type construction short-hands. */
static inline own wasm_valtype_t *wasm_valtype_new_i32(void) {
  return wasm_valtype_new(WASM_I32);
}
static inline own wasm_valtype_t *wasm_valtype_new_i64(void) {
  return wasm_valtype_new(WASM_I64);
}
static inline own wasm_valtype_t *wasm_valtype_new_f32(void) {
  return wasm_valtype_new(WASM_F32);
}
static inline own wasm_valtype_t *wasm_valtype_new_f64(void) {
  return wasm_valtype_new(WASM_F64);
}
static inline own wasm_valtype_t *wasm_valtype_new_externref(void) {
  return wasm_valtype_new(WASM_EXTERNREF);
}
static inline own wasm_valtype_t *wasm_valtype_new_funcref(void) {
  return wasm_valtype_new(WASM_FUNCREF);
}

/* Function type construction short-hands: wasm_functype_new_P_R takes P
 * parameter and R result types (all owned). */
static inline own wasm_functype_t *wasm_functype_new_0_0(void) {
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new_empty(&params);
  wasm_valtype_vec_new_empty(&results);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_1_0(
    own wasm_valtype_t *p) {
  wasm_valtype_t *ps[1] = {p};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 1, ps);
  wasm_valtype_vec_new_empty(&results);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_2_0(
    own wasm_valtype_t *p1, own wasm_valtype_t *p2) {
  wasm_valtype_t *ps[2] = {p1, p2};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 2, ps);
  wasm_valtype_vec_new_empty(&results);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_3_0(
    own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3) {
  wasm_valtype_t *ps[3] = {p1, p2, p3};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 3, ps);
  wasm_valtype_vec_new_empty(&results);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_0_1(
    own wasm_valtype_t *r) {
  wasm_valtype_t *rs[1] = {r};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new_empty(&params);
  wasm_valtype_vec_new(&results, 1, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_1_1(
    own wasm_valtype_t *p, own wasm_valtype_t *r) {
  wasm_valtype_t *ps[1] = {p};
  wasm_valtype_t *rs[1] = {r};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 1, ps);
  wasm_valtype_vec_new(&results, 1, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_2_1(
    own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *r) {
  wasm_valtype_t *ps[2] = {p1, p2};
  wasm_valtype_t *rs[1] = {r};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 2, ps);
  wasm_valtype_vec_new(&results, 1, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_3_1(
    own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3,
    own wasm_valtype_t *r) {
  wasm_valtype_t *ps[3] = {p1, p2, p3};
  wasm_valtype_t *rs[1] = {r};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 3, ps);
  wasm_valtype_vec_new(&results, 1, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_0_2(
    own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *rs[2] = {r1, r2};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new_empty(&params);
  wasm_valtype_vec_new(&results, 2, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_1_2(
    own wasm_valtype_t *p, own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[1] = {p};
  wasm_valtype_t *rs[2] = {r1, r2};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 1, ps);
  wasm_valtype_vec_new(&results, 2, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_2_2(
    own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *r1,
    own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[2] = {p1, p2};
  wasm_valtype_t *rs[2] = {r1, r2};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 2, ps);
  wasm_valtype_vec_new(&results, 2, rs);
  return wasm_functype_new(&params, &results);
}

static inline own wasm_functype_t *wasm_functype_new_3_2(
    own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3,
    own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[3] = {p1, p2, p3};
  wasm_valtype_t *rs[2] = {r1, r2};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 3, ps);
  wasm_valtype_vec_new(&results, 2, rs);
  return wasm_functype_new(&params, &results);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WASM_H */
