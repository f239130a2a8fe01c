/* cli/wast.c — `kiln wast [--verbose] FILE...`: the spec test runner.
 *
 * Runs WAST scripts (FILE.wast, read by cli/wast_script.c into the command
 * list wast2json would have written, modules held in memory) and WABT-style
 * wast2json command lists (FILE.json), both through one runner with the
 * contract of tests/spec/testsuite/README.md ("Runner contract"), through
 * the public API: modules are compiled with
 * kiln_module_new_ex, instantiated with wasm_instance_new (imports resolved
 * by module and field name among the registered instances and the spectest
 * host module), and actions run with wasm_func_call / wasm_global_get.
 * assert_invalid / assert_malformed use kiln_module_validate_ex, which says
 * whether a rejection is a decoding or a validation error.
 *
 * Every command is counted as passed, failed or skipped with a reason.
 * Commands that need a feature Kiln does not run yet (SIMD values,
 * exception handling) or a value JSON cannot write are skipped, never
 * failed.  Text modules
 * (a JSON script's .wat files, a .wast script's module forms) go through
 * Kiln's own parser (kiln_wat2wasm); one the parser rejects counts as a
 * malformed module.
 * One store per script.
 *
 * Host references: an `externref` argument with a numeric value N is an
 * externref box (kiln_externref_new) whose data encodes N, made once per
 * script and reused, so the same N is the same reference; an `externref`
 * result with a value matches a box whose data encodes that N, one without
 * a value any non-null externref.  `hostref` N (ref.host N) is the same
 * box seen as an anyref (any.convert_extern keeps the reference), as an
 * argument and as a result.  GC results (ref.struct, ref.array, ref.i31,
 * ref.eq, ref.any) are told apart with kiln_ref_kind.
 *
 * Nothing in a script can crash the runner: every JSON field is read through
 * cli/json.h, which treats a missing or mistyped field as absent, and every
 * value is checked against the function's type before a call.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "kiln.h"
#include "wast_script.h"
#include "wasm.h"

/* Failure lines printed per file without --verbose. */
#define FAILURE_LINES 20

/* Skip reasons: one string per category, so the summary groups them. */
#define SKIP_SIMD "SIMD: v128 values are not supported"
#define SKIP_GC "GC: non-null values of this reference type have no JSON form"
#define SKIP_EH "exception handling is not supported"
#define SKIP_CONVERTER "converter could not express the command (wast2json 'skip')"
#define SKIP_FUNCREF_ARG "non-null funcref arguments cannot be written in JSON"
#define SKIP_UNKNOWN_CMD "unknown command type"

/* ------------------------------------------------------------------------
 * Per-script state
 * ---------------------------------------------------------------------- */

/* An instance, or the spectest host module: its exports by name. */
typedef struct wast_inst {
  char *name;                /* "$M" from the script, or NULL */
  wasm_instance_t *instance; /* NULL for spectest */
  wasm_extern_vec_t externs; /* owned; in export order */
  char **names;              /* owned; externs.size of them */
  size_t *name_lens;         /* owned; their lengths (names may hold NUL) */
} wast_inst;

typedef struct wast_def {
  char *name;
  wasm_module_t *module;
} wast_def;

typedef struct wast_reg {
  char *as; /* as read by json_parse: JSON_NUL_BYTE stands for NUL */
  wast_inst *inst;
} wast_reg;

typedef struct skip_count {
  const char *reason;
  unsigned count;
} skip_count;

typedef struct wast_script {
  const char *path;  /* the script, as given */
  char *dir;         /* its directory, with a final '/' (or "") */
  /* a .wast script's modules, named by the commands' "kiln_module"
   * (cli/wast_script.h); NULL for a JSON script, whose modules are files */
  const wast_text_module *mods;
  size_t nmods;
  bool verbose;
  bool serialize; /* --serialize: every module through its artifact */
  unsigned long *serialized; /* how many were (the run's count) */
  wasm_engine_t *engine;
  wasm_store_t *store;
  wast_inst **insts;
  size_t ninsts, cap_insts;
  wast_def *defs;
  size_t ndefs, cap_defs;
  wast_reg *regs;
  size_t nregs, cap_regs;
  wast_inst *current;
  unsigned passed, failed, skipped;
  unsigned trap_text_differs, category_differs;
  skip_count skips[16];
  size_t nskips;
  /* the command being run */
  long line;
  const char *ctype;
  /* externref boxes made for `externref N` arguments, one per N: the
   * script holds a handle on each until it ends */
  struct {
    uint64_t n;
    wasm_ref_t *ref;
  } *hostrefs;
  size_t nhostrefs, cap_hostrefs;
} wast_script;

/* Grows *arr (elements of size sz) so that it holds at least n + 1. */
static bool grow(void **arr, size_t *cap, size_t n, size_t sz) {
  if (n < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, ncap * sz);
  if (!p) return false;
  *arr = p;
  *cap = ncap;
  return true;
}

