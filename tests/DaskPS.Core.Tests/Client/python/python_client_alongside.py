"""A Python client working on the same scheduler as a DaskPS client: its tasks stay on its own (PY) worker."""
import sys

import dask
from distributed import Client

with dask.config.set({"annotations": {"resources": {"PY": 1}}}):
    with Client(sys.argv[1], timeout=30) as client:
        futures = client.map(lambda x: x * 10, range(20))
        total = client.submit(sum, futures)
        print("TOTAL", total.result(timeout=60), flush=True)
