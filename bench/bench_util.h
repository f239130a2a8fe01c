/* bench/bench_util.h — what the in-process timing programs of bench/
 * (validate_throughput, wat_throughput, instantiate) share: the clock,
 * reading a file, sorting times, and their common options
 *
 *   [--rounds N] [--min-round-ms MS] [--tsv] [FLAG] FILE...
 *
 * where FLAG is one program-specific switch (or none). */
#ifndef KILN_BENCH_UTIL_H
#define KILN_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_ROUNDS 1000

/* Monotonic time in seconds. */
double bench_now(void);
/* The whole file, malloc'd (with a NUL after its size bytes), or NULL. */
uint8_t *bench_read_file(const char *path, size_t *size);
/* qsort comparator for doubles. */
int bench_cmp_double(const void *a, const void *b);

typedef struct bench_opts {
  int rounds;        /* --rounds, default 20 */
  double min_round;  /* --min-round-ms, in seconds, default 0.020 */
  int tsv;           /* --tsv */
  int flag;          /* the program's own switch */
  char **files;      /* the rest; free() it */
  int nfiles;
} bench_opts;

/* Parses argv (argv[0] names the program in error messages).  Returns -1
 * to go on, else the exit status to return: 0 after --help, having called
 * usage(stdout); 2 after a usage error, having printed one line saying what
 * was wrong and called usage(stderr). */
int bench_parse_opts(int argc, char **argv, const char *flag, bench_opts *o,
                     void (*usage)(FILE *out));
/* The same, requiring at least min_files FILE arguments (bench_parse_opts
 * requires one). */
int bench_parse_opts_ex(int argc, char **argv, const char *flag, int min_files,
                        bench_opts *o, void (*usage)(FILE *out));

#endif
