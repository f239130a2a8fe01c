(module
  ;; Tail calls (test_jit.c, test_tail_calls*): a mutual recursion of
  ;; return_calls with 5 results (in memory) whose callee takes more stack
  ;; arguments than its caller, deep enough to exhaust any stack if frames
  ;; were kept; return_call_indirect through a table, to host functions
  ;; (one with results in memory) and to itself; return_call of an import.
  (type $add (func (param i32 i32) (result i32)))
  (type $four (func (param i64) (result i32 i64 f32 f64)))
  (type $five (func (param i64 i64) (result i64 i64 i64 i64 i64)))
  (import "env" "add" (func $add (type $add)))
  (import "env" "four" (func $four (type $four)))
  (import "env" "five" (func $five (type $five)))
  (global $tag (mut i64) (i64.const 1))
  (table funcref (elem $add $four $ping $count_ind))
  ;; ping(n, acc): at 0 five values of acc and the tag, else pong
  (func $ping (export "ping") (type $five)
    (if (i64.eqz (local.get 0))
      (then
        (return (local.get 1) (i64.mul (local.get 1) (i64.const 3))
                (i64.xor (local.get 1) (i64.const 0x1234))
                (i64.sub (i64.const 0) (local.get 1)) (global.get $tag))))
    (return_call $pong
      (i64.sub (local.get 0) (i64.const 1))
      (i64.add (local.get 1) (local.get 0))
      (local.get 0)
      (i64.shl (local.get 0) (i64.const 1))
      (f64.convert_i64_s (local.get 0))
      (i32.wrap_i64 (local.get 0))
      (local.get 1)
      (i64.shr_s (local.get 1) (i64.const 1))))
  ;; pong(n, a, b, c, d, e, g, h): at 0 five of its arguments, else ping
  (func $pong (param i64 i64 i64 i64 f64 i32 i64 i64) (result i64 i64 i64 i64 i64)
    (if (i64.eqz (local.get 0))
      (then
        (return (local.get 1) (local.get 2) (local.get 3)
                (i64.trunc_f64_s (local.get 4))
                (i64.sub (i64.add (i64.extend_i32_s (local.get 5)) (local.get 6))
                         (local.get 7)))))
    (return_call $ping
      (i64.sub (local.get 0) (i64.const 1))
      (i64.sub
        (i64.add
          (i64.add (i64.add (local.get 1) (local.get 2))
                   (i64.add (local.get 3) (i64.trunc_f64_s (local.get 4))))
          (i64.add (i64.extend_i32_s (local.get 5)) (local.get 6)))
        (local.get 7))))
  (func (export "set_tag") (param i64) (global.set $tag (local.get 0)))
  ;; a tail call of the imported $five (a host function, or another
  ;; instance's ping)
  (func (export "via_import") (type $five)
    (return_call $five (local.get 0) (local.get 1)))
  (func (export "add_indirect") (param i32 i32) (result i32)
    (return_call_indirect (type $add) (local.get 0) (local.get 1) (i32.const 0)))
  (func $four_indirect (param i64) (result i32 i64 f32 f64)
    (return_call_indirect (type $four) (local.get 0) (i32.const 1)))
  (func (export "use_four") (param i64) (result f64)
    (local i32 i64 f32 f64)
    (call $four_indirect (local.get 0))
    (local.set 4) (local.set 3) (local.set 2) (local.set 1)
    (f64.add
      (f64.add (f64.convert_i32_s (local.get 1)) (f64.convert_i64_s (local.get 2)))
      (f64.add (f64.promote_f32 (local.get 3)) (local.get 4))))
  (func (export "ping_indirect") (type $five)
    (return_call_indirect (type $five) (local.get 0) (local.get 1) (i32.const 2)))
  ;; count_ind(n, acc): acc + n + (n - 1) + ... through the table
  (func $count_ind (export "count_ind") (type $five)
    (if (i64.eqz (local.get 0))
      (then
        (return (local.get 1) (local.get 1) (local.get 1) (local.get 1) (global.get $tag))))
    (return_call_indirect (type $five)
      (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (local.get 0))
      (i32.const 3)))
)
