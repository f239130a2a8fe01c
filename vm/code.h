/* vm/code.h — loading compiled code: an ELF64 x86-64 relocatable object
 * (what jit/ emits, and what the module cache stores) mapped into memory,
 * relocated and protected, without LLVM.
 *
 * The same call serves a fresh compile and a cache hit.  The object is
 * untrusted input (it may come from a corrupt cache file): every field is
 * validated before use, and a bad object gives NULL and a message naming
 * what is wrong and where, never a crash.  The design (image layout, W^X,
 * GOT and call stubs, what is accepted) is described at the top of code.c
 * and in docs/architecture.md, "Code loading".
 */
#ifndef KILN_VM_CODE_H
#define KILN_VM_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vm_code vm_code;

/* Returns the address of an undefined symbol of the object (a runtime
 * helper), or NULL if the name is unknown.  Called at most once per
 * undefined symbol per load attempt, only for symbols that a loaded section
 * refers to, in no particular order; a non-PIC object may be loaded twice
 * (see vm_code_load), so a name can be asked for again.  A NULL answer is an
 * error unless the symbol is weak (it then resolves to address 0). */
typedef void *(*vm_code_resolver)(void *ud, const char *name);

/* Loads the relocatable object obj[0 .. size) (which is only read, and may
 * be freed once the call returns).  resolve may be NULL if the object has
 * no undefined symbols.  On failure returns NULL and, if errlen > 0, writes
 * a NUL-terminated message to err (truncated to errlen bytes). */
__attribute__((warn_unused_result)) vm_code *
vm_code_load(const uint8_t *obj, size_t size, vm_code_resolver resolve,
             void *ud, char *err, size_t errlen);

/* The address of the symbol `name` defined by the object: its function or
 * data, in the loaded image (an absolute symbol gives its value).  Global
 * and weak symbols take precedence over local ones of the same name; among
 * locals the first in the symbol table wins.  NULL if there is none.
 * Average O(1): a hash table built during the load. */
void *vm_code_symbol(const vm_code *c, const char *name);

/* Whether pc lies in the executable part of the image (the code sections
 * and the call stubs), for the trap handler. */
bool vm_code_contains(const vm_code *c, uintptr_t pc);

/* Bytes of address space the image occupies (all its regions). */
size_t vm_code_size(const vm_code *c);

/* The executable part of the image, [*start, *start + *len): what the trap
 * handler must know as generated code (vm/trap.h). */
void vm_code_text_range(const vm_code *c, uintptr_t *start, size_t *len);

/* Unmaps the image and frees everything; NULL is allowed. */
void vm_code_free(vm_code *c);

#endif
