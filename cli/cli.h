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

#include "wasm.h"

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

/* Reads the module FILE names: its bytes as they are (a binary, or a
 * precompiled module), or for a text module (a name ending in .wat) the
 * binary kiln_wat2wasm makes of it.  False after printing why to stderr
 * ("error: FILE: cannot read: ...", "error: FILE:LINE:COL: message"). */
bool cli_read_module(const char *path, wasm_byte_vec_t *out);

/* Writes data to path atomically (a temporary file beside it, renamed over
 * it).  False with the errno value in *err on failure (nothing is left). */
bool cli_write_file(const char *path, const uint8_t *data, size_t size, int *err);

/* ---- cache.c: the module cache, for the commands that compile -------- */

struct wasm_engine_t;
/* An engine for running modules: with the module cache in cache_dir (NULL:
 * the default) when `cache`, else without.  NULL when out of memory. */
struct wasm_engine_t *cli_engine_new(bool cache, const char *cache_dir);
/* Prints to stderr what the engine's cache did ("kiln: cache hit ..."). */
void cli_cache_report(const struct wasm_engine_t *engine);
/* Whether data starts like a precompiled module (kiln compile). */
bool cli_is_artifact(const uint8_t *data, size_t size);

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

int cli_cache(int argc, char **argv);
void cli_cache_usage(void);

int cli_compile(int argc, char **argv);
void cli_compile_usage(void);

/* bench.c: `kiln bench instantiate` runs bench/instantiate_lib.c. */
int cli_bench(int argc, char **argv);
void cli_bench_usage(void);

#endif