static char *dup_str(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static char *dup_name(const wasm_name_t *n) {
  char *p = malloc(n->size + 1);
  if (!p) return NULL;
  if (n->size) memcpy(p, n->data, n->size);
  p[n->size] = 0;
  return p;
}

/* ------------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------- */

static void pass(wast_script *s) { s->passed++; }

static void fail(wast_script *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(wast_script *s, const char *fmt, ...) {
  s->failed++;
  if (!s->verbose && s->failed > FAILURE_LINES) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  printf("  %s:%ld: %s: %s\n", s->path, s->line, s->ctype, msg);
}

static void skip(wast_script *s, const char *reason) {
  s->skipped++;
  for (size_t i = 0; i < s->nskips; i++) {
    if (s->skips[i].reason == reason) {
      s->skips[i].count++;
      return;
    }
  }
  if (s->nskips < sizeof s->skips / sizeof s->skips[0])
    s->skips[s->nskips++] = (skip_count){reason, 1};
  if (s->verbose) printf("  %s:%ld: %s: skipped: %s\n", s->path, s->line,
                         s->ctype, reason);
}

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

/* The reference hierarchy of a JSON value type whose values are all
 * null references, or of a null value of a reference type; H_NONE if the
 * type is not a reference type. */
typedef enum ref_hier { H_NONE, H_FUNC, H_EXTERN, H_ANY, H_EXN } ref_hier;

static ref_hier json_ref_hier(const char *type) {
  static const struct {
    const char *type;
    ref_hier h;
  } map[] = {
      {"funcref", H_FUNC},     {"nullfuncref", H_FUNC},
      {"externref", H_EXTERN}, {"nullexternref", H_EXTERN},
      {"anyref", H_ANY},       {"nullref", H_ANY},
      {"eqref", H_ANY},        {"i31ref", H_ANY},
      {"structref", H_ANY},    {"arrayref", H_ANY},
      {"exnref", H_EXN},       {"nullexnref", H_EXN},
      {"hostref", H_ANY},
  };
  if (!type) return H_NONE;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(type, map[i].type) == 0) return map[i].h;
  return H_NONE;
}

/* Whether a JSON value is a null reference of a named hierarchy ("refnull",
 * which names none, is not). */
static bool json_is_typed_null(const char *type, const char *value) {
  if (json_ref_hier(type) == H_NONE) return false;
  if (strncmp(type, "null", 4) == 0) return true; /* nullref, nullfuncref .. */
  return value && strcmp(value, "null") == 0;
}

/* Why a value of this JSON type cannot be run, or NULL if it can.  Null
 * references of every type can (they need no GC heap). */
static const char *value_skip_reason(const char *type, const char *value) {
  if (!type) return NULL;
  if (json_is_typed_null(type, value)) return NULL;
  if (strcmp(type, "v128") == 0) return SKIP_SIMD;
  if (strcmp(type, "exnref") == 0 || strcmp(type, "nullexnref") == 0 ||
      strcmp(type, "ref.exn") == 0)
    return SKIP_EH;
  /* non-null values of these types have no JSON form (results are
   * ref.struct ... instead) */
  if (strcmp(type, "anyref") == 0 || strcmp(type, "nullref") == 0 ||
      strcmp(type, "eqref") == 0 || strcmp(type, "i31ref") == 0 ||
      strcmp(type, "structref") == 0 || strcmp(type, "arrayref") == 0)
    return SKIP_GC;
  return NULL;
}

/* The first skip reason among the values of a list (either's values
 * included). */
static const char *values_skip_reason(const cJSON *list) {
  const cJSON *v;
  cJSON_ArrayForEach(v, list) {
    const char *type = json_str(v, "type");
    const char *r = value_skip_reason(type, json_str(v, "value"));
    if (r) return r;
    if (type && strcmp(type, "either") == 0) {
      r = values_skip_reason(json_array(v, "values"));
      if (r) return r;
    }
  }
  return NULL;
}

/* Parses an unsigned decimal (or 0x hex) bit pattern of at most `bits`
 * bits. */
static bool parse_bits(const char *text, unsigned bits, uint64_t *out) {
  if (!text || !*text || *text == '-' || *text == '+' || *text == ' ')
    return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(text, &end, 0);
  if (errno || *end) return false;
  if (bits < 64 && v >> bits) return false;
  *out = v;
  return true;
}

/* The data of the externref box standing for host reference N (never NULL,
 * so that kiln_externref_data tells a box from no box). */
static void *hostref_data(uint64_t n) { return (void *)(uintptr_t)(n + 1); }

/* The script's externref box for host reference N (made on first use; the
 * script owns the handle).  NULL when out of memory. */
static wasm_ref_t *hostref(wast_script *s, uint64_t n) {
  for (size_t i = 0; i < s->nhostrefs; i++)
    if (s->hostrefs[i].n == n) return s->hostrefs[i].ref;
  if (!grow((void **)&s->hostrefs, &s->cap_hostrefs, s->nhostrefs,
            sizeof s->hostrefs[0]))
    return NULL;
  wasm_ref_t *r = kiln_externref_new(s->store, hostref_data(n), NULL);
  if (!r) return NULL;
  s->hostrefs[s->nhostrefs].n = n;
  s->hostrefs[s->nhostrefs].ref = r;
  s->nhostrefs++;
  return r;
}

/* Reads an argument into *out; false, with the reason in err, if it cannot
 * be used.  A reference in *out is borrowed (the script owns it). */
static bool parse_arg(wast_script *s, const cJSON *j, wasm_val_t *out,
                      char *err, size_t errlen) {
  const char *type = json_str(j, "type");
  const char *value = json_str(j, "value");
  uint64_t bits = 0;
  memset(out, 0, sizeof *out);
  if (!type) {
    snprintf(err, errlen, "argument without a type");
    return false;
  }
  if (strcmp(type, "i32") == 0 || strcmp(type, "f32") == 0) {
    if (!parse_bits(value, 32, &bits)) goto bad_value;
    uint32_t b = (uint32_t)bits;
    if (type[0] == 'i') {
      out->kind = WASM_I32;
      out->of.i32 = (int32_t)b;
    } else {
      out->kind = WASM_F32;
      memcpy(&out->of.f32, &b, 4);
    }
    return true;
  }
  if (strcmp(type, "i64") == 0 || strcmp(type, "f64") == 0) {
    if (!parse_bits(value, 64, &bits)) goto bad_value;
    if (type[0] == 'i') {
      out->kind = WASM_I64;
      out->of.i64 = (int64_t)bits;
    } else {
      out->kind = WASM_F64;
      memcpy(&out->of.f64, &bits, 8);
    }
    return true;
  }
  if (json_is_typed_null(type, value)) {
    ref_hier h = json_ref_hier(type);
    out->kind = h == H_FUNC     ? WASM_FUNCREF
                : h == H_EXTERN ? WASM_EXTERNREF
                                : KILN_REF;
    out->of.ref = NULL;
    return true;
  }
  if (strcmp(type, "externref") == 0 || strcmp(type, "hostref") == 0) {
    if (!parse_bits(value, 64, &bits)) goto bad_value;
    out->kind = type[0] == 'e' ? WASM_EXTERNREF : KILN_REF;
    out->of.ref = hostref(s, bits);
    if (!out->of.ref) {
      snprintf(err, errlen, "out of memory for an externref");
      return false;
    }
    return true;
  }
  snprintf(err, errlen, "unsupported argument type '%s'", type);
  return false;
bad_value:
  snprintf(err, errlen, "bad %s argument '%s'", type, value ? value : "");
  return false;
}

static const char *kind_name(wasm_valkind_t k) {
  switch (k) {
  case WASM_I32: return "i32";
  case WASM_I64: return "i64";
  case WASM_F32: return "f32";
  case WASM_F64: return "f64";
  case WASM_EXTERNREF: return "externref";
  case WASM_FUNCREF: return "funcref";
  case KILN_REF: return "ref";
  default: return "?";
  }
}

/* Writes a result as "i32:42", "f32:0x7fc00000 (nan)", "funcref:null". */
static void format_val(const wasm_val_t *v, char *buf, size_t size) {
  switch (v->kind) {
  case WASM_I32:
    snprintf(buf, size, "i32:%" PRIu32, (uint32_t)v->of.i32);
    break;
  case WASM_I64:
    snprintf(buf, size, "i64:%" PRIu64, (uint64_t)v->of.i64);
    break;
  case WASM_F32: {
    uint32_t b;
    memcpy(&b, &v->of.f32, 4);
    snprintf(buf, size, "f32:0x%08" PRIx32 " (%.9g)", b, (double)v->of.f32);
    break;
  }
  case WASM_F64: {
    uint64_t b;
    memcpy(&b, &v->of.f64, 8);
    snprintf(buf, size, "f64:0x%016" PRIx64 " (%.17g)", b, v->of.f64);
    break;
  }
  default: {
    static const char *const what[] = {"null", "func", "host", "i31", "struct", "array"};
    kiln_refkind_t k = kiln_ref_kind(v->of.ref);
    snprintf(buf, size, "%s:%s", kind_name(v->kind),
             k < sizeof what / sizeof what[0] ? what[k] : "non-null");
  }
  }
}

/* Writes an expected value as the script gives it. */
static void format_expected(const cJSON *e, char *buf, size_t size) {
  const char *type = json_str(e, "type");
  if (type && strcmp(type, "either") == 0) {
    size_t n = (size_t)snprintf(buf, size, "either(");
    const cJSON *v;
    bool first = true;
    cJSON_ArrayForEach(v, json_array(e, "values")) {
      if (n >= size) break;
      n += (size_t)snprintf(buf + n, size - n, "%s%s:%s", first ? "" : " | ",
                            json_str(v, "type") ? json_str(v, "type") : "?",
                            json_str(v, "value") ? json_str(v, "value") : "");
      first = false;
    }
    if (n < size) snprintf(buf + n, size - n, ")");
    return;
  }
  const char *value = json_str(e, "value");
  snprintf(buf, size, "%s:%s", type ? type : "?", value ? value : "");
}

/* The hierarchy of a reference value of static type t: Kiln gives function
 * and extern references their standard kinds whatever their type, so only
 * KILN_REF values need the type, to tell the exn hierarchy from any (a
 * concrete KILN_REF type is a struct or array type: any). */
static ref_hier val_hier(const wasm_valtype_t *t, wasm_valkind_t kind) {
  if (kind == WASM_FUNCREF) return H_FUNC;
  if (kind == WASM_EXTERNREF) return H_EXTERN;
  if (kind != KILN_REF) return H_NONE;
  kiln_heaptype_t h;
  if (t && kiln_valtype_heaptype(t, &h) &&
      (h.kind == KILN_HEAP_EXN || h.kind == KILN_HEAP_NOEXN))
    return H_EXN;
  return H_ANY;
}

/* The hierarchies a parameter of type t accepts references of; a concrete
 * type may be a function type or a GC type, which the public API does not
 * tell apart, so it accepts both (wasm_func_call has the last word). */
static bool param_accepts(const wasm_valtype_t *t, ref_hier h) {
  wasm_valkind_t k = wasm_valtype_kind(t);
  if (k == WASM_FUNCREF) return h == H_FUNC;
  if (k == WASM_EXTERNREF) return h == H_EXTERN;
  kiln_heaptype_t ht;
  if (k != KILN_REF || !kiln_valtype_heaptype(t, &ht)) return false;
  switch (ht.kind) {
  case KILN_HEAP_FUNC:
  case KILN_HEAP_NOFUNC: return h == H_FUNC;
  case KILN_HEAP_EXTERN:
  case KILN_HEAP_NOEXTERN: return h == H_EXTERN;
  case KILN_HEAP_EXN:
  case KILN_HEAP_NOEXN: return h == H_EXN;
  case KILN_HEAP_CONCRETE: return h == H_FUNC || h == H_ANY;
  default: return h == H_ANY;
  }
}

/* Whether a result (of hierarchy hier, if a reference) matches one
 * expected value (not `either`). */

/* The bits b of a float result of `width` bits against an expected value:
 * exact bits, or a NaN pattern — nan:canonical: sign either, exponent all
 * ones, only the quiet bit set; nan:arithmetic: sign either, exponent all
 * ones, the quiet bit set. */
static bool float_matches(uint64_t b, unsigned width, const char *value) {
  uint64_t sign = (uint64_t)1 << (width - 1);
  uint64_t quiet_nan = width == 32 ? 0x7fc00000u : 0x7ff8000000000000u;
  uint64_t bits;
  if (strcmp(value, "nan:canonical") == 0)
    return (b & ~sign) == quiet_nan;
  if (strcmp(value, "nan:arithmetic") == 0)
    return (b & quiet_nan) == quiet_nan;
  return parse_bits(value, width, &bits) && b == bits;
}
static bool match_one(const cJSON *e, const wasm_val_t *got, ref_hier hier) {
  const char *type = json_str(e, "type");
  const char *value = json_str(e, "value");
  if (!type) return false;
  uint64_t bits;
  if (strcmp(type, "i32") == 0)
    return got->kind == WASM_I32 && parse_bits(value, 32, &bits) &&
           (uint32_t)got->of.i32 == (uint32_t)bits;
  if (strcmp(type, "i64") == 0)
    return got->kind == WASM_I64 && parse_bits(value, 64, &bits) &&
           (uint64_t)got->of.i64 == bits;
  if (strcmp(type, "f32") == 0) {
    if (got->kind != WASM_F32 || !value) return false;
    uint32_t b;
    memcpy(&b, &got->of.f32, 4);
    return float_matches(b, 32, value);
  }
  if (strcmp(type, "f64") == 0) {
    if (got->kind != WASM_F64 || !value) return false;
    uint64_t b;
    memcpy(&b, &got->of.f64, 8);
    return float_matches(b, 64, value);
  }
  /* refnull: a null reference of any type */
  if (strcmp(type, "refnull") == 0)
    return wasm_valkind_is_ref(got->kind) && got->of.ref == NULL;
  /* a null of a hierarchy: "funcref" "null" matches a null nullfuncref or
   * (ref null $t) as well, the null of each hierarchy being one value */
  if (json_is_typed_null(type, value))
    return wasm_valkind_is_ref(got->kind) && got->of.ref == NULL &&
           hier == json_ref_hier(type);
  if (strcmp(type, "funcref") == 0 && !value)
    return got->kind == WASM_FUNCREF && got->of.ref != NULL;
  /* host references: a box whose data encodes N; without a value, any
   * non-null externref */
  if (strcmp(type, "externref") == 0) {
    if (got->kind != WASM_EXTERNREF || !got->of.ref) return false;
    if (!value) return true;
    return parse_bits(value, 64, &bits) &&
           kiln_externref_data(got->of.ref) == hostref_data(bits);
  }
  /* GC results: a reference of the any hierarchy of the named kind (ref.eq:
   * i31, struct or array; ref.any: any), or the box of host reference N
   * seen as an anyref */
  if (strncmp(type, "ref.", 4) == 0 || strcmp(type, "hostref") == 0) {
    if (got->kind != KILN_REF || hier != H_ANY || !got->of.ref) return false;
    kiln_refkind_t k = kiln_ref_kind(got->of.ref);
    if (strcmp(type, "hostref") == 0)
      return parse_bits(value, 64, &bits) &&
             kiln_externref_data(got->of.ref) == hostref_data(bits);
    if (strcmp(type, "ref.any") == 0) return true;
    if (strcmp(type, "ref.eq") == 0)
      return k == KILN_REFKIND_I31 || k == KILN_REFKIND_STRUCT ||
             k == KILN_REFKIND_ARRAY;
    if (strcmp(type, "ref.i31") == 0) return k == KILN_REFKIND_I31;
    if (strcmp(type, "ref.struct") == 0) return k == KILN_REFKIND_STRUCT;
    if (strcmp(type, "ref.array") == 0) return k == KILN_REFKIND_ARRAY;
  }
  return false;
}

static bool match_expected(const cJSON *e, const wasm_val_t *got,
                           ref_hier hier) {
  const char *type = json_str(e, "type");
  if (type && strcmp(type, "either") == 0) {
    const cJSON *v;
    cJSON_ArrayForEach(v, json_array(e, "values")) {
      if (match_one(v, got, hier)) return true;
    }
    return false;
  }
  return match_one(e, got, hier);
}

/* ------------------------------------------------------------------------
 * Traps
 * ---------------------------------------------------------------------- */

/* The trap's message, NUL-terminated, into buf ("" if trap is NULL). */
static void trap_text(const wasm_trap_t *trap, char *buf, size_t size) {
  buf[0] = 0;
  if (!trap || size == 0) return;
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  size_t n = msg.size;
  if (n && msg.data[n - 1] == 0) n--; /* the standard counts the NUL */
  if (n >= size) n = size - 1;
  if (n) memcpy(buf, msg.data, n);
  buf[n] = 0;
  wasm_byte_vec_delete(&msg);
}

static bool is_exhaustion(const wasm_trap_t *trap) {
  return kiln_trap_code(trap) == KILN_TRAP_STACK_OVERFLOW;
}

/* ------------------------------------------------------------------------
 * The spectest host module
 * ---------------------------------------------------------------------- */

static wasm_trap_t *spectest_print(const wasm_val_vec_t *args,
                                   wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  return NULL;
}

/* Adds one export to a host instance; takes ownership of ext. */
static bool host_add(wast_inst *in, size_t *n, const char *name,
                     wasm_extern_t *ext) {
  if (!ext) return false;
  in->externs.data[*n] = ext;
  in->names[*n] = dup_str(name);
  in->name_lens[*n] = strlen(name);
  (*n)++;
  return in->names[*n - 1] != NULL;
}

static wasm_extern_t *host_func(wasm_store_t *store, wasm_valkind_t a,
                                wasm_valkind_t b, unsigned nparams) {
  wasm_valtype_vec_t params, results;
  wasm_valtype_t *p[2] = {NULL, NULL};
  if (nparams > 0) p[0] = wasm_valtype_new(a);
  if (nparams > 1) p[1] = wasm_valtype_new(b);
  wasm_valtype_vec_new(&params, nparams, p);
  wasm_valtype_vec_new_empty(&results);
  wasm_functype_t *ft = wasm_functype_new(&params, &results);
  if (!ft) return NULL;
  wasm_func_t *f = wasm_func_new(store, ft, spectest_print);
  wasm_functype_delete(ft);
  return f ? wasm_func_as_extern(f) : NULL;
}

static wasm_extern_t *host_global(wasm_store_t *store, wasm_val_t v) {
  wasm_globaltype_t *gt =
      wasm_globaltype_new(wasm_valtype_new(v.kind), WASM_CONST);
  if (!gt) return NULL;
  wasm_global_t *g = wasm_global_new(store, gt, &v);
  wasm_globaltype_delete(gt);
  return g ? wasm_global_as_extern(g) : NULL;
}

static wasm_extern_t *host_table(wasm_store_t *store, bool is64) {
  wasm_tabletype_t *tt;
  if (is64) {
    kiln_limits64_t l = {10, 20, true, true};
    tt = kiln_tabletype_new64(wasm_valtype_new(WASM_FUNCREF), &l);
  } else {
    wasm_limits_t l = {10, 20};
    tt = wasm_tabletype_new(wasm_valtype_new(WASM_FUNCREF), &l);
  }
  if (!tt) return NULL;
  wasm_table_t *t = wasm_table_new(store, tt, NULL);
  wasm_tabletype_delete(tt);
  return t ? wasm_table_as_extern(t) : NULL;
}

static wasm_extern_t *host_memory(wasm_store_t *store) {
  wasm_limits_t l = {1, 2};
  wasm_memorytype_t *mt = wasm_memorytype_new(&l);
  if (!mt) return NULL;
  wasm_memory_t *m = wasm_memory_new(store, mt);
  wasm_memorytype_delete(mt);
  return m ? wasm_memory_as_extern(m) : NULL;
}

#define SPECTEST_EXPORTS 14 /* 7 functions, 4 globals, table, memory, table64 */

/* Builds the spectest module in a store; NULL if out of memory. */
static wast_inst *spectest_new(wasm_store_t *store) {
  wast_inst *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  wasm_extern_vec_new_uninitialized(&in->externs, SPECTEST_EXPORTS);
  in->names = calloc(SPECTEST_EXPORTS, sizeof *in->names);
  in->name_lens = calloc(SPECTEST_EXPORTS, sizeof *in->name_lens);
  if (!in->names || !in->name_lens || !in->externs.data) {
    free(in->names);
    free(in->name_lens);
    wasm_extern_vec_delete(&in->externs);
    free(in);
    return NULL;
  }
  size_t n = 0;
  wasm_val_t v;
  bool ok = true;
  ok = ok && host_add(in, &n, "print", host_func(store, WASM_I32, WASM_I32, 0));
  ok = ok && host_add(in, &n, "print_i32",
                      host_func(store, WASM_I32, WASM_I32, 1));
  ok = ok && host_add(in, &n, "print_i64",
                      host_func(store, WASM_I64, WASM_I64, 1));
  ok = ok && host_add(in, &n, "print_f32",
                      host_func(store, WASM_F32, WASM_F32, 1));
  ok = ok && host_add(in, &n, "print_f64",
                      host_func(store, WASM_F64, WASM_F64, 1));
  ok = ok && host_add(in, &n, "print_i32_f32",
                      host_func(store, WASM_I32, WASM_F32, 2));
  ok = ok && host_add(in, &n, "print_f64_f64",
                      host_func(store, WASM_F64, WASM_F64, 2));
  v = (wasm_val_t){.kind = WASM_I32, .of.i32 = 666};
  ok = ok && host_add(in, &n, "global_i32", host_global(store, v));
  v = (wasm_val_t){.kind = WASM_I64, .of.i64 = 666};
  ok = ok && host_add(in, &n, "global_i64", host_global(store, v));
  v = (wasm_val_t){.kind = WASM_F32, .of.f32 = 666.6f};
  ok = ok && host_add(in, &n, "global_f32", host_global(store, v));
  v = (wasm_val_t){.kind = WASM_F64, .of.f64 = 666.6};
  ok = ok && host_add(in, &n, "global_f64", host_global(store, v));
  ok = ok && host_add(in, &n, "table", host_table(store, false));
  ok = ok && host_add(in, &n, "memory", host_memory(store));
  /* table64 needs 64-bit tables in the runtime; without it the spectest
   * module still works for everything else. */
  if (ok && n < SPECTEST_EXPORTS) {
    wasm_extern_t *t64 = host_table(store, true);
    if (t64) host_add(in, &n, "table64", t64);
  }
  /* What was made; if an object could not be made the runtime lacks it,
   * and imports of the missing exports fail as unknown imports. */
  in->externs.size = n;
  return in;
}

/* ------------------------------------------------------------------------
 * Instances
 * ---------------------------------------------------------------------- */

static void inst_free(wast_inst *in) {
  if (!in) return;
  for (size_t i = 0; i < in->externs.size; i++) free(in->names[i]);
  free(in->names);
  free(in->name_lens);
  wasm_extern_vec_delete(&in->externs);
  if (in->instance) wasm_instance_delete(in->instance);
  free(in->name);
  free(in);
}

static bool add_inst(wast_script *s, wast_inst *in) {
  if (!grow((void **)&s->insts, &s->cap_insts, s->ninsts, sizeof *s->insts))
    return false;
  s->insts[s->ninsts++] = in;
  return true;
}

static wast_inst *find_inst(wast_script *s, const char *name) {
  if (!name) return s->current;
  for (size_t i = s->ninsts; i-- > 0;)
    if (s->insts[i]->name && strcmp(s->insts[i]->name, name) == 0)
      return s->insts[i];
  return NULL;
}

static wast_inst *find_registered(wast_script *s, const wasm_name_t *name) {
  for (size_t i = s->nregs; i-- > 0;) {
    const char *as = s->regs[i].as;
    if (json_name_eq(as, strlen(as), name->data, name->size))
      return s->regs[i].inst;
  }
  return NULL;
}

/* The export of a name (len bytes, which may hold NUL). */
static wasm_extern_t *find_export(const wast_inst *in, const char *name,
                                  size_t len) {
  for (size_t i = 0; i < in->externs.size; i++)
    if (in->name_lens[i] == len && memcmp(in->names[i], name, len) == 0)
      return in->externs.data[i];
  return NULL;
}

/* The export of a name read from the script (json_name_eq). */
static wasm_extern_t *find_export_json(const wast_inst *in,
                                       const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < in->externs.size; i++)
    if (json_name_eq(name, len, in->names[i], in->name_lens[i]))
      return in->externs.data[i];
  return NULL;
}

