/* tests/unit/test_link.c — the merge of relocatable objects (jit/link.c),
 * which makes one object of a module's partitions.
 *
 * Real objects: link_a.c and link_b.c, which call each other and use each
 * other's variables, built by the build's C compiler and by clang-14
 * (tests/unit/meson.build).  Their merge must load with vm_code_load and
 * compute what the two sources say, hold one symbol per global name, and
 * drop what the merge does not remap (.llvm_addrsig).  Then the errors: a
 * duplicate definition, an undefined symbol with the caller's own prefix,
 * every truncation of an input, a few thousand byte flips and targeted
 * corruptions, each an error message naming the input, never a crash (the
 * test runs under ASan and UBSan in ./dev test; inputs are copied into
 * buffers of their exact size so that an over-read is caught).
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elf_corrupt.h"

#include "jit/link.h"
#include "link_fixtures.h" /* generated: LINK_FIXTURES */
#include "vm/code.h"

/* SHT_LLVM_ADDRSIG, which <elf.h> may not name. */
#define ADDRSIG 0x6fff4c03u

typedef struct fixture {
  const char *compiler, *a, *b;
} fixture;

static const fixture fixtures[] = {LINK_FIXTURES};
#define NFIXTURES (sizeof fixtures / sizeof fixtures[0])

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static jit_object read_object(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s (is it built?)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  assert_true(n > 0);
  jit_object o = {malloc((size_t)n), (size_t)n};
  assert_non_null(o.bytes);
  assert_int_equal(fread(o.bytes, 1, o.size, f), o.size);
  fclose(f);
  return o;
}

/* A copy of the first n bytes in a buffer of exactly n bytes. */
static jit_object copy_prefix(jit_object o, size_t n) {
  jit_object c = {malloc(n ? n : 1), n};
  assert_non_null(c.bytes);
  memcpy(c.bytes, o.bytes, n);
  return c;
}

static Elf64_Ehdr ehdr(const jit_object *o) {
  Elf64_Ehdr eh;
  memcpy(&eh, o->bytes, sizeof eh);
  return eh;
}

static Elf64_Shdr shdr(const jit_object *o, uint32_t i) {
  Elf64_Ehdr eh = ehdr(o);
  Elf64_Shdr sh;
  memcpy(&sh, o->bytes + eh.e_shoff + (uint64_t)i * sizeof sh, sizeof sh);
  return sh;
}

/* The index of the first section of type t, 0 if none. */
static uint32_t find_section(const jit_object *o, uint32_t t) {
  Elf64_Ehdr eh = ehdr(o);
  for (uint32_t i = 1; i < eh.e_shnum; i++)
    if (shdr(o, i).sh_type == t)
      return i;
  return 0;
}

static Elf64_Sym symbol(const jit_object *o, uint32_t symtab, uint32_t i) {
  Elf64_Shdr sh = shdr(o, symtab);
  Elf64_Sym s;
  memcpy(&s, o->bytes + sh.sh_offset + (uint64_t)i * sizeof s, sizeof s);
  return s;
}

static const char *sym_name(const jit_object *o, uint32_t symtab, const Elf64_Sym *s) {
  return (const char *)o->bytes + shdr(o, shdr(o, symtab).sh_link).sh_offset + s->st_name;
}

/* The offset in the object of symbol i's st_shndx (for corruptions). */
static size_t shndx_offset(const jit_object *o, uint32_t i) {
  return shdr(o, find_section(o, SHT_SYMTAB)).sh_offset + i * sizeof(Elf64_Sym) +
         offsetof(Elf64_Sym, st_shndx);
}

static jit_object link_ok(const jit_object *in, uint32_t n, const char *prefix) {
  jit_object out;
  char err[256];
  if (!jit_link(in, n, prefix, &out, err, sizeof err))
    fail_msg("jit_link: %s", err);
  return out;
}

/* Links, expecting an error whose message contains `want`. */
static void link_fails(const jit_object *in, uint32_t n, const char *prefix, const char *want) {
  jit_object out = {(uint8_t *)1, 1};
  char err[256];
  assert_false(jit_link(in, n, prefix, &out, err, sizeof err));
  assert_null(out.bytes);
  if (!strstr(err, want))
    fail_msg("error '%s' does not contain '%s'", err, want);
}

