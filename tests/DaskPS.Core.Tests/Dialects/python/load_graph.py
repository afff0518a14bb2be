"""Loads a DaskPS graph pickle with dask 2024.12 on the path, counting Python-level calls while unpickling."""
import json
import pickle
import sys

import dask._task_spec  # noqa: F401  (the modules are already imported in a scheduler)
import dask.highlevelgraph  # noqa: F401
import distributed.protocol.serialize  # noqa: F401

data = bytes.fromhex(sys.stdin.read().strip())
calls = []


def profile(frame, event, arg):
    if event == "call":
        calls.append(frame.f_code.co_name)


sys.setprofile(profile)
obj = pickle.loads(data)
sys.setprofile(None)

graph = obj.data
tasks = {}
for name, layer in graph.layers.items():
    for key, task in layer.mapping.items():
        tasks[str(key)] = {
            "type": type(task).__name__,
            "func": task.func,
            "deps": sorted(str(d) for d in task.dependencies),
            "annotations": layer.annotations,
            "payload_bytes": len(task.args[0]),
            "aliases": [type(a).__name__ for a in task.args[1:]],
        }
print(json.dumps({"python_calls": calls, "holder": type(obj).__name__, "graph": type(graph).__name__, "tasks": tasks}, default=str))
