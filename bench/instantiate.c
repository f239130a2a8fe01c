/* bench/instantiate.c — what one instance costs: store new + instantiate +
 * store delete, through the public API (issue 5's measurement; the figures
 * are in docs/performance.md, "Instantiation (baseline)").
 *
 *   instantiate [--rounds N] [--min-round-ms MS] [--tsv] [--no-node] [FILE...]
 *
 * The modules are written here as text and converted by kiln_wat2wasm, so
 * no files are needed:
 *
 *   empty      (module)
 *   nop        one empty exported function, "nop"
 *   memory     a 1-page memory
 *   data64k    a 1-page memory filled by a 64 KiB active data segment
 *   funcs1000  1000 functions
 *   table1000  a 1000-entry funcref table filled by an active element
 *              segment (1000 references to one function)
 *   all        all of these together (the table holds the 1000 functions)
 *
 * Every module but `empty` also exports the empty function "nop".  Each
 * FILE (e.g. build/bench/fib.kernel.wasm) is a further module; one with
 * imports is reported and skipped.
 *
 * Each module is compiled once (kiln_module_new_ex + kiln_module_compile)
 * on the one shared engine, outside the timing, and instantiated once as a
 * warm-up.  A unit is
 *
 *   inst   wasm_store_new, wasm_instance_new, wasm_instance_delete,
 *          wasm_store_delete
 *   +call  the same, plus wasm_instance_exports, wasm_func_call of "nop"
 *          and wasm_extern_vec_delete (modules that export "nop")
 *
 * A round repeats the unit enough times to last >= --min-round-ms (default
 * 20 ms, calibrated once per module and unit); the time of a unit is the
 * median of --rounds rounds (default 20).  Sequentially on this thread, and
 * then with one thread per core, each with its own stores on the same
 * modules, the threads starting every round together: instances/s of the
 * whole process is threads x units per round / the median round's wall
 * time.  CPU per unit is the process CPU time (CLOCK_PROCESS_CPUTIME_ID)
 * over all rounds divided by the units they ran.
 *
 * When `node` is on PATH (and --no-node is not given), the same modules
 * are written to a temporary directory and run through V8 by
 * bench/instantiate_node.mjs (`new WebAssembly.Instance` in a loop, same
 * method, one thread) in the same run.  V8 frees instances later, in its
 * GC, so the ratio is context, not like-for-like.
 *
 * Timing only: nothing passes or fails on timing; an instantiation that
 * fails makes the exit status 1. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "kiln.h"
#include "wasm.h"

#ifndef KILN_INSTANTIATE_NODE_MJS
#define KILN_INSTANTIATE_NODE_MJS "bench/instantiate_node.mjs"
#endif

#define MAX_MODULES 64
#define MAX_THREADS 256

/* ------------------------------------------------------------------ text */

typedef struct text {
  char *p;
  size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->p ? t->p + t->n : NULL, t->p ? t->cap - t->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0)
      abort();
    if (t->p && t->n + (size_t)k < t->cap) {
      t->n += (size_t)k;
      return;
    }
    size_t cap = t->cap ? t->cap * 2 : 4096;
    while (cap < t->n + (size_t)k + 1)
      cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p)
      abort();
    t->p = p;
    t->cap = cap;
  }
}

enum { M_MEMORY = 1, M_DATA = 2, M_FUNCS = 4, M_TABLE = 8, M_NOP = 16 };

/* The text of a module with the given parts. */
static char *module_text(unsigned parts) {
  text t = {0};
  put(&t, "(module\n");
  if (parts & M_NOP)
    put(&t, "  (func $nop (export \"nop\"))\n");
  if (parts & (M_MEMORY | M_DATA))
    put(&t, "  (memory 1)\n");
  if (parts & M_DATA) {
    /* 65,536 bytes, printable and not all alike (no '"' or '\\'). */
    put(&t, "  (data (i32.const 0) \"");
    for (unsigned i = 0; i < 65536; i++)
      put(&t, "%c", (char)('a' + (i * 7u + (i >> 8)) % 26u));
    put(&t, "\")\n");
  }
  if (parts & M_FUNCS)
    for (unsigned i = 0; i < 1000; i++)
      put(&t, "  (func $f%u (result i32) i32.const %u)\n", i, i);
  if (parts & M_TABLE) {
    put(&t, "  (table 1000 funcref)\n  (elem (i32.const 0) func");
    for (unsigned i = 0; i < 1000; i++) {
      if (parts & M_FUNCS)
        put(&t, " $f%u", i);
      else
        put(&t, " $nop");
    }
    put(&t, ")\n");
  }
  put(&t, ")\n");
  return t.p;
}

