/* frontend/wat.h — the WebAssembly text format (spec 6): a text module is
 * parsed and encoded into a binary module, which the binary decoder and
 * validator (module.h, fe_module_new) then read like any other.
 *
 * Why text -> binary: the decoder and validator are then the only producers
 * of a module description, so a text module and its binary form can never
 * be decoded differently, and every rule of validation stays in one place.
 * The parser checks only what the text grammar itself requires (well-formed
 * tokens, known identifiers and keywords, matching inline type uses, imports
 * before definitions ...); everything else is left to validation.
 *
 * Encoding choices (those of wasm-tools, so the binaries of the spec suite
 * can serve as an oracle): minimal LEB128 everywhere; sections in binary
 * order, only non-empty ones; implicit function types (a type use without
 * `(type x)` that matches no existing function type alone in its rec
 * group, final and without supertypes — the reference interpreter's rule,
 * which wasm-tools loosens: tests/spec/text-divergences.txt) are appended
 * after the explicit types in order of first use; a data count section
 * whenever the code uses memory.init, data.drop, array.new_data or
 * array.init_data; element and data segments in their shortest encoding
 * (table / memory index 0 implicit); no name section.
 */
#ifndef KILN_FRONTEND_WAT_H
#define KILN_FRONTEND_WAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wat_lex.h"

/* Where and why parsing failed.  msg names what was expected. */
typedef struct wat_error {
  uint32_t line, col; /* 1-based; 0 when there is no position */
  char msg[200];
} wat_error;

typedef enum wat_form {
  WAT_FORM_TEXT,   /* fields, encoded by the parser */
  WAT_FORM_BINARY, /* (module binary "..."): the bytes as given */
  WAT_FORM_QUOTE,  /* (module quote "..."): the strings parsed as text */
} wat_form;

typedef struct wat_module {
  uint8_t *bytes; /* malloc'd binary module */
  size_t size;
  char *id;       /* malloc'd, NUL-terminated module $id without the `$`,
                     or NULL; a quoted id is decoded */
  size_t id_len;
  wat_form form;
  bool definition; /* `(module definition ...)` (WAST scripts only) */
} wat_module;

enum {
  /* Accept `(module definition $id? ...)`, a WAST script form. */
  WAT_ALLOW_DEFINITION = 1u << 0,
};

/* Parses one `(module ...)` form: the next token of lx must be the `(`
 * that opens it.  On success lx is positioned after the form's closing
 * `)`, *out holds the module (free it with wat_module_free) and true is
 * returned.  On failure *err says where and why, *out is zeroed, and lx is
 * left somewhere inside the form.  For a WAST runner: scripts put modules
 * between other commands. */
bool wat_parse_module(wat_lexer *lx, unsigned flags, wat_module *out,
                      wat_error *err);

/* Parses a whole .wat text: one `(module ...)` form or a sequence of bare
 * module fields, then the end of the text. */
bool wat_parse_text(const char *src, size_t len, wat_module *out,
                    wat_error *err);

void wat_module_free(wat_module *m);

/* Whether a keyword opens a module field (`type`, `rec`, `func`, `table`,
 * `memory`, `global`, `tag`, `import`, `export`, `start`, `elem`, `data`):
 * a script of bare fields is one module. */
bool wat_is_module_field(const wat_tok *kw);

#endif
