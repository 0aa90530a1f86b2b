// Conformance deck: a message larger than 2 GiB (the limit mpi4py users keep hitting), as a
// returned value and into a caller's buffer. Two ranks.
import assert from 'node:assert/strict';
import { world, Status } from 'simdeck';

const BYTES = 2 ** 31 + 4099; // past 2 GiB, not a multiple of a page
const STRIDE = 65_537;
const mark = (i: number) => (i * 2654435761) >>> 24;

if (world.rank === 0) {
  const big = new Uint8Array(BYTES);
  for (let i = 0; i < BYTES; i += STRIDE) big[i] = mark(i);
  big[BYTES - 1] = 0xab;
  world.send(big, 1, 1);
  world.send(big.subarray(3), 1, 2);
  assert.equal(world.recv(1, 3), 'checked');
  console.log('OK sent');
} else {
  const st = new Status();
  const got = world.recv(0, 1, st) as Uint8Array;
  assert.ok(got instanceof Uint8Array);
  assert.equal(got.length, BYTES);
  assert.equal(st.bytes, BYTES);
  for (let i = 0; i < BYTES; i += STRIDE) if (got[i] !== mark(i)) assert.fail(`byte ${i}`);
  assert.equal(got[BYTES - 1], 0xab);
  const into = got; // reuse the memory: receive the shifted view into it
  into.fill(0, 0, 1 << 20);
  world.recvInto(into, 0, 2, st);
  assert.equal(st.bytes, BYTES - 3);
  for (let i = STRIDE; i < BYTES; i += STRIDE) if (into[i - 3] !== mark(i)) assert.fail(`shifted byte ${i}`);
  assert.equal(into[BYTES - 4], 0xab);
  world.send('checked', 0, 3);
  console.log('OK received');
}
