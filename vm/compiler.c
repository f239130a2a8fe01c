/* vm/compiler.c — finding and loading the compiler object.
 *
 * libkiln does not link LLVM (DESIGN.md): linking libLLVM costs 13-14 ms at
 * every process start, and a cache hit or a validation needs no compiler.
 * The compiler is a shared object, libkiln-jit.so, loaded with dlopen the
 * first time something needs it; it exports one entry point returning an
 * interface table (jit/jit.h).
 *
 * Where it is looked for, in order:
 *   1. next to libkiln: the directory of the object that holds this code
 *      (libkiln.so, or the executable when libkiln is linked statically),
 *      as the dynamic loader found it and, if different, with symbolic links
 *      resolved; in each, "libkiln-jit.so", "kiln-jit.so", then the same in
 *      its "jit/" subdirectory (the build tree's layout);
 *   2. $KILN_JIT_PATH: the object itself, or a directory holding it.
 * The first file that exists and loads wins; a file that exists but fails to
 * load is reported rather than silently skipped when nothing else loads.
 *
 * Loading happens once per process (pthread_once) and its outcome, success
 * or failure, is kept: the dynamic loader is process-wide anyway, and a
 * missing compiler does not appear while the process runs.  The object is
 * never unloaded: LLVM keeps global state that does not survive dlclose.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "vm.h"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const jit_interface *loaded;  /* set once, by vm_compiler_search */
static char loaded_path[PATH_MAX];
static char load_error[2 * PATH_MAX]; /* why nothing was loaded */

/* The names the object may have in a directory: meson names a module
 * "lib<name>.so"; the bare name is accepted for hand-made installs. */
static const char *const jit_names[] = {
    "libkiln-jit.so", "kiln-jit.so", "jit/libkiln-jit.so", "jit/kiln-jit.so",
};

/* What the search has seen, for the error message. */
typedef struct vm_search {
  char dirs[PATH_MAX + 64]; /* the directories looked in, comma-separated */
  char failure[PATH_MAX + 512]; /* the first object that existed but failed */
} vm_search;

static void vm_note_failure(vm_search *s, const char *path, const char *why) {
  if (!s->failure[0])
    snprintf(s->failure, sizeof s->failure, "cannot load %s: %s", path, why);
}

/* Loads one candidate.  A missing file is not an error (the search goes
 * on); a file that exists and cannot be used is noted, because it is almost
 * certainly the compiler the user meant (e.g. libLLVM-19.so is missing). */
static bool vm_try_object(vm_search *s, const char *path) {
  if (access(path, F_OK) != 0) return false;
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    vm_note_failure(s, path, why ? why : "dlopen failed");
    return false;
  }
  void *sym = dlsym(handle, JIT_ENTRY_SYMBOL);
  if (!sym) {
    vm_note_failure(s, path, "not a Kiln compiler (no " JIT_ENTRY_SYMBOL ")");
    dlclose(handle);
    return false;
  }
  /* POSIX guarantees a data pointer from dlsym converts to a function
   * pointer; memcpy says so without a cast ISO C frowns on. */
  jit_entry_fn entry;
  memcpy(&entry, &sym, sizeof entry);
  const jit_interface *jit = entry();
  if (!jit || jit->version != JIT_INTERFACE_VERSION) {
    char why[128];
    snprintf(why, sizeof why,
             "compiler interface version %u.%u, this libkiln needs %u.%u (table.vmctx)",
             jit ? jit->version >> 16 : 0u, jit ? jit->version & 0xffff : 0u,
             JIT_TABLE_VERSION, KILN_VMCTX_ABI);
    vm_note_failure(s, path, why);
    dlclose(handle); /* only its entry point ran: it returns a static table */
    return false;
  }
  /* The code it makes goes into the module cache under libkiln's build id,
   * which covers the compiler of its own build only (vm/identity.h). */
  char why[256];
  if (!vm_identity_check_jit(sym, why, sizeof why)) {
    vm_note_failure(s, path, why);
    dlclose(handle);
    return false;
  }
  loaded = jit;
  snprintf(loaded_path, sizeof loaded_path, "%s", path);
  return true;
}

/* Tries every name of jit_names in `dir`. */
static bool vm_try_dir(vm_search *s, const char *dir) {
  size_t used = strlen(s->dirs);
  snprintf(s->dirs + used, sizeof s->dirs - used, "%s%s", used ? ", " : "",
           dir);
  char path[PATH_MAX];
  for (size_t i = 0; i < sizeof jit_names / sizeof jit_names[0]; i++) {
    int n = snprintf(path, sizeof path, "%s/%s", dir, jit_names[i]);
    if (n < 0 || (size_t)n >= sizeof path) continue;
    if (vm_try_object(s, path)) return true;
  }
  return false;
}

