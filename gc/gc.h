/* gc/gc.h — the per-store GC heap: references, the write barrier, deferred
 * reference counting with a zero-count table, API roots, finalizers,
 * statistics and the heap verifier.  The one header of gc/ (docs/gc.md).
 *
 * THE INVARIANT.  Every stored reference is counted; counts are exact for
 * heap/table/global/segment holders; an object with rc 0 is in the ZCT and
 * is freed only at a reclamation point if no root holds it.
 *
 *   "Stored" means held by a table slot, a global, an element segment or a
 *   field of a heap object: every such store goes through gc_write, the only
 *   way a reference is written there.  References held by Wasm frames and by
 *   the host's C stack are NOT counted (deferred counting): reading a
 *   reference needs no barrier.  Roots that are not counted are API handles
 *   (gc_root_add, a per-object handle count) and Wasm frames (scanned
 *   conservatively by gc_reclaim_frames / gc_collect_full; gc_reclaim
 *   itself frees nothing while frames are active).
 *
 * References are 32-bit offsets from the heap's region base (gc_ref): 0 is
 * null, low bit 1 an unboxed i31 (value << 1 | 1), anything else the offset
 * of an object header.  A heap and every reference in it are used by one
 * thread at a time (their store's); nothing here is synchronized.
 */
#ifndef KILN_GC_GC_H
#define KILN_GC_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t gc_ref;
typedef struct gc_heap gc_heap;

#define GC_NULL ((gc_ref)0)

/* ---- references --------------------------------------------------------- */

/* True for a reference to a heap object (non-null, not an i31). */
static inline bool gc_is_heap_ref(gc_ref r) { return r != 0 && (r & 1u) == 0; }
static inline bool gc_is_i31(gc_ref r) { return (r & 1u) != 0; }
/* i31 boxing: the low 31 bits of v, shifted; unboxing sign- or
 * zero-extends (i31.get_s / i31.get_u). */
static inline gc_ref gc_i31_new(uint32_t v) { return (v << 1) | 1u; }
static inline int32_t gc_i31_get_s(gc_ref r) { return (int32_t)r >> 1; }
static inline uint32_t gc_i31_get_u(gc_ref r) { return r >> 1; }

/* ---- objects ------------------------------------------------------------ */

/* Object kinds.  0 marks a free (or never used) cell. */
typedef enum gc_kind {
  GC_KIND_FREE = 0,
  GC_KIND_EXTERN = 1, /* externref box: host data + finalizer, no children */
  GC_KIND_ARRAY = 2,  /* a Wasm array: length, element size, elements; its
                         children are its elements when they are GC refs */
  GC_KIND_STRUCT = 3, /* a Wasm struct: its fields after the header, at the
                         offsets of its layout (gc_struct_layout); its
                         children are its GC-reference fields */
  GC_KIND_COUNT_
} gc_kind;

/* Every object starts with this header (16 bytes; objects are 8-aligned).
 * rc counts stored references (sticky at UINT32_MAX: such an object lives
 * until its heap is destroyed); handles counts API roots (sticky too). */
typedef struct gc_header {
  uint32_t rc;
  uint32_t type_id; /* canonical type id (structs/arrays); 0 for extern */
  uint8_t kind;     /* gc_kind */
  uint8_t sclass;   /* size class of the cell */
  uint8_t flags;    /* GC_F_* (gc.c) */
  uint8_t reserved_;
  uint32_t handles;
} gc_header;

typedef void gc_finalizer(void *host_data);

/* ---- errors ------------------------------------------------------------- */

typedef enum gc_status {
  GC_OK = 0,
  GC_ERR_LIMIT,     /* the heap's configured limit is reached */
  GC_ERR_NOMEM,     /* the system refused address space or memory */
  GC_ERR_TOO_LARGE, /* larger than the largest size class (for now) */
} gc_status;

const char *gc_status_message(gc_status s);

/* ---- the heap ----------------------------------------------------------- */

/* Where the region's base address sits in a gc_heap (the struct is opaque
 * otherwise): generated code loads it from the store's heap cell to reach
 * objects (jit/emit_gc.c). */
#define GC_HEAP_BASE_OFFSET 0u

/* The largest heap: offsets are 32 bits.  The first 64 KiB of the region are
 * never used (offset 0 is null), so at most GC_HEAP_MAX - 64 KiB holds
 * objects. */
#define GC_HEAP_MAX ((uint64_t)1 << 32)

enum {
  GC_HEAP_POISON = 1u << 0, /* fill freed cells with 0xdb */
};
#ifdef NDEBUG
#define GC_HEAP_DEFAULT_FLAGS 0u
#else
#define GC_HEAP_DEFAULT_FLAGS ((unsigned)GC_HEAP_POISON)
#endif

