/* vm/trap.c — the trap channel (see trap.h): activations, vm_trap_raise,
 * the SIGSEGV/SIGBUS handler, the registry of generated code and the
 * per-thread stack limit.
 *
 * Activations.  vm_call_protected keeps a vm_activation (a sigjmp_buf and
 * the trap's details) in its own frame and pushes it on a thread-local
 * list.  A trap pops the innermost activation, writes the details into it
 * and siglongjmps to it.  Normal return pops it too.
 *
 * The signal mask.  sigsetjmp is called with savemask = 0, which saves a
 * rt_sigprocmask system call on every host -> wasm entry.  That is correct
 * because the handler is installed with SA_NODEFER and an empty sa_mask:
 * delivering the fault blocks nothing, so the mask at the siglongjmp is the
 * mask at the fault, which is the mask at the entry (Kiln does not change
 * it, and a host function that changes it and traps keeps its change).
 * Without SA_NODEFER, SIGSEGV would stay blocked after the jump, and the
 * next fault would kill the process.
 *
 * Async-signal-safety.  The handler reads the thread-local activation list,
 * scans the code registry (lock-free, see below) and either siglongjmps or
 * chains; it calls only sigaction and raise, which are async-signal-safe,
 * and touches no lock and no allocator.  Thread-locals use the initial-exec
 * TLS model, so reading them never calls __tls_get_addr (which may allocate
 * for a dlopen'ed library); glibc's static TLS surplus holds the few bytes
 * even when libkiln itself is dlopen'ed.  errno is preserved on the
 * chaining path.
 *
 * Chaining.  A fault that is not a trap goes to the handler installed
 * before Kiln's: an SA_SIGINFO handler is called with the same arguments, a
 * plain one with the signal number.  If that was SIG_DFL or SIG_IGN, the
 * previous disposition is put back and the handler returns: the faulting
 * instruction runs again, faults again and gets the default action (a core
 * dump, the embedder's crash reporter ...).  A SIGSEGV sent by kill() does
 * not repeat by itself, so it is re-raised (or dropped, if it was
 * ignored).  A signal sent by kill() is never a trap, even in generated
 * code (si_code <= 0).
 *
 * The stack.  Prologues compare the frame address with vmctx->stack_limit
 * (VM_STACK_RESERVE bytes above the bottom of the thread's stack), which
 * catches deep recursion with room to spare.  A single frame larger than
 * the reserve can still pass that check and run past the stack's end; its
 * inline stack probes (jit/, "probe-stack") touch it page by page, so the
 * first touch beyond the stack faults on the guard page below it rather
 * than writing into whatever lies further down.  That fault has no stack
 * to run a handler on, so the handler runs on an alternate signal stack
 * (SA_ONSTACK): the first entry into Wasm on a thread gives the thread one
 * (64 KiB, freed at thread exit) unless the embedder or a sanitizer already
 * did.  A fault in generated code at an address between the guard region
 * below the stack and the limit is VM_TRAP_STACK_OVERFLOW, any other fault
 * in generated code VM_TRAP_MEMORY_OOB.
 */
#include "trap.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

#define TLS _Thread_local __attribute__((tls_model("initial-exec")))

/* ========================================================================
 * Messages
 * ====================================================================== */

/* The spec interpreter's wording, which the spec tests' assert_trap
 * expects.  VM_TRAP_TABLE_OOB is the message of table instructions;
 * call_indirect with an index past the table is VM_TRAP_UNDEFINED_ELEM
 * ("undefined element" in the spec).  VM_TRAP_INDIRECT_NULL
 * is call_ref on a null reference; VM_TRAP_UNINIT_ELEM is call_indirect
 * through a null table entry; VM_TRAP_NULL_REF is ref.as_non_null. */
