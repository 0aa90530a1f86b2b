"""Ping-pong between ranks 0 and 1 with mpi4py (peer for simdeck's benchmarks).

usage: mpirun -np 2 /usr/bin/python3 pingpong.py [-t trials] [-m target_ms] [-w warmup_ms]
                                                 [--no-buffer] [--no-object] [size ...]
  size: bytes with optional K/M/G suffix (binary), default 8 1K 64K 1M 4M 64M

Paths measured:
  buffer  comm.Send/comm.Recv on a preallocated buffer of each size (numpy uint8 array when
          numpy is importable, else bytearray: both go through the buffer protocol, no pickling)
  object  comm.send/comm.recv (pickle) of the small object {'step': 1, 'name': 'u',
          'values': [1, 2, 3]} ("small"), and of a bytes object of each size
Method as in pingpong.c: warm-up, calibrate K so a trial takes ~target_ms, `trials` trials of K
round trips; value per trial = elapsed / K / 2 (time.perf_counter); median over trials.
GB/s = bytes / half round trip / 1e9. Rank 0 prints one JSON object on stdout.
"""
import json
import math
import pickle
import sys
import time

from mpi4py import MPI

try:
    import numpy as np
except ImportError:  # Debian's python3-numpy is optional here
    np = None

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
SMALL = {'step': 1, 'name': 'u', 'values': [1, 2, 3]}


def parse_size(s):
    mult = {'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}.get(s[-1].lower(), 1)
    return int(float(s[:-1] if mult > 1 else s) * mult)


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def run_buffer(sbuf, rbuf, k):
    send, recv = comm.Send, comm.Recv
    t0 = time.perf_counter()
    if rank == 0:
        for _ in range(k):
            send(sbuf, dest=1, tag=1)
            recv(rbuf, source=1, tag=1)
    elif rank == 1:
        for _ in range(k):
            recv(rbuf, source=0, tag=1)
            send(sbuf, dest=0, tag=1)
    return time.perf_counter() - t0


def run_object(obj, k):
    send, recv = comm.send, comm.recv
    t0 = time.perf_counter()
    if rank == 0:
        for _ in range(k):
            send(obj, dest=1, tag=1)
            recv(source=1, tag=1)
    elif rank == 1:
        for _ in range(k):
            o = recv(source=0, tag=1)
            send(o, dest=0, tag=1)
    return time.perf_counter() - t0


def measure(fn, target, warmup, trials):
    """fn(k) -> rank 0's seconds for k round trips; returns (K, per-trial half round trips)."""
    k, wstart = 1, time.perf_counter()
    while True:
        t = comm.bcast(fn(k), root=0)
        el = comm.bcast(time.perf_counter() - wstart, root=0)
        if t >= target / 8 and el >= warmup:
            break
        if t < target / 8:
            k *= 2
    K = max(1, math.ceil(k * target / max(t, 1e-9)))
    per = []
    for _ in range(trials):
        comm.Barrier()
        per.append(fn(K) / K / 2)
    return K, per


def entry(path, nbytes, K, per, **extra):
    med = median(per)
    d = {'path': path, 'bytes': nbytes, **extra, 'iters': K, 'half_rtt_us': med * 1e6,
         'gbps': nbytes / med / 1e9, 'min_us': min(per) * 1e6, 'max_us': max(per) * 1e6,
         'trial_us': [x * 1e6 for x in per]}
    return d


def main(argv):
    trials, target, warmup = 15, 0.030, 0.010
    buffer_path, object_path, sizes = True, True, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '-t':
            trials, i = int(argv[i + 1]), i + 1
        elif a == '-m':
            target, i = float(argv[i + 1]) / 1e3, i + 1
        elif a == '-w':
            warmup, i = float(argv[i + 1]) / 1e3, i + 1
        elif a == '--no-buffer':
            buffer_path = False
        elif a == '--no-object':
            object_path = False
        else:
            sizes.append(parse_size(a))
        i += 1
    if size < 2:
        sys.stderr.write('pingpong.py: needs >= 2 ranks\n')
        comm.Abort(2)
    if not sizes:
        sizes = [8, 1 << 10, 64 << 10, 1 << 20, 4 << 20, 64 << 20]

    results = []
    if buffer_path:
        for n in sizes:
            if np is not None:
                sbuf = np.full(n, rank + 1, dtype=np.uint8)
                rbuf = np.zeros(n, dtype=np.uint8)
            else:
                sbuf, rbuf = bytearray([rank + 1]) * n, bytearray(n)
            K, per = measure(lambda k: run_buffer(sbuf, rbuf, k), target, warmup, trials)
            if rank == 0:
                results.append(entry('buffer', n, K, per))
            del sbuf, rbuf
    if object_path:
        K, per = measure(lambda k: run_object(SMALL, k), target, warmup, trials)
        if rank == 0:
            results.append(entry('object', len(pickle.dumps(SMALL, MPI.pickle.PROTOCOL)), K, per,
                                 object='small'))
        for n in sizes:
            obj = bytes([rank + 1]) * n
            K, per = measure(lambda k: run_object(obj, k), target, warmup, trials)
            if rank == 0:
                results.append(entry('object', n, K, per, object='bytes'))
            del obj
    if rank == 0:
        out = {'impl': 'mpi4py', 'mpi4py': __import__('mpi4py').__version__,
               'python': sys.version.split()[0],
               'library': MPI.Get_library_version().split('\n')[0].strip(),
               'buffer_kind': 'numpy' if np is not None else 'bytearray',
               'nranks': size, 'trials': trials, 'target_ms': target * 1e3, 'results': results}
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


main(sys.argv[1:])
