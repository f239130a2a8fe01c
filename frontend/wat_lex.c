/* frontend/wat_lex.c — tokens of the text format and the values of number
 * and string tokens (see wat_lex.h).
 *
 * Tokenisation follows Wasm 3.0 (spec 6.2): after white space, a token is
 * `(`, `)`, or the longest run of idchars, strings and the characters
 * `, ; [ ] { }` (a `;` only when it does not start a `;;` comment).  The run
 * is then classified as a whole, so `0$x`, `"a""b"` and `$l"a"` are single
 * tokens (reserved or an unparsable number), never two tokens glued together.
 *
 * Float literals are rounded here, exactly and once (hex: 64 significant
 * bits and a sticky bit; decimal: big integers), not by the C library.
 *
 * All scanning is iterative: nesting of block comments and annotations is a
 * counter, so hostile input cannot deepen the C stack.  Every read is
 * checked against the buffer's length; nothing assumes a terminating NUL.
 */
#include "wat_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Characters
 * ---------------------------------------------------------------------- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static int hex_value(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Spec 6.2 Tidchar: letters, digits and 23 printable symbols. */
static bool is_idchar(int c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
    return true;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
  case '+': case '-': case '.': case '/': case ':': case '<': case '=':
  case '>': case '?': case '@': case '\\': case '^': case '_': case '`':
  case '|': case '~':
    return true;
  default:
    return false;
  }
}

/* Characters that only ever form reserved tokens (spec 6.2 Treserved). */
static bool is_reserved_punct(int c) {
  return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

/* The length of the well-formed UTF-8 sequence at p (n >= 1 bytes
 * available), or 0.  Rejects overlong forms, surrogates and code points
 * above U+10FFFF (the table of Unicode 3.9, "well-formed byte sequences"). */
static size_t utf8_seq(const uint8_t *p, size_t n) {
  uint8_t c = p[0];
  if (c < 0x80)
    return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0)
      lo = 0xa0; /* overlong */
    else if (c == 0xed)
      hi = 0x9f; /* surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0)
      lo = 0x90; /* overlong */
    else if (c == 0xf4)
      hi = 0x8f; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t k = 2; k < len; k++)
    if ((p[k] & 0xc0) != 0x80)
      return 0;
  return len;
}

bool wat_utf8_valid(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t len = utf8_seq(p + i, n - i);
    if (len == 0)
      return false;
    i += len;
  }
  return true;
}

/* Appends the UTF-8 encoding of a scalar value; returns its length. */
static size_t utf8_put(uint8_t *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xc0 | (cp >> 6));
    out[1] = (uint8_t)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xe0 | (cp >> 12));
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (uint8_t)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (uint8_t)(0xf0 | (cp >> 18));
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (cp & 0x3f));
  return 4;
}

/* ------------------------------------------------------------------------
 * Lexer state helpers
 * ---------------------------------------------------------------------- */

void wat_lex_init(wat_lexer *lx, const char *src, size_t len) {
  memset(lx, 0, sizeof *lx);
  /* An empty text may come as NULL (an empty `(module quote)`); the lexer
   * computes src + offset, which is undefined on NULL even for 0. */
  lx->src = src ? src : "";
  lx->len = len;
  lx->line = 1;
}

static uint8_t byte_at(const wat_lexer *lx, size_t i) {
  return (uint8_t)lx->src[i];
}

/* Whether the two bytes at i are a and b. */
static bool has2(const wat_lexer *lx, size_t i, char a, char b) {
  return lx->len - i >= 2 && lx->src[i] == a && lx->src[i + 1] == b;
}

/* The position of offset `off`, which must be on the current line (every
 * scanner advances the line counter as it passes a newline, and strings,
 * the only constructs whose errors point past the scan position, cannot
 * contain one). */
static wat_pos pos_of(const wat_lexer *lx, size_t off) {
  wat_pos p = {off, lx->line, (uint32_t)(off - lx->line_start + 1)};
  return p;
}

/* Records an error at `pos` and leaves the lexer at `resume`. */
__attribute__((format(printf, 4, 5)))
static bool lex_fail(wat_lexer *lx, wat_pos pos, size_t resume, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(lx->err.msg, sizeof lx->err.msg, fmt, ap);
  va_end(ap);
  lx->err.pos = pos;
  lx->at = resume;
  return false;
}

/* If a newline (LF, CR or CR LF) starts at *i, passes it, counts the line
 * and returns true. */
static bool pass_newline(wat_lexer *lx, size_t *i) {
  uint8_t c = byte_at(lx, *i);
  if (c != '\n' && c != '\r')
    return false;
  (*i)++;
  if (c == '\r' && *i < lx->len && lx->src[*i] == '\n')
    (*i)++;
  lx->line++;
  lx->line_start = *i;
  return true;
}

/* Passes one character of comment text at *i: any Unicode scalar value,
 * newlines counted.  False (with the error) on malformed UTF-8. */
