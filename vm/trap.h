/* vm/trap.h — the trap channel: protected calls, raising a trap, the
 * SIGSEGV/SIGBUS handler for faults in generated code, the registry of
 * generated code ranges, and the per-thread stack limit.
 *
 * Every trap travels on one channel (DESIGN.md "Memory accesses and traps"):
 *
 *   host code --vm_call_protected(fn)--> fn (generated code, builtins, host
 *   functions ...) --trap--> back in vm_call_protected, which returns false
 *   with the trap's code, message and pc.
 *
 * A trap is raised in one of two ways: by a call (vm_trap_raise from C,
 * the VM_BI_TRAP builtin from generated code), or by a hardware fault
 * (SIGSEGV/SIGBUS) whose pc lies in a registered code range — a 32-bit
 * memory access that ran into the guard region.  Either way control
 * long-jumps to the innermost activation of the current thread.  Activations
 * nest: host -> wasm -> host -> wasm is two activations, and a trap in the
 * inner one unwinds only to the inner vm_call_protected.
 *
 * Long-jumping skips the C frames between the trap and the activation, so
 * code that runs under an activation must not hold resources that only its
 * own epilogue would release (locks, malloc'd buffers) across a call that
 * can trap.  Builtins and host-call glue are written with that in mind.
 *
 * A fault that is not ours — no activation on this thread, or a pc outside
 * every registered range — goes to the handler that was installed before
 * Kiln's (or to the default action, which kills the process): unrelated
 * crashes still crash.
 */
#ifndef KILN_VM_TRAP_H
#define KILN_VM_TRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctx.h"

/* What a trapped protected call reports. */
typedef struct vm_trap_info {
  vm_trap_code code;
  const char *message; /* vm_trap_message(code): static, never NULL */
  uintptr_t pc;        /* the faulting instruction, or the return address of
                          the VM_BI_TRAP call in generated code; 0 if unknown
                          (a trap raised by host code) */
  uintptr_t addr;      /* for a fault, the faulting data address; else 0 */
} vm_trap_info;

/* Runs fn(arg) under a new activation of the current thread.  Returns true
 * if fn returned normally (*out is then untouched), false if it trapped
 * (*out describes the trap).  out may be NULL.  Installs the signal handler
 * on first use.  Reentrant: fn may call vm_call_protected again.  fn must
 * not leave by any other non-local exit (longjmp, a C++ exception) past
 * this call: the activation would stay on the list. */
__attribute__((warn_unused_result)) bool
vm_call_protected(void (*fn)(void *), void *arg, vm_trap_info *out);

/* Raises a trap: long-jumps to the innermost activation of this thread.
 * Without an activation this is a bug in the caller: it prints the trap and
 * aborts.  code must be a vm_trap_code other than VM_TRAP_NONE. */
_Noreturn void vm_trap_raise(vm_trap_code code);

/* Same, with the pc to report (e.g. a return address in generated code). */
_Noreturn void vm_trap_raise_at(vm_trap_code code, uintptr_t pc);

/* The spec's wording for a trap code ("out of bounds memory access" ...),
 * static.  Unknown codes give "unknown trap". */
const char *vm_trap_message(vm_trap_code code);

/* Installs Kiln's SIGSEGV and SIGBUS handlers unless they are the current
 * ones, and keeps the handlers they replace as the ones to chain to.
 * vm_call_protected and vm_trap_register_code install them once per
 * process; call this again after installing a handler of your own that
 * replaced Kiln's (unit tests must: cmocka installs its handlers around
 * every test).  Not to be called while another thread may fault. */
void vm_trap_install(void);

/* Whether the current thread is inside vm_call_protected. */
bool vm_trap_active(void);

/* ---- registry of generated code ---------------------------------------
 * The signal handler turns a fault into a trap only if its pc lies in a
 * registered range, so everything that loads code (vm/code.c's images, test
 * code) registers the executable part of the image before running it, and
 * unregisters it before unmapping it.  Registration and unregistration take
 * a mutex; lookups (vm_trap_is_code, the signal handler) take no lock and
 * are async-signal-safe.  Registering the same range twice is allowed and
 * needs two unregistrations; unregistering a range that is not registered
 * is a no-op. */

/* Returns false only if memory for the registry could not be allocated. */
__attribute__((warn_unused_result)) bool vm_trap_register_code(uintptr_t start,
                                                               size_t len);
void vm_trap_unregister_code(uintptr_t start, size_t len);
bool vm_trap_is_code(uintptr_t pc);

/* ---- stack limit -------------------------------------------------------
 * The lowest stack address generated code may use on the current thread:
 * the bottom of the thread's stack (pthread_getattr_np) plus
 * VM_STACK_RESERVE bytes, kept for the signal handler, the trap path and
 * host functions called from near the limit (capped at half of a small
 * stack).  Computed once per thread, then a thread-local read.  The entry
 * from the host stores it in vmctx->stack_limit (the store may move between
 * threads, so on every entry, not once per instance); every prologue
 * compares the stack pointer with it and raises VM_TRAP_STACK_OVERFLOW.
 * Returns 0 (no limit) if the stack bounds cannot be determined. */
#define VM_STACK_RESERVE ((size_t)256 * 1024)
uintptr_t vm_stack_limit(void);

#endif
