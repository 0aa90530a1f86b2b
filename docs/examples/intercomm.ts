// Two groups, "fluid" (world ranks 0-2) and "particles" (world ranks 3-4), each with its own
// communicator, joined by an intercommunicator: point-to-point calls address ranks of the
// *other* group. Then merge() makes one ordinary communicator of both.
//   npx simdeck run -n 5 docs/examples/intercomm.ts
import { world, Status } from 'simdeck';

if (world.size !== 5) throw new Error('run this example on 5 ranks');
const isFluid = world.rank < 3;
const mine = world.split(isFluid ? 0 : 1)!;            // fluid: world 0,1,2; particles: world 3,4

// Each group's rank 0 is its leader. The leaders find each other through world: the fluid's
// leader is world rank 0, the particles' is world rank 3. Tag 7 keeps that exchange apart
// from other world traffic.
const inter = mine.createIntercomm(0, world, isFluid ? 3 : 0, 7);
const who = isFluid ? 'fluid' : 'particles';
console.log(`${who} rank ${inter.rank} of ${inter.size}; the other group has ${inter.remoteSize}`);

// Fluid rank k sends to particles rank k (when there is one); sources are remote ranks.
if (isFluid && inter.rank < inter.remoteSize) inter.send(`velocity field from fluid rank ${inter.rank}`, inter.rank);
if (!isFluid) {
  const st = new Status();
  const msg = inter.recv(undefined, undefined, st);
  console.log(`particles rank ${inter.rank} got "${msg}" from remote rank ${st.source}`);
}

// merge(high): one intracommunicator of both groups; the group passing high = false comes first.
const all = inter.merge(!isFluid);
const order = all.allgather(`${who}${inter.rank}`);
if (all.rank === 0) console.log(`merged: ${all.size} ranks in order ${order.join(' ')}`);
