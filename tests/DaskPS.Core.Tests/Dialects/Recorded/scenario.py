"""The client side of the recordings in this folder. usage: scenario.py tcp://HOST:PORT"""
import operator, sys, time
import distributed
from distributed import Client
c = Client(sys.argv[1], timeout=30)
c.wait_for_workers(2, timeout=30)
info = c.scheduler_info()["workers"]
wa = [a for a, w in info.items() if w["name"] == "workerA"][0]
wb = [a for a, w in info.items() if w["name"] == "workerB"][0]
print("distributed", distributed.__version__, "A", wa, "B", wb, flush=True)
def mark(n): print(f"--- {n} t={time.time():.3f}", flush=True); time.sleep(0.3)

def slow(x, t=0.3):
    import time; time.sleep(t); return x

mark("S1 graph with dependencies (Client.get)")
print("S1", c.get({"a": (operator.add, 1, 2), "b": (operator.mul, 2, 5), "c": (max, "a", "b")}, "c"))
mark("S2 worker restrictions A/B, dependency across workers (get_data)")
fa = c.submit(operator.add, 1, 2, key="a2", workers=[wa])
fb = c.submit(operator.mul, 2, 5, key="b2", workers=[wb])
fc = c.submit(max, fa, fb, key="c2", workers=[wa])
print("S2", c.gather([fc]))
mark("S3 resource restriction GPU=1 (only workerB has it)")
fr = c.submit(operator.add, 10, 5, key="r3", resources={"GPU": 1})
print("S3", fr.result(), c.who_has([fr]))
mark("S4 scatter, who_has, replicate, gather")
[fs] = c.scatter([41], workers=[wa])
print("S4 who_has", c.who_has([fs]))
c.replicate([fs], n=2)
print("S4 who_has after replicate", c.who_has([fs]))
fd = c.submit(operator.add, fs, 1, key="d4")
print("S4 gather", c.gather([fs, fd]))
mark("S5 erring task with retries=2")
fe = c.submit(operator.truediv, 1, 0, key="boom5", retries=2)
try: fe.result()
except ZeroDivisionError as e: print("S5 got", repr(e))
mark("S6 work stealing: 12 slow tasks pinned loosely to A")
fs6 = [c.submit(slow, i, 0.4, key=f"steal6-{i}", workers=[wa], allow_other_workers=True) for i in range(12)]
print("S6", sum(c.gather(fs6)))
mark("S7 cancel a running/queued task")
fk = c.submit(slow, 1, 3, key="cancel7")
time.sleep(0.5)
c.cancel([fk])
time.sleep(0.5)
print("S7 status", fk.status)
mark("S8 release futures (free-keys / release-worker-data)")
del fa, fb, fc, fr, fd, fe, fs6
time.sleep(1.0)
mark("S9 idle for heartbeats")
time.sleep(2.5)
c.close()
print("done", flush=True)
