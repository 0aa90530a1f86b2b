# h5py's side of test/bench/io-hdf5-steps.mjs: the same N x N float64 field written as one
# contiguous dataset under a partial name, then fsync, rename, fsync of the directory; steps
# timed one by one, medians over ROUNDS files (ms), as JSON.
#   /usr/bin/python3 io_hdf5_steps.py N DIR [ROUNDS]
import json, os, sys, time
import numpy as np, h5py

n = int(sys.argv[1]); d = sys.argv[2]; rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
a = np.arange(n * n, dtype=np.float64).reshape(n, n)
steps = {k: [] for k in ('open', 'create', 'close', 'sync', 'total')}
for r in range(rounds):
    final = os.path.join(d, 'py%d.h5' % r); part = os.path.join(d, '.py%d.h5.partial' % r)
    t0 = time.perf_counter()
    f = h5py.File(part, 'w')
    t1 = time.perf_counter()
    f.create_dataset('u', data=a)
    t2 = time.perf_counter()
    f.close()
    t3 = time.perf_counter()
    fd = os.open(part, os.O_RDWR); os.fsync(fd); os.close(fd); os.rename(part, final)
    dfd = os.open(d, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
    t4 = time.perf_counter()
    for k, v in zip(('open', 'create', 'close', 'sync', 'total'), (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
        steps[k].append(v * 1e3)
    os.remove(final)
out = {k: sorted(v)[len(v) // 2] for k, v in steps.items()}
out['mb'] = a.nbytes / 1e6
print(json.dumps(out))
