;; A well-behaved actor: replies to every message with the message itself.
;; Lifecycle exports: _start, _cleanup, _health, handle-message, alloc, memory.
(module
  (memory (export "memory") 1)
  ;; A bump allocator: messages go after the first 1 KiB.
  (global $next (mut i32) (i32.const 1024))
  (global $started (mut i32) (i32.const 0))

  (func (export "_start")
    (global.set $started (i32.const 1)))

  (func (export "_cleanup")
    (global.set $started (i32.const 0)))

  ;; 0 = healthy once started, 1 = degraded before.
  (func (export "_health") (result i32)
    (select (i32.const 0) (i32.const 1) (global.get $started)))

  (func (export "alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $len)))
    (local.get $ptr))

  ;; Reply with the message itself: (ptr << 32) | len.
  (func (export "handle-message") (param $ptr i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
)
