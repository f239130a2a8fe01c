/* bench/compute.c — steady-state speed of compiled code against native, and
 * compile throughput (docs/performance.md, `./dev bench`).
 *
 * Each kernel of bench/kernels is built twice by clang-14 with the same
 * flags: freestanding wasm32 (exporting run) and native (linked into this
 * program as <kernel>_run).  For each kernel this program instantiates the
 * wasm build through the public API, calls run(n) once to warm up, then
 * times ROUNDS calls of the wasm build and of the native function,
 * interleaved, and prints the medians, their ratio and whether the
 * checksums agree.  Then it compiles a large module at each optimization
 * level, with one compile thread and with one per core, and prints KB/s.
 *
 *   compute [--rounds N] [--quick] KERNEL_DIR BIG_MODULE
 *
 * Nothing passes or fails on timing; only a checksum mismatch or an error
 * makes the exit status non-zero.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln.h"
#include "wasm.h"

uint64_t fib_run(uint32_t), sieve_run(uint32_t), matmul_run(uint32_t), nbody_run(uint32_t),
    sort_run(uint32_t), hash_run(uint32_t);

typedef struct kernel {
  const char *name;
  uint64_t (*native)(uint32_t);
  uint32_t n, quick_n;
} kernel;

static const kernel kernels[] = {
    {"fib", fib_run, 34, 25},       {"sieve", sieve_run, 12, 2},
    {"matmul", matmul_run, 30, 3},  {"nbody", nbody_run, 3000000, 100000},
    {"sort", sort_run, 6, 1},       {"hash", hash_run, 600, 50},
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool read_file(const char *path, wasm_byte_vec_t *out) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(out, (size_t)size);
  bool ok = fread(out->data, 1, (size_t)size, f) == (size_t)size;
  fclose(f);
  return ok;
}

/* The export named `name` of a module instance, as a function. */
static wasm_func_t *export_func(const wasm_module_t *module, const wasm_extern_vec_t *exports,
                                const char *name) {
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  wasm_func_t *f = NULL;
  for (size_t i = 0; i < types.size; i++) {
    const wasm_name_t *n = wasm_exporttype_name(types.data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
      f = wasm_extern_as_func(exports->data[i]);
  }
  wasm_exporttype_vec_delete(&types);
  return f;
}

static bool call_run(wasm_func_t *run, uint32_t n, uint64_t *out) {
  wasm_val_t args[1] = {{.kind = WASM_I32, .of = {.i32 = (int32_t)n}}};
  wasm_val_t results[1] = {{.kind = WASM_I64, .of = {.i64 = 0}}};
  wasm_val_vec_t a = {1, args}, r = {1, results};
  wasm_trap_t *trap = wasm_func_call(run, &a, &r);
  if (trap) {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    fprintf(stderr, "compute: run trapped: %.*s\n", (int)msg.size, msg.data);
    wasm_byte_vec_delete(&msg);
    wasm_trap_delete(trap);
    return false;
  }
  *out = (uint64_t)results[0].of.i64;
  return true;
}

static bool bench_kernel(wasm_engine_t *engine, const char *dir, const kernel *k, bool quick,
                         int rounds) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.kernel.wasm", dir, k->name);
  wasm_byte_vec_t bytes;
  if (!read_file(path, &bytes)) {
    fprintf(stderr, "compute: cannot read %s\n", path);
    return false;
  }
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  if (!module) {
    fprintf(stderr, "compute: %s does not compile\n", path);
    wasm_store_delete(store);
    return false;
  }
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  wasm_instance_t *inst = wasm_instance_new(store, module, &imports, &trap);
  bool ok = inst != NULL;
  wasm_extern_vec_t exports = WASM_EMPTY_VEC;
  wasm_func_t *run = NULL;
  if (ok) {
    wasm_instance_exports(inst, &exports);
    run = export_func(module, &exports, "run");
    ok = run != NULL;
  }
  uint32_t n = quick ? k->quick_n : k->n;
  uint64_t got = 0, want = k->native(n);
  ok = ok && call_run(run, n, &got); /* warm-up, and the checksum */
  double tw[64], tn[64];
  for (int i = 0; ok && i < rounds; i++) {
    uint64_t v;
    double t0 = now();
    ok = call_run(run, n, &v);
    double t1 = now();
    v = k->native(n);
    double t2 = now();
    tw[i] = t1 - t0;
    tn[i] = t2 - t1;
  }
  if (ok) {
    double mw = median(tw, rounds), mn = median(tn, rounds);
    printf("%-8s %9u %10.2f %10.2f %7.3f   %s\n", k->name, n, mn * 1e3, mw * 1e3, mw / mn,
           got == want ? "match" : "MISMATCH");
    ok = got == want;
  } else {
    printf("%-8s failed\n", k->name);
  }
  wasm_extern_vec_delete(&exports);
  if (inst)
    wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  return ok;
}