typedef enum inst_result {
  INST_OK,
  INST_UNLINKABLE, /* an import could not be resolved or did not match */
  INST_TRAPPED,    /* linked, then trapped in init or start */
  INST_ERROR,      /* anything else (the message says what) */
} inst_result;

/* Instantiates module in s's store with imports resolved by name.  On
 * INST_OK *out is a new instance (named name); else msg says why. */
static inst_result instantiate(wast_script *s, const wasm_module_t *module,
                               const char *name, wast_inst **out, char *msg,
                               size_t msglen) {
  *out = NULL;
  msg[0] = 0;
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  wasm_extern_t **ext = calloc(imports.size ? imports.size : 1, sizeof *ext);
  if (!ext) {
    wasm_importtype_vec_delete(&imports);
    snprintf(msg, msglen, "out of memory");
    return INST_ERROR;
  }
  for (size_t i = 0; i < imports.size; i++) {
    const wasm_name_t *mod = wasm_importtype_module(imports.data[i]);
    const wasm_name_t *field = wasm_importtype_name(imports.data[i]);
    const wast_inst *from = find_registered(s, mod);
    ext[i] = from ? find_export(from, field->data, field->size) : NULL;
    if (!ext[i]) {
      snprintf(msg, msglen, "unknown import \"%.*s\".\"%.*s\"",
               (int)mod->size, mod->data, (int)field->size, field->data);
    } else if (wasm_extern_kind(ext[i]) !=
               wasm_externtype_kind(wasm_importtype_type(imports.data[i]))) {
      snprintf(msg, msglen, "incompatible import type for \"%.*s\".\"%.*s\"",
               (int)mod->size, mod->data, (int)field->size, field->data);
      ext[i] = NULL;
    }
    if (!ext[i]) {
      free(ext);
      wasm_importtype_vec_delete(&imports);
      return INST_UNLINKABLE;
    }
  }
  wasm_extern_vec_t import_vec = {imports.size, ext};
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(s->store, module, &import_vec,
                                                &trap);
  free(ext);
  wasm_importtype_vec_delete(&imports);
  if (!instance) {
    inst_result r;
    if (trap) {
      trap_text(trap, msg, msglen);
      kiln_trap_code_t code = kiln_trap_code(trap);
      r = code == KILN_TRAP_LINK       ? INST_UNLINKABLE
          : code == KILN_TRAP_RESOURCE ? INST_ERROR
                                       : INST_TRAPPED;
      wasm_trap_delete(trap);
    } else {
      snprintf(msg, msglen, "wasm_instance_new failed without a trap");
      r = INST_ERROR;
    }
    return r;
  }
  if (trap) wasm_trap_delete(trap); /* not expected with an instance */

  wast_inst *in = calloc(1, sizeof *in);
  if (!in) {
    wasm_instance_delete(instance);
    snprintf(msg, msglen, "out of memory");
    return INST_ERROR;
  }
  in->instance = instance;
  wasm_instance_exports(instance, &in->externs);
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  in->names = calloc(in->externs.size ? in->externs.size : 1,
                     sizeof *in->names);
  in->name_lens = calloc(in->externs.size ? in->externs.size : 1,
                         sizeof *in->name_lens);
  bool ok = in->names != NULL && in->name_lens != NULL &&
            types.size == in->externs.size;
  for (size_t i = 0; ok && i < types.size; i++) {
    const wasm_name_t *en = wasm_exporttype_name(types.data[i]);
    in->names[i] = dup_name(en);
    in->name_lens[i] = en->size;
    ok = in->names[i] != NULL;
  }
  wasm_exporttype_vec_delete(&types);
  if (ok && name) ok = (in->name = dup_str(name)) != NULL;
  if (!ok || !add_inst(s, in)) {
    if (!in->names) in->externs.size = 0; /* nothing to free per name */
    inst_free(in);
    snprintf(msg, msglen, "out of memory, or exports do not match the "
                          "module's export types");
    return INST_ERROR;
  }
  *out = in;
  return INST_OK;
}

