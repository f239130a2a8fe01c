/* tests/diff/loops/diff_loops.c — differential test of Kiln's loop
 * optimizations (bounds checks split off by IRCE, latches rewritten by
 * jit/loops.c, vectorization), O0 against O2.
 *
 *   diff_loops FILE.wasm
 *
 * Every function (i32 i32) -> i32 of the module (gen_loops.py writes them:
 * loops over linear memory with every latch shape, wrapping steps and
 * accesses near the end of memory) runs from zeroed memory on a grid of
 * arguments, compiled at O0, at O2, and at O2 in four partitions: the trap
 * code, the result and all of memory must agree.  Prints one line per
 * mismatch and a closing "FILE: N funcs, N mismatches"; exit status 1 on
 * a mismatch, 2 on a usage or load error.  Run by `./dev difftest`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/module.h"
#include "frontend/types.h"
#include "vm/instance.h"
#include "vm/memory.h"
#include "vm/vm.h"

typedef struct run {
  vm_compiled *c;
  vm_instance *inst;
} run;

static bool mk(run *r, const fe_module *m, vm_compile_opts o) {
  char err[512];
  r->c = vm_compiled_new_ex(m, &o, err, sizeof err);
  if (!r->c) { fprintf(stderr, "compile O%u: %s\n", o.opt_level, err); return false; }
  vm_limits lim = {65536, NULL, NULL};
  vm_trap_info t;
  bool trapped;
  r->inst = vm_instance_new(m, r->c, NULL, &lim, NULL, &trapped, &t, err, sizeof err);
  if (!r->inst) { fprintf(stderr, "inst: %s\n", err); return false; }
  return true;
}

static vm_memory *mem(run *r) { return vm_mem_record(r->inst->head.mems[0]); }

static int go(run *r, uint32_t f, uint32_t a, uint32_t b, uint32_t *res) {
  vm_memory *mm = mem(r);
  memset(mm->base, 0, mm->length);
  uint64_t v[4][2] = {{a}, {b}};
  vm_trap_info t;
  if (vm_invoke(vm_instance_func(r->inst, f), v, &t)) { *res = (uint32_t)v[0][0]; return 0; }
  *res = 0;
  return t.code;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: diff_loops FILE.wasm\n");
    return 2;
  }
  FILE *fp = fopen(argv[1], "rb");
  if (!fp) {
    perror(argv[1]);
    return 2;
  }
  static uint8_t buf[1 << 22];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  fe_typereg *reg = fe_typereg_new();
  fe_error e;
  fe_module *m = fe_module_new(reg, buf, n, &e);
  if (!m) {
    char line[256];
    fe_error_format(&e, line, sizeof line);
    fprintf(stderr, "%s: %s\n", argv[1], line);
    return 2;
  }
  run r[3];
  if (!mk(&r[0], m, (vm_compile_opts){0, 1, 0}) || !mk(&r[1], m, (vm_compile_opts){2, 1, 0}) ||
      !mk(&r[2], m, (vm_compile_opts){2, 4, 1}))
    return 2;
  static const uint32_t as[] = {0, 1, 3, 100, 4096, 32768, 65536 - 4096, 65536 - 1000, 65536 - 401,
                                65536 - 64, 65536 - 17, 65536 - 8, 65536 - 3, 65536 - 1,
                                65536, 65537, 0x7fffffffu, 0xfffff000u, 0xfffffff8u, 0xffffffffu};
  static const uint32_t bs[] = {0, 1, 2, 5, 64, 1000, 0xffffffffu};
  uint32_t nf = m->nfuncs - m->nfunc_imports;
  int bad = 0;
  for (uint32_t f = 0; f < nf; f++) {
    for (size_t i = 0; i < sizeof as / 4; i++)
      for (size_t j = 0; j < sizeof bs / 4; j++) {
        uint32_t res[3];
        int code[3];
        for (int k = 0; k < 3; k++)
          code[k] = go(&r[k], f, as[i], bs[j], &res[k]);
        for (int k = 1; k < 3; k++) {
          bool same = code[k] == code[0] && res[k] == res[0] &&
                      !memcmp(mem(&r[k])->base, mem(&r[0])->base, mem(&r[0])->length);
          if (!same) {
            size_t first = 0;
            while (first < mem(&r[0])->length && mem(&r[k])->base[first] == mem(&r[0])->base[first]) first++;
            printf("MISMATCH f%u a=%#x b=%#x: O0 trap %d res %#x | run%d trap %d res %#x | first mem diff at %zu\n",
                   f, as[i], bs[j], code[0], res[0], k, code[k], res[k], first);
            bad++;
          }
        }
      }
  }
  printf("%s: %u funcs, %d mismatches\n", argv[1], nf, bad);
  return bad ? 1 : 0;
}
