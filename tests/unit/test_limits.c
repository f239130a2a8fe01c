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
#include "wasm_writer.h"

/* ------------------------------------------------------------------------
 * Module helpers
 * ---------------------------------------------------------------------- */

/* One code section with one body made of `code` (locals: none); consumes
 * code. */
static void put_code(wbuf *m, wbuf *code) {
  wbuf body = {0}, sec = {0};
  wb_byte(&body, 0); /* no locals */
  wb_bytes(&body, code->p, code->n);
  wb_free(code);
  wb_sized(&sec, &body);
  wb_vec_section(m, FE_SEC_CODE, 1, &sec);
}

/* Decodes and validates; returns the error code (FE_E_OK if valid). */
static fe_errcode check(wbuf *m) {
  fe_typereg *reg = fe_typereg_new();
  assert_non_null(reg);
  fe_error err;
  memset(&err, 0, sizeof err);
  fe_module *mod = fe_module_new(reg, m->p, m->n, &err);
  fe_errcode code = mod ? FE_E_OK : err.code;
  fe_module_free(mod);
  fe_typereg_free(reg);
  wb_free(m);
  return code;
}

/* ------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------- */

/* type 0: (array i32); type 1: (func); body: unreachable,
 * array.new_fixed 0 <count>, drop, end. */
static fe_errcode new_fixed_after_unreachable(uint32_t count) {
  wbuf m = {0}, sec = {0}, code = {0};
  wb_header(&m);
  wb_bytes(&sec, "\x02\x5e\x7f\x00\x60\x00\x00", 7);
  wb_section(&m, FE_SEC_TYPE, &sec);
  wb_bytes(&sec, "\x01\x01", 2);
  wb_section(&m, FE_SEC_FUNCTION, &sec);
  wb_byte(&code, 0x00);
  wb_bytes(&code, "\xfb\x08\x00", 3);
  wb_uleb(&code, count);
  wb_bytes(&code, "\x1a\x0b", 2);
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
static void put_func_types(wbuf *m, uint32_t nparams, uint32_t nresults) {
  wbuf sec = {0};
  wb_uleb(&sec, 2);
  wb_byte(&sec, 0x60);
  wb_uleb(&sec, nparams);
  for (uint32_t i = 0; i < nparams; i++)
    wb_byte(&sec, 0x7e);
  wb_uleb(&sec, nresults);
  for (uint32_t i = 0; i < nresults; i++)
    wb_byte(&sec, 0x7f);
  wb_bytes(&sec, "\x60\x00\x00", 3);
  wb_section(m, FE_SEC_TYPE, &sec);
}

static void test_function_arity_limit(void **state) {
  (void)state;
  wbuf m = {0};
  wb_header(&m);
  put_func_types(&m, 0, 1000);
  assert_int_equal(check(&m), FE_E_OK);
  wb_header(&m);
  put_func_types(&m, 0, 1001);
  assert_int_equal(check(&m), FE_E_TOO_MANY);
  wb_header(&m);
  put_func_types(&m, 1001, 0);
  assert_int_equal(check(&m), FE_E_TOO_MANY);
}

/* Function 0 has type 0 and body `unreachable`; function 1 (type 1) is
 * [unreachable if `dead`] then `calls` x `call 0`, then `unreachable`. */
static fe_errcode calls_module(uint32_t nparams, uint32_t nresults,
                               uint32_t calls, bool dead) {
  wbuf m = {0}, sec = {0}, b0 = {0}, b1 = {0};
  wb_header(&m);
  put_func_types(&m, nparams, nresults);
  wb_bytes(&sec, "\x02\x00\x01", 3);
  wb_section(&m, FE_SEC_FUNCTION, &sec);
  wb_bytes(&b0, "\x00\x00\x0b", 3); /* no locals; unreachable; end */
  wb_byte(&b1, 0);
  if (dead)
    wb_byte(&b1, 0x00);
  for (uint32_t i = 0; i < calls; i++)
    wb_bytes(&b1, "\x10\x00", 2);
  wb_bytes(&b1, "\x00\x0b", 2);
  wb_sized(&sec, &b0);
  wb_sized(&sec, &b1);
  wb_vec_section(&m, FE_SEC_CODE, 2, &sec);
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
