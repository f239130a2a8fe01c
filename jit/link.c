/* jit/link.c — merging the objects of a module's partitions into one
 * relocatable object: a small `ld -r` for what jit/ emits.
 *
 * Why.  Partitions compile on their own threads in their own LLVM contexts
 * (jit/compile.c), so each emits its own object.  A module is nevertheless
 * one unit: one object to load, to cache and to look symbols up in; and a
 * call from one partition to a function of another is a direct call to a
 * hidden symbol the caller's object leaves undefined, which only a merge
 * can resolve.  LLVM's linker (lld) is not reachable through the LLVM-C API,
 * and what it would be asked to do here is narrow: ELF64 x86-64 relocatable
 * objects as LLVM 19 emits them for Kiln (PIC, small code model, SHT_RELA
 * only, no COMDAT, no TLS).  Written from the ELF specification and the
 * x86-64 psABI.
 *
 * What the merge does.  Sections are not combined: every input section that
 * is kept becomes an output section of its own, with its contents, type,
 * flags and alignment unchanged (several sections named .text are legal in
 * a relocatable object; vm/code.c lays them out one by one).  So no offset
 * inside a section changes, and relocations keep their offsets and addends;
 * only their symbol indices and their sections' links are rewritten.  The
 * output holds, in this order:
 *
 *     0          the null section
 *     1 ..       the kept sections of input 0, of input 1, ...
 *     then       one SHT_RELA ".rela<target>" per kept relocation section
 *     last       .symtab, .strtab (symbol names), .shstrtab (section names)
 *
 * and one symbol table: the null symbol, every input's local symbols (their
 * section indices remapped), then the globals, one entry per name.
 *
 * Sections rebuilt: SHT_SYMTAB, SHT_STRTAB (both symbol and section names:
 * LLVM shares one table, the output has two) and SHT_RELA.
 * Sections dropped, because they hold symbol or section indices that the
 * merge does not rewrite and nothing vm/code.c loads needs them:
 *   - SHT_LLVM_ADDRSIG (0x6fff4c03): symbol indices, for identical-code
 *     folding in a final link;
 *   - SHT_LLVM_CALL_GRAPH_PROFILE (0x6fff4c09): pairs of symbol indices, for
 *     profile-guided layout;
 *   - SHT_GROUP: a COMDAT group's signature symbol and member sections; the
 *     members stay, as ordinary sections (SHF_GROUP cleared);
 *   - SHT_SYMTAB_SHNDX: meaningful only with SHN_XINDEX, which is rejected;
 *   - relocation sections (RELA or REL) that apply to a dropped section.
 * Rejected, with a message: anything but ELFCLASS64 / little-endian /
 * ET_REL / EM_X86_64; extended section numbering (e_shnum 0, e_shstrndx or
 * st_shndx SHN_XINDEX); a header, table or section outside its input; bad
 * string, section or symbol indices; a second symbol table; locals after
 * the symbol table's first global (sh_info); common symbols; SHT_REL for a
 * kept section; any other kept section with a non-zero sh_info, or a
 * non-zero sh_link without SHF_LINK_ORDER (a reference that would not be
 * remapped); a global defined in a dropped section; two strong definitions
 * of one name; an undefined symbol with the caller's own prefix left after
 * the merge; an output of more than 0xff00 sections.
 *
 * Resolution, as a static linker does it: a strong (GLOBAL) definition
 * beats a weak one, the first of several weak definitions wins, two strong
 * ones are an error; a name no input defines stays one undefined symbol,
 * weak only if every reference is weak; the output visibility is the most
 * constraining one seen (internal, hidden, protected, default).
 */
#include "link.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not in every <elf.h>: LLVM's section types (llvm/BinaryFormat/ELF.h). */
#define LINK_SHT_LLVM_ADDRSIG 0x6fff4c03u
#define LINK_SHT_LLVM_CALL_GRAPH_PROFILE 0x6fff4c09u

/* sym_map value of a local symbol defined in a dropped section: a
 * relocation that refers to it is an error. */
#define SYM_GONE UINT32_MAX

/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */

/* What happens to an input section. */
enum { SEC_DROP, SEC_KEEP, SEC_RELA };

/* One input, once its headers are validated. */
typedef struct link_in {
  const uint8_t *bytes;
  size_t size;
  uint32_t shnum;
  Elf64_Shdr *sh;    /* copies of the section headers */
  uint8_t *fate;     /* per section: SEC_* */
  uint32_t *sec_map; /* per section: output index, 0 if not kept */
  const char *shstr; /* section names */
  uint64_t shstr_size;
  uint32_t symtab;   /* section index of SHT_SYMTAB, 0: none */
  uint32_t nsyms, nlocal; /* entries; index of the first global (sh_info) */
  uint64_t symoff;
  const char *str;   /* symbol names */
  uint64_t str_size;
  uint32_t *sym_map; /* per symbol: output index (0: the null symbol) */
} link_in;

