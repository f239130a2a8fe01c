/* vm/compiled.c — a module's compiled code: compile through the compiler
 * object (or take it from an artifact: vm/artifact.h), load its one object
 * (the partitions compiled on several threads are merged by the compiler,
 * jit.h) with Kiln's own loader, look up the symbols every instance needs,
 * and register the code with the trap handler. */
#include "instance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "code.h"
#include "image.h"
#include "jit/jit.h"
#include "vm.h"

void vm_compiled_free(vm_compiled *c) {
  if (!c)
    return;
  if (c->code) {
    uintptr_t start;
    size_t len;
    vm_code_text_range(c->code, &start, &len);
    if (len)
      vm_trap_unregister_code(start, len);
    vm_code_free(c->code);
  }
  vm_image_free(c->image);
  free(c->entries);
  free(c->trampolines);
  free(c->host_trampolines);
  free(c->artifact);
  free(c);
}

/* A symbol that must exist in the object. */
static void *symbol_in(vm_code *code, const char *fmt, uint32_t n, char *err, size_t errlen) {
  char name[32];
  snprintf(name, sizeof name, fmt, n);
  void *p = vm_code_symbol(code, name);
  if (!p)
    snprintf(err, errlen, "compiled code lacks %s", name);
  return p;
}

/* 128-bit division, which LLVM's loop optimizations may introduce (trip
 * counts) as calls to the compiler runtime; same ABI as the runtime's. */
static unsigned __int128 kiln_udivti3(unsigned __int128 a, unsigned __int128 b) { return a / b; }
static unsigned __int128 kiln_umodti3(unsigned __int128 a, unsigned __int128 b) { return a % b; }
static __int128 kiln_divti3(__int128 a, __int128 b) { return a / b; }
static __int128 kiln_modti3(__int128 a, __int128 b) { return a % b; }

/* The C library and compiler-runtime routines LLVM may emit calls to when
 * lowering Wasm (memory.copy/fill/init become memmove/memset/memcpy;
 * rounding falls back to libm on CPUs without SSE4.1; 128-bit division in
 * optimized loops).  Nothing else may be undefined in an object: everything
 * else generated code needs comes through vmctx.  The names are resolved
 * at load time, so cached objects stay address-free. */
static void *libc_resolver(void *ud, const char *name) {
  (void)ud;
  static const struct {
    const char *name;
    void *addr;
  } known[] = {
      {"memcpy", (void *)memcpy},   {"memmove", (void *)memmove}, {"memset", (void *)memset},
      {"ceil", (void *)ceil},       {"ceilf", (void *)ceilf},     {"floor", (void *)floor},
      {"floorf", (void *)floorf},   {"trunc", (void *)trunc},     {"truncf", (void *)truncf},
      {"roundeven", (void *)roundeven}, {"roundevenf", (void *)roundevenf},
      {"sqrt", (void *)sqrt},       {"sqrtf", (void *)sqrtf},     {"fmin", (void *)fmin},
      {"fminf", (void *)fminf},     {"fmax", (void *)fmax},       {"fmaxf", (void *)fmaxf},
      {"__udivti3", (void *)kiln_udivti3}, {"__umodti3", (void *)kiln_umodti3},
      {"__divti3", (void *)kiln_divti3},   {"__modti3", (void *)kiln_modti3},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(known[i].name, name) == 0)
      return known[i].addr;
  return NULL;
}

/* Loads the module's object and registers its code with the trap handler
 * (so that vm_compiled_free unregisters exactly what was). */
static bool load_object(vm_compiled *c, const uint8_t *obj, size_t size, char *err,
                        size_t errlen) {
  vm_code *code = vm_code_load(obj, size, libc_resolver, NULL, err, errlen);
  if (!code)
    return false;
  uintptr_t start;
  size_t len;
  vm_code_text_range(code, &start, &len);
  if (len && !vm_trap_register_code(start, len)) {
    vm_code_free(code);
    snprintf(err, errlen, "out of memory registering code");
    return false;
  }
  c->code = code;
  return true;
}

/* A compiled module with its layout and images, before its code. */
static vm_compiled *prepare(const fe_module *m, char *err, size_t errlen) {
  vm_compiled *c = calloc(1, sizeof *c);
  if (c) {
    vm_layout_compute(m, &c->layout);
    c->image = vm_image_new(m, &c->layout);
    if (c->image)
      return c;
    free(c);
  }
  snprintf(err, errlen, "out of memory");
  return NULL;
}

