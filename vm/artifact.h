/* vm/artifact.h — a compiled module as bytes: the module cache's entries,
 * `kiln compile` artifacts and wasm_module_serialize all use this one
 * format (docs/cache.md "Format").
 *
 *   header   (vm_artifact_header, uncompressed, fixed size): magic, format
 *            version, the cache key, what the code depends on (libkiln's
 *            build id, LLVM version, triple, CPU fingerprint and brand,
 *            code-changing options), payload sizes, and a BLAKE2b checksum
 *            of the header and the payload;
 *   payload  zstd-compressed: the module description (frontend/serial.h),
 *            the fold the code was compiled with (vmctx.h vm_fold), and the
 *            relocatable object (jit.h) — everything instantiation needs,
 *            so loading neither decodes, validates nor compiles.
 *
 * Opening checks, in order: size, magic, format version (a newer one is
 * named as such), checksum, then the identity: for a cache entry the key
 * must match (anything else is a miss); for an explicit artifact each part
 * is compared and the first that differs is named in the error.
 */
#ifndef KILN_VM_ARTIFACT_H
#define KILN_VM_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/module.h"
#include "identity.h"
#include "kiln.h"
#include "instance.h"

#define VM_ARTIFACT_MAGIC KILN_SERIALIZED_MAGIC
#define VM_ARTIFACT_FORMAT 1u

typedef struct vm_artifact_header {
  char magic[8];          /* VM_ARTIFACT_MAGIC */
  uint32_t format;        /* VM_ARTIFACT_FORMAT */
  uint32_t header_size;   /* sizeof (vm_artifact_header) */
  uint8_t key[VM_HASH_BYTES];
  uint8_t build_id[VM_BUILD_ID_MAX];
  uint32_t build_id_len;
  uint32_t opt_level, threads, part_bytes; /* vm_compile_opts */
  char llvm_version[16];
  char triple[48];
  uint8_t cpu[VM_HASH_BYTES];
  char cpu_brand[48];     /* not NUL-terminated when full */
  uint64_t payload_size;  /* compressed bytes after the header */
  uint64_t raw_size;      /* the payload decompressed */
  uint8_t checksum[VM_HASH_BYTES]; /* of the header (this field zero) and payload */
} vm_artifact_header;

/* The cache key of a module's bytes compiled with opts in this process
 * (docs/cache.md "Key"). */
void vm_artifact_key(const uint8_t *wasm, size_t size, const vm_compile_opts *opts,
                     uint8_t key[VM_HASH_BYTES]);

/* Makes the artifact of a module just compiled: its description m (decoded,
 * not loaded), the fold and the object.  False with a message when out of
 * memory or compression fails. */
bool vm_artifact_build(const fe_module *m, const vm_fold *fold, const uint8_t *obj, size_t objlen,
                       const vm_compile_opts *opts, const uint8_t key[VM_HASH_BYTES],
                       uint8_t **out, size_t *size, char *err, size_t errlen);

/* An artifact opened: its description loaded (types interned), and the
 * payload's fold and object, pointing into `raw`. */
typedef struct vm_artifact {
  fe_module *fe;
  uint8_t *raw; /* the decompressed payload (free with vm_artifact_close) */
  const uint8_t *fold;
  size_t fold_len;
  const uint8_t *obj;
  size_t obj_len;
} vm_artifact;

/* Opens bytes[0 .. size) for an engine compiling with opts.  key: a cache
 * entry's expected key, or NULL for an explicit artifact.  False with a
 * message naming what is wrong. */
bool vm_artifact_open(fe_typereg *reg, const uint8_t *bytes, size_t size, const uint8_t *key,
                      const vm_compile_opts *opts, vm_artifact *out, char *err, size_t errlen);
/* Frees what open made, except out->fe when the caller took it (set it
 * to NULL then). */
void vm_artifact_close(vm_artifact *a);

/* Whether the fold `f` of module m is the one saved in the artifact. */
bool vm_artifact_fold_matches(const vm_artifact *a, const fe_module *m, const vm_fold *f);

#endif
