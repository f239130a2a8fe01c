/* vm/vmctx.h — the VM data layout: what generated code reads at run time.
 *
 * The one header shared by vm/ and jit/ (docs/jit.md).  It defines the
 * records generated code dereferences (function references, memories,
 * tables, global slots, data and element segments), the builtins table,
 * the instance head builtins use, and vm_layout: the offset of
 * every part of an instance's vmctx, computed in one place
 * (vm_layout_compute, vm/layout.c) and handed to the compiler, which never
 * computes an offset itself.
 *
 * Nothing here may change without recompiling every cached object: the
 * cache key includes KILN_VMCTX_ABI.
 */
#ifndef KILN_VM_VMCTX_H
#define KILN_VM_VMCTX_H

#include <stddef.h>
#include <stdint.h>

#define KILN_VMCTX_ABI 5u

/* A function reference (funcref values are pointers to these).  The array
 * entry is a per-type trampoline: array_entry(typed_entry, vmctx, values),
 * with 16 bytes per value, arguments in and results out. */
typedef struct vm_funcref {
  void *typed_entry; /* tailcc R f(ptr vmctx, params...) */
  void (*array_entry)(void *typed_entry, void *vmctx, void *values);
  uint32_t type_id;  /* canonical type id in the engine's registry */
  uint32_t pad_;
  void *vmctx;       /* the callee's vmctx (or a host function's context) */
} vm_funcref;

/* A linear memory as generated code sees it. */
typedef struct vm_memory {
  uint8_t *base;
  uint64_t length; /* bytes */
} vm_memory;

/* A table as generated code sees it: funcref tables hold vm_funcref
 * pointers (8 bytes), every other table 32-bit GC references.  Generated
 * code stores funcrefs inline (table.set) and then sets `dirty`; every
 * other write goes through a builtin, which sets it. */
typedef struct vm_table {
  void *base;
  uint64_t length; /* elements */
  uint64_t dirty;  /* nonzero once an element was written after
                      instantiation applied the table's image: the pool
                      resets only tables that are (vm/pool.c) */
} vm_table;

/* A global's storage: 16 bytes, any value type. */
typedef union vm_global {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  uint8_t v128[16];
  vm_funcref *funcref;
  uint32_t gcref;
} vm_global;

/* The builtins table: functions of libkiln that generated code calls
 * through vmctx (no relocations against libkiln).  Signatures are C's. */
