/* bench/instantiate.c — build/bench/instantiate: the instantiation
 * benchmark, store new + instantiate + store delete through the public
 * API, on demand and from the pool (docs/performance.md, "Instantiation
 * (baseline)").  The benchmark itself is bench/instantiate_lib.c, which
 * `kiln bench instantiate` runs too.
 *
 *   instantiate [--rounds N] [--min-round-ms MS] [--path on-demand|pooled|both]
 *               [--tsv] [--no-node] [FILE...] */
#include "instantiate_lib.h"

int main(int argc, char **argv) {
  return kiln_bench_instantiate_main("instantiate", argc, argv);
}
