/* tests/unit/test_jit.c — the compiler end to end: modules compiled by
 * jit/, loaded by vm/code.c, instantiated by vm/instance.c (compiled init
 * routine, start function) and called through the array-call trampolines.
 *
 * The modules are the .wat files of tests/unit/jit, made binary by wat2wasm at
 * build time; KILN_JIT_PATH points at the build's compiler object.  Modules
 * compiled in several partitions must come back as one object whose calls
 * across partitions work (test_partitions*).
 */
#include <elf.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/module.h"
#include "frontend/types.h"
#include "vm/host.h"
#include "vm/instance.h"
#include "vm/memory.h"
#include "wasm_writer.h"
#include "vm/vm.h"

#ifndef JIT_TEST_DIR
#error "JIT_TEST_DIR must name the directory of the compiled test modules"
#endif

typedef struct loaded {
  fe_typereg *reg;
  fe_module *m;
  vm_compiled *c;
  vm_instance *inst;
  bool trapped;
} loaded;

static void load_ex(loaded *l, const char *name, const vm_extern_ref *imports,
                    const vm_compile_opts *opts);
static void load_with(loaded *l, const char *name, const vm_extern_ref *imports) {
  load_ex(l, name, imports, &(vm_compile_opts){2, 0, 0});
}
static void load(loaded *l, const char *name) { load_with(l, name, NULL); }

/* Decodes and validates a module's bytes into l. */
static void decode_module(loaded *l, const uint8_t *bytes, size_t n) {
  l->reg = fe_typereg_new();
  fe_error e;
  l->m = fe_module_new(l->reg, bytes, n, &e);
  assert_non_null(l->m);
}

/* Decodes and validates tests/unit/jit/<name>.wat's binary. */
static void read_module(loaded *l, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wasm", JIT_TEST_DIR, name);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  decode_module(l, buf, n);
}

/* Compiles l's module with `opts` and instantiates it. */
static void instantiate(loaded *l, const vm_extern_ref *imports, const vm_compile_opts *opts) {
  char err[512];
  l->c = vm_compiled_new_ex(l->m, opts, err, sizeof err);
  if (!l->c)
    fail_msg("compile: %s", err);
  vm_limits lim = {65536, NULL, NULL};
  vm_trap_info t;
  l->inst = vm_instance_new(l->m, l->c, imports, &lim, NULL, &l->trapped, &t, err, sizeof err);
  if (!l->inst)
    fail_msg("instantiate: %s", err);
}

/* Reads, compiles with `opts` and instantiates a module. */
static void load_ex(loaded *l, const char *name, const vm_extern_ref *imports,
                    const vm_compile_opts *opts) {
  read_module(l, name);
  instantiate(l, imports, opts);
}

/* The same for a module built in memory (no imports). */
static void load_bytes(loaded *l, const uint8_t *bytes, size_t n, unsigned opt_level) {
  decode_module(l, bytes, n);
  instantiate(l, NULL, &(vm_compile_opts){opt_level, 0, 0});
}

static void unload(loaded *l) {
  vm_instance_free(l->inst);
  vm_compiled_free(l->c);
  fe_module_free(l->m);
  fe_typereg_free(l->reg);
}

/* Calls function f with up to two 64-bit arguments; returns the trap code
 * (VM_TRAP_NONE on success) and the values area. */
static vm_trap_code call(loaded *l, uint32_t f, uint64_t a, uint64_t b, uint64_t out[4][2]) {
  memset(out, 0, 4 * 2 * sizeof(uint64_t));
  out[0][0] = a;
  out[1][0] = b;
  vm_trap_info t;
  if (vm_invoke(vm_instance_func(l->inst, f), out, &t))
    return VM_TRAP_NONE;
  return t.code;
}

static uint32_t call_i32(loaded *l, uint32_t f, uint64_t a, uint64_t b) {
  uint64_t v[4][2];
  assert_int_equal(call(l, f, a, b, v), VM_TRAP_NONE);
  return (uint32_t)v[0][0];
}

