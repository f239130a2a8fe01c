/* gc/gc.c — the GC heap: the reserved region and its size-class allocator,
 * the barrier's slow path, the zero-count table, reclamation, API roots,
 * finalizers, statistics and the verifier (gc.h, docs/gc.md).
 *
 * Region: one PROT_NONE reservation of min(limit + 64 KiB, 4 GiB), made at
 * the first allocation; made readable and writable in chunks as pages are
 * handed out; never shrunk.  It is divided into 64 KiB pages; page 0 is
 * never used (offset 0 is null).  Each used page belongs to one size class
 * (page_class[]) and is cut into equal cells; so the start of an object is
 * found from any offset (gc_is_object) without a header walk.
 *
 * Allocation: per class, a free list of freed cells (linked through the
 * header's rc field), then a bump pointer in the class's current page, then
 * a new page.  Pages are not returned to other classes (yet).
 */
#include "gc.h"

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GC_PAGE ((uint32_t)1 << 16)
#define GC_PAGE_SHIFT 16
#define GC_COMMIT_CHUNK ((uint64_t)1 << 18) /* 256 KiB */
#define GC_NO_CLASS 0xffu
#define GC_LARGE_HEAD 0xfeu /* the first page of a large object */
#define GC_LARGE_TAIL 0xfdu /* a further page of one (page_run: its head) */
#define GC_SCLASS_LARGE 0xffu /* gc_header.sclass of a large object */
#define GC_POISON_BYTE 0xdb

/* Header flags. */
enum {
  GC_F_ZCT = 1u << 0,  /* the object is in the ZCT array */
  GC_F_PIN = 1u << 1,  /* held by a scanned frame (during a reclamation) */
  GC_F_MARK = 1u << 2, /* reached by the backup tracer (during a trace) */
};

/* Cell sizes: multiples of 16 up to 256, then about 1.5x steps. */
static const uint32_t class_size[] = {
    16,  32,  48,  64,   80,   96,   112,  128,  160,  192, 224,
    256, 384, 512, 768,  1024, 1536, 2048, 3072, 4096, 6144, 8192,
};
#define GC_NCLASS ((unsigned)(sizeof class_size / sizeof class_size[0]))

/* The externref box. */
typedef struct gc_extern {
  gc_header hdr;
  void *host_data;
  gc_finalizer *finalizer;
} gc_extern;

/* An array: the header, then its length and element layout, then the
 * elements (8-aligned). */
typedef struct gc_array {
  gc_header hdr;
  uint32_t length;
  uint8_t elem_size;
  uint8_t elem_refs; /* elements are counted GC references */
  uint8_t pad_[2];
  _Alignas(8) uint8_t elems[];
} gc_array;

typedef struct gc_pending {
  gc_finalizer *fn;
  void *data;
} gc_pending;

struct gc_heap {
  uint8_t *base;        /* NULL until the first allocation */
  uint64_t reserved;    /* bytes reserved at base */
  uint64_t limit;       /* object bytes (pages) that may be committed */
  uint64_t committed;   /* bytes from base + GC_PAGE made accessible */
  uint64_t page_top;    /* offset of the first page never handed out */
  uint8_t *page_class;  /* per page: its size class, GC_LARGE_*, or GC_NO_CLASS */
  uint32_t *page_run;   /* per page: a large object's head page: its page
                           count; a tail page: its head page's index */
  /* Free runs of pages (freed large objects), reused first-fit. */
  struct page_span { uint32_t first, n; } *spans;
  size_t nspans, spans_cap;
  /* Struct layouts by canonical type id (copies; open addressing). */
  struct layout_slot { uint32_t type_id; bool used; gc_struct_layout l; } *layouts;
  size_t nlayouts, layouts_cap;
  unsigned flags;
  gc_status error;

  uint32_t free_head[GC_NCLASS]; /* free cells, linked through rc */
  uint64_t bump[GC_NCLASS];      /* next fresh cell in the class's page */
  uint64_t bump_end[GC_NCLASS];

  /* The ZCT: every object with rc 0 (and maybe some with rc > 0 again),
   * each at most once (GC_F_ZCT).  Capacity >= live objects, reserved at
   * allocation, so the barrier never allocates. */
  gc_ref *zct;
  size_t zct_len, zct_cap;

  /* Finalizers of freed boxes.  Capacity >= pending + live boxes with a
   * finalizer, reserved at allocation, so freeing never allocates. */
  gc_pending *pending;
  size_t pending_len, pending_cap;
  uint64_t live_finalizable;

  uint64_t live_objects, live_bytes, allocations, frees;
  uint64_t collections, traces, traced_frees;
};

_Static_assert(offsetof(struct gc_heap, base) == GC_HEAP_BASE_OFFSET,
               "generated code finds the region base at GC_HEAP_BASE_OFFSET");

/* ---- kinds -------------------------------------------------------------- */

/* The children walker of a kind: calls fn on every reference slot of the
 * object.  NULL: no children.  Freeing and the verifier are its only users;
 * structs and arrays add theirs here. */
