/* tests/unit/link_a.c — not a test: with link_b.c, a source the build
 * compiles into a relocatable object for test_link.c to merge with jit_link
 * (jit/link.c) and load with vm_code_load.
 *
 * The two objects refer to each other's symbols, as the objects of two
 * partitions do:
 *   calls both ways                         PLT32 against an undefined global
 *   a variable of each, used by the other   GOTPCREL(X) / PC32 (hidden)
 *   a weak definition (pick) that link_b.c's strong one replaces
 *   a static function of the same name in both (two locals, one name)
 * The expected results are in test_link.c; keep the three in step.
 */
int lb_twice(int x);
extern int lb_bias;

int la_counter = 5;

int la_triple(int x);
int la_triple(int x) { return 3 * x; }

static __attribute__((noinline)) int helper(int x) { return x + lb_bias; }

int pick(void);
__attribute__((weak, noinline)) int pick(void) { return 1; }

/* First call: helper(lb_twice(5)) + pick() * 1000
 *           = (2 * la_triple(5) + 6) + 7 + 2000 = 2043. */
int la_entry(int x);
int la_entry(int x) {
  la_counter++;
  return helper(lb_twice(x)) + pick() * 1000;
}
