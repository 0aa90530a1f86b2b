// Ping-pong between ranks 0 and 1. Rank 0 sends a Float64Array; rank 1 doubles it and sends it
// back. A final object message on its own tag tells rank 1 to stop.
//   npx simdeck run -n 2 docs/examples/pingpong.ts [bounces]
import { world, Status, ANY_TAG } from 'simdeck';

const PING = 1, PONG = 2, STOP = 3;
const bounces = Number(process.argv[2] ?? 3);
if (world.size < 2) throw new Error('pingpong needs 2 ranks: simdeck run -n 2 docs/examples/pingpong.ts');

if (world.rank === 0) {
  let data: Float64Array = Float64Array.from([1, 2, 3, 4]);
  for (let i = 0; i < bounces; i++) {
    world.send(data, 1, PING);                      // a bare typed array travels raw
    const st = new Status();
    data = world.recv(1, PONG, st) as Float64Array; // and arrives as a Float64Array again
    console.log(`bounce ${i}: [${data.join(', ')}] from rank ${st.source}, tag ${st.tag}, ` +
      `${st.bytes} bytes, type ${st.type}, ${st.count(Float64Array.BYTES_PER_ELEMENT)} elements`);
  }
  world.send({ reason: 'done', bounces, at: new Date(0) }, 1, STOP); // an object message
} else if (world.rank === 1) {
  for (;;) {
    const st = new Status();
    const msg = world.recv(0, ANY_TAG, st);         // the tag says what kind of message it is
    if (st.tag === STOP) {
      console.log('stop message:', msg, `(${st.bytes} bytes, type ${st.type})`);
      break;
    }
    const a = msg as Float64Array;                  // a received array belongs to the receiver
    for (let k = 0; k < a.length; k++) a[k] *= 2;
    world.send(a, 0, PONG);
  }
}
