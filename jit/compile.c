/* jit/compile.c — compiling a module into one relocatable object: the LLVM
 * context and target machine, the declarations of every function, lowering
 * (emit_*.c), the pass pipeline, object emission and the merge of the
 * partitions' objects.
 *
 * The defined functions are split into contiguous partitions of similar
 * code size, one per thread (small modules: one), each lowered into its own
 * LLVM context and module and emitted as its own object, so that LLVM can
 * inline within a partition and partitions compile in parallel.  Every call
 * between defined functions is a direct call to a hidden symbol kiln_f<N>:
 * a partition declares the other partitions' functions it calls, its object
 * leaves them undefined, and the objects are then merged into one
 * (jit/link.c), which resolves them.  So a module is one object whatever
 * the number of threads, and the merge checks that no kiln_* symbol stays
 * undefined.  The target is the host (its CPU and features), PIC with the
 * small code model: the object can be loaded anywhere (vm/code.c), and a
 * call to a hidden symbol is PC-relative (R_X86_64_PLT32), resolved inside
 * the loaded image.
 */
#include "emit.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "frontend/types.h"
#include "jit.h"
#include "link.h"

/* ------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------- */

/* Whether a reference type is in the func hierarchy (a pointer to a
 * vm_funcref) rather than a 32-bit GC reference. */
static bool is_func_ref(const jit_module *jm, fe_valtype t) {
  return fe_ht_top(jm->m, t) == FE_HT_FUNC;
}

LLVMTypeRef jit_type(jit_module *jm, fe_valtype t) {
  switch (FE_VT_CODE(t)) {
  case FE_I32: return jm->t_i32;
  case FE_I64: return jm->t_i64;
  case FE_F32: return jm->t_f32;
  case FE_F64: return jm->t_f64;
  case FE_V128: return jm->t_v128;
  default: return is_func_ref(jm, t) ? jm->t_ptr : jm->t_i32;
  }
}

LLVMTypeRef jit_fn_type(jit_module *jm, uint32_t t) {
  if (jm->fn_types[t])
    return jm->fn_types[t];
  const fe_type *ft = &jm->m->types[t];
  uint32_t np = ft->nparams, nr = fe_func_nresults(ft);
  LLVMTypeRef *params = malloc((np + 2) * sizeof *params);
  if (!params)
    abort();
  unsigned n = 0;
  params[n++] = jm->t_ptr;
  for (uint32_t i = 0; i < np; i++)
    params[n++] = jit_type(jm, ft->vt[i]);
  LLVMTypeRef ret;
  if (nr == 0) {
    ret = jm->t_void;
  } else if (nr == 1) {
    ret = jit_type(jm, fe_func_results(ft)[0]);
  } else if (!jit_results_in_memory(ft)) {
    LLVMTypeRef rs[3];
    for (uint32_t i = 0; i < nr; i++)
      rs[i] = jit_type(jm, fe_func_results(ft)[i]);
    ret = LLVMStructTypeInContext(jm->ctx, rs, nr, 0);
  } else {
    params[n++] = jm->t_ptr; /* the results area */
    ret = jm->t_void;
  }
  jm->fn_types[t] = LLVMFunctionType(ret, params, n, 0);
  free(params);
  return jm->fn_types[t];
}

LLVMValueRef jit_intrinsic(jit_module *jm, const char *name, LLVMTypeRef *types,
                           unsigned ntypes, LLVMTypeRef *fnty) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  if (fnty)
    *fnty = LLVMIntrinsicGetType(jm->ctx, id, types, ntypes);
  return LLVMGetIntrinsicDeclaration(jm->mod, id, types, ntypes);
}

/* ------------------------------------------------------------------------
 * Target
 * ---------------------------------------------------------------------- */

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;
static void llvm_init(void) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
}

