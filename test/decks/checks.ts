// The "OK <check>" lines each conformance deck prints on rank 0, shared by the suites that run
// the decks on every transport (test/runtime for shared memory, test/mpi for MPI).

/** Lines printed by test/decks/p2p.ts. */
export const P2P_CHECKS = [
  'typed arrays of every element type round-trip bit for bit',
  'subarray views keep their window',
  'objects with nested typed arrays, Map, Date, BigInt',
  'zero-byte messages',
  'messages between a pair are not overtaken',
  'ANY_SOURCE receives are fair',
  "a sent message never waits for its sender's next call",
  'isend/irecv with waitAll, waitAny and test',
  'probe and iprobe',
  'recvInto, truncation and type mismatch',
  'PROC_NULL and messages to self',
  'bad input raises typed errors',
  'process.argv holds the deck arguments',
];

/** Lines printed by test/decks/communicators.ts. */
export const COMMUNICATOR_CHECKS = [
  'dup, split, slice and subset make isolated communicators with the right members',
  'groups: incl, excl, union, intersection, difference, translateRanks, compare, free',
  'intercommunicator send/recv across groups and merge',
  'Cartesian topologies in 1-D, 2-D and 3-D, periodic or not, with PROC_NULL edges',
];
