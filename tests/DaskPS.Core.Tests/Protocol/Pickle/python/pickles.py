"""Pickles made by Python, with a canonical text of each value, for the C# reader to match."""
import json
import pickle
import sys


def canon(v):
    if v is None:
        return "N"
    if v is True:
        return "T"
    if v is False:
        return "F"
    if isinstance(v, int):
        return f"i{v}"
    if isinstance(v, float):
        return f"f{v!r}"
    if isinstance(v, str):
        return "s" + json.dumps(v, ensure_ascii=False)
    if isinstance(v, (bytes, bytearray)):
        return "b" + bytes(v).hex()
    if isinstance(v, tuple):
        return "(" + ",".join(canon(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(canon(k) + ":" + canon(x) for k, x in v.items()) + "}"
    if isinstance(v, frozenset):
        return "fz{" + ",".join(sorted(canon(x) for x in v)) + "}"
    if isinstance(v, set):
        return "set{" + ",".join(sorted(canon(x) for x in v)) + "}"
    raise TypeError(type(v))


shared = [1, 2]
values = {
    "scalars": (None, True, False, 0, -1, 255, 65535, 2**31 - 1, -(2**31), 2**40, -(2**63), 2**64 + 5, 1.5, -0.25),
    "text": ("", "ascii", "ünïcödé ✓", "x" * 300),
    "bytes": (b"", b"\x00\xff", bytes(range(256)) * 4),
    "containers": ([], {}, (), [1, [2, (3, 4)]], {"a": 1, ("t", 0): [b"v"]}, {1, 2, 3}, frozenset({"a", "b"})),
    "memo": (shared, shared, {"again": shared}),
    "nested": {"k": [{"deep": (1, (2, (3, (4,))))}]},
}
out = []
# dask pickles with protocol 4 or 5 (older protocols write bytes and sets as calls).
for protocol in (4, 5):
    for name, value in values.items():
        out.append({"name": f"{name}-p{protocol}", "hex": pickle.dumps(value, protocol=protocol).hex(), "canon": canon(value)})
print(json.dumps(out))
