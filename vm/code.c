/* vm/code.c — Kiln's loader of compiled code: one ELF64 x86-64 relocatable
 * object in, executable memory out, without LLVM.
 *
 * Why its own loader.  libkiln does not link LLVM (DESIGN.md), so neither
 * ORC nor RuntimeDyld is available at run time; and the object may come from
 * the module cache, where it can be corrupt.  What jit/ emits is narrow (one
 * relocatable object, PIC, small code model, no TLS, no unwind registration),
 * so the loader is a few hundred lines that validate every field they read.
 * A fresh compile and a cache hit take the same path.
 *
 * The image.  One anonymous mapping, regions in this order, each starting on
 * a page boundary:
 *
 *     text    every SHF_EXECINSTR section, then the call stubs    R+X
 *     rodata  read-only sections, .data.rel.ro* (written by
 *             relocation, read-only afterwards)                  R
 *     data    writable sections (.data, .bss, ...)               R+W
 *     got     the global offset table                            R
 *
 * Inside a region each section is placed at its own alignment (a power of
 * two up to a page).  Non-SHF_ALLOC sections (symbols, relocations, debug
 * information) are not mapped; neither is .eh_frame (DESIGN.md "Loading code
 * fast": frame pointers serve backtraces, and registering unwind tables
 * costs 25-30 ms per large object), and relocations for sections that are not
 * mapped are skipped.  The whole image is at most 1 GiB, so a 32-bit
 * PC-relative reference from anywhere in it reaches anywhere in it.
 *
 * W^X.  The mapping is created read+write and never executable; sections
 * are copied and relocated; then text becomes R+X, rodata and the GOT R.
 * No page is ever writable and executable at once.
 *
 * External symbols.  Undefined symbols (runtime helpers) are resolved by a
 * callback, once each, when a relocation first needs them.  They can be
 * anywhere in the address space, so:
 *   - a call (R_X86_64_PLT32) whose target is more than 2 GiB away goes
 *     through a stub at the end of the text region, `jmp *[rip+0]` followed
 *     by the 8-byte target (it clobbers no register, so it is transparent to
 *     every calling convention, including variadic calls that pass %al);
 *   - GOT references (R_X86_64_GOTPCREL, and the relaxable GOTPCRELX forms
 *     when they cannot be relaxed) read an 8-byte slot of the GOT; a symbol
 *     gets one slot, made on first use.  The GOT region reserves address
 *     space for one slot per symbol and the unused tail is unmapped after
 *     relocation, so its size needs no separate pass over relocations;
 *   - a relaxable GOT load whose target is within reach is rewritten as the
 *     psABI allows: `mov foo@GOTPCREL(%rip), %reg` -> `lea foo(%rip), %reg`,
 *     `call *foo@GOTPCREL(%rip)` -> `addr32 call foo`, `jmp *...` ->
 *     `jmp foo; nop`.  For Kiln's own functions this removes a load;
 *   - a plain data reference (R_X86_64_PC32) out of reach is an error: no
 *     stub can stand in for data, and PIC code reaches external data through
 *     the GOT anyway.
 * Non-PIC code (R_X86_64_32 / 32S absolute addresses) needs an image in the
 * low 2 GiB: when such a relocation does not fit, the image is built again
 * with MAP_32BIT.  jit/ emits PIC and never takes this path; it serves
 * hand-built objects and tests.
 *
 * Passes.  One over section headers (validation, layout), one over symbols
 * (validation, addresses, the name table that vm_code_symbol searches), one
 * over relocations (validation and application together: a failure unmaps
 * the image, so nothing half-relocated escapes).  Before the symbol pass a
 * scan of each symbol's section index counts the symbols that may need a
 * stub, so the text region's size is known before any address is.  Memory:
 * three mallocs per load (section and symbol scratch, freed at the end, and
 * the vm_code with its name table and a copy of the string table).
 *
 * What is rejected, with a message: anything but ELFCLASS64 / little-endian
 * / ET_REL / EM_X86_64; a header, section or table outside the file; bad
 * string table or symbol indices; alignments that are not a power of two or
 * exceed a page; thread-local, compressed, or writable+executable sections;
 * common, thread-local and ifunc symbols; SHT_REL; relocation types other
 * than NONE, 64, PC32, PLT32, GOTPCREL, 32, 32S, PC64, GOTPCRELX and
 * REX_GOTPCRELX; a relocation outside its section or whose value overflows;
 * an undefined non-weak symbol that the resolver does not know.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "code.h"

/* x86-64 Linux pages are 4 KiB; mprotect works on them. */
#define CODE_PAGE 4096u
/* Largest accepted section alignment. */
#define CODE_MAX_ALIGN CODE_PAGE
/* Largest image: keeps every intra-image PC-relative value in 32 bits. */
#define CODE_MAX_IMAGE (UINT64_C(1) << 30)
/* Most symbols: keeps the name table's index within its 30 hash bits. */
#define CODE_MAX_SYMBOLS (1u << 24)
/* A call stub: ff 25 00 00 00 00 (jmp *[rip+0]), the target, 2 bytes int3. */
#define CODE_STUB_SIZE 16u

/* ------------------------------------------------------------------------
 * The loaded object and its symbol table
 * ---------------------------------------------------------------------- */

/* One slot of the name table.  name is an offset into vm_code.names (0:
 * empty slot: the string table starts with NUL and empty names are never
 * entered); the top two bits of `hash` are flags, the rest the name's hash. */
typedef struct vm_code_entry {
  uint64_t value; /* offset in the image, or the value if ENTRY_ABS */
  uint32_t name;
  uint32_t hash;
} vm_code_entry;

#define ENTRY_ABS 0x80000000u   /* SHN_ABS: value is not image-relative */
#define ENTRY_LOCAL 0x40000000u /* STB_LOCAL: a global of the name replaces it */
#define ENTRY_HASH 0x3fffffffu

