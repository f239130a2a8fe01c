/* vm/cache.c — the module cache directory (cache.h; docs/cache.md).
 *
 * Reads and writes whole files with plain system calls.  Eviction runs
 * after a write: it lists the directory, and if the entries' total size is
 * past the bound it removes the least recently used (oldest modification
 * time: hits refresh it) until the total is at 90% of the bound.  Other
 * processes may evict, write or read the same directory at once: a name
 * that vanishes is skipped, and a rename is atomic.  Temporary files older
 * than an hour (a writer that died) are removed by the same scan.
 */
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LIMIT ((uint64_t)1 << 30)
#define ENTRY_SUFFIX ".kiln"
#define TMP_PREFIX ".tmp-"
/* An entry file's name: 64 hex digits and the suffix. */
#define ENTRY_NAME_LEN (2 * VM_HASH_BYTES + sizeof ENTRY_SUFFIX - 1)

struct vm_cache {
  char dir[4096];
  uint64_t limit;
  atomic_uint_least64_t hits, misses, rejected, writes, write_failures, evictions;
  atomic_uint_least64_t fault_after; /* tests: ENOSPC after this many bytes */
  pthread_mutex_t error_lock;
  char error[256];
};

bool kiln_cache_default_dir(char *buf, size_t size) {
  const char *env = getenv("KILN_CACHE_DIR");
  int n;
  if (env && env[0]) {
    n = snprintf(buf, size, "%s", env);
  } else if ((env = getenv("XDG_CACHE_HOME")) && env[0] == '/') {
    n = snprintf(buf, size, "%s/kiln", env);
  } else {
    const char *home = getenv("HOME");
    if (!home || !home[0]) {
      struct passwd *pw = getpwuid(getuid());
      home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !home[0])
      return false;
    n = snprintf(buf, size, "%s/.cache/kiln", home);
  }
  return n > 0 && (size_t)n < size;
}

static const char *dir_or_default(const char *dir, char *buf, size_t size) {
  if (dir)
    return dir;
  return kiln_cache_default_dir(buf, size) ? buf : NULL;
}

vm_cache *vm_cache_new(const char *dir, uint64_t limit) {
  vm_cache *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  char buf[sizeof c->dir];
  const char *d = dir_or_default(dir, buf, sizeof buf);
  if (!d || strlen(d) >= sizeof c->dir - ENTRY_NAME_LEN - 2) {
    free(c);
    return NULL;
  }
  snprintf(c->dir, sizeof c->dir, "%s", d);
  c->limit = limit ? limit : DEFAULT_LIMIT;
  atomic_init(&c->fault_after, UINT64_MAX);
  pthread_mutex_init(&c->error_lock, NULL);
  return c;
}

void vm_cache_free(vm_cache *c) {
  if (!c)
    return;
  pthread_mutex_destroy(&c->error_lock);
  free(c);
}

/* Keeps the last failure for the stats.  Messages name entries by their
 * file name; the directory is in the stats already. */
static void note_error(vm_cache *c, const char *what, const char *file, const char *why) {
  pthread_mutex_lock(&c->error_lock);
  snprintf(c->error, sizeof c->error, "%.16s %.72s: %.160s", what, file, why);
  pthread_mutex_unlock(&c->error_lock);
}

static void entry_path(const vm_cache *c, const uint8_t key[VM_HASH_BYTES], char *out,
                       size_t size) {
  char hex[2 * VM_HASH_BYTES + 1];
  vm_hex(hex, key, VM_HASH_BYTES);
  snprintf(out, size, "%s/%s" ENTRY_SUFFIX, c->dir, hex);
}

void vm_cache_count(vm_cache *c, bool hit) {
  atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
}

/* Reads all of fd (size bytes by fstat) into a new buffer. */
static bool read_all(int fd, uint8_t **data, size_t *size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      (uint64_t)st.st_size > SIZE_MAX / 2)
    return false;
  size_t n = (size_t)st.st_size, got = 0;
  uint8_t *p = malloc(n ? n : 1); /* an empty entry is read, and rejected */
  if (!p)
    return false;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  if (got != n) {
    free(p);
    return false;
  }
  *data = p;
  *size = n;
  return true;
}

/* Without a build id of its own this program could not tell its entries
 * from another build's: nothing is cached (identity.h), rather than every
 * entry written and then rejected (and removed) by the next lookup. */
static bool have_build_id(vm_cache *c) {
  if (vm_identity_get()->build_id_len)
    return true;
  note_error(c, "no", "caching", "this program has no GNU build id (link with --build-id)");
  return false;
}

bool vm_cache_get(vm_cache *c, const uint8_t key[VM_HASH_BYTES], uint8_t **data, size_t *size) {
  if (!have_build_id(c))
    return false;
  char path[sizeof c->dir + ENTRY_NAME_LEN + 2];
  entry_path(c, key, path, sizeof path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT)
      note_error(c, "reading", strrchr(path, '/') + 1, strerror(errno));
    return false;
  }
  bool ok = read_all(fd, data, size);
  if (ok)
    (void)futimens(fd, NULL); /* most recently used (fails on a read-only
                                 directory's files: then LRU is by write) */
  close(fd);
  return ok;
}

