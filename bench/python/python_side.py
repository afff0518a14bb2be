"""The Python side of the DaskPS benchmarks: a dask Client against workers already attached to the scheduler.

Usage:
  python_side.py standard <scheduler> <scheduler-pid> <worker-a> <worker-b> <tasks> <round-trips> <fan-width> <bytes> <big-rounds> <idle-pause-ms>
      prints "RESULT {json}" once, with the keys the DaskPS side reports (ClusterBenchmark).
  python_side.py scaling <scheduler> <scheduler-pid> <workers> <sizes,...> <budget-seconds per shape>
      prints "RESULT {json}" per graph shape and size as each finishes (ScalingBenchmark); a size whose expected time
      (the shape's last time per task times its size) would overrun the shape's budget is left out.
"""
import json
import os
import resource
import statistics
import sys
import threading
import time

from distributed import Client, wait


def inc(x):
    return x + 1


def add(x, y):
    return x + y


def total(values):
    return sum(values)


def make_bytes(n):
    return os.urandom(n)


def rss_now():
    import psutil
    return psutil.Process().memory_info().rss


def rss_peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class SchedulerMeter:
    """Wall time and the scheduler process's CPU time (utime + stime from /proc) over one workload."""

    def __init__(self, pid):
        self.path = f"/proc/{pid}/stat"
        self.tick = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self):
        with open(self.path) as f:
            # Fields after the command name in parentheses: state is the first, utime the 12th, stime the 13th.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    def measure(self, tasks, run):
        cpu, start = self.cpu_seconds(), time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        return {"tasks": tasks, "seconds": seconds, "cpu": self.cpu_seconds() - cpu}


def record(out, name, measured):
    """The keys ClusterBenchmark's table reads, as Measured.AddTo writes them on the DaskPS side."""
    out[name + "_tasks_per_s"] = measured["tasks"] / measured["seconds"]
    out[name + "_seconds"] = measured["seconds"]
    out[name + "_sched_cpu_us"] = measured["cpu"] / measured["tasks"] * 1e6
    out[name + "_sched_share"] = measured["cpu"] / measured["seconds"]


def percentiles(out, name, samples):
    samples = sorted(samples)
    out[name + "_p50_ms"] = statistics.median(samples) * 1000
    out[name + "_p90_ms"] = samples[min(len(samples) - 1, int(len(samples) * 0.9))] * 1000


def round_trips(client, count, first, pause):
    samples = []
    for i in range(count):
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        assert client.submit(inc, first + i, pure=False).result() == first + i + 1
        samples.append(time.perf_counter() - start)
    return samples


def standard(client, meter, worker_a, worker_b, n_tasks, n_rtt, n_fan, n_bytes, big_rounds, pause_ms):
    out = {}
    results = []

    def run_map():
        futures = client.map(inc, range(n_tasks), pure=False)
        results.extend(client.gather(futures))
    record(out, "map", meter.measure(n_tasks, run_map))
    assert results == list(range(1, n_tasks + 1))
    del results

    # Idle: each trip starts after the scheduler's batched sends to the worker (every 5 ms) have gone quiet.
    samples = []
    record(out, "rtt_idle", meter.measure(n_rtt, lambda: samples.extend(round_trips(client, n_rtt, 1_000_000, pause_ms / 1000))))
    percentiles(out, "rtt_idle", samples)
    samples = []
    record(out, "rtt_b2b", meter.measure(n_rtt, lambda: samples.extend(round_trips(client, n_rtt, 2_000_000, 0))))
    percentiles(out, "rtt_b2b", samples)

    # Busy: the trips run while a map of n_tasks keeps both workers occupied; only trips that ended before it did count.
    background = client.map(inc, range(3_000_000, 3_000_000 + n_tasks), pure=False)
    done = threading.Event()
    threading.Thread(target=lambda: (wait(background), done.set()), daemon=True).start()
    busy = []
    for i in range(n_rtt):
        start = time.perf_counter()
        assert client.submit(inc, 4_000_000 + i, pure=False).result() == 4_000_001 + i
        if done.is_set():
            break
        busy.append(time.perf_counter() - start)
    done.wait()
    del background
    if busy:
        percentiles(out, "rtt_busy", busy)
    out["rtt_busy_trips"] = len(busy)

    def run_fan():
        leaves = client.map(inc, range(n_fan), pure=False)
        assert client.submit(total, leaves, pure=False).result() == sum(range(1, n_fan + 1))
    record(out, "fan", meter.measure(n_fan + 1, run_fan))

    # Best of big_rounds, as the loopback socket's figure is; peaks (which only rise) from the first round.
    rss = client.run(rss_now, workers=[worker_a, worker_b])
    out["transfer_seconds"] = out["gather_big_seconds"] = float("inf")
    for big_round in range(big_rounds):
        big = client.submit(make_bytes, n_bytes, workers=[worker_a], key=f"big-{big_round}")
        wait(big)
        start = time.perf_counter()
        assert client.submit(len, big, workers=[worker_b], pure=False).result() == n_bytes
        out["transfer_seconds"] = min(out["transfer_seconds"], time.perf_counter() - start)
        client_rss = rss_now()
        start = time.perf_counter()
        assert len(big.result()) == n_bytes
        out["gather_big_seconds"] = min(out["gather_big_seconds"], time.perf_counter() - start)
        if big_round == 0:
            out["client_big_peak_x"] = (rss_peak() - client_rss) / n_bytes
            peaks = client.run(rss_peak, workers=[worker_a, worker_b])
            out["holder_big_peak_x"] = (peaks[worker_a] - rss[worker_a]) / n_bytes
            out["receiver_big_peak_x"] = (peaks[worker_b] - rss[worker_b]) / n_bytes
        del big
    out["client_peak_rss_mb"] = rss_peak() / 1024 / 1024
    print("RESULT " + json.dumps(out), flush=True)


def scaling(client, meter, sizes, budget):
    """Independent map, chain, and fan-out/fan-in (one root, its dependents, one sink) of n tasks each."""
    def run_map(n):
        assert client.gather(client.map(inc, range(n), pure=False)) == list(range(1, n + 1))

    def run_chain(n):
        node = client.submit(inc, 0, pure=False)
        for _ in range(n - 1):
            node = client.submit(inc, node, pure=False)
        assert node.result() == n

    def run_fan(n):
        root = client.submit(inc, 0, pure=False)
        leaves = client.map(add, [root] * (n - 2), range(n - 2), pure=False)
        assert client.submit(total, leaves, pure=False).result() == (n - 2) + sum(range(n - 2))

    for shape, run in (("map", run_map), ("chain", run_chain), ("fan", run_fan)):
        deadline = time.perf_counter() + budget
        per_task = 0.0
        for n in sizes:
            if time.perf_counter() + per_task * n > deadline:
                continue
            measured = meter.measure(n, lambda: run(n))
            per_task = measured["seconds"] / n
            print("RESULT " + json.dumps({"shape": shape, **measured}), flush=True)


def main(argv):
    command, scheduler, scheduler_pid = argv[:3]
    meter = SchedulerMeter(int(scheduler_pid))
    with Client(scheduler, timeout=60) as client:
        if command == "standard":
            worker_a, worker_b = argv[3:5]
            client.wait_for_workers(2)
            standard(client, meter, worker_a, worker_b, *(int(a) for a in argv[5:11]))
        elif command == "scaling":
            client.wait_for_workers(int(argv[3]))
            scaling(client, meter, [int(s) for s in argv[4].split(",")], float(argv[5]))
        else:
            raise SystemExit(f"unknown command {command!r}; expected standard or scaling")


main(sys.argv[1:])
