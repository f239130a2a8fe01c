/* tests/unit/test_gc.c — the GC heap (gc/): the write barrier and its
 * counts, the zero-count table and reclamation, API roots, finalizers,
 * the heap limit, the verifier, destruction and bounded memory over many
 * cycles.  "Tables" here are plain gc_ref arrays written with gc_write, as
 * the VM's tables, globals and segments will be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gc/gc.h"

/* Finalizer bookkeeping: host data is an index into runs[]. */
#define NFIN 8192
static unsigned runs[NFIN];

static void count_fin(void *data) { runs[(uintptr_t)data]++; }

static int reset(void **state) {
  (void)state;
  memset(runs, 0, sizeof runs);
  return 0;
}

static gc_stats stats(const gc_heap *h) {
  gc_stats s;
  gc_get_stats(h, &s);
  return s;
}

/* Holders the verifier should see: one simulated table. */
typedef struct holders {
  const gc_ref *slots;
  size_t n;
} holders;

static void enumerate_table(void *ud, gc_visit_fn *visit, void *vctx) {
  const holders *t = ud;
  for (size_t i = 0; i < t->n; i++)
    visit(vctx, t->slots[i]);
}

static void test_lazy_heap(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_stats s = stats(h);
  assert_int_equal(s.reserved_bytes, 0);
  assert_int_equal(s.committed_bytes, 0);
  assert_int_equal(s.limit_bytes, GC_HEAP_MAX - 65536);
  gc_heap_free(h);
  gc_heap_free(NULL);
}

/* Boxes stored, overwritten twice, nulled, reclaimed: all gone, each
 * finalizer run exactly once. */
static void test_table_slots(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_POISON);
  assert_non_null(h);
  enum { N = 16 };
  gc_ref table[N] = {0};
  gc_ref a[N], b[N], c[N];
  for (uintptr_t i = 0; i < N; i++) {
    a[i] = gc_extern_new(h, (void *)i, count_fin);
    b[i] = gc_extern_new(h, (void *)(N + i), count_fin);
    c[i] = gc_extern_new(h, (void *)(2 * N + i), count_fin);
    assert_true(gc_is_heap_ref(a[i]) && gc_is_heap_ref(b[i]) &&
                gc_is_heap_ref(c[i]));
    assert_ptr_equal(gc_extern_data(h, b[i]), (void *)(N + i));
  }
  assert_int_equal(stats(h).live_objects, 3 * N);
  assert_int_equal(stats(h).zct_size, 3 * N);
  holders t = {table, N};
  char err[128];
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);

  for (size_t i = 0; i < N; i++)
    gc_write(h, &table[i], a[i]);
  assert_int_equal(gc_header_of(h, a[0])->rc, 1);
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);
  for (size_t i = 0; i < N; i++)
    gc_write(h, &table[i], b[i]);
  assert_int_equal(gc_header_of(h, a[0])->rc, 0);
  assert_int_equal(gc_header_of(h, b[0])->rc, 1);
  for (size_t i = 0; i < N; i++)
    gc_write(h, &table[i], c[i]);
  /* The same object twice: counts 2. */
  gc_write(h, &table[0], c[1]);
  assert_int_equal(gc_header_of(h, c[1])->rc, 2);
  assert_int_equal(gc_header_of(h, c[0])->rc, 0);
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);

  /* Reclaim now: a and b (and c[0]) are dead, the table's c survive. */
  assert_int_equal(gc_reclaim(h, false), 2 * N + 1);
  assert_int_equal(stats(h).live_objects, N - 1);
  assert_int_equal(stats(h).pending_finalizers, 2 * N + 1);
  assert_int_equal(runs[0], 0); /* queued, not run */
  assert_int_equal(gc_run_finalizers(h), 2 * N + 1);
  for (size_t i = 0; i < 2 * N; i++)
    assert_int_equal(runs[i], 1);
  assert_int_equal(runs[2 * N], 1);
  assert_int_equal(runs[2 * N + 1], 0);
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);

  for (size_t i = 0; i < N; i++)
    gc_write(h, &table[i], GC_NULL);
  assert_int_equal(stats(h).zct_size, N - 1);
  assert_int_equal(gc_reclaim(h, false), N - 1);
  assert_int_equal(gc_run_finalizers(h), N - 1);
  gc_stats s = stats(h);
  assert_int_equal(s.live_objects, 0);
  assert_int_equal(s.live_bytes, 0);
  assert_int_equal(s.zct_size, 0);
  assert_int_equal(s.allocations, 3 * N);
  assert_int_equal(s.frees, 3 * N);
  for (size_t i = 0; i < 3 * N; i++)
    assert_int_equal(runs[i], 1);
  gc_heap_free(h);
  for (size_t i = 0; i < 3 * N; i++)
    assert_int_equal(runs[i], 1); /* destroy ran nothing twice */
}

