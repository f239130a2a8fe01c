/* vm/artifact.c — building and opening compiled-module artifacts (the
 * format is described in artifact.h and docs/cache.md).
 *
 * The payload, before compression, is three length-prefixed parts (u64
 * little-endian lengths): the saved description, the fold (one byte per
 * defined global, one per table, then elems and datas), the object.
 */
#include "artifact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "frontend/serial.h"

_Static_assert(sizeof(vm_artifact_header) == 288, "the artifact header has no padding");

/* zstd's level 3 (its default) compresses objects about 3x at a speed
 * that costs little next to compiling; decompression speed does not
 * depend on the level. */
enum { ZSTD_LEVEL = 3 };

void vm_artifact_key(const uint8_t *wasm, size_t size, const vm_compile_opts *opts,
                     uint8_t key[VM_HASH_BYTES]) {
  const vm_identity *id = vm_identity_get();
  uint8_t wasm_hash[VM_HASH_BYTES];
  vm_hash(wasm_hash, wasm, size);
  uint32_t o[3] = {opts->opt_level, opts->threads, opts->part_bytes};
  vm_hasher h;
  vm_hash_init(&h);
  vm_hash_update(&h, "kiln module cache key 1", 23);
  vm_hash_update(&h, wasm_hash, sizeof wasm_hash);
  vm_hash_update(&h, &id->build_id_len, sizeof id->build_id_len);
  vm_hash_update(&h, id->build_id, id->build_id_len);
  vm_hash_update(&h, id->llvm_version, sizeof id->llvm_version);
  vm_hash_update(&h, id->triple, sizeof id->triple);
  vm_hash_update(&h, id->cpu, sizeof id->cpu);
  vm_hash_update(&h, o, sizeof o);
  vm_hash_final(&h, key);
}

static size_t fold_size(const fe_module *m) {
  return (size_t)(m->nglobals - m->nglobal_imports) + m->ntables + 2;
}

static void fold_write(const fe_module *m, const vm_fold *f, uint8_t *p) {
  size_t ng = m->nglobals - m->nglobal_imports;
  memcpy(p, f->globals, ng);
  memcpy(p + ng, f->tables, m->ntables);
  p[ng + m->ntables] = f->elems;
  p[ng + m->ntables + 1] = f->datas;
}

bool vm_artifact_fold_matches(const vm_artifact *a, const fe_module *m, const vm_fold *f) {
  size_t n = fold_size(m);
  if (a->fold_len != n)
    return false;
  uint8_t *mine = malloc(n);
  if (!mine)
    return false;
  fold_write(m, f, mine);
  bool same = memcmp(mine, a->fold, n) == 0;
  free(mine);
  return same;
}

static void checksum(const vm_artifact_header *h, const uint8_t *payload,
                     uint8_t out[VM_HASH_BYTES]) {
  vm_artifact_header copy = *h;
  memset(copy.checksum, 0, sizeof copy.checksum);
  vm_hasher s;
  vm_hash_init(&s);
  vm_hash_update(&s, &copy, sizeof copy);
  vm_hash_update(&s, payload, h->payload_size);
  vm_hash_final(&s, out);
}

