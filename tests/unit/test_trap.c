/* tests/unit/test_trap.c — the trap channel (vm/trap.c): protected calls,
 * vm_trap_raise at depth, nested activations, faults in registered code
 * turned into traps, faults elsewhere not swallowed, the code registry and
 * the stack limit.
 *
 * "Generated code" is played by small functions placed in their own section
 * (kiln_test_code); the linker's __start_/__stop_ symbols give its range,
 * which the tests register.  cmocka replaces the SIGSEGV/SIGBUS handlers
 * around every test, so each test that needs Kiln's handler calls
 * vm_trap_install() first; Kiln then chains to cmocka's handler for faults
 * that are not traps.  No cmocka assertion runs under an activation: its
 * failure would long-jump out of the protected call and leave a dangling
 * activation behind.  Faults that must kill run in a forked child.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm/builtins.h"
#include "vm/trap.h"


/* ------------------------------------------------------------------------
 * "Generated" code and helpers
 * ---------------------------------------------------------------------- */

#define GENERATED                                                              \
  __attribute__((noinline, used, section("kiln_test_code"),                    \
                 no_sanitize("address", "undefined")))

extern char __start_kiln_test_code[], __stop_kiln_test_code[];

static GENERATED uint8_t gen_load8(const volatile uint8_t *p) { return *p; }

/* The same load outside the registered section. */
static __attribute__((noinline, no_sanitize("address", "undefined"))) uint8_t
plain_load8(const volatile uint8_t *p) {
  return *p;
}

/* Called through volatile pointers so that nothing is inlined or folded. */
static uint8_t (*volatile gen_load)(const volatile uint8_t *) = gen_load8;
static uint8_t (*volatile plain_load)(const volatile uint8_t *) = plain_load8;

static uintptr_t gen_start(void) { return (uintptr_t)__start_kiln_test_code; }
static size_t gen_len(void) {
  return (size_t)(__stop_kiln_test_code - __start_kiln_test_code);
}

static void register_gen(void) {
  assert_true(gen_len() > 0);
  assert_true(vm_trap_register_code(gen_start(), gen_len()));
}

static void unregister_gen(void) { vm_trap_unregister_code(gen_start(), gen_len()); }

/* An inaccessible page, unmapped again by the caller. */
static uint8_t *noaccess_page(void) {
  void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(p != MAP_FAILED);
  return p;
}

typedef struct load_args {
  const volatile uint8_t *p;
  uint8_t (*load)(const volatile uint8_t *);
  uint8_t value;
  int reached; /* set after the load: must stay 0 when the load traps */
} load_args;

static void do_load(void *arg) {
  load_args *a = arg;
  a->value = a->load(a->p);
  a->reached = 1;
}

/* ------------------------------------------------------------------------
 * Protected calls and vm_trap_raise
 * ---------------------------------------------------------------------- */

static void set_flag(void *arg) { *(int *)arg = 42; }

static void test_normal_return(void **state) {
  (void)state;
  int flag = 0;
  vm_trap_info info = {.code = VM_TRAP_NONE};
  assert_false(vm_trap_active());
  assert_true(vm_call_protected(set_flag, &flag, &info));
  assert_int_equal(flag, 42);
  assert_int_equal(info.code, VM_TRAP_NONE); /* untouched */
  assert_false(vm_trap_active());
}

typedef struct deep_args {
  int depth;
  int reached_bottom;
  int returned; /* must stay 0: the trap skips every return */
} deep_args;

/* Through a pointer without _Noreturn: the compiler would otherwise call
 * the recursion below infinite. */
static void (*volatile raise_fn)(vm_trap_code) = vm_trap_raise;

static __attribute__((noinline)) void recurse_then_raise(deep_args *a, int n) {
  if (n == 0) {
    a->reached_bottom = 1;
    raise_fn(VM_TRAP_INT_DIV_ZERO);
    return;
  }
  recurse_then_raise(a, n - 1);
  a->returned++; /* not a tail call */
}

