/* cli/run.c — `kiln run [OPTIONS] [--] FILE [ARGS...]`.
 *
 * Runs one module through the public API: reads FILE (a binary, a text
 * module FILE.wat converted with kiln_wat2wasm, or a precompiled module
 * from `kiln compile`, recognized by its magic bytes), makes it with
 * kiln_module_new_ex through the module cache (on unless --no-cache;
 * docs/cache.md) or kiln_module_deserialize_ex, compiles it (kiln_module_compile, so that a missing
 * compiler says so), instantiates it in a store of its own — which runs
 * its start function — and then calls one exported function: `_start`
 * when the module exports one, or the function --invoke names, with ARGS
 * parsed by its parameter types; --invoke prints the results, one a line.
 *
 * kiln run provides no imports (no host functions, no WASI): a module that
 * imports anything is refused before it is compiled, naming the first
 * import.  Everything that can be checked without running the module —
 * imports, the export to call, its type, the arguments — is checked before
 * instantiation, so an error never comes after the start function ran.
 *
 * Errors print one line to stderr, "error: FILE: <reason>" (a trap:
 * "error: FILE: trap: <message>"), exit status 1; a wrong command line,
 * the arguments included, is a usage error (cli_usage_error, status 2).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "wasm.h"

void cli_run_usage(void) {
  printf("usage: kiln run [OPTIONS] [--] FILE [ARGS...]\n"
         "\n"
         "Instantiates a WebAssembly module (a binary, a text module\n"
         "FILE.wat, or a precompiled module from kiln compile) and runs it:\n"
         "instantiation runs its start function, then the exported function\n"
         "_start is called if there is one (its type must be [] -> []).\n"
         "kiln run provides no imports: a module that imports anything is\n"
         "refused.  Compiled modules are kept in the module cache (see\n"
         "'kiln help cache'): the next run of the same module skips the\n"
         "compiler.\n"
         "\n"
         "  --invoke NAME    call the exported function NAME instead of\n"
         "                   _start, with ARGS as its arguments (one per\n"
         "                   parameter), and print its results, one per line\n"
         "  --no-cache       neither read nor write the module cache\n"
         "  --cache-dir DIR  the cache directory (default: kiln cache dir)\n"
         "  -v, --verbose    say on stderr what the cache did\n"
         "\n"
         "Options come before FILE; what follows FILE is ARGS.  An argument\n"
         "is read by its parameter's type:\n"
         "  i32, i64   decimal, signed or unsigned, or hexadecimal (0x...),\n"
         "             with an optional sign: -2147483648..4294967295 for i32\n"
         "  f32, f64   as strtod reads it (1.5, -2e-3, 0x1.8p3, inf, nan),\n"
         "             or nan:0xPAYLOAD\n"
         "  funcref, externref   null\n"
         "Results: integers in signed decimal, floats with the digits to read\n"
         "them back (inf, -inf, nan, nan:0xPAYLOAD when not canonical),\n"
         "references as null, ref.func, ref.extern, ref.struct, ref.array,\n"
         "ref.i31, ref.host or ref.  v128 parameters and results cannot be\n"
         "passed or printed.\n"
         "\n"
         "Errors print one line to stderr: 'error: FILE: <reason>', or\n"
         "'error: FILE: trap: <message>' when the module traps.\n"
         "\n"
         "Exit status: 0 success, 1 the file could not be read, the module\n"
         "was rejected, imports something, could not be compiled or\n"
         "instantiated, has no such export, or trapped, 2 usage error\n"
         "(including arguments that do not fit the function).\n");
}

/* ------------------------------------------------------------------------
 * The command line
 * ---------------------------------------------------------------------- */

/* What the command line asks for.  Options are parsed in parse_options;
 * one more option is one more field here and one more branch there,
 * option_value giving it its argument. */
typedef struct run_options {
  const char *invoke; /* --invoke NAME; NULL: call _start if exported */
  bool no_cache;      /* --no-cache */
  const char *cache_dir; /* --cache-dir DIR; NULL: the default */
  bool verbose;       /* -v, --verbose: say what the cache did */
  const char *path;   /* FILE */
  char **args;        /* ARGS: everything after FILE */
  int nargs;
} run_options;

/* The argument of the option at argv[*i], advancing *i past it; NULL when
 * the option is the last word. */
static const char *option_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) return NULL;
  return argv[++*i];
}

