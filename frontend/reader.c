/* frontend/reader.c — LEB128, names and UTF-8 (see reader.h). */
#include "reader.h"

void fe_reader_eof(const fe_reader *r) {
  fe_fail(r->ec, fe_offset(r), r->eof_code, NULL);
}

/* The spec: an N-bit LEB128 uses at most ceil(N/7) bytes, and the unused
 * bits of the last byte must be zero ("integer too large"); a longer
 * encoding is "integer representation too long". */
uint64_t fe_read_uleb(fe_reader *r, unsigned bits) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t start = fe_offset(r);
  for (;;) {
    uint8_t b = fe_read_u8(r);
    if (shift + 7 >= bits) { /* last permitted byte */
      unsigned used = bits - shift;
      if (b & 0x80)
        fe_fail(r->ec, start, FE_E_LEB_TOO_LONG, NULL);
      if (used < 7 && (b >> used) != 0)
        fe_fail(r->ec, start, FE_E_LEB_TOO_LARGE, NULL);
      return result | ((uint64_t)b << shift);
    }
    result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80))
      return result;
  }
}

int64_t fe_read_sleb(fe_reader *r, unsigned bits) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t start = fe_offset(r);
  for (;;) {
    uint8_t b = fe_read_u8(r);
    if (shift + 7 >= bits) { /* last permitted byte */
      unsigned used = bits - shift; /* value bits in this byte, 1..7 */
      if (b & 0x80)
        fe_fail(r->ec, start, FE_E_LEB_TOO_LONG, NULL);
      /* bits above `used` (within the 7 payload bits) must all equal the
       * sign bit (bit used-1) */
      if (used < 7) {
        uint8_t rest = (uint8_t)((b & 0x7f) >> (used - 1));
        uint8_t all = (uint8_t)(0x7f >> (used - 1));
        if (rest != 0 && rest != all)
          fe_fail(r->ec, start, FE_E_LEB_TOO_LARGE, NULL);
      }
      result |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      break;
    }
    result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80))
      break;
  }
  if (shift < 64 && (result >> (shift - 1)) & 1)
    result |= ~(uint64_t)0 << shift; /* sign-extend */
  return (int64_t)result;
}

const uint8_t *fe_read_bytes(fe_reader *r, size_t n) {
  if (fe_remaining(r) < n) {
    r->p = r->end;
    fe_reader_eof(r);
  }
  const uint8_t *p = r->p;
  r->p += n;
  return p;
}

uint32_t fe_read_count(fe_reader *r, size_t min_elem_size) {
  uint32_t n = fe_read_u32(r);
  if (min_elem_size && (uint64_t)n * min_elem_size > fe_remaining(r)) {
    /* Not enough bytes left for n elements: report it as the spec's
     * decoder would, which runs out of input while reading them. */
    r->p = r->end;
    fe_reader_eof(r);
  }
  return n;
}

bool fe_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t len;
    if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

const char *fe_read_name(fe_reader *r, uint32_t *len) {
  uint32_t n = fe_read_u32(r);
  size_t at = fe_offset(r);
  if (n > fe_remaining(r)) {
    /* the spec's decoder reports a name running past its section as
     * "unexpected end" (length out of bounds within a section) */
    r->p = r->end;
    fe_reader_eof(r);
  }
  const uint8_t *s = fe_read_bytes(r, n);
  if (!fe_utf8_valid(s, n))
    fe_fail(r->ec, at, FE_E_UTF8, NULL);
  *len = n;
  return (const char *)s;
}

fe_reader fe_sub_reader(fe_reader *r, size_t n, fe_errcode eof_code) {
  fe_reader sub = *r;
  sub.p = fe_read_bytes(r, n);
  sub.end = sub.p + n;
  sub.eof_code = eof_code;
  return sub;
}
