"""A dask Server whose 'collect' handler reads a batched stream until the peer closes it, then reports."""
import asyncio
import sys

from distributed.comm.core import CommClosedError
from distributed.core import Server


async def main():
    done = asyncio.Event()
    received = []
    batches = 0

    async def collect(comm):
        nonlocal batches
        try:
            while True:
                msgs = await comm.read()
                batches += 1
                if isinstance(msgs, dict):
                    msgs = [msgs]
                received.extend(m["i"] for m in msgs)
        except CommClosedError:
            pass
        finally:
            done.set()

    server = Server({"collect": collect})
    await server.listen("tcp://127.0.0.1:0")
    print("ADDRESS", server.address, flush=True)
    await asyncio.wait_for(done.wait(), 60)
    ordered = received == list(range(len(received)))
    print("RECEIVED", len(received), "ordered", ordered, "batches", batches, flush=True)
    server.stop()


asyncio.run(main())
