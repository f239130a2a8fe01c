/* vm/trap_api.c — wasm_trap_t, and how traps cross between host callbacks
 * and Wasm code.
 *
 * A trap object is a message (NUL-terminated) and a kiln_trap_code_t.  Traps
 * raised by Wasm code or the VM become trap objects with the spec's
 * wording (vm_trap_message) and the matching code.
 *
 * Host traps.  A host callback called by Wasm code reports a trap by
 * returning a wasm_trap_t; the VM's trap channel carries only a code
 * (vm_trap_raise).  The callback's dispatcher (func.c) therefore parks the
 * trap object in a thread-local slot, the *pending host trap*, and raises
 * VM_TRAP_UNREACHABLE from host code (pc 0).  The long jump lands in the
 * innermost protected call of the thread, which is always one of this
 * layer's (wasm_func_call or wasm_instance_new: activations nest, so a
 * host -> wasm -> host -> wasm chain unwinds one level at a time), and its
 * trap conversion, vm_trap_from_info, takes the pending trap back instead
 * of making a new one: the embedder gets the very object the callback
 * returned, with its message and KILN_TRAP_HOST.  The slot is taken only
 * for an UNREACHABLE trap without pc, and cleared when taken, so a later
 * trap never picks up a stale host trap.
 */
#include <stdlib.h>
#include <string.h>

#include "trap.h"
#include "vm.h"

_Static_assert((int)KILN_TRAP_UNREACHABLE == (int)VM_TRAP_UNREACHABLE &&
                   (int)KILN_TRAP_INT_DIV_ZERO == (int)VM_TRAP_INT_DIV_ZERO &&
                   (int)KILN_TRAP_NULL_REF == (int)VM_TRAP_NULL_REF &&
                   (int)KILN_TRAP_HEAP_EXHAUSTED == (int)VM_TRAP_HEAP_EXHAUSTED &&
                   (int)KILN_TRAP_CAST == (int)VM_TRAP_CAST &&
                   (int)KILN_TRAP_CAST + 1 == (int)VM_TRAP_COUNT_,
               "kiln_trap_code_t mirrors vm_trap_code");

static _Thread_local wasm_trap_t *vm_pending_host_trap;

wasm_trap_t *vm_trap_make(wasm_store_t *s, const char *msg,
                          kiln_trap_code_t code) {
  wasm_trap_t *t = malloc(sizeof *t);
  size_t n = strlen(msg);
  char *m = malloc(n + 1);
  if (!t || !m) {
    free(t);
    free(m);
    return NULL;
  }
  memcpy(m, msg, n + 1);
  t->store = s;
  t->message = m;
  t->code = code;
  return t;
}

wasm_trap_t *vm_trap_from_info(wasm_store_t *s, const vm_trap_info *info) {
  wasm_trap_t *host = vm_pending_host_trap;
  if (host && info->code == VM_TRAP_UNREACHABLE && info->pc == 0) {
    vm_pending_host_trap = NULL;
    return host;
  }
  return vm_trap_make(s, info->message, (kiln_trap_code_t)info->code);
}

_Noreturn void vm_trap_raise_host(wasm_trap_t *trap) {
  wasm_trap_delete(vm_pending_host_trap); /* never set here, but safe */
  vm_pending_host_trap = trap;
  vm_trap_raise(VM_TRAP_UNREACHABLE);
}

wasm_trap_t *wasm_trap_new(wasm_store_t *store, const wasm_message_t *msg) {
  if (!store) return NULL;
  size_t n = msg ? msg->size : 0;
  if (n && msg->data[n - 1] == '\0') n--;
  char *m = malloc(n + 1);
  wasm_trap_t *t = malloc(sizeof *t);
  if (!m || !t) {
    free(m);
    free(t);
    return NULL;
  }
  if (n) memcpy(m, msg->data, n);
  m[n] = '\0';
  t->store = store;
  t->message = m;
  t->code = KILN_TRAP_HOST;
  return t;
}

void wasm_trap_delete(own wasm_trap_t *t) {
  if (!t) return;
  free(t->message);
  free(t);
}

wasm_trap_t *wasm_trap_copy(const wasm_trap_t *t) {
  return t ? vm_trap_make(t->store, t->message, t->code) : NULL;
}

/* The message with its terminating NUL, as the standard's examples expect
 * (they print out.data with %s). */
void wasm_trap_message(const wasm_trap_t *t, own wasm_message_t *out) {
  wasm_byte_vec_new(out, strlen(t->message) + 1, t->message);
}

kiln_trap_code_t kiln_trap_code(const wasm_trap_t *t) { return t->code; }