/* One global name of the output. */
typedef struct link_global {
  const char *name;
  uint32_t input, sym;  /* the input symbol that gives the entry's fields:
                           the winning definition, else the first reference */
  bool defined, weak_def;
  bool strong_ref;      /* some undefined reference is not weak */
  uint8_t vis;          /* most constraining visibility seen */
} link_global;

/* A growable output buffer; `oom` is sticky, checked once at the end. */
typedef struct obuf {
  uint8_t *p;
  size_t len, cap;
  bool oom;
} obuf;

typedef struct linker {
  const jit_object *objs;
  uint32_t n;
  link_in *in;
  char *err;
  size_t errlen;

  uint32_t nsecs;     /* output sections so far (with the null one) */
  uint32_t nlocals;   /* output local symbols (with the null one) */
  link_global *globals;
  uint32_t nglobals;
  uint32_t *hash;     /* open addressing: 1 + global index, 0: empty */
  uint32_t hash_mask;
} linker;

__attribute__((format(printf, 2, 3))) static bool fail(linker *lk, const char *fmt, ...) {
  if (lk->err && lk->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lk->err, lk->errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

/* off + len within size, without overflow. */
static inline bool in_range(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

/* ------------------------------------------------------------------------
 * The output buffer
 * ---------------------------------------------------------------------- */

/* n zeroed bytes at the end of the buffer; NULL once memory ran out. */
static uint8_t *ob_grow(obuf *b, size_t n) {
  if (b->oom)
    return NULL;
  if (n > SIZE_MAX / 2 - b->len) {
    b->oom = true;
    return NULL;
  }
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return NULL;
    }
    b->p = p;
    b->cap = cap;
  }
  uint8_t *at = b->p + b->len;
  memset(at, 0, n);
  b->len += n;
  return at;
}

static void ob_put(obuf *b, const void *src, size_t n) {
  uint8_t *at = ob_grow(b, n);
  if (at && n)
    memcpy(at, src, n);
}

/* Pads with zeros to a multiple of `align` (a power of two); returns the
 * offset reached. */
static uint64_t ob_align(obuf *b, uint64_t align) {
  if (align > 1 && b->len % align)
    ob_grow(b, align - b->len % align);
  return b->len;
}

/* Appends a NUL-terminated string; returns its offset. */
static uint32_t ob_string(obuf *b, const char *s) {
  uint32_t off = (uint32_t)b->len;
  ob_put(b, s, strlen(s) + 1);
  return off;
}

/* ------------------------------------------------------------------------
 * Pass 1: each input's header and section headers
 * ---------------------------------------------------------------------- */

static bool read_header(linker *lk, uint32_t k, Elf64_Ehdr *eh) {
  link_in *in = &lk->in[k];
  if (in->size < sizeof *eh)
    return fail(lk, "object %u: truncated ELF header (%zu bytes)", k, in->size);
  memcpy(eh, in->bytes, sizeof *eh);
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
    return fail(lk, "object %u: not an ELF file (bad magic)", k);
  if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
    return fail(lk, "object %u: not a 64-bit little-endian ELF object (class %u, data %u)", k,
                eh->e_ident[EI_CLASS], eh->e_ident[EI_DATA]);
  if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
    return fail(lk, "object %u: unknown ELF version %u", k, eh->e_version);
  if (eh->e_type != ET_REL || eh->e_machine != EM_X86_64)
    return fail(lk, "object %u: not an x86-64 relocatable object (e_type %u, e_machine %u)", k,
                eh->e_type, eh->e_machine);
  if (eh->e_shentsize != sizeof(Elf64_Shdr))
    return fail(lk, "object %u: section header size %u, expected %zu", k, eh->e_shentsize,
                sizeof(Elf64_Shdr));
  if (eh->e_shnum == 0 || eh->e_shnum >= SHN_LORESERVE || eh->e_shstrndx == SHN_XINDEX)
    return fail(lk, "object %u: extended section numbering (e_shnum %u, e_shstrndx 0x%x) is "
                "not supported", k, eh->e_shnum, eh->e_shstrndx);
  if (!in_range(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), in->size))
    return fail(lk, "object %u: section header table (%u entries at 0x%llx) beyond the end "
                "(0x%zx bytes)", k, eh->e_shnum, (unsigned long long)eh->e_shoff, in->size);
  if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
    return fail(lk, "object %u: section name table index %u out of range (%u sections)", k,
                eh->e_shstrndx, eh->e_shnum);
  return true;
}

