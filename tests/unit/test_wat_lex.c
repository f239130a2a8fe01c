/* tests/unit/test_wat_lex.c — the text format's lexical level
 * (frontend/wat_lex.c): tokens and their positions, white space, comments
 * and annotations, lexical errors, strings and names, and the conversion of
 * number tokens, checked against the literals of the spec test suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/wat_lex.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* A heap copy of exactly n bytes (no terminating NUL), so that AddressSanitizer
 * catches any read past the end of the source. */
static char *exact_copy(const char *src, size_t n) {
  char *p = malloc(n ? n : 1);
  assert_non_null(p);
  if (n)
    memcpy(p, src, n);
  return p;
}

typedef struct want_tok {
  wat_tok_kind kind;
  const char *text;
} want_tok;

/* Lexes src[0, n) to the end, expecting no error and exactly the tokens in
 * want (EOF not included). */
static void expect_tokens_n(const char *src, size_t n, const want_tok *want, size_t count) {
  char *buf = exact_copy(src, n);
  wat_lexer lx;
  wat_lex_init(&lx, buf, n);
  for (size_t k = 0;; k++) {
    wat_tok t;
    if (!wat_lex_next(&lx, &t))
      fail_msg("lexing \"%.*s\": unexpected error at %u:%u: %s", (int)n, src,
               lx.err.pos.line, lx.err.pos.col, lx.err.msg);
    if (t.kind == WAT_EOF) {
      if (k != count)
        fail_msg("lexing \"%.*s\": %zu tokens, expected %zu", (int)n, src, k, count);
      break;
    }
    if (k >= count)
      fail_msg("lexing \"%.*s\": extra token \"%.*s\"", (int)n, src, (int)t.len, t.text);
    if (t.kind != want[k].kind || !wat_tok_is(&t, want[k].text))
      fail_msg("lexing \"%.*s\": token %zu is \"%.*s\" (kind %d), expected \"%s\" (kind %d)",
               (int)n, src, k, (int)t.len, t.text, t.kind, want[k].text, want[k].kind);
    assert_true(t.text >= buf && t.text + t.len <= buf + n);
    assert_int_equal(t.pos.offset, (size_t)(t.text - buf));
  }
  free(buf);
}

#define EXPECT_TOKENS(src, ...)                                               \
  do {                                                                        \
    static const want_tok want_[] = {__VA_ARGS__};                            \
    expect_tokens_n(src, strlen(src), want_, sizeof want_ / sizeof want_[0]); \
  } while (0)

/* Lexes src to the end, expecting no error and no tokens. */
static void expect_blank_n(const char *src, size_t n) {
  expect_tokens_n(src, n, NULL, 0);
}
static void expect_blank(const char *src) { expect_blank_n(src, strlen(src)); }

/* Lexes src[0, n) until the first error; expects one, at line:col, whose
 * message contains `part`.  Returns the lexer's position after it. */
static size_t expect_error_n(const char *src, size_t n, uint32_t line, uint32_t col,
                             const char *part) {
  char *buf = exact_copy(src, n);
  wat_lexer lx;
  wat_lex_init(&lx, buf, n);
  for (;;) {
    wat_tok t;
    if (!wat_lex_next(&lx, &t))
      break;
    if (t.kind == WAT_EOF)
      fail_msg("lexing \"%.*s\": no error, expected one at %u:%u", (int)n, src, line, col);
  }
  if (lx.err.pos.line != line || lx.err.pos.col != col)
    fail_msg("lexing \"%.*s\": error \"%s\" at %u:%u, expected %u:%u", (int)n, src,
             lx.err.msg, lx.err.pos.line, lx.err.pos.col, line, col);
  if (!strstr(lx.err.msg, part))
    fail_msg("lexing \"%.*s\": error \"%s\" does not mention \"%s\"", (int)n, src,
             lx.err.msg, part);
  assert_true(lx.at <= n);
  assert_true(lx.at > lx.err.pos.offset);
  size_t at = lx.at;
  free(buf);
  return at;
}

static size_t expect_error(const char *src, uint32_t line, uint32_t col, const char *part) {
  return expect_error_n(src, strlen(src), line, col, part);
}

/* The one token of src (which must lex to exactly one token). */
static wat_tok_kind kind_of(const char *src) {
  wat_lexer lx;
  wat_tok t, e;
  wat_lex_init(&lx, src, strlen(src));
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_lex_next(&lx, &e));
  assert_int_equal(e.kind, WAT_EOF);
  assert_int_equal(t.len, strlen(src));
  return t.kind;
}

/* ------------------------------------------------------------------------
 * Tokens
 * ---------------------------------------------------------------------- */

