/* cli/cli.h — the kiln command's internal header.
 *
 * main.c parses the command line and dispatches to one function per
 * subcommand; each subcommand lives in its own file and uses only the public
 * API (wasm.h, kiln.h).  Exit statuses are shared by every subcommand.
 */
#ifndef KILN_CLI_CLI_H
#define KILN_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
  CLI_EXIT_OK = 0,       /* everything succeeded */
  CLI_EXIT_FAILURE = 1,  /* a module was rejected, a file unreadable ... */
  CLI_EXIT_USAGE = 2,    /* the command line was wrong */
};

/* Prints "kiln: <message>; run 'kiln help' for usage" to stderr and returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- file.c ---------------------------------------------------------- */

/* Reads a whole file into memory (any size; files whose size the system
 * reports as 0, such as /proc files, are read to their end too).  On success
 * *data (free() it; may be NULL for an empty file) and *size are set.  On
 * failure returns false and *err is the errno value, e.g. EISDIR for a
 * directory. */
bool cli_read_file(const char *path, uint8_t **data, size_t *size, int *err);

/* ---- subcommands: argv[0] is the subcommand's name ------------------- */

int cli_validate(int argc, char **argv);
void cli_validate_usage(void);

/* run.c: `kiln run` instantiates a module and runs _start or an export. */
int cli_run(int argc, char **argv);
void cli_run_usage(void);

int cli_wast(int argc, char **argv);
void cli_wast_usage(void);

int cli_wat2wasm(int argc, char **argv);
void cli_wat2wasm_usage(void);

/* bench.c: `kiln bench instantiate` runs bench/instantiate_lib.c. */
int cli_bench(int argc, char **argv);
void cli_bench_usage(void);

#endif