bool vm_artifact_build(const fe_module *m, const vm_fold *fold, const uint8_t *obj, size_t objlen,
                       const vm_compile_opts *opts, const uint8_t key[VM_HASH_BYTES],
                       uint8_t **out, size_t *size, char *err, size_t errlen) {
  uint8_t *desc = NULL, *raw = NULL, *art = NULL;
  size_t desc_len;
  if (!fe_module_save(m, &desc, &desc_len))
    goto nomem;
  size_t fold_len = fold_size(m);
  uint64_t raw_size = 24 + (uint64_t)desc_len + fold_len + objlen;
  raw = malloc(raw_size);
  if (!raw)
    goto nomem;
  uint8_t *p = raw;
  uint64_t len = desc_len;
  memcpy(p, &len, 8);
  memcpy(p + 8, desc, desc_len);
  p += 8 + desc_len;
  len = fold_len;
  memcpy(p, &len, 8);
  fold_write(m, fold, p + 8);
  p += 8 + fold_len;
  len = objlen;
  memcpy(p, &len, 8);
  memcpy(p + 8, obj, objlen);
  free(desc);
  desc = NULL;

  size_t bound = ZSTD_compressBound(raw_size);
  art = malloc(sizeof(vm_artifact_header) + bound);
  if (!art)
    goto nomem;
  size_t z = ZSTD_compress(art + sizeof(vm_artifact_header), bound, raw, raw_size, ZSTD_LEVEL);
  free(raw);
  raw = NULL;
  if (ZSTD_isError(z)) {
    snprintf(err, errlen, "compressing the compiled module: %s", ZSTD_getErrorName(z));
    free(art);
    return false;
  }
  const vm_identity *id = vm_identity_get();
  vm_artifact_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, VM_ARTIFACT_MAGIC, 8);
  h.format = VM_ARTIFACT_FORMAT;
  h.header_size = sizeof h;
  memcpy(h.key, key, VM_HASH_BYTES);
  memcpy(h.build_id, id->build_id, sizeof h.build_id);
  h.build_id_len = id->build_id_len;
  h.opt_level = opts->opt_level;
  h.threads = opts->threads;
  h.part_bytes = opts->part_bytes;
  memcpy(h.llvm_version, id->llvm_version, sizeof h.llvm_version);
  memcpy(h.triple, id->triple, sizeof h.triple);
  memcpy(h.cpu, id->cpu, sizeof h.cpu);
  memcpy(h.cpu_brand, id->cpu_brand, sizeof h.cpu_brand);
  h.payload_size = z;
  h.raw_size = raw_size;
  checksum(&h, art + sizeof h, h.checksum);
  memcpy(art, &h, sizeof h);
  *out = art;
  *size = sizeof h + z;
  return true;
nomem:
  free(desc);
  free(raw);
  free(art);
  snprintf(err, errlen, "out of memory serializing the compiled module");
  return false;
}

/* Compares what the artifact's code depends on with this process; the
 * first difference is named in err. */
static bool identity_matches(const vm_artifact_header *h, const vm_compile_opts *opts, char *err,
                             size_t errlen) {
  const vm_identity *id = vm_identity_get();
  if (h->build_id_len != id->build_id_len ||
      memcmp(h->build_id, id->build_id, h->build_id_len) != 0 || id->build_id_len == 0) {
    char have[2 * VM_BUILD_ID_MAX + 1], want[2 * VM_BUILD_ID_MAX + 1];
    vm_hex(have, h->build_id, h->build_id_len <= VM_BUILD_ID_MAX ? h->build_id_len : 0);
    vm_hex(want, id->build_id, id->build_id_len);
    snprintf(err, errlen, "compiled by another build of Kiln (build id %s; this one is %s)",
             have, id->build_id_len ? want : "unknown");
    return false;
  }
  if (strncmp(h->llvm_version, id->llvm_version, sizeof h->llvm_version) != 0) {
    snprintf(err, errlen, "compiled with LLVM %.16s; this Kiln uses LLVM %s", h->llvm_version,
             id->llvm_version);
    return false;
  }
  if (strncmp(h->triple, id->triple, sizeof h->triple) != 0) {
    snprintf(err, errlen, "compiled for target %.48s; this machine is %s", h->triple,
             id->triple);
    return false;
  }
  if (memcmp(h->cpu, id->cpu, sizeof h->cpu) != 0) {
    snprintf(err, errlen,
             "compiled for another CPU feature set (%.48s); this CPU (%s) differs", h->cpu_brand,
             id->cpu_brand);
    return false;
  }
  if (h->opt_level != opts->opt_level || h->threads != opts->threads ||
      h->part_bytes != opts->part_bytes) {
    snprintf(err, errlen,
             "compiled with other options (opt level %u, %u compile threads, partition %u "
             "bytes; this engine: %u, %u, %u; 0 threads: one per core, 0 bytes: the default)",
             h->opt_level, h->threads, h->part_bytes, opts->opt_level, opts->threads,
             opts->part_bytes);
    return false;
  }
  return true;
}

