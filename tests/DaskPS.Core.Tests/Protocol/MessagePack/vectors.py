"""Named msgpack vectors packed by the reference implementation (Debian python3-msgpack).

Prints one JSON object {name: {"hex": msgpack.packb(value, use_bin_type=True).hex(), "repr": repr(value)}}.
MsgPackPythonCrossCheckTests decodes every vector, compares it with its own expectation of the same name
and re-encodes it, which must give the same bytes. Keep the builders in step with MsgPackTestData.
"""
import json
import math
import sys

import msgpack


def text(n, unit):
    """A str of exactly n UTF-8 bytes: as many units as fit, padded with 'a'."""
    unit_bytes = len(unit.encode("utf-8"))
    return unit * (n // unit_bytes) + "a" * (n % unit_bytes)


def blob(n):
    return bytes(i * 7 % 251 for i in range(n))


SIZES = (0, 1, 31, 32, 255, 256, 65535, 65536)
COUNTS = (0, 1, 15, 16, 65535, 65536)

VECTORS = [
    ("nil", None),
    ("true", True),
    ("false", False),
    ("int_0", 0),
    ("int_1", 1),
    ("int_127", 127),
    ("int_128", 128),
    ("int_255", 255),
    ("int_256", 256),
    ("int_65535", 65535),
    ("int_65536", 65536),
    ("int_2p32m1", 2**32 - 1),
    ("int_2p32", 2**32),
    ("int64_max", 2**63 - 1),
    ("uint64_2p63", 2**63),
    ("uint64_max", 2**64 - 1),
    ("int_m1", -1),
    ("int_m32", -32),
    ("int_m33", -33),
    ("int_m128", -128),
    ("int_m129", -129),
    ("int_m32768", -32768),
    ("int_m32769", -32769),
    ("int32_min", -(2**31)),
    ("int32_min_m1", -(2**31) - 1),
    ("int64_min", -(2**63)),
    ("float_0", 0.0),
    ("float_neg0", -0.0),
    ("float_1", 1.0),
    ("float_1_5", 1.5),
    ("float_0_1", 0.1),
    ("float_m2_5", -2.5),
    ("float_nan", math.nan),
    ("float_inf", math.inf),
    ("float_ninf", -math.inf),
    ("float_max", sys.float_info.max),
    ("float_min_normal", sys.float_info.min),
    ("float_min_subnormal", 5e-324),
    ("float_1e300", 1e300),
    ("str_mixed", "h\u00e9llo w\u00f6rld \u20ac \U0001f600 \u0000\u007f\t\n\"\\ end"),
    ("list_empty", []),
    ("list_nested", [[], [[]], [1, [2, [3, None]]], (True, "x", b"y")]),
    ("map_empty", {}),
    ("map_int_keys", {1: "one", -1: "minus one", 0: None, 2**40: "big", -(2**63): "min", 2**64 - 1: "umax"}),
    ("map_tuple_keys", {("x", 1): "a", (): "empty", (1, (2, 3)): "nested", ("inc-123", 0, 7): 3.5}),
    ("map_bytes_keys", {b"k": 1, b"": 2, b"\x00\xff": 3}),
    ("map_mixed_keys", {"s": 1, 2: "int", b"b": "bytes", (3,): "tuple", 1.5: "float", True: "bool"}),
    ("map_nested", {"a": {"b": {"c": {1: [1, 2, {"d": None}]}}}}),
    ("dask_compute_task", {
        "op": "compute-task",
        "key": ("inc-7c1d2a9b3f", 12),
        "priority": (0, 1, -3),
        "duration": 0.5,
        "who_has": {"x-1": ["tcp://127.0.0.1:40123"]},
        "nbytes": {"x-1": 28, ("y", 0): 8000000},
        "run_spec": {"__Pickled__": 0},
        "actor": False,
        "span_id": None,
    }),
    ("dask_get_data_reply", {"status": "OK", "data": {"x": {"__Serialized__": 0}, ("y", 1): {"__Serialized__": 1}}}),
    ("dask_batched", [
        {"op": "task-finished", "key": ("inc", 1), "nbytes": 28, "type": b"\x80\x04\x95",
         "startstops": ({"action": "compute", "start": 1700000000.25, "stop": 1700000000.5},)},
        {"op": "free-keys", "keys": ("a",), "stimulus_id": "s-1"},
    ]),
    ("ext_code_0", msgpack.ExtType(0, b"x")),
    ("ext_code_127_empty", msgpack.ExtType(127, b"")),
    ("ext_timestamp32", msgpack.Timestamp(1, 0)),
    ("ext_timestamp64", msgpack.Timestamp(1, 5)),
    ("ext_timestamp96", msgpack.Timestamp(-1, 0)),
]

for n in SIZES:
    VECTORS.append((f"str_ascii_{n}", text(n, "a")))
for unit, tag in (("\u00e9", "2byte"), ("\u20ac", "3byte"), ("\U0001f600", "4byte")):
    for n in (31, 32, 255, 256, 65535, 65536):
        VECTORS.append((f"str_{tag}_{n}", text(n, unit)))
for n in SIZES:
    VECTORS.append((f"bin_{n}", blob(n)))
for n in COUNTS:
    VECTORS.append((f"array_{n}", list(range(n))))
for n in COUNTS:
    VECTORS.append((f"map_{n}", {f"k{i}": i for i in range(n)}))
for n in (1, 2, 4, 8, 16, 0, 3, 17, 255, 256, 65535, 65536):
    VECTORS.append((f"ext_{n}", msgpack.ExtType(42, blob(n))))


def main():
    out = {}
    for name, value in VECTORS:
        assert name not in out, "duplicate vector name " + name
        r = repr(value)
        out[name] = {
            "hex": msgpack.packb(value, use_bin_type=True).hex(),
            "repr": r if len(r) <= 200 else r[:200] + "...",
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
