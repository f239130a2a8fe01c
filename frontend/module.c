/* frontend/module.c — the lifetime of a module description.
 *
 * fe_module_new is the frontend's one protected call (error.h): it sets the
 * jump target that every decoding and validation error long-jumps to, owns
 * the arena everything else is allocated from, and on an error frees it all
 * in one go.  What the bytes mean is decode.c's business; this file only
 * creates, copies, recovers and frees.
 *
 * The fe_module struct is malloc'ed, not taken from its own arena: the arena
 * header lives inside the struct, and fe_arena_free updates that header
 * after freeing the blocks, which it could not do if the struct were in one
 * of them.
 */
#include "module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "validate.h"

/* ------------------------------------------------------------------------
 * Creation
 * ---------------------------------------------------------------------- */

/* Fills *err without a long jump: for failures before the jump target
 * exists. */
static void set_error(fe_error *err, fe_errcode code, size_t offset) {
  memset(err, 0, sizeof *err);
  err->code = code;
  err->offset = offset;
  err->section = FE_SEC_NONE;
  err->func = FE_NO_FUNC;
}

/* The protected part: sets the jump target, copies the bytes, decodes.
 * Returns false with *err filled if anything raised; the caller frees the
 * arena.  The validator is freed on both exits; `v` is volatile because it
 * is read after a long jump, where the C standard leaves non-volatile
 * locals modified after setjmp indeterminate.  Nothing else here is
 * modified after setjmp. */
static bool decode_protected(fe_module *m, const uint8_t *bytes, size_t size,
                             fe_error *err) {
  jmp_buf jmp;
  fe_errctx ec = {err, &jmp, FE_SEC_HEADER, FE_NO_FUNC};
  fe_validator *volatile v = NULL;
  m->arena.ec = &ec;
  if (setjmp(jmp)) {
    /* *err has been filled by fe_fail */
    if (v)
      fe_validator_free(v);
    return false;
  }

  m->bytes = fe_arena_alloc(&m->arena, size);
  if (size)
    memcpy(m->bytes, bytes, size);
  m->size = size;

  v = fe_validator_new(m, &ec);
  if (!v)
    fe_fail(&ec, 0, FE_E_NOMEM, "creating the validator");
  fe_decode_module(m, v, &ec);
  fe_validator_free(v);
  v = NULL;
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++)
    m->code_bytes += m->funcs[f].body.len;

  /* The module is immutable from here on; nothing may raise through the
   * error context, which dies with this frame. */
  m->arena.ec = NULL;
  return true;
}

/* Spans are 32-bit offsets into the module's bytes, so a module can be at
 * most 4 GiB - 1 bytes long. */
fe_module *fe_module_new(fe_typereg *reg, const uint8_t *bytes, size_t size,
                         fe_error *err) {
  fe_error scratch;
  if (!err)
    err = &scratch;
  if (size > UINT32_MAX) {
    set_error(err, FE_E_TOO_MANY, 0);
    snprintf(err->detail, sizeof err->detail,
             "module of %zu bytes (at most 4 GiB - 1)", size);
    return NULL;
  }
  fe_module *m = calloc(1, sizeof *m);
  if (!m) {
    set_error(err, FE_E_NOMEM, 0);
    return NULL;
  }
  fe_arena_init(&m->arena, NULL);
  m->reg = reg;
  if (!decode_protected(m, bytes, size, err)) {
    fe_arena_free(&m->arena);
    free(m);
    return NULL;
  }
  set_error(err, FE_E_OK, 0);
  return m;
}

/* ------------------------------------------------------------------------
 * Destruction
 * ---------------------------------------------------------------------- */

void fe_module_free(fe_module *m) {
  if (!m)
    return;
  fe_arena_free(&m->arena);
  free(m);
}