static void free_objects(jit_object *o, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(o[i].bytes);
}

/* ------------------------------------------------------------------------
 * Merging real objects
 * ---------------------------------------------------------------------- */

/* The merged object's shape: locals first (sh_info), each global name once,
 * relocation sections linked to the symbol table, no address-significance
 * table, and at least `code_min` code sections (one per input).  Returns
 * the number of undefined globals of the fixtures' own (la_*, lb_*; gcc
 * also leaves _GLOBAL_OFFSET_TABLE_ undefined). */
static uint32_t check_shape(const jit_object *o, uint32_t code_min) {
  uint32_t symtab = find_section(o, SHT_SYMTAB);
  assert_true(symtab != 0);
  assert_int_equal(find_section(o, ADDRSIG), 0);
  Elf64_Shdr st = shdr(o, symtab);
  uint32_t n = (uint32_t)(st.sh_size / sizeof(Elf64_Sym)), undefined = 0;
  for (uint32_t i = 1; i < n; i++) {
    Elf64_Sym s = symbol(o, symtab, i);
    assert_int_equal(ELF64_ST_BIND(s.st_info) == STB_LOCAL, i < st.sh_info);
    if (i < st.sh_info)
      continue;
    undefined += s.st_shndx == SHN_UNDEF && !strncmp(sym_name(o, symtab, &s), "l", 1);
    for (uint32_t j = st.sh_info; j < i; j++) {
      Elf64_Sym t = symbol(o, symtab, j);
      if (!strcmp(sym_name(o, symtab, &s), sym_name(o, symtab, &t)))
        fail_msg("global '%s' appears twice", sym_name(o, symtab, &s));
    }
  }
  Elf64_Ehdr eh = ehdr(o);
  uint32_t code = 0;
  for (uint32_t i = 1; i < eh.e_shnum; i++) {
    Elf64_Shdr sh = shdr(o, i);
    code += sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR);
    if (sh.sh_type == SHT_RELA) {
      assert_int_equal(sh.sh_link, symtab);
      assert_true(sh.sh_info > 0 && sh.sh_info < eh.e_shnum);
    }
  }
  assert_true(code >= code_min);
  return undefined;
}

typedef int (*fn_i)(int);
typedef int (*fn_v)(void);

/* Loads a merged object and calls into it: la_entry crosses to link_b.c
 * and back; pick is link_b.c's strong definition, not link_a.c's weak
 * one. */
static void run_merged(const jit_object *o) {
  char err[256];
  vm_code *c = vm_code_load(o->bytes, o->size, NULL, NULL, err, sizeof err);
  if (!c)
    fail_msg("vm_code_load of the merged object: %s", err);
  void *p = vm_code_symbol(c, "la_entry"), *q = vm_code_symbol(c, "pick");
  assert_non_null(p);
  assert_non_null(q);
  fn_i entry;
  fn_v pick;
  memcpy(&entry, &p, sizeof p);
  memcpy(&pick, &q, sizeof q);
  assert_int_equal(entry(5), 2043);
  assert_int_equal(entry(5), 2044); /* la_counter is one variable */
  assert_int_equal(pick(), 2);
  vm_code_free(c);
}

static void test_merge(void **state) {
  (void)state;
  for (size_t f = 0; f < NFIXTURES; f++) {
    jit_object ab[2] = {read_object(fixtures[f].a), read_object(fixtures[f].b)};
    jit_object ba[2] = {ab[1], ab[0]};
    if (!strcmp(fixtures[f].compiler, "clang"))
      assert_true(find_section(&ab[0], ADDRSIG) != 0); /* so its drop is tested */
    for (int order = 0; order < 2; order++) {
      jit_object out = link_ok(order ? ba : ab, 2, "l");
      assert_int_equal(check_shape(&out, 2), 0);
      run_merged(&out);
      free(out.bytes);
    }
    free_objects(ab, 2);
  }
}

