/* bench/cache_bench.c — what the module cache saves (issue 7's
 * measurement; figures in docs/performance.md, "The module cache"):
 *
 *   cache_bench --kiln KILN [--node NODE] [--rounds N] [FILE.wasm...]
 *
 * For each module — a trivial one (one exported add), 1000 small
 * functions (both written here as text), and each FILE (`./dev bench
 * cache` passes Kiln's own front end compiled to wasm32-wasi, the large
 * module):
 *   cold     a new engine, kiln_module_new_ex + kiln_module_compile: decode,
 *            validate, compile with LLVM, load (the compiler already loaded)
 *   hit      a new engine with the cache on a directory holding the entry:
 *            kiln_module_new_ex (read the file, hash the bytes, check,
 *            decompress, load the description and the code)
 *   memory   kiln_module_deserialize_ex of the same bytes already in memory
 *   sizes    the wasm, the entry (zstd) and its payload uncompressed (the
 *            object code and the module description)
 * then, for the trivial module, whole-process times of `kiln run --invoke
 * add` (fork + exec + exit): on a cache hit, from a precompiled module,
 * and with --no-cache (LLVM loaded and used); and, as a peer in the same
 * run, the same module under Node (V8: compiles the module every time; it
 * has no code cache for a wasm file run once) when --node is given.
 *
 * Every figure is the median of --rounds rounds (default 21; cold: 5 for
 * small modules, 3 for the large).  Timing only: a failure makes the exit
 * status 1, nothing passes or fails on timing. */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "kiln.h"
#include "vm/artifact.h"
#include "wasm.h"

extern char **environ;

static int rounds = 21;

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
  return t[n / 2];
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "cache_bench: %s: %s\n", what, detail);
  exit(1);
}

static wasm_engine_t *engine_on(const char *cache_dir) {
  wasm_config_t *cfg = wasm_config_new();
  if (cache_dir) kiln_config_set_cache(cfg, true, cache_dir);
  wasm_engine_t *e = wasm_engine_new_with_config(cfg);
  if (!e) die("engine", "out of memory");
  return e;
}

/* ---- the modules written here ------------------------------------------ */

static const char trivial_wat[] =
    "(module (func (export \"add\") (param i32 i32) (result i32)\n"
    "  (i32.add (local.get 0) (local.get 1))))\n";

/* 1000 functions, each a few instructions different from the others, all
 * exported (so none is dead), plus a table of them. */
static char *thousand_wat(void) {
  size_t cap = 1 << 20, len = 0;
  char *s = malloc(cap);
  len += (size_t)snprintf(s + len, cap - len, "(module (table 1000 funcref)\n");
  for (int i = 0; i < 1000; i++)
    len += (size_t)snprintf(s + len, cap - len,
                            "(func $f%d (export \"f%d\") (param i32) (result i32)\n"
                            "  (i32.add (i32.mul (local.get 0) (i32.const %d))\n"
                            "           (i32.xor (local.get 0) (i32.const %d))))\n",
                            i, i, i + 3, i * 7);
  len += (size_t)snprintf(s + len, cap - len, "(elem (i32.const 0) func");
  for (int i = 0; i < 1000; i++)
    len += (size_t)snprintf(s + len, cap - len, " $f%d", i);
  snprintf(s + len, cap - len, "))\n");
  return s;
}

static wasm_byte_vec_t from_wat(const char *wat) {
  wasm_byte_vec_t out;
  kiln_text_error_t err;
  if (!kiln_wat2wasm(wat, strlen(wat), &out, &err)) die("wat", err.message);
  return out;
}

/* ---- in-process figures ------------------------------------------------ */

typedef struct figures {
  double cold, hit, memory; /* seconds */
  size_t wasm, entry, raw;
} figures;

