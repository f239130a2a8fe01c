/* frontend/arena.h — a bump allocator that owns everything a module holds.
 *
 * A module description is built once and freed at once, and decoding can
 * stop anywhere with a long jump (error.h); so every allocation of the
 * frontend comes from an arena, and freeing the arena frees the module.
 * Allocation failure raises FE_E_NOMEM through the arena's error context.
 */
#ifndef KILN_FRONTEND_ARENA_H
#define KILN_FRONTEND_ARENA_H

#include <stddef.h>

#include "error.h"

typedef struct fe_arena_block fe_arena_block;

typedef struct fe_arena {
  fe_arena_block *head;
  char *cur, *end;
  size_t total;          /* bytes obtained from malloc */
  const fe_errctx *ec;   /* where out-of-memory is raised; may be NULL */
} fe_arena;

void fe_arena_init(fe_arena *a, const fe_errctx *ec);
void fe_arena_free(fe_arena *a);
/* Zeroed, 16-byte aligned.  Raises FE_E_NOMEM (or aborts if a->ec is NULL). */
void *fe_arena_alloc(fe_arena *a, size_t size);
/* n * size with overflow checking. */
void *fe_arena_array(fe_arena *a, size_t n, size_t size);

#endif
