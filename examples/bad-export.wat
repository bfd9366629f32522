;; Misbehaving: `_health` has the wrong signature, so start fails at the export check.
(module
  (func (export "_health") (param i32) (result i32) (local.get 0))
)
