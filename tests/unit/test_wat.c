/* tests/unit/test_wat.c — the text format's parser and encoder
 * (frontend/wat.c): small modules to exact bytes, errors with line:col,
 * the lexer-positioned entry point, and limits on hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/wat.h"

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* Parses text and compares the binary with the expected bytes. */
static void check_bytes(const char *text, const uint8_t *want, size_t n) {
  wat_module m;
  wat_error err;
  bool ok = wat_parse_text(text, strlen(text), &m, &err);
  if (!ok) fail_msg("%s\n-> %u:%u: %s", text, err.line, err.col, err.msg);
  if (m.size != n || memcmp(m.bytes, want, n) != 0) {
    fprintf(stderr, "text: %s\ngot: ", text);
    for (size_t i = 0; i < m.size; i++) fprintf(stderr, "%02x ", m.bytes[i]);
    fprintf(stderr, "\nwant:");
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x ", want[i]);
    fprintf(stderr, "\n");
    wat_module_free(&m);
    fail_msg("bytes differ");
  }
  wat_module_free(&m);
}
#define CHECK(text, ...)                                                       \
  do {                                                                         \
    static const uint8_t w_[] = {HDR, __VA_ARGS__};                            \
    check_bytes(text, w_, sizeof w_);                                          \
  } while (0)

/* Parses text that must fail at line:col with a message containing frag. */
static void check_error(const char *text, uint32_t line, uint32_t col,
                        const char *frag) {
  wat_module m;
  wat_error err;
  if (wat_parse_text(text, strlen(text), &m, &err)) {
    wat_module_free(&m);
    fail_msg("accepted: %s", text);
  }
  if (err.line != line || err.col != col || !strstr(err.msg, frag))
    fail_msg("%s\n-> %u:%u: %s\n   want %u:%u: ...%s...", text, err.line,
             err.col, err.msg, line, col, frag);
  assert_null(m.bytes);
}

static void test_empty(void **state) {
  (void)state;
  CHECK("(module)");
  CHECK("");
  CHECK("(module $m)");
  CHECK(";; comment\n(module (; block ;) (@custom \"x\"))");
}

static void test_func_add(void **state) {
  (void)state;
  CHECK("(func (export \"add\") (param $a i32) (param $b i32) (result i32)\n"
        "  (i32.add (local.get $a) (local.get $b)))",
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, /* type */
        0x03, 0x02, 0x01, 0x00,                               /* func */
        0x07, 0x07, 0x01, 0x03, 'a', 'd', 'd', 0x00, 0x00,    /* export */
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b);
  /* the same, flat */
  CHECK("(module (func (export \"add\") (param i32 i32) (result i32)\n"
        "  local.get 0 local.get 1 i32.add))",
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01,
        0x00, 0x07, 0x07, 0x01, 0x03, 'a', 'd', 'd', 0x00, 0x00, 0x0a, 0x09,
        0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b);
}

static void test_implicit_types(void **state) {
  (void)state;
  /* (type $t) is explicit: index 0; the implicit [i32]->[] comes after it
   * and is shared by both functions; [] -> [i32] matches $t. */
  CHECK("(type $t (func (result i32)))\n"
        "(func (param i32))\n"
        "(func (param $x i32))\n"
        "(func (result i32) i32.const 1)",
        0x01, 0x09, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00,
        0x03, 0x04, 0x03, 0x01, 0x01, 0x00,
        0x0a, 0x0c, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x04, 0x00,
        0x41, 0x01, 0x0b);
}

static void test_locals_runs(void **state) {
  (void)state;
  CHECK("(func (local i32 i32) (local $x i64) (local) (local i32))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x0a, 0x01, 0x08, 0x03, 0x02, 0x7f, 0x01, 0x7e, 0x01, 0x7f,
        0x0b);
}

static void test_blocks_and_labels(void **state) {
  (void)state;
  /* folded if with a result; plain block with a label used by br_if;
   * end labels */
  CHECK("(func (result i32)\n"
        "  (if (result i32) (i32.const 1) (then (i32.const 2)) (else (i32.const 3)))\n"
        "  block $l (result i32) i32.const 4 i32.const 0 br_if $l end $l\n"
        "  drop)",
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x18, 0x01, 0x16, 0x00,
        0x41, 0x01, 0x04, 0x7f, 0x41, 0x02, 0x05, 0x41, 0x03, 0x0b,
        0x02, 0x7f, 0x41, 0x04, 0x41, 0x00, 0x0d, 0x00, 0x0b, 0x1a, 0x0b);
  /* br_table, loop label by index and by id, shadowing */
  CHECK("(func (block $a (loop $a (br_table $a 1 0 (i32.const 0)))))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x11, 0x01, 0x0f, 0x00, 0x02, 0x40, 0x03, 0x40, 0x41, 0x00,
        0x0e, 0x02, 0x00, 0x01, 0x00, 0x0b, 0x0b, 0x0b);
}