static bool pass_comment_char(wat_lexer *lx, size_t *i) {
  if (pass_newline(lx, i))
    return true;
  size_t len = utf8_seq((const uint8_t *)lx->src + *i, lx->len - *i);
  if (len == 0)
    return lex_fail(lx, pos_of(lx, *i), *i + 1, "malformed UTF-8 encoding");
  *i += len;
  return true;
}

/* A line comment from `;;` at *i up to (not including) its newline. */
static bool skip_line_comment(wat_lexer *lx, size_t *i) {
  *i += 2;
  while (*i < lx->len && lx->src[*i] != '\n' && lx->src[*i] != '\r')
    if (!pass_comment_char(lx, i))
      return false;
  return true;
}

/* A block comment from `(;` at *i through its matching `;)`. */
static bool skip_block_comment(wat_lexer *lx, size_t *i) {
  wat_pos start = pos_of(lx, *i);
  size_t depth = 1;
  *i += 2;
  while (depth > 0) {
    if (*i >= lx->len)
      return lex_fail(lx, start, lx->len, "unterminated block comment");
    if (has2(lx, *i, '(', ';')) {
      depth++;
      *i += 2;
    } else if (has2(lx, *i, ';', ')')) {
      depth--;
      *i += 2;
    } else if (!pass_comment_char(lx, i)) {
      return false;
    }
  }
  return true;
}

/* ------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------- */

/* After an error inside a string: the offset just after the string's
 * closing quote, or of the newline or end that cuts it short. */
static size_t string_resume(const wat_lexer *lx, size_t i) {
  while (i < lx->len) {
    char c = lx->src[i];
    if (c == '"')
      return i + 1;
    if (c == '\n' || c == '\r')
      return i;
    i += (c == '\\' && lx->len - i >= 2 && lx->src[i + 1] != '\n' &&
          lx->src[i + 1] != '\r') ? 2 : 1;
  }
  return i;
}

/* Scans `\u{hexnum}` whose `{` is at *i; on success *i is after the `}`
 * and *cp the value.  False if malformed (no error recorded). */
static bool scan_unicode_escape(const wat_lexer *lx, size_t *i, uint32_t *cp) {
  size_t j = *i + 1;
  uint32_t v = 0;
  bool digit_before = false;
  for (;;) {
    if (j >= lx->len)
      return false;
    char c = lx->src[j];
    int h = hex_value(c);
    if (h >= 0) {
      if (v <= 0x10ffff)
        v = v * 16 + (uint32_t)h; /* saturates above the range, stays < 2^25 */
      digit_before = true;
    } else if (c == '_' && digit_before && j + 1 < lx->len &&
               hex_value(lx->src[j + 1]) >= 0) {
      digit_before = false;
    } else if (c == '}' && digit_before) {
      break;
    } else {
      return false;
    }
    j++;
  }
  if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    return false;
  *i = j + 1;
  *cp = v;
  return true;
}

/* Scans the string whose opening quote is at `start`; *end receives the
 * offset after the closing quote.  Errors: a newline or the end of input
 * before the closing quote, a control character, a malformed escape, and
 * malformed UTF-8. */
static bool scan_string(wat_lexer *lx, size_t start, size_t *end) {
  size_t i = start + 1;
  for (;;) {
    if (i >= lx->len)
      return lex_fail(lx, pos_of(lx, start), lx->len, "unterminated string");
    uint8_t c = byte_at(lx, i);
    if (c == '"') {
      *end = i + 1;
      return true;
    }
    if (c == '\n' || c == '\r')
      return lex_fail(lx, pos_of(lx, start), i, "unterminated string (newline in string)");
    if (c == '\\') {
      if (i + 1 >= lx->len)
        return lex_fail(lx, pos_of(lx, start), lx->len, "unterminated string");
      uint8_t e = byte_at(lx, i + 1);
      uint32_t cp;
      size_t j = i + 2;
      if (e == 't' || e == 'n' || e == 'r' || e == '"' || e == '\'' || e == '\\') {
        i += 2;
      } else if (hex_value(e) >= 0 && i + 2 < lx->len && hex_value(lx->src[i + 2]) >= 0) {
        i += 3;
      } else if (e == 'u' && j < lx->len && lx->src[j] == '{' &&
                 scan_unicode_escape(lx, &j, &cp)) {
        i = j;
      } else {
        return lex_fail(lx, pos_of(lx, i), string_resume(lx, i + 1),
                        "invalid escape in string");
      }
      continue;
    }
    if (c < 0x20 || c == 0x7f)
      return lex_fail(lx, pos_of(lx, i), string_resume(lx, i + 1),
                      "control character 0x%02x in string", c);
    size_t len = utf8_seq((const uint8_t *)lx->src + i, lx->len - i);
    if (len == 0)
      return lex_fail(lx, pos_of(lx, i), string_resume(lx, i + 1),
                      "malformed UTF-8 encoding in string");
    i += len;
  }
}

