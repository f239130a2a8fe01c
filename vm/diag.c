/* vm/diag.c — diagnostics: the public form of a frontend error.
 *
 * The frontend reports an error as an interned code plus where it happened
 * (frontend/error.h).  The public kiln_diagnostic_t carries the same facts
 * with the code spelled out as text (the spec's wording and the specifics),
 * so that embedders need no frontend header.
 *
 * There is one formatter for error lines, fe_format_line (behind
 * fe_error_format too), so that the CLI, the spec-test driver and embedders
 * print identical text.
 */
#include <stdio.h>
#include <string.h>

#include "vm.h"

_Static_assert(KILN_SECTION_HEADER == FE_SEC_HEADER, "section ids differ");
_Static_assert(KILN_SECTION_NONE == FE_SEC_NONE, "section ids differ");
_Static_assert(KILN_NO_FUNC == FE_NO_FUNC, "function sentinels differ");

/* The frontend's "limit" errors (out of memory, implementation limits) are
 * neither malformed nor invalid in the spec's sense: the module may be fine,
 * Kiln cannot take it. */
static kiln_diag_kind_t vm_diag_kind(fe_errkind kind) {
  switch (kind) {
  case FE_KIND_MALFORMED: return KILN_DIAG_MALFORMED;
  case FE_KIND_INVALID: return KILN_DIAG_INVALID;
  case FE_KIND_LIMIT: return KILN_DIAG_UNSUPPORTED;
  default: return KILN_DIAG_OK;
  }
}

/* The kind as fe_errkind_name spells it. */
static const char *vm_diag_kind_name(kiln_diag_kind_t kind) {
  switch (kind) {
  case KILN_DIAG_MALFORMED: return fe_errkind_name(FE_KIND_MALFORMED);
  case KILN_DIAG_INVALID: return fe_errkind_name(FE_KIND_INVALID);
  default: return fe_errkind_name(FE_KIND_LIMIT);
  }
}

void vm_diag_from_error(kiln_diagnostic_t *diag, const fe_error *err) {
  memset(diag, 0, sizeof *diag);
  if (!err) {
    diag->kind = KILN_DIAG_OK;
    diag->section_id = KILN_SECTION_NONE;
    diag->section = "";
    diag->func_index = KILN_NO_FUNC;
    return;
  }
  diag->kind = vm_diag_kind(fe_error_kind(err->code));
  /* A failure must never read as success, even if the frontend forgot to
   * set a code. */
  if (diag->kind == KILN_DIAG_OK) diag->kind = KILN_DIAG_UNSUPPORTED;
  diag->offset = err->offset;
  diag->section_id = err->section;
  diag->section = fe_section_name(err->section);
  diag->func_index = err->func;
  snprintf(diag->message, sizeof diag->message, "%s%s%s",
           fe_error_message(err->code), err->detail[0] ? ": " : "",
           err->detail);
}

/* snprintf's contract (see kiln.h), on top of fe_error_format, which
 * truncates silently: the line is formatted into a buffer large enough for
 * any diagnostic, then copied. */
void vm_diag_nomem(kiln_diagnostic_t *diag, const char *what) {
  fe_error oom = {.code = FE_E_NOMEM, .section = FE_SEC_NONE, .func = FE_NO_FUNC};
  snprintf(oom.detail, sizeof oom.detail, "%s", what);
  vm_diag_from_error(diag, &oom);
}

size_t kiln_diagnostic_format(const kiln_diagnostic_t *diag, char *buf,
                              size_t size) {
  char line[sizeof diag->message + 256];
  if (diag->kind == KILN_DIAG_OK)
    snprintf(line, sizeof line, "ok");
  else
    fe_format_line(line, sizeof line, vm_diag_kind_name(diag->kind), diag->message,
                   diag->offset, diag->section_id, diag->func_index);
  size_t n = strlen(line);
  if (size) {
    size_t k = n < size ? n : size - 1;
    memcpy(buf, line, k);
    buf[k] = 0;
  }
  return n;
}