void vm_cache_reject(vm_cache *c, const uint8_t key[VM_HASH_BYTES], const char *why) {
  atomic_fetch_add_explicit(&c->rejected, 1, memory_order_relaxed);
  char path[sizeof c->dir + ENTRY_NAME_LEN + 2];
  entry_path(c, key, path, sizeof path);
  note_error(c, "unusable entry", strrchr(path, '/') + 1, why);
  (void)unlink(path); /* a new one is written after the recompile */
}

/* mkdir -p, the last component with mode 0700 (entries are code). */
static bool make_dirs(const char *dir) {
  char p[4096];
  snprintf(p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
      return false;
    *s = '/';
  }
  return mkdir(p, 0700) == 0 || errno == EEXIST;
}

/* Writes all of data, or fails (errno set); the fault hook stops it with
 * ENOSPC as a full disk would. */
static bool write_all(vm_cache *c, int fd, const uint8_t *data, size_t size) {
  uint64_t fault = atomic_load_explicit(&c->fault_after, memory_order_relaxed);
  size_t done = 0;
  while (done < size) {
    size_t want = size - done;
    if (fault != UINT64_MAX) {
      if (done >= fault) {
        errno = ENOSPC;
        return false;
      }
      if (want > fault - done)
        want = (size_t)(fault - done);
    }
    ssize_t w = write(fd, data + done, want);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (w == 0)
        errno = EIO;
      return false;
    }
    done += (size_t)w;
  }
  return true;
}

static void evict(vm_cache *c);

/* Temporary file names are unique in the process (two engines may share a
 * directory) and, with the pid, across processes. */
static atomic_uint tmp_serial;

void vm_cache_put(vm_cache *c, const uint8_t key[VM_HASH_BYTES], const uint8_t *data,
                  size_t size) {
  if (!have_build_id(c)) {
    atomic_fetch_add_explicit(&c->write_failures, 1, memory_order_relaxed);
    return;
  }
  char path[sizeof c->dir + ENTRY_NAME_LEN + 2], tmp[sizeof c->dir + 64];
  entry_path(c, key, path, sizeof path);
  /* The serial is process-wide, so names are unique among this process's
   * writers; but a writer that died may have left the name of a pid this
   * process now has (in a container, every run can be the same pid).  A
   * name taken is skipped. */
  int fd = -1;
  bool made_dirs = false;
  for (int tries = 0; tries < 64; tries++) {
    snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%ld-%u", c->dir, (long)getpid(),
             atomic_fetch_add_explicit(&tmp_serial, 1, memory_order_relaxed));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT && !made_dirs && make_dirs(c->dir)) {
      made_dirs = true;
      fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd >= 0 || errno != EEXIST)
      break;
  }
  if (fd < 0) {
    note_error(c, "writing", strrchr(tmp, '/') + 1, strerror(errno));
    atomic_fetch_add_explicit(&c->write_failures, 1, memory_order_relaxed);
    return;
  }
  /* not synced: an entry a crash leaves damaged fails its checksum */
  bool ok = write_all(c, fd, data, size);
  int err = ok ? 0 : errno;
  if (close(fd) != 0 && ok) { /* (the reason is close's, not a stale errno) */
    ok = false;
    err = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    (void)unlink(tmp);
    note_error(c, "writing", strrchr(path, '/') + 1, strerror(err));
    atomic_fetch_add_explicit(&c->write_failures, 1, memory_order_relaxed);
    return;
  }
  atomic_fetch_add_explicit(&c->writes, 1, memory_order_relaxed);
  evict(c);
}

/* ---- listing: usage, eviction, clearing -------------------------------- */

typedef struct entry {
  char name[ENTRY_NAME_LEN + 1];
  uint64_t size;
  struct timespec mtime;
} entry;

static bool is_entry_name(const char *name) {
  size_t n = strlen(name);
  if (n != ENTRY_NAME_LEN || strcmp(name + 2 * VM_HASH_BYTES, ENTRY_SUFFIX) != 0)
    return false;
  for (size_t i = 0; i < 2 * VM_HASH_BYTES; i++)
    if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
      return false;
  return true;
}

/* Exactly the names vm_cache_put makes, .tmp-<pid>-<serial>: the directory
 * may be shared (KILN_CACHE_DIR=/tmp), and another program's .tmp-* files
 * are not the cache's to remove. */
static bool is_tmp_name(const char *name) {
  if (strncmp(name, TMP_PREFIX, sizeof TMP_PREFIX - 1) != 0)
    return false;
  const char *p = name + sizeof TMP_PREFIX - 1;
  for (int part = 0; part < 2; part++) {
    const char *digits = p;
    while (*p >= '0' && *p <= '9')
      p++;
    if (p == digits || *p != (part == 0 ? '-' : '\0'))
      return false;
    p++;
  }
  return true;
}

/* Lists the entries of dir into *out (malloc'ed; *n of them).  Temporary
 * files are removed when older than max_tmp_age seconds (-1: never).  A
 * missing directory has no entries.  False with errno set when it cannot
 * be read. */
