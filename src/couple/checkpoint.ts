/**
 * Coordinated checkpoint and restart of every component of a coupled model. At a common
 * coupling time, before that time's exchange, each component writes its own checkpoint with
 * its Output (simdeck/io); once all of them are on disk, rank 0 of the parent communicator
 * writes a small manifest naming them. A restart from the manifest restores each component
 * from its own file (any rank count per component, as io's restart allows), and the first
 * exchange after it is the one at the checkpoint's time, so nothing is in flight.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ArgumentError, describe } from '../errors.js';
import { commitFile, partialPath, ensureWritableDir } from '../io/atomicFile.js';
import { restartFile, type Restorable } from '../io/checkpoint.js';
import { dumpFileName, type LoopState } from '../io/dumpFile.js';
import { MissingFileError, FileFormatError } from '../io/errors.js';
import type { Output } from '../io/output.js';
import { CouplingTimeError } from './errors.js';
import type { CouplingLink } from './link.js';

/** What a coupled manifest holds. */
interface Manifest {
  kind: 'simdeck-coupled-checkpoint';
  time: number;
  components: Record<string, { file: string; step: number }>;
}

/** Relative slack when comparing the components' times. */
const TIME_TOL = 1e-9;

/** Coordinated checkpoints of all components of a coupling, and restart from them. */
export class CoupledCheckpoint {
  /**
   * `link` is this rank's connected coupling, `output` its component's Output (started on
   * `component.comm`, with the component's arrays registered), `dir` where the manifests go
   * (made by parent rank 0 if missing). Local; throws ArgumentError for bad arguments.
   */
  constructor(readonly link: CouplingLink, readonly output: Output, readonly dir: string) {
    if (typeof link !== 'object' || link === null || typeof (link as CouplingLink).exchange !== 'function') throw new ArgumentError(`CoupledCheckpoint(link, output, dir): link must come from coupling.connect(...), got ${describe(link)}`);
    if (typeof output !== 'object' || output === null || typeof (output as Output).checkpoint !== 'function') throw new ArgumentError(`CoupledCheckpoint: output must be an Output from startOutput(component.comm, ...), got ${describe(output)}`);
    if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`CoupledCheckpoint: dir must be a directory path for the manifests, got ${describe(dir)}`);
  }

  /**
   * Writes a coordinated checkpoint: every component's checkpoint through its Output (of the
   * loop's state, at the same simulation time on every component, before that time's
   * exchange), then the manifest `dir/coupled_STEP.json` (STEP: the step of the first
   * component) naming every component's file. Returns the manifest's path. Collective over
   * the parent communicator (every rank of every component), blocking. Throws
   * CouplingTimeError (on every rank, before writing) when the components are at different
   * times, and the io errors of a failed write.
   */
  write(loop: Pick<Restorable, 'state'> | LoopState): string {
    const state = (typeof loop === 'object' && loop !== null && 'state' in loop ? loop.state : loop) as LoopState;
    if (typeof state !== 'object' || state === null || !Number.isFinite(state.time) || !Number.isInteger(state.step)) {
      throw new ArgumentError(`CoupledCheckpoint.write(loop): loop must be a Simulation or a state { step, time }, got ${describe(loop)}`);
    }
    const comp = this.link.component, parent = comp.parent;
    const times = parent.allgather([comp.name, state.time, state.step]) as [string, number, number][];
    const t0 = times[0][1];
    const off = times.find((x) => Math.abs(x[1] - t0) > TIME_TOL * Math.max(1, Math.abs(t0)));
    if (off !== undefined) {
      throw new CouplingTimeError(`CoupledCheckpoint.write: ${times[0][0]} is at time ${t0} but ${off[0]} at ${off[1]}; ` +
        'checkpoint every component at the same coupling time (e.g. when link.isCouplingTime(time) and time is a multiple of the checkpoint interval)');
    }
    this.output.checkpoint(state);
    this.output.flush();
    const file = resolve(this.output.dir, dumpFileName('checkpoint', state.step));
    const all = parent.gather(comp.comm.rank === 0 ? [comp.name, file, state.step] : null, 0) as ([string, string, number] | null)[] | null;
    const path = resolve(this.dir, `coupled_${String(times[0][2]).padStart(6, '0')}.json`);
    if (parent.rank === 0) {
      ensureWritableDir(this.dir, 'CoupledCheckpoint');
      const m: Manifest = { kind: 'simdeck-coupled-checkpoint', time: t0, components: {} };
      for (const e of all!) if (e !== null) m.components[e[0]] = { file: relative(dirname(path), e[1]), step: e[2] };
      const partial = partialPath(path);
      writeFileSync(partial, JSON.stringify(m, null, 1) + '\n');
      commitFile(partial, path);
    }
    parent.barrier();
    return path;
  }

  /**
   * Restarts every component from the coordinated checkpoint `manifest` (default: the file
   * given to `--restart`, SIMDECK_RESTART): each component fills its registered arrays from
   * its own file and hands the saved state to `loop.restore`. Resolves to the state, or null
   * when there is nothing to restart from. Collective over the parent communicator; async.
   * Throws MissingFileError, FileFormatError (not a coupled manifest, or a component missing
   * from it) and io's restart errors.
   */
  async restart(loop?: Pick<Restorable, 'restore'>, manifest: string | null = restartFile()): Promise<LoopState | null> {
    if (manifest === null) return null;
    if (typeof manifest !== 'string' || manifest === '') throw new ArgumentError(`CoupledCheckpoint.restart: manifest must be the path of a coupled_*.json file, got ${describe(manifest)}`);
    const abs = resolve(manifest);
    let m: Manifest;
    try {
      m = JSON.parse(readFileSync(abs, 'utf8')) as Manifest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingFileError(`CoupledCheckpoint.restart: there is no manifest ${abs}; restart from a coupled_*.json file in the checkpoint directory`, abs);
      throw new FileFormatError(`CoupledCheckpoint.restart: ${abs} is not a coupled checkpoint manifest (${(e as Error).message}); restart from a coupled_*.json file`, abs);
    }
    const name = this.link.component.name;
    const entry = m?.kind === 'simdeck-coupled-checkpoint' ? m.components?.[name] : undefined;
    if (entry === undefined) {
      throw new FileFormatError(`CoupledCheckpoint.restart: ${abs} ${m?.kind === 'simdeck-coupled-checkpoint' ? `holds no checkpoint of ${name} (it holds ${Object.keys(m.components).join(', ')})` : 'is not a coupled checkpoint manifest'}; restart from a coupled_*.json written by CoupledCheckpoint.write`, abs);
    }
    const state = await this.output.restart(join(dirname(abs), entry.file), loop);
    this.link.component.parent.barrier();
    return state;
  }
}