struct vm_code {
  uint8_t *base;
  size_t size;      /* bytes mapped */
  size_t text_size; /* [base, base + text_size) is executable */
  uint32_t mask;    /* name table capacity - 1 */
  vm_code_entry *table;
  const char *names; /* a copy of the object's symbol string table */
};

/* Word-at-a-time hash of a name (FxHash-style step, Murmur3 finalizer). */
static uint32_t code_hash(const char *s, size_t n) {
  const uint64_t k = 0x9e3779b97f4a7c15ull;
  uint64_t h = n * k, w;
  for (; n >= 8; s += 8, n -= 8) {
    memcpy(&w, s, 8);
    h = (((h << 5) | (h >> 59)) ^ w) * k;
  }
  if (n) {
    w = 0;
    memcpy(&w, s, n);
    h = (((h << 5) | (h >> 59)) ^ w) * k;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return (uint32_t)h;
}

/* Enters a symbol; a global replaces a local of the same name, otherwise
 * the first definition stays.  The table is never more than half full. */
static void code_enter(vm_code *c, uint32_t name, uint64_t value,
                       uint32_t flags) {
  const char *s = c->names + name;
  size_t n = strlen(s);
  uint32_t h = code_hash(s, n) & ENTRY_HASH;
  for (uint32_t i = h & c->mask;; i = (i + 1) & c->mask) {
    vm_code_entry *e = &c->table[i];
    if (!e->name) {
      *e = (vm_code_entry){value, name, h | flags};
      return;
    }
    if ((e->hash & ENTRY_HASH) == h && !strcmp(c->names + e->name, s)) {
      if ((e->hash & ENTRY_LOCAL) && !(flags & ENTRY_LOCAL))
        *e = (vm_code_entry){value, name, h | flags};
      return;
    }
  }
}

void *vm_code_symbol(const vm_code *c, const char *name) {
  if (!c || !name || !*name)
    return NULL;
  uint32_t h = code_hash(name, strlen(name)) & ENTRY_HASH;
  for (uint32_t i = h & c->mask;; i = (i + 1) & c->mask) {
    const vm_code_entry *e = &c->table[i];
    if (!e->name)
      return NULL;
    if ((e->hash & ENTRY_HASH) == h && !strcmp(c->names + e->name, name))
      return (e->hash & ENTRY_ABS) ? (void *)(uintptr_t)e->value
                                   : (void *)(c->base + e->value);
  }
}

bool vm_code_contains(const vm_code *c, uintptr_t pc) {
  return c && pc - (uintptr_t)c->base < c->text_size;
}

size_t vm_code_size(const vm_code *c) { return c ? c->size : 0; }

void vm_code_text_range(const vm_code *c, uintptr_t *start, size_t *len) {
  *start = c ? (uintptr_t)c->base : 0;
  *len = c ? c->text_size : 0;
}

void vm_code_free(vm_code *c) {
  if (!c)
    return;
  if (c->base)
    munmap(c->base, c->size);
  free(c);
}

/* ------------------------------------------------------------------------
 * Loader state
 * ---------------------------------------------------------------------- */

enum { REG_NONE, REG_TEXT, REG_RODATA, REG_DATA, REG_COUNT };

/* What the loader keeps of a section header. */
typedef struct code_sec {
  uint64_t off;   /* offset inside its region */
  uint64_t size;
  uint64_t file;  /* sh_offset */
  uint32_t name;  /* sh_name, valid once the section is validated */
  uint8_t region; /* REG_NONE: not mapped */
  uint8_t nobits;
} code_sec;

enum {
  SYM_IMAGE,    /* value: offset in the image */
  SYM_ABS,      /* value: absolute (SHN_ABS, the null symbol) */
  SYM_UNDEF,    /* not resolved yet */
  SYM_EXTERN,   /* resolved: value is the address */
  SYM_UNLOADED, /* defined in a section that is not mapped */
};

/* Per-symbol state during a load (scratch). */
typedef struct code_sym {
  uint64_t value;
  uint32_t got;  /* 1 + its GOT slot, 0: none yet */
  uint32_t stub; /* 1 + its stub, 0: it cannot have one (not external) */
  uint8_t kind;
  uint8_t weak;
  uint8_t stub_ready;
} code_sym;

typedef enum { RELOC_OK, RELOC_FAIL, RELOC_LOW } reloc_result;

typedef struct loader {
  const uint8_t *obj;
  size_t size;
  vm_code_resolver resolve;
  void *ud;
  char *err;
  size_t errlen;

  uint64_t shoff;
  uint32_t shnum;
  const char *shstr; /* section names; NULL until validated */
  uint64_t shstr_size;
  code_sec *secs;
  uint32_t *relas; /* indices of SHT_RELA / SHT_REL sections */
  uint32_t nrelas;

  uint32_t symtab; /* 0: none */
  uint32_t shndx;  /* the SHT_SYMTAB_SHNDX section, 0: none */
  uint32_t nsyms;
  uint64_t symoff;
  const char *str; /* the symbol string table */
  uint64_t str_size;
  code_sym *syms;

  uint64_t region_size[REG_COUNT];
  uint64_t region_start[REG_COUNT];
  uint64_t stubs_off; /* in the image */
  uint32_t nstubs, stubs_cap;
  uint64_t got_off, got_reserve; /* in the image; bytes reserved */
  uint32_t got_used;
  uint64_t image_size; /* with the whole GOT reservation */

  uint8_t *base; /* the mapping, NULL when none */
  bool low;      /* mapped with MAP_32BIT */
  vm_code *code;
} loader;

__attribute__((format(printf, 2, 3))) static bool fail(loader *ld,
                                                       const char *fmt, ...) {
  if (ld->err && ld->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err, ld->errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

/* off + len within size, without overflow. */
static inline bool in_range(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

static inline uint64_t align_up(uint64_t x, uint64_t a) {
  return (x + a - 1) & ~(a - 1);
}

static Elf64_Shdr read_shdr(const loader *ld, uint32_t i) {
  Elf64_Shdr sh;
  memcpy(&sh, ld->obj + ld->shoff + (uint64_t)i * sizeof sh, sizeof sh);
  return sh;
}

static Elf64_Sym read_sym(const loader *ld, uint32_t i) {
  Elf64_Sym s;
  memcpy(&s, ld->obj + ld->symoff + (uint64_t)i * sizeof s, sizeof s);
  return s;
}

/* A section's name for messages (validated in the section pass). */
static const char *sec_name(const loader *ld, uint32_t i) {
  if (!ld->shstr || i >= ld->shnum || ld->secs[i].name >= ld->shstr_size)
    return "?";
  return ld->shstr + ld->secs[i].name;
}

/* A symbol's name for messages: a section symbol is named by its section.
 * Only for symbols the symbol pass has validated. */
static const char *sym_name(const loader *ld, uint32_t i) {
  Elf64_Sym s = read_sym(ld, i);
  if (ELF64_ST_TYPE(s.st_info) == STT_SECTION && s.st_shndx < ld->shnum)
    return sec_name(ld, s.st_shndx);
  return s.st_name < ld->str_size ? ld->str + s.st_name : "?";
}

/* A string table: inside the file (checked), starts and ends with NUL. */
static bool check_strtab(loader *ld, uint32_t i, const char *what) {
  if (i == 0 || i >= ld->shnum)
    return fail(ld, "%s: string table index %u out of range (%u sections)",
                what, i, ld->shnum);
  Elf64_Shdr sh = read_shdr(ld, i);
  if (sh.sh_type != SHT_STRTAB)
    return fail(ld, "%s: section %u is not a string table (type %u)", what,
                i, sh.sh_type);
  const uint8_t *p = ld->obj + sh.sh_offset;
  if (sh.sh_size == 0 || p[0] != 0 || p[sh.sh_size - 1] != 0)
    return fail(ld,
                "%s: string table (section %u) does not start and end "
                "with NUL",
                what, i);
  return true;
}

/* ------------------------------------------------------------------------
 * Pass 1: the ELF header and the section headers
 * ---------------------------------------------------------------------- */

static bool load_header(loader *ld) {
  Elf64_Ehdr eh;
  if (ld->size < sizeof eh)
    return fail(ld, "truncated ELF header (%zu bytes)", ld->size);
  memcpy(&eh, ld->obj, sizeof eh);
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
    return fail(ld, "not an ELF file (bad magic)");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64)
    return fail(ld, "not a 64-bit ELF object (class %u)",
                eh.e_ident[EI_CLASS]);
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail(ld, "not a little-endian ELF object (data %u)",
                eh.e_ident[EI_DATA]);
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
    return fail(ld, "unknown ELF version %u", eh.e_version);
  if (eh.e_type != ET_REL)
    return fail(ld, "not a relocatable object (e_type %u)", eh.e_type);
  if (eh.e_machine != EM_X86_64)
    return fail(ld, "not an x86-64 object (e_machine %u)", eh.e_machine);
  if (eh.e_shoff == 0)
    return fail(ld, "no section header table");
  if (eh.e_shentsize != sizeof(Elf64_Shdr))
    return fail(ld, "section header size %u, expected %zu", eh.e_shentsize,
                sizeof(Elf64_Shdr));
  ld->shoff = eh.e_shoff;
  /* Section 0 carries the real count and string table index when they do
   * not fit in the header (more than 0xff00 sections). */
  if (!in_range(eh.e_shoff, sizeof(Elf64_Shdr), ld->size))
    return fail(ld, "section header table at 0x%llx beyond end of file "
                "(0x%zx bytes)",
                (unsigned long long)eh.e_shoff, ld->size);
  Elf64_Shdr sh0 = read_shdr(ld, 0);
  uint64_t shnum = eh.e_shnum ? eh.e_shnum : sh0.sh_size;
  uint64_t shstrndx =
      eh.e_shstrndx == SHN_XINDEX ? sh0.sh_link : eh.e_shstrndx;
  if (shnum == 0)
    return fail(ld, "no sections");
  if (shnum > (ld->size - eh.e_shoff) / sizeof(Elf64_Shdr))
    return fail(ld,
                "section header table (%llu entries at 0x%llx) beyond end "
                "of file (0x%zx bytes)",
                (unsigned long long)shnum, (unsigned long long)eh.e_shoff,
                ld->size);
  ld->shnum = (uint32_t)shnum; /* < 2^32: bounded by the file size / 64 */
  if (shstrndx >= ld->shnum)
    return fail(ld, "section name table index %llu out of range (%u sections)",
                (unsigned long long)shstrndx, ld->shnum);
  Elf64_Shdr ss = read_shdr(ld, (uint32_t)shstrndx);
  if (ss.sh_type != SHT_STRTAB || !in_range(ss.sh_offset, ss.sh_size, ld->size))
    return fail(ld, "section name table (section %llu) is not a string table "
                "inside the file",
                (unsigned long long)shstrndx);
  const char *p = (const char *)ld->obj + ss.sh_offset;
  if (ss.sh_size == 0 || p[ss.sh_size - 1] != 0)
    return fail(ld, "section name table (section %llu) does not end with NUL",
                (unsigned long long)shstrndx);
  ld->shstr = p;
  ld->shstr_size = ss.sh_size;
  return true;
}

static bool is_eh_frame(const Elf64_Shdr *sh, const char *name) {
  return sh->sh_type == SHT_X86_64_UNWIND || !strcmp(name, ".eh_frame");
}

/* Which region an SHF_ALLOC section goes to; REG_NONE if it is skipped. */
static bool classify(loader *ld, uint32_t i, const Elf64_Shdr *sh,
                     const char *name, uint8_t *region) {
  *region = REG_NONE;
  if (is_eh_frame(sh, name))
    return true;
  switch (sh->sh_type) {
  case SHT_PROGBITS:
  case SHT_NOBITS:
  case SHT_NOTE:
  case SHT_INIT_ARRAY:
  case SHT_FINI_ARRAY:
  case SHT_PREINIT_ARRAY:
    break;
  default:
    if (sh->sh_type < SHT_LOOS)
      return fail(ld, "section %u (%s): type %u cannot be loaded", i, name,
                  sh->sh_type);
  }
  if (sh->sh_flags & SHF_TLS)
    return fail(ld, "section %u (%s): thread-local storage is not supported",
                i, name);
  if (sh->sh_flags & SHF_COMPRESSED)
    return fail(ld, "section %u (%s): compressed sections are not supported",
                i, name);
  if (sh->sh_flags & SHF_EXECINSTR) {
    if (sh->sh_flags & SHF_WRITE)
      return fail(ld, "section %u (%s): writable and executable", i, name);
    *region = REG_TEXT;
  } else if (!(sh->sh_flags & SHF_WRITE) ||
             !strncmp(name, ".data.rel.ro", 12)) {
    *region = REG_RODATA; /* .data.rel.ro: written by relocation only */
  } else {
    *region = REG_DATA;
  }
  return true;
}

static bool load_sections(loader *ld) {
  for (uint32_t i = 0; i < ld->shnum; i++) {
    Elf64_Shdr sh = read_shdr(ld, i);
    code_sec *s = &ld->secs[i];
    *s = (code_sec){.size = sh.sh_size, .file = sh.sh_offset};
    if (i == 0) /* the null section, or the extended counts */
      continue;
    if (sh.sh_name >= ld->shstr_size)
      return fail(ld, "section %u: name offset 0x%x beyond section name "
                  "table size 0x%llx",
                  i, sh.sh_name, (unsigned long long)ld->shstr_size);
    s->name = sh.sh_name;
    const char *name = ld->shstr + sh.sh_name;
    s->nobits = sh.sh_type == SHT_NOBITS;
    if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
        !in_range(sh.sh_offset, sh.sh_size, ld->size))
      return fail(ld,
                  "section %u (%s): contents at 0x%llx, size 0x%llx, beyond "
                  "end of file (0x%zx bytes)",
                  i, name, (unsigned long long)sh.sh_offset,
                  (unsigned long long)sh.sh_size, ld->size);
    switch (sh.sh_type) {
    case SHT_SYMTAB:
      if (ld->symtab)
        return fail(ld, "section %u (%s): a second symbol table", i, name);
      ld->symtab = i;
      break;
    case SHT_SYMTAB_SHNDX:
      ld->shndx = i;
      break;
    case SHT_RELA:
    case SHT_REL:
      ld->relas[ld->nrelas++] = i;
      break;
    }
    if (!(sh.sh_flags & SHF_ALLOC))
      continue;
    if (!classify(ld, i, &sh, name, &s->region))
      return false;
    if (s->region == REG_NONE)
      continue;
    uint64_t align = sh.sh_addralign ? sh.sh_addralign : 1;
    if ((align & (align - 1)) || align > CODE_MAX_ALIGN)
      return fail(ld, "section %u (%s): alignment %llu is not a power of two "
                  "up to %u",
                  i, name, (unsigned long long)align, CODE_MAX_ALIGN);
    uint64_t *rs = &ld->region_size[s->region];
    if (sh.sh_size > CODE_MAX_IMAGE - align_up(*rs, align))
      return fail(ld, "section %u (%s): size 0x%llx makes the image larger "
                  "than %llu MiB",
                  i, name, (unsigned long long)sh.sh_size,
                  (unsigned long long)(CODE_MAX_IMAGE >> 20));
    s->off = align_up(*rs, align);
    *rs = s->off + sh.sh_size;
  }
  return true;
}

/* The symbol table, its string table and its extended index table. */
static bool load_symtab_header(loader *ld) {
  if (!ld->symtab)
    return true; /* no symbols: fine as long as nothing refers to one */
  Elf64_Shdr sh = read_shdr(ld, ld->symtab);
  const char *name = sec_name(ld, ld->symtab);
  if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size % sizeof(Elf64_Sym))
    return fail(ld, "symbol table %s: entry size %llu, size 0x%llx (entries "
                "of %zu bytes expected)",
                name, (unsigned long long)sh.sh_entsize,
                (unsigned long long)sh.sh_size, sizeof(Elf64_Sym));
  if (sh.sh_size / sizeof(Elf64_Sym) > CODE_MAX_SYMBOLS)
    return fail(ld, "symbol table %s: %llu symbols, more than %u", name,
                (unsigned long long)(sh.sh_size / sizeof(Elf64_Sym)),
                CODE_MAX_SYMBOLS);
  ld->nsyms = (uint32_t)(sh.sh_size / sizeof(Elf64_Sym));
  ld->symoff = sh.sh_offset;
  char what[96];
  snprintf(what, sizeof what, "symbol table %s", name);
  if (!check_strtab(ld, sh.sh_link, what))
    return false;
  Elf64_Shdr st = read_shdr(ld, sh.sh_link);
  ld->str = (const char *)ld->obj + st.sh_offset;
  ld->str_size = st.sh_size;
  if (ld->shndx) {
    Elf64_Shdr sx = read_shdr(ld, ld->shndx);
    if (sx.sh_link != ld->symtab ||
        sx.sh_size / sizeof(Elf32_Word) < ld->nsyms)
      return fail(ld, "extended section index table %s does not match the "
                  "symbol table",
                  sec_name(ld, ld->shndx));
  }
  return true;
}

/* Page-aligned regions, the stubs after the text, the GOT last. */
static bool layout(loader *ld) {
  uint64_t text = align_up(ld->region_size[REG_TEXT], CODE_STUB_SIZE);
  ld->stubs_off = text;
  ld->region_size[REG_TEXT] = text + (uint64_t)ld->stubs_cap * CODE_STUB_SIZE;
  uint64_t at = 0;
  for (int r = REG_TEXT; r < REG_COUNT; r++) {
    ld->region_start[r] = at;
    at += align_up(ld->region_size[r], CODE_PAGE);
  }
  if (at == 0)
    return fail(ld, "nothing to load (no allocated sections)");
  ld->got_off = at;
  ld->got_reserve = align_up((uint64_t)ld->nsyms * 8, CODE_PAGE);
  ld->image_size = at + ld->got_reserve;
  if (ld->image_size > CODE_MAX_IMAGE)
    return fail(ld, "image of 0x%llx bytes is larger than %llu MiB",
                (unsigned long long)ld->image_size,
                (unsigned long long)(CODE_MAX_IMAGE >> 20));
  return true;
}

/* ------------------------------------------------------------------------
 * Pass 2: symbols
 * ---------------------------------------------------------------------- */

/* An upper bound of the symbols that may need a call stub (undefined or
 * absolute), from the section index alone. */
static void count_externals(loader *ld) {
  uint32_t n = 0;
  for (uint32_t i = 1; i < ld->nsyms; i++) {
    uint16_t shndx;
    memcpy(&shndx,
           ld->obj + ld->symoff + (uint64_t)i * sizeof(Elf64_Sym) +
               offsetof(Elf64_Sym, st_shndx),
           sizeof shndx);
    n += shndx == SHN_UNDEF || shndx == SHN_ABS;
  }
  ld->stubs_cap = n;
}

/* The name table goes in the vm_code allocation: capacity a power of two at
 * least twice the number of symbols, then the copy of the string table. */
static bool alloc_code(loader *ld) {
  uint64_t cap = 8;
  while (cap < (uint64_t)ld->nsyms * 2)
    cap *= 2;
  size_t table = (size_t)cap * sizeof(vm_code_entry);
  size_t total = sizeof(vm_code) + table + (size_t)ld->str_size + 1;
  vm_code *c = malloc(total);
  if (!c)
    return fail(ld, "out of memory (%zu bytes for the symbol table)", total);
  memset(c, 0, sizeof *c + table);
  c->mask = (uint32_t)(cap - 1);
  c->table = (vm_code_entry *)(c + 1);
  char *names = (char *)c->table + table;
  if (ld->str_size)
    memcpy(names, ld->str, ld->str_size);
  names[ld->str_size] = 0;
  c->names = names;
  ld->code = c;
  return true;
}

static bool load_symbols(loader *ld) {
  if (ld->nsyms)
    ld->syms[0] = (code_sym){.kind = SYM_ABS}; /* the null symbol: 0 */
  for (uint32_t i = 1; i < ld->nsyms; i++) {
    Elf64_Sym s = read_sym(ld, i);
    code_sym *y = &ld->syms[i];
    *y = (code_sym){0};
    if (s.st_name >= ld->str_size)
      return fail(ld, "symbol %u: name offset 0x%x beyond string table size "
                  "0x%llx",
                  i, s.st_name, (unsigned long long)ld->str_size);
    const char *name = ld->str + s.st_name;
    unsigned bind = ELF64_ST_BIND(s.st_info), type = ELF64_ST_TYPE(s.st_info);
    if (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK &&
        bind != STB_GNU_UNIQUE)
      return fail(ld, "symbol %u ('%s'): unknown binding %u", i, name, bind);
    switch (type) {
    case STT_NOTYPE:
    case STT_OBJECT:
    case STT_FUNC:
    case STT_SECTION:
    case STT_FILE:
      break;
    case STT_TLS:
      return fail(ld, "symbol %u ('%s'): thread-local symbols are not "
                  "supported",
                  i, name);
    case STT_GNU_IFUNC:
      return fail(ld, "symbol %u ('%s'): indirect functions (ifunc) are not "
                  "supported",
                  i, name);
    case STT_COMMON:
      return fail(ld, "symbol %u ('%s'): common symbol (compile with "
                  "-fno-common)",
                  i, name);
    default:
      return fail(ld, "symbol %u ('%s'): unknown type %u", i, name, type);
    }
    uint32_t shndx = s.st_shndx;
    if (shndx == SHN_XINDEX) {
      if (!ld->shndx)
        return fail(ld, "symbol %u ('%s'): extended section index without "
                    "an index table",
                    i, name);
      memcpy(&shndx,
             ld->obj + ld->secs[ld->shndx].file + (uint64_t)i * 4, 4);
    } else if (shndx == SHN_COMMON) {
      return fail(ld, "symbol %u ('%s'): common symbol (compile with "
                  "-fno-common)",
                  i, name);
    } else if (shndx >= SHN_LORESERVE && shndx != SHN_ABS) {
      return fail(ld, "symbol %u ('%s'): reserved section index 0x%x", i,
                  name, shndx);
    }
    y->weak = bind == STB_WEAK;
    uint32_t flags = bind == STB_LOCAL ? ENTRY_LOCAL : 0;
    bool named = *name && type != STT_SECTION && type != STT_FILE;
    if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS) {
      /* count_externals counted exactly these */
      y->stub = ++ld->nstubs;
      if (s.st_shndx == SHN_UNDEF) {
        y->kind = SYM_UNDEF;
        continue;
      }
      y->kind = SYM_ABS;
      y->value = s.st_value;
      if (named)
        code_enter(ld->code, s.st_name, s.st_value, flags | ENTRY_ABS);
      continue;
    }
    if (shndx >= ld->shnum)
      return fail(ld, "symbol %u ('%s'): section index %u out of range (%u "
                  "sections)",
                  i, name, shndx, ld->shnum);
    const code_sec *sec = &ld->secs[shndx];
    if (sec->region == REG_NONE) {
      y->kind = SYM_UNLOADED;
      continue;
    }
    if (s.st_value > sec->size)
      return fail(ld, "symbol %u ('%s'): value 0x%llx beyond the size 0x%llx "
                  "of section %s",
                  i, name, (unsigned long long)s.st_value,
                  (unsigned long long)sec->size, sec_name(ld, shndx));
    y->kind = SYM_IMAGE;
    y->value = ld->region_start[sec->region] + sec->off + s.st_value;
    if (named)
      code_enter(ld->code, s.st_name, y->value, flags);
  }
  return true;
}