/* Fills *o from argv.  Returns true to go on with the run; false when the
 * command is done, with its exit status in *status (--help, or a usage
 * error already printed). */
static bool parse_options(int argc, char **argv, run_options *o,
                          int *status) {
  memset(o, 0, sizeof *o);
  int i = 1;
  for (; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] == 0) break; /* "-" is a file name */
    if (strcmp(arg, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(arg, "--invoke") == 0) {
      o->invoke = option_value(argc, argv, &i);
      if (!o->invoke) {
        *status = cli_usage_error("run: --invoke needs a function name");
        return false;
      }
    } else if (strcmp(arg, "--no-cache") == 0) {
      o->no_cache = true;
    } else if (strcmp(arg, "--cache-dir") == 0) {
      o->cache_dir = option_value(argc, argv, &i);
      if (!o->cache_dir) {
        *status = cli_usage_error("run: --cache-dir needs a directory");
        return false;
      }
    } else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
      o->verbose = true;
    } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      cli_run_usage();
      *status = CLI_EXIT_OK;
      return false;
    } else {
      *status = cli_usage_error("run: unknown option '%s'", arg);
      return false;
    }
  }
  if (i >= argc) {
    *status = cli_usage_error("run: no input file");
    return false;
  }
  o->path = argv[i];
  o->args = argv + i + 1;
  o->nargs = argc - i - 1;
  if (!o->invoke && o->nargs > 0) {
    *status = cli_usage_error("run: arguments given but no --invoke");
    return false;
  }
  return true;
}

/* ------------------------------------------------------------------------
 * Names and types as text
 * ---------------------------------------------------------------------- */

/* Writes name (n bytes, not NUL-terminated, any bytes) into buf as a
 * quoted string, the text format's way: `"`, `\` and bytes outside
 * printable ASCII as \hh.  A name too long for buf ends in "...". */
static void quote_name(const char *name, size_t n, char *buf, size_t size) {
  size_t o = 0;
  buf[o++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (o + 8 >= size) { /* room for \hh, then ..." and the NUL */
      memcpy(buf + o, "...", 3);
      o += 3;
      break;
    }
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f)
      o += (size_t)snprintf(buf + o, size - o, "\\%02x", c);
    else
      buf[o++] = (char)c;
  }
  buf[o++] = '"';
  buf[o] = 0;
}

static const char *extern_kind_name(wasm_externkind_t kind) {
  switch (kind) {
  case WASM_EXTERN_FUNC: return "func";
  case WASM_EXTERN_GLOBAL: return "global";
  case WASM_EXTERN_TABLE: return "table";
  case WASM_EXTERN_MEMORY: return "memory";
  case KILN_EXTERN_TAG: return "tag";
  default: return "unknown";
  }
}