static void measure(const char *name, const uint8_t *wasm, size_t size, const char *dir,
                    figures *f) {
  double t[BENCH_MAX_ROUNDS];
  kiln_diagnostic_t diag;
  int cold_rounds = size > 100000 ? 3 : 5;
  wasm_byte_vec_t art = {0, NULL};
  for (int r = 0; r < cold_rounds; r++) {
    wasm_engine_t *e = engine_on(NULL);
    double t0 = bench_now();
    wasm_module_t *m = kiln_module_new_ex(e, wasm, size, &diag);
    if (!m || !kiln_module_compile(m, &diag)) die(name, diag.message);
    t[r] = bench_now() - t0;
    if (r == 0 && !kiln_module_serialize(m, &art, &diag)) die(name, diag.message);
    wasm_module_delete(m);
    wasm_engine_delete(e);
  }
  f->cold = median(t, cold_rounds);
  /* the entry: one miss writes it */
  {
    wasm_engine_t *e = engine_on(dir);
    wasm_module_t *m = kiln_module_new_ex(e, wasm, size, &diag);
    if (!m || !kiln_module_compile(m, &diag)) die(name, diag.message);
    wasm_module_delete(m);
    kiln_cache_stats_t st;
    kiln_engine_cache_stats(e, &st);
    if (st.writes != 1) die(name, st.error[0] ? st.error : "the entry was not written");
    wasm_engine_delete(e);
  }
  for (int r = 0; r < rounds; r++) {
    wasm_engine_t *e = engine_on(dir);
    double t0 = bench_now();
    wasm_module_t *m = kiln_module_new_ex(e, wasm, size, &diag);
    t[r] = bench_now() - t0;
    kiln_cache_stats_t st;
    kiln_engine_cache_stats(e, &st);
    if (!m || st.hits != 1) die(name, st.error[0] ? st.error : "not a cache hit");
    wasm_module_delete(m);
    wasm_engine_delete(e);
  }
  f->hit = median(t, rounds);
  for (int r = 0; r < rounds; r++) {
    wasm_engine_t *e = engine_on(NULL);
    double t0 = bench_now();
    wasm_module_t *m =
        kiln_module_deserialize_ex(e, (const uint8_t *)art.data, art.size, &diag);
    t[r] = bench_now() - t0;
    if (!m) die(name, diag.message);
    wasm_module_delete(m);
    wasm_engine_delete(e);
  }
  f->memory = median(t, rounds);
  vm_artifact_header h;
  memcpy(&h, art.data, sizeof h);
  f->wasm = size;
  f->entry = art.size;
  f->raw = (size_t)h.raw_size;
  wasm_byte_vec_delete(&art);
}

typedef struct bench_module {
  const char *name;
  const uint8_t *p;
  size_t n;
  uint8_t *owned;
} bench_module;

/* ---- whole processes ---------------------------------------------------- */

/* Median wall time of running argv to its end (stdout to /dev/null). */
static double whole_process(char *const argv[]) {
  double t[BENCH_MAX_ROUNDS];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /* O_WRONLY */, 0);
  for (int r = 0; r < rounds; r++) {
    pid_t pid;
    double t0 = bench_now();
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) die("spawn", argv[0]);
    int status;
    waitpid(pid, &status, 0);
    t[r] = bench_now() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("run failed", argv[0]);
  }
  posix_spawn_file_actions_destroy(&fa);
  return median(t, rounds);
}

static void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) die("writing", path);
}