static void deep_fn(void *arg) {
  deep_args *a = arg;
  recurse_then_raise(a, a->depth);
}

static void test_raise_from_depth(void **state) {
  (void)state;
  deep_args a = {.depth = 200};
  vm_trap_info info;
  assert_false(vm_call_protected(deep_fn, &a, &info));
  assert_int_equal(a.reached_bottom, 1);
  assert_int_equal(a.returned, 0);
  assert_int_equal(info.code, VM_TRAP_INT_DIV_ZERO);
  assert_string_equal(info.message, "integer divide by zero");
  assert_int_equal(info.pc, 0);
  assert_int_equal(info.addr, 0);
  assert_false(vm_trap_active());
  /* NULL out is allowed. */
  assert_false(vm_call_protected(deep_fn, &a, NULL));
}

/* Nesting: outer -> inner (traps) -> back in outer, which goes on. */
typedef struct nest_args {
  bool inner_ok;
  vm_trap_info inner;
  bool active_inside;
  int after_inner;
  vm_trap_code outer_raises; /* VM_TRAP_NONE: return normally */
} nest_args;

static void inner_fn(void *arg) {
  (void)arg;
  vm_trap_raise(VM_TRAP_UNREACHABLE);
}

static void outer_fn(void *arg) {
  nest_args *a = arg;
  a->inner_ok = vm_call_protected(inner_fn, NULL, &a->inner);
  a->active_inside = vm_trap_active(); /* the outer activation is still on */
  a->after_inner = 1;
  if (a->outer_raises != VM_TRAP_NONE)
    vm_trap_raise(a->outer_raises);
}

static void test_nested_inner_trap(void **state) {
  (void)state;
  nest_args a = {.outer_raises = VM_TRAP_NONE};
  vm_trap_info info = {.code = VM_TRAP_NONE};
  assert_true(vm_call_protected(outer_fn, &a, &info));
  assert_false(a.inner_ok);
  assert_int_equal(a.inner.code, VM_TRAP_UNREACHABLE);
  assert_string_equal(a.inner.message, "unreachable");
  assert_true(a.active_inside);
  assert_int_equal(a.after_inner, 1);
  assert_false(vm_trap_active());
}

static void test_nested_outer_trap_after_inner(void **state) {
  (void)state;
  nest_args a = {.outer_raises = VM_TRAP_NULL_REF};
  vm_trap_info info;
  assert_false(vm_call_protected(outer_fn, &a, &info));
  assert_false(a.inner_ok);
  assert_int_equal(a.inner.code, VM_TRAP_UNREACHABLE);
  assert_int_equal(a.after_inner, 1);
  assert_int_equal(info.code, VM_TRAP_NULL_REF);
  assert_string_equal(info.message, "null reference");
  assert_false(vm_trap_active());
}

/* Three levels, the middle one traps after the innermost returned. */
static void level3(void *arg) { *(int *)arg += 1; }
static void level2(void *arg) {
  if (!vm_call_protected(level3, arg, NULL))
    *(int *)arg = -1000;
  vm_trap_raise(VM_TRAP_BAD_CONVERSION);
}
typedef struct three_args {
  int count;
  bool mid_ok;
  vm_trap_info mid;
} three_args;
static void level1(void *arg) {
  three_args *a = arg;
  a->mid_ok = vm_call_protected(level2, &a->count, &a->mid);
  a->count += 10;
}

static void test_three_levels(void **state) {
  (void)state;
  three_args a = {0};
  assert_true(vm_call_protected(level1, &a, NULL));
  assert_false(a.mid_ok);
  assert_int_equal(a.mid.code, VM_TRAP_BAD_CONVERSION);
  assert_int_equal(a.count, 11);
}

/* VM_BI_TRAP, called as generated code calls it.  The pointer type omits
 * _Noreturn and a store follows the call, so that the call is not turned
 * into a jump and its return address stays in call_trap_builtin. */
typedef void (*trap_builtin)(void *vmctx, uint32_t code);

