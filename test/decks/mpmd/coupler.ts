// MPMD test deck: the coupler (1 rank). Receives one field from every ocean and atmosphere
// rank, combines them, and sends every one of them the combined values.
import { world, Status } from 'simdeck';
import { COMBINED, FIELD, identity, layout, say } from './common.ts';

const where = layout();
say('layout', where);
identity();

const fields = new Map<number, Float64Array>();
const components = [...where.ocean, ...where.atmos];
for (let k = 0; k < components.length; k++) {
  const st = new Status();
  const f = world.recv(undefined, FIELD, st) as Float64Array;
  fields.set(st.source, f);
}
const sumOf = (ranks: number[]) => {
  const s = new Float64Array(3);
  for (const w of ranks) fields.get(w)!.forEach((v, i) => { s[i] += v; });
  return s;
};
const ocean = sumOf(where.ocean), atmos = sumOf(where.atmos);
const flux = ocean.map((o, i) => atmos[i] - o);
say('received from', [...fields.keys()].sort((a, b) => a - b));
for (const w of components) world.send({ to: w, ocean: Array.from(ocean), atmos: Array.from(atmos), flux: Array.from(flux) }, w, COMBINED);
world.barrier();