/* Decodes the string literal [s, s+n) (quotes included) into out, which
 * holds n bytes.  Works on any text: an escape cut short is dropped. */
static size_t decode_string(const char *s, size_t n, uint8_t *out) {
  size_t o = 0;
  if (n < 2)
    return 0;
  size_t i = 1, end = n - 1; /* inside the quotes */
  while (i < end) {
    char c = s[i];
    if (c != '\\') {
      out[o++] = (uint8_t)c;
      i++;
      continue;
    }
    if (i + 1 >= end)
      break;
    char e = s[i + 1];
    switch (e) {
    case 't': out[o++] = '\t'; i += 2; continue;
    case 'n': out[o++] = '\n'; i += 2; continue;
    case 'r': out[o++] = '\r'; i += 2; continue;
    case '"': case '\'': case '\\': out[o++] = (uint8_t)e; i += 2; continue;
    default: break;
    }
    if (e == 'u') {
      uint32_t cp = 0;
      size_t j = i + 3; /* after `\u{` */
      while (j < end && s[j] != '}') {
        int h = hex_value(s[j]);
        if (h >= 0 && cp <= 0x10ffff)
          cp = cp * 16 + (uint32_t)h;
        j++;
      }
      if (cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff))
        o += utf8_put(out + o, cp);
      i = j + 1;
      continue;
    }
    if (i + 2 >= end)
      break;
    int hi = hex_value(e), lo = hex_value(s[i + 2]);
    if (hi >= 0 && lo >= 0)
      out[o++] = (uint8_t)(hi * 16 + lo);
    i += 3;
  }
  return o;
}

size_t wat_string(const wat_tok *t, uint8_t *out) {
  return decode_string(t->text, t->len, out);
}

/* Whether the string literal [s, s+n) denotes a non-empty, well-formed
 * UTF-8 name (quoted identifiers and annotation ids must). */
static bool string_is_name(const char *s, size_t n) {
  uint8_t small[256];
  uint8_t *buf = n <= sizeof small ? small : malloc(n);
  if (!buf)
    return false;
  size_t len = decode_string(s, n, buf);
  bool ok = len > 0 && wat_utf8_valid(buf, len);
  if (buf != small)
    free(buf);
  return ok;
}

/* ------------------------------------------------------------------------
 * White space, comments and annotations
 * ---------------------------------------------------------------------- */

/* The annotation id after `(@` at `start`; *i is set after it. */
static bool scan_annotation_id(wat_lexer *lx, size_t start, size_t *i) {
  size_t j = start + 2;
  if (j < lx->len && is_idchar(byte_at(lx, j))) {
    while (j < lx->len && is_idchar(byte_at(lx, j)))
      j++;
    *i = j;
    return true;
  }
  if (j < lx->len && lx->src[j] == '"') {
    size_t end;
    if (!scan_string(lx, j, &end))
      return false;
    if (!string_is_name(lx->src + j, end - j))
      return lex_fail(lx, pos_of(lx, j), end,
                      "annotation id must be a non-empty UTF-8 name");
    *i = end;
    return true;
  }
  return lex_fail(lx, pos_of(lx, start), j, "empty annotation id");
}

/* An annotation from `(@` at *i through its matching `)`.  Its content is
 * any sequence of tokens, white space and balanced parentheses; strings and
 * comments in it must be well-formed, nested annotations need ids. */
static bool skip_annotation(wat_lexer *lx, size_t *i) {
  wat_pos start = pos_of(lx, *i);
  size_t depth = 1;
  if (!scan_annotation_id(lx, *i, i))
    return false;
  while (depth > 0) {
    if (*i >= lx->len)
      return lex_fail(lx, start, lx->len, "unterminated annotation");
    uint8_t c = byte_at(lx, *i);
    if (c == ' ' || c == '\t') {
      (*i)++;
    } else if (pass_newline(lx, i)) {
      /* counted */
    } else if (has2(lx, *i, ';', ';')) {
      if (!skip_line_comment(lx, i))
        return false;
    } else if (has2(lx, *i, '(', ';')) {
      if (!skip_block_comment(lx, i))
        return false;
    } else if (has2(lx, *i, '(', '@') && *i + 2 < lx->len &&
               (is_idchar(byte_at(lx, *i + 2)) || lx->src[*i + 2] == '"')) {
      if (!scan_annotation_id(lx, *i, i))
        return false;
      depth++;
    } else if (c == '(') {
      depth++;
      (*i)++;
    } else if (c == ')') {
      depth--;
      (*i)++;
    } else if (c == '"') {
      size_t end;
      if (!scan_string(lx, *i, &end))
        return false;
      *i = end;
    } else if (is_idchar(c) || is_reserved_punct(c) || c == ';') {
      (*i)++;
    } else if (c < 0x80) {
      return lex_fail(lx, pos_of(lx, *i), *i + 1,
                      "illegal character 0x%02x in annotation", c);
    } else {
      size_t len = utf8_seq((const uint8_t *)lx->src + *i, lx->len - *i);
      if (len == 0)
        return lex_fail(lx, pos_of(lx, *i), *i + 1, "malformed UTF-8 encoding");
      return lex_fail(lx, pos_of(lx, *i), *i + len,
                      "illegal character (non-ASCII) in annotation");
    }
  }
  return true;
}

