/* frontend/error.c — error messages, kinds, formatting, and the raise path. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const messages[FE_E_COUNT_] = {
#define ERR(name, kind, msg) [FE_E_##name] = msg,
#include "errors.def"
#undef ERR
};

static const unsigned char kinds[FE_E_COUNT_] = {
#define ERR(name, kind, msg) [FE_E_##name] = FE_KIND_##kind,
#include "errors.def"
#undef ERR
};

const char *fe_error_message(fe_errcode code) {
  return (unsigned)code < FE_E_COUNT_ ? messages[code] : "unknown error";
}

fe_errkind fe_error_kind(fe_errcode code) {
  return (unsigned)code < FE_E_COUNT_ ? (fe_errkind)kinds[code] : FE_KIND_NONE;
}

const char *fe_errkind_name(fe_errkind kind) {
  switch (kind) {
  case FE_KIND_MALFORMED: return "malformed module";
  case FE_KIND_INVALID: return "invalid module";
  case FE_KIND_LIMIT: return "unsupported module";
  default: return "ok";
  }
}

const char *fe_section_name(uint8_t section) {
  switch (section) {
  case FE_SEC_CUSTOM: return "custom section";
  case FE_SEC_TYPE: return "type section";
  case FE_SEC_IMPORT: return "import section";
  case FE_SEC_FUNCTION: return "function section";
  case FE_SEC_TABLE: return "table section";
  case FE_SEC_MEMORY: return "memory section";
  case FE_SEC_GLOBAL: return "global section";
  case FE_SEC_EXPORT: return "export section";
  case FE_SEC_START: return "start section";
  case FE_SEC_ELEMENT: return "element section";
  case FE_SEC_CODE: return "code section";
  case FE_SEC_DATA: return "data section";
  case FE_SEC_DATACOUNT: return "data count section";
  case FE_SEC_TAG: return "tag section";
  case FE_SEC_HEADER: return "header";
  default: return "module";
  }
}

void fe_format_line(char *buf, size_t size, const char *kind, const char *message,
                    size_t offset, uint8_t section, uint32_t func) {
  char where[64];
  if (func != FE_NO_FUNC)
    snprintf(where, sizeof where, "%s, function %u", fe_section_name(section), func);
  else
    snprintf(where, sizeof where, "%s", fe_section_name(section));
  snprintf(buf, size, "%s: %s at offset 0x%zx (%s)", kind, message, offset, where);
}

void fe_error_format(const fe_error *e, char *buf, size_t size) {
  char message[256];
  snprintf(message, sizeof message, "%s%s%s", fe_error_message(e->code),
           e->detail[0] ? ": " : "", e->detail);
  fe_format_line(buf, size, fe_errkind_name(fe_error_kind(e->code)), message,
                 e->offset, e->section, e->func);
}

void fe_fail(const fe_errctx *ec, size_t offset, fe_errcode code,
             const char *fmt, ...) {
  fe_error *e = ec->err;
  e->code = code;
  e->offset = offset;
  e->section = ec->section;
  e->func = ec->func;
  e->detail[0] = 0;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
  }
  longjmp(*ec->jmp, 1);
}
