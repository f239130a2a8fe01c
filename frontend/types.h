/* frontend/types.h — the engine-wide type registry and subtyping.
 *
 * Wasm 3.0 types are iso-recursive: two rec groups are the same type if
 * they are structurally identical after references inside the group are
 * replaced by group-relative indices and references outside it by the
 * canonical ids of their (already canonical) targets.  The registry
 * hash-conses rec groups in that form, so that a canonical id (uint32)
 * identifies a type across every module of an engine and type equality is
 * id equality.  Each canonical type keeps its declared supertype chain as a
 * display (supers[depth]), so `sub <: super` on canonical ids is one bounds
 * check and one load.
 *
 * Thread safety: interning takes a mutex; lookups of ids that a caller
 * already holds (fe_typereg_type, fe_typereg_sub) take no lock, because
 * canonical type records never move once published.
 *
 * Lifetime: entries live until the registry is freed (with its engine).
 * Releasing the types of dead modules is future work (docs/architecture.md).
 */
#ifndef KILN_FRONTEND_TYPES_H
#define KILN_FRONTEND_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "module.h"

fe_typereg *fe_typereg_new(void); /* NULL on out of memory */
void fe_typereg_free(fe_typereg *reg);

/* Interns the rec group m->types[start .. start+n) (whose value types use
 * FE_HT_MODULE indices; indices below `start` must already be interned) and
 * sets m->types[i].canon for each.  Then checks every declared supertype of
 * the group (FE_E_SUB_TYPE, FE_E_UNKNOWN_TYPE), raising through ec.  Also
 * raises FE_E_TOO_MANY (a supertype chain deeper than 63, the JS API's
 * limit, or more than 2^24 canonical types in the registry) and
 * FE_E_NOMEM.  `offset` is used for error positions. */
void fe_typereg_intern(fe_typereg *reg, fe_module *m, uint32_t start,
                       uint32_t n, const fe_errctx *ec, size_t offset);

/* The canonical record of a type: its value types use FE_HT_CANON (never
 * FE_HT_REC), `super` is a canonical id or FE_NO_INDEX, `canon` is id. */
const fe_type *fe_typereg_type(const fe_typereg *reg, uint32_t id);

/* Declared-subtype relation on canonical ids (reflexive, transitive). */
bool fe_typereg_sub(const fe_typereg *reg, uint32_t sub, uint32_t super);

/* Number of canonical types (for statistics and tests). */
uint32_t fe_typereg_count(const fe_typereg *reg);

/* fe_ht_top (below) of a value type in canonical form (FE_HT_ABSTRACT or
 * FE_HT_CANON), which needs no module: for the engine, whose types are
 * canonical. */
uint8_t fe_typereg_ht_top(const fe_typereg *reg, fe_valtype t);

/* ------------------------------------------------------------------------
 * Subtyping of value and heap types.
 *
 * These take value types in FE_HT_MODULE form relative to module m (m may
 * be NULL only if no concrete types occur).  FE_BOT is a subtype of every
 * type.  Heap types are given as reference value types; nullability is
 * ignored by fe_ht_sub.
 * ---------------------------------------------------------------------- */
bool fe_vt_sub(const fe_module *m, fe_valtype a, fe_valtype b);
bool fe_ht_sub(const fe_module *m, fe_valtype a, fe_valtype b);
/* Type equality in module form: concrete types compare by canonical id. */
bool fe_vt_eq(const fe_module *m, fe_valtype a, fe_valtype b);
/* The top (FE_HT_ANY, FE_HT_FUNC, FE_HT_EXTERN, FE_HT_EXN) and bottom
 * (FE_HT_NONE, FE_HT_NOFUNC, FE_HT_NOEXTERN, FE_HT_NOEXN) abstract heap type
 * of the hierarchy a reference type's heap type belongs to. */
uint8_t fe_ht_top(const fe_module *m, fe_valtype t);
uint8_t fe_ht_bottom(const fe_module *m, fe_valtype t);

#endif