static LLVMTargetMachineRef make_target(unsigned opt, char *err, size_t errlen) {
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef target;
  char *msg = NULL;
  LLVMTargetMachineRef tm = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    snprintf(err, errlen, "no LLVM target for %s: %s", triple, msg ? msg : "?");
    LLVMDisposeMessage(msg);
  } else {
    char *cpu = LLVMGetHostCPUName();
    char *features = LLVMGetHostCPUFeatures();
    LLVMCodeGenOptLevel level = opt == 0   ? LLVMCodeGenLevelNone
                                : opt == 1 ? LLVMCodeGenLevelLess
                                : opt == 2 ? LLVMCodeGenLevelDefault
                                           : LLVMCodeGenLevelAggressive;
    tm = LLVMCreateTargetMachine(target, triple, cpu, features, level,
                                 LLVMRelocPIC, LLVMCodeModelSmall);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    if (!tm)
      snprintf(err, errlen, "LLVM cannot make a target machine for %s", triple);
  }
  LLVMDisposeMessage(triple);
  return tm;
}

/* ------------------------------------------------------------------------
 * The module
 * ---------------------------------------------------------------------- */

/* The TBAA type tree: one root and a scalar type per alias class, each
 * access tag {type, type, 0}. */
static void init_tbaa(jit_module *jm) {
  LLVMContextRef c = jm->ctx;
  static const char *const names[4] = {"kiln.linear", "kiln.vm", "kiln.global", "kiln.table"};
  jm->tbaa_kind = LLVMGetMDKindIDInContext(c, "tbaa", 4);
  LLVMMetadataRef root_name = LLVMMDStringInContext2(c, "kiln.tbaa", 9);
  LLVMMetadataRef root = LLVMMDNodeInContext2(c, &root_name, 1);
  LLVMMetadataRef zero = LLVMValueAsMetadata(LLVMConstInt(LLVMInt64TypeInContext(c), 0, 0));
  for (int i = 0; i < 4; i++) {
    LLVMMetadataRef ty_ops[3] = {LLVMMDStringInContext2(c, names[i], strlen(names[i])), root,
                                 zero};
    LLVMMetadataRef ty = LLVMMDNodeInContext2(c, ty_ops, 3);
    LLVMMetadataRef tag_ops[3] = {ty, ty, zero};
    jm->tbaa[i] = LLVMMDNodeInContext2(c, tag_ops, 3);
  }
}

/* {"branch_weights", 2000, 1}: the first successor is the likely one (the
 * weights clang gives __builtin_expect). */
static void init_prof(jit_module *jm) {
  LLVMContextRef c = jm->ctx;
  jm->prof_kind = LLVMGetMDKindIDInContext(c, "prof", 4);
  LLVMTypeRef i32 = LLVMInt32TypeInContext(c);
  LLVMMetadataRef ops[3] = {LLVMMDStringInContext2(c, "branch_weights", 14),
                            LLVMValueAsMetadata(LLVMConstInt(i32, 2000, 0)),
                            LLVMValueAsMetadata(LLVMConstInt(i32, 1, 0))};
  jm->prof_likely_first = LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, ops, 3));
}

LLVMValueRef jit_tag(jit_module *jm, LLVMValueRef access, jit_alias cls) {
  LLVMSetMetadata(access, jm->tbaa_kind, LLVMMetadataAsValue(jm->ctx, jm->tbaa[cls]));
  return access;
}

static void init_types(jit_module *jm) {
  LLVMContextRef c = jm->ctx;
  jm->t_void = LLVMVoidTypeInContext(c);
  jm->t_i1 = LLVMInt1TypeInContext(c);
  jm->t_i8 = LLVMInt8TypeInContext(c);
  jm->t_i16 = LLVMInt16TypeInContext(c);
  jm->t_i32 = LLVMInt32TypeInContext(c);
  jm->t_i64 = LLVMInt64TypeInContext(c);
  jm->t_f32 = LLVMFloatTypeInContext(c);
  jm->t_f64 = LLVMDoubleTypeInContext(c);
  jm->t_v128 = LLVMVectorType(jm->t_i64, 2);
  jm->t_ptr = LLVMPointerTypeInContext(c, 0);
  jm->a_noreturn = LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("noreturn", 8), 0);
  jm->a_nounwind = LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("nounwind", 8), 0);
  jm->a_cold = LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("cold", 4), 0);
  /* frame pointers everywhere: trap backtraces walk them (docs/jit.md) */
  jm->a_frame_pointer = LLVMCreateStringAttribute(c, "frame-pointer", 13, "all", 3);
  jm->a_probe_stack = LLVMCreateStringAttribute(c, "probe-stack", 11, "inline-asm", 10);
  jm->a_optnone = LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("optnone", 7), 0);
  jm->a_noinline = LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("noinline", 8), 0);
  init_tbaa(jm);
  init_prof(jm);
}

