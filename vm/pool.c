/* vm/pool.c — the pooling allocator (see pool.h). */
#include "pool.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "instance.h"
#include "memory.h"
#include "table.h"

/* A doubly linked list of free slots: taken at the head, appended at the
 * tail (so the tail is the most recently freed). */
typedef struct slot_list {
  vm_slot *head, *tail;
} slot_list;

struct vm_pool {
  kiln_pooling_config_t cfg; /* defaults filled in */
  atomic_flag lock;          /* a spinlock: the critical sections are a few
                                list operations, and a contended mutex would
                                sleep in the kernel */
  vm_slot *slots;
  uint8_t *mem_base;         /* slots x memories_per_instance reservations */
  size_t mem_bytes;
  uint8_t *table_base;       /* slots x tables_per_instance x elements x 8 */
  size_t table_bytes;
  slot_list unowned;         /* free, no owner */
  slot_list owned;           /* free, warm for some module (LRU at head) */
  uint64_t in_use, warm, cold, fallbacks, refused;
};

static void list_remove(slot_list *l, vm_slot *s) {
  if (s->prev)
    s->prev->next = s->next;
  else
    l->head = s->next;
  if (s->next)
    s->next->prev = s->prev;
  else
    l->tail = s->prev;
  s->prev = s->next = NULL;
}

static void list_append(slot_list *l, vm_slot *s) {
  s->next = NULL;
  s->prev = l->tail;
  if (l->tail)
    l->tail->next = s;
  else
    l->head = s;
  l->tail = s;
}

/* The owner's warm free slots: a list whose head lives in its
 * vm_compiled (guarded by the pool's lock). */
static vm_slot **warm_head(const vm_compiled *c) { return &((vm_compiled *)c)->warm_slots; }

static void own_remove(vm_slot *s) {
  vm_slot **head = warm_head(s->owner);
  if (s->own_prev)
    s->own_prev->own_next = s->own_next;
  else
    *head = s->own_next;
  if (s->own_next)
    s->own_next->own_prev = s->own_prev;
  s->own_prev = s->own_next = NULL;
}

static void own_push(vm_slot *s) {
  vm_slot **head = warm_head(s->owner);
  s->own_prev = NULL;
  s->own_next = *head;
  if (*head)
    (*head)->own_prev = s;
  *head = s;
}

static void lock(vm_pool *p) {
  for (unsigned spins = 0;
       atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire); spins++) {
    if (spins >= 64) {
      sched_yield(); /* the holder may have been preempted */
      spins = 0;
    } else {
      __builtin_ia32_pause();
    }
  }
}

static void unlock(vm_pool *p) { atomic_flag_clear_explicit(&p->lock, memory_order_release); }

bool vm_pool_strict(const vm_pool *p) { return p->cfg.strict; }

uint64_t vm_pool_max_memory_pages(const vm_pool *p) { return p->cfg.max_memory_pages; }

vm_pool *vm_pool_new(const kiln_pooling_config_t *cfg, char *err, size_t errlen) {
  vm_pool *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory for the pool");
    return NULL;
  }
  p->cfg = *cfg;
  kiln_pooling_config_t *c = &p->cfg;
  if (!c->memories_per_instance)
    c->memories_per_instance = 1;
  if (!c->tables_per_instance)
    c->tables_per_instance = 1;
  if (!c->max_memory_pages || c->max_memory_pages > VM_MEM32_MAX_PAGES)
    c->max_memory_pages = VM_MEM32_MAX_PAGES;
  if (!c->max_table_elements)
    c->max_table_elements = 10000;
  atomic_flag_clear(&p->lock);
  uint64_t n = c->instance_slots;
  uint64_t nmem = n * c->memories_per_instance, ntab = n * c->tables_per_instance;
  if (c->max_table_elements > 10000000 || nmem > ((uint64_t)1 << 47) / VM_MEM32_RESERVE ||
      ntab > ((uint64_t)1 << 40) / (c->max_table_elements * 8)) {
    snprintf(err, errlen, "pool of %llu slots too large for the address space",
             (unsigned long long)n);
    goto fail;
  }
  p->slots = calloc(n, sizeof *p->slots);
  if (!p->slots) {
    snprintf(err, errlen, "out of memory for the pool");
    goto fail;
  }
  p->mem_bytes = nmem * VM_MEM32_RESERVE;
  p->table_bytes = ntab * c->max_table_elements * 8;
  if (p->mem_bytes) {
    void *m = mmap(NULL, p->mem_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED) {
      snprintf(err, errlen, "cannot reserve %zu bytes of address space for the pool's memories: %s",
               p->mem_bytes, strerror(errno));
      p->mem_bytes = 0;
      goto fail;
    }
    p->mem_base = m;
  }
  if (p->table_bytes) {
    void *t = mmap(NULL, p->table_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED) {
      snprintf(err, errlen, "cannot map %zu bytes for the pool's tables: %s", p->table_bytes,
               strerror(errno));
      p->table_bytes = 0;
      goto fail;
    }
    p->table_base = t;
  }
  for (uint64_t i = 0; i < n; i++) {
    vm_slot *s = &p->slots[i];
    s->mems = calloc(c->memories_per_instance, sizeof *s->mems);
    s->tables = calloc(c->tables_per_instance, sizeof *s->tables);
    if (!s->mems || !s->tables) {
      snprintf(err, errlen, "out of memory for the pool");
      goto fail;
    }
    for (uint32_t k = 0; k < c->memories_per_instance; k++) {
      uint64_t at = (i * c->memories_per_instance + k) * VM_MEM32_RESERVE;
      if (!(s->mems[k] = vm_mem_pool_new(p->mem_base + at, VM_MEM32_RESERVE))) {
        snprintf(err, errlen, "out of memory for the pool");
        goto fail;
      }
    }
    for (uint32_t k = 0; k < c->tables_per_instance; k++) {
      uint64_t at = (i * c->tables_per_instance + k) * c->max_table_elements * 8;
      if (!(s->tables[k] = vm_tab_pool_new(p->table_base + at, c->max_table_elements))) {
        snprintf(err, errlen, "out of memory for the pool");
        goto fail;
      }
    }
    list_append(&p->unowned, s);
  }
  return p;
