;; Binary in sub_call_indirect.wasm (hand-assembled: wabt cannot write GC sub types).
(module
  (type $a (sub (func (result i32))))
  (type $b (sub $a (func (result i32))))
  (table funcref (elem $g))
  (func $g (type $b) (i32.const 5))
  (func (export "ci") (result i32) (call_indirect (type $a) (i32.const 0))))
(assert_return (invoke "ci") (i32.const 5))
