"""Scatters a value only pickle can carry (a complex number), publishes it so it outlives this client, prints its key."""
import sys

from distributed import Client

with Client(sys.argv[1], timeout=30) as client:
    future = client.scatter(complex(1, 2))
    client.publish_dataset(pickled=future)
    print("KEY", future.key, flush=True)