static const char *const trap_messages[VM_TRAP_COUNT_] = {
    [VM_TRAP_NONE] = "no trap",
    [VM_TRAP_UNREACHABLE] = "unreachable",
    [VM_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [VM_TRAP_TABLE_OOB] = "out of bounds table access",
    [VM_TRAP_UNDEFINED_ELEM] = "undefined element",
    [VM_TRAP_INDIRECT_NULL] = "null function reference",
    [VM_TRAP_INDIRECT_TYPE] = "indirect call type mismatch",
    [VM_TRAP_INT_DIV_ZERO] = "integer divide by zero",
    [VM_TRAP_INT_OVERFLOW] = "integer overflow",
    [VM_TRAP_BAD_CONVERSION] = "invalid conversion to integer",
    [VM_TRAP_STACK_OVERFLOW] = "call stack exhausted",
    [VM_TRAP_UNINIT_ELEM] = "uninitialized element",
    [VM_TRAP_NULL_REF] = "null reference",
    [VM_TRAP_HEAP_EXHAUSTED] = "out of memory: GC heap exhausted",
    [VM_TRAP_NULL_STRUCT] = "null structure reference",
    [VM_TRAP_NULL_ARRAY] = "null array reference",
    [VM_TRAP_NULL_I31] = "null i31 reference",
    [VM_TRAP_ARRAY_OOB] = "out of bounds array access",
    [VM_TRAP_CAST] = "cast failure",
};

const char *vm_trap_message(vm_trap_code code) {
  if ((unsigned)code < VM_TRAP_COUNT_ && trap_messages[code])
    return trap_messages[code];
  return "unknown trap";
}

/* ========================================================================
 * Activations
 * ====================================================================== */

typedef struct vm_activation {
  sigjmp_buf jb;
  struct vm_activation *prev;
  /* Written by the trap after sigsetjmp, read after the jump: volatile. */
  volatile vm_trap_code code;
  volatile uintptr_t pc;
  volatile uintptr_t addr;
} vm_activation;

static TLS vm_activation *tl_top;

/* Stores of tl_top must be complete before code that may fault runs, as the
 * signal handler of this thread reads it. */
static inline void set_top(vm_activation *a) {
  tl_top = a;
  atomic_signal_fence(memory_order_seq_cst);
}

static void install_handlers(void);
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

bool vm_call_protected(void (*fn)(void *), void *arg, vm_trap_info *out) {
  pthread_once(&install_once, install_handlers);
  vm_activation act;
  act.prev = tl_top;
  act.code = VM_TRAP_NONE;
  act.pc = 0;
  act.addr = 0;
  if (sigsetjmp(act.jb, 0) == 0) {
    set_top(&act);
    fn(arg);
    set_top(act.prev);
    return true;
  }
  /* Trapped: the raiser has already popped act. */
  if (out) {
    out->code = act.code;
    out->message = vm_trap_message(act.code);
    out->pc = act.pc;
    out->addr = act.addr;
  }
  return false;
}

bool vm_trap_active(void) { return tl_top != NULL; }

/* Pops the innermost activation and jumps to it.  Also called from the
 * signal handler: async-signal-safe. */
static _Noreturn void jump_to(vm_activation *a, vm_trap_code code,
                              uintptr_t pc, uintptr_t addr) {
  a->code = code;
  a->pc = pc;
  a->addr = addr;
  set_top(a->prev);
  siglongjmp(a->jb, 1);
}

_Noreturn void vm_trap_raise_at(vm_trap_code code, uintptr_t pc) {
  vm_activation *a = tl_top;
  if (!a) {
    fprintf(stderr, "kiln: trap \"%s\" raised outside any protected call\n",
            vm_trap_message(code));
    abort();
  }
  jump_to(a, code, pc, 0);
}

_Noreturn void vm_trap_raise(vm_trap_code code) { vm_trap_raise_at(code, 0); }

/* ========================================================================
 * Registry of generated code
 *
 * A table of slots, each one range [start, end) guarded by a sequence
 * counter (a seqlock: odd while a writer changes the slot).  Writers hold
 * reg_lock; readers (the signal handler) never wait: a slot that is being
 * written, or was rewritten while it was read, is skipped.  That is sound
 * because a range being registered or unregistered is not running code:
 * code is registered before it first runs and unregistered after it last
 * ran.  The table grows by doubling; the new table is published with one
 * atomic store, and the old one stays allocated (a reader in another
 * thread may still be scanning it), so at most as much memory again as the
 * live table is kept.  Lookups scan every slot: they happen only when a
 * fault occurs.
 * ====================================================================== */

typedef struct code_slot {
  atomic_uint seq;
  atomic_uintptr_t start, end; /* end == 0: free */
} code_slot;

typedef struct code_table {
  struct code_table *older; /* the table this one replaced (kept) */
  size_t cap;
  atomic_size_t used; /* slots [0, used) have been handed out */
  code_slot slots[];
} code_table;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(code_table *) reg_table;

static code_table *table_new(size_t cap, code_table *older) {
  code_table *t = malloc(sizeof *t + cap * sizeof(code_slot));
  if (!t)
    return NULL;
  t->older = older;
  t->cap = cap;
  atomic_init(&t->used, 0);
  for (size_t i = 0; i < cap; i++) {
    atomic_init(&t->slots[i].seq, 0);
    atomic_init(&t->slots[i].start, 0);
    atomic_init(&t->slots[i].end, 0);
  }
  return t;
}

/* Writer side of the seqlock (reg_lock held). */
static void slot_write(code_slot *s, uintptr_t start, uintptr_t end) {
  unsigned q = atomic_load_explicit(&s->seq, memory_order_relaxed);
  atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&s->start, start, memory_order_relaxed);
  atomic_store_explicit(&s->end, end, memory_order_relaxed);
  atomic_store_explicit(&s->seq, q + 2, memory_order_release);
}

