"""Worker processes for Python-bound work of tasks run on threads.

A task whose time goes to Python code (a user's function called once per
group by ``groupby.apply``) holds the GIL: on the threads of one process
it uses one core, however many threads run it. :func:`map_calls` computes
``[func(*p) for p in pieces]`` with this thread and worker processes
sharing the pieces: the thread takes them one after the other from a
common queue, and each worker process it may use has a feeder thread that
keeps :data:`PIPELINE_DEPTH` pieces with it (the next one is sent while
it computes one, so it never waits for this process, where a thread
running Python holds the GIL a switch interval at a time) and waits
(without the GIL) for the results. The pieces are taken as they come,
so a slow piece or a worker still starting never holds the others up,
and the results keep the pieces' order.

Workers are only brought in when the work pays for them: an idle worker
that has started at once, others once the first piece has taken
:data:`FEED_AFTER_SECONDS` (cheaper work stays in this thread, and no
process is started); at most ``config.get("num_workers")`` (default the
CPU count) minus one across the concurrent calls of the process, a worker
given back by one call joining another still running; never with
``config.get("offload_processes")`` off. The calls' own threads share one
GIL, so one core: one of them computes a piece at a time (two would only
contend for the GIL, which costs CPU time without adding any).

Workers are ``python -c`` subprocesses, not :mod:`multiprocessing`
children: a ``spawn`` or ``forkserver`` child runs the user's main script
again unless it has an ``if __name__ == "__main__":`` guard, which a user
of the default scheduler never needed, and a plain ``fork`` of a process
running threads can deadlock in the child. A worker gets the caller's
``sys.path``, imports pandas and partframe when it starts (a second or
two, while this thread keeps working: a feeder waits for its worker's
"ready" only while pieces are left), then serves calls one at a time. It
is reused by later calls; the caller closes its socket once it has been
idle for :data:`IDLE_SECONDS` and at interpreter exit, and the worker ends
when its socket closes (so also when the caller dies).

Data. A call and its result travel over a socket pair, pickled with
cloudpickle (protocol 5) with their large buffers out of band: an array's
memory is written to the socket as it is, never first copied into one
payload, and read into its own writable buffer, which the unpickled
array uses without a further copy.

Errors. The first error raises once every piece started has ended (with
its own type; a worker's traceback is its ``__cause__``). A piece that
cannot be pickled, or that the worker cannot unpickle (a function from a
module it cannot import), is computed in this thread instead. A worker
that dies raises :class:`OffloadWorkerDied`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pickle
import queue
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import cloudpickle

from . import config

__all__ = [
    "FEED_AFTER_SECONDS",
    "IDLE_SECONDS",
    "OffloadWorkerDied",
    "map_calls",
    "run_here",
]

#: A worker idle this long is closed (starting one costs a second or two).
IDLE_SECONDS = 20.0
#: Workers join once the first piece has run this long in this thread.
FEED_AFTER_SECONDS = 0.05
#: Calls a worker holds at once: the next one is sent while it computes.
PIPELINE_DEPTH = 2
#: A thread waits this long at most for its turn to compute a piece here.
HERE_WAIT_SECONDS = 1.0

# held by the thread of the process computing a piece (see _Calls.run_next)
_HERE = threading.Lock()

_READY = b"R"  # what a worker sends once it can take calls
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[2]); "
    "from partframe.offload import serve; serve(int(sys.argv[1]))"
)


class OffloadWorkerDied(RuntimeError):
    """A worker process ended while running an offloaded call."""


class _RemoteTraceback(Exception):
    """Carries a worker's formatted traceback as the ``__cause__``."""

    def __str__(self) -> str:
        return str(self.args[0])


def max_workers() -> int:
    """Worker processes the process may use at once: the worker count
    (``config.get("num_workers")``, else the CPU count) minus this thread."""
    n = config.get("num_workers") or os.cpu_count() or 1
    return max(0, n - 1) if config.get("offload_processes") else 0


