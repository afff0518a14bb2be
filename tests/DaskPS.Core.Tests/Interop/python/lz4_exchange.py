"""Exchanges large values with a DaskPS server over one dask comm and prints what each side saw, one JSON line.

argv: address, then the compression this side offers in its handshake ("lz4" or "None").
"""
import asyncio
import json
import sys

from distributed.comm import connect
from distributed.protocol import Serialize
from distributed.protocol.compression import decompress
from distributed.protocol.serialize import merge_and_deserialize

SIZE = 1_000_000


def pattern():
    return bytes(i % 251 for i in range(SIZE))


async def main(address, offered):
    # The offer is made explicitly: dask 2024.12 offers nothing to a peer on the same host, whatever its config.
    # deserialize=False keeps payloads as Serialized, so their headers show how they travelled.
    comm = await connect(address, deserialize=False, handshake_overrides={"compression": offered})
    result = {}
    try:
        await comm.write({"op": "blob", "size": SIZE})
        reply = await comm.read()
        result["reply_compression"] = list(reply.header.get("compression", []))
        result["reply_wire_bytes"] = sum(len(frame) for frame in reply.frames)
        # As dask's own loads() does for a kept payload: decompress, then merge split frames and decode.
        frames = decompress(reply.header, reply.frames) if "compression" in reply.header else reply.frames
        result["reply_matches"] = merge_and_deserialize(reply.header, frames) == pattern()

        await comm.write({"op": "measure", "data": Serialize(pattern())})
        result["measured"] = await comm.read()
    finally:
        await comm.close()
    print("RESULT " + json.dumps(result, default=repr), flush=True)


asyncio.run(main(sys.argv[1], None if sys.argv[2] == "None" else sys.argv[2]))