static void test_basic_tokens(void **state) {
  (void)state;
  EXPECT_TOKENS("(module (func $f (param i32) (result i32) local.get 0))",
                {WAT_LPAREN, "("}, {WAT_KEYWORD, "module"}, {WAT_LPAREN, "("},
                {WAT_KEYWORD, "func"}, {WAT_ID, "$f"}, {WAT_LPAREN, "("},
                {WAT_KEYWORD, "param"}, {WAT_KEYWORD, "i32"}, {WAT_RPAREN, ")"},
                {WAT_LPAREN, "("}, {WAT_KEYWORD, "result"}, {WAT_KEYWORD, "i32"},
                {WAT_RPAREN, ")"}, {WAT_KEYWORD, "local.get"}, {WAT_NUM, "0"},
                {WAT_RPAREN, ")"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("i32.load offset=0x10 align=4",
                {WAT_KEYWORD, "i32.load"}, {WAT_KEYWORD, "offset=0x10"},
                {WAT_KEYWORD, "align=4"});
  EXPECT_TOKENS("(data \"a\\n\" \"\")", {WAT_LPAREN, "("}, {WAT_KEYWORD, "data"},
                {WAT_STRING, "\"a\\n\""}, {WAT_STRING, "\"\""}, {WAT_RPAREN, ")"});
  expect_blank("");
  expect_blank(" \t\r\n\r\n  ");
}

static void test_kinds(void **state) {
  (void)state;
  /* identifiers */
  assert_int_equal(kind_of("$x"), WAT_ID);
  assert_int_equal(kind_of("$$"), WAT_ID);
  assert_int_equal(kind_of("$0"), WAT_ID);
  assert_int_equal(kind_of("$!?@#a$%^&*b-+_.:9'`|/\\<=>~"), WAT_ID);
  assert_int_equal(kind_of("$\"a b\""), WAT_ID);
  assert_int_equal(kind_of("$\"\\u{41}\\t\""), WAT_ID);
  assert_int_equal(kind_of("$\"\\ef\\98\\9a\""), WAT_ID); /* U+F61A as bytes */
  assert_int_equal(kind_of("$"), WAT_RESERVED);
  assert_int_equal(kind_of("$\"\""), WAT_RESERVED);       /* empty name */
  assert_int_equal(kind_of("$\"\\ef\""), WAT_RESERVED);   /* not UTF-8 */
  assert_int_equal(kind_of("$\"\\00\""), WAT_ID);         /* NUL is a character */
  /* keywords */
  assert_int_equal(kind_of("module"), WAT_KEYWORD);
  assert_int_equal(kind_of("i32.const0"), WAT_KEYWORD);
  assert_int_equal(kind_of("nan:canonical"), WAT_KEYWORD);
  assert_int_equal(kind_of("nan:arithmetic"), WAT_KEYWORD);
  assert_int_equal(kind_of("infinity"), WAT_KEYWORD);
  assert_int_equal(kind_of("nan:1"), WAT_KEYWORD);
  assert_int_equal(kind_of("a$b"), WAT_KEYWORD);
  /* numbers: anything that starts like one */
  const char *nums[] = {"0", "123", "-1", "+1", "0x1F", "1.5e-3", "0x1p-3", "inf", "+inf",
                        "-inf", "nan", "-nan", "+nan", "nan:0x1", "-nan:0xzz", "1x",
                        "0$l", "1_000", "0x", "-0"};
  for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
    if (kind_of(nums[k]) != WAT_NUM)
      fail_msg("\"%s\" should be a number token", nums[k]);
  /* reserved */
  const char *res[] = {"Abc", "@x", "_100", "+_100", "-", "+", ".0", "+x", "-infx", "=",
                       "\"a\"\"b\"", "$l\"a\"", "\"a\"x", "\"a\"0", "0\"a\"", "\"a\"$x",
                       "$\"a\"$", "$\"a\"0", ",", "[", "]", "{", "}", ";", "a,b", "a;b",
                       "x{y}", "\"a\",", "$\"a\"\"b\""};
  for (size_t k = 0; k < sizeof res / sizeof res[0]; k++)
    if (kind_of(res[k]) != WAT_RESERVED)
      fail_msg("\"%s\" should be a reserved token", res[k]);
}

/* Parentheses, white space and comments delimit tokens (token.wast); a
 * token glued to a string or an idchar is one reserved token. */
static void test_delimiting(void **state) {
  (void)state;
  EXPECT_TOKENS("(func(nop))", {WAT_LPAREN, "("}, {WAT_KEYWORD, "func"}, {WAT_LPAREN, "("},
                {WAT_KEYWORD, "nop"}, {WAT_RPAREN, ")"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("br 0(nop)", {WAT_KEYWORD, "br"}, {WAT_NUM, "0"}, {WAT_LPAREN, "("},
                {WAT_KEYWORD, "nop"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("$f(nop)", {WAT_ID, "$f"}, {WAT_LPAREN, "("}, {WAT_KEYWORD, "nop"},
                {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(i32.const 0)\"a\")", {WAT_LPAREN, "("}, {WAT_KEYWORD, "i32.const"},
                {WAT_NUM, "0"}, {WAT_RPAREN, ")"}, {WAT_STRING, "\"a\""}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("\"print\"(func)", {WAT_STRING, "\"print\""}, {WAT_LPAREN, "("},
                {WAT_KEYWORD, "func"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("func;;bla\n)", {WAT_KEYWORD, "func"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("0;;bla", {WAT_NUM, "0"});
  EXPECT_TOKENS("\"a\";;bla", {WAT_STRING, "\"a\""});
  EXPECT_TOKENS("$f;;bla", {WAT_ID, "$f"});
  EXPECT_TOKENS("x(;c;)y", {WAT_KEYWORD, "x"}, {WAT_KEYWORD, "y"});
  EXPECT_TOKENS("x(@a)y", {WAT_KEYWORD, "x"}, {WAT_KEYWORD, "y"});
  EXPECT_TOKENS("br_table 0$l", {WAT_KEYWORD, "br_table"}, {WAT_NUM, "0$l"});
  EXPECT_TOKENS("br_table 0$\"l\"", {WAT_KEYWORD, "br_table"}, {WAT_RESERVED, "0$\"l\""});
  EXPECT_TOKENS("$\"l\"0 $l$l $\"l\"$l", {WAT_RESERVED, "$\"l\"0"}, {WAT_ID, "$l$l"},
                {WAT_RESERVED, "$\"l\"$l"});
  EXPECT_TOKENS("(data $l\"a \"\"b\")", {WAT_LPAREN, "("}, {WAT_KEYWORD, "data"},
                {WAT_RESERVED, "$l\"a \"\"b\""}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(data\"a\")", {WAT_LPAREN, "("}, {WAT_RESERVED, "data\"a\""},
                {WAT_RPAREN, ")"});
  EXPECT_TOKENS("\"\"\"\"", {WAT_RESERVED, "\"\"\"\""});
  /* a lone ';' is reserved, ';;' starts a comment, ';)' is ';' then ')' */
  EXPECT_TOKENS("a;)", {WAT_RESERVED, "a;"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("; )", {WAT_RESERVED, ";"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("a,b;c;;d", {WAT_RESERVED, "a,b;c"});
  /* `( @a)` is not an annotation */
  EXPECT_TOKENS("( @a)", {WAT_LPAREN, "("}, {WAT_RESERVED, "@a"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("((@a)@b)", {WAT_LPAREN, "("}, {WAT_RESERVED, "@b"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(func $(@a))", {WAT_LPAREN, "("}, {WAT_KEYWORD, "func"},
                {WAT_RESERVED, "$"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("$(@a)f", {WAT_RESERVED, "$"}, {WAT_KEYWORD, "f"});
}

static void test_positions(void **state) {
  (void)state;
  const char *src = "(a\n  $b\r\n\tc\rd (;x\ny;) e ;; z\r\n\"s\" (@q\n\n) f";
  struct {
    const char *text;
    uint32_t line, col;
  } want[] = {{"(", 1, 1}, {"a", 1, 2}, {"$b", 2, 3}, {"c", 3, 2}, {"d", 4, 1},
              {"e", 5, 5}, {"\"s\"", 6, 1}, {"f", 8, 3}};
  wat_lexer lx;
  wat_lex_init(&lx, src, strlen(src));
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    wat_tok t;
    assert_true(wat_lex_next(&lx, &t));
    assert_true(wat_tok_is(&t, want[k].text));
    if (t.pos.line != want[k].line || t.pos.col != want[k].col)
      fail_msg("\"%s\" at %u:%u, expected %u:%u", want[k].text, t.pos.line, t.pos.col,
               want[k].line, want[k].col);
    assert_int_equal(t.pos.offset, (size_t)(t.text - src));
  }
  wat_tok t;
  assert_true(wat_lex_next(&lx, &t));
  assert_int_equal(t.kind, WAT_EOF);
  assert_int_equal(t.pos.offset, strlen(src));
  assert_int_equal(t.pos.line, 8);
  assert_int_equal(t.pos.col, 4);
  /* EOF again, and again */
  assert_true(wat_lex_next(&lx, &t));
  assert_int_equal(t.kind, WAT_EOF);
  assert_true(wat_lex_next(&lx, &t));
  assert_int_equal(t.kind, WAT_EOF);
  assert_int_equal(t.len, 0);
}

static void test_tok_is(void **state) {
  (void)state;
  wat_tok t = {WAT_KEYWORD, "funcref", 4, {0, 1, 1}};
  assert_true(wat_tok_is(&t, "func"));
  assert_false(wat_tok_is(&t, "funcref"));
  assert_false(wat_tok_is(&t, "fun"));
  assert_false(wat_tok_is(&t, ""));
  t.len = 0;
  assert_true(wat_tok_is(&t, ""));
}

/* Bytes outside strings and comments that no token may contain. */
static void test_illegal_bytes(void **state) {
  (void)state;
  for (int c = 0; c < 0x80; c++) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '(' ||
        c == ')' || c == ';')
      continue;
    char src[4] = {'a', ' ', (char)c, 'b'};
    bool legal = (c >= 0x21 && c < 0x7f);
    if (legal)
      continue;
    expect_error_n(src, 4, 1, 3, "unexpected character");
  }
  expect_error("x \xc3\xa4 y", 1, 3, "non-ASCII");
  expect_error("x \xef\xbb\xbf", 1, 3, "non-ASCII"); /* BOM */
  expect_error("x \x80", 1, 3, "malformed UTF-8");
  expect_error("x \xc0\x80", 1, 3, "malformed UTF-8");
  expect_error("x \xff", 1, 3, "malformed UTF-8");
  /* a non-ASCII character ends a token; the error comes with the next one */
  wat_lexer lx;
  wat_tok t;
  const char *src = "ab\xc3\xa4";
  wat_lex_init(&lx, src, strlen(src));
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_tok_is(&t, "ab"));
  assert_false(wat_lex_next(&lx, &t));
  assert_int_equal(lx.err.pos.col, 3);
  assert_int_equal(lx.at, 4); /* after the whole character */
  assert_true(wat_lex_next(&lx, &t));
  assert_int_equal(t.kind, WAT_EOF);
}

/* After an error the lexer continues after the offending text. */
static void test_continue_after_error(void **state) {
  (void)state;
  const char *src = "a \x01 b \"x\x02y\" c \"\\q\" d";
  wat_lexer lx;
  wat_tok t;
  wat_lex_init(&lx, src, strlen(src));
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_tok_is(&t, "a"));
  assert_false(wat_lex_next(&lx, &t));
  assert_int_equal(lx.err.pos.col, 3);
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_tok_is(&t, "b"));
  assert_false(wat_lex_next(&lx, &t)); /* control character in the string */
  assert_int_equal(lx.err.pos.col, 9);
  assert_true(wat_lex_next(&lx, &t));  /* resumes after the string */
  assert_true(wat_tok_is(&t, "c"));
  assert_false(wat_lex_next(&lx, &t)); /* invalid escape */
  assert_int_equal(lx.err.pos.col, 16);
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_tok_is(&t, "d"));
  assert_true(wat_lex_next(&lx, &t));
  assert_int_equal(t.kind, WAT_EOF);
}

/* ------------------------------------------------------------------------
 * Comments
 * ---------------------------------------------------------------------- */

static void test_comments(void **state) {
  (void)state;
  /* comments.wast, abridged */
  expect_blank(";;comment\n;;;;;;;;;;;\n    ;;comment\n;;)\n;;;)\n;; ;)\n;; (;\n");
  expect_blank("(;;)(;comment;)(;;comment;)(;;;comment;)(;;;;;;;;;;;;;;)");
  expect_blank("(;(((((((((( ;)(;)))))))))));)(;comment\";)(;comment\"\";)");
  expect_blank_n("(;\x00\x01\x02\x7f\x1f;)", 9);
  expect_blank_n("(;\x00;)", 5);
  expect_blank("(;Hei\xc3\x9f" "e W\xc3\xbcrstchen;)(;\xef\x98\x9a\xef\x92\xa9;)");
  expect_blank("(;comment(;nested;)comment;)(;comment\n(;nested\n;)comment\n;)");
  expect_blank("(;comment;;comment;)(;comment;;comment\n;)");
  expect_blank("(;a(;b(;c;)b;)a;)");
  expect_blank(";; at the end without newline");
  expect_blank(";;\x01\x02 control characters are fine\n");
  EXPECT_TOKENS("(;comment;)((;comment;)\n(;comment;)module(;comment;)\n(;comment;))(;comment;)",
                {WAT_LPAREN, "("}, {WAT_KEYWORD, "module"}, {WAT_RPAREN, ")"});
  /* a line comment ends at LF, CR or CR LF */
  EXPECT_TOKENS(";; c\na", {WAT_KEYWORD, "a"});
  EXPECT_TOKENS(";; c\ra", {WAT_KEYWORD, "a"});
  EXPECT_TOKENS(";; c\r\na", {WAT_KEYWORD, "a"});
  /* `(;)` opens a comment; `;)` closes it */
  EXPECT_TOKENS("(;);) x", {WAT_KEYWORD, "x"});
  /* errors */
  expect_error("x (; never closed", 1, 3, "unterminated block comment");
  expect_error("x\n  (; a (; b ;) c", 2, 3, "unterminated block comment");
  expect_error("(;;", 1, 1, "unterminated block comment");
  expect_error("(;\n\n(;;)", 1, 1, "unterminated block comment");
  expect_error("(; \xff ;)", 1, 4, "malformed UTF-8");
  expect_error("(;\n\xed\xa0\x80;)", 2, 1, "malformed UTF-8"); /* a surrogate */
  expect_error(";; ok\n;; \xc3", 2, 4, "malformed UTF-8");
  expect_error(";; \xf4\x90\x80\x80\n", 1, 4, "malformed UTF-8"); /* > U+10FFFF */
}

/* Nesting is counted, not recursed: a million levels are fine. */
static void test_deep_nesting(void **state) {
  (void)state;
  enum { DEPTH = 1000000 };
  size_t n = 4 * DEPTH;
  char *src = malloc(n);
  assert_non_null(src);
  for (size_t k = 0; k < DEPTH; k++) {
    src[2 * k] = '(';
    src[2 * k + 1] = ';';
    src[2 * DEPTH + 2 * k] = ';';
    src[2 * DEPTH + 2 * k + 1] = ')';
  }
  expect_blank_n(src, n);
  expect_error_n(src, n - 2, 1, 1, "unterminated block comment");
  /* annotations: (@a ((((...)))) ) */
  n = 4 + 2 * DEPTH + 1;
  char *ann = malloc(n);
  assert_non_null(ann);
  memcpy(ann, "(@a ", 4);
  memset(ann + 4, '(', DEPTH);
  memset(ann + 4 + DEPTH, ')', DEPTH);
  ann[n - 1] = ')';
  expect_blank_n(ann, n);
  expect_error_n(ann, n - 1, 1, 1, "unterminated annotation");
  /* nested annotations */
  for (size_t k = 0; k < DEPTH; k++)
    memcpy(src + 3 * k, "(@a", 3);
  memset(src + 3 * DEPTH, ')', DEPTH);
  expect_blank_n(src, 4 * DEPTH);
  free(ann);
  free(src);
}

/* ------------------------------------------------------------------------
 * Annotations (annotations.wast)
 * ---------------------------------------------------------------------- */

static const char annotated_module[] =
    "(module\n"
    "  (@a)\n"
    "  (@0)\n"
    "  (@aas-3!@$d-@#4)\n"
    "  (@@) (@$) (@+) (@0) (@.) (@!$@#$23414@#$)\n"
    "  (@\"a\")\n"
    "  (@\" @ asd\\2a 045 \\\" fdaf \\t \\u{45}\")\n"
    "\n"
    "  (@a x y z)\n"
    "  (@a x-y $yz \"aa\" -2 0.3 0x3)\n"
    "  (@a x-y$yz\"aa\"-2)\n"
    "  (@a block func module i32.add)\n"
    "  (@a 0x 8q 0xfa #4g0-.@f#^&@#$*0sf -- @#)\n"
    "  (@a , ; ] [ }} }x{ ({) ,{{};}] ;)\n"
    "  (@a (bla) () (5-g) (\"aa\" a) ($x) (bla bla) (x (y)) \")\" \"(\" x\")\"y)\n"
    "  (@a @ @x (@x) (@x y) (@) (@ x) (@(@(@(@)))))\n"
    "  (@a (;bla;) (; ) ;)\n"
    "    ;; bla)\n"
    "    ;; bla (@x\n"
    "  )\n"
    ")\n";

static void test_annotations(void **state) {
  (void)state;
  EXPECT_TOKENS(annotated_module, {WAT_LPAREN, "("}, {WAT_KEYWORD, "module"},
                {WAT_RPAREN, ")"});
  EXPECT_TOKENS("((@a) module (@a) $m (@a) (@a)\n ((@a) func (@a) $f (@a)) (@a))",
                {WAT_LPAREN, "("}, {WAT_KEYWORD, "module"}, {WAT_ID, "$m"},
                {WAT_LPAREN, "("}, {WAT_KEYWORD, "func"}, {WAT_ID, "$f"},
                {WAT_RPAREN, ")"}, {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(@a) (func) (@a)", {WAT_LPAREN, "("}, {WAT_KEYWORD, "func"},
                {WAT_RPAREN, ")"});
  /* the annotation id can be directly followed by a string */
  expect_blank("(@a\"b\")(@\"a\"x)");
  expect_blank("(@a \t)(@a \n)(@a \r)(@a  )");
  expect_blank("(@a $\"\" \"\\u{10ffff}\")");

  /* characters annotations may not contain */
  for (int c = 0; c < 0x20; c++) {
    if (c == '\t' || c == '\n' || c == '\r')
      continue;
    char src[6] = {'(', '@', 'a', ' ', (char)c, ')'};
    expect_error_n(src, 6, 1, 5, "illegal character");
  }
  expect_error("(@a \x7f)", 1, 5, "illegal character");
  const char *bad_utf8[] = {"\x80", "\x81", "\x90", "\xa0", "\xb0", "\xc0", "\xd0",
                            "\xe0", "\xf0", "\xff"};
  for (size_t k = 0; k < sizeof bad_utf8 / sizeof bad_utf8[0]; k++) {
    char src[16];
    snprintf(src, sizeof src, "(@a %s)", bad_utf8[k]);
    expect_error(src, 1, 5, "malformed UTF-8");
  }
  expect_error("(@a Hei\xc3\x9f" "e W\xc3\xbcrstchen)", 1, 8, "illegal character");
  expect_error("(@a \xef\x98\x9a\xef\x92\xa9)", 1, 5, "illegal character");

  /* annotation ids */
  expect_error("(@)", 1, 1, "empty annotation id");
  expect_error("(@ )", 1, 1, "empty annotation id");
  expect_error("(@ x)", 1, 1, "empty annotation id");
  expect_error("(@(@a)x)", 1, 1, "empty annotation id");
  expect_error("x\n (@ \"a\")", 2, 2, "empty annotation id");
  expect_error("(@\"\")", 1, 3, "annotation id");
  expect_error("(@\"\\ef\")", 1, 3, "annotation id");
  expect_error("(@a (@\"\"))", 1, 7, "annotation id");
  expect_error("(@\"\n\")", 1, 3, "unterminated string");

  /* unclosed annotations point at their start */
  expect_error("(@x ", 1, 1, "unterminated annotation");
  expect_error("(@x ()", 1, 1, "unterminated annotation");
  expect_error(" (@x (y (z))", 1, 2, "unterminated annotation");
  expect_error("(@x (@y )", 1, 1, "unterminated annotation");
  expect_error("(@x ;; (@y ))", 1, 1, "unterminated annotation");
  expect_error("(@x (; ) ;)", 1, 1, "unterminated annotation");
  /* ... and strings and comments in them must be closed */
  expect_error("(@x \"", 1, 5, "unterminated string");
  expect_error("(@x \")", 1, 5, "unterminated string");
  expect_error("(@x (; )", 1, 5, "unterminated block comment");
  expect_error("(@x \"\\z\")", 1, 6, "invalid escape");
  /* extra closing parentheses are tokens for the parser */
  EXPECT_TOKENS("(@x))", {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(@x ()))", {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(@x (y (z))))", {WAT_RPAREN, ")"});
  EXPECT_TOKENS("(@x (@y )))", {WAT_RPAREN, ")"});
  /* line positions continue correctly after a multi-line annotation */
  wat_lexer lx;
  wat_tok t;
  const char *src = "(@x\n(;\n;)\r\n\"a\" ;; c\r)  y";
  wat_lex_init(&lx, src, strlen(src));
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_tok_is(&t, "y"));
  assert_int_equal(t.pos.line, 5);
  assert_int_equal(t.pos.col, 4);
}

/* ------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------- */

/* The bytes the single string token src denotes. */
static size_t decode(const char *src, uint8_t *out) {
  wat_lexer lx;
  wat_tok t;
  wat_lex_init(&lx, src, strlen(src));
  if (!wat_lex_next(&lx, &t))
    fail_msg("lexing %s: %s", src, lx.err.msg);
  assert_int_equal(t.kind, WAT_STRING);
  assert_int_equal(t.len, strlen(src));
  size_t n = wat_string(&t, out);
  assert_true(n <= t.len);
  return n;
}

#define EXPECT_STRING(src, bytes)                               \
  do {                                                          \
    uint8_t out_[256];                                          \
    size_t n_ = decode(src, out_);                              \
    assert_int_equal(n_, sizeof(bytes) - 1);                    \
    assert_memory_equal(out_, bytes, sizeof(bytes) - 1);        \
  } while (0)

static void test_strings(void **state) {
  (void)state;
  EXPECT_STRING("\"\"", "");
  EXPECT_STRING("\"abc\"", "abc");
  EXPECT_STRING("\"\\t\\n\\r\\\"\\'\\\\\"", "\t\n\r\"'\\");
  EXPECT_STRING("\"\\00\\ff\\7F\\aB\"", "\x00\xff\x7f\xab");
  EXPECT_STRING("\"\\u{0}\\u{41}\\u{7f}\"", "\x00" "A\x7f");
  EXPECT_STRING("\"\\u{80}\\u{7ff}\\u{800}\"", "\xc2\x80\xdf\xbf\xe0\xa0\x80");
  EXPECT_STRING("\"\\u{d7ff}\\u{e000}\\u{ffff}\"", "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
  EXPECT_STRING("\"\\u{10000}\\u{10FFFF}\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
  EXPECT_STRING("\"\\u{1_F6_00}\\u{000000041}\"", "\xf0\x9f\x98\x80" "A");
  EXPECT_STRING("\"Hei\xc3\x9f" "e \xf0\x9f\x98\x80\"", "Hei\xc3\x9f" "e \xf0\x9f\x98\x80");
  EXPECT_STRING("\"(;\\\";;)\"", "(;\";;)");
  /* the decoded form may be invalid UTF-8: data strings are bytes */
  EXPECT_STRING("\"\\ef\\80\"", "\xef\x80");

  /* escapes */
  expect_error("\"\\x41\"", 1, 2, "invalid escape");
  expect_error("\"\\4\"", 1, 2, "invalid escape");
  expect_error("\"\\4g\"", 1, 2, "invalid escape");
  expect_error("  \"ab\\ \"", 1, 6, "invalid escape");
  expect_error("\"\\u41\"", 1, 2, "invalid escape");
  expect_error("\"\\u{}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{_41}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{41_}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{4__1}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{41\"", 1, 2, "invalid escape");
  expect_error("\"\\u{g}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{d800}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{DFFF}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{110000}\"", 1, 2, "invalid escape");
  expect_error("\"\\u{ffffffffffffffffffff41}\"", 1, 2, "invalid escape");
  expect_error("\"\\N\"", 1, 2, "invalid escape");
  /* control characters, newlines, the end */
  for (int c = 0; c < 0x20; c++) {
    if (c == '\n' || c == '\r')
      continue;
    char src[4] = {'"', 'a', (char)c, '"'};
    expect_error_n(src, 4, 1, 3, "control character");
  }
  expect_error("\"a\x7f\"", 1, 3, "control character");
  expect_error("x \"ab\ncd\"", 1, 3, "unterminated string");
  expect_error("x \"ab\rcd\"", 1, 3, "unterminated string");
  expect_error("\"abc", 1, 1, "unterminated string");
  expect_error("\"abc\\", 1, 1, "unterminated string");
  expect_error("\"abc\\\"", 1, 1, "unterminated string");
  /* UTF-8 inside strings must be well-formed */
  const char *bad[] = {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x41",
                       "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
                       "\xef\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
                       "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80",
                       "\xfe", "\xff"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    char src[16];
    snprintf(src, sizeof src, "\"a%s\"", bad[k]);
    expect_error(src, 1, 3, "malformed UTF-8");
  }
  /* a string cut short by the end of input is never read past */
  expect_error_n("\"\xf0\x90\x80", 4, 1, 2, "malformed UTF-8");
  expect_error_n("\"\\u{1", 5, 1, 2, "invalid escape");
  expect_error_n("\"\\4", 3, 1, 2, "invalid escape");
  expect_error_n("\"\\", 2, 1, 1, "unterminated string");
}

static void test_utf8_valid(void **state) {
  (void)state;
  struct {
    const char *s;
    size_t n;
    bool ok;
  } cases[] = {
      {"", 0, true},
      {"abc", 3, true},
      {"\x00", 1, true},
      {"\x7f", 1, true},
      {"\xc2\x80", 2, true},
      {"\xdf\xbf", 2, true},
      {"\xe0\xa0\x80", 3, true},
      {"\xed\x9f\xbf", 3, true},
      {"\xee\x80\x80", 3, true},
      {"\xef\xbf\xbf", 3, true},
      {"\xf0\x90\x80\x80", 4, true},
      {"\xf4\x8f\xbf\xbf", 4, true},
      {"\xf3\xbf\xbf\xbf", 4, true},
      {"\x80", 1, false},
      {"\xc0\x80", 2, false},       /* overlong NUL */
      {"\xc1\xbf", 2, false},       /* overlong */
      {"\xe0\x9f\xbf", 3, false},   /* overlong */
      {"\xf0\x8f\xbf\xbf", 4, false},
      {"\xed\xa0\x80", 3, false},   /* U+D800 */
      {"\xed\xbf\xbf", 3, false},   /* U+DFFF */
      {"\xf4\x90\x80\x80", 4, false}, /* U+110000 */
      {"\xf5\x80\x80\x80", 4, false},
      {"\xc2", 1, false},           /* truncated */
      {"\xe0\xa0", 2, false},
      {"\xf0\x90\x80", 3, false},
      {"\xc2\xc2", 2, false},
      {"\xe1\x80\x41", 3, false},
      {"\xf1\x80\x80\xc0", 4, false},
      {"\xfe\xff", 2, false},
      {"a\xc3\xa4" "b", 4, true},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    uint8_t *p = (uint8_t *)exact_copy(cases[k].s, cases[k].n);
    if (wat_utf8_valid(p, cases[k].n) != cases[k].ok)
      fail_msg("utf8 case %zu should be %s", k, cases[k].ok ? "valid" : "invalid");
    free(p);
  }
}

/* ------------------------------------------------------------------------
 * Numbers: helpers, and integers
 * ---------------------------------------------------------------------- */

typedef enum numtype { U32, U64, I32, I64, F32, F64 } numtype;
static const char *const type_names[] = {"u32", "u64", "i32", "i64", "f32", "f64"};

/* Converts s (copied to an exact-size buffer) as `type`.  On failure the
 * output must be left unchanged. */
static bool parse_as(numtype type, const char *s, uint64_t *out) {
  size_t n = strlen(s);
  char *buf = exact_copy(s, n);
  const uint32_t sentinel32 = 0x5a5a5a5a;
  const uint64_t sentinel64 = 0xa5a5a5a5a5a5a5a5ull;
  uint32_t v32 = sentinel32;
  uint64_t v64 = sentinel64;
  bool ok, narrow = type == U32 || type == I32 || type == F32;
  switch (type) {
  case U32: ok = wat_parse_u32(buf, n, &v32); break;
  case I32: ok = wat_parse_i32(buf, n, &v32); break;
  case F32: ok = wat_parse_f32(buf, n, &v32); break;
  case U64: ok = wat_parse_u64(buf, n, &v64); break;
  case I64: ok = wat_parse_i64(buf, n, &v64); break;
  default: ok = wat_parse_f64(buf, n, &v64); break;
  }
  free(buf);
  if (!ok && (v32 != sentinel32 || v64 != sentinel64))
    fail_msg("%s %s: rejected, but the output was written", type_names[type], s);
  *out = narrow ? v32 : v64;
  return ok;
}

static void expect_num(numtype type, const char *s, uint64_t want) {
  uint64_t v;
  if (!parse_as(type, s, &v))
    fail_msg("%s %s rejected", type_names[type], s);
  if (v != want)
    fail_msg("%s %s: 0x%llx, expected 0x%llx", type_names[type], s, (unsigned long long)v,
             (unsigned long long)want);
}

static void expect_bad(numtype type, const char *s) {
  uint64_t v;
  if (parse_as(type, s, &v))
    fail_msg("%s %s accepted (0x%llx)", type_names[type], s, (unsigned long long)v);
}

static bool f32_of(const char *s, uint32_t *v) { return wat_parse_f32(s, strlen(s), v); }
static bool f64_of(const char *s, uint64_t *v) { return wat_parse_f64(s, strlen(s), v); }

static void test_integers(void **state) {
  (void)state;
  expect_num(U32, "0", 0);
  expect_num(U32, "00", 0);
  expect_num(U32, "010", 10);
  expect_num(U32, "4294967295", 0xffffffff);
  expect_num(U32, "0xffffffff", 0xffffffff);
  expect_num(U32, "0xFFFF_ffff", 0xffffffff);
  expect_num(U32, "0x0000000000000000000001", 1);
  expect_num(U32, "1_2_3", 123);
  expect_bad(U32, "4294967296");
  expect_bad(U32, "0x100000000");
  expect_bad(U32, "+1");
  expect_bad(U32, "-0");
  expect_bad(U32, "");
  expect_bad(U32, "0x");
  expect_bad(U32, "0X1");
  expect_bad(U32, "1.0");
  expect_bad(U32, "1e1");
  expect_bad(U32, "_1");
  expect_bad(U32, "1_");
  expect_bad(U32, "1__2");
  expect_bad(U32, "0x_1");
  expect_bad(U32, "0_x1");
  expect_bad(U32, "a");
  expect_bad(U32, " 1");

  expect_num(U64, "18446744073709551615", UINT64_MAX);
  expect_num(U64, "0xffff_ffff_ffff_ffff", UINT64_MAX);
  expect_num(U64, "1844674407370955161", 1844674407370955161ull);
  expect_bad(U64, "18446744073709551616");
  expect_bad(U64, "18446744073709551620");
  expect_bad(U64, "99999999999999999999999");
  expect_bad(U64, "0x1_0000_0000_0000_0000");
  expect_bad(U64, "-1");

  expect_num(I32, "-1", 0xffffffff);
  expect_num(I32, "+42", 42);
  expect_num(I32, "-0", 0);
  expect_num(I32, "+0", 0);
  expect_num(I32, "-0x0", 0);
  expect_num(I32, "2147483647", 0x7fffffff);
  expect_num(I32, "2147483648", 0x80000000);
  expect_num(I32, "4294967295", 0xffffffff);
  expect_num(I32, "-2147483648", 0x80000000);
  expect_num(I32, "-0x8000_0000", 0x80000000);
  expect_num(I32, "+2147483647", 0x7fffffff);
  expect_num(I32, "+0x7fffffff", 0x7fffffff);
  /* wat_lex.h: [-2^31, 2^32 - 1] whatever the sign (the spec's TsN would
   * reject an explicit + above 2^31 - 1; the reference interpreter does not) */
  expect_num(I32, "+2147483648", 0x80000000);
  expect_num(I32, "+0xffffffff", 0xffffffff);
  expect_bad(I32, "+4294967296");
  expect_bad(I32, "-2147483649");
  expect_bad(I32, "-0x80000001");
  expect_bad(I32, "4294967296");
  expect_bad(I32, "-18446744073709551616");
  expect_bad(I32, "--1");
  expect_bad(I32, "+-1");
  expect_bad(I32, "-");
  expect_bad(I32, "+");
  expect_bad(I32, "-_1");
  expect_bad(I32, "1.");

  expect_num(I64, "-9223372036854775808", 0x8000000000000000ull);
  expect_num(I64, "-0x8000000000000000", 0x8000000000000000ull);
  expect_num(I64, "9223372036854775807", 0x7fffffffffffffffull);
  expect_num(I64, "+9223372036854775807", 0x7fffffffffffffffull);
  expect_num(I64, "18446744073709551615", UINT64_MAX);
  expect_num(I64, "-1", UINT64_MAX);
  expect_num(I64, "+18446744073709551615", UINT64_MAX);
  expect_bad(I64, "+18446744073709551616");
  expect_bad(I64, "-9223372036854775809");
  expect_bad(I64, "-18446744073709551615");
  expect_bad(I64, "18446744073709551616");
}

/* ------------------------------------------------------------------------
 * Floats: hand-picked edge cases
 * ---------------------------------------------------------------------- */


static void test_float_specials(void **state) {
  (void)state;
  expect_num(F32, "inf", 0x7f800000);
  expect_num(F32, "-inf", 0xff800000);
  expect_num(F32, "nan", 0x7fc00000);
  expect_num(F32, "-nan", 0xffc00000);
  expect_num(F32, "nan:0x1", 0x7f800001);
  expect_num(F32, "-nan:0x7f_ffff", 0xffffffff);
  expect_num(F32, "+nan:0x0000000000000000001", 0x7f800001);
  expect_num(F64, "nan:0xf_ffff_ffff_ffff", 0x7fffffffffffffffull);
  expect_num(F64, "-nan:0x8_0000_0000_0000", 0xfff8000000000000ull);
  expect_num(F64, "+inf", 0x7ff0000000000000ull);
  expect_bad(F32, "nan:0x0");
  expect_bad(F32, "nan:0x800000");
  expect_bad(F64, "nan:0x10000000000000");
  expect_bad(F64, "nan:0x1_0000_0000_0000_0000_0000");
  expect_bad(F32, "nan:0x");
  expect_bad(F32, "nan:0x_1");
  expect_bad(F32, "nan:1");
  expect_bad(F32, "nan:0X1");
  expect_bad(F32, "nan:");
  expect_bad(F32, "nan:canonical");
  expect_bad(F32, "nan:arithmetic");
  expect_bad(F32, "NaN");
  expect_bad(F32, "Inf");
  expect_bad(F32, "infinity");
  expect_bad(F64, "nan(1)");
  expect_bad(F32, "+-inf");
  expect_bad(F32, "");
  expect_bad(F32, "-");
  expect_bad(F64, "0x1p");
  expect_bad(F64, "0x1.p");
  expect_bad(F64, "1.e");
  expect_bad(F64, "1e+-1");
  expect_num(F64, "0x1.8e", 0x3ff8e00000000000ull); /* e is a hex digit here */
}

static void test_float_hex_rounding(void **state) {
  (void)state;
  /* f64: ties to even, above and below the tie, beyond 64 bits of digits */
  expect_num(F64, "0x1p0", 0x3ff0000000000000ull);
  expect_num(F64, "0x1.00000000000008p0", 0x3ff0000000000000ull);  /* tie, even below */
  expect_num(F64, "0x1.00000000000018p0", 0x3ff0000000000002ull);  /* tie, even above */
  expect_num(F64, "0x1.000000000000080000000000000000000001p0", 0x3ff0000000000001ull);
  expect_num(F64, "0x1.00000000000007ffffffffffffffffffffffp0", 0x3ff0000000000000ull);
  expect_num(F64, "0x1.0000000000000fffffffffffffffffffffffp0", 0x3ff0000000000001ull);
  expect_num(F64, "0x1_0000_0000_0000_0800p0", 0x43f0000000000000ull); /* 2^64 + 2^11: tie */
  expect_num(F64, "0x1_0000_0000_0000_0801p0", 0x43f0000000000001ull);
  expect_num(F64, "0x1_0000_0000_0000_1800p0", 0x43f0000000000002ull);
  expect_num(F64, "0x20_0000_0000_0001p0", 0x4340000000000000ull);    /* 2^53 + 1: tie */
  expect_num(F64, "0x20_0000_0000_0003p0", 0x4340000000000002ull);
  /* the largest finite value and the overflow boundary */
  expect_num(F64, "0x1.fffffffffffffp1023", 0x7fefffffffffffffull);
  expect_num(F64, "0x1.fffffffffffff7ffffffffffffffp1023", 0x7fefffffffffffffull);
  expect_num(F64, "-0x1.fffffffffffff7ffffffffffffffp1023", 0xffefffffffffffffull);
  expect_bad(F64, "0x1.fffffffffffff8p1023");
  expect_bad(F64, "0x1p1024");
  expect_bad(F64, "0x1p+1000000");
  expect_bad(F64, "-0x1p+1000000");
  expect_bad(F64, "0x1p99999999999999999999999999999999999999");
  expect_bad(F64, "0x0.0000000000000000000000000001p+99999999999999999");
  /* subnormals and underflow */
  expect_num(F64, "0x1p-1022", 0x0010000000000000ull);
  expect_num(F64, "0x1p-1074", 0x0000000000000001ull);
  expect_num(F64, "0x1p-1075", 0x0000000000000000ull);             /* tie with 0: even */
  expect_num(F64, "-0x1p-1075", 0x8000000000000000ull);
  expect_num(F64, "0x1.0000000000000000001p-1075", 0x0000000000000001ull);
  expect_num(F64, "0x1.8p-1074", 0x0000000000000002ull);           /* 1.5 ulp: tie, even */
  expect_num(F64, "0x1.4p-1073", 0x0000000000000002ull);           /* 2.5 ulp: tie, even */
  expect_num(F64, "0x1.8p-1073", 0x0000000000000003ull);
  expect_num(F64, "0x1p-1076", 0x0000000000000000ull);
  expect_num(F64, "0x1.fffffffffffffp-1023", 0x0010000000000000ull); /* rounds up to normal */
  expect_num(F64, "0x0.fffffffffffff8p-1022", 0x0010000000000000ull);
  expect_num(F64, "0x0.fffffffffffff7p-1022", 0x000fffffffffffffull);
  expect_num(F64, "0x1p-1000000", 0x0000000000000000ull);
  expect_num(F64, "-0x1p-99999999999999999999999999999", 0x8000000000000000ull);
  expect_num(F64, "0x0p+99999999999999999999999999999", 0x0000000000000000ull);
  expect_num(F64, "-0x0.0p0", 0x8000000000000000ull);
  /* digits far from the point */
  expect_num(F64, "0x0.00000000000000000000000000000000000000000000000001p+200",
         0x3ff0000000000000ull); /* 2^-200 * 2^200 */
  expect_num(F64, "0x1000000000000000000000000000000000000000000000000000p-204",
         0x3ff0000000000000ull);
  expect_num(F64, "0x1.p4", 0x4030000000000000ull);
  expect_num(F64, "0x1P-1", 0x3fe0000000000000ull);
  expect_num(F64, "0x1.8", 0x3ff8000000000000ull);
  expect_num(F64, "0xA.Bp+0", 0x4025600000000000ull);

  /* f32 */
  expect_num(F32, "0x1.fffffep127", 0x7f7fffff);
  expect_num(F32, "0x1.fffffefffffffffffp127", 0x7f7fffff);
  expect_bad(F32, "0x1.ffffffp127");
  expect_bad(F32, "0x1p128");
  expect_num(F32, "0x1p-126", 0x00800000);
  expect_num(F32, "0x1p-149", 0x00000001);
  expect_num(F32, "0x1p-150", 0x00000000);
  expect_num(F32, "-0x1p-150", 0x80000000);
  expect_num(F32, "0x1.000002p-150", 0x00000001);
  expect_num(F32, "0x1.8p-149", 0x00000002);
  expect_num(F32, "0x1.fffffcp-127", 0x007fffff);
  expect_num(F32, "0x1.fffffep-127", 0x00800000);
  expect_num(F32, "0x1.000001p0", 0x3f800000);   /* tie, even below */
  expect_num(F32, "0x1.000003p0", 0x3f800002);   /* tie, even above */
  expect_num(F32, "0x1.0000010000000000000000001p0", 0x3f800001);
  expect_num(F32, "0x1p-1000000", 0x00000000);
  expect_bad(F32, "0x1p+1000000");
}

static void test_float_decimal(void **state) {
  (void)state;
  expect_num(F64, "0", 0x0000000000000000ull);
  expect_num(F64, "-0", 0x8000000000000000ull);
  expect_num(F64, "-0.0e0", 0x8000000000000000ull);
  expect_num(F64, "1", 0x3ff0000000000000ull);
  expect_num(F64, "1.", 0x3ff0000000000000ull);
  expect_num(F64, "1.e1", 0x4024000000000000ull);
  expect_num(F64, "1E1", 0x4024000000000000ull);
  expect_num(F64, "+1e+1", 0x4024000000000000ull);
  expect_num(F64, "1_0e1_0", 0x42374876e8000000ull);
  expect_num(F64, "1_000.000_1", 0x408f4000346dc5d6ull);
  expect_num(F64, "0.1", 0x3fb999999999999aull);
  expect_num(F64, "4.9406564584124654e-324", 0x0000000000000001ull);
  expect_num(F64, "2.4703282292062327e-324", 0x0000000000000000ull); /* just below half */
  expect_num(F64, "2.4703282292062328e-324", 0x0000000000000001ull); /* just above */
  expect_num(F64, "1.7976931348623157e308", 0x7fefffffffffffffull);
  expect_num(F64, "1.7976931348623158e308", 0x7fefffffffffffffull);
  expect_bad(F64, "1.7976931348623159e308");
  expect_bad(F64, "1e309");
  expect_bad(F64, "-1e309");
  expect_bad(F64, "1e99999999999999999999");
  expect_num(F64, "1e-400", 0x0000000000000000ull);
  expect_num(F64, "-1e-400", 0x8000000000000000ull);
  expect_num(F64, "1e-99999999999999999999", 0x0000000000000000ull);
  expect_num(F64, "0e99999999999999999999", 0x0000000000000000ull);
  expect_num(F64, "0.000000000000000000000000000000000000000000000000000000000000000001e66",
         0x3ff0000000000000ull);
  expect_num(F32, "0.1", 0x3dcccccd);
  expect_num(F32, "3.4028234663852886e38", 0x7f7fffff);
  expect_num(F32, "3.4028235677973366e38", 0x7f7fffff); /* just below the rounding limit */
  expect_bad(F32, "3.4028235677973367e38");
  expect_bad(F32, "1e39");
  expect_num(F32, "1e-46", 0x00000000);
  expect_num(F32, "-1e-46", 0x80000000);
  expect_num(F32, "1.4e-45", 0x00000001);
  /* f32 is rounded once, not via double: 1 + 2^-24 + 2^-60 is above the
   * tie between 1 and 1 + 2^-23, but its nearest double is the tie */
  expect_num(F32, "1.000000059604644776257986737988403547205962240695953369140625", 0x3f800001);
  expect_num(F32, "1.00000005960464478", 0x3f800001);
  expect_num(F32, "1.0000000596046447753906250", 0x3f800000); /* the exact tie */
  /* the decimal point is '.', whatever the locale */
  expect_num(F64, "2.5", 0x4004000000000000ull);
  expect_bad(F64, "2,5");
  /* subnormals that glibc 2.36's strtof and strtod misround (both lie 3/4
   * of the way from one value to the next) */
  expect_num(F32, "7.6319209031953859533261300968607234915514146794773617854227849537158598"
         "867969683254841584130190312862396240234375e-39",
         0x00531ab1);
  expect_num(F64, 
      "1.3800236742750632638335685070576086177233556189377062878733009720437929"
      "892835305092791128248026010195626410008312646548582472972428738600515742"
      "132844225086390788924680127491131371555408173858605483983268353456928326"
      "508040908964485024587899050993744605087419669903842004062087429111011240"
      "356506654782827130142872026020255097131836080161668264021757079560141022"
      "450936058045589507725356387055915343100886090401856504269034042071174772"
      "454150075320204352511680889768852257624631745501828557920308992076314034"
      "465012564311133047614429230913456228065967846298190520940882756712318761"
      "210334662871361755134369990473626890427286892332390249741043820404955857"
      "914854156480417181998251995378617659859012434570690075973969599596855151"
      "96005606113061059403435137937776744365692138671875e-308",
      0x0009ec6652f3883dull);
  /* long mantissas */
  char big[700];
  memset(big, '9', 400);
  memcpy(big + 400, "e-400", 6);
  expect_num(F64, big, 0x3ff0000000000000ull); /* 0.999... (400 nines) rounds to 1 */
  memset(big, '1', 600);
  big[600] = '\0';
  expect_bad(F64, big);
  expect_num(F32, "0000000000000000000000000000000000000000000000000000000000000001", 0x3f800000);
}

/* Syntax: every place an underscore or a part can be wrong. */
static void test_float_syntax(void **state) {
  (void)state;
  const char *ok[] = {"1", "-1", "+1", "1.", "1.5", "1e5", "1E5", "1e+5", "1e-5",
                      "1.e5", "1.5e5", "1_0.0_1e1_0", "0x1", "0x1.", "0x1.8", "0x1p1",
                      "0x1P1", "0x1.p1", "0x1.8p1", "0x1.8p+1", "0x1.8p-1",
                      "0xA_b.C_dp1_0", "+0x1", "-0x1.8p1", "0123"};
  for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
    uint64_t v;
    uint32_t w;
    if (!f64_of(ok[k], &v) || !f32_of(ok[k], &w))
      fail_msg("float %s rejected", ok[k]);
  }
  const char *bad[] = {".5", "-.5", "1e", "1e+", "1.e", "e1", "1.5.5", "1e5.5", "1e1e1",
                       "0x", "0x.", "0x.8", "0x1p", "0x1p+", "0x1.8p", "0x1e+1x", "1x",
                       "0x1g", "0X1", "0x1.8P1.0", "1_", "_1", "1__0", "1_.0", "1._0",
                       "1.0_", "1_e1", "1e_1", "1e1_", "1e+_1", "1e_+1", "0x_1", "0_x1",
                       "0x1_", "0x1_.0", "0x1._0", "0x1.0_", "0x1_p1", "0x1p_1",
                       "0x1p1_", "0x1p+_1", "++1", "-+1", "- 1", "1 ", " 1", "inf ",
                       "-inf:0x1", "nan:0x1p1", "nan:0x1.0", "1d", "0b1", "1f"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    uint64_t v = 7;
    uint32_t w = 7;
    if (f64_of(bad[k], &v) || f32_of(bad[k], &w))
      fail_msg("float %s accepted", bad[k]);
    assert_int_equal(v, 7);
    assert_int_equal(w, 7);
  }
}

/* Random literals, checked against the hardware's rounding: a value with
 * at most 64 significant bits is exact as an x87 long double, and the
 * conversion of a long double to double or float rounds once, to nearest
 * even, subnormals and overflow included.  (glibc's strtod and strtof are
 * no oracle: 2.36 misrounds some subnormal results.) */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* A hex literal of at most 16 digits, biased towards ties (digits 0, 8, f)
 * and the ends of the format's exponent range; *value is its value. */
static void random_hex(char *buf, size_t size, bool f32, long double *value) {
  static const char digit_pool[] = "0000888ffff1123456789abcdefABCDEF";
  size_t n = 0, digits = 1 + rng() % 16, ints = 1 + rng() % digits;
  bool neg = rng() % 4 == 0;
  uint64_t mant = 0;
  if (neg)
    buf[n++] = '-';
  buf[n++] = '0';
  buf[n++] = 'x';
  for (size_t k = 0; k < digits; k++) {
    if (k == ints)
      buf[n++] = '.';
    char c = digit_pool[rng() % (sizeof digit_pool - 1)];
    buf[n++] = c;
    mant = mant * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  int span = f32 ? 340 : 2250;
  int exp = (int)(rng() % (uint64_t)span) - span / 2 - (f32 ? 30 : 40);
  snprintf(buf + n, size - n, "p%d", exp);
  long double v = ldexpl((long double)mant, exp - 4 * (int)(digits - ints));
  *value = neg ? -v : v;
}

static void test_float_hex_random(void **state) {
  (void)state;
  if (LDBL_MANT_DIG < 64)
    skip();
  char buf[64];
  for (int k = 0; k < 300000; k++) {
    bool f32 = k % 2;
    long double v;
    random_hex(buf, sizeof buf, f32, &v);
    if (f32) {
      float ref = (float)v;
      uint32_t want, got = 0;
      memcpy(&want, &ref, 4);
      bool ok = f32_of(buf, &got);
      if (ok != !isinf(ref) || (ok && got != want))
        fail_msg("f32 %s: %s 0x%08x, expected 0x%08x", buf, ok ? "ok" : "rejected", got, want);
    } else {
      double ref = (double)v;
      uint64_t want, got = 0;
      memcpy(&want, &ref, 8);
      bool ok = f64_of(buf, &got);
      if (ok != !isinf(ref) || (ok && got != want))
        fail_msg("f64 %s: %s 0x%016llx, expected 0x%016llx", buf, ok ? "ok" : "rejected",
                 (unsigned long long)got, (unsigned long long)want);
    }
  }
}

/* Decimal literals at and next to the midpoints between neighbouring
 * values: the exact decimal expansion of a midpoint (glibc's printf prints
 * exact digits) must round to the even neighbour, the expansion plus a
 * digit far beyond it to the upper one, and a truncation of it to the
 * lower one. */
static void check_midpoint(const char *exact, bool f32, uint64_t lower, uint64_t upper) {
  uint64_t even = (lower & 1) ? upper : lower;
  char buf[1024];
  const char *e = strchr(exact, 'e');
  assert_non_null(e);
  size_t mlen = (size_t)(e - exact);
  /* the midpoint itself */
  uint64_t got = 0;
  uint32_t got32 = 0;
  bool ok = f32 ? f32_of(exact, &got32) : f64_of(exact, &got);
  if (f32)
    got = got32;
  if (!ok || got != even)
    fail_msg("%s: 0x%llx, expected the even 0x%llx", exact, (unsigned long long)got,
             (unsigned long long)even);
  /* a little above: a 1 after the (zero-padded) exact digits */
  snprintf(buf, sizeof buf, "%.*s0001%s", (int)mlen, exact, e);
  ok = f32 ? f32_of(buf, &got32) : f64_of(buf, &got);
  if (f32)
    got = got32;
  if (!ok || got != upper)
    fail_msg("%s: 0x%llx, expected 0x%llx", buf, (unsigned long long)got,
             (unsigned long long)upper);
  /* a little below: the first 25 significant digits, if that drops some */
  size_t keep = 26; /* "d." and 24 more */
  bool dropped = false;
  for (size_t k = keep; k < mlen; k++)
    dropped |= exact[k] != '0';
  if (dropped) {
    snprintf(buf, sizeof buf, "%.*s%s", (int)keep, exact, e);
    ok = f32 ? f32_of(buf, &got32) : f64_of(buf, &got);
    if (f32)
      got = got32;
    if (!ok || got != lower)
      fail_msg("%s: 0x%llx, expected 0x%llx", buf, (unsigned long long)got,
               (unsigned long long)lower);
  }
}

static void test_float_decimal_midpoints(void **state) {
  (void)state;
  if (LDBL_MANT_DIG < 64)
    skip();
  char exact[1024];
  for (int k = 0; k < 4000; k++) {
    /* f64: exponents spread out, subnormals and the top often */
    uint64_t bits = rng() & 0x000fffffffffffffull;
    uint64_t choice = rng() % 8;
    uint64_t biased = choice == 0 ? 0 : choice == 1 ? 1 : choice == 2 ? 2046 : rng() % 2047;
    bits |= biased << 52;
    if (bits == 0x7fefffffffffffffull)
      bits--;
    double x, y;
    uint64_t next = bits + 1;
    memcpy(&x, &bits, 8);
    memcpy(&y, &next, 8);
    long double mid = ((long double)x + (long double)y) / 2;
    snprintf(exact, sizeof exact, "%.800Le", mid);
    check_midpoint(exact, false, bits, next);
    /* f32 */
    uint32_t b32 = (uint32_t)rng() & 0x007fffffu;
    choice = rng() % 8;
    biased = choice == 0 ? 0 : choice == 1 ? 1 : choice == 2 ? 254 : rng() % 255;
    b32 |= (uint32_t)biased << 23;
    if (b32 == 0x7f7fffffu)
      b32--;
    uint32_t n32 = b32 + 1;
    float fx, fy;
    memcpy(&fx, &b32, 4);
    memcpy(&fy, &n32, 4);
    double mid32 = ((double)fx + (double)fy) / 2;
    snprintf(exact, sizeof exact, "%.200e", mid32);
    check_midpoint(exact, true, b32, n32);
  }
}

/* ------------------------------------------------------------------------
 * The spec test suite's literals
 * ---------------------------------------------------------------------- */

typedef struct good_lit {
  numtype type;
  const char *text;
  uint64_t bits;
} good_lit;

typedef struct bad_lit {
  numtype type;
  const char *text;
} bad_lit;

/* Literals of assert_return modules in const.wast (the bit pattern each
 * compiles to, from its .wasm in the suite's JSON form), float_literals.wast
 * and int_literals.wast (the expected results of the exports that return
 * them).  Generated from /work/shared/testsuite; duplicates removed. */
static const good_lit good_lits[] = {
  {I32, "0_123_456_789", 0x075bcd15ull},
  {I32, "0x0_9acf_fBDF", 0x9acffbdfull},
  {I64, "0_123_456_789", 0x00000000075bcd15ull},
  {I64, "0x0125_6789_ADEF_bcef", 0x01256789adefbcefull},
  {F32, "0123456789", 0x4ceb79a3ull},
  {F32, "0123456789e019", 0x6c7f4d7bull},
  {F32, "0123456789e+019", 0x6c7f4d7bull},
  {F32, "0123456789e-019", 0x2d592fffull},
  {F32, "0123456789.", 0x4ceb79a3ull},
  {F32, "0123456789.e019", 0x6c7f4d7bull},
  {F32, "0123456789.e+019", 0x6c7f4d7bull},
  {F32, "0123456789.e-019", 0x2d592fffull},
  {F32, "0123456789.0123456789", 0x4ceb79a3ull},
  {F32, "0123456789.0123456789e019", 0x6c7f4d7bull},
  {F32, "0123456789.0123456789e+019", 0x6c7f4d7bull},
  {F32, "0123456789.0123456789e-019", 0x2d592fffull},
  {F32, "0x0123456789ABCDEF", 0x5b91a2b4ull},
  {F32, "0x0123456789ABCDEFp019", 0x6511a2b4ull},
  {F32, "0x0123456789ABCDEFp+019", 0x6511a2b4ull},
  {F32, "0x0123456789ABCDEFp-019", 0x5211a2b4ull},
  {F32, "0x0123456789ABCDEF.", 0x5b91a2b4ull},
  {F32, "0x0123456789ABCDEF.p019", 0x6511a2b4ull},
  {F32, "0x0123456789ABCDEF.p+019", 0x6511a2b4ull},
  {F32, "0x0123456789ABCDEF.p-019", 0x5211a2b4ull},
  {F32, "0x0123456789ABCDEF.019aF", 0x5b91a2b4ull},
  {F32, "0x0123456789ABCDEF.019aFp019", 0x6511a2b4ull},
  {F32, "0x0123456789ABCDEF.019aFp+019", 0x6511a2b4ull},
  {F32, "0x0123456789ABCDEF.019aFp-019", 0x5211a2b4ull},
  {F64, "0123456789", 0x419d6f3454000000ull},
  {F64, "0123456789e019", 0x458fe9af5b5e16faull},
  {F64, "0123456789e+019", 0x458fe9af5b5e16faull},
  {F64, "0123456789e-019", 0x3dab25ffd62b4311ull},
  {F64, "0123456789.", 0x419d6f3454000000ull},
  {F64, "0123456789.e019", 0x458fe9af5b5e16faull},
  {F64, "0123456789.e+019", 0x458fe9af5b5e16faull},
  {F64, "0123456789.e-019", 0x3dab25ffd62b4311ull},
  {F64, "0123456789.0123456789", 0x419d6f34540ca458ull},
  {F64, "0123456789.0123456789e019", 0x458fe9af5b6bcbd5ull},
  {F64, "0123456789.0123456789e+019", 0x458fe9af5b6bcbd5ull},
  {F64, "0123456789.0123456789e-019", 0x3dab25ffd636ec12ull},
  {F64, "0_1_2_3_4_5_6_7_8_9", 0x419d6f3454000000ull},
  {F64, "0_1_2_3_4_5_6_7_8_9.", 0x419d6f3454000000ull},
  {F64, "0_1_2_3_4_5_6_7_8_9.0_1_2_3_4_5_6_7_8_9", 0x419d6f34540ca458ull},
  {F64, "0_1_2_3_4_5_6_7_8_9e+0_1_9", 0x458fe9af5b5e16faull},
  {F64, "0_1_2_3_4_5_6_7_8_9.e+0_1_9", 0x458fe9af5b5e16faull},
  {F64, "0_1_2_3_4_5_6_7_8_9.0_1_2_3_4_5_6_7_8_9e0_1_9", 0x458fe9af5b6bcbd5ull},
  {F64, "0x0123456789ABCDEFabcdef", 0x44f23456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdefp019", 0x46223456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdefp+019", 0x46223456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdefp-019", 0x43c23456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.", 0x44f23456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.p019", 0x46223456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.p+019", 0x46223456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.p-019", 0x43c23456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.0123456789ABCDEFabcdef", 0x44f23456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.0123456789ABCDEFabcdefp019", 0x46223456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.0123456789ABCDEFabcdefp+019", 0x46223456789abcdfull},
  {F64, "0x0123456789ABCDEFabcdef.0123456789ABCDEFabcdefp-019", 0x43c23456789abcdfull},
  {F64, "0x0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_f", 0x44f23456789abcdfull},
  {F64, "0x0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_f.", 0x44f23456789abcdfull},
  {F64, "0x0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_f.0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_f", 0x44f23456789abcdfull},
  {F64, "0x0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_fp0_1_9", 0x46223456789abcdfull},
  {F64, "0x0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_f.p0_1_9", 0x46223456789abcdfull},
  {F64, "0x0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_f.0_1_2_3_4_5_6_7_8_9_A_B_C_D_E_F_a_b_c_d_e_fp0_1_9", 0x46223456789abcdfull},
  {I32, "0xffffffff", 0xffffffffull},
  {I32, "-0x80000000", 0x80000000ull},
  {I32, "4294967295", 0xffffffffull},
  {I32, "-2147483648", 0x80000000ull},
  {I64, "0xffffffffffffffff", 0xffffffffffffffffull},
  {I64, "-0x8000000000000000", 0x8000000000000000ull},
  {I64, "18446744073709551615", 0xffffffffffffffffull},
  {I64, "-9223372036854775808", 0x8000000000000000ull},
  {F32, "0x1p127", 0x7f000000ull},
  {F32, "-0x1p127", 0xff000000ull},
  {F32, "0x1.fffffep127", 0x7f7fffffull},
  {F32, "-0x1.fffffep127", 0xff7fffffull},
  {F32, "0x1.fffffe7p127", 0x7f7fffffull},
  {F32, "-0x1.fffffe7p127", 0xff7fffffull},
  {F32, "0x1.fffffefffffff8000000p127", 0x7f7fffffull},
  {F32, "-0x1.fffffefffffff8000000p127", 0xff7fffffull},
  {F32, "0x1.fffffefffffffffffffp127", 0x7f7fffffull},
  {F32, "-0x1.fffffefffffffffffffp127", 0xff7fffffull},
  {F32, "1e38", 0x7e967699ull},
  {F32, "-1e38", 0xfe967699ull},
  {F32, "340282356779733623858607532500980858880", 0x7f7fffffull},
  {F32, "-340282356779733623858607532500980858880", 0xff7fffffull},
  {F64, "0x1p1023", 0x7fe0000000000000ull},
  {F64, "-0x1p1023", 0xffe0000000000000ull},
  {F64, "0x1.fffffffffffffp1023", 0x7fefffffffffffffull},
  {F64, "-0x1.fffffffffffffp1023", 0xffefffffffffffffull},
  {F64, "0x1.fffffffffffff7p1023", 0x7fefffffffffffffull},
  {F64, "-0x1.fffffffffffff7p1023", 0xffefffffffffffffull},
  {F64, "0x1.fffffffffffff7ffffffp1023", 0x7fefffffffffffffull},
  {F64, "-0x1.fffffffffffff7ffffffp1023", 0xffefffffffffffffull},
  {F64, "1e308", 0x7fe1ccf385ebc8a0ull},
  {F64, "-1e308", 0xffe1ccf385ebc8a0ull},
  {F64, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368", 0x7fefffffffffffffull},
  {F64, "-179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368", 0xffefffffffffffffull},
  {F32, "nan:0x1", 0x7f800001ull},
  {F64, "nan:0x1", 0x7ff0000000000001ull},
  {F32, "nan:0x7f_ffff", 0x7fffffffull},
  {F64, "nan:0xf_ffff_ffff_ffff", 0x7fffffffffffffffull},
  {F32, "+0x1.00000100000000000p-50", 0x26800000ull},
  {F32, "-0x1.00000100000000000p-50", 0xa6800000ull},
  {F32, "+0x1.00000100000000001p-50", 0x26800001ull},
  {F32, "-0x1.00000100000000001p-50", 0xa6800001ull},
  {F32, "+0x1.000001fffffffffffp-50", 0x26800001ull},
  {F32, "-0x1.000001fffffffffffp-50", 0xa6800001ull},
  {F32, "+0x1.00000200000000000p-50", 0x26800001ull},
  {F32, "-0x1.00000200000000000p-50", 0xa6800001ull},
  {F32, "+0x1.00000200000000001p-50", 0x26800001ull},
  {F32, "-0x1.00000200000000001p-50", 0xa6800001ull},
  {F32, "+0x1.000002fffffffffffp-50", 0x26800001ull},
  {F32, "-0x1.000002fffffffffffp-50", 0xa6800001ull},
  {F32, "+0x1.00000300000000000p-50", 0x26800002ull},
  {F32, "-0x1.00000300000000000p-50", 0xa6800002ull},
  {F32, "+0x1.00000300000000001p-50", 0x26800002ull},
  {F32, "-0x1.00000300000000001p-50", 0xa6800002ull},
  {F32, "+0x1.000003fffffffffffp-50", 0x26800002ull},
  {F32, "-0x1.000003fffffffffffp-50", 0xa6800002ull},
  {F32, "+0x1.00000400000000000p-50", 0x26800002ull},
  {F32, "-0x1.00000400000000000p-50", 0xa6800002ull},
  {F32, "+0x1.00000400000000001p-50", 0x26800002ull},
  {F32, "-0x1.00000400000000001p-50", 0xa6800002ull},
  {F32, "+0x1.000004fffffffffffp-50", 0x26800002ull},
  {F32, "-0x1.000004fffffffffffp-50", 0xa6800002ull},
  {F32, "+0x1.00000500000000000p-50", 0x26800002ull},
  {F32, "-0x1.00000500000000000p-50", 0xa6800002ull},
  {F32, "+0x1.00000500000000001p-50", 0x26800003ull},
  {F32, "-0x1.00000500000000001p-50", 0xa6800003ull},
  {F32, "+0x4000.004000000p-64", 0x26800000ull},
  {F32, "-0x4000.004000000p-64", 0xa6800000ull},
  {F32, "+0x4000.004000001p-64", 0x26800001ull},
  {F32, "-0x4000.004000001p-64", 0xa6800001ull},
  {F32, "+0x4000.007ffffffp-64", 0x26800001ull},
  {F32, "-0x4000.007ffffffp-64", 0xa6800001ull},
  {F32, "+0x4000.008000000p-64", 0x26800001ull},
  {F32, "-0x4000.008000000p-64", 0xa6800001ull},
  {F32, "+0x4000.008000001p-64", 0x26800001ull},
  {F32, "-0x4000.008000001p-64", 0xa6800001ull},
  {F32, "+0x4000.00bffffffp-64", 0x26800001ull},
  {F32, "-0x4000.00bffffffp-64", 0xa6800001ull},
  {F32, "+0x4000.00c000000p-64", 0x26800002ull},
  {F32, "-0x4000.00c000000p-64", 0xa6800002ull},
  {F32, "+0x4000.00c000001p-64", 0x26800002ull},
  {F32, "-0x4000.00c000001p-64", 0xa6800002ull},
  {F32, "+0x4000.00fffffffp-64", 0x26800002ull},
  {F32, "-0x4000.00fffffffp-64", 0xa6800002ull},
  {F32, "+0x4000.010000001p-64", 0x26800002ull},
  {F32, "-0x4000.010000001p-64", 0xa6800002ull},
  {F32, "+0x4000.013ffffffp-64", 0x26800002ull},
  {F32, "-0x4000.013ffffffp-64", 0xa6800002ull},
  {F32, "+0x4000.014000001p-64", 0x26800003ull},
  {F32, "-0x4000.014000001p-64", 0xa6800003ull},
  {F32, "+8.8817847263968443573e-16", 0x26800000ull},
  {F32, "-8.8817847263968443573e-16", 0xa6800000ull},
  {F32, "+8.8817847263968443574e-16", 0x26800001ull},
  {F32, "-8.8817847263968443574e-16", 0xa6800001ull},
  {F32, "+8.8817857851880284252e-16", 0x26800001ull},
  {F32, "-8.8817857851880284252e-16", 0xa6800001ull},
  {F32, "+8.8817857851880284253e-16", 0x26800002ull},
  {F32, "-8.8817857851880284253e-16", 0xa6800002ull},
  {F32, "+0x1.00000100000000000p+50", 0x58800000ull},
  {F32, "-0x1.00000100000000000p+50", 0xd8800000ull},
  {F32, "+0x1.00000100000000001p+50", 0x58800001ull},
  {F32, "-0x1.00000100000000001p+50", 0xd8800001ull},
  {F32, "+0x1.000001fffffffffffp+50", 0x58800001ull},
  {F32, "-0x1.000001fffffffffffp+50", 0xd8800001ull},
  {F32, "+0x1.00000200000000000p+50", 0x58800001ull},
  {F32, "-0x1.00000200000000000p+50", 0xd8800001ull},
  {F32, "+0x1.00000200000000001p+50", 0x58800001ull},
  {F32, "-0x1.00000200000000001p+50", 0xd8800001ull},
  {F32, "+0x1.000002fffffffffffp+50", 0x58800001ull},
  {F32, "-0x1.000002fffffffffffp+50", 0xd8800001ull},
  {F32, "+0x1.00000300000000000p+50", 0x58800002ull},
  {F32, "-0x1.00000300000000000p+50", 0xd8800002ull},
  {F32, "+0x1.00000300000000001p+50", 0x58800002ull},
  {F32, "-0x1.00000300000000001p+50", 0xd8800002ull},
  {F32, "+0x1.000003fffffffffffp+50", 0x58800002ull},
  {F32, "-0x1.000003fffffffffffp+50", 0xd8800002ull},
  {F32, "+0x1.00000400000000000p+50", 0x58800002ull},
  {F32, "-0x1.00000400000000000p+50", 0xd8800002ull},
  {F32, "+0x1.00000400000000001p+50", 0x58800002ull},
  {F32, "-0x1.00000400000000001p+50", 0xd8800002ull},
  {F32, "+0x1.000004fffffffffffp+50", 0x58800002ull},
  {F32, "-0x1.000004fffffffffffp+50", 0xd8800002ull},
  {F32, "+0x1.00000500000000000p+50", 0x58800002ull},
  {F32, "-0x1.00000500000000000p+50", 0xd8800002ull},
  {F32, "+0x1.00000500000000001p+50", 0x58800003ull},
  {F32, "-0x1.00000500000000001p+50", 0xd8800003ull},
  {F32, "+0x4000004000000", 0x58800000ull},
  {F32, "-0x4000004000000", 0xd8800000ull},
  {F32, "+0x4000004000001", 0x58800001ull},
  {F32, "-0x4000004000001", 0xd8800001ull},
  {F32, "+0x4000007ffffff", 0x58800001ull},
  {F32, "-0x4000007ffffff", 0xd8800001ull},
  {F32, "+0x4000008000000", 0x58800001ull},
  {F32, "-0x4000008000000", 0xd8800001ull},
  {F32, "+0x4000008000001", 0x58800001ull},
  {F32, "-0x4000008000001", 0xd8800001ull},
  {F32, "+0x400000bffffff", 0x58800001ull},
  {F32, "-0x400000bffffff", 0xd8800001ull},
  {F32, "+0x400000c000000", 0x58800002ull},
  {F32, "-0x400000c000000", 0xd8800002ull},
  {F32, "+1125899973951488", 0x58800000ull},
  {F32, "-1125899973951488", 0xd8800000ull},
  {F32, "+1125899973951489", 0x58800001ull},
  {F32, "-1125899973951489", 0xd8800001ull},
  {F32, "+1125900108169215", 0x58800001ull},
  {F32, "-1125900108169215", 0xd8800001ull},
  {F32, "+1125900108169216", 0x58800002ull},
  {F32, "-1125900108169216", 0xd8800002ull},
  {F32, "+0x0.00000100000000000p-126", 0x00000000ull},
  {F32, "-0x0.00000100000000000p-126", 0x80000000ull},
  {F32, "+0x0.00000100000000001p-126", 0x00000001ull},
  {F32, "-0x0.00000100000000001p-126", 0x80000001ull},
  {F32, "+0x0.000001fffffffffffp-126", 0x00000001ull},
  {F32, "-0x0.000001fffffffffffp-126", 0x80000001ull},
  {F32, "+0x0.00000200000000000p-126", 0x00000001ull},
  {F32, "-0x0.00000200000000000p-126", 0x80000001ull},
  {F32, "+0x0.00000200000000001p-126", 0x00000001ull},
  {F32, "-0x0.00000200000000001p-126", 0x80000001ull},
  {F32, "+0x0.000002fffffffffffp-126", 0x00000001ull},
  {F32, "-0x0.000002fffffffffffp-126", 0x80000001ull},
  {F32, "+0x0.00000300000000000p-126", 0x00000002ull},
  {F32, "-0x0.00000300000000000p-126", 0x80000002ull},
  {F32, "+0x0.00000300000000001p-126", 0x00000002ull},
  {F32, "-0x0.00000300000000001p-126", 0x80000002ull},
  {F32, "+0x0.000003fffffffffffp-126", 0x00000002ull},
  {F32, "-0x0.000003fffffffffffp-126", 0x80000002ull},
  {F32, "+0x0.00000400000000000p-126", 0x00000002ull},
  {F32, "-0x0.00000400000000000p-126", 0x80000002ull},
  {F32, "+0x0.00000400000000001p-126", 0x00000002ull},
  {F32, "-0x0.00000400000000001p-126", 0x80000002ull},
  {F32, "+0x0.000004fffffffffffp-126", 0x00000002ull},
  {F32, "-0x0.000004fffffffffffp-126", 0x80000002ull},
  {F32, "+0x0.00000500000000000p-126", 0x00000002ull},
  {F32, "-0x0.00000500000000000p-126", 0x80000002ull},
  {F32, "+0x0.00000500000000001p-126", 0x00000003ull},
  {F32, "-0x0.00000500000000001p-126", 0x80000003ull},
  {F32, "+0x1.fffffe8p127", 0x7f7fffffull},
  {F32, "-0x1.fffffe8p127", 0xff7fffffull},
  {F32, "+0x1.fffffefffffff8p127", 0x7f7fffffull},
  {F32, "-0x1.fffffefffffff8p127", 0xff7fffffull},
  {F32, "+0x1.fffffefffffffffffp127", 0x7f7fffffull},
  {F32, "-0x1.fffffefffffffffffp127", 0xff7fffffull},
  {F64, "+0x1.000000000000080000000000p-600", 0x1a70000000000000ull},
  {F64, "-0x1.000000000000080000000000p-600", 0x9a70000000000000ull},
  {F64, "+0x1.000000000000080000000001p-600", 0x1a70000000000001ull},
  {F64, "-0x1.000000000000080000000001p-600", 0x9a70000000000001ull},
  {F64, "+0x1.0000000000000fffffffffffp-600", 0x1a70000000000001ull},
  {F64, "-0x1.0000000000000fffffffffffp-600", 0x9a70000000000001ull},
  {F64, "+0x1.000000000000100000000000p-600", 0x1a70000000000001ull},
  {F64, "-0x1.000000000000100000000000p-600", 0x9a70000000000001ull},
  {F64, "+0x1.000000000000100000000001p-600", 0x1a70000000000001ull},
  {F64, "-0x1.000000000000100000000001p-600", 0x9a70000000000001ull},
  {F64, "+0x1.00000000000017ffffffffffp-600", 0x1a70000000000001ull},
  {F64, "-0x1.00000000000017ffffffffffp-600", 0x9a70000000000001ull},
  {F64, "+0x1.000000000000180000000000p-600", 0x1a70000000000002ull},
  {F64, "-0x1.000000000000180000000000p-600", 0x9a70000000000002ull},
  {F64, "+0x1.000000000000180000000001p-600", 0x1a70000000000002ull},
  {F64, "-0x1.000000000000180000000001p-600", 0x9a70000000000002ull},
  {F64, "+0x1.0000000000001fffffffffffp-600", 0x1a70000000000002ull},
  {F64, "-0x1.0000000000001fffffffffffp-600", 0x9a70000000000002ull},
  {F64, "+0x1.000000000000200000000000p-600", 0x1a70000000000002ull},
  {F64, "-0x1.000000000000200000000000p-600", 0x9a70000000000002ull},
  {F64, "+0x1.000000000000200000000001p-600", 0x1a70000000000002ull},
  {F64, "-0x1.000000000000200000000001p-600", 0x9a70000000000002ull},
  {F64, "+0x1.00000000000027ffffffffffp-600", 0x1a70000000000002ull},
  {F64, "-0x1.00000000000027ffffffffffp-600", 0x9a70000000000002ull},
  {F64, "+0x1.000000000000280000000001p-600", 0x1a70000000000003ull},
  {F64, "-0x1.000000000000280000000001p-600", 0x9a70000000000003ull},
  {F64, "+0x8000000.000000400000000000p-627", 0x1a70000000000000ull},
  {F64, "-0x8000000.000000400000000000p-627", 0x9a70000000000000ull},
  {F64, "+0x8000000.000000400000000001p-627", 0x1a70000000000001ull},
  {F64, "-0x8000000.000000400000000001p-627", 0x9a70000000000001ull},
  {F64, "+0x8000000.0000007fffffffffffp-627", 0x1a70000000000001ull},
  {F64, "-0x8000000.0000007fffffffffffp-627", 0x9a70000000000001ull},
  {F64, "+0x8000000.000000800000000000p-627", 0x1a70000000000001ull},
  {F64, "-0x8000000.000000800000000000p-627", 0x9a70000000000001ull},
  {F64, "+0x8000000.000000800000000001p-627", 0x1a70000000000001ull},
  {F64, "-0x8000000.000000800000000001p-627", 0x9a70000000000001ull},
  {F64, "+0x8000000.000000bfffffffffffp-627", 0x1a70000000000001ull},
  {F64, "-0x8000000.000000bfffffffffffp-627", 0x9a70000000000001ull},
  {F64, "+0x8000000.000000c00000000000p-627", 0x1a70000000000002ull},
  {F64, "-0x8000000.000000c00000000000p-627", 0x9a70000000000002ull},
  {F64, "+0x8000000.000000c00000000001p-627", 0x1a70000000000002ull},
  {F64, "-0x8000000.000000c00000000001p-627", 0x9a70000000000002ull},
  {F64, "+0x8000000.000000ffffffffffffp-627", 0x1a70000000000002ull},
  {F64, "-0x8000000.000000ffffffffffffp-627", 0x9a70000000000002ull},
  {F64, "+0x8000000.000001000000000000p-627", 0x1a70000000000002ull},
  {F64, "-0x8000000.000001000000000000p-627", 0x9a70000000000002ull},
  {F64, "+0x8000000.000001000000000001p-627", 0x1a70000000000002ull},
  {F64, "-0x8000000.000001000000000001p-627", 0x9a70000000000002ull},
  {F64, "+0x8000000.0000013fffffffffffp-627", 0x1a70000000000002ull},
  {F64, "-0x8000000.0000013fffffffffffp-627", 0x9a70000000000002ull},
  {F64, "+0x8000000.000001400000000001p-627", 0x1a70000000000003ull},
  {F64, "-0x8000000.000001400000000001p-627", 0x9a70000000000003ull},
  {F64, "+5.3575430359313371995e+300", 0x7e60000000000000ull},
  {F64, "-5.3575430359313371995e+300", 0xfe60000000000000ull},
  {F64, "+5.3575430359313371996e+300", 0x7e60000000000001ull},
  {F64, "-5.3575430359313371996e+300", 0xfe60000000000001ull},
  {F64, "+5.3575430359313383891e+300", 0x7e60000000000001ull},
  {F64, "-5.3575430359313383891e+300", 0xfe60000000000001ull},
  {F64, "+5.3575430359313383892e+300", 0x7e60000000000002ull},
  {F64, "-5.3575430359313383892e+300", 0xfe60000000000002ull},
  {F64, "+0x1.000000000000080000000000p+600", 0x6570000000000000ull},
  {F64, "-0x1.000000000000080000000000p+600", 0xe570000000000000ull},
  {F64, "+0x1.000000000000080000000001p+600", 0x6570000000000001ull},
  {F64, "-0x1.000000000000080000000001p+600", 0xe570000000000001ull},
  {F64, "+0x1.0000000000000fffffffffffp+600", 0x6570000000000001ull},
  {F64, "-0x1.0000000000000fffffffffffp+600", 0xe570000000000001ull},
  {F64, "+0x1.000000000000100000000000p+600", 0x6570000000000001ull},
  {F64, "-0x1.000000000000100000000000p+600", 0xe570000000000001ull},
  {F64, "+0x1.000000000000100000000001p+600", 0x6570000000000001ull},
  {F64, "-0x1.000000000000100000000001p+600", 0xe570000000000001ull},
  {F64, "+0x1.00000000000017ffffffffffp+600", 0x6570000000000001ull},
  {F64, "-0x1.00000000000017ffffffffffp+600", 0xe570000000000001ull},
  {F64, "+0x1.000000000000180000000000p+600", 0x6570000000000002ull},
  {F64, "-0x1.000000000000180000000000p+600", 0xe570000000000002ull},
  {F64, "+0x1.000000000000180000000001p+600", 0x6570000000000002ull},
  {F64, "-0x1.000000000000180000000001p+600", 0xe570000000000002ull},
  {F64, "+0x1.0000000000001fffffffffffp+600", 0x6570000000000002ull},
  {F64, "-0x1.0000000000001fffffffffffp+600", 0xe570000000000002ull},
  {F64, "+0x1.000000000000200000000000p+600", 0x6570000000000002ull},
  {F64, "-0x1.000000000000200000000000p+600", 0xe570000000000002ull},
  {F64, "+0x1.000000000000200000000001p+600", 0x6570000000000002ull},
  {F64, "-0x1.000000000000200000000001p+600", 0xe570000000000002ull},
  {F64, "+0x1.00000000000027ffffffffffp+600", 0x6570000000000002ull},
  {F64, "-0x1.00000000000027ffffffffffp+600", 0xe570000000000002ull},
  {F64, "+0x1.000000000000280000000000p+600", 0x6570000000000002ull},
  {F64, "-0x1.000000000000280000000000p+600", 0xe570000000000002ull},
  {F64, "+0x1.000000000000280000000001p+600", 0x6570000000000003ull},
  {F64, "-0x1.000000000000280000000001p+600", 0xe570000000000003ull},
  {F64, "+0x2000000000000100000000000", 0x4600000000000000ull},
  {F64, "-0x2000000000000100000000000", 0xc600000000000000ull},
  {F64, "+0x2000000000000100000000001", 0x4600000000000001ull},
  {F64, "-0x2000000000000100000000001", 0xc600000000000001ull},
  {F64, "+0x20000000000001fffffffffff", 0x4600000000000001ull},
  {F64, "-0x20000000000001fffffffffff", 0xc600000000000001ull},
  {F64, "+0x2000000000000200000000000", 0x4600000000000001ull},
  {F64, "-0x2000000000000200000000000", 0xc600000000000001ull},
  {F64, "+0x2000000000000200000000001", 0x4600000000000001ull},
  {F64, "-0x2000000000000200000000001", 0xc600000000000001ull},
  {F64, "+0x20000000000002fffffffffff", 0x4600000000000001ull},
  {F64, "-0x20000000000002fffffffffff", 0xc600000000000001ull},
  {F64, "+0x2000000000000300000000000", 0x4600000000000002ull},
  {F64, "-0x2000000000000300000000000", 0xc600000000000002ull},
  {F64, "+0x2000000000000300000000001", 0x4600000000000002ull},
  {F64, "-0x2000000000000300000000001", 0xc600000000000002ull},
  {F64, "+0x20000000000003fffffffffff", 0x4600000000000002ull},
  {F64, "-0x20000000000003fffffffffff", 0xc600000000000002ull},
  {F64, "+0x2000000000000400000000000", 0x4600000000000002ull},
  {F64, "-0x2000000000000400000000000", 0xc600000000000002ull},
  {F64, "+0x2000000000000400000000001", 0x4600000000000002ull},
  {F64, "-0x2000000000000400000000001", 0xc600000000000002ull},
  {F64, "+0x20000000000004fffffffffff", 0x4600000000000002ull},
  {F64, "-0x20000000000004fffffffffff", 0xc600000000000002ull},
  {F64, "+0x2000000000000500000000000", 0x4600000000000002ull},
  {F64, "-0x2000000000000500000000000", 0xc600000000000002ull},
  {F64, "+0x2000000000000500000000001", 0x4600000000000003ull},
  {F64, "-0x2000000000000500000000001", 0xc600000000000003ull},
  {F64, "+1152921504606847104", 0x43b0000000000000ull},
  {F64, "-1152921504606847104", 0xc3b0000000000000ull},
  {F64, "+1152921504606847105", 0x43b0000000000001ull},
  {F64, "-1152921504606847105", 0xc3b0000000000001ull},
  {F64, "+1152921504606847359", 0x43b0000000000001ull},
  {F64, "-1152921504606847359", 0xc3b0000000000001ull},
  {F64, "+1152921504606847360", 0x43b0000000000002ull},
  {F64, "-1152921504606847360", 0xc3b0000000000002ull},
  {F64, "+0x0.000000000000080000000000p-1022", 0x0000000000000000ull},
  {F64, "-0x0.000000000000080000000000p-1022", 0x8000000000000000ull},
  {F64, "+0x0.000000000000080000000001p-1022", 0x0000000000000001ull},
  {F64, "-0x0.000000000000080000000001p-1022", 0x8000000000000001ull},
  {F64, "+0x0.0000000000000fffffffffffp-1022", 0x0000000000000001ull},
  {F64, "-0x0.0000000000000fffffffffffp-1022", 0x8000000000000001ull},
  {F64, "+0x0.000000000000100000000000p-1022", 0x0000000000000001ull},
  {F64, "-0x0.000000000000100000000000p-1022", 0x8000000000000001ull},
  {F64, "+0x0.000000000000100000000001p-1022", 0x0000000000000001ull},
  {F64, "-0x0.000000000000100000000001p-1022", 0x8000000000000001ull},
  {F64, "+0x0.00000000000017ffffffffffp-1022", 0x0000000000000001ull},
  {F64, "-0x0.00000000000017ffffffffffp-1022", 0x8000000000000001ull},
  {F64, "+0x0.000000000000180000000000p-1022", 0x0000000000000002ull},
  {F64, "-0x0.000000000000180000000000p-1022", 0x8000000000000002ull},
  {F64, "+0x0.000000000000180000000001p-1022", 0x0000000000000002ull},
  {F64, "-0x0.000000000000180000000001p-1022", 0x8000000000000002ull},
  {F64, "+0x0.0000000000001fffffffffffp-1022", 0x0000000000000002ull},
  {F64, "-0x0.0000000000001fffffffffffp-1022", 0x8000000000000002ull},
  {F64, "+0x0.000000000000200000000000p-1022", 0x0000000000000002ull},
  {F64, "-0x0.000000000000200000000000p-1022", 0x8000000000000002ull},
  {F64, "+0x0.000000000000200000000001p-1022", 0x0000000000000002ull},
  {F64, "-0x0.000000000000200000000001p-1022", 0x8000000000000002ull},
  {F64, "+0x0.00000000000027ffffffffffp-1022", 0x0000000000000002ull},
  {F64, "-0x0.00000000000027ffffffffffp-1022", 0x8000000000000002ull},
  {F64, "+0x0.000000000000280000000000p-1022", 0x0000000000000002ull},
  {F64, "-0x0.000000000000280000000000p-1022", 0x8000000000000002ull},
  {F64, "+0x1.000000000000280000000001p-1022", 0x0010000000000003ull},
  {F64, "-0x1.000000000000280000000001p-1022", 0x8010000000000003ull},
  {F64, "+0x1.fffffffffffff4p1023", 0x7fefffffffffffffull},
  {F64, "-0x1.fffffffffffff4p1023", 0xffefffffffffffffull},
  {F64, "+0x1.fffffffffffff7ffffffp1023", 0x7fefffffffffffffull},
  {F32, "nan", 0x7fc00000ull},
  {F32, "+nan", 0x7fc00000ull},
  {F32, "-nan", 0xffc00000ull},
  {F32, "nan:0x400000", 0x7fc00000ull},
  {F32, "nan:0x200000", 0x7fa00000ull},
  {F32, "-nan:0x7fffff", 0xffffffffull},
  {F32, "nan:0x012345", 0x7f812345ull},
  {F32, "+nan:0x304050", 0x7fb04050ull},
  {F32, "-nan:0x2abcde", 0xffaabcdeull},
  {F32, "inf", 0x7f800000ull},
  {F32, "+inf", 0x7f800000ull},
  {F32, "-inf", 0xff800000ull},
  {F32, "0x0.0p0", 0x00000000ull},
  {F32, "+0x0.0p0", 0x00000000ull},
  {F32, "-0x0.0p0", 0x80000000ull},
  {F32, "0x1.921fb6p+2", 0x40c90fdbull},
  {F32, "0x1p-149", 0x00000001ull},
  {F32, "0x1p-126", 0x00800000ull},
  {F32, "0x1.fffffep+127", 0x7f7fffffull},
  {F32, "0x1.fffffcp-127", 0x007fffffull},
  {F32, "0x1.p10", 0x44800000ull},
  {F32, "0x12345", 0x4791a280ull},
  {F32, "0x1_0000_0000_0000_0000_0000", 0x67800000ull},
  {F32, "-0x8000_0000", 0xcf000000ull},
  {F32, "-0x8000_0000_0000_0000", 0xdf000000ull},
  {F32, "0.0e0", 0x00000000ull},
  {F32, "+0.0e0", 0x00000000ull},
  {F32, "-0.0e0", 0x80000000ull},
  {F32, "6.28318548202514648", 0x40c90fdbull},
  {F32, "1.4013e-45", 0x00000001ull},
  {F32, "1.1754944e-38", 0x00800000ull},
  {F32, "1.1754942e-38", 0x007fffffull},
  {F32, "3.4028234e+38", 0x7f7fffffull},
  {F32, "1.e10", 0x501502f9ull},
  {F32, "12345", 0x4640e400ull},
  {F32, "100_000_000_000_000_000_000", 0x60ad78ecull},
  {F32, "-2147483648", 0xcf000000ull},
  {F32, "-9223372036854775808", 0xdf000000ull},
  {F32, "1.000000119", 0x3f800001ull},
  {F64, "nan", 0x7ff8000000000000ull},
  {F64, "+nan", 0x7ff8000000000000ull},
  {F64, "-nan", 0xfff8000000000000ull},
  {F64, "nan:0x8000000000000", 0x7ff8000000000000ull},
  {F64, "nan:0x4000000000000", 0x7ff4000000000000ull},
  {F64, "-nan:0xfffffffffffff", 0xffffffffffffffffull},
  {F64, "nan:0x0123456789abc", 0x7ff0123456789abcull},
  {F64, "+nan:0x3040506070809", 0x7ff3040506070809ull},
  {F64, "-nan:0x2abcdef012345", 0xfff2abcdef012345ull},
  {F64, "inf", 0x7ff0000000000000ull},
  {F64, "+inf", 0x7ff0000000000000ull},
  {F64, "-inf", 0xfff0000000000000ull},
  {F64, "0x0.0p0", 0x0000000000000000ull},
  {F64, "+0x0.0p0", 0x0000000000000000ull},
  {F64, "-0x0.0p0", 0x8000000000000000ull},
  {F64, "0x1.921fb54442d18p+2", 0x401921fb54442d18ull},
  {F64, "0x0.0000000000001p-1022", 0x0000000000000001ull},
  {F64, "0x1p-1022", 0x0010000000000000ull},
  {F64, "0x0.fffffffffffffp-1022", 0x000fffffffffffffull},
  {F64, "0x1.fffffffffffffp+1023", 0x7fefffffffffffffull},
  {F64, "0x1.p100", 0x4630000000000000ull},
  {F64, "0x12345", 0x40f2345000000000ull},
  {F64, "0x1_0000_0000_0000_0000_0000", 0x44f0000000000000ull},
  {F64, "-0x8000_0000", 0xc1e0000000000000ull},
  {F64, "-0x8000_0000_0000_0000", 0xc3e0000000000000ull},
  {F64, "0.0e0", 0x0000000000000000ull},
  {F64, "+0.0e0", 0x0000000000000000ull},
  {F64, "-0.0e0", 0x8000000000000000ull},
  {F64, "6.28318530717958623", 0x401921fb54442d18ull},
  {F64, "4.94066e-324", 0x0000000000000001ull},
  {F64, "2.2250738585072012e-308", 0x0010000000000000ull},
  {F64, "2.2250738585072011e-308", 0x000fffffffffffffull},
  {F64, "1.7976931348623157e+308", 0x7fefffffffffffffull},
  {F64, "1.e100", 0x54b249ad2594c37dull},
  {F64, "12345", 0x40c81c8000000000ull},
  {F64, "100_000_000_000_000_000_000", 0x4415af1d78b58c40ull},
  {F64, "-2147483648", 0xc1e0000000000000ull},
  {F64, "-9223372036854775808", 0xc3e0000000000000ull},
  {F64, "1.000000119", 0x3ff000001ff19e24ull},
  {F32, "1_000_000", 0x49742400ull},
  {F32, "1_0_0_0", 0x447a0000ull},
  {F32, "100_3.141_592", 0x447ac910ull},
  {F32, "99e+1_3", 0x58611996ull},
  {F32, "122_000.11_3_54E0_2_3", 0x6e1dae74ull},
  {F32, "0xa_0f_00_99", 0x4d20f00aull},
  {F32, "0x1_a_A_0_f", 0x47d50780ull},
  {F32, "0xa0_ff.f141_a59a", 0x4720fff1ull},
  {F32, "0xf0P+1_3", 0x49f00000ull},
  {F32, "0x2a_f00a.1f_3_eep2_3", 0x55abc028ull},
  {F64, "1_000_000", 0x412e848000000000ull},
  {F64, "1_0_0_0", 0x408f400000000000ull},
  {F64, "100_3.141_592", 0x408f5921fafc8b00ull},
  {F64, "99e-1_23", 0x26d05c735bb7cc45ull},
  {F64, "122_000.11_3_54e0_2_3", 0x45c3b5ce725bde9cull},
  {F64, "0xa_f00f_0000_9999", 0x4325e01e00013332ull},
  {F64, "0x1_a_A_0_f", 0x40faa0f000000000ull},
  {F64, "0xa0_ff.f141_a59a", 0x40e41ffe2834b340ull},
  {F64, "0xf0P+1_3", 0x413e000000000000ull},
  {F64, "0x2a_f00a.1f_3_eep2_3", 0x42b578050f9f7000ull},
  {F64, "4294967249", 0x41effffffa200000ull},
  {I32, "0x0bAdD00D", 0x0badd00dull},
  {I32, "0x7fffffff", 0x7fffffffull},
  {I32, "-0x7fffffff", 0x80000001ull},
  {I32, "0x80000000", 0x80000000ull},
  {I32, "-0x0", 0x00000000ull},
  {I32, "010", 0x0000000aull},
  {I32, "+42", 0x0000002aull},
  {I64, "0x0CABBA6E0ba66a6e", 0x0cabba6e0ba66a6eull},
  {I64, "0x7fffffffffffffff", 0x7fffffffffffffffull},
  {I64, "-0x7fffffffffffffff", 0x8000000000000001ull},
  {I64, "0x8000000000000000", 0x8000000000000000ull},
  {I64, "-0x0", 0x0000000000000000ull},
  {I64, "010", 0x000000000000000aull},
  {I64, "+42", 0x000000000000002aull},
  {I32, "1_000_000", 0x000f4240ull},
  {I32, "1_0_0_0", 0x000003e8ull},
  {I32, "0xa_0f_00_99", 0x0a0f0099ull},
  {I32, "0x1_a_A_0_f", 0x0001aa0full},
  {I64, "1_000_000", 0x00000000000f4240ull},
  {I64, "1_0_0_0", 0x00000000000003e8ull},
  {I64, "0xa_f00f_0000_9999", 0x000af00f00009999ull},
  {I64, "0x1_a_A_0_f", 0x000000000001aa0full},
};

/* Literals of assert_malformed modules in the same three files. */
static const bad_lit bad_lits[] = {
  {F32, "+_100"},
  {F32, "-0x1.ffffffp127"},
  {F32, "-0x1p128"},
  {F32, "-1e39"},
  {F32, "-340282356779733661637539395458142568448"},
  {F32, "-_100"},
  {F32, ".0"},
  {F32, ".0e0"},
  {F32, "0.0e"},
  {F32, "0.0e-"},
  {F32, "0_x100"},
  {F32, "0e"},
  {F32, "0e+"},
  {F32, "0x"},
  {F32, "0x."},
  {F32, "0x0.0p"},
  {F32, "0x0.0p+"},
  {F32, "0x0.0p-"},
  {F32, "0x0.g"},
  {F32, "0x00_"},
  {F32, "0x0p"},
  {F32, "0x0p+"},
  {F32, "0x0p-"},
  {F32, "0x0pA"},
  {F32, "0x1.0_"},
  {F32, "0x1.0_p1"},
  {F32, "0x1.0p+_1"},
  {F32, "0x1.0p1_"},
  {F32, "0x1.0p_+1"},
  {F32, "0x1.0p_1"},
  {F32, "0x1._0"},
  {F32, "0x1.ffffffp127"},
  {F32, "0x1_.0"},
  {F32, "0x1_p1"},
  {F32, "0x1p128"},
  {F32, "0x1p1_"},
  {F32, "0x1p_1"},
  {F32, "0x_1.0"},
  {F32, "0x_1.0p1"},
  {F32, "0x_100"},
  {F32, "0x_1p1"},
  {F32, "0xff__ffff"},
  {F32, "0xg"},
  {F32, "1.0_"},
  {F32, "1.0_e1"},
  {F32, "1.0e+_1"},
  {F32, "1.0e1_"},
  {F32, "1.0e_+1"},
  {F32, "1.0e_1"},
  {F32, "1._0"},
  {F32, "1_.0"},
  {F32, "1__000"},
  {F32, "1_e1"},
  {F32, "1e1_"},
  {F32, "1e39"},
  {F32, "1e_1"},
  {F32, "1x"},
  {F32, "340282356779733661637539395458142568448"},
  {F32, "99_"},
  {F32, "_0x100"},
  {F32, "_1.0"},
  {F32, "_1.0e1"},
  {F32, "_100"},
  {F32, "_1e1"},
  {F32, "nan:0x0"},
  {F32, "nan:0x80_0000"},
  {F32, "nan:1"},
  {F64, "+_100"},
  {F64, "-0x1.fffffffffffff8p1023"},
  {F64, "-0x1p1024"},
  {F64, "-1e309"},
  {F64, "-269653970229347356221791135597556535197105851288767494898376215204735891170042808140884337949150317257310688430271573696351481990334196274152701320055306275479074865864826923114368235135583993416113802762682700913456874855354834422248712838998185022412196739306217084753107265771378949821875606039276187287552"},
  {F64, "-_100"},
  {F64, ".0"},
  {F64, ".0e0"},
  {F64, "0.0e"},
  {F64, "0.0e-"},
  {F64, "0_x100"},
  {F64, "0e"},
  {F64, "0e+"},
  {F64, "0x"},
  {F64, "0x."},
  {F64, "0x0.0p"},
  {F64, "0x0.0p+"},
  {F64, "0x0.0p-"},
  {F64, "0x0.g"},
  {F64, "0x00_"},
  {F64, "0x0p"},
  {F64, "0x0p+"},
  {F64, "0x0p-"},
  {F64, "0x0pA"},
  {F64, "0x1.0_"},
  {F64, "0x1.0_p1"},
  {F64, "0x1.0p+_1"},
  {F64, "0x1.0p1_"},
  {F64, "0x1.0p_+1"},
  {F64, "0x1.0p_1"},
  {F64, "0x1._0"},
  {F64, "0x1.fffffffffffff8p1023"},
  {F64, "0x1_.0"},
  {F64, "0x1_p1"},
  {F64, "0x1p1024"},
  {F64, "0x1p1_"},
  {F64, "0x1p_1"},
  {F64, "0x_1.0"},
  {F64, "0x_1.0p1"},
  {F64, "0x_100"},
  {F64, "0x_1p1"},
  {F64, "0xff__ffff"},
  {F64, "0xg"},
  {F64, "1.0_"},
  {F64, "1.0_e1"},
  {F64, "1.0e+_1"},
  {F64, "1.0e1_"},
  {F64, "1.0e_+1"},
  {F64, "1.0e_1"},
  {F64, "1._0"},
  {F64, "1_.0"},
  {F64, "1__000"},
  {F64, "1_e1"},
  {F64, "1e1_"},
  {F64, "1e309"},
  {F64, "1e_1"},
  {F64, "1x"},
  {F64, "269653970229347356221791135597556535197105851288767494898376215204735891170042808140884337949150317257310688430271573696351481990334196274152701320055306275479074865864826923114368235135583993416113802762682700913456874855354834422248712838998185022412196739306217084753107265771378949821875606039276187287552"},
  {F64, "99_"},
  {F64, "_0x100"},
  {F64, "_1.0"},
  {F64, "_1.0e1"},
  {F64, "_100"},
  {F64, "_1e1"},
  {F64, "nan:0x0"},
  {F64, "nan:0x10_0000_0000_0000"},
  {F64, "nan:1"},
  {I32, "+_100"},
  {I32, "-0x80000001"},
  {I32, "-2147483649"},
  {I32, "-_100"},
  {I32, "0_x100"},
  {I32, "0x"},
  {I32, "0x00_"},
  {I32, "0x100000000"},
  {I32, "0x_100"},
  {I32, "0xff__ffff"},
  {I32, "0xg"},
  {I32, "1__000"},
  {I32, "1x"},
  {I32, "4294967296"},
  {I32, "99_"},
  {I32, "_0x100"},
  {I32, "_100"},
  {I64, "+_100"},
  {I64, "-0x8000000000000001"},
  {I64, "-9223372036854775809"},
  {I64, "-_100"},
  {I64, "0_x100"},
  {I64, "0x"},
  {I64, "0x00_"},
  {I64, "0x10000000000000000"},
  {I64, "0x_100"},
  {I64, "0xff__ffff"},
  {I64, "0xg"},
  {I64, "18446744073709551616"},
  {I64, "1__000"},
  {I64, "1x"},
  {I64, "99_"},
  {I64, "_0x100"},
  {I64, "_100"},
};

static void test_spec_literals(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof good_lits / sizeof good_lits[0]; k++) {
    const good_lit *g = &good_lits[k];
    if (kind_of(g->text) != WAT_NUM)
      fail_msg("%s is not lexed as a number", g->text);
    uint64_t v = 0;
    if (!parse_as(g->type, g->text, &v))
      fail_msg("%s.const %s rejected", type_names[g->type], g->text);
    if (v != g->bits)
      fail_msg("%s.const %s: 0x%llx, expected 0x%llx", type_names[g->type], g->text,
               (unsigned long long)v, (unsigned long long)g->bits);
  }
  for (size_t k = 0; k < sizeof bad_lits / sizeof bad_lits[0]; k++) {
    const bad_lit *b = &bad_lits[k];
    uint64_t v = 0;
    if (parse_as(b->type, b->text, &v))
      fail_msg("%s.const %s accepted", type_names[b->type], b->text);
  }
}

/* ------------------------------------------------------------------------
 * Hostile input
 * ---------------------------------------------------------------------- */

/* Lexes buf[0, n) to the end, continuing after errors; checks that every
 * call makes progress and every token lies in the buffer, and runs the
 * value conversions on the tokens. */
static void lex_everything(const char *buf, size_t n) {
  wat_lexer lx;
  wat_lex_init(&lx, buf, n);
  size_t calls = 0;
  for (;;) {
    size_t before = lx.at;
    wat_tok t;
    bool ok = wat_lex_next(&lx, &t);
    assert_true(++calls <= n + 2);
    assert_true(lx.at <= n);
    if (!ok) {
      assert_true(lx.err.pos.offset < n);
      assert_true(lx.at > before);
      assert_true(lx.err.pos.line >= 1 && lx.err.pos.col >= 1);
      assert_non_null(memchr(lx.err.msg, '\0', sizeof lx.err.msg));
      continue;
    }
    if (t.kind == WAT_EOF)
      break;
    assert_true(lx.at > before);
    assert_true(t.len > 0 && t.text >= buf && t.text + t.len <= buf + n);
    assert_true(t.pos.col >= 1 && t.pos.offset == (size_t)(t.text - buf));
    if (t.kind == WAT_NUM) {
      uint32_t a;
      uint64_t b;
      (void)wat_parse_u32(t.text, t.len, &a);
      (void)wat_parse_i32(t.text, t.len, &a);
      (void)wat_parse_f32(t.text, t.len, &a);
      (void)wat_parse_u64(t.text, t.len, &b);
      (void)wat_parse_i64(t.text, t.len, &b);
      (void)wat_parse_f64(t.text, t.len, &b);
    } else if (t.kind == WAT_STRING) {
      uint8_t *out = malloc(t.len);
      assert_non_null(out);
      assert_true(wat_string(&t, out) <= t.len);
      free(out);
    } else if (t.kind == WAT_ID && t.text[1] == '"') {
      wat_tok inner = t;
      inner.text++;
      inner.len--;
      inner.kind = WAT_STRING;
      uint8_t *out = malloc(inner.len);
      assert_non_null(out);
      size_t len = wat_string(&inner, out);
      assert_true(len > 0 && wat_utf8_valid(out, len));
      free(out);
    }
  }
}

static void test_all_bytes(void **state) {
  (void)state;
  for (int c = 0; c < 256; c++) {
    char one = (char)c;
    char *buf = exact_copy(&one, 1);
    lex_everything(buf, 1);
    free(buf);
    for (int d = 0; d < 256; d += 5) {
      char two[2] = {(char)c, (char)d};
      buf = exact_copy(two, 2);
      lex_everything(buf, 2);
      free(buf);
    }
  }
}

static void test_fuzz(void **state) {
  (void)state;
  static const char *pieces[] = {
      "(", ")", ";", ";;", "(;", ";)", "(@", "@", "\"", "\\", "\\u{", "}", "{", "$",
      "a", "0", "x", "0x", ".", "_", "+", "-", "e", "p", "nan:0x", "inf", " ", "\n",
      "\r", "\t", ",", "\x00", "\x01", "\x7f", "\x80", "\xc3", "\xa4", "\xed\xa0\x80",
      "\xf4\x8f\xbf\xbf", "\xff", "\\ef", "\\n", "1", "f"};
  enum { NPIECES = sizeof pieces / sizeof pieces[0] };
  char src[256];
  for (int k = 0; k < 100000; k++) {
    size_t n = 0, count = rng() % 24;
    for (size_t j = 0; j < count; j++) {
      const char *p = pieces[rng() % NPIECES];
      size_t len = p[0] ? strlen(p) : 1; /* "\x00" is one NUL byte */
      if (n + len > sizeof src)
        break;
      memcpy(src + n, p, len);
      n += len;
    }
    char *buf = exact_copy(src, n);
    lex_everything(buf, n);
    free(buf);
  }
}

/* The conversions on random number-like text: never out of bounds, and
 * consistent with one another. */
static void test_number_fuzz(void **state) {
  (void)state;
  static const char alphabet[] = "0123456789abcdefABCDEFxXpPeE._+-n:i";
  char src[40];
  for (int k = 0; k < 200000; k++) {
    size_t n = rng() % sizeof src;
    for (size_t j = 0; j < n; j++)
      src[j] = alphabet[rng() % (sizeof alphabet - 1)];
    if (n > 2 && rng() % 2) { /* make well-formed prefixes likely */
      src[0] = '0';
      src[1] = 'x';
    }
    char *buf = exact_copy(src, n);
    uint32_t u32 = 0, i32 = 0, f32 = 0;
    uint64_t u64 = 0, i64 = 0, f64 = 0;
    bool ok_u32 = wat_parse_u32(buf, n, &u32), ok_u64 = wat_parse_u64(buf, n, &u64);
    bool ok_i32 = wat_parse_i32(buf, n, &i32), ok_i64 = wat_parse_i64(buf, n, &i64);
    bool ok_f32 = wat_parse_f32(buf, n, &f32), ok_f64 = wat_parse_f64(buf, n, &f64);
    if (ok_u32) {
      assert_true(ok_u64 && ok_i32 && ok_i64 && ok_f32 && ok_f64);
      assert_int_equal(u64, u32);
      assert_int_equal(i32, u32);
    }
    if (ok_u64)
      assert_true(ok_i64 && i64 == u64);
    if (ok_i32)
      assert_true(ok_i64 && (uint32_t)i64 == i32);
    if (ok_i64)
      assert_true(ok_f64 && ok_f32);
    if (ok_f64 && !ok_f32) /* only overflow separates them */
      assert_true((f64 & 0x7fffffffffffffffull) >= 0x47efffffe0000000ull);
    free(buf);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_tokens),
      cmocka_unit_test(test_kinds),
      cmocka_unit_test(test_delimiting),
      cmocka_unit_test(test_positions),
      cmocka_unit_test(test_tok_is),
      cmocka_unit_test(test_illegal_bytes),
      cmocka_unit_test(test_continue_after_error),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_annotations),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_utf8_valid),
      cmocka_unit_test(test_integers),
      cmocka_unit_test(test_float_specials),
      cmocka_unit_test(test_float_hex_rounding),
      cmocka_unit_test(test_float_decimal),
      cmocka_unit_test(test_float_syntax),
      cmocka_unit_test(test_float_hex_random),
      cmocka_unit_test(test_float_decimal_midpoints),
      cmocka_unit_test(test_spec_literals),
      cmocka_unit_test(test_all_bytes),
      cmocka_unit_test(test_fuzz),
      cmocka_unit_test(test_number_fuzz),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