/* A string table: a SHT_STRTAB section that starts and ends with NUL (its
 * contents are inside the input: checked before). */
static bool check_strtab(linker *lk, uint32_t k, uint32_t i, const char *what) {
  const link_in *in = &lk->in[k];
  if (i == 0 || i >= in->shnum)
    return fail(lk, "object %u: %s: string table index %u out of range (%u sections)", k, what,
                i, in->shnum);
  const Elf64_Shdr *sh = &in->sh[i];
  const uint8_t *p = in->bytes + sh->sh_offset;
  if (sh->sh_type != SHT_STRTAB || sh->sh_size == 0 || p[0] || p[sh->sh_size - 1])
    return fail(lk, "object %u: %s: section %u is not a string table that starts and ends "
                "with NUL", k, what, i);
  return true;
}

static const char *sec_name(const link_in *in, uint32_t i) {
  return in->sh[i].sh_name < in->shstr_size ? in->shstr + in->sh[i].sh_name : "?";
}

/* Reads and checks the section headers: every section's contents inside
 * the input, its name inside the section name table, at most one symbol
 * table. */
static bool read_sections(linker *lk, uint32_t k, const Elf64_Ehdr *eh) {
  link_in *in = &lk->in[k];
  in->shnum = eh->e_shnum;
  in->sh = malloc(in->shnum * (sizeof *in->sh + sizeof *in->fate + sizeof *in->sec_map));
  if (!in->sh)
    return fail(lk, "object %u: out of memory (%u section headers)", k, in->shnum);
  in->sec_map = (uint32_t *)(in->sh + in->shnum);
  in->fate = (uint8_t *)(in->sec_map + in->shnum);
  memcpy(in->sh, in->bytes + eh->e_shoff, in->shnum * sizeof *in->sh);
  memset(in->sec_map, 0, in->shnum * sizeof *in->sec_map);
  memset(in->fate, SEC_DROP, in->shnum);
  for (uint32_t i = 1; i < in->shnum; i++) {
    const Elf64_Shdr *sh = &in->sh[i];
    if (sh->sh_type != SHT_NOBITS && !in_range(sh->sh_offset, sh->sh_size, in->size))
      return fail(lk, "object %u: section %u: contents at 0x%llx, size 0x%llx, beyond the end "
                  "(0x%zx bytes)", k, i, (unsigned long long)sh->sh_offset,
                  (unsigned long long)sh->sh_size, in->size);
    if (sh->sh_type == SHT_SYMTAB) {
      if (in->symtab)
        return fail(lk, "object %u: section %u: a second symbol table", k, i);
      in->symtab = i;
    }
  }
  if (!check_strtab(lk, k, eh->e_shstrndx, "section names"))
    return false;
  in->shstr = (const char *)in->bytes + in->sh[eh->e_shstrndx].sh_offset;
  in->shstr_size = in->sh[eh->e_shstrndx].sh_size;
  for (uint32_t i = 1; i < in->shnum; i++)
    if (in->sh[i].sh_name >= in->shstr_size)
      return fail(lk, "object %u: section %u: name offset 0x%x beyond the section name table "
                  "(0x%llx bytes)", k, i, in->sh[i].sh_name,
                  (unsigned long long)in->shstr_size);
  return true;
}

/* The symbol table's shape and its string table. */
static bool read_symtab(linker *lk, uint32_t k) {
  link_in *in = &lk->in[k];
  if (!in->symtab)
    return true; /* no symbols: fine while no relocation names one */
  const Elf64_Shdr *sh = &in->sh[in->symtab];
  if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_size % sizeof(Elf64_Sym))
    return fail(lk, "object %u: symbol table: entry size %llu, size 0x%llx (entries of %zu "
                "bytes expected)", k, (unsigned long long)sh->sh_entsize,
                (unsigned long long)sh->sh_size, sizeof(Elf64_Sym));
  uint64_t nsyms = sh->sh_size / sizeof(Elf64_Sym); /* < 2^32: the input is in memory */
  if (nsyms == 0 || sh->sh_info == 0 || sh->sh_info > nsyms)
    return fail(lk, "object %u: symbol table: first global %u out of range (%llu symbols)", k,
                sh->sh_info, (unsigned long long)nsyms);
  in->nsyms = (uint32_t)nsyms;
  in->nlocal = sh->sh_info;
  in->symoff = sh->sh_offset;
  if (!check_strtab(lk, k, sh->sh_link, "symbol names"))
    return false;
  in->str = (const char *)in->bytes + in->sh[sh->sh_link].sh_offset;
  in->str_size = in->sh[sh->sh_link].sh_size;
  in->sym_map = calloc(in->nsyms, sizeof *in->sym_map);
  if (!in->sym_map)
    return fail(lk, "object %u: out of memory (%u symbols)", k, in->nsyms);
  return true;
}