typedef enum vm_builtin {
  VM_BI_TRAP,          /* _Noreturn void (void *vmctx, uint32_t trap_code) */
  VM_BI_MEMORY_GROW,   /* int64_t (void *vmctx, uint32_t mem, uint64_t delta) */
  /* Tables: values are passed as 64-bit words (a vm_funcref pointer, or a
   * 32-bit GC reference zero-extended); these go through the write barrier
   * (gc/) for GC references.  Index arguments are 64-bit (table64). */
  VM_BI_TABLE_GROW,    /* int64_t (void *vmctx, uint32_t table, uint64_t delta, uint64_t init) */
  VM_BI_TABLE_FILL,    /* void (void *vmctx, uint32_t table, uint64_t i, uint64_t val, uint64_t n) */
  VM_BI_TABLE_COPY,    /* void (void *vmctx, uint32_t dst, uint32_t src, uint64_t d, uint64_t s, uint64_t n) */
  VM_BI_TABLE_INIT,    /* void (void *vmctx, uint32_t table, uint32_t elem, uint64_t d, uint32_t s, uint32_t n) */
  VM_BI_ELEM_DROP,     /* void (void *vmctx, uint32_t elem) */
  VM_BI_TABLE_SET,     /* void (void *vmctx, uint32_t table, uint64_t i, uint64_t val): GC refs */
  VM_BI_CALL_HOST,     /* void (void *host_ctx, void *values): a host function */
  VM_BI_FUNC_SUBTYPE,  /* uint32_t (void *vmctx, uint32_t sub, uint32_t super):
                          canonical type ids, 1 if sub <: super (function,
                          struct and array types: call_indirect's check and
                          the slow path of ref.test / ref.cast / br_on_cast) */
  /* Stores of GC references (every reference type outside the func
   * hierarchy) into globals and element segments: through the write barrier
   * (gc_write, gc/gc.h).  global.set and the init routine's global and
   * segment stores use these; funcrefs are not GC objects and are stored
   * inline. */
  VM_BI_GLOBAL_SET_REF, /* void (void *vmctx, vm_global *slot, uint32_t ref) */
  VM_BI_ELEM_SET_REF,   /* void (void *vmctx, uint32_t elem, uint32_t k, uint32_t ref):
                           item k of segment elem (init routine only) */
  VM_BI_ARRAY_NEW_DEFAULT, /* uint32_t (void *vmctx, uint32_t type_id, uint32_t elem_size,
                              uint32_t elem_refs, uint32_t length): a new
                              zeroed array (gc_ref) */
  /* The GC proposal's objects (jit/emit_gc.c; docs/jit.md "GC objects").
   * Every allocation goes through vm_gc_alloc (vm/gc_policy.h): it may
   * collect, and traps with VM_TRAP_HEAP_EXHAUSTED.  Values to store come
   * in memory of the caller's frame (where a collection's frame scan sees
   * them), laid out as in the object: elem_size bytes per element, struct
   * fields at their offsets.  elem_size is 1, 2, 4, 8 or 16; elem_refs: the
   * elements are counted GC references (4 bytes), stored through the
   * barrier; funcref elements are 8-byte vm_funcref pointers.  A null array
   * traps with VM_TRAP_NULL_ARRAY, a range outside it with
   * VM_TRAP_ARRAY_OOB (after the null checks, before anything is written). */
  VM_BI_STRUCT_NEW,        /* uint32_t (void *vmctx, uint32_t type_id,
                              const gc_struct_layout *layout, const void *fields):
                              fields NULL (struct.new_default) or layout->size
                              bytes holding the fields at their offsets (the
                              first 16, the header's, unused) */
  VM_BI_ARRAY_NEW,         /* uint32_t (void *vmctx, uint32_t type_id, uint32_t elem_size,
                              uint32_t elem_refs, uint32_t length, const void *value):
                              every element `value` */
  VM_BI_ARRAY_NEW_FIXED,   /* uint32_t (void *vmctx, uint32_t type_id, uint32_t elem_size,
                              uint32_t elem_refs, uint32_t n, const void *values):
                              the n elements at values */
  VM_BI_ARRAY_NEW_DATA,    /* uint32_t (void *vmctx, uint32_t type_id, uint32_t elem_size,
                              const vm_data *seg, uint32_t offset, uint32_t length):
                              a numeric array from a data segment's bytes
                              (VM_TRAP_MEMORY_OOB past its end) */
  VM_BI_ARRAY_NEW_ELEM,    /* uint32_t (void *vmctx, uint32_t type_id, uint32_t elem,
                              uint32_t offset, uint32_t length): an array of
                              references from element segment elem
                              (VM_TRAP_TABLE_OOB past its end) */
  VM_BI_ARRAY_FILL,        /* void (void *vmctx, uint32_t array, uint32_t i, const void *value,
                              uint32_t n, uint32_t elem_size, uint32_t elem_refs) */
  VM_BI_ARRAY_COPY,        /* void (void *vmctx, uint32_t dst, uint32_t d, uint32_t src,
                              uint32_t s, uint32_t n, uint32_t elem_size, uint32_t elem_refs):
                              as memmove, also within one array */
  VM_BI_ARRAY_INIT_DATA,   /* void (void *vmctx, uint32_t array, uint32_t d, const vm_data *seg,
                              uint32_t s, uint32_t n, uint32_t elem_size) */
  VM_BI_ARRAY_INIT_ELEM,   /* void (void *vmctx, uint32_t array, uint32_t d, uint32_t elem,
                              uint32_t s, uint32_t n) */
  VM_BI_GC_WRITE,          /* void (void *vmctx, uint32_t *slot, uint32_t ref): a GC
                              reference into a struct field or array element
                              (struct.set, array.set): the write barrier */
  VM_BI_COUNT_
} vm_builtin;