static void test_basics(void **state) {
  (void)state;
  loaded l;
  load(&l, "basics");
  uint64_t v[4][2];
  assert_int_equal(call_i32(&l, 0, 30, 0), 832040); /* fib */
  assert_int_equal(call(&l, 1, 100000, 0, v), VM_TRAP_NONE); /* loop sum */
  assert_int_equal(v[0][0], 5000050000ull);
  assert_int_equal(call_i32(&l, 2, 7, 2), 3); /* div */
  assert_int_equal(call_i32(&l, 2, (uint32_t)-7, 2), (uint32_t)-3);
  assert_int_equal(call(&l, 2, 7, 0, v), VM_TRAP_INT_DIV_ZERO);
  assert_int_equal(call(&l, 2, 0x80000000u, 0xffffffffu, v), VM_TRAP_INT_OVERFLOW);
  /* four results through the results area */
  assert_int_equal(call(&l, 3, 5, 0, v), VM_TRAP_NONE);
  double d;
  float fl;
  memcpy(&d, v[2], 8);
  memcpy(&fl, v[3], 4);
  assert_int_equal((int32_t)v[0][0], 5);
  assert_int_equal((int64_t)v[1][0], 5);
  assert_true(d == 5.0 && fl == 1.5f);
  assert_int_equal(call(&l, 4, 5, 0, v), VM_TRAP_NONE);
  memcpy(&d, v[0], 8);
  assert_true(d == 5.25);
  /* br_table */
  assert_int_equal(call_i32(&l, 5, 0, 0), 10);
  assert_int_equal(call_i32(&l, 5, 1, 0), 20);
  assert_int_equal(call_i32(&l, 5, 2, 0), 30);
  assert_int_equal(call_i32(&l, 5, 99, 0), 30);
  unload(&l);
}

static void test_instance(void **state) {
  (void)state;
  loaded l;
  load(&l, "instance");
  assert_false(l.trapped);
  uint64_t v[4][2];
  assert_int_equal(call_i32(&l, 3, 0, 0), 42);            /* global set by start */
  assert_int_equal(call(&l, 4, 0, 0, v), VM_TRAP_NONE);  /* extended const */
  assert_int_equal(v[0][0], 3);
  assert_int_equal(call_i32(&l, 5, 16, 0), 'h');         /* data segment */
  assert_int_equal(call_i32(&l, 5, 20, 0), 'o');
  assert_int_equal(call_i32(&l, 5, 65535, 0), 0);
  assert_int_equal(call(&l, 5, 65536, 0, v), VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_i32(&l, 6, 1, 5), 6);            /* elem + call_indirect */
  assert_int_equal(call_i32(&l, 6, 2, 5), 10);
  assert_int_equal(call(&l, 6, 0, 5, v), VM_TRAP_UNINIT_ELEM);
  assert_int_equal(call(&l, 6, 4, 5, v), VM_TRAP_UNDEFINED_ELEM);
  assert_int_equal(call_i32(&l, 8, 0, 0), 1);             /* memory.size */
  assert_int_equal(call_i32(&l, 7, 1, 0), 1);             /* memory.grow */
  assert_int_equal(call_i32(&l, 8, 0, 0), 2);
  assert_int_equal(call_i32(&l, 5, 65536, 0), 0);
  assert_int_equal(call_i32(&l, 7, 5, 0), (uint32_t)-1);  /* beyond max */
  assert_int_equal(call(&l, 9, 0, 0, v), VM_TRAP_NONE);   /* memory.fill */
  assert_int_equal(call_i32(&l, 5, 7, 0), 7);
  assert_int_equal(call_i32(&l, 5, 8, 0), 0);
  /* dynamic lengths: LLVM calls libc's memset/memmove (vm/compiled.c) */
  memset(v, 0, sizeof v);
  v[0][0] = 1000;
  v[1][0] = 0x5a;
  v[2][0] = 50000;
  assert_true(vm_invoke(vm_instance_func(l.inst, 12), v, &(vm_trap_info){0}));
  assert_int_equal(call_i32(&l, 5, 50999, 0), 0x5a);
  assert_int_equal(call_i32(&l, 5, 51000, 0), 0);
  memset(v, 0, sizeof v);
  v[0][0] = 1; /* copy [16, 21) "hello" to 1, overlapping nothing */
  v[1][0] = 16;
  v[2][0] = 5;
  assert_true(vm_invoke(vm_instance_func(l.inst, 11), v, &(vm_trap_info){0}));
  assert_int_equal(call_i32(&l, 5, 1, 0), 'h');
  assert_int_equal(call_i32(&l, 5, 5, 0), 'o');
  memset(v, 0, sizeof v);
  v[0][0] = 131072 - 4; /* past the end: traps, writes nothing */
  v[1][0] = 0;
  v[2][0] = 5;
  vm_trap_info ti;
  assert_false(vm_invoke(vm_instance_func(l.inst, 11), v, &ti));
  assert_int_equal(ti.code, VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_i32(&l, 5, 131072 - 4, 0), 0);
  unload(&l);
}

