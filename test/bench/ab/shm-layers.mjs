// The layers' own cost on the shared-memory transport (issue 15), without any waiting: two
// ranks' transports and communicators in ONE process over one segment (a message sent by one is
// in the other's ring at once), and a communicator whose collective area has one member (it
// stamps its round line and returns). So the count of instructions per call is steady on a busy
// machine, where wall-clock figures of two spinning ranks are not. Not part of `npm run bench`.
//   node test/bench/ab/shm-layers.mjs ROOT WHAT N     (ROOT: a built simdeck tree)
// WHAT: pingpong (c0.send, c1.recvInto, c1.send, c0.recvInto of 8 B), barrier, allreduce
// (allreduceInto of one float64), allreduceNum (allreduce(1.5)), bcast (bcastInto of one float64,
// root then reader), bcastObj (bcast(1.5)), areaBarrier, areaAllreduce (the area called directly).
// Prints ns per call (wall and CPU). Instructions per call, as measured for issue 15:
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded \
//     test/bench/ab/shm-layers.mjs ROOT WHAT 100000     (and 300000; difference / 200000)
//   node harness.mjs ROOT what N
const [root, what, nStr] = process.argv.slice(2);
const N = Number(nStr);
const d = (p) => import(`${root}/dist/src/${p}`);
const { createSegment, unlinkSegment, defaultRingBytes } = await d('transport/shm/segment.js');
const { ShmTransport } = await d('transport/shm/shmTransport.js');
const { Comm } = await d('comm/comm.js');
const { Op } = await d('comm/ops.js');
const name = `/simdeck-harness-${process.pid}`;
const seg = createSegment(name, { size: 2, ringBytes: defaultRingBytes(2), spin: true, cma: false });
unlinkSegment(name);
const t0 = new ShmTransport(seg, 0), t1 = new ShmTransport(seg, 1);
const c0 = new Comm(t0, 0, null, 'world'), c1 = new Comm(t1, 0, null, 'world');
const area = t0.collectives(8, Int32Array.of(0), 0);
c0.nativeState = area;
const buf = new Uint8Array(8);
const d8 = new Float64Array([1]), out8 = new Float64Array(1), r8 = new Float64Array(1);
const b8 = new Uint8Array(d8.buffer), o8 = new Uint8Array(out8.buffer);
let tag = 1 << 20;
const call = { tag: 0, sig: 0, mismatch: () => new Error('mismatch'), watch: () => {}, toString: () => 'floor' };
const ops = {
  pingpong: () => { c0.send(buf, 1, 1); c1.recvInto(buf, 0, 1); c1.send(buf, 0, 1); c0.recvInto(buf, 1, 1); },
  barrier: () => c0.barrier(),
  allreduce: () => c0.allreduceInto(d8, out8, Op.SUM),
  allreduceNum: () => c0.allreduce(1.5),
  areaBarrier: () => { call.tag = tag++; area.barrier(call); },
  areaAllreduce: () => { call.tag = tag++; area.allreduce(call, b8, o8, 9, 'SUM'); },
  bcast: () => { c0.bcastInto(d8, 0); c1.bcastInto(r8, 0); },
  bcastObj: () => { c0.bcast(1.5, 0); c1.bcast(null, 0); },
  empty: () => {},
};
const f = ops[what];
const t = process.cpuUsage();
const w0 = performance.now();
for (let i = 0; i < N; i++) f();
const w = performance.now() - w0;
const u = process.cpuUsage(t);
console.log(JSON.stringify({ what, N, ns_wall: (w * 1e6) / N, ns_cpu: ((u.user + u.system) * 1e3) / N }));
