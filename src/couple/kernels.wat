;; The two hot loops of a linear coupling exchange, for WebAssembly (assembled by
;; scripts/build-wasm.mjs into kernels.wasm.ts). Every address is a byte offset into the
;; imported memory; f64 arrays are 8-byte aligned. Each point is w0*a + w1*b: two multiplies
;; and one add, in that order, with no fused multiply-add (wasm has none, and f64x2 lanes are
;; IEEE), so the results are the bits of the JavaScript kernels in mapping.ts.
(module
  (import "m" "mem" (memory 1))

  ;; pairsRow(x, i0, i1, w0, w1, out, m): out[j] = w0[j]*x[i0[j]] + w1[j]*x[i1[j]] for j < m
  ;; (x: f64 row; i0/i1: i32 byte offsets into it, 8 per element; w0/w1/out: f64). Pointers step
  ;; through the arrays, four points per step as two f64x2 (the x values gathered lane by
  ;; lane), then up to three scalar points.
  (func (export "pairsRow") (param $x i32) (param $i0 i32) (param $i1 i32) (param $w0 i32) (param $w1 i32) (param $out i32) (param $m i32)
    (local $end i32) (local $last i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 3))))
    (local.set $last (i32.add (local.get $out) (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $last)))
        (v128.store (local.get $out)
          (f64x2.add
            (f64x2.mul (v128.load (local.get $w0))
              (v128.load64_lane 1 (i32.add (local.get $x) (i32.load offset=4 (local.get $i0)))
                (v128.load64_zero (i32.add (local.get $x) (i32.load (local.get $i0))))))
            (f64x2.mul (v128.load (local.get $w1))
              (v128.load64_lane 1 (i32.add (local.get $x) (i32.load offset=4 (local.get $i1)))
                (v128.load64_zero (i32.add (local.get $x) (i32.load (local.get $i1))))))))
        (v128.store offset=16 (local.get $out)
          (f64x2.add
            (f64x2.mul (v128.load offset=16 (local.get $w0))
              (v128.load64_lane 1 (i32.add (local.get $x) (i32.load offset=12 (local.get $i0)))
                (v128.load64_zero (i32.add (local.get $x) (i32.load offset=8 (local.get $i0))))))
            (f64x2.mul (v128.load offset=16 (local.get $w1))
              (v128.load64_lane 1 (i32.add (local.get $x) (i32.load offset=12 (local.get $i1)))
                (v128.load64_zero (i32.add (local.get $x) (i32.load offset=8 (local.get $i1))))))))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $w0 (i32.add (local.get $w0) (i32.const 32)))
        (local.set $w1 (i32.add (local.get $w1) (i32.const 32)))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 16)))
        (local.set $i1 (i32.add (local.get $i1) (i32.const 16)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
        (f64.store (local.get $out)
          (f64.add
            (f64.mul (f64.load (local.get $w0)) (f64.load (i32.add (local.get $x) (i32.load (local.get $i0)))))
            (f64.mul (f64.load (local.get $w1)) (f64.load (i32.add (local.get $x) (i32.load (local.get $i1)))))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $w0 (i32.add (local.get $w0) (i32.const 8)))
        (local.set $w1 (i32.add (local.get $w1) (i32.const 8)))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
        (local.set $i1 (i32.add (local.get $i1) (i32.const 4)))
        (br $next1))))

  ;; runRow(x, w0, w1, out, m): out[j] = w0[j]*x[j] + w1[j]*x[j + 1] for j < m: pairsRow when
  ;; i0[j] = j and i1[j] = j + 1 (a target grid of the source's spacing, shifted), with no
  ;; gather. Eight points per step as four f64x2, then up to seven scalar points.
  (func (export "runRow") (param $x i32) (param $w0 i32) (param $w1 i32) (param $out i32) (param $m i32)
    (local $end i32) (local $last i32)
    ;; pointers step through the arrays, 8 points (four f64x2) per step
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 3))))
    (local.set $last (i32.add (local.get $out) (i32.shl (i32.and (local.get $m) (i32.const -8)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $last)))
        (v128.store (local.get $out)
          (f64x2.add (f64x2.mul (v128.load (local.get $w0)) (v128.load (local.get $x)))
                     (f64x2.mul (v128.load (local.get $w1)) (v128.load offset=8 (local.get $x)))))
        (v128.store offset=16 (local.get $out)
          (f64x2.add (f64x2.mul (v128.load offset=16 (local.get $w0)) (v128.load offset=16 (local.get $x)))
                     (f64x2.mul (v128.load offset=16 (local.get $w1)) (v128.load offset=24 (local.get $x)))))
        (v128.store offset=32 (local.get $out)
          (f64x2.add (f64x2.mul (v128.load offset=32 (local.get $w0)) (v128.load offset=32 (local.get $x)))
                     (f64x2.mul (v128.load offset=32 (local.get $w1)) (v128.load offset=40 (local.get $x)))))
        (v128.store offset=48 (local.get $out)
          (f64x2.add (f64x2.mul (v128.load offset=48 (local.get $w0)) (v128.load offset=48 (local.get $x)))
                     (f64x2.mul (v128.load offset=48 (local.get $w1)) (v128.load offset=56 (local.get $x)))))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $x (i32.add (local.get $x) (i32.const 64)))
        (local.set $w0 (i32.add (local.get $w0) (i32.const 64)))
        (local.set $w1 (i32.add (local.get $w1) (i32.const 64)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
        (f64.store (local.get $out)
          (f64.add (f64.mul (f64.load (local.get $w0)) (f64.load (local.get $x)))
                   (f64.mul (f64.load (local.get $w1)) (f64.load offset=8 (local.get $x)))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $w0 (i32.add (local.get $w0) (i32.const 8)))
        (local.set $w1 (i32.add (local.get $w1) (i32.const 8)))
        (br $next1))))

  ;; runCombine(x, w0, w1, y, a, out, wa, wb, m): runRow's y[j] = w0[j]*x[j] + w1[j]*x[j + 1]
  ;; (a new weighted row, kept) and at once combine2's out[j] = wa*a[j] + wb*y[j] (a: the row
  ;; weighted before it), for j < m: a sender that maps a target whole, when a target row reads
  ;; the row it holds and the next one. The same two expressions, so the bits of the two kernels;
  ;; y is not read back. Eight points per step as four f64x2, then up to seven scalar points.
  (func (export "runCombine") (param $x i32) (param $w0 i32) (param $w1 i32) (param $y2 i32) (param $a i32) (param $out i32)
    (param $wa f64) (param $wb f64) (param $m i32)
    (local $end i32) (local $last i32) (local $va v128) (local $vb v128) (local $y v128) (local $s f64)
    (local.set $va (f64x2.splat (local.get $wa)))
    (local.set $vb (f64x2.splat (local.get $wb)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 3))))
    (local.set $last (i32.add (local.get $out) (i32.shl (i32.and (local.get $m) (i32.const -8)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $last)))
        (local.set $y (f64x2.add (f64x2.mul (v128.load (local.get $w0)) (v128.load (local.get $x)))
                                 (f64x2.mul (v128.load (local.get $w1)) (v128.load offset=8 (local.get $x)))))
        (v128.store (local.get $y2) (local.get $y))
        (v128.store (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load (local.get $a))) (f64x2.mul (local.get $vb) (local.get $y))))
        (local.set $y (f64x2.add (f64x2.mul (v128.load offset=16 (local.get $w0)) (v128.load offset=16 (local.get $x)))
                                 (f64x2.mul (v128.load offset=16 (local.get $w1)) (v128.load offset=24 (local.get $x)))))
        (v128.store offset=16 (local.get $y2) (local.get $y))
        (v128.store offset=16 (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load offset=16 (local.get $a))) (f64x2.mul (local.get $vb) (local.get $y))))
        (local.set $y (f64x2.add (f64x2.mul (v128.load offset=32 (local.get $w0)) (v128.load offset=32 (local.get $x)))
                                 (f64x2.mul (v128.load offset=32 (local.get $w1)) (v128.load offset=40 (local.get $x)))))
        (v128.store offset=32 (local.get $y2) (local.get $y))
        (v128.store offset=32 (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load offset=32 (local.get $a))) (f64x2.mul (local.get $vb) (local.get $y))))
        (local.set $y (f64x2.add (f64x2.mul (v128.load offset=48 (local.get $w0)) (v128.load offset=48 (local.get $x)))
                                 (f64x2.mul (v128.load offset=48 (local.get $w1)) (v128.load offset=56 (local.get $x)))))
        (v128.store offset=48 (local.get $y2) (local.get $y))
        (v128.store offset=48 (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load offset=48 (local.get $a))) (f64x2.mul (local.get $vb) (local.get $y))))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $x (i32.add (local.get $x) (i32.const 64)))
        (local.set $w0 (i32.add (local.get $w0) (i32.const 64)))
        (local.set $w1 (i32.add (local.get $w1) (i32.const 64)))
        (local.set $y2 (i32.add (local.get $y2) (i32.const 64)))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $s (f64.add (f64.mul (f64.load (local.get $w0)) (f64.load (local.get $x)))
                               (f64.mul (f64.load (local.get $w1)) (f64.load offset=8 (local.get $x)))))
        (f64.store (local.get $y2) (local.get $s))
        (f64.store (local.get $out)
          (f64.add (f64.mul (local.get $wa) (f64.load (local.get $a))) (f64.mul (local.get $wb) (local.get $s))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $w0 (i32.add (local.get $w0) (i32.const 8)))
        (local.set $w1 (i32.add (local.get $w1) (i32.const 8)))
        (local.set $y2 (i32.add (local.get $y2) (i32.const 8)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $next1))))

  ;; combine2(out, a, b, wa, wb, len): out[q] = wa*a[q] + wb*b[q] for q < len (f64 rows).
  ;; Eight points per step as four f64x2, then up to seven scalar points.
  (func (export "combine2") (param $out i32) (param $a i32) (param $b i32) (param $wa f64) (param $wb f64) (param $len i32)
    (local $end i32) (local $last i32) (local $va v128) (local $vb v128)
    (local.set $va (f64x2.splat (local.get $wa)))
    (local.set $vb (f64x2.splat (local.get $wb)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $len) (i32.const 3))))
    (local.set $last (i32.add (local.get $out) (i32.shl (i32.and (local.get $len) (i32.const -8)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $last)))
        (v128.store (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load (local.get $a))) (f64x2.mul (local.get $vb) (v128.load (local.get $b)))))
        (v128.store offset=16 (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load offset=16 (local.get $a))) (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $b)))))
        (v128.store offset=32 (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load offset=32 (local.get $a))) (f64x2.mul (local.get $vb) (v128.load offset=32 (local.get $b)))))
        (v128.store offset=48 (local.get $out)
          (f64x2.add (f64x2.mul (local.get $va) (v128.load offset=48 (local.get $a))) (f64x2.mul (local.get $vb) (v128.load offset=48 (local.get $b)))))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
        (f64.store (local.get $out)
          (f64.add (f64.mul (local.get $wa) (f64.load (local.get $a))) (f64.mul (local.get $wb) (f64.load (local.get $b)))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (br $next1))))

  ;; runRows4(x, xs, w, ya, o, os, wab, m): four target rows at once, for a sender that maps a target
  ;; whole when target rows r = 0..3 read source rows (i + r, i + r + 1) and the last dimension
  ;; reads consecutive source pairs (a grid of the source's spacing, shifted, along both axes).
  ;; Source row i + 1 + r (in the arena) is at x + r*xs (xs bytes between rows: ROWS4_STRIDE for
  ;; rows copied one by one into their slots, the row length for dense rows), the weights w0 at w
  ;; and w1 at w + 65728 (ROWS4_W1), the row i weighted before at ya. With y(-1) = ya,
  ;; y(r)[j] = w0[j]*x_r[j] + w1[j]*x_r[j + 1] (runRow's expression) and target row o + r*os gets
  ;; wa_r*y(r - 1)[j] + wb_r*y(r)[j] (combine2's expression), for j < m; y(3) replaces ya (each
  ;; point is read before it is written). wab holds wa_0, wb_0, ... wa_3, wb_3 (f64). The same
  ;; expressions in the same order as runCombine row by row, so the same bits, but w0/w1 are loaded
  ;; once for four rows, y(0..2) never leave registers, and the fixed offsets leave few pointers to
  ;; step. Two points per step (one f64x2 per row: with two per row V8 spills more, and the whole
  ;; 1000x1000 map took 0.97-0.99 ms instead of 0.90-0.92 in one process), then one scalar point.
  (func (export "runRows4") (param $x i32) (param $xs i32) (param $w i32) (param $ya i32) (param $o i32) (param $os i32) (param $wab i32) (param $m i32)
    (local $end i32) (local $last i32) (local $os1 i32) (local $os2 i32) (local $os3 i32) (local $xs2 i32) (local $xs3 i32)
    (local $c0 v128) (local $c1 v128) (local $p v128) (local $n v128)
    (local $va0 v128) (local $vb0 v128) (local $va1 v128) (local $vb1 v128) (local $va2 v128) (local $vb2 v128) (local $va3 v128) (local $vb3 v128)
    (local $sa0 f64) (local $sb0 f64) (local $sa1 f64) (local $sb1 f64) (local $sa2 f64) (local $sb2 f64) (local $sa3 f64) (local $sb3 f64)
    (local $sp f64) (local $sn f64)
    (local.set $os1 (local.get $os))
    (local.set $os2 (i32.shl (local.get $os) (i32.const 1)))
    (local.set $os3 (i32.add (local.get $os2) (local.get $os)))
    (local.set $xs2 (i32.shl (local.get $xs) (i32.const 1)))
    (local.set $xs3 (i32.add (local.get $xs2) (local.get $xs)))
    (local.set $sa0 (f64.load (local.get $wab)))
    (local.set $sb0 (f64.load offset=8 (local.get $wab)))
    (local.set $sa1 (f64.load offset=16 (local.get $wab)))
    (local.set $sb1 (f64.load offset=24 (local.get $wab)))
    (local.set $sa2 (f64.load offset=32 (local.get $wab)))
    (local.set $sb2 (f64.load offset=40 (local.get $wab)))
    (local.set $sa3 (f64.load offset=48 (local.get $wab)))
    (local.set $sb3 (f64.load offset=56 (local.get $wab)))
    (local.set $va0 (f64x2.splat (local.get $sa0)))
    (local.set $vb0 (f64x2.splat (local.get $sb0)))
    (local.set $va1 (f64x2.splat (local.get $sa1)))
    (local.set $vb1 (f64x2.splat (local.get $sb1)))
    (local.set $va2 (f64x2.splat (local.get $sa2)))
    (local.set $vb2 (f64x2.splat (local.get $sb2)))
    (local.set $va3 (f64x2.splat (local.get $sa3)))
    (local.set $vb3 (f64x2.splat (local.get $sb3)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $m) (i32.const 3))))
    (local.set $last (i32.add (local.get $o) (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $last)))
        (local.set $c0 (v128.load offset=0 (local.get $w)))
        (local.set $c1 (v128.load offset=65728 (local.get $w)))
        (local.set $p (v128.load offset=0 (local.get $ya)))
        (local.set $n (f64x2.add (f64x2.mul (local.get $c0) (v128.load offset=0 (local.get $x)))
                                  (f64x2.mul (local.get $c1) (v128.load offset=8 (local.get $x)))))
        (v128.store offset=0 (local.get $o)
          (f64x2.add (f64x2.mul (local.get $va0) (local.get $p)) (f64x2.mul (local.get $vb0) (local.get $n))))
        (local.set $p (f64x2.add (f64x2.mul (local.get $c0) (v128.load offset=0 (i32.add (local.get $x) (local.get $xs))))
                                  (f64x2.mul (local.get $c1) (v128.load offset=8 (i32.add (local.get $x) (local.get $xs))))))
        (v128.store offset=0 (i32.add (local.get $o) (local.get $os1))
          (f64x2.add (f64x2.mul (local.get $va1) (local.get $n)) (f64x2.mul (local.get $vb1) (local.get $p))))
        (local.set $n (f64x2.add (f64x2.mul (local.get $c0) (v128.load offset=0 (i32.add (local.get $x) (local.get $xs2))))
                                  (f64x2.mul (local.get $c1) (v128.load offset=8 (i32.add (local.get $x) (local.get $xs2))))))
        (v128.store offset=0 (i32.add (local.get $o) (local.get $os2))
          (f64x2.add (f64x2.mul (local.get $va2) (local.get $p)) (f64x2.mul (local.get $vb2) (local.get $n))))
        (local.set $p (f64x2.add (f64x2.mul (local.get $c0) (v128.load offset=0 (i32.add (local.get $x) (local.get $xs3))))
                                  (f64x2.mul (local.get $c1) (v128.load offset=8 (i32.add (local.get $x) (local.get $xs3))))))
        (v128.store offset=0 (i32.add (local.get $o) (local.get $os3))
          (f64x2.add (f64x2.mul (local.get $va3) (local.get $n)) (f64x2.mul (local.get $vb3) (local.get $p))))
        (v128.store offset=0 (local.get $ya) (local.get $p))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $ya (i32.add (local.get $ya) (i32.const 16)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $sp (f64.load (local.get $ya)))
        (local.set $sn (f64.add (f64.mul (f64.load (local.get $w)) (f64.load offset=0 (local.get $x)))
                                (f64.mul (f64.load offset=65728 (local.get $w)) (f64.load offset=8 (local.get $x)))))
        (f64.store (local.get $o)
          (f64.add (f64.mul (local.get $sa0) (local.get $sp)) (f64.mul (local.get $sb0) (local.get $sn))))
        (local.set $sp (f64.add (f64.mul (f64.load (local.get $w)) (f64.load offset=0 (i32.add (local.get $x) (local.get $xs))))
                                (f64.mul (f64.load offset=65728 (local.get $w)) (f64.load offset=8 (i32.add (local.get $x) (local.get $xs))))))
        (f64.store (i32.add (local.get $o) (local.get $os1))
          (f64.add (f64.mul (local.get $sa1) (local.get $sn)) (f64.mul (local.get $sb1) (local.get $sp))))
        (local.set $sn (f64.add (f64.mul (f64.load (local.get $w)) (f64.load offset=0 (i32.add (local.get $x) (local.get $xs2))))
                                (f64.mul (f64.load offset=65728 (local.get $w)) (f64.load offset=8 (i32.add (local.get $x) (local.get $xs2))))))
        (f64.store (i32.add (local.get $o) (local.get $os2))
          (f64.add (f64.mul (local.get $sa2) (local.get $sp)) (f64.mul (local.get $sb2) (local.get $sn))))
        (local.set $sp (f64.add (f64.mul (f64.load (local.get $w)) (f64.load offset=0 (i32.add (local.get $x) (local.get $xs3))))
                                (f64.mul (f64.load offset=65728 (local.get $w)) (f64.load offset=8 (i32.add (local.get $x) (local.get $xs3))))))
        (f64.store (i32.add (local.get $o) (local.get $os3))
          (f64.add (f64.mul (local.get $sa3) (local.get $sn)) (f64.mul (local.get $sb3) (local.get $sp))))
        (f64.store (local.get $ya) (local.get $sp))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $ya (i32.add (local.get $ya) (i32.const 8)))
        (br $next1))))
)