/* ------------------------------------------------------------------------
 * Pass 3: relocations
 * ---------------------------------------------------------------------- */

static const char *const reloc_names[] = {
    "NONE",        "64",          "PC32",           "GOT32",
    "PLT32",       "COPY",        "GLOB_DAT",       "JUMP_SLOT",
    "RELATIVE",    "GOTPCREL",    "32",             "32S",
    "16",          "PC16",        "8",              "PC8",
    "DTPMOD64",    "DTPOFF64",    "TPOFF64",        "TLSGD",
    "TLSLD",       "DTPOFF32",    "GOTTPOFF",       "TPOFF32",
    "PC64",        "GOTOFF64",    "GOTPC32",        "GOT64",
    "GOTPCREL64",  "GOTPC64",     "GOTPLT64",       "PLTOFF64",
    "SIZE32",      "SIZE64",      "GOTPC32_TLSDESC", "TLSDESC_CALL",
    "TLSDESC",     "IRELATIVE",   "RELATIVE64",     "PC32_BND",
    "PLT32_BND",   "GOTPCRELX",   "REX_GOTPCRELX",  "CODE_4_GOTPCRELX",
};

/* Bytes a supported relocation writes; 0 for NONE, -1 if unsupported. */
static int reloc_width(uint32_t type) {
  switch (type) {
  case R_X86_64_NONE:
    return 0;
  case R_X86_64_64:
  case R_X86_64_PC64:
    return 8;
  case R_X86_64_PC32:
  case R_X86_64_PLT32:
  case R_X86_64_GOTPCREL:
  case R_X86_64_32:
  case R_X86_64_32S:
  case R_X86_64_GOTPCRELX:
  case R_X86_64_REX_GOTPCRELX:
    return 4;
  default:
    return -1;
  }
}

