/* bench/instantiate_lib.c — what one instance costs: store new +
 * instantiate + store delete, through the public API, on demand and from
 * the pool (issue 5's measurement; the figures are in docs/performance.md,
 * "Instantiation (baseline)").  Run by build/bench/instantiate
 * (bench/instantiate.c) and by `kiln bench instantiate` (cli/bench.c), both
 * through kiln_bench_instantiate_main (instantiate_lib.h):
 *
 *   instantiate [--rounds N] [--min-round-ms MS] [--path on-demand|pooled|both]
 *               [--tsv] [--no-node] [FILE...]
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
 * Two paths, two engines (--path chooses; both by default):
 *
 *   on-demand  wasm_engine_new(): every instance allocates its memories
 *              and tables anew;
 *   pooled     an engine made with kiln_config_set_pooling: instance_slots
 *              = threads + 2 (a unit holds one instance at a time per
 *              thread, so the threads never need more), memories and
 *              tables per instance = the most any module has (at least 1),
 *              the default page and element limits, not strict (an
 *              instantiation that does not fit a slot falls back to the
 *              on-demand allocation, and is counted).
 *
 * Each module is compiled once per engine (kiln_module_new_ex +
 * kiln_module_compile), outside the timing, and instantiated once on each
 * as a check.  A unit is
 *
 *   inst   wasm_store_new, wasm_instance_new, wasm_instance_delete,
 *          wasm_store_delete
 *   +call  the same, plus wasm_instance_exports, wasm_func_call of "nop"
 *          and wasm_extern_vec_delete (modules that export "nop")
 *
 * A round repeats the unit enough times to last >= --min-round-ms (default
 * 20 ms, calibrated once per module, path and unit, which doubles as the
 * warm-up: on the pooled engine it leaves the slots holding the module);
 * the time of a unit is the median of --rounds rounds (default 20).
 * Sequentially on this thread, and then with one thread per core, each with
 * its own stores on the same modules, the threads starting every round
 * together: instances/s of the whole process is threads x units per round /
 * the median round's wall time.  CPU per unit is the process CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) over all rounds divided by the units they ran.
 * The paths alternate module by module (on-demand, then pooled, for inst
 * and then for +call), so that both see the same machine.
 *
 * The pooled engine's kiln_engine_pool_stats are read before and after each
 * module's pooled runs and printed per module and in all: warm (a slot that
 * last held the same module), cold (a slot set up anew), fallbacks
 * (allocated on demand).  When the pooled runs had a fallback or no warm
 * instantiation, the output says, loudly, that the pooled path was not
 * taken: its figures are then (partly) on-demand figures.
 *
 * When `node` is on PATH (and --no-node is not given), the same modules
 * are written to a temporary directory and run through V8 by
 * bench/instantiate_node.mjs (`new WebAssembly.Instance` in a loop, same
 * method, one thread) in the same run; the script's path is compiled in
 * (KILN_INSTANTIATE_NODE_MJS, the source tree's).  V8 frees instances
 * later, in its GC, so the ratio is context, not like-for-like.
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
#include "instantiate_lib.h"
#include "kiln.h"
#include "wasm.h"

#ifndef KILN_INSTANTIATE_NODE_MJS
#define KILN_INSTANTIATE_NODE_MJS "bench/instantiate_node.mjs"
#endif

#define MAX_MODULES 64
#define MAX_THREADS 256
/* Pool slots beyond one per thread. */
#define POOL_HEADROOM 2

/* How messages name the program: "instantiate", "kiln bench instantiate". */
static const char *prog_name = "instantiate";

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

enum { ON_DEMAND, POOLED, NPATHS };
static const char *const path_name[NPATHS] = {"on-demand", "pooled"};

/* The figures of one module, path and unit. */
typedef struct timing {
  double seq_us, seq_cpu_us, par_per_s, par_cpu_us; /* < 0: not measured */
  long reps;
} timing;