/* ---------------------------------------------------------------- modules */

typedef struct module {
  const char *name;  /* row name */
  const char *path;  /* FILE, or NULL for a generated module */
  wasm_byte_vec_t bytes;
  wasm_module_t *module;
  long nop;          /* export index of "nop", or -1 */
  int ok;
  /* results: [0] inst, [1] +call */
  double seq_us[2], seq_cpu_us[2], par_per_s[2], par_cpu_us[2];
  long reps[2];
  double v8_us[2];   /* < 0: none */
} module;

static wasm_engine_t *engine;

static long find_nop(const wasm_module_t *m) {
  wasm_exporttype_vec_t ex;
  wasm_module_exports(m, &ex);
  long idx = -1;
  for (size_t i = 0; i < ex.size; i++) {
    const wasm_name_t *n = wasm_exporttype_name(ex.data[i]);
    const wasm_externtype_t *et = wasm_exporttype_type(ex.data[i]);
    if (n->size == 3 && memcmp(n->data, "nop", 3) == 0 &&
        wasm_externtype_kind(et) == WASM_EXTERN_FUNC) {
      const wasm_functype_t *ft = wasm_externtype_as_functype_const(et);
      if (wasm_functype_params(ft)->size == 0 && wasm_functype_results(ft)->size == 0)
        idx = (long)i;
    }
  }
  wasm_exporttype_vec_delete(&ex);
  return idx;
}

/* One unit; false (after reporting) if it failed. */
static bool unit(const module *m, int call) {
  wasm_store_t *store = wasm_store_new(engine);
  if (!store)
    return false;
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  wasm_instance_t *inst = wasm_instance_new(store, m->module, &imports, &trap);
  bool ok = inst != NULL;
  if (ok && call) {
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    wasm_val_vec_t none = WASM_EMPTY_VEC, none2 = WASM_EMPTY_VEC;
    trap = wasm_func_call(wasm_extern_as_func(ex.data[m->nop]), &none, &none2);
    ok = trap == NULL;
    wasm_extern_vec_delete(&ex);
  }
  if (trap) {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    fprintf(stderr, "instantiate: %s: %.*s\n", m->name, (int)msg.size, msg.data);
    wasm_byte_vec_delete(&msg);
    wasm_trap_delete(trap);
  }
  if (inst)
    wasm_instance_delete(inst);
  wasm_store_delete(store);
  return ok;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof t[0], bench_cmp_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* ---------------------------------------------------------------- threads */

typedef struct par {
  const module *m;
  int call, rounds;
  long reps;
  pthread_barrier_t start, end;
  int failed;
} par;

static void *worker(void *arg) {
  par *p = arg;
  for (int r = 0; r < p->rounds; r++) {
    pthread_barrier_wait(&p->start);
    for (long k = 0; k < p->reps; k++)
      if (!unit(p->m, p->call)) {
        __atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
        break;
      }
    pthread_barrier_wait(&p->end);
  }
  return NULL;
}

/* Times module m, unit `call`, sequentially then on nthreads threads. */
static bool measure(module *m, int call, int rounds, double min_round, int nthreads) {
  /* Calibrate (doubles as warm-up). */
  long reps = 1;
  for (;;) {
    double t0 = bench_now();
    for (long k = 0; k < reps; k++)
      if (!unit(m, call))
        return false;
    double dt = bench_now() - t0;
    if (dt >= min_round || reps >= (1L << 26))
      break;
    reps = dt > 0 ? (long)((double)reps * (min_round / dt) * 1.2) + 1 : reps * 10;
  }
  m->reps[call] = reps;

  double t[BENCH_MAX_ROUNDS];
  double c0 = cpu_now();
  for (int r = 0; r < rounds; r++) {
    double t0 = bench_now();
    for (long k = 0; k < reps; k++)
      if (!unit(m, call))
        return false;
    t[r] = (bench_now() - t0) / (double)reps;
  }
  m->seq_cpu_us[call] = (cpu_now() - c0) / ((double)rounds * (double)reps) * 1e6;
  m->seq_us[call] = median(t, rounds) * 1e6;

  par p = {.m = m, .call = call, .rounds = rounds, .reps = reps};
  pthread_barrier_init(&p.start, NULL, (unsigned)nthreads + 1);
  pthread_barrier_init(&p.end, NULL, (unsigned)nthreads + 1);
  pthread_t th[MAX_THREADS];
  int started = 0;
  for (; started < nthreads; started++)
    if (pthread_create(&th[started], NULL, worker, &p) != 0)
      break;
  if (started < nthreads) {
    /* Cannot happen in practice; give up on the whole program. */
    fprintf(stderr, "instantiate: cannot start %d threads\n", nthreads);
    exit(2);
  }
  c0 = cpu_now();
  for (int r = 0; r < rounds; r++) {
    pthread_barrier_wait(&p.start);
    double t0 = bench_now();
    pthread_barrier_wait(&p.end);
    t[r] = bench_now() - t0;
  }
  double cpu = cpu_now() - c0;
  for (int i = 0; i < nthreads; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&p.start);
  pthread_barrier_destroy(&p.end);
  if (p.failed)
    return false;
  double units = (double)nthreads * (double)reps;
  m->par_per_s[call] = units / median(t, rounds);
  m->par_cpu_us[call] = cpu / (units * rounds) * 1e6;
  return true;
}

/* ------------------------------------------------------------------- V8 */

static bool on_path(const char *prog) {
  const char *path = getenv("PATH");
  if (!path)
    return false;
  char buf[4096];
  for (const char *s = path; *s;) {
    const char *e = strchr(s, ':');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len > 0 && len + strlen(prog) + 2 < sizeof buf) {
      snprintf(buf, sizeof buf, "%.*s/%s", (int)len, s, prog);
      if (access(buf, X_OK) == 0)
        return true;
    }
    if (!e)
      break;
    s = e + 1;
  }
  return false;
}

