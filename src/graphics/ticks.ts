/**
 * Axis ticks: "nice" values (1, 2, 5 × 10^k steps) on a linear scale, powers of ten on a log
 * scale, and short labels for them.
 */

/** Tick values covering [lo, hi] with about `count` steps of 1, 2 or 5 × 10^k (lo ≤ every tick ≤ hi). Local. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) out.push(Math.abs(k * step) < step * 1e-9 ? 0 : k * step);
  return out;
}

/** Powers of ten within [lo, hi] (both > 0); when there are fewer than two, linear ticks instead. Local. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > 0)) return [];
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(10 ** e);
  return out.length >= 2 ? out : linearTicks(lo, hi, 4);
}

/** A short label for a tick value: no trailing zeros, exponent form for very large or small numbers. Local. */
export function formatTick(v: number, step = 0): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(2).split('e');
    return `${m.replace(/\.?0+$/, '')}e${Number(e)}`;
  }
  const digits = step > 0 ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))) : 3;
  return v.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** Labels for a list of ticks, with as many decimals as their spacing needs. Local. */
export function tickLabels(ticks: readonly number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 0;
  return ticks.map((t) => formatTick(t, step));
}
