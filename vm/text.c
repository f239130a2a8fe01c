/* vm/text.c — kiln_wat2wasm: the text format for embedders (kiln.h),
 * a thin layer over frontend/wat.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/wat.h"
#include "vm.h"

bool kiln_wat2wasm(const char *text, size_t len, wasm_byte_vec_t *out, kiln_text_error_t *err) {
  wasm_byte_vec_new_empty(out);
  wat_module m;
  wat_error e;
  if (!text && len) {
    if (err)
      *err = (kiln_text_error_t){0, 0, "no text"};
    return false;
  }
  if (!wat_parse_text(text ? text : "", len, &m, &e)) {
    if (err) {
      err->line = e.line;
      err->column = e.col;
      snprintf(err->message, sizeof err->message, "%s", e.msg);
    }
    return false;
  }
  wasm_byte_vec_new(out, m.size, (const wasm_byte_t *)m.bytes);
  bool ok = out->data != NULL;
  wat_module_free(&m);
  if (!ok && err)
    *err = (kiln_text_error_t){0, 0, "out of memory"};
  return ok;
}
