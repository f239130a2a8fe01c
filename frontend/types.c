/* frontend/types.c — the engine-wide type registry and subtyping.
 *
 * Owns: canonicalization of rec groups (iso-recursive hash-consing), the
 * canonical type records and their supertype displays, the declared
 * supertype checks of the type section, subtyping and equality of value and
 * heap types, and the text form and storage size of value types.
 *
 * Canonical ids.  Ids are handed out consecutively, a whole rec group at a
 * time, so the types of a group are base .. base+n-1.  A canonical record
 * stores its value types in FE_HT_CANON form.  Because a group can only
 * refer to types published before it (ids < base) and to itself (ids in
 * [base, base+n)), a stored reference is in-group exactly when its id falls
 * in [base, base+n): no separate tag is needed to recover the rec-relative
 * form for comparison.
 *
 * Key form.  Two rec groups are the same iff they are equal word for word
 * in "key form": in-group references as FE_HT_REC (relative to the group's
 * first type), other concrete references as FE_HT_CANON.  Both a module's
 * group (FE_HT_MODULE form) and a stored group (FE_HT_CANON form) are
 * translated to key form on the fly while hashing and comparing, so
 * looking a group up allocates nothing.
 *
 * Storage.  Records never move once published: each group is one block of
 * a bump pool owned by the registry, freed only by fe_typereg_free.  The id
 * -> record index is a two-level table, a fixed directory of MAX_CHUNKS
 * chunk pointers, each chunk CHUNK_SIZE record pointers.  Neither level is
 * ever reallocated, so readers can index it without the lock while a writer
 * appends; publication stores the record pointers (and new chunk pointers)
 * with release order, and readers load them with acquire order.
 *
 * Locking.  One mutex guards the hash table of groups, the pool and
 * publication.  Everything that can fail with a diagnostic is checked
 * before taking the lock or after releasing it, so fe_fail never
 * long-jumps out of the critical section; failures inside it (out of
 * memory, id space exhausted) are returned as a code and raised after
 * unlocking.
 */
#include "types.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  CHUNK_BITS = 12,
  CHUNK_SIZE = 1 << CHUNK_BITS, /* record pointers per chunk */
  MAX_CHUNKS = 1 << 12,         /* chunks in the directory */
  /* Kiln's limit on the length of a declared supertype chain (the JS API's
   * limit too).  It bounds each display to MAX_DEPTH+1 ids, so display
   * memory stays linear in the number of types. */
  MAX_DEPTH = 63,
  POOL_BLOCK = 64 * 1024,
};
#define MAX_TYPES ((uint32_t)MAX_CHUNKS * CHUNK_SIZE)

/* A canonical type: the public record plus its supertype display.
 * supers[0..depth] lists the declared chain from the root down to the
 * type itself (supers[depth] == t.canon). */
typedef struct rtype {
  fe_type t; /* first, so that &r->t converts back to r */
  uint32_t depth;
  const uint32_t *supers;
} rtype;

/* A published rec group: its key hash and its records, followed in the
 * same pool block by the value types, displays and mutability flags. */
typedef struct rgroup {
  uint64_t hash;
  uint32_t base, n;
  rtype types[];
} rgroup;

typedef struct pool_block {
  struct pool_block *next;
  size_t used, size;
  _Alignas(16) char data[];
} pool_block;

typedef _Atomic(rtype *) slot;

struct fe_typereg {
  pthread_mutex_t lock;
  _Atomic uint32_t count;            /* ids [0, count) are published */
  _Atomic(slot *) chunks[MAX_CHUNKS]; /* id -> record, lock-free reads */
  /* The rest is used only under the lock. */
  rgroup **table; /* open addressing, linear probing; NULL is empty */
  uint32_t cap;   /* power of two, or 0 */
  uint32_t ngroups;
  pool_block *pool; /* head is the block being filled */
};

/* ------------------------------------------------------------------------
 * Registry memory
 * ---------------------------------------------------------------------- */

/* Creating the registry cannot use fe_fail (there is no module yet), so
 * it reports out of memory with NULL like the other engine constructors. */
fe_typereg *fe_typereg_new(void) {
  fe_typereg *reg = calloc(1, sizeof *reg);
  if (!reg)
    return NULL;
  if (pthread_mutex_init(&reg->lock, NULL) != 0) {
    free(reg);
    return NULL;
  }
  atomic_init(&reg->count, 0);
  for (uint32_t i = 0; i < MAX_CHUNKS; i++)
    atomic_init(&reg->chunks[i], NULL);
  return reg;
}