/* Whether section type t is dropped whatever it applies to. */
static bool dropped_type(uint32_t t) {
  return t == SHT_NULL || t == SHT_SYMTAB || t == SHT_STRTAB || t == SHT_SYMTAB_SHNDX ||
         t == SHT_GROUP || t == LINK_SHT_LLVM_ADDRSIG || t == LINK_SHT_LLVM_CALL_GRAPH_PROFILE;
}

/* Decides each section's fate: relocation sections follow their target,
 * so targets are decided first. */
static bool classify(linker *lk, uint32_t k) {
  link_in *in = &lk->in[k];
  for (uint32_t i = 1; i < in->shnum; i++) {
    const Elf64_Shdr *sh = &in->sh[i];
    if (dropped_type(sh->sh_type) || sh->sh_type == SHT_RELA || sh->sh_type == SHT_REL)
      continue;
    if (sh->sh_info || (sh->sh_link && !(sh->sh_flags & SHF_LINK_ORDER)))
      return fail(lk, "object %u: section %u (%s): type 0x%x with sh_link %u, sh_info %u: a "
                  "reference the merge cannot remap", k, i, sec_name(in, i), sh->sh_type,
                  sh->sh_link, sh->sh_info);
    in->fate[i] = SEC_KEEP;
  }
  for (uint32_t i = 1; i < in->shnum; i++) {
    const Elf64_Shdr *sh = &in->sh[i];
    if (sh->sh_type != SHT_RELA && sh->sh_type != SHT_REL)
      continue;
    if (sh->sh_info == 0 || sh->sh_info >= in->shnum)
      return fail(lk, "object %u: relocation section %u (%s): target section %u out of range "
                  "(%u sections)", k, i, sec_name(in, i), sh->sh_info, in->shnum);
    if (in->fate[sh->sh_info] != SEC_KEEP)
      continue; /* applies to a dropped section */
    if (sh->sh_type == SHT_REL)
      return fail(lk, "object %u: relocation section %u (%s): SHT_REL is not used on x86-64", k,
                  i, sec_name(in, i));
    in->fate[i] = SEC_RELA;
  }
  return true;
}

/* Output indices of the kept sections; SHF_LINK_ORDER links checked. */
static bool number_sections(linker *lk, uint32_t k) {
  link_in *in = &lk->in[k];
  for (uint32_t i = 1; i < in->shnum; i++)
    if (in->fate[i] == SEC_KEEP)
      in->sec_map[i] = lk->nsecs++;
  for (uint32_t i = 1; i < in->shnum; i++) {
    uint32_t l = in->sh[i].sh_link;
    if (in->fate[i] == SEC_KEEP && l && (l >= in->shnum || in->fate[l] != SEC_KEEP))
      return fail(lk, "object %u: section %u (%s): linked section %u is not kept", k, i,
                  sec_name(in, i), l);
  }
  return true;
}

static bool read_input(linker *lk, uint32_t k) {
  link_in *in = &lk->in[k];
  in->bytes = lk->objs[k].bytes;
  in->size = lk->objs[k].size;
  if (!in->bytes)
    return fail(lk, "object %u: no bytes", k);
  Elf64_Ehdr eh;
  return read_header(lk, k, &eh) && read_sections(lk, k, &eh) && read_symtab(lk, k) &&
         classify(lk, k) && number_sections(lk, k);
}

/* ------------------------------------------------------------------------
 * Pass 2: symbols
 * ---------------------------------------------------------------------- */

static Elf64_Sym read_sym(const link_in *in, uint32_t i) {
  Elf64_Sym s;
  memcpy(&s, in->bytes + in->symoff + (uint64_t)i * sizeof s, sizeof s);
  return s;
}

/* Checks a symbol's name, binding, type and section index; *shndx is its
 * output section index (SHN_UNDEF and SHN_ABS unchanged), or SYM_GONE if
 * its section is dropped. */
