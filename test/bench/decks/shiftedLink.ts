// The interface the couple timeline decks measure (ctrace.ts, cphase.ts; cmulti.ts with two
// senders): an N×N field on a source component of one rank (or `senders`, rows split), mapped `linear` to the same grid shifted by about half a spacing
// on a target component of one rank, and a Redistribution of the same field to compare with.
import { world } from 'simdeck';
import { Grid, Redistribution } from 'simdeck/decomposition';
import { components, Coupling } from 'simdeck/couple';

/** Sets up the shifted `senders` → 1 linear interface over `world` (senders + 1 ranks). Collective. */
export function shiftedLink(N: number, senders = 1) {
  const comp = components(world, { src: senders, dst: 1 });
  const grid = new Grid(comp.comm, { shape: [N, N], procs: comp.is('src') ? [senders, 1] : [1, 1] });
  const u = grid.zeros(Float64Array).fill((i, j) => Math.sin(i * 0.01) + j * 1e-3);
  const h = 1 / N;
  const at = (shift: number) => ({ origin: [h / 2 + shift, h / 2 + shift], spacing: [h, h], shape: [N, N] });
  const c = new Coupling({
    components: { src: { dt: 1, sends: { f: { grid: at(0), units: '1' } } }, dst: { dt: 1, receives: { g: { grid: at(0.5 * h * 0.999), units: '1' } } } },
    interfaces: [{ from: 'src.f', to: 'dst.g', map: 'linear' }],
  });
  const link = c.connect(comp, comp.is('src') ? { f: u } : { g: u });
  const plan = new Redistribution(comp.is('src') ? grid : null, comp.is('dst') ? grid : null, world);
  return { comp, u, link, plan };
}
