"""A Python client sharing coordination primitives with a DaskPS client on the same scheduler.

usage: coordination_peer.py ADDRESS data   -- reads queue 'from-ps' (COUNT items) and variable 'from-ps', prints them
                                              as JSON; fills queue 'from-py' and sets variable 'from-py'
       coordination_peer.py ADDRESS lock   -- holds Lock 'shared', a lease of Semaphore 'pool' (2 leases) and
                                              MultiLock ['m1', 'm2'] until event 'ps-done' is set, after setting
                                              event 'py-holds'
       coordination_peer.py ADDRESS future -- scatters a value (a Python worker is needed) and puts its future into
                                              queue 'futures' and variable 'future', printing KEY <key>
"""
import json
import sys

from distributed import Client, Event, Lock, MultiLock, Queue, Semaphore, Variable

FROM_PY = [7, "two", 3.5, None, True, b"\x00\x01\xff", [1, [2, "x"]], {"a": {"b": [1, 2]}, "e": {}}, "ünï", -(2**40)]


def dump(value):
    return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))


def plain(value):
    """JSON-able form: msgpack arrays arrive as tuples, bytes are marked."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


with Client(sys.argv[1], timeout=30) as client:
    mode = sys.argv[2]
    if mode == "data":
        count = int(sys.argv[3])
        queue = Queue("from-ps")
        items = [queue.get(timeout=30) for _ in range(count)]
        print("QUEUE " + dump(items), flush=True)
        print("VARIABLE " + dump(Variable("from-ps").get(timeout=30)), flush=True)
        out = Queue("from-py")
        for item in FROM_PY:
            out.put(item)
        Variable("from-py").set({"x": [1, 2], "s": "ü"})
        print("DONE", flush=True)
    elif mode == "lock":
        lock = Lock("shared")
        semaphore = Semaphore(max_leases=2, name="pool")
        multi = MultiLock(["m1", "m2"])
        assert lock.acquire(timeout=30)
        assert semaphore.acquire(timeout=30)
        assert multi.acquire(timeout=30)
        Event("py-holds").set()
        assert Event("ps-done").wait(timeout=60)
        lock.release()
        semaphore.release()
        multi.release()
        print("RELEASED", flush=True)
    elif mode == "future":
        future = client.scatter("scattered by python")
        Queue("futures").put(future)
        Variable("future").set(future)
        print("KEY " + future.key, flush=True)
        assert Event("ps-has-future").wait(timeout=60)