static bool check_sym(linker *lk, uint32_t k, uint32_t i, const Elf64_Sym *s, uint32_t *shndx) {
  const link_in *in = &lk->in[k];
  if (s->st_name >= in->str_size)
    return fail(lk, "object %u: symbol %u: name offset 0x%x beyond the string table (0x%llx "
                "bytes)", k, i, s->st_name, (unsigned long long)in->str_size);
  const char *name = in->str + s->st_name;
  unsigned bind = ELF64_ST_BIND(s->st_info), type = ELF64_ST_TYPE(s->st_info);
  bool local = i < in->nlocal;
  if (local != (bind == STB_LOCAL))
    return fail(lk, "object %u: symbol %u ('%s'): binding %u on the wrong side of the first "
                "global (%u)", k, i, name, bind, in->nlocal);
  if (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
    return fail(lk, "object %u: symbol %u ('%s'): unknown binding %u", k, i, name, bind);
  if (type == STT_COMMON || s->st_shndx == SHN_COMMON)
    return fail(lk, "object %u: symbol %u ('%s'): common symbols are not supported", k, i, name);
  if (s->st_shndx == SHN_XINDEX)
    return fail(lk, "object %u: symbol %u ('%s'): extended section index (SHN_XINDEX) is not "
                "supported", k, i, name);
  if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS) {
    if (local && s->st_shndx == SHN_UNDEF)
      return fail(lk, "object %u: symbol %u ('%s'): undefined local symbol", k, i, name);
    *shndx = s->st_shndx;
    return true;
  }
  if (s->st_shndx >= in->shnum)
    return fail(lk, "object %u: symbol %u ('%s'): section index %u out of range (%u sections)",
                k, i, name, s->st_shndx, in->shnum);
  *shndx = in->fate[s->st_shndx] == SEC_KEEP ? in->sec_map[s->st_shndx] : SYM_GONE;
  if (*shndx == SYM_GONE && !local)
    return fail(lk, "object %u: symbol %u ('%s'): defined in section %u (%s), which the merge "
                "drops", k, i, name, s->st_shndx, sec_name(in, s->st_shndx));
  return true;
}

/* Output indices of the local symbols, input by input. */
static bool number_locals(linker *lk) {
  lk->nlocals = 1;
  for (uint32_t k = 0; k < lk->n; k++) {
    link_in *in = &lk->in[k];
    for (uint32_t i = 1; i < in->nlocal; i++) {
      Elf64_Sym s = read_sym(in, i);
      uint32_t shndx;
      if (!check_sym(lk, k, i, &s, &shndx))
        return false;
      in->sym_map[i] = shndx == SYM_GONE ? SYM_GONE : lk->nlocals++;
    }
  }
  return true;
}

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

/* The rank of a visibility: higher is more constraining. */
static unsigned vis_rank(unsigned v) {
  static const unsigned rank[4] = {[STV_DEFAULT] = 0, [STV_PROTECTED] = 1, [STV_HIDDEN] = 2,
                                   [STV_INTERNAL] = 3};
  return rank[v & 3];
}

/* The global named `name`, made (undefined, unreferenced) if new. */
static link_global *global_slot(linker *lk, const char *name, uint32_t k, uint32_t i) {
  for (uint32_t h = name_hash(name) & lk->hash_mask;; h = (h + 1) & lk->hash_mask) {
    if (!lk->hash[h]) {
      link_global *g = &lk->globals[lk->nglobals];
      *g = (link_global){.name = name, .input = k, .sym = i};
      lk->hash[h] = ++lk->nglobals;
      return g;
    }
    link_global *g = &lk->globals[lk->hash[h] - 1];
    if (!strcmp(g->name, name))
      return g;
  }
}

/* Adds global symbol i of input k to its name's entry, applying the
 * resolution rules of the header comment. */
static bool add_global(linker *lk, uint32_t k, uint32_t i) {
  link_in *in = &lk->in[k];
  Elf64_Sym s = read_sym(in, i);
  uint32_t shndx;
  if (!check_sym(lk, k, i, &s, &shndx))
    return false;
  const char *name = in->str + s.st_name;
  if (!*name)
    return fail(lk, "object %u: symbol %u: a global without a name", k, i);
  link_global *g = global_slot(lk, name, k, i);
  in->sym_map[i] = (uint32_t)(g - lk->globals); /* made an output index later */
  if (vis_rank(ELF64_ST_VISIBILITY(s.st_other)) > vis_rank(g->vis))
    g->vis = ELF64_ST_VISIBILITY(s.st_other);
  bool weak = ELF64_ST_BIND(s.st_info) == STB_WEAK;
  if (shndx == SHN_UNDEF) {
    g->strong_ref |= !weak;
    return true;
  }
  if (g->defined && !g->weak_def && !weak)
    return fail(lk, "symbol '%s' is defined twice: in object %u and in object %u", name,
                g->input, k);
  if (!g->defined || (g->weak_def && !weak)) {
    g->defined = true;
    g->weak_def = weak;
    g->input = k;
    g->sym = i;
  }
  return true;
}