/* ------------------------------------------------------------------------
 * Modules
 * ---------------------------------------------------------------------- */

/* The in-memory module a command of a .wast script names, or NULL (a
 * JSON script, or no such field). */
static const wast_text_module *mem_module(const wast_script *s,
                                          const cJSON *cmd) {
  if (!s->mods) return NULL;
  long i = json_int(cmd, "kiln_module", -1);
  if (i < 0 || (size_t)i >= s->nmods) return NULL;
  return &s->mods[i];
}

typedef enum mod_bytes {
  MOD_OK,            /* *data / *size hold the binary */
  MOD_ERROR,         /* no module: msg says why */
  MOD_TEXT_REJECTED, /* the text parser rejected it: msg holds its error */
} mod_bytes;

/* The converter (tests/spec/testsuite/tools/wast2json.mjs) writes the text
 * of `(module quote "...")` as "(module " + text + ")", which nests a
 * second module form when the quoted text is one — `(module quote
 * "(module ...)")`, which the spec allows — and would make every such
 * text malformed for the wrong reason.  This undoes that wrapping (the
 * range [*start, *start + *len) is the quoted text) when the inside is a
 * module form, and leaves any other text whole. */
static void converter_unwrap(const char *t, size_t n, size_t *start, size_t *len) {
  *start = 0;
  *len = n;
  static const char open[] = "(module ";
  size_t k = sizeof open - 1;
  if (n < k + 1 || memcmp(t, open, k) != 0 || t[n - 1] != ')')
    return;
  size_t i = k;
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
    i++;
  if (n - i >= 7 && memcmp(t + i, "(module", 7) == 0) {
    *start = k;
    *len = n - 1 - k;
  }
}

