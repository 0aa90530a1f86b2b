// The serial reference of test/couple/decks/mapping.ts: the same cases mapped on one process
// with the whole source field, hashed as the deck hashes the gathered target field.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { root, linesOf, type JobResult } from '../helpers/job.js';

const { axisWeights, applyWeights } = await import(join(root, 'dist', 'src', 'couple', 'mapping.js'));

type G = { origin: number[]; spacing: number[]; shape: number[] };
const cells = (L: number[], n: number[]): G => ({ origin: L.map((l, d) => l / n[d] / 2), spacing: L.map((l, d) => l / n[d]), shape: n });
const shifted = (g: G, by: number): G => ({ ...g, origin: g.origin.map((o, d) => o + by * g.spacing[d]) });
export const CASES: { name: string; a: G; b: G; maps?: readonly MapKind[]; sourceGhosts?: number }[] = [
  { name: '1d', a: cells([1], [37]), b: cells([1], [50]) },
  { name: '2d', a: cells([1, 2], [41, 29]), b: cells([1, 2], [23, 58]) },
  { name: '3d', a: cells([1, 1, 0.5], [9, 12, 7]), b: cells([1, 1, 0.5], [14, 5, 10]) },
  // big enough that messages go in several bands (route.ts BAND_ELEMENTS), mapped while later bands are in flight
  { name: 'bands', a: cells([1, 1], [640, 480]), b: cells([1, 1], [600, 450]) },
  // the same spacing shifted by 0.4995 of a cell along both axes (a sender that maps the target
  // whole does four rows at a time, kernels.wat runRows4), over several bands; its target cells
  // reach past the source's, so no conservative map
  { name: 'shifted', a: cells([1, 1], [300, 260]), b: shifted(cells([1, 1], [300, 260]), 0.4995), maps: ['nearest', 'linear'] },
  // the same with a ghost layer around the source's blocks (a simulation's halo): the rows a
  // split target maps itself (route.ts splitRows) are then packed from the source's rows
  { name: 'shifted, source ghosts', a: cells([1, 1], [300, 260]), b: shifted(cells([1, 1], [300, 260]), 0.4995), maps: ['nearest', 'linear'], sourceGhosts: 1 },
  // a target 2.4 times coarser along the first axis: on shared memory the two ranks split its
  // rows, and the target's source rows come in several chunks, some target rows reading the last
  // source row of one chunk (never weighted before) and the first of the next
  { name: 'coarse rows', a: cells([1, 1], [600, 130]), b: cells([1, 1], [250, 120]), maps: ['linear'] },
];
export const MAPS = ['nearest', 'linear', 'conservative'] as const;
type MapKind = typeof MAPS[number];
const smooth = (x: number[]) => 2 + x.reduce((s, v, d) => s + Math.sin((d + 2) * v + 0.3) * (d + 1) * 0.25, 0) + x[0] * x[0];

/** The hash of each case and map, computed serially: `${case} ${map}` → hash. */
export function serialHashes(): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of CASES) {
    const n = c.a.shape, total = n.reduce((a, b) => a * b, 1);
    const src = new Float64Array(total);
    for (let k = 0; k < total; k++) {
      const idx = n.map((_, d) => Math.floor(k / n.slice(d + 1).reduce((a, b) => a * b, 1)) % n[d]);
      src[k] = smooth(idx.map((i, d) => c.a.origin[d] + i * c.a.spacing[d]));
    }
    for (const map of c.maps ?? MAPS) {
      const axes = c.b.shape.map((m, d) => axisWeights(map, { origin: c.a.origin[d], spacing: c.a.spacing[d], n: n[d] }, { origin: c.b.origin[d], spacing: c.b.spacing[d], n: m }, 0, m));
      // the footprint of the whole target is the part of the source the weights read
      const lo = axes.map((a: { srcLo: number }) => a.srcLo), hi = axes.map((a: { srcHi: number }) => a.srcHi);
      const fshape = hi.map((h: number, d: number) => h - lo[d]);
      const fp = new Float64Array(fshape.reduce((a: number, b: number) => a * b, 1));
      for (let k = 0; k < fp.length; k++) {
        let off = 0;
        for (let d = 0; d < n.length; d++) {
          const i = Math.floor(k / fshape.slice(d + 1).reduce((a: number, b: number) => a * b, 1)) % fshape[d] + lo[d];
          off = off * n[d] + i;
        }
        fp[k] = src[off];
      }
      const mapped = Float64Array.from(applyWeights(fp, axes, 1, { stages: [] }) as ArrayLike<number>);
      out.set(`${c.name} ${map}`, createHash('sha256').update(Buffer.from(mapped.buffer)).digest('hex').slice(0, 16));
    }
  }
  return out;
}

/** The `key = JSON` lines of a mapping job, from every rank. */
export function report(r: JobResult, ranks: number): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let w = 0; w < ranks; w++) {
    for (const line of linesOf(r.stdout, w)) {
      const at = line.indexOf(' = ');
      if (at > 0) m.set(line.slice(0, at), JSON.parse(line.slice(at + 3)));
    }
  }
  return m;
}

/** Checks one mapping job against the serial hashes, the exactness of linear maps and conservation; returns problems. */
export function mappingProblems(r: JobResult, ranks: number, serial: Map<string, string>): string[] {
  const bad: string[] = [];
  if (r.status !== 0) return [`status ${r.status}: ${r.stderr.slice(0, 2000)}`];
  const rep = report(r, ranks);
  for (const c of CASES) {
    for (const map of c.maps ?? MAPS) {
      const k = `${c.name} ${map}`;
      if (rep.get(`${k} hash`) !== serial.get(k)) bad.push(`${k}: hash ${rep.get(`${k} hash`)} but serially ${serial.get(k)}`);
      if (map === 'linear' && !((rep.get(`${k} linear max error`) as number) <= 1e-12)) bad.push(`${k}: linear field off by ${rep.get(`${k} linear max error`)}`);
      if (map === 'conservative') {
        const a = rep.get(`${k} src integral`) as number, b = rep.get(`${k} dst integral`) as number;
        if (!(Math.abs(a - b) / Math.abs(a) <= 1e-12)) bad.push(`${k}: integral ${a} became ${b}`);
      }
    }
  }
  return bad;
}

/** The example's `NAME: N steps, fingerprint H` lines, without rank tags, sorted. */
export function fingerprints(out: string): string[] {
  return out.split('\n').filter((l) => l.includes('fingerprint')).map((l) => l.replace(/^\[\d+\] /, '')).sort();
}