/* One input alone: its references to the other stay undefined, once each;
 * with the other's prefix as the caller's own, that is an error. */
static void test_single(void **state) {
  (void)state;
  jit_object a = read_object(fixtures[0].a);
  jit_object out = link_ok(&a, 1, NULL);
  assert_int_equal(check_shape(&out, 1), 2); /* lb_twice, lb_bias */
  free(out.bytes);
  link_fails(&a, 1, "lb_", "defined by no object");
  link_fails(&a, 1, "lb_", "object 0");
  free(a.bytes);
}

/* Two strong definitions of one name, in inputs 0 and 2. */
static void test_duplicate(void **state) {
  (void)state;
  jit_object in[3] = {read_object(fixtures[0].a), read_object(fixtures[0].b),
                      read_object(fixtures[0].a)};
  link_fails(in, 3, NULL, "defined twice: in object 0 and in object 2");
  link_fails(in, 3, NULL, "'la_");
  free_objects(in, 3);
}

/* ------------------------------------------------------------------------
 * Corrupt inputs
 * ---------------------------------------------------------------------- */

/* Every prefix of link_a.c's object, as input 0 and as input 1: the
 * section headers are at the end, so every prefix is an error. */
static void test_truncated(void **state) {
  (void)state;
  jit_object a = read_object(fixtures[0].a), b = read_object(fixtures[0].b);
  for (size_t len = 0; len < a.size; len++) {
    for (int pos = 0; pos < 2; pos++) {
      jit_object t = copy_prefix(a, len);
      jit_object in[2] = {pos ? b : t, pos ? t : b};
      jit_object out;
      char err[256] = "";
      assert_false(jit_link(in, 2, "l", &out, err, sizeof err));
      char want[16];
      snprintf(want, sizeof want, "object %d", pos);
      if (!strstr(err, want))
        fail_msg("prefix of %zu bytes: '%s' does not name %s", len, err, want);
      free(t.bytes);
    }
  }
  free(a.bytes);
  free(b.bytes);
}

/* Byte flips in either input: an error with a message, or an object that
 * vm_code_load then loads or rejects; never a crash. */
static void test_flipped(void **state) {
  (void)state;
  jit_object ab[2] = {read_object(fixtures[0].a), read_object(fixtures[0].b)};
  uint64_t seed = 0x6b696c6e; /* "kiln" */
  size_t merged = 0, rejected = 0;
  for (int v = 0; v < 3000; v++) {
    int which = v % 2;
    elf_range ranges[64];
    size_t nr = elf_meta_ranges(ab[which].bytes, ranges, 64);
    jit_object m = copy_prefix(ab[which], ab[which].size);
    elf_corrupt(m.bytes, m.size, ranges, nr, &seed, v / 2);
    jit_object in[2] = {which ? ab[0] : m, which ? m : ab[1]};
    jit_object out;
    char err[256] = "";
    if (jit_link(in, 2, "l", &out, err, sizeof err)) {
      merged++;
      vm_code *c = vm_code_load(out.bytes, out.size, NULL, NULL, err, sizeof err);
      vm_code_free(c);
      free(out.bytes);
    } else {
      rejected++;
      assert_true(err[0] != 0);
    }
    free(m.bytes);
  }
  print_message("byte flips: %zu merged, %zu rejected\n", merged, rejected);
  assert_true(rejected > 0);
  assert_true(merged > 0);
  free_objects(ab, 2);
}

/* Corrupts a copy of link_a.c's object with `edit`, merges it as input 1
 * after link_b.c's, and checks the message. */
static void corrupt(void (*edit)(jit_object *), const char *want) {
  jit_object a = read_object(fixtures[0].a), b = read_object(fixtures[0].b);
  edit(&a);
  jit_object in[2] = {b, a};
  link_fails(in, 2, NULL, want);
  link_fails(in, 2, NULL, "object 1: ");
  free(a.bytes);
  free(b.bytes);
}

