/* jit/emit.h — the compiler's internal interface: the state of a module and
 * of a function being lowered to LLVM IR, and the lowering entry points of
 * each opcode group (emit_*.c).
 *
 * Lowering walks a validated body once, keeping the Wasm operand stack as a
 * stack of LLVM values and the control stack as frames with their LLVM
 * blocks.  Block results meet in phi nodes at the block's continuation (at
 * the header, for a loop's parameters).  Code after an unconditional branch
 * is skipped up to the end of its block: the validator has typed it, and no
 * IR is made for it.  Since the body is valid, lowering asserts rather than
 * checks.
 */
#ifndef KILN_JIT_EMIT_H
#define KILN_JIT_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>

#include "frontend/module.h"
#include "frontend/opcode.h"
#include "frontend/reader.h"
#include "jit/jit.h"
#include "vm/vmctx.h"

/* LLVM's tailcc, which the C API has no name for. */
#define JIT_TAILCC 18u

/* ------------------------------------------------------------------------
 * Module state
 * ---------------------------------------------------------------------- */
typedef struct jit_module {
  const fe_module *m;
  const vm_layout *layout;
  const vm_fold *fold; /* NULL: nothing folded (jit_request.fold) */
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;

  LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f32, t_f64, t_v128,
      t_ptr;
  LLVMTypeRef *fn_types; /* per module type index (func types), lazily */
  LLVMValueRef *funcs;   /* per function index: this partition's
                            functions, and declarations of the other
                            partitions' functions it calls (made on first
                            use, jit_function); NULL for imports */
  LLVMAttributeRef a_noreturn, a_frame_pointer, a_nounwind, a_cold, a_probe_stack, a_optnone,
      a_noinline;

  /* error context for the reader (bodies are valid: an error here is a
   * compiler bug or an unsupported instruction, reported as such) */
  fe_errctx ec;
  fe_error err;
  struct jit_func *cur; /* the function being lowered (freed on errors) */
  uint32_t call_area_size; /* bytes of the results area callees with 4 or
                              more results need (largest such type) */
  /* TBAA access tags: accesses of different classes never alias, so that
   * LLVM may keep a memory's base in a register across stores to linear
   * memory (docs/jit.md). */
  unsigned tbaa_kind;
  LLVMMetadataRef tbaa[4];
  /* Branch weights of a bounds check: the in-bounds successor is hot
   * (loop passes such as IRCE only version loops around likely checks). */
  unsigned prof_kind;
  LLVMValueRef prof_likely_first;
} jit_module;

/* Rewrites loop latches `icmp eq|ne iv.next, C` with a constant start and
 * stride into the unsigned inequality IRCE needs, where that is the same
 * test (jit/loops.c); returns how many it rewrote. */
unsigned jit_canonicalize_latches(LLVMModuleRef mod);

/* Functions with more trap branches than this compile unoptimized
 * (optnone): LLVM's optimizations are quadratic in their number. */
#ifndef JIT_MAX_OPTIMIZED_CHECKS
#define JIT_MAX_OPTIMIZED_CHECKS 2000
#endif

/* Alias classes of the memory generated code touches. */
typedef enum jit_alias {
  JIT_ALIAS_LINEAR, /* linear memory */
  JIT_ALIAS_VM,     /* vmctx fields and the records it points to */
  JIT_ALIAS_GLOBAL, /* global slots */
  JIT_ALIAS_TABLE,  /* table elements */
} jit_alias;

/* Tags a load or store with its alias class; returns it. */
LLVMValueRef jit_tag(jit_module *jm, LLVMValueRef access, jit_alias cls);

/* The LLVM type of a Wasm value type. */
LLVMTypeRef jit_type(jit_module *jm, fe_valtype t);
/* The LLVM function type of Wasm function type index `t` (the typed entry:
 * tailcc, vmctx first; see docs/jit.md for results). */
