/* vm/builtins.c — the builtins table and the builtins that are not part of
 * another concept's file (see builtins.h). */
#include "builtins.h"

#include <string.h>

#include "gc_policy.h"

#include "frontend/types.h"
#include "gc/gc.h"
#include "host.h"
#include "table.h"
#include "trap.h"

/* noinline: the return address must be the call site in generated code. */
__attribute__((noinline)) _Noreturn void vm_builtin_trap(void *vmctx, uint32_t code) {
  (void)vmctx;
  vm_trap_raise_at((vm_trap_code)code, (uintptr_t)__builtin_return_address(0));
}

/* The slow path of call_indirect's signature check (ids differ): Wasm 3.0
 * accepts a function whose type is a declared subtype of the expected one. */
uint32_t vm_builtin_func_subtype(void *vmctx, uint32_t sub, uint32_t super) {
  const vm_vmctx_header *h = vmctx;
  const vm_instance_head *inst = h->instance;
  return fe_typereg_sub(inst->types, sub, super);
}

/* array.new_default: a zeroed array in the store's heap (created on first
 * use, like vm_store_heap does).  The new object is in the zero-count
 * table: a Wasm frame holds it until it is stored somewhere counted
 * (docs/gc.md).  A failed allocation traps. */
typedef struct array_args {
  uint32_t type_id, elem_size, elem_refs, length;
} array_args;

static gc_ref alloc_array(gc_heap *h, void *arg) {
  const array_args *a = arg;
  return gc_array_new(h, a->type_id, a->elem_size, a->elem_refs != 0, a->length);
}

uint32_t vm_builtin_array_new_default(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                      uint32_t elem_refs, uint32_t length) {
  array_args a = {type_id, elem_size, elem_refs, length};
  return vm_gc_alloc(vmctx, alloc_array, &a);
}

/* ---- the GC proposal's objects (vmctx.h: VM_BI_STRUCT_NEW ...) ---------- */

static const vm_instance_head *instance_of(void *vmctx) {
  return ((const vm_vmctx_header *)vmctx)->instance;
}

/* The store's heap, which exists once any object does (so for every
 * builtin given a non-null object). */
static gc_heap *heap_of(void *vmctx) { return *instance_of(vmctx)->heap; }

/* The address of object r's byte `off` (from its header). */
static uint8_t *object_at(gc_heap *h, gc_ref r, uint32_t off) {
  return (uint8_t *)gc_header_of(h, r) + off;
}

/* [i, i + n) within [0, size)? */
static bool in_range(uint64_t i, uint64_t n, uint64_t size) {
  return n <= size && i <= size - n;
}

/* Counts the GC references that were copied into the n 4-byte slots at p
 * as plain bytes: each slot is written again through the barrier, over
 * null. */
static void count_copied_refs(gc_heap *h, uint8_t *p, uint64_t n) {
  for (uint64_t k = 0; k < n; k++) {
    gc_ref *slot = (gc_ref *)(void *)(p + 4 * k);
    gc_ref v = *slot;
    *slot = GC_NULL;
    gc_write(h, slot, v);
  }
}

typedef struct struct_args {
  uint32_t type_id;
  const gc_struct_layout *layout;
} struct_args;

static gc_ref alloc_struct(gc_heap *h, void *arg) {
  const struct_args *a = arg;
  return gc_struct_new(h, a->type_id, a->layout);
}

/* struct.new / struct.new_default.  The new struct's fields are zero, so
 * the GC-reference fields copied in are counted by writing each again
 * through the barrier. */
uint32_t vm_builtin_struct_new(void *vmctx, uint32_t type_id, const gc_struct_layout *layout,
                               const void *fields) {
  struct_args a = {type_id, layout};
  gc_ref r = vm_gc_alloc(vmctx, alloc_struct, &a);
  if (fields && layout->size > sizeof(gc_header)) {
    gc_heap *h = heap_of(vmctx);
    uint8_t *o = object_at(h, r, 0);
    memcpy(o + sizeof(gc_header), (const uint8_t *)fields + sizeof(gc_header),
           layout->size - sizeof(gc_header));
    for (uint32_t i = 0; i < layout->nrefs; i++) {
      gc_ref *slot = (gc_ref *)(void *)(o + layout->ref_offsets[i]);
      gc_ref v = *slot;
      *slot = GC_NULL;
      gc_write(h, slot, v);
    }
  }
  return r;
}

/* An array of `length` zeroed elements (vm_gc_alloc: may collect, traps
 * when it cannot be had); its element 0. */
static gc_ref new_array(void *vmctx, uint32_t type_id, uint32_t elem_size, uint32_t elem_refs,
                        uint32_t length, uint8_t **elems) {
  array_args a = {type_id, elem_size, elem_refs, length};
  gc_ref r = vm_gc_alloc(vmctx, alloc_array, &a);
  *elems = object_at(heap_of(vmctx), r, GC_ARRAY_ELEMS);
  return r;
}

/* Writes `value` (elem_size bytes) into the n elements at p: GC references
 * through the barrier. */
