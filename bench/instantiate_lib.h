/* bench/instantiate_lib.h — the instantiation benchmark (instantiate_lib.c)
 * as a function, so that two programs run the same code:
 * build/bench/instantiate (bench/instantiate.c) and `kiln bench
 * instantiate` (cli/bench.c). */
#ifndef KILN_BENCH_INSTANTIATE_LIB_H
#define KILN_BENCH_INSTANTIATE_LIB_H

#include <stdio.h>

/* Runs the benchmark on the command line argv[1..argc-1] (argv[0] is not
 * used): [--rounds N] [--min-round-ms MS] [--path on-demand|pooled|both]
 * [--tsv] [--no-node] [FILE...].  `prog` names the program in the usage
 * text and in error messages, e.g. "instantiate" or "kiln bench
 * instantiate".  Returns the exit status: 0 every unit ran, 1 a module
 * could not be read, compiled or instantiated, or there is no engine or
 * compiler, 2 a usage error (after a line saying what was wrong and the
 * usage text, on stderr). */
int kiln_bench_instantiate_main(const char *prog, int argc, char **argv);

/* The usage text, naming the program `prog`. */
void kiln_bench_instantiate_usage(FILE *out, const char *prog);

#endif