/* Every input's globals, entered by name. */
static bool resolve_globals(linker *lk) {
  uint64_t total = 0;
  for (uint32_t k = 0; k < lk->n; k++)
    total += lk->in[k].nsyms - lk->in[k].nlocal;
  if (total + lk->nlocals >= UINT32_MAX / 4)
    return fail(lk, "too many symbols (%llu)", (unsigned long long)(total + lk->nlocals));
  uint64_t cap = 16;
  while (cap < total * 2)
    cap *= 2;
  lk->hash_mask = (uint32_t)(cap - 1);
  lk->hash = calloc(cap, sizeof *lk->hash);
  lk->globals = malloc((total ? total : 1) * sizeof *lk->globals);
  if (!lk->hash || !lk->globals)
    return fail(lk, "out of memory (%llu global symbols)", (unsigned long long)total);
  for (uint32_t k = 0; k < lk->n; k++)
    for (uint32_t i = lk->in[k].nlocal; i < lk->in[k].nsyms; i++)
      if (!add_global(lk, k, i))
        return false;
  for (uint32_t k = 0; k < lk->n; k++)
    for (uint32_t i = lk->in[k].nlocal; i < lk->in[k].nsyms; i++)
      lk->in[k].sym_map[i] += lk->nlocals;
  return true;
}

/* Undefined names with the caller's own prefix: something no input
 * defines that one of them expects from another. */
static bool check_own(linker *lk, const char *prefix) {
  size_t n = prefix ? strlen(prefix) : 0;
  if (!n)
    return true;
  for (uint32_t j = 0; j < lk->nglobals; j++) {
    const link_global *g = &lk->globals[j];
    if (!g->defined && !strncmp(g->name, prefix, n))
      return fail(lk, "symbol '%s' is used by object %u but defined by no object", g->name,
                  g->input);
  }
  return true;
}

/* ------------------------------------------------------------------------
 * Pass 3: writing the output
 * ---------------------------------------------------------------------- */

/* The contents of every kept section, with its header. */
static void write_sections(linker *lk, obuf *o, obuf *shstr, Elf64_Shdr *osh) {
  for (uint32_t k = 0; k < lk->n; k++) {
    const link_in *in = &lk->in[k];
    for (uint32_t i = 1; i < in->shnum; i++) {
      if (in->fate[i] != SEC_KEEP)
        continue;
      Elf64_Shdr sh = in->sh[i];
      uint64_t align = sh.sh_addralign > 1 && !(sh.sh_addralign & (sh.sh_addralign - 1))
                           ? sh.sh_addralign
                           : 1;
      sh.sh_name = ob_string(shstr, sec_name(in, i));
      sh.sh_flags &= ~(uint64_t)SHF_GROUP; /* its group is dropped */
      sh.sh_link = sh.sh_link ? in->sec_map[sh.sh_link] : 0;
      if (sh.sh_type != SHT_NOBITS) {
        /* alignment of file offsets is a courtesy: loaders copy */
        sh.sh_offset = ob_align(o, align > 4096 ? 4096 : align);
        ob_put(o, in->bytes + in->sh[i].sh_offset, sh.sh_size);
      } else {
        sh.sh_offset = o->len;
      }
      osh[in->sec_map[i]] = sh;
    }
  }
}

