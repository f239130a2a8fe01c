/* vm/memory.h — linear memories: reservation, growth, the vm_memory record
 * generated code reads, and process-wide counters.
 *
 * A memory never moves: its whole possible extent is reserved as
 * inaccessible address space when it is created, and growing makes a
 * further part of the reservation readable and writable (mprotect).  So
 * generated code may keep the base in a register across calls, and
 * vm_memory.base never changes.
 *
 *   32-bit memories reserve VM_MEM32_RESERVE bytes (8 GiB + 64 KiB): any
 *   32-bit address plus any 32-bit static offset plus an access of up to 16
 *   bytes lands inside the reservation.  Generated code still checks every
 *   access against vm_memory.length (exact traps: docs/jit.md "Memory
 *   accesses"); the inaccessible rest is a second line of defence, whose
 *   faults the trap handler (vm/trap.c) turns into VM_TRAP_MEMORY_OOB.
 *
 *   64-bit memories reserve min(max, engine limit, the 64-bit reservation
 *   cap) pages; generated code checks every access against
 *   vm_memory.length.  Growth past the reservation fails like growth past
 *   the maximum (memory.grow returns -1, which the spec allows).
 *
 * New pages read as zero (fresh anonymous mappings are).  A memory is used
 * by one thread at a time (its store's); vm_mem_grow is not synchronized.
 */
#ifndef KILN_VM_MEMORY_H
#define KILN_VM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctx.h"

#define VM_PAGE_SIZE ((uint64_t)65536)
#define VM_MEM32_MAX_PAGES ((uint64_t)65536) /* 4 GiB */
#define VM_MEM32_RESERVE (((uint64_t)8 << 30) + VM_PAGE_SIZE)
/* The default cap on a 64-bit memory's reservation, in pages (64 GiB):
 * x86-64 gives a process 128 TiB of address space. */
#define VM_MEM64_RESERVE_PAGES ((uint64_t)1 << 20)

typedef struct vm_mem vm_mem;

/* Creates a memory of min_pages pages.  max_pages is the declared maximum
 * (UINT64_MAX: none), limit_pages the engine's cap (UINT64_MAX: none).  On
 * failure — a minimum above the maximum, the limit or the index type's
 * range; address space or memory exhausted — returns NULL and writes a
 * NUL-terminated message to err (if n > 0). */
__attribute__((warn_unused_result)) vm_mem *
vm_mem_new(uint64_t min_pages, uint64_t max_pages, bool is64,
           uint64_t limit_pages, char *err, size_t n);

/* memory.grow: adds delta_pages zeroed pages and returns the old size in
 * pages, or -1 (nothing changed) if the new size would exceed the maximum,
 * the engine's limit or the reservation, or the system refuses. */
int64_t vm_mem_grow(vm_mem *m, uint64_t delta_pages);

/* The record generated code reads; it lives as long as the memory and
 * never moves, so a vmctx points to it. */
vm_memory *vm_mem_record(vm_mem *m);

uint64_t vm_mem_pages(const vm_mem *m);
/* The largest size growth may reach, in pages (min of maximum, limit and
 * reservation). */
uint64_t vm_mem_max_pages(const vm_mem *m);
/* The maximum of the memory's type, as declared (UINT64_MAX: none): what
 * import matching and wasm_memory_type see, whatever the engine's limit or
 * a pool slot let growth reach. */
uint64_t vm_mem_declared_max(const vm_mem *m);
bool vm_mem_is64(const vm_mem *m);

struct vm_mem_image;
/* Gives a new memory its initial contents (vm/image.h): the image's bytes,
 * copied or mapped copy-on-write; the image must fit the memory's size. */
void vm_mem_apply_image(vm_mem *m, struct vm_mem_image *mi);
/* Makes the first len bytes (within the size) zero again. */
void vm_mem_clear(vm_mem *m, uint64_t len);

/* Pool slots (vm/pool.c).  vm_mem_pool_new wraps `reserved` bytes of
 * address space at base (PROT_NONE, owned by the pool) as a memory held by
 * nobody.  vm_mem_pool_take gives it to an instance with the same checks
 * and limits as vm_mem_new: clean means it is in the state the previous
 * release left for the same module (accessible up to min_pages, its image
 * mapped, nothing dirty); otherwise it is reset to a bare reservation first
 * and the caller applies the image.  vm_mem_pool_release drops what the
 * instance dirtied and leaves keep_pages accessible (false if the system
 * refused: then the slot must not be taken clean again).  vm_mem_free of a
 * pooled memory releases it keeping nothing. */
vm_mem *vm_mem_pool_new(uint8_t *base, size_t reserved);
void vm_mem_pool_delete(vm_mem *m);
bool vm_mem_pool_take(vm_mem *m, uint64_t min_pages, uint64_t max_pages, bool is64,
                      uint64_t limit_pages, bool clean, char *err, size_t n);
bool vm_mem_pool_release(vm_mem *m, uint64_t keep_pages);

/* Unmaps the memory; NULL is allowed. */
void vm_mem_free(vm_mem *m);

/* Sets the reservation cap of 64-bit memories created afterwards, in pages
 * (0 restores VM_MEM64_RESERVE_PAGES).  Process-wide. */
void vm_mem_set_reserve64(uint64_t pages);

/* Process-wide counters, for statistics (kiln.h) and leak tests. */
typedef struct vm_mem_stats {
  uint64_t live;      /* memories not yet freed */
  uint64_t reserved;  /* bytes of address space reserved */
  uint64_t committed; /* bytes readable and writable (sum of lengths) */
} vm_mem_stats;
void vm_mem_get_stats(vm_mem_stats *out);

#endif
