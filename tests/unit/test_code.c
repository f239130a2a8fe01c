/* tests/unit/test_code.c — the loader of compiled code (vm/code.c).
 *
 * Real objects, built by tests/unit/meson.build from code_fixture.c (gcc
 * and clang-14; PIC, -fno-plt, no relaxation, function sections, non-PIC,
 * with unwind tables), code_fixture.ll (llc-19) and code_many.c (1000
 * functions), are loaded and their functions called; the image's
 * protections are read back from /proc/self/maps.  Then corrupt objects:
 * every truncation, a few thousand deterministic byte flips, and targeted
 * corruptions whose error messages are checked.  A corrupt object must give
 * NULL and a message, or load; never crash (this test runs under ASan and
 * UBSan in ./dev test).  No assertion is on time.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "elf_corrupt.h"

#include "code_fixtures.h" /* generated: CODE_FIXTURES, CODE_FIXTURE_LLC, ... */
#include "vm/code.h"

typedef struct fixture {
  const char *name, *path;
  int pic;
} fixture;

static const fixture fixtures[] = {CODE_FIXTURES};
#define NFIXTURES (sizeof fixtures / sizeof fixtures[0])

/* ------------------------------------------------------------------------
 * The host side: what the objects import
 * ---------------------------------------------------------------------- */

long fixture_host_add(long a, long b);
long fixture_host_add(long a, long b) { return a * 1000 + b; }
int fixture_host_value = 41;

/* A helper far (more than 2 GiB) from any image: `lea (%rdi,%rsi), %rax;
 * ret`, mapped 64 GiB or more below where mmap puts things now (a fixed
 * address would not do: ASan reserves most of the address space), so calls
 * to it need a stub. */
static void *far_helper;

static void *map_far_helper(void) {
  if (far_helper)
    return far_helper;
  static const uint8_t code[] = {0x48, 0x8d, 0x04, 0x37, 0xc3};
  void *probe = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                     0);
  assert_true(probe != MAP_FAILED);
  munmap(probe, 4096);
  void *p = MAP_FAILED;
  for (uint64_t gib = 64; p == MAP_FAILED && gib <= 4096; gib *= 2) {
    uintptr_t at = (uintptr_t)probe - (uintptr_t)(gib << 30);
    if (at > (uintptr_t)probe)
      break;
    p = mmap((void *)at, 4096, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  }
  assert_true(p != MAP_FAILED);
  memcpy(p, code, sizeof code);
  assert_int_equal(mprotect(p, 4096, PROT_READ | PROT_EXEC), 0);
  far_helper = p;
  return p;
}

/* Whether p and q are more than 2 GiB apart. */
static bool far_apart(const void *p, const void *q) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)q;
  return (a > b ? a - b : b - a) > (UINT64_C(1) << 31);
}

typedef struct resolver {
  int calls[4];        /* per known name, below */
  int unknown;         /* calls for other names */
  const char *missing; /* answer NULL for this name */
  bool far;            /* fixture_host_add is the far helper */
} resolver;

static const char *const known[] = {"fixture_host_add", "fixture_host_value",
                                    "fixture_weak_missing", NULL};

static void *resolve(void *ud, const char *name) {
  resolver *r = ud;
  for (int i = 0; known[i]; i++) {
    if (strcmp(name, known[i]))
      continue;
    r->calls[i]++;
    if (r->missing && !strcmp(name, r->missing))
      return NULL;
    switch (i) {
    case 0:
      return r->far ? far_helper : (void *)fixture_host_add;
    case 1:
      return &fixture_host_value;
    default:
      return NULL; /* fixture_weak_missing: weak, stays 0 */
    }
  }
  r->unknown++;
  return NULL;
}

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s (is it built?)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  assert_true(n > 0);
  uint8_t *p = malloc((size_t)n);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return p;
}

static vm_code *load_ok(const uint8_t *obj, size_t n, resolver *r,
                        const char *what) {
  char err[256];
  vm_code *c = vm_code_load(obj, n, resolve, r, err, sizeof err);
  if (!c)
    fail_msg("%s: %s", what, err);
  return c;
}

static void *sym(const vm_code *c, const char *name) {
  void *p = vm_code_symbol(c, name);
  if (!p)
    fail_msg("symbol %s not found", name);
  return p;
}