typedef void gc_child_fn(gc_heap *h, gc_ref *slot, void *ctx);
typedef void gc_trace_fn(gc_heap *h, gc_header *obj, gc_child_fn *fn,
                         void *ctx);

/* An array's children: its elements, when they are GC references (null and
 * i31 elements are passed too; callers skip what is not a heap ref). */
static void array_trace(gc_heap *h, gc_header *obj, gc_child_fn *fn, void *ctx) {
  gc_array *a = (gc_array *)obj;
  if (!a->elem_refs)
    return;
  gc_ref *slots = (gc_ref *)a->elems;
  for (uint32_t i = 0; i < a->length; i++)
    fn(h, &slots[i], ctx);
}

static const gc_struct_layout *layout_find(const gc_heap *h, uint32_t type_id);

/* A struct's children: its GC-reference fields, per its type's layout. */
static void struct_trace(gc_heap *h, gc_header *obj, gc_child_fn *fn, void *ctx) {
  const gc_struct_layout *l = layout_find(h, obj->type_id);
  for (uint32_t i = 0; i < l->nrefs; i++)
    fn(h, (gc_ref *)(void *)((uint8_t *)obj + l->ref_offsets[i]), ctx);
}

static const struct {
  gc_trace_fn *trace;
} kind_ops[GC_KIND_COUNT_] = {
    [GC_KIND_FREE] = {NULL},
    [GC_KIND_EXTERN] = {NULL},
    [GC_KIND_ARRAY] = {array_trace},
    [GC_KIND_STRUCT] = {struct_trace},
};

/* ---- errors ------------------------------------------------------------- */

const char *gc_status_message(gc_status s) {
  switch (s) {
  case GC_OK:
    return "success";
  case GC_ERR_LIMIT:
    return "GC heap limit reached";
  case GC_ERR_NOMEM:
    return "out of memory for the GC heap";
  case GC_ERR_TOO_LARGE:
    return "GC object too large";
  }
  return "unknown GC error";
}

gc_status gc_last_error(const gc_heap *h) { return h->error; }

uint64_t gc_allocations(const gc_heap *h) { return h->allocations; }

/* ---- the heap ----------------------------------------------------------- */

gc_heap *gc_heap_new(uint64_t limit, unsigned flags) {
  gc_heap *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  uint64_t max = GC_HEAP_MAX - GC_PAGE;
  if (limit == 0 || limit > max)
    limit = max;
  h->limit = limit & ~(uint64_t)(GC_PAGE - 1);
  h->flags = flags;
  return h;
}

static inline gc_header *hdr(const gc_heap *h, gc_ref r) {
  return (gc_header *)(void *)(h->base + r);
}

gc_header *gc_header_of(const gc_heap *h, gc_ref r) {
  assert(gc_is_object(h, r));
  return hdr(h, r);
}

bool gc_is_object(const gc_heap *h, gc_ref r) {
  if (!gc_is_heap_ref(r) || !h->base || r >= h->page_top)
    return false;
  uint8_t c = h->page_class[r >> GC_PAGE_SHIFT];
  if (c == GC_LARGE_HEAD)
    return (r & (GC_PAGE - 1)) == 0 && hdr(h, r)->kind != GC_KIND_FREE;
  if (c >= GC_LARGE_TAIL)
    return false;
  uint32_t in_page = r & (GC_PAGE - 1), size = class_size[c];
  if (in_page % size != 0 || in_page + size > GC_PAGE)
    return false;
  return hdr(h, r)->kind != GC_KIND_FREE;
}

/* Calls fn on every live object, page by page. */
static void each_object(gc_heap *h, void (*fn)(gc_heap *, gc_ref, void *),
                        void *ctx) {
  for (uint64_t p = GC_PAGE; p < h->page_top; p += GC_PAGE) {
    uint8_t c = h->page_class[p >> GC_PAGE_SHIFT];
    if (c == GC_LARGE_HEAD) {
      if (hdr(h, p)->kind != GC_KIND_FREE)
        fn(h, (gc_ref)p, ctx);
      continue;
    }
    if (c >= GC_LARGE_TAIL)
      continue;
    uint32_t size = class_size[c];
    for (uint32_t off = 0; off + size <= GC_PAGE; off += size)
      if (hdr(h, p + off)->kind != GC_KIND_FREE)
        fn(h, (gc_ref)(p + off), ctx);
  }
}

static void run_live_finalizer(gc_heap *h, gc_ref r, void *ctx) {
  (void)ctx;
  gc_header *o = hdr(h, r);
  if (o->kind == GC_KIND_EXTERN) {
    gc_extern *e = (gc_extern *)o;
    gc_finalizer *fn = e->finalizer;
    e->finalizer = NULL;
    if (fn)
      fn(e->host_data);
  }
}

