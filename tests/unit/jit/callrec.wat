(module
  (import "b" "rec" (func $rec (param i32) (result i32)))
  (func (export "callrec") (param i32) (result i32) (call $rec (local.get 0))))
