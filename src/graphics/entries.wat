;; A heat map's palette entries, for WebAssembly (assembled by scripts/build-wasm.mjs into
;; entries.wasm.ts). Every address is a byte offset into the imported memory.
;;
;; entries4x4(vals, nx, ny, out, stride, lo, scale): for a single-precision image vals (f32,
;; values[i * ny + j], 16-byte aligned, nx and ny multiples of 4) writes each value's palette
;; entry to out + (ny - 1 - j) * stride + i (the figure's rows, top row first). The entry is
;; heatmapFigure.ts's entryOf rule, in double precision as there: x = (v - lo) * scale, then
;; 0 for x <= 0 (or x NaN with v a number), trunc(x) below 239, 239 from there on, and 252
;; (MISSING_ENTRY) for v NaN. trunc_sat gives trunc(x) for 0 < x < 239, something <= 0 for
;; x <= 0 and for NaN (0), something >= 239 for x >= 239 (saturating at +-2^31 for huge or
;; infinite x), so clamping it to [0, 239] is the rule; then NaN values get 252.
;; A block of 4 columns x 4 rows at a time: four f32x4 loads (4 rows of one column each), 16
;; entries as four i32x4, narrowed to 16 bytes and transposed by one shuffle into 4 rows of 4
;; bytes, stored 4 bytes per figure row.
(module
  (import "m" "mem" (memory 1 4096 shared)) ;; imageMemory.ts MAX_PAGES

  ;; the four entries of one column's four values (f32x4)
  (func $four (param $v v128) (param $lo v128) (param $sc v128) (result v128)
    (v128.bitselect
      (i32x4.splat (i32.const 252))
      (i32x4.min_s (i32x4.max_s
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $lo)) (local.get $sc)))
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $lo)) (local.get $sc))))
        (v128.const i32x4 0 0 0 0)) (i32x4.splat (i32.const 239)))
      (f32x4.ne (local.get $v) (local.get $v))))

  (func (export "entries4x4") (param $vals i32) (param $nx i32) (param $ny i32) (param $out i32) (param $stride i32) (param $lo f64) (param $scale f64)
    (local $i i32) (local $j i32) (local $col i32) (local $cs i32) (local $o i32) (local $b v128) (local $lov v128) (local $scv v128)
    (local.set $lov (f64x2.splat (local.get $lo)))
    (local.set $scv (f64x2.splat (local.get $scale)))
    (local.set $cs (i32.shl (local.get $ny) (i32.const 2))) ;; bytes from a column to the next
    (block $doneI
      (loop $nextI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $nx)))
        (local.set $col (i32.add (local.get $vals) (i32.mul (local.get $i) (local.get $cs))))
        ;; figure row of j = 0: the last one
        (local.set $o (i32.add (local.get $out) (i32.add (i32.mul (i32.sub (local.get $ny) (i32.const 1)) (local.get $stride)) (local.get $i))))
        (local.set $j (i32.const 0))
        (block $doneJ
          (loop $nextJ
            (br_if $doneJ (i32.ge_u (local.get $j) (local.get $ny)))
            (local.set $b
              (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
                (i8x16.narrow_i16x8_u
                  (i16x8.narrow_i32x4_u
                    (call $four (v128.load (local.get $col)) (local.get $lov) (local.get $scv))
                    (call $four (v128.load (i32.add (local.get $col) (local.get $cs))) (local.get $lov) (local.get $scv)))
                  (i16x8.narrow_i32x4_u
                    (call $four (v128.load (i32.add (local.get $col) (i32.shl (local.get $cs) (i32.const 1)))) (local.get $lov) (local.get $scv))
                    (call $four (v128.load (i32.add (local.get $col) (i32.mul (local.get $cs) (i32.const 3)))) (local.get $lov) (local.get $scv))))
                (local.get $b)))
            (v128.store32_lane 0 (local.get $o) (local.get $b))
            (v128.store32_lane 1 (i32.sub (local.get $o) (local.get $stride)) (local.get $b))
            (v128.store32_lane 2 (i32.sub (local.get $o) (i32.shl (local.get $stride) (i32.const 1))) (local.get $b))
            (v128.store32_lane 3 (i32.sub (local.get $o) (i32.mul (local.get $stride) (i32.const 3))) (local.get $b))
            (local.set $o (i32.sub (local.get $o) (i32.shl (local.get $stride) (i32.const 2))))
            (local.set $col (i32.add (local.get $col) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $nextJ)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $nextI)))))
