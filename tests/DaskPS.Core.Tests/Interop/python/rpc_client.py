"""Calls ops on a DaskPS server with dask's own rpc and prints what came back, one JSON line."""
import asyncio
import json
import sys

from distributed.core import rpc


async def main(address):
    remote = rpc(address)
    result = {}
    try:
        identity = await remote.identity()
        result["identity_type"] = identity["type"]
        result["add"] = await remote.add(x=40, y=2)
        result["echo"] = list(await remote.echo(data=[1, "two", b"three"]))
        result["echo_bytes_type"] = type((await remote.echo(data=b"raw"))).__name__
        try:
            await remote.fail(reason="boom")
            result["fail"] = "no exception"
        except Exception as e:  # the remote error as dask raises it
            result["fail"] = f"{type(e).__name__}: {e}"
        # The comm is pooled and reused: many calls on it in a row.
        total = 0
        for i in range(200):
            total += await remote.add(x=i, y=1)
        result["sum"] = total
    finally:
        await remote.close_rpc()
    print("RESULT " + json.dumps(result, default=repr), flush=True)


asyncio.run(main(sys.argv[1]))