/* The permissions ("r-xp" ...) of the mapping holding p. */
static void perms(const void *p, char out[5]) {
  FILE *f = fopen("/proc/self/maps", "r");
  assert_non_null(f);
  char line[512];
  strcpy(out, "none");
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perm[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 &&
        lo <= (uintptr_t)p && (uintptr_t)p < hi) {
      memcpy(out, perm, 4);
      out[4] = 0;
      break;
    }
  }
  fclose(f);
}

static void assert_perms(const void *p, const char *want) {
  char got[5];
  perms(p, got);
  if (strcmp(got, want))
    fail_msg("mapping at %p is %s, expected %s", p, got, want);
}

/* ------------------------------------------------------------------------
 * Loading real objects
 * ---------------------------------------------------------------------- */

/* The same switch as fx_switch in code_fixture.c. */
static int ref_switch(int x, int y) {
  switch (x) {
  case 0: return y + 11;
  case 1: return y * 3;
  case 2: return y + 100;
  case 3: return y - 17;
  case 4: return y << 4;
  case 5: return y * y;
  case 6: return y ^ 0x5a5a;
  case 7: return y / 3;
  case 8: return 1000 - y;
  case 9: return y % 7;
  case 10: return -y;
  case 11: return y | 0x100;
  default: return -1;
  }
}

typedef int (*fn_ii)(int, int);
typedef int (*fn_i)(int);
typedef int (*fn_u)(unsigned);
typedef int (*fn_v)(void);
typedef long (*fn_ll)(long, long);
typedef long (*fn_l)(long);
typedef void *(*fn_p)(void);

