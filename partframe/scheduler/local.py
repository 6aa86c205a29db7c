"""The local scheduler: one loop over any way of running batches of tasks.

``get_async(submit, poll, num_workers, dsk, keys)`` owns all scheduling state,
on the caller's thread:

- ``waiting[key]``: how many inputs of ``key`` are not computed yet;
- ``ready``: a heap of ``(priority, key)`` whose inputs are all computed,
  ranked by :func:`partframe.graph.order` so reductions finish depth-first;
- ``cache``: computed values still needed by someone;
- ``remaining[key]``: dependents of ``key`` not finished yet. When it drops
  to zero the value leaves ``cache`` (unless it was requested), so memory
  follows the frontier of the computation, not the size of the graph.

Workers never see this state. ``submit(batch)`` hands a list of
``(key, task, inputs)`` to a worker; ``poll(timeout)`` returns the next
finished batch as ``(results, seconds)`` with ``(key, value, error)``
results, or ``None`` after ``timeout`` seconds. Threads
(:mod:`partframe.scheduler.threads`), a process pool
(:mod:`partframe.scheduler.processes`) and the caller's own thread (``sync``)
are three small pairs of these functions.

Batching keeps the cost per task low: when tasks are quick, many ready tasks
travel in one submission; when they are slow (more than ``_BATCH_SECONDS``
each) they go one by one, so the priorities still decide what is in memory
and slow tasks are spread over the workers. Seconds per task are estimated
per task group (the name in a ``(name, i)`` key, as Dask's scheduler groups
tasks): a plan mixes quick tasks (getitems of shuffle pieces) with slow ones
(a Python function per group), and one estimate for all would send a run of
slow tasks as one batch to one worker. A group not seen yet counts as slow
until its first batch reports.

The loop waits at most ``_POLL_SECONDS`` at a time, so Ctrl-C is handled
promptly. On any error or interrupt it raises at once and submits nothing
more; the wrappers then stop their workers without waiting for long tasks.
"""

from __future__ import annotations

import heapq
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

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
    Graph,
    Key,
    add_task_note,
    cull,
    execute_task,
    flatten_keys,
    fuse_linear,
    get_dependents,
    order,
)

__all__ = [
    "execute",
    "get_async",
    "get_sync",
    "num_workers_default",
    "pack_results",
    "prepare_graph",
    "run_batch",
]

#: One task for a worker: its key, the task and the values of its inputs.
BatchItem: TypeAlias = tuple[Key, Any, dict[Key, Any]]
#: Tasks handed to a worker at once.
Batch: TypeAlias = list[BatchItem]
#: One task's outcome: its key, its value and the error it raised (or None).
TaskResult: TypeAlias = tuple[Key, Any, BaseException | None]
#: A finished batch: its results and the seconds it took.
Report: TypeAlias = tuple[list[TaskResult], float]

_POLL_SECONDS = 0.1
# A batch should take about this long: long enough to hide the hand-off cost
# (tens of microseconds), short enough to keep workers balanced.
_BATCH_SECONDS = 0.002
_MAX_BATCH = 512
# Seconds per task assumed for a task group before any of its tasks report.
_SLOW = _BATCH_SECONDS
_CONTAINERS = (tuple, list, set, frozenset)


def _group(name: Any) -> Any:
    """The task group of a key name: the name without its ``-token`` tail
    (``"getitem-9f2c"`` and ``"getitem-77aa"`` are one group, as in Dask's
    ``key_split``), for estimating seconds per task.

    Examples
    --------
    >>> _group("read_parquet-5ee1f0"), _group("total"), _group(3)
    ('read_parquet', 'total', 3)
    """
    return name.split("-", 1)[0] if type(name) is str else name


def num_workers_default(num_workers: int | None = None) -> int:
    """``num_workers``, else ``config.get("num_workers")``, else the CPU count.

    Examples
    --------
    >>> num_workers_default(3)
    3
    """
    n = num_workers or config.get("num_workers") or os.cpu_count() or 1
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"num_workers must be a positive integer, not {n!r}")
    return n


def execute(task: Any, data: Graph) -> Any:
    """Evaluate ``task`` with the values of its input keys taken from ``data``.

    :func:`partframe.graph.execute_task` with a fast path for the common flat
    task ``(func, *args)`` whose arguments are keys and plain literals.

    Examples
    --------
    >>> from operator import add
    >>> execute((add, "x", (add, 1, 2)), {"x": 10})
    13
    >>> execute(["x", ("y", 0)], {"x": 1, ("y", 0): 2})
    [1, 2]
    """
    if type(task) is tuple and task and callable(task[0]):
        args = []
        for a in task[1:]:
            typ = type(a)
            if typ is str:
                try:
                    args.append(data[a])
                except KeyError:
                    args.append(a)
            elif typ is tuple or typ is list or typ is set or typ is frozenset:
                if typ is tuple:
                    try:
                        args.append(data[a])
                        continue
                    except (KeyError, TypeError):
                        pass
                return execute_task(task, data)
            else:
                args.append(a)
        return task[0](*args)
    return execute_task(task, data)


