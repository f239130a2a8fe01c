(module
  (import "env" "tab" (table 1 funcref))
  (func $f (result i32) (i32.const 5))
  (elem (i32.const 0) $f)
  (func $start unreachable)
  (start $start)
)
