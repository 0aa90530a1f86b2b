// Collectives on typed arrays: element-wise reductions that keep the array's class, the
// `Into` forms that fill buffers you own, v-forms for a different length on every rank,
// user operators, MINLOC, and a nonblocking allreduce.
//   npx simdeck run -n 3 docs/examples/typed-collectives.ts
import { world, Op } from 'simdeck';

const { rank, size } = world;
const fmt = (a: ArrayLike<number | bigint> & { constructor: { name: string } }) => `${a.constructor.name} [${Array.from(a).join(', ')}]`;
const say = (text: string) => { if (rank === 0) console.log(text); };

// Element-wise reduction of a Float64Array: the result is a new Float64Array on every rank.
const local = Float64Array.of(rank, 1, rank * rank);
say(`allreduce SUM    ${fmt(world.allreduce(local, Op.SUM))}`);
say(`allreduce MAX    ${fmt(world.allreduce(Int32Array.of(rank, -rank), Op.MAX))}`);

// allreduceInto: the result goes into a buffer you own; here the input itself (in place).
const energy = Float64Array.of(rank + 0.5, 2 * rank);
world.allreduceInto(energy, energy, Op.SUM);
say(`allreduceInto    ${fmt(energy)}`);

// bcastInto: root's array is copied into every rank's buffer (no allocation).
const params = new Float32Array(3);
if (rank === 0) params.set([0.5, 0.25, 0.125]);
world.bcastInto(params, 0);
const seen = world.gather(fmt(params), 0);
say(`bcastInto        on rank ${size - 1}: ${seen?.[size - 1]}`);

// gatherv: every rank sends a different number of elements; root gets them concatenated,
// with counts and displacements (offsets) per rank.
const mine = Int32Array.from({ length: rank + 1 }, () => rank);
const g = world.gatherv(mine, 0);
if (g) say(`gatherv          ${fmt(g.data)} counts [${g.counts}] displs [${g.displs}]`);

// scatterv: root hands out counts[i] elements to rank i, in order.
const counts = Array.from({ length: size }, (_, r) => r + 1);
const total = counts.reduce((a, b) => a + b, 0);
const part = world.scatterv(rank === 0 ? Float64Array.from({ length: total }, (_, i) => i / 10) : null, rank === 0 ? counts : null, 0);
const parts = world.gather(fmt(part), 0);
say(`scatterv         ${parts?.map((p, r) => `rank ${r}: ${p}`).join('; ')}`);

// allgatherInto: equal-length blocks from every rank, into one buffer on every rank.
const all = world.allgatherInto(Uint8Array.of(rank, 100 + rank), new Uint8Array(2 * size));
say(`allgatherInto    ${fmt(all)}`);

// MINLOC: [value, index] pairs; the smallest value wins, and the lower index on ties.
const residual = [Math.abs(rank - 1) + 0.5, rank];
say(`MINLOC           ${JSON.stringify(world.allreduce(residual, Op.MINLOC))}`);

// A user operator that is not commutative: simdeck combines in rank order.
const concat = Op.create((a: string, b: string) => a + b);   // commutative: false by default
say(`Op.create        ${JSON.stringify(world.allreduce(`<${rank}>`, concat))}`);

// Nonblocking: start the allreduce, do other work, then wait for the result.
const req = world.iallreduce(BigInt64Array.of(BigInt(rank), 1n), Op.SUM);
let work = 0;
for (let i = 0; i < 1000; i++) work += i;
say(`iallreduce       ${fmt(req.wait())} (work done meanwhile: ${work})`);