static inline bool fits_s32(uint64_t v) {
  return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
}

static inline void put32(uint8_t *p, uint64_t v) {
  uint32_t w = (uint32_t)v;
  memcpy(p, &w, 4);
}

static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Where a relocation is, for messages. */
typedef struct reloc_at {
  uint32_t index;  /* in its relocation section */
  uint32_t sec;    /* the relocation section */
  uint32_t type;
} reloc_at;

static const char *type_name(uint32_t type) {
  return type < sizeof reloc_names / sizeof reloc_names[0] ? reloc_names[type]
                                                           : "?";
}

/* The address of symbol i (resolving it on first use). */
static bool sym_addr(loader *ld, uint32_t i, const reloc_at *at,
                     uint64_t *out) {
  code_sym *y = &ld->syms[i];
  switch (y->kind) {
  case SYM_IMAGE:
    *out = (uint64_t)(uintptr_t)ld->base + y->value;
    return true;
  case SYM_ABS:
  case SYM_EXTERN:
    *out = y->value;
    return true;
  case SYM_UNDEF: {
    const char *name = sym_name(ld, i);
    void *p = NULL;
    if (*name && ld->resolve)
      p = ld->resolve(ld->ud, name);
    if (!p && !y->weak)
      return fail(ld, "relocation %u of %s: undefined symbol '%s'", at->index,
                  sec_name(ld, at->sec), name);
    y->kind = SYM_EXTERN;
    y->value = (uint64_t)(uintptr_t)p;
    *out = y->value;
    return true;
  }
  default: {
    Elf64_Sym s = read_sym(ld, i);
    uint32_t shndx = s.st_shndx;
    return fail(ld, "relocation %u of %s: symbol '%s' is in section %s, "
                "which is not loaded",
                at->index, sec_name(ld, at->sec), sym_name(ld, i),
                shndx < ld->shnum ? sec_name(ld, shndx) : "?");
  }
  }
}

