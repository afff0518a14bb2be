"""Runs a task that raises ZeroDivisionError on a Python worker and publishes it so it outlives this client."""
import sys

from distributed import Client, wait

with Client(sys.argv[1], timeout=30) as client:
    future = client.submit(lambda: 1 / 0, pure=False, resources={"PY": 1})
    wait(future)
    client.publish_dataset(failed=future)
    print("KEY", future.key, flush=True)