LLVMTypeRef jit_fn_type(jit_module *jm, uint32_t t);
/* Whether results go through a results area (4 or more). */
static inline bool jit_results_in_memory(const fe_type *ft) {
  return fe_func_nresults(ft) >= 4;
}
/* The LLVM function of defined function `index`: this partition's
 * definition or, for another partition's function, a hidden declaration of
 * the same symbol (kiln_f<index>), made on first use.  The merge of the
 * partitions' objects resolves it (jit/link.c). */
LLVMValueRef jit_function(jit_module *jm, uint32_t index);
/* The attributes of every function jit/ defines: frame pointers (for
 * backtraces), nounwind, and inline stack probes, so that a frame larger
 * than a page touches its pages in order and an overflow faults on the
 * stack's guard page instead of writing past it (docs/jit.md). */
void jit_set_function_attrs(jit_module *jm, LLVMValueRef fn);
/* An intrinsic declaration, overloaded on `type` (or not, if type NULL). */
LLVMValueRef jit_intrinsic(jit_module *jm, const char *name, LLVMTypeRef *types,
                           unsigned ntypes, LLVMTypeRef *fnty);

/* ------------------------------------------------------------------------
 * Function state
 * ---------------------------------------------------------------------- */
/* Frame kinds.  JIT_EXPR frames a constant expression lowered inline (the
 * init routine): its `end` leaves the value on the stack and returns. */
enum { JIT_BLOCK, JIT_LOOP, JIT_IF, JIT_ELSE, JIT_FUNC, JIT_EXPR };

typedef struct jit_ctrl {
  uint8_t kind;
  bool has_else;
  uint32_t height;            /* operand stack height below the params */
  uint32_t nparams, nresults;
  const fe_valtype *params, *results;
  fe_valtype single;          /* storage for a one-result block type */
  LLVMBasicBlockRef cont;     /* after the end; holds the result phis */
  LLVMBasicBlockRef header;   /* loop: the branch target, with param phis */
  LLVMBasicBlockRef else_bb;  /* if: the else branch */
  LLVMValueRef *phis;         /* results (at cont) or loop params (at header) */
  LLVMValueRef *if_params;    /* if: the params, for the else branch */
  uint32_t branches;          /* edges into cont so far */
} jit_ctrl;

typedef struct jit_func {
  jit_module *jm;
  LLVMBuilderRef b;
  uint32_t index;       /* function index */
  const fe_type *type;
  LLVMValueRef fn;
  LLVMValueRef vmctx;
  LLVMValueRef results_area; /* the caller's results area (>= 4 results) */
  LLVMValueRef call_area;    /* this function's results area for callees */
  uint32_t call_area_size;
  fe_reader r;

  LLVMValueRef *locals; /* allocas */
  fe_valtype *local_types;
  uint32_t nlocals;

  LLVMValueRef *stack;
  uint32_t sp, stack_cap;
  jit_ctrl *ctrls;
  uint32_t nctrls, ctrl_cap;

  bool dead;            /* the current position is unreachable */
  uint32_t dead_depth;  /* blocks opened inside dead code */

  LLVMBasicBlockRef traps[VM_TRAP_COUNT_];
  uint32_t nchecks;     /* conditional branches to traps emitted */

  LLVMBasicBlockRef entry;  /* the prologue's block (NULL in the init routine) */
  LLVMValueRef *mem_recs;   /* per memory: its vm_memory pointer, loaded once
                               in the entry block (it never changes for an
                               instance); NULL until first used */
  LLVMValueRef gc_scratch;  /* an alloca of the entry block where values for
                               the GC builtins are laid out (emit_gc.c) */
  uint32_t gc_scratch_size; /* its bytes (0: none yet) */
} jit_func;

/* Operand stack. */
void jit_push(jit_func *f, LLVMValueRef v);
static inline LLVMValueRef jit_pop(jit_func *f) { return f->stack[--f->sp]; }
static inline LLVMValueRef jit_top(jit_func *f) { return f->stack[f->sp - 1]; }

/* A block that calls the trap builtin with `code` (one per code and
 * function, made on first use). */
