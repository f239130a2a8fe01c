/* frontend/decode.h — decoding of types shared by the section decoder
 * (decode.c) and the code validator (validate.c).
 *
 * Type indices are checked against `ntypes`, the number of types that may be
 * referenced at this point (inside the type section: up to the end of the
 * current rec group; elsewhere: all of them); a larger index raises
 * FE_E_UNKNOWN_TYPE.  Concrete heap types come back in FE_HT_MODULE form.
 */
#ifndef KILN_FRONTEND_DECODE_H
#define KILN_FRONTEND_DECODE_H

#include "module.h"
#include "reader.h"
#include "validate.h"

/* The section decoder, called by fe_module_new (module.c) under its
 * setjmp: decodes and validates all of m->bytes, raising every error
 * through ec (whose section and function it keeps up to date). */
void fe_decode_module(fe_module *m, fe_validator *v, fe_errctx *ec);

/* valtype: numtype | vectype | reftype (incl. the one-byte shorthands like
 * 0x70 funcref, and 0x63/0x64 ht).  Raises FE_E_VALTYPE on a bad byte. */
fe_valtype fe_read_valtype(fe_reader *r, uint32_t ntypes);
/* reftype only; raises FE_E_REFTYPE on a non-reference type. */
fe_valtype fe_read_reftype(fe_reader *r, uint32_t ntypes);
/* heaptype (abstract byte or s33 type index), returned as a reference type
 * with the given nullability.  Raises FE_E_HEAPTYPE on a bad byte. */
fe_valtype fe_read_heaptype(fe_reader *r, uint32_t ntypes, bool nullable);

#endif
