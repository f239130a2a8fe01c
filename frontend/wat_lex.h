/* frontend/wat_lex.h — the lexical level of the WebAssembly text format
 * (spec 6.2 "Lexical Format"): tokens, and the conversion of number and
 * string tokens into values.
 *
 * The lexer works on one source buffer (a .wat or .wast file, or the text
 * of a `(module quote ...)`), which must outlive every token taken from it:
 * a token is a range of the source plus its kind and position.  White
 * space, line comments `;;`, block comments `(; ... ;)` (nested) and
 * annotations `(@name ...)` (balanced parentheses, strings honoured; the
 * text format ignores them) are skipped.
 *
 * Tokens (spec 6.2.2): `(`, `)`, keywords (a lower-case letter followed by
 * idchars), identifiers (`$` followed by idchars, or `$"..."`), strings,
 * numbers (an idchar sequence that starts like a number: a digit, or a sign
 * followed by a digit, `inf` or `nan`), and reserved tokens (any other
 * idchar sequence, and anything a token may not be followed by).  Whether a
 * number token is a valid u32, i64, f32 ... depends on where it stands, so
 * the lexer classifies and the wat_parse_* functions below convert.
 *
 * Errors: wat_lex_next returns false and fills the lexer's error with a
 * message and the line and column where the offending text starts
 * (unterminated block comment or string, a control character in a string,
 * an invalid escape, a byte that no token may contain).  Malformed input
 * never crashes and never reads outside the buffer.
 */
#ifndef KILN_FRONTEND_WAT_LEX_H
#define KILN_FRONTEND_WAT_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wat_tok_kind {
  WAT_EOF,
  WAT_LPAREN,
  WAT_RPAREN,
  WAT_KEYWORD,
  WAT_ID,       /* the text includes the `$`; quoted ids keep their quotes */
  WAT_STRING,   /* the text includes the quotes; see wat_string */
  WAT_NUM,      /* see wat_parse_* */
  WAT_RESERVED,
} wat_tok_kind;

typedef struct wat_pos {
  size_t offset;  /* byte offset in the source */
  uint32_t line;  /* 1-based */
  uint32_t col;   /* 1-based, in bytes */
} wat_pos;

typedef struct wat_tok {
  wat_tok_kind kind;
  const char *text;  /* points into the source */
  size_t len;
  wat_pos pos;       /* where the token starts */
} wat_tok;

typedef struct wat_lex_error {
  wat_pos pos;
  char msg[160];
} wat_lex_error;

typedef struct wat_lexer {
  const char *src;
  size_t len;
  size_t at;          /* next byte to read */
  uint32_t line;
  size_t line_start;  /* offset of the current line's first byte */
  wat_lex_error err;
} wat_lexer;

void wat_lex_init(wat_lexer *lx, const char *src, size_t len);

/* The next token (WAT_EOF at the end, repeatedly).  False on a lexical
 * error, described in lx->err; the lexer is then positioned after the
 * offending text, so a caller may continue (it need not). */
bool wat_lex_next(wat_lexer *lx, wat_tok *out);

/* Whether a token's text equals the NUL-terminated string s. */
bool wat_tok_is(const wat_tok *t, const char *s);

/* ---- strings -----------------------------------------------------------
 * The bytes a string token denotes (escapes \t \n \r \" \' \\ \hh and
 * \u{hex}, the last encoded as UTF-8), written to out, which must hold
 * t->len bytes (a string never decodes longer than its token).  Returns
 * the length.  The token must be a WAT_STRING that the lexer accepted. */
size_t wat_string(const wat_tok *t, uint8_t *out);
/* Whether bytes [p, p+n) are valid UTF-8 (names must be). */
bool wat_utf8_valid(const uint8_t *p, size_t n);

/* ---- numbers -----------------------------------------------------------
 * Conversions of a WAT_NUM token's text (spec 6.3.1): underscores between
 * digits allowed, decimal or 0x hexadecimal.  Each returns false if the
 * text is not a number of that kind or is out of range, leaving *out
 * unchanged.
 *   u32 / u64   an unsigned natural (no sign)
 *   i32 / i64   a natural or a signed integer, in [-2^(N-1), 2^N - 1],
 *               stored as the N-bit two's complement pattern
 *   f32 / f64   a float, a natural or an integer (rounded to nearest,
 *               ties to even; a finite literal that rounds to infinity is
 *               out of range), `inf`, `nan` (the canonical NaN) or
 *               `nan:0x...` (a payload in [1, 2^23 - 1] / [1, 2^52 - 1]),
 *               each with an optional sign; stored as the IEEE bit pattern
 */
bool wat_parse_u32(const char *s, size_t n, uint32_t *out);
bool wat_parse_u64(const char *s, size_t n, uint64_t *out);
bool wat_parse_i32(const char *s, size_t n, uint32_t *out);
bool wat_parse_i64(const char *s, size_t n, uint64_t *out);
bool wat_parse_f32(const char *s, size_t n, uint32_t *out);
bool wat_parse_f64(const char *s, size_t n, uint64_t *out);

#endif