/* The address of symbol i's GOT slot (made on first use). */
static uint64_t got_slot(loader *ld, uint32_t i, uint64_t s) {
  code_sym *y = &ld->syms[i];
  if (!y->got) {
    /* got_reserve holds nsyms slots and a symbol takes at most one */
    y->got = ++ld->got_used;
    put64(ld->base + ld->got_off + (uint64_t)(y->got - 1) * 8, s);
  }
  return (uint64_t)(uintptr_t)ld->base + ld->got_off +
         (uint64_t)(y->got - 1) * 8;
}

/* The address of symbol i's call stub, or 0 if it cannot have one. */
static uint64_t stub_addr(loader *ld, uint32_t i, uint64_t s) {
  code_sym *y = &ld->syms[i];
  if (!y->stub || y->stub > ld->stubs_cap)
    return 0;
  uint8_t *p = ld->base + ld->stubs_off + (uint64_t)(y->stub - 1) *
                                              CODE_STUB_SIZE;
  if (!y->stub_ready) {
    static const uint8_t jmp[6] = {0xff, 0x25, 0, 0, 0, 0};
    memcpy(p, jmp, sizeof jmp);
    put64(p + 6, s);
    p[14] = p[15] = 0xcc;
    y->stub_ready = 1;
  }
  return (uint64_t)(uintptr_t)p;
}

