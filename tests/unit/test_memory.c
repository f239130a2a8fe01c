/* tests/unit/test_memory.c — linear memories (vm/memory.c): limits,
 * memory.grow, a base that never moves, zeroed growth, the guard region of
 * 32-bit memories (an access past the end is a trap when it comes from
 * registered code), 64-bit memories, the memory.grow builtin and the
 * process-wide counters.
 *
 * "Generated code" is a load and a store placed in the section
 * kiln_test_code, registered with the trap handler (see test_trap.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm/builtins.h"
#include "vm/memory.h"
#include "vm/trap.h"

#define GENERATED                                                              \
  __attribute__((noinline, used, section("kiln_test_code"),                    \
                 no_sanitize("address", "undefined")))

extern char __start_kiln_test_code[], __stop_kiln_test_code[];

static GENERATED uint8_t gen_load8(const volatile uint8_t *p) { return *p; }
static GENERATED void gen_store8(volatile uint8_t *p, uint8_t v) { *p = v; }

static uint8_t (*volatile gen_load)(const volatile uint8_t *) = gen_load8;
static void (*volatile gen_store)(volatile uint8_t *, uint8_t) = gen_store8;

#define UNLIMITED UINT64_MAX
#define PAGE VM_PAGE_SIZE

static int setup(void **state) {
  (void)state;
  if (!vm_trap_register_code((uintptr_t)__start_kiln_test_code,
                             (size_t)(__stop_kiln_test_code - __start_kiln_test_code)))
    return -1;
  return 0;
}

/* An access through the registered functions, under an activation: true if
 * it completed, false (with *code) if it trapped.  Kiln's handler is put
 * back on top of cmocka's first (cmocka installs its own around each
 * test). */
typedef struct access {
  volatile uint8_t *p;
  bool store;
  uint8_t value;
} access;

static void do_access(void *arg) {
  access *a = arg;
  if (a->store)
    gen_store(a->p, a->value);
  else
    a->value = gen_load(a->p);
}

static bool try_access(volatile uint8_t *p, bool store, uint8_t *value,
                       vm_trap_code *code) {
  access a = {.p = p, .store = store, .value = value ? *value : 0};
  vm_trap_info info = {.code = VM_TRAP_NONE};
  vm_trap_install();
  bool ok = vm_call_protected(do_access, &a, &info);
  if (value)
    *value = a.value;
  if (code)
    *code = info.code;
  return ok;
}

/* Loads p and expects an out-of-bounds trap. */
static void assert_oob(volatile uint8_t *p) {
  vm_trap_code code = VM_TRAP_NONE;
  assert_false(try_access(p, false, NULL, &code));
  assert_int_equal(code, VM_TRAP_MEMORY_OOB);
  uint8_t v = 1;
  code = VM_TRAP_NONE;
  assert_false(try_access(p, true, &v, &code));
  assert_int_equal(code, VM_TRAP_MEMORY_OOB);
}

static uint8_t load_ok(volatile uint8_t *p) {
  uint8_t v = 0;
  assert_true(try_access(p, false, &v, NULL));
  return v;
}

/* ------------------------------------------------------------------------ */

