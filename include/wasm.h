/* include/wasm.h — the standard WebAssembly C API (WebAssembly/wasm-c-api).
 *
 * Names, types and signatures follow the published header exactly, so that
 * code written against another runtime's wasm.h compiles against Kiln's.
 *
 * This is a subset: it declares only what libkiln implements today, so that
 * every function declared here links.  Today that is byte vectors (and
 * names), configs, engines, stores and wasm_module_validate.  The rest of the
 * standard API (types, modules, instances, functions, globals, tables,
 * memories, traps, externs) arrives with the JIT issue, together with its
 * implementation.  Kiln's own extensions live in kiln.h.
 *
 * Ownership follows the standard: `own` marks a pointer whose owner must
 * release it with the matching wasm_xxx_delete; an `own` parameter named
 * `out` is a copy-back output that passes ownership to the caller.
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

/* Declares the opaque type wasm_NAME_t and its destructor. */
#define WASM_DECLARE_OWN(name)                          \
  typedef struct wasm_##name##_t wasm_##name##_t;       \
  WASM_API_EXTERN void wasm_##name##_delete(own wasm_##name##_t *);

/* Declares the vector type wasm_NAME_vec_t (size + data) and its five
 * functions.  ptr_or_none is `*` for vectors of owned pointers and empty for
 * vectors of plain values. */
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

/* Byte vectors. */
typedef byte_t wasm_byte_t;
WASM_DECLARE_VEC(byte, )

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
WASM_DECLARE_OWN(config)

WASM_API_EXTERN own wasm_config_t *wasm_config_new(void);

/* Engine: owns the configuration, the engine-wide type registry and the
 * compiler.  Thread-safe. */
WASM_DECLARE_OWN(engine)

WASM_API_EXTERN own wasm_engine_t *wasm_engine_new(void);
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new_with_config(
    own wasm_config_t *);

/* Store: the unit of isolation an embedder creates per task.  Used by one
 * thread at a time; deleted before its engine. */
WASM_DECLARE_OWN(store)

WASM_API_EXTERN own wasm_store_t *wasm_store_new(wasm_engine_t *);

/* ------------------------------------------------------------------------
 * Modules
 * ---------------------------------------------------------------------- */

/* Decodes and validates a binary module without keeping it.  Kiln's
 * kiln_module_validate_ex (kiln.h) does the same and says why a module is
 * rejected. */
WASM_API_EXTERN bool wasm_module_validate(wasm_store_t *,
                                          const wasm_byte_vec_t *binary);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WASM_H */