static void edit_magic(jit_object *o) { o->bytes[1] = 'X'; }
static void edit_machine(jit_object *o) { o->bytes[offsetof(Elf64_Ehdr, e_machine)] = EM_386; }
static void edit_shnum(jit_object *o) {
  memset(o->bytes + offsetof(Elf64_Ehdr, e_shnum), 0, 2);
}
static void edit_shoff(jit_object *o) {
  uint64_t off = o->size - 8;
  memcpy(o->bytes + offsetof(Elf64_Ehdr, e_shoff), &off, 8);
}
/* The last symbol (a global) gets SHN_XINDEX. */
static void edit_xindex(jit_object *o) {
  Elf64_Shdr st = shdr(o, find_section(o, SHT_SYMTAB));
  uint16_t x = SHN_XINDEX;
  memcpy(o->bytes + shndx_offset(o, (uint32_t)(st.sh_size / sizeof(Elf64_Sym)) - 1), &x, 2);
}
/* The last symbol's section index beyond the section count. */
static void edit_shndx(jit_object *o) {
  Elf64_Shdr st = shdr(o, find_section(o, SHT_SYMTAB));
  uint16_t x = 0x4000;
  memcpy(o->bytes + shndx_offset(o, (uint32_t)(st.sh_size / sizeof(Elf64_Sym)) - 1), &x, 2);
}
/* The symbol of the first relocation beyond the symbol table. */
static void edit_reloc_sym(jit_object *o) {
  Elf64_Shdr r = shdr(o, find_section(o, SHT_RELA));
  uint32_t big = 0x7fffffff;
  memcpy(o->bytes + r.sh_offset + offsetof(Elf64_Rela, r_info) + 4, &big, 4);
}
/* The relocation section becomes SHT_REL. */
static void edit_rel(jit_object *o) {
  Elf64_Ehdr eh = ehdr(o);
  uint32_t i = find_section(o, SHT_RELA), t = SHT_REL;
  memcpy(o->bytes + eh.e_shoff + i * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_type), &t, 4);
}
/* The symbol table's first global (sh_info) beyond its end. */
static void edit_first_global(jit_object *o) {
  Elf64_Ehdr eh = ehdr(o);
  uint32_t i = find_section(o, SHT_SYMTAB), big = 100000;
  memcpy(o->bytes + eh.e_shoff + i * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_info), &big,
         4);
}
/* A section's contents beyond the end of the object. */
static void edit_section_size(jit_object *o) {
  Elf64_Ehdr eh = ehdr(o);
  uint32_t i = find_section(o, SHT_PROGBITS);
  uint64_t big = o->size;
  memcpy(o->bytes + eh.e_shoff + i * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_size), &big,
         8);
}

static void test_targeted(void **state) {
  (void)state;
  corrupt(edit_magic, "not an ELF file");
  corrupt(edit_machine, "not an x86-64 relocatable object");
  corrupt(edit_shnum, "extended section numbering");
  corrupt(edit_shoff, "section header table");
  corrupt(edit_xindex, "SHN_XINDEX");
  corrupt(edit_shndx, "section index 16384 out of range");
  corrupt(edit_reloc_sym, "symbol index 2147483647 out of range");
  corrupt(edit_rel, "SHT_REL");
  corrupt(edit_first_global, "first global");
  corrupt(edit_section_size, "beyond the end");
  link_fails(NULL, 0, NULL, "no object");
  jit_object none = {NULL, 0};
  link_fails(&none, 1, NULL, "object 0: no bytes");
}

/* A short error buffer: cut, terminated, never overrun. */
static void test_short_error(void **state) {
  (void)state;
  jit_object a = read_object(fixtures[0].a);
  jit_object in[2] = {a, a};
  char *err = malloc(8); /* exact size: ASan catches an overrun */
  assert_non_null(err);
  jit_object out;
  assert_false(jit_link(in, 2, NULL, &out, err, 8));
  assert_true(strlen(err) == 7);
  assert_false(jit_link(in, 2, NULL, &out, NULL, 0));
  free(err);
  free(a.bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_merge),     cmocka_unit_test(test_single),
      cmocka_unit_test(test_duplicate), cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_flipped),   cmocka_unit_test(test_targeted),
      cmocka_unit_test(test_short_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