/* Everything the registry holds is in its pool, its chunks and its table;
 * records are never freed one by one. */
void fe_typereg_free(fe_typereg *reg) {
  if (!reg)
    return;
  pool_block *b = reg->pool;
  while (b) {
    pool_block *next = b->next;
    free(b);
    b = next;
  }
  for (uint32_t i = 0; i < MAX_CHUNKS; i++)
    free(atomic_load_explicit(&reg->chunks[i], memory_order_relaxed));
  free(reg->table);
  pthread_mutex_destroy(&reg->lock);
  free(reg);
}

/* Bump allocation for group blocks: records must never move, and they
 * all die together with the registry, so a pool is both the simplest and
 * the cheapest owner.  A request larger than a quarter block gets a block
 * of its own, linked behind the head so the head keeps filling.  Returns
 * NULL when malloc fails (the caller holds the lock and must not
 * long-jump). */
static void *pool_alloc(fe_typereg *reg, size_t size) {
  size = (size + 15) & ~(size_t)15;
  pool_block *head = reg->pool;
  if (head && head->size - head->used >= size) {
    void *p = head->data + head->used;
    head->used += size;
    return p;
  }
  size_t want = size > POOL_BLOCK / 4 ? size : POOL_BLOCK;
  if (want > SIZE_MAX - sizeof(pool_block))
    return NULL;
  pool_block *b = malloc(sizeof(pool_block) + want);
  if (!b)
    return NULL;
  b->size = want;
  b->used = size;
  if (want == size && head) { /* a dedicated block: keep the head */
    b->next = head->next;
    head->next = b;
  } else {
    b->next = head;
    reg->pool = b;
  }
  return b->data;
}

/* The record of a published id.  Lock-free: chunk and record pointers are
 * published with release order and never change afterwards. */
static inline const rtype *rec_of(const fe_typereg *reg, uint32_t id) {
  assert(id < MAX_TYPES);
  slot *c = atomic_load_explicit(&reg->chunks[id >> CHUNK_BITS],
                                 memory_order_acquire);
  assert(c != NULL);
  return atomic_load_explicit(&c[id & (CHUNK_SIZE - 1)], memory_order_acquire);
}

/* The public part of a record; the display stays private to this file. */
const fe_type *fe_typereg_type(const fe_typereg *reg, uint32_t id) {
  return &rec_of(reg, id)->t;
}

/* With the display, `sub <: super` is: super's chain is a prefix of sub's,
 * which is one comparison at super's depth. */
bool fe_typereg_sub(const fe_typereg *reg, uint32_t sub, uint32_t super) {
  if (sub == super)
    return true;
  const rtype *a = rec_of(reg, sub);
  const rtype *b = rec_of(reg, super);
  return b->depth < a->depth && a->supers[b->depth] == super;
}

/* Acquire, so a caller that sees the count also sees the records. */
uint32_t fe_typereg_count(const fe_typereg *reg) {
  return atomic_load_explicit(&reg->count, memory_order_acquire);
}

/* ------------------------------------------------------------------------
 * Key form, hashing and comparison of rec groups
 * ---------------------------------------------------------------------- */

/* Mutability is folded into a field's key word at bit 16, which is zero in
 * every value type (module.h uses bits 0..10 and 32..63). */
#define MUT_BIT ((uint64_t)1 << 16)

/* Function types carry no flags (mut is NULL); reads them as immutable. */
static inline bool field_mut(const fe_type *t, uint32_t j) {
  return t->mut != NULL && t->mut[j] != 0;
}

/* Key form of a value type of the module group that starts at `start`. */
static inline fe_valtype key_of_module_vt(const fe_module *m, uint32_t start,
                                          fe_valtype t) {
  if (!FE_VT_IS_REF(t) || FE_VT_HTKIND(t) != FE_HT_MODULE)
    return t;
  uint32_t x = FE_VT_HEAP(t);
  if (x >= start)
    return fe_vt_ref(FE_VT_NULLABLE(t), FE_HT_REC, x - start);
  return fe_vt_ref(FE_VT_NULLABLE(t), FE_HT_CANON, m->types[x].canon);
}

/* Key form of a value type stored in the group at ids [base, base+n). */
static inline fe_valtype key_of_canon_vt(uint32_t base, uint32_t n,
                                         fe_valtype t) {
  if (!FE_VT_IS_REF(t) || FE_VT_HTKIND(t) != FE_HT_CANON)
    return t;
  uint32_t x = FE_VT_HEAP(t);
  if (x - base < n) /* unsigned: false for x < base too */
    return fe_vt_ref(FE_VT_NULLABLE(t), FE_HT_REC, x - base);
  return t;
}