static void fill_elems(gc_heap *h, uint8_t *p, const void *value, uint64_t n, uint32_t elem_size,
                       uint32_t elem_refs) {
  if (elem_refs) {
    gc_ref v;
    memcpy(&v, value, sizeof v);
    for (uint64_t k = 0; k < n; k++)
      gc_write(h, (gc_ref *)(void *)(p + 4 * k), v);
  } else if (elem_size == 1) {
    memset(p, *(const uint8_t *)value, n);
  } else {
    for (uint64_t k = 0; k < n; k++)
      memcpy(p + k * elem_size, value, elem_size);
  }
}

uint32_t vm_builtin_array_new(void *vmctx, uint32_t type_id, uint32_t elem_size,
                              uint32_t elem_refs, uint32_t length, const void *value) {
  uint8_t *elems;
  gc_ref r = new_array(vmctx, type_id, elem_size, elem_refs, length, &elems);
  static const uint8_t zero[16];
  if (memcmp(value, zero, elem_size) != 0) /* else: already the value */
    fill_elems(heap_of(vmctx), elems, value, length, elem_size, elem_refs);
  return r;
}

uint32_t vm_builtin_array_new_fixed(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                    uint32_t elem_refs, uint32_t n, const void *values) {
  uint8_t *elems;
  gc_ref r = new_array(vmctx, type_id, elem_size, elem_refs, n, &elems);
  if (n) {
    memcpy(elems, values, (size_t)n * elem_size);
    if (elem_refs)
      count_copied_refs(heap_of(vmctx), elems, n);
  }
  return r;
}

/* The bytes [s, s + n * elem_size) of data segment seg, or a trap. */
static const uint8_t *data_range(const vm_data *seg, uint32_t s, uint32_t n, uint32_t elem_size) {
  uint64_t bytes = (uint64_t)n * elem_size;
  if (!in_range(s, bytes, seg->len))
    vm_trap_raise(VM_TRAP_MEMORY_OOB);
  return seg->ptr + s;
}

uint32_t vm_builtin_array_new_data(void *vmctx, uint32_t type_id, uint32_t elem_size,
                                   const vm_data *seg, uint32_t offset, uint32_t length) {
  const uint8_t *src = data_range(seg, offset, length, elem_size);
  uint8_t *elems;
  gc_ref r = new_array(vmctx, type_id, elem_size, 0, length, &elems);
  if (length)
    memcpy(elems, src, (size_t)length * elem_size);
  return r;
}

/* Copies items [s, s + n) of element segment `elem` into the n elements
 * at p (GC references through the barrier: p's elements are written over
 * null or over a live array's elements alike). */
static void copy_items(void *vmctx, uint8_t *p, uint32_t elem, uint32_t s, uint32_t n) {
  const vm_instance_head *inst = instance_of(vmctx);
  const uint64_t *items = inst->elems[elem].items + s;
  if (inst->elem_gc[elem]) {
    gc_heap *h = heap_of(vmctx);
    for (uint32_t k = 0; k < n; k++)
      gc_write(h, (gc_ref *)(void *)(p + 4 * k), (gc_ref)items[k]);
  } else {
    for (uint32_t k = 0; k < n; k++) {
      void *fr = (void *)(uintptr_t)items[k];
      memcpy(p + 8 * k, &fr, sizeof fr);
    }
  }
}

/* Element segment elem holds [s, s + n)?  Else a trap. */
static void check_items(void *vmctx, uint32_t elem, uint32_t s, uint32_t n) {
  if (!in_range(s, n, instance_of(vmctx)->elems[elem].len))
    vm_trap_raise(VM_TRAP_TABLE_OOB);
}

uint32_t vm_builtin_array_new_elem(void *vmctx, uint32_t type_id, uint32_t elem,
                                   uint32_t offset, uint32_t length) {
  check_items(vmctx, elem, offset, length);
  uint32_t gc = instance_of(vmctx)->elem_gc[elem];
  uint8_t *elems;
  gc_ref r = new_array(vmctx, type_id, gc ? 4 : 8, gc, length, &elems);
  copy_items(vmctx, elems, elem, offset, length);
  return r;
}

/* Array r (trapping if null) has [i, i + n)?  Then its element i. */
static uint8_t *array_range(gc_heap *h, gc_ref r, uint32_t i, uint32_t n, uint32_t elem_size) {
  if (r == GC_NULL)
    vm_trap_raise(VM_TRAP_NULL_ARRAY);
  if (!in_range(i, n, gc_array_len(h, r)))
    vm_trap_raise(VM_TRAP_ARRAY_OOB);
  return object_at(h, r, GC_ARRAY_ELEMS) + (uint64_t)i * elem_size;
}

void vm_builtin_array_fill(void *vmctx, uint32_t array, uint32_t i, const void *value, uint32_t n,
                           uint32_t elem_size, uint32_t elem_refs) {
  gc_heap *h = array ? heap_of(vmctx) : NULL;
  uint8_t *p = array_range(h, array, i, n, elem_size);
  fill_elems(h, p, value, n, elem_size, elem_refs);
}

