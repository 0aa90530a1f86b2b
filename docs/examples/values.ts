// What a message can carry. Rank 0 sends a few values to rank 1, which prints what arrived.
//   npx simdeck run -n 2 docs/examples/values.ts
import { world, Status, EncodeError } from 'simdeck';

class Particle {
  constructor(public x: number, public v: number) {}
  energy(): number { return 0.5 * this.v * this.v; }
}

const values: Array<[string, unknown]> = [
  ['typed array', new Int16Array([1, -2, 3])],
  ['Buffer', Buffer.from('abc')],
  ['object with arrays', { step: 7, u: new Float32Array([0.5, 1.5]), ids: new BigInt64Array([2n ** 40n]) }],
  ['Map, Date, BigInt', new Map<string, unknown>([['t', new Date(Date.UTC(2024, 0, 1))], ['n', 2n ** 70n]])],
  ['-0 in an object', { z: -0 }],
  ['-0 in a typed array', new Float64Array([-0])],
  ['class instance', new Particle(1, 2)],
];

if (world.rank === 0) {
  for (const [, value] of values) world.send(value, 1);
  try {
    world.send({ step: 1, update: (x: number) => x + 1 }, 1);
  } catch (e) {
    if (!(e instanceof EncodeError)) throw e;
    console.log(`${e.name}: ${e.message}`);
  }
} else if (world.rank === 1) {
  for (const [name] of values) {
    const st = new Status();
    const got = world.recv(0, 0, st);
    console.log(name.padEnd(20), '->', got, `(${st.type}, ${st.bytes} bytes)`);
  }
}