/* Compile throughput: wasm_module_new + kiln_module_compile of the big
 * module (decode, validate, compile, load), median of rounds, at each level
 * and thread count. */
static void bench_compile(const char *path, int rounds) {
  wasm_byte_vec_t bytes;
  if (!read_file(path, &bytes)) {
    fprintf(stderr, "compute: cannot read %s\n", path);
    return;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  printf("\ncompile throughput: %s (%zu bytes), wasm_module_new + kiln_module_compile, median of %d\n", path,
         bytes.size, rounds);
  printf("%-6s %8s %10s %10s\n", "level", "threads", "ms", "KB/s");
  for (unsigned level = 0; level <= 3; level++) {
    for (unsigned threads = 1; threads <= (unsigned)cores; threads = threads == 1 && cores > 1 ? (unsigned)cores : threads + (unsigned)cores) {
      wasm_config_t *config = wasm_config_new();
      kiln_config_set_opt_level(config, level);
      kiln_config_set_compile_threads(config, threads);
      wasm_engine_t *engine = wasm_engine_new_with_config(config);
      wasm_store_t *store = wasm_store_new(engine);
      double t[64];
      bool ok = true;
      for (int i = 0; i < rounds && ok; i++) {
        double t0 = now();
        wasm_module_t *m = wasm_module_new(store, &bytes);
        kiln_diagnostic_t diag;
        ok = m != NULL && kiln_module_compile(m, &diag);
        t[i] = now() - t0;
        if (m && !ok)
          fprintf(stderr, "compute: %s\n", diag.message);
        if (m)
          wasm_module_delete(m);
      }
      if (ok) {
        double med = median(t, rounds);
        printf("O%-5u %8u %10.1f %10.0f\n", level, threads, med * 1e3,
               (double)bytes.size / 1024.0 / med);
      } else {
        printf("O%-5u %8u   failed to compile\n", level, threads);
      }
      wasm_store_delete(store);
      wasm_engine_delete(engine);
    }
  }
  wasm_byte_vec_delete(&bytes);
}

int main(int argc, char **argv) {
  int rounds = 5;
  bool quick = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--quick") == 0)
      quick = true;
    else {
      fprintf(stderr, "usage: compute [--rounds N] [--quick] KERNEL_DIR BIG_MODULE\n");
      return 2;
    }
  }
  if (argc - i != 2 || rounds < 1 || rounds > 64) {
    fprintf(stderr, "usage: compute [--rounds N] [--quick] KERNEL_DIR BIG_MODULE\n");
    return 2;
  }
  wasm_engine_t *engine = wasm_engine_new();
  printf("steady state: median of %d interleaved runs per kernel, after one warm-up run\n",
         rounds);
  printf("%-8s %9s %10s %10s %7s   %s\n", "kernel", "n", "native ms", "kiln ms", "ratio",
         "checksum");
  bool ok = true;
  for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
    ok = bench_kernel(engine, argv[i], &kernels[k], quick, rounds) && ok;
  wasm_engine_delete(engine);
  bench_compile(argv[i + 1], quick ? 1 : rounds);
  return ok ? 0 : 1;
}