/* Appends s to t in single quotes, for /bin/sh. */
static void put_quoted(text *t, const char *s) {
  put(t, "'");
  for (; *s; s++) {
    if (*s == '\'')
      put(t, "'\\''");
    else
      put(t, "%c", *s);
  }
  put(t, "'");
}

/* Runs bench/instantiate_node.mjs on the modules; fills v8_us.  Returns the
 * V8 version line, or NULL. */
static char *run_node(module *mods, int nmods, int rounds, double min_round) {
  char dir[] = "/tmp/kiln-instantiate-XXXXXX";
  if (!mkdtemp(dir)) {
    fprintf(stderr, "instantiate: mkdtemp: %s\n", strerror(errno));
    return NULL;
  }
  text cmd = {0};
  put(&cmd, "node ");
  put_quoted(&cmd, KILN_INSTANTIATE_NODE_MJS);
  put(&cmd, " --rounds %d --min-round-ms %g", rounds, min_round * 1e3);
  char **written = calloc((size_t)nmods, sizeof *written);
  for (int i = 0; i < nmods; i++) {
    if (!mods[i].ok)
      continue;
    const char *path = mods[i].path;
    if (!path) {
      text p = {0};
      put(&p, "%s/%s.wasm", dir, mods[i].name);
      FILE *f = fopen(p.p, "wb");
      if (!f || fwrite(mods[i].bytes.data, 1, mods[i].bytes.size, f) != mods[i].bytes.size) {
        fprintf(stderr, "instantiate: cannot write %s\n", p.p);
        if (f)
          fclose(f);
        free(p.p);
        continue;
      }
      fclose(f);
      path = written[i] = p.p;
    }
    put(&cmd, " %d=", i);
    put_quoted(&cmd, path);
  }
  fflush(stdout);
  FILE *pipe = popen(cmd.p, "r");
  char *version = NULL;
  if (pipe) {
    char line[1024];
    while (fgets(line, sizeof line, pipe)) {
      int i;
      double a, b;
      if (strncmp(line, "version\t", 8) == 0) {
        free(version);
        version = strdup(line + 8);
        version[strcspn(version, "\n")] = 0;
      } else if (sscanf(line, "%d\t%lf\t%lf", &i, &a, &b) == 3 && i >= 0 && i < nmods) {
        mods[i].v8_us[0] = a;
        mods[i].v8_us[1] = b;
      }
    }
    int rc = pclose(pipe);
    if (rc != 0)
      fprintf(stderr, "instantiate: node exited with status %d\n", rc);
  }
  for (int i = 0; i < nmods; i++) {
    if (written[i])
      unlink(written[i]);
    free(written[i]);
  }
  free(written);
  rmdir(dir);
  free(cmd.p);
  return version;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *out) {
  fprintf(out,
          "usage: instantiate [--rounds N] [--min-round-ms MS] [--tsv] [--no-node] [FILE...]\n"
          "  times store new + instantiate + store delete (and + calling an empty\n"
          "  export) for generated modules and each FILE; see bench/instantiate.c\n");
}

static void print_cell(double v, const char *fmt, int width) {
  if (v < 0)
    printf("%*s", width, "-");
  else
    printf(fmt, width, v);
}