static void check_fixture(const fixture *f, bool far) {
  size_t n;
  uint8_t *obj = read_file(f->path, &n);
  resolver r = {.far = far};
  vm_code *c = load_ok(obj, n, &r, f->name);
  memset(obj, 0, n); /* the image must not refer to the object's bytes */
  free(obj);

  fn_ii add = (fn_ii)sym(c, "fx_add"), sub = (fn_ii)sym(c, "fx_sub"),
        mul = (fn_ii)sym(c, "fx_mul");
  assert_int_equal(add(2, 3), 5);
  assert_int_equal(sub(10, 4), 6);
  assert_int_equal(mul(6, 7), 42);
  assert_int_equal(((fn_i)sym(c, "fx_fib"))(20), 6765);
  assert_int_equal(((fn_i)sym(c, "fx_calls"))(5), 6 * 4 + 5 * 7 + 3);
  assert_int_equal(((fn_i)sym(c, "fx_local_helper"))(4), 31);

  fn_ii sw = (fn_ii)sym(c, "fx_switch");
  for (int x = -2; x < 14; x++)
    for (int y = 0; y < 60; y += 13)
      assert_int_equal(sw(x, y), ref_switch(x, y));

  static const double w[4] = {0.5, 1.5, 2.5, 3.5};
  double (*scale)(unsigned, double) =
      (double (*)(unsigned, double))sym(c, "fx_scale");
  for (unsigned i = 0; i < 8; i++)
    assert_true(scale(i, 3.0) == w[i & 3] * 3.0 + 0.25);

  const int *primes = sym(c, "fx_primes");
  assert_int_equal(primes[3], 7);
  assert_int_equal(((fn_u)sym(c, "fx_prime"))(13), 13);

  int (*apply)(unsigned, int, int) =
      (int (*)(unsigned, int, int))sym(c, "fx_apply");
  assert_int_equal(apply(0, 7, 3), 10);
  assert_int_equal(apply(1, 7, 3), 4);
  assert_int_equal(apply(5, 7, 3), 21);
  void *const *ops = sym(c, "fx_ops");
  assert_ptr_equal(ops[0], (void *)add);
  assert_ptr_equal(ops[2], (void *)mul);

  fn_v count = (fn_v)sym(c, "fx_count");
  assert_int_equal(count(), 41);
  assert_int_equal(count(), 42);
  int *global = sym(c, "fx_global_data");
  assert_int_equal(*global, 7);
  assert_ptr_equal(((fn_p)sym(c, "fx_global_addr"))(), global);
  assert_ptr_equal(((fn_p)sym(c, "fx_add_addr"))(), (void *)add);
  if (f->pic) {
    /* `mov fx_add@GOTPCREL(%rip), %rax` is relaxed to `lea fx_add(%rip),
     * %rax` when the assembler marked it relaxable (REX_GOTPCRELX). */
    const uint8_t *insn = (const uint8_t *)sym(c, "fx_add_addr");
    assert_int_equal(insn[0], 0x48);
    assert_int_equal(insn[1], strstr(f->name, "norelax") ? 0x8b : 0x8d);
  }

  /* Calls to the host, direct or through a stub. */
  long k = far ? 1 : 1000; /* the far helper adds, the host's multiplies */
  assert_int_equal(((fn_ll)sym(c, "fx_call_host"))(3, 4), (3 * k + 4) * 2);
  assert_int_equal(((fn_l)sym(c, "fx_tail_host"))(5), 5 * k + 100);
  void *host = far ? far_helper : (void *)fixture_host_add;
  if (far) /* so the calls above went through stubs */
    assert_true(far_apart(host, (void *)add));
  assert_ptr_equal(*(void *const *)sym(c, "fx_host_ptr"), host);
  assert_int_equal(((fn_v)sym(c, "fx_has_weak"))(), -5);
  if (f->pic)
    assert_int_equal(((fn_v)sym(c, "fx_read_host"))(), 42);
  else
    assert_null(vm_code_symbol(c, "fx_read_host"));

  /* The resolver is asked once per name and load (twice for non-PIC
   * objects, which are loaded again in the low 2 GiB). */
  for (int i = 0; known[i]; i++)
    assert_true(r.calls[i] <= (f->pic ? 1 : 2));
  assert_int_equal(r.calls[0] > 0, 1);
  assert_int_equal(r.unknown, 0);

  /* Names that are not defined here. */
  assert_null(vm_code_symbol(c, "fixture_host_add"));
  assert_null(vm_code_symbol(c, "fx_nothing"));
  assert_null(vm_code_symbol(c, ""));

  /* Layout and protections. */
  assert_true(vm_code_contains(c, (uintptr_t)add));
  assert_true(vm_code_contains(c, (uintptr_t)sw));
  assert_false(vm_code_contains(c, (uintptr_t)primes));
  assert_false(vm_code_contains(c, (uintptr_t)global));
  assert_false(vm_code_contains(c, (uintptr_t)fixture_host_add));
  assert_false(vm_code_contains(NULL, (uintptr_t)add));
  size_t size = vm_code_size(c);
  assert_true(size > 0 && size % 4096 == 0);
  assert_perms((void *)add, "r-xp");
  assert_perms(primes, "r--p");
  assert_perms(ops, "r--p"); /* .data.rel.ro: read-only after relocation */
  assert_perms(sym(c, "fx_host_ptr"), "r--p");
  assert_perms(global, "rw-p");
  if (!f->pic)
    assert_true((uintptr_t)add < (UINT64_C(1) << 31));
  vm_code_free(c);
}

static void test_fixtures(void **state) {
  (void)state;
  assert_true(NFIXTURES >= 5);
  for (size_t i = 0; i < NFIXTURES; i++)
    check_fixture(&fixtures[i], false);
}

/* Calls to a helper 16 TiB away go through the stubs. */
static void test_far_helper(void **state) {
  (void)state;
  map_far_helper();
  for (size_t i = 0; i < NFIXTURES; i++)
    check_fixture(&fixtures[i], true);
}

