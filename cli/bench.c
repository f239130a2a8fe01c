/* cli/bench.c — `kiln bench <benchmark> [arguments]`: Kiln's in-process
 * benchmarks, for developers.  One for now:
 *
 *   kiln bench instantiate [OPTIONS] [FILE...]
 *     store new + instantiate + store delete, on demand and pooled, and
 *     V8 when node is on PATH: bench/instantiate_lib.c, the code of
 *     build/bench/instantiate too, linked in (cli/meson.build), so both
 *     run the same benchmark.  It finds V8's side of it,
 *     bench/instantiate_node.mjs, in the source tree this kiln was built
 *     from (a path compiled in); when that file is gone it says V8 was
 *     skipped and why.
 */
#include <stdio.h>
#include <string.h>

#include "bench/instantiate_lib.h"
#include "cli.h"

void cli_bench_usage(void) {
  printf("usage: kiln bench BENCHMARK [OPTIONS] [FILE...]\n"
         "\n"
         "Kiln's benchmarks, for developers (nothing passes or fails on timing):\n"
         "  instantiate   the cost of store new + instantiate + store delete\n"
         "\n");
  kiln_bench_instantiate_usage(stdout, "kiln bench instantiate");
}

int cli_bench(int argc, char **argv) {
  if (argc < 2)
    return cli_usage_error("bench: missing benchmark (one of: instantiate)");
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    cli_bench_usage();
    return CLI_EXIT_OK;
  }
  if (strcmp(name, "instantiate") == 0)
    return kiln_bench_instantiate_main("kiln bench instantiate", argc - 1, argv + 1);
  if (name[0] == '-')
    return cli_usage_error("bench: unknown option '%s'", name);
  return cli_usage_error("bench: unknown benchmark '%s' (one of: instantiate)", name);
}