/* Everything the text format treats as white space, from lx->at. */
static bool skip_space(wat_lexer *lx) {
  size_t i = lx->at;
  while (i < lx->len) {
    uint8_t c = byte_at(lx, i);
    if (c == ' ' || c == '\t') {
      i++;
      continue;
    }
    if (pass_newline(lx, &i))
      continue;
    bool ok;
    if (has2(lx, i, ';', ';'))
      ok = skip_line_comment(lx, &i);
    else if (has2(lx, i, '(', ';'))
      ok = skip_block_comment(lx, &i);
    else if (has2(lx, i, '(', '@'))
      ok = skip_annotation(lx, &i);
    else
      break;
    if (!ok)
      return false;
  }
  lx->at = i;
  return true;
}

/* ------------------------------------------------------------------------
 * Tokens
 * ---------------------------------------------------------------------- */

/* Whether an idchar run starts like a number: [sign] digit, or [sign]
 * `inf`, `nan` or `nan:0x...`.  (`nan:canonical` and `nan:arithmetic`,
 * the script keywords, are not numbers.) */
static bool starts_like_number(const char *s, size_t n) {
  size_t k = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  s += k;
  n -= k;
  if (n > 0 && is_digit(s[0]))
    return true;
  if ((n == 3 && memcmp(s, "inf", 3) == 0) || (n == 3 && memcmp(s, "nan", 3) == 0))
    return true;
  return n >= 6 && memcmp(s, "nan:0x", 6) == 0;
}

/* Classifies the token run [start, end), which holds `strings` strings and
 * `punct` reserved punctuation characters. */
static wat_tok_kind classify(const wat_lexer *lx, size_t start, size_t end,
                             size_t strings, size_t punct) {
  const char *s = lx->src + start;
  size_t n = end - start;
  if (punct > 0)
    return WAT_RESERVED;
  if (strings > 0) {
    /* a run's `"` characters all belong to its strings, so with one string
     * a run that starts and ends with a quote is that string alone */
    if (strings == 1 && s[0] == '"' && s[n - 1] == '"')
      return WAT_STRING;
    if (strings == 1 && s[0] == '$' && s[1] == '"' && s[n - 1] == '"')
      return string_is_name(s + 1, n - 1) ? WAT_ID : WAT_RESERVED;
    return WAT_RESERVED;
  }
  if (s[0] == '$')
    return n > 1 ? WAT_ID : WAT_RESERVED;
  if (starts_like_number(s, n))
    return WAT_NUM;
  if (s[0] >= 'a' && s[0] <= 'z')
    return WAT_KEYWORD;
  return WAT_RESERVED;
}

bool wat_lex_next(wat_lexer *lx, wat_tok *out) {
  memset(out, 0, sizeof *out);
  out->kind = WAT_EOF;
  if (!skip_space(lx)) {
    out->text = lx->src + lx->at;
    out->pos = lx->err.pos;
    return false;
  }
  size_t start = lx->at;
  out->text = lx->src + start;
  out->pos = pos_of(lx, start);
  if (start >= lx->len)
    return true;

  uint8_t c = byte_at(lx, start);
  if (c == '(' || c == ')') {
    out->kind = c == '(' ? WAT_LPAREN : WAT_RPAREN;
    out->len = 1;
    lx->at = start + 1;
    return true;
  }

  size_t i = start, strings = 0, punct = 0;
  while (i < lx->len) {
    uint8_t d = byte_at(lx, i);
    if (is_idchar(d)) {
      i++;
    } else if (d == '"') {
      size_t end;
      if (!scan_string(lx, i, &end))
        return false;
      strings++;
      i = end;
    } else if (is_reserved_punct(d) || (d == ';' && !has2(lx, i, ';', ';'))) {
      punct++;
      i++;
    } else {
      break;
    }
  }
  if (i == start) {
    /* a byte that no token may contain */
    if (c >= 0x80) {
      size_t len = utf8_seq((const uint8_t *)lx->src + start, lx->len - start);
      if (len == 0)
        return lex_fail(lx, out->pos, start + 1, "malformed UTF-8 encoding");
      return lex_fail(lx, out->pos, start + len,
                      "unexpected character (non-ASCII outside strings and comments)");
    }
    return lex_fail(lx, out->pos, start + 1, "unexpected character 0x%02x", c);
  }
  out->kind = classify(lx, start, i, strings, punct);
  out->len = i - start;
  lx->at = i;
  return true;
}

bool wat_tok_is(const wat_tok *t, const char *s) {
  size_t n = strlen(s);
  return t->len == n && memcmp(t->text, s, n) == 0;
}

/* ------------------------------------------------------------------------
 * Integers
 * ---------------------------------------------------------------------- */