static void test_llvm(void **state) {
  (void)state;
  if (!CODE_FIXTURE_LLC[0])
    skip(); /* llc-19 is not installed */
  size_t n;
  uint8_t *obj = read_file(CODE_FIXTURE_LLC, &n);
  resolver r = {0};
  vm_code *c = load_ok(obj, n, &r, "llc");
  free(obj);
  fn_ll add = (fn_ll)sym(c, "ll_add"), mul = (fn_ll)sym(c, "ll_mul");
  assert_int_equal(add(2, 3), 5);
  assert_int_equal(mul(6, 7), 42);
  /* 10^6 tail calls in constant stack */
  long (*sum)(void *, long) = (long (*)(void *, long))sym(c, "ll_sum");
  assert_int_equal(sum(NULL, 1000000), 500000500000L);
  fn_ll sw = (fn_ll)sym(c, "ll_switch");
  const long want[] = {61, 150, 150, 33, 800, 2500, 50 ^ 23130, 51000, -1};
  for (int x = 0; x < 9; x++)
    assert_int_equal(sw(x, 50), want[x]);
  assert_int_equal(sw(-1, 50), -1);
  double (*scale)(long, double) = (double (*)(long, double))sym(c, "ll_scale");
  assert_true(scale(2, 4.0) == 2.5 * 4.0 + 0.25);
  long (*apply)(long, long, long) =
      (long (*)(long, long, long))sym(c, "ll_apply");
  assert_int_equal(apply(0, 7, 3), 10);
  assert_int_equal(apply(3, 7, 3), 21);
  assert_ptr_equal(((void *const *)sym(c, "ll_ops"))[1], (void *)mul);
  const int64_t *pcrel = sym(c, "ll_pcrel");
  assert_true((intptr_t)pcrel + *pcrel == (intptr_t)add);
  fn_v count = (fn_v)sym(c, "ll_count");
  assert_int_equal(count(), 6);
  assert_int_equal(count(), 7);
  assert_int_equal(((fn_l)sym(c, "ll_host"))(7), 7041);
  assert_int_equal(r.calls[0], 1);
  assert_int_equal(r.calls[1], 1);
  assert_perms((void *)add, "r-xp");
  assert_perms(sym(c, "ll_ops"), "r--p");
  assert_perms(sym(c, "ll_global"), "rw-p");
  vm_code_free(c);
}

/* 1000 functions: every one found by name and called. */
static void test_many(void **state) {
  (void)state;
  size_t n;
  uint8_t *obj = read_file(CODE_MANY, &n);
  char err[256];
  /* No undefined symbols: no resolver needed. */
  vm_code *c = vm_code_load(obj, n, NULL, NULL, err, sizeof err);
  if (!c)
    fail_msg("code_many: %s", err);
  free(obj);
  for (int i = 0; i < 1000; i++) {
    char name[32];
    snprintf(name, sizeof name, "many_%03d", i);
    fn_i f = (fn_i)sym(c, name);
    assert_true(vm_code_contains(c, (uintptr_t)f));
    assert_int_equal(f(i + 1), (i + 1) * 31 + (i ^ 0x55) + i);
  }
  assert_null(vm_code_symbol(c, "many_1000"));
  assert_null(vm_code_symbol(c, "many_"));
  vm_code_free(c);
}

/* ------------------------------------------------------------------------
 * Corrupt objects
 * ---------------------------------------------------------------------- */

/* Loads a copy of obj[0..n) in a buffer of exactly n bytes (so ASan sees
 * any read beyond it); if it loads, exercises the result.  Returns whether
 * it loaded. */
static bool try_load(const uint8_t *obj, size_t n, char *err, size_t errlen) {
  uint8_t *copy = malloc(n ? n : 1);
  assert_non_null(copy);
  if (n)
    memcpy(copy, obj, n);
  resolver r = {0};
  err[0] = 0;
  vm_code *c = vm_code_load(copy, n, resolve, &r, err, errlen);
  free(copy);
  if (!c) {
    assert_true(err[0] != 0);
    return false;
  }
  (void)vm_code_symbol(c, "fx_add");
  (void)vm_code_symbol(c, "fx_nothing");
  (void)vm_code_contains(c, 0);
  assert_true(vm_code_size(c) > 0);
  vm_code_free(c);
  return true;
}

static void test_truncated(void **state) {
  (void)state;
  const char *paths[] = {fixtures[0].path, CODE_FIXTURE_LLC};
  for (size_t p = 0; p < 2; p++) {
    if (!paths[p][0])
      continue;
    size_t n;
    uint8_t *obj = read_file(paths[p], &n);
    char err[256];
    size_t loaded = 0;
    for (size_t len = 0; len < n; len++)
      loaded += try_load(obj, len, err, sizeof err);
    /* Tables are at the end of an object: no prefix is a whole one. */
    assert_int_equal(loaded, 0);
    free(obj);
  }
}

