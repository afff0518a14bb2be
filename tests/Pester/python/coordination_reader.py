"""A Python client of the same scheduler: reads COUNT items of queue QUEUE, prints them as JSON, then sets variable
'from-python' and puts 'from python' into queue 'to-pwsh'.

usage: coordination_reader.py ADDRESS QUEUE COUNT
"""
import json
import sys

from distributed import Client, Queue, Variable


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
    queue = Queue(sys.argv[2])
    items = [queue.get(timeout=30) for _ in range(int(sys.argv[3]))]
    print(json.dumps(plain(items), ensure_ascii=False, separators=(",", ":")), flush=True)
    Variable("from-python").set({"answer": 42, "list": [1, "two"]})
    Queue("to-pwsh").put("from python")