bool vm_artifact_open(fe_typereg *reg, const uint8_t *bytes, size_t size, const uint8_t *key,
                      const vm_compile_opts *opts, vm_artifact *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  vm_artifact_header h;
  if (size < 8 || memcmp(bytes, VM_ARTIFACT_MAGIC, 8) != 0) {
    snprintf(err, errlen, "not a Kiln compiled module (%s)",
             size < 8 ? "too short" : "no KILNMOD magic");
    return false;
  }
  if (size < sizeof h) {
    snprintf(err, errlen, "truncated or damaged: %zu bytes, shorter than the %zu-byte header",
             size, sizeof h);
    return false;
  }
  memcpy(&h, bytes, sizeof h);
  if (h.format != VM_ARTIFACT_FORMAT) {
    snprintf(err, errlen, "compiled-module format %u%s; this Kiln reads format %u", h.format,
             h.format > VM_ARTIFACT_FORMAT ? " (newer)" : "", VM_ARTIFACT_FORMAT);
    return false;
  }
  if (h.header_size != sizeof h || h.payload_size != size - sizeof h) {
    snprintf(err, errlen, "truncated or damaged: %zu bytes, the header says %llu",
             size, (unsigned long long)sizeof h + (unsigned long long)h.payload_size);
    return false;
  }
  uint8_t sum[VM_HASH_BYTES];
  checksum(&h, bytes + sizeof h, sum);
  if (memcmp(sum, h.checksum, sizeof sum) != 0) {
    snprintf(err, errlen, "damaged: checksum mismatch");
    return false;
  }
  if (key && memcmp(key, h.key, VM_HASH_BYTES) != 0) {
    snprintf(err, errlen, "an entry for another key");
    return false;
  }
  if (!identity_matches(&h, opts, err, errlen))
    return false;

  /* The payload: sizes are checked before anything is allocated or read. */
  unsigned long long frame = ZSTD_getFrameContentSize(bytes + sizeof h, h.payload_size);
  if (frame != h.raw_size || h.raw_size < 24 || h.raw_size > SIZE_MAX) {
    snprintf(err, errlen, "damaged: payload size");
    return false;
  }
  out->raw = malloc(h.raw_size);
  if (!out->raw) {
    snprintf(err, errlen, "out of memory (%llu bytes)", (unsigned long long)h.raw_size);
    return false;
  }
  size_t got = ZSTD_decompress(out->raw, h.raw_size, bytes + sizeof h, h.payload_size);
  if (ZSTD_isError(got) || got != h.raw_size) {
    snprintf(err, errlen, "damaged: %s",
             ZSTD_isError(got) ? ZSTD_getErrorName(got) : "payload size");
    goto fail;
  }
  const uint8_t *parts[3];
  size_t lens[3];
  const uint8_t *p = out->raw, *end = out->raw + h.raw_size;
  for (int i = 0; i < 3; i++) {
    uint64_t len;
    if (end - p < 8 || (memcpy(&len, p, 8), len > (uint64_t)(end - p - 8))) {
      snprintf(err, errlen, "damaged: payload part %d", i);
      goto fail;
    }
    parts[i] = p + 8;
    lens[i] = len;
    p += 8 + len;
  }
  if (p != end) {
    snprintf(err, errlen, "damaged: bytes after the payload");
    goto fail;
  }
  fe_error fe_err;
  out->fe = fe_module_load(reg, parts[0], lens[0], &fe_err);
  if (!out->fe) {
    char line[320];
    fe_error_format(&fe_err, line, sizeof line);
    snprintf(err, errlen, "bad module description: %s", line);
    goto fail;
  }
  out->fold = parts[1];
  out->fold_len = lens[1];
  out->obj = parts[2];
  out->obj_len = lens[2];
  return true;
fail:
  vm_artifact_close(out);
  return false;
}

void vm_artifact_close(vm_artifact *a) {
  fe_module_free(a->fe);
  free(a->raw);
  memset(a, 0, sizeof *a);
}
