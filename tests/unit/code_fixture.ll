; tests/unit/code_fixture.ll — not a test: LLVM IR that the build compiles
; with llc-19 -relocation-model=pic into an object for test_code.c, so the
; loader sees what LLVM's own object emission produces (the path jit/ takes):
; tailcc functions taking vmctx first, a jump table, constant pools, a table
; of function pointers (.data.rel.ro), a 64-bit PC-relative word, a mutable
; global reached through the GOT, calls to an undefined helper and a load of undefined data.  Unwind
; tables are left on, so .eh_frame is present and must be ignored.
; Expected results are in test_code.c.

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@ll_weights = internal constant [4 x double] [double 0.5, double 1.5, double 2.5, double 3.5], align 16
@ll_ops = constant [2 x ptr] [ptr @ll_add, ptr @ll_mul], align 16
@ll_counter = internal global i64 0, align 8
@ll_global = global i64 5, align 8
; ll_add's address relative to this word: R_X86_64_PC64.
@ll_pcrel = constant i64 sub (i64 ptrtoint (ptr @ll_add to i64), i64 ptrtoint (ptr @ll_pcrel to i64)), align 8
@fixture_host_value = external global i32

declare i64 @fixture_host_add(i64, i64)

define i64 @ll_add(i64 %a, i64 %b) noinline {
  %r = add i64 %a, %b
  ret i64 %r
}

define i64 @ll_mul(i64 %a, i64 %b) noinline {
  %r = mul i64 %a, %b
  ret i64 %r
}

; Sum of 1..n by tail calls between two tailcc functions: each is a jump,
; so the stack stays flat for any n.
define tailcc i64 @ll_even(ptr %vmctx, i64 %n, i64 %acc) noinline {
entry:
  %done = icmp eq i64 %n, 0
  br i1 %done, label %out, label %again
again:
  %n1 = sub i64 %n, 1
  %acc1 = add i64 %acc, %n
  %r = tail call tailcc i64 @ll_odd(ptr %vmctx, i64 %n1, i64 %acc1)
  ret i64 %r
out:
  ret i64 %acc
}

define tailcc i64 @ll_odd(ptr %vmctx, i64 %n, i64 %acc) noinline {
entry:
  %done = icmp eq i64 %n, 0
  br i1 %done, label %out, label %again
again:
  %n1 = sub i64 %n, 1
  %acc1 = add i64 %acc, %n
  %r = tail call tailcc i64 @ll_even(ptr %vmctx, i64 %n1, i64 %acc1)
  ret i64 %r
out:
  ret i64 %acc
}

define i64 @ll_sum(ptr %vmctx, i64 %n) {
  %r = call tailcc i64 @ll_even(ptr %vmctx, i64 %n, i64 0)
  ret i64 %r
}

define i64 @ll_switch(i64 %x, i64 %y) {
entry:
  switch i64 %x, label %def [
    i64 0, label %c0
    i64 1, label %c1
    i64 2, label %c2
    i64 3, label %c3
    i64 4, label %c4
    i64 5, label %c5
    i64 6, label %c6
    i64 7, label %c7
  ]
c0:
  %v0 = add i64 %y, 11
  ret i64 %v0
c1:
  %v1 = mul i64 %y, 3
  ret i64 %v1
c2:
  %v2 = call i64 @ll_add(i64 %y, i64 100)
  ret i64 %v2
c3:
  %v3 = sub i64 %y, 17
  ret i64 %v3
c4:
  %v4 = shl i64 %y, 4
  ret i64 %v4
c5:
  %v5 = call i64 @ll_mul(i64 %y, i64 %y)
  ret i64 %v5
c6:
  %v6 = xor i64 %y, 23130
  ret i64 %v6
c7:
  %v7 = call i64 @fixture_host_add(i64 %y, i64 1000)
  ret i64 %v7
def:
  ret i64 -1
}

define double @ll_scale(i64 %i, double %x) {
  %k = and i64 %i, 3
  %p = getelementptr [4 x double], ptr @ll_weights, i64 0, i64 %k
  %w = load double, ptr %p
  %m = fmul double %w, %x
  %r = fadd double %m, 2.500000e-01
  ret double %r
}

define i64 @ll_apply(i64 %which, i64 %a, i64 %b) {
  %k = and i64 %which, 1
  %p = getelementptr [2 x ptr], ptr @ll_ops, i64 0, i64 %k
  %f = load ptr, ptr %p
  %r = call i64 %f(i64 %a, i64 %b)
  ret i64 %r
}

define i64 @ll_count() {
  %c = load i64, ptr @ll_counter
  %c1 = add i64 %c, 1
  store i64 %c1, ptr @ll_counter
  %g = load i64, ptr @ll_global
  %r = add i64 %c1, %g
  ret i64 %r
}

define i64 @ll_host(i64 %a) {
  %v = load i32, ptr @fixture_host_value
  %w = sext i32 %v to i64
  %r = call i64 @fixture_host_add(i64 %a, i64 %w)
  ret i64 %r
}