void gc_heap_free(gc_heap *h) {
  if (!h)
    return;
  gc_run_finalizers(h);
  if (h->base) {
    each_object(h, run_live_finalizer, NULL);
    munmap(h->base, h->reserved);
  }
  free(h->page_class);
  free(h->page_run);
  free(h->spans);
  for (size_t i = 0; i < h->layouts_cap; i++)
    if (h->layouts[i].used)
      free((void *)h->layouts[i].l.ref_offsets);
  free(h->layouts);
  free(h->zct);
  free(h->pending);
  free(h);
}

/* Reserves the region (first allocation). */
static bool reserve(gc_heap *h) {
  uint64_t size = h->limit + GC_PAGE;
  void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED)
    return false;
  size_t npages = (size_t)(size >> GC_PAGE_SHIFT);
  h->page_class = malloc(npages);
  h->page_run = calloc(npages, sizeof *h->page_run);
  if (!h->page_class || !h->page_run) {
    free(h->page_class);
    free(h->page_run);
    h->page_class = NULL;
    h->page_run = NULL;
    munmap(p, size);
    return false;
  }
  memset(h->page_class, GC_NO_CLASS, npages);
  h->base = p;
  h->reserved = size;
  h->page_top = GC_PAGE;
  return true;
}

/* n contiguous pages: a free run (first fit, split), else fresh pages at
 * the top, committing chunks as needed.  Their offset, or 0 with h->error
 * set. */
static uint64_t take_pages(gc_heap *h, uint32_t n) {
  for (size_t i = 0; i < h->nspans; i++) {
    struct page_span *sp = &h->spans[i];
    if (sp->n < n)
      continue;
    uint64_t at = (uint64_t)sp->first << GC_PAGE_SHIFT;
    sp->first += n;
    sp->n -= n;
    if (sp->n == 0)
      h->spans[i] = h->spans[--h->nspans];
    return at;
  }
  uint64_t top = h->page_top, used = top - GC_PAGE, bytes = (uint64_t)n * GC_PAGE;
  if (used + bytes > h->limit) {
    h->error = GC_ERR_LIMIT;
    return 0;
  }
  if (used + bytes > h->committed) {
    uint64_t grow = used + bytes - h->committed;
    grow = (grow + GC_COMMIT_CHUNK - 1) / GC_COMMIT_CHUNK * GC_COMMIT_CHUNK;
    if (h->committed + grow > h->limit)
      grow = h->limit - h->committed;
    if (mprotect(h->base + GC_PAGE + h->committed, grow,
                 PROT_READ | PROT_WRITE) != 0) {
      h->error = GC_ERR_NOMEM;
      return 0;
    }
    h->committed += grow;
  }
  h->page_top = top + bytes; /* up to 4 GiB: 64-bit */
  return top;
}

/* Hands out a page for class c. */
static bool new_page(gc_heap *h, unsigned c) {
  uint64_t at = take_pages(h, 1);
  if (!at)
    return false;
  h->page_class[at >> GC_PAGE_SHIFT] = (uint8_t)c;
  h->bump[c] = at;
  h->bump_end[c] = at + GC_PAGE - GC_PAGE % class_size[c];
  return true;
}

/* Grows *arr (elements of size elem) so that it holds at least need. */
static bool reserve_array(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return true;
  size_t ncap = *cap ? *cap * 2 : 64;
  while (ncap < need)
    ncap *= 2;
  void *p = realloc(*arr, ncap * elem);
  if (!p)
    return false;
  *arr = p;
  *cap = ncap;
  return true;
}

static void zct_push(gc_heap *h, gc_ref r) {
  gc_header *o = hdr(h, r);
  if (o->flags & GC_F_ZCT)
    return;
  assert(h->zct_len < h->zct_cap);
  o->flags |= GC_F_ZCT;
  h->zct[h->zct_len++] = r;
}

/* A cell of at least size bytes, header filled, rc 0, in the ZCT; or
 * GC_NULL with h->error set.  needs_finalizer reserves a pending slot. */
