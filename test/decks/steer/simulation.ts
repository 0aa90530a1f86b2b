// The real simulation loop (simdeck/steer's Simulation) for the steering server's end-to-end tests:
// steerable parameters of every kind, a checkpoint hook, a live plot and a metrics panel; every
// rank prints each change it applied and each checkpoint with the step, so tests can compare ranks.
//   args: [steps] [ms per step]
import { Op, world } from 'simdeck';
import { Simulation, publishMetrics, publishPlot } from 'simdeck/steer';
import { deflateSync, crc32 } from 'node:zlib';

const steps = Number(process.argv[2] ?? 1_000_000);
const msPerStep = Number(process.argv[3] ?? 20);
const sim = new Simulation(world, {
  params: {
    alpha: { value: 0.1, min: 0, max: 0.25, unit: 'm2/s', description: 'diffusivity' },
    iterations: { value: 3, type: 'integer', min: 1, max: 100 },
    source: { value: true },
    scheme: { value: 'upwind', choices: ['upwind', 'central'] },
  },
  stop: { steps },
  report: false,
});
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let x = 0;
sim.timestep(() => 0.01);
sim.onChange((c) => console.log(`APPLIED ${c.step} ${c.name}=${c.value}`));
sim.onCheckpoint((s) => console.log(`CHECKPOINT ${s.step}`));

/** A small PNG of a field that depends on the step and alpha (a stand-in for a rendered plot). */
function picture(step: number, alpha: number, size = 96): Uint8Array {
  const row = 1 + size * 3;
  const raw = Buffer.alloc(row * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const v = 0.5 + 0.5 * Math.sin(i / 9 + step / 15) * Math.cos(j / 11 - alpha * step / 5);
      raw[j * row + 1 + i * 3] = Math.round(68 + v * 185);
      raw[j * row + 2 + i * 3] = Math.round(1 + v * 230);
      raw[j * row + 3 + i * 3] = Math.round(84 + v * 50 - v * v * 100);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 2;
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

sim.every({ steps: 10 }, (s) => {
  const total = world.allreduce(x, Op.SUM);
  if (world.rank === 0) {
    publishPlot({ name: 'T', step: s.step, time: s.time, png: picture(s.step, s.params.alpha) });
    publishMetrics({ panel: 'field', values: { 'sum of x': Number(total.toPrecision(6)), ranks: world.size } });
  }
});
sim.run((s) => {
  for (let i = 0; i < s.params.iterations; i++) x += s.params.alpha * Math.sin(s.step + i + world.rank) * (s.params.source ? 1 : 0.5);
  if (msPerStep > 0) Atomics.wait(sleeper, 0, 0, msPerStep);
});
console.log(`DONE ${sim.step} ${sim.stopReason}`);
