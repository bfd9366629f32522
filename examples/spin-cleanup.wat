;; Misbehaving: _cleanup never returns. stop() must still terminate, with a
;; cleanup_timeout warning, once the stop timeout interrupts the loop.
(module
  (func (export "_cleanup")
    (loop $forever (br $forever)))
)
