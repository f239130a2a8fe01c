;; tests/unit/test_externref.c: externref values through tables, globals and
;; element segments, every store through the write barrier.
;; wat2wasm accepts only ref.null / ref.func as element expressions: the
;; segment's first and third items are written as ref.null extern and
;; patched to global.get $gc by the test (the bytes d0 6f 0b, nine in a row,
;; occur only there).
(module
  (import "env" "gx" (global $gx (mut externref)))
  (import "env" "gc" (global $gc externref))
  (table $t (export "t") 4 8 externref)
  (global $g (export "g") (mut externref) (ref.null extern))
  ;; initialized from the imported global by the init routine (barrier)
  (global $gi (export "gi") externref (global.get $gc))
  (elem $seg externref (ref.null extern) (ref.null extern) (ref.null extern))
  (func (export "set") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
  (func (export "get") (param i32) (result externref) (table.get $t (local.get 0)))
  (func (export "grow") (param externref i32) (result i32)
    (table.grow $t (local.get 0) (local.get 1)))
  (func (export "fill") (param i32 externref i32)
    (table.fill $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32)
    (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32)
    (table.init $t $seg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (elem.drop $seg))
  (func (export "gset") (param externref) (global.set $g (local.get 0)))
  (func (export "gget") (result externref) (global.get $g))
  (func (export "gxset") (param externref) (global.set $gx (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  ;; passes its argument through: results come back as new handles
  (func (export "id") (param externref) (result externref) (local.get 0))
)