static void test_flipped(void **state) {
  (void)state;
  const char *paths[] = {fixtures[0].path, CODE_FIXTURE_LLC,
                         fixtures[NFIXTURES - 1].path};
  uint64_t seed = 0x6b696c6e; /* "kiln" */
  size_t loaded = 0, rejected = 0;
  for (size_t p = 0; p < 3; p++) {
    if (!paths[p][0])
      continue;
    size_t n;
    uint8_t *obj = read_file(paths[p], &n);
    uint8_t *m = malloc(n);
    assert_non_null(m);
    elf_range ranges[64];
    size_t nr = elf_meta_ranges(obj, ranges, 64);
    char err[256];
    for (int v = 0; v < 1500; v++) {
      memcpy(m, obj, n);
      elf_corrupt(m, n, ranges, nr, &seed, v);
      if (try_load(m, n, err, sizeof err))
        loaded++;
      else
        rejected++;
    }
    free(m);
    free(obj);
  }
  print_message("byte flips: %zu loaded, %zu rejected\n", loaded, rejected);
  assert_true(rejected > 0);
  assert_true(loaded > 0);
}

/* ------------------------------------------------------------------------
 * Targeted corruptions and their messages
 * ---------------------------------------------------------------------- */

typedef struct elf {
  uint8_t *p;
  size_t n;
  Elf64_Ehdr *eh;
  Elf64_Shdr *sh;
  Elf64_Sym *syms;
  size_t nsyms;
  const char *str, *shstr;
} elf;

static elf elf_open(const char *path) {
  elf e = {0};
  e.p = read_file(path, &e.n);
  e.eh = (Elf64_Ehdr *)e.p;
  e.sh = (Elf64_Shdr *)(e.p + e.eh->e_shoff);
  e.shstr = (const char *)e.p + e.sh[e.eh->e_shstrndx].sh_offset;
  for (unsigned i = 0; i < e.eh->e_shnum; i++)
    if (e.sh[i].sh_type == SHT_SYMTAB) {
      e.syms = (Elf64_Sym *)(e.p + e.sh[i].sh_offset);
      e.nsyms = e.sh[i].sh_size / sizeof(Elf64_Sym);
      e.str = (const char *)e.p + e.sh[e.sh[i].sh_link].sh_offset;
    }
  assert_non_null(e.syms);
  return e;
}

static Elf64_Shdr *elf_section(elf *e, const char *name) {
  for (unsigned i = 0; i < e->eh->e_shnum; i++)
    if (!strcmp(e->shstr + e->sh[i].sh_name, name))
      return &e->sh[i];
  fail_msg("no section %s", name);
  return NULL;
}

static Elf64_Sym *elf_symbol(elf *e, const char *name) {
  for (size_t i = 0; i < e->nsyms; i++)
    if (!strcmp(e->str + e->syms[i].st_name, name))
      return &e->syms[i];
  fail_msg("no symbol %s", name);
  return NULL;
}

static Elf64_Rela *elf_rela(elf *e, const char *section, size_t i) {
  Elf64_Shdr *s = elf_section(e, section);
  assert_true(i < s->sh_size / sizeof(Elf64_Rela));
  return (Elf64_Rela *)(e->p + s->sh_offset) + i;
}

/* Loads e (as modified) and expects failure with every `want` substring in
 * the message; then restores the original bytes. */
static void expect_error(elf *e, const uint8_t *orig, resolver *r,
                         const char *want1, const char *want2) {
  char err[256];
  uint8_t *copy = malloc(e->n);
  assert_non_null(copy);
  memcpy(copy, e->p, e->n);
  vm_code *c = vm_code_load(copy, e->n, resolve, r, err, sizeof err);
  free(copy);
  if (c) {
    vm_code_free(c);
    fail_msg("loaded; expected an error with '%s'", want1);
  }
  if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
    fail_msg("message '%s' lacks '%s' / '%s'", err, want1,
             want2 ? want2 : "");
  memcpy(e->p, orig, e->n);
}