/* Rewrites a GOTPCRELX load into a direct reference when the psABI allows
 * it and the target is in reach; false leaves it to the GOT. */
static bool relax(uint8_t *loc, uint64_t off, uint32_t type, int64_t addend,
                  uint64_t s, uint64_t p) {
  if (addend != -4 || off < 2)
    return false;
  uint8_t op = loc[-2], modrm = loc[-1];
  uint64_t v = s + (uint64_t)addend - p;
  if (op == 0x8b && (modrm & 0xc7) == 0x05) { /* mov disp(%rip), %reg */
    if (!fits_s32(v))
      return false;
    loc[-2] = 0x8d; /* lea */
    put32(loc, v);
    return true;
  }
  if (type != R_X86_64_GOTPCRELX || op != 0xff)
    return false;
  if (modrm == 0x15) { /* call *disp(%rip) -> addr32 call rel32 */
    if (!fits_s32(v))
      return false;
    loc[-2] = 0x67;
    loc[-1] = 0xe8;
    put32(loc, v);
    return true;
  }
  if (modrm == 0x25) { /* jmp *disp(%rip) -> jmp rel32; nop */
    v += 1; /* rel32 now starts one byte earlier */
    if (!fits_s32(v))
      return false;
    loc[-2] = 0xe9;
    put32(loc - 1, v);
    loc[3] = 0x90;
    return true;
  }
  return false;
}