int main(int argc, char **argv) {
  bench_opts o;
  int parsed = bench_parse_opts_ex(argc, argv, "--no-node", 0, &o, usage);
  if (parsed >= 0) {
    free(o.files);
    return parsed;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nthreads = ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : (int)ncpu;

  engine = wasm_engine_new();
  if (!engine) {
    fprintf(stderr, "instantiate: cannot create an engine\n");
    free(o.files);
    return 2;
  }
  kiln_compiler_info_t *ci = calloc(1, sizeof *ci);
  if (!kiln_compiler_info(engine, ci)) {
    fprintf(stderr, "instantiate: the compiler is unavailable: %s\n", ci->error);
    free(ci);
    wasm_engine_delete(engine);
    free(o.files);
    return 2;
  }

  static const struct { const char *name; unsigned parts; } gen[] = {
      {"empty", 0},
      {"nop", M_NOP},
      {"memory", M_NOP | M_MEMORY},
      {"data64k", M_NOP | M_DATA},
      {"funcs1000", M_NOP | M_FUNCS},
      {"table1000", M_NOP | M_TABLE},
      {"all", M_NOP | M_MEMORY | M_DATA | M_FUNCS | M_TABLE},
  };
  int ngen = (int)(sizeof gen / sizeof gen[0]);
  int nmods = ngen + o.nfiles;
  if (nmods > MAX_MODULES) {
    fprintf(stderr, "instantiate: at most %d files\n", MAX_MODULES - ngen);
    return 2;
  }
  module mods[MAX_MODULES];
  memset(mods, 0, sizeof mods);
  int status = 0;

  for (int i = 0; i < nmods; i++) {
    module *m = &mods[i];
    for (int c = 0; c < 2; c++)
      m->seq_us[c] = m->seq_cpu_us[c] = m->par_per_s[c] = m->par_cpu_us[c] = m->v8_us[c] = -1;
    if (i < ngen) {
      m->name = gen[i].name;
      char *src = module_text(gen[i].parts);
      kiln_text_error_t terr;
      if (!kiln_wat2wasm(src, strlen(src), &m->bytes, &terr)) {
        fprintf(stderr, "instantiate: %s: the generated text does not convert\n", m->name);
        free(src);
        status = 1;
        continue;
      }
      free(src);
    } else {
      m->path = o.files[i - ngen];
      const char *slash = strrchr(m->path, '/');
      m->name = slash ? slash + 1 : m->path;
      size_t size = 0;
      uint8_t *b = bench_read_file(m->path, &size);
      if (!b) {
        fprintf(stderr, "instantiate: cannot read %s\n", m->path);
        status = 1;
        continue;
      }
      wasm_byte_vec_new(&m->bytes, size, (const wasm_byte_t *)b);
      free(b);
    }
    kiln_diagnostic_t diag;
    m->module = kiln_module_new_ex(engine, (const uint8_t *)m->bytes.data, m->bytes.size, &diag);
    if (!m->module || !kiln_module_compile(m->module, &diag)) {
      char msg[512];
      kiln_diagnostic_format(&diag, msg, sizeof msg);
      fprintf(stderr, "instantiate: %s: %s (not timed)\n", m->name, msg);
      status = 1;
      continue;
    }
    wasm_importtype_vec_t imps;
    wasm_module_imports(m->module, &imps);
    size_t nimports = imps.size;
    wasm_importtype_vec_delete(&imps);
    if (nimports) {
      fprintf(stderr, "instantiate: %s: has %zu imports (not timed)\n", m->name, nimports);
      continue;
    }
    m->nop = find_nop(m->module);
    m->ok = unit(m, 0);
    if (!m->ok)
      status = 1;
  }

  if (!o.tsv) {
    printf("Kiln %s: store new + instantiate + store delete, through the public API\n",
           kiln_version());
    printf("median of %d rounds of >= %.0f ms; parallel: %d threads (one per core), "
           "each its own stores; compiler %s (LLVM %s, %s)\n",
           o.rounds, o.min_round * 1e3, nthreads, ci->path, ci->llvm_version, ci->host_cpu);
    printf("inst = new store, instantiate, delete; +call = also call the empty export \"nop\"\n\n");
    printf("%-18s %9s | %9s %11s %11s %9s | %9s %11s %11s %9s\n", "", "", "inst", "", "",
           "", "+call", "", "", "");
    printf("%-18s %9s | %9s %11s %11s %9s | %9s %11s %11s %9s\n", "module", "bytes",
           "us/unit", "seq inst/s", "par inst/s", "par cpu", "us/unit", "seq inst/s",
           "par inst/s", "par cpu");
  } else {
    printf("module\tbytes\tunit\tseq_us\tseq_per_s\tpar_per_s\tseq_cpu_us\tpar_cpu_us\t"
           "threads\treps\n");
  }
  fflush(stdout);

  for (int i = 0; i < nmods; i++) {
    module *m = &mods[i];
    if (!m->ok)
      continue;
    for (int c = 0; c < 2; c++) {
      if (c == 1 && m->nop < 0)
        continue;
      if (!measure(m, c, o.rounds, o.min_round, nthreads)) {
        fprintf(stderr, "instantiate: %s: a unit failed\n", m->name);
        status = 1;
        break;
      }
    }
    if (o.tsv) {
      for (int c = 0; c < 2; c++)
        if (m->seq_us[c] >= 0)
          printf("%s\t%zu\t%s\t%.4f\t%.0f\t%.0f\t%.4f\t%.4f\t%d\t%ld\n", m->name, m->bytes.size,
                 c ? "call" : "inst", m->seq_us[c], 1e6 / m->seq_us[c], m->par_per_s[c],
                 m->seq_cpu_us[c], m->par_cpu_us[c], nthreads, m->reps[c]);
    } else {
      printf("%-18.18s %9zu |", m->name, m->bytes.size);
      for (int c = 0; c < 2; c++) {
        print_cell(m->seq_us[c], " %*.3f", 9);
        print_cell(m->seq_us[c] >= 0 ? 1e6 / m->seq_us[c] : -1, " %*.0f", 11);
        print_cell(m->par_per_s[c], " %*.0f", 11);
        print_cell(m->par_cpu_us[c], " %*.3f", 9);
        printf(c ? "\n" : " |");
      }
    }
    fflush(stdout);
  }
  if (!o.tsv)
    printf("(seq inst/s = 1 / us per unit; par inst/s = all %d threads together; par cpu = "
           "process CPU us per unit across the threads)\n",
           nthreads);

  if (!o.flag && on_path("node")) {
    char *version = run_node(mods, nmods, o.rounds, o.min_round);
    if (!o.tsv) {
      printf("\nV8 (%s), same modules, same method, one thread: new WebAssembly.Instance "
             "in a loop\n",
             version ? version : "version unknown");
      printf("NOTE: V8 defers freeing instances to its GC, so this ratio is context, not "
             "like-for-like.\n");
      printf("%-18s %10s %10s %8s | %10s %10s %8s\n", "module", "V8 us", "Kiln us", "Kiln/V8",
             "V8 +call", "Kiln +call", "Kiln/V8");
    } else {
      printf("module\tv8_inst_us\tv8_call_us\n");
    }
    for (int i = 0; i < nmods; i++) {
      module *m = &mods[i];
      if (!m->ok || m->v8_us[0] < 0)
        continue;
      if (o.tsv) {
        printf("%s\t%.4f\t%.4f\n", m->name, m->v8_us[0], m->v8_us[1]);
        continue;
      }
      printf("%-18.18s", m->name);
      for (int c = 0; c < 2; c++) {
        double v8 = m->v8_us[c], k = m->seq_us[c];
        print_cell(v8, " %*.3f", 10);
        print_cell(k, " %*.3f", 10);
        print_cell(v8 > 0 && k >= 0 ? k / v8 : -1, " %*.2f", 8);
        printf(c ? "\n" : " |");
      }
    }
    free(version);
  } else if (!o.tsv) {
    printf("\n(V8 not run: %s)\n", o.flag ? "--no-node" : "node is not on PATH");
  }

  /* The closing line: the figures issue 5's targets are about. */
  if (!o.tsv) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const module *e = &mods[0], *a = &mods[ngen - 1];
    printf("\ninstantiate: on-demand path (no pool yet): empty %.3f us (pooled target <= 0.3), "
           "all %.3f us (on-demand target <= 15, pooled <= 3), %d threads %.0f all/s; "
           "max RSS %.1f MB; %s\n",
           e->seq_us[0], a->seq_us[0], nthreads, a->par_per_s[0], (double)ru.ru_maxrss / 1024.0,
           status ? "SOME MODULES FAILED" : "all units ran");
  }

  for (int i = 0; i < nmods; i++) {
    if (mods[i].module)
      wasm_module_delete(mods[i].module);
    wasm_byte_vec_delete(&mods[i].bytes);
  }
  free(ci);
  wasm_engine_delete(engine);
  free(o.files);
  return status;
}
