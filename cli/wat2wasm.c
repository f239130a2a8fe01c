/* cli/wat2wasm.c — `kiln wat2wasm`: text modules to binary.
 *
 *   kiln wat2wasm [--no-check] FILE.wat [-o OUT.wasm]
 *     parses FILE.wat (frontend/wat.h), then decodes and validates the
 *     binary (kiln_module_validate_ex) unless --no-check, and writes it to
 *     OUT.wasm (default: FILE with .wasm in place of .wat).
 *   kiln wat2wasm --wast FILE.wast -o DIR
 *     converts every module form of a WAST script — top-level modules and
 *     the modules inside assert_* commands — to DIR/LINE.wasm, LINE being
 *     the line of the script command holding it, and prints one line per
 *     module:  LINE COMMAND STATUS [DETAIL]
 *     STATUS: ok (parsed and valid), text (the text was rejected; DETAIL is
 *     LINE:COL: message), invalid (the binary was rejected; DETAIL is the
 *     diagnostic).  This is the spec-suite oracle's view of the parser
 *     (tests/spec/text_suite.py).
 *
 * The text parser is internal (frontend/): this file is compiled with it
 * rather than reaching it through the public API, until kiln.h exposes a
 * wat2wasm call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "frontend/wat.h"
#include "kiln.h"
#include "wasm.h"

void cli_wat2wasm_usage(void) {
  printf("usage: kiln wat2wasm [--no-check] FILE.wat [-o OUT.wasm]\n"
         "       kiln wat2wasm --wast FILE.wast -o DIR\n"
         "\n"
         "Converts a WebAssembly text module to a binary module.  The binary\n"
         "is decoded and validated before it is written (--no-check skips\n"
         "that).  Errors print as 'error: FILE:LINE:COL: message'.\n"
         "\n"
         "  -o OUT      output file (default: FILE with the suffix .wasm)\n"
         "  --wast      convert every module of a WAST script into DIR, as\n"
         "              DIR/LINE.wasm, printing 'LINE COMMAND STATUS [DETAIL]'\n"
         "              per module (STATUS ok, text or invalid)\n"
         "\n"
         "Exit status: 0 success, 1 a module was rejected or a file could not\n"
         "be read or written, 2 usage error.\n");
}

static bool write_file(const char *path, const uint8_t *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(p, 1, n, f) == n;
  ok = (fclose(f) == 0) && ok;
  return ok;
}

/* Validates a binary; fills line with the diagnostic on rejection. */
static bool check(wasm_engine_t *engine, const wat_module *m, char *line,
                  size_t size) {
  kiln_diagnostic_t diag;
  if (kiln_module_validate_ex(engine, m->bytes, m->size, &diag)) return true;
  kiln_diagnostic_format(&diag, line, size);
  return false;
}

/* Reads path whole; false (and a message) if it cannot be read. */
static bool read_text(const char *path, uint8_t **src, size_t *size) {
  int e;
  if (cli_read_file(path, src, size, &e))
    return true;
  fprintf(stderr, "error: %s: %s\n", path, strerror(e));
  return false;
}

static int one_file(const char *path, const char *out, bool no_check) {
  uint8_t *src;
  size_t size;
  if (!read_text(path, &src, &size))
    return CLI_EXIT_FAILURE;
  wat_module m;
  wat_error err;
  bool ok = wat_parse_text((const char *)src, size, &m, &err);
  free(src);
  if (!ok) {
    fprintf(stderr, "error: %s:%u:%u: %s\n", path, err.line, err.col, err.msg);
    return CLI_EXIT_FAILURE;
  }
  int status = CLI_EXIT_OK;
  if (!no_check) {
    wasm_engine_t *engine = wasm_engine_new();
    char line[1024];
    if (!engine) {
      fprintf(stderr, "kiln: cannot create an engine: out of memory\n");
      status = CLI_EXIT_FAILURE;
    } else if (!check(engine, &m, line, sizeof line)) {
      fprintf(stderr, "error: %s: %s\n", path, line);
      status = CLI_EXIT_FAILURE;
    }
    if (engine) wasm_engine_delete(engine);
  }
  if (status == CLI_EXIT_OK) {
    char *def = NULL;
    if (!out) {
      size_t n = strlen(path);
      def = malloc(n + 6);
      if (!def) {
        wat_module_free(&m);
        return CLI_EXIT_FAILURE;
      }
      memcpy(def, path, n + 1);
      if (n > 4 && strcmp(def + n - 4, ".wat") == 0) def[n - 4] = 0;
      strcat(def, ".wasm");
      out = def;
    }
    if (!write_file(out, m.bytes, m.size)) {
      fprintf(stderr, "error: %s: %s\n", out, strerror(errno));
      status = CLI_EXIT_FAILURE;
    }
    free(def);
  }
  wat_module_free(&m);
  return status;
}

/* Skips tokens up to the end of a form whose `(` was read at depth 1. */
static void skip_rest(wat_lexer *lx, int depth) {
  wat_tok t;
  while (depth > 0) {
    if (!wat_lex_next(lx, &t)) continue; /* the lexer moved past the error */
    if (t.kind == WAT_EOF) return;
    if (t.kind == WAT_LPAREN) depth++;
    if (t.kind == WAT_RPAREN) depth--;
  }
}