static void test_freed_cells_poisoned(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_POISON);
  assert_non_null(h);
  gc_ref r = gc_extern_new(h, (void *)1, NULL);
  assert_true(gc_is_heap_ref(r));
  const uint8_t *cell = (const uint8_t *)gc_header_of(h, r);
  assert_int_equal(gc_reclaim(h, false), 1);
  assert_false(gc_is_object(h, r));
  /* Past the header (free-list link, kind): the 0xdb pattern. */
  for (size_t i = sizeof(gc_header); i < 32; i++)
    assert_int_equal(cell[i], 0xdb);
  /* The cell is reused. */
  gc_ref r2 = gc_extern_new(h, (void *)2, NULL);
  assert_int_equal(r2, r);
  assert_ptr_equal(gc_extern_data(h, r2), (void *)2);
  gc_heap_free(h);
}

static void test_api_root(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref r = gc_extern_new(h, (void *)7, count_fin);
  assert_true(gc_is_heap_ref(r));
  gc_root_add(h, r);
  gc_root_add(h, r);
  assert_int_equal(gc_reclaim(h, false), 0);
  assert_true(gc_is_object(h, r));
  assert_int_equal(stats(h).zct_size, 1); /* rc 0: stays in the ZCT */
  gc_root_remove(h, r);
  assert_int_equal(gc_reclaim(h, false), 0);
  assert_true(gc_is_object(h, r));
  /* Stored and unstored while rooted. */
  gc_ref slot = GC_NULL;
  gc_write(h, &slot, r);
  gc_write(h, &slot, GC_NULL);
  assert_int_equal(gc_reclaim(h, false), 0);
  assert_int_equal(runs[7], 0);
  gc_root_remove(h, r);
  assert_int_equal(gc_reclaim(h, false), 1);
  assert_false(gc_is_object(h, r));
  assert_int_equal(gc_run_finalizers(h), 1);
  assert_int_equal(runs[7], 1);
  assert_int_equal(stats(h).live_objects, 0);
  gc_heap_free(h);
  assert_int_equal(runs[7], 1);
}

static void test_counted_survives(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref global = GC_NULL;
  gc_ref r = gc_extern_new(h, (void *)3, count_fin);
  gc_write(h, &global, r);
  for (int i = 0; i < 3; i++)
    assert_int_equal(gc_reclaim(h, false), 0);
  assert_true(gc_is_object(h, r));
  assert_int_equal(gc_header_of(h, r)->rc, 1);
  assert_int_equal(stats(h).zct_size, 0); /* dropped: rc > 0 */
  assert_int_equal(runs[3], 0);
  /* Back to 0: into the ZCT again, freed at the next point. */
  gc_write(h, &global, GC_NULL);
  assert_int_equal(stats(h).zct_size, 1);
  assert_int_equal(gc_reclaim(h, false), 1);
  gc_run_finalizers(h);
  assert_int_equal(runs[3], 1);
  gc_heap_free(h);
}

static void test_frames_active(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref slot = GC_NULL;
  for (uintptr_t i = 0; i < 100; i++) {
    gc_ref r = gc_extern_new(h, (void *)i, count_fin);
    assert_true(gc_is_heap_ref(r));
    gc_write(h, &slot, r); /* the previous one drops to 0 */
  }
  assert_int_equal(gc_reclaim(h, true), 0);
  assert_int_equal(stats(h).live_objects, 100);
  assert_int_equal(stats(h).frees, 0);
  assert_int_equal(gc_run_finalizers(h), 0);
  assert_int_equal(gc_reclaim(h, false), 99);
  assert_int_equal(stats(h).live_objects, 1);
  gc_write(h, &slot, GC_NULL);
  gc_heap_free(h); /* 99 pending + 1 live */
  for (size_t i = 0; i < 100; i++)
    assert_int_equal(runs[i], 1);
}