bool vm_trap_register_code(uintptr_t start, size_t len) {
  if (len == 0)
    return true;
  pthread_once(&install_once, install_handlers);
  bool ok = false;
  pthread_mutex_lock(&reg_lock);
  code_table *t = atomic_load_explicit(&reg_table, memory_order_relaxed);
  size_t used = t ? atomic_load_explicit(&t->used, memory_order_relaxed) : 0;
  code_slot *slot = NULL;
  for (size_t i = 0; i < used && !slot; i++)
    if (atomic_load_explicit(&t->slots[i].end, memory_order_relaxed) == 0)
      slot = &t->slots[i];
  if (!slot && (!t || used == t->cap)) {
    code_table *n = table_new(t ? 2 * t->cap : 64, t);
    if (!n)
      goto done;
    for (size_t i = 0; i < used; i++) {
      atomic_store_explicit(&n->slots[i].start,
                            atomic_load_explicit(&t->slots[i].start,
                                                 memory_order_relaxed),
                            memory_order_relaxed);
      atomic_store_explicit(&n->slots[i].end,
                            atomic_load_explicit(&t->slots[i].end,
                                                 memory_order_relaxed),
                            memory_order_relaxed);
    }
    atomic_store_explicit(&n->used, used, memory_order_relaxed);
    atomic_store_explicit(&reg_table, n, memory_order_release);
    t = n;
  }
  if (!slot) {
    slot = &t->slots[used];
    /* The slot is free (end == 0) until slot_write publishes it, so it may
     * be counted before it is filled. */
    atomic_store_explicit(&t->used, used + 1, memory_order_release);
  }
  slot_write(slot, start, start + len);
  ok = true;
done:
  pthread_mutex_unlock(&reg_lock);
  return ok;
}

void vm_trap_unregister_code(uintptr_t start, size_t len) {
  if (len == 0)
    return;
  pthread_mutex_lock(&reg_lock);
  code_table *t = atomic_load_explicit(&reg_table, memory_order_relaxed);
  size_t used = t ? atomic_load_explicit(&t->used, memory_order_relaxed) : 0;
  for (size_t i = 0; i < used; i++) {
    code_slot *s = &t->slots[i];
    if (atomic_load_explicit(&s->start, memory_order_relaxed) == start &&
        atomic_load_explicit(&s->end, memory_order_relaxed) == start + len) {
      slot_write(s, 0, 0);
      break;
    }
  }
  pthread_mutex_unlock(&reg_lock);
}

/* Reader side: lock-free, async-signal-safe. */
bool vm_trap_is_code(uintptr_t pc) {
  code_table *t = atomic_load_explicit(&reg_table, memory_order_acquire);
  if (!t)
    return false;
  size_t used = atomic_load_explicit(&t->used, memory_order_acquire);
  for (size_t i = 0; i < used; i++) {
    code_slot *s = &t->slots[i];
    unsigned q = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (q & 1)
      continue;
    uintptr_t start = atomic_load_explicit(&s->start, memory_order_relaxed);
    uintptr_t end = atomic_load_explicit(&s->end, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) != q)
      continue;
    if (pc >= start && pc < end)
      return true;
  }
  return false;
}

/* ========================================================================
 * The signal handler
 * ====================================================================== */

static struct sigaction prev_segv, prev_bus;

static bool in_stack_guard(uintptr_t addr);

static void chain(int sig, siginfo_t *si, void *uc) {
  const struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
  if (prev->sa_flags & SA_SIGINFO) {
    prev->sa_sigaction(sig, si, uc);
    return;
  }
  if (prev->sa_handler == SIG_IGN && si->si_code <= 0)
    return; /* a sent signal, ignored as it would have been */
  if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
    sigaction(sig, prev, NULL);
    if (si->si_code <= 0) /* sent, not a fault: it will not repeat */
      raise(sig);
    return;
  }
  prev->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  int saved_errno = errno;
  ucontext_t *uc = ucv;
  uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
  vm_activation *a = tl_top;
  if (a && si->si_code > 0 && vm_trap_is_code(pc)) {
    uintptr_t addr = (uintptr_t)si->si_addr;
    jump_to(a, in_stack_guard(addr) ? VM_TRAP_STACK_OVERFLOW : VM_TRAP_MEMORY_OOB, pc, addr);
  }
  errno = saved_errno;
  chain(sig, si, ucv);
}

