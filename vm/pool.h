/* vm/pool.h — the pooling allocator (kiln.h kiln_config_set_pooling;
 * docs/architecture.md "The pool").
 *
 * An engine with a pool has a fixed number of instance slots.  A slot
 * holds everything an instance allocates: its block (vmctx, vm_instance
 * and arrays: vm/instance.c), memories_per_instance memories (an 8 GiB +
 * 64 KiB reservation each, all in one mapping made with the pool) and
 * tables_per_instance tables (max_table_elements x 8 bytes each, one
 * mapping).  When an instance dies, its slot is reset to the state the
 * same module starts in — memories accessible up to their minimum with the
 * module's image mapped and every dirtied page dropped, tables back to
 * their image if they were written — and remembers the module (its
 * `owner`).  The next instance of that module takes such a warm slot and
 * has nothing to map, copy or clear; another module takes a free slot with
 * no owner, or the least recently freed warm slot of another module, and
 * sets it up anew (cold).
 *
 * Slots are taken and returned under the pool's spinlock; everything else
 * happens outside it.  The pool lives as long as its engine; a module's
 * warm slots are disowned when its compiled code is freed
 * (vm_pool_forget).
 */
#ifndef KILN_VM_POOL_H
#define KILN_VM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

struct vm_compiled;
struct vm_mem;
struct vm_tab;
typedef struct vm_pool vm_pool;

typedef struct vm_slot {
  struct vm_slot *prev, *next;         /* the free list it is on, if free */
  struct vm_slot *own_prev, *own_next; /* its owner's warm free slots */
  const struct vm_compiled *owner;     /* whose state it holds; NULL: none */
  uint8_t *block;                      /* the instance block, block_cap bytes */
  size_t block_cap;
  struct vm_mem **mems;                /* memories_per_instance */
  struct vm_tab **tables;              /* tables_per_instance */
  bool in_use;
} vm_slot;

/* A pool per cfg (defaults filled in); NULL with a message when the
 * address space or memory cannot be had. */
vm_pool *vm_pool_new(const kiln_pooling_config_t *cfg, char *err, size_t errlen);
/* Every slot must be free. */
void vm_pool_free(vm_pool *p);

/* Whether the pool is strict (kiln_pooling_config_t.strict), and the
 * pages a slot's memory may grow to. */
bool vm_pool_strict(const vm_pool *p);
uint64_t vm_pool_max_memory_pages(const vm_pool *p);

/* A slot for an instance of c needing `block` bytes of block, nmems
 * memories and ntables tables (defined ones), or NULL with the reason in err
 * (the module does not fit a slot, or every slot is in use; counted as a
 * fallback or, strict, as refused).  *warm: the slot holds c's state. */
vm_slot *vm_pool_take(vm_pool *p, const struct vm_compiled *c, size_t block, uint32_t nmems,
                      uint32_t ntables, uint64_t max_mem_pages, uint64_t max_table_min,
                      bool *warm, char *err, size_t errlen);
/* Returns a slot, reset to the starting state of `owner` (NULL: not reset;
 * the next instance sets it up anew). */
void vm_pool_give(vm_pool *p, vm_slot *s, const struct vm_compiled *owner);
/* c's code is going away: its warm slots keep no owner. */
void vm_pool_forget(vm_pool *p, const struct vm_compiled *c);

void vm_pool_stats(const vm_pool *p, kiln_pool_stats_t *out);

#endif