/* A simulated frame: words holding references the way compiled code may
 * (a reference, an offset into its object, a 64-bit address into it), at
 * 4-byte and 8-byte alignment.  Only ZCT objects a frame word points into
 * survive gc_reclaim_frames; what they hold survives with them. */
static void test_frame_scan(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref a = gc_array_new(h, 7, 4, true, 4);     /* held by the frame */
  gc_ref b = gc_extern_new(h, (void *)1, count_fin); /* held by a only */
  gc_ref c = gc_array_new(h, 7, 8, false, 2);    /* interior offset */
  gc_ref d = gc_array_new(h, 7, 8, false, 2);    /* 64-bit address into it */
  gc_ref e = gc_extern_new(h, (void *)2, count_fin); /* nothing: garbage */
  assert_true(gc_is_heap_ref(a) && gc_is_heap_ref(b) && gc_is_heap_ref(c) &&
              gc_is_heap_ref(d) && gc_is_heap_ref(e));
  gc_write(h, (gc_ref *)((uint8_t *)gc_header_of(h, a) + 24), b); /* a[0] = b */
  assert_int_equal(gc_object_containing(h, c + 20), c);
  assert_int_equal(gc_object_containing(h, c), c);
  assert_int_equal(gc_object_containing(h, 100), GC_NULL);
  uint32_t frame[9] = {0};
  frame[1] = a;            /* a 4-byte aligned reference */
  frame[3] = c + 20;       /* an offset into c */
  uint64_t addr = (uint64_t)(uintptr_t)gc_header_of(h, d) + 8;
  memcpy(&frame[6], &addr, 8); /* 8-aligned if frame is (it is: see below) */
  _Static_assert(_Alignof(uint64_t) == 8, "");
  uint64_t aligned[5];
  memcpy(aligned, frame, sizeof frame);
  assert_int_equal(gc_reclaim_frames(h, aligned, (uint8_t *)aligned + sizeof frame), 1);
  gc_run_finalizers(h);
  assert_int_equal(runs[2], 1); /* e */
  assert_int_equal(runs[1], 0); /* b, held by a */
  assert_int_equal(stats(h).live_objects, 4);
  /* the frame lets go of everything: all freed, b with a */
  memset(aligned, 0, sizeof aligned);
  assert_int_equal(gc_reclaim_frames(h, aligned, aligned + 5), 4);
  gc_run_finalizers(h);
  assert_int_equal(runs[1], 1);
  assert_int_equal(stats(h).live_objects, 0);
  gc_heap_free(h);
}

/* a -> b -> a, and a self-cycle: counting alone frees nothing; the
 * backup tracer frees them unless a root, a handle or a frame holds one,
 * and then the survivors' counts are exact (the verifier). */
static void test_cycles_traced(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref a = gc_array_new(h, 7, 4, true, 1), b = gc_array_new(h, 7, 4, true, 2);
  gc_ref s = gc_array_new(h, 7, 4, true, 1), box = gc_extern_new(h, (void *)3, count_fin);
  gc_ref *as = (gc_ref *)((uint8_t *)gc_header_of(h, a) + 24);
  gc_ref *bs = (gc_ref *)((uint8_t *)gc_header_of(h, b) + 24);
  gc_ref *ss = (gc_ref *)((uint8_t *)gc_header_of(h, s) + 24);
  gc_write(h, &as[0], b);
  gc_write(h, &bs[0], a);
  gc_write(h, &bs[1], box);
  gc_write(h, &ss[0], s);
  assert_int_equal(gc_reclaim(h, false), 0); /* cycles: counts never reach 0 */
  assert_int_equal(stats(h).live_objects, 4);

  /* a table holds a: a, b, box survive; s is freed */
  gc_ref table[1] = {GC_NULL};
  gc_write(h, &table[0], a);
  holders t = {table, 1};
  assert_int_equal(gc_collect_full(h, enumerate_table, &t, NULL, NULL), 1);
  assert_int_equal(stats(h).live_objects, 3);
  char err[200];
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);

  /* a handle on b instead: still alive, table slot gone */
  gc_root_add(h, b);
  gc_write(h, &table[0], GC_NULL);
  assert_int_equal(gc_collect_full(h, enumerate_table, &t, NULL, NULL), 0);
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);
  gc_root_remove(h, b);

  /* a frame word holding a: survives; then nothing holds the cycle */
  uint64_t frame[2] = {a, 0};
  assert_int_equal(gc_collect_full(h, enumerate_table, &t, frame, frame + 2), 0);
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);
  assert_int_equal(gc_collect_full(h, enumerate_table, &t, NULL, NULL), 3);
  gc_run_finalizers(h);
  assert_int_equal(runs[3], 1);
  assert_int_equal(stats(h).live_objects, 0);
  assert_int_equal(stats(h).zct_size, 0);
  gc_heap_free(h);
  assert_int_equal(runs[3], 1); /* once */
}