/* A data segment as generated code sees it: memory.init copies from it,
 * data.drop sets len to 0 (the bytes belong to the module). */
typedef struct vm_data {
  const uint8_t *ptr;
  uint64_t len;
} vm_data;

/* An element segment: its references as 64-bit words (vm_funcref pointers
 * or zero-extended GC references), written by the init routine into storage
 * the instance provides; len is 0 once dropped. */
typedef struct vm_elem_seg {
  uint64_t *items;
  uint64_t len;
} vm_elem_seg;

struct vm_mem;
struct vm_tab;
struct gc_heap;
/* What vmctx->instance points to starts with this: builtins reach an
 * instance's memories, tables and element segments through it (index
 * spaces as in the module: imports first).  elems points into the vmctx. */
typedef struct vm_instance_head {
  struct vm_mem **mems;
  struct vm_tab **tables;
  vm_elem_seg *elems;
  const void *types; /* the engine's type registry (frontend/types.h) */
  /* The store's GC heap cell (docs/gc.md "In the VM"): *heap is NULL until
   * the store's first GC allocation.  A barrier needs it only when an old or
   * new value is a heap reference, and then the heap exists. */
  struct gc_heap **heap;
  /* Per element segment: 1 if its items are GC references (32-bit, zero-
   * extended in the 64-bit words, counted), 0 if funcref pointers. */
  const uint8_t *elem_gc;
} vm_instance_head;

/* Trap codes passed to VM_BI_TRAP and reported by the signal handler. */
typedef enum vm_trap_code {
  VM_TRAP_NONE = 0,
  VM_TRAP_UNREACHABLE,
  VM_TRAP_MEMORY_OOB,
  VM_TRAP_TABLE_OOB,       /* table.get/set/... out of bounds */
  VM_TRAP_UNDEFINED_ELEM,  /* call_indirect past the table's end */
  VM_TRAP_INDIRECT_NULL,
  VM_TRAP_INDIRECT_TYPE,
  VM_TRAP_INT_DIV_ZERO,
  VM_TRAP_INT_OVERFLOW,
  VM_TRAP_BAD_CONVERSION,
  VM_TRAP_STACK_OVERFLOW,
  VM_TRAP_UNINIT_ELEM,
  VM_TRAP_NULL_REF,
  VM_TRAP_HEAP_EXHAUSTED,  /* a GC allocation failed (heap limit, memory) */
  VM_TRAP_NULL_STRUCT,     /* struct.get/set on null */
  VM_TRAP_NULL_ARRAY,      /* array instructions on null */
  VM_TRAP_NULL_I31,        /* i31.get_s/u on null */
  VM_TRAP_ARRAY_OOB,       /* an array index or range past the length */
  VM_TRAP_CAST,            /* ref.cast of a value not of the type */
  VM_TRAP_COUNT_
} vm_trap_code;

/* The fixed header of every vmctx — and of every host function's context,
 * so that the host trampolines (kiln_h<T>, jit.h) find the builtins table
 * and the stack limit the same way Wasm functions do. */
typedef struct vm_vmctx_header {
  uintptr_t stack_limit;     /* prologues trap when the frame address is
                                below it: the limit of the thread that runs
                                the store's code now.  Every vmctx of a store
                                holds the same value; an entry from the host
                                on another thread than the last rewrites them
                                all (vm_stack_group, vm/instance.h), so a
                                prologue reads it with one load */
  const void *const *builtins;
  void *instance;            /* the owning instance (vm/ internal) */
  void *store;
  struct vm_stack_group *stack_group; /* the store's, or NULL (vm/ internal) */
} vm_vmctx_header;

