"""Decodes msgpack produced by DaskPS with the reference implementation (Debian python3-msgpack).

stdin: one value per line, "name hex [single]". For each, prints one JSON line
{"name", "repr", "repacked"} where repr is canon() of
msgpack.unpackb(raw=False, strict_map_key=False, use_list=False) -- the options dask uses -- and repacked is
msgpack.packb(value, use_bin_type=True).hex() (with use_single_float=True when the line says "single", since
Python has no float32 type of its own). A value Python rejects prints {"name", "error"} instead.
MsgPackPythonCrossCheckTests.PythonCanon mirrors canon() in C#.
"""
import hashlib
import json
import sys

import msgpack

SHORT = 64
ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


def quote(s):
    """Like json.dumps(s): printable ASCII as is, everything else as \\uXXXX UTF-16 escapes."""
    out = []
    for ch in s:
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            encoded = ch.encode("utf-16-be")
            for i in range(0, len(encoded), 2):
                out.append("\\u%04x" % int.from_bytes(encoded[i:i + 2], "big"))
    return '"' + "".join(out) + '"'


def canon(v):
    """A type-revealing, unambiguous text form; long strings and bytes are summarised by length and hash."""
    if v is None:
        return "None"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if v != v else repr(v)
    if isinstance(v, str):
        if len(v) <= SHORT:
            return "s" + quote(v)
        data = v.encode("utf-8")
        return "str(chars=%d,bytes=%d,sha256=%s)" % (len(v), len(data), digest(data))
    if isinstance(v, bytes):
        return canon_bytes("b", v)
    # ExtType is a namedtuple, so it must be recognised before plain tuples.
    if isinstance(v, msgpack.ExtType):
        return "ext(%d, %s)" % (v.code, canon_bytes("b", v.data))
    if isinstance(v, msgpack.Timestamp):
        return "timestamp(%d, %d)" % (v.seconds, v.nanoseconds)
    if isinstance(v, tuple):
        return "[" + ", ".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(canon(k) + ": " + canon(x) for k, x in v.items()) + "}"
    raise TypeError("unexpected decoded type %r" % type(v))


def canon_bytes(prefix, data):
    if len(data) <= SHORT:
        return prefix + "'" + data.hex() + "'"
    return "bin(len=%d,sha256=%s)" % (len(data), digest(data))


def main():
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        name, raw = parts[0], bytes.fromhex(parts[1])
        single = "single" in parts[2:]
        try:
            value = msgpack.unpackb(raw, raw=False, strict_map_key=False, use_list=False)
            repacked = msgpack.packb(value, use_bin_type=True, use_single_float=single)
            result = {"name": name, "repr": canon(value), "repacked": repacked.hex()}
        except Exception as e:  # reported per value so one bad vector does not hide the others
            result = {"name": name, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
