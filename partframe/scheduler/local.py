"""The local scheduler: one loop over any way of running batches of tasks.

``get_async(submit, num_workers, dsk, keys)`` owns all scheduling state, on
the caller's thread:

- ``waiting[key]``: how many inputs of ``key`` are not computed yet;
- ``ready``: a heap of ``(priority, key)`` whose inputs are all computed,
  ranked by :func:`partframe.graph.order` so reductions finish depth-first;
- ``cache``: computed values still needed by someone;
- ``remaining[key]``: dependents of ``key`` not finished yet. When it drops
  to zero the value leaves ``cache`` (unless it was requested), so memory
  follows the frontier of the computation, not the size of the graph.

Workers never see this state. ``submit(batch, report)`` runs a list of
``(key, task, inputs)`` somewhere and later calls ``report(results)`` with
``(key, value, error)`` triples; a thread pool, a process pool and the
caller's own thread (``sync``) are three small ``submit`` functions.
Batching many small tasks into one submission is what keeps the cost per
task low.
"""

from __future__ import annotations

import heapq
import os
import queue
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from .. import config
from ..callbacks import (
    Callback,
    ComputeFinish,
    ComputeStart,
    TaskFinish,
    TaskStart,
    active_callbacks,
)
from ..graph import (
    cull,
    execute_task,
    flatten_keys,
    fuse_linear,
    get_dependents,
    istask,
    order,
)

__all__ = ["get_async", "get_sync", "get_threads", "pack_results", "prepare_graph"]

Batch = list  # list of (key, task, inputs)


def run_batch(batch: Batch) -> list:
    """Run ``(key, task, inputs)`` items; return ``(key, value, error)`` items.

    A failing task stops the batch: later items are reported as not run
    (``None`` error and a sentinel value) so the scheduler can retry nothing
    and raise the first error.
    """
    out = []
    for key, task, inputs in batch:
        try:
            out.append((key, execute_task(task, inputs), None))
        except BaseException as exc:
            out.append((key, None, exc))
            break
    return out


def prepare_graph(dsk: dict, keys: Any, fuse: bool | None = None) -> tuple[dict, dict]:
    """Cull ``dsk`` to ``keys`` and (by default) fuse linear chains."""
    dsk, deps = cull(dsk, keys)
    if fuse is None:
        fuse = config.get("fuse")
    if fuse:
        dsk, deps = fuse_linear(dsk, flatten_keys(keys), deps)
    return dsk, deps


def pack_results(keys: Any, values: dict) -> Any:
    """Arrange ``values`` in the (nested) shape of ``keys``."""
    if type(keys) is list:
        return [pack_results(k, values) for k in keys]
    return values[keys]


def _add_note(exc: BaseException, key: Hashable) -> None:
    note = f"partframe: raised by task {key!r}"
    if isinstance(key, tuple) and len(key) > 1 and isinstance(key[1], int):
        note += f" (partition {key[1]} of {key[0]!r})"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)