static bool list_entries(const char *dir, long max_tmp_age, entry **out, size_t *n,
                         uint64_t *removed_tmp) {
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT;
  size_t cap = 0;
  struct dirent *de;
  time_t now = time(NULL);
  while ((de = readdir(d))) {
    bool tmp = is_tmp_name(de->d_name);
    if (!tmp && !is_entry_name(de->d_name))
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (tmp) {
      if (max_tmp_age >= 0 && now - st.st_mtime >= max_tmp_age &&
          unlinkat(dirfd(d), de->d_name, 0) == 0 && removed_tmp)
        ++*removed_tmp;
      continue;
    }
    if (*n == cap) {
      size_t ncap = cap ? 2 * cap : 64;
      entry *e = realloc(*out, ncap * sizeof *e);
      if (!e) {
        closedir(d);
        free(*out);
        *out = NULL;
        errno = ENOMEM;
        return false;
      }
      *out = e;
      cap = ncap;
    }
    entry *e = &(*out)[(*n)++];
    snprintf(e->name, sizeof e->name, "%s", de->d_name);
    e->size = (uint64_t)st.st_size;
    e->mtime = st.st_mtim;
  }
  closedir(d);
  return true;
}

static int by_age(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec)
    return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
  if (x->mtime.tv_nsec != y->mtime.tv_nsec)
    return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void evict(vm_cache *c) {
  entry *es;
  size_t n;
  if (!list_entries(c->dir, 3600, &es, &n, NULL))
    return;
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += es[i].size;
  if (total > c->limit) {
    qsort(es, n, sizeof *es, by_age);
    uint64_t target = c->limit / 10 * 9;
    char path[sizeof c->dir + ENTRY_NAME_LEN + 2];
    for (size_t i = 0; i < n && total > target; i++) {
      snprintf(path, sizeof path, "%s/%s", c->dir, es[i].name);
      if (unlink(path) == 0)
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
      total -= es[i].size; /* gone either way: another process evicted it */
    }
  }
  free(es);
}

void vm_cache_stats(const vm_cache *c, kiln_cache_stats_t *out) {
  memset(out, 0, sizeof *out);
  if (!c)
    return;
  out->hits = atomic_load(&c->hits);
  out->misses = atomic_load(&c->misses);
  out->rejected = atomic_load(&c->rejected);
  out->writes = atomic_load(&c->writes);
  out->write_failures = atomic_load(&c->write_failures);
  out->evictions = atomic_load(&c->evictions);
  snprintf(out->dir, sizeof out->dir, "%s", c->dir);
  pthread_mutex_lock((pthread_mutex_t *)&c->error_lock);
  snprintf(out->error, sizeof out->error, "%s", c->error);
  pthread_mutex_unlock((pthread_mutex_t *)&c->error_lock);
}

void vm_cache_fault_after(vm_cache *c, uint64_t bytes) {
  atomic_store(&c->fault_after, bytes);
}

/* ---- the public directory functions ------------------------------------ */

/* Resolves dir (NULL: the default, into buf) and lists its entries, as
 * list_entries; false with a message in err. */
static bool list_dir(const char *dir, long max_tmp_age, char buf[4096], const char **d,
                     entry **es, size_t *n, uint64_t *removed_tmp, char *err, size_t errlen) {
  *d = dir_or_default(dir, buf, 4096);
  if (!*d) {
    snprintf(err, errlen, "no cache directory: set KILN_CACHE_DIR, XDG_CACHE_HOME or HOME");
    return false;
  }
  if (!list_entries(*d, max_tmp_age, es, n, removed_tmp)) {
    snprintf(err, errlen, "reading %s: %s", *d, strerror(errno));
    return false;
  }
  return true;
}

bool kiln_cache_usage(const char *dir, uint64_t *entries, uint64_t *bytes, char *err,
                      size_t errlen) {
  char buf[4096];
  const char *d;
  entry *es;
  size_t n;
  *entries = *bytes = 0;
  if (!list_dir(dir, -1, buf, &d, &es, &n, NULL, err, errlen))
    return false;
  for (size_t i = 0; i < n; i++)
    *bytes += es[i].size;
  *entries = n;
  free(es);
  return true;
}

bool kiln_cache_clear(const char *dir, uint64_t *removed, char *err, size_t errlen) {
  char buf[4096];
  const char *d;
  entry *es;
  size_t n;
  uint64_t count = 0;
  if (removed)
    *removed = 0;
  /* temporary files of any age: a writer that has one open loses its
   * write, as with a full disk */
  if (!list_dir(dir, 0, buf, &d, &es, &n, &count, err, errlen))
    return false;
  bool ok = true;
  char path[sizeof buf + ENTRY_NAME_LEN + 2];
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", d, es[i].name);
    if (unlink(path) == 0)
      count++;
    else if (errno != ENOENT && ok) {
      snprintf(err, errlen, "removing %s: %s", path, strerror(errno));
      ok = false;
    }
  }
  free(es);
  if (removed)
    *removed = count;
  return ok;
}
