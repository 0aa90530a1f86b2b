// Every kind of coupling mistake on a real job (3 ranks: a on 1, b on 2): each connect throws
// the same typed error on every rank, before any step; each rank prints `name: message`.
// With `uncaught`, the first mistake is left uncaught and must end the job before any step.
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { components, Coupling, CouplingError } from 'simdeck/couple';

const comp = components(world, { a: 1, b: 2 });
const line = (n: number) => ({ grid: { origin: [0.5 / n], spacing: [1 / n], shape: [n] }, units: 'K' });
const good = { a: { dt: 0.1, sends: { out: line(8) } }, b: { dt: 0.05, receives: { in: line(12) } } };
const one = { from: 'a.out', to: 'b.in' };
const cases: [string, object][] = [
  ['unconnected', { components: { ...good, a: { dt: 0.1, sends: { out: line(8), spare: line(3) } } }, interfaces: [one] }],
  ['units', { components: { ...good, b: { dt: 0.05, receives: { in: { ...line(12), units: 'degC' } } } }, interfaces: [one] }],
  ['shape', { components: { ...good, b: { dt: 0.05, receives: { in: { grid: { origin: [0, 0], spacing: [1, 1], shape: [2, 2] }, units: 'K' } } } }, interfaces: [one] }],
  ['interval', { components: good, interfaces: [{ ...one, every: 0.15 }] }],
  ['cycle', {
    components: { a: { sends: { out: line(8) }, receives: { back: line(8) } }, b: { sends: { back: line(12) }, receives: { in: line(12) } } },
    interfaces: [{ ...one, order: 'serial', every: 1 }, { from: 'b.back', to: 'a.back', order: 'serial', every: 1 }],
  }],
  ['components', { components: { ...good, c: {} }, interfaces: [one] }],
];
const n = comp.is('a') ? 8 : 12;
const u = new Grid(comp.comm, { shape: [n] }).zeros(Float64Array);
let steps = 0;
for (const [what, desc] of cases) {
  if (process.argv[2] === 'uncaught') { new Coupling(desc as never).connect(comp, comp.is('a') ? { out: u } : { in: u }); steps++; }
  try {
    const c = new Coupling(desc as never);
    const fields: Record<string, typeof u> = comp.is('a') ? { out: u } : { in: u };
    if (what === 'cycle') (comp.is('a') ? (fields.back = u) : (fields.back = u));
    c.connect(comp, fields);
    console.log(`${what}: no error`);
  } catch (e) {
    console.log(`${what}: ${e instanceof CouplingError ? 'CouplingError ' : ''}${(e as Error).name}: ${(e as Error).message}`);
  }
}
// an array on another grid than declared: found on b's ranks, thrown on every rank
try {
  const wrong = new Grid(comp.comm, { shape: [comp.is('a') ? 8 : 13] }).zeros(Float64Array);
  new Coupling({ components: good, interfaces: [one] }).connect(comp, comp.is('a') ? { out: wrong } : { in: wrong });
} catch (e) {
  console.log(`array: ${(e as Error).name}: ${(e as Error).message}`);
}
console.log(`steps run: ${steps}`);
// the intercommunicator between the two components: remote ranks numbered from 0
const ic = comp.intercomm(comp.is('a') ? 'b' : 'a');
if (comp.is('a')) for (let r = 0; r < ic.remoteSize; r++) ic.send(`to b${r}`, r, 5);
else console.log(`intercomm: ${comp.toString()} got ${JSON.stringify(ic.recv(0, 5))} from a's ${ic.remoteSize} rank; same object again: ${ic === comp.intercomm('a')}`);
