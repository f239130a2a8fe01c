/* vm/vm.h — the VM's internal header: runtime objects and the vm_ functions
 * that the files of vm/ share.
 *
 * The public types of wasm.h are opaque to embedders; their definitions are
 * here.  Nothing in this header is exported (libkiln is built with hidden
 * visibility; only WASM_API_EXTERN functions are public).
 *
 * Ownership (docs: DESIGN.md "Ownership and lifetimes"):
 *   engine  owns its configuration and the engine-wide type registry; it is
 *           shared by threads, so everything in it is immutable after
 *           creation or internally synchronized (the registry takes its own
 *           lock; the compiler is loaded once per process, vm_compiler_load).
 *   store   belongs to the embedder and to one thread at a time; it points to
 *           its engine, which must outlive it.
 *   module  belongs to the engine: an immutable, reference-counted vm_module
 *           that any thread and any store of the engine may use; the
 *           embedder holds handles on it (wasm_module_t,
 *           wasm_shared_module_t), each owning one reference.  The engine
 *           must outlive every handle.
 *   types   (wasm_valtype_t ... wasm_exporttype_t) are plain values owned by
 *           the embedder, tied to no engine; a concrete heap type inside
 *           one is a canonical id of the engine it was read from.
 */
#ifndef KILN_VM_VM_H
#define KILN_VM_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/error.h"
#include "frontend/module.h"
#include "frontend/types.h"
#include "jit/jit.h"
#include "kiln.h"
#include "wasm.h"

/* Configuration.  Nothing is configurable yet; the field keeps the struct
 * non-empty (ISO C has no empty structs). */
struct wasm_config_t {
  int reserved;
};

struct wasm_engine_t {
  wasm_config_t config; /* a copy: the config passed in is deleted */
  fe_typereg *types;    /* canonical types of every module of this engine */
};

struct wasm_store_t {
  wasm_engine_t *engine;
};

/* ---- valtype.c: value types ----------------------------------------- */

/* A value type is the frontend's 64-bit word, with every concrete heap type
 * in canonical form (FE_HT_CANON: an id of the engine's registry), never in
 * module or rec-group form, so that it means the same outside its module.
 * Nothing is lost between a module and the public types. */
struct wasm_valtype_t {
  fe_valtype vt;
};

/* A new value type holding vt (canonical or abstract form); NULL when out
 * of memory. */
wasm_valtype_t *vm_valtype_new(fe_valtype vt);

/* A value type of module m (module form) in canonical form. */
fe_valtype vm_valtype_canon(const fe_module *m, fe_valtype vt);

/* ---- externtype.c: function, global, table, memory, tag, extern types - */

/* Every extern type starts with this header; wasm_externtype_t is the
 * header, and the as_ conversions are pointer casts between a type and its
 * first member.  kind is a wasm_externkind_t or KILN_EXTERN_TAG. */
struct wasm_externtype_t {
  wasm_externkind_t kind;
};

struct wasm_functype_t {
  wasm_externtype_t ext; /* first: see wasm_externtype_t */
  wasm_valtype_vec_t params, results;
  uint32_t type_id; /* canonical id when read from a module, else
                       KILN_NO_TYPE */
};

struct wasm_globaltype_t {
  wasm_externtype_t ext;
  wasm_valtype_t *content;
  wasm_mutability_t mutability;
};

/* Tables and memories keep their exact limits and the standard's 32-bit
 * view of them, derived once at creation (the accessors return pointers). */
struct wasm_tabletype_t {
  wasm_externtype_t ext;
  wasm_valtype_t *element;
  kiln_limits64_t limits;
  wasm_limits_t limits32;
};

struct wasm_memorytype_t {
  wasm_externtype_t ext;
  kiln_limits64_t limits;
  wasm_limits_t limits32;
};

struct kiln_tagtype_t {
  wasm_externtype_t ext;
  wasm_functype_t *type; /* no results */
};

/* The type of entity `index` of kind `kind` (FE_EXT_*) of module m, as a
 * public extern type with canonical value types; NULL when out of
 * memory. */
wasm_externtype_t *vm_externtype_of(const fe_module *m, uint8_t kind,
                                    uint32_t index);

/* ---- importtype.c: import and export types --------------------------- */

struct wasm_importtype_t {
  wasm_name_t module, name;
  wasm_externtype_t *type;
};

struct wasm_exporttype_t {
  wasm_name_t name;
  wasm_externtype_t *type;
};

/* ---- module.c: modules ----------------------------------------------- */

/* The module itself: immutable once created, shared by every handle. */
typedef struct vm_module {
  atomic_size_t refs;    /* handles (wasm_module_t, wasm_shared_module_t) */
  wasm_engine_t *engine; /* must outlive the module (not counted) */
  fe_module *fe;         /* the validated description: what the compiler
                            reads */
  /* Set by the compiler (issue 3): the module's loaded code (vm/code.h).
   * Always NULL until the compiler exists; wasm_module_delete will free it
   * then. */
  struct vm_code *code;
} vm_module;

/* Handles: each owns one reference on its vm_module. */
struct wasm_module_t {
  vm_module *m;
};

struct wasm_shared_module_t {
  vm_module *m;
};

/* ---- diag.c: frontend errors as public diagnostics ------------------- */

/* Fills *diag from a frontend error (which may be NULL: success). */
void vm_diag_from_error(kiln_diagnostic_t *diag, const fe_error *err);

/* ---- compiler.c: the compiler object --------------------------------- */

/* Loads the compiler object on the first call (once per process, thread-safe)
 * and returns its interface, or NULL with *why set to a static, human-
 * readable reason.  Later calls return the same answer without retrying. */
const jit_interface *vm_compiler_load(const char **why);

#endif
