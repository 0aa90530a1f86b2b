"""Peers of the farm benchmark: the same task throughput measured with mpi4py.futures
(MPIPoolExecutor, run under mpirun with one master and 2 workers), Dask distributed
(LocalCluster of 2 single-threaded worker processes) and ipyparallel (2 engines, load-balanced
view). Start-up is not timed: only the map, once the workers are up (after a warm-up map).

  python3 farm_peers.py mpi4py|dask|ipyparallel noop N | sleep N MS
Prints one JSON line: {"peer", "kind", "tasks", "seconds", "tasks_per_s"}.
"""
import json
import sys
import time


def noop(x):
    return x


def sleeper(ms):
    import time as t
    t.sleep(ms / 1000.0)
    return ms


def report(peer, kind, tasks, seconds):
    print(json.dumps({"peer": peer, "kind": kind, "tasks": tasks, "seconds": seconds,
                      "tasks_per_s": tasks / seconds}), flush=True)


def work(kind, n, ms):
    if kind == "noop":
        return noop, list(range(n))
    return sleeper, [ms] * n


def run_mpi4py(kind, n, ms):
    from mpi4py.futures import MPIPoolExecutor
    fn, items = work(kind, n, ms)
    with MPIPoolExecutor() as ex:
        list(ex.map(noop, range(100)))  # warm-up: workers started and connected
        t = time.perf_counter()
        out = list(ex.map(fn, items))
        report("mpi4py.futures", kind, n, time.perf_counter() - t)
        assert len(out) == n


def run_dask(kind, n, ms):
    from distributed import Client, LocalCluster
    fn, items = work(kind, n, ms)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as c:
        c.gather(c.map(noop, range(100), pure=False))
        t = time.perf_counter()
        out = c.gather(c.map(fn, items, pure=False))
        report("dask", kind, n, time.perf_counter() - t)
        assert len(out) == n


def run_ipyparallel(kind, n, ms):
    import ipyparallel as ipp
    fn, items = work(kind, n, ms)
    cluster = ipp.Cluster(n=2, log_level=40)
    rc = cluster.start_and_connect_sync()
    try:
        rc.wait_for_engines(2, timeout=120)
        view = rc.load_balanced_view()
        view.map_sync(noop, range(20))
        t = time.perf_counter()
        out = view.map_sync(fn, items)
        report("ipyparallel", kind, n, time.perf_counter() - t)
        assert len(out) == n
    finally:
        rc.close()
        cluster.stop_cluster_sync()


if __name__ == "__main__":
    peer, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ms = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    {"mpi4py": run_mpi4py, "dask": run_dask, "ipyparallel": run_ipyparallel}[peer](kind, n, ms)
