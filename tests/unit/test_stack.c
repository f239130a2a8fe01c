/* tests/unit/test_stack.c — the stack limit of generated code
 * (vm_stack_group, the prologue check, probes + alternate signal stack):
 * regression tests from a review.
 *
 *   nested_entry_other_thread: Wasm of a store calls a host function that
 *     runs Wasm of the same store on another thread (and waits for it);
 *     when the host function returns, the outer Wasm must check its frames
 *     against its own thread's stack again (vm_invoke restores the
 *     group's limit after a nested entry).  Before, it kept the other
 *     thread's limit: a spurious "call stack exhausted", or no check.
 *   big_frame_host_room: a frame larger than VM_STACK_RESERVE must not
 *     pass the prologue check because its top is above the limit: the
 *     check compares the bottom of the frame, so a host function called
 *     from it keeps the reserve vm/trap.h promises.  Before (frame
 *     address compared), the host had 64 KiB or less, and C code running
 *     onto the guard page kills the process (no trap outside generated
 *     code).
 *   altstack_freed: threads that entered Wasm leave no alternate signal
 *     stack mapped behind them when they exit.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "frontend/module.h"
#include "frontend/types.h"
#include "vm/host.h"
#include "vm/instance.h"
#include "vm/trap.h"
#include "vm/vm.h"
#include "wasm_writer.h"

#ifndef JIT_TEST_DIR
#error "JIT_TEST_DIR"
#endif

#define STACK (1u << 20)

static uint8_t *two_stacks(void) {
  void *p = mmap(NULL, 2 * STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
  assert_true(p != MAP_FAILED);
  return p;
}

static void run_on(void *stack, void *(*fn)(void *), void *arg) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  assert_int_equal(pthread_attr_setstack(&attr, stack, STACK), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, &attr, fn, arg), 0);
  pthread_join(t, NULL);
  pthread_attr_destroy(&attr);
}

/* ---- nested entry on another thread ------------------------------------ */

static struct {
  vm_instance *inst;
  uint8_t *stacks;
  vm_trap_code inner, outer;
  uint32_t outer_result;
} nest;

static void *inner_thread(void *arg) {
  (void)arg;
  uint64_t v[2][2] = {{0}};
  vm_trap_info t;
  nest.inner = vm_invoke(vm_instance_func(nest.inst, 3), v, &t) ? VM_TRAP_NONE : t.code;
  return NULL;
}

static void host_h(vm_host_func *hf, void *values) {
  (void)hf;
  (void)values;
  run_on(nest.stacks + STACK, inner_thread, NULL); /* the upper stack */
}

static void *outer_thread(void *arg) {
  (void)arg;
  uint64_t v[2][2] = {{0}};
  vm_trap_info t;
  nest.outer = vm_invoke(vm_instance_func(nest.inst, 2), v, &t) ? VM_TRAP_NONE : t.code;
  nest.outer_result = (uint32_t)v[0][0];
  return NULL;
}

static void test_nested_entry_other_thread(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/stack_nested.wasm", JIT_TEST_DIR);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  fe_typereg *reg = fe_typereg_new();
  fe_error e;
  fe_module *m = fe_module_new(reg, buf, n, &e);
  assert_non_null(m);
  vm_host_func *h = vm_host_func_new(m->types[m->funcs[0].type].canon, host_h, NULL);
  vm_extern_ref imports[1] = {{FE_EXT_FUNC, {.func = &h->funcref}}};
  char err[512];
  vm_compiled *c = vm_compiled_new(m, 0, err, sizeof err); /* O0: the leaf is a call */
  if (!c)
    fail_msg("compile: %s", err);
  vm_stack_group g = {0}; /* as a store's */
  vm_limits lim = {65536, &g, NULL};
  vm_trap_info t;
  bool trapped;
  nest.inst = vm_instance_new(m, c, imports, &lim, NULL, &trapped, &t, err, sizeof err);
  assert_non_null(nest.inst);
  nest.stacks = two_stacks();
  run_on(nest.stacks, outer_thread, NULL); /* the lower stack */
  assert_int_equal(nest.inner, VM_TRAP_NONE);
  assert_int_equal(nest.outer, VM_TRAP_NONE); /* fails: VM_TRAP_STACK_OVERFLOW */
  assert_int_equal(nest.outer_result, 7);
  vm_instance_free(nest.inst);
  vm_stack_group_free(&g);
  vm_compiled_free(c);
  vm_host_func_free(h);
  fe_module_free(m);
  fe_typereg_free(reg);
  munmap(nest.stacks, 2 * STACK);
}

/* ---- a big frame, then a host call ------------------------------------- */

/* (import "host" "h" (func)); $big: 40000 i64 locals (320 KB at O0), calls
 * h; $rec (export): n ? rec(n - 1) : big(). */
static void big_frame_module(wbuf *m) {
  wb_header(m);
  wbuf body = {0};
  WB(&body, 0x60, 0, 0, 0x60, 1, 0x7f, 0);
  wb_vec_section(m, 1, 2, &body);
  wb_name(&body, "host");
  wb_name(&body, "h");
  WB(&body, 0, 0);
  wb_vec_section(m, 2, 1, &body);
  WB(&body, 0, 1);
  wb_vec_section(m, 3, 2, &body);
  wb_name(&body, "rec");
  WB(&body, 0, 2);
  wb_vec_section(m, 7, 1, &body);
  wbuf code = {0};
  WB(&code, 1);
  wb_uleb(&code, 40000);
  WB(&code, 0x7e, 0x10, 0, 0x0b);
  wb_sized(&body, &code);
  WB(&code, 0, 0x20, 0, 0x04, 0x40, 0x20, 0, 0x41, 1, 0x6b, 0x10, 2, 0x05, 0x10, 1, 0x0b, 0x0b);
  wb_sized(&body, &code);
  wb_vec_section(m, 10, 2, &body);
}

