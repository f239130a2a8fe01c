/* frontend/serial.h — a module description saved as bytes and loaded back
 * without decoding or validating the module again (the module cache and
 * precompiled artifacts, docs/cache.md).
 *
 * What is saved is what instantiation needs: types, imports, exports,
 * functions' types, tables, memories, globals, tags, element and data
 * segments, the start function, and the bytes their spans point to
 * (names, constant expressions, segment contents), copied into one blob.
 * Function bodies are not saved (compiled code replaces them); nor are
 * custom sections, function names and the declared-function set, which
 * only validation and compilation read.  A loaded module has
 * bodies_dropped set and every fe_func body and code span empty.
 *
 * The bytes are Kiln's own, written by the same build (the artifact
 * header says which: vm/artifact.c), but the loader still treats them as
 * untrusted: every count, index, value type and span is checked, and a
 * bad description is an error (FE_E_CORRUPT, with what was wrong), never a
 * crash.  Types are interned in the engine's registry as decoding does,
 * supertype checks included.
 */
#ifndef KILN_FRONTEND_SERIAL_H
#define KILN_FRONTEND_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "module.h"

/* Bumped whenever the saved form changes. */
#define FE_SERIAL_VERSION 1u

/* Saves the description of m into a new malloc'ed buffer (*out, *size).
 * False when out of memory (nothing to free then). */
bool fe_module_save(const fe_module *m, uint8_t **out, size_t *size);

/* Loads a description saved by fe_module_save, interning its types in
 * reg.  NULL with *err filled (FE_E_CORRUPT, FE_E_NOMEM, or a type
 * registry error) when the bytes are not a good description. */
fe_module *fe_module_load(fe_typereg *reg, const uint8_t *bytes, size_t size, fe_error *err);

#endif