/* Installs on_fault for sig unless it is installed, saving the action it
 * replaces in *prev.  An action that is on_fault without SA_SIGINFO (put
 * back by someone who saved it with signal()) is replaced, but never
 * becomes the previous handler: chaining to it would loop. */
static void install_one(int sig, const char *name, struct sigaction *prev) {
  struct sigaction cur;
  bool ours = false;
  if (sigaction(sig, NULL, &cur) == 0) {
    ours = (void *)cur.sa_sigaction == (void *)on_fault;
    if (ours && (cur.sa_flags & SA_SIGINFO))
      return;
  }
  struct sigaction sa;
  sa.sa_sigaction = on_fault;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  if (sigaction(sig, &sa, ours ? NULL : prev) != 0) {
    /* Only EINVAL is possible, and not for these signals. */
    perror("kiln: sigaction");
    abort();
  }
  /* A sanitizer may claim the signal and silently ignore the request
   * (ASan with handle_segv=2, or allow_user_segv_handler=0): say so, since
   * every out-of-bounds access would then crash the process. */
  static atomic_bool warned;
  if (sigaction(sig, NULL, &cur) == 0 &&
      (void *)cur.sa_sigaction != (void *)on_fault &&
      !atomic_exchange(&warned, true))
    fprintf(stderr,
            "kiln: could not install the %s handler (a sanitizer owns it? "
            "ASAN_OPTIONS needs handle_segv=1:handle_sigbus=1:"
            "allow_user_segv_handler=1); out-of-bounds memory accesses will "
            "crash instead of trapping\n",
            name);
}

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

void vm_trap_install(void) {
  pthread_mutex_lock(&install_lock);
  install_one(SIGSEGV, "SIGSEGV", &prev_segv);
  install_one(SIGBUS, "SIGBUS", &prev_bus);
  pthread_mutex_unlock(&install_lock);
}

static void install_handlers(void) { vm_trap_install(); }

/* ========================================================================
 * Stack limit
 * ====================================================================== */

static TLS uintptr_t tl_stack_limit;
static TLS uintptr_t tl_stack_low; /* the lowest address of the stack; 0: unknown */
static TLS bool tl_stack_known;

/* How far below the stack's lowest address a fault still counts as a
 * stack overflow: the guard page(s) of a thread, the gap below the main
 * thread's stack.  Probes touch every page, so the first fault is within
 * a page of the end. */
#define STACK_GUARD_SPAN ((uintptr_t)1 << 20)

/* Async-signal-safe: initial-exec TLS reads only. */
static bool in_stack_guard(uintptr_t addr) {
  uintptr_t low = tl_stack_low;
  return low && addr < tl_stack_limit && addr + STACK_GUARD_SPAN >= low;
}

/* The alternate signal stack Kiln gives a thread, freed when it exits. */
#define ALTSTACK_SIZE ((size_t)64 * 1024)
static pthread_key_t altstack_key;
static pthread_once_t altstack_once = PTHREAD_ONCE_INIT;
static bool altstack_key_ok;

static void altstack_free(void *p) {
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == p && !(cur.ss_flags & SS_ONSTACK)) {
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
  }
  munmap(p, ALTSTACK_SIZE);
}

static void altstack_key_init(void) {
  altstack_key_ok = pthread_key_create(&altstack_key, altstack_free) == 0;
}

/* Gives this thread an alternate signal stack unless it has one.  Without
 * one (out of memory), a stack overflow in one huge frame kills the process
 * as it would without Kiln; every other trap is unaffected. */
static void ensure_altstack(void) {
  stack_t cur;
  if (sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE))
    return;
  pthread_once(&altstack_once, altstack_key_init);
  if (!altstack_key_ok)
    return;
  void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
  if (p == MAP_FAILED)
    return;
  stack_t ss = {.ss_sp = p, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0 || pthread_setspecific(altstack_key, p) != 0) {
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    munmap(p, ALTSTACK_SIZE);
  }
}

uintptr_t vm_stack_limit(void) {
  if (tl_stack_known)
    return tl_stack_limit;
  uintptr_t limit = 0;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *low;
    size_t size;
    if (pthread_attr_getstack(&attr, &low, &size) == 0) {
      size_t reserve = VM_STACK_RESERVE;
      if (reserve > size / 2)
        reserve = size / 2;
      limit = (uintptr_t)low + reserve;
      tl_stack_low = (uintptr_t)low;
    }
    pthread_attr_destroy(&attr);
  }
  tl_stack_limit = limit;
  tl_stack_known = true;
  ensure_altstack();
  return limit;
}
