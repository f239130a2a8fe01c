/* jit/link.h — merging relocatable objects into one (jit/link.c).
 *
 * No LLVM type appears here, and link.c includes no LLVM header: the unit
 * tests compile link.c on its own (tests/unit/test_link.c).
 */
#ifndef KILN_JIT_LINK_H
#define KILN_JIT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit/jit.h"

/* Merges the n >= 1 ELF64 x86-64 relocatable objects in[] into one
 * relocatable object, as `ld -r` would for what jit/ emits: every input
 * section becomes a section of its own, one symbol table holds all symbols,
 * and a global defined by one input and undefined in others becomes one
 * defined symbol.  Undefined symbols whose names start with `own_prefix`
 * are an error after the merge (NULL or "": no such check): jit/ passes
 * "kiln_", since every kiln_* symbol is defined by some partition.
 *
 * The inputs are read, never modified; they may come from anywhere (every
 * field is checked).  On success *out holds a malloc'ed object; on failure
 * returns false with a message in err naming the input and the field. */
__attribute__((warn_unused_result)) bool jit_link(const jit_object *in, uint32_t n,
                                                  const char *own_prefix, jit_object *out,
                                                  char *err, size_t errlen);

#endif