void vm_builtin_array_copy(void *vmctx, uint32_t dst, uint32_t d, uint32_t src, uint32_t s,
                           uint32_t n, uint32_t elem_size, uint32_t elem_refs) {
  if (dst == GC_NULL || src == GC_NULL)
    vm_trap_raise(VM_TRAP_NULL_ARRAY);
  gc_heap *h = heap_of(vmctx);
  uint8_t *pd = array_range(h, dst, d, n, elem_size);
  uint8_t *ps = array_range(h, src, s, n, elem_size);
  if (!elem_refs) {
    memmove(pd, ps, (size_t)n * elem_size);
    return;
  }
  /* one by one through the barrier, in the direction that reads every
   * source element before it is overwritten (as memmove) */
  gc_ref *sd = (gc_ref *)(void *)pd, *ss = (gc_ref *)(void *)ps;
  if (pd <= ps) {
    for (uint32_t k = 0; k < n; k++)
      gc_write(h, &sd[k], ss[k]);
  } else {
    for (uint32_t k = n; k-- > 0;)
      gc_write(h, &sd[k], ss[k]);
  }
}

void vm_builtin_array_init_data(void *vmctx, uint32_t array, uint32_t d, const vm_data *seg,
                                uint32_t s, uint32_t n, uint32_t elem_size) {
  gc_heap *h = array ? heap_of(vmctx) : NULL;
  uint8_t *p = array_range(h, array, d, n, elem_size);
  const uint8_t *src = data_range(seg, s, n, elem_size);
  if (n)
    memcpy(p, src, (size_t)n * elem_size);
}

void vm_builtin_array_init_elem(void *vmctx, uint32_t array, uint32_t d, uint32_t elem,
                                uint32_t s, uint32_t n) {
  gc_heap *h = array ? heap_of(vmctx) : NULL;
  uint8_t *p = array_range(h, array, d, n, instance_of(vmctx)->elem_gc[elem] ? 4 : 8);
  check_items(vmctx, elem, s, n);
  copy_items(vmctx, p, elem, s, n);
}

void vm_builtin_gc_write(void *vmctx, uint32_t *slot, uint32_t ref) {
  gc_write(heap_of(vmctx), slot, ref);
}

int64_t vm_builtin_memory_grow(void *vmctx, uint32_t mem, uint64_t delta) {
  const vm_vmctx_header *h = vmctx;
  const vm_instance_head *inst = h->instance;
  return vm_mem_grow(inst->mems[mem], delta);
}

/* Function pointers stored as data pointers (POSIX guarantees the round
 * trip); generated code loads a slot and calls it with the signature that
 * vmctx.h documents for it.  Every vm_builtin needs an entry here: a
 * missing one is NULL, and generated code that calls it crashes.  The
 * table builtins (VM_BI_TABLE_*, VM_BI_ELEM_DROP) get theirs with the
 * table implementation. */
const void *const vm_builtins[VM_BI_COUNT_] = {
    [VM_BI_TRAP] = (const void *)vm_builtin_trap,
    [VM_BI_MEMORY_GROW] = (const void *)vm_builtin_memory_grow,
    [VM_BI_TABLE_GROW] = (const void *)vm_builtin_table_grow,
    [VM_BI_TABLE_FILL] = (const void *)vm_builtin_table_fill,
    [VM_BI_TABLE_COPY] = (const void *)vm_builtin_table_copy,
    [VM_BI_TABLE_INIT] = (const void *)vm_builtin_table_init,
    [VM_BI_ELEM_DROP] = (const void *)vm_builtin_elem_drop,
    [VM_BI_TABLE_SET] = (const void *)vm_builtin_table_set,
    [VM_BI_CALL_HOST] = (const void *)vm_builtin_call_host,
    [VM_BI_FUNC_SUBTYPE] = (const void *)vm_builtin_func_subtype,
    [VM_BI_GLOBAL_SET_REF] = (const void *)vm_builtin_global_set_ref,
    [VM_BI_ELEM_SET_REF] = (const void *)vm_builtin_elem_set_ref,
    [VM_BI_ARRAY_NEW_DEFAULT] = (const void *)vm_builtin_array_new_default,
    [VM_BI_STRUCT_NEW] = (const void *)vm_builtin_struct_new,
    [VM_BI_ARRAY_NEW] = (const void *)vm_builtin_array_new,
    [VM_BI_ARRAY_NEW_FIXED] = (const void *)vm_builtin_array_new_fixed,
    [VM_BI_ARRAY_NEW_DATA] = (const void *)vm_builtin_array_new_data,
    [VM_BI_ARRAY_NEW_ELEM] = (const void *)vm_builtin_array_new_elem,
    [VM_BI_ARRAY_FILL] = (const void *)vm_builtin_array_fill,
    [VM_BI_ARRAY_COPY] = (const void *)vm_builtin_array_copy,
    [VM_BI_ARRAY_INIT_DATA] = (const void *)vm_builtin_array_init_data,
    [VM_BI_ARRAY_INIT_ELEM] = (const void *)vm_builtin_array_init_elem,
    [VM_BI_GC_WRITE] = (const void *)vm_builtin_gc_write,
};
_Static_assert(VM_BI_GC_WRITE + 1 == VM_BI_COUNT_, "every builtin has its slot");
