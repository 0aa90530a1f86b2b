// Receiving into a buffer you own: no allocation per message. Also what happens when the
// buffer is too small or of the wrong type, and how to recover.
//   npx simdeck run -n 2 docs/examples/receive-into.ts
import { world, Status, TruncationError, MessageTypeError } from 'simdeck';

if (world.size < 2) throw new Error('receive-into needs 2 ranks');

if (world.rank === 0) {
  for (let step = 0; step < 3; step++) world.send(new Float64Array(1000).fill(step), 1, 1);
  world.send(new Float64Array(5000), 1, 2);   // too big for rank 1's buffer
  world.send(new Int32Array([7, 8, 9]), 1, 3); // the wrong element type for it
} else if (world.rank === 1) {
  const buf = new Float64Array(1000);          // allocated once, reused for every step
  const st = new Status();
  for (let step = 0; step < 3; step++) {
    world.recvInto(buf, 0, 1, st);
    console.log(`step ${step}: ${st.count(8)} values, first ${buf[0]}`);
  }

  try {
    world.recvInto(buf, 0, 2);
  } catch (e) {
    if (!(e instanceof TruncationError)) throw e;
    console.log(`${e.name}: ${e.message}`);
    const big = world.probe(0, 2);              // the message is still queued: size a buffer
    const bigger = new Float64Array(big.count(Float64Array.BYTES_PER_ELEMENT));
    world.recvInto(bigger, 0, 2);
    console.log(`received ${bigger.length} values into a new buffer`);
  }

  try {
    world.recvInto(buf, 0, 3);
  } catch (e) {
    if (!(e instanceof MessageTypeError)) throw e;
    console.log(`${e.name}: ${e.message}`);
    console.log('recv() instead gives', world.recv(0, 3));
  }
}