/* Host functions: (i32 i32) -> i32 adds; (i64) -> (i32 i64 f32 f64)
 * spreads its argument; () -> () traps. */
static void host_add(vm_host_func *hf, void *values) {
  (void)hf;
  uint32_t *v = values;
  v[0] = v[0] + v[4]; /* 16-byte slots: v[4] is the second value */
}
static void host_four(vm_host_func *hf, void *values) {
  (void)hf;
  uint8_t *v = values;
  int64_t x;
  memcpy(&x, v, 8);
  int32_t a = (int32_t)x;
  float c = (float)x / 2;
  double d = (double)x * 3;
  memcpy(v + 0, &a, 4);
  memcpy(v + 16, &x, 8);
  memcpy(v + 32, &c, 4);
  memcpy(v + 48, &d, 8);
}
static void host_boom(vm_host_func *hf, void *values) {
  (void)hf;
  (void)values;
  vm_trap_raise(VM_TRAP_UNREACHABLE);
}

static void test_host_calls(void **state) {
  (void)state;
  /* canonical ids come from the module's own registry: load it once to
   * learn them, then instantiate with host functions of those types */
  loaded probe;
  probe.reg = fe_typereg_new();
  char path[512];
  snprintf(path, sizeof path, "%s/host.wasm", JIT_TEST_DIR);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  fe_error e;
  fe_module *m = fe_module_new(probe.reg, buf, n, &e);
  assert_non_null(m);
  vm_host_func *add = vm_host_func_new(m->types[0].canon, host_add, NULL);
  vm_host_func *four = vm_host_func_new(m->types[1].canon, host_four, NULL);
  vm_host_func *boom = vm_host_func_new(m->types[2].canon, host_boom, NULL);
  vm_extern_ref imports[3] = {{FE_EXT_FUNC, {.func = &add->funcref}},
                              {FE_EXT_FUNC, {.func = &four->funcref}},
                              {FE_EXT_FUNC, {.func = &boom->funcref}}};
  char err[512];
  vm_compiled *c = vm_compiled_new(m, 2, err, sizeof err);
  if (!c)
    fail_msg("compile: %s", err);
  vm_limits lim = {65536, NULL, NULL};
  vm_trap_info t;
  bool trapped;
  loaded l = {probe.reg, m, c, NULL, false};
  l.inst = vm_instance_new(m, c, imports, &lim, NULL, &trapped, &t, err, sizeof err);
  assert_non_null(l.inst);
  assert_int_equal(call_i32(&l, 3, 0, 0), 0);
  uint64_t v[4][2] = {{20}, {22}, {100}};
  assert_true(vm_invoke(vm_instance_func(l.inst, 3), v, &t));
  assert_int_equal((uint32_t)v[0][0], 142);
  memset(v, 0, sizeof v);
  v[0][0] = 10;
  assert_true(vm_invoke(vm_instance_func(l.inst, 4), v, &t));
  double d;
  memcpy(&d, v[0], 8);
  assert_true(d == 5.0 + 30.0);
  assert_false(vm_invoke(vm_instance_func(l.inst, 5), v, &t));
  assert_int_equal(t.code, VM_TRAP_UNREACHABLE);
  unload(&l);
  vm_host_func_free(add);
  vm_host_func_free(four);
  vm_host_func_free(boom);
}

/* The basics module split into one partition per function, compiled on 4
 * threads: every result must be what the single-partition compile gives. */
static void test_partitions(void **state) {
  (void)state;
  loaded l;
  load_ex(&l, "basics", NULL, &(vm_compile_opts){2, 4, 1});
  uint64_t v[4][2];
  assert_int_equal(call_i32(&l, 0, 25, 0), 75025);
  assert_int_equal(call(&l, 4, 5, 0, v), VM_TRAP_NONE); /* calls function 3 */
  double d;
  memcpy(&d, v[0], 8);
  assert_true(d == 5.25);
  assert_int_equal(call(&l, 2, 7, 0, v), VM_TRAP_INT_DIV_ZERO);
  unload(&l);
}

static uint64_t call_u64(loaded *l, uint32_t f, uint64_t a) {
  uint64_t v[4][2];
  assert_int_equal(call(l, f, a, 0, v), VM_TRAP_NONE);
  return v[0][0];
}

