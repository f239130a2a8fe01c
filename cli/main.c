/* cli/main.c — the kiln command: argument dispatch, help and version.
 *
 * `kiln <command> [arguments]`.  Each command is a function of its own file
 * (cli.h); this file owns the command table, the usage text and the
 * commands too small for a file of their own (help, version).  Arguments
 * are parsed by hand: the commands take few options, and hand parsing keeps
 * the error messages and exit statuses exactly as docs/cli.md states them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "wasm.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: kiln <command> [arguments]\n"
          "\n"
          "Commands:\n"
          "  validate [--report] FILE...  decode and validate WebAssembly "
          "modules (.wasm, .wat)\n"
          "  run [OPTIONS] FILE [ARG...]  run a module's _start, or call an "
          "export (--invoke)\n"
          "  compile FILE [-o OUT]        compile a module ahead of time to a "
          ".kiln file\n"
          "  cache stats|clear|dir        the module cache: its size, "
          "emptying it, where\n"
          "  wast [OPTIONS] FILE...       run spec test scripts (.wast, or "
          "wast2json .json)\n"
          "  wat2wasm FILE.wat [-o OUT]   convert a text module to a binary "
          "one\n"
          "  bench instantiate [FILE...]  time store + instantiate + delete, "
          "on demand and pooled\n"
          "  version [--verbose]          print the versions of kiln and of "
          "its compiler\n"
          "  help [COMMAND]               print this help, or a command's\n"
          "\n"
          "Run 'kiln help COMMAND' for a command's options.\n"
          "Exit status: 0 success, 1 failure (e.g. a module was rejected), "
          "2 usage error.\n");
}

int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("kiln: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs("; run 'kiln help' for usage\n", stderr);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

static void version_usage(void) {
  printf("usage: kiln version [--verbose]\n"
         "\n"
         "Prints the version of kiln and, when the compiler object can be\n"
         "loaded, its path, LLVM version, target triple and host CPU; says\n"
         "why when it cannot.  --verbose adds the host CPU features.\n");
}

/* Reports libkiln and the compiler.  A missing compiler is not an error:
 * validation and cached code work without it, so the status stays 0 and the
 * reason is printed for whoever needs to fix it. */
static int cmd_version(int argc, char **argv) {
  bool verbose = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
      verbose = true;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      version_usage();
      return CLI_EXIT_OK;
    } else {
      return cli_usage_error("version: unexpected argument '%s'", argv[i]);
    }
  }
  printf("kiln %s\n", kiln_version());
  wasm_engine_t *engine = wasm_engine_new();
  if (!engine) {
    fprintf(stderr, "kiln: cannot create an engine: out of memory\n");
    return CLI_EXIT_FAILURE;
  }
  static kiln_compiler_info_t info; /* large: not on the stack */
  if (kiln_compiler_info(engine, &info)) {
    printf("compiler: %s\n", info.path);
    printf("  LLVM %s\n", info.llvm_version);
    printf("  target %s\n", info.host_triple);
    printf("  cpu %s\n", info.host_cpu);
    if (verbose) printf("  features %s\n", info.host_features);
  } else {
    printf("compiler: not available (%s)\n", info.error);
  }
  wasm_engine_delete(engine);
  return CLI_EXIT_OK;
}

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the command's name */
  void (*help)(void);
} command;

static int cmd_help(int argc, char **argv);

static void help_usage(void) {
  printf("usage: kiln help [COMMAND]\n");
}

static const command commands[] = {
    {"validate", cli_validate, cli_validate_usage},
    {"run", cli_run, cli_run_usage},
    {"compile", cli_compile, cli_compile_usage},
    {"cache", cli_cache, cli_cache_usage},
    {"wast", cli_wast, cli_wast_usage},
    {"wat2wasm", cli_wat2wasm, cli_wat2wasm_usage},
    {"bench", cli_bench, cli_bench_usage},
    {"version", cmd_version, version_usage},
    {"help", cmd_help, help_usage},
};

static const command *find_command(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

/* `kiln help` prints the overview; `kiln help COMMAND` the command's own
 * usage, the same text as `kiln COMMAND --help`. */
static int cmd_help(int argc, char **argv) {
  if (argc < 2) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (argc > 2) return cli_usage_error("help: too many arguments");
  const command *c = find_command(argv[1]);
  if (!c) return cli_usage_error("help: unknown command '%s'", argv[1]);
  c->help();
  return CLI_EXIT_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("kiln: missing command\n", stderr);
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) name = "help";
  if (strcmp(name, "--version") == 0) name = "version";
  const command *c = find_command(name);
  if (!c) {
    if (name[0] == '-')
      return cli_usage_error("unknown option '%s'", name);
    return cli_usage_error("unknown command '%s'", name);
  }
  return c->run(argc - 1, argv + 1);
}