/* A heap whose committed object memory may grow to limit bytes (rounded
 * down to 64 KiB; 0 or above the maximum: the maximum).  Cheap: the region
 * is reserved at the first allocation.  NULL if malloc fails. */
__attribute__((warn_unused_result)) gc_heap *gc_heap_new(uint64_t limit,
                                                         unsigned flags);
/* Runs every pending finalizer, then the finalizer of every live object,
 * each exactly once, then unmaps the region.  NULL is allowed. */
void gc_heap_free(gc_heap *h);

/* The status of the last failed allocation (GC_OK after a success). */
gc_status gc_last_error(const gc_heap *h);
/* Objects allocated since the heap was made (cheap: for collection
 * policies). */
uint64_t gc_allocations(const gc_heap *h);

/* A new externref box holding host_data (finalizer may be NULL).  It
 * starts with rc 0, in the ZCT: the caller must store it (gc_write) or
 * root it (gc_root_add) before the next reclamation point.  GC_NULL on
 * failure, with the reason in gc_last_error; never aborts. */
__attribute__((warn_unused_result)) gc_ref gc_extern_new(gc_heap *h,
                                                         void *host_data,
                                                         gc_finalizer *fin);
void *gc_extern_data(const gc_heap *h, gc_ref r);

/* A Wasm array of `length` elements of `elem_size` bytes (1, 2, 4, 8, 16),
 * all zero: the default value of every storage type (0, +0.0, null).
 * elem_refs: the elements are 32-bit GC references, which the array counts
 * (its children).  type_id: the array type's canonical id.  GC_NULL with
 * gc_last_error set when it cannot be allocated (GC_ERR_TOO_LARGE beyond
 * 2^31 bytes; larger than 8 KiB: whole pages of their own). */
__attribute__((warn_unused_result)) gc_ref gc_array_new(gc_heap *h, uint32_t type_id,
                                                        uint32_t elem_size, bool elem_refs,
                                                        uint32_t length);
/* The length of array r. */
uint32_t gc_array_len(const gc_heap *h, gc_ref r);
/* The address of array r's element 0 (elements are contiguous, elem_size
 * bytes each, 8-aligned: offset GC_ARRAY_ELEMS from the header). */
#define GC_ARRAY_ELEMS 24u
#define GC_ARRAY_LENGTH 16u /* offset of the uint32_t length */

/* A struct type's layout, the same for every module (it depends only on
 * the canonical type): fields in declaration order after the 16-byte
 * header, each at the next multiple of its size (i8 1, i16 2, i32 / f32 /
 * GC reference 4, i64 / f64 / funcref pointer 8, v128 16); size is the end
 * of the last field.  ref_offsets lists the offsets (from the header) of
 * the GC-reference fields, which the struct counts.  The heap keeps a copy
 * of each type's layout (by type id), made at the type's first allocation:
 * the caller's may go away. */
typedef struct gc_struct_layout {
  uint32_t size;          /* bytes, header included */
  uint32_t nrefs;
  const uint32_t *ref_offsets;
} gc_struct_layout;

/* The bytes a field or element of a storage type takes in an object, by
 * its binary type code (i8 0x78: 1, i16 0x77: 2, i32 0x7f / f32 0x7d: 4,
 * i64 0x7e / f64 0x7c: 8, v128 0x7b: 16); any other code is a reference:
 * 8 for a funcref (a vm_funcref pointer), 4 for a GC reference.  The one
 * rule the compiler (jit/emit_gc.c) and the host API (vm/gc_api.c) share. */
static inline uint32_t gc_storage_size(uint32_t code, bool funcref) {
  switch (code) {
  case 0x78: return 1;
  case 0x77: return 2;
  case 0x7f: case 0x7d: return 4;
  case 0x7e: case 0x7c: return 8;
  case 0x7b: return 16;
  default: return funcref ? 8 : 4;
  }
}

/* A struct of type type_id with the given layout, all fields zero (their
 * default values).  GC_NULL with gc_last_error set on failure. */
__attribute__((warn_unused_result)) gc_ref gc_struct_new(gc_heap *h, uint32_t type_id,
                                                         const gc_struct_layout *layout);

/* The header of object r (r must be a live heap reference). */
gc_header *gc_header_of(const gc_heap *h, gc_ref r);
/* True if r is the offset of a live object's header (the object-start map:
 * also used to validate references, e.g. by a conservative frame scan). */
bool gc_is_object(const gc_heap *h, gc_ref r);

/* ---- the write barrier -------------------------------------------------- */

