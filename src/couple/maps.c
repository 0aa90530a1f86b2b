/*
 * Native kernels of a linear coupling exchange (src/couple/native.ts loads them through
 * kernels/own.ts: compiled with -O2 -ffp-contract=off, never -march=native). They compute what
 * mapping.ts mapRows computes with the WebAssembly kernels (kernels.wat), the same expressions in
 * the same order, point by point, so the same bits:
 *   a source row weighted along the last dimension:  y[j] = w0[j]*x[i0[j]] + w1[j]*x[i1[j]]
 *   a target row of two weighted rows:                o[j] = wa*ya[j] + wb*yb[j]
 *   of other counts (combineSlab):                    o[j] = w_0*y_0[j]; o[j] += w_k*y_k[j] ...
 * each product rounded, then the sum (no fused multiply-add: -ffp-contract=off, and no
 * reassociation: no -ffast-math). Unlike the WebAssembly kernels they read the source rows where
 * they are (the sender's array, a split target's window) and write the finished rows where they
 * go (a band buffer, the target's array), with no copy into or out of a kernel memory.
 *
 * Wider SIMD without -march=native: each exported kernel is cloned for AVX2 and a default target
 * (target_clones; the loader picks one on the CPU that loads the library), the loops vectorized at
 * -O3 (the pragma below). AVX2 has no FMA, and contraction is off anyway: the same roundings.
 */
#pragma GCC optimize("O3")
#include <stdint.h>

/* (clones need GCC's ifunc: glibc on x86-64; elsewhere one version at the baseline ISA) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/*
 * Four target rows at once over points [0, m) of a run or a gathering stretch: source rows
 * x0..x3 (i + 1..i + 4, the row i weighted before in ya), weights c0/c1 per point, pair offsets
 * e0/e1 (NULL for a run: e0[q] = q, e1[q] = q + 1), first-dimension weights ab (wa_r, wb_r).
 * y(-1) = ya, y(r) = c0*x_r[e0] + c1*x_r[e1], target row r = wa_r*y(r - 1) + wb_r*y(r); y(3)
 * replaces ya. runRows4's expressions (kernels.wat).
 */
static inline void rows4_run(const double *restrict x0, const double *restrict x1, const double *restrict x2, const double *restrict x3,
                             const double *restrict c0, const double *restrict c1, double *restrict ya,
                             double *restrict o0, double *restrict o1, double *restrict o2, double *restrict o3,
                             const double *ab, int32_t m) {
  const double a0 = ab[0], b0 = ab[1], a1 = ab[2], b1 = ab[3], a2 = ab[4], b2 = ab[5], a3 = ab[6], b3 = ab[7];
  for (int32_t q = 0; q < m; q++) {
    double p = ya[q];
    double n = c0[q] * x0[q] + c1[q] * x0[q + 1];
    o0[q] = a0 * p + b0 * n;
    p = c0[q] * x1[q] + c1[q] * x1[q + 1];
    o1[q] = a1 * n + b1 * p;
    n = c0[q] * x2[q] + c1[q] * x2[q + 1];
    o2[q] = a2 * p + b2 * n;
    p = c0[q] * x3[q] + c1[q] * x3[q + 1];
    o3[q] = a3 * n + b3 * p;
    ya[q] = p;
  }
}

static inline void rows4_gather(const double *restrict x0, const double *restrict x1, const double *restrict x2, const double *restrict x3,
                                const int32_t *restrict e0, const int32_t *restrict e1,
                                const double *restrict c0, const double *restrict c1, double *restrict ya,
                                double *restrict o0, double *restrict o1, double *restrict o2, double *restrict o3,
                                const double *ab, int32_t m) {
  const double a0 = ab[0], b0 = ab[1], a1 = ab[2], b1 = ab[3], a2 = ab[4], b2 = ab[5], a3 = ab[6], b3 = ab[7];
  for (int32_t q = 0; q < m; q++) {
    const int32_t u = e0[q], v = e1[q];
    double p = ya[q];
    double n = c0[q] * x0[u] + c1[q] * x0[v];
    o0[q] = a0 * p + b0 * n;
    p = c0[q] * x1[u] + c1[q] * x1[v];
    o1[q] = a1 * n + b1 * p;
    n = c0[q] * x2[u] + c1[q] * x2[v];
    o2[q] = a2 * p + b2 * n;
    p = c0[q] * x3[u] + c1[q] * x3[v];
    o3[q] = a3 * n + b3 * p;
    ya[q] = p;
  }
}

