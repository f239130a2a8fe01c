/* vm/memory.c — linear memories (see memory.h): one anonymous PROT_NONE
 * reservation per memory, made accessible page by page as it grows.
 *
 * The reservation is MAP_NORESERVE: it costs address space and a VMA, not
 * memory or commit charge (under the kernel's default overcommit policy;
 * with vm.overcommit_memory=2 the accessible part is charged when
 * mprotect makes it writable, and growth beyond the commit limit fails
 * with -1).  Pages are backed on first touch, so a large minimum costs
 * nothing until it is used.
 */
#include "memory.h"

#include "image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct vm_mem {
  vm_memory rec;      /* {base, length}: what generated code reads */
  size_t reserved;    /* bytes of address space from rec.base */
  uint64_t pages;     /* current size */
  uint64_t max_pages; /* growth stops here: min(maximum, limit, reservation) */
  uint64_t declared_max; /* the type's maximum, UINT64_MAX: none */
  bool is64;
  bool pooled;        /* a pool slot's memory (vm/pool.c): never unmapped */
  bool held;          /* pooled: an instance holds it (counted in the stats) */
  uint64_t touched;   /* pooled: bytes made accessible since the last wipe */
  bool copied;        /* pooled: its image was copied, not mapped: a release
                         (MADV_DONTNEED) cannot bring it back */
};

static atomic_uint_fast64_t stat_live, stat_reserved, stat_committed;
static atomic_uint_fast64_t reserve64_pages = VM_MEM64_RESERVE_PAGES;

