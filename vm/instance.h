/* vm/instance.h — compiled modules and instances (the internal layer under
 * the public wasm_instance_t / wasm_func_t).
 *
 * vm_compiled: a module's code, compiled once (jit/) and loaded once
 * (vm/code.c), with its vmctx layout and the addresses every instance needs:
 * typed entries, array-call trampolines, the init routine.
 *
 * vm_instance: one instantiation: its vmctx, the memories and tables it
 * defines, the storage of its element segments.  Instantiation creates the
 * objects, links the imports, then runs the compiled init routine and the
 * start function under one protected call; a trap there is the
 * instantiation's result, and the instance must still be kept alive by its
 * store, because its functions may already sit in imported tables
 * (DESIGN.md, "Ownership and lifetimes").
 */
#ifndef KILN_VM_INSTANCE_H
#define KILN_VM_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/module.h"
#include "memory.h"
#include "table.h"
#include "trap.h"
#include "vmctx.h"

struct vm_code;

typedef struct vm_compiled {
  struct vm_code *code;            /* the module's one object, loaded (jit.h) */
  vm_layout layout;
  struct vm_image *image;          /* the constant part of initialization (image.h) */
  void (*init)(void *vmctx);       /* kiln_init: globals, tables, element segments */
  void (*data)(void *vmctx);       /* kiln_data: data segments */
  void **entries;                  /* per defined function: typed entry */
  void (**trampolines)(void *, void *, void *); /* per type index (func types) */
  void **host_trampolines;         /* per type index: kiln_h<T> typed entries */
  struct vm_slot *warm_slots;      /* the engine's pool: free slots holding this
                                      module's state (vm/pool.c, under its lock) */
  /* The module's artifact (vm/artifact.h: what the cache stores and
   * wasm_module_serialize returns), or NULL when not made. */
  uint8_t *artifact;
  size_t artifact_size;
} vm_compiled;

/* How to compile. */
typedef struct vm_compile_opts {
  unsigned opt_level;  /* 0..3 */
  unsigned threads;    /* 0: one per core */
  uint32_t part_bytes; /* 0: the compiler's default partition size */
} vm_compile_opts;

/* Compiles and loads module m with default options at opt_level (0..3).
 * NULL with a message if the compiler cannot be loaded or fails. */
vm_compiled *vm_compiled_new(const fe_module *m, unsigned opt_level, char *err, size_t errlen);
vm_compiled *vm_compiled_new_ex(const fe_module *m, const vm_compile_opts *opts, char *err,
                                size_t errlen);
/* The same, and when key is not NULL the artifact is made too (with that
 * cache key) and kept in c->artifact (NULL if that failed: out of memory;
 * the code is usable either way). */
vm_compiled *vm_compiled_compile(const fe_module *m, const vm_compile_opts *opts,
                                 const uint8_t *key, char *err, size_t errlen);
/* Loads the code of an opened artifact for its module description m (the
 * artifact's, loaded); NULL with a message when it does not load.  The
 * artifact's bytes are not kept (set c->artifact to keep them). */
struct vm_artifact;
vm_compiled *vm_compiled_load(const fe_module *m, const struct vm_artifact *a, char *err,
                              size_t errlen);
void vm_compiled_free(vm_compiled *c);

/* A tag (exception handling).  Its identity is the object: each
 * instantiation makes one per tag its module defines (held by the instance,
 * so by its store), and an instance importing a tag links that object.
 * type_id: the canonical id of its function type (the exception's payload,
 * no results) in the engine's registry. */
typedef struct vm_tag {
  uint32_t type_id;
} vm_tag;

/* A resolved import, in module import order. */
typedef struct vm_extern_ref {
  uint8_t kind; /* FE_EXT_* */
  union {
    vm_funcref *func;
    vm_mem *mem;
    vm_tab *table;
    vm_global *global;
    vm_tag *tag;
  } u;
} vm_extern_ref;

