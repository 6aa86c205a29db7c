"""The ``processes`` scheduler: :func:`get_async` over a pool of processes.

For tasks that hold the GIL (pure Python user functions). Tasks and their
inputs travel to the workers with cloudpickle (so lambdas and functions
defined in ``__main__`` work); results and exceptions come back the same way.

The pool belongs to one call: it starts when the call starts and is gone
when it returns, raises or is interrupted, so nothing is left behind.
Workers are started by a ``forkserver`` (``spawn`` where there is none),
never by a plain ``fork`` of a process that may run threads; the fork server
preloads partframe and pandas, so a worker is ready in a few milliseconds
(the first call in a process also starts the server, which takes longer).
As with any ``spawn``-like start, a script that uses this scheduler needs an
``if __name__ == "__main__":`` guard: a worker imports the main module again
while it starts, and a script computing at module level would start a pool
from inside that import, which multiprocessing refuses. A worker marks the
end of its start-up in shared memory, so one that ends before is reported as
ending while starting, with that fix named when the main module is a script.

Each worker has one duplex pipe and receives a batch only when idle, so a
large input can never deadlock against a large result. The parent waits on
the pipes and on the workers' process sentinels together: a worker that
dies (a signal, ``os._exit``, the out-of-memory killer) is noticed at once
and reported as :class:`WorkerDiedError` naming the task it was running,
which the worker marks in shared memory before each task.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import signal
import sys
import time
import traceback
from collections import deque
from multiprocessing.connection import wait
from typing import Any, NoReturn

import cloudpickle

from ..graph import Graph, Key, add_task_note
from .local import (
    Batch,
    Report,
    TaskResult,
    execute,
    get_async,
    num_workers_default,
)

__all__ = ["RemoteTaskError", "WorkerDiedError", "get_processes"]

_PRELOAD = ["partframe.scheduler.processes", "pandas"]
_JOIN_SECONDS = 1.0
# a worker's slot in ``running`` until its start-up is over and it waits
# for tasks (then -1, or the position of the task it runs in its batch)
_STARTING = -2


class WorkerDiedError(RuntimeError):
    """A worker process ended while running a task (killed, crashed, exited)."""


class RemoteTaskError(RuntimeError):
    """A task failed in a worker with an exception that cannot be pickled."""


class _RemoteTraceback(Exception):
    """Carries the worker's formatted traceback as the ``__cause__``."""

    def __str__(self) -> str:
        return str(self.args[0])


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # Takes effect only if the fork server is not running yet.
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _dumps_error(key: Key, exc: BaseException) -> bytes:
    tb = "".join(traceback.format_exception(exc))
    try:
        data = cloudpickle.dumps(exc)
        cloudpickle.loads(data)  # an exception class may not unpickle
    except Exception as why:
        wrapped = RemoteTaskError(
            f"task {key!r} raised {type(exc).__name__}: {exc} "
            f"(the exception could not be pickled: {why!r})"
        )
        data = cloudpickle.dumps(wrapped)
    return pickle.dumps((key, data, tb))


def _worker(conn: Any, running: Any, slot: int) -> None:
    """Run batches from ``conn`` until an empty message or end of file."""
    # Ctrl-C goes to the whole process group; the parent handles it and
    # terminates the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    running[slot] = -1  # started (the main module, if any, imported)
    while True:
        try:
            keys = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if keys is None:
            return
        payload = conn.recv_bytes()
        start = time.perf_counter()
        try:
            items = cloudpickle.loads(payload)
        except BaseException as exc:
            exc.add_note(f"partframe: while unpickling a batch of tasks {keys!r}")
            conn.send_bytes(b"E" + _dumps_error(keys[0], exc))
            continue
        del payload
        out: list[TaskResult] = []
        for i, (key, (task, inputs)) in enumerate(zip(keys, items)):
            running[slot] = i
            items[i] = None
            try:
                out.append((key, execute(task, inputs), None))
            except BaseException as exc:
                conn.send_bytes(b"E" + _dumps_error(key, exc))
                break
            del task, inputs
        else:
            seconds = time.perf_counter() - start
            try:
                data = cloudpickle.dumps((out, seconds))
            except BaseException as exc:
                bad = _find_unpicklable(out)
                exc.add_note(f"partframe: while pickling the result of task {bad!r}")
                conn.send_bytes(b"E" + _dumps_error(bad, exc))
            else:
                del out
                conn.send_bytes(b"R" + data)
                del data
        running[slot] = -1


def _find_unpicklable(results: list[TaskResult]) -> Key:
    for key, value, _ in results:
        try:
            cloudpickle.dumps(value)
        except BaseException:
            return key
    return results[0][0]


class _Worker:
    __slots__ = ("conn", "keys", "process", "slot")

    def __init__(self, ctx: Any, running: Any, slot: int) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_worker,
            args=(child, running, slot),
            name=f"partframe-process-{slot}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.conn = parent
        self.slot = slot
        self.keys: list[Key] | None = None  # the batch it is running