fail:
  vm_pool_free(p);
  return NULL;
}

void vm_pool_free(vm_pool *p) {
  if (!p)
    return;
  for (uint64_t i = 0; p->slots && i < p->cfg.instance_slots; i++) {
    vm_slot *s = &p->slots[i];
    for (uint32_t k = 0; s->mems && k < p->cfg.memories_per_instance; k++)
      vm_mem_pool_delete(s->mems[k]);
    for (uint32_t k = 0; s->tables && k < p->cfg.tables_per_instance; k++)
      vm_tab_pool_delete(s->tables[k]);
    free(s->mems);
    free(s->tables);
    free(s->block);
  }
  if (p->mem_bytes)
    munmap(p->mem_base, p->mem_bytes);
  if (p->table_bytes)
    munmap(p->table_base, p->table_bytes);
  free(p->slots);
  free(p);
}

vm_slot *vm_pool_take(vm_pool *p, const vm_compiled *c, size_t block, uint32_t nmems,
                      uint32_t ntables, uint64_t max_mem_pages, uint64_t max_table_min,
                      bool *warm, char *err, size_t errlen) {
  const kiln_pooling_config_t *cfg = &p->cfg;
  const char *what = NULL;
  unsigned long long need = 0, have = 0;
  if (nmems > cfg->memories_per_instance)
    what = "memories", need = nmems, have = cfg->memories_per_instance;
  else if (ntables > cfg->tables_per_instance)
    what = "tables", need = ntables, have = cfg->tables_per_instance;
  else if (max_mem_pages > cfg->max_memory_pages)
    what = "memory pages", need = max_mem_pages, have = cfg->max_memory_pages;
  else if (max_table_min > cfg->max_table_elements)
    what = "table elements", need = max_table_min, have = cfg->max_table_elements;
  lock(p);
  vm_slot *s = NULL;
  if (what) {
    snprintf(err, errlen, "the module needs %llu %s, a pool slot has %llu", need, what, have);
  } else if ((s = *warm_head(c))) {
    own_remove(s);
    list_remove(&p->owned, s);
    *warm = true;
  } else if ((s = p->unowned.head) || (s = p->owned.head)) {
    list_remove(s->owner ? &p->owned : &p->unowned, s);
    if (s->owner)
      own_remove(s);
    s->owner = NULL;
    *warm = false;
  } else {
    snprintf(err, errlen, "every instance slot of the pool (%u) is in use",
             cfg->instance_slots);
  }
  if (s) {
    s->in_use = true;
    p->in_use++;
    if (*warm)
      p->warm++;
    else
      p->cold++;
  } else if (cfg->strict) {
    p->refused++;
  } else {
    p->fallbacks++;
  }
  unlock(p);
  if (s && s->block_cap < block) { /* outside the lock: the slot is ours */
    void *b = NULL;
    if (posix_memalign(&b, 64, block) != 0) {
      snprintf(err, errlen, "out of memory");
      vm_pool_give(p, s, NULL);
      return NULL;
    }
    free(s->block);
    s->block = b;
    s->block_cap = block;
    *warm = false; /* the vmctx moved: its function references must be redone */
  }
  return s;
}

void vm_pool_give(vm_pool *p, vm_slot *s, const vm_compiled *owner) {
  lock(p);
  s->in_use = false;
  p->in_use--;
  s->owner = owner;
  if (s->owner) {
    list_append(&p->owned, s);
    own_push(s);
  } else {
    list_append(&p->unowned, s);
  }
  unlock(p);
}

void vm_pool_forget(vm_pool *p, const vm_compiled *c) {
  lock(p);
  vm_slot *s;
  while ((s = *warm_head(c))) {
    own_remove(s);
    list_remove(&p->owned, s);
    s->owner = NULL;
    list_append(&p->unowned, s);
  }
  unlock(p);
}

void vm_pool_stats(const vm_pool *p, kiln_pool_stats_t *out) {
  lock((vm_pool *)p);
  out->slots = p->cfg.instance_slots;
  out->slots_in_use = p->in_use;
  out->warm = p->warm;
  out->cold = p->cold;
  out->fallbacks = p->fallbacks;
  out->refused = p->refused;
  unlock((vm_pool *)p);
}
