/* vm/cache.h — the module cache directory (docs/cache.md): entries named by
 * their key, written atomically, bounded in size with least-recently-used
 * eviction.
 *
 * An entry is one file, <dir>/<64 hex digits of the key>.kiln, holding an
 * artifact (vm/artifact.h).  It is written to a temporary file in the same
 * directory (.tmp-<pid>-<n>), flushed and renamed over the name, so a
 * reader sees either no entry or a whole one, whoever else is writing.  A
 * hit sets the entry's modification time to now; eviction removes the
 * oldest.  Every failure (missing or read-only directory, full disk) is a
 * miss or a skipped write, counted and described in the stats, never an
 * error of the caller.
 */
#ifndef KILN_VM_CACHE_H
#define KILN_VM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "kiln.h"

typedef struct vm_cache vm_cache;

/* A cache on dir (NULL: the default directory), bounded by limit bytes (0:
 * the default).  NULL when out of memory or no default directory exists. */
vm_cache *vm_cache_new(const char *dir, uint64_t limit);
void vm_cache_free(vm_cache *c);

/* The entry of key: its bytes in *data (free() them), or false (a miss). */
bool vm_cache_get(vm_cache *c, const uint8_t key[VM_HASH_BYTES], uint8_t **data, size_t *size);
/* Writes the entry of key, then evicts if the directory is past its bound. */
void vm_cache_put(vm_cache *c, const uint8_t key[VM_HASH_BYTES], const uint8_t *data, size_t size);
/* Counts an entry found unusable (why: the message) and removes it. */
void vm_cache_reject(vm_cache *c, const uint8_t key[VM_HASH_BYTES], const char *why);
/* Counts a hit or a miss of module creation. */
void vm_cache_count(vm_cache *c, bool hit);

void vm_cache_stats(const vm_cache *c, kiln_cache_stats_t *out);

/* For tests: every later write fails with ENOSPC once `bytes` bytes of it
 * are written (UINT64_MAX: no fault). */
void vm_cache_fault_after(vm_cache *c, uint64_t bytes);

#endif