static __attribute__((noinline)) void call_trap_builtin(void *arg) {
  trap_builtin t = (trap_builtin)vm_builtins[VM_BI_TRAP];
  t(NULL, VM_TRAP_STACK_OVERFLOW);
  *(volatile int *)arg = 1;
}

static void test_trap_builtin(void **state) {
  (void)state;
  vm_trap_info info;
  int returned = 0;
  assert_non_null(vm_builtins[VM_BI_TRAP]);
  assert_false(vm_call_protected(call_trap_builtin, &returned, &info));
  assert_int_equal(returned, 0);
  assert_int_equal(info.code, VM_TRAP_STACK_OVERFLOW);
  assert_string_equal(info.message, "call stack exhausted");
  /* The pc is the return address of the builtin's call: inside
   * call_trap_builtin, a little after its start. */
  uintptr_t fn = (uintptr_t)call_trap_builtin;
  assert_true(info.pc > fn && info.pc < fn + 4096);
}

static void test_messages(void **state) {
  (void)state;
  static const struct {
    vm_trap_code code;
    const char *msg;
  } want[] = {
      {VM_TRAP_UNREACHABLE, "unreachable"},
      {VM_TRAP_MEMORY_OOB, "out of bounds memory access"},
      {VM_TRAP_TABLE_OOB, "out of bounds table access"},
      {VM_TRAP_UNDEFINED_ELEM, "undefined element"},
      {VM_TRAP_INDIRECT_NULL, "null function reference"},
      {VM_TRAP_INDIRECT_TYPE, "indirect call type mismatch"},
      {VM_TRAP_INT_DIV_ZERO, "integer divide by zero"},
      {VM_TRAP_INT_OVERFLOW, "integer overflow"},
      {VM_TRAP_BAD_CONVERSION, "invalid conversion to integer"},
      {VM_TRAP_STACK_OVERFLOW, "call stack exhausted"},
      {VM_TRAP_UNINIT_ELEM, "uninitialized element"},
      {VM_TRAP_NULL_REF, "null reference"},
      {VM_TRAP_HEAP_EXHAUSTED, "out of memory: GC heap exhausted"},
      {VM_TRAP_NULL_STRUCT, "null structure reference"},
      {VM_TRAP_NULL_ARRAY, "null array reference"},
      {VM_TRAP_NULL_I31, "null i31 reference"},
      {VM_TRAP_ARRAY_OOB, "out of bounds array access"},
      {VM_TRAP_CAST, "cast failure"},
  };
  assert_int_equal(sizeof want / sizeof want[0], VM_TRAP_COUNT_ - 1);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    assert_string_equal(vm_trap_message(want[i].code), want[i].msg);
  assert_string_equal(vm_trap_message((vm_trap_code)VM_TRAP_COUNT_), "unknown trap");
  assert_string_equal(vm_trap_message((vm_trap_code)-1), "unknown trap");
}

/* ------------------------------------------------------------------------
 * Faults
 * ---------------------------------------------------------------------- */

static void test_fault_in_registered_code(void **state) {
  (void)state;
  vm_trap_install();
  register_gen();
  uint8_t *page = noaccess_page();
  load_args a = {.p = page + 100, .load = gen_load};
  vm_trap_info info;
  assert_false(vm_call_protected(do_load, &a, &info));
  assert_int_equal(a.reached, 0);
  assert_int_equal(info.code, VM_TRAP_MEMORY_OOB);
  assert_string_equal(info.message, "out of bounds memory access");
  assert_true(info.pc >= gen_start() && info.pc < gen_start() + gen_len());
  assert_int_equal(info.addr, (uintptr_t)(page + 100));
  assert_false(vm_trap_active());
  munmap(page, 4096);
  unregister_gen();
}

/* After a fault was turned into a trap, SIGSEGV is not left blocked: many
 * faults in a row are all trapped (a blocked SIGSEGV would kill). */
