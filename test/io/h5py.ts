// Reading HDF5 files the way a scientist would: with Debian's h5py (/usr/bin/python3), never
// with the library that wrote them. readH5 returns a file's attributes, groups and datasets
// (values flattened in file order) as JSON. Without h5py the io suites skip outside CI and fail
// in CI (CI=true), where .ci/run installs python3-h5py.
import { describeIfAvailable } from '../helpers/needs.js';
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';
const INSTALL = 'apt-get install python3-h5py';

function probe(): { ok: boolean; why: string } {
  const r = spawnSync(PYTHON, ['-c', 'import h5py, numpy; print(h5py.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, why: '' } : { ok: false, why: (r.error?.message ?? r.stderr).trim().split('\n').pop() ?? 'no python' };
}
const available = probe();

/** `describe` that needs h5py: skipped with a message outside CI, failing in CI. */
export function describeH5(name: string, body: () => void): void {
  describeIfAvailable(name, available, 'h5py', INSTALL, body);
}

export interface H5Dataset {
  shape: number[];
  maxshape: (number | null)[];
  dtype: string;
  chunks: number[] | null;
  compression: string | null;
  attrs: Record<string, unknown>;
  values: number[];
}

export interface H5Json {
  attrs: Record<string, unknown>;
  groups: Record<string, Record<string, unknown>>;
  datasets: Record<string, H5Dataset>;
  external?: Record<string, string>;
}

const SCRIPT = `
import sys, json, h5py, numpy as np
def conv(v):
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, np.ndarray): return [conv(x) for x in v.tolist()]
    if isinstance(v, np.generic): return v.item()
    if isinstance(v, list): return [conv(x) for x in v]
    return v
out = {}
for path in sys.argv[1:]:
    f = h5py.File(path, 'r')
    d = {'attrs': {k: conv(v) for k, v in f.attrs.items()}, 'groups': {}, 'datasets': {}}
    for k in f.keys():
        o = f[k]
        if isinstance(o, h5py.Group):
            d['groups'][k] = {a: conv(v) for a, v in o.attrs.items()}
        else:
            d['datasets'][k] = {'shape': list(o.shape), 'maxshape': list(o.maxshape), 'dtype': str(o.dtype), 'chunks': list(o.chunks) if o.chunks else None,
              'compression': o.compression, 'attrs': {a: conv(v) for a, v in o.attrs.items()}, 'values': o[()].ravel().tolist()}
    out[path] = d
print(json.dumps(out))
`;

/** Every file's content as h5py reads it. Throws with Python's message when h5py cannot read one. */
export function readH5(...paths: string[]): Record<string, H5Json> {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, ...paths], { encoding: 'utf8', maxBuffer: 512 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`h5py could not read ${paths.join(', ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, H5Json>;
}

/** One file's content as h5py reads it. */
export function readOneH5(path: string): H5Json {
  return readH5(path)[path];
}
