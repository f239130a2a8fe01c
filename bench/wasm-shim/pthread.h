/* bench/wasm-shim/pthread.h — stands in for <pthread.h> when the front end
 * is compiled to wasm32-wasi as a benchmark input (bench/meson.build).
 * wasm32-wasi (without the threads proposal) is single-threaded, so the type
 * registry's mutex can be a no-op.  Never used by the native build. */
#ifndef KILN_BENCH_WASM_SHIM_PTHREAD_H
#define KILN_BENCH_WASM_SHIM_PTHREAD_H

typedef struct pthread_mutex_t {
  int unused;
} pthread_mutex_t;
typedef struct pthread_mutexattr_t {
  int unused;
} pthread_mutexattr_t;

#define PTHREAD_MUTEX_INITIALIZER {0}

static inline int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
  (void)m;
  (void)a;
  return 0;
}
static inline int pthread_mutex_destroy(pthread_mutex_t *m) {
  (void)m;
  return 0;
}
static inline int pthread_mutex_lock(pthread_mutex_t *m) {
  (void)m;
  return 0;
}
static inline int pthread_mutex_unlock(pthread_mutex_t *m) {
  (void)m;
  return 0;
}

#endif