static struct {
  vm_instance *inst;
  uintptr_t low;
  uintptr_t min_room;
  uint32_t depth_at_min;
  vm_trap_code last;
} big;

static void host_room(vm_host_func *hf, void *values) {
  (void)hf;
  (void)values;
  uintptr_t room = (uintptr_t)__builtin_frame_address(0) - big.low;
  if (room < big.min_room)
    big.min_room = room;
  if (room < 64 * 1024) /* stop before a smaller room crashes this test */
    vm_trap_raise(VM_TRAP_UNREACHABLE);
}

static void *big_thread(void *arg) {
  (void)arg;
  vm_trap_info t;
  for (uint32_t n = 0; n < 100000; n++) {
    uint64_t v[2][2] = {{n}};
    big.last = vm_invoke(vm_instance_func(big.inst, 2), v, &t) ? VM_TRAP_NONE : t.code;
    if (big.last != VM_TRAP_NONE) {
      big.depth_at_min = n;
      break;
    }
  }
  return NULL;
}

static void test_big_frame_host_room(void **state) {
  (void)state;
  wbuf w = {0};
  big_frame_module(&w);
  fe_typereg *reg = fe_typereg_new();
  fe_error e;
  fe_module *m = fe_module_new(reg, w.p, w.n, &e);
  assert_non_null(m);
  vm_host_func *h = vm_host_func_new(m->types[0].canon, host_room, NULL);
  vm_extern_ref imports[1] = {{FE_EXT_FUNC, {.func = &h->funcref}}};
  char err[512];
  vm_compiled *c = vm_compiled_new(m, 0, err, sizeof err);
  if (!c)
    fail_msg("compile: %s", err);
  vm_limits lim = {65536, NULL, NULL};
  vm_trap_info t;
  bool trapped;
  big.inst = vm_instance_new(m, c, imports, &lim, NULL, &trapped, &t, err, sizeof err);
  assert_non_null(big.inst);
  vm_trap_install();
  uint8_t *stacks = two_stacks();
  big.low = (uintptr_t)stacks;
  big.min_room = UINTPTR_MAX;
  run_on(stacks, big_thread, NULL);
  print_message("deepest: n = %u, last trap %d, least room for the host function %zu bytes\n",
                big.depth_at_min, big.last, (size_t)big.min_room);
  assert_int_equal(big.last, VM_TRAP_STACK_OVERFLOW); /* fails: UNREACHABLE, raised by host_room */
  assert_true(big.min_room >= VM_STACK_RESERVE / 2);
  vm_instance_free(big.inst);
  vm_compiled_free(c);
  vm_host_func_free(h);
  fe_module_free(m);
  fe_typereg_free(reg);
  munmap(stacks, 2 * STACK);
  wb_free(&w);
}

/* ---- alternate signal stacks of exiting threads ------------------------ */

static int maps_lines(void) {
  FILE *fp = fopen("/proc/self/maps", "r");
  int n = 0, ch;
  while ((ch = fgetc(fp)) != EOF)
    n += ch == '\n';
  fclose(fp);
  return n;
}

static void *call_inner(void *arg) {
  uint64_t v[2][2] = {{0}};
  vm_trap_info t;
  *(bool *)arg = vm_invoke(vm_instance_func(nest.inst, 3), v, &t);
  return NULL;
}

/* Each thread that enters Wasm gets a 64 KiB alternate stack; it must be
 * unmapped when the thread exits (pthread key destructor). */
static void test_altstack_freed(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/stack_nested.wasm", JIT_TEST_DIR);
  FILE *fp = fopen(path, "rb");
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  fe_typereg *reg = fe_typereg_new();
  fe_error e;
  fe_module *m = fe_module_new(reg, buf, n, &e);
  vm_host_func *h = vm_host_func_new(m->types[m->funcs[0].type].canon, host_h, NULL);
  vm_extern_ref imports[1] = {{FE_EXT_FUNC, {.func = &h->funcref}}};
  char err[512];
  vm_compiled *c = vm_compiled_new(m, 2, err, sizeof err);
  vm_stack_group g = {0};
  vm_limits lim = {65536, &g, NULL};
  vm_trap_info t;
  bool trapped;
  nest.inst = vm_instance_new(m, c, imports, &lim, NULL, &trapped, &t, err, sizeof err);
  assert_non_null(nest.inst);
  int before = maps_lines();
  for (int i = 0; i < 300; i++) {
    bool ok = false;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, call_inner, &ok), 0);
    pthread_join(th, NULL);
    assert_true(ok);
  }
  int after = maps_lines();
  print_message("maps: %d -> %d\n", before, after);
  assert_true(after - before < 20);
  vm_instance_free(nest.inst);
  vm_stack_group_free(&g);
  vm_compiled_free(c);
  vm_host_func_free(h);
  fe_module_free(m);
  fe_typereg_free(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nested_entry_other_thread),
      cmocka_unit_test(test_big_frame_host_room),
      cmocka_unit_test(test_altstack_freed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