static gc_ref alloc_object(gc_heap *h, size_t size, gc_kind kind,
                           uint32_t type_id, bool needs_finalizer) {
  unsigned c = 0;
  while (c < GC_NCLASS && class_size[c] < size)
    c++;
  if (size > ((uint64_t)1 << 31)) {
    h->error = GC_ERR_TOO_LARGE;
    return GC_NULL;
  }
  if (!h->base && !reserve(h)) {
    h->error = GC_ERR_NOMEM;
    return GC_NULL;
  }
  if (!reserve_array((void **)&h->zct, &h->zct_cap, h->live_objects + 1,
                     sizeof *h->zct) ||
      (needs_finalizer &&
       !reserve_array((void **)&h->pending, &h->pending_cap,
                      h->pending_len + h->live_finalizable + 1,
                      sizeof *h->pending))) {
    h->error = GC_ERR_NOMEM;
    return GC_NULL;
  }
  gc_ref r;
  uint64_t cell;
  if (c == GC_NCLASS) { /* a large object: pages of its own */
    uint32_t n = (uint32_t)((size + GC_PAGE - 1) >> GC_PAGE_SHIFT);
    uint64_t at = take_pages(h, n);
    if (!at)
      return GC_NULL;
    uint32_t head = (uint32_t)(at >> GC_PAGE_SHIFT);
    h->page_class[head] = GC_LARGE_HEAD;
    h->page_run[head] = n;
    for (uint32_t i = 1; i < n; i++) {
      h->page_class[head + i] = GC_LARGE_TAIL;
      h->page_run[head + i] = head;
    }
    r = (gc_ref)at;
    cell = (uint64_t)n * GC_PAGE;
  } else if (h->free_head[c]) {
    r = h->free_head[c];
    h->free_head[c] = hdr(h, r)->rc;
    cell = class_size[c];
  } else {
    if (h->bump[c] == h->bump_end[c] && !new_page(h, c))
      return GC_NULL;
    r = (gc_ref)h->bump[c];
    h->bump[c] += class_size[c];
    cell = class_size[c];
  }
  memset(hdr(h, r), 0, (size_t)(c == GC_NCLASS ? size : cell)); /* (fresh pages are zero) */
  gc_header *o = hdr(h, r);
  o->type_id = type_id;
  o->kind = (uint8_t)kind;
  o->sclass = c == GC_NCLASS ? GC_SCLASS_LARGE : (uint8_t)c;
  h->live_objects++;
  h->live_bytes += cell;
  h->allocations++;
  h->error = GC_OK;
  zct_push(h, r);
  return r;
}

gc_ref gc_extern_new(gc_heap *h, void *host_data, gc_finalizer *fin) {
  gc_ref r = alloc_object(h, sizeof(gc_extern), GC_KIND_EXTERN, 0, fin != NULL);
  if (r == GC_NULL)
    return GC_NULL;
  gc_extern *e = (gc_extern *)hdr(h, r);
  e->host_data = host_data;
  e->finalizer = fin;
  if (fin)
    h->live_finalizable++;
  return r;
}

gc_ref gc_array_new(gc_heap *h, uint32_t type_id, uint32_t elem_size, bool elem_refs,
                    uint32_t length) {
  uint64_t size = sizeof(gc_array) + (uint64_t)elem_size * length;
  if (size > SIZE_MAX / 2) {
    h->error = GC_ERR_TOO_LARGE;
    return GC_NULL;
  }
  gc_ref r = alloc_object(h, (size_t)size, GC_KIND_ARRAY, type_id, false);
  if (r == GC_NULL)
    return GC_NULL;
  gc_array *a = (gc_array *)hdr(h, r);
  a->length = length; /* the elements are zero: alloc_object cleared the cell */
  a->elem_size = (uint8_t)elem_size;
  a->elem_refs = elem_refs;
  return r;
}

uint32_t gc_array_len(const gc_heap *h, gc_ref r) {
  gc_header *o = gc_header_of(h, r);
  assert(o->kind == GC_KIND_ARRAY);
  return ((gc_array *)o)->length;
}

/* ---- struct layouts --------------------------------------------------- */

static size_t layout_slot(uint32_t type_id, size_t cap) {
  return (size_t)(type_id * 2654435761u) & (cap - 1);
}

static const gc_struct_layout *layout_find(const gc_heap *h, uint32_t type_id) {
  if (!h->layouts_cap)
    return NULL;
  for (size_t i = layout_slot(type_id, h->layouts_cap);; i = (i + 1) & (h->layouts_cap - 1)) {
    if (!h->layouts[i].used)
      return NULL;
    if (h->layouts[i].type_id == type_id)
      return &h->layouts[i].l;
  }
}

/* Remembers a copy of type_id's layout; false when out of memory. */
static bool layout_add(gc_heap *h, uint32_t type_id, const gc_struct_layout *l) {
  if (2 * (h->nlayouts + 1) > h->layouts_cap) {
    size_t cap = h->layouts_cap ? 2 * h->layouts_cap : 16;
    struct layout_slot *t = calloc(cap, sizeof *t);
    if (!t)
      return false;
    for (size_t i = 0; i < h->layouts_cap; i++) {
      if (!h->layouts[i].used)
        continue;
      size_t k = layout_slot(h->layouts[i].type_id, cap);
      while (t[k].used)
        k = (k + 1) & (cap - 1);
      t[k] = h->layouts[i];
    }
    free(h->layouts);
    h->layouts = t;
    h->layouts_cap = cap;
  }
  uint32_t *offs = malloc((l->nrefs ? l->nrefs : 1) * sizeof *offs);
  if (!offs)
    return false;
  if (l->nrefs)
    memcpy(offs, l->ref_offsets, l->nrefs * sizeof *offs);
  size_t k = layout_slot(type_id, h->layouts_cap);
  while (h->layouts[k].used)
    k = (k + 1) & (h->layouts_cap - 1);
  h->layouts[k] = (struct layout_slot){type_id, true, {l->size, l->nrefs, offs}};
  h->nlayouts++;
  return true;
}

