"""Streams N messages to a DaskPS server through dask's own BatchedSend, then closes."""
import asyncio
import sys

from distributed.batched import BatchedSend
from distributed.comm import connect


async def main(address, count):
    comm = await connect(address)
    await comm.write({"op": "collect", "reply": False})
    stream = BatchedSend(interval="2ms")
    stream.start(comm)
    for i in range(count):
        stream.send({"op": "item", "i": i})
        if i % 100 == 0:
            await asyncio.sleep(0)  # let batches go out while we produce
    await stream.close()
    print("SENT", count, "batches", stream.batch_count, flush=True)


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
