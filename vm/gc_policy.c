/* vm/gc_policy.c — allocation by Wasm code and when it collects (see
 * gc_policy.h, docs/gc.md "Collections inside Wasm"). */
#include "gc_policy.h"

#include <pthread.h>
#include <setjmp.h>

#include "instance.h"
#include "trap.h"
#include "vm.h"

/* The top of the store's Wasm frames on this thread: the outermost entry's
 * hi, if every active entry of the store is on this thread (an entry from
 * another thread, blocked in a host call, has frames this scan cannot
 * see: then nothing may be freed). */
static bool frames_top(const wasm_store_t *s, uintptr_t *hi) {
  if (s->depth == 0 || s->depth > VM_STORE_MAX_ENTRIES)
    return false;
  pthread_t self = pthread_self();
  *hi = 0;
  for (unsigned i = 0; i < s->depth; i++) {
    if (!pthread_equal(s->entries[i].thread, self))
      return false;
    if (s->entries[i].hi > *hi)
      *hi = s->entries[i].hi;
  }
  return true;
}

/* A collection from inside Wasm: the callee-saved registers (which may hold
 * references of the Wasm frames above) are saved into this frame by
 * setjmp, and the stack from there up to the outermost entry is scanned.
 * noinline: its frame must lie below every Wasm frame.  no_sanitize_address:
 * with AddressSanitizer's detect_stack_use_after_return, an instrumented
 * function's address-taken locals (regs) live on a heap "fake stack", not
 * on the thread's stack, and [&regs, hi) would not be the frames. */
__attribute__((noinline, no_sanitize_address)) static size_t collect_here(wasm_store_t *s,
                                                                          gc_heap *h, bool full) {
  jmp_buf regs;
  setjmp(regs); /* never jumped to: it only saves the registers */
  uintptr_t hi;
  if (!frames_top(s, &hi))
    return 0;
  const void *lo = (const void *)&regs;
  size_t n = full ? gc_collect_full(h, vm_store_enumerate, s, lo, (const void *)hi)
                  : gc_reclaim_frames(h, lo, (const void *)hi);
  /* keep regs live until the scan is done */
  __asm__ volatile("" : : "r"(&regs) : "memory");
  /* the next collection when as many objects again were allocated as are
   * live now; a trace when the live bytes double */
  gc_stats st;
  gc_get_stats(h, &st);
  uint64_t step = st.live_objects > 4096 ? st.live_objects : 4096;
  s->gc_next_alloc = st.allocations + step;
  if (full || !s->gc_next_full)
    s->gc_next_full = st.live_bytes > ((uint64_t)1 << 20) ? 2 * st.live_bytes : (uint64_t)2 << 20;
  return n;
}

size_t vm_gc_collect_in_wasm(void *vmctx, bool full) {
  const vm_vmctx_header *hd = vmctx;
  wasm_store_t *s = hd->store;
  return s && s->heap ? collect_here(s, s->heap, full) : 0;
}

size_t vm_gc_collect_store(wasm_store_t *s, bool full) {
  if (!s->heap)
    return 0;
  if (s->depth == 0) /* no Wasm frame: nothing to scan */
    return full ? gc_collect_full(s->heap, vm_store_enumerate, s, NULL, NULL)
                : gc_reclaim(s->heap, false);
  return collect_here(s, s->heap, full);
}

/* Before an allocation by Wasm code: a collection when the allocations
 * since the last one reach its step, and a trace when the live bytes passed
 * the mark (stress mode: vm_gc_alloc_in_store). */
static void before_alloc(wasm_store_t *s, gc_heap *h) {
  if (s->engine->config.gc_stress || gc_allocations(h) < s->gc_next_alloc)
    return;
  gc_stats st;
  gc_get_stats(h, &st);
  collect_here(s, h, st.live_bytes >= s->gc_next_full);
}

gc_ref vm_gc_alloc_in_store(wasm_store_t *s, gc_ref (*alloc)(gc_heap *h, void *arg), void *arg) {
  gc_heap *h = s->heap;
  if (s->engine->config.gc_stress)
    vm_gc_collect_store(s, true);
  gc_ref r = alloc(h, arg);
  /* at the limit: counting, then tracing, each followed by a retry */
  for (int full = 0; r == GC_NULL && gc_last_error(h) == GC_ERR_LIMIT && full < 2; full++) {
    vm_gc_collect_store(s, full == 1);
    r = alloc(h, arg);
  }
  return r;
}

gc_ref vm_gc_alloc(void *vmctx, gc_ref (*alloc)(gc_heap *h, void *arg), void *arg) {
  const vm_vmctx_header *hd = vmctx;
  const vm_instance_head *inst = hd->instance;
  wasm_store_t *s = hd->store;
  gc_heap **cell = inst->heap;
  if (!*cell)
    *cell = s ? vm_store_heap(s) : gc_heap_new(0, GC_HEAP_DEFAULT_FLAGS);
  gc_heap *h = *cell;
  if (!h)
    vm_trap_raise(VM_TRAP_HEAP_EXHAUSTED);
  gc_ref r;
  if (s) {
    before_alloc(s, h);
    r = vm_gc_alloc_in_store(s, alloc, arg);
  } else {
    r = alloc(h, arg); /* an instance without a store (unit tests): no policy */
  }
  if (r == GC_NULL)
    vm_trap_raise(VM_TRAP_HEAP_EXHAUSTED);
  return r;
}