gc_ref gc_struct_new(gc_heap *h, uint32_t type_id, const gc_struct_layout *layout) {
  if (!layout_find(h, type_id) && !layout_add(h, type_id, layout)) {
    h->error = GC_ERR_NOMEM;
    return GC_NULL;
  }
  uint32_t size = layout->size < sizeof(gc_header) ? (uint32_t)sizeof(gc_header) : layout->size;
  return alloc_object(h, size, GC_KIND_STRUCT, type_id, false);
}

void *gc_extern_data(const gc_heap *h, gc_ref r) {
  gc_header *o = gc_header_of(h, r);
  assert(o->kind == GC_KIND_EXTERN);
  return ((gc_extern *)o)->host_data;
}

/* ---- counting ----------------------------------------------------------- */

static inline void inc(gc_heap *h, gc_ref r) {
  gc_header *o = hdr(h, r);
  assert(o->kind != GC_KIND_FREE);
  if (o->rc != UINT32_MAX)
    o->rc++;
}

static inline void dec(gc_heap *h, gc_ref r) {
  gc_header *o = hdr(h, r);
  assert(o->kind != GC_KIND_FREE && o->rc > 0);
  if (o->rc == UINT32_MAX)
    return;
  if (--o->rc == 0)
    zct_push(h, r);
}

void gc_write_slow(gc_heap *h, gc_ref *slot, gc_ref v) {
  gc_ref old = *slot;
  if (gc_is_heap_ref(v))
    inc(h, v);
  *slot = v;
  if (gc_is_heap_ref(old))
    dec(h, old);
}

void gc_root_add(gc_heap *h, gc_ref r) {
  if (!gc_is_heap_ref(r))
    return;
  gc_header *o = gc_header_of(h, r);
  if (o->handles != UINT32_MAX)
    o->handles++;
}

void gc_root_remove(gc_heap *h, gc_ref r) {
  if (!gc_is_heap_ref(r))
    return;
  gc_header *o = gc_header_of(h, r);
  assert(o->handles > 0);
  if (o->handles != UINT32_MAX)
    o->handles--;
  /* rc 0 with handles: the object stayed in the ZCT, nothing to do. */
}

/* ---- reclamation -------------------------------------------------------- */

static void dec_child(gc_heap *h, gc_ref *slot, void *ctx) {
  (void)ctx;
  if (gc_is_heap_ref(*slot))
    dec(h, *slot);
}

/* Frees object r (rc 0, no handle): its children's counts drop (those
 * reaching 0 join the ZCT, the caller's worklist); its finalizer is
 * queued; the cell goes to its class's free list. */
static void free_cell(gc_heap *h, gc_ref r);
static size_t reclaim_zct(gc_heap *h);

static void free_object(gc_heap *h, gc_ref r) {
  gc_header *o = hdr(h, r);
  gc_trace_fn *trace = kind_ops[o->kind].trace;
  if (trace)
    trace(h, o, dec_child, NULL);
  free_cell(h, r);
}

/* Frees object r's cell: its finalizer is queued, the cell goes to its
 * class's free list.  Its children are not visited. */
static void free_large(gc_heap *h, gc_ref r);

static void free_cell(gc_heap *h, gc_ref r) {
  gc_header *o = hdr(h, r);
  unsigned c = o->sclass;
  if (c == GC_SCLASS_LARGE) {
    free_large(h, r);
    return;
  }
  if (o->kind == GC_KIND_EXTERN) {
    gc_extern *e = (gc_extern *)o;
    if (e->finalizer) {
      assert(h->pending_len < h->pending_cap);
      h->pending[h->pending_len++] = (gc_pending){e->finalizer, e->host_data};
      h->live_finalizable--;
    }
  }
  if (h->flags & GC_HEAP_POISON)
    memset(o, GC_POISON_BYTE, class_size[c]);
  o->kind = GC_KIND_FREE;
  o->flags = 0;
  o->rc = h->free_head[c]; /* the free-list link */
  h->free_head[c] = r;
  h->live_objects--;
  h->live_bytes -= class_size[c];
  h->frees++;
}

/* Pages [first, first + n) (unused, GC_NO_CLASS) become a free run, merged
 * with the runs beside it, so that runs freed one after the other can hold
 * a larger object; a run that ends at the top lowers the top instead (its
 * pages count against the limit again only when handed out again). */
static void release_pages(gc_heap *h, uint32_t first, uint32_t n) {
  for (size_t i = 0; i < h->nspans;) {
    struct page_span *sp = &h->spans[i];
    if (sp->first + sp->n == first) {
      first = sp->first;
      n += sp->n;
    } else if (first + n == sp->first) {
      n += sp->n;
    } else {
      i++;
      continue;
    }
    h->spans[i] = h->spans[--h->nspans]; /* merged: look at the one moved here */
  }
  if (((uint64_t)first + n) << GC_PAGE_SHIFT == h->page_top) {
    h->page_top = (uint64_t)first << GC_PAGE_SHIFT;
    return;
  }
  /* (out of memory for the list: the pages stay unused, never wrong) */
  if (reserve_array((void **)&h->spans, &h->spans_cap, h->nspans + 1, sizeof *h->spans))
    h->spans[h->nspans++] = (struct page_span){first, n};
}