static void test_memory_and_data(void **state) {
  (void)state;
  /* memarg defaults and explicit; memory.init needs a data count */
  CHECK("(memory 1 2)\n"
        "(func (drop (i32.load offset=8 align=2 (i32.const 0)))\n"
        "      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0)))\n"
        "(data $d \"ab\")",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x05, 0x04, 0x01, 0x01, 0x01, 0x02,
        0x0c, 0x01, 0x01,
        0x0a, 0x14, 0x01, 0x12, 0x00, 0x41, 0x00, 0x28, 0x01, 0x08, 0x1a,
        0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b,
        0x0b, 0x05, 0x01, 0x01, 0x02, 'a', 'b');
  /* memory64 with inline data: min = max = 1 page, i64 offset */
  CHECK("(memory i64 (data \"x\"))",
        0x05, 0x04, 0x01, 0x05, 0x01, 0x01,
        0x0b, 0x07, 0x01, 0x00, 0x42, 0x00, 0x0b, 0x01, 'x');
}

static void test_tables_and_elems(void **state) {
  (void)state;
  /* inline elem: table of exactly 2, active segment at table index 0
   * written with the explicit-table flags (as wasm-tools does) */
  CHECK("(table funcref (elem $f $f)) (func $f)",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x02,
        0x09, 0x0a, 0x01, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  /* table with an initializer; passive and declarative segments */
  CHECK("(table 1 funcref (ref.null func))\n"
        "(elem funcref (item ref.null func))\n"
        "(elem declare func 0)\n"
        "(func)",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x04, 0x09, 0x01, 0x40, 0x00, 0x70, 0x00, 0x01, 0xd0, 0x70, 0x0b,
        0x09, 0x0b, 0x02, 0x05, 0x70, 0x01, 0xd0, 0x70, 0x0b, 0x03, 0x00, 0x01,
        0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
}

static void test_gc_types(void **state) {
  (void)state;
  /* rec group, sub with supertype, packed and mutable fields, field ids,
   * br_on_cast flags */
  CHECK("(rec (type $s (sub (struct (field $a i8) (field $b (mut i64)))))\n"
        "     (type $t (sub final $s (struct (field i8) (field (mut i64))))))\n"
        "(func (param (ref null $s)) (result i64)\n"
        "  (struct.get $s $b (local.get 0)))",
        0x01, 0x1a, 0x02, 0x4e, 0x02,
        0x50, 0x00, 0x5f, 0x02, 0x78, 0x00, 0x7e, 0x01,
        0x4f, 0x01, 0x00, 0x5f, 0x02, 0x78, 0x00, 0x7e, 0x01,
        0x60, 0x01, 0x63, 0x00, 0x01, 0x7e,
        0x03, 0x02, 0x01, 0x02,
        0x0a, 0x0a, 0x01, 0x08, 0x00, 0x20, 0x00, 0xfb, 0x02, 0x00, 0x01,
        0x0b);
  CHECK("(func (param anyref) (result anyref)\n"
        "  (block $l (result (ref i31))\n"
        "    (br_on_cast $l anyref (ref i31) (local.get 0))\n"
        "    (return)))",
        0x01, 0x06, 0x01, 0x60, 0x01, 0x6e, 0x01, 0x6e,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x11, 0x01, 0x0f, 0x00, 0x02, 0x64, 0x6c, 0x20, 0x00, 0xfb,
        0x18, 0x01, 0x00, 0x6e, 0x6c, 0x0f, 0x0b, 0x0b);
}

static void test_exceptions_and_simd(void **state) {
  (void)state;
  CHECK("(tag $e (param i32))\n"
        "(func (result i32)\n"
        "  (block $h (result i32)\n"
        "    (try_table (catch $e $h) (throw $e (i32.const 1)))\n"
        "    (i32.const 0)))",
        0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x01, 0x0d, 0x03, 0x01, 0x00, 0x00,
        0x0a, 0x14, 0x01, 0x12, 0x00, 0x02, 0x7f, 0x1f, 0x40, 0x01, 0x00,
        0x00, 0x00, 0x41, 0x01, 0x08, 0x00, 0x0b, 0x41, 0x00, 0x0b, 0x0b);
  CHECK("(func (result v128) (v128.const i16x8 1 -1 0 0 0 0 0 0xffff))",
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x01, 0x00, 0xff, 0xff,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x0b);
}

static void test_imports_and_inline(void **state) {
  (void)state;
  CHECK("(import \"m\" \"f\" (func $f (param i32)))\n"
        "(global $g (import \"m\" \"g\") (mut i64))\n"
        "(memory (export \"mem\") 1)\n"
        "(func (export \"call\") (call $f (i32.const 1)) (global.set $g (i64.const -1)))",
        0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
        0x02, 0x0e, 0x02, 0x01, 'm', 0x01, 'f', 0x00, 0x00,
        0x01, 'm', 0x01, 'g', 0x03, 0x7e, 0x01,
        0x03, 0x02, 0x01, 0x01,
        0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x0e, 0x02, 0x03, 'm', 'e', 'm', 0x02, 0x00,
        0x04, 'c', 'a', 'l', 'l', 0x00, 0x01,
        0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x41, 0x01, 0x10, 0x00, 0x42, 0x7f,
        0x24, 0x00, 0x0b);
}

static void test_binary_and_quote(void **state) {
  (void)state;
  CHECK("(module $m binary \"\\00asm\" \"\\01\\00\\00\\00\")");
  CHECK("(module quote \"(func\" \")\")",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  wat_module m;
  wat_error err;
  const char *t = "(module $\"my mod\" binary \"\")";
  assert_true(wat_parse_text(t, strlen(t), &m, &err));
  assert_string_equal(m.id, "my mod");
  assert_int_equal(m.form, WAT_FORM_BINARY);
  assert_int_equal(m.size, 0);
  wat_module_free(&m);
}

static void test_errors(void **state) {
  (void)state;
  check_error("(module\n  (func (i32.bogus)))", 2, 10, "unknown operator");
  check_error("(module (func)", 1, 15, "expected ')'");
  check_error("(func (br $nope))", 1, 11, "unknown label $nope");
  check_error("(func)\n(import \"a\" \"b\" (func))", 2, 1, "import after");
  check_error("(func $f) (func $f)", 1, 17, "duplicate function $f");
  check_error("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))", 1,
              34, "power of two");
  check_error("(type (func)) (func (type 0) (param i32))", 1, 27,
              "inline function type");
  check_error("(func (call_indirect (param $x i32)))", 1, 29, "identifier");
  check_error("(func end)", 1, 7, "expected an instruction");
  check_error("(func block)", 1, 12, "expected 'end'");
  check_error("(func (i32.const 0x1_0000_0000))", 1, 18, "i32 literal");
  check_error("(func (local.get $x))", 1, 18, "unknown local $x");
  check_error("(module (foo))", 1, 10, "expected a module field");
  check_error("(module \"unterminated)", 1, 9, "");
}

/* Folded nesting beyond the limit is an error, never a stack overflow;
 * deep plain nesting is fine (it does not recurse). */
static void test_depth(void **state) {
  (void)state;
  enum { N = 100000 };
  char *s = malloc(N * 8 + 64);
  assert_non_null(s);
  char *q = s;
  q += sprintf(q, "(func ");
  for (int i = 0; i < N; i++) q += sprintf(q, "(block ");
  for (int i = 0; i < N; i++) *q++ = ')';
  *q++ = ')';
  *q = 0;
  wat_module m;
  wat_error err;
  assert_false(wat_parse_text(s, strlen(s), &m, &err));
  assert_non_null(strstr(err.msg, "nesting too deep"));
  q = s;
  q += sprintf(q, "(func ");
  for (int i = 0; i < 5000; i++) q += sprintf(q, "block ");
  for (int i = 0; i < 5000; i++) q += sprintf(q, "end ");
  q += sprintf(q, ")");
  assert_true(wat_parse_text(s, strlen(s), &m, &err));
  wat_module_free(&m);
  free(s);
}

/* The lexer-positioned entry: two modules in a script, one after another. */
static void test_from_lexer(void **state) {
  (void)state;
  const char *s = "(module $a (func)) (module definition $b) (assert_return)";
  wat_lexer lx;
  wat_lex_init(&lx, s, strlen(s));
  wat_module m;
  wat_error err;
  assert_true(wat_parse_module(&lx, 0, &m, &err));
  assert_string_equal(m.id, "a");
  assert_false(m.definition);
  wat_module_free(&m);
  wat_lexer save = lx;
  assert_false(wat_parse_module(&lx, 0, &m, &err)); /* needs the flag */
  lx = save;
  assert_true(wat_parse_module(&lx, WAT_ALLOW_DEFINITION, &m, &err));
  assert_true(m.definition);
  assert_string_equal(m.id, "b");
  assert_int_equal(m.size, 8);
  wat_module_free(&m);
  wat_tok t;
  assert_true(wat_lex_next(&lx, &t));
  assert_int_equal(t.kind, WAT_LPAREN);
  assert_true(wat_lex_next(&lx, &t));
  assert_true(wat_tok_is(&t, "assert_return"));
}

/* Truncations of a valid module are rejected without crashing. */
static void test_truncations(void **state) {
  (void)state;
  const char *s =
      "(module (type $t (func (param i32) (result i32)))\n"
      "  (rec (type $s (struct (field $x (mut i8)))))\n"
      "  (table 2 funcref) (memory 1) (global $g (mut i32) (i32.const 0))\n"
      "  (func $f (type $t) (local i64)\n"
      "    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))\n"
      "    (block $l (br_table $l $l (i32.const 0)))\n"
      "    (call_indirect (type $t) (i32.const 0) (i32.const 0)) drop)\n"
      "  (elem (i32.const 0) $f) (data (i32.const 0) \"x\") (export \"f\" (func $f)))";
  size_t n = strlen(s);
  wat_module m;
  wat_error err;
  assert_true(wat_parse_text(s, n, &m, &err));
  wat_module_free(&m);
  for (size_t i = 0; i < n; i++) {
    if (wat_parse_text(s, i, &m, &err)) wat_module_free(&m);
  }
}

/* Inputs of tests/fuzz/regressions/wat-*.wat (found by fuzz_wat under
 * clang's UBSan, which flags NULL + 0; GCC's does not, so these check the
 * results, and ./dev fuzz replays the files). */
static void test_fuzz_findings(void **state) {
  (void)state;
  /* an implicit [] -> [] type while no signature was recorded yet */
  CHECK("(func)",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  /* a quote of no strings: the inner text is empty (a NULL buffer) */
  CHECK("(module quote)");
  wat_module m;
  wat_error err;
  assert_true(wat_parse_text(NULL, 0, &m, &err));
  assert_int_equal(m.size, 8);
  wat_module_free(&m);
}

/* Review findings: spec-valid texts once rejected, a malformed one once
 * accepted, and the implicit type use's matching rule. */
static void test_review_findings(void **state) {
  (void)state;
  /* param ids of a type definition are documentation: they may repeat */
  CHECK("(type (func (param $x i32) (param $x i32)))",
        0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00);
  /* (param) / (result) with no types are no inline signature */
  CHECK("(type (func (param i32))) (func (type 0) (param) (result))",
        0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  /* ids stay distinct within a function */
  check_error("(func (param $x i32) (local $x i32))", 1, 29, "duplicate local");
  /* one else per if */
  check_error("(func i32.const 0 if else else end)", 1, 27,
              "expected an instruction");
  /* an implicit type use matches only a final type with no supertype */
  CHECK("(type (sub (func))) (func)",
        0x01, 0x09, 0x02, 0x50, 0x00, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x01, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  CHECK("(type (sub final (func))) (func)",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_review_findings),
      cmocka_unit_test(test_func_add),
      cmocka_unit_test(test_implicit_types),
      cmocka_unit_test(test_locals_runs),
      cmocka_unit_test(test_blocks_and_labels),
      cmocka_unit_test(test_memory_and_data),
      cmocka_unit_test(test_tables_and_elems),
      cmocka_unit_test(test_gc_types),
      cmocka_unit_test(test_exceptions_and_simd),
      cmocka_unit_test(test_imports_and_inline),
      cmocka_unit_test(test_binary_and_quote),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_from_lexer),
      cmocka_unit_test(test_truncations),
      cmocka_unit_test(test_fuzz_findings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