/* A JSON script's text module (a .wat file, module_type "text"), read into
 * *data, converted in place into its binary by Kiln's parser. */
static mod_bytes text_to_binary(uint8_t **data, size_t *size, char *msg, size_t msglen) {
  wasm_byte_vec_t bin;
  kiln_text_error_t err;
  size_t start, len;
  converter_unwrap((const char *)*data, *size, &start, &len);
  bool ok = kiln_wat2wasm((const char *)*data + start, len, &bin, &err);
  free(*data);
  *data = NULL;
  if (!ok) {
    snprintf(msg, msglen, "text rejected: %u:%u: %s", err.line, err.column, err.message);
    return MOD_TEXT_REJECTED;
  }
  *data = malloc(bin.size ? bin.size : 1);
  if (*data)
    memcpy(*data, bin.data, bin.size);
  *size = bin.size;
  wasm_byte_vec_delete(&bin);
  if (!*data) {
    snprintf(msg, msglen, "out of memory");
    return MOD_ERROR;
  }
  return MOD_OK;
}

/* The bytes of the module a command names: the file named by "filename"
 * (relative to the JSON file), or the module a .wast script parsed.
 * *data is to be freed by the caller (a copy either way). */
static mod_bytes read_module(wast_script *s, const cJSON *cmd,
                             uint8_t **data, size_t *size, char *msg,
                             size_t msglen) {
  const wast_text_module *mm = mem_module(s, cmd);
  if (mm) {
    if (!mm->bytes) {
      snprintf(msg, msglen, "text rejected: %s", mm->error ? mm->error : "");
      return MOD_TEXT_REJECTED;
    }
    *data = malloc(mm->size ? mm->size : 1);
    if (!*data) {
      snprintf(msg, msglen, "out of memory");
      return MOD_ERROR;
    }
    memcpy(*data, mm->bytes, mm->size);
    *size = mm->size;
    return MOD_OK;
  }
  const char *filename = json_str(cmd, "filename");
  if (!filename) {
    snprintf(msg, msglen, "command has no filename");
    return MOD_ERROR;
  }
  size_t n = strlen(s->dir) + strlen(filename) + 1;
  char *path = malloc(n);
  if (!path) {
    snprintf(msg, msglen, "out of memory");
    return MOD_ERROR;
  }
  snprintf(path, n, "%s%s", s->dir, filename);
  int err = 0;
  bool ok = cli_read_file(path, data, size, &err);
  if (!ok) snprintf(msg, msglen, "cannot read %s: %s", path, strerror(err));
  free(path);
  if (!ok) return MOD_ERROR;
  const char *type = json_str(cmd, "module_type");
  return type && strcmp(type, "text") == 0 ? text_to_binary(data, size, msg, msglen) : MOD_OK;
}

/* Compiles a module file; NULL with msg on failure. */
static wasm_module_t *load_module(wast_script *s, const cJSON *cmd, char *msg,
                                  size_t msglen) {
  uint8_t *data = NULL;
  size_t size = 0;
  if (read_module(s, cmd, &data, &size, msg, msglen) != MOD_OK) return NULL;
  kiln_diagnostic_t diag;
  wasm_module_t *m = kiln_module_new_ex(s->engine, data, size, &diag);
  free(data);
  if (!m) {
    size_t n = (size_t)snprintf(msg, msglen, "module rejected: ");
    if (n < msglen) kiln_diagnostic_format(&diag, msg + n, msglen - n);
  }
  wasm_byte_vec_t art;
  if (m && s->serialize && kiln_module_serialize(m, &art, &diag)) {
    /* the module the script uses is the one loaded from the artifact (a
     * module that does not compile is left as it is: it fails later, the
     * same way) */
    wasm_module_delete(m);
    m = kiln_module_deserialize_ex(s->engine, (const uint8_t *)art.data, art.size, &diag);
    wasm_byte_vec_delete(&art);
    if (!m)
      snprintf(msg, msglen, "serialized module not loaded: %s", diag.message);
    else
      ++*s->serialized;
  }
  return m;
}

/* `module`: compile, instantiate, make current. */
static void cmd_module(wast_script *s, const cJSON *cmd) {
  char msg[512];
  wasm_module_t *m = load_module(s, cmd, msg, sizeof msg);
  s->current = NULL;
  if (!m) return fail(s, "%s", msg);
  wast_inst *in;
  inst_result r = instantiate(s, m, json_str(cmd, "name"), &in, msg,
                              sizeof msg);
  wasm_module_delete(m);
  if (r != INST_OK) {
    return fail(s, "instantiation failed: %s%s",
                r == INST_UNLINKABLE ? "link error: " :
                r == INST_TRAPPED ? "trap: " : "",
                msg);
  }
  s->current = in;
  pass(s);
}

/* `module_definition`: compile only, keep under its name. */
static void cmd_module_definition(wast_script *s, const cJSON *cmd) {
  char msg[512];
  wasm_module_t *m = load_module(s, cmd, msg, sizeof msg);
  if (!m) return fail(s, "%s", msg);
  if (!grow((void **)&s->defs, &s->cap_defs, s->ndefs, sizeof *s->defs)) {
    wasm_module_delete(m);
    return fail(s, "out of memory");
  }
  const char *name = json_str(cmd, "name");
  s->defs[s->ndefs++] = (wast_def){dup_str(name), m};
  pass(s);
}

/* `module_instance`: instantiate a named definition. */
static void cmd_module_instance(wast_script *s, const cJSON *cmd) {
  const char *module = json_str(cmd, "module");
  const wasm_module_t *m = NULL;
  for (size_t i = s->ndefs; i-- > 0;) {
    if (module && s->defs[i].name && strcmp(s->defs[i].name, module) == 0) {
      m = s->defs[i].module;
      break;
    }
  }
  if (!m && !module && s->ndefs) m = s->defs[s->ndefs - 1].module;
  s->current = NULL;
  if (!m) return fail(s, "no module definition '%s'", module ? module : "");
  char msg[512];
  wast_inst *in;
  inst_result r = instantiate(s, m, json_str(cmd, "instance"), &in, msg,
                              sizeof msg);
  if (r != INST_OK) return fail(s, "instantiation failed: %s", msg);
  s->current = in;
  pass(s);
}

