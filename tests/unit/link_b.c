/* tests/unit/link_b.c — not a test: the other half of link_a.c (see its
 * header comment). */
int la_triple(int x);
extern int la_counter;

__attribute__((visibility("hidden"))) int lb_bias = 7;

static __attribute__((noinline)) int helper(int x) { return x * 2; }

int pick(void);
int pick(void) { return 2; }

int lb_twice(int x);
int lb_twice(int x) { return helper(la_triple(x)) + la_counter; }