/* Writes the directory part of `file` into dir ("/" for a file at the root,
 * "." for a bare name). */
static void vm_dirname(const char *file, char *dir, size_t size) {
  const char *slash = strrchr(file, '/');
  if (!slash)
    snprintf(dir, size, ".");
  else if (slash == file)
    snprintf(dir, size, "/");
  else
    snprintf(dir, size, "%.*s", (int)(slash - file), file);
}

/* Looks next to the object that contains libkiln's code.  dladdr names it as
 * the loader found it; for the main program glibc reports argv[0], which
 * may be a bare name found through $PATH, so /proc/self/exe is used then. */
static bool vm_try_beside_libkiln(vm_search *s) {
  Dl_info info;
  if (!dladdr((const void *)&load_once, &info) || !info.dli_fname ||
      !info.dli_fname[0])
    return false;
  char exe[PATH_MAX];
  const char *file = info.dli_fname;
  if (!strchr(file, '/')) {
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = 0;
    file = exe;
  }
  char dir[PATH_MAX], real_dir[PATH_MAX];
  vm_dirname(file, dir, sizeof dir);
  /* Normalized ("build/cli/.." from an $ORIGIN rpath becomes "build"), but
   * the file's own symbolic link is left alone here. */
  char *norm = realpath(dir, NULL);
  if (norm) {
    snprintf(dir, sizeof dir, "%s", norm);
    free(norm);
  }
  if (vm_try_dir(s, dir)) return true;
  char *real = realpath(file, NULL);
  if (!real) return false;
  vm_dirname(real, real_dir, sizeof real_dir);
  free(real);
  if (strcmp(real_dir, dir) == 0) return false;
  return vm_try_dir(s, real_dir);
}

/* $KILN_JIT_PATH names the object, or a directory holding it. */
static bool vm_try_env(vm_search *s) {
  const char *env = getenv("KILN_JIT_PATH");
  if (!env || !env[0]) return false;
  struct stat st;
  if (stat(env, &st) == 0 && S_ISDIR(st.st_mode)) return vm_try_dir(s, env);
  if (vm_try_object(s, env)) return true;
  if (!s->failure[0])
    snprintf(s->failure, sizeof s->failure,
             "compiler not found: KILN_JIT_PATH=%s does not exist", env);
  return false;
}

/* Runs once per process, under pthread_once. */
static void vm_compiler_search(void) {
  static vm_search s; /* large: not on the caller's stack */
  if (vm_try_beside_libkiln(&s) || vm_try_env(&s)) return;
  if (s.failure[0])
    snprintf(load_error, sizeof load_error, "%s", s.failure);
  else
    snprintf(load_error, sizeof load_error,
             "compiler not found: looked for libkiln-jit.so in %s and in "
             "jit/ below each; set KILN_JIT_PATH to the compiler object or "
             "its directory",
             s.dirs[0] ? s.dirs : "the directory of libkiln (unknown)");
}

const jit_interface *vm_compiler_load(const char **why) {
  pthread_once(&load_once, vm_compiler_search);
  if (!loaded && why) *why = load_error;
  return loaded;
}

/* Copies src into dst[size], cutting it if it does not fit. */
static void vm_copy_str(char *dst, size_t size, const char *src) {
  size_t n = strnlen(src, size - 1);
  memcpy(dst, src, n);
  dst[n] = 0;
}

/* Reports the compiler the engine would use.  The engine does not matter
 * yet (the compiler is process-wide); it will once compiler options are
 * part of the configuration. */
bool kiln_compiler_info(wasm_engine_t *engine, kiln_compiler_info_t *info) {
  memset(info, 0, sizeof *info);
  const char *why = "";
  const jit_interface *jit = vm_compiler_load(&why);
  if (!jit) {
    vm_copy_str(info->error, sizeof info->error, why);
    return false;
  }
  jit_host_info host;
  memset(&host, 0, sizeof host);
  jit->host_info(&host);
  vm_copy_str(info->path, sizeof info->path, loaded_path);
  vm_copy_str(info->llvm_version, sizeof info->llvm_version,
              host.llvm_version);
  vm_copy_str(info->host_triple, sizeof info->host_triple, host.triple);
  vm_copy_str(info->host_cpu, sizeof info->host_cpu, host.cpu);
  vm_copy_str(info->host_features, sizeof info->host_features, host.features);
  info->available = true;
  return true;
}