int main(int argc, char **argv) {
  const char *kiln = NULL, *node = NULL;
  char **files = calloc((size_t)argc, sizeof *files);
  int nfiles = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--kiln") && i + 1 < argc)
      kiln = argv[++i];
    else if (!strcmp(argv[i], "--node") && i + 1 < argc)
      node = argv[++i];
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (argv[i][0] != '-')
      files[nfiles++] = argv[i];
    else {
      fprintf(stderr, "usage: cache_bench --kiln KILN [--node NODE] [--rounds N] [FILE.wasm...]\n");
      return 2;
    }
  }
  if (!kiln || rounds < 1 || rounds > BENCH_MAX_ROUNDS) {
    fprintf(stderr, "usage: cache_bench --kiln KILN [--node NODE] [--rounds N] [FILE.wasm...]\n");
    return 2;
  }
  char tmp[] = "/tmp/kiln-cache-bench-XXXXXX";
  if (!mkdtemp(tmp)) die("mkdtemp", tmp);
  char dir[128];
  snprintf(dir, sizeof dir, "%s/cache", tmp);

  printf("module cache: cold compile vs cache hit (median of %d; cold: of 5, large: of 3)\n",
         rounds);
  printf("%-22s %9s %10s %10s %10s %8s %10s %10s %9s\n", "module", "wasm", "cold ms",
         "hit ms", "memory ms", "cold/hit", "entry", "payload", "ratio");
  wasm_byte_vec_t trivial = from_wat(trivial_wat);
  char *thousand_text = thousand_wat();
  wasm_byte_vec_t thousand = from_wat(thousand_text);
  free(thousand_text);
  bench_module mods[64];
  int nmods = 0;
  mods[nmods++] = (bench_module){"trivial (1 function)", (const uint8_t *)trivial.data,
                                     trivial.size, NULL};
  mods[nmods++] = (bench_module){"1000 functions", (const uint8_t *)thousand.data,
                                     thousand.size, NULL};
  for (int i = 0; i < nfiles && nmods < 64; i++) {
    size_t n;
    uint8_t *p = bench_read_file(files[i], &n);
    if (!p) die("reading", files[i]);
    const char *base = strrchr(files[i], '/');
    mods[nmods++] = (bench_module){base ? base + 1 : files[i], p, n, p};
  }
  for (int i = 0; i < nmods; i++) {
    figures f;
    measure(mods[i].name, mods[i].p, mods[i].n, dir, &f);
    printf("%-22s %9zu %10.2f %10.3f %10.3f %7.0fx %10zu %10zu %8.2fx\n", mods[i].name, f.wasm,
           f.cold * 1e3, f.hit * 1e3, f.memory * 1e3, f.cold / f.hit, f.entry, f.raw,
           (double)f.raw / (double)f.entry);
    fflush(stdout);
    free(mods[i].owned);
  }
  printf("(hit: new engine + kiln_module_new_ex on a cache hit; memory: "
         "kiln_module_deserialize_ex; entry: the file, zstd; payload: object + description)\n\n");

  char wasm_path[160], art_path[160];
  snprintf(wasm_path, sizeof wasm_path, "%s/trivial.wasm", tmp);
  snprintf(art_path, sizeof art_path, "%s/trivial.kiln", tmp);
  write_file(wasm_path, trivial.data, trivial.size);
  char *compile[] = {(char *)kiln, "compile", wasm_path, "-o", art_path, NULL};
  whole_process(compile);
  char *hit[] = {(char *)kiln, "run", "--cache-dir", dir, "--invoke", "add", wasm_path, "2", "3",
                 NULL};
  char *art[] = {(char *)kiln, "run", "--invoke", "add", art_path, "2", "3", NULL};
  char *cold[] = {(char *)kiln, "run", "--no-cache", "--invoke", "add", wasm_path, "2", "3",
                  NULL};
  char *truebin[] = {"/bin/true", NULL};
  printf("whole process, kiln run --invoke add of the trivial module (median of %d)\n", rounds);
  double t_hit = whole_process(hit), t_art = whole_process(art), t_cold = whole_process(cold);
  double t_true = whole_process(truebin);
  printf("  cache hit              %8.2f ms\n", t_hit * 1e3);
  printf("  precompiled (.kiln)    %8.2f ms\n", t_art * 1e3);
  printf("  --no-cache (compiles)  %8.2f ms   %.1fx the hit\n", t_cold * 1e3, t_cold / t_hit);
  printf("  /bin/true              %8.2f ms\n", t_true * 1e3);
  if (node) {
    char script[600];
    snprintf(script, sizeof script,
             "const fs=require('fs');const m=new WebAssembly.Module(fs.readFileSync('%s'));"
             "console.log(new WebAssembly.Instance(m).exports.add(2,3));",
             wasm_path);
    char *nodev[] = {(char *)node, "-e", script, NULL};
    double t_node = whole_process(nodev);
    printf("  Node (V8), same module %8.2f ms   %.1fx the hit\n", t_node * 1e3, t_node / t_hit);
  }
  wasm_byte_vec_delete(&trivial);
  wasm_byte_vec_delete(&thousand);
  free(files);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  return system(cmd) == 0 ? 0 : 1;
}
