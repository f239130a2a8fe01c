/* cli/wast_script.c — a .wast script into wast2json's command list
 * (cli/wast_script.h).
 *
 * The script grammar (the spec interpreter's, WebAssembly/spec
 * interpreter/README.md "Scripts"):
 *
 *   cmd:    module | (register "name" $id?) | action | assertion
 *   module: (module $id? ...) | (module definition $id? ...)
 *           | (module instance $inst? $def?)     -- each module form
 *                                                   through wat_parse_module
 *   action: (invoke $id? "name" const*) | (get $id? "name")
 *   assertion:
 *     (assert_return action result*)  (assert_trap action "text")
 *     (assert_trap module "text")     (assert_exhaustion action "text")
 *     (assert_exception action)       (assert_malformed module "text")
 *     (assert_invalid module "text")  (assert_unlinkable module "text")
 *     (assert_uninstantiable module "text")
 *   const:  (i32.const n) (i64.const n) (f32.const z) (f64.const z)
 *           (v128.const shape lane*) (ref.null heaptype) (ref.extern n)
 *           (ref.host n)
 *   result: const | (f32.const nan:canonical) ... nan:arithmetic
 *           | (ref.null) | (ref.extern) | (ref.func) | (ref.struct)
 *           | (ref.array) | (ref.i31) | (ref.eq) | (ref.any)
 *           | (either result*)
 *
 * A script that is nothing but module fields (inline-module.wast) is one
 * module.  Values become wast2json's value objects: the unsigned decimal of
 * the bit pattern for numbers, `nan:canonical` / `nan:arithmetic` kept as
 * text, lanes one string each.  Names are decoded strings, a NUL byte
 * written as JSON_NUL_BYTE as json_parse does.
 */
#include "wast_script.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/wat.h"
#include "json.h"

typedef struct sp {
  wat_lexer lx;
  wast_text_script *out;
  cJSON *commands;
  bool bad; /* out->error (or out of memory) is set: stop */
  unsigned depth; /* of nested (either ...) results */
} sp;

/* Nested `either` forms: the spec never nests them; the bound keeps a
 * hostile script from exhausting the stack. */
#define MAX_EITHER_DEPTH 32

static void vset_error(sp *p, uint32_t line, uint32_t col, const char *fmt,
                       va_list ap) {
  if (p->bad) return;
  p->bad = true;
  p->out->error = true;
  p->out->err_line = line;
  p->out->err_col = col;
  vsnprintf(p->out->err_msg, sizeof p->out->err_msg, fmt, ap);
}