/* Pages addressable by the index type: 2^32 bytes, or 2^64 bytes. */
static uint64_t index_pages(bool is64) {
  return is64 ? (uint64_t)1 << 48 : VM_MEM32_MAX_PAGES;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* A memory with `reserved` bytes of address space, `bytes` of them
 * accessible, starts (sign 1) or stops (sign -1) counting in the
 * statistics. */
static void count(int sign, uint64_t reserved, uint64_t bytes) {
  if (sign > 0) {
    atomic_fetch_add_explicit(&stat_live, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&stat_reserved, reserved, memory_order_relaxed);
    atomic_fetch_add_explicit(&stat_committed, bytes, memory_order_relaxed);
  } else {
    atomic_fetch_sub_explicit(&stat_live, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&stat_reserved, reserved, memory_order_relaxed);
    atomic_fetch_sub_explicit(&stat_committed, bytes, memory_order_relaxed);
  }
}

/* Sets a memory's size and limits. */
static void set_size(vm_mem *m, uint64_t pages, uint64_t grow_max, uint64_t declared_max,
                     bool is64) {
  m->rec.length = pages * VM_PAGE_SIZE;
  m->pages = pages;
  m->max_pages = grow_max;
  m->declared_max = declared_max;
  m->is64 = is64;
}

static void fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t n, const char *fmt, ...) {
  if (n == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

vm_mem *vm_mem_new(uint64_t min_pages, uint64_t max_pages, bool is64,
                   uint64_t limit_pages, char *err, size_t n) {
  if (min_pages > max_pages) {
    fail(err, n, "memory minimum (%" PRIu64 " pages) exceeds its maximum (%" PRIu64 ")",
         min_pages, max_pages);
    return NULL;
  }
  if (min_pages > index_pages(is64)) {
    fail(err, n, "memory size (%" PRIu64 " pages) exceeds the %s address range",
         min_pages, is64 ? "64-bit" : "32-bit");
    return NULL;
  }
  if (min_pages > limit_pages) {
    fail(err, n,
         "memory minimum (%" PRIu64 " pages) exceeds the engine's limit (%" PRIu64
         " pages)",
         min_pages, limit_pages);
    return NULL;
  }

  uint64_t grow_max = min_u64(min_u64(max_pages, limit_pages), index_pages(is64));
  uint64_t reserve;
  if (is64) {
    /* The whole reachable size, capped; never less than the minimum. */
    uint64_t cap = atomic_load_explicit(&reserve64_pages, memory_order_relaxed);
    uint64_t pages = min_u64(grow_max, cap);
    if (pages < min_pages)
      pages = min_pages;
    if (pages > SIZE_MAX / VM_PAGE_SIZE - 1) {
      fail(err, n, "memory of %" PRIu64 " pages does not fit in the address space",
           pages);
      return NULL;
    }
    grow_max = pages;
    /* At least one page, so that base is a real, unique address. */
    reserve = pages ? pages * VM_PAGE_SIZE : VM_PAGE_SIZE;
  } else {
    reserve = VM_MEM32_RESERVE;
  }

  vm_mem *m = calloc(1, sizeof *m);
  if (!m) {
    fail(err, n, "out of memory");
    return NULL;
  }
  void *base = mmap(NULL, reserve, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    fail(err, n, "cannot reserve %" PRIu64 " bytes of address space for a memory: %s",
         reserve, strerror(errno));
    free(m);
    return NULL;
  }
  uint64_t bytes = min_pages * VM_PAGE_SIZE;
  if (bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) {
    fail(err, n, "cannot commit %" PRIu64 " bytes of memory: %s", bytes,
         strerror(errno));
    munmap(base, reserve);
    free(m);
    return NULL;
  }
  m->rec.base = base;
  m->reserved = reserve;
  set_size(m, min_pages, grow_max, max_pages, is64);
  count(1, reserve, bytes);
  return m;
}

int64_t vm_mem_grow(vm_mem *m, uint64_t delta_pages) {
  uint64_t old = m->pages;
  if (delta_pages == 0)
    return (int64_t)old;
  if (delta_pages > m->max_pages - old)
    return -1;
  uint64_t at = old * VM_PAGE_SIZE, bytes = delta_pages * VM_PAGE_SIZE;
  if (mprotect(m->rec.base + at, bytes, PROT_READ | PROT_WRITE) != 0)
    return -1;
  m->pages = old + delta_pages;
  m->rec.length = at + bytes;
  if (m->rec.length > m->touched)
    m->touched = m->rec.length;
  atomic_fetch_add_explicit(&stat_committed, bytes, memory_order_relaxed);
  return (int64_t)old;
}

vm_memory *vm_mem_record(vm_mem *m) { return &m->rec; }

uint64_t vm_mem_pages(const vm_mem *m) { return m->pages; }

uint64_t vm_mem_max_pages(const vm_mem *m) { return m->max_pages; }

uint64_t vm_mem_declared_max(const vm_mem *m) { return m->declared_max; }

bool vm_mem_is64(const vm_mem *m) { return m->is64; }

void vm_mem_free(vm_mem *m) {
  if (!m)
    return;
  if (m->pooled) { /* the pool's: vm_mem_pool_release */
    vm_mem_pool_release(m, 0);
    return;
  }
  munmap(m->rec.base, m->reserved);
  count(-1, m->reserved, m->rec.length);
  free(m);
}

void vm_mem_set_reserve64(uint64_t pages) {
  atomic_store_explicit(&reserve64_pages, pages ? pages : VM_MEM64_RESERVE_PAGES,
                        memory_order_relaxed);
}

void vm_mem_get_stats(vm_mem_stats *out) {
  out->live = atomic_load_explicit(&stat_live, memory_order_relaxed);
  out->reserved = atomic_load_explicit(&stat_reserved, memory_order_relaxed);
  out->committed = atomic_load_explicit(&stat_committed, memory_order_relaxed);
}

/* An image is mapped copy-on-write from its memfd: measured here, that
 * beats copying at every size, 4 KiB included (12 us against 18 us per
 * instance with a 1-page memory: the copy's first write faults in fresh,
 * zeroed memory — a whole huge page where transparent huge pages are on —
 * while the mapping costs one mmap and faults pages in only when they are
 * touched; docs/performance.md).  Copying remains for when no memfd can be
 * made. */
static void copy_image(vm_mem *m, const vm_mem_image *mi) {
  for (uint64_t at = 0; at < mi->len; at += 4096)
    if (!vm_page_is_zero(mi->bytes + at))
      memcpy(m->rec.base + at, mi->bytes + at, 4096);
}

void vm_mem_apply_image(vm_mem *m, vm_mem_image *mi) {
  if (!mi->bytes)
    return;
  int fd = vm_mem_image_fd(mi);
  if (fd >= 0 && mmap(m->rec.base, mi->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                      fd, 0) != MAP_FAILED)
    return;
  /* (a failed MAP_FIXED leaves the old mapping in place: copy into it) */
  copy_image(m, mi);
  m->copied = true;
}

void vm_mem_clear(vm_mem *m, uint64_t len) {
  if (!len)
    return;
  /* fresh zero pages in place of whatever is mapped there (an image, or
   * pages the instance wrote) */
  if (mmap(m->rec.base, len, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
    memset(m->rec.base, 0, len);
}

/* ---- pool slots (vm/pool.c) ---------------------------------------------
 * A pooled memory keeps its reservation for the life of the pool.  Between
 * instances it is left clean for the module that last held it: accessible
 * up to that module's minimum, the module's image mapped copy-on-write over
 * it and every page the instance wrote dropped (MADV_DONTNEED restores a
 * private file mapping's pages from the file and zeroes anonymous ones), so
 * that the next instance of the same module needs no system call at all. */

vm_mem *vm_mem_pool_new(uint8_t *base, size_t reserved) {
  vm_mem *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->rec.base = base;
  m->reserved = reserved;
  m->pooled = true;
  return m;
}

void vm_mem_pool_delete(vm_mem *m) { free(m); }

bool vm_mem_pool_take(vm_mem *m, uint64_t min_pages, uint64_t max_pages, bool is64,
                      uint64_t limit_pages, bool clean, char *err, size_t n) {
  uint64_t cap = m->reserved / VM_PAGE_SIZE - 1; /* the guard page beyond */
  if (!is64 && cap > VM_MEM32_MAX_PAGES)
    cap = VM_MEM32_MAX_PAGES;
  uint64_t grow_max = min_u64(min_u64(max_pages, limit_pages), cap);
  if (min_pages > grow_max) {
    fail(err, n, "memory minimum (%" PRIu64 " pages) exceeds its maximum, the engine's limit "
         "or the pool slot (%" PRIu64 " pages)", min_pages, grow_max);
    return false;
  }
  uint64_t bytes = min_pages * VM_PAGE_SIZE;
  if (!clean) {
    /* a fresh reservation state: nothing accessible, nothing mapped */
    if (m->touched && mmap(m->rec.base, m->touched, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
                           0) == MAP_FAILED) {
      fail(err, n, "cannot reset a pooled memory: %s", strerror(errno));
      return false;
    }
    m->touched = 0;
    m->copied = false;
    if (bytes && mprotect(m->rec.base, bytes, PROT_READ | PROT_WRITE) != 0) {
      fail(err, n, "cannot commit %" PRIu64 " bytes of memory: %s", bytes, strerror(errno));
      return false;
    }
    m->touched = bytes;
  }
  set_size(m, min_pages, grow_max, max_pages, is64);
  m->held = true;
  count(1, m->reserved, bytes);
  return true;
}

bool vm_mem_pool_release(vm_mem *m, uint64_t keep_pages) {
  if (!m->held)
    return true;
  m->held = false;
  count(-1, m->reserved, m->rec.length);
  uint64_t keep = keep_pages * VM_PAGE_SIZE;
  bool ok = true;
  if (m->rec.length > keep) { /* it grew: back to the minimum */
    ok = mprotect(m->rec.base + keep, m->rec.length - keep, PROT_NONE) == 0 &&
         madvise(m->rec.base + keep, m->rec.length - keep, MADV_DONTNEED) == 0;
  }
  if (ok && keep)
    ok = madvise(m->rec.base, keep, MADV_DONTNEED) == 0;
  m->rec.length = keep;
  m->pages = keep_pages;
  return ok && !m->copied; /* a copied image is gone: not clean */
}