static reloc_result apply_one(loader *ld, const reloc_at *at,
                              const Elf64_Rela *r, uint32_t target) {
  const code_sec *ts = &ld->secs[target];
  uint32_t type = at->type, si = (uint32_t)ELF64_R_SYM(r->r_info);
  const char *rs = sec_name(ld, at->sec);
  int width = reloc_width(type);
  if (width < 0) {
    fail(ld, "relocation %u of %s: unsupported relocation type "
         "R_X86_64_%s (%u)",
         at->index, rs, type_name(type), type);
    return RELOC_FAIL;
  }
  if (si >= ld->nsyms) {
    fail(ld, "relocation %u of %s: symbol index %u out of range (%u symbols)",
         at->index, rs, si, ld->nsyms);
    return RELOC_FAIL;
  }
  if (!in_range(r->r_offset, (uint64_t)width, ts->size)) {
    fail(ld, "relocation %u of %s: offset 0x%llx beyond section size 0x%llx",
         at->index, rs, (unsigned long long)r->r_offset,
         (unsigned long long)ts->size);
    return RELOC_FAIL;
  }
  if (type == R_X86_64_NONE)
    return RELOC_OK;
  uint64_t s = 0;
  if (!sym_addr(ld, si, at, &s))
    return RELOC_FAIL;
  uint64_t off = ld->region_start[ts->region] + ts->off + r->r_offset;
  uint8_t *loc = ld->base + off;
  uint64_t p = (uint64_t)(uintptr_t)loc;
  uint64_t a = (uint64_t)r->r_addend;
  uint64_t v;
  switch (type) {
  case R_X86_64_64:
    put64(loc, s + a);
    return RELOC_OK;
  case R_X86_64_PC64:
    put64(loc, s + a - p);
    return RELOC_OK;
  case R_X86_64_32:
    v = s + a;
    if (v > UINT32_MAX)
      goto abs32;
    put32(loc, v);
    return RELOC_OK;
  case R_X86_64_32S:
    v = s + a;
    if (!fits_s32(v))
      goto abs32;
    put32(loc, v);
    return RELOC_OK;
  case R_X86_64_PC32:
    v = s + a - p;
    break;
  case R_X86_64_PLT32:
    v = s + a - p;
    if (!fits_s32(v)) {
      uint64_t stub = stub_addr(ld, si, s);
      if (stub)
        v = stub + a - p;
    }
    break;
  case R_X86_64_GOTPCRELX:
  case R_X86_64_REX_GOTPCRELX:
    if (relax(loc, r->r_offset, type, r->r_addend, s, p))
      return RELOC_OK;
    /* fall through */
  default: /* R_X86_64_GOTPCREL */
    v = got_slot(ld, si, s) + a - p;
    break;
  }
  if (!fits_s32(v)) {
    fail(ld, "relocation %u of %s: R_X86_64_%s against '%s' out of 32-bit "
         "range (value 0x%llx)",
         at->index, rs, type_name(type), sym_name(ld, si),
         (unsigned long long)v);
    return RELOC_FAIL;
  }
  put32(loc, v);
  return RELOC_OK;
abs32:
  if (!ld->low)
    return RELOC_LOW;
  fail(ld, "relocation %u of %s: R_X86_64_%s against '%s': absolute address "
       "0x%llx does not fit in 32 bits (non-PIC code)",
       at->index, rs, type_name(type), sym_name(ld, si),
       (unsigned long long)v);
  return RELOC_FAIL;
}

