# Reading simdeck's HDF5 output with h5py: a dump, its attributes, its coordinates, the time
# series, and the archive's manifest.   /usr/bin/python3 docs/examples/read-dumps.py /tmp/heat-out
import json, os, sys
import h5py, numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else 'heat-out'
with h5py.File(os.path.join(out, 'heat_000200.h5'), 'r') as f:
    u = f['u'][()]                              # a numpy array of the whole field, u[i, j]
    a = f['u'].attrs
    x = a['origin'][0] + a['spacing'][0] * np.arange(u.shape[0])   # coordinates of i
    print(f"step {f.attrs['step']}, time {f.attrs['time']}, parameters {json.loads(f.attrs['parameters'])}")
    print(f"u: shape {u.shape}, {a['units']}, spacing {a['spacing'][0]} {a['length_unit']}, max {u.max():.6f} at x = {x[u.argmax() // u.shape[1]]:.4f}")
with h5py.File(os.path.join(out, 'heat-diagnostics.h5'), 'r') as s:
    print(f"series: {len(s['step'])} rows, total heat {s['total'][0]:.3f} -> {s['total'][-1]:.3f}")
