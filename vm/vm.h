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

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/error.h"
#include "frontend/module.h"
#include "frontend/types.h"
#include "gc/gc.h"
#include "jit/jit.h"
#include "kiln.h"
#include "vmctx.h"
#include "wasm.h"

struct vm_compiled;
struct vm_instance;
struct vm_tab;
struct vm_mem;
struct vm_tag;
struct vm_trap_info;

/* Configuration.  Nothing is configurable yet; the field keeps the struct
 * non-empty (ISO C has no empty structs). */
struct wasm_config_t {
  unsigned opt_level_plus1; /* kiln_config_set_opt_level + 1; 0: default (2) */
  unsigned compile_threads; /* kiln_config_set_compile_threads; 0: one per core */
  kiln_pooling_config_t pooling; /* kiln_config_set_pooling; instance_slots 0: off */
  uint64_t gc_heap_limit;   /* kiln_config_set_gc_heap_limit; 0: the maximum */
  bool gc_stress;           /* kiln_config_set_gc_stress */
  bool cache;               /* kiln_config_set_cache */
  char *cache_dir;          /* its directory (malloc'ed), NULL: the default */
  uint64_t cache_limit;     /* kiln_config_set_cache_limit; 0: the default */
};

typedef struct vm_host_link vm_host_link;
struct wasm_engine_t {
  wasm_config_t config; /* a copy: the config passed in is deleted */
  fe_typereg *types;    /* canonical types of every module of this engine */
  /* host_link.c: per function type, the compiled host trampoline that gives
   * wasm_func_new functions a typed entry when they become funcref values */
  vm_host_link *host_links;
  pthread_mutex_t host_links_lock;
  struct vm_pool *pool; /* the pooling allocator (vm/pool.h), or NULL */
  struct vm_cache *cache; /* the module cache (vm/cache.h), or NULL: off */
};

/* ---- host_link.c ------------------------------------------------------- */

/* Gives host function f (vm/host.h) a typed entry of its own, compiling the
 * engine's host trampoline for its type on first need.  True if f has one
 * afterwards (Wasm functions always do); false if its type cannot be
 * compiled this way (concrete references) or the compiler failed. */
struct vm_funcref;
bool vm_host_link_func(wasm_engine_t *e, struct vm_funcref *f);
/* Frees the engine's host trampolines (at engine deletion). */
void vm_host_links_free(wasm_engine_t *e);

/* func.c: a module with one function type [params] -> [results], decoded
 * (so interned in e's registry); NULL if a value type is a concrete
 * reference (not expressible without other types), with more than 1000
 * params or results, or out of memory. */
fe_module *vm_one_type_module(wasm_engine_t *e, const fe_valtype *params, size_t np,
                              const fe_valtype *results, size_t nr);

/* Everything a store owns (instances, host functions, host-created
 * globals, tables and memories) is on one list, released in reverse order
 * of creation by wasm_store_delete (DESIGN.md "Ownership and lifetimes"). */
typedef struct vm_owned {
  struct vm_owned *next;
  void (*drop)(void *p);
  void *p;
} vm_owned;

typedef struct vm_owned_gc vm_owned_gc;

struct wasm_store_t {
  wasm_engine_t *engine;
  vm_owned *owned;
  vm_stack_group stack_group; /* every vmctx of the store (vm/instance.h)
                            (vmctx.h), refreshed on every entry */
  /* The store's GC heap (docs/gc.md "In the VM"), created at the first GC
   * allocation (vm_store_heap); every vmctx of the store points to this
   * cell (vm_instance_head.heap), every GC-reference table too.  Freed last
   * by wasm_store_delete, running the finalizers of what is still alive. */
  struct gc_heap *heap;
  /* Entries from the host into Wasm now active on this store (wasm_func_call
   * and wasm_instance_new, nested through host functions): a reclamation
   * point frees objects only when the outermost one returns (depth 0). */
  unsigned depth;
  /* Where each of those entries' frames begin (the stack grows down from
   * hi), on which thread: a collection inside Wasm scans [its own frame,
   * the outermost entry's hi) when every entry is on its thread
   * (vm_gc_in_wasm, vm/gc_policy.c); the first VM_STORE_MAX_ENTRIES only. */
  struct vm_entry {
    pthread_t thread;
    uintptr_t hi;
  } entries[16];
  /* Instances whose init routine is running (not on gc_owned yet): their
   * tables, globals and segments are roots of a full collection. */
  struct vm_instance *initializing;
  uint64_t gc_next_alloc;  /* collect when the heap's allocations reach it */
  uint64_t gc_next_full;   /* trace when live bytes reach it */
  /* What holds counted GC references outside instances (host-created
   * tables and globals), for the verifier's enumeration. */
  vm_owned_gc *gc_owned;
};