static void test_many_faults(void **state) {
  (void)state;
  vm_trap_install();
  register_gen();
  uint8_t *page = noaccess_page();
  int trapped = 0;
  for (int i = 0; i < 1000; i++) {
    load_args a = {.p = page + i, .load = gen_load};
    vm_trap_info info;
    if (!vm_call_protected(do_load, &a, &info) && info.code == VM_TRAP_MEMORY_OOB &&
        !a.reached)
      trapped++;
  }
  assert_int_equal(trapped, 1000);
  sigset_t mask;
  assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
  assert_false(sigismember(&mask, SIGSEGV));
  munmap(page, 4096);
  unregister_gen();
}

/* A fault inside a nested activation unwinds only to it. */
typedef struct nested_fault_args {
  const volatile uint8_t *p;
  bool inner_ok;
  vm_trap_info inner;
  int after;
} nested_fault_args;

static void nested_fault_outer(void *arg) {
  nested_fault_args *a = arg;
  load_args l = {.p = a->p, .load = gen_load};
  a->inner_ok = vm_call_protected(do_load, &l, &a->inner);
  a->after = 1;
}

static void test_nested_fault(void **state) {
  (void)state;
  vm_trap_install();
  register_gen();
  uint8_t *page = noaccess_page();
  nested_fault_args a = {.p = page};
  assert_true(vm_call_protected(nested_fault_outer, &a, NULL));
  assert_false(a.inner_ok);
  assert_int_equal(a.inner.code, VM_TRAP_MEMORY_OOB);
  assert_int_equal(a.after, 1);
  munmap(page, 4096);
  unregister_gen();
}

/* Runs child() in a forked process and returns its wait status.  The child
 * never returns into cmocka. */
static int in_child(void (*child)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    child();
    _exit(0); /* the fault did not kill: a failure */
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return status;
}

/* Death by SIGSEGV: the child puts the default action back before Kiln's
 * handler (under ASan the action found would be ASan's reporter). */
static void assert_died_of_segv(int status) {
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGSEGV);
}

/* The default disposition in the child, then Kiln's handler on top. */
static void child_with_default_handler(void) {
  signal(SIGSEGV, SIG_DFL);
  signal(SIGBUS, SIG_DFL);
  vm_trap_install();
}

static void child_unregistered_fault(void) {
  child_with_default_handler();
  if (!vm_trap_register_code(gen_start(), gen_len()))
    _exit(2);
  uint8_t *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  load_args a = {.p = page, .load = plain_load};
  (void)!vm_call_protected(do_load, &a, NULL);
  _exit(3); /* swallowed */
}

static void test_unregistered_fault_kills(void **state) {
  (void)state;
  assert_died_of_segv(in_child(child_unregistered_fault));
}

static void child_registered_fault_no_activation(void) {
  child_with_default_handler();
  if (!vm_trap_register_code(gen_start(), gen_len()))
    _exit(2);
  uint8_t *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  (void)gen_load(page);
  _exit(3);
}

static void test_fault_without_activation_kills(void **state) {
  (void)state;
  assert_died_of_segv(in_child(child_registered_fault_no_activation));
}

/* A SIGSEGV sent with kill() while generated code... (here: host code under
 * an activation) is not a trap either. */
static void raise_segv(void *arg) {
  (void)arg;
  raise(SIGSEGV);
}
static void child_sent_segv(void) {
  child_with_default_handler();
  (void)!vm_call_protected(raise_segv, NULL, NULL);
  _exit(3);
}

static void test_sent_segv_kills(void **state) {
  (void)state;
  assert_died_of_segv(in_child(child_sent_segv));
}

/* A handler installed before Kiln's gets the faults that are not traps,
 * with the siginfo of the fault. */
static volatile uintptr_t chained_addr;
static void child_handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (sig == SIGSEGV && (uintptr_t)si->si_addr == chained_addr)
    _exit(42);
  _exit(43);
}