/* Structs count their reference fields (per layout); large arrays live on
 * pages of their own, are found from any interior address, and their
 * pages are reused once freed. */
static void test_structs_and_large(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  static const uint32_t refs[] = {20, 28};
  gc_struct_layout l = {32, 2, refs}; /* i32 at 16, ref at 20, i64 at 24?, ref at 28 */
  gc_ref s1 = gc_struct_new(h, 42, &l);
  gc_ref box = gc_extern_new(h, (void *)4, count_fin);
  gc_ref big = gc_array_new(h, 43, 4, true, 100000); /* 400 KB: 7 pages */
  assert_true(gc_is_heap_ref(s1) && gc_is_heap_ref(box) && gc_is_heap_ref(big));
  assert_int_equal(gc_header_of(h, s1)->kind, GC_KIND_STRUCT);
  assert_int_equal(gc_array_len(h, big), 100000);
  uint8_t *sb = (uint8_t *)gc_header_of(h, s1);
  gc_write(h, (gc_ref *)(sb + 20), box);
  gc_write(h, (gc_ref *)(sb + 28), big);
  gc_ref *elems = (gc_ref *)((uint8_t *)gc_header_of(h, big) + GC_ARRAY_ELEMS);
  gc_write(h, &elems[99999], s1); /* a cycle through a large array */
  assert_int_equal(gc_object_containing(h, big + 300000), big);
  assert_true(gc_is_object(h, big));
  assert_false(gc_is_object(h, big + 65536));
  char err[200];
  assert_int_equal(gc_verify(h, NULL, NULL, err, sizeof err), 0);
  uint64_t frame[1] = {(uint64_t)(uintptr_t)&elems[70000]}; /* inside a tail page */
  assert_int_equal(gc_collect_full(h, NULL, NULL, frame, frame + 1), 0);
  assert_int_equal(stats(h).live_objects, 3);
  assert_int_equal(gc_collect_full(h, NULL, NULL, NULL, NULL), 3);
  gc_run_finalizers(h);
  assert_int_equal(runs[4], 1);
  uint64_t committed = stats(h).committed_bytes;
  gc_ref again = gc_array_new(h, 43, 4, true, 100000); /* the freed pages */
  assert_true(gc_is_heap_ref(again));
  assert_int_equal(stats(h).committed_bytes, committed);
  elems = (gc_ref *)((uint8_t *)gc_header_of(h, again) + GC_ARRAY_ELEMS);
  assert_int_equal(elems[99999], GC_NULL); /* zero again */
  gc_heap_free(h);
}