/* Writes a list of value types as "[i32 i64]" into buf. */
static void format_types(const wasm_valtype_vec_t *types, char *buf,
                         size_t size) {
  size_t o = (size_t)snprintf(buf, size, "[");
  for (size_t i = 0; i < types->size && o < size; i++) {
    if (i) o += (size_t)snprintf(buf + o, size - o, " ");
    if (o < size) o += kiln_valtype_format(types->data[i], buf + o, size - o);
  }
  if (o < size) snprintf(buf + o, size - o, "]");
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

/* Reads, converts (a .wat file) and makes the module; NULL after printing
 * why not, as kiln validate prints it. */
static wasm_module_t *load_module(wasm_engine_t *engine, const char *path) {
  wasm_byte_vec_t bin;
  if (!cli_read_module(path, &bin)) return NULL;
  const uint8_t *data = (const uint8_t *)bin.data;
  kiln_diagnostic_t diag;
  wasm_module_t *module;
  if (cli_is_artifact(data, bin.size)) {
    /* a precompiled module (kiln compile): its own errors name what does
     * not match */
    module = kiln_module_deserialize_ex(engine, data, bin.size, &diag);
    if (!module) fprintf(stderr, "error: %s: %s\n", path, diag.message);
  } else {
    module = kiln_module_new_ex(engine, data, bin.size, &diag);
    if (!module) {
      char line[1024];
      kiln_diagnostic_format(&diag, line, sizeof line);
      fprintf(stderr, "error: %s: %s\n", path, line);
    }
  }
  wasm_byte_vec_delete(&bin);
  return module;
}

/* False, naming the first import, if the module has any. */
static bool check_no_imports(const char *path, const wasm_module_t *module) {
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  bool ok = imports.size == 0;
  if (!ok) {
    const wasm_importtype_t *imp = imports.data[0];
    const wasm_name_t *mod = wasm_importtype_module(imp);
    const wasm_name_t *name = wasm_importtype_name(imp);
    char qmod[256], qname[256];
    quote_name(mod->data, mod->size, qmod, sizeof qmod);
    quote_name(name->data, name->size, qname, sizeof qname);
    fprintf(stderr,
            "error: %s: unresolved import %s %s (%s): kiln run provides no "
            "imports\n",
            path, qmod, qname,
            extern_kind_name(wasm_externtype_kind(wasm_importtype_type(imp))));
  }
  wasm_importtype_vec_delete(&imports);
  return ok;
}

/* ------------------------------------------------------------------------
 * The function to call
 * ---------------------------------------------------------------------- */

/* An exported function, found in the module's exports before
 * instantiation; the instance's exports come in the same order. */
typedef struct run_target {
  size_t index;          /* in export order */
  wasm_functype_t *type; /* owned */
  char qname[256];       /* the export's name, quoted, for messages */
} run_target;

typedef enum find_result {
  FIND_OK,      /* *t is filled */
  FIND_MISSING, /* no export of that name */
  FIND_FAILED,  /* an export of that name that is not a function: printed */
} find_result;

static find_result find_function(const char *path,
                                 const wasm_module_t *module,
                                 const char *name, run_target *t) {
  size_t n = strlen(name);
  quote_name(name, n, t->qname, sizeof t->qname);
  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  find_result r = FIND_MISSING;
  for (size_t i = 0; i < exports.size; i++) {
    const wasm_name_t *en = wasm_exporttype_name(exports.data[i]);
    if (en->size != n || memcmp(en->data, name, n) != 0) continue;
    const wasm_externtype_t *et = wasm_exporttype_type(exports.data[i]);
    const wasm_functype_t *ft = wasm_externtype_as_functype_const(et);
    if (!ft) {
      fprintf(stderr, "error: %s: export %s is a %s, not a function\n", path,
              t->qname, extern_kind_name(wasm_externtype_kind(et)));
      r = FIND_FAILED;
      break;
    }
    t->index = i;
    t->type = wasm_functype_copy(ft);
    r = t->type ? FIND_OK : FIND_FAILED;
    if (!t->type) fprintf(stderr, "error: %s: out of memory\n", path);
    break;
  }
  wasm_exporttype_vec_delete(&exports);
  return r;
}

/* False (printed) if a parameter or result of the target is of a type
 * kiln run cannot pass or print: v128 (wasm_val_t has no v128), and
 * references other than funcref and externref as parameters. */
static bool check_signature(const char *path, const run_target *t) {
  const wasm_valtype_vec_t *params = wasm_functype_params(t->type);
  const wasm_valtype_vec_t *results = wasm_functype_results(t->type);
  char type[128];
  for (size_t i = 0; i < params->size; i++) {
    wasm_valkind_t k = wasm_valtype_kind(params->data[i]);
    if (k == KILN_V128 || k == KILN_REF) {
      kiln_valtype_format(params->data[i], type, sizeof type);
      fprintf(stderr,
              "error: %s: %s: parameter %zu has type %s: kiln run cannot "
              "pass it\n",
              path, t->qname, i + 1, type);
      return false;
    }
  }
  for (size_t i = 0; i < results->size; i++) {
    if (wasm_valtype_kind(results->data[i]) == KILN_V128) {
      fprintf(stderr,
              "error: %s: %s: result %zu has type v128: kiln run cannot "
              "print it\n",
              path, t->qname, i + 1);
      return false;
    }
  }
  return true;
}

/* ------------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------- */

/* An integer of `bits` bits: an optional sign, then decimal digits or 0x
 * and hexadecimal digits; from -2^(bits-1) to 2^bits - 1, so both the
 * signed and the unsigned reading fit.  The value wraps to `bits`. */
static bool parse_int(const char *s, unsigned bits, uint64_t *out) {
  bool neg = false;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (!*s) return false;
  uint64_t max = neg ? UINT64_C(1) << (bits - 1)
                     : bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  uint64_t v = 0;
  for (; *s; s++) {
    unsigned d;
    if (*s >= '0' && *s <= '9')
      d = (unsigned)(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f')
      d = (unsigned)(*s - 'a') + 10;
    else if (base == 16 && *s >= 'A' && *s <= 'F')
      d = (unsigned)(*s - 'A') + 10;
    else
      return false;
    if (v > (max - d) / base) return false;
    v = v * base + d;
  }
  *out = neg ? 0 - v : v;
  return true;
}

/* [+-]nan:0xPAYLOAD: a NaN with that payload, nonzero and fitting the
 * `mant_bits` bits of the significand, as the sign bit and significand. */
static bool parse_nan_payload(const char *s, unsigned mant_bits, bool *neg,
                              uint64_t *payload) {
  *neg = false;
  if (*s == '-' || *s == '+') *neg = *s++ == '-';
  if (strncmp(s, "nan:0x", 6) != 0 && strncmp(s, "nan:0X", 6) != 0)
    return false;
  uint64_t p;
  if (!parse_int(s + 4, 64, &p)) return false; /* 0x and the digits */
  if (p == 0 || p >> mant_bits) return false;
  *payload = p;
  return true;
}

/* A float as strtof / strtod read it, the whole text; one whose magnitude
 * is beyond the type's range (a finite literal rounding to infinity) is
 * refused. */
static bool parse_f32(const char *s, float *out) {
  bool neg;
  uint64_t p;
  if (parse_nan_payload(s, 23, &neg, &p)) {
    uint32_t bits = (neg ? UINT32_C(0x80000000) : 0) | UINT32_C(0x7f800000) |
                    (uint32_t)p;
    memcpy(out, &bits, sizeof bits);
    return true;
  }
  if (!*s || *s == ' ' || (*s >= '\t' && *s <= '\r')) return false;
  char *end;
  errno = 0;
  float v = strtof(s, &end);
  if (end == s || *end) return false;
  if (errno == ERANGE && isinf(v)) return false;
  *out = v;
  return true;
}

static bool parse_f64(const char *s, double *out) {
  bool neg;
  uint64_t p;
  if (parse_nan_payload(s, 52, &neg, &p)) {
    uint64_t bits = (neg ? UINT64_C(1) << 63 : 0) |
                    UINT64_C(0x7ff0000000000000) | p;
    memcpy(out, &bits, sizeof bits);
    return true;
  }
  if (!*s || *s == ' ' || (*s >= '\t' && *s <= '\r')) return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end) return false;
  if (errno == ERANGE && isinf(v)) return false;
  *out = v;
  return true;
}

/* Reads argument i (0-based) as a value of type t into *v; false (a usage
 * error printed) when the text is not one.  check_signature has excluded
 * the types that cannot be passed. */
static bool parse_arg(const char *text, size_t i, const wasm_valtype_t *t,
                      wasm_val_t *v) {
  wasm_valkind_t k = wasm_valtype_kind(t);
  uint64_t u;
  bool ok = false;
  v->kind = k;
  switch (k) {
  case WASM_I32:
    ok = parse_int(text, 32, &u);
    if (ok) v->of.i32 = (int32_t)(uint32_t)u;
    break;
  case WASM_I64:
    ok = parse_int(text, 64, &u);
    if (ok) v->of.i64 = (int64_t)u;
    break;
  case WASM_F32: ok = parse_f32(text, &v->of.f32); break;
  case WASM_F64: ok = parse_f64(text, &v->of.f64); break;
  case WASM_FUNCREF:
  case WASM_EXTERNREF:
    ok = strcmp(text, "null") == 0;
    v->of.ref = NULL;
    break;
  default: break;
  }
  if (ok) return true;
  char type[128];
  kiln_valtype_format(t, type, sizeof type);
  if (k == WASM_FUNCREF || k == WASM_EXTERNREF)
    cli_usage_error("run: argument %zu '%s': expected null (the only %s "
                    "kiln run can pass)", i + 1, text, type);
  else
    cli_usage_error("run: argument %zu '%s': not a valid %s", i + 1, text,
                    type);
  return false;
}

/* ------------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------- */

/* A NaN as nan or nan:0xPAYLOAD (not the canonical payload, the quiet bit
 * alone), with its sign. */
static void print_nan(bool neg, uint64_t payload, uint64_t canonical) {
  if (payload == canonical)
    printf("%snan\n", neg ? "-" : "");
  else
    printf("%snan:0x%" PRIx64 "\n", neg ? "-" : "", payload);
}

static void print_value(const wasm_val_t *v) {
  switch (v->kind) {
  case WASM_I32: printf("%" PRId32 "\n", v->of.i32); return;
  case WASM_I64: printf("%" PRId64 "\n", v->of.i64); return;
  case WASM_F32: {
    uint32_t bits;
    memcpy(&bits, &v->of.f32, sizeof bits);
    if (isnan(v->of.f32))
      print_nan(bits >> 31, bits & 0x7fffff, 0x400000);
    else if (isinf(v->of.f32))
      printf("%sinf\n", bits >> 31 ? "-" : "");
    else
      printf("%.9g\n", (double)v->of.f32);
    return;
  }
  case WASM_F64: {
    uint64_t bits;
    memcpy(&bits, &v->of.f64, sizeof bits);
    if (isnan(v->of.f64))
      print_nan(bits >> 63, bits & UINT64_C(0xfffffffffffff),
                UINT64_C(0x8000000000000));
    else if (isinf(v->of.f64))
      printf("%sinf\n", bits >> 63 ? "-" : "");
    else
      printf("%.17g\n", v->of.f64);
    return;
  }
  default: break;
  }
  const wasm_ref_t *r = v->of.ref;
  if (!r) {
    printf("null\n");
    return;
  }
  if (v->kind == WASM_FUNCREF) {
    printf("ref.func\n");
    return;
  }
  if (v->kind == WASM_EXTERNREF) {
    printf("ref.extern\n");
    return;
  }
  switch (kiln_ref_kind(r)) {
  case KILN_REFKIND_STRUCT: printf("ref.struct\n"); return;
  case KILN_REFKIND_ARRAY: printf("ref.array\n"); return;
  case KILN_REFKIND_I31: printf("ref.i31\n"); return;
  case KILN_REFKIND_HOST: printf("ref.host\n"); return;
  default: printf("ref\n"); return;
  }
}

/* ------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------- */

/* Prints why instantiation or a call failed: a trap the module caused as
 * "trap: <message>", a link or resource failure (the compiler, memory) as
 * the message alone. */
static void print_trap(const char *path, const wasm_trap_t *trap) {
  if (!trap) {
    fprintf(stderr, "error: %s: cannot instantiate: out of memory\n", path);
    return;
  }
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  int n = (int)msg.size;
  if (n && msg.data[n - 1] == 0) n--; /* the standard counts the NUL */
  kiln_trap_code_t code = kiln_trap_code(trap);
  const char *what = code == KILN_TRAP_LINK || code == KILN_TRAP_RESOURCE
                         ? "cannot instantiate"
                         : "trap";
  fprintf(stderr, "error: %s: %s: %.*s\n", path, what, n, msg.data);
  wasm_byte_vec_delete(&msg);
}

/* Calls the target in the instance with args, printing the results when
 * `print` is set. */
static int call_target(const char *path, const wasm_instance_t *instance,
                       const run_target *t, wasm_val_t *args, bool print) {
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t *f = t->index < exports.size
                             ? wasm_extern_as_func_const(exports.data[t->index])
                             : NULL;
  size_t nparams = wasm_functype_params(t->type)->size;
  size_t nresults = wasm_functype_results(t->type)->size;
  /* zeroed (i32 0): nothing to delete if the call traps */
  wasm_val_t *res = calloc(nresults ? nresults : 1, sizeof *res);
  int status = CLI_EXIT_FAILURE;
  if (!f || !res) {
    fprintf(stderr, "error: %s: %s\n", path,
            f ? "out of memory" : "the export is missing from the instance");
  } else {
    wasm_val_vec_t argvec = {nparams, args};
    wasm_val_vec_t results = {nresults, res};
    wasm_trap_t *trap = wasm_func_call(f, &argvec, &results);
    if (trap) {
      print_trap(path, trap);
      wasm_trap_delete(trap);
    } else {
      for (size_t i = 0; i < nresults; i++) {
        if (print) print_value(&res[i]);
        wasm_val_delete(&res[i]);
      }
      status = CLI_EXIT_OK;
    }
  }
  free(res);
  wasm_extern_vec_delete(&exports);
  return status;
}

/* Instantiates the module in a store of its own (running its start
 * function), then calls the target if there is one. */
static int instantiate_and_call(const char *path, wasm_engine_t *engine,
                                const wasm_module_t *module,
                                const run_target *t, wasm_val_t *args,
                                bool print) {
  wasm_store_t *store = wasm_store_new(engine);
  if (!store) {
    fprintf(stderr, "error: %s: cannot create a store: out of memory\n", path);
    return CLI_EXIT_FAILURE;
  }
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, &trap);
  int status = CLI_EXIT_OK;
  if (!instance) {
    print_trap(path, trap);
    wasm_trap_delete(trap);
    status = CLI_EXIT_FAILURE;
  } else if (t) {
    status = call_target(path, instance, t, args, print);
  }
  wasm_instance_delete(instance);
  wasm_store_delete(store);
  if (fflush(stdout) != 0 && status == CLI_EXIT_OK) {
    fprintf(stderr, "error: cannot write the results: %s\n", strerror(errno));
    status = CLI_EXIT_FAILURE;
  }
  return status;
}

