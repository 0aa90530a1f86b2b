/**
 * `simdeck archive --resume DIR`: completes the archive of output directory DIR after a crash,
 * with the settings the run saved there: files the archive holds but the manifest lacks are
 * recorded; finished files the manifest lacks are archived. Partial files of dead processes
 * are swept from both directories first.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArgumentError, describe } from '../errors.js';
import { Archiver, loadArchiveSettings } from './archive.js';
import { sweepPartials } from './atomicFile.js';
import { readKindAndStep } from './dumpFile.js';
import { MissingFileError } from './errors.js';
import { loadHdf5 } from './hdf5.js';
import type { ManifestEntry } from './manifest.js';

/**
 * Completes the archive of output directory `dir`; resolves to the manifest entries added.
 * Async (loads HDF5). Throws MissingFileError when `dir` is not an output directory that
 * archived, and the typed IoError of a copy or command that fails.
 */
export async function resumeArchive(dir: string): Promise<{ added: ManifestEntry[]; swept: string[]; manifest: string }> {
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`resumeArchive: dir must be the run's output directory, got ${describe(dir)}`);
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new MissingFileError(`archive --resume: there is no directory ${abs}; give the run's output directory (startOutput's dir)`, abs);
  const settings = loadArchiveSettings(abs);
  const swept = sweepPartials(abs);
  if (settings.dir !== null) swept.push(...sweepPartials(settings.dir));
  await loadHdf5();
  const archiver = new Archiver(abs, settings);
  const added = archiver.resume(readKindAndStep);
  return { added, swept, manifest: archiver.manifestPath };
}

/** The `simdeck archive` command: `--resume DIR`. Prints what it did; resolves to the exit status. */
export async function archiveCommand(args: string[]): Promise<number> {
  if (args.length !== 2 || args[0] !== '--resume') {
    process.stderr.write('usage: simdeck archive --resume DIR   (DIR: the output directory of a run that archived)\n');
    return 2;
  }
  const r = await resumeArchive(args[1]);
  for (const e of r.added) process.stdout.write(`archived ${e.file} (step ${e.step}, ${e.bytes} bytes)\n`);
  process.stdout.write(`archive of ${args[1]} complete: ${r.added.length} file${r.added.length === 1 ? '' : 's'} added to the manifest${r.swept.length > 0 ? `, ${r.swept.length} partial file${r.swept.length === 1 ? '' : 's'} removed` : ''}\n`);
  return 0;
}