/* Declares defined function i as kiln_f<i>: hidden, so that calls to it
 * are direct even when another partition's object defines it. */
static LLVMValueRef declare_function(jit_module *jm, uint32_t i) {
  char name[32];
  snprintf(name, sizeof name, "kiln_f%u", i);
  LLVMValueRef fn = LLVMAddFunction(jm->mod, name, jit_fn_type(jm, jm->m->funcs[i].type));
  LLVMSetFunctionCallConv(fn, JIT_TAILCC);
  LLVMSetVisibility(fn, LLVMHiddenVisibility);
  jit_set_function_attrs(jm, fn);
  jm->funcs[i] = fn;
  return fn;
}

/* Declares the functions [first, last) of this partition (to be defined
 * by lowering). */
static void declare_functions(jit_module *jm, uint32_t first, uint32_t last) {
  for (uint32_t i = first; i < last; i++)
    declare_function(jm, i);
}

void jit_set_function_attrs(jit_module *jm, LLVMValueRef fn) {
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, jm->a_frame_pointer);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, jm->a_nounwind);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, jm->a_probe_stack);
}

LLVMValueRef jit_function(jit_module *jm, uint32_t index) {
  return jm->funcs[index] ? jm->funcs[index] : declare_function(jm, index);
}

static bool run_passes(jit_module *jm, LLVMTargetMachineRef tm, const char *passes,
                       char *err, size_t errlen) {
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(jm->mod, passes, tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (e) {
    char *em = LLVMGetErrorMessage(e);
    snprintf(err, errlen, "LLVM passes failed (%s): %s", passes, em);
    LLVMDisposeErrorMessage(em);
    return false;
  }
  return true;
}

/* The pass pipeline.  From O2 on, loops are first brought into canonical
 * form (SSA, rotated, loop-invariant loads such as a memory's length
 * hoisted, induction variables widened), their latches made fit for IRCE
 * (jit/loops.c), and IRCE splits out main loops without bounds checks
 * before the standard pipeline runs, whose vectorizer can then work on
 * them. */
static bool optimize(jit_module *jm, LLVMTargetMachineRef tm, unsigned opt, char *err,
                     size_t errlen) {
  char passes[64];
  snprintf(passes, sizeof passes, "default<O%u>", opt > 3 ? 3 : opt);
  if (opt < 2)
    return run_passes(jm, tm, passes, err, errlen);
  static const char canonical_loops[] =
      "function(sroa,early-cse<memssa>,simplifycfg,instcombine<no-verify-fixpoint>,loop-simplify,lcssa,"
      "loop-mssa(loop-rotate,licm),simplifycfg,instcombine<no-verify-fixpoint>,loop-simplify,lcssa,"
      "loop(indvars))";
  if (!run_passes(jm, tm, canonical_loops, err, errlen))
    return false;
  jit_canonicalize_latches(jm->mod);
  snprintf(passes, sizeof passes, "function(irce),default<O%u>", opt > 3 ? 3 : opt);
  return run_passes(jm, tm, passes, err, errlen);
}

static bool emit_object(jit_module *jm, LLVMTargetMachineRef tm, unsigned opt,
                        jit_object *out, char *err, size_t errlen) {
  char *msg = NULL;
  if (LLVMVerifyModule(jm->mod, LLVMReturnStatusAction, &msg)) {
    snprintf(err, errlen, "compiler bug: invalid LLVM IR: %.400s", msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return false;
  }
  LLVMDisposeMessage(msg);
  if (!optimize(jm, tm, opt, err, errlen))
    return false;
  LLVMMemoryBufferRef buf = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, jm->mod, LLVMObjectFile, &msg, &buf)) {
    snprintf(err, errlen, "LLVM could not emit an object: %s", msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return false;
  }
  out->size = LLVMGetBufferSize(buf);
  out->bytes = malloc(out->size ? out->size : 1);
  if (!out->bytes) {
    LLVMDisposeMemoryBuffer(buf);
    snprintf(err, errlen, "out of memory for a %zu-byte object", out->size);
    return false;
  }
  memcpy(out->bytes, LLVMGetBufferStart(buf), out->size);
  LLVMDisposeMemoryBuffer(buf);
  return true;
}

/* ------------------------------------------------------------------------
 * Partitions
 * ---------------------------------------------------------------------- */

/* One partition: the defined functions [first, last), compiled into one
 * object on one thread; partition 0 also gets the init routine and the
 * trampolines (jit.h). */
typedef struct partition {
  const jit_request *req;
  uint32_t first, last;
  bool extras;
  bool ok;
  jit_object obj;
  char err[512];
} partition;

/* Lowering reads validated bodies, so a reader error here means the
 * compiler and the validator disagree (or an instruction the compiler does
 * not support yet): it is reported, not raised past this point. */
static bool lower_partition(jit_module *jm, partition *p) {
  jmp_buf jb;
  jm->ec = (fe_errctx){&jm->err, &jb, FE_SEC_CODE, FE_NO_FUNC};
  volatile uint32_t i = p->first;
  if (setjmp(jb)) {
    jit_func_release(jm->cur);
    char line[256];
    fe_error_format(&jm->err, line, sizeof line);
    if (jm->err.func == FE_NO_FUNC)
      snprintf(p->err, sizeof p->err, "cannot compile the init routine: %s", line);
    else
      snprintf(p->err, sizeof p->err, "cannot compile function %u: %s", (unsigned)i, line);
    return false;
  }
  for (; i < p->last; i++) {
    jm->ec.func = i;
    jit_emit_function(jm, i);
  }
  if (p->extras) {
    jm->ec.func = FE_NO_FUNC;
    jit_emit_init(jm);
    for (uint32_t t = 0; t < jm->m->ntypes; t++)
      if (jm->m->types[t].kind == FE_COMP_FUNC) {
        jit_emit_trampoline(jm, t);
        jit_emit_host_trampoline(jm, t);
      }
  }
  return true;
}

/* Compiles one partition with its own LLVM context and target machine, so
 * that partitions run on threads without sharing LLVM state. */
static void compile_partition(partition *p) {
  const jit_request *req = p->req;
  const fe_module *m = req->module;
  LLVMTargetMachineRef tm = make_target(req->opt_level, p->err, sizeof p->err);
  if (!tm)
    return;
  jit_module jm;
  memset(&jm, 0, sizeof jm);
  jm.m = m;
  jm.layout = req->layout;
  jm.fold = req->fold;
  jm.ctx = LLVMContextCreate();
  jm.mod = LLVMModuleCreateWithNameInContext("kiln", jm.ctx);
  jm.b = LLVMCreateBuilderInContext(jm.ctx);
  init_types(&jm);
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(jm.mod, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(jm.mod, td);
  LLVMDisposeTargetData(td);
  jm.fn_types = calloc(m->ntypes ? m->ntypes : 1, sizeof *jm.fn_types);
  jm.funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *jm.funcs);
  if (!jm.fn_types || !jm.funcs) {
    snprintf(p->err, sizeof p->err, "out of memory");
  } else {
    jm.call_area_size = jit_call_area_size(m);
    declare_functions(&jm, p->first, p->last);
    p->ok = lower_partition(&jm, p) &&
            emit_object(&jm, tm, req->opt_level, &p->obj, p->err, sizeof p->err);
  }
  free(jm.fn_types);
  free(jm.funcs);
  LLVMDisposeBuilder(jm.b);
  LLVMDisposeModule(jm.mod);
  LLVMContextDispose(jm.ctx);
  LLVMDisposeTargetMachine(tm);
}

static void *partition_thread(void *arg) {
  compile_partition(arg);
  return NULL;
}

/* Default partition size: below it, a thread costs more than it saves. */
enum { PART_BYTES_DEFAULT = 32 * 1024, MAX_PARTS = 64 };

/* Splits the defined functions into at most `threads` contiguous ranges of
 * roughly equal code size, each of at least part_bytes (so small modules
 * stay whole: one LLVM module, inlining everywhere, no merge).  Returns the
 * count. */
static uint32_t plan_partitions(const jit_request *req, partition *parts, uint32_t max) {
  const fe_module *m = req->module;
  uint64_t total = 0;
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
    total += m->funcs[i].code.len;
  uint64_t part_bytes = req->part_bytes ? req->part_bytes : PART_BYTES_DEFAULT;
  uint64_t n = total / part_bytes;
  if (n > max)
    n = max;
  if (n > m->nfuncs - m->nfunc_imports)
    n = m->nfuncs - m->nfunc_imports;
  if (n == 0)
    n = 1;
  uint64_t target = (total + n - 1) / n, acc = 0;
  uint32_t k = 0;
  parts[0].first = m->nfunc_imports;
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
    acc += m->funcs[i].code.len;
    if (acc >= target * (k + 1) && k + 1 < n && i + 1 < m->nfuncs) {
      parts[k].last = i + 1;
      parts[++k].first = i + 1;
    }
  }
  parts[k].last = m->nfuncs;
  for (uint32_t i = 0; i <= k; i++) {
    parts[i].req = req;
    parts[i].extras = i == 0;
  }
  return k + 1;
}