/* A large object's pages become a free run (their memory returned to the
 * system: MADV_DONTNEED, so they read as zero when reused). */
static void free_large(gc_heap *h, gc_ref r) {
  uint32_t head = r >> GC_PAGE_SHIFT, n = h->page_run[head];
  hdr(h, r)->kind = GC_KIND_FREE;
  hdr(h, r)->flags = 0;
  for (uint32_t i = 0; i < n; i++)
    h->page_class[head + i] = GC_NO_CLASS;
  madvise(h->base + r, (size_t)n * GC_PAGE, MADV_DONTNEED);
  release_pages(h, head, n);
  h->live_objects--;
  h->live_bytes -= (uint64_t)n * GC_PAGE;
  h->frees++;
}

/* The ZCT is the worklist: an entry is freed (its children may append new
 * entries), dropped (rc > 0 again) or kept (held by a handle), so freeing a
 * long chain of objects never recurses. */
size_t gc_reclaim(gc_heap *h, bool wasm_frames_active) {
  if (wasm_frames_active)
    return 0; /* without a scan nothing is known dead: gc_reclaim_frames */
  return reclaim_zct(h);
}

/* ---- frames: the conservative scan --------------------------------------- */

gc_ref gc_object_containing(const gc_heap *h, uint64_t off) {
  if (!h->base || off < GC_PAGE || off >= h->page_top)
    return GC_NULL;
  uint8_t c = h->page_class[off >> GC_PAGE_SHIFT];
  if (c == GC_NO_CLASS)
    return GC_NULL;
  if (c == GC_LARGE_HEAD || c == GC_LARGE_TAIL) {
    uint64_t head = c == GC_LARGE_HEAD ? off >> GC_PAGE_SHIFT : h->page_run[off >> GC_PAGE_SHIFT];
    gc_ref r = (gc_ref)(head << GC_PAGE_SHIFT);
    return hdr(h, r)->kind != GC_KIND_FREE ? r : GC_NULL;
  }
  uint32_t size = class_size[c];
  uint64_t page = off & ~(uint64_t)(GC_PAGE - 1);
  uint64_t start = page + (off - page) / size * size;
  if (start - page + size > GC_PAGE)
    return GC_NULL; /* the unused tail of the page */
  gc_ref r = (gc_ref)start;
  return hdr(h, r)->kind != GC_KIND_FREE ? r : GC_NULL;
}

/* The objects a scan found, kept to clear their flag afterwards. */
typedef struct ref_list {
  gc_ref *v;
  size_t n, cap;
  bool failed; /* out of memory: the scan is incomplete */
} ref_list;