/* Key word of a declared supertype: 0 for none (no reference type is 0),
 * else a reference word in the same form as a value type's key. */
static inline uint64_t key_of_module_super(const fe_module *m, uint32_t start,
                                           uint32_t s) {
  if (s == FE_NO_INDEX)
    return 0;
  if (s >= start)
    return fe_vt_ref(false, FE_HT_REC, s - start);
  return fe_vt_ref(false, FE_HT_CANON, m->types[s].canon);
}

/* The same for a stored group's supertype (a canonical id). */
static inline uint64_t key_of_canon_super(uint32_t base, uint32_t n,
                                          uint32_t s) {
  if (s == FE_NO_INDEX)
    return 0;
  if (s - base < n)
    return fe_vt_ref(false, FE_HT_REC, s - base);
  return fe_vt_ref(false, FE_HT_CANON, s);
}

/* The fixed part of a type's key: kind, finality, parameter count. */
static inline uint64_t key_head(const fe_type *t) {
  return (uint64_t)t->kind | ((uint64_t)t->final << 8) |
         ((uint64_t)t->nparams << 32);
}

/* Hashing: an FxHash-style multiply-rotate per word (cheap, and every word
 * affects every later state) and the MurmurHash3 finalizer, so the low bits
 * used to index the table depend on all the input.  No library is used
 * here: the input is a handful of 64-bit words per type, and libkiln does
 * not otherwise need one (xxhash would be the choice if it did). */
static inline uint64_t mix(uint64_t h, uint64_t w) {
  return (((h << 5) | (h >> 59)) ^ w) * 0x9e3779b97f4a7c15ull;
}

/* Avalanche: table indices come from the low bits. */
static inline uint64_t finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

/* Hash of the key form of m->types[start .. start+n): O(size of group). */
static uint64_t hash_group(const fe_module *m, uint32_t start, uint32_t n) {
  uint64_t h = n;
  for (uint32_t i = 0; i < n; i++) {
    const fe_type *t = &m->types[start + i];
    h = mix(h, key_head(t));
    h = mix(h, t->n);
    h = mix(h, key_of_module_super(m, start, t->super));
    for (uint32_t j = 0; j < t->n; j++)
      h = mix(h, key_of_module_vt(m, start, t->vt[j]) |
                     (field_mut(t, j) ? MUT_BIT : 0));
  }
  return finish(h);
}

/* Whether a stored group has the same key form as the module's group. */
static bool group_equal(const rgroup *g, const fe_module *m, uint32_t start,
                        uint32_t n) {
  if (g->n != n)
    return false;
  for (uint32_t i = 0; i < n; i++) {
    const fe_type *a = &m->types[start + i];
    const fe_type *b = &g->types[i].t;
    if (key_head(a) != key_head(b) || a->n != b->n ||
        key_of_module_super(m, start, a->super) !=
            key_of_canon_super(g->base, n, b->super))
      return false;
    for (uint32_t j = 0; j < a->n; j++) {
      if (key_of_module_vt(m, start, a->vt[j]) !=
              key_of_canon_vt(g->base, n, b->vt[j]) ||
          field_mut(a, j) != field_mut(b, j))
        return false;
    }
  }
  return true;
}

/* ------------------------------------------------------------------------
 * The hash table of groups (under the lock)
 * ---------------------------------------------------------------------- */

/* Linear probing: compare the stored hash first, so a full key comparison
 * runs only on a probable match. */
static const rgroup *table_find(const fe_typereg *reg, uint64_t h,
                                const fe_module *m, uint32_t start,
                                uint32_t n) {
  if (reg->cap == 0)
    return NULL;
  uint32_t mask = reg->cap - 1;
  for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
    const rgroup *g = reg->table[i];
    if (!g)
      return NULL;
    if (g->hash == h && group_equal(g, m, start, n))
      return g;
  }
}

/* Insertion without equality checks: callers insert only groups that
 * table_find did not find, or rehash distinct ones. */
static void table_put(rgroup **table, uint32_t cap, rgroup *g) {
  uint32_t mask = cap - 1;
  uint32_t i = (uint32_t)g->hash & mask;
  while (table[i])
    i = (i + 1) & mask;
  table[i] = g;
}

/* Makes room for one more group, keeping the load factor at most 1/2 so
 * probe sequences stay short; doubling keeps insertion amortized O(1).
 * Stored hashes make rehashing independent of group size. */