typedef struct vm_instance {
  vm_instance_head head; /* first: what builtins see (vmctx.h) */
  const fe_module *m;
  const vm_compiled *c;
  uint8_t *vmctx;
  void *store;
  uint32_t nmems, ntables;
  vm_tag **tags;         /* the tag index space: imported, then own_tags */
  vm_tag *own_tags;      /* the tags the module defines */
  uint64_t *elem_items;  /* one allocation for every segment's items */
  vm_funcref *host_links; /* imported host functions, linked (vm/host.h) */
  uint8_t *elem_gc;      /* per segment: items are GC references (head.elem_gc) */
  struct gc_heap *own_heap; /* the heap cell when there is no store (unit
                               tests; freed with the instance) */
  struct vm_pool *pool;  /* the pool of the slot it lives in, or NULL */
  struct vm_slot *slot;
  bool images_undone;    /* a trap undid its memory images (undo_images) */
  struct vm_instance *init_next; /* the store's list of instances being
                                    initialized (vm.h: initializing) */
} vm_instance;

/* vm_stack_group (vmctx.h): an entry from the host calls vm_stack_enter;
 * on the thread of the last entry that is one compare, on another thread it
 * rewrites every member. */
/* Adds h, giving it the group's limit; false on out of memory. */
bool vm_stack_group_add(vm_stack_group *g, vm_vmctx_header *h);
void vm_stack_group_remove(vm_stack_group *g, vm_vmctx_header *h);
/* Frees the member array (the members are not touched). */
void vm_stack_group_free(vm_stack_group *g);
/* Makes every vmctx reachable from h hold this thread's stack limit: h's
 * group, or h alone if it has none. */
void vm_stack_enter(vm_vmctx_header *h);

/* Engine-level limits an instance is created under. */
typedef struct vm_limits {
  uint64_t max_memory_pages; /* per memory */
  vm_stack_group *stack_group; /* the store's, or NULL: the instance alone */
  struct vm_pool *pool;        /* the engine's pool, or NULL: on demand */
} vm_limits;

/* Creates an instance of m (compiled as c) with `imports` (m->nimports of
 * them, types already checked by the caller) in `store` (a wasm_store_t:
 * the instance counts GC references in its heap cell; NULL: in a heap of
 * the instance's own).  Returns NULL with a message
 * in err if an object cannot be created (nothing to keep); otherwise the
 * instance, with *trapped set when the init routine or the start function
 * trapped (then *trap describes it, and the caller must keep the instance
 * alive until its store dies). */
vm_instance *vm_instance_new(const fe_module *m, const vm_compiled *c,
                             const vm_extern_ref *imports, const vm_limits *limits, void *store,
                             bool *trapped, vm_trap_info *trap, char *err, size_t errlen);
void vm_instance_free(vm_instance *inst);

/* The function reference of function index f (defined or imported). */
vm_funcref *vm_instance_func(const vm_instance *inst, uint32_t f);
/* The slot of global g. */
vm_global *vm_instance_global(const vm_instance *inst, uint32_t g);

/* Whether a reference type of module m (module form) is in the func
 * hierarchy (funcref pointers) rather than a GC reference. */
bool vm_module_vt_is_func(const fe_module *m, fe_valtype vt);

/* Calls visit(vctx, r) for every counted GC reference the instance holds
 * outside the heap: its defined tables, defined globals and element
 * segments (the verifier's enumeration, gc_verify). */
void vm_instance_visit(const vm_instance *inst, gc_visit_fn *visit, void *vctx);

/* Instances allocated and not yet freed, process-wide. */
uint64_t vm_instance_live(void);

/* Calls f with values (16 bytes each: arguments in, results out) under a
 * protected call on the current thread, after giving every vmctx of f's
 * store this thread's stack limit (vm_stack_enter).  False if it trapped. */
bool vm_invoke(vm_funcref *f, void *values, vm_trap_info *trap);

#endif