static bool list_add(ref_list *l, gc_ref r) {
  if (l->n == l->cap && !reserve_array((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v)) {
    l->failed = true;
    return false;
  }
  l->v[l->n++] = r;
  return true;
}

/* Flags the object containing offset off (if any) with flag, once. */
static void flag_candidate(gc_heap *h, uint64_t off, uint8_t flag, ref_list *l) {
  gc_ref r = gc_object_containing(h, off);
  if (r == GC_NULL)
    return;
  gc_header *o = hdr(h, r);
  if (o->flags & flag)
    return;
  /* flagged only once listed: clear_flag must find every flag it set (a
   * MARK left behind would make the next trace skip the object's children) */
  if (list_add(l, r))
    o->flags |= flag;
}

/* Every word of [lo, hi) that could hold a reference: each 4-byte aligned
 * 32-bit value as an offset (a reference, or an offset derived from one),
 * each 8-byte aligned 64-bit value as an address into the region. */
/* Plain loads of stack words: not instrumented by AddressSanitizer (the
 * range holds other frames' redzones, which a conservative scan reads on
 * purpose). */
typedef uint32_t __attribute__((may_alias)) word32;
typedef uint64_t __attribute__((may_alias)) word64;

__attribute__((no_sanitize_address)) static void
scan_range(gc_heap *h, const void *lo, const void *hi, uint8_t flag, ref_list *l) {
  uintptr_t a = ((uintptr_t)lo + 3) & ~(uintptr_t)3, end = (uintptr_t)hi;
  uintptr_t base = (uintptr_t)h->base;
  for (; a + 4 <= end; a += 4) {
    uint32_t v = *(const volatile word32 *)a;
    if (v >= GC_PAGE && v < h->page_top)
      flag_candidate(h, v, flag, l);
    if ((a & 7) == 0 && a + 8 <= end) {
      uint64_t w = *(const volatile word64 *)a;
      if (w >= base + GC_PAGE && w < base + h->page_top)
        flag_candidate(h, w - base, flag, l);
    }
  }
}

static void clear_flag(gc_heap *h, ref_list *l, uint8_t flag) {
  for (size_t i = 0; i < l->n; i++)
    if (hdr(h, l->v[i])->kind != GC_KIND_FREE)
      hdr(h, l->v[i])->flags &= (uint8_t)~flag;
  free(l->v);
  *l = (ref_list){0};
}

/* The ZCT loop, keeping what a handle or a frame (GC_F_PIN) holds. */
static size_t reclaim_zct(gc_heap *h) {
  size_t freed = 0, keep = 0;
  while (keep < h->zct_len) {
    gc_ref r = h->zct[keep];
    gc_header *o = hdr(h, r);
    if (o->rc == 0 && (o->handles != 0 || (o->flags & GC_F_PIN))) {
      keep++;
      continue;
    }
    h->zct[keep] = h->zct[--h->zct_len];
    o->flags &= (uint8_t)~GC_F_ZCT;
    if (o->rc == 0) {
      free_object(h, r);
      freed++;
    }
  }
  return freed;
}

/* The ZCT reclaimed, keeping what a word of [lo, hi) points into (no
 * range: nothing is pinned). */
static size_t reclaim_pinned(gc_heap *h, const void *lo, const void *hi) {
  if (!h->zct_len)
    return 0;
  ref_list pins = {0};
  if (lo && hi)
    scan_range(h, lo, hi, GC_F_PIN, &pins);
  size_t freed = pins.failed ? 0 : reclaim_zct(h);
  clear_flag(h, &pins, GC_F_PIN);
  return freed;
}

size_t gc_reclaim_frames(gc_heap *h, const void *lo, const void *hi) {
  if (!h->base || !h->zct_len)
    return 0;
  h->collections++;
  return reclaim_pinned(h, lo, hi);
}

/* ---- the backup tracing collection ---------------------------------------- */

typedef struct mark_ctx {
  gc_heap *h;
  ref_list *marked; /* also the worklist: traced in order */
} mark_ctx;

static void mark_ref(mark_ctx *m, gc_ref r) {
  if (!gc_is_heap_ref(r) || !gc_is_object(m->h, r))
    return;
  gc_header *o = hdr(m->h, r);
  if (o->flags & GC_F_MARK)
    return;
  if (list_add(m->marked, r)) /* (flagged only once listed: flag_candidate) */
    o->flags |= GC_F_MARK;
}

static void mark_visit(void *vctx, gc_ref r) { mark_ref(vctx, r); }

static void mark_child(gc_heap *h, gc_ref *slot, void *ctx) {
  (void)h;
  mark_ref(ctx, *slot);
}

static void mark_handles(gc_heap *h, gc_ref r, void *ctx) {
  if (hdr(h, r)->handles)
    mark_ref(ctx, r);
}

/* A garbage object's references to survivors are dropped (their counts
 * fall; one reaching 0 joins the ZCT and lives on while a frame or a
 * handle holds it). */
static void dec_marked_child(gc_heap *h, gc_ref *slot, void *ctx) {
  (void)ctx;
  if (gc_is_heap_ref(*slot) && (hdr(h, *slot)->flags & GC_F_MARK))
    dec(h, *slot);
}

static void drop_survivor_refs(gc_heap *h, gc_ref r, void *ctx) {
  gc_header *o = hdr(h, r);
  if (o->flags & GC_F_MARK)
    return;
  gc_trace_fn *trace = kind_ops[o->kind].trace;
  if (trace)
    trace(h, o, dec_marked_child, ctx);
}

/* Frees an unmarked object without touching its children's counts (they
 * are garbage too, or drop_survivor_refs released them). */
static void sweep_one(gc_heap *h, gc_ref r, void *ctx) {
  size_t *freed = ctx;
  if (hdr(h, r)->flags & GC_F_MARK)
    return;
  free_cell(h, r);
  (*freed)++;
}

size_t gc_collect_full(gc_heap *h, gc_enumerate_fn *roots, void *ud, const void *lo,
                       const void *hi) {
  if (!h->base)
    return 0;
  /* counting first: what it frees, the tracer need not visit (and
   * traced_frees counts only what counting could not free) */
  size_t counted = reclaim_pinned(h, lo, hi);
  ref_list marked = {0};
  mark_ctx m = {h, &marked};
  if (roots)
    roots(ud, mark_visit, &m);
  each_object(h, mark_handles, &m);
  if (lo && hi)
    scan_range(h, lo, hi, GC_F_MARK, &marked);
  for (size_t i = 0; i < marked.n && !marked.failed; i++) {
    gc_header *o = hdr(h, marked.v[i]);
    gc_trace_fn *trace = kind_ops[o->kind].trace;
    if (trace)
      trace(h, o, mark_child, &m);
  }
  size_t freed = 0;
  h->collections++;
  h->traces++;
  if (!marked.failed) {
    each_object(h, drop_survivor_refs, NULL);
    each_object(h, sweep_one, &freed);
    h->traced_frees += freed;
    /* freed objects leave the ZCT */
    size_t k = 0;
    for (size_t i = 0; i < h->zct_len; i++)
      if (hdr(h, h->zct[i])->kind != GC_KIND_FREE)
        h->zct[k++] = h->zct[i];
    h->zct_len = k;
  }
  clear_flag(h, &marked, GC_F_MARK);
  /* what the garbage held and only frames hold now: counted reclamation */
  return counted + freed + reclaim_pinned(h, lo, hi);
}

size_t gc_run_finalizers(gc_heap *h) {
  size_t ran = 0;
  /* A finalizer must not touch this heap, so the queue cannot grow while
   * it runs; take entries from the front anyway, in allocation order. */
  for (size_t i = 0; i < h->pending_len; i++) {
    gc_pending p = h->pending[i];
    p.fn(p.data);
    ran++;
  }
  h->pending_len = 0;
  return ran;
}

/* ---- statistics --------------------------------------------------------- */

void gc_get_stats(const gc_heap *h, gc_stats *out) {
  *out = (gc_stats){
      .live_objects = h->live_objects,
      .live_bytes = h->live_bytes,
      .zct_size = h->zct_len,
      .allocations = h->allocations,
      .frees = h->frees,
      .pending_finalizers = h->pending_len,
      .committed_bytes = h->committed,
      .reserved_bytes = h->reserved,
      .limit_bytes = h->limit,
      .collections = h->collections,
      .traces = h->traces,
      .traced_frees = h->traced_frees,
  };
}

/* ---- the verifier ------------------------------------------------------- */

/* The verifier swaps every object's stored count into a side array, counts
 * afresh into the header (so no map from offset to object is needed),
 * compares, and puts the stored counts back. */
typedef struct verify_ctx {
  gc_heap *h;
  uint32_t *saved; /* stored counts, in each_object order */
  size_t n, i;
  size_t problems;
  char *err;
  size_t errlen;
} verify_ctx;

__attribute__((format(printf, 2, 3))) static void
problem(verify_ctx *v, const char *fmt, ...) {
  if (v->problems++ == 0 && v->errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->err, v->errlen, fmt, ap);
    va_end(ap);
  }
}

