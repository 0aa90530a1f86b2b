// A gas turbine in miniature: compressor → combustor → exhaust, plus an interface control.
// Each of the three flow components is a 2-D duct (radius × length) on its own ranks and its
// own grid, split along the radius; air flows along the duct (upwind advection) and mixes
// radially (diffusion). What leaves one duct's outlet enters the next one's inlet: a radial
// profile on the sender's radial points, mapped onto the receiver's. The control component
// reads the exhaust's outlet profile and sets the combustor's fuel profile to hold the exhaust
// temperature at a target (a steerable parameter).
//
// Shared by the one-deck run (coupled.ts) and the MPMD decks (compressor.ts, combustor.ts,
// exhaust.ts, control.ts). Arguments: steps=N (of the compressor; the others step to the same
// end time), dir=D (checkpoints), checkpoint=T (a coordinated checkpoint every T seconds),
// replay=LOG (steering commands for the control's loop, as a command log), and
// `simdeck run --restart D/coupled_NNNNNN.json` restarts from one.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Grid, type DistributedArray } from 'simdeck/decomposition';
import { Simulation } from 'simdeck/steer';
import { startOutput } from 'simdeck/io';
import { Coupling, CoupledCheckpoint, type Component } from 'simdeck/couple';

/** Radial points of each component's inlet and outlet (cell centres on 0..1). */
const radial = (n: number) => ({ origin: [0.5 / n], spacing: [1 / n], shape: [n] });

/** The ducts: radial × axial points, time step, and what heats or cools the air (K/s). */
const DUCTS = {
  compressor: { nr: 16, nx: 24, dt: 1e-3 },
  combustor: { nr: 24, nx: 32, dt: 5e-4 },
  exhaust: { nr: 12, nx: 16, dt: 1e-3 },
} as const;
const CONTROL = { dt: 2e-3, sensors: 6, injectors: 4 };

/** The coupling, declared once for every deck. */
export const coupling = new Coupling({
  components: {
    compressor: { dt: DUCTS.compressor.dt, sends: { outflow: { grid: radial(16), units: 'K' } } },
    combustor: {
      dt: DUCTS.combustor.dt,
      sends: { outflow: { grid: radial(24), units: 'K' } },
      receives: { inflow: { grid: radial(24), units: 'K' }, fuel: { grid: radial(24), units: 'K/s' } },
    },
    exhaust: { dt: DUCTS.exhaust.dt, sends: { outflow: { grid: radial(12), units: 'K' } }, receives: { inflow: { grid: radial(12), units: 'K' } } },
    control: { dt: CONTROL.dt, sends: { fuel: { grid: radial(CONTROL.injectors), units: 'K/s' } }, receives: { exhaust: { grid: radial(CONTROL.sensors), units: 'K' } } },
  },
  interfaces: [
    { from: 'compressor.outflow', to: 'combustor.inflow', map: 'linear', order: 'serial' },
    { from: 'combustor.outflow', to: 'exhaust.inflow', map: 'conservative', order: 'serial' },
    { from: 'exhaust.outflow', to: 'control.exhaust', map: 'conservative' },
    { from: 'control.fuel', to: 'combustor.fuel', map: 'linear' },
  ],
});

const arg = (name: string, fallback: string) => process.argv.slice(2).find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? fallback;

/** The whole field's hash on the component's rank 0 (the same on any rank count), '' elsewhere. */
function fingerprint(u: DistributedArray): string {
  const all = u.gather(0);
  return all === null ? '' : createHash('sha256').update(Buffer.from(all.buffer)).digest('hex').slice(0, 12);
}