typedef struct module {
  const char *name;  /* row name */
  const char *path;  /* FILE, or NULL for a generated module */
  wasm_byte_vec_t bytes;
  kiln_module_info_t info;
  wasm_module_t *module[NPATHS]; /* on engines[p]; NULL: path not run */
  long nop;          /* export index of "nop", or -1 */
  int ok;
  timing t[NPATHS][2];       /* [path][0 inst, 1 +call] */
  kiln_pool_stats_t pool;    /* what this module's pooled runs did */
  double v8_us[2];   /* < 0: none */
} module;

static wasm_engine_t *engines[NPATHS];

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

/* One unit on path p; false (after reporting) if it failed. */
static bool unit(const module *m, int p, int call) {
  wasm_store_t *store = wasm_store_new(engines[p]);
  if (!store)
    return false;
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  wasm_instance_t *inst = wasm_instance_new(store, m->module[p], &imports, &trap);
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
    fprintf(stderr, "%s: %s (%s): %.*s\n", prog_name, m->name, path_name[p], (int)msg.size,
            msg.data);
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
  int path, call, rounds;
  long reps;
  pthread_barrier_t start, end;
  int failed;
} par;

static void *worker(void *arg) {
  par *p = arg;
  for (int r = 0; r < p->rounds; r++) {
    pthread_barrier_wait(&p->start);
    for (long k = 0; k < p->reps; k++)
      if (!unit(p->m, p->path, p->call)) {
        __atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
        break;
      }
    pthread_barrier_wait(&p->end);
  }
  return NULL;
}

/* Times module m on path `path`, unit `call`, sequentially then on
 * nthreads threads, into m->t[path][call]. */
