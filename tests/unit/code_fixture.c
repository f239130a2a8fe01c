/* tests/unit/code_fixture.c — not a test: a source that the build compiles
 * into relocatable objects (several compilers and code models, see
 * tests/unit/meson.build) for test_code.c to load with vm_code_load.
 *
 * Each construct is here for the relocations it produces:
 *   calls between global functions          R_X86_64_PLT32 (or GOTPCRELX
 *                                           call with -fno-plt)
 *   a switch with a jump table              .rodata, PC32 (PIC) / 32S
 *   const arrays, double constants          .rodata*, PC32
 *   a table of function pointers            .data.rel.ro (PIC), R_X86_64_64
 *   static and global mutable variables     .data / .bss, PC32
 *   calls to an undefined function          PLT32, through a stub when far
 *   the address of a global function        REX_GOTPCRELX (relaxed to lea),
 *                                           or R_X86_64_32 without PIC
 *   external data (PIC only)                REX_GOTPCRELX through the GOT
 *   a weak undefined symbol                 GOT slot or absolute 0
 * The expected results are in test_code.c; keep the two in step.
 */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noipa))
#endif

/* Provided by the test executable, through the resolver. */
extern long fixture_host_add(long a, long b);
/* Never provided: the resolver returns NULL and the address is 0. */
extern int fixture_weak_missing(void) __attribute__((weak));

int fx_add(int a, int b);
int fx_sub(int a, int b);
int fx_mul(int a, int b);

NOINLINE int fx_add(int a, int b) { return a + b; }
NOINLINE int fx_sub(int a, int b) { return a - b; }
NOINLINE int fx_mul(int a, int b) { return a * b; }

NOINLINE static int fx_local_helper(int x) { return x * 7 + 3; }

int fx_fib(int n);
NOINLINE int fx_fib(int n) { return n < 2 ? n : fx_fib(n - 1) + fx_fib(n - 2); }

int fx_calls(int x);
int fx_calls(int x) { return fx_mul(fx_add(x, 1), fx_sub(x, 1)) + fx_local_helper(x); }

/* Each case computes something different, so the compiler emits a jump
 * table rather than a table of values. */
int fx_switch(int x, int y);
int fx_switch(int x, int y) {
  switch (x) {
  case 0: return y + 11;
  case 1: return y * 3;
  case 2: return fx_add(y, 100);
  case 3: return y - 17;
  case 4: return y << 4;
  case 5: return fx_mul(y, y);
  case 6: return y ^ 0x5a5a;
  case 7: return y / 3;
  case 8: return fx_sub(1000, y);
  case 9: return y % 7;
  case 10: return -y;
  case 11: return y | 0x100;
  default: return -1;
  }
}

const int fx_primes[8] = {2, 3, 5, 7, 11, 13, 17, 19};
static const double fx_weights[4] = {0.5, 1.5, 2.5, 3.5};

double fx_scale(unsigned i, double x);
double fx_scale(unsigned i, double x) { return fx_weights[i & 3] * x + 0.25; }

int fx_prime(unsigned i);
int fx_prime(unsigned i) { return fx_primes[i & 7]; }

int (*const fx_ops[3])(int, int) = {fx_add, fx_sub, fx_mul};

int fx_apply(unsigned which, int a, int b);
int fx_apply(unsigned which, int a, int b) { return fx_ops[which % 3](a, b); }

static int fx_counter;     /* .bss */
static int fx_seed = 40;   /* .data */
int fx_global_data = 7;    /* .data, looked up by the test */

int fx_count(void);
NOINLINE int fx_count(void) { return ++fx_counter + fx_seed; }

int *fx_global_addr(void);
NOINLINE int *fx_global_addr(void) { return &fx_global_data; }

void *fx_add_addr(void);
NOINLINE void *fx_add_addr(void) { return (void *)fx_add; }

long fx_call_host(long a, long b);
NOINLINE long fx_call_host(long a, long b) { return fixture_host_add(a, b) * 2; }

/* A tail call to an external: a jmp through PLT32 (or the GOT). */
long fx_tail_host(long a);
NOINLINE long fx_tail_host(long a) { return fixture_host_add(a, 100); }

/* The address of an external in data: R_X86_64_64 against it. */
long (*const fx_host_ptr)(long, long) = fixture_host_add;

int fx_has_weak(void);
NOINLINE int fx_has_weak(void) { return fixture_weak_missing ? fixture_weak_missing() : -5; }

#ifdef __PIC__
/* External data: only PIC code can reach it anywhere (through the GOT). */
extern int fixture_host_value;
int fx_read_host(void);
NOINLINE int fx_read_host(void) { return fixture_host_value + 1; }
#endif