def get_async(
    submit: Callable[[Batch, Callable[[list], None]], None],
    num_workers: int,
    dsk: dict,
    keys: Any,
    callbacks: Iterable[Callback] = (),
    fuse: bool | None = None,
    poll: Callable[[float], list | None] | None = None,
    on_interrupt: Callable[[], None] | None = None,
) -> Any:
    """Run ``dsk`` to compute ``keys`` using ``submit``; see the module doc.

    ``poll(timeout)`` returns the next list of results or ``None`` on
    timeout; when ``None`` is passed, results are collected from a queue that
    ``submit``'s ``report`` fills. The loop wakes at least every 0.1 s so
    Ctrl-C is noticed promptly.
    """
    cbs = active_callbacks(callbacks)
    dsk, deps = prepare_graph(dsk, keys, fuse)
    requested = set(flatten_keys(keys))
    dependents = get_dependents(deps)
    ntasks = len(dsk)
    priority = order(dsk, deps)

    results_q: queue.SimpleQueue = queue.SimpleQueue()
    if poll is None:
        report = results_q.put

        def poll(timeout: float) -> list | None:
            try:
                return results_q.get(timeout=timeout)
            except queue.Empty:
                return None

    else:
        report = None  # type: ignore[assignment]

    cache: dict = {}
    waiting = {k: len(v) for k, v in deps.items()}
    remaining = {k: len(v) for k, v in dependents.items()}
    ready: list = []
    ndone = 0
    inflight = 0
    error: BaseException | None = None

    for cb in cbs:
        cb.on_start(ComputeStart(ntasks, list(requested)))

    def finish(key: Hashable, value: Any) -> None:
        nonlocal ndone
        cache[key] = value
        ndone += 1
        for d in deps[key]:
            remaining[d] -= 1
            if remaining[d] == 0 and d not in requested:
                del cache[d]
        for dep in dependents[key]:
            waiting[dep] -= 1
            if waiting[dep] == 0:
                heapq.heappush(ready, (priority[dep], dep))
        if cbs:
            event = TaskFinish(key, ndone, ntasks)
            for cb in cbs:
                cb.on_task_finish(event)

    for k, n in waiting.items():
        if n == 0:
            heapq.heappush(ready, (priority[k], k))

    capacity = max(1, num_workers) * 2
    try:
        while ndone < ntasks:
            # Values that are not tasks (literals, aliases) need no worker.
            while ready and inflight < capacity:
                n = len(ready)
                size = max(1, min(n // capacity, 256)) if n > capacity else 1
                batch = []
                while ready and len(batch) < size:
                    _, key = heapq.heappop(ready)
                    task = dsk[key]
                    if not istask(task) and type(task) is not list:
                        if type(task) in (str, tuple) and task in cache:
                            finish(key, cache[task])
                        else:
                            finish(key, task)
                        continue
                    inputs = {d: cache[d] for d in deps[key]}
                    batch.append((key, task, inputs))
                    if cbs:
                        for cb in cbs:
                            cb.on_task_start(TaskStart(key))
                if batch:
                    inflight += 1
                    submit(batch, report)
            if ndone >= ntasks:
                break
            if inflight == 0:
                raise RuntimeError("partframe scheduler stalled: no task ready")
            results = poll(0.1)
            if results is None:
                continue
            inflight -= 1
            for key, value, exc in results:
                if exc is not None:
                    _add_note(exc, key)
                    raise exc
                finish(key, value)
    except BaseException as exc:
        error = exc
        if isinstance(exc, KeyboardInterrupt) and on_interrupt is not None:
            on_interrupt()
        raise
    finally:
        for cb in cbs:
            cb.on_finish(ComputeFinish(ntasks, ndone, error))
    return pack_results(keys, cache)


def _sync_submit(batch: Batch, report: Callable[[list], None]) -> None:
    report(run_batch(batch))


def get_sync(dsk: dict, keys: Any, **kwargs: Any) -> Any:
    """Run the graph on the calling thread, one task at a time.

    Examples
    --------
    >>> from operator import mul
    >>> get_sync({"a": 3, "b": (mul, "a", 2)}, "b")
    6
    """
    kwargs.pop("num_workers", None)
    pending: list = []

    def poll(timeout: float) -> list | None:
        return pending.pop() if pending else None

    return get_async(
        lambda batch, report: pending.append(run_batch(batch)),
        1,
        dsk,
        keys,
        poll=poll,
        **kwargs,
    )


class _ThreadPool:
    """Daemon worker threads pulling batches from one queue."""

    def __init__(self, num_workers: int) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [
            threading.Thread(
                target=self._work, name=f"partframe-worker-{i}", daemon=True
            )
            for i in range(num_workers)
        ]
        for t in self.threads:
            t.start()

    def _work(self) -> None:
        jobs = self.jobs
        while True:
            item = jobs.get()
            if item is None:
                return
            batch, report = item
            report(run_batch(batch))

    def submit(self, batch: Batch, report: Callable[[list], None]) -> None:
        self.jobs.put((batch, report))

    def shutdown(self, wait: bool = True, timeout: float = 1.0) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        if wait:
            for t in self.threads:
                t.join(timeout)


def get_threads(
    dsk: dict, keys: Any, num_workers: int | None = None, **kwargs: Any
) -> Any:
    """Run the graph on a pool of threads (``num_workers``: default all cores).

    Examples
    --------
    >>> from operator import add
    >>> get_threads({"a": 1, "b": (add, "a", 1), "c": (add, "a", 2)}, ["b", "c"])
    [2, 3]
    """
    n = num_workers or config.get("num_workers") or os.cpu_count() or 1
    pool = _ThreadPool(n)
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        interrupted = True

    try:
        return get_async(pool.submit, n, dsk, keys, on_interrupt=on_interrupt, **kwargs)
    finally:
        # After Ctrl-C, do not wait for a long task: the threads are daemons
        # and exit when their current batch ends.
        pool.shutdown(wait=not interrupted)
