(module
  (type $t (func (result i32)))
  (table 1 funcref)
  (func (export "f") (param funcref) (result i32)
    (table.set 0 (i32.const 0) (local.get 0))
    (call_indirect (type $t) (i32.const 0))))