static bool error_at(sp *p, const wat_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the script's error at token t (the first error wins); false. */
static bool error_at(sp *p, const wat_tok *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset_error(p, t ? t->pos.line : 0, t ? t->pos.col : 0, fmt, ap);
  va_end(ap);
  return false;
}

static bool oom(sp *p) {
  return error_at(p, NULL, "out of memory");
}

/* "expected WHAT, found 'TOKEN'" at t. */
static bool expected(sp *p, const wat_tok *t, const char *what) {
  if (t->kind == WAT_EOF)
    return error_at(p, t, "expected %s, found end of input", what);
  int n = t->len > 40 ? 40 : (int)t->len;
  return error_at(p, t, "expected %s, found '%.*s'%s", what, n, t->text,
                  t->len > 40 ? "..." : "");
}

/* The next token; false (with the lexer's error) on a lexical error. */
static bool next(sp *p, wat_tok *t) {
  if (wat_lex_next(&p->lx, t)) return true;
  wat_tok at = {.pos = p->lx.err.pos};
  return error_at(p, &at, "%s", p->lx.err.msg);
}

/* The next token without consuming it; a lexical error reads as EOF here
 * (next() then reports it). */
static wat_tok peek(sp *p) {
  wat_lexer save = p->lx;
  wat_tok t;
  if (!wat_lex_next(&p->lx, &t)) {
    t.kind = WAT_EOF;
    t.pos = p->lx.err.pos;
  }
  p->lx = save;
  return t;
}

static bool expect(sp *p, wat_tok_kind kind, const char *what, wat_tok *t) {
  wat_tok tmp;
  if (!t) t = &tmp;
  if (!next(p, t)) return false;
  if (t->kind != kind) return expected(p, t, what);
  return true;
}

static bool expect_rparen(sp *p) {
  return expect(p, WAT_RPAREN, "')'", NULL);
}

/* ------------------------------------------------------------------------
 * Names and strings
 * ---------------------------------------------------------------------- */

/* A string token's bytes, NUL-terminated, NUL bytes inside written as
 * JSON_NUL_BYTE (as json_parse reads "\u0000"). */
static char *string_value(const wat_tok *t) {
  char *s = malloc(t->len + 1);
  if (!s) return NULL;
  size_t n = wat_string(t, (uint8_t *)s);
  for (size_t i = 0; i < n; i++)
    if (s[i] == 0) s[i] = (char)JSON_NUL_BYTE;
  s[n] = 0;
  return s;
}

/* An identifier token as the JSON names modules: "$name", a quoted id
 * `$"..."` decoded (so that $"M" and $M are one name). */
static char *id_value(const wat_tok *t) {
  char *s = malloc(t->len + 2);
  if (!s) return NULL;
  s[0] = '$';
  if (t->len >= 3 && t->text[1] == '"') {
    wat_tok str = *t;
    str.text++;
    str.len--;
    size_t n = wat_string(&str, (uint8_t *)s + 1);
    for (size_t i = 1; i <= n; i++)
      if (s[i] == 0) s[i] = (char)JSON_NUL_BYTE;
    s[n + 1] = 0;
  } else {
    memcpy(s + 1, t->text + 1, t->len - 1);
    s[t->len] = 0;
  }
  return s;
}

/* obj[key] = the decoded string (or id) of token t. */
static bool add_tok_string(sp *p, cJSON *obj, const char *key,
                           const wat_tok *t) {
  char *s = t->kind == WAT_ID ? id_value(t) : string_value(t);
  if (!s) return oom(p);
  bool ok = cJSON_AddStringToObject(obj, key, s) != NULL;
  free(s);
  return ok || oom(p);
}

static bool add_str(sp *p, cJSON *obj, const char *key, const char *v) {
  return cJSON_AddStringToObject(obj, key, v) != NULL || oom(p);
}

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

static bool is_nan_pattern(const wat_tok *t) {
  return wat_tok_is(t, "nan:canonical") || wat_tok_is(t, "nan:arithmetic");
}

/* One number of a kind ('i' integer, 'f' float) and width into its JSON
 * text; lanes of 8 and 16 bits are integers in [-2^(N-1), 2^N - 1]. */
static bool num_text(sp *p, const wat_tok *t, char kind, unsigned bits,
                     bool result, char *buf, size_t size) {
  if (t->kind != WAT_NUM && t->kind != WAT_KEYWORD)
    return expected(p, t, "a number");
  if (kind == 'f' && result && is_nan_pattern(t)) {
    snprintf(buf, size, "%.*s", (int)t->len, t->text);
    return true;
  }
  if (kind == 'f') {
    if (bits == 32) {
      uint32_t v;
      if (!wat_parse_f32(t->text, t->len, &v)) goto bad;
      snprintf(buf, size, "%" PRIu32, v);
    } else {
      uint64_t v;
      if (!wat_parse_f64(t->text, t->len, &v)) goto bad;
      snprintf(buf, size, "%" PRIu64, v);
    }
    return true;
  }
  if (bits == 64) {
    uint64_t v;
    if (!wat_parse_i64(t->text, t->len, &v)) goto bad;
    snprintf(buf, size, "%" PRIu64, v);
    return true;
  }
  uint32_t v;
  if (!wat_parse_i32(t->text, t->len, &v)) goto bad;
  if (bits < 32) {
    bool neg = t->len && t->text[0] == '-';
    int32_t sv = (int32_t)v;
    if (neg ? sv < -(INT32_C(1) << (bits - 1)) : v >> bits) goto bad;
    v &= (UINT32_C(1) << bits) - 1;
  }
  snprintf(buf, size, "%" PRIu32, v);
  return true;
bad:
  return error_at(p, t, "expected an %s%u%s, found '%.*s'",
                  kind == 'f' ? "f" : "i", bits,
                  kind == 'f' && result ? " or a NaN pattern" : "",
                  t->len > 40 ? 40 : (int)t->len, t->text);
}

/* The JSON type of `ref.null HT` for an abstract heap type HT; NULL for
 * an unknown keyword. */
static const char *null_type(const wat_tok *ht) {
  static const struct {
    const char *ht, *type;
  } map[] = {
      {"func", "funcref"},      {"extern", "externref"},
      {"any", "anyref"},        {"none", "nullref"},
      {"nofunc", "nullfuncref"}, {"noextern", "nullexternref"},
      {"exn", "exnref"},        {"noexn", "nullexnref"},
      {"eq", "eqref"},          {"i31", "i31ref"},
      {"struct", "structref"},  {"array", "arrayref"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (wat_tok_is(ht, map[i].ht)) return map[i].type;
  return NULL;
}

static cJSON *parse_value(sp *p, bool result);

/* v128.const SHAPE lane*: after the keyword. */
static bool parse_v128(sp *p, cJSON *v, bool result) {
  static const struct {
    const char *shape, *lane;
    char kind;
    unsigned bits, lanes;
  } shapes[] = {
      {"i8x16", "i8", 'i', 8, 16},   {"i16x8", "i16", 'i', 16, 8},
      {"i32x4", "i32", 'i', 32, 4},  {"i64x2", "i64", 'i', 64, 2},
      {"f32x4", "f32", 'f', 32, 4},  {"f64x2", "f64", 'f', 64, 2},
  };
  wat_tok t;
  if (!next(p, &t)) return false;
  size_t k = 0;
  while (k < sizeof shapes / sizeof shapes[0] &&
         !wat_tok_is(&t, shapes[k].shape))
    k++;
  if (k == sizeof shapes / sizeof shapes[0])
    return expected(p, &t, "a vector shape");
  if (!add_str(p, v, "type", "v128") ||
      !add_str(p, v, "lane_type", shapes[k].lane))
    return false;
  cJSON *lanes = cJSON_AddArrayToObject(v, "value");
  if (!lanes) return oom(p);
  for (unsigned i = 0; i < shapes[k].lanes; i++) {
    char buf[64];
    if (!next(p, &t)) return false;
    if (!num_text(p, &t, shapes[k].kind, shapes[k].bits, result, buf,
                  sizeof buf))
      return false;
    cJSON *s = cJSON_CreateString(buf);
    if (!s || !cJSON_AddItemToArray(lanes, s)) {
      cJSON_Delete(s);
      return oom(p);
    }
  }
  return expect_rparen(p);
}

/* The body of a value form after its keyword kw, into v. */
static bool parse_value_body(sp *p, const wat_tok *kw, cJSON *v,
                             bool result) {
  wat_tok t;
  char buf[64];
  static const struct {
    const char *op, *type;
    char kind;
    unsigned bits;
  } nums[] = {{"i32.const", "i32", 'i', 32}, {"i64.const", "i64", 'i', 64},
              {"f32.const", "f32", 'f', 32}, {"f64.const", "f64", 'f', 64}};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    if (!wat_tok_is(kw, nums[i].op)) continue;
    if (!next(p, &t)) return false;
    if (!num_text(p, &t, nums[i].kind, nums[i].bits, result, buf, sizeof buf))
      return false;
    return add_str(p, v, "type", nums[i].type) &&
           add_str(p, v, "value", buf) && expect_rparen(p);
  }
  if (wat_tok_is(kw, "v128.const")) return parse_v128(p, v, result);
  if (wat_tok_is(kw, "ref.null")) {
    if (!next(p, &t)) return false;
    if (t.kind == WAT_RPAREN) {
      if (!result) return expected(p, &t, "a heap type");
      return add_str(p, v, "type", "refnull") && add_str(p, v, "value", "null");
    }
    const char *type = t.kind == WAT_KEYWORD ? null_type(&t) : NULL;
    if (type) {
      char ht[16];
      snprintf(ht, sizeof ht, "%.*s", (int)t.len, t.text);
      if (!add_str(p, v, "type", type) || !add_str(p, v, "heaptype", ht))
        return false;
    } else if (t.kind == WAT_ID || t.kind == WAT_NUM) {
      /* a concrete type: wast2json has no type for it; any null matches */
      if (!add_str(p, v, "type", "refnull")) return false;
    } else {
      return expected(p, &t, "a heap type");
    }
    return add_str(p, v, "value", "null") && expect_rparen(p);
  }
  if (wat_tok_is(kw, "ref.extern") || wat_tok_is(kw, "ref.host")) {
    bool ext = kw->text[4] == 'e';
    if (!add_str(p, v, "type", ext ? "externref" : "hostref")) return false;
    if (!next(p, &t)) return false;
    if (t.kind == WAT_RPAREN) {
      if (!result || !ext) return expected(p, &t, "a host reference number");
      return true; /* any non-null externref */
    }
    uint64_t n;
    if (t.kind != WAT_NUM || !wat_parse_u64(t.text, t.len, &n))
      return expected(p, &t, "a host reference number");
    snprintf(buf, sizeof buf, "%" PRIu64, n);
    return add_str(p, v, "value", buf) && expect_rparen(p);
  }
  if (wat_tok_is(kw, "ref.func")) {
    if (!add_str(p, v, "type", "funcref")) return false;
    if (!next(p, &t)) return false;
    if (t.kind == WAT_RPAREN) return true; /* any non-null funcref */
    if (t.kind != WAT_ID && t.kind != WAT_NUM)
      return expected(p, &t, "a function index or ')'");
    /* A function reference argument: wast2json writes its name as the
     * value, which the runner cannot call with (it skips it). */
    snprintf(buf, sizeof buf, "%.*s", t.len > 60 ? 60 : (int)t.len, t.text);
    return add_str(p, v, "value", buf) && expect_rparen(p);
  }
  static const char *const kinds[] = {"ref.struct", "ref.array", "ref.i31",
                                      "ref.eq", "ref.any", "ref.exn"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (!wat_tok_is(kw, kinds[i])) continue;
    if (!result) return expected(p, kw, "an argument value");
    if (!add_str(p, v, "type", kinds[i])) return false;
    if (!next(p, &t)) return false;
    if (t.kind == WAT_NUM && !next(p, &t)) return false; /* (ref.i31 N) */
    if (t.kind != WAT_RPAREN) return expected(p, &t, "')'");
    return true;
  }
  if (wat_tok_is(kw, "either")) {
    if (!result) return expected(p, kw, "an argument value");
    if (p->depth >= MAX_EITHER_DEPTH)
      return error_at(p, kw, "(either ...) nested more than %d deep",
                      MAX_EITHER_DEPTH);
    if (!add_str(p, v, "type", "either")) return false;
    cJSON *vals = cJSON_AddArrayToObject(v, "values");
    if (!vals) return oom(p);
    for (;;) {
      t = peek(p);
      if (t.kind == WAT_RPAREN) return next(p, &t);
      p->depth++;
      cJSON *e = parse_value(p, true);
      p->depth--;
      if (!e) return false;
      if (!cJSON_AddItemToArray(vals, e)) {
        cJSON_Delete(e);
        return oom(p);
      }
    }
  }
  return expected(p, kw, result ? "a result value" : "an argument value");
}

/* One value form `( ... )`. */
static cJSON *parse_value(sp *p, bool result) {
  wat_tok t, kw;
  if (!expect(p, WAT_LPAREN, result ? "a result value" : "an argument value",
              &t))
    return NULL;
  if (!next(p, &kw)) return NULL;
  if (kw.kind != WAT_KEYWORD) {
    expected(p, &kw, result ? "a result value" : "an argument value");
    return NULL;
  }
  cJSON *v = cJSON_CreateObject();
  if (!v) {
    oom(p);
    return NULL;
  }
  if (!parse_value_body(p, &kw, v, result)) {
    cJSON_Delete(v);
    return NULL;
  }
  return v;
}

/* Values up to (not including) the closing ')' of the enclosing form. */
static bool parse_values(sp *p, cJSON *arr, bool result) {
  for (;;) {
    wat_tok t = peek(p);
    if (t.kind != WAT_LPAREN) return true;
    cJSON *v = parse_value(p, result);
    if (!v) return false;
    if (!cJSON_AddItemToArray(arr, v)) {
      cJSON_Delete(v);
      return oom(p);
    }
  }
}

/* ------------------------------------------------------------------------
 * Actions
 * ---------------------------------------------------------------------- */

/* An action form `(invoke ...)` / `(get ...)`, its `(` next; NULL on
 * error. */
static cJSON *parse_action(sp *p) {
  wat_tok t, kw;
  if (!expect(p, WAT_LPAREN, "an action", &t)) return NULL;
  if (!next(p, &kw)) return NULL;
  bool invoke = wat_tok_is(&kw, "invoke");
  if (!invoke && !wat_tok_is(&kw, "get")) {
    expected(p, &kw, "'invoke' or 'get'");
    return NULL;
  }
  cJSON *a = cJSON_CreateObject();
  if (!a) {
    oom(p);
    return NULL;
  }
  if (!add_str(p, a, "type", invoke ? "invoke" : "get")) goto bad;
  if (!next(p, &t)) goto bad;
  if (t.kind == WAT_ID) {
    if (!add_tok_string(p, a, "module", &t) || !next(p, &t)) goto bad;
  }
  if (t.kind != WAT_STRING) {
    expected(p, &t, invoke ? "the name of a function export"
                           : "the name of a global export");
    goto bad;
  }
  if (!add_tok_string(p, a, "field", &t)) goto bad;
  if (invoke) {
    cJSON *args = cJSON_AddArrayToObject(a, "args");
    if (!args) {
      oom(p);
      goto bad;
    }
    if (!parse_values(p, args, false)) goto bad;
  }
  if (!expect_rparen(p)) goto bad;
  return a;
bad:
  cJSON_Delete(a);
  return NULL;
}

/* ------------------------------------------------------------------------
 * Modules
 * ---------------------------------------------------------------------- */

/* Skips to the end of a form whose `(` has been read; false at the end of
 * the text (an unclosed form). */
static bool skip_form(sp *p, const wat_tok *open) {
  int depth = 1;
  while (depth > 0) {
    wat_tok t;
    if (!wat_lex_next(&p->lx, &t)) continue; /* past the bad text */
    if (t.kind == WAT_EOF)
      return error_at(p, open, "unclosed '(': the script ends inside it");
    if (t.kind == WAT_LPAREN) depth++;
    if (t.kind == WAT_RPAREN) depth--;
  }
  return true;
}

static bool add_mod(sp *p, wast_text_module m, size_t *index) {
  wast_text_script *s = p->out;
  if (s->nmods == s->cap_mods) {
    size_t cap = s->cap_mods ? s->cap_mods * 2 : 16;
    void *n = realloc(s->mods, cap * sizeof *s->mods);
    if (!n) return oom(p);
    s->mods = n;
    s->cap_mods = cap;
  }
  *index = s->nmods;
  s->mods[s->nmods++] = m;
  return true;
}

/* Records a parsed module, or the parser's rejection, in the table and
 * names it in cmd ("kiln_module", "module_type", and "name" if it has an
 * id and with_name). */
static bool add_module_fields(sp *p, cJSON *cmd, bool parsed, wat_module *m,
                              const wat_error *err, bool with_name) {
  wast_text_module tm = {0};
  if (parsed) {
    tm.bytes = m->bytes;
    tm.size = m->size;
    m->bytes = NULL;
  } else {
    char buf[256];
    snprintf(buf, sizeof buf, "%u:%u: %s", err->line, err->col, err->msg);
    size_t n = strlen(buf) + 1;
    tm.error = malloc(n);
    if (!tm.error) return oom(p);
    memcpy(tm.error, buf, n);
  }
  size_t index = 0;
  if (!add_mod(p, tm, &index)) {
    free(tm.bytes);
    free(tm.error);
    return false;
  }
  if (!cJSON_AddNumberToObject(cmd, "kiln_module", (double)index))
    return oom(p);
  if (!add_str(p, cmd, "module_type",
               parsed && m->form == WAT_FORM_BINARY ? "binary" : "text"))
    return false;
  if (parsed && with_name && m->id) {
    char *name = malloc(m->id_len + 2);
    if (!name) return oom(p);
    name[0] = '$';
    for (size_t i = 0; i < m->id_len; i++)
      name[i + 1] = m->id[i] ? m->id[i] : (char)JSON_NUL_BYTE;
    name[m->id_len + 1] = 0;
    bool ok = add_str(p, cmd, "name", name);
    free(name);
    if (!ok) return false;
  }
  return true;
}

/* A module form, its `(` next: parsed into the table.  A module the
 * parser rejects is skipped as a balanced form.  *definition tells
 * `(module definition ...)`. */
static bool parse_module_form(sp *p, cJSON *cmd, bool with_name,
                              bool *definition) {
  wat_lexer start = p->lx;
  wat_module m;
  wat_error err;
  bool parsed = wat_parse_module(&p->lx, WAT_ALLOW_DEFINITION, &m, &err);
  if (definition) *definition = parsed && m.definition;
  if (!parsed) {
    p->lx = start;
    wat_tok open;
    if (!next(p, &open) || !skip_form(p, &open)) return false;
  }
  bool ok = add_module_fields(p, cmd, parsed, &m, &err, with_name);
  if (parsed) wat_module_free(&m);
  return ok;
}

/* Whether a module form follows: `(` then `module`. */
static bool module_follows(sp *p) {
  wat_lexer save = p->lx;
  wat_tok a, b;
  bool yes = wat_lex_next(&p->lx, &a) && a.kind == WAT_LPAREN &&
             wat_lex_next(&p->lx, &b) && wat_tok_is(&b, "module");
  p->lx = save;
  return yes;
}


/* ------------------------------------------------------------------------
 * Commands
 * ---------------------------------------------------------------------- */

/* The message string that ends an assertion, then its `)`. */
static bool parse_text_and_close(sp *p, cJSON *cmd) {
  wat_tok t;
  if (!expect(p, WAT_STRING, "the expected message (a string)", &t))
    return false;
  return add_tok_string(p, cmd, "text", &t) && expect_rparen(p);
}

/* One command after its `(` and keyword; cmd has "type" and "line"
 * to be overwritten or completed. */
static bool parse_command(sp *p, const wat_tok *kw, cJSON *cmd,
                          wat_lexer *at_open) {
  wat_tok t;
  if (wat_tok_is(kw, "module")) {
    t = peek(p);
    if (wat_tok_is(&t, "instance")) {
      next(p, &t);
      cJSON_ReplaceItemInObject(cmd, "type",
                                cJSON_CreateString("module_instance"));
      if (!next(p, &t)) return false;
      if (t.kind == WAT_ID) {
        if (!add_tok_string(p, cmd, "instance", &t) || !next(p, &t))
          return false;
      }
      if (t.kind == WAT_ID) {
        if (!add_tok_string(p, cmd, "module", &t) || !next(p, &t))
          return false;
      }
      if (t.kind != WAT_RPAREN) return expected(p, &t, "')'");
      return true;
    }
    p->lx = *at_open;
    bool definition = false;
    if (!parse_module_form(p, cmd, true, &definition)) return false;
    if (definition)
      cJSON_ReplaceItemInObject(cmd, "type",
                                cJSON_CreateString("module_definition"));
    return true;
  }
  if (wat_tok_is(kw, "register")) {
    if (!expect(p, WAT_STRING, "the name to register under (a string)", &t) ||
        !add_tok_string(p, cmd, "as", &t) || !next(p, &t))
      return false;
    if (t.kind == WAT_ID) {
      if (!add_tok_string(p, cmd, "name", &t) || !next(p, &t)) return false;
    }
    if (t.kind != WAT_RPAREN) return expected(p, &t, "')'");
    return true;
  }
  if (wat_tok_is(kw, "invoke") || wat_tok_is(kw, "get")) {
    /* a bare action: re-read it whole from its `(` */
    p->lx = *at_open;
    cJSON_ReplaceItemInObject(cmd, "type", cJSON_CreateString("action"));
    cJSON *a = parse_action(p);
    if (!a) return false;
    cJSON_AddItemToObject(cmd, "action", a);
    return cJSON_AddArrayToObject(cmd, "expected") != NULL || oom(p);
  }
  bool ret = wat_tok_is(kw, "assert_return");
  bool trap = wat_tok_is(kw, "assert_trap");
  bool exhaustion = wat_tok_is(kw, "assert_exhaustion");
  bool exception = wat_tok_is(kw, "assert_exception");
  if (trap && module_follows(p))
    return parse_module_form(p, cmd, false, NULL) &&
           parse_text_and_close(p, cmd);
  if (ret || trap || exhaustion || exception) {
    cJSON *a = parse_action(p);
    if (!a) return false;
    cJSON_AddItemToObject(cmd, "action", a);
    cJSON *expected_vals = cJSON_AddArrayToObject(cmd, "expected");
    if (!expected_vals) return oom(p);
    if (ret) return parse_values(p, expected_vals, true) && expect_rparen(p);
    if (exception) return expect_rparen(p);
    return parse_text_and_close(p, cmd);
  }
  static const char *const module_asserts[] = {
      "assert_malformed", "assert_invalid", "assert_unlinkable",
      "assert_uninstantiable"};
  for (size_t i = 0; i < sizeof module_asserts / sizeof module_asserts[0];
       i++) {
    if (!wat_tok_is(kw, module_asserts[i])) continue;
    if (!module_follows(p)) {
      t = peek(p);
      return expected(p, &t, "a module");
    }
    return parse_module_form(p, cmd, false, NULL) &&
           parse_text_and_close(p, cmd);
  }
  return expected(p, kw, "a script command (module, register, invoke, get "
                         "or assert_...)");
}

/* The script as one module of bare fields. */
static bool whole_module(sp *p) {
  cJSON *cmd = cJSON_CreateObject();
  if (!cmd || !cJSON_AddItemToArray(p->commands, cmd)) {
    cJSON_Delete(cmd);
    return oom(p);
  }
  if (!add_str(p, cmd, "type", "module") ||
      !cJSON_AddNumberToObject(cmd, "line", 1))
    return oom(p);
  wat_module m;
  wat_error err;
  bool parsed = wat_parse_text(p->lx.src, p->lx.len, &m, &err);
  bool ok = add_module_fields(p, cmd, parsed, &m, &err, true);
  if (parsed) wat_module_free(&m);
  return ok;
}

bool wast_text_read(const char *src, size_t len, wast_text_script *out) {
  memset(out, 0, sizeof *out);
  out->root = cJSON_CreateObject();
  cJSON *commands = out->root ? cJSON_AddArrayToObject(out->root, "commands")
                              : NULL;
  if (!commands) return false;
  sp p = {.out = out, .commands = commands};
  wat_lex_init(&p.lx, src, len);
  bool first = true;
  while (!p.bad) {
    wat_lexer at_open = p.lx;
    wat_tok open, kw;
    if (!next(&p, &open)) break;
    if (open.kind == WAT_EOF) break;
    if (open.kind != WAT_LPAREN) {
      expected(&p, &open, "'(' to start a command");
      break;
    }
    if (!next(&p, &kw)) break;
    if (kw.kind == WAT_KEYWORD && first && wat_is_module_field(&kw)) {
      whole_module(&p);
      break;
    }
    first = false;
    if (kw.kind != WAT_KEYWORD) {
      expected(&p, &kw, "a script command");
      break;
    }
    cJSON *cmd = cJSON_CreateObject();
    if (!cmd || !cJSON_AddStringToObject(cmd, "type", "") ||
        !cJSON_AddNumberToObject(cmd, "line", open.pos.line)) {
      cJSON_Delete(cmd);
      oom(&p);
      break;
    }
    char type[40];
    snprintf(type, sizeof type, "%.*s", kw.len > 39 ? 39 : (int)kw.len,
             kw.text);
    cJSON_ReplaceItemInObject(cmd, "type", cJSON_CreateString(type));
    if (!parse_command(&p, &kw, cmd, &at_open) || !json_str(cmd, "type")) {
      cJSON_Delete(cmd);
      if (!p.bad) oom(&p);
      break;
    }
    if (!cJSON_AddItemToArray(commands, cmd)) {
      cJSON_Delete(cmd);
      oom(&p);
      break;
    }
  }
  return true;
}

void wast_text_free(wast_text_script *s) {
  cJSON_Delete(s->root);
  for (size_t i = 0; i < s->nmods; i++) {
    free(s->mods[i].bytes);
    free(s->mods[i].error);
  }
  free(s->mods);
  memset(s, 0, sizeof *s);
}