static void test_errors(void **state) {
  (void)state;
  elf e = elf_open(fixtures[0].path); /* gcc-pic */
  uint8_t *orig = malloc(e.n);
  assert_non_null(orig);
  memcpy(orig, e.p, e.n);
  resolver r = {0};
  char msg[64], err[256];
  vm_code *c;

  e.p[0] = 0x7e;
  expect_error(&e, orig, &r, "bad magic", NULL);
  e.eh->e_ident[EI_CLASS] = ELFCLASS32;
  expect_error(&e, orig, &r, "64-bit", NULL);
  e.eh->e_ident[EI_DATA] = ELFDATA2MSB;
  expect_error(&e, orig, &r, "little-endian", NULL);
  e.eh->e_type = ET_DYN;
  expect_error(&e, orig, &r, "not a relocatable object", NULL);
  e.eh->e_machine = EM_AARCH64;
  expect_error(&e, orig, &r, "not an x86-64 object", NULL);
  e.eh->e_shoff = e.n - 10;
  expect_error(&e, orig, &r, "section header table", "beyond end of file");
  e.eh->e_shnum = 0xfff0;
  expect_error(&e, orig, &r, "section header table", "beyond end of file");
  e.eh->e_shstrndx = 0x7000;
  expect_error(&e, orig, &r, "section name table index", "out of range");

  /* Relocations of .text. */
  elf_rela(&e, ".rela.text", 0)->r_info =
      ELF64_R_INFO(ELF64_R_SYM(elf_rela(&e, ".rela.text", 0)->r_info),
                   R_X86_64_TPOFF32);
  expect_error(&e, orig, &r, "relocation 0 of .rela.text",
               "unsupported relocation type R_X86_64_TPOFF32 (23)");
  elf_rela(&e, ".rela.text", 1)->r_info = ELF64_R_INFO(1, 250);
  expect_error(&e, orig, &r, "relocation 1 of .rela.text", "(250)");
  Elf64_Shdr *text = elf_section(&e, ".text");
  elf_rela(&e, ".rela.text", 3)->r_offset = text->sh_size - 2;
  snprintf(msg, sizeof msg, "offset 0x%llx beyond section size 0x%llx",
           (unsigned long long)(text->sh_size - 2),
           (unsigned long long)text->sh_size);
  expect_error(&e, orig, &r, "relocation 3 of .rela.text", msg);
  elf_rela(&e, ".rela.text", 2)->r_info =
      ELF64_R_INFO(e.nsyms + 5, R_X86_64_PLT32);
  expect_error(&e, orig, &r, "relocation 2 of .rela.text",
               "symbol index");
  elf_section(&e, ".rela.text")->sh_size -= 5;
  expect_error(&e, orig, &r, ".rela.text", "entry size");
  elf_section(&e, ".rela.text")->sh_type = SHT_REL;
  expect_error(&e, orig, &r, ".rela.text", "SHT_REL");
  elf_section(&e, ".rela.text")->sh_link = 0;
  expect_error(&e, orig, &r, ".rela.text", "not the symbol table");
  elf_section(&e, ".rela.text")->sh_info = 999;
  expect_error(&e, orig, &r, ".rela.text", "target section 999");

  /* Symbols. */
  elf_symbol(&e, "fx_add")->st_shndx = (uint16_t)(e.eh->e_shnum + 7);
  expect_error(&e, orig, &r, "'fx_add'", "section index");
  elf_symbol(&e, "fx_add")->st_shndx = 0xff10;
  expect_error(&e, orig, &r, "'fx_add'", "reserved section index 0xff10");
  elf_symbol(&e, "fx_global_data")->st_shndx = SHN_COMMON;
  expect_error(&e, orig, &r, "'fx_global_data'", "common symbol");
  elf_symbol(&e, "fx_global_data")->st_info =
      ELF64_ST_INFO(STB_GLOBAL, STT_TLS);
  expect_error(&e, orig, &r, "'fx_global_data'", "thread-local");
  elf_symbol(&e, "fx_add")->st_value = 0x100000;
  expect_error(&e, orig, &r, "'fx_add'", "beyond the size");
  elf_symbol(&e, "fx_add")->st_name = 0x7fffff;
  expect_error(&e, orig, &r, "name offset 0x7fffff", NULL);

  /* Sections. */
  text = elf_section(&e, ".text");
  text->sh_addralign = 3;
  expect_error(&e, orig, &r, "(.text)", "alignment 3");
  text->sh_addralign = 8192;
  expect_error(&e, orig, &r, "(.text)", "alignment 8192");
  text->sh_flags |= SHF_WRITE;
  expect_error(&e, orig, &r, "(.text)", "writable and executable");
  elf_section(&e, ".rodata")->sh_offset = e.n - 4;
  expect_error(&e, orig, &r, "(.rodata)", "beyond end of file");
  elf_section(&e, ".bss")->sh_flags |= SHF_TLS;
  expect_error(&e, orig, &r, "(.bss)", "thread-local");
  elf_section(&e, ".bss")->sh_size = UINT64_C(1) << 40;
  expect_error(&e, orig, &r, "(.bss)", "larger than");
  elf_section(&e, ".data")->sh_name = 0xffffff;
  expect_error(&e, orig, &r, "name offset 0xffffff", NULL);
  elf_section(&e, ".symtab")->sh_link = 0;
  expect_error(&e, orig, &r, "string table", NULL);
  elf_section(&e, ".symtab")->sh_entsize = 16;
  expect_error(&e, orig, &r, "symbol table .symtab", "entry size");
  elf_section(&e, ".strtab")->sh_size -= 1; /* no final NUL */
  expect_error(&e, orig, &r, "string table", "NUL");

  /* A global takes a name from a local that comes first in the symbol
   * table: fx_sub renamed fx_local_helper. */
  Elf64_Word local = elf_symbol(&e, "fx_local_helper")->st_name;
  elf_symbol(&e, "fx_sub")->st_name = local;
  c = vm_code_load(e.p, e.n, resolve, &r, err, sizeof err);
  assert_non_null(c);
  assert_null(vm_code_symbol(c, "fx_sub"));
  assert_int_equal(((fn_ii)sym(c, "fx_local_helper"))(10, 4), 6);
  vm_code_free(c);
  memcpy(e.p, orig, e.n);

  /* A relocation that cannot reach its target: a data reference (PC32)
   * redirected to a helper 16 TiB away. */
  map_far_helper();
  resolver far = {.far = true};
  Elf64_Rela *rl = NULL;
  Elf64_Shdr *rt = elf_section(&e, ".rela.text");
  size_t undef = (size_t)(elf_symbol(&e, "fixture_host_add") - e.syms);
  for (size_t i = 0; i < rt->sh_size / sizeof *rl; i++) {
    Elf64_Rela *x = (Elf64_Rela *)(e.p + rt->sh_offset) + i;
    if (ELF64_R_TYPE(x->r_info) == R_X86_64_PC32) {
      x->r_info = ELF64_R_INFO(undef, R_X86_64_PC32);
      rl = x;
      break;
    }
  }
  assert_non_null(rl);
  expect_error(&e, orig, &far, "R_X86_64_PC32 against 'fixture_host_add'",
               "out of 32-bit range");

  /* The resolver does not know a needed symbol. */
  resolver miss = {.missing = "fixture_host_add"};
  expect_error(&e, orig, &miss, "undefined symbol 'fixture_host_add'", NULL);
  c = vm_code_load(e.p, e.n, NULL, NULL, err, sizeof err);
  assert_null(c);
  assert_non_null(strstr(err, "undefined symbol"));

  /* Error buffers: none, or short (truncated, terminated). */
  e.eh->e_machine = EM_AARCH64;
  assert_null(vm_code_load(e.p, e.n, resolve, &r, NULL, 0));
  memset(err, 'x', sizeof err);
  assert_null(vm_code_load(e.p, e.n, resolve, &r, err, 10));
  assert_int_equal(strlen(err), 9);
  memcpy(e.p, orig, e.n);
  assert_null(vm_code_load(NULL, 100, resolve, &r, err, sizeof err));
  assert_null(vm_code_load(e.p, 0, resolve, &r, err, sizeof err));

  /* After all that, the original still loads. */
  c = vm_code_load(e.p, e.n, resolve, &r, err, sizeof err);
  assert_non_null(c);
  vm_code_free(c);
  vm_code_free(NULL);
  free(orig);
  free(e.p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures),
      cmocka_unit_test(test_far_helper),
      cmocka_unit_test(test_llvm),
      cmocka_unit_test(test_many),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_flipped),
  };
  int n = (int)(sizeof tests / sizeof tests[0]);
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed != 0;
}