static bool table_reserve(fe_typereg *reg) {
  if ((reg->ngroups + 1) * 2 <= reg->cap)
    return true;
  if (reg->cap >= (UINT32_C(1) << 31))
    return false;
  uint32_t cap = reg->cap ? reg->cap * 2 : 256;
  rgroup **table = calloc(cap, sizeof *table);
  if (!table)
    return false;
  for (uint32_t i = 0; i < reg->cap; i++)
    if (reg->table[i])
      table_put(table, cap, reg->table[i]);
  free(reg->table);
  reg->table = table;
  reg->cap = cap;
  return true;
}

/* Allocates the chunks that ids [base, base+n) fall in, before anything
 * is published, so that publication itself cannot fail. */
static bool reserve_ids(fe_typereg *reg, uint32_t base, uint32_t n) {
  for (uint32_t k = base >> CHUNK_BITS; k <= (base + n - 1) >> CHUNK_BITS; k++) {
    if (atomic_load_explicit(&reg->chunks[k], memory_order_relaxed))
      continue;
    slot *c = calloc(CHUNK_SIZE, sizeof *c); /* all-zero atomics are NULL */
    if (!c)
      return false;
    atomic_store_explicit(&reg->chunks[k], c, memory_order_release);
  }
  return true;
}

/* ------------------------------------------------------------------------
 * Subtyping
 *
 * A heap type is resolved to (code, id): an abstract heap type's binary
 * code, or for a concrete type its composite kind (FE_COMP_*, a range
 * disjoint from the abstract codes) and canonical id.
 * ---------------------------------------------------------------------- */

typedef struct heap {
  uint8_t code;
  uint32_t id;
} heap;

/* Composite kinds 0x5e..0x60 never collide with abstract codes 0x69..0x74. */
static inline bool is_concrete(uint8_t code) {
  return code >= FE_COMP_ARRAY && code <= FE_COMP_FUNC;
}

/* Module-form (FE_HT_MODULE) references need m; canonical ones need reg. */
static heap resolve(const fe_typereg *reg, const fe_module *m, fe_valtype t) {
  uint32_t x = FE_VT_HEAP(t);
  switch (FE_VT_HTKIND(t)) {
  case FE_HT_ABSTRACT:
    return (heap){(uint8_t)x, FE_NO_INDEX};
  case FE_HT_MODULE:
    assert(m != NULL && x < m->ntypes);
    return (heap){m->types[x].kind, m->types[x].canon};
  default:
    assert(FE_VT_HTKIND(t) == FE_HT_CANON && reg != NULL);
    return (heap){rec_of(reg, x)->t.kind, x};
  }
}

/* The abstract heap type just above a concrete type of a given kind. */
static inline uint8_t abstract_above(uint8_t kind) {
  return kind == FE_COMP_FUNC     ? FE_HT_FUNC
         : kind == FE_COMP_STRUCT ? FE_HT_STRUCT
                                  : FE_HT_ARRAY;
}

/* The abstract lattice: none <: i31, struct, array <: eq <: any; each
 * bottom below its top in the func, extern and exn hierarchies. */
static bool abstract_sub(uint8_t a, uint8_t b) {
  if (a == b)
    return true;
  switch (b) {
  case FE_HT_ANY:
    return a == FE_HT_EQ || a == FE_HT_I31 || a == FE_HT_STRUCT ||
           a == FE_HT_ARRAY || a == FE_HT_NONE;
  case FE_HT_EQ:
    return a == FE_HT_I31 || a == FE_HT_STRUCT || a == FE_HT_ARRAY ||
           a == FE_HT_NONE;
  case FE_HT_I31:
  case FE_HT_STRUCT:
  case FE_HT_ARRAY:
    return a == FE_HT_NONE;
  case FE_HT_FUNC:
    return a == FE_HT_NOFUNC;
  case FE_HT_EXTERN:
    return a == FE_HT_NOEXTERN;
  case FE_HT_EXN:
    return a == FE_HT_NOEXN;
  default:
    return false;
  }
}

/* Concrete below concrete goes through the declared chains; a concrete
 * type is below an abstract one iff the abstract type just above it is;
 * only the hierarchy's bottom is below a concrete type. */
static bool heap_sub(const fe_typereg *reg, heap a, heap b) {
  if (is_concrete(b.code)) {
    if (is_concrete(a.code))
      return fe_typereg_sub(reg, a.id, b.id);
    return a.code == (b.code == FE_COMP_FUNC ? FE_HT_NOFUNC : FE_HT_NONE);
  }
  if (is_concrete(a.code))
    return abstract_sub(abstract_above(a.code), b.code);
  return abstract_sub(a.code, b.code);
}

