"""Collectives with mpi4py on every rank of COMM_WORLD (peer for simdeck's benchmarks).

usage: mpirun -np N /usr/bin/python3 collectives.py [-t trials] [-m target_ms] [-w warmup_ms]
                                                    [name ...]
Buffer forms (same names and sizes as collectives.c; buffers are numpy arrays when numpy is
importable, else array.array('d'): both go through the buffer protocol):
  barrier, bcast_8B, bcast_1MiB, allreduce_8B (one double, SUM), allreduce_1MiB (131072 doubles,
  SUM), allgather_8B (8 B per rank), allgather_1MiB (1 MiB in total)
Object (pickle) forms:
  bcast_obj_small   comm.bcast of {'step': 1, 'name': 'u', 'values': [1, 2, 3]} from rank 0
  bcast_obj_1MiB    comm.bcast of a 1 MiB bytes object from rank 0
  allreduce_obj_8B  comm.allreduce of one float, op=MPI.SUM
  allgather_obj_8B  comm.allgather of one float per rank
Method as in collectives.c: warm-up, calibrate K, `trials` trials of K calls each started by a
barrier; per-trial value = slowest rank's elapsed (time.perf_counter) / K; median over trials,
in microseconds per call. Rank 0 prints one JSON object on stdout.
"""
import array
import json
import math
import sys
import time

from mpi4py import MPI

try:
    import numpy as np
except ImportError:  # Debian's python3-numpy is optional here
    np = None

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
MIB = 1 << 20
SMALL = {'step': 1, 'name': 'u', 'values': [1, 2, 3]}


def doubles(n, fill=0.0):
    if np is not None:
        return np.full(n, fill, dtype=np.float64)
    return array.array('d', [fill]) * n


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def make_ops():
    """name -> (op, path, per-rank bytes, total bytes, callable doing one call)"""
    n_ag = MIB // 8 // size
    s1, r1 = doubles(1, rank + 1.0), doubles(1)
    sM, rM = doubles(MIB // 8, rank + 1.0), doubles(MIB // 8)
    sg, rg = doubles(n_ag, rank + 1.0), doubles(n_ag * size)
    rs = doubles(size)
    big = bytes(MIB)
    x = float(rank + 1)
    return {
        'barrier': ('barrier', 'buffer', 0, 0, comm.Barrier),
        'bcast_8B': ('bcast', 'buffer', 8, 8, lambda: comm.Bcast(s1, root=0)),
        'bcast_1MiB': ('bcast', 'buffer', MIB, MIB, lambda: comm.Bcast(sM, root=0)),
        'allreduce_8B': ('allreduce', 'buffer', 8, 8, lambda: comm.Allreduce(s1, r1, op=MPI.SUM)),
        'allreduce_1MiB': ('allreduce', 'buffer', MIB, MIB,
                           lambda: comm.Allreduce(sM, rM, op=MPI.SUM)),
        'allgather_8B': ('allgather', 'buffer', 8, 8 * size, lambda: comm.Allgather(s1, rs)),
        'allgather_1MiB': ('allgather', 'buffer', n_ag * 8, n_ag * 8 * size,
                           lambda: comm.Allgather(sg, rg)),
        'bcast_obj_small': ('bcast', 'object', 0, 0,
                            lambda: comm.bcast(SMALL if rank == 0 else None, root=0)),
        'bcast_obj_1MiB': ('bcast', 'object', MIB, MIB,
                           lambda: comm.bcast(big if rank == 0 else None, root=0)),
        'allreduce_obj_8B': ('allreduce', 'object', 8, 8, lambda: comm.allreduce(x, op=MPI.SUM)),
        'allgather_obj_8B': ('allgather', 'object', 8, 8 * size, lambda: comm.allgather(x)),
    }


def run(fn, k):
    t0 = time.perf_counter()
    for _ in range(k):
        fn()
    return comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)


def main(argv):
    trials, target, warmup, names = 15, 0.030, 0.010, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '-t':
            trials, i = int(argv[i + 1]), i + 1
        elif a == '-m':
            target, i = float(argv[i + 1]) / 1e3, i + 1
        elif a == '-w':
            warmup, i = float(argv[i + 1]) / 1e3, i + 1
        else:
            names.append(a)
        i += 1
    ops = make_ops()
    for nm in names:
        if nm not in ops:
            if rank == 0:
                sys.stderr.write(f'collectives.py: unknown name {nm}; known: {" ".join(ops)}\n')
            comm.Abort(2)
    if not names:
        names = list(ops)

    results = []
    for nm in names:
        op, path, nbytes, total, fn = ops[nm]
        if nm == 'bcast_obj_small':
            nbytes = total = len(MPI.pickle.dumps(SMALL))
        k, wstart = 1, time.perf_counter()
        while True:
            t = run(fn, k)
            el = comm.bcast(time.perf_counter() - wstart, root=0)
            if t >= target / 8 and el >= warmup:
                break
            if t < target / 8:
                k *= 2
        K = max(1, math.ceil(k * target / max(t, 1e-9)))
        per = []
        for _ in range(trials):
            comm.Barrier()
            per.append(run(fn, K) / K)
        if rank == 0:
            results.append({'name': nm, 'path': path, 'op': op, 'bytes': nbytes,
                            'total_bytes': total, 'iters': K, 'us': median(per) * 1e6,
                            'min_us': min(per) * 1e6, 'max_us': max(per) * 1e6,
                            'trial_us': [p * 1e6 for p in per]})
    if rank == 0:
        out = {'impl': 'mpi4py', 'mpi4py': __import__('mpi4py').__version__,
               'python': sys.version.split()[0],
               'library': MPI.Get_library_version().split('\n')[0].strip(),
               'buffer_kind': 'numpy' if np is not None else 'array',
               'nranks': size, 'trials': trials, 'target_ms': target * 1e3, 'results': results}
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


main(sys.argv[1:])