static void cmd_register(wast_script *s, const cJSON *cmd) {
  const char *as = json_str(cmd, "as");
  const char *name = json_str(cmd, "name");
  wast_inst *in = find_inst(s, name);
  if (!as) return fail(s, "register without 'as'");
  if (!in) return fail(s, "no module '%s' to register", name ? name : "");
  if (!grow((void **)&s->regs, &s->cap_regs, s->nregs, sizeof *s->regs))
    return fail(s, "out of memory");
  char *copy = dup_str(as);
  if (!copy) return fail(s, "out of memory");
  s->regs[s->nregs++] = (wast_reg){copy, in};
  pass(s);
}

/* assert_invalid / assert_malformed: the module must be rejected, by the
 * text parser (a .wast script's text module: malformed), the decoder
 * (malformed) or validation (invalid); the category is informational. */
static void cmd_assert_rejected(wast_script *s, const cJSON *cmd,
                                kiln_diag_kind_t want) {
  char msg[512];
  uint8_t *data = NULL;
  size_t size = 0;
  mod_bytes mb = read_module(s, cmd, &data, &size, msg, sizeof msg);
  if (mb == MOD_ERROR) return fail(s, "%s", msg);
  if (mb == MOD_TEXT_REJECTED) {
    /* the parser's rejection: malformed text */
    if (want != KILN_DIAG_MALFORMED) {
      s->category_differs++;
      if (s->verbose)
        printf("  %s:%ld: %s: note: rejected in the other category: "
               "malformed: %s\n", s->path, s->line, s->ctype, msg);
    }
    return pass(s);
  }
  kiln_diagnostic_t diag;
  bool valid = kiln_module_validate_ex(s->engine, data, size, &diag);
  free(data);
  const char *text = json_str(cmd, "text");
  if (valid)
    return fail(s, "module was accepted, expected \"%s\"", text ? text : "");
  if (diag.kind != want) {
    s->category_differs++;
    if (s->verbose) {
      char line[512];
      kiln_diagnostic_format(&diag, line, sizeof line);
      printf("  %s:%ld: %s: note: rejected in the other category: %s\n",
             s->path, s->line, s->ctype, line);
    }
  }
  pass(s);
}

/* assert_unlinkable / assert_uninstantiable, and assert_trap with a
 * module. */
static void cmd_assert_instantiation(wast_script *s, const cJSON *cmd,
                                     inst_result want) {
  char msg[512];
  wasm_module_t *m = load_module(s, cmd, msg, sizeof msg);
  if (!m) return fail(s, "%s", msg);
  wast_inst *in;
  inst_result r = instantiate(s, m, NULL, &in, msg, sizeof msg);
  wasm_module_delete(m);
  const char *text = json_str(cmd, "text");
  if (r == want) return pass(s);
  static const char *const names[] = {"succeeded", "failed to link",
                                      "trapped", "failed"};
  fail(s, "instantiation %s%s%s, expected \"%s\"", names[r],
       msg[0] ? ": " : "", msg, text ? text : "");
}

/* ------------------------------------------------------------------------
 * Actions
 * ---------------------------------------------------------------------- */

typedef enum act_result {
  ACT_OK,
  ACT_TRAP,
  ACT_ERROR, /* the action could not run: msg says why */
} act_result;

typedef struct act_out {
  wasm_val_t *vals; /* malloc'd; nvals of them */
  ref_hier *hier;   /* malloc'd; the hierarchy of each (H_NONE: numeric) */
  size_t nvals;
  char msg[512]; /* trap message or error */
  bool exhausted; /* the trap was call stack exhaustion */
} act_out;

static void act_out_free(act_out *o) {
  for (size_t i = 0; i < o->nvals; i++)
    if (wasm_valkind_is_ref(o->vals[i].kind) && o->vals[i].of.ref)
      wasm_ref_delete(o->vals[i].of.ref);
  free(o->vals);
  free(o->hier);
  o->vals = NULL;
  o->hier = NULL;
  o->nvals = 0;
}

static act_result run_invoke(wast_script *s, wasm_extern_t *ext,
                             const cJSON *action, act_out *o) {
  wasm_func_t *f = wasm_extern_as_func(ext);
  if (!f) {
    snprintf(o->msg, sizeof o->msg, "export is not a function");
    return ACT_ERROR;
  }
  (void)s;
  const cJSON *args = json_array(action, "args");
  size_t nargs = (size_t)cJSON_GetArraySize(args);
  wasm_functype_t *ft = wasm_func_type(f);
  if (!ft) {
    snprintf(o->msg, sizeof o->msg, "out of memory");
    return ACT_ERROR;
  }
  const wasm_valtype_vec_t *params = wasm_functype_params(ft);
  const wasm_valtype_vec_t *results = wasm_functype_results(ft);
  act_result r = ACT_ERROR;
  wasm_val_t *argv = calloc(nargs ? nargs : 1, sizeof *argv);
  size_t nres = results->size;
  o->vals = calloc(nres ? nres : 1, sizeof *o->vals);
  o->hier = calloc(nres ? nres : 1, sizeof *o->hier);
  if (!argv || !o->vals || !o->hier) {
    snprintf(o->msg, sizeof o->msg, "out of memory");
    goto done;
  }
  if (params->size != nargs) {
    snprintf(o->msg, sizeof o->msg, "function takes %zu arguments, script "
             "gives %zu", params->size, nargs);
    goto done;
  }
  size_t i = 0;
  const cJSON *a;
  cJSON_ArrayForEach(a, args) {
    if (!parse_arg(s, a, &argv[i], o->msg, sizeof o->msg)) goto done;
    wasm_valkind_t want = wasm_valtype_kind(params->data[i]);
    bool fits = wasm_valkind_is_ref(argv[i].kind)
                    ? param_accepts(params->data[i],
                                    json_ref_hier(json_str(a, "type")))
                    : argv[i].kind == want;
    if (!fits) {
      snprintf(o->msg, sizeof o->msg, "argument %zu is %s, function takes %s",
               i, kind_name(argv[i].kind), kind_name(want));
      goto done;
    }
    i++;
  }
  for (size_t k = 0; k < nres; k++) {
    o->vals[k].kind = WASM_I32; /* safe to free if the call traps */
    o->vals[k].of.i64 = 0;
  }
  wasm_val_vec_t argvec = {nargs, argv};
  wasm_val_vec_t resvec = {nres, o->vals};
  wasm_trap_t *trap = wasm_func_call(f, &argvec, &resvec);
  if (trap) {
    trap_text(trap, o->msg, sizeof o->msg);
    o->exhausted = is_exhaustion(trap);
    wasm_trap_delete(trap);
    for (size_t k = 0; k < nres; k++) {
      o->vals[k].kind = WASM_I32; /* whatever the callee left is not ours */
      o->vals[k].of.ref = NULL;
    }
    o->nvals = nres;
    r = ACT_TRAP;
    goto done;
  }
  for (size_t k = 0; k < nres; k++)
    o->hier[k] = val_hier(results->data[k], o->vals[k].kind);
  o->nvals = nres;
  r = ACT_OK;
done:
  free(argv);
  wasm_functype_delete(ft);
  return r;
}

/* Runs an action (invoke or get). */
static act_result run_action(wast_script *s, const cJSON *action, act_out *o) {
  memset(o, 0, sizeof *o);
  const char *type = json_str(action, "type");
  const char *module = json_str(action, "module");
  const char *field = json_str(action, "field");
  if (!type || !field) {
    snprintf(o->msg, sizeof o->msg, "malformed action");
    return ACT_ERROR;
  }
  wast_inst *in = find_inst(s, module);
  if (!in) {
    if (module)
      snprintf(o->msg, sizeof o->msg, "no module %s", module);
    else
      snprintf(o->msg, sizeof o->msg, "no current module");
    return ACT_ERROR;
  }
  wasm_extern_t *ext = find_export_json(in, field);
  if (!ext) {
    snprintf(o->msg, sizeof o->msg, "no export \"%s\"", field);
    return ACT_ERROR;
  }
  if (strcmp(type, "invoke") == 0) return run_invoke(s, ext, action, o);
  if (strcmp(type, "get") == 0) {
    wasm_global_t *g = wasm_extern_as_global(ext);
    if (!g) {
      snprintf(o->msg, sizeof o->msg, "export \"%s\" is not a global", field);
      return ACT_ERROR;
    }
    o->vals = calloc(1, sizeof *o->vals);
    o->hier = calloc(1, sizeof *o->hier);
    wasm_globaltype_t *gt = wasm_global_type(g);
    if (!o->vals || !o->hier || !gt) {
      if (gt) wasm_globaltype_delete(gt);
      snprintf(o->msg, sizeof o->msg, "out of memory");
      return ACT_ERROR;
    }
    wasm_global_get(g, &o->vals[0]);
    o->hier[0] = val_hier(wasm_globaltype_content(gt), o->vals[0].kind);
    wasm_globaltype_delete(gt);
    o->nvals = 1;
    return ACT_OK;
  }
  snprintf(o->msg, sizeof o->msg, "unknown action type '%s'", type);
  return ACT_ERROR;
}

