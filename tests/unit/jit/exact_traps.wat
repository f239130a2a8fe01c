;; tests/unit/jit/exact_traps.wat — loops whose bounds checks LLVM's IRCE
;; splits (jit/loops.c): when such a loop runs out of bounds, the trap comes
;; at the same iteration as without the split, with every store before it
;; done and none after it.  The latches are written the way clang emits them
;; for wasm32 (an equality with a byte stride).
(module
  (memory (export "mem") 1)

  ;; 0: for (i = 0; i != 4096; i += 4) *(u32 *)(dst + i) = i + 1
  (func (export "fill_ne") (param $dst i32)
    (local $i i32)
    (loop $l
      (i32.store (i32.add (local.get $dst) (local.get $i))
                 (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (i32.const 4096)))))

  ;; 1: for (i = 0; ; ) { *(u64 *)(dst + i) = -1; i += 8; if (i == 8000) break; }
  (func (export "fill_eq") (param $dst i32)
    (local $i i32)
    (block $done
      (loop $l
        (i64.store (i32.add (local.get $dst) (local.get $i)) (i64.const -1))
        (br_if $done (i32.eq (local.tee $i (i32.add (local.get $i) (i32.const 8)))
                             (i32.const 8000)))
        (br $l))))

  ;; 2: each iteration stores to a + i, then loads b + i (sum returned)
  (func (export "store_then_load") (param $a i32) (param $b i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (i32.store8 (i32.add (local.get $a) (local.get $i)) (i32.const 0xab))
      (local.set $s (i32.add (local.get $s)
                             (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 1000))))
    (local.get $s))

  ;; 3: c[j] += k * b[j] over 3 unrolled doubles per iteration, as clang
  ;; emits matmul's inner loop: the loop that vectorizes once split
  (func (export "axpy") (param $c i32) (param $b i32) (param $k f64)
    (local $j i32) (local $p i32) (local $q i32)
    (loop $l
      (local.set $p (i32.add (local.get $c) (local.get $j)))
      (local.set $q (i32.add (local.get $b) (local.get $j)))
      (f64.store (local.get $p) (f64.add (f64.load (local.get $p))
                 (f64.mul (local.get $k) (f64.load (local.get $q)))))
      (f64.store offset=8 (local.get $p) (f64.add (f64.load offset=8 (local.get $p))
                 (f64.mul (local.get $k) (f64.load offset=8 (local.get $q)))))
      (f64.store offset=16 (local.get $p) (f64.add (f64.load offset=16 (local.get $p))
                 (f64.mul (local.get $k) (f64.load offset=16 (local.get $q)))))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 24)))
                        (i32.const 1536)))))

  ;; 4, 5, 6: inspection and set-up
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "clear") (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536)))
  ;; 7: stores f64 value v at address a
  (func (export "store_f64") (param $a i32) (param $v f64)
    (f64.store (local.get $a) (local.get $v)))

  ;; 8: fill_ne at a constant base 400 bytes before the end (as clang
  ;; addresses static arrays): iteration 100 traps
  (func (export "fill_ne_hi")
    (local $i i32)
    (loop $l
      (i32.store (i32.add (i32.const 65136) (local.get $i))
                 (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (i32.const 4096)))))

  ;; 9: axpy with c at the constant END - 1000, b at 4096
  (func (export "axpy_hi") (param $k f64)
    (local $j i32)
    (loop $l
      (f64.store offset=64536 (local.get $j)
        (f64.add (f64.load offset=64536 (local.get $j))
                 (f64.mul (local.get $k) (f64.load offset=4096 (local.get $j)))))
      (f64.store offset=64544 (local.get $j)
        (f64.add (f64.load offset=64544 (local.get $j))
                 (f64.mul (local.get $k) (f64.load offset=4104 (local.get $j)))))
      (f64.store offset=64552 (local.get $j)
        (f64.add (f64.load offset=64552 (local.get $j))
                 (f64.mul (local.get $k) (f64.load offset=4112 (local.get $j)))))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 24)))
                        (i32.const 1536)))))
)