/* One source row weighted along the last dimension into y (pairsRow / runRow). */
static inline void contract_row(const double *restrict x, const int32_t *restrict i0, const int32_t *restrict i1,
                                const double *restrict w0, const double *restrict w1, const int32_t *seg, int32_t nseg,
                                double *restrict y) {
  for (int32_t s = 0; s < nseg; s += 3) {
    const int32_t j0 = seg[s], j1 = seg[s + 1], first = seg[s + 2];
    if (first >= 0) {
      const double *restrict xr = x + first - j0;
      for (int32_t q = j0; q < j1; q++) y[q] = w0[q] * xr[q] + w1[q] * xr[q + 1];
    } else {
      for (int32_t q = j0; q < j1; q++) y[q] = w0[q] * x[i0[q]] + w1[q] * x[i1[q]];
    }
  }
}

/* A target row from the weighted rows it reads (combineSlab; combine2 for two). */
static inline void combine_row(double *restrict o, const double *ring, const int32_t *idx, const double *w, int32_t k0, int32_t k1,
                               int32_t base, int32_t slots, int32_t len) {
  if (k1 == k0) {
    for (int32_t q = 0; q < len; q++) o[q] = 0;
    return;
  }
  if (k1 - k0 == 2) {
    const double *restrict ya = ring + (int64_t)((idx[k0] - base) % slots) * len;
    const double *restrict yb = ring + (int64_t)((idx[k0 + 1] - base) % slots) * len;
    const double wa = w[k0], wb = w[k0 + 1];
    for (int32_t q = 0; q < len; q++) o[q] = wa * ya[q] + wb * yb[q];
    return;
  }
  const double *restrict y = ring + (int64_t)((idx[k0] - base) % slots) * len;
  const double w_ = w[k0];
  for (int32_t q = 0; q < len; q++) o[q] = w_ * y[q];
  for (int32_t k = k0 + 1; k < k1; k++) {
    const double *restrict yk = ring + (int64_t)((idx[k] - base) % slots) * len;
    const double wk = w[k];
    for (int32_t q = 0; q < len; q++) o[q] += wk * yk[q];
  }
}

/* Whether target rows j..j + 3 each read two source rows, i + r and i + r + 1 (mapping.ts progression4). */
static inline int progression4(const int32_t *ptr, const int32_t *idx, int32_t j) {
  const int32_t k0 = ptr[j], i = idx[k0];
  for (int32_t r = 0; r < 4; r++) {
    const int32_t k = ptr[j + r];
    if (k != k0 + 2 * r || ptr[j + r + 1] != k + 2 || idx[k] != i + r || idx[k + 1] != i + r + 1) return 0;
  }
  return 1;
}

/*
 * mapping.ts mapRows for a float64 source of one value per point whose last dimension's weights
 * are pairs: target rows j0..j1 (from a0's first) into out + outAt, len apart. Source row i of
 * the footprint (from a0's srcLo) starts at x + x0 + i*xs (at the last-dimension weights' first
 * source column); i0/i1 (element offsets into the row), w0/w1: the pairs of the last dimension
 * per target column, seg its segments ([j0, j1, first] triples, first >= 0 for a run of
 * consecutive source pairs); ptr/idx/w/base: the first dimension's weights; ring (slots rows of
 * len) and held (the footprint row each slot holds, -1 for none) carry over between calls of
 * one exchange. Four target rows reading source rows i..i + 4 run in one pass when row i is held
 * (rows4_*), every other row contracts the rows it reads into the ring, then combines them.
 */