static void test_limit(void **state) {
  (void)state;
  /* Two pages of 32-byte cells. */
  gc_heap *h = gc_heap_new(2 * 65536 + 100, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  assert_int_equal(stats(h).limit_bytes, 2 * 65536);
  static gc_ref table[NFIN];
  size_t n = 0;
  for (;;) {
    assert_true(n < NFIN);
    gc_ref r = gc_extern_new(h, (void *)(uintptr_t)n, count_fin);
    if (r == GC_NULL)
      break;
    gc_write(h, &table[n++], r);
  }
  assert_int_equal(n, 2 * 65536 / 32);
  assert_int_equal(gc_last_error(h), GC_ERR_LIMIT);
  assert_string_equal(gc_status_message(GC_ERR_LIMIT), "GC heap limit reached");
  assert_int_equal(stats(h).committed_bytes, 2 * 65536);
  /* Still failing: everything is held. */
  assert_int_equal(gc_reclaim(h, false), 0);
  assert_int_equal(gc_extern_new(h, NULL, NULL), GC_NULL);
  assert_int_equal(gc_last_error(h), GC_ERR_LIMIT);
  /* Drop half, reclaim: allocation works again. */
  for (size_t i = 0; i < n; i += 2)
    gc_write(h, &table[i], GC_NULL);
  assert_int_equal(gc_reclaim(h, false), n / 2);
  assert_int_equal(gc_run_finalizers(h), n / 2);
  for (size_t i = 0; i < n; i += 2) {
    gc_ref r = gc_extern_new(h, (void *)(uintptr_t)i, count_fin);
    assert_true(gc_is_heap_ref(r));
    assert_int_equal(gc_last_error(h), GC_OK);
    gc_write(h, &table[i], r);
  }
  assert_int_equal(gc_extern_new(h, NULL, NULL), GC_NULL);
  holders t = {table, n};
  char err[128];
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);
  gc_heap_free(h);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(runs[i], (i % 2 == 0) ? 2 : 1);
}

static void test_i31_and_null(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref i31 = gc_i31_new((uint32_t)-5);
  assert_true(gc_is_i31(i31));
  assert_false(gc_is_heap_ref(i31));
  assert_false(gc_is_heap_ref(GC_NULL));
  assert_int_equal(gc_i31_get_s(i31), -5);
  assert_int_equal(gc_i31_get_u(i31), 0x7ffffffbu);

  /* No heap yet: i31 and null stores never reach it. */
  gc_ref slot = GC_NULL;
  gc_write(h, &slot, i31);
  assert_int_equal(slot, i31);
  gc_write(h, &slot, GC_NULL);
  assert_int_equal(slot, GC_NULL);
  gc_root_add(h, i31);
  gc_root_remove(h, i31);
  assert_int_equal(stats(h).reserved_bytes, 0);

  gc_ref r = gc_extern_new(h, NULL, NULL);
  gc_write(h, &slot, r);
  gc_write(h, &slot, i31); /* heap -> i31: one decrement */
  assert_int_equal(gc_header_of(h, r)->rc, 0);
  gc_write(h, &slot, gc_i31_new(7));
  gc_write(h, &slot, GC_NULL);
  assert_int_equal(gc_header_of(h, r)->rc, 0);
  gc_stats s = stats(h);
  assert_int_equal(s.zct_size, 1);
  assert_int_equal(s.live_objects, 1);
  assert_int_equal(gc_reclaim(h, false), 1);
  gc_heap_free(h);
}

static void test_verify_catches(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref table[4] = {0};
  gc_ref r = gc_extern_new(h, NULL, NULL);
  gc_write(h, &table[0], r);
  gc_write(h, &table[1], r);
  holders t = {table, 4};
  char err[128];
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);
  assert_string_equal(err, "");

  gc_header_of(h, r)->rc = 3; /* corrupt */
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 1);
  assert_non_null(strstr(err, "stored count 3, recomputed 2"));
  assert_int_equal(gc_header_of(h, r)->rc, 3); /* left as found */
  gc_header_of(h, r)->rc = 2;
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);

  /* A slot stored without the barrier: counts differ. */
  table[2] = r;
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 1);
  assert_non_null(strstr(err, "recomputed 3"));
  table[2] = GC_NULL;

  /* A slot holding something that is not an object. */
  table[3] = r + 8;
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 1);
  assert_non_null(strstr(err, "not a live object"));
  table[3] = GC_NULL;

  gc_write(h, &table[0], GC_NULL);
  gc_write(h, &table[1], GC_NULL);
  assert_int_equal(gc_verify(h, enumerate_table, &t, err, sizeof err), 0);
  gc_heap_free(h);
}