static reloc_result relocate(loader *ld) {
  for (uint32_t k = 0; k < ld->nrelas; k++) {
    uint32_t i = ld->relas[k];
    Elf64_Shdr sh = read_shdr(ld, i);
    const char *name = sec_name(ld, i);
    if (sh.sh_info >= ld->shnum) {
      fail(ld, "relocation section %s: target section %u out of range (%u "
           "sections)",
           name, sh.sh_info, ld->shnum);
      return RELOC_FAIL;
    }
    const code_sec *ts = &ld->secs[sh.sh_info];
    if (ts->region == REG_NONE)
      continue; /* debug information, .eh_frame, ... */
    if (sh.sh_type == SHT_REL) {
      fail(ld, "relocation section %s: SHT_REL is not used on x86-64", name);
      return RELOC_FAIL;
    }
    if (ts->nobits) {
      fail(ld, "relocation section %s: target section %s has no contents",
           name, sec_name(ld, sh.sh_info));
      return RELOC_FAIL;
    }
    if (!ld->symtab || sh.sh_link != ld->symtab) {
      fail(ld, "relocation section %s: symbol table index %u is not the "
           "symbol table",
           name, sh.sh_link);
      return RELOC_FAIL;
    }
    if (sh.sh_entsize != sizeof(Elf64_Rela) ||
        sh.sh_size % sizeof(Elf64_Rela)) {
      fail(ld, "relocation section %s: entry size %llu, size 0x%llx (entries "
           "of %zu bytes expected)",
           name, (unsigned long long)sh.sh_entsize,
           (unsigned long long)sh.sh_size, sizeof(Elf64_Rela));
      return RELOC_FAIL;
    }
    uint64_t n = sh.sh_size / sizeof(Elf64_Rela);
    const uint8_t *p = ld->obj + sh.sh_offset;
    reloc_at at = {.sec = i};
    for (uint64_t j = 0; j < n; j++) {
      Elf64_Rela r;
      memcpy(&r, p + j * sizeof r, sizeof r);
      at.index = (uint32_t)j;
      at.type = (uint32_t)ELF64_R_TYPE(r.r_info);
      reloc_result res = apply_one(ld, &at, &r, sh.sh_info);
      if (res != RELOC_OK)
        return res;
    }
  }
  return RELOC_OK;
}

/* ------------------------------------------------------------------------
 * Mapping
 * ---------------------------------------------------------------------- */

/* Maps the image read+write and copies the sections into it. */
static bool map_image(loader *ld) {
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | (ld->low ? MAP_32BIT : 0);
  void *m = mmap(NULL, ld->image_size, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (m == MAP_FAILED)
    return fail(ld, "cannot map 0x%llx bytes%s: %s",
                (unsigned long long)ld->image_size,
                ld->low ? " in the low 2 GiB" : "", strerror(errno));
  ld->base = m;
  for (uint32_t i = 1; i < ld->shnum; i++) {
    const code_sec *s = &ld->secs[i];
    if (s->region != REG_NONE && !s->nobits && s->size)
      memcpy(ld->base + ld->region_start[s->region] + s->off,
             ld->obj + s->file, s->size);
  }
  return true;
}

static void unmap_image(loader *ld) {
  if (ld->base)
    munmap(ld->base, ld->image_size);
  ld->base = NULL;
}

/* Unmaps the GOT's unused reservation, then sets the final protections. */
static bool protect(loader *ld) {
  uint64_t got = align_up((uint64_t)ld->got_used * 8, CODE_PAGE);
  if (got < ld->got_reserve) {
    munmap(ld->base + ld->got_off + got, ld->got_reserve - got);
    ld->got_reserve = got;
    ld->image_size = ld->got_off + got;
  }
  struct {
    uint64_t off, size;
    int prot;
  } parts[] = {
      {ld->region_start[REG_TEXT], ld->region_size[REG_TEXT],
       PROT_READ | PROT_EXEC},
      {ld->region_start[REG_RODATA], ld->region_size[REG_RODATA], PROT_READ},
      {ld->got_off, got, PROT_READ},
  };
  for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
    uint64_t n = align_up(parts[k].size, CODE_PAGE);
    if (n && mprotect(ld->base + parts[k].off, n, parts[k].prot))
      return fail(ld, "mprotect: %s", strerror(errno));
  }
  return true;
}

/* Forgets GOT slots and stubs before the image is built again. */
static void reset_linkage(loader *ld) {
  ld->got_used = 0;
  for (uint32_t i = 0; i < ld->nsyms; i++) {
    ld->syms[i].got = 0;
    ld->syms[i].stub_ready = 0;
  }
}

vm_code *vm_code_load(const uint8_t *obj, size_t size,
                      vm_code_resolver resolve, void *ud, char *err,
                      size_t errlen) {
  loader ld = {.obj = obj, .size = size, .resolve = resolve, .ud = ud,
               .err = err, .errlen = errlen};
  void *scratch = NULL;
  if (err && errlen)
    err[0] = 0;
  if (!obj) {
    fail(&ld, "no object");
    goto fail;
  }
  if (!load_header(&ld))
    goto fail;
  /* ld.shnum <= size / 64, so these products do not overflow */
  scratch = malloc((size_t)ld.shnum * (sizeof(code_sec) + sizeof(uint32_t)));
  if (!scratch) {
    fail(&ld, "out of memory (%u section headers)", ld.shnum);
    goto fail;
  }
  ld.secs = scratch;
  ld.relas = (uint32_t *)(ld.secs + ld.shnum);
  if (!load_sections(&ld) || !load_symtab_header(&ld))
    goto fail;
  count_externals(&ld);
  if (!layout(&ld) || !alloc_code(&ld))
    goto fail;
  if (ld.nsyms) {
    /* nsyms <= size / 24 */
    ld.syms = malloc((size_t)ld.nsyms * sizeof(code_sym));
    if (!ld.syms) {
      fail(&ld, "out of memory (%u symbols)", ld.nsyms);
      goto fail;
    }
  }
  if (!load_symbols(&ld))
    goto fail;
  for (;;) {
    if (!map_image(&ld))
      goto fail;
    reloc_result res = relocate(&ld);
    if (res == RELOC_OK)
      break;
    unmap_image(&ld);
    if (res == RELOC_FAIL)
      goto fail;
    /* non-PIC code: again, in the low 2 GiB */
    ld.low = true;
    reset_linkage(&ld);
  }
  if (!protect(&ld))
    goto fail;
  vm_code *c = ld.code;
  c->base = ld.base;
  c->size = (size_t)ld.image_size;
  c->text_size = (size_t)ld.region_size[REG_TEXT];
  free(ld.syms);
  free(scratch);
  return c;
fail:
  unmap_image(&ld);
  free(ld.syms);
  free(scratch);
  free(ld.code);
  return NULL;
}
