"""Delayed objects on a distributed.Client: its API and partframe's."""

from __future__ import annotations

import operator

import pytest

import partframe
from partframe import Callback, delayed

pytest.importorskip("distributed", reason="the distributed extra is not installed")


def inc(x):
    return x + 1


def boom(x):
    raise KeyError(f"missing {x}")


def compute_here(obj):
    """Runs on a worker: the delayed object arrives intact and computes there."""
    return obj.compute(scheduler="sync")


def test_client_compute(client):
    a = delayed(inc)(1)
    b = a * 10
    assert client.compute(b).result() == 20
    fa, fb = client.compute([a, b])
    assert client.gather([fa, fb]) == [2, 20]
    assert client.compute(b, sync=True) == 20


def test_client_compute_containers(client):
    a = delayed(inc)(1)
    (f,) = client.compute([delayed([a, {"k": a}])])
    assert f.result() == [2, {"k": 2}]


def test_client_persist(client):
    a = delayed(inc)(1) + 5
    p = client.persist(a)
    assert type(p) is type(a) and p.key == a.key
    (value,) = p.__dask_graph__().values()
    assert type(value).__name__ == "Future"
    assert client.compute(p).result() == 7
    assert (p * 2).compute(scheduler=client) == 14
    p2, p3 = client.persist([a, a + 1])
    assert client.gather(client.compute([p2, p3])) == [7, 8]


def test_client_submit_and_gather(client):
    a = delayed(inc)(1)
    # distributed hands collections given to submit over as data: the object
    # must pickle and tokenize, and can compute where it lands.
    f = client.submit(compute_here, a)
    assert f.result() == 2
    assert client.submit(compute_here, a).key == f.key  # pure: same key
    # A future of a delayed value feeds submit like any other future.
    g = client.submit(inc, client.compute(a))
    h = client.submit(operator.add, g, client.compute(a + 1))
    assert client.gather([g, h]) == [3, 6]


def test_partframe_compute_on_client(client):
    a = delayed(inc)(1)
    b = delayed(operator.mul)(a, 3)
    assert partframe.compute(a, b, "x", scheduler=client) == (2, 6, "x")
    assert partframe.compute({"b": [b]}, scheduler=client) == ({"b": [6]},)
    assert b.compute(scheduler=client) == 6
    with partframe.config.set(scheduler=client):
        assert b.compute() == 6


def test_partframe_persist_on_client(client):
    a = delayed(inc)(1) + 1
    (p,) = partframe.persist(a, scheduler=client)
    assert type(next(iter(p.__dask_graph__().values()))).__name__ == "Future"
    assert p.compute(scheduler=client) == 3
    assert p.compute(scheduler="sync") == 3  # futures resolve locally too


def test_errors_on_client(client):
    with pytest.raises(KeyError, match="missing 5"):
        delayed(boom)(5).compute(scheduler=client)
    with pytest.raises(KeyError, match="missing 6"):
        partframe.compute(
            delayed(inc)(delayed(boom)(6)), scheduler=client, callbacks=[Callback()]
        )


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_start(self, event):
        self.events.append(("start", event.ntasks))

    def on_task_start(self, event):
        self.events.append(("task_start", event.key))

    def on_task_finish(self, event):
        self.events.append(("finish", event.ndone, event.ntasks))

    def on_finish(self, event):
        self.events.append(("end", event.ndone, event.error))


def test_callbacks_on_client(client):
    xs = [delayed(inc)(i) for i in range(5)]
    total = delayed(sum)(xs)
    rec = Recorder()
    assert partframe.compute(total, scheduler=client, callbacks=[rec]) == (15,)
    assert rec.events[0] == ("start", 6)
    finishes = [e for e in rec.events if e[0] == "finish"]
    assert [e[1] for e in finishes] == [1, 2, 3, 4, 5, 6]
    assert rec.events[-1] == ("end", 6, None)
    assert not any(e[0] == "task_start" for e in rec.events)
    with Recorder() as rec2:
        assert total.compute(scheduler=client) == 15
    assert rec2.events[-1] == ("end", 6, None)


def _slow_value(x: int) -> int:
    import time

    time.sleep(1.3)  # longer than the adapter's 1 s wait between checks
    return x + 1


def _own_timeout(x: int) -> int:
    raise TimeoutError(f"the task's own timeout {x}")


def test_tasks_slower_than_the_wait_interval_return_their_values(client):
    """Waiting is separate from the result: a task finishing around the
    adapter's wait interval returns its value, never a TimeoutError."""
    values = [delayed(_slow_value)(i) for i in range(3)]
    assert partframe.compute(*values, scheduler=client) == (1, 2, 3)


def test_a_task_raising_timeout_error_raises_it(client):
    with pytest.raises(TimeoutError, match="the task's own timeout 7"):
        delayed(_own_timeout)(7).compute(scheduler=client)