static void test_destroy_runs_each_once(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref table[10] = {0};
  for (uintptr_t i = 0; i < 30; i++) {
    gc_ref r = gc_extern_new(h, (void *)i, count_fin);
    assert_true(gc_is_heap_ref(r));
    if (i < 10)
      gc_write(h, &table[i], r); /* live, stored */
    else if (i < 15)
      gc_root_add(h, r); /* live, rooted */
    /* 15..29: in the ZCT; 15..24 reclaimed below, queued */
    if (i == 24)
      assert_int_equal(gc_reclaim(h, false), 10);
  }
  assert_true(gc_is_heap_ref(gc_extern_new(h, NULL, NULL))); /* no finalizer */
  assert_int_equal(stats(h).pending_finalizers, 10);
  gc_heap_free(h);
  for (size_t i = 0; i < 30; i++)
    assert_int_equal(runs[i], 1);
}

static void test_bounded_cycles(void **state) {
  (void)state;
  gc_heap *h = gc_heap_new(1 << 20, GC_HEAP_DEFAULT_FLAGS);
  assert_non_null(h);
  gc_ref table[4] = {0};
  uint64_t committed = 0;
  for (uint32_t i = 0; i < 1000000; i++) {
    gc_ref r = gc_extern_new(h, (void *)(uintptr_t)(i % 4), count_fin);
    assert_true(gc_is_heap_ref(r));
    if (i % 7 == 0) {
      /* Held by a handle only, through a reclamation point. */
      gc_root_add(h, r);
      gc_reclaim(h, false);
      assert_true(gc_is_object(h, r));
      gc_root_remove(h, r);
    }
    gc_write(h, &table[i % 4], r);
    if (i % 16 == 15) {
      gc_reclaim(h, false);
      gc_run_finalizers(h);
      assert_true(stats(h).live_objects <= 4);
    }
    if (i == 1000)
      committed = stats(h).committed_bytes;
  }
  gc_stats s = stats(h);
  assert_int_equal(s.committed_bytes, committed);
  assert_true(committed <= 256 * 1024);
  assert_true(s.live_objects <= 4 + 16);
  assert_int_equal(s.allocations, 1000000);
  for (size_t i = 0; i < 4; i++)
    gc_write(h, &table[i], GC_NULL);
  gc_reclaim(h, false);
  gc_run_finalizers(h);
  s = stats(h);
  assert_int_equal(s.live_objects, 0);
  assert_int_equal(s.frees, 1000000);
  assert_int_equal(runs[0] + runs[1] + runs[2] + runs[3], 1000000);
  gc_heap_free(h);
}

static void test_many_heaps(void **state) {
  (void)state;
  /* Stores are created and deleted cheaply: heaps without allocation map
   * nothing; with one, the region is released on free. */
  for (int i = 0; i < 10000; i++) {
    gc_heap *h = gc_heap_new(0, 0);
    assert_non_null(h);
    if (i % 100 == 0) {
      gc_ref r = gc_extern_new(h, (void *)(uintptr_t)(i / 100), count_fin);
      assert_true(gc_is_heap_ref(r));
    }
    gc_heap_free(h);
  }
  for (size_t i = 0; i < 100; i++)
    assert_int_equal(runs[i], 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_lazy_heap, reset),
      cmocka_unit_test_setup(test_table_slots, reset),
      cmocka_unit_test_setup(test_freed_cells_poisoned, reset),
      cmocka_unit_test_setup(test_api_root, reset),
      cmocka_unit_test_setup(test_counted_survives, reset),
      cmocka_unit_test_setup(test_frames_active, reset),
      cmocka_unit_test_setup(test_frame_scan, reset),
      cmocka_unit_test_setup(test_cycles_traced, reset),
      cmocka_unit_test_setup(test_structs_and_large, reset),
      cmocka_unit_test_setup(test_limit, reset),
      cmocka_unit_test_setup(test_i31_and_null, reset),
      cmocka_unit_test_setup(test_verify_catches, reset),
      cmocka_unit_test_setup(test_destroy_runs_each_once, reset),
      cmocka_unit_test_setup(test_bounded_cycles, reset),
      cmocka_unit_test_setup(test_many_heaps, reset),
  };
  int n = (int)(sizeof tests / sizeof tests[0]);
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed != 0;
}
