"""The Python side of the DaskPS benchmarks: a dask Client against workers already attached to the scheduler.

Usage: python_side.py <scheduler> <size: smoke|full> <worker-a> <worker-b>; prints one JSON line.
"""
import json
import os
import resource
import statistics
import sys
import time

from distributed import Client, wait


def inc(x):
    return x + 1


def total(values):
    return sum(values)


def make_bytes(n):
    return os.urandom(n)


scheduler, size, worker_a, worker_b = sys.argv[1:5]
n_tasks, n_rtt, n_fan, n_bytes = (10_000, 200, 1_000, 100_000_000) if size == "full" else (200, 20, 50, 1_000_000)
out = {}
with Client(scheduler, timeout=60) as client:
    client.wait_for_workers(2)

    start = time.perf_counter()
    futures = client.map(inc, range(n_tasks), pure=False)
    results = client.gather(futures)
    elapsed = time.perf_counter() - start
    assert results == list(range(1, n_tasks + 1))
    out["throughput"] = n_tasks / elapsed
    del futures, results

    samples = []
    for i in range(n_rtt):
        start = time.perf_counter()
        assert client.submit(inc, i, pure=False).result() == i + 1
        samples.append(time.perf_counter() - start)
    samples.sort()
    out["rtt_median_ms"] = statistics.median(samples) * 1000
    out["rtt_p99_ms"] = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000

    start = time.perf_counter()
    leaves = client.map(inc, range(n_fan), pure=False)
    assert client.submit(total, leaves, pure=False).result() == sum(range(1, n_fan + 1))
    out["fan_seconds"] = time.perf_counter() - start
    del leaves

    big = client.submit(make_bytes, n_bytes, workers=[worker_a], pure=False)

    wait(big)
    start = time.perf_counter()
    assert client.submit(len, big, workers=[worker_b], pure=False).result() == n_bytes
    out["transfer_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    assert len(big.result()) == n_bytes
    out["gather_big_seconds"] = time.perf_counter() - start

out["client_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out), flush=True)