/* Value subtyping in either form: equal words, FE_BOT and numeric types
 * are decided before anything is resolved (the validator's inner loop
 * mostly ends there), then nullability, then heap types. */
static inline bool vt_sub(const fe_typereg *reg, const fe_module *m,
                          fe_valtype a, fe_valtype b) {
  if (a == b || FE_VT_CODE(a) == FE_BOT)
    return true;
  if (!FE_VT_IS_REF(a) || !FE_VT_IS_REF(b))
    return false;
  if (FE_VT_NULLABLE(a) && !FE_VT_NULLABLE(b))
    return false;
  return heap_sub(reg, resolve(reg, m, a), resolve(reg, m, b));
}

/* Subtyping of canonical (FE_HT_CANON) value types, for supertype checks. */
static bool canon_vt_sub(const fe_typereg *reg, fe_valtype a, fe_valtype b) {
  return vt_sub(reg, NULL, a, b);
}

/* Module form; concrete types reach the registry through m->reg. */
bool fe_vt_sub(const fe_module *m, fe_valtype a, fe_valtype b) {
  return vt_sub(m ? m->reg : NULL, m, a, b);
}

/* Heap types only: nullability is ignored, as the validator wants for
 * casts and br_on_cast. */
bool fe_ht_sub(const fe_module *m, fe_valtype a, fe_valtype b) {
  if ((a >> 9) == (b >> 9)) /* same heap type word, nullability aside */
    return true;
  const fe_typereg *reg = m ? m->reg : NULL;
  return heap_sub(reg, resolve(reg, m, a), resolve(reg, m, b));
}

/* Two module indices may name the same canonical type, so equal words are
 * only the fast path. */
bool fe_vt_eq(const fe_module *m, fe_valtype a, fe_valtype b) {
  if (a == b)
    return true;
  if (!FE_VT_IS_REF(a) || !FE_VT_IS_REF(b) ||
      FE_VT_NULLABLE(a) != FE_VT_NULLABLE(b))
    return false;
  const fe_typereg *reg = m ? m->reg : NULL;
  heap ha = resolve(reg, m, a), hb = resolve(reg, m, b);
  if (is_concrete(ha.code) || is_concrete(hb.code))
    return is_concrete(ha.code) && is_concrete(hb.code) && ha.id == hb.id;
  return ha.code == hb.code;
}

/* The hierarchy a heap type (in either form) belongs to, named by its top;
 * 0 for a type that is not a reference (FE_BOT included), which belongs to
 * none. */
static uint8_t ht_top(const fe_typereg *reg, const fe_module *m,
                      fe_valtype t) {
  if (!FE_VT_IS_REF(t))
    return 0;
  switch (resolve(reg, m, t).code) {
  case FE_COMP_FUNC:
  case FE_HT_FUNC:
  case FE_HT_NOFUNC:
    return FE_HT_FUNC;
  case FE_HT_EXTERN:
  case FE_HT_NOEXTERN:
    return FE_HT_EXTERN;
  case FE_HT_EXN:
  case FE_HT_NOEXN:
    return FE_HT_EXN;
  default:
    return FE_HT_ANY;
  }
}

uint8_t fe_ht_top(const fe_module *m, fe_valtype t) {
  return ht_top(m ? m->reg : NULL, m, t);
}

/* Canonical form; concrete types are looked up in reg. */
uint8_t fe_typereg_ht_top(const fe_typereg *reg, fe_valtype t) {
  return ht_top(reg, NULL, t);
}

/* Each top has exactly one bottom (0 again for non-references). */
uint8_t fe_ht_bottom(const fe_module *m, fe_valtype t) {
  switch (fe_ht_top(m, t)) {
  case 0:
    return 0;
  case FE_HT_FUNC:
    return FE_HT_NOFUNC;
  case FE_HT_EXTERN:
    return FE_HT_NOEXTERN;
  case FE_HT_EXN:
    return FE_HT_NOEXN;
  default:
    return FE_HT_NONE;
  }
}

/* ------------------------------------------------------------------------
 * Interning
 * ---------------------------------------------------------------------- */

/* Sizes of the group's block, measured before taking the lock. */
typedef struct group_shape {
  size_t fields;  /* value types of all types */
  size_t muts;    /* mutability flags (struct and array types) */
  size_t display; /* display entries: sum of depth+1 */
} group_shape;

/* A reference that canonicalization cannot resolve is a validation error,
 * not a precondition: the type section may name a type beyond the end of
 * the current group ("unknown type"), and a supertype must come before
 * its subtype ("sub type").  Checked first, because hashing and the depth
 * walk rely on both. */
