// The steps of one HDF5 write of an N×N float64 field, timed one by one in a fresh process, for
// the io benchmark (io.bench.mjs runs it next to h5py's io-hdf5-steps.py and prints both):
//   cold   the first file in a fresh process, as simdeck wrote it before prepare()/reserveHeap:
//          h5wasm's heap must grow for the field and every fresh page faults in;
//   heap   grow h5wasm's heap once, huge pages advised, and fault it in (reserveHeap; 2 fields);
//   copy   the field copied into h5wasm's heap (h5wasm does this inside create_dataset);
//   create create_dataset: that copy, then HDF5 writes the dataset (one pwrite into the page cache);
//   close  HDF5 writes its metadata and closes;
//   sync   fsync, rename, fsync of the directory (simdeck's commitFile);
//   whole  simdeck's own writeContent (all of the above, attributes included), warm;
//   raw    Node writing the same bytes with one writeSync + fsync: the floor for any HDF5 writer.
// Prints one JSON object of medians (ms) over ROUNDS files.
//   node test/bench/io-hdf5-steps.mjs N DIR [ROUNDS]
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const { loadHdf5, hdf5, reserveHeap } = await import(join(root, 'dist', 'src', 'io', 'hdf5.js'));
const { writeContent } = await import(join(root, 'dist', 'src', 'io', 'dumpFile.js'));
const { commitFile } = await import(join(root, 'dist', 'src', 'io', 'atomicFile.js'));

const n = Number(process.argv[2] ?? 2048), dir = process.argv[3], rounds = Number(process.argv[4] ?? 5);
const a = new Float64Array(n * n);
for (let i = 0; i < a.length; i++) a[i] = i;
await loadHdf5();
const h5 = hdf5();
const module = await h5.ready;
const now = () => performance.now();

/** One file written with h5wasm step by step; returns the steps' ms. */
function stepwise(name) {
  const final = join(dir, `${name}.h5`), partial = join(dir, `.${name}.h5.partial`);
  const t0 = now();
  const f = new h5.File(partial, 'w');
  const t1 = now();
  f.create_dataset({ name: 'u', data: a, shape: [n, n] });
  const t2 = now();
  f.close();
  const t3 = now();
  commitFile(partial, final);
  const t4 = now();
  rmSync(final);
  return { open: t1 - t0, create: t2 - t1, close: t3 - t2, sync: t4 - t3, total: t4 - t0 };
}

const out = {};
out.cold = stepwise('cold').total;
let t = now();
reserveHeap(2 * a.byteLength + (8 << 20));
out.heap = now() - t;
const steps = [], copies = [], wholes = [], raws = [];
for (let r = 0; r < rounds; r++) {
  steps.push(stepwise(`s${r}`));
  const p = module._malloc(a.byteLength);
  t = now();
  module.HEAPU8.set(new Uint8Array(a.buffer), p);
  copies.push(now() - t);
  module._free(p);
  const header = { name: 'u', type: 'Float64Array', shape: [n, n], layout: 'C', dof: 1, start: [0, 0], size: [n, n] };
  const path = join(dir, `w${r}.h5`);
  wholes.push(writeContent(path, { kind: 'dump', name: 'w', step: r, info: {}, fields: [{ header, data: a }] }, {}).ms);
  rmSync(path);
  const raw = join(dir, `raw${r}`);
  t = now();
  const fd = openSync(raw, 'w');
  for (let at = 0; at < a.byteLength;) at += writeSync(fd, new Uint8Array(a.buffer, at));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(raw, raw + '.done');
  raws.push(now() - t);
  rmSync(raw + '.done');
}
for (const k of ['open', 'create', 'close', 'sync', 'total']) out[k] = median(steps.map((s) => s[k]));
out.copy = median(copies);
out.whole = median(wholes);
out.raw = median(raws);
out.mb = a.byteLength / 1e6;
console.log(JSON.stringify(out));