/* Hands p to the store: drop(p) runs when the store is deleted.  False when
 * out of memory (nothing is registered; the caller still owns p). */
bool vm_store_own(wasm_store_t *store, void (*drop)(void *), void *p);
/* Same, and p holds counted GC references: visit(p, fn, vctx) enumerates
 * them for the verifier (gc_verify). */
bool vm_store_own_gc(wasm_store_t *store, void (*drop)(void *),
                     void (*visit)(void *p, gc_visit_fn *fn, void *vctx), void *p);

/* The store's GC heap, created on the first call; NULL when out of memory. */
gc_heap *vm_store_heap(wasm_store_t *s);
/* Entry into and exit from Wasm code of the store (wasm_func_call,
 * wasm_instance_new).  The exit of the outermost entry is a reclamation
 * point: gc_reclaim with no frame active, then the queued finalizers. */
void vm_store_enter(wasm_store_t *s);
void vm_store_leave(wasm_store_t *s);
#define VM_STORE_MAX_ENTRIES 16

/* The store's roots for a full collection (the verifier's enumeration plus
 * instances being initialized). */
void vm_store_enumerate(void *ud, gc_visit_fn *visit, void *vctx);

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
  /* The module's compiled code, made on the first instantiation
   * (vm_module_compiled) under `lock` and freed with the module; a module
   * loaded from the cache or an artifact has it from the start. */
  pthread_mutex_t lock;
  struct vm_compiled *compiled;
  /* The module's cache key (vm/artifact.h), computed when the engine has a
   * cache at creation, else at compilation. */
  uint8_t key[32];
  bool has_key;
} vm_module;

/* One more reference on m (instances hold one: their store keeps the
 * module's code alive), and dropping one; the last frees the module. */
void vm_module_retain(vm_module *m);
void vm_module_release(vm_module *m);

/* The module's compiled code, compiling it on the first call (once,
 * thread-safe; a failure is retried by the next call).  NULL with a
 * message in err when the compiler is missing or fails. */
struct vm_compiled *vm_module_compiled(vm_module *m, char *err, size_t errlen);

/* Handles: each owns one reference on its vm_module. */
struct wasm_module_t {
  vm_module *m;
};

struct wasm_shared_module_t {
  vm_module *m;
};

/* ---- the runtime objects of the C API (val.c, trap_api.c, func.c,
 *      global.c, table_api.c, memory_api.c, extern.c, instance_api.c) ---
 *
 * Every wasm_func_t, wasm_global_t, wasm_table_t, wasm_memory_t, kiln_tag_t
 * and wasm_extern_t is a small handle, owned by the embedder, on an object
 * the store owns (a vm_funcref of an instance or of a host function, a
 * global slot, a vm_tab, a vm_mem, an instance's vm_tag).  Deleting a handle frees the handle only; the
 * object lives until its store is deleted.  A handle starts with
 * wasm_extern_t, so the extern conversions are casts.  A wasm_ref_t is a
 * handle too: a funcref value is a wasm_func_t seen as a reference, a GC
 * reference (an externref box) a VM_REF_GC handle holding the 32-bit
 * reference and one API root on the object (gc_root_add; dropped by
 * wasm_ref_delete). */
#define VM_REF_GC ((wasm_externkind_t)0x81)

struct wasm_extern_t {
  wasm_externkind_t kind; /* WASM_EXTERN_* or VM_REF_GC */
  wasm_store_t *store;
};

struct wasm_func_t {
  wasm_extern_t ext;
  vm_funcref *f;
};

struct wasm_global_t {
  wasm_extern_t ext;
  vm_global *slot;
  fe_valtype vt; /* canonical form */
  bool mut;
};