/* One relocation section: each entry with its symbol index remapped. */
static bool write_rela(linker *lk, uint32_t k, uint32_t i, obuf *o, obuf *shstr,
                       Elf64_Shdr *out_sh, uint32_t symtab_index) {
  const link_in *in = &lk->in[k];
  const Elf64_Shdr *sh = &in->sh[i];
  const char *name = sec_name(in, i);
  if (!in->symtab || sh->sh_link != in->symtab)
    return fail(lk, "object %u: relocation section %u (%s): symbol table index %u is not the "
                "symbol table", k, i, name, sh->sh_link);
  if (sh->sh_entsize != sizeof(Elf64_Rela) || sh->sh_size % sizeof(Elf64_Rela))
    return fail(lk, "object %u: relocation section %u (%s): entry size %llu, size 0x%llx "
                "(entries of %zu bytes expected)", k, i, name,
                (unsigned long long)sh->sh_entsize, (unsigned long long)sh->sh_size,
                sizeof(Elf64_Rela));
  uint32_t target = sh->sh_info;
  char rname[256];
  snprintf(rname, sizeof rname, ".rela%s", sec_name(in, target));
  *out_sh = (Elf64_Shdr){.sh_name = ob_string(shstr, rname), .sh_type = SHT_RELA,
                         .sh_flags = SHF_INFO_LINK, .sh_offset = ob_align(o, 8),
                         .sh_size = sh->sh_size, .sh_link = symtab_index,
                         .sh_info = in->sec_map[target], .sh_addralign = 8,
                         .sh_entsize = sizeof(Elf64_Rela)};
  uint64_t n = sh->sh_size / sizeof(Elf64_Rela);
  for (uint64_t j = 0; j < n; j++) {
    Elf64_Rela r;
    memcpy(&r, in->bytes + sh->sh_offset + j * sizeof r, sizeof r);
    uint64_t si = ELF64_R_SYM(r.r_info);
    if (si >= in->nsyms)
      return fail(lk, "object %u: relocation %llu of %s: symbol index %llu out of range (%u "
                  "symbols)", k, (unsigned long long)j, name, (unsigned long long)si,
                  in->nsyms);
    uint32_t osi = si ? in->sym_map[si] : 0;
    if (osi == SYM_GONE)
      return fail(lk, "object %u: relocation %llu of %s: symbol %llu is in a section the "
                  "merge drops", k, (unsigned long long)j, name, (unsigned long long)si);
    r.r_info = ELF64_R_INFO(osi, ELF64_R_TYPE(r.r_info));
    ob_put(o, &r, sizeof r);
  }
  return true;
}

/* One output symbol from input symbol i of input k. */
static Elf64_Sym out_sym(const linker *lk, uint32_t k, uint32_t i, obuf *str) {
  const link_in *in = &lk->in[k];
  Elf64_Sym s = read_sym(in, i);
  if (s.st_shndx != SHN_UNDEF && s.st_shndx != SHN_ABS)
    s.st_shndx = (uint16_t)in->sec_map[s.st_shndx]; /* < 0xff00: checked */
  const char *name = in->str + s.st_name;
  s.st_name = *name ? ob_string(str, name) : 0;
  return s;
}

static void write_symbols(linker *lk, obuf *o, obuf *str) {
  ob_align(o, 8);
  ob_grow(o, sizeof(Elf64_Sym)); /* the null symbol */
  for (uint32_t k = 0; k < lk->n; k++)
    for (uint32_t i = 1; i < lk->in[k].nlocal; i++)
      if (lk->in[k].sym_map[i] != SYM_GONE) {
        Elf64_Sym s = out_sym(lk, k, i, str);
        ob_put(o, &s, sizeof s);
      }
  for (uint32_t j = 0; j < lk->nglobals; j++) {
    const link_global *g = &lk->globals[j];
    Elf64_Sym s = out_sym(lk, g->input, g->sym, str);
    if (!g->defined) {
      unsigned type = ELF64_ST_TYPE(s.st_info);
      s.st_info = ELF64_ST_INFO(g->strong_ref ? STB_GLOBAL : STB_WEAK, type);
      s.st_value = s.st_size = 0;
    }
    s.st_other = (unsigned char)((s.st_other & ~3u) | g->vis);
    ob_put(o, &s, sizeof s);
  }
}

/* The output being written: the object and its two string tables. */
typedef struct link_out {
  obuf o, str, shstr;
  Elf64_Shdr *sh;
  uint32_t nsecs;  /* all of them */
  uint32_t symtab; /* its index; .strtab and .shstrtab follow */
} link_out;

/* The tables after the sections: .symtab, .strtab, .shstrtab, the section
 * header table, and the ELF header at offset 0 (a copy of input 0's with
 * the new table). */