/* A cursor over a digit sequence, digit ('_'? digit)* (spec 6.3.1 num and
 * hexnum): [s+i, s+n). */
typedef struct digits {
  const char *s;
  size_t n;
  size_t i;
} digits;

static int digit_value(int c, bool hex) {
  return hex ? hex_value(c) : (is_digit(c) ? c - '0' : -1);
}

/* The next digit of a digit sequence, or -1 at its end.  An underscore is
 * consumed only when a digit follows it; a sequence's validity (no leading,
 * trailing or doubled underscore) is checked by scan_digits. */
static int next_digit(digits *d, bool hex) {
  if (d->i < d->n && d->s[d->i] == '_' && d->i + 1 < d->n &&
      digit_value(d->s[d->i + 1], hex) >= 0)
    d->i++;
  if (d->i >= d->n)
    return -1;
  int v = digit_value(d->s[d->i], hex);
  if (v >= 0)
    d->i++;
  return v;
}

/* Checks that a digit sequence starts at d->i (at least one digit, every
 * underscore between two digits) and returns the offset after its last
 * digit; d->i is unchanged.  0 if no digit starts there. */
static size_t scan_digits(const digits *d, bool hex) {
  size_t i = d->i;
  if (i >= d->n || digit_value(d->s[i], hex) < 0)
    return 0;
  i++;
  while (i < d->n) {
    if (digit_value(d->s[i], hex) >= 0)
      i++;
    else if (d->s[i] == '_' && i + 1 < d->n && digit_value(d->s[i + 1], hex) >= 0)
      i += 2;
    else
      break;
  }
  return i;
}

/* A natural number [s, s+n): num or 0x hexnum.  *v is its value, *big
 * whether it exceeds 2^64 - 1.  False if the text is not a natural. */
static bool parse_nat(const char *s, size_t n, uint64_t *v, bool *big) {
  bool hex = n >= 2 && s[0] == '0' && s[1] == 'x';
  digits d = {s, n, hex ? 2 : 0};
  if (n == 0 || scan_digits(&d, hex) != n)
    return false;
  uint64_t base = hex ? 16 : 10, acc = 0;
  bool over = false;
  for (int x; (x = next_digit(&d, hex)) >= 0;) {
    if (acc > (UINT64_MAX - (uint64_t)x) / base)
      over = true;
    acc = acc * base + (uint64_t)x;
  }
  *v = acc;
  *big = over;
  return true;
}

bool wat_parse_u64(const char *s, size_t n, uint64_t *out) {
  uint64_t v;
  bool big;
  if (!parse_nat(s, n, &v, &big) || big)
    return false;
  *out = v;
  return true;
}

