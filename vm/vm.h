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
 */
#ifndef KILN_VM_VM_H
#define KILN_VM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/error.h"
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

/* ---- diag.c: frontend errors as public diagnostics ------------------- */

/* Fills *diag from a frontend error (which may be NULL: success). */
void vm_diag_from_error(kiln_diagnostic_t *diag, const fe_error *err);

/* ---- compiler.c: the compiler object --------------------------------- */

/* Loads the compiler object on the first call (once per process, thread-safe)
 * and returns its interface, or NULL with *why set to a static, human-
 * readable reason.  Later calls return the same answer without retrying. */
const jit_interface *vm_compiler_load(const char **why);

#endif
