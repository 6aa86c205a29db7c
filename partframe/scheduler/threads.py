"""The threaded scheduler: the caller's thread, helped by others when it pays.

:func:`get_threads` runs :func:`partframe.scheduler.local.get_async` with
the caller as a worker: when it asks for a result and none is ready, it runs
a queued batch itself. Helper threads take a queued batch only once the
caller's current batch has run ``_PARALLEL_SECONDS`` per task: its tasks
are slow, and so likely are the queued ones (``get_async`` sends slow tasks
one per batch, quick ones many per batch). A graph that mixes quick steps
with slow ones (samples, then big splits) gets help exactly for the slow
ones.

Why: tasks of a millisecond or so are mostly Python-level pandas overhead,
which holds the GIL. Two threads running them take longer than one, so
small queries run on the caller's thread alone, with no hand-off per batch.
Longer tasks spend their time in numpy, Arrow or I/O, which release the
GIL, and there every thread works.

Helper threads are shared by all computations of the process and started
on first need, so a query does not pay for starting and joining threads;
a helper idle for ``_IDLE_SECONDS`` exits, so nothing lingers after the work
is done. They are daemons: one stuck in a task cannot keep the interpreter
alive. After an error or Ctrl-C, helpers finish at most the task they are
running; queued batches are dropped.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from typing import Any

from ..graph import Graph
from .local import Batch, Report, get_async, num_workers_default, run_batch

__all__ = ["get_threads"]

# Helpers take work only from tasks at least this long (see module docstring).
_PARALLEL_SECONDS = 0.002
# A helper with nothing to do for this long, while no computation runs, exits.
_IDLE_SECONDS = 2.0
# While tasks are quick, helpers look for a slow one this often (instead of
# being woken at every batch, which costs GIL hand-offs).
_LOOK_SECONDS = 0.02


class _Helpers:
    """Process-wide helper threads serving the active :class:`_Run`s."""

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.runs: list[_Run] = []
        self.threads: set[threading.Thread] = set()
        self.idle = 0  # threads waiting for work
        self.count = 0  # names

    def enlist(self, run: _Run) -> None:
        """Make sure ``run`` can get its helpers (call with ``cond`` held)."""
        if run not in self.runs:
            self.runs.append(run)
        wanted = sum(r.helpers for r in self.runs)
        while len(self.threads) < wanted:
            self.count += 1
            t = threading.Thread(
                target=self._work, name=f"partframe-worker-{self.count}", daemon=True
            )
            self.threads.add(t)
            t.start()
        self.cond.notify_all()

    def _pick(self) -> tuple[_Run | None, float | None]:
        """A run with a batch for a helper now, or the seconds until one
        may have one (``None``: not until something changes)."""
        soonest = None
        for run in self.runs:
            wait = run.wait_for_help()
            if wait == 0.0:
                return run, None
            if wait is not None and (soonest is None or wait < soonest):
                soonest = wait
        return None, soonest

    def _work(self) -> None:
        me = threading.current_thread()
        cond = self.cond
        while True:
            with cond:
                idle_since = time.monotonic()
                while True:
                    run, wait = self._pick()
                    if run is not None:
                        break
                    if self.runs:
                        # a computation is running: stay for its slow tasks
                        idle_since = time.monotonic()
                    left = _IDLE_SECONDS - (time.monotonic() - idle_since)
                    if left <= 0:
                        self.threads.discard(me)
                        return
                    self.idle += 1
                    if wait is None and self.runs:
                        # quick tasks so far: no wake-up call per batch, a
                        # look now and then for a slow one
                        wait = _LOOK_SECONDS
                    cond.wait(left if wait is None else min(wait, left))
                    self.idle -= 1
                batch = run.jobs.popleft()
                run.helping += 1
            try:
                # run_batch reports a task's error as its result
                run.results.put(run_batch(batch, run.stopped))
            finally:
                del batch  # do not hold the last inputs while idle
                with cond:
                    run.helping -= 1

    def after_fork(self) -> None:
        # Threads do not survive fork: start afresh in the child.
        self.cond = threading.Condition(threading.Lock())
        self.runs = []
        self.threads = set()
        self.idle = 0


_HELPERS = _Helpers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_HELPERS.after_fork)


class _Run:
    """One :func:`get_threads` call: its queue of batches and its results."""

    def __init__(self, num_workers: int) -> None:
        self.jobs: deque[Batch] = deque()
        self.results: queue.SimpleQueue[Report] = queue.SimpleQueue()
        self.stopped = [False]
        self.helpers = num_workers - 1
        self.helping = 0
        self.enlisted = False
        self.caller_since: float | None = None  # the caller runs a batch
        self.caller_tasks = 0  # of this many tasks
        self.per_task: float | None = None  # seconds, recent finished batches

    def _maybe_slow(self) -> bool:
        """Worth waking a helper for each batch: tasks not known to be quick.
        (Quick ones get a look every ``_LOOK_SECONDS`` instead.)"""
        return self.per_task is None or self.per_task >= _PARALLEL_SECONDS

    def wait_for_help(self) -> float | None:
        """Seconds until a helper may take a queued batch (0: now), or
        ``None``: not while the queue and the caller stay as they are.

        A helper steps in once the caller's current batch has taken
        ``_PARALLEL_SECONDS`` per task: its tasks are slow, and so likely
        are the queued ones (a batch holds either one slow task or many
        quick ones, see ``get_async``).
        """
        # Read once: the caller clears it when its batch ends, without the
        # helpers' lock (a helper deciding then would compute with None).
        since = self.caller_since
        if (
            not self.jobs
            or since is None
            or self.helping >= self.helpers
            or self.stopped[0]
        ):
            return None
        due = _PARALLEL_SECONDS * self.caller_tasks
        left = due - (time.perf_counter() - since)
        if left <= 0:
            return 0.0
        # quick tasks so far: no timed wake-up (the helper looks now and
        # then); else wake up when help would be due
        return left if self._maybe_slow() else None

    def submit(self, batch: Batch) -> None:
        self.jobs.append(batch)  # deque.append is atomic

    def poll(self, timeout: float) -> Report | None:
        try:
            report = self.results.get_nowait()
        except queue.Empty:
            report = None
        if report is None:
            batch = self._take()
            if batch is not None:
                try:
                    report = run_batch(batch, self.stopped)
                finally:
                    self.caller_since = None
                del batch
            else:
                try:
                    report = self.results.get(timeout=timeout)
                except queue.Empty:
                    return None
        results, seconds = report
        if results:
            t = seconds / len(results)
            old = self.per_task
            self.per_task = t if old is None else 0.5 * (old + t)
        return report

    def _take(self) -> Batch | None:
        helpers = _HELPERS
        with helpers.cond:
            if not self.jobs:
                return None
            batch = self.jobs.popleft()
            self.caller_since = time.perf_counter()
            self.caller_tasks = len(batch)
            if self.jobs and self.helpers:
                if not self.enlisted:
                    self.enlisted = True
                    helpers.enlist(self)
                elif helpers.idle and self._maybe_slow():
                    helpers.cond.notify()  # a helper starts its clock
            return batch

    def stop(self, wait: bool) -> None:
        if not wait:
            self.stopped[0] = True  # helpers: start nothing more
        if self.enlisted:
            with _HELPERS.cond:
                self.jobs.clear()
                if self in _HELPERS.runs:
                    _HELPERS.runs.remove(self)


def get_threads(
    dsk: Graph, keys: Any, num_workers: int | None = None, **kwargs: Any
) -> Any:
    """Run the graph on the caller's thread and, for slow tasks, on others.

    Parameters
    ----------
    dsk : dict
        The task graph.
    keys : key or nested list of keys
        What to return; the result has the same nesting.
    num_workers : int, optional
        Tasks run at once: the caller's thread and up to ``num_workers - 1``
        helper threads; default ``config.get("num_workers")`` or the CPU
        count.
    **kwargs
        ``callbacks``, ``fuse``: see :func:`partframe.scheduler.local.get_async`.

    Examples
    --------
    >>> from operator import add
    >>> get_threads({"a": 1, "b": (add, "a", 1), "c": (add, "a", 2)}, ["b", "c"])
    [2, 3]
    """
    n = num_workers_default(num_workers)
    run = _Run(n)
    ok = False
    try:
        result = get_async(run.submit, run.poll, n, dsk, keys, **kwargs)
        ok = True
        return result
    finally:
        # After an error or Ctrl-C do not wait for running tasks: helpers
        # drop everything queued and finish at most their current task.
        run.stop(wait=ok)
