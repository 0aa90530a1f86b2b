// A/B of the per-call cost of argument checks: one rank sends to and receives from itself.
import { world, Status } from 'simdeck';
const N = 200_000;
const buf = new Float64Array(1), into = new Float64Array(1), st = new Status();
const obj = { step: 1, name: 'x' };
function time(name: string, f: () => void): string {
  for (let i = 0; i < N / 4; i++) f();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < N; i++) f(); runs.push((performance.now() - t0) * 1000 / N); }
  runs.sort((a, b) => a - b);
  return `${name}=${runs[2].toFixed(3)}`;
}
console.log([
  time('send+recvInto(8B)', () => { world.send(buf, 0, 1); world.recvInto(into, 0, 1); }),
  time('send+recvInto(8B,status)', () => { world.send(buf, 0, 1); world.recvInto(into, 0, 1, st); }),
  time('send+recv(obj)', () => { world.send(obj, 0, 2); world.recv(0, 2); }),
  time('send+recv(8B,status)', () => { world.send(buf, 0, 3); world.recv(0, 3, st); }),
  time('isend+irecv+wait', () => { const r = world.irecv(0, 4); world.isend(buf, 0, 4).wait(); r.wait(); }),
].join(' '), 'us');