/* The vmctxs of one store, which must all hold the stack limit of the
 * thread running the store's code (vm/instance.h: vm_stack_enter). */
typedef struct vm_stack_group {
  uintptr_t limit; /* what every member holds */
  vm_vmctx_header **members;
  size_t n, cap;
  unsigned active; /* entries from the host now running (vm_invoke) */
} vm_stack_group;

/* Where each part of a module's vmctx lives (byte offsets from vmctx).
 * Arrays are indexed by the module's index spaces. */
typedef struct vm_layout {
  uint32_t size;          /* total bytes, a multiple of 16 */
  uint32_t memories;      /* nmems x (vm_memory *) */
  uint32_t tables;        /* ntables x (vm_table *) */
  uint32_t global_ptrs;   /* nglobal_imports x (vm_global *) */
  uint32_t globals;       /* defined globals: x 16-byte vm_global, 16-aligned */
  uint32_t func_imports;  /* nfunc_imports x (vm_funcref *) */
  uint32_t funcs;         /* defined functions: x vm_funcref */
  uint32_t type_ids;      /* ntypes x uint32_t canonical ids */
  uint32_t datas;         /* ndatas x vm_data */
  uint32_t elems;         /* nelems x vm_elem_seg */
} vm_layout;

/* Offsets of single entries, so that no caller multiplies by hand. */
static inline uint32_t vm_off_memory(const vm_layout *l, uint32_t i) {
  return l->memories + 8 * i;
}
static inline uint32_t vm_off_table(const vm_layout *l, uint32_t i) {
  return l->tables + 8 * i;
}
static inline uint32_t vm_off_global_ptr(const vm_layout *l, uint32_t i) {
  return l->global_ptrs + 8 * i; /* i: import index (< nglobal_imports) */
}
static inline uint32_t vm_off_global(const vm_layout *l, uint32_t i) {
  return l->globals + 16 * i;    /* i: defined index (global - imports) */
}
static inline uint32_t vm_off_func_import(const vm_layout *l, uint32_t i) {
  return l->func_imports + 8 * i;
}
static inline uint32_t vm_off_func(const vm_layout *l, uint32_t i) {
  return l->funcs + (uint32_t)sizeof(vm_funcref) * i; /* i: defined index */
}
static inline uint32_t vm_off_type_id(const vm_layout *l, uint32_t t) {
  return l->type_ids + 4 * t;
}
static inline uint32_t vm_off_data(const vm_layout *l, uint32_t d) {
  return l->datas + (uint32_t)sizeof(vm_data) * d;
}
static inline uint32_t vm_off_elem(const vm_layout *l, uint32_t e) {
  return l->elems + (uint32_t)sizeof(vm_elem_seg) * e;
}

/* Header field offsets. */
#define VM_OFF_STACK_LIMIT ((uint32_t)offsetof(vm_vmctx_header, stack_limit))
#define VM_OFF_BUILTINS ((uint32_t)offsetof(vm_vmctx_header, builtins))

/* What the instance's images cover (vm/image.h), so that the init routine
 * (jit/emit_init.c) leaves it alone: decided once per module. */
typedef struct vm_fold {
  uint8_t *globals; /* per defined global: 1 if its value is in the vmctx image */
  uint8_t *tables;  /* per table (index space): 1 if its initial elements
                       (initializer and active segments) are an image */
  uint8_t elems;    /* 1: every active element segment is in the table images
                       and starts dropped (neither evaluated nor applied by
                       the routine) */
  uint8_t datas;    /* 1: every active data segment is in the memory images
                       and starts dropped */
} vm_fold;

struct fe_module;
/* Lays out the vmctx of module m. */
void vm_layout_compute(const struct fe_module *m, vm_layout *out);

#endif
