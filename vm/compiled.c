/* vm/compiled.c — a module's compiled code: compile through the compiler
 * object, load the object with Kiln's own loader, look up the symbols every
 * instance needs, and register the code with the trap handler. */
#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "jit/jit.h"
#include "vm.h"

void vm_compiled_free(vm_compiled *c) {
  if (!c)
    return;
  if (c->text_len)
    vm_trap_unregister_code(c->text_start, c->text_len);
  vm_code_free(c->code);
  free(c->entries);
  free(c->trampolines);
  free(c->host_trampolines);
  free(c);
}

static void *symbol(vm_compiled *c, const char *fmt, uint32_t n, char *err, size_t errlen) {
  char name[32];
  snprintf(name, sizeof name, fmt, n);
  void *p = vm_code_symbol(c->code, name);
  if (!p)
    snprintf(err, errlen, "compiled code lacks %s", name);
  return p;
}

vm_compiled *vm_compiled_new(const fe_module *m, unsigned opt_level, char *err, size_t errlen) {
  const char *why = NULL;
  const jit_interface *jit = vm_compiler_load(&why);
  if (!jit) {
    snprintf(err, errlen, "cannot load the compiler: %s", why ? why : "unknown reason");
    return NULL;
  }
  vm_compiled *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  vm_layout_compute(m, &c->layout);
  jit_request req = {m, &c->layout, opt_level};
  jit_object obj;
  if (!jit->compile(&req, &obj, err, errlen)) {
    free(c);
    return NULL;
  }
  c->code = vm_code_load(obj.bytes, obj.size, NULL, NULL, err, errlen);
  jit->free_object(&obj);
  if (!c->code)
    goto fail;
  uint32_t ndefined = m->nfuncs - m->nfunc_imports;
  c->entries = calloc(ndefined ? ndefined : 1, sizeof *c->entries);
  c->trampolines = calloc(m->ntypes ? m->ntypes : 1, sizeof *c->trampolines);
  c->host_trampolines = calloc(m->ntypes ? m->ntypes : 1, sizeof *c->host_trampolines);
  if (!c->entries || !c->trampolines || !c->host_trampolines) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  for (uint32_t i = 0; i < ndefined; i++)
    if (!(c->entries[i] = symbol(c, "kiln_f%u", m->nfunc_imports + i, err, errlen)))
      goto fail;
  for (uint32_t t = 0; t < m->ntypes; t++) {
    if (m->types[t].kind != FE_COMP_FUNC)
      continue;
    void *p = symbol(c, "kiln_a%u", t, err, errlen);
    if (!p)
      goto fail;
    memcpy(&c->trampolines[t], &p, sizeof p);
    if (!(c->host_trampolines[t] = symbol(c, "kiln_h%u", t, err, errlen)))
      goto fail;
  }
  void *init = vm_code_symbol(c->code, "kiln_init");
  if (!init) {
    snprintf(err, errlen, "compiled code lacks kiln_init");
    goto fail;
  }
  memcpy(&c->init, &init, sizeof init);
  vm_code_text_range(c->code, &c->text_start, &c->text_len);
  if (c->text_len && !vm_trap_register_code(c->text_start, c->text_len)) {
    c->text_len = 0;
    snprintf(err, errlen, "out of memory registering code");
    goto fail;
  }
  return c;
fail:
  vm_compiled_free(c);
  return NULL;
}
