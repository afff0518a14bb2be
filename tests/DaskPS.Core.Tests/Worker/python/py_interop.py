"""A real Python dask client next to DaskPS workers. Usage: py_interop.py <command> <scheduler> [args]"""
import fractions
import sys

from distributed import Client, Future

command, scheduler, *args = sys.argv[1:]


def adopt(client, key):
    """A future for a key another client made; 2024.12's Future() no longer tells the scheduler by itself."""
    future = Future(key, client)
    client._send_to_scheduler({"op": "client-desires-keys", "keys": [key], "client": client.id})
    return future


if command == "gather":
    with Client(scheduler, timeout=30) as client:
        print("VALUE", repr(adopt(client, args[0]).result(timeout=30)), flush=True)

elif command == "gather-bytes":
    import hashlib
    with Client(scheduler, timeout=30) as client:
        value = adopt(client, args[0]).result(timeout=30)
        print("BYTES", type(value).__name__, len(value), hashlib.sha256(value).hexdigest(), flush=True)

elif command == "scatter-roundtrip":
    # Big and compressible: Python compresses it with lz4, and the scheduler forwards it so.
    value = {"z": complex(3, 4), "f": fractions.Fraction(1, 3), "s": {1, 2}, "big": "x" * 200_000}
    with Client(scheduler, timeout=30) as client:
        future = client.scatter([value], workers=[args[0]])[0]
        holders = client.who_has([future])[future.key]
        back = future.result(timeout=30)
        print("HOLDERS", " ".join(holders), flush=True)
        print("EQUAL", back == value, flush=True)

elif command == "python-task":
    with Client(scheduler, timeout=30) as client:
        future = client.submit(lambda x: x + 1, 1, workers=[args[0]], pure=False)
        try:
            print("RESULT", future.result(timeout=30), flush=True)
        except Exception as e:  # the DaskPS worker's refusal
            print("ERROR", type(e).__name__, str(e).replace("\n", " "), flush=True)

elif command == "python-graph":
    # Every Python task asks for the PY resource, so none is scheduled on a DaskPS worker.
    with Client(scheduler, timeout=30) as client:
        futures = client.map(lambda x: x * 3, range(100), pure=False, resources={"PY": 1})
        total = client.submit(sum, futures, pure=False, resources={"PY": 1})
        print("TOTAL", total.result(timeout=60), flush=True)
        holders = set()
        for workers in client.who_has(futures).values():
            holders.update(workers)
        print("HOLDERS", " ".join(sorted(holders)), flush=True)
else:
    raise SystemExit(f"unknown command {command}")
