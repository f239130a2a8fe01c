/* vm/identity.h — what compiled code depends on besides the module: this
 * build of Kiln, the LLVM it compiles with, the target and the CPU; and the
 * hash every cache key and checksum is made with (docs/cache.md "Key").
 *
 * All of it is known without loading LLVM or the compiler object, so that a
 * cache hit needs neither (DESIGN.md "The runtime does not need LLVM"):
 *   build id  libkiln's GNU build id (the object holding this code: libkiln.so,
 *             or the program it is linked into).  libkiln embeds the build
 *             id of the compiler object built with it (meson/jit_id.py), so
 *             its own changes with the compiler's, and it refuses to load a
 *             compiler object of another build (vm_identity_check_jit).
 *   LLVM      the version and default triple of the LLVM the compiler object
 *             was built against (from llvm-config, at build time).
 *   CPU       a fingerprint of everything LLVM's host detection reads on
 *             x86-64 (vendor, family and model, the cpuid feature leaves,
 *             the OS-enabled register state of XCR0), and the CPU's brand
 *             string for messages.
 * The hash is BLAKE2b-256 from libsodium.
 */
#ifndef KILN_VM_IDENTITY_H
#define KILN_VM_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_HASH_BYTES 32
#define VM_BUILD_ID_MAX 32

typedef struct vm_identity {
  uint8_t build_id[VM_BUILD_ID_MAX];
  uint32_t build_id_len; /* 0: this object has no build id (then nothing is cached) */
  char llvm_version[16];
  char triple[48];
  uint8_t cpu[VM_HASH_BYTES]; /* fingerprint */
  char cpu_brand[49];
} vm_identity;

/* This process's identity, computed on the first call (thread-safe). */
const vm_identity *vm_identity_get(void);

/* Whether the loaded compiler object that defines `sym` is the one built
 * with this libkiln; if not, why (into why[size]). */
bool vm_identity_check_jit(const void *sym, char *why, size_t size);

/* Hex of n bytes into out (2n + 1 bytes). */
void vm_hex(char *out, const uint8_t *p, size_t n);

/* BLAKE2b-256, incrementally. */
typedef struct vm_hasher {
  _Alignas(64) unsigned char state[512];
} vm_hasher;
void vm_hash_init(vm_hasher *h);
void vm_hash_update(vm_hasher *h, const void *p, size_t n);
void vm_hash_final(vm_hasher *h, uint8_t out[VM_HASH_BYTES]);
void vm_hash(uint8_t out[VM_HASH_BYTES], const void *p, size_t n);

#endif
