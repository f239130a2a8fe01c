;; tests/unit/jit/stack_nested.wat — a store entered again on another thread
;; from inside a host call: when the host call returns, the outer Wasm code
;; must still check against its own thread's stack.
(module
  (import "host" "h" (func $h))
  ;; 1: a leaf, not inlined at O0: its prologue checks the stack limit
  (func $leaf (result i32) (i32.const 7))
  ;; 2: calls the host, then the leaf
  (func (export "outer") (result i32) (call $h) (call $leaf))
  ;; 3: what the other thread runs
  (func (export "inner") (result i32) (i32.const 1)))