/* The partitions' objects as the module's one object: a single one as it
 * is (taken from its partition), several merged (jit/link.c; the inputs
 * stay with their partitions). */
static bool merge_partitions(partition *parts, uint32_t n, jit_object *obj, char *err,
                             size_t errlen) {
  if (n == 1) {
    *obj = parts[0].obj;
    parts[0].obj = (jit_object){0};
    return true;
  }
  jit_object objs[MAX_PARTS];
  for (uint32_t i = 0; i < n; i++)
    objs[i] = parts[i].obj;
  char why[400];
  if (jit_link(objs, n, "kiln_", obj, why, sizeof why))
    return true;
  /* the objects are LLVM's: a failure is a compiler bug (or memory) */
  snprintf(err, errlen, "cannot merge the objects of %u partitions: %s", n, why);
  return false;
}

bool jit_compile(const jit_request *req, jit_output *out, char *err, size_t errlen) {
  pthread_once(&llvm_once, llvm_init);
  memset(out, 0, sizeof *out);
  unsigned threads = req->threads;
  if (threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (unsigned)n : 1;
  }
  partition *parts = calloc(MAX_PARTS, sizeof *parts);
  if (!parts) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  uint32_t n = plan_partitions(req, parts, threads < MAX_PARTS ? threads : MAX_PARTS);
  pthread_t tids[MAX_PARTS];
  bool started[MAX_PARTS] = {false};
  for (uint32_t i = 1; i < n; i++)
    started[i] = pthread_create(&tids[i], NULL, partition_thread, &parts[i]) == 0;
  compile_partition(&parts[0]);
  for (uint32_t i = 1; i < n; i++) {
    if (started[i])
      pthread_join(tids[i], NULL);
    else
      compile_partition(&parts[i]); /* no thread: compile it here */
  }
  bool ok = true;
  for (uint32_t i = 0; i < n && ok; i++)
    if (!parts[i].ok) {
      snprintf(err, errlen, "%s", parts[i].err);
      ok = false;
    }
  jit_object obj = {0};
  ok = ok && merge_partitions(parts, n, &obj, err, errlen);
  if (ok) {
    out->objects = malloc(sizeof *out->objects);
    if (out->objects) {
      out->objects[0] = obj;
      out->count = 1;
    } else {
      free(obj.bytes);
      snprintf(err, errlen, "out of memory");
      ok = false;
    }
  }
  for (uint32_t i = 0; i < n; i++)
    free(parts[i].obj.bytes);
  free(parts);
  return ok;
}

void jit_free_output(jit_output *out) {
  for (uint32_t i = 0; i < out->count; i++)
    free(out->objects[i].bytes);
  free(out->objects);
  out->objects = NULL;
  out->count = 0;
}