LLVMBasicBlockRef jit_trap_block(jit_func *f, vm_trap_code code);
/* Branches to the trap block when cond is true; continues otherwise. */
void jit_trap_if(jit_func *f, LLVMValueRef cond, vm_trap_code code);
/* Continues when `ok` holds, traps with `code` otherwise: `br ok, cont,
 * trap` with the continuation weighted hot.  The form of a range check
 * that LLVM's IRCE recognizes (`icmp ult index, length`, hot successor
 * first), used for the bounds checks of linear memory. */
void jit_ok_if(jit_func *f, LLVMValueRef ok, vm_trap_code code);
/* Loads a field of vmctx at byte offset `off`, of LLVM type `type`. */
LLVMValueRef jit_load_vmctx(jit_func *f, uint32_t off, LLVMTypeRef type,
                            const char *name);
/* The address vmctx + off. */
LLVMValueRef jit_vmctx_addr(jit_func *f, uint32_t off, const char *name);
/* Calls builtin `bi` through the vmctx's builtins table. */
LLVMValueRef jit_call_builtin(jit_func *f, vm_builtin bi, LLVMTypeRef fnty,
                              LLVMValueRef *args, unsigned nargs);
/* The same, building the function type from `ret` and the argument types. */
LLVMValueRef jit_builtin(jit_func *f, vm_builtin bi, LLVMTypeRef ret, LLVMValueRef *args,
                         LLVMTypeRef *types, unsigned n);
/* A reference value as the 64-bit word builtins and segments hold. */
LLVMValueRef jit_ref_bits(jit_func *f, LLVMValueRef v);
/* memory.init of data segment `seg` into memory `mem`: d in the memory's
 * address type, s and n as i64; checked, then copied. */
void jit_memory_init(jit_func *f, uint32_t seg, uint32_t mem, LLVMValueRef d,
                     LLVMValueRef s, LLVMValueRef n);
/* data.drop. */
void jit_data_drop(jit_func *f, uint32_t seg);
/* An i1: whether reference v (of the hierarchy of rt) is a value of
 * reference type rt (module form; nullable: null passes).  ref.test,
 * ref.cast, br_on_cast and br_on_cast_fail (emit_gc.c). */
LLVMValueRef jit_ref_test(jit_func *f, LLVMValueRef v, fe_valtype rt);
/* Lowers constant expression e at the current position; returns its value. */
LLVMValueRef jit_emit_expr(jit_func *f, fe_span e);

/* ------------------------------------------------------------------------
 * Opcode groups: each returns false if the opcode is not its own.
 * ---------------------------------------------------------------------- */
bool jit_emit_numeric(jit_func *f, fe_opcode op);
bool jit_emit_memory(jit_func *f, fe_opcode op);
bool jit_emit_variable(jit_func *f, fe_opcode op);
bool jit_emit_table(jit_func *f, fe_opcode op);
bool jit_emit_gc(jit_func *f, fe_opcode op);

/* Lowers the body of defined function `index` into its LLVM function. */
void jit_emit_function(jit_module *jm, uint32_t index);
/* The results-area size functions of module m need (jit_module field). */
uint32_t jit_call_area_size(const fe_module *m);
/* Frees the scratch arrays of a function's lowering (after an error). */
void jit_func_release(struct jit_func *f);

/* The interface table's compile entries (jit.h). */
bool jit_compile(const jit_request *req, jit_output *out, char *err, size_t errlen);
void jit_free_output(jit_output *out);
/* Emits the array-call trampoline of function type t ("kiln_a<t>"). */
void jit_emit_trampoline(jit_module *jm, uint32_t t);
/* Emits the host trampoline of function type t ("kiln_h<t>"). */
void jit_emit_host_trampoline(jit_module *jm, uint32_t t);
/* Emits the module's init routine, void kiln_init(ptr vmctx) (C calling
 * convention), and its data stage, void kiln_data(ptr vmctx), which perform
 * the spec's instantiation steps the images do not cover, after the
 * instance's objects exist (docs/jit.md). */
void jit_emit_init(jit_module *jm);

#endif
