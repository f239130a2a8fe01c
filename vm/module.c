/* vm/module.c — modules: decoding and validating a binary.
 *
 * The frontend does the work (frontend/module.h: decode, validate, intern the
 * types into the engine's registry); this file turns its result into the
 * public answers: a bool for the standard wasm_module_validate, a diagnostic
 * and a summary for Kiln's extensions.  wasm_module_t itself (keeping the
 * module, compiling it) arrives with the JIT issue.
 */
#include <string.h>

#include "frontend/module.h"
#include "vm.h"

/* fe_module_new copies the bytes, and memcpy from NULL is undefined even for
 * zero bytes: an empty input is given a valid, empty buffer. */
static const uint8_t *vm_bytes_or_empty(const uint8_t *bytes) {
  static const uint8_t empty[1];
  return bytes ? bytes : empty;
}

/* Counts what the module holds.  Index spaces include imports, as the spec
 * numbers them; code_bytes is what the JIT will have to compile. */
static void vm_module_count(const fe_module *m, kiln_module_info_t *info) {
  info->types = m->ntypes;
  info->imports = m->nimports;
  info->functions = m->nfuncs;
  info->defined_functions = m->nfuncs - m->nfunc_imports;
  info->tables = m->ntables;
  info->memories = m->nmems;
  info->globals = m->nglobals;
  info->tags = m->ntags;
  info->exports = m->nexports;
  info->elem_segments = m->nelems;
  info->data_segments = m->ndatas;
  info->code_bytes = 0;
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++)
    info->code_bytes += m->funcs[f].body.len;
}

/* The one path all three entry points take.  The module description is
 * built and dropped at once: validating keeps nothing but the interned
 * types. */
bool kiln_module_inspect(wasm_engine_t *engine, const uint8_t *bytes,
                         size_t size, kiln_module_info_t *info,
                         kiln_diagnostic_t *diag) {
  fe_error err;
  fe_module *m = fe_module_new(engine->types, vm_bytes_or_empty(bytes), size,
                               &err);
  if (info) {
    memset(info, 0, sizeof *info);
    if (m) vm_module_count(m, info);
  }
  if (diag) vm_diag_from_error(diag, m ? NULL : &err);
  if (!m) return false;
  fe_module_free(m);
  return true;
}

bool kiln_module_validate_ex(wasm_engine_t *engine, const uint8_t *bytes,
                             size_t size, kiln_diagnostic_t *diag) {
  return kiln_module_inspect(engine, bytes, size, NULL, diag);
}

/* The standard entry point: validation against the store's engine (types
 * are engine-wide, so the store adds nothing). */
bool wasm_module_validate(wasm_store_t *store, const wasm_byte_vec_t *binary) {
  if (!store || !binary) return false;
  return kiln_module_inspect(store->engine, (const uint8_t *)binary->data,
                             binary->size, NULL, NULL);
}