/* Loads the object and looks up what every instance needs. */
static bool finish(vm_compiled *c, const fe_module *m, const uint8_t *obj, size_t size, char *err,
                   size_t errlen) {
  if (!load_object(c, obj, size, err, errlen))
    return false;
  uint32_t ndefined = m->nfuncs - m->nfunc_imports;
  c->entries = calloc(ndefined ? ndefined : 1, sizeof *c->entries);
  c->trampolines = calloc(m->ntypes ? m->ntypes : 1, sizeof *c->trampolines);
  c->host_trampolines = calloc(m->ntypes ? m->ntypes : 1, sizeof *c->host_trampolines);
  if (!c->entries || !c->trampolines || !c->host_trampolines) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  for (uint32_t i = 0; i < ndefined; i++)
    if (!(c->entries[i] = symbol_in(c->code, "kiln_f%u", m->nfunc_imports + i, err, errlen)))
      return false;
  for (uint32_t t = 0; t < m->ntypes; t++) {
    if (m->types[t].kind != FE_COMP_FUNC)
      continue;
    void *p = symbol_in(c->code, "kiln_a%u", t, err, errlen);
    if (!p)
      return false;
    memcpy(&c->trampolines[t], &p, sizeof p);
    if (!(c->host_trampolines[t] = symbol_in(c->code, "kiln_h%u", t, err, errlen)))
      return false;
  }
  void *init = vm_code_symbol(c->code, "kiln_init");
  void *data = vm_code_symbol(c->code, "kiln_data");
  if (!init || !data) {
    snprintf(err, errlen, "compiled code lacks %s", init ? "kiln_data" : "kiln_init");
    return false;
  }
  memcpy(&c->init, &init, sizeof init);
  memcpy(&c->data, &data, sizeof data);
  vm_image_set_code(c->image, m, &c->layout, c->entries, c->trampolines);
  return true;
}

vm_compiled *vm_compiled_new(const fe_module *m, unsigned opt_level, char *err, size_t errlen) {
  vm_compile_opts opts = {opt_level, 0, 0};
  return vm_compiled_new_ex(m, &opts, err, errlen);
}

vm_compiled *vm_compiled_new_ex(const fe_module *m, const vm_compile_opts *opts, char *err,
                                size_t errlen) {
  return vm_compiled_compile(m, opts, NULL, err, errlen);
}

vm_compiled *vm_compiled_compile(const fe_module *m, const vm_compile_opts *opts,
                                 const uint8_t *key, char *err, size_t errlen) {
  const char *why = NULL;
  const jit_interface *jit = vm_compiler_load(&why);
  if (!jit) {
    snprintf(err, errlen, "cannot load the compiler: %s", why ? why : "unknown reason");
    return NULL;
  }
  vm_compiled *c = prepare(m, err, errlen);
  if (!c)
    return NULL;
  jit_request req = {m, &c->layout, &c->image->fold, opts->opt_level, opts->threads,
                     opts->part_bytes};
  jit_output out;
  if (!jit->compile(&req, &out, err, errlen)) {
    vm_compiled_free(c);
    return NULL;
  }
  bool ok = out.count == 1;
  if (!ok)
    snprintf(err, errlen, "the compiler gave %u objects for one module, expected 1 (a compiler "
             "object of another build?)", out.count);
  ok = ok && finish(c, m, out.objects[0].bytes, out.objects[0].size, err, errlen);
  /* The artifact is an extra: without it (out of memory) the module runs,
   * and only serializing it or caching it fails. */
  char artifact_err[128];
  if (ok && key &&
      !vm_artifact_build(m, &c->image->fold, out.objects[0].bytes, out.objects[0].size, opts,
                         key, &c->artifact, &c->artifact_size, artifact_err,
                         sizeof artifact_err))
    c->artifact = NULL;
  jit->free_output(&out);
  if (!ok) {
    vm_compiled_free(c);
    return NULL;
  }
  return c;
}

vm_compiled *vm_compiled_load(const fe_module *m, const vm_artifact *a, char *err,
                              size_t errlen) {
  vm_compiled *c = prepare(m, err, errlen);
  if (!c)
    return NULL;
  if (!vm_artifact_fold_matches(a, m, &c->image->fold)) {
    snprintf(err, errlen, "damaged: the saved fold does not match the module");
    vm_compiled_free(c);
    return NULL;
  }
  if (!finish(c, m, a->obj, a->obj_len, err, errlen)) {
    vm_compiled_free(c);
    return NULL;
  }
  return c;
}
