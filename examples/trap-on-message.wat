;; Misbehaving: starts fine, then traps on the first message (unreachable).
;; The component becomes `failed`; later messages are `invalid_state`.
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle-message") (param i32 i32) (result i64)
    unreachable)
  (func (export "_cleanup"))
)