/* The out-of-line part: inc(v); *slot = v; dec(old).  Called only when v or
 * *slot is a heap reference.  A count reaching 0 puts the object in the ZCT;
 * nothing is ever freed here.  Never fails. */
void gc_write_slow(gc_heap *h, gc_ref *slot, gc_ref v);

/* Stores v into a counted slot (table element, global, segment item, object
 * field).  The only way such a slot is written. */
static inline void gc_write(gc_heap *h, gc_ref *slot, gc_ref v) {
  if (gc_is_heap_ref(v) || gc_is_heap_ref(*slot))
    gc_write_slow(h, slot, v);
  else
    *slot = v;
}

/* ---- roots -------------------------------------------------------------- */

/* API handles: an object with a handle is not freed, whatever its count.
 * Null and i31 are ignored. */
void gc_root_add(gc_heap *h, gc_ref r);
void gc_root_remove(gc_heap *h, gc_ref r);

/* ---- reclamation and finalizers ----------------------------------------- */

/* An enumeration of roots: calls visit(vctx, ref) once for every counted
 * slot outside the heap (table elements, globals, segment items). */
typedef void gc_visit_fn(void *vctx, gc_ref r);
typedef void gc_enumerate_fn(void *ud, gc_visit_fn *visit, void *vctx);

/* A reclamation point.  With no Wasm frame active, frees every ZCT object
 * with rc 0 and no API handle (and, transitively, what only they held),
 * queueing finalizers.  With frames active, frees nothing: the VM calls
 * gc_reclaim_frames then, with the frames' stack range.  Returns the number
 * of objects freed. */
size_t gc_reclaim(gc_heap *h, bool wasm_frames_active);

/* The object whose cell contains region offset off (an object start or an
 * offset into it), or GC_NULL: the object-start map a conservative scan
 * needs. */
gc_ref gc_object_containing(const gc_heap *h, uint64_t off);

/* A reclamation point while Wasm frames are active: the stack range
 * [lo, hi) (the frames, and the registers they had, spilled there by the
 * caller) is scanned conservatively — every 4-byte aligned 32-bit word as a
 * reference or an offset derived from one, every 8-byte aligned word as an
 * address into the region — and every ZCT object with rc 0, no handle and
 * no candidate word inside it is freed.  Returns the number freed (0 if the
 * scan could not complete: out of memory). */
size_t gc_reclaim_frames(gc_heap *h, const void *lo, const void *hi);

/* The backup tracing collection, for what counting cannot reclaim
 * (cycles): marks from the roots — every counted slot outside the heap
 * (roots: the verifier's enumeration), API handles, and the stack range
 * [lo, hi) scanned as gc_reclaim_frames does (NULL, NULL: no frames) — and
 * frees every object not reached, dropping the counts it held on
 * survivors; then reclaims the ZCT.  Returns the number of objects freed. */
size_t gc_collect_full(gc_heap *h, gc_enumerate_fn *roots, void *ud, const void *lo,
                       const void *hi);

/* Runs the queued finalizers (outside Wasm).  A finalizer may free or
 * inspect its host data and touch other stores, but must not touch the
 * store (or heap) it belongs to.  Returns how many ran. */
size_t gc_run_finalizers(gc_heap *h);

/* ---- statistics and verification ---------------------------------------- */

typedef struct gc_stats {
  uint64_t live_objects;
  uint64_t live_bytes;      /* cell sizes of live objects */
  uint64_t zct_size;
  uint64_t allocations;     /* since creation */
  uint64_t frees;           /* since creation */
  uint64_t pending_finalizers;
  uint64_t committed_bytes; /* readable/writable part of the region */
  uint64_t reserved_bytes;  /* the whole region (0 before the first alloc) */
  uint64_t limit_bytes;
  uint64_t collections;      /* gc_reclaim_frames and gc_collect_full calls */
  uint64_t traces;           /* gc_collect_full calls */
  uint64_t traced_frees;     /* objects the tracer freed (counting could not:
                                cycles, or a count that was never dropped) */
} gc_stats;

void gc_get_stats(const gc_heap *h, gc_stats *out);

/* The heap verifier.  The VM's enumerator calls visit(vctx, ref) once for
 * every counted slot outside the heap (table elements, globals, segment
 * items); the verifier adds the fields of heap objects itself, recomputes
 * every object's count and compares it with the stored one.  It also checks
 * that every visited heap reference is a live object and that every object
 * with rc 0 is in the ZCT.  Returns the number of problems (0: consistent)
 * and describes the first in err (if n > 0).  Changes nothing. */
size_t gc_verify(gc_heap *h, gc_enumerate_fn *enumerate, void *ud, char *err,
                 size_t n);

#endif
