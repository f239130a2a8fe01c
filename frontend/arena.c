/* frontend/arena.c — the module arena (see arena.h). */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fe_arena_block {
  fe_arena_block *next;
  size_t size;
  _Alignas(16) char data[];
};

enum { BLOCK_MIN = 16 * 1024 };

void fe_arena_init(fe_arena *a, const fe_errctx *ec) {
  memset(a, 0, sizeof *a);
  a->ec = ec;
}

void fe_arena_free(fe_arena *a) {
  fe_arena_block *b = a->head;
  while (b) {
    fe_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->cur = a->end = NULL;
  a->total = 0;
}

static _Noreturn void out_of_memory(fe_arena *a, size_t size) {
  if (a->ec)
    fe_fail(a->ec, 0, FE_E_NOMEM, "allocating %zu bytes", size);
  fprintf(stderr, "kiln: out of memory allocating %zu bytes\n", size);
  abort();
}

void *fe_arena_alloc(fe_arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size == 0)
    size = 16;
  if ((size_t)(a->end - a->cur) < size) {
    size_t want = size > BLOCK_MIN ? size : BLOCK_MIN;
    if (a->total > want && a->total < SIZE_MAX / 4)
      want = size > a->total / 2 ? size : a->total / 2; /* grow geometrically */
    if (want > SIZE_MAX - sizeof(fe_arena_block))
      out_of_memory(a, size);
    fe_arena_block *b = malloc(sizeof(fe_arena_block) + want);
    if (!b)
      out_of_memory(a, size);
    b->next = a->head;
    b->size = want;
    a->head = b;
    a->total += want;
    a->cur = b->data;
    a->end = b->data + want;
  }
  void *p = a->cur;
  a->cur += size;
  memset(p, 0, size);
  return p;
}

void *fe_arena_array(fe_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    out_of_memory(a, SIZE_MAX);
  return fe_arena_alloc(a, n * size);
}