CLONES void simdeck_map_rows(const double *x, int64_t x0, int64_t xs,
                             const int32_t *i0, const int32_t *i1, const double *w0, const double *w1, int32_t len,
                             const int32_t *seg, int32_t nseg,
                             const int32_t *ptr, const int32_t *idx, const double *w, int32_t base,
                             double *ring, int32_t *held, int32_t slots,
                             double *out, int64_t outAt, int32_t j0, int32_t j1) {
  for (int32_t j = j0; j < j1; j++) {
    const int32_t k0 = ptr[j], k1 = ptr[j + 1];
    double *o = out + outAt + (int64_t)(j - j0) * len;
    if (j + 4 <= j1 && progression4(ptr, idx, j)) {
      const int32_t ia = idx[k0] - base, sa = ia % slots;
      if (held[sa] == ia && (ia + 4) % slots == sa && held[(ia + 1) % slots] != ia + 1) {
        double ab[8];
        for (int32_t r = 0; r < 8; r++) ab[r] = w[k0 + r];
        const double *r0 = x + x0 + (int64_t)(ia + 1) * xs, *r1 = r0 + xs, *r2 = r1 + xs, *r3 = r2 + xs;
        double *ya = ring + (int64_t)sa * len;
        for (int32_t s = 0; s < nseg; s += 3) {
          const int32_t s0 = seg[s], m = seg[s + 1] - s0, first = seg[s + 2];
          if (first >= 0)
            rows4_run(r0 + first, r1 + first, r2 + first, r3 + first, w0 + s0, w1 + s0, ya + s0,
                      o + s0, o + len + s0, o + 2 * len + s0, o + 3 * len + s0, ab, m);
          else
            rows4_gather(r0, r1, r2, r3, i0 + s0, i1 + s0, w0 + s0, w1 + s0, ya + s0,
                         o + s0, o + len + s0, o + 2 * len + s0, o + 3 * len + s0, ab, m);
        }
        held[sa] = ia + 4;
        j += 3;
        continue;
      }
    }
    for (int32_t q = k0; q < k1; q++) {
      const int32_t i = idx[q] - base, slot = i % slots;
      if (held[slot] == i) continue;
      contract_row(x + x0 + (int64_t)i * xs, i0, i1, w0, w1, seg, nseg, ring + (int64_t)slot * len);
      held[slot] = i;
    }
    combine_row(o, ring, idx, w, k0, k1, base, slots, len);
  }
}

/*
 * mapping.ts contractRowWasm for `rows` source rows (a sender's contracted message when a target
 * reads from several senders: link.ts contractBox): row r starts at x + x0 + r*xs (at the
 * weights' first source column) and is weighted along the last dimension (i0/i1/w0/w1/seg as in
 * simdeck_map_rows) into out + outAt + r*len. contract_row's expressions, the same bits.
 */
CLONES void simdeck_contract_rows(const double *x, int64_t x0, int64_t xs,
                                  const int32_t *i0, const int32_t *i1, const double *w0, const double *w1, int32_t len,
                                  const int32_t *seg, int32_t nseg, double *out, int64_t outAt, int32_t rows) {
  for (int32_t r = 0; r < rows; r++)
    contract_row(x + x0 + (int64_t)r * xs, i0, i1, w0, w1, seg, nseg, out + outAt + (int64_t)r * len);
}

/*
 * mapping.ts mapSlabs for a receiver whose senders contracted the other dimensions (a Float64
 * footprint of rows `len` apart, row i from a0's srcLo = base): target rows j0..j1 combined from
 * the footprint rows they read (ptr/idx/w: the first dimension's weights) into out + outAt, len
 * apart. combine_row's expressions (combineSlab; combine2 for two), the same bits.
 */
CLONES void simdeck_combine_rows(const double *x, const int32_t *ptr, const int32_t *idx, const double *w, int32_t base, int32_t len,
                                 double *out, int64_t outAt, int32_t j0, int32_t j1) {
  for (int32_t j = j0; j < j1; j++)
    combine_row(out + outAt + (int64_t)(j - j0) * len, x, idx, w, ptr[j], ptr[j + 1], base, 1 << 30, len);
}

/* The ABI version of these kernels (native.ts checks it: a stale cached library is not used). */
int32_t simdeck_maps_version(void) { return 3; }
