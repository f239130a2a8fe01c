/* frontend/validate.h — validation of code: function bodies and constant
 * expressions.
 *
 * One pass over the instructions with an operand stack and a control stack
 * (the spec appendix's algorithm), typing each instruction from the opcode
 * table or by hand.  Errors are raised through the error context (error.h).
 * A validator holds scratch stacks reused across functions; it is owned by
 * one thread at a time.
 */
#ifndef KILN_FRONTEND_VALIDATE_H
#define KILN_FRONTEND_VALIDATE_H

#include "module.h"
#include "reader.h"

typedef struct fe_validator fe_validator;

/* NULL on out of memory.  ec must stay valid while the validator is used. */
fe_validator *fe_validator_new(fe_module *m, const fe_errctx *ec);
void fe_validator_free(fe_validator *v);

/* Validates the body of function f (a definition) from m->funcs[f].body:
 * decodes its locals into m->funcs[f].locals / nlocals and sets
 * m->funcs[f].code.  The caller has set the error context's section and
 * function. */
void fe_validate_func(fe_validator *v, uint32_t f);

/* Validates a constant expression read from r (through its final `end`,
 * leaving r after it) whose result must match `type`.  Only globals
 * [0, nglobals) may be read (a global's initializer sees the globals before
 * it; other initializers see all).  Every ref.func it contains marks its
 * function in m->declared_funcs, which must already be allocated.  Returns
 * the expression's span. */
fe_span fe_validate_const(fe_validator *v, fe_reader *r, fe_valtype type,
                          uint32_t nglobals);

#endif