static void verify_visit(void *vctx, gc_ref r) {
  verify_ctx *v = vctx;
  if (!gc_is_heap_ref(r))
    return;
  if (!gc_is_object(v->h, r)) {
    problem(v, "reference 0x%x is not a live object", (unsigned)r);
    return;
  }
  gc_header *o = hdr(v->h, r);
  if (o->rc != UINT32_MAX)
    o->rc++;
}

static void verify_child(gc_heap *h, gc_ref *slot, void *ctx) {
  (void)h;
  verify_visit(ctx, *slot);
}

static void save_count(gc_heap *h, gc_ref r, void *ctx) {
  verify_ctx *v = ctx;
  gc_header *o = hdr(h, r);
  v->saved[v->i++] = o->rc;
  if (o->rc != UINT32_MAX) /* sticky counts are not recomputed */
    o->rc = 0;
}

static void count_children(gc_heap *h, gc_ref r, void *ctx) {
  gc_header *o = hdr(h, r);
  gc_trace_fn *trace = kind_ops[o->kind].trace;
  if (trace)
    trace(h, o, verify_child, ctx);
}

static void compare_count(gc_heap *h, gc_ref r, void *ctx) {
  verify_ctx *v = ctx;
  gc_header *o = hdr(h, r);
  uint32_t stored = v->saved[v->i++];
  if (o->rc != stored)
    problem(v, "object 0x%x: stored count %u, recomputed %u", (unsigned)r,
            (unsigned)stored, (unsigned)o->rc);
  if (stored == 0 && !(o->flags & GC_F_ZCT))
    problem(v, "object 0x%x has count 0 but is not in the ZCT", (unsigned)r);
  o->rc = stored;
}

size_t gc_verify(gc_heap *h, gc_enumerate_fn *enumerate, void *ud, char *err,
                 size_t n) {
  verify_ctx v = {.h = h, .err = err, .errlen = n};
  if (n > 0)
    err[0] = '\0';
  if (!h->base)
    return 0;
  v.saved = malloc((h->live_objects ? h->live_objects : 1) * sizeof *v.saved);
  if (!v.saved) {
    if (n > 0)
      snprintf(err, n, "out of memory");
    return 1;
  }
  each_object(h, save_count, &v);
  assert(v.i == h->live_objects);
  if (enumerate)
    enumerate(ud, verify_visit, &v);
  each_object(h, count_children, &v);
  v.i = 0;
  each_object(h, compare_count, &v);
  for (size_t i = 0; i < h->zct_len; i++)
    if (!gc_is_object(h, h->zct[i]))
      problem(&v, "ZCT entry 0x%x is not a live object", (unsigned)h->zct[i]);
  free(v.saved);
  return v.problems;
}
