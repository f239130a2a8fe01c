/* tests/fuzz/fuzz_wat.c — libFuzzer target over the text format
 * (frontend/wat_lex.h, frontend/wat.h): arbitrary bytes as a .wat or a
 * .wast text.
 *
 * Each input goes through three readers:
 *   1. wat_parse_text, as `kiln wat2wasm` and kiln_wat2wasm read a .wat; a
 *      module that parses is then decoded and validated (fe_module_new),
 *      since the binary the parser encodes must be readable by the decoder
 *      whatever the text was;
 *   2. the lexer alone over the whole text, every token converted the way
 *      the parser may convert it (strings decoded and checked as UTF-8,
 *      numbers read as every integer and float kind), and the lexer must
 *      make progress after an error;
 *   3. a script scan as a WAST runner does it: every `(module ...)` form at
 *      the top level or directly inside a command (`(assert_invalid
 *      (module ...) ...)`) is parsed with wat_parse_module, and what parses
 *      is decoded and validated.
 * Any input must come back as a module or as an error with a message; a
 * crash, a sanitizer report, a leak or a hang is a bug.  One type registry
 * lives for the whole run, as an engine's does.
 *
 * Build and run: ./dev fuzz wat [SECONDS] (docs/testing.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/error.h"
#include "frontend/module.h"
#include "frontend/types.h"
#include "frontend/wat.h"
#include "frontend/wat_lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fe_typereg *registry;

/* Decodes and validates a converted module, frees what was built. */
static void check_binary(const wat_module *m) {
  if (!m->bytes)
    abort(); /* success always yields a buffer, if only of one byte */
  fe_error err;
  fe_module *fm = fe_module_new(registry, m->bytes, m->size, &err);
  if (fm) {
    fe_module_free(fm);
  } else if (err.code == FE_E_OK) {
    abort(); /* a rejection must say why */
  }
}

/* A failed parse must say why. */
static void check_error(const wat_error *err) {
  if (err->msg[0] == 0 || memchr(err->msg, 0, sizeof err->msg) == NULL)
    abort();
}

/* A parse's outcome: a binary that decodes and validates or not, or an
 * error with a position and nothing left to free. */
static void check_outcome(bool ok, wat_module *m, const wat_error *err) {
  if (ok) {
    check_binary(m);
    wat_module_free(m);
  } else {
    check_error(err);
    if (m->bytes || m->id)
      abort();
  }
}

static void parse_whole(const char *src, size_t size) {
  wat_module m;
  wat_error err;
  check_outcome(wat_parse_text(src, size, &m, &err), &m, &err);
}

/* Every token, converted as the parser may convert it. */
static void lex_all(const char *src, size_t size) {
  uint8_t *buf = NULL;
  size_t cap = 0;
  wat_lexer lx;
  wat_lex_init(&lx, src, size);
  for (;;) {
    size_t before = lx.at;
    wat_tok t;
    if (!wat_lex_next(&lx, &t)) {
      if (lx.err.msg[0] == 0 || lx.err.pos.offset > size)
        abort();
      /* the lexer must move past the offending text */
      if (lx.at <= before)
        abort();
      continue;
    }
    if (t.kind == WAT_EOF)
      break;
    if (t.text < src || t.len == 0 || t.len > size ||
        (size_t)(t.text - src) > size - t.len || t.pos.offset != (size_t)(t.text - src) ||
        lx.at <= before || t.pos.line == 0 || t.pos.col == 0)
      abort();
    if (t.kind == WAT_STRING || (t.kind == WAT_ID && t.len >= 2 && t.text[1] == '"')) {
      /* a quoted id is a `$` and a string, decoded as the parser does */
      wat_tok s = t;
      if (t.kind == WAT_ID) {
        s.kind = WAT_STRING;
        s.text++;
        s.len--;
      }
      if (s.len > cap) {
        uint8_t *nb = realloc(buf, s.len);
        if (!nb)
          abort();
        buf = nb;
        cap = s.len;
      }
      size_t n = wat_string(&s, buf);
      if (n > s.len)
        abort();
      (void)wat_utf8_valid(buf, n);
    } else if (t.kind == WAT_NUM || t.kind == WAT_KEYWORD || t.kind == WAT_RESERVED) {
      /* keywords like `inf`, `nan:0x1` and reserved tokens must be
       * rejected or read like numbers, never misread */
      uint32_t u32;
      uint64_t u64;
      (void)wat_parse_u32(t.text, t.len, &u32);
      (void)wat_parse_u64(t.text, t.len, &u64);
      (void)wat_parse_i32(t.text, t.len, &u32);
      (void)wat_parse_i64(t.text, t.len, &u64);
      (void)wat_parse_f32(t.text, t.len, &u32);
      (void)wat_parse_f64(t.text, t.len, &u64);
    }
  }
  free(buf);
}

/* Parses the module form whose `(` is the next token of *lx. */
static void parse_form(wat_lexer *lx) {
  wat_module m;
  wat_error err;
  check_outcome(wat_parse_module(lx, WAT_ALLOW_DEFINITION, &m, &err), &m, &err);
}

/* A WAST runner's view: every `(module` at depth 0 (a module command) or
 * 1 (inside a command: `(assert_invalid (module ...) ...)`) is parsed from
 * its `(`; deeper ones are not, and at most 1000 per input.  That bounds
 * the work: a form that fails may be read to the end of the input, and
 * unclosed forms push every later one deeper. */
static void scan_script(const char *src, size_t size) {
  wat_lexer lx;
  wat_lex_init(&lx, src, size);
  size_t depth = 0;
  unsigned forms = 0;
  for (;;) {
    wat_lexer save = lx;
    wat_tok t;
    if (!wat_lex_next(&lx, &t))
      continue; /* the lexer moved past the error (checked by lex_all) */
    if (t.kind == WAT_EOF)
      break;
    if (t.kind == WAT_RPAREN) {
      if (depth > 0)
        depth--;
      continue;
    }
    if (t.kind != WAT_LPAREN)
      continue;
    wat_tok kw;
    wat_lexer after_lp = lx;
    if (depth <= 1 && forms < 1000 && wat_lex_next(&lx, &kw) && wat_tok_is(&kw, "module")) {
      forms++;
      wat_lexer at = save;
      parse_form(&at);
      if (at.at < save.at || at.at > size)
        abort();
    }
    /* continue right after the `(`, whatever happened: the scan, not the
     * parser, decides where the next form is */
    lx = after_lp;
    depth++;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!registry) {
    registry = fe_typereg_new();
    if (!registry)
      abort();
  }
  const char *src = (const char *)data;
  parse_whole(src, size);
  lex_all(src, size);
  scan_script(src, size);
  return 0;
}
