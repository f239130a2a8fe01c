/* jit/jit.h — the interface between libkiln and the compiler object.
 *
 * The compiler is a shared object (libkiln-jit.so) that libkiln loads with
 * dlopen on first need (vm/compiler.c), so that libkiln itself never links
 * LLVM.  The object exports exactly one symbol, kiln_jit_interface
 * (JIT_ENTRY_SYMBOL), which returns a table of function pointers.  Everything
 * else in the object is hidden.
 *
 * The table carries a version number: libkiln refuses a compiler whose
 * version differs from the JIT_INTERFACE_VERSION it was built with.  Bump
 * JIT_TABLE_VERSION whenever the table or a structure it uses changes (the
 * vmctx ABI is part of the version by itself).  No LLVM type appears
 * here: this header is included by vm/, which must build without LLVM.
 */
#ifndef KILN_JIT_JIT_H
#define KILN_JIT_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vmctx.h"

/* The table's version (5: the request's fold, kiln_data) and the vmctx
 * layout generated code is compiled against (vm/vmctx.h): an object built
 * against another layout would read the wrong fields. */
#define JIT_TABLE_VERSION 5u
#define JIT_INTERFACE_VERSION (JIT_TABLE_VERSION << 16 | KILN_VMCTX_ABI)
#define JIT_ENTRY_SYMBOL "kiln_jit_interface"

/* What the compiler targets: the host, as LLVM sees it.  Strings are
 * NUL-terminated; one too long for its array is cut (features at a comma). */
typedef struct jit_host_info {
  char llvm_version[32]; /* the loaded LLVM library, "major.minor.patch" */
  char triple[128];      /* LLVMGetDefaultTargetTriple */
  char cpu[128];         /* LLVMGetHostCPUName */
  char features[4096];   /* LLVMGetHostCPUFeatures: "+sse2,-avx512f,..." */
} jit_host_info;

struct fe_module;

/* What to compile.  The module must be validated; the layout is the one
 * vm_layout_compute gave for it (the compiler reads offsets, never computes
 * them). */
typedef struct jit_request {
  const struct fe_module *module;
  const vm_layout *layout;
  const vm_fold *fold; /* what the instance's images cover: the init
                          routine leaves it alone (vmctx.h) */
  unsigned opt_level;  /* 0..3, as LLVM's O0..O3 */
  unsigned threads;    /* compile threads; 0: one per core */
  uint32_t part_bytes; /* code bytes per partition at least; 0: default */
} jit_request;

/* A relocatable ELF object, loaded by vm/code.c.  Its global symbols, all
 * defined (the only undefined symbols are the C library routines that
 * vm/compiled.c resolves):
 *   kiln_f<N>   the typed entry of function N (whole index space; defined
 *               functions only), tailcc
 *   kiln_a<T>   the array-call trampoline of function type T (module type
 *               index): void (ptr typed_entry, ptr vmctx, ptr values)
 *   kiln_h<T>   the host trampoline of function type T: a typed entry
 *               (tailcc, same signature as kiln_f of type T) whose vmctx is
 *               a host function's context; it spills the arguments into a
 *               values area, calls VM_BI_CALL_HOST(ctx, values) and returns
 *               the results from it
 *   kiln_init   the init routine: void (ptr vmctx), C calling convention:
 *               globals, table initializers, element segments
 *   kiln_data   its data stage: void (ptr vmctx): active data segments
 *               (separate, so that the instance knows whether a trap came
 *               before the data stage: vm/instance.c) */
typedef struct jit_object {
  uint8_t *bytes; /* malloc'ed */
  size_t size;
} jit_object;

/* A compiled module: one object (count is 1), whatever the number of
 * compile threads.  The functions are compiled in partitions, one per
 * thread, and the partitions' objects merged into this one (jit/link.c):
 * calls between functions are direct calls to kiln_f<N>, none undefined.
 * (An array, so that the interface need not change if a module is ever
 * split into several objects again; libkiln refuses count != 1.) */
typedef struct jit_output {
  jit_object *objects;
  uint32_t count;
} jit_output;

typedef struct jit_interface {
  uint32_t version; /* JIT_INTERFACE_VERSION of the object */
  /* Fills *out with the LLVM version and the host description. */
  void (*host_info)(jit_host_info *out);
  /* Compiles a module.  On failure returns false with a message in err (a
   * compiler bug, an unsupported instruction or a resource failure: the
   * module was validated). */
  bool (*compile)(const jit_request *req, jit_output *out, char *err,
                  size_t errlen);
  void (*free_output)(jit_output *out);
} jit_interface;

/* The type of the entry point, for dlsym. */
typedef const jit_interface *(*jit_entry_fn)(void);

/* The entry point, defined by jit.c.  Never called directly by libkiln. */
__attribute__((visibility("default"))) const jit_interface *
kiln_jit_interface(void);

#endif
