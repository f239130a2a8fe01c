/* frontend/reader.h — reading the binary format: bytes, LEB128, floats, names.
 *
 * A reader is a cursor over [start, end) inside the module bytes; `base` is
 * the beginning of the module, so offsets in errors are module offsets.
 * Every read checks bounds and raises through the reader's error context:
 * callers never test results.  Sub-readers for sections and bodies share the
 * error context and have a narrower `end`.
 *
 * Reading past `end` raises `eof_code`: FE_E_UNEXPECTED_END for the module
 * level, FE_E_UNEXPECTED_END_SECTION inside a section or a function body,
 * matching the spec's wording.
 */
#ifndef KILN_FRONTEND_READER_H
#define KILN_FRONTEND_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

typedef struct fe_reader {
  const uint8_t *base; /* module start: offsets are relative to it */
  const uint8_t *p;    /* cursor */
  const uint8_t *end;
  const fe_errctx *ec;
  fe_errcode eof_code;
} fe_reader;

static inline size_t fe_offset(const fe_reader *r) { return (size_t)(r->p - r->base); }
static inline bool fe_at_end(const fe_reader *r) { return r->p >= r->end; }
static inline size_t fe_remaining(const fe_reader *r) { return (size_t)(r->end - r->p); }

/* Raises code at the reader's current offset. */
#define fe_rfail(r, code, ...) fe_fail((r)->ec, fe_offset(r), (code), __VA_ARGS__)

_Noreturn void fe_reader_eof(const fe_reader *r);

static inline uint8_t fe_read_u8(fe_reader *r) {
  if (r->p >= r->end)
    fe_reader_eof(r);
  return *r->p++;
}

static inline uint8_t fe_peek_u8(fe_reader *r) {
  if (r->p >= r->end)
    fe_reader_eof(r);
  return *r->p;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64). */
uint64_t fe_read_uleb(fe_reader *r, unsigned bits);
/* Signed LEB128 of at most `bits` bits (7, 32, 33 or 64), sign-extended. */
int64_t fe_read_sleb(fe_reader *r, unsigned bits);

static inline uint32_t fe_read_u32(fe_reader *r) {
  const uint8_t *p = r->p;
  if (p < r->end && *p < 0x80) { /* the common one-byte case */
    r->p = p + 1;
    return *p;
  }
  return (uint32_t)fe_read_uleb(r, 32);
}
static inline uint64_t fe_read_u64(fe_reader *r) { return fe_read_uleb(r, 64); }
static inline int32_t fe_read_s32(fe_reader *r) { return (int32_t)fe_read_sleb(r, 32); }
static inline int64_t fe_read_s33(fe_reader *r) { return fe_read_sleb(r, 33); }
static inline int64_t fe_read_s64(fe_reader *r) { return fe_read_sleb(r, 64); }

/* n raw bytes; returns a pointer into the module. */
const uint8_t *fe_read_bytes(fe_reader *r, size_t n);
static inline uint32_t fe_read_f32_bits(fe_reader *r) {
  uint32_t v;
  memcpy(&v, fe_read_bytes(r, 4), 4); /* little-endian hosts only */
  return v;
}
static inline uint64_t fe_read_f64_bits(fe_reader *r) {
  uint64_t v;
  memcpy(&v, fe_read_bytes(r, 8), 8);
  return v;
}

/* A vector length that must leave room for at least `min_elem_size` bytes
 * per element in the rest of the reader (raises the reader's eof code
 * otherwise, as the spec's decoder would running out of input), so that no
 * caller allocates from a forged count. */
uint32_t fe_read_count(fe_reader *r, size_t min_elem_size);

/* A name: u32 length + UTF-8 bytes (validated: FE_E_UTF8).  Returns a
 * pointer into the module; *len gets the byte length. */
const char *fe_read_name(fe_reader *r, uint32_t *len);

/* True if [s, s+n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool fe_utf8_valid(const uint8_t *s, size_t n);

/* A sub-reader over the next n bytes (raises if fewer remain); advances r. */
fe_reader fe_sub_reader(fe_reader *r, size_t n, fe_errcode eof_code);

#endif