def run_batch(batch: Batch, stopped: list[bool] | None = None) -> Report:
    """Run ``(key, task, inputs)`` items; return ``(results, seconds)``.

    ``results`` holds ``(key, value, error)``. A failing task ends the batch
    and sets ``stopped[0]``; a true ``stopped[0]`` ends every batch that
    shares it: the scheduler raises the first error and runs nothing more.
    Items are dropped from ``batch`` as they run so that their inputs can be
    freed early.

    Examples
    --------
    >>> from operator import add
    >>> results, seconds = run_batch([("b", (add, "a", 1), {"a": 1})])
    >>> results
    [('b', 2, None)]
    """
    out: list[TaskResult] = []
    start = time.perf_counter()
    batch.reverse()
    while batch:
        if stopped is not None and stopped[0]:
            break
        key, task, inputs = batch.pop()
        try:
            out.append((key, execute(task, inputs), None))
        except BaseException as exc:  # also SystemExit: a worker must report
            if stopped is not None:
                stopped[0] = True  # other workers: start nothing more
            out.append((key, None, exc))
            break
    return out, time.perf_counter() - start


def prepare_graph(
    dsk: Graph, keys: Any, fuse: bool | None = None
) -> tuple[dict[Key, Any], dict[Key, set[Key]]]:
    """Cull ``dsk`` to ``keys`` and (by default) fuse linear chains.

    Examples
    --------
    >>> from operator import neg
    >>> dsk, deps = prepare_graph({"a": 1, "b": (neg, "a"), "c": 0}, "b", fuse=False)
    >>> sorted(dsk), deps["b"]
    (['a', 'b'], {'a'})
    """
    dsk, deps = cull(dsk, keys)
    if fuse is None:
        fuse = config.get("fuse")
    if fuse:
        dsk, deps = fuse_linear(dsk, flatten_keys(keys), deps)
    return dsk, deps


def pack_results(keys: Any, values: Graph) -> Any:
    """Arrange ``values`` in the (nested) shape of ``keys``.

    Examples
    --------
    >>> pack_results(["a", ["b", "a"]], {"a": 1, "b": 2})
    [1, [2, 1]]
    """
    if type(keys) is list:
        return [pack_results(k, values) for k in keys]
    return values[keys]