def map_calls(
    func: Callable[..., Any],
    pieces: Sequence[tuple],
    feed_after: float | None = None,
) -> list[Any]:
    """``[func(*p) for p in pieces]``, shared with worker processes.

    Parameters
    ----------
    func : callable
        Picklable by cloudpickle (or it runs here only).
    pieces : sequence of tuples
        The arguments of each call.
    feed_after : float, optional
        Seconds the first piece must take in this thread before workers
        that are not idle and started join (default
        :data:`FEED_AFTER_SECONDS`; 0: at once).

    Examples
    --------
    >>> map_calls(pow, [(2, 3), (3, 2)])
    [8, 9]
    """
    calls = _Calls(func, pieces)
    feed_after = FEED_AFTER_SECONDS if feed_after is None else feed_after
    fed = False
    first = time.perf_counter()
    with _ACTIVE_LOCK:
        _ACTIVE.append(calls)
    try:
        while True:
            if calls.queue and (
                (not fed and time.perf_counter() - first >= feed_after)
                or _POOL.has_ready()
            ):
                calls.start_feeders()
                fed = True
            if calls.run_next():
                continue
            if calls.close():  # no piece left: no worker is handed over now
                break
    except BaseException as exc:
        calls.fail(exc)
        calls.close()
    for t in list(calls.feeders):
        t.join()
    try:
        while calls.run_next():  # pieces a feeder gave back
            pass
    except BaseException as exc:
        calls.fail(exc)
    return calls.results()


