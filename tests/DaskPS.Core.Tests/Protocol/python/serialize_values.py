"""Serializes values the way Python dask peers do (msgpack collections, lz4, split frames) for the C# decoder."""
import json
import sys

from distributed.protocol.serialize import serialize_and_split
from distributed.protocol.compression import maybe_compress
from distributed.protocol.serialize import Serialize
import msgpack

cases = {
    "list": [1, "two", b"three", 4.5],
    "dict": {"a": 1, "b": [1, 2]},
    "set": {7},
    "bytes": b"raw bytes",
    "big": "x" * 300000,
}
out = {}
for name, value in cases.items():
    serializers = ["dask", "msgpack"] if isinstance(value, bytes) else ["msgpack"]
    header, frames = serialize_and_split(value, serializers=serializers, size=4 if name == "bytes" else None)
    if name == "big":
        compression, frames = zip(*(maybe_compress(f, compression="lz4") for f in frames))
        header["compression"] = list(compression)
    out[name] = {"header": msgpack.dumps(header, use_bin_type=True).hex(), "frames": [bytes(f).hex() for f in frames]}
print(json.dumps(out))