static void check_indices(const fe_module *m, uint32_t start, uint32_t n,
                          const fe_errctx *ec, size_t offset) {
  uint32_t end = start + n;
  for (uint32_t i = 0; i < n; i++) {
    const fe_type *t = &m->types[start + i];
    if (t->super != FE_NO_INDEX) {
      if (t->super >= end)
        fe_fail(ec, offset, FE_E_UNKNOWN_TYPE, "type %u", t->super);
      if (t->super >= start + i)
        fe_fail(ec, offset, FE_E_SUB_TYPE,
                "forward use of type %u as supertype of type %u", t->super,
                start + i);
    }
    for (uint32_t j = 0; j < t->n; j++) {
      fe_valtype v = t->vt[j];
      if (FE_VT_IS_REF(v) && FE_VT_HTKIND(v) == FE_HT_MODULE &&
          FE_VT_HEAP(v) >= end)
        fe_fail(ec, offset, FE_E_UNKNOWN_TYPE, "type %u", FE_VT_HEAP(v));
    }
  }
}

/* Depth of type x of the group: the chain is walked inside the group
 * (supertypes come earlier, so it ends) and finished with the depth of the
 * first published supertype.  The walk stops past MAX_DEPTH, so a group
 * costs at most MAX_DEPTH+1 steps per type. */
static uint32_t group_depth(const fe_typereg *reg, const fe_module *m,
                            uint32_t start, uint32_t x) {
  uint32_t d = 0;
  for (;;) {
    uint32_t s = m->types[x].super;
    if (s == FE_NO_INDEX)
      return d;
    d++;
    if (s < start)
      return d + rec_of(reg, m->types[s].canon)->depth;
    if (d > MAX_DEPTH)
      return d;
    x = s;
  }
}

/* Measures the block a new group would need and enforces the depth limit;
 * outside the lock, since it only reads the module and published records. */
static group_shape measure_group(const fe_typereg *reg, const fe_module *m,
                                 uint32_t start, uint32_t n,
                                 const fe_errctx *ec, size_t offset) {
  group_shape sh = {0, 0, 0};
  for (uint32_t i = 0; i < n; i++) {
    const fe_type *t = &m->types[start + i];
    uint32_t d = group_depth(reg, m, start, start + i);
    if (d > MAX_DEPTH)
      fe_fail(ec, offset, FE_E_TOO_MANY,
              "type %u: supertype chain deeper than %d", start + i, MAX_DEPTH);
    sh.fields += t->n;
    if (t->kind != FE_COMP_FUNC)
      sh.muts += t->n;
    sh.display += (size_t)d + 1;
  }
  return sh;
}

/* The canonical (FE_HT_CANON) form of a module value type, for a group
 * whose first type gets id `base`. */
static inline fe_valtype canon_of_module_vt(const fe_module *m, uint32_t start,
                                            uint32_t base, fe_valtype t) {
  if (!FE_VT_IS_REF(t) || FE_VT_HTKIND(t) != FE_HT_MODULE)
    return t;
  uint32_t x = FE_VT_HEAP(t);
  uint32_t id = x >= start ? base + (x - start) : m->types[x].canon;
  return fe_vt_ref(FE_VT_NULLABLE(t), FE_HT_CANON, id);
}

/* Builds and publishes a new group under the lock.  Everything that can
 * fail (ids, chunks, table room, the block) is obtained first; then the
 * records are filled and made visible: record pointers with release order,
 * then the count.  Returns FE_E_OK and the base id, or the error to raise
 * once the lock is released. */
