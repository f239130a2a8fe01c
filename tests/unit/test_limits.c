/* tests/unit/test_limits.c — Kiln's limits on hostile modules.
 *
 * Small modules that once made validation take seconds or gigabytes (found
 * by review and by the fuzzer) must be rejected with an implementation-limit
 * error, and the polymorphic stack of unreachable code must not cost a pop
 * per declared operand.  The assertions are on results, never on time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/module.h"
#include "frontend/types.h"

/* ------------------------------------------------------------------------
 * A tiny module writer
 * ---------------------------------------------------------------------- */

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
} buf;

static void put(buf *b, uint8_t byte) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  b->p[b->n++] = byte;
}

static void put_uleb(buf *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    put(b, byte | (v ? 0x80 : 0));
  } while (v);
}

static void put_bytes(buf *b, const void *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    put(b, ((const uint8_t *)s)[i]);
}

/* Appends section `id` with the contents of `body`, and frees body. */
static void put_section(buf *m, uint8_t id, buf *body) {
  put(m, id);
  put_uleb(m, body->n);
  put_bytes(m, body->p, body->n);
  free(body->p);
  *body = (buf){0};
}

static void put_header(buf *m) { put_bytes(m, "\0asm\1\0\0\0", 8); }

/* One code section with one body made of `code` (locals: none). */
static void put_code(buf *m, buf *code) {
  buf body = {0}, sec = {0};
  put(&body, 0); /* no locals */
  put_bytes(&body, code->p, code->n);
  put_uleb(&sec, 1);
  put_uleb(&sec, body.n);
  put_bytes(&sec, body.p, body.n);
  free(body.p);
  free(code->p);
  *code = (buf){0};
  put_section(m, FE_SEC_CODE, &sec);
}

/* Decodes and validates; returns the error code (FE_E_OK if valid). */
static fe_errcode check(buf *m) {
  fe_typereg *reg = fe_typereg_new();
  assert_non_null(reg);
  fe_error err;
  memset(&err, 0, sizeof err);
  fe_module *mod = fe_module_new(reg, m->p, m->n, &err);
  fe_errcode code = mod ? FE_E_OK : err.code;
  fe_module_free(mod);
  fe_typereg_free(reg);
  free(m->p);
  *m = (buf){0};
  return code;
}

/* ------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------- */

/* type 0: (array i32); type 1: (func); body: unreachable,
 * array.new_fixed 0 <count>, drop, end. */
static fe_errcode new_fixed_after_unreachable(uint32_t count) {
  buf m = {0}, sec = {0}, code = {0};
  put_header(&m);
  put_bytes(&sec, "\x02\x5e\x7f\x00\x60\x00\x00", 7);
  put_section(&m, FE_SEC_TYPE, &sec);
  put_bytes(&sec, "\x01\x01", 2);
  put_section(&m, FE_SEC_FUNCTION, &sec);
  put(&code, 0x00);
  put_bytes(&code, "\xfb\x08\x00", 3);
  put_uleb(&code, count);
  put_bytes(&code, "\x1a\x0b", 2);
  put_code(&m, &code);
  return check(&m);
}

static void test_array_new_fixed_limit(void **state) {
  (void)state;
  assert_int_equal(new_fixed_after_unreachable(10000), FE_E_OK);
  assert_int_equal(new_fixed_after_unreachable(10001), FE_E_TOO_MANY);
  assert_int_equal(new_fixed_after_unreachable(0xffffffffu), FE_E_TOO_MANY);
}

/* type 0: (func (param i64 x nparams) (result i32 x nresults)); type 1:
 * (func). */
static void put_func_types(buf *m, uint32_t nparams, uint32_t nresults) {
  buf sec = {0};
  put_uleb(&sec, 2);
  put(&sec, 0x60);
  put_uleb(&sec, nparams);
  for (uint32_t i = 0; i < nparams; i++)
    put(&sec, 0x7e);
  put_uleb(&sec, nresults);
  for (uint32_t i = 0; i < nresults; i++)
    put(&sec, 0x7f);
  put_bytes(&sec, "\x60\x00\x00", 3);
  put_section(m, FE_SEC_TYPE, &sec);
}

static void test_function_arity_limit(void **state) {
  (void)state;
  buf m = {0};
  put_header(&m);
  put_func_types(&m, 0, 1000);
  assert_int_equal(check(&m), FE_E_OK);
  put_header(&m);
  put_func_types(&m, 0, 1001);
  assert_int_equal(check(&m), FE_E_TOO_MANY);
  put_header(&m);
  put_func_types(&m, 1001, 0);
  assert_int_equal(check(&m), FE_E_TOO_MANY);
}

/* Function 0 has type 0 and body `unreachable`; function 1 (type 1) is
 * [unreachable if `dead`] then `calls` x `call 0`, then `unreachable`. */
static fe_errcode calls_module(uint32_t nparams, uint32_t nresults,
                               uint32_t calls, bool dead) {
  buf m = {0}, sec = {0}, b0 = {0}, b1 = {0};
  put_header(&m);
  put_func_types(&m, nparams, nresults);
  put_bytes(&sec, "\x02\x00\x01", 3);
  put_section(&m, FE_SEC_FUNCTION, &sec);
  put_bytes(&b0, "\x00\x00\x0b", 3); /* no locals; unreachable; end */
  put(&b1, 0);
  if (dead)
    put(&b1, 0x00);
  for (uint32_t i = 0; i < calls; i++)
    put_bytes(&b1, "\x10\x00", 2);
  put_bytes(&b1, "\x00\x0b", 2);
  put_uleb(&sec, 2);
  put_uleb(&sec, b0.n);
  put_bytes(&sec, b0.p, b0.n);
  put_uleb(&sec, b1.n);
  put_bytes(&sec, b1.p, b1.n);
  free(b0.p);
  free(b1.p);
  put_section(&m, FE_SEC_CODE, &sec);
  return check(&m);
}

/* Calls to a function of 1000 results pile values up: 10^6 fit under the
 * 2^20 limit, 1.1 * 10^6 do not. */
static void test_operand_stack_limit(void **state) {
  (void)state;
  assert_int_equal(calls_module(0, 1000, 1000, false), FE_E_OK);
  assert_int_equal(calls_module(0, 1000, 1100, false), FE_E_TOO_MANY);
}

/* After `unreachable`, calls to a function of 1000 params find the stack
 * polymorphic: valid, and (the point of the shortcut) without 1000 pops
 * each.  A reachable call with nothing on the stack is a type error. */
static void test_unreachable_calls(void **state) {
  (void)state;
  assert_int_equal(calls_module(1000, 0, 20000, true), FE_E_OK);
  assert_int_equal(calls_module(1000, 0, 1, false), FE_E_TYPE_MISMATCH);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_array_new_fixed_limit),
      cmocka_unit_test(test_function_arity_limit),
      cmocka_unit_test(test_operand_stack_limit),
      cmocka_unit_test(test_unreachable_calls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
