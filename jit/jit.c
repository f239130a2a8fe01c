/* jit/jit.c — the compiler object's entry point and host description.
 *
 * Owns the interface table that libkiln finds with dlsym (jit.h).  For now the
 * table holds one function, which reports the LLVM library and the host; the
 * lowering, the pass pipeline and object emission join it with the JIT issue.
 */
#include "jit.h"

#include "emit.h"

#include <stdio.h>
#include <string.h>

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* Copies an LLVM-owned message into dst and frees it.  LLVM allocates these
 * strings with its own allocator, so they must go back through
 * LLVMDisposeMessage, never free().  When `at_comma` is set and the text does
 * not fit, it is cut after the last whole comma-separated item, so that a
 * feature list is never left with half a feature name. */
static void jit_take_message(char *dst, size_t size, char *msg, int at_comma) {
  if (!msg) {
    dst[0] = 0;
    return;
  }
  size_t n = strlen(msg);
  if (n >= size) {
    n = size - 1;
    if (at_comma) {
      while (n > 0 && msg[n] != ',') n--;
    }
  }
  memcpy(dst, msg, n);
  dst[n] = 0;
  LLVMDisposeMessage(msg);
}

/* The host description is what the module cache keys compiled code on (the
 * same bytes compiled for another CPU must not be reused), and what
 * `kiln version` shows.  The version is the loaded library's, not the headers'
 * this object was built with: that is the LLVM that will generate code. */
static void jit_host_info_fill(jit_host_info *out) {
  unsigned major = 0, minor = 0, patch = 0;
  LLVMGetVersion(&major, &minor, &patch);
  snprintf(out->llvm_version, sizeof out->llvm_version, "%u.%u.%u", major,
           minor, patch);
  jit_take_message(out->triple, sizeof out->triple,
                   LLVMGetDefaultTargetTriple(), 0);
  jit_take_message(out->cpu, sizeof out->cpu, LLVMGetHostCPUName(), 0);
  jit_take_message(out->features, sizeof out->features,
                   LLVMGetHostCPUFeatures(), 1);
}

static const jit_interface jit_table = {
    .version = JIT_INTERFACE_VERSION,
    .host_info = jit_host_info_fill,
    .compile = jit_compile,
    .free_output = jit_free_output,
};

/* The one exported symbol.  A table rather than many symbols, so that
 * libkiln does one dlsym and one version check, and the object's surface
 * cannot drift from what libkiln expects without the version changing. */
const jit_interface *kiln_jit_interface(void) { return &jit_table; }