/* Everything after the module was made: the target, its arguments, the
 * compilation, the run. */
static int run_module(const run_options *o, wasm_engine_t *engine,
                      wasm_module_t *module) {
  const char *path = o->path;
  if (!check_no_imports(path, module)) return CLI_EXIT_FAILURE;

  run_target target = {0};
  bool call = true;
  find_result found =
      find_function(path, module, o->invoke ? o->invoke : "_start", &target);
  if (found == FIND_FAILED) return CLI_EXIT_FAILURE;
  if (found == FIND_MISSING) {
    if (o->invoke) {
      fprintf(stderr, "error: %s: no exported function %s\n", path,
              target.qname);
      return CLI_EXIT_FAILURE;
    }
    call = false; /* no _start: instantiation is the whole run */
  }

  int status = CLI_EXIT_FAILURE;
  wasm_val_t *args = NULL;
  if (call) {
    const wasm_valtype_vec_t *params = wasm_functype_params(target.type);
    const wasm_valtype_vec_t *results = wasm_functype_results(target.type);
    if (!o->invoke && (params->size || results->size)) {
      char ps[256], rs[256];
      format_types(params, ps, sizeof ps);
      format_types(results, rs, sizeof rs);
      fprintf(stderr,
              "error: %s: _start has type %s -> %s, expected [] -> [] "
              "(use --invoke to call it with arguments)\n",
              path, ps, rs);
      goto out;
    }
    if (!check_signature(path, &target)) goto out;
    if ((size_t)o->nargs != params->size) {
      char ps[256];
      format_types(params, ps, sizeof ps);
      status = cli_usage_error("run: %s takes %zu argument%s %s, %d given",
                               target.qname, params->size,
                               params->size == 1 ? "" : "s", ps, o->nargs);
      goto out;
    }
    args = calloc(params->size ? params->size : 1, sizeof *args);
    if (!args) {
      fprintf(stderr, "error: %s: out of memory\n", path);
      goto out;
    }
    for (size_t i = 0; i < params->size; i++) {
      if (!parse_arg(o->args[i], i, params->data[i], &args[i])) {
        status = CLI_EXIT_USAGE;
        goto out;
      }
    }
  }

  kiln_diagnostic_t diag;
  if (!kiln_module_compile(module, &diag)) {
    /* the message says what failed ("cannot compile function N: ...",
     * "compiler not found: ...") */
    fprintf(stderr, "error: %s: %s\n", path, diag.message);
    goto out;
  }
  status = instantiate_and_call(path, engine, module, call ? &target : NULL,
                                args, o->invoke != NULL);
out:
  free(args); /* every reference argument is null: nothing to delete */
  wasm_functype_delete(target.type);
  return status;
}

int cli_run(int argc, char **argv) {
  run_options o;
  int status;
  if (!parse_options(argc, argv, &o, &status)) return status;

  wasm_engine_t *engine = cli_engine_new(!o.no_cache, o.cache_dir);
  if (!engine) {
    fprintf(stderr, "kiln: cannot create an engine: out of memory\n");
    return CLI_EXIT_FAILURE;
  }
  wasm_module_t *module = load_module(engine, o.path);
  status = module ? run_module(&o, engine, module) : CLI_EXIT_FAILURE;
  if (o.verbose) cli_cache_report(engine);
  wasm_module_delete(module);
  wasm_engine_delete(engine);
  return status;
}
