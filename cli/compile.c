/* cli/compile.c — `kiln compile FILE [-o OUT]`: compiles a module ahead of
 * time into a precompiled module (wasm_module_serialize's format, the
 * module cache's: docs/cache.md) that `kiln run OUT` and
 * wasm_module_deserialize load without decoding, validating or compiling.
 *
 * The artifact is tied to this build of Kiln, its LLVM, this CPU's feature
 * set and the default compile options; loading it anywhere else is refused
 * with an error naming the difference.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "wasm.h"

void cli_compile_usage(void) {
  printf("usage: kiln compile [--] FILE [-o OUT]\n"
         "\n"
         "Compiles a WebAssembly module (a binary, or a text module FILE.wat)\n"
         "to a precompiled module OUT (default: FILE with its .wasm or .wat\n"
         "extension replaced by .kiln), which 'kiln run OUT' runs without the\n"
         "compiler.  It only loads with this build of kiln, on a CPU with the\n"
         "same features.  OUT is written atomically.\n"
         "\n"
         "Exit status: 0 success, 1 the module was rejected or could not be\n"
         "compiled, or a file could not be read or written, 2 usage error.\n");
}

/* OUT by default: FILE without .wasm/.wat, plus .kiln. */
static void default_out(const char *in, char *out, size_t size) {
  size_t n = strlen(in);
  if (n > 5 && strcmp(in + n - 5, ".wasm") == 0) n -= 5;
  else if (n > 4 && strcmp(in + n - 4, ".wat") == 0) n -= 4;
  snprintf(out, size, "%.*s.kiln", (int)n, in);
}

static int compile_file(const char *in, const char *out) {
  wasm_byte_vec_t bin;
  if (!cli_read_module(in, &bin)) return CLI_EXIT_FAILURE;
  int status = CLI_EXIT_FAILURE, e;
  /* no cache: the artifact is made by a compilation either way */
  wasm_engine_t *engine = cli_engine_new(false, NULL);
  kiln_diagnostic_t diag;
  wasm_module_t *module =
      engine ? kiln_module_new_ex(engine, (const uint8_t *)bin.data, bin.size, &diag) : NULL;
  wasm_byte_vec_t art = {0, NULL};
  if (!engine) {
    fprintf(stderr, "kiln: cannot create an engine: out of memory\n");
  } else if (!module) {
    char line[1024];
    kiln_diagnostic_format(&diag, line, sizeof line);
    fprintf(stderr, "error: %s: %s\n", in, line);
  } else if (!kiln_module_serialize(module, &art, &diag)) {
    fprintf(stderr, "error: %s: %s\n", in, diag.message);
  } else if (!cli_write_file(out, (const uint8_t *)art.data, art.size, &e)) {
    fprintf(stderr, "error: %s: cannot write: %s\n", out, strerror(e));
  } else {
    status = CLI_EXIT_OK;
  }
  wasm_byte_vec_delete(&art);
  wasm_module_delete(module);
  wasm_engine_delete(engine);
  wasm_byte_vec_delete(&bin);
  return status;
}

int cli_compile(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  bool options = true;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (options && strcmp(a, "--") == 0) {
      options = false;
    } else if (options && strcmp(a, "-o") == 0) {
      if (++i >= argc) return cli_usage_error("compile: -o needs a file name");
      out = argv[i];
    } else if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
      cli_compile_usage();
      return CLI_EXIT_OK;
    } else if (options && a[0] == '-' && a[1]) {
      return cli_usage_error("compile: unknown option '%s'", a);
    } else if (in) {
      return cli_usage_error("compile: more than one input file ('%s', '%s')", in, a);
    } else {
      in = a;
    }
  }
  if (!in) return cli_usage_error("compile: no input file");
  char buf[4096];
  if (!out) {
    default_out(in, buf, sizeof buf);
    out = buf;
  }
  return compile_file(in, out);
}
