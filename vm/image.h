/* vm/image.h — a module's instance image: the constant part of
 * initialization, computed once per compiled module (docs/architecture.md
 * "The init routine").
 *
 * Most of what instantiation writes does not depend on the imports: type
 * ids, function references, data-segment records, globals initialized by
 * constants, tables filled by active segments of constant offset, memories
 * filled by data segments of constant offset.  vm_image_new evaluates those
 * constant expressions once and keeps the results as images:
 *
 *   vmctx    the vmctx as the init routine would leave it, with the words
 *            that hold an address inside the vmctx (globals holding ref.func
 *            of a defined function) stored as offsets and listed in
 *            `relocs`; the function references' vmctx fields are left for
 *            the instance to fill;
 *   tables   per defined table, its initial elements as vmctx offsets of
 *            function references (0: null);
 *   memories per defined memory, its initial bytes (up to the last page a
 *            segment writes), mapped copy-on-write from a memfd (copied
 *            into the new pages only when no memfd can be made:
 *            vm/memory.c).
 *
 * The fold (vmctx.h) tells the compiler which parts the images cover, so
 * that the init routine leaves them alone.  What is folded keeps the spec's
 * semantics, including partial initialization: element segments are folded
 * only if every active one is (constant offset, in bounds of a defined
 * funcref table's minimum, items null or ref.func of a defined function),
 * so applying them cannot trap and their order is kept; likewise data
 * segments.  Images are applied before the init routine runs; if the
 * routine traps (before the data stage), the instance undoes the memory
 * images (vm/instance.c undo_images), because the spec never applied them;
 * table images need no undo (see there).
 */
#ifndef KILN_VM_IMAGE_H
#define KILN_VM_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "frontend/module.h"
#include "vmctx.h"

typedef struct vm_mem_image {
  const uint8_t *bytes; /* len bytes, or NULL: the memory has no image */
  uint64_t len;         /* a multiple of 4096 */
  int memfd;            /* the bytes in a sealed memfd, made on first need; -1 */
  int memfd_state;      /* 0: not tried, 1: made, -1: failed (copy instead) */
} vm_mem_image;

typedef struct vm_image {
  vm_fold fold;
  uint8_t *vmctx;      /* layout.size bytes */
  uint32_t *relocs;    /* offsets of 8-byte words of vmctx to add vmctx's address to */
  uint32_t nrelocs;
  uint32_t **tables;   /* per defined table: NULL, or lim.min vmctx offsets */
  vm_mem_image *mems;  /* per defined memory */
  uint32_t ntables, nmems; /* defined ones */
} vm_image;

struct vm_compiled;
/* Builds the fold and the images of module m for vmctx layout l (the
 * compiled code's entries and trampolines are filled in later by
 * vm_image_set_code).  NULL when out of memory. */
vm_image *vm_image_new(const fe_module *m, const vm_layout *l);
/* Writes the code addresses into the image's function references. */
void vm_image_set_code(vm_image *img, const fe_module *m, const vm_layout *l,
                       void *const *entries, void (*const *trampolines)(void *, void *, void *));
void vm_image_free(vm_image *img);

/* The memfd holding memory image mi, made on first call (thread-safe); -1
 * if none can be made (then the bytes are copied). */
int vm_mem_image_fd(vm_mem_image *mi);

/* Whether the 4096 bytes at p are all zero. */
bool vm_page_is_zero(const uint8_t *p);

#endif