def _main_guard_hint() -> str:
    """Why a worker may end while starting, when the parent runs a script:
    a ``spawn`` or ``forkserver`` child imports the main module again, and
    a script that computes at module level starts a pool from inside that
    import, which multiprocessing refuses (the child exits with code 1)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path:
        return ""
    return (
        f". Each worker imports the main module {path!r} again when it starts "
        "(as every process started by multiprocessing's spawn or forkserver "
        "does), so a script that computes at module level computes again in "
        "each worker, which cannot start processes of its own: put the code "
        'that computes under `if __name__ == "__main__":`, or use '
        'scheduler="threads"'
    )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped"
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _ProcessPool:
    """Worker processes that each run one batch at a time."""

    def __init__(self, num_workers: int) -> None:
        ctx = _context()
        self.running = ctx.RawArray("i", [_STARTING] * num_workers)
        self.workers: list[_Worker] = []
        try:
            for i in range(num_workers):
                self.workers.append(_Worker(ctx, self.running, i))
        except BaseException:
            self.close(ok=False)
            raise
        self.idle = deque(self.workers)
        self.queued: deque[tuple[list[Key], bytes]] = deque()
        self.done: deque[Report] = deque()

    def submit(self, batch: Batch) -> None:
        keys = [key for key, _, _ in batch]
        try:
            payload = cloudpickle.dumps([(task, inputs) for _, task, inputs in batch])
        except BaseException as exc:
            for key, task, inputs in batch:
                try:
                    cloudpickle.dumps((task, inputs))
                except BaseException:
                    exc.add_note(
                        f"partframe: could not pickle task {key!r} or its inputs "
                        "for the processes scheduler"
                    )
                    break
            raise
        batch.clear()
        if self.idle:
            self._send(self.idle.popleft(), keys, payload)
        else:
            self.queued.append((keys, payload))

    def _send(self, worker: _Worker, keys: list[Key], payload: bytes) -> None:
        worker.keys = keys
        try:
            worker.conn.send_bytes(pickle.dumps(keys))
            worker.conn.send_bytes(payload)
        except OSError:
            self._died(worker)

    def poll(self, timeout: float) -> Report | None:
        if not self.done:
            busy = [w for w in self.workers if w.keys is not None]
            if not busy:
                return None
            ready = set(
                wait(
                    [w.conn for w in busy] + [w.process.sentinel for w in busy],
                    timeout,
                )
            )
            for w in busy:
                if w.conn in ready:
                    self._receive(w)
                elif w.process.sentinel in ready:
                    self._died(w)
        return self.done.popleft() if self.done else None

    def _receive(self, worker: _Worker) -> None:
        try:
            msg = worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._died(worker)
        worker.keys = None
        if self.queued:
            self._send(worker, *self.queued.popleft())
        else:
            self.idle.append(worker)
        if msg[:1] == b"R":
            self.done.append(cloudpickle.loads(memoryview(msg)[1:]))
            return
        key, data, tb = pickle.loads(memoryview(msg)[1:])
        try:
            exc = cloudpickle.loads(data)
        except Exception as why:
            exc = RemoteTaskError(f"task {key!r} failed; its error: {why!r}\n{tb}")
        else:
            exc.__cause__ = _RemoteTraceback(tb)
        self.done.append(([(key, None, exc)], 0.0))

    def _died(self, worker: _Worker) -> NoReturn:
        worker.process.join(_JOIN_SECONDS)
        keys = worker.keys or []
        index = self.running[worker.slot]
        key = keys[index] if 0 <= index < len(keys) else (keys or [None])[0]
        how = _describe_exit(worker.process.exitcode)
        if index == _STARTING:
            hint = _main_guard_hint() if worker.process.exitcode == 1 else ""
            exc = WorkerDiedError(
                f"a partframe worker process (pid {worker.process.pid}) {how} "
                f"while starting, before it ran task {key!r}{hint}"
            )
        else:
            exc = WorkerDiedError(
                f"a partframe worker process (pid {worker.process.pid}) {how} "
                f"while running task {key!r}"
            )
        add_task_note(exc, key)
        raise exc

    def close(self, ok: bool) -> None:
        """Stop the workers: politely after success, at once otherwise."""
        for w in self.workers:
            if ok:
                with contextlib.suppress(OSError):
                    w.conn.send_bytes(pickle.dumps(None))
            else:
                w.process.terminate()
        deadline = time.monotonic() + _JOIN_SECONDS
        for w in self.workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.process.is_alive():
                w.process.kill()
                w.process.join(_JOIN_SECONDS)
            w.conn.close()
            if not w.process.is_alive():
                w.process.close()


def get_processes(
    dsk: Graph, keys: Any, num_workers: int | None = None, **kwargs: Any
) -> Any:
    """Run the graph on a pool of worker processes.

    Parameters
    ----------
    dsk : dict
        The task graph; tasks and inputs must be picklable by cloudpickle.
    keys : key or nested list of keys
        What to return; the result has the same nesting.
    num_workers : int, optional
        Processes; default ``config.get("num_workers")`` or the CPU count.
    **kwargs
        ``callbacks``, ``fuse``: see :func:`partframe.scheduler.local.get_async`.

    Raises
    ------
    WorkerDiedError
        When a worker process dies; the message names the task it ran.

    Examples
    --------
    >>> from operator import add
    >>> get_processes({"a": 1, "b": (add, "a", 1)}, ["b", "a"], num_workers=2)
    [2, 1]
    """
    n = num_workers_default(num_workers)
    pool = _ProcessPool(n)
    ok = False
    try:
        result = get_async(pool.submit, pool.poll, n, dsk, keys, **kwargs)
        ok = True
        return result
    finally:
        pool.close(ok)