static bool measure(module *m, int path, int call, int rounds, double min_round, int nthreads) {
  timing *out = &m->t[path][call];
  /* Calibrate (doubles as warm-up). */
  long reps = 1;
  for (;;) {
    double t0 = bench_now();
    for (long k = 0; k < reps; k++)
      if (!unit(m, path, call))
        return false;
    double dt = bench_now() - t0;
    if (dt >= min_round || reps >= (1L << 26))
      break;
    reps = dt > 0 ? (long)((double)reps * (min_round / dt) * 1.2) + 1 : reps * 10;
  }
  out->reps = reps;

  double t[BENCH_MAX_ROUNDS];
  double c0 = cpu_now();
  for (int r = 0; r < rounds; r++) {
    double t0 = bench_now();
    for (long k = 0; k < reps; k++)
      if (!unit(m, path, call))
        return false;
    t[r] = (bench_now() - t0) / (double)reps;
  }
  out->seq_cpu_us = (cpu_now() - c0) / ((double)rounds * (double)reps) * 1e6;
  out->seq_us = median(t, rounds) * 1e6;

  par p = {.m = m, .path = path, .call = call, .rounds = rounds, .reps = reps};
  pthread_barrier_init(&p.start, NULL, (unsigned)nthreads + 1);
  pthread_barrier_init(&p.end, NULL, (unsigned)nthreads + 1);
  pthread_t th[MAX_THREADS];
  int started = 0;
  for (; started < nthreads; started++)
    if (pthread_create(&th[started], NULL, worker, &p) != 0)
      break;
  if (started < nthreads) {
    /* Cannot happen in practice, and the threads started wait at the
     * barrier for the others: give up on the whole process. */
    fprintf(stderr, "%s: cannot start %d threads\n", prog_name, nthreads);
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
  out->par_per_s = units / median(t, rounds);
  out->par_cpu_us = cpu / (units * rounds) * 1e6;
  return true;
}

/* ------------------------------------------------------------------ pool */

/* The pooled engine's configuration: a slot per thread and some headroom,
 * as many memories and tables per slot as the modules have. */
static kiln_pooling_config_t pool_config(const module *mods, int nmods, int nthreads) {
  kiln_pooling_config_t pc = {.instance_slots = (uint32_t)nthreads + POOL_HEADROOM,
                              .memories_per_instance = 1,
                              .tables_per_instance = 1};
  for (int i = 0; i < nmods; i++) {
    if (!mods[i].ok)
      continue;
    if (mods[i].info.memories > pc.memories_per_instance)
      pc.memories_per_instance = mods[i].info.memories;
    if (mods[i].info.tables > pc.tables_per_instance)
      pc.tables_per_instance = mods[i].info.tables;
  }
  return pc;
}

static void pool_stats(kiln_pool_stats_t *s) {
  if (engines[POOLED])
    kiln_engine_pool_stats(engines[POOLED], s);
  else
    *s = (kiln_pool_stats_t){0};
}

/* *d = b - a, field by field (slots: b's). */
static void pool_delta(const kiln_pool_stats_t *a, const kiln_pool_stats_t *b,
                       kiln_pool_stats_t *d) {
  *d = (kiln_pool_stats_t){.slots = b->slots,
                           .slots_in_use = b->slots_in_use,
                           .warm = b->warm - a->warm,
                           .cold = b->cold - a->cold,
                           .fallbacks = b->fallbacks - a->fallbacks,
                           .refused = b->refused - a->refused};
}

/* Whether these pooled runs really took warm slots. */
static bool pool_taken(const kiln_pool_stats_t *s) {
  return s->fallbacks == 0 && s->warm > 0;
}

/* Writes why the pooled path was not taken (s: counters of the pooled
 * runs) into buf. */
static void pool_not_taken(const kiln_pool_stats_t *s, char *buf, size_t n) {
  snprintf(buf, n,
           "pooled path not taken: %llu fallbacks, %llu warm, %llu cold instantiations%s",
           (unsigned long long)s->fallbacks, (unsigned long long)s->warm,
           (unsigned long long)s->cold,
           s->slots == 0 ? " (the engine reports no pool: 0 slots)" : "");
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
    fprintf(stderr, "%s: mkdtemp: %s\n", prog_name, strerror(errno));
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
        fprintf(stderr, "%s: cannot write %s\n", prog_name, p.p);
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
      fprintf(stderr, "%s: node exited with status %d\n", prog_name, rc);
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

void kiln_bench_instantiate_usage(FILE *out, const char *name) {
  fprintf(out,
          "usage: %s [--rounds N] [--min-round-ms MS] [--path on-demand|pooled|both]\n"
          "       %*s [--tsv] [--no-node] [FILE...]\n"
          "\n"
          "Times one unit = store new + instantiate + store delete, and separately\n"
          "the same + calling an empty export, through the public API: the median\n"
          "of rounds, sequentially and with one thread per core (instances/s of\n"
          "all threads together, CPU time per unit across them).  Modules: empty,\n"
          "nop, memory (1 page), data64k (a 64 KiB active data segment), funcs1000,\n"
          "table1000 (1000 funcref entries filled by an active segment), all (all\n"
          "of these together), and each FILE (a module without imports, e.g.\n"
          "build/bench/fib.kernel.wasm).  Each module runs on an engine without a\n"
          "pool (on-demand) and on one made with kiln_config_set_pooling (pooled);\n"
          "the pool's statistics (warm, cold, fallbacks) follow, with a warning\n"
          "when the pooled runs did not take warm slots.  When node is on PATH,\n"
          "the same modules also run under V8, which defers freeing instances to\n"
          "its GC: that ratio is context, not like-for-like.\n"
          "\n"
          "  --rounds N          rounds per figure, the median is shown (default 20,\n"
          "                      at most %d)\n"
          "  --min-round-ms MS   each round repeats the unit for >= MS ms (default 20)\n"
          "  --path P            on-demand, pooled or both (default both)\n"
          "  --tsv               tab-separated output\n"
          "  --no-node           do not run V8, even when node is on PATH\n"
          "\n"
          "Nothing passes or fails on timing.  Exit status: 0 every unit ran,\n"
          "1 a module could not be read, compiled or instantiated, or no engine\n"
          "or compiler, 2 usage error.\n",
          name, (int)strlen(name), "", BENCH_MAX_ROUNDS);
}

static void usage(FILE *out) {
  kiln_bench_instantiate_usage(out, prog_name);
}

/* Takes "--path P" out of args[1..*argc-1] (bench_parse_opts_ex parses the
 * rest) and sets *paths, a bit (1 << path) per path to run.  Returns -1 to
 * go on, else 2 after a usage error. */
static int take_path_option(int *argc, char **args, unsigned *paths) {
  *paths = 1u << ON_DEMAND | 1u << POOLED;
  int n = 1;
  for (int i = 1; i < *argc; i++) {
    if (strcmp(args[i], "--path") != 0) {
      args[n++] = args[i];
      continue;
    }
    const char *v = i + 1 < *argc ? args[++i] : NULL;
    if (v && strcmp(v, "on-demand") == 0) {
      *paths = 1u << ON_DEMAND;
    } else if (v && strcmp(v, "pooled") == 0) {
      *paths = 1u << POOLED;
    } else if (v && strcmp(v, "both") == 0) {
      *paths = 1u << ON_DEMAND | 1u << POOLED;
    } else {
      fprintf(stderr, "%s: --path: %s\n", prog_name,
              v ? "expected on-demand, pooled or both" : "needs a value");
      usage(stderr);
      return 2;
    }
  }
  *argc = n;
  return -1;
}

static void print_cell(double v, const char *fmt, int width) {
  if (v < 0)
    printf("%*s", width, "-");
  else
    printf(fmt, width, v);
}

/* v formatted by fmt into buf, or "-" when v < 0 (not measured). */
static const char *figure(char *buf, size_t n, const char *fmt, double v) {
  if (v < 0)
    return "-";
  snprintf(buf, n, fmt, v);
  return buf;
}

/* Makes m->module[p] on engines[p] and, if `compile`, compiles it; false
 * after reporting. */
static bool module_make(module *m, int p, bool compile) {
  kiln_diagnostic_t diag;
  m->module[p] =
      kiln_module_new_ex(engines[p], (const uint8_t *)m->bytes.data, m->bytes.size, &diag);
  if (m->module[p] && (!compile || kiln_module_compile(m->module[p], &diag)))
    return true;
  char msg[512];
  kiln_diagnostic_format(&diag, msg, sizeof msg);
  fprintf(stderr, "%s: %s (%s engine): %s (not timed)\n", prog_name, m->name, path_name[p], msg);
  return false;
}

static const struct {
  const char *name;
  unsigned parts;
} generated[] = {
    {"empty", 0},
    {"nop", M_NOP},
    {"memory", M_NOP | M_MEMORY},
    {"data64k", M_NOP | M_DATA},
    {"funcs1000", M_NOP | M_FUNCS},
    {"table1000", M_NOP | M_TABLE},
    {"all", M_NOP | M_MEMORY | M_DATA | M_FUNCS | M_TABLE},
};
enum { NGEN = sizeof generated / sizeof generated[0] };

/* Fills m->bytes: the text of generated module i converted, or FILE; false
 * after reporting. */
static bool module_bytes(module *m, int i, const bench_opts *o) {
  if (i < NGEN) {
    m->name = generated[i].name;
    char *src = module_text(generated[i].parts);
    kiln_text_error_t terr;
    bool ok = kiln_wat2wasm(src, strlen(src), &m->bytes, &terr);
    free(src);
    if (!ok)
      fprintf(stderr, "%s: %s: the generated text does not convert\n", prog_name, m->name);
    return ok;
  }
  m->path = o->files[i - NGEN];
  const char *slash = strrchr(m->path, '/');
  m->name = slash ? slash + 1 : m->path;
  size_t size = 0;
  uint8_t *b = bench_read_file(m->path, &size);
  if (!b) {
    fprintf(stderr, "%s: cannot read %s: %s\n", prog_name, m->path, strerror(errno));
    return false;
  }
  wasm_byte_vec_new(&m->bytes, size, (const wasm_byte_t *)b);
  free(b);
  return true;
}

/* Why V8 is not run, or NULL to run it. */
static const char *v8_skipped(const bench_opts *o) {
  static char why[4096 + 128];
  if (o->flag)
    return "--no-node";
  if (!on_path("node"))
    return "node is not on PATH";
  if (access(KILN_INSTANTIATE_NODE_MJS, R_OK) != 0) {
    snprintf(why, sizeof why,
             "cannot read its script %s (%s): the source tree this program was built from "
             "is not there",
             KILN_INSTANTIATE_NODE_MJS, strerror(errno));
    return why;
  }
  return NULL;
}

static void print_header(const bench_opts *o, const kiln_compiler_info_t *ci, int nthreads,
                         unsigned paths, const kiln_pooling_config_t *pc) {
  if (o->tsv) {
    printf("module\tbytes\tpath\tunit\tseq_us\tseq_per_s\tpar_per_s\tseq_cpu_us\tpar_cpu_us\t"
           "threads\treps\n");
    return;
  }
  printf("Kiln %s: store new + instantiate + store delete, through the public API\n",
         kiln_version());
  printf("median of %d rounds of >= %.0f ms; parallel: %d threads (one per core), "
         "each its own stores; compiler %s (LLVM %s, %s)\n",
         o->rounds, o->min_round * 1e3, nthreads, ci->path, ci->llvm_version, ci->host_cpu);
  printf("paths: ");
  if (paths & 1u << ON_DEMAND)
    printf("on-demand = an engine without a pool%s", paths & 1u << POOLED ? "; " : "");
  if (paths & 1u << POOLED)
    printf("pooled = kiln_config_set_pooling, %u instance slots (threads + %d) of %u "
           "memory and %u table slot(s) each",
           pc->instance_slots, POOL_HEADROOM, pc->memories_per_instance,
           pc->tables_per_instance);
  printf("\ninst = new store, instantiate, delete; +call = also call the empty export "
         "\"nop\"\n\n");
  printf("%-18s %9s %-9s | %9s %11s %11s %9s | %9s %11s %11s %9s\n", "", "", "", "inst", "",
         "", "", "+call", "", "", "");
  printf("%-18s %9s %-9s | %9s %11s %11s %9s | %9s %11s %11s %9s\n", "module", "bytes", "path",
         "us/unit", "seq inst/s", "par inst/s", "par cpu", "us/unit", "seq inst/s",
         "par inst/s", "par cpu");
}

static void print_rows(const module *m, unsigned paths, const bench_opts *o, int nthreads) {
  for (int p = 0; p < NPATHS; p++) {
    if (!(paths & 1u << p))
      continue;
    const timing *t = m->t[p];
    if (o->tsv) {
      for (int c = 0; c < 2; c++)
        if (t[c].seq_us >= 0)
          printf("%s\t%zu\t%s\t%s\t%.4f\t%.0f\t%.0f\t%.4f\t%.4f\t%d\t%ld\n", m->name,
                 m->bytes.size, path_name[p], c ? "call" : "inst", t[c].seq_us,
                 1e6 / t[c].seq_us, t[c].par_per_s, t[c].seq_cpu_us, t[c].par_cpu_us, nthreads,
                 t[c].reps);
      continue;
    }
    printf("%-18.18s %9zu %-9s |", m->name, m->bytes.size, path_name[p]);
    for (int c = 0; c < 2; c++) {
      print_cell(t[c].seq_us, " %*.3f", 9);
      print_cell(t[c].seq_us >= 0 ? 1e6 / t[c].seq_us : -1, " %*.0f", 11);
      print_cell(t[c].par_per_s, " %*.0f", 11);
      print_cell(t[c].par_cpu_us, " %*.3f", 9);
      printf(c ? "\n" : " |");
    }
  }
}

/* The pool's counters per module and in all; returns whether every pooled
 * run took warm slots without a fallback. */
static bool print_pool(const module *mods, int nmods, const bench_opts *o) {
  kiln_pool_stats_t all;
  pool_stats(&all);
  bool taken = true;
  if (o->tsv)
    printf("module\tpool_warm\tpool_cold\tpool_fallbacks\tpool_refused\tpool_slots\n");
  else
    printf("\npool: kiln_engine_pool_stats of the pooled engine over each module's pooled "
           "runs\n%-18s %12s %12s %12s\n",
           "module", "warm", "cold", "fallbacks");
  for (int i = 0; i < nmods; i++) {
    const module *m = &mods[i];
    if (!m->ok)
      continue;
    const kiln_pool_stats_t *s = &m->pool;
    bool ok = pool_taken(s);
    taken = taken && ok;
    if (o->tsv)
      printf("%s\t%llu\t%llu\t%llu\t%llu\t%llu\n", m->name, (unsigned long long)s->warm,
             (unsigned long long)s->cold, (unsigned long long)s->fallbacks,
             (unsigned long long)s->refused, (unsigned long long)s->slots);
    else
      printf("%-18.18s %12llu %12llu %12llu%s\n", m->name, (unsigned long long)s->warm,
             (unsigned long long)s->cold, (unsigned long long)s->fallbacks,
             ok ? "" : "  <- not warm");
  }
  if (!o->tsv)
    printf("all runs (checks included): %llu slots, warm %llu, cold %llu, fallbacks %llu, "
           "refused %llu\n",
           (unsigned long long)all.slots, (unsigned long long)all.warm,
           (unsigned long long)all.cold, (unsigned long long)all.fallbacks,
           (unsigned long long)all.refused);
  if (!taken || !pool_taken(&all)) {
    char why[256];
    pool_not_taken(&all, why, sizeof why);
    fprintf(o->tsv ? stderr : stdout,
            "%sWARNING: %s: the \"pooled\" figures are (partly) on-demand figures\n",
            o->tsv ? "" : "\n", why);
  }
  return taken && pool_taken(&all);
}

static void print_v8(const module *mods, int nmods, unsigned paths, const bench_opts *o,
                     const char *version) {
  if (!o->tsv) {
    printf("\nV8 (%s), same modules, same method, one thread: new WebAssembly.Instance "
           "in a loop\n",
           version ? version : "version unknown");
    printf("NOTE: V8 defers freeing instances to its GC, so this ratio is context, not "
           "like-for-like.\n");
    printf("%-18s %-9s | %10s %10s %8s | %10s %10s %8s\n", "module", "path", "V8 us", "Kiln us",
           "Kiln/V8", "V8 +call", "Kiln +call", "Kiln/V8");
  } else {
    printf("module\tv8_inst_us\tv8_call_us\n");
  }
  for (int i = 0; i < nmods; i++) {
    const module *m = &mods[i];
    if (!m->ok || m->v8_us[0] < 0)
      continue;
    if (o->tsv) {
      printf("%s\t%.4f\t%.4f\n", m->name, m->v8_us[0], m->v8_us[1]);
      continue;
    }
    for (int p = 0; p < NPATHS; p++) {
      if (!(paths & 1u << p))
        continue;
      printf("%-18.18s %-9s |", m->name, path_name[p]);
      for (int c = 0; c < 2; c++) {
        double v8 = m->v8_us[c], k = m->t[p][c].seq_us;
        print_cell(v8, " %*.3f", 10);
        print_cell(k, " %*.3f", 10);
        print_cell(v8 > 0 && k >= 0 ? k / v8 : -1, " %*.2f", 8);
        printf(c ? "\n" : " |");
      }
    }
  }
}

/* The closing line: the figures issue 5's targets are about. */
static void print_summary(const module *mods, int nthreads, unsigned paths, bool pool_ok,
                          int status) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const module *e = &mods[0], *a = &mods[NGEN - 1];
  char b[4][32];
  printf("\ninstantiate: empty %s us on demand, %s pooled (pooled target <= 0.3); "
         "all %s us on demand (target <= 15), %s pooled (target <= 3); ",
         figure(b[0], sizeof b[0], "%.3f", e->t[ON_DEMAND][0].seq_us),
         figure(b[1], sizeof b[1], "%.3f", e->t[POOLED][0].seq_us),
         figure(b[2], sizeof b[2], "%.3f", a->t[ON_DEMAND][0].seq_us),
         figure(b[3], sizeof b[3], "%.3f", a->t[POOLED][0].seq_us));
  printf("%d threads: all %s/s on demand, %s/s pooled; ", nthreads,
         figure(b[0], sizeof b[0], "%.0f", a->t[ON_DEMAND][0].par_per_s),
         figure(b[1], sizeof b[1], "%.0f", a->t[POOLED][0].par_per_s));
  if (paths & 1u << POOLED) {
    kiln_pool_stats_t all;
    pool_stats(&all);
    printf("pool: warm %llu, cold %llu, fallbacks %llu%s; ", (unsigned long long)all.warm,
           (unsigned long long)all.cold, (unsigned long long)all.fallbacks,
           pool_ok ? "" : " (POOLED PATH NOT TAKEN)");
  }
  printf("max RSS %.1f MB; %s\n", (double)ru.ru_maxrss / 1024.0,
         status ? "SOME MODULES FAILED" : "all units ran");
}

static void *no_op(void *arg) {
  return arg;
}

static int run(const bench_opts *o, unsigned paths) {
  /* glibc takes faster, lock-free paths (malloc's among them) while a
   * process has never had a second thread; the first parallel run ends
   * that for good.  One thread, started and joined before anything is
   * timed, puts every figure in the same state: without it the first
   * module's first path was measured single-threaded (empty: ~0.2 us
   * against ~0.3 us after). */
  pthread_t th;
  if (pthread_create(&th, NULL, no_op, NULL) == 0)
    pthread_join(th, NULL);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nthreads = ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : (int)ncpu;
  int nmods = NGEN + o->nfiles;
  if (nmods > MAX_MODULES) {
    fprintf(stderr, "%s: at most %d files\n", prog_name, MAX_MODULES - NGEN);
    return 2;
  }

  /* The on-demand engine also reads every module (kiln_module_get_info)
   * to size the pool, and names the compiler. */
  engines[ON_DEMAND] = wasm_engine_new();
  if (!engines[ON_DEMAND]) {
    fprintf(stderr, "%s: cannot create an engine\n", prog_name);
    return 1;
  }
  static kiln_compiler_info_t ci; /* large: not on the stack */
  if (!kiln_compiler_info(engines[ON_DEMAND], &ci)) {
    fprintf(stderr, "%s: the compiler is unavailable: %s\n", prog_name, ci.error);
    wasm_engine_delete(engines[ON_DEMAND]);
    engines[ON_DEMAND] = NULL;
    return 1;
  }

  static module mods[MAX_MODULES];
  memset(mods, 0, sizeof mods);
  int status = 0;
  for (int i = 0; i < nmods; i++) {
    module *m = &mods[i];
    for (int p = 0; p < NPATHS; p++)
      for (int c = 0; c < 2; c++)
        m->t[p][c] = (timing){-1, -1, -1, -1, 0};
    m->v8_us[0] = m->v8_us[1] = -1;
    if (!module_bytes(m, i, o) ||
        !module_make(m, ON_DEMAND, (paths & 1u << ON_DEMAND) != 0)) {
      status = 1;
      continue;
    }
    kiln_module_get_info(m->module[ON_DEMAND], &m->info);
    if (m->info.imports) {
      fprintf(stderr, "%s: %s: has %u imports (not timed)\n", prog_name, m->name, m->info.imports);
      continue;
    }
    m->nop = find_nop(m->module[ON_DEMAND]);
    m->ok = 1;
  }

  kiln_pooling_config_t pc = pool_config(mods, nmods, nthreads);
  if (paths & 1u << POOLED) {
    wasm_config_t *cfg = wasm_config_new();
    if (cfg)
      kiln_config_set_pooling(cfg, &pc);
    engines[POOLED] = cfg ? wasm_engine_new_with_config(cfg) : NULL;
    if (!engines[POOLED]) {
      fprintf(stderr, "%s: cannot create the pooled engine\n", prog_name);
      status = 1;
      goto done;
    }
    for (int i = 0; i < nmods; i++)
      if (mods[i].ok && !module_make(&mods[i], POOLED, true)) {
        mods[i].ok = 0;
        status = 1;
      }
  }
  /* One instantiation per path as a check, before anything is timed. */
  for (int i = 0; i < nmods; i++)
    for (int p = 0; p < NPATHS; p++)
      if (mods[i].ok && paths & 1u << p && !unit(&mods[i], p, 0)) {
        mods[i].ok = 0;
        status = 1;
      }

  print_header(o, &ci, nthreads, paths, &pc);
  fflush(stdout);
  for (int i = 0; i < nmods; i++) {
    module *m = &mods[i];
    if (!m->ok)
      continue;
    kiln_pool_stats_t before, after;
    pool_stats(&before);
    for (int c = 0; c < 2 && m->ok; c++) {
      if (c == 1 && m->nop < 0)
        continue;
      for (int p = 0; p < NPATHS && m->ok; p++)
        if (paths & 1u << p && !measure(m, p, c, o->rounds, o->min_round, nthreads)) {
          fprintf(stderr, "%s: %s (%s): a unit failed\n", prog_name, m->name, path_name[p]);
          status = 1;
          m->ok = 0;
        }
    }
    pool_stats(&after);
    pool_delta(&before, &after, &m->pool);
    print_rows(m, paths, o, nthreads);
    fflush(stdout);
  }
  if (!o->tsv)
    printf("(seq inst/s = 1 / us per unit; par inst/s = all %d threads together; par cpu = "
           "process CPU us per unit across the threads)\n",
           nthreads);
  bool pool_ok = !(paths & 1u << POOLED) || print_pool(mods, nmods, o);

  const char *skip = v8_skipped(o);
  if (!skip) {
    char *version = run_node(mods, nmods, o->rounds, o->min_round);
    print_v8(mods, nmods, paths, o, version);
    free(version);
  } else if (!o->tsv) {
    printf("\n(V8 not run: %s)\n", skip);
  }
  if (!o->tsv)
    print_summary(mods, nthreads, paths, pool_ok, status);

done:
  for (int i = 0; i < nmods; i++) {
    for (int p = 0; p < NPATHS; p++)
      if (mods[i].module[p])
        wasm_module_delete(mods[i].module[p]);
    wasm_byte_vec_delete(&mods[i].bytes);
  }
  for (int p = 0; p < NPATHS; p++) {
    if (engines[p])
      wasm_engine_delete(engines[p]);
    engines[p] = NULL;
  }
  return status;
}

int kiln_bench_instantiate_main(const char *name, int argc, char **argv) {
  prog_name = name;
  /* A copy of argv that --path is taken out of, naming the program. */
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (!args)
    return 2;
  for (int i = 1; i < argc; i++)
    args[i] = argv[i];
  args[0] = (char *)name;
  if (argc < 1)
    argc = 1;
  unsigned paths;
  bench_opts o = {0};
  int rc = take_path_option(&argc, args, &paths);
  if (rc < 0)
    rc = bench_parse_opts_ex(argc, args, "--no-node", 0, &o, usage);
  if (rc < 0)
    rc = run(&o, paths);
  free(o.files);
  free(args);
  return rc;
}