static const char *action_skip_reason(const cJSON *cmd) {
  const cJSON *action = json_object(cmd, "action");
  const char *r = values_skip_reason(json_array(action, "args"));
  if (r) return r;
  const cJSON *a;
  cJSON_ArrayForEach(a, json_array(action, "args")) {
    const char *type = json_str(a, "type");
    const char *value = json_str(a, "value");
    if (type && strcmp(type, "funcref") == 0 &&
        !(value && strcmp(value, "null") == 0))
      return SKIP_FUNCREF_ARG;
  }
  return values_skip_reason(json_array(cmd, "expected"));
}

/* How an action command judges its action's outcome, once the action has
 * run (r is ACT_OK or ACT_TRAP); `field` is the export it names ("" if
 * none) and `flag` the command's variant. */
typedef void action_judge(wast_script *s, const cJSON *cmd, const char *field,
                          act_result r, const act_out *o, bool flag);

/* The commands that run an action: skipped if a value cannot be run,
 * failed if the action cannot be run at all, else judged. */
static void cmd_action(wast_script *s, const cJSON *cmd, action_judge *judge,
                       bool flag) {
  const char *why = action_skip_reason(cmd);
  if (why) return skip(s, why);
  const cJSON *action = json_object(cmd, "action");
  act_out o;
  act_result r = run_action(s, action, &o);
  const char *field = json_str(action, "field");
  if (!field) field = "";
  if (r == ACT_ERROR)
    fail(s, "\"%s\": %s", field, o.msg);
  else
    judge(s, cmd, field, r, &o, flag);
  act_out_free(&o);
}

/* assert_return, and (check_results false) plain actions, which only need
 * to complete. */
static void judge_return(wast_script *s, const cJSON *cmd, const char *field,
                         act_result r, const act_out *o, bool check_results) {
  if (r == ACT_TRAP) return fail(s, "\"%s\": trapped: %s", field, o->msg);
  if (!check_results) return pass(s);
  const cJSON *expected = json_array(cmd, "expected");
  size_t n = (size_t)cJSON_GetArraySize(expected);
  if (n != o->nvals)
    return fail(s, "\"%s\": %zu results, expected %zu", field, o->nvals, n);
  size_t i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, expected) {
    if (!match_expected(e, &o->vals[i], o->hier[i])) {
      char got[128], want[256];
      format_val(&o->vals[i], got, sizeof got);
      format_expected(e, want, sizeof want);
      return fail(s, "\"%s\": result %zu is %s, expected %s", field, i, got,
                  want);
    }
    i++;
  }
  pass(s);
}

/* assert_trap, and (exhaustion) assert_exhaustion, which wants the trap to
 * be call stack exhaustion. */
static void judge_trap(wast_script *s, const cJSON *cmd, const char *field,
                       act_result r, const act_out *o, bool exhaustion) {
  const char *text = json_str(cmd, "text");
  if (!text) text = "";
  if (r == ACT_OK) {
    char got[128] = "no results";
    if (o->nvals) format_val(&o->vals[0], got, sizeof got);
    return fail(s, "\"%s\": returned (%s), expected trap \"%s\"", field, got,
                text);
  }
  if (exhaustion && !o->exhausted)
    return fail(s, "\"%s\": trapped \"%s\", expected call stack exhaustion",
                field, o->msg);
  if (strncmp(o->msg, text, strlen(o->msg)) != 0 &&
      strncmp(text, o->msg, strlen(text)) != 0) {
    s->trap_text_differs++;
    if (s->verbose)
      printf("  %s:%ld: %s: note: trap message \"%s\", script expects "
             "\"%s\"\n", s->path, s->line, s->ctype, o->msg, text);
  }
  pass(s);
}

static void cmd_assert_trap(wast_script *s, const cJSON *cmd,
                            bool exhaustion) {
  if (!json_object(cmd, "action")) {
    /* assert_trap on a module: instantiation traps */
    return cmd_assert_instantiation(s, cmd, INST_TRAPPED);
  }
  cmd_action(s, cmd, judge_trap, exhaustion);
}

/* ------------------------------------------------------------------------
 * Scripts
 * ---------------------------------------------------------------------- */

static void run_command(wast_script *s, const cJSON *cmd) {
  const char *type = json_str(cmd, "type");
  s->ctype = type ? type : "?";
  s->line = json_int(cmd, "line", 0);
  if (!type) return skip(s, SKIP_UNKNOWN_CMD);
  if (strcmp(type, "module") == 0) return cmd_module(s, cmd);
  if (strcmp(type, "module_definition") == 0)
    return cmd_module_definition(s, cmd);
  if (strcmp(type, "module_instance") == 0) return cmd_module_instance(s, cmd);
  if (strcmp(type, "register") == 0) return cmd_register(s, cmd);
  if (strcmp(type, "assert_return") == 0)
    return cmd_action(s, cmd, judge_return, true);
  if (strcmp(type, "action") == 0)
    return cmd_action(s, cmd, judge_return, false);
  if (strcmp(type, "assert_trap") == 0) return cmd_assert_trap(s, cmd, false);
  if (strcmp(type, "assert_exhaustion") == 0)
    return cmd_assert_trap(s, cmd, true);
  if (strcmp(type, "assert_invalid") == 0)
    return cmd_assert_rejected(s, cmd, KILN_DIAG_INVALID);
  if (strcmp(type, "assert_malformed") == 0)
    return cmd_assert_rejected(s, cmd, KILN_DIAG_MALFORMED);
  if (strcmp(type, "assert_unlinkable") == 0)
    return cmd_assert_instantiation(s, cmd, INST_UNLINKABLE);
  if (strcmp(type, "assert_uninstantiable") == 0)
    return cmd_assert_instantiation(s, cmd, INST_TRAPPED);
  if (strcmp(type, "assert_exception") == 0) return skip(s, SKIP_EH);
  if (strcmp(type, "skip") == 0) return skip(s, SKIP_CONVERTER);
  skip(s, SKIP_UNKNOWN_CMD);
}

static void script_free(wast_script *s) {
  for (size_t i = 0; i < s->ninsts; i++) inst_free(s->insts[i]);
  free(s->insts);
  for (size_t i = 0; i < s->ndefs; i++) {
    wasm_module_delete(s->defs[i].module);
    free(s->defs[i].name);
  }
  free(s->defs);
  for (size_t i = 0; i < s->nregs; i++) free(s->regs[i].as);
  free(s->regs);
  for (size_t i = 0; i < s->nhostrefs; i++) wasm_ref_delete(s->hostrefs[i].ref);
  free(s->hostrefs);
  if (s->store) wasm_store_delete(s->store);
  free(s->dir);
}

static int cmp_skip(const void *a, const void *b) {
  const skip_count *x = a, *y = b;
  return (x->count < y->count) - (x->count > y->count);
}

typedef struct totals {
  unsigned long passed, failed, skipped;
  unsigned long serialized; /* --serialize: modules run from artifacts */
  bool error; /* a file could not be run at all */
} totals;

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads a script: a wast2json command list (FILE.json) or a WAST script
 * (any other name), translated into the same commands
 * (cli/wast_script.h).  NULL, with a message printed, if the file cannot
 * be run at all.  A .wast script's syntax error is left in text->error:
 * the commands before it still run. */