def get_async(
    submit: Callable[[Batch], None],
    poll: Callable[[float], Report | None],
    num_workers: int,
    dsk: Graph,
    keys: Any,
    callbacks: Iterable[Callback] = (),
    fuse: bool | None = None,
) -> Any:
    """Run ``dsk`` to compute ``keys`` with ``submit`` and ``poll``.

    See the module docstring for the protocol. At most ``2 * num_workers``
    batches are submitted and not yet reported at any time.

    Parameters
    ----------
    submit : callable
        ``submit(batch)`` starts running a list of ``(key, task, inputs)``.
    poll : callable
        ``poll(timeout)`` returns ``(results, seconds)`` of one finished batch,
        or ``None`` if none finished within ``timeout`` seconds.
    num_workers : int
        How many batches can run at once.
    dsk : dict
        The task graph.
    keys : key or nested list of keys
        What to return; the result has the same nesting.
    callbacks : iterable of Callback
        Listeners for this call, on top of those registered with ``with``.
    fuse : bool, optional
        Fuse linear chains first; default ``config.get("fuse")``.

    Examples
    --------
    >>> from collections import deque
    >>> from operator import add
    >>> todo = deque()
    >>> def poll(timeout):
    ...     return run_batch(todo.popleft()) if todo else None
    >>> get_async(todo.append, poll, 1, {"a": 1, "b": (add, "a", 1)}, ["b"])
    [2]
    """
    # One function on purpose: the loop below runs once per task, and its
    # state (cache, counters, the ready heap) lives in local variables and
    # one closure, which is what keeps the scheduler's per-task overhead
    # low; the steps are marked by comments instead of split into methods.
    cbs = active_callbacks(callbacks)
    dsk, deps = prepare_graph(dsk, keys, fuse)
    requested = set(flatten_keys(keys))
    dependents = get_dependents(deps)
    priority = order(dsk, deps)
    ntasks = len(dsk)

    cache: dict[Key, Any] = {}
    waiting = {k: len(v) for k, v in deps.items()}
    remaining = {k: len(v) for k, v in dependents.items()}
    ready = [(priority[k], k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ndone = 0
    inflight = 0
    num_workers = max(1, num_workers)
    capacity = 2 * num_workers
    # running estimate of seconds per task, per task group (see _group)
    per_task: dict[Any, float] = {}
    group_of: dict[Any, Any] = {}  # key name -> task group
    batch_groups: dict[Key, set[Any]] = {}  # first key of a batch -> its groups
    error: BaseException | None = None
    heappush = heapq.heappush
    heappop = heapq.heappop

    for cb in cbs:
        cb.on_start(ComputeStart(ntasks, list(requested)))

    def finish(key: Key, value: Any) -> None:
        # Record a value, free inputs nobody needs any more, wake dependents.
        nonlocal ndone
        cache[key] = value
        ndone += 1
        for d in deps[key]:
            n = remaining[d] - 1
            remaining[d] = n
            if n == 0 and d not in requested:
                del cache[d]
        for d in dependents[key]:
            n = waiting[d] - 1
            waiting[d] = n
            if n == 0:
                heappush(ready, (priority[d], d))
        if cbs:
            event = TaskFinish(key, ndone, ntasks)
            for cb in cbs:
                cb.on_task_finish(event)

    try:
        while ndone < ntasks:
            while ready and inflight < capacity:
                # Quick tasks travel in batches of about _BATCH_SECONDS; the
                # ready tasks are spread over the workers only when there is
                # enough work for that to pay off. A batch ends before a task
                # that would take it past _BATCH_SECONDS (a slow one).
                key = ready[0][1]
                name = key[0] if type(key) is tuple else key
                group = group_of.get(name)
                if group is None:
                    group = group_of[name] = _group(name)
                est = per_task.get(group, _SLOW)
                size = min(int(_BATCH_SECONDS / est) or 1, _MAX_BATCH)
                if len(ready) * est > _BATCH_SECONDS:
                    size = min(size, len(ready) // num_workers or 1)
                batch: Batch = []
                groups: set[Any] = set()
                spent = 0.0
                while ready and len(batch) < size:
                    key = ready[0][1]
                    name = key[0] if type(key) is tuple else key
                    group = group_of.get(name)
                    if group is None:
                        group = group_of[name] = _group(name)
                    spent += per_task.get(group, _SLOW)
                    if batch and spent > _BATCH_SECONDS:
                        break
                    heappop(ready)
                    task = dsk[key]
                    if cbs:
                        for cb in cbs:
                            cb.on_task_start(TaskStart(key))
                    typ = type(task)
                    if typ is str:
                        # An alias of another key, or a literal string.
                        finish(key, cache[task] if deps[key] else task)
                    elif (
                        typ is tuple
                        and len(deps[key]) == 1
                        and task == next(iter(deps[key]))
                    ):
                        finish(key, cache[task])  # an alias
                    elif typ in _CONTAINERS:
                        # A task, or a container that may hold keys or tasks.
                        batch.append((key, task, {d: cache[d] for d in deps[key]}))
                        groups.add(group)
                    else:
                        finish(key, task)  # a literal: no worker needed
                if batch:
                    inflight += 1
                    batch_groups[batch[0][0]] = groups
                    submit(batch)
                    del batch  # the worker owns the inputs now
            if ndone >= ntasks:
                break
            if inflight == 0:
                raise RuntimeError(
                    "partframe scheduler stalled: no task is ready or running "
                    "(does the graph have a cycle?)"
                )
            report = poll(_POLL_SECONDS)
            if report is None:
                continue
            inflight -= 1
            results, seconds = report
            report = None
            if results:
                # Quick to rise, slow to fall: one slow task (a file read)
                # keeps batches small, so slow outputs are not piled up. A
                # batch mixing groups gives its mean to each of them.
                t = seconds / len(results)
                for group in batch_groups.pop(results[0][0], ()):
                    old = per_task.get(group)
                    per_task[group] = max(t, 0.9 * old if old else 0.0, 1e-7)
            if cbs:
                for key, value, exc in results:
                    if exc is not None:
                        add_task_note(exc, key)
                        raise exc
                    finish(key, value)
            else:
                # finish() inlined: this is the hot path.
                for key, value, exc in results:
                    if exc is not None:
                        add_task_note(exc, key)
                        raise exc
                    cache[key] = value
                    for d in deps[key]:
                        n = remaining[d] - 1
                        remaining[d] = n
                        if n == 0 and d not in requested:
                            del cache[d]
                    for d in dependents[key]:
                        n = waiting[d] - 1
                        waiting[d] = n
                        if n == 0:
                            heappush(ready, (priority[d], d))
                ndone += len(results)
            del results
            value = None
    except BaseException as exc:
        error = exc
        raise
    finally:
        for cb in cbs:
            cb.on_finish(ComputeFinish(ntasks, ndone, error))
        del error
    return pack_results(keys, cache)


def get_sync(dsk: Graph, keys: Any, **kwargs: Any) -> Any:
    """Run the graph on the calling thread, one batch at a time.

    Deterministic and easy to debug: a failing task raises with the caller's
    stack around it, and ``pdb`` works inside tasks.

    Examples
    --------
    >>> from operator import mul
    >>> get_sync({"a": 3, "b": (mul, "a", 2)}, "b")
    6
    """
    kwargs.pop("num_workers", None)
    batches: deque[Batch] = deque()

    def poll(timeout: float) -> Report | None:
        # Run a batch only when asked for results: the scheduler sees each
        # result (or error, or Ctrl-C) before anything else runs.
        return run_batch(batches.popleft()) if batches else None

    return get_async(batches.append, poll, 1, dsk, keys, **kwargs)