static fe_errcode publish_group(fe_typereg *reg, const fe_module *m,
                                uint32_t start, uint32_t n, uint64_t h,
                                const group_shape *sh, uint32_t *basep) {
  uint32_t base = atomic_load_explicit(&reg->count, memory_order_relaxed);
  if (n > MAX_TYPES - base)
    return FE_E_TOO_MANY;
  if (!reserve_ids(reg, base, n) || !table_reserve(reg))
    return FE_E_NOMEM;
  size_t size = sizeof(rgroup) + n * sizeof(rtype) +
                sh->fields * sizeof(fe_valtype) +
                sh->display * sizeof(uint32_t) + sh->muts;
  rgroup *g = pool_alloc(reg, size);
  if (!g)
    return FE_E_NOMEM;
  g->hash = h;
  g->base = base;
  g->n = n;
  fe_valtype *vts = (fe_valtype *)(void *)&g->types[n];
  uint32_t *disp = (uint32_t *)(void *)(vts + sh->fields);
  uint8_t *muts = (uint8_t *)(disp + sh->display);

  for (uint32_t i = 0; i < n; i++) {
    const fe_type *t = &m->types[start + i];
    rtype *r = &g->types[i];
    uint32_t id = base + i;
    r->t = (fe_type){
        .kind = t->kind, .final = t->final, .super = FE_NO_INDEX,
        .rec_start = base, .rec_size = n, .nparams = t->nparams, .n = t->n,
        .vt = vts, .mut = NULL, .canon = id};
    for (uint32_t j = 0; j < t->n; j++)
      vts[j] = canon_of_module_vt(m, start, base, t->vt[j]);
    vts += t->n;
    if (t->kind != FE_COMP_FUNC) {
      r->t.mut = muts;
      for (uint32_t j = 0; j < t->n; j++)
        muts[j] = field_mut(t, j);
      muts += t->n;
    }
    /* The display: the supertype's display plus this type.  An in-group
     * supertype is earlier in this block (check_indices), so already
     * filled; an outside one is published. */
    const rtype *sr = NULL;
    if (t->super != FE_NO_INDEX)
      sr = t->super >= start ? &g->types[t->super - start]
                             : rec_of(reg, m->types[t->super].canon);
    r->depth = sr ? sr->depth + 1 : 0;
    if (sr) {
      r->t.super = sr->t.canon;
      memcpy(disp, sr->supers, sr->depth * sizeof *disp + sizeof *disp);
    }
    disp[r->depth] = id;
    r->supers = disp;
    disp += r->depth + 1;
  }

  for (uint32_t i = 0; i < n; i++) {
    uint32_t id = base + i;
    slot *c = atomic_load_explicit(&reg->chunks[id >> CHUNK_BITS],
                                   memory_order_relaxed);
    atomic_store_explicit(&c[id & (CHUNK_SIZE - 1)], &g->types[i],
                          memory_order_release);
  }
  atomic_store_explicit(&reg->count, base + n, memory_order_release);
  table_put(reg->table, reg->cap, g);
  reg->ngroups++;
  *basep = base;
  return FE_E_OK;
}

/* Why `sub` does not match its declared supertype `sup` (both canonical),
 * or NULL if it does; *field is set to the offending field, parameter or
 * result (counted from the first parameter), or FE_NO_INDEX.
 * The spec's rules: the supertype is not final, the composite kinds agree,
 * function parameters are contravariant and results covariant, and every
 * field of the supertype is matched by the subtype's field at its
 * position (immutable: storage subtype; mutable: equal type, which for
 * canonical words is word equality). */
static const char *super_mismatch(const fe_typereg *reg, const fe_type *sub,
                                  const fe_type *sup, uint32_t *field) {
  *field = FE_NO_INDEX;
  if (sup->final)
    return "the supertype is final";
  if (sub->kind != sup->kind)
    return "the composite kinds differ";
  if (sub->kind == FE_COMP_FUNC) {
    if (sub->nparams != sup->nparams || sub->n != sup->n)
      return "the function arities differ";
    for (uint32_t j = 0; j < sub->n; j++) {
      *field = j;
      if (j < sub->nparams ? !canon_vt_sub(reg, sup->vt[j], sub->vt[j])
                           : !canon_vt_sub(reg, sub->vt[j], sup->vt[j]))
        return j < sub->nparams ? "a parameter is not contravariant"
                                : "a result is not covariant";
    }
    return NULL;
  }
  if (sub->n < sup->n)
    return "the subtype has fewer fields";
  for (uint32_t j = 0; j < sup->n; j++) {
    *field = j;
    if (sub->mut[j] != sup->mut[j])
      return "a field's mutability differs";
    if (sub->mut[j] ? sub->vt[j] != sup->vt[j]
                    : !canon_vt_sub(reg, sub->vt[j], sup->vt[j]))
      return sub->mut[j] ? "a mutable field's type differs"
                         : "a field is not a subtype";
  }
  return NULL;
}

/* Hash the group outside the lock, look it up and publish it if new
 * (under the lock), then set the module's canonical ids and check the
 * declared supertypes on the canonical records.  The checks come after
 * canonicalization because references into the group itself compare by
 * canonical id, and subtyping between in-group types follows the declared
 * chains, which only exist once the group has its display.  A group that
 * fails the checks stays registered: it is a well-formed key, and any later
 * identical group fails the same checks. */