static void test_min_max_grow(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(1, 4, false, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  vm_memory *rec = vm_mem_record(m);
  assert_non_null(rec->base);
  assert_int_equal(rec->length, PAGE);
  assert_int_equal(vm_mem_pages(m), 1);
  assert_int_equal(vm_mem_max_pages(m), 4);
  assert_false(vm_mem_is64(m));
  assert_int_equal(vm_mem_grow(m, 0), 1);
  assert_int_equal(vm_mem_grow(m, 1), 1);
  assert_int_equal(vm_mem_grow(m, 2), 2);
  assert_int_equal(vm_mem_pages(m), 4);
  assert_int_equal(rec->length, 4 * PAGE);
  assert_int_equal(vm_mem_grow(m, 1), -1); /* beyond the maximum */
  assert_int_equal(vm_mem_grow(m, UINT64_MAX), -1);
  assert_int_equal(vm_mem_grow(m, 0), 4);
  assert_int_equal(vm_mem_pages(m), 4);
  assert_int_equal(rec->length, 4 * PAGE);
  vm_mem_free(m);
  vm_mem_free(NULL);
}

static void test_no_maximum(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(0, UNLIMITED, false, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_record(m)->length, 0);
  assert_int_equal(vm_mem_max_pages(m), VM_MEM32_MAX_PAGES);
  assert_int_equal(vm_mem_grow(m, VM_MEM32_MAX_PAGES + 1), -1);
  assert_int_equal(vm_mem_grow(m, 3), 0);
  assert_int_equal(vm_mem_grow(m, VM_MEM32_MAX_PAGES - 3), 3);
  assert_int_equal(vm_mem_record(m)->length, (uint64_t)4 << 30);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  vm_mem_free(m);
}

static void test_engine_limit(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(1, UNLIMITED, false, 3, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_max_pages(m), 3);
  assert_int_equal(vm_mem_grow(m, 2), 1);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  vm_mem_free(m);
  /* The declared maximum below the limit wins. */
  m = vm_mem_new(1, 2, false, 3, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_max_pages(m), 2);
  vm_mem_free(m);
}

static void test_bad_limits(void **state) {
  (void)state;
  char err[200];
  err[0] = 0;
  assert_null(vm_mem_new(5, 4, false, UNLIMITED, err, sizeof err));
  assert_non_null(strstr(err, "exceeds its maximum"));
  err[0] = 0;
  assert_null(vm_mem_new(5, 10, false, 4, err, sizeof err));
  assert_non_null(strstr(err, "engine's limit"));
  err[0] = 0;
  assert_null(vm_mem_new(VM_MEM32_MAX_PAGES + 1, UNLIMITED, false, UNLIMITED, err,
                         sizeof err));
  assert_non_null(strstr(err, "32-bit"));
  /* No room for a message is allowed. */
  assert_null(vm_mem_new(5, 4, false, UNLIMITED, NULL, 0));
  /* A 64-bit minimum beyond the address space. */
  err[0] = 0;
  assert_null(vm_mem_new((uint64_t)1 << 47, UNLIMITED, true, UNLIMITED, err, sizeof err));
  assert_true(strlen(err) > 0);
}

static void test_data_survives_growth(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(2, 100, false, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  vm_memory *rec = vm_mem_record(m);
  uint8_t *base = rec->base;
  for (uint64_t i = 0; i < 2 * PAGE; i++)
    assert_int_equal(base[i], 0); /* zero-filled */
  for (uint64_t i = 0; i < 2 * PAGE; i++)
    base[i] = (uint8_t)(i * 7 + 3);
  for (int round = 0; round < 10; round++) {
    uint64_t old = vm_mem_pages(m);
    assert_int_equal(vm_mem_grow(m, 5), (int64_t)old);
    assert_ptr_equal(rec->base, base); /* the base never moves */
    assert_ptr_equal(vm_mem_record(m), rec);
    for (uint64_t i = old * PAGE; i < (old + 5) * PAGE; i++)
      if (base[i] != 0)
        fail_msg("byte %llu of a new page is not zero", (unsigned long long)i);
    memset(base + old * PAGE, 0x5a, 5 * PAGE);
  }
  for (uint64_t i = 0; i < 2 * PAGE; i++)
    if (base[i] != (uint8_t)(i * 7 + 3))
      fail_msg("byte %llu changed", (unsigned long long)i);
  vm_mem_free(m);
}

static void test_guard_region(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(1, 3, false, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  uint8_t *base = vm_mem_record(m)->base;
  base[PAGE - 1] = 0x77;
  assert_int_equal(load_ok(base + PAGE - 1), 0x77); /* the last byte */
  assert_int_equal(load_ok(base), 0);
  assert_oob(base + PAGE);                          /* the byte after */
  assert_oob(base + 3 * PAGE);                      /* past the maximum */
  /* The farthest a 32-bit access can reach: address 2^32-1, offset
   * 2^32-1, the last byte of a 16-byte access. */
  assert_oob(base + 0xffffffffull + 0xffffffffull + 15);
  assert_oob(base + ((uint64_t)4 << 30));
  /* After growth the byte after the old end is accessible, and zero. */
  assert_int_equal(vm_mem_grow(m, 1), 1);
  assert_int_equal(load_ok(base + PAGE), 0);
  uint8_t v = 9;
  assert_true(try_access(base + 2 * PAGE - 1, true, &v, NULL));
  assert_int_equal(base[2 * PAGE - 1], 9);
  assert_oob(base + 2 * PAGE);
  vm_mem_free(m);
}

static void test_zero_pages(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(0, 0, false, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_record(m)->length, 0);
  assert_oob(vm_mem_record(m)->base);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  assert_int_equal(vm_mem_grow(m, 0), 0);
  vm_mem_free(m);
  m = vm_mem_new(0, 0, true, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_non_null(vm_mem_record(m)->base);
  assert_int_equal(vm_mem_record(m)->length, 0);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  vm_mem_free(m);
}

static void test_memory64(void **state) {
  (void)state;
  char err[200];
  vm_mem *m = vm_mem_new(2, 10, true, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_true(vm_mem_is64(m));
  vm_memory *rec = vm_mem_record(m);
  uint8_t *base = rec->base;
  assert_int_equal(rec->length, 2 * PAGE);
  assert_int_equal(vm_mem_max_pages(m), 10);
  base[2 * PAGE - 1] = 1;
  /* Reserved pages past the length are inaccessible (no guard region is
   * promised past the reservation: generated code checks 64-bit accesses). */
  assert_oob(base + 2 * PAGE);
  assert_oob(base + 10 * PAGE - 1);
  assert_int_equal(vm_mem_grow(m, 8), 2);
  assert_ptr_equal(rec->base, base);
  assert_int_equal(rec->length, 10 * PAGE);
  assert_int_equal(base[2 * PAGE - 1], 1);
  assert_int_equal(base[10 * PAGE - 1], 0);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  vm_mem_free(m);

  /* A maximum above 4 GiB: growth beyond the 32-bit range. */
  m = vm_mem_new(0, VM_MEM32_MAX_PAGES + 16, true, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_grow(m, VM_MEM32_MAX_PAGES + 1), 0);
  assert_int_equal(vm_mem_record(m)->length, ((uint64_t)4 << 30) + PAGE);
  vm_mem_record(m)->base[((uint64_t)4 << 30) + 5] = 3;
  assert_int_equal(vm_mem_grow(m, 16), -1);
  vm_mem_free(m);
}

static void test_memory64_reservation_cap(void **state) {
  (void)state;
  char err[200];
  /* No maximum, no limit: the reservation cap bounds growth. */
  vm_mem_set_reserve64(16);
  vm_mem *m = vm_mem_new(1, UNLIMITED, true, UNLIMITED, err, sizeof err);
  vm_mem_set_reserve64(0);
  assert_non_null(m);
  assert_int_equal(vm_mem_max_pages(m), 16);
  assert_int_equal(vm_mem_grow(m, 15), 1);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  vm_mem_free(m);
  /* The default cap. */
  m = vm_mem_new(1, UNLIMITED, true, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_max_pages(m), VM_MEM64_RESERVE_PAGES);
  vm_mem_free(m);
  /* A minimum above the cap is still honoured. */
  vm_mem_set_reserve64(4);
  m = vm_mem_new(8, UNLIMITED, true, UNLIMITED, err, sizeof err);
  vm_mem_set_reserve64(0);
  assert_non_null(m);
  assert_int_equal(vm_mem_pages(m), 8);
  assert_int_equal(vm_mem_max_pages(m), 8);
  assert_int_equal(vm_mem_grow(m, 1), -1);
  vm_mem_free(m);
}

/* The memory.grow builtin, reached as generated code reaches it: through
 * vmctx->builtins, with vmctx->instance pointing at the memories. */
static void test_grow_builtin(void **state) {
  (void)state;
  char err[200];
  vm_mem *mems[2];
  mems[0] = vm_mem_new(1, 2, false, UNLIMITED, err, sizeof err);
  mems[1] = vm_mem_new(0, 100, true, UNLIMITED, err, sizeof err);
  assert_non_null(mems[0]);
  assert_non_null(mems[1]);
  struct {
    vm_instance_head head;
    int other;
  } instance = {.head = {.mems = mems}};
  vm_vmctx_header vmctx = {.builtins = vm_builtins, .instance = &instance};
  typedef int64_t (*grow_fn)(void *, uint32_t, uint64_t);
  grow_fn grow = (grow_fn)vmctx.builtins[VM_BI_MEMORY_GROW];
  assert_int_equal(grow(&vmctx, 0, 1), 1);
  assert_int_equal(grow(&vmctx, 0, 1), -1);
  assert_int_equal(grow(&vmctx, 1, 50), 0);
  assert_int_equal(grow(&vmctx, 1, 0), 50);
  assert_int_equal(vm_mem_pages(mems[0]), 2);
  assert_int_equal(vm_mem_pages(mems[1]), 50);
  vm_mem_free(mems[0]);
  vm_mem_free(mems[1]);
}

static void test_stats(void **state) {
  (void)state;
  char err[200];
  vm_mem_stats before, during, after;
  vm_mem_get_stats(&before);
  vm_mem *m = vm_mem_new(3, 10, false, UNLIMITED, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(vm_mem_grow(m, 2), 3);
  vm_mem_get_stats(&during);
  assert_int_equal(during.live, before.live + 1);
  assert_int_equal(during.reserved, before.reserved + VM_MEM32_RESERVE);
  assert_int_equal(during.committed, before.committed + 5 * PAGE);
  vm_mem_free(m);
  vm_mem_get_stats(&after);
  assert_memory_equal(&after, &before, sizeof before);
}

static void test_create_free_cycles(void **state) {
  (void)state;
  char err[200];
  vm_mem_stats before, after;
  vm_mem_get_stats(&before);
  for (int i = 0; i < 1000; i++) {
    vm_mem *m = vm_mem_new(1, 8, i % 3 == 2, UNLIMITED, err, sizeof err);
    assert_non_null(m);
    vm_mem_record(m)->base[i] = 1; /* touch a page */
    if (i % 2)
      assert_int_equal(vm_mem_grow(m, 1 + i % 7), 1);
    vm_mem_free(m);
  }
  vm_mem_get_stats(&after);
  assert_int_equal(after.live, before.live);
  assert_int_equal(after.reserved, before.reserved);
  assert_int_equal(after.committed, before.committed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_min_max_grow),
      cmocka_unit_test(test_no_maximum),
      cmocka_unit_test(test_engine_limit),
      cmocka_unit_test(test_bad_limits),
      cmocka_unit_test(test_data_survives_growth),
      cmocka_unit_test(test_guard_region),
      cmocka_unit_test(test_zero_pages),
      cmocka_unit_test(test_memory64),
      cmocka_unit_test(test_memory64_reservation_cap),
      cmocka_unit_test(test_grow_builtin),
      cmocka_unit_test(test_stats),
      cmocka_unit_test(test_create_free_cycles),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