struct wasm_table_t {
  wasm_extern_t ext;
  struct vm_tab *t;
  fe_valtype elem; /* canonical form */
};

struct wasm_memory_t {
  wasm_extern_t ext;
  struct vm_mem *m;
};

struct kiln_tag_t {
  wasm_extern_t ext; /* kind KILN_EXTERN_TAG */
  struct vm_tag *t;
};

struct wasm_ref_t {
  wasm_extern_t ext; /* VM_REF_GC, or the header of a wasm_func_t */
  uint32_t gc;       /* VM_REF_GC: the reference (a gc_ref of ext.store) */
};

/* A new handle on GC reference r of store s, rooting it (NULL when out of
 * memory); r must be a heap reference. */
wasm_ref_t *vm_ref_gc_handle(wasm_store_t *s, uint32_t r);

struct wasm_trap_t {
  wasm_store_t *store;
  char *message; /* NUL-terminated */
  kiln_trap_code_t code;
};

struct wasm_instance_t {
  wasm_store_t *store;
  struct vm_instance *inst;
};

/* New handles (NULL when out of memory). */
wasm_func_t *vm_func_handle(wasm_store_t *s, vm_funcref *f);
wasm_global_t *vm_global_handle(wasm_store_t *s, vm_global *slot, fe_valtype vt, bool mut);
wasm_table_t *vm_table_handle(wasm_store_t *s, struct vm_tab *t, fe_valtype elem);
wasm_memory_t *vm_memory_handle(wasm_store_t *s, struct vm_mem *m);
kiln_tag_t *vm_tag_handle(wasm_store_t *s, struct vm_tag *t);

/* The canonical function type `id` of the engine as a public type. */
wasm_functype_t *vm_functype_of_id(wasm_engine_t *e, uint32_t id);
/* Whether a reference type (canonical form) is in the func hierarchy. */
bool vm_vt_is_func(wasm_engine_t *e, fe_valtype vt);
/* The wasm_valkind_t of a canonical value type. */
wasm_valkind_t vm_vt_kind(fe_valtype vt);

/* Values <-> 16-byte value slots.  to_slot checks the kind and returns
 * false on a mismatch or a value Wasm cannot hold (a GC reference of
 * another store); a GC reference goes into the slot as its 32-bit
 * reference, uncounted (storing it into a table or global is the caller's,
 * through the barrier).  from_slot creates a new reference handle for a
 * non-null funcref or GC reference, rooted (false when out of memory, *out
 * is then a null reference). */
bool vm_val_to_slot(wasm_store_t *s, fe_valtype vt, const wasm_val_t *v, void *slot);
bool vm_val_from_slot(wasm_store_t *s, fe_valtype vt, const void *slot, wasm_val_t *out);

/* Traps.  vm_trap_make: a trap with a copy of msg (NULL when out of
 * memory).  vm_trap_from_info: the trap of a failed protected call, which
 * is the pending host trap if the failure was raised for one. */
wasm_trap_t *vm_trap_make(wasm_store_t *s, const char *msg, kiln_trap_code_t code);
wasm_trap_t *vm_trap_from_info(wasm_store_t *s, const struct vm_trap_info *info);
/* Raises the trap a host callback returned, from inside a protected call:
 * keeps it as this thread's pending host trap and raises VM_TRAP_UNREACHABLE
 * with no pc; vm_trap_from_info takes it back. */
_Noreturn void vm_trap_raise_host(wasm_trap_t *trap);

/* ---- diag.c: frontend errors as public diagnostics ------------------- */

/* Fills *diag from a frontend error (which may be NULL: success). */
void vm_diag_from_error(kiln_diagnostic_t *diag, const fe_error *err);
/* Fills *diag with "out of memory: <what>". */
void vm_diag_nomem(kiln_diagnostic_t *diag, const char *what);

/* ---- compiler.c: the compiler object --------------------------------- */

/* Loads the compiler object on the first call (once per process, thread-safe)
 * and returns its interface, or NULL with *why set to a static, human-
 * readable reason.  Later calls return the same answer without retrying. */
const jit_interface *vm_compiler_load(const char **why);

#endif
