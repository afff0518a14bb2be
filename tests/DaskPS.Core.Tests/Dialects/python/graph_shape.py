"""Loads graph pickles with a restricted unpickler: dask's classes (and the few builtins a graph may name) become
recorders, anything else is refused, so no dask is needed and no code of the pickle runs. Prints, per pickle, the
shape of what it builds and which callables it called.

stdin: {"name": "<hex>", ...}; stdout: one JSON line {"name": {"shape": ..., "calls": [...]}, ...}.
"""
import io
import json
import pickle
import sys

ALLOWED_MODULES = {
    "dask._task_spec", "dask._expr", "dask.highlevelgraph",
    "distributed.protocol.serialize", "distributed.utils_comm", "_operator",
}
ALLOWED_BUILTINS = {"tuple", "max", "min", "sum", "len", "getattr"}


class Recorded:
    """An instance of a recorded class, or the result of calling a recorded callable."""

    _name = "?"

    def __init__(self, *args, **kwargs):
        self._recorded_args = list(args) + [kwargs] if kwargs else list(args)

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and state[0] is None and isinstance(state[1], dict):
            state = state[1]
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self._recorded_state = state


class RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data, calls):
        super().__init__(io.BytesIO(data))
        self.calls = calls
        self.classes = {}

    def find_class(self, module, name):
        if module == "builtins" and name in ("object.__new__", "vars", "setattr"):
            return getattr(self, "_" + name.replace("object.__new__", "new"))
        if module == "builtins" and name in ALLOWED_BUILTINS or module in ALLOWED_MODULES:
            key = f"{module}.{name}"
            if key not in self.classes:
                self.classes[key] = type(name.replace(".", "_"), (Recorded,), {"_name": key})
            return self.classes[key]
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def _new(self, cls):
        self.calls.append("builtins.object.__new__")
        if not (isinstance(cls, type) and issubclass(cls, Recorded)):
            raise pickle.UnpicklingError("object.__new__ of something that is not a recorded class")
        return object.__new__(cls)

    def _vars(self, instance):
        self.calls.append("builtins.vars")
        return instance.__dict__

    def _setattr(self, instance, name, value):
        self.calls.append("builtins.setattr")
        if not isinstance(instance, Recorded):
            raise pickle.UnpicklingError("setattr on something that is not a recorded instance")
        instance.__dict__[name] = value


def shape(value, depth=0):
    if depth > 60:
        raise ValueError("nests too deeply")
    if isinstance(value, type) and issubclass(value, Recorded):
        return {"global": value._name}
    if isinstance(value, Recorded):
        result = {"class": value._name}
        fields = {k: shape(v, depth + 1) for k, v in sorted(vars(value).items()) if not k.startswith("_recorded")}
        if fields:
            result["fields"] = fields
        if hasattr(value, "_recorded_args"):
            result["args"] = [shape(a, depth + 1) for a in value._recorded_args]
        if hasattr(value, "_recorded_state"):
            result["state"] = shape(value._recorded_state, depth + 1)
        return result
    if isinstance(value, dict):
        return {"dict": {str(k): shape(v, depth + 1) for k, v in value.items()}}
    for kind in (tuple, list, set, frozenset):
        if isinstance(value, kind):
            return {kind.__name__: [shape(v, depth + 1) for v in value]}
    return {"value": type(value).__name__}


results = {}
for name, data in json.loads(sys.stdin.read()).items():
    calls = []
    loaded = RestrictedUnpickler(bytes.fromhex(data), calls).load()
    results[name] = {"shape": shape(loaded), "calls": sorted(set(calls))}
print(json.dumps(results))
