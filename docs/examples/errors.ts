// A wrong argument is a typed error, thrown before anything is sent or received: the deck can
// catch it, fix the call and go on, and no message is lost.
//   npx simdeck run -n 2 docs/examples/errors.ts
import { world, Status, SimdeckError } from 'simdeck';

/** Runs `call`; prints the SimdeckError it throws (its class and message). */
function attempt(call: () => unknown): void {
  try {
    call();
  } catch (e) {
    if (!(e instanceof SimdeckError)) throw e; // not simdeck's: a bug in the deck
    console.log(`${e.name}: ${e.message}`);
  }
}

class Field extends Float64Array {}           // a subclass travels as its base class
const { send, recv } = world;                  // methods work without their object

if (world.rank === 0) {
  send({ step: 1 }, 1);
  attempt(() => send(new Field([1.5, 2.5]), 1, -1));  // a tag must be ≥ 0: nothing is sent
  send(new Field([1.5, 2.5]), 1, 7);
} else if (world.rank === 1) {
  attempt(() => recv(0, 0, Object.freeze(new Status())));  // cannot be filled: nothing is taken
  attempt(() => world.sendrecv('hi', 0, 0, 0, 0, 5 as unknown as Status));  // bad receive half: 'hi' is not sent
  console.log('still queued:', recv(0, 0));
  console.log('arrived as', recv(0, 7));
  attempt(() => new Status().count(0));
}