static void write_tables(linker *lk, link_out *w) {
  /* names first: shstr's length is a field of the last header */
  uint32_t n_symtab = ob_string(&w->shstr, ".symtab"), n_strtab = ob_string(&w->shstr, ".strtab");
  uint32_t n_shstrtab = ob_string(&w->shstr, ".shstrtab");
  uint64_t symoff = ob_align(&w->o, 8);
  write_symbols(lk, &w->o, &w->str);
  uint32_t t = w->symtab;
  w->sh[t] = (Elf64_Shdr){.sh_name = n_symtab, .sh_type = SHT_SYMTAB, .sh_offset = symoff,
                          .sh_size = w->o.len - symoff, .sh_link = t + 1, .sh_info = lk->nlocals,
                          .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym)};
  w->sh[t + 1] = (Elf64_Shdr){.sh_name = n_strtab, .sh_type = SHT_STRTAB, .sh_offset = w->o.len,
                              .sh_size = w->str.len, .sh_addralign = 1};
  ob_put(&w->o, w->str.p, w->str.len);
  w->sh[t + 2] = (Elf64_Shdr){.sh_name = n_shstrtab, .sh_type = SHT_STRTAB,
                              .sh_offset = w->o.len, .sh_size = w->shstr.len, .sh_addralign = 1};
  ob_put(&w->o, w->shstr.p, w->shstr.len);
  uint64_t shoff = ob_align(&w->o, 8);
  ob_put(&w->o, w->sh, w->nsecs * sizeof *w->sh);
  if (w->o.oom || w->str.oom || w->shstr.oom)
    return;
  Elf64_Ehdr eh;
  memcpy(&eh, lk->in[0].bytes, sizeof eh);
  eh.e_entry = eh.e_phoff = 0;
  eh.e_phnum = eh.e_phentsize = 0;
  eh.e_ehsize = sizeof eh;
  eh.e_shoff = shoff;
  eh.e_shnum = (uint16_t)w->nsecs;
  eh.e_shstrndx = (uint16_t)(t + 2);
  memcpy(w->o.p, &eh, sizeof eh);
}

/* The whole output: the ELF header's room, the kept sections, the
 * relocation sections, then the tables. */
static bool write_output(linker *lk, link_out *w) {
  uint32_t nrela = 0;
  uint64_t total = 0;
  for (uint32_t k = 0; k < lk->n; k++) {
    total += lk->in[k].size;
    for (uint32_t i = 1; i < lk->in[k].shnum; i++)
      nrela += lk->in[k].fate[i] == SEC_RELA;
  }
  w->symtab = lk->nsecs + nrela;
  w->nsecs = w->symtab + 3;
  if (w->nsecs >= SHN_LORESERVE)
    return fail(lk, "the merged object would have %u sections, more than %u", w->nsecs,
                SHN_LORESERVE - 1);
  w->sh = calloc(w->nsecs, sizeof *w->sh);
  if (!w->sh)
    return fail(lk, "out of memory (%u section headers)", w->nsecs);
  ob_grow(&w->str, 1);
  ob_grow(&w->shstr, 1);
  ob_grow(&w->o, sizeof(Elf64_Ehdr)); /* filled last */
  /* room for the rest in one allocation: about the inputs' total */
  if (total < SIZE_MAX / 4 && ob_grow(&w->o, (size_t)total))
    w->o.len = sizeof(Elf64_Ehdr);
  write_sections(lk, &w->o, &w->shstr, w->sh);
  uint32_t r = lk->nsecs;
  for (uint32_t k = 0; k < lk->n; k++)
    for (uint32_t i = 1; i < lk->in[k].shnum; i++)
      if (lk->in[k].fate[i] == SEC_RELA &&
          !write_rela(lk, k, i, &w->o, &w->shstr, &w->sh[r++], w->symtab))
        return false;
  write_tables(lk, w);
  if (w->o.oom || w->str.oom || w->shstr.oom)
    return fail(lk, "out of memory writing the merged object");
  return true;
}

/* ------------------------------------------------------------------------
 * Entry
 * ---------------------------------------------------------------------- */

bool jit_link(const jit_object *in, uint32_t n, const char *own_prefix, jit_object *out,
              char *err, size_t errlen) {
  linker lk = {.objs = in, .n = n, .err = err, .errlen = errlen, .nsecs = 1};
  out->bytes = NULL;
  out->size = 0;
  if (err && errlen)
    err[0] = 0;
  if (n == 0 || !in)
    return fail(&lk, "no object to merge");
  lk.in = calloc(n, sizeof *lk.in);
  if (!lk.in)
    return fail(&lk, "out of memory (%u objects)", n);
  bool ok = true;
  for (uint32_t k = 0; k < n && ok; k++)
    ok = read_input(&lk, k);
  link_out w = {0};
  ok = ok && number_locals(&lk) && resolve_globals(&lk) && check_own(&lk, own_prefix) &&
       write_output(&lk, &w);
  if (ok) {
    out->bytes = w.o.p;
    out->size = w.o.len;
  } else {
    free(w.o.p);
  }
  free(w.sh);
  free(w.str.p);
  free(w.shstr.p);
  for (uint32_t k = 0; k < n; k++) {
    free(lk.in[k].sh);
    free(lk.in[k].sym_map);
  }
  free(lk.in);
  free(lk.hash);
  free(lk.globals);
  return ok;
}
