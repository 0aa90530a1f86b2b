// What the conformance suites check on every transport (test/runtime for shared memory, test/mpi
// for MPI): the "OK <check>" lines each conformance deck prints on rank 0, and the
// collective-mismatch cases.

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

/** Lines printed by test/decks/collectives.ts on `n` ranks (its split has fewer). */
export function collectiveChecks(n: number): string[] {
  return [
    `world: every collective on ${n} ranks matches the serial result`,
    'split: every collective on',
    `dup: every collective on ${n} ranks matches the serial result`,
    'a root that stays out of simdeck after its bcasts holds none of them back',
  ];
}

/** Lines printed by test/decks/communicators.ts. */
export const COMMUNICATOR_CHECKS = [
  'dup, split, slice and subset make isolated communicators with the right members',
  'groups: incl, excl, union, intersection, difference, translateRanks, compare, free',
  'intercommunicator send/recv across groups and merge',
  'Cartesian topologies in 1-D, 2-D and 3-D, periodic or not, with PROC_NULL edges',
];

/**
 * Collective-mismatch cases both suites run (shared memory and MPI): a deck body (with `world`
 * and `Op` imported), its rank count, and what the job's stderr must match besides the
 * CollectiveMismatchError on world.
 */
export const MISMATCH_CASES: { name: string; body: string; ranks: number; expect: RegExp[] }[] = [
  {
    name: 'names the ranks and calls when ranks enter different collectives',
    body: 'if (world.rank === 0) world.bcast(1, 0); else world.reduce(1, Op.SUM, 0);',
    ranks: 3,
    expect: [/rank \d called (bcast|reduce)\(root=0\) but rank \d called (bcast|reduce)\(root=0\)/, /bcast\(root=0\)/, /reduce\(root=0\)/],
  },
  {
    name: 'catches a disagreement that nothing waits on (found when the deck ends)',
    body: 'if (world.rank === 0) world.bcast(1, 0); else world.reduce(1, Op.SUM, 0);',
    ranks: 2,
    expect: [/rank 1 called reduce\(root=0\) but rank 0 called bcast\(root=0\)|rank 0 called bcast\(root=0\) but rank 1 called reduce\(root=0\)/],
  },
  {
    name: 'catches ranks that disagree on the root',
    body: "world.bcast('x', world.rank === 1 ? 1 : 0); world.barrier();",
    ranks: 4,
    expect: [/called bcast\(root=1\) but rank \d called bcast\(root=0\)|called bcast\(root=0\) but rank \d called bcast\(root=1\)/],
  },
  {
    name: 'catches typed-array lengths that differ where they must agree',
    body: 'world.allreduce(new Float64Array(world.rank === 2 ? 4 : 3));',
    ranks: 3,
    expect: [/allreduce\(3 elements.*\) but rank \d called allreduce\(4 elements|allreduce\(4 elements.*\) but rank \d called allreduce\(3 elements/],
  },
  {
    name: 'catches a rank that skipped a collective',
    body: 'if (world.rank !== 1) world.barrier(); world.allreduce(world.rank);',
    ranks: 3,
    expect: [/barrier|allreduce/],
  },
  {
    name: 'catches a rank that skipped a collective and finished its deck while the others wait',
    body: 'if (world.rank !== 1) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); world.barrier(); }',
    ranks: 3,
    expect: [/waits in barrier\(\) on world \[collective #0\] but rank 1 has finished its deck/],
  },
];