void fe_typereg_intern(fe_typereg *reg, fe_module *m, uint32_t start,
                       uint32_t n, const fe_errctx *ec, size_t offset) {
  assert(start <= m->ntypes && n <= m->ntypes - start);
  if (n == 0)
    return;
  check_indices(m, start, n, ec, offset);
  group_shape sh = measure_group(reg, m, start, n, ec, offset);
  uint64_t h = hash_group(m, start, n);

  uint32_t base = 0;
  fe_errcode err = FE_E_OK;
  pthread_mutex_lock(&reg->lock);
  const rgroup *g = table_find(reg, h, m, start, n);
  if (g)
    base = g->base;
  else
    err = publish_group(reg, m, start, n, h, &sh, &base);
  pthread_mutex_unlock(&reg->lock);
  if (err == FE_E_TOO_MANY)
    fe_fail(ec, offset, err, "more than %u canonical types", MAX_TYPES);
  if (err != FE_E_OK)
    fe_fail(ec, offset, err, "type registry");

  for (uint32_t i = 0; i < n; i++)
    m->types[start + i].canon = base + i;
  for (uint32_t i = 0; i < n; i++) {
    const fe_type *t = &m->types[start + i];
    if (t->super == FE_NO_INDEX)
      continue;
    uint32_t field;
    const char *why =
        super_mismatch(reg, fe_typereg_type(reg, base + i),
                       fe_typereg_type(reg, m->types[t->super].canon), &field);
    if (why && field == FE_NO_INDEX)
      fe_fail(ec, offset, FE_E_SUB_TYPE,
              "type %u does not match its supertype %u: %s", start + i,
              t->super, why);
    if (why)
      fe_fail(ec, offset, FE_E_SUB_TYPE,
              "type %u does not match its supertype %u: %s (index %u)",
              start + i, t->super, why, field);
  }
}

/* ------------------------------------------------------------------------
 * Text form and storage size (declared in module.h)
 * ---------------------------------------------------------------------- */

/* The text-format keyword of an abstract heap type; NULL if unknown. */
static const char *heap_name(uint8_t code) {
  switch (code) {
  case FE_HT_NOEXN: return "noexn";
  case FE_HT_NOFUNC: return "nofunc";
  case FE_HT_NOEXTERN: return "noextern";
  case FE_HT_NONE: return "none";
  case FE_HT_FUNC: return "func";
  case FE_HT_EXTERN: return "extern";
  case FE_HT_ANY: return "any";
  case FE_HT_EQ: return "eq";
  case FE_HT_I31: return "i31";
  case FE_HT_STRUCT: return "struct";
  case FE_HT_ARRAY: return "array";
  case FE_HT_EXN: return "exn";
  default: return NULL;
  }
}

/* The spec's text syntax, with the shorthand for nullable abstract
 * references ("funcref", "nullref"); concrete heap types print as their
 * index in whatever form the word carries, so messages stay meaningful
 * without a module at hand. */
const char *fe_valtype_str(fe_valtype t, char *buf, size_t size) {
  if (size == 0)
    return buf;
  const char *s = NULL;
  switch (FE_VT_CODE(t)) {
  case FE_BOT: s = "bot"; break;
  case FE_I32: s = "i32"; break;
  case FE_I64: s = "i64"; break;
  case FE_F32: s = "f32"; break;
  case FE_F64: s = "f64"; break;
  case FE_V128: s = "v128"; break;
  case FE_I8: s = "i8"; break;
  case FE_I16: s = "i16"; break;
  case FE_REF: break;
  default:
    snprintf(buf, size, "<type 0x%02x>", FE_VT_CODE(t));
    return buf;
  }
  if (s) {
    snprintf(buf, size, "%s", s);
    return buf;
  }
  const char *null = FE_VT_NULLABLE(t) ? "null " : "";
  uint32_t x = FE_VT_HEAP(t);
  switch (FE_VT_HTKIND(t)) {
  case FE_HT_ABSTRACT: {
    const char *name = heap_name((uint8_t)x);
    if (!name)
      snprintf(buf, size, "(ref %s<heap 0x%02x>)", null, x);
    else if (!FE_VT_NULLABLE(t))
      snprintf(buf, size, "(ref %s)", name);
    else if (x == FE_HT_NONE)
      snprintf(buf, size, "nullref");
    else if (x == FE_HT_NOFUNC || x == FE_HT_NOEXTERN || x == FE_HT_NOEXN)
      snprintf(buf, size, "null%sref", name + 2);
    else
      snprintf(buf, size, "%sref", name);
    break;
  }
  case FE_HT_MODULE: snprintf(buf, size, "(ref %s%u)", null, x); break;
  case FE_HT_CANON: snprintf(buf, size, "(ref %scanon#%u)", null, x); break;
  default: snprintf(buf, size, "(ref %srec.%u)", null, x); break;
  }
  return buf;
}