bool wat_parse_u32(const char *s, size_t n, uint32_t *out) {
  uint64_t v;
  if (!wat_parse_u64(s, n, &v) || v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

/* iN for N = bits, as the N-bit two's complement pattern: a natural, or a
 * signed integer, whose value is in [-2^(N-1), 2^N - 1] (wat_lex.h).  An
 * explicit `+` is allowed up to 2^N - 1, as the reference interpreter does;
 * the spec's grammar (6.3.1 TsN) would stop it at 2^(N-1) - 1. */
static bool parse_int(const char *s, size_t n, unsigned bits, uint64_t *out) {
  uint64_t v;
  bool big;
  uint64_t half = (uint64_t)1 << (bits - 1);
  uint64_t umax = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
  bool neg = n > 0 && s[0] == '-';
  size_t k = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (!parse_nat(s + k, n - k, &v, &big) || big)
    return false;
  if (neg) {
    if (v > half)
      return false;
    v = (0 - v) & umax;
  } else if (v > umax) {
    return false;
  }
  *out = v;
  return true;
}

bool wat_parse_i64(const char *s, size_t n, uint64_t *out) {
  return parse_int(s, n, 64, out);
}

bool wat_parse_i32(const char *s, size_t n, uint32_t *out) {
  uint64_t v;
  if (!parse_int(s, n, 32, &v))
    return false;
  *out = (uint32_t)v;
  return true;
}

/* ------------------------------------------------------------------------
 * Floats
 * ---------------------------------------------------------------------- */

/* The two IEEE formats: significand bits (with the hidden one), and the
 * exponent of the least significant bit of the smallest subnormal. */
typedef struct fmt {
  unsigned mant_bits; /* 24 / 53 */
  unsigned exp_bits;  /* 8 / 11 */
  int64_t lsb_min;    /* -149 / -1074 */
} fmt;

static const fmt F32 = {24, 8, -149};
static const fmt F64 = {53, 11, -1074};

/* Exponents beyond this are treated as this: any value of such magnitude is
 * already far outside both formats, while the digit counts that can offset
 * an exponent are bounded by the length of the text (< 2^48). */
#define EXP_CLAMP ((int64_t)1 << 52)

/* Rounds mant * 2^e, plus a nonzero amount below mant's last bit if
 * `sticky`, to the format, nearest with ties to even.  Callers set sticky
 * only when mant has at least 61 bits, so that mant's last bit is among
 * those rounded off.  *bits is the magnitude's bit pattern; false if the
 * value rounds to infinity. */
static bool round_binary(uint64_t mant, int64_t e, bool sticky, fmt f, uint64_t *bits) {
  if (mant == 0) {
    *bits = 0;
    return true;
  }
  int width = 64 - __builtin_clzll(mant);
  int64_t top = e + width - 1;                 /* exponent of the leading bit */
  int64_t max_exp = ((int64_t)1 << (f.exp_bits - 1)) - 1;
  if (top > max_exp)
    return false;
  int64_t lsb = top - (int64_t)(f.mant_bits - 1);
  if (lsb < f.lsb_min)
    lsb = f.lsb_min;                           /* subnormal (or below) */
  int64_t shift = lsb - e;                     /* low bits of mant to drop */
  uint64_t q;
  if (shift <= 0) {
    q = mant << -shift;                        /* exact; sticky is false */
  } else if (shift > 64) {
    q = 0;                                     /* below half the smallest step */
  } else {
    q = shift == 64 ? 0 : mant >> shift;
    uint64_t rem = shift == 64 ? mant : mant & (((uint64_t)1 << shift) - 1);
    uint64_t half = (uint64_t)1 << (shift - 1);
    if (rem > half || (rem == half && (sticky || (q & 1))))
      q++;
  }
  uint64_t hidden = (uint64_t)1 << (f.mant_bits - 1);
  if (q == hidden << 1) {                      /* rounding carried out */
    q >>= 1;
    lsb++;
  }
  if (q < hidden) {                            /* subnormal or zero */
    *bits = q;
    return true;
  }
  int64_t biased = lsb + (int64_t)(f.mant_bits - 1) + max_exp;
  if (biased >= ((int64_t)1 << f.exp_bits) - 1)
    return false;
  *bits = ((uint64_t)biased << (f.mant_bits - 1)) | (q - hidden);
  return true;
}

/* A decimal exponent's digits at d (already checked), saturated. */
static int64_t exponent_value(digits *d) {
  int64_t v = 0;
  for (int x; (x = next_digit(d, false)) >= 0;)
    if (v < EXP_CLAMP)
      v = v * 10 + x;
  return v;
}

/* Checks `[+-]? num` at d->i and returns its end, or 0. */
static size_t scan_exponent(const digits *d) {
  digits e = *d;
  if (e.i < e.n && (e.s[e.i] == '+' || e.s[e.i] == '-'))
    e.i++;
  return scan_digits(&e, false);
}

/* hexnum ('.' hexfrac?)? ([pP] sign? num)? after "0x", exactly rounded. */
static bool parse_hex_float(const char *s, size_t n, fmt f, uint64_t *bits) {
  digits d = {s, n, 0};
  size_t int_end = scan_digits(&d, true);
  if (int_end == 0)
    return false;
  size_t frac_start = int_end, frac_end = int_end, exp_start = int_end;
  if (frac_start < n && s[frac_start] == '.') {
    frac_start++;
    digits fd = {s, n, frac_start};
    frac_end = scan_digits(&fd, true);
    if (frac_end == 0)
      frac_end = frac_start; /* no fraction digits */
    exp_start = frac_end;
  }
  size_t end = exp_start;
  bool has_exp = exp_start < n && (s[exp_start] == 'p' || s[exp_start] == 'P');
  if (has_exp) {
    digits ed = {s, n, exp_start + 1};
    end = scan_exponent(&ed);
    if (end == 0)
      return false;
  }
  if (end != n)
    return false;

  /* mant * 2^e, keeping the leading 61..64 significant bits exactly and
   * the rest as a sticky bit */
  uint64_t mant = 0;
  int64_t e = 0;
  bool sticky = false;
  digits id = {s, int_end, 0};
  for (int x; (x = next_digit(&id, true)) >= 0;) {
    if (mant >> 60 == 0) {
      mant = mant * 16 + (uint64_t)x;
    } else {
      sticky |= x != 0;
      e += 4;
    }
  }
  digits fd = {s, frac_end, frac_start};
  for (int x; (x = next_digit(&fd, true)) >= 0;) {
    if (mant >> 60 == 0) {
      mant = mant * 16 + (uint64_t)x;
      e -= 4;
    } else {
      sticky |= x != 0;
    }
  }
  if (has_exp) {
    digits ed = {s, n, exp_start + 1};
    bool neg = s[ed.i] == '-';
    if (s[ed.i] == '+' || s[ed.i] == '-')
      ed.i++;
    int64_t x = exponent_value(&ed);
    e += neg ? -x : x;
  }
  return round_binary(mant, e, sticky, f, bits);
}

/* Decimal floats are converted exactly, with big integers: glibc's strtod
 * and strtof (2.36) misround some subnormal results, and a decimal point
 * that depends on the locale has no place in a parser.
 *
 * The value is D * 10^E for an integer D of at most DEC_DIGITS significant
 * digits: further digits only matter through whether they are all zero, so
 * they are replaced by one nonzero digit when they are not.  That keeps the
 * rounding exact, because every point where rounding to f32 or f64 changes
 * direction (a midpoint between neighbouring values) has at most 769
 * significant digits, and the shortened value lies strictly between the
 * same two such points as the original one.  Magnitudes beyond 10^310 or
 * below 10^-330 are out of range or zero for both formats, which bounds
 * |E| and with it the size of every big integer below. */
#define DEC_DIGITS 800
#define BIG_LIMBS 160 /* 5120 bits: the largest operand is below 3,900 bits */

typedef struct bignum {
  uint32_t limb[BIG_LIMBS]; /* little-endian */
  size_t n;                 /* limbs in use; no leading zero limbs */
} bignum;

static void big_set(bignum *b, uint32_t v) {
  b->limb[0] = v;
  b->n = v != 0;
}

/* b = b * m + add */
static void big_mul_add(bignum *b, uint32_t m, uint32_t add) {
  uint64_t carry = add;
  for (size_t k = 0; k < b->n; k++) {
    uint64_t t = (uint64_t)b->limb[k] * m + carry;
    b->limb[k] = (uint32_t)t;
    carry = t >> 32;
  }
  if (carry)
    b->limb[b->n++] = (uint32_t)carry;
}

static void big_pow10(bignum *b, int64_t k) {
  big_set(b, 1);
  for (; k >= 9; k -= 9)
    big_mul_add(b, 1000000000u, 0);
  for (; k > 0; k--)
    big_mul_add(b, 10, 0);
}

/* r = x * y */
static void big_mul(bignum *r, const bignum *x, const bignum *y) {
  memset(r->limb, 0, (x->n + y->n) * sizeof r->limb[0]);
  for (size_t i = 0; i < x->n; i++) {
    uint64_t carry = 0;
    for (size_t j = 0; j < y->n; j++) {
      uint64_t t = (uint64_t)x->limb[i] * y->limb[j] + r->limb[i + j] + carry;
      r->limb[i + j] = (uint32_t)t;
      carry = t >> 32;
    }
    r->limb[i + y->n] = (uint32_t)carry;
  }
  r->n = x->n + y->n;
  while (r->n > 0 && r->limb[r->n - 1] == 0)
    r->n--;
}

static size_t big_bits(const bignum *b) {
  if (b->n == 0)
    return 0;
  return 32 * (b->n - 1) + (size_t)(32 - __builtin_clz(b->limb[b->n - 1]));
}

static void big_shl(bignum *b, size_t bits) {
  if (b->n == 0 || bits == 0)
    return;
  size_t limbs = bits / 32, r = bits % 32;
  size_t n = b->n + limbs + 1;
  b->limb[n - 1] = 0;
  for (size_t k = b->n; k-- > 0;) {
    uint64_t v = (uint64_t)b->limb[k] << r;
    b->limb[k + limbs + 1] |= (uint32_t)(v >> 32);
    b->limb[k + limbs] = (uint32_t)v;
  }
  memset(b->limb, 0, limbs * sizeof b->limb[0]);
  b->n = n;
  while (b->n > 0 && b->limb[b->n - 1] == 0)
    b->n--;
}

static void big_shr1(bignum *b) {
  for (size_t k = 0; k < b->n; k++)
    b->limb[k] = (b->limb[k] >> 1) | (k + 1 < b->n ? b->limb[k + 1] << 31 : 0);
  if (b->n > 0 && b->limb[b->n - 1] == 0)
    b->n--;
}

static int big_cmp(const bignum *a, const bignum *b) {
  if (a->n != b->n)
    return a->n < b->n ? -1 : 1;
  for (size_t k = a->n; k-- > 0;)
    if (a->limb[k] != b->limb[k])
      return a->limb[k] < b->limb[k] ? -1 : 1;
  return 0;
}

/* a -= b, for a >= b */
static void big_sub(bignum *a, const bignum *b) {
  uint64_t borrow = 0;
  for (size_t k = 0; k < a->n; k++) {
    uint64_t t = (uint64_t)a->limb[k] - (k < b->n ? b->limb[k] : 0) - borrow;
    a->limb[k] = (uint32_t)t;
    borrow = (t >> 32) & 1;
  }
  while (a->n > 0 && a->limb[a->n - 1] == 0)
    a->n--;
}

/* num ('.' num?)? ([eE] sign? num)?, exactly rounded. */
static bool parse_dec_float(const char *s, size_t n, fmt f, uint64_t *bits) {
  digits d = {s, n, 0};
  size_t int_end = scan_digits(&d, false);
  if (int_end == 0)
    return false;
  size_t frac_start = int_end, frac_end = int_end, i = int_end;
  if (i < n && s[i] == '.') {
    frac_start = i + 1;
    digits fd = {s, n, frac_start};
    frac_end = scan_digits(&fd, false);
    if (frac_end == 0)
      frac_end = frac_start;
    i = frac_end;
  }
  size_t exp_start = i;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    digits ed = {s, n, i + 1};
    i = scan_exponent(&ed);
    if (i == 0)
      return false;
  }
  if (i != n)
    return false;

  /* D (the first DEC_DIGITS significant digits) and E */
  bignum num;
  big_set(&num, 0);
  size_t sig = 0; /* significant digits in num */
  int64_t e = 0;
  bool sticky = false;
  digits id = {s, int_end, 0};
  for (int x; (x = next_digit(&id, false)) >= 0;) {
    if (sig < DEC_DIGITS) {
      big_mul_add(&num, 10, (uint32_t)x);
      sig += sig > 0 || x != 0;
    } else {
      sticky |= x != 0;
      e++;
    }
  }
  digits fd = {s, frac_end, frac_start};
  for (int x; (x = next_digit(&fd, false)) >= 0;) {
    if (sig < DEC_DIGITS) {
      big_mul_add(&num, 10, (uint32_t)x);
      sig += sig > 0 || x != 0;
      e--;
    } else {
      sticky |= x != 0;
    }
  }
  if (sticky) {
    big_mul_add(&num, 10, 1);
    sig++;
    e--;
  }
  if (exp_start < n) {
    digits ed = {s, n, exp_start + 1};
    bool neg = s[ed.i] == '-';
    if (s[ed.i] == '+' || s[ed.i] == '-')
      ed.i++;
    int64_t x = exponent_value(&ed);
    e += neg ? -x : x;
  }
  if (num.n == 0) {
    *bits = 0;
    return true;
  }
  /* num * 10^e lies in [10^(sig-1+e), 10^(sig+e)) */
  if ((int64_t)sig - 1 + e > 309)
    return false;
  if ((int64_t)sig + e < -330) {
    *bits = 0;
    return true;
  }

  /* value = a / b; then q = floor(value * 2^sh) with 2^61 <= q < 2^63 */
  bignum a, b;
  if (e >= 0) {
    bignum p;
    big_pow10(&p, e);
    big_mul(&a, &num, &p);
    big_set(&b, 1);
  } else {
    a = num;
    big_pow10(&b, -e);
  }
  int64_t sh = 62 - ((int64_t)big_bits(&a) - (int64_t)big_bits(&b));
  if (sh > 0)
    big_shl(&a, (size_t)sh);
  else
    big_shl(&b, (size_t)-sh);
  /* binary long division; the quotient has at most 63 bits */
  big_shl(&b, 62);
  uint64_t q = 0;
  for (int k = 62; k >= 0; k--) {
    if (big_cmp(&a, &b) >= 0) {
      big_sub(&a, &b);
      q |= (uint64_t)1 << k;
    }
    big_shr1(&b);
  }
  return round_binary(q, -sh, a.n != 0, f, bits);
}

/* Parses a float literal into the bit pattern of format f. */
static bool parse_float(const char *s, size_t n, fmt f, uint64_t *out) {
  unsigned total = f.mant_bits + f.exp_bits; /* 32 / 64 */
  uint64_t sign_bit = (uint64_t)1 << (total - 1);
  uint64_t exp_mask = (((uint64_t)1 << f.exp_bits) - 1) << (f.mant_bits - 1);
  uint64_t payload_max = ((uint64_t)1 << (f.mant_bits - 1)) - 1;
  bool neg = false;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++;
    n--;
  }
  uint64_t sign = neg ? sign_bit : 0, bits;
  if (n == 3 && memcmp(s, "inf", 3) == 0) {
    *out = sign | exp_mask;
    return true;
  }
  if (n == 3 && memcmp(s, "nan", 3) == 0) {
    *out = sign | exp_mask | ((uint64_t)1 << (f.mant_bits - 2));
    return true;
  }
  if (n >= 4 && memcmp(s, "nan:", 4) == 0) {
    uint64_t payload;
    bool big;
    if (n < 6 || s[4] != '0' || s[5] != 'x' || !parse_nat(s + 4, n - 4, &payload, &big) ||
        big || payload == 0 || payload > payload_max)
      return false;
    *out = sign | exp_mask | payload;
    return true;
  }
  if (n >= 2 && s[0] == '0' && s[1] == 'x') {
    if (!parse_hex_float(s + 2, n - 2, f, &bits))
      return false;
  } else {
    /* The sign was removed above; the value's magnitude is rounded
     * (round-to-nearest is symmetric) and the sign put back. */
    if (!parse_dec_float(s, n, f, &bits))
      return false;
  }
  *out = sign | bits;
  return true;
}

bool wat_parse_f32(const char *s, size_t n, uint32_t *out) {
  uint64_t v;
  if (!parse_float(s, n, F32, &v))
    return false;
  *out = (uint32_t)v;
  return true;
}

bool wat_parse_f64(const char *s, size_t n, uint64_t *out) {
  return parse_float(s, n, F64, out);
}
