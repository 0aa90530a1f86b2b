/** `simdeck info`: which transports are usable on this machine, and why not. */
import { availableParallelism } from 'node:os';
import { createSegment, newSegmentName, unlinkSegment } from '../transport/shm/segment.js';
import { probeAll } from '../transport/mpi/library.js';
import { shortVersion } from '../transport/mpi/mpiTransport.js';
import { findLauncher } from './mpiLauncher.js';

/** How a user starts N ranks of a deck under this MPI's own launcher `cmd`, as this user on this machine. */
function bareForm(mpi: string, cmd: string): string {
  if (mpi !== 'openmpi') return `${cmd} -n N npx simdeck deck.ts`;
  const root = process.getuid?.() === 0 ? ' --allow-run-as-root' : '';
  return `${cmd}${root} -np N npx simdeck deck.ts; add --oversubscribe for more than ${availableParallelism()} ranks`;
}

/** Prints the usable transports; returns the exit status (0). */
export function printInfo(): number {
  const lines: string[] = [`cores: ${availableParallelism()}  node: ${process.version}`];
  try {
    const name = newSegmentName();
    createSegment(name, { size: 1, ringBytes: 4096, spin: false, cma: false });
    unlinkSegment(name);
    lines.push('shm: usable (POSIX shared memory in /dev/shm) — the default transport');
  } catch (e) {
    lines.push(`shm: NOT usable: ${(e as Error).message}`);
  }
  const probes = probeAll();
  const usable = probes.filter((p) => p.ok).length;
  for (const p of probes) {
    const label = `mpi (${p.abi.id}, ${p.abi.title} ABI)`;
    if (!p.ok) {
      lines.push(`${label}: NOT usable: ${p.why}`);
      continue;
    }
    const launcher = findLauncher(p.abi.id);
    lines.push(`${label}: usable — ${p.path}: ${shortVersion({ abi: p.abi, version: p.version! })}`);
    lines.push(`    version: ${p.version!.split('\n')[0].trim()}`);
    lines.push(launcher.cmd !== null
      ? `    launcher: ${launcher.cmd} (npx simdeck run --mpi ${p.abi.id} -n N deck.ts, or ${bareForm(p.abi.id, launcher.cmd)})`
      : `    launcher: none found (${launcher.why}); decks still run under a site launcher such as srun`);
    lines.push(`    under Slurm: srun --mpi=${p.abi.id === 'openmpi' ? 'pmix' : 'pmi2'} -n N npx simdeck deck.ts` +
      (usable > 1 ? ` with SIMDECK_MPI=${p.abi.id}` : ''));
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