def run_here(func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` in this thread, when no other thread of the process
    computes a piece (see :meth:`_Calls.run_next`): for work that holds the
    GIL and is not worth sharing with workers.

    Examples
    --------
    >>> run_here(pow, 2, 5)
    32
    """
    with _turn_here():
        return func(*args)


@contextlib.contextmanager
def _turn_here() -> Any:
    """This thread's turn to compute here (or, after waiting
    :data:`HERE_WAIT_SECONDS`, a turn alongside the thread holding it)."""
    mine = _HERE.acquire(timeout=HERE_WAIT_SECONDS)
    try:
        yield
    finally:
        if mine:
            _HERE.release()


# the calls running now, to which a feeder whose call has no piece left
# hands its worker (see _Calls._feed)
_ACTIVE: list[_Calls] = []
_ACTIVE_LOCK = threading.Lock()


class _Calls:
    """The pieces of one :func:`map_calls`: a queue shared by this thread
    and the feeders, the results in order, the first error."""

    def __init__(self, func: Callable[..., Any], pieces: Sequence[tuple]) -> None:
        self.func = func
        self.queue = deque(enumerate(pieces))
        self.out: list[Any] = [None] * len(pieces)
        self.error: BaseException | None = None
        self.feeders: list[threading.Thread] = []

    def close(self) -> bool:
        """Take no more workers; False (still open) while pieces are left."""
        with _ACTIVE_LOCK:
            if self.queue and self.error is None:
                return False
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            return True

    def take(self) -> tuple[int, tuple] | None:
        if self.error is not None:
            return None
        try:
            return self.queue.popleft()  # atomic: safe across threads
        except IndexError:
            return None

    def run_next(self) -> bool:
        """Compute the next piece here; False when none is left.

        One thread of the process computes pieces at a time (:data:`_HERE`):
        the function holds the GIL, so a second thread would only contend
        for it. A thread waits its turn for at most :data:`HERE_WAIT_SECONDS`
        (a function that itself waits for another thread's pieces must not
        wait forever), then computes anyway."""
        if not self.queue:
            return False
        with _turn_here():
            item = self.take()
            if item is None:
                return False
            i, args = item
            self.out[i] = self.func(*args)
        return True

    def fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc

    def results(self) -> list[Any]:
        if self.error is not None:
            raise self.error
        return self.out

    def start_feeders(self) -> None:
        """A feeder thread for each worker the pool can lend now (up to
        one per piece left)."""
        for worker in _POOL.lend(len(self.queue)):
            self._start_feeder(worker)

    def _start_feeder(self, worker: _Worker) -> None:
        t = threading.Thread(
            target=self._feed,
            args=(worker,),
            name="partframe-offload-feeder",
            daemon=True,
        )
        self.feeders.append(t)
        t.start()

    def _feed(self, worker: _Worker) -> None:
        """Send pieces to ``worker`` while any are left, keeping
        :data:`PIPELINE_DEPTH` of them with it: the next is on its way while
        it computes one, so it never waits for this process's GIL between
        calls. Every call sent is answered before the worker is given back
        (or handed over), so its socket holds nothing of this call."""
        alive = True
        sent: deque[tuple[int, tuple]] = deque()
        try:
            while (
                self.queue
                and self.error is None
                and not worker.failed
                and not worker.wait_ready(0.05)
            ):
                pass
            alive = not worker.failed
            more = True  # False once a piece cannot go to this worker
            while worker.started:
                while more and len(sent) < PIPELINE_DEPTH:
                    item = self.take()
                    if item is None:
                        break
                    try:
                        frames = _dumps((self.func, item[1]))
                    except Exception:
                        self.queue.appendleft(item)  # this thread computes it
                        more = False
                        break
                    worker.send(frames)
                    del frames
                    sent.append(item)
                if not sent:
                    break
                item = sent.popleft()
                try:
                    status, value = worker.receive()
                except OffloadWorkerDied:
                    raise
                except BaseException as exc:  # the call raised: read the rest
                    self.fail(exc)
                    more = False
                    continue
                if status == "load":  # the worker cannot load it: here
                    self.queue.appendleft(item)
                    more = False
                    continue
                self.out[item[0]] = value
        except OffloadWorkerDied as exc:
            alive = False
            self.fail(exc)
        except BaseException as exc:
            self.fail(exc)
            alive = not sent  # a call unanswered: the socket is out of step
        if not alive and worker.process.poll() is None:
            worker.close(wait=0.0)
        if not (alive and worker.started and _hand_over(self, worker)):
            _POOL.give_back(worker, alive)


def _hand_over(done: _Calls, worker: _Worker) -> bool:
    """Give ``worker`` to another running call with pieces left (its thread
    is computing one: it would take the worker only after it); False when
    there is none. A call takes no worker once it has closed (see
    :meth:`_Calls.close`), so it joins every feeder it was given."""
    with _ACTIVE_LOCK:
        for calls in _ACTIVE:
            if calls is not done and calls.queue and calls.error is None:
                calls._start_feeder(worker)
                return True
    return False


# --- framing: a message is a pickle and its out-of-band buffers ---------


def _dumps(obj: Any) -> list[Any]:
    """``obj`` as frames: the pickle, then its buffers (not copied)."""
    buffers: list[pickle.PickleBuffer] = []
    data = cloudpickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    return [data, *(b.raw() for b in buffers)]


def _send(sock: socket.socket, frames: list[Any]) -> None:
    """A header (the frames' sizes) and the frames, in as few system calls
    as the socket takes (each one gives up and takes back the GIL: a thread
    running Python in between can make that cost a switch interval)."""
    views = [memoryview(f).cast("B") for f in frames]
    sizes = [v.nbytes for v in views]
    header = struct.pack(f"<Q{len(sizes)}Q", len(sizes), *sizes)
    pending = [memoryview(header), *views]
    while pending:
        sent = sock.sendmsg(pending)
        while pending and sent >= pending[0].nbytes:
            sent -= pending[0].nbytes
            pending.pop(0)
        if pending and sent:
            pending[0] = pending[0][sent:]


def _recv_exact(sock: socket.socket, size: int) -> bytearray:
    buf = bytearray(size)
    _recv_into(sock, [memoryview(buf)])
    return buf


def _recv_into(sock: socket.socket, views: list[memoryview]) -> None:
    """Fill ``views`` from the socket, waiting for all of it in each call."""
    views = [v for v in views if v.nbytes]
    while views:
        got = sock.recvmsg_into(views, 0, socket.MSG_WAITALL)[0]
        if not got:
            raise EOFError("the other end closed the socket")
        while views and got >= views[0].nbytes:
            got -= views[0].nbytes
            views.pop(0)
        if views and got:
            views[0] = views[0][got:]


def _recv_frames(sock: socket.socket) -> list[bytearray]:
    (count,) = struct.unpack("<Q", _recv_exact(sock, 8))
    sizes = struct.unpack(f"<{count}Q", _recv_exact(sock, 8 * count))
    frames = [bytearray(n) for n in sizes]
    _recv_into(sock, [memoryview(f) for f in frames])
    return frames


def _loads(frames: list[bytearray]) -> Any:
    """A message's object; its arrays use the received buffers."""
    return pickle.loads(frames[0], buffers=frames[1:])


def _error_frames(tag: str, exc: BaseException) -> list[Any]:
    tb = "".join(traceback.format_exception(exc))
    try:
        data = cloudpickle.dumps(exc)
        cloudpickle.loads(data)  # an exception class may not unpickle
    except Exception:
        data = None
    return [pickle.dumps((tag, (data, f"{type(exc).__name__}: {exc}", tb)))]


# --- the worker ----------------------------------------------------------


def serve(fd: int) -> None:
    """A worker's loop: run the calls read from socket ``fd`` until the
    caller closes it (or exits). A thread reads the calls as they come
    (the caller sends the next while this one runs), this one runs them in
    order and sends each answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C
    sock = socket.socket(fileno=fd)
    try:
        sock.sendall(_READY)  # imports done
    except OSError:
        return
    calls: queue.SimpleQueue[list[bytearray] | None] = queue.SimpleQueue()
    threading.Thread(
        target=_read_calls,
        args=(sock, calls),
        name="partframe-offload-reader",
        daemon=True,
    ).start()
    while True:
        frames = calls.get()
        if frames is None:
            return
        try:
            func, args = _loads(frames)
        except BaseException as exc:
            reply = _error_frames("load", exc)
        else:
            del frames
            reply = _answer(func, args)
            del func, args
        try:
            _send(sock, reply)
        except OSError:
            return
        del reply


def _read_calls(sock: socket.socket, calls: queue.SimpleQueue) -> None:
    """Put each call read from ``sock`` on ``calls``; ``None`` once the
    caller has closed it."""
    try:
        while True:
            calls.put(_recv_frames(sock))
    except (EOFError, OSError):
        calls.put(None)


def _answer(func: Callable[..., Any], args: tuple) -> list[Any]:
    try:
        result = func(*args)
    except BaseException as exc:
        return _error_frames("error", exc)
    try:
        return _dumps(("ok", result))
    except BaseException as exc:
        exc.add_note("partframe: while pickling an offloaded call's result")
        return _error_frames("error", exc)


# --- the caller's side ---------------------------------------------------


class _Worker:
    """One worker process and the caller's end of its socket."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _BOOT,
                    str(theirs.fileno()),
                    json.dumps([str(p) for p in sys.path]),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        self.sock = mine
        self.idle_since = time.monotonic()
        self.started = False
        self.failed = False  # ended before it was ready

    def wait_ready(self, timeout: float) -> bool:
        """Whether the worker has started (its imports done), waiting at
        most ``timeout`` seconds; a worker that ended never is."""
        if not self.started and not self.failed:
            if not select.select([self.sock], [], [], timeout)[0]:
                return False
            with contextlib.suppress(OSError):
                self.started = self.sock.recv(1) == _READY
            self.failed = not self.started
        return self.started

    def send(self, frames: list[Any]) -> None:
        """Send a call (its answer is read by :meth:`receive`, in order)."""
        try:
            _send(self.sock, frames)
        except OSError as lost:
            raise self._died() from lost

    def receive(self) -> tuple[str, Any]:
        """The answer to the oldest call sent and not yet answered:
        ``("ok", value)``, ``("load", None)``; a failed call raises its
        exception."""
        try:
            status, value = _loads(_recv_frames(self.sock))
        except (EOFError, OSError) as lost:
            raise self._died() from lost
        if status == "ok":
            return status, value
        data, text, tb = value
        if status == "load":
            return status, None
        error: BaseException | None = None
        if data is not None:
            with contextlib.suppress(Exception):
                error = cloudpickle.loads(data)
        if error is None:
            error = RuntimeError(f"an offloaded call raised {text}")
        error.__cause__ = _RemoteTraceback(tb)
        raise error

    def _died(self) -> OffloadWorkerDied:
        code = self.close(wait=1.0)
        return OffloadWorkerDied(
            f"a partframe offload worker process (pid {self.process.pid}) "
            f"ended while running a call (exit code {code})"
        )

    def close(self, wait: float = 1.0) -> int | None:
        """End the worker (closing its socket ends its loop); its exit code."""
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            return self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class _Pool:
    """The process's workers: lent to one :func:`map_calls` at a time,
    closed by a reaper thread once idle for :data:`IDLE_SECONDS`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.lent: set[_Worker] = set()
        self.reaper: threading.Thread | None = None

    def has_ready(self) -> bool:
        """Whether an idle worker has started (using it costs nothing)."""
        with self.lock:
            room = max_workers() - len(self.lent)
            return room > 0 and any(w.started for w in self.idle)

    def lend(self, wanted: int) -> list[_Worker]:
        """Up to ``wanted`` workers, idle ones first (started ones before
        those still starting), new ones up to :func:`max_workers`."""
        with self.lock:
            for w in [w for w in self.idle if w.process.poll() is not None]:
                self.idle.remove(w)
                w.close(wait=0.0)
            # all calls together one worker per core but one: their threads
            # compute one piece at a time here (_HERE), on the last core
            room = max_workers() - len(self.lent)
            self.idle.sort(key=lambda w: w.started)
            out: list[_Worker] = []
            while self.idle and len(out) < min(wanted, room):
                out.append(self.idle.pop())
            self.lent.update(out)
            new = max(0, min(wanted, room) - len(out) - len(self.idle))
        for _ in range(new):
            try:
                w = _Worker()
            except Exception:  # no process to start here: this thread works
                break
            with self.lock:
                self.lent.add(w)
            out.append(w)
        return out

    def give_back(self, worker: _Worker, alive: bool = True) -> None:
        """Make ``worker`` idle (closed after :data:`IDLE_SECONDS`)."""
        worker.idle_since = time.monotonic()
        with self.lock:
            self.lent.discard(worker)
            if not alive:
                return
            self.idle.append(worker)
            if self.reaper is None:
                self.reaper = threading.Thread(
                    target=self._reap, name="partframe-offload-reaper", daemon=True
                )
                self.reaper.start()

    def _reap(self) -> None:
        while True:
            with self.lock:
                if not self.idle:
                    self.reaper = None
                    return
                now = time.monotonic()
                old = [w for w in self.idle if now - w.idle_since >= IDLE_SECONDS]
                self.idle = [w for w in self.idle if w not in old]
                wake = min(
                    (w.idle_since + IDLE_SECONDS for w in self.idle),
                    default=now,
                )
            for w in old:
                w.close()
            time.sleep(max(0.05, wake - time.monotonic()))

    def close_all(self) -> None:
        """End every worker (at interpreter exit)."""
        with self.lock:
            workers = [*self.idle, *self.lent]
            self.idle, self.lent = [], set()
        for w in workers:
            w.close(wait=0.5)


_POOL = _Pool()
atexit.register(lambda: _POOL.close_all())


def _forget_pool() -> None:
    global _POOL
    _POOL = _Pool()  # a forked child must not use its parent's workers


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