/** Runs this rank's component to the end time; collective over every component. */
export async function runComponent(comp: Component): Promise<void> {
  const endTime = Number(arg('steps', '40')) * DUCTS.compressor.dt;
  const dir = arg('dir', '');
  const every = Number(arg('checkpoint', '0'));
  const say = (text: string) => { if (comp.comm.rank === 0) console.log(`${comp.name}: ${text}`); };

  let fields: Record<string, DistributedArray>;
  let step: () => void;
  let state: DistributedArray;
  let summary: () => string;
  let dt: number;
  const params = comp.is('control') ? { target: { value: 650, unit: 'K', min: 300, max: 1200 } } : {};
  let sim!: Simulation;

  if (comp.is('control')) {
    dt = CONTROL.dt;
    const sensors = new Grid(comp.comm, { shape: [CONTROL.sensors] }).zeros(Float64Array);
    const fuel = new Grid(comp.comm, { shape: [CONTROL.injectors] }).zeros(Float64Array);
    fields = { exhaust: sensors, fuel };
    state = sensors;
    let mean = 0;
    step = () => {
      // proportional control of the exhaust's mean outlet temperature; more fuel near the axis
      mean = sensors.sum() / CONTROL.sensors;
      const demand = Math.max(0, 4000 + 40 * ((sim.params.target as number) - mean));
      fuel.fill((i) => demand * (1.2 - 0.4 * (i + 0.5) / CONTROL.injectors));
    };
    summary = () => `exhaust mean ${mean.toFixed(2)} K, target ${sim.params.target} K`;
  } else {
    const d = DUCTS[comp.name as keyof typeof DUCTS];
    dt = d.dt;
    const grid = new Grid(comp.comm, { shape: [d.nr, d.nx], ghosts: [1, 0], procs: [comp.comm.size, 1] });
    // inlet and outlet profiles: split along the radius like the duct, so filling them needs no messages
    const profile = new Grid(comp.comm, { shape: [d.nr], ownership: [grid.offsets[0].slice(1).map((o, k) => o - grid.offsets[0][k])] });
    const T = grid.full(Float64Array, 300), Tn = grid.zeros(Float64Array);
    const inflow = profile.full(Float64Array, 300), outflow = profile.full(Float64Array, 300), fuel = profile.zeros(Float64Array);
    fields = comp.is('compressor') ? { outflow } : comp.is('combustor') ? { inflow, outflow, fuel } : { inflow, outflow };
    state = T;
    const rows = grid.size[0], nx = d.nx, s0 = grid.strides[0];
    const c = 0.4, kappa = 0.15;                                  // Courant and radial diffusion numbers
    step = () => {
      T.exchange();
      const u = T.data, v = Tn.data;
      if (grid.start[0] === 0) u.copyWithin(0, s0, 2 * s0);                                   // no flux through the axis
      if (grid.start[0] + rows === d.nr) u.copyWithin((rows + 1) * s0, rows * s0, (rows + 1) * s0); // nor the wall
      for (let i = 0; i < rows; i++) {
        const at = (i + 1) * s0, r = (grid.start[0] + i + 0.5) / d.nr;
        for (let j = 0; j < nx; j++) {
          const here = u[at + j], up = j === 0 ? inflow.data[i] : u[at + j - 1];
          let q = 0;
          if (comp.is('compressor')) q = 8000 * (1 - 0.3 * r);                                 // compression heating
          else if (comp.is('combustor') && j >= nx / 4 && j < nx / 2) q = fuel.data[i];        // burning
          else if (comp.is('exhaust')) q = -4 * (here - 300);                                  // heat loss
          v[at + j] = here - c * (here - up) + kappa * (u[at + s0 + j] - 2 * here + u[at - s0 + j]) + dt * q;
        }
        outflow.data[i] = v[at + nx - 1];
      }
      [T.data, Tn.data] = [Tn.data, T.data];
    };
    summary = () => `outlet mean ${(outflow.sum() / d.nr).toFixed(2)} K, max ${T.max().toFixed(2)} K`;
  }

  const link = coupling.connect(comp, fields);
  // a command log replayed by the control's loop (`replay=LOG`): steering changes at chosen steps
  const replay = comp.is('control') && arg('replay', '') !== '' ? { replay: arg('replay', '') } : {};
  sim = new Simulation(comp.comm, { dt, params, stop: { steps: Math.round(endTime / dt) }, report: false, ...replay });
  let checkpoints: CoupledCheckpoint | null = null;
  let resumed = -1;
  if (dir !== '') {
    const out = await startOutput(comp.comm, { dir: join(dir, comp.name), report: false });
    out.register({ state, ...fields });
    checkpoints = new CoupledCheckpoint(link, out, dir);
    const restored = await checkpoints.restart(sim);
    if (restored !== null) { resumed = restored.step; say(`restarted at t=${restored.time.toFixed(3)} s (step ${restored.step})`); }
  }
  const printEvery = Math.round(0.05 / dt);
  sim.run((s) => {
    if (checkpoints !== null && every > 0 && s.step > resumed && s.step > 0 && Math.abs(s.time / every - Math.round(s.time / every)) < 1e-6) {
      const path = checkpoints.write(s);
      if (comp.parent.rank === 0) console.log(`checkpoint at t=${s.time.toFixed(3)} s: ${path.slice(path.lastIndexOf('/') + 1)}`);
    }
    link.exchange(s.time, step);
    if ((s.step + 1) % printEvery === 0) say(`t=${((s.step + 1) * dt).toFixed(3)} s ${summary()}`);
  });
  const fp = fingerprint(state);
  say(`${sim.state.step} steps, fingerprint ${fp}`);
  link.free();
  comp.parent.barrier();
}
