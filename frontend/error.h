/* frontend/error.h — the frontend's one error channel.
 *
 * Every error is an interned code (errors.def) plus where it happened: byte
 * offset in the module, section id, and the function index when it is inside
 * a code body.  Decoding and validation raise errors with fe_fail(), which
 * long-jumps to the frontend's entry point (fe_module_new); nothing below it
 * checks return codes, and everything it allocated lives in the module arena,
 * which the entry point frees on failure.  (Lua's luaD_throw is the model.)
 */
#ifndef KILN_FRONTEND_ERROR_H
#define KILN_FRONTEND_ERROR_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

typedef enum fe_errcode {
#define ERR(name, kind, msg) FE_E_##name,
#include "errors.def"
#undef ERR
  FE_E_COUNT_
} fe_errcode;

typedef enum fe_errkind {
  FE_KIND_NONE = 0,
  FE_KIND_MALFORMED,
  FE_KIND_INVALID,
  FE_KIND_LIMIT,
} fe_errkind;

/* Section ids, plus pseudo ids for "no section" and "the header". */
enum {
  FE_SEC_CUSTOM = 0, FE_SEC_TYPE = 1, FE_SEC_IMPORT = 2, FE_SEC_FUNCTION = 3,
  FE_SEC_TABLE = 4, FE_SEC_MEMORY = 5, FE_SEC_GLOBAL = 6, FE_SEC_EXPORT = 7,
  FE_SEC_START = 8, FE_SEC_ELEMENT = 9, FE_SEC_CODE = 10, FE_SEC_DATA = 11,
  FE_SEC_DATACOUNT = 12, FE_SEC_TAG = 13,
  FE_SEC_HEADER = 0xfe,
  FE_SEC_NONE = 0xff,
};

#define FE_NO_FUNC UINT32_MAX

typedef struct fe_error {
  fe_errcode code;
  size_t offset;     /* byte offset in the module binary */
  uint8_t section;   /* FE_SEC_* */
  uint32_t func;     /* function index (whole index space) or FE_NO_FUNC */
  char detail[192];  /* specifics, e.g. "expected i32, found i64"; may be "" */
} fe_error;

/* Where errors go: the error record and the jump target.  Long-lived
 * decoding state keeps a pointer to one of these. */
typedef struct fe_errctx {
  fe_error *err;
  jmp_buf *jmp;
  uint8_t section;
  uint32_t func;
} fe_errctx;

const char *fe_error_message(fe_errcode code);
fe_errkind fe_error_kind(fe_errcode code);
const char *fe_errkind_name(fe_errkind kind); /* "malformed module" ... */
const char *fe_section_name(uint8_t section); /* "type section" ... */

/* Formats "<kind>: <message>[: <detail>] at offset 0xNN (<section>[, function N])". */
void fe_error_format(const fe_error *e, char *buf, size_t size);
/* The same line from its parts (message already joined with its detail):
 * the one formatter behind fe_error_format and the public diagnostics. */
void fe_format_line(char *buf, size_t size, const char *kind, const char *message,
                    size_t offset, uint8_t section, uint32_t func);

/* Records the error and long-jumps to ec->jmp.  fmt may be NULL. */
_Noreturn void fe_fail(const fe_errctx *ec, size_t offset, fe_errcode code,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
