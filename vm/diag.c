/* vm/diag.c — diagnostics: the public form of a frontend error.
 *
 * The frontend reports an error as an interned code plus where it happened
 * (frontend/error.h).  The public kiln_diagnostic_t carries the same facts
 * with the code spelled out as text (the spec's wording and the specifics),
 * so that embedders need no frontend header.
 *
 * There is one formatter for error lines, fe_error_format, so that the CLI,
 * the spec-test driver and embedders print identical text.
 * kiln_diagnostic_format therefore rebuilds the fe_error a diagnostic came
 * from and calls it, rather than formatting a second way.
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

/* Recovers the frontend error behind a diagnostic: the code is the one of the
 * diagnostic's kind whose message starts diag->message, followed by the end
 * or by ": " and the detail.  The longest such message wins, so "unexpected
 * end" does not shadow "unexpected end of section or function".  Returns
 * false for a diagnostic Kiln did not make. */
static bool vm_diag_to_error(const kiln_diagnostic_t *diag, fe_error *err) {
  const char *text = diag->message;
  size_t best_len = 0;
  int best = -1;
  for (int c = 0; c < FE_E_COUNT_; c++) {
    if (vm_diag_kind(fe_error_kind((fe_errcode)c)) != diag->kind) continue;
    const char *msg = fe_error_message((fe_errcode)c);
    size_t len = strlen(msg);
    if (len <= best_len || strncmp(text, msg, len) != 0) continue;
    if (text[len] != 0 && !(text[len] == ':' && text[len + 1] == ' '))
      continue;
    best = c;
    best_len = len;
  }
  if (best < 0) return false;
  memset(err, 0, sizeof *err);
  err->code = (fe_errcode)best;
  err->offset = diag->offset;
  err->section = diag->section_id;
  err->func = diag->func_index;
  if (text[best_len])
    snprintf(err->detail, sizeof err->detail, "%s", text + best_len + 2);
  return true;
}

/* snprintf's contract (see kiln.h), on top of fe_error_format, which
 * truncates silently: the line is formatted into a buffer large enough for
 * any diagnostic, then copied. */
size_t kiln_diagnostic_format(const kiln_diagnostic_t *diag, char *buf,
                              size_t size) {
  char line[sizeof diag->message + 256];
  fe_error err;
  if (diag->kind == KILN_DIAG_OK)
    snprintf(line, sizeof line, "ok");
  else if (vm_diag_to_error(diag, &err))
    fe_error_format(&err, line, sizeof line);
  else /* not made by Kiln: its message is all there is to show */
    snprintf(line, sizeof line, "%s", diag->message);
  size_t n = strlen(line);
  if (size) {
    size_t k = n < size ? n : size - 1;
    memcpy(buf, line, k);
    buf[k] = 0;
  }
  return n;
}
