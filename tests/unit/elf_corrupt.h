/* tests/unit/elf_corrupt.h — corrupting ELF relocatable objects for the
 * tests of code that reads them (vm/code.c's loader, jit/link.c's merge):
 * a deterministic random source, the byte ranges such code interprets, and
 * a corruption of a few bytes, mostly inside those ranges.  Header-only:
 * each test includes it once. */
#ifndef KILN_TESTS_ELF_CORRUPT_H
#define KILN_TESTS_ELF_CORRUPT_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* xorshift64*: deterministic. */
static inline uint64_t elf_rnd(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1dull;
}

typedef struct elf_range {
  size_t off, len;
} elf_range;

/* The byte ranges of a well-formed object that readers interpret: the ELF
 * header, the section headers, and the symbol, string and relocation
 * tables.  Returns how many (at most max). */
static inline size_t elf_meta_ranges(const uint8_t *obj, elf_range *out, size_t max) {
  Elf64_Ehdr eh;
  memcpy(&eh, obj, sizeof eh);
  size_t k = 0;
  out[k++] = (elf_range){0, sizeof eh};
  out[k++] = (elf_range){eh.e_shoff, (size_t)eh.e_shnum * sizeof(Elf64_Shdr)};
  for (unsigned i = 0; i < eh.e_shnum && k < max; i++) {
    Elf64_Shdr sh;
    memcpy(&sh, obj + eh.e_shoff + (size_t)i * sizeof sh, sizeof sh);
    if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_STRTAB || sh.sh_type == SHT_RELA)
      out[k++] = (elf_range){sh.sh_offset, sh.sh_size};
  }
  return k;
}

/* Corrupts 1 to 4 bytes of the n-byte m: anywhere when variant % 4 == 0,
 * else inside the ranges; each a bit flip, a random byte, 0 or 0xff. */
static inline void elf_corrupt(uint8_t *m, size_t n, const elf_range *ranges, size_t nr,
                               uint64_t *seed, int variant) {
  int flips = 1 + (int)(elf_rnd(seed) % 4);
  for (int f = 0; f < flips; f++) {
    size_t at;
    if (variant % 4 == 0) {
      at = elf_rnd(seed) % n;
    } else {
      const elf_range *r = &ranges[elf_rnd(seed) % nr];
      at = r->off + (r->len ? elf_rnd(seed) % r->len : 0);
      if (at >= n)
        at = n - 1;
    }
    uint64_t x = elf_rnd(seed);
    switch (x % 4) {
    case 0: m[at] ^= (uint8_t)(1u << ((x >> 8) % 8)); break;
    case 1: m[at] = (uint8_t)(x >> 16); break;
    case 2: m[at] = 0; break;
    default: m[at] = 0xff; break;
    }
  }
}

#endif