/* Validates, writes and reports a converted module; frees it. */
static void report(wasm_engine_t *engine, wat_module *mp, const char *dir,
                   uint32_t line, const wat_tok *cmd, unsigned *counts) {
  wat_module m = *mp;
  char diag[1024];
  bool valid = check(engine, &m, diag, sizeof diag);
  char path[4096];
  snprintf(path, sizeof path, "%s/%u.wasm", dir, line);
  if (!write_file(path, m.bytes, m.size))
    fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
  if (valid) {
    printf("%u %.*s ok\n", line, (int)cmd->len, cmd->text);
    counts[0]++;
  } else {
    printf("%u %.*s invalid %s\n", line, (int)cmd->len, cmd->text, diag);
    counts[2]++;
  }
  wat_module_free(&m);
}

/* Converts the module form at lx (its `(` next); prints its line. */
static void wast_module(wasm_engine_t *engine, wat_lexer *lx, const char *dir,
                        uint32_t line, const wat_tok *cmd, unsigned *counts) {
  wat_module m;
  wat_error err;
  if (!wat_parse_module(lx, WAT_ALLOW_DEFINITION, &m, &err)) {
    printf("%u %.*s text %u:%u: %s\n", line, (int)cmd->len, cmd->text,
           err.line, err.col, err.msg);
    counts[1]++;
    return;
  }
  report(engine, &m, dir, line, cmd, counts);
}

static int wast_file(const char *path, const char *dir) {
  uint8_t *src;
  size_t size;
  if (!read_text(path, &src, &size))
    return CLI_EXIT_FAILURE;
  wasm_engine_t *engine = wasm_engine_new();
  if (!engine) {
    free(src);
    fprintf(stderr, "kiln: cannot create an engine: out of memory\n");
    return CLI_EXIT_FAILURE;
  }
  unsigned counts[3] = {0, 0, 0};
  wat_lexer lx;
  wat_lex_init(&lx, (const char *)src, size);
  for (;;) {
    wat_lexer save = lx;
    wat_tok t;
    if (!wat_lex_next(&lx, &t)) {
      fprintf(stderr, "error: %s:%u:%u: %s\n", path, lx.err.pos.line,
              lx.err.pos.col, lx.err.msg);
      continue;
    }
    if (t.kind == WAT_EOF) break;
    if (t.kind != WAT_LPAREN) continue;
    uint32_t line = t.pos.line;
    wat_tok kw;
    if (!wat_lex_next(&lx, &kw) || kw.kind != WAT_KEYWORD) {
      lx = save;
      if (wat_lex_next(&lx, &t)) skip_rest(&lx, 1);
      continue;
    }
    if (wat_is_module_field(&kw)) {
      /* a script that is one module of bare fields (inline-module.wast) */
      wat_module m;
      wat_error err;
      if (!wat_parse_text((const char *)src, size, &m, &err)) {
        printf("%u module text %u:%u: %s\n", line, err.line, err.col, err.msg);
        counts[1]++;
      } else {
        report(engine, &m, dir, line, &kw, counts);
      }
      break;
    }
    if (wat_tok_is(&kw, "module")) {
      wat_lexer probe = lx;
      wat_tok t2;
      if (wat_lex_next(&probe, &t2) && wat_tok_is(&t2, "instance")) {
        skip_rest(&lx, 1);
        continue;
      }
      lx = save;
      wast_module(engine, &lx, dir, line, &kw, counts);
    } else {
      /* a command: does a module form follow? */
      wat_lexer inner = lx;
      wat_tok a, b;
      if (wat_lex_next(&lx, &a) && a.kind == WAT_LPAREN &&
          wat_lex_next(&lx, &b) && wat_tok_is(&b, "module")) {
        lx = inner;
        wast_module(engine, &lx, dir, line, &kw, counts);
      }
    }
    /* Skip the whole command from its start, by depth (a module that
     * failed to parse leaves the lexer inside it). */
    lx = save;
    wat_tok o;
    if (wat_lex_next(&lx, &o)) skip_rest(&lx, 1);
  }
  fprintf(stderr, "%s: %u ok, %u text errors, %u invalid\n", path, counts[0],
          counts[1], counts[2]);
  wasm_engine_delete(engine);
  free(src);
  return CLI_EXIT_OK;
}

int cli_wat2wasm(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  bool wast = false, no_check = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0) {
      if (++i >= argc) return cli_usage_error("wat2wasm: -o needs a file name");
      out = argv[i];
    } else if (strcmp(argv[i], "--wast") == 0) {
      wast = true;
    } else if (strcmp(argv[i], "--no-check") == 0) {
      no_check = true;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cli_wat2wasm_usage();
      return CLI_EXIT_OK;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return cli_usage_error("wat2wasm: unknown option '%s'", argv[i]);
    } else if (in) {
      return cli_usage_error("wat2wasm: one input file only");
    } else {
      in = argv[i];
    }
  }
  if (!in) return cli_usage_error("wat2wasm: no input file");
  if (wast) {
    if (!out) return cli_usage_error("wat2wasm: --wast needs -o DIR");
    return wast_file(in, out);
  }
  return one_file(in, out, no_check);
}
