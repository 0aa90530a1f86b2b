/*
 * simdeck graphics: the live heat map's pooling in C (an own kernel: src/kernels/own.ts compiles
 * it with the system cc, -O2 -ffp-contract=off, on first use). reduce.ts calls it instead of its
 * JavaScript loops when it loads, and keeps those loops otherwise: both must give the same bits,
 * so every pixel is made by the same additions in the same order as there (no reassociation, no
 * fused multiply-add), rounded to single precision as a Float32Array store rounds (a (float)
 * cast: round to nearest, ties to even), with its min and max taken the same way (NaN ignored,
 * a zero as +0 at the end). A NaN pixel is stored as the canonical quiet NaN (0x7fc00000), as
 * narrowRow stores it: which NaN a sum of NaNs gives depends on the order of an addition's
 * operands, which neither JavaScript nor the compiler fixes.
 */
#include <stdint.h>

/*
 * Mean pooling of whole 4 x 4 blocks straight to single precision (reduce.ts pool4x4To32 =
 * rowsOf4x4 + narrowRow, for a Float64Array field): row ib of the need box starts at
 * src[offset + ib * sb + seg0]; rows[ib] is that row's pixel offset in this rank's pixel box, or
 * negative for a row of no pixel; a row with a pixel offset starts 4 rows of the same pixels
 * (the caller checked: fourByFour). Pixel s of such a row is the mean of cells 4s .. 4s + 3 of its
 * 4 rows and goes to out[at + rows[ib] + s], s < ns. mm receives the smallest and largest
 * double-precision pixel (NaN ignored; +Infinity, -Infinity when there is none; a zero as +0).
 * One call per frame.
 */
void simdeck_pool4x4_to32(const double *src, int64_t offset, int64_t sb, const int32_t *rows, int32_t nb,
                          int32_t seg0, int32_t ns, float *out, int64_t at, double *mm)
{
    double lo = 1.0 / 0.0, hi = -1.0 / 0.0;
    for (int32_t ib = 0; ib < nb; ib++) {
        const int32_t pb = rows[ib];
        if (pb < 0) continue;
        const double *o = src + offset + (int64_t)ib * sb + seg0;
        const double *o1 = o + sb, *o2 = o1 + sb, *o3 = o2 + sb;
        float *q = out + at + pb;
        for (int32_t s = 0; s < ns; s++) {
            /* rowsOf4x4 with div 16: y starts from 0, each row's run from 0 (so -0 becomes +0) */
            double y = 0, x = 0;
            x += o[4 * s]; x += o[4 * s + 1]; x += o[4 * s + 2]; x += o[4 * s + 3]; y += x;
            x = 0; x += o1[4 * s]; x += o1[4 * s + 1]; x += o1[4 * s + 2]; x += o1[4 * s + 3]; y += x;
            x = 0; x += o2[4 * s]; x += o2[4 * s + 1]; x += o2[4 * s + 2]; x += o2[4 * s + 3]; y += x;
            x = 0; x += o3[4 * s]; x += o3[4 * s + 1]; x += o3[4 * s + 2]; x += o3[4 * s + 3]; y += x;
            const double v = y / 16;
            /* narrowRow: the store rounds once; comparisons with NaN are false */
            q[s] = v == v ? (float)v : __builtin_nanf("");
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        ib += 3;
    }
    mm[0] = lo == 0 ? 0.0 : lo;
    mm[1] = hi == 0 ? 0.0 : hi;
}

/*
 * The general pooling loops (reduce.ts poolInto after its set-up: rowsOf4x4, runsOf4, runs), for
 * a Float64Array field: need-box row (ia, ib) starts at src[offset + ia * sa + ib * sb]; ta[ia]
 * and tb[ib] are pixel offsets (negative: no pixel); along the fastest dimension (stride sc)
 * pixel s covers cells segments[s] .. segments[s + 1] - 1. mode 0 (mean: sums added into acc),
 * 1 (min) or 2 (max), into acc[ta[ia] + tb[ib] + s], which the caller filled with the mode's
 * start value, except with div 16 (whole 4 x 4 blocks: each pixel written once, divided).
 * uniform4: every segment is 4 cells and sc is 1 (the unrolled path). The same operations in
 * the same order as the JavaScript loops, so the same bits, except a NaN pixel's payload and
 * sign, which are not fixed in JavaScript either (it depends on the order of an addition's
 * operands when both are NaN).
 */
void simdeck_pool_runs(const double *src, int64_t offset, const int32_t *ta, int32_t na, int64_t sa,
                       const int32_t *tb, int32_t nb, int64_t sb, int64_t sc, const int32_t *segments, int32_t ns,
                       double *acc, int32_t mode, int32_t div, int32_t uniform4)
{
    for (int32_t ia = 0; ia < na; ia++) {
        const int32_t pa = ta[ia];
        if (pa < 0) continue;
        for (int32_t ib = 0; ib < nb; ib++) {
            const int32_t pb = tb[ib];
            if (pb < 0) continue;
            double *a = acc + (int64_t)pa + pb;
            const int64_t row = offset + (int64_t)ia * sa + (int64_t)ib * sb;
            if (mode == 0 && uniform4) {
                const double *o = src + row + segments[0];
                if (ib + 3 < nb && tb[ib + 3] == pb && tb[ib + 1] == pb && tb[ib + 2] == pb) {
                    /* rowsOf4x4 */
                    const double *o1 = o + sb, *o2 = o1 + sb, *o3 = o2 + sb;
                    for (int32_t s = 0; s < ns; s++) {
                        double y = div == 16 ? 0 : a[s], x = 0;
                        x += o[4 * s]; x += o[4 * s + 1]; x += o[4 * s + 2]; x += o[4 * s + 3]; y += x;
                        x = 0; x += o1[4 * s]; x += o1[4 * s + 1]; x += o1[4 * s + 2]; x += o1[4 * s + 3]; y += x;
                        x = 0; x += o2[4 * s]; x += o2[4 * s + 1]; x += o2[4 * s + 2]; x += o2[4 * s + 3]; y += x;
                        x = 0; x += o3[4 * s]; x += o3[4 * s + 1]; x += o3[4 * s + 2]; x += o3[4 * s + 3]; y += x;
                        a[s] = y / div;
                    }
                    ib += 3;
                } else {
                    /* runsOf4 */
                    for (int32_t s = 0; s < ns; s++) {
                        double x = 0;
                        x += o[4 * s]; x += o[4 * s + 1]; x += o[4 * s + 2]; x += o[4 * s + 3];
                        a[s] += x;
                    }
                }
                continue;
            }
            /* runs */
            for (int32_t s = 0; s < ns; s++) {
                const double *o = src + row + (int64_t)segments[s] * sc, *e = src + row + (int64_t)segments[s + 1] * sc;
                if (mode == 0) {
                    double x = 0;
                    for (; o < e; o += sc) x += *o;
                    a[s] += x;
                } else if (mode == 2) {
                    double x = a[s];
                    for (; o < e; o += sc) { const double v = *o; if (v > x) x = v; }
                    a[s] = x;
                } else {
                    double x = a[s];
                    for (; o < e; o += sc) { const double v = *o; if (v < x) x = v; }
                    a[s] = x;
                }
            }
        }
    }
}