static cJSON *read_script(const char *path, wast_text_script *text,
                          bool *is_text) {
  uint8_t *data = NULL;
  size_t size = 0;
  int err = 0;
  *is_text = !has_suffix(path, ".json");
  if (!cli_read_file(path, &data, &size, &err)) {
    fprintf(stderr, "error: %s: cannot read: %s\n", path, strerror(err));
    return NULL;
  }
  if (*is_text) {
    bool ok = wast_text_read((const char *)data, size, text);
    free(data);
    if (!ok) {
      fprintf(stderr, "error: %s: out of memory\n", path);
      wast_text_free(text);
      return NULL;
    }
    return text->root;
  }
  size_t at = 0;
  cJSON *root = json_parse((const char *)data, size, &at);
  free(data);
  if (!json_array(root, "commands")) {
    if (root)
      fprintf(stderr, "error: %s: not a wast2json script (no \"commands\" "
                      "array)\n", path);
    else
      fprintf(stderr, "error: %s: malformed JSON at offset %zu\n", path, at);
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* Runs one script and prints its report. */
static void run_script(wasm_engine_t *engine, const char *path, bool verbose, bool serialize,
                       totals *t) {
  wast_text_script text = {0};
  bool is_text = false;
  cJSON *root = read_script(path, &text, &is_text);
  if (!root) {
    t->error = true;
    return;
  }
  const cJSON *commands = json_array(root, "commands");

  wast_script s = {0};
  s.path = path;
  s.verbose = verbose;
  s.serialize = serialize;
  s.serialized = &t->serialized;
  s.engine = engine;
  if (is_text) {
    /* an empty table is still a table: never look for files */
    static const wast_text_module none;
    s.mods = text.mods ? text.mods : &none;
    s.nmods = text.nmods;
  }
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
  s.dir = malloc(dirlen + 1);
  s.store = wasm_store_new(engine);
  wast_inst *spectest = s.store ? spectest_new(s.store) : NULL;
  if (!s.dir || !s.store || !spectest || !add_inst(&s, spectest)) {
    fprintf(stderr, "error: %s: cannot create a store (out of memory)\n",
            path);
    if (spectest && (s.ninsts == 0 || s.insts[0] != spectest))
      inst_free(spectest);
    script_free(&s);
    if (is_text)
      wast_text_free(&text);
    else
      cJSON_Delete(root);
    t->error = true;
    return;
  }
  memcpy(s.dir, path, dirlen);
  s.dir[dirlen] = 0;
  s.regs = malloc(8 * sizeof *s.regs);
  char *spectest_name = dup_str("spectest");
  if (s.regs && spectest_name) {
    s.cap_regs = 8;
    s.regs[s.nregs++] = (wast_reg){spectest_name, spectest};
  } else {
    free(spectest_name);
  }

  /* Failure lines are printed as they happen, so the header comes first
   * with the file's name; the counts follow at the end. */
  printf("%s:\n", path);
  const cJSON *cmd;
  cJSON_ArrayForEach(cmd, commands) run_command(&s, cmd);
  if (is_text && text.error) {
    /* the script's own syntax error: reported, and the file fails */
    fprintf(stderr, "error: %s:%u:%u: %s\n", path, text.err_line,
            text.err_col, text.err_msg);
    s.line = text.err_line;
    s.ctype = "script";
    fail(&s, "syntax error at column %u: %s (the rest of the script is not "
         "run)", text.err_col,
         text.err_msg);
    t->error = true;
  }
  if (!verbose && s.failed > FAILURE_LINES)
    printf("  ... and %u more failures (--verbose shows all)\n",
           s.failed - FAILURE_LINES);
  qsort(s.skips, s.nskips, sizeof s.skips[0], cmp_skip);
  for (size_t i = 0; i < s.nskips; i++)
    printf("  skipped %u: %s\n", s.skips[i].count, s.skips[i].reason);
  if (s.category_differs)
    printf("  note: %u rejections in the other category (malformed vs "
           "invalid)\n", s.category_differs);
  if (s.trap_text_differs)
    printf("  note: %u traps with another message than the script's\n",
           s.trap_text_differs);
  printf("%s: %u passed, %u failed, %u skipped\n", path, s.passed, s.failed,
         s.skipped);
  t->passed += s.passed;
  t->failed += s.failed;
  t->skipped += s.skipped;
  script_free(&s);
  if (is_text)
    wast_text_free(&text);
  else
    cJSON_Delete(root);
}

void cli_wast_usage(void) {
  printf("usage: kiln wast [--verbose] [--pool SLOTS] [--gc-stress] [--serialize] [--]\n"
         "                 FILE...\n"
         "\n"
         "Runs WebAssembly spec test scripts: WAST scripts (FILE.wast, any\n"
         "name not ending in .json) or wast2json command lists (FILE.json,\n"
         "tests/spec/testsuite/json/NAME/NAME.json); both kinds may be mixed.\n"
         "Prints, per file, its failures (at most %d without --verbose), its\n"
         "skipped commands by reason and \"FILE: N passed, N failed, N\n"
         "skipped\"; then the totals: \"N passed, N failed, N skipped\".\n"
         "A syntax error in a WAST script outside its modules prints\n"
         "\"error: FILE:LINE:COL: message\", counts as one failure and ends\n"
         "that script; the other files still run.\n"
         "\n"
         "  --verbose  print every failure, every skipped command and\n"
         "             informational notes (trap messages, rejection\n"
         "             categories that differ from the script's)\n"
         "  --pool N   instantiate through a pooling allocator of N instance\n"
         "             slots (4 memories and 4 tables each; docs/api.md) and\n"
         "             print its statistics: \"pool: N slots, warm N, cold N,\n"
         "             fallbacks N\"\n"
         "  --gc-stress  collect at every GC allocation of Wasm code (frames\n"
         "             scanned, cycles traced: docs/gc.md), to catch a\n"
         "             reference the collector misses\n"
         "  --serialize  run every module from its compiled form:\n"
         "             wasm_module_serialize, then wasm_module_deserialize\n"
         "             (docs/cache.md), and print \"serialize: N modules run\n"
         "             from their artifacts\"\n"
         "\n"
         "Exit status: 0 no command failed, 1 a command failed or a file\n"
         "could not be read or parsed, 2 usage error.\n",
         FAILURE_LINES);
}

/* --pool SLOTS: a positive count. */
static bool parse_slots(const char *s, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v == 0 || v > 100000 || s[0] == '-')
    return false;
  *out = (uint32_t)v;
  return true;
}

int cli_wast(int argc, char **argv) {
  bool verbose = false, gc_stress = false, serialize = false;
  uint32_t pool_slots = 0;
  int first = 1;
  for (; first < argc; first++) {
    const char *arg = argv[first];
    if (arg[0] != '-' || arg[1] == 0) break;
    if (strcmp(arg, "--") == 0) {
      first++;
      break;
    }
    if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
      verbose = true;
    } else if (strcmp(arg, "--gc-stress") == 0) {
      gc_stress = true;
    } else if (strcmp(arg, "--serialize") == 0) {
      serialize = true;
    } else if (strcmp(arg, "--pool") == 0) {
      if (first + 1 >= argc || !parse_slots(argv[first + 1], &pool_slots))
        return cli_usage_error("wast: --pool needs a number of slots (1..100000)");
      first++;
    } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      cli_wast_usage();
      return CLI_EXIT_OK;
    } else {
      return cli_usage_error("wast: unknown option '%s'", arg);
    }
  }
  if (first >= argc) return cli_usage_error("wast: no input files");

  wasm_config_t *config = wasm_config_new();
  if (config && pool_slots) {
    /* room for the multi-memory scripts' modules */
    kiln_pooling_config_t pc = {.instance_slots = pool_slots, .memories_per_instance = 4,
                                .tables_per_instance = 4};
    kiln_config_set_pooling(config, &pc);
  }
  if (config)
    kiln_config_set_gc_stress(config, gc_stress);
  wasm_engine_t *engine = config ? wasm_engine_new_with_config(config) : NULL;
  if (!engine) {
    fprintf(stderr, "kiln: cannot create an engine: %s\n",
            pool_slots ? "out of memory or address space for the pool" : "out of memory");
    return CLI_EXIT_FAILURE;
  }
  totals t = {0};
  for (int i = first; i < argc; i++) {
    run_script(engine, argv[i], verbose, serialize, &t);
    fflush(stdout);
  }
  if (pool_slots) {
    kiln_pool_stats_t ps;
    kiln_engine_pool_stats(engine, &ps);
    printf("pool: %llu slots, warm %llu, cold %llu, fallbacks %llu\n",
           (unsigned long long)ps.slots, (unsigned long long)ps.warm,
           (unsigned long long)ps.cold, (unsigned long long)ps.fallbacks);
  }
  if (serialize)
    printf("serialize: %lu modules run from their artifacts\n", t.serialized);
  printf("%lu passed, %lu failed, %lu skipped\n", t.passed, t.failed,
         t.skipped);
  wasm_engine_delete(engine);
  return t.failed || t.error ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
