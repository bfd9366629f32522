;; Misbehaving: every message tries to grow memory by 1 GiB and replies with
;; memory.grow's result as 4 bytes (little-endian). Under the limit, -1 (ffffffff).
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle-message") (param i32 i32) (result i64)
    (i32.store (i32.const 0) (memory.grow (i32.const 16384)))
    (i64.const 4))
)