static void child_chain(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = child_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0)
    _exit(2);
  vm_trap_install();
  if (!vm_trap_register_code(gen_start(), gen_len()))
    _exit(2);
  uint8_t *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  /* A registered fault is still a trap ... */
  load_args a = {.p = page, .load = gen_load};
  vm_trap_info info;
  if (vm_call_protected(do_load, &a, &info) || info.code != VM_TRAP_MEMORY_OOB)
    _exit(4);
  /* ... an unregistered one goes to child_handler. */
  chained_addr = (uintptr_t)(page + 8);
  load_args b = {.p = page + 8, .load = plain_load};
  (void)!vm_call_protected(do_load, &b, NULL);
  _exit(3);
}

static void test_chain_to_previous_handler(void **state) {
  (void)state;
  int status = in_child(child_chain);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 42);
}

/* Activations are per thread: two threads trap concurrently, each into its
 * own protected call. */
static void *thread_faults(void *arg) {
  const volatile uint8_t *page = arg;
  intptr_t trapped = 0;
  for (int i = 0; i < 200; i++) {
    load_args a = {.p = page + i, .load = gen_load};
    vm_trap_info info;
    if (!vm_call_protected(do_load, &a, &info) && info.code == VM_TRAP_MEMORY_OOB &&
        info.addr == (uintptr_t)(page + i))
      trapped++;
  }
  return (void *)trapped;
}

static void test_threads(void **state) {
  (void)state;
  vm_trap_install();
  register_gen();
  uint8_t *page = noaccess_page();
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, thread_faults, page), 0);
  for (int i = 0; i < 2; i++) {
    void *r;
    assert_int_equal(pthread_join(t[i], &r), 0);
    assert_int_equal((intptr_t)r, 200);
  }
  munmap(page, 4096);
  unregister_gen();
}

/* ------------------------------------------------------------------------
 * Registry
 * ---------------------------------------------------------------------- */

static void test_registry(void **state) {
  (void)state;
  enum { N = 300 }; /* beyond the first table's 64 slots: it grows */
  uintptr_t base = (uintptr_t)1 << 40;
  assert_false(vm_trap_is_code(base));
  for (uintptr_t i = 0; i < N; i++)
    assert_true(vm_trap_register_code(base + i * 0x1000, 0x800));
  for (uintptr_t i = 0; i < N; i++) {
    assert_true(vm_trap_is_code(base + i * 0x1000));
    assert_true(vm_trap_is_code(base + i * 0x1000 + 0x7ff));
    assert_false(vm_trap_is_code(base + i * 0x1000 + 0x800));
  }
  /* Unregister the even ones; odd ones stay. */
  for (uintptr_t i = 0; i < N; i += 2)
    vm_trap_unregister_code(base + i * 0x1000, 0x800);
  for (uintptr_t i = 0; i < N; i++)
    assert_int_equal(vm_trap_is_code(base + i * 0x1000 + 5), i % 2 == 1);
  /* A duplicate registration needs its own unregistration. */
  assert_true(vm_trap_register_code(base + 0x1000, 0x800));
  vm_trap_unregister_code(base + 0x1000, 0x800);
  assert_true(vm_trap_is_code(base + 0x1000));
  /* Unknown ranges and empty ones are no-ops. */
  vm_trap_unregister_code(base + 0x1000, 0x400);
  vm_trap_unregister_code(base + 0x2000, 0x800);
  assert_true(vm_trap_register_code(base + 0x2000, 0));
  assert_true(vm_trap_is_code(base + 0x1000));
  for (uintptr_t i = 1; i < N; i += 2)
    vm_trap_unregister_code(base + i * 0x1000, 0x800);
  for (uintptr_t i = 0; i < N; i++)
    assert_false(vm_trap_is_code(base + i * 0x1000));
  /* Freed slots are reused. */
  assert_true(vm_trap_register_code(base, 16));
  assert_true(vm_trap_is_code(base + 15));
  vm_trap_unregister_code(base, 16);
  assert_false(vm_trap_is_code(base));
}

/* Faults are recognized while another thread registers and unregisters
 * ranges and makes the table grow (the lookup takes no lock). */
static atomic_int churn_stop;