/* exact_traps: zeroes memory, then b[j] = j + 0.5 for 192 doubles at 4096. */
static void clear_and_fill_b(loaded *l) {
  enum { CLEAR = 6, STORE_F64 = 7 };
  uint64_t v[4][2];
  assert_int_equal(call(l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  for (uint32_t j = 0; j < 192; j++) {
    double x = j + 0.5;
    uint64_t bits;
    memcpy(&bits, &x, 8);
    assert_int_equal(call(l, STORE_F64, 4096 + 8 * j, bits, v), VM_TRAP_NONE);
  }
}

/* Loops whose bounds checks IRCE splits off (jit/loops.c, compiled at O2
 * here): out of bounds, they trap at the iteration the Wasm semantics say,
 * with exactly the stores before it done. */
static void test_exact_traps(void **state) {
  (void)state;
  enum { FILL_NE, FILL_EQ, STORE_THEN_LOAD, AXPY, LOAD8, LOAD64, CLEAR, STORE_F64, FILL_NE_HI,
         AXPY_HI };
  enum { END = 65536 };
  loaded l;
  load(&l, "exact_traps");
  uint64_t v[4][2];

  /* in bounds: all 1024 words written */
  assert_int_equal(call(&l, FILL_NE, 1000, 0, v), VM_TRAP_NONE);
  assert_int_equal(call_u64(&l, LOAD64, 1000 + 4092) & 0xffffffff, 4093);
  /* i32 stores at dst + i, i = 0, 4, ...: the last in bounds is i = 396 */
  assert_int_equal(call(&l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  assert_int_equal(call(&l, FILL_NE, END - 400, 0, v), VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_u64(&l, LOAD64, END - 8) >> 32, 397);
  assert_int_equal(call_u64(&l, LOAD64, END - 400) & 0xffffffff, 1);
  assert_int_equal(call_i32(&l, LOAD8, END - 401, 0), 0);
  /* a misaligned start: the store at i = 396 would cross the end */
  assert_int_equal(call(&l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  assert_int_equal(call(&l, FILL_NE, END - 398, 0, v), VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_u64(&l, LOAD64, END - 10) >> 32, 393);
  for (uint32_t a = END - 2; a < END; a++)
    assert_int_equal(call_i32(&l, LOAD8, a, 0), 0);

  /* i64 stores of -1, i = 0, 8, ..., exit on i == 8000: 100 fit */
  assert_int_equal(call(&l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  assert_int_equal(call(&l, FILL_EQ, END - 804, 0, v), VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_u64(&l, LOAD64, END - 804), UINT64_MAX);
  assert_int_equal(call_u64(&l, LOAD64, END - 12), UINT64_MAX);
  for (uint32_t a = END - 4; a < END; a++)
    assert_int_equal(call_i32(&l, LOAD8, a, 0), 0);
  assert_int_equal(call(&l, FILL_EQ, 100, 0, v), VM_TRAP_NONE);
  assert_int_equal(call_u64(&l, LOAD64, 100 + 7992), UINT64_MAX);
  assert_int_equal(call_i32(&l, LOAD8, 100 + 8000, 0), 0);

  /* the load of iteration 500 traps after that iteration's store */
  assert_int_equal(call(&l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  assert_int_equal(call(&l, STORE_THEN_LOAD, 0, END - 500, v), VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_i32(&l, LOAD8, 500, 0), 0xab);
  assert_int_equal(call_i32(&l, LOAD8, 501, 0), 0);
  /* in bounds, the sum of what was read: a's stores land in b's range */
  assert_int_equal(call(&l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  assert_int_equal(call_i32(&l, STORE_THEN_LOAD, 10, 0), 990 * 0xab);

  /* c[j] += k * b[j] for 192 doubles, then running off the end at c */
  clear_and_fill_b(&l);
  double two = 2.0;
  uint64_t two_bits;
  memcpy(&two_bits, &two, 8);
  assert_int_equal(call(&l, AXPY, 0, 4096, v), VM_TRAP_NONE); /* k = 0 */
  uint64_t args[4][2] = {{0}, {4096}, {two_bits}};
  vm_trap_info t;
  assert_true(vm_invoke(vm_instance_func(l.inst, AXPY), args, &t));
  for (uint32_t j = 0; j < 192; j++) {
    uint64_t bits = call_u64(&l, LOAD64, 8 * j);
    double x;
    memcpy(&x, &bits, 8);
    assert_true(x == 2.0 * (j + 0.5));
  }
  /* c at END - 1000: 125 doubles fit, so iteration 41 (j = 984) does its
   * first two and traps on the third (at 1000) */
  uint64_t args2[4][2] = {{END - 1000}, {4096}, {two_bits}};
  assert_false(vm_invoke(vm_instance_func(l.inst, AXPY), args2, &t));
  assert_int_equal(t.code, VM_TRAP_MEMORY_OOB);
  uint64_t last = call_u64(&l, LOAD64, END - 8);
  double x;
  memcpy(&x, &last, 8);
  assert_true(x == 2.0 * (124 + 0.5));
  assert_int_equal(call_i32(&l, LOAD8, END - 1001, 0), 0);

  /* the same with constant bases, the loops LLVM vectorizes once split */
  assert_int_equal(call(&l, CLEAR, 0, 0, v), VM_TRAP_NONE);
  assert_int_equal(call(&l, FILL_NE_HI, 0, 0, v), VM_TRAP_MEMORY_OOB);
  assert_int_equal(call_u64(&l, LOAD64, END - 8) >> 32, 397);
  assert_int_equal(call_u64(&l, LOAD64, END - 400) & 0xffffffff, 1);
  assert_int_equal(call_i32(&l, LOAD8, END - 401, 0), 0);
  clear_and_fill_b(&l);
  assert_int_equal(call(&l, AXPY_HI, two_bits, 0, v), VM_TRAP_MEMORY_OOB);
  for (uint32_t j = 0; j < 125; j++) {
    uint64_t bits = call_u64(&l, LOAD64, END - 1000 + 8 * j);
    memcpy(&x, &bits, 8);
    assert_true(x == 2.0 * (j + 0.5));
  }
  assert_int_equal(call_i32(&l, LOAD8, END - 1001, 0), 0);
  unload(&l);
}

/* What the compiler returns for xcall.wat with one partition per function
 * (16 threads, partitions of at least 1 byte): one object, holding the
 * partitions' code sections side by side (so there were partitions), with
 * no kiln_* symbol left undefined (every cross-partition call was resolved
 * by the merge, jit/link.c). */
static void test_partitions_one_object(void **state) {
  (void)state;
  loaded l;
  read_module(&l, "xcall");
  const char *why = NULL;
  const jit_interface *jit = vm_compiler_load(&why);
  if (!jit)
    fail_msg("compiler: %s", why ? why : "?");
  vm_layout layout;
  vm_layout_compute(l.m, &layout);
  jit_request req = {l.m, &layout, NULL, 2, 16, 1};
  jit_output out;
  char err[512];
  if (!jit->compile(&req, &out, err, sizeof err))
    fail_msg("compile: %s", err);
  assert_int_equal(out.count, 1);
  const uint8_t *o = out.objects[0].bytes;
  Elf64_Ehdr eh;
  memcpy(&eh, o, sizeof eh);
  uint32_t texts = 0, undefined_kiln = 0;
  for (uint32_t i = 0; i < eh.e_shnum; i++) {
    Elf64_Shdr sh;
    memcpy(&sh, o + eh.e_shoff + i * sizeof sh, sizeof sh);
    texts += sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR);
    if (sh.sh_type != SHT_SYMTAB)
      continue;
    Elf64_Shdr st;
    memcpy(&st, o + eh.e_shoff + sh.sh_link * sizeof st, sizeof st);
    for (uint64_t k = 1; k < sh.sh_size / sizeof(Elf64_Sym); k++) {
      Elf64_Sym y;
      memcpy(&y, o + sh.sh_offset + k * sizeof y, sizeof y);
      const char *name = (const char *)o + st.sh_offset + y.st_name;
      undefined_kiln += y.st_shndx == SHN_UNDEF && !strncmp(name, "kiln_", 5);
    }
  }
  assert_true(texts > 1);
  assert_int_equal(undefined_kiln, 0);
  jit->free_output(&out);
  fe_module_free(l.m);
  fe_typereg_free(l.reg);
}

/* Calls across partitions (xcall.wat, one partition per function):
 * mutual recursion, four results through the results area, mixed argument
 * types, memory through the callee's vmctx, a trap in a callee. */
static void test_partitions_calls(void **state) {
  (void)state;
  loaded l;
  load_ex(&l, "xcall", NULL, &(vm_compile_opts){2, 16, 1});
  uint64_t v[4][2];
  double d;
  assert_int_equal(call_i32(&l, 0, 1000, 0), 1); /* even */
  assert_int_equal(call_i32(&l, 0, 1001, 0), 0);
  assert_int_equal(call_i32(&l, 1, 7, 0), 1); /* odd */
  assert_int_equal(call(&l, 3, 7, 0, v), VM_TRAP_NONE); /* use_quad */
  memcpy(&d, v[0], 8);
  assert_true(d == 7.0 + 7000.0 + 21.0 + 0.5);
  assert_int_equal(call(&l, 5, 3, 0, v), VM_TRAP_NONE); /* call_mix */
  memcpy(&d, v[0], 8);
  assert_true(d == 0.25 + 2.5 + 40.0 + 3.0);
  assert_int_equal(call_i32(&l, 8, 21, 0), 42); /* poke_peek */
  assert_int_equal(call_i32(&l, 10, 7, 2), 4);  /* call_div */
  assert_int_equal(call(&l, 10, 1, 0, v), VM_TRAP_INT_DIV_ZERO);
  unload(&l);
}

/* tailcall.wat's functions (imports first). */
enum {
  TC_PING = 3,
  TC_SET_TAG = 5,
  TC_VIA_IMPORT,
  TC_ADD_INDIRECT,
  TC_USE_FOUR = 9,
  TC_PING_INDIRECT,
  TC_COUNT_IND,
};

/* $five of tailcall.wat as a host function: (a, b) -> (a, b, a + b, a * b,
 * 42). */
static void host_five(vm_host_func *hf, void *values) {
  (void)hf;
  uint64_t (*v)[2] = values;
  uint64_t a = v[0][0], b = v[1][0];
  v[2][0] = a + b;
  v[3][0] = a * b;
  v[4][0] = 42;
}

/* Calls a function of type $five with (n, acc); its results into r. */
static vm_trap_code call_five(const vm_instance *inst, uint32_t f, uint64_t n, uint64_t acc,
                              uint64_t r[5]) {
  uint64_t v[5][2] = {{n}, {acc}};
  vm_trap_info t;
  if (!vm_invoke(vm_instance_func(inst, f), v, &t))
    return t.code;
  for (int i = 0; i < 5; i++)
    r[i] = v[i][0];
  return VM_TRAP_NONE;
}

/* What ping(n, acc) of tailcall.wat returns, computed as it does (unsigned:
 * Wasm's arithmetic wraps). */
static void ping_expected(uint64_t n, uint64_t acc, uint64_t tag, uint64_t r[5]) {
  for (;;) {
    if (n == 0) {
      uint64_t e[5] = {acc, acc * 3, acc ^ 0x1234, 0 - acc, tag};
      memcpy(r, e, sizeof e);
      return;
    }
    /* pong(n - 1, acc + n, n, 2n, (f64)n, (i32)n, acc, acc >> 1) */
    uint64_t m = n - 1, a = acc + n, b = n, c = n << 1, d = (uint64_t)(int64_t)(double)(int64_t)n;
    uint64_t e = (uint64_t)(int64_t)(int32_t)n, g = acc, h = (uint64_t)((int64_t)acc >> 1);
    if (m == 0) {
      uint64_t x[5] = {a, b, c, d, e + g - h};
      memcpy(r, x, sizeof x);
      return;
    }
    n = m - 1;
    acc = a + b + c + d + e + g - h;
  }
}

static void expect_ping(const vm_instance *inst, uint32_t f, uint64_t n, uint64_t acc,
                        uint64_t tag) {
  uint64_t r[5], e[5];
  assert_int_equal(call_five(inst, f, n, acc, r), VM_TRAP_NONE);
  ping_expected(n, acc, tag, e);
  for (int i = 0; i < 5; i++)
    assert_int_equal(r[i], e[i]);
}

/* Tail calls (tailcall.wat) compiled with `opts`: 10,000,000 return_calls
 * between two functions with 5 results in memory, the callee taking more
 * stack arguments than its caller (as `call`s, the frames would exhaust the
 * stack long before); return_call_indirect to host functions (one with its
 * results in memory, written straight into the caller's area), to another
 * partition's function, and to itself 1,000,000 times; return_call of an
 * import that is a host function, then another instance's function. */
static void tail_calls(const vm_compile_opts *opts) {
  loaded a;
  read_module(&a, "tailcall");
  vm_host_func *add = vm_host_func_new(a.m->types[0].canon, host_add, NULL);
  vm_host_func *four = vm_host_func_new(a.m->types[1].canon, host_four, NULL);
  vm_host_func *five = vm_host_func_new(a.m->types[2].canon, host_five, NULL);
  vm_extern_ref imports[3] = {{FE_EXT_FUNC, {.func = &add->funcref}},
                              {FE_EXT_FUNC, {.func = &four->funcref}},
                              {FE_EXT_FUNC, {.func = &five->funcref}}};
  instantiate(&a, imports, opts);
  expect_ping(a.inst, TC_PING, 10000000, 0, 1);
  expect_ping(a.inst, TC_PING, 10000001, 5, 1); /* ends in pong */
  expect_ping(a.inst, TC_PING, 0, 7, 1);
  expect_ping(a.inst, TC_PING_INDIRECT, 1001, 3, 1);
  uint64_t r[5];
  assert_int_equal(call_five(a.inst, TC_COUNT_IND, 1000000, 0, r), VM_TRAP_NONE);
  assert_int_equal(r[0], 500000500000ull);
  assert_int_equal(r[4], 1);
  assert_int_equal(call_five(a.inst, TC_VIA_IMPORT, 6, 7, r), VM_TRAP_NONE);
  uint64_t host[5] = {6, 7, 13, 42, 42};
  assert_memory_equal(r, host, sizeof host);
  assert_int_equal(call_i32(&a, TC_ADD_INDIRECT, 20, 22), 42);
  uint64_t v[4][2];
  assert_int_equal(call(&a, TC_USE_FOUR, 10, 0, v), VM_TRAP_NONE);
  double d;
  memcpy(&d, v[0], 8);
  assert_true(d == 10.0 + 10.0 + 5.0 + 30.0);
  /* a second instance whose $five is the first one's ping: the tail call
   * switches instances (ping reads its own instance's tag) */
  assert_int_equal(call(&a, TC_SET_TAG, 99, 0, v), VM_TRAP_NONE);
  vm_extern_ref imports_b[3] = {imports[0], imports[1],
                                {FE_EXT_FUNC, {.func = vm_instance_func(a.inst, TC_PING)}}};
  vm_limits lim = {65536, NULL, NULL};
  vm_trap_info t;
  bool trapped;
  char err[512];
  vm_instance *b = vm_instance_new(a.m, a.c, imports_b, &lim, NULL, &trapped, &t, err, sizeof err);
  if (!b)
    fail_msg("instantiate: %s", err);
  expect_ping(b, TC_VIA_IMPORT, 100001, 2, 99);
  expect_ping(b, TC_PING, 100001, 2, 1);
  vm_instance_free(b);
  unload(&a);
  vm_host_func_free(add);
  vm_host_func_free(four);
  vm_host_func_free(five);
}

static void test_tail_calls(void **state) {
  (void)state;
  tail_calls(&(vm_compile_opts){2, 1, 0});
}

/* The same unoptimized (LLVM must still make every return_call a jump). */
static void test_tail_calls_O0(void **state) {
  (void)state;
  tail_calls(&(vm_compile_opts){0, 1, 0});
}

/* The same with one partition per function: ping and pong call each other
 * across partitions, as does ping_indirect. */
static void test_tail_calls_partitions(void **state) {
  (void)state;
  tail_calls(&(vm_compile_opts){2, 16, 1});
}

/* A module of one function, (func (export "f") (local i64 x 50000)): at O0
 * its frame holds every local, 400 KB. */
static void huge_frame_module(wbuf *m) {
  wb_header(m);
  wbuf body = {0};
  WB(&body, 0x60, 0, 0);
  wb_vec_section(m, 1, 1, &body);
  WB(&body, 0);
  wb_vec_section(m, 3, 1, &body);
  wb_name(&body, "f");
  WB(&body, 0, 0);
  wb_vec_section(m, 7, 1, &body);
  wbuf code = {0};
  WB(&code, 1);
  wb_uleb(&code, 50000);
  WB(&code, 0x7e, 0x0b);
  wb_sized(&body, &code);
  wb_vec_section(m, 10, 1, &body);
}

typedef struct overflow_run {
  loaded *l;
  vm_trap_code first, second;
  uintptr_t addr;
  uint32_t sum;
} overflow_run;

static void *overflow_thread(void *arg) {
  overflow_run *r = arg;
  vm_trap_info t;
  uint64_t v[4][2] = {{0}};
  r->first = vm_invoke(vm_instance_func(r->l->inst, 0), v, &t) ? VM_TRAP_NONE : t.code;
  r->addr = t.addr;
  r->second = vm_invoke(vm_instance_func(r->l->inst, 0), v, &t) ? VM_TRAP_NONE : t.code;
  return NULL;
}

/* One frame bigger than the whole stack of the thread that calls it: the
 * prologue's limit check cannot see it coming (the frame starts above the
 * limit); the frame's stack probes fault on the guard page below the
 * stack, and the handler, on the alternate signal stack Kiln gives the
 * thread, turns the fault into "call stack exhausted".  Without probes the
 * frame would write past the guard page; without the alternate stack the
 * process would die.  The thread traps twice and the store lives on. */
static void test_huge_frame(void **state) {
  (void)state;
  wbuf w = {0};
  huge_frame_module(&w);
  loaded l;
  load_bytes(&l, w.p, w.n, 0);
  vm_trap_install(); /* over cmocka's handlers (vm/trap.h) */
  overflow_run r = {&l, VM_TRAP_NONE, VM_TRAP_NONE, 0, 0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t th;
  assert_int_equal(pthread_create(&th, &attr, overflow_thread, &r), 0);
  pthread_join(th, NULL);
  pthread_attr_destroy(&attr);
  assert_int_equal(r.first, VM_TRAP_STACK_OVERFLOW);
  assert_int_equal(r.second, VM_TRAP_STACK_OVERFLOW);
  assert_true(r.addr != 0); /* raised by the fault, not by the prologue */
  /* on this thread's 8 MB stack the frame fits */
  uint64_t v[4][2] = {{0}};
  vm_trap_info t;
  assert_true(vm_invoke(vm_instance_func(l.inst, 0), v, &t));
  unload(&l);
  wb_free(&w);
}

/* (func (param i32) (result i32)): stores 1 at param + 4k, then loads it
 * back and sums, k = 0 .. 2999: 6000 bounds checks, more than
 * JIT_MAX_OPTIMIZED_CHECKS, so the function compiles unoptimized. */
static void many_checks_module(wbuf *m) {
  wb_header(m);
  wbuf body = {0};
  WB(&body, 0x60, 1, 0x7f, 1, 0x7f);
  wb_vec_section(m, 1, 1, &body);
  WB(&body, 0);
  wb_vec_section(m, 3, 1, &body);
  WB(&body, 0, 1); /* memory 0: 1 page */
  wb_vec_section(m, 5, 1, &body);
  wb_name(&body, "f");
  WB(&body, 0, 0);
  wb_vec_section(m, 7, 1, &body);
  wbuf code = {0};
  WB(&code, 0);
  for (uint32_t k = 0; k < 3000; k++) { /* i32.store offset=4k (param) 1 */
    WB(&code, 0x20, 0, 0x41, 1, 0x36, 2);
    wb_uleb(&code, 4 * k);
  }
  WB(&code, 0x41, 0); /* the sum */
  for (uint32_t k = 0; k < 3000; k++) { /* + i32.load offset=4k (param) */
    WB(&code, 0x20, 0, 0x28, 2);
    wb_uleb(&code, 4 * k);
    WB(&code, 0x6a);
  }
  WB(&code, 0x0b);
  wb_sized(&body, &code);
  wb_vec_section(m, 10, 1, &body);
}

/* The unoptimized path keeps Wasm's semantics: in bounds the sum; out of
 * bounds the trap at the first store past the end, the stores before it
 * done. */
static void test_many_checks(void **state) {
  (void)state;
  wbuf w = {0};
  many_checks_module(&w);
  loaded l;
  load_bytes(&l, w.p, w.n, 2);
  uint64_t v[4][2];
  assert_int_equal(call_i32(&l, 0, 100, 0), 3000);
  /* from 65536 - 400: 100 stores fit */
  assert_int_equal(call(&l, 0, 65536 - 400, 0, v), VM_TRAP_MEMORY_OOB);
  vm_memory *mem = vm_mem_record(l.inst->head.mems[0]);
  assert_int_equal(mem->base[65535 - 3], 1);
  assert_int_equal(mem->base[65536 - 400], 1);
  unload(&l);
  wb_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),
      cmocka_unit_test(test_instance),
      cmocka_unit_test(test_host_calls),
      cmocka_unit_test(test_partitions),
      cmocka_unit_test(test_exact_traps),
      cmocka_unit_test(test_huge_frame),
      cmocka_unit_test(test_many_checks),
      cmocka_unit_test(test_partitions_one_object),
      cmocka_unit_test(test_partitions_calls),
      cmocka_unit_test(test_tail_calls),
      cmocka_unit_test(test_tail_calls_O0),
      cmocka_unit_test(test_tail_calls_partitions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