static void *churn(void *arg) {
  (void)arg;
  uintptr_t base = (uintptr_t)1 << 41;
  intptr_t failures = 0;
  for (int round = 0; !atomic_load(&churn_stop) && round < 50; round++) {
    for (uintptr_t i = 0; i < 400; i++)
      failures += !vm_trap_register_code(base + i * 64, 32);
    for (uintptr_t i = 0; i < 400; i++)
      vm_trap_unregister_code(base + i * 64, 32);
  }
  return (void *)failures;
}

static void test_registry_concurrent(void **state) {
  (void)state;
  vm_trap_install();
  register_gen();
  uint8_t *page = noaccess_page();
  atomic_store(&churn_stop, 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, churn, NULL), 0);
  intptr_t trapped = (intptr_t)thread_faults(page);
  atomic_store(&churn_stop, 1);
  void *failures;
  assert_int_equal(pthread_join(t, &failures), 0);
  assert_int_equal((intptr_t)failures, 0);
  assert_int_equal(trapped, 200);
  assert_false(vm_trap_is_code(((uintptr_t)1 << 41) + 64));
  munmap(page, 4096);
  unregister_gen();
}

/* ------------------------------------------------------------------------
 * Stack limit
 * ---------------------------------------------------------------------- */

static void test_stack_limit_main(void **state) {
  (void)state;
  uintptr_t limit = vm_stack_limit();
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  assert_true(limit != 0);
  assert_true(limit < sp);
  /* Far enough below: the main thread has megabytes of stack. */
  assert_true(sp - limit > 1024 * 1024);
  assert_int_equal(vm_stack_limit(), limit); /* cached */
}

typedef struct stack_probe {
  uintptr_t limit, sp, low;
  size_t size;
} stack_probe;

static void *probe_stack(void *arg) {
  stack_probe *p = arg;
  p->limit = vm_stack_limit();
  p->sp = (uintptr_t)__builtin_frame_address(0);
  pthread_attr_t attr;
  void *low;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &low, &p->size);
    p->low = (uintptr_t)low;
    pthread_attr_destroy(&attr);
  }
  return NULL;
}

static void probe_thread(size_t stack_size, stack_probe *p) {
  pthread_attr_t attr;
  pthread_t t;
  assert_int_equal(pthread_attr_init(&attr), 0);
  assert_int_equal(pthread_attr_setstacksize(&attr, stack_size), 0);
  assert_int_equal(pthread_create(&t, &attr, probe_stack, p), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  pthread_attr_destroy(&attr);
}

static void test_stack_limit_threads(void **state) {
  (void)state;
  stack_probe p = {0};
  /* A 4 MiB stack: the full reserve. */
  probe_thread(4u << 20, &p);
  assert_true(p.low != 0);
  assert_int_equal(p.limit, p.low + VM_STACK_RESERVE);
  assert_true(p.limit < p.sp);
  /* A 128 KiB stack: half of it is reserved. */
  memset(&p, 0, sizeof p);
  probe_thread(128u << 10, &p);
  assert_true(p.low != 0);
  assert_int_equal(p.limit, p.low + p.size / 2);
  assert_true(p.limit < p.sp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_return),
      cmocka_unit_test(test_raise_from_depth),
      cmocka_unit_test(test_nested_inner_trap),
      cmocka_unit_test(test_nested_outer_trap_after_inner),
      cmocka_unit_test(test_three_levels),
      cmocka_unit_test(test_trap_builtin),
      cmocka_unit_test(test_messages),
      cmocka_unit_test(test_fault_in_registered_code),
      cmocka_unit_test(test_many_faults),
      cmocka_unit_test(test_nested_fault),
      cmocka_unit_test(test_unregistered_fault_kills),
      cmocka_unit_test(test_fault_without_activation_kills),
      cmocka_unit_test(test_sent_segv_kills),
      cmocka_unit_test(test_chain_to_previous_handler),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_registry_concurrent),
      cmocka_unit_test(test_stack_limit_main),
      cmocka_unit_test(test_stack_limit_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
