"""One suite for every scheduler: results, errors, release, callbacks, Ctrl-C."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from operator import add, mul

import pytest

import partframe
from partframe.callbacks import Callback
from partframe.graph import quote
from partframe.scheduler.local import get_sync, num_workers_default
from partframe.scheduler.processes import (
    RemoteTaskError,
    WorkerDiedError,
    get_processes,
)
from partframe.scheduler.testing import ComputeForbidden
from partframe.scheduler.threads import get_threads

LOCAL = ["sync", "threads", "processes"]


# -- task functions (module level: the processes scheduler pickles them) --


class MyError(ValueError):
    pass


class CannotUnpickle(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} {b}")


def boom(*args):
    raise MyError("boom")


def boom_unpicklable(*args):
    raise CannotUnpickle(1, 2)


def identity(x):
    return x


def total(*args):
    return sum(args)


def as_list(*args):
    return list(args)


def return_lock():
    return threading.Lock()


def record(path, i):
    """Append ``i`` to ``path`` (works from threads and processes alike)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{i}\n".encode())
    finally:
        os.close(fd)
    time.sleep(0.002)
    return i


def count_lines(path):
    try:
        with open(path) as f:
            return len(f.read().split())
    except FileNotFoundError:
        return 0


# Values that know how many of them are alive, in whichever process holds
# them: unpickling creates a tracked copy.
LIVE: weakref.WeakSet = weakref.WeakSet()


class Tracked:
    def __init__(self, n):
        self.n = n
        LIVE.add(self)

    def __reduce__(self):
        return (Tracked, (self.n,))


def load(i):
    time.sleep(0.005)
    return Tracked(i)


def shrink(x):
    return x.n


STOP = threading.Event()


def long_task(seconds=10.0):
    """Sleep in short steps until ``STOP`` is set or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not STOP.is_set():
        time.sleep(0.01)
    return 1


def die(code):
    os._exit(code)


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


# -- results --


def test_results_nested_keys_aliases_literals(scheduler):
    # Key names are unique to this test: a distributed cluster shared by the
    # session keeps the task specs of the keys it has seen.
    dsk = {
        "a1": 1,
        "b1": 2,
        ("x1", 0): (add, "a1", 10),
        ("x1", 1): (mul, "b1", ("x1", 0)),
        "alias": ("x1", 1),
        "alias2": "alias",
        "lit": "not a key",
        "lst": (total, "a1", "b1", 3),
        "keys-in-list": (sum, ["a1", "b1", ("x1", 0)]),
        "nested": (add, (mul, "a1", 5), (total, (add, "b1", 1), 1)),
        "quoted": (identity, quote((1, 2))),
        "quoted-task": quote((add, 1, 2)),
        "list-value": ["a1", ("x1", 0), [1, "b1"]],
        "unused": (boom,),
    }
    keys = [["alias", ("x1", 0)], "alias2", [["lit"]], "lst", "keys-in-list"]
    keys += ["nested", "quoted", "quoted-task", "list-value", "a1"]
    got = partframe.get(dsk, keys, scheduler=scheduler)
    assert got == [
        [22, 11],
        22,
        [["not a key"]],
        6,
        14,
        9,
        (1, 2),
        (add, 1, 2),
        [1, 11, [1, 2]],
        1,
    ]


def test_single_key_and_empty(scheduler):
    dsk = {"a2": 1, "b2": (add, "a2", 1)}
    assert partframe.get(dsk, "b2", scheduler=scheduler) == 2
    if scheduler in LOCAL:
        assert partframe.get(dsk, [], scheduler=scheduler) == []


@pytest.mark.parametrize("scheduler", LOCAL)
@pytest.mark.parametrize("fuse", [True, False])
def test_chains_and_reduction(scheduler, fuse):
    dsk = {}
    for c in range(5):
        dsk[("c", c, 0)] = (add, c, 0)
        for i in range(1, 40):
            dsk[("c", c, i)] = (add, ("c", c, i - 1), 1)
    dsk["sum"] = (sum, [("c", c, 39) for c in range(5)])
    got = partframe.get(dsk, ["sum", ("c", 2, 39)], scheduler=scheduler, fuse=fuse)
    assert got == [sum(c + 39 for c in range(5)), 41]


@pytest.mark.parametrize("get", [get_sync, get_threads, get_processes])
def test_long_fused_chain_does_not_hit_the_recursion_limit(get):
    dsk = {("c", 0): 0}
    for i in range(1, 3000):
        dsk[("c", i)] = (add, ("c", i - 1), 1)
    assert get(dsk, ("c", 2999), fuse=True) == 2999


def test_lambdas_travel_to_processes():
    dsk = {"a": 2, "b": (lambda x: x * 21, "a")}
    assert get_processes(dsk, "b", num_workers=2) == 42


def test_many_quick_tasks(scheduler):
    dsk = {("x", i): (add, i, 1) for i in range(2000)}
    dsk["total"] = (sum, [("x", i) for i in range(2000)])
    assert partframe.get(dsk, "total", scheduler=scheduler) == sum(range(1, 2001))


# -- errors --


def test_error_keeps_its_type(scheduler):
    # ("bad", 3) has two dependents, so fusion keeps its name.
    dsk = {
        "a": 1,
        ("bad", 3): (boom, "a"),
        "c": (add, ("bad", 3), 1),
        "d": (add, ("bad", 3), 2),
    }
    with pytest.raises(MyError, match="boom") as info:
        partframe.get(dsk, ["c", "d"], scheduler=scheduler)
    if scheduler in LOCAL:
        notes = "\n".join(info.value.__notes__)
        assert "('bad', 3)" in notes
        assert "partition 3" in notes


def test_unpicklable_exception_is_wrapped():
    with pytest.raises(RemoteTaskError, match="CannotUnpickle") as info:
        get_processes({"x": (boom_unpicklable,)}, "x", num_workers=1)
    assert "'x'" in str(info.value)


def test_unpicklable_result_names_the_task():
    with pytest.raises(TypeError, match="pickle") as info:
        get_processes({"lock": (return_lock,)}, "lock", num_workers=1)
    assert "'lock'" in "\n".join(info.value.__notes__)


def test_unpicklable_input_names_the_task():
    dsk = {"a": (identity, 1), "b": (identity, threading.Lock())}
    with pytest.raises(TypeError, match="pickle") as info:
        get_processes(dsk, ["a", "b"], num_workers=1)
    assert "'b'" in "\n".join(info.value.__notes__)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("scheduler", LOCAL)
def test_nothing_new_starts_after_an_error(scheduler, tmp_path):
    path = str(tmp_path / "log")
    n = 300
    dsk = {"bad": (boom,)}
    dsk.update({("rec", i): (record, path, i) for i in range(n)})
    with pytest.raises(MyError):
        partframe.get(dsk, ["bad", *dsk], scheduler=scheduler, num_workers=2)
    started = count_lines(path)
    time.sleep(0.3)
    # A thread may have been starting its task as the error happened.
    slack = 1 if scheduler == "threads" else 0
    assert count_lines(path) <= started + slack
    assert started < n


# -- memory: intermediates are released --


class MaxLive(Callback):
    def __init__(self):
        self.max_live = 0

    def on_task_finish(self, event):
        self.max_live = max(self.max_live, len(LIVE))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("scheduler", LOCAL)
def test_intermediates_are_released(scheduler):
    n = 30
    dsk = {("load", i): (load, i) for i in range(n)}
    dsk.update({("shrink", i): (shrink, ("load", i)) for i in range(n)})
    dsk["total"] = (total, *[("shrink", i) for i in range(n)])
    cb = MaxLive()
    got = partframe.get(
        dsk,
        ["total", ("load", 0)],
        scheduler=scheduler,
        callbacks=[cb],
        num_workers=2,
        fuse=False,
    )
    assert got[0] == sum(range(n))
    # Depth-first order and release: only the loads in flight are alive.
    assert 1 <= cb.max_live <= 8
    # The requested ("load", 0) is the only survivor.
    assert len(LIVE) == 1
    del got
    assert len(LIVE) == 0


# -- callbacks --


class Recorder(Callback):
    def __init__(self):
        self.started = []
        self.task_starts = 0
        self.task_finishes = 0
        self.finished = []

    def on_start(self, event):
        self.started.append(event)

    def on_task_start(self, event):
        self.task_starts += 1

    def on_task_finish(self, event):
        self.task_finishes += 1
        assert event.ndone == self.task_finishes

    def on_finish(self, event):
        self.finished.append(event)


@pytest.mark.parametrize("scheduler", LOCAL)
def test_callbacks_counts(scheduler):
    dsk = {("x", i): (add, i, 1) for i in range(50)}
    dsk["lit"] = 5
    dsk["alias"] = "lit"
    dsk["total"] = (total, "alias", *[("x", i) for i in range(50)])
    rec = Recorder()
    with rec:
        got = partframe.get(dsk, "total", scheduler=scheduler, fuse=False)
    assert got == 5 + 1275
    (start,) = rec.started
    assert start.ntasks == len(dsk)
    assert rec.task_starts == rec.task_finishes == len(dsk)
    (finish,) = rec.finished
    assert finish.error is None and finish.ndone == len(dsk)


@pytest.mark.parametrize("scheduler", LOCAL)
def test_callbacks_on_error(scheduler):
    rec = Recorder()
    with pytest.raises(MyError):
        partframe.get(
            {"a": 1, "b": (boom, "a")},
            "b",
            scheduler=scheduler,
            callbacks=[rec],
            fuse=False,
        )
    (finish,) = rec.finished
    assert isinstance(finish.error, MyError)
    assert finish.ndone == 1


# -- Ctrl-C --


def _worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("partframe-")]


def _worker_processes():
    return [
        p for p in multiprocessing.active_children() if p.name.startswith("partframe-")
    ]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("scheduler", LOCAL)
def test_keyboard_interrupt_is_prompt_and_leaves_nothing(scheduler):
    STOP.clear()
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.main_thread().ident
    timer = threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGINT))
    # The tasks outlive the test's timeout: get() can only return by being
    # interrupted, so a scheduler that waits for running tasks fails by
    # timing out, with no wall-clock bound to miss on a busy machine.
    dsk = {("long", i): (long_task, 120.0) for i in range(3)}
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            partframe.get(dsk, list(dsk), scheduler=scheduler, num_workers=2)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, old)
        STOP.set()
    # Threads end with their current task (here, promptly after STOP).
    deadline = time.monotonic() + 5
    while (_worker_threads() or _worker_processes()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _worker_threads()
    assert not _worker_processes()


# -- worker death --


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "task, message",
    [((die, 3), "exited with code 3"), ((kill_self,), "SIGKILL")],
)
def test_worker_death_names_the_task(task, message):
    # A death that went unnoticed would hang: the timeout marker catches it.
    dsk = {"a": 1, ("fatal", 7): task, "after": (add, ("fatal", 7), "a")}
    with pytest.raises(WorkerDiedError, match=message) as info:
        get_processes(dsk, "after", num_workers=2)
    assert "('fatal', 7)" in str(info.value)
    assert not _worker_processes()


_SCRIPT = """
import pandas as pd, partframe
pdf = pd.DataFrame({"a": [1, 2, 1], "b": [3, 4, 5]})
df = partframe.from_pandas(pdf, npartitions=2)
print(df.groupby("a").b.sum().compute(scheduler="processes").to_dict())
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("guarded", [False, True])
def test_script_without_main_guard_is_told_the_fix(tmp_path, guarded):
    # spawn/forkserver workers import the script again; at module level it
    # computes again there, which multiprocessing refuses: the worker dies
    # while starting, and the error says why and what to write.
    code = _SCRIPT
    if guarded:
        body = "\n".join("    " + line for line in code.strip().splitlines())
        code = 'if __name__ == "__main__":\n' + body + "\n"
    script = tmp_path / "analysis.py"
    script.write_text(code)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=50,
    )  # fmt: skip
    if guarded:
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "{1: 8, 2: 4}"
    else:
        assert run.returncode == 1
        last = run.stderr.strip().splitlines()[-2]
        assert last.startswith("partframe.scheduler.processes.WorkerDiedError")
        assert "while starting" in last
        assert str(script) in last
        assert 'if __name__ == "__main__":' in last


# -- configuration and the test scheduler --


def test_num_workers_default():
    assert num_workers_default() == (os.cpu_count() or 1)
    with partframe.config.set(num_workers=3):
        assert num_workers_default() == 3
        assert num_workers_default(5) == 5
    with pytest.raises(ValueError, match="positive"):
        num_workers_default(-1)


def _sleep_where(seconds):
    time.sleep(seconds)
    return threading.current_thread().name


def _no_worker_threads_within(seconds):
    deadline = time.monotonic() + seconds
    while _worker_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _worker_threads()


def test_threads_use_num_workers():
    # The caller runs batches too: num_workers counts it.
    dsk = {("x", i): (_sleep_where, 0.01) for i in range(30)}
    names = get_threads(dsk, list(dsk), num_workers=3)
    assert len(set(names)) == 3
    assert threading.current_thread().name in names
    names = get_threads(dsk, list(dsk), num_workers=1)
    assert set(names) == {threading.current_thread().name}
    # idle helpers exit: nothing lingers after the work
    assert _no_worker_threads_within(10)


def test_threads_keep_quick_tasks_on_the_caller():
    # Sub-millisecond tasks: GIL contention would cost more than threads gain.
    # Only batches handed out before the first task time is known may go to
    # a helper (and only if the machine stalls the caller for 2 ms).
    dsk = {("x", i): (_sleep_where, 0) for i in range(400)}
    names = get_threads(dsk, list(dsk), num_workers=2)
    on_caller = names.count(threading.current_thread().name)
    assert on_caller >= 0.9 * len(names)


def test_threads_help_decision():
    from partframe.scheduler.threads import _PARALLEL_SECONDS, _Run

    run = _Run(2)
    run.jobs.append([("k", (len, "abc"), {})])
    assert run.wait_for_help() is None  # the caller is not busy
    run.caller_since, run.caller_tasks = time.perf_counter(), 1
    assert 0 < run.wait_for_help() <= _PARALLEL_SECONDS  # not slow yet
    run.caller_since -= 1.0
    assert run.wait_for_help() == 0.0  # one slow task: help now
    run.caller_since, run.caller_tasks = time.perf_counter() - 0.01, 100
    assert run.wait_for_help() > 0  # 100 quick tasks in 10 ms: no help yet
    run.caller_since -= 1.0
    assert run.wait_for_help() == 0.0
    run.helping = 1
    assert run.wait_for_help() is None  # num_workers - 1 helpers at most


def test_threads_help_decision_while_the_caller_finishes(monkeypatch):
    """The caller clears ``caller_since`` when its batch ends, without the
    helpers' lock: a helper deciding at that moment must not fail (it did,
    with a TypeError in the helper thread, which pytest turned into a
    failure of whichever test was running)."""
    import partframe.scheduler.threads as threads

    run = threads._Run(2)
    run.jobs.append([("k", (len, "abc"), {})])
    run.caller_since, run.caller_tasks = time.perf_counter() - 1.0, 1
    clock = time.perf_counter

    def finishes_now() -> float:
        run.caller_since = None  # the caller's batch ends between two reads
        return clock()

    monkeypatch.setattr(threads.time, "perf_counter", finishes_now)
    assert run.wait_for_help() == 0.0


def test_threads_helpers_are_shared_across_runs():
    dsk = {("x", i): (_sleep_where, 0.01) for i in range(8)}
    first = set(get_threads(dsk, list(dsk), num_workers=2))
    second = set(get_threads(dsk, list(dsk), num_workers=2))
    helpers = (first | second) - {threading.current_thread().name}
    assert len(helpers) == 1  # the same helper thread served both runs


def test_threads_nested_compute_does_not_deadlock():
    inner = {("y", i): (_sleep_where, 0.005) for i in range(4)}

    def nested():
        return len(get_threads(inner, list(inner), num_workers=2))

    dsk = {("x", i): (nested,) for i in range(6)}
    assert get_threads(dsk, list(dsk), num_workers=2) == [4] * 6


def test_raise_scheduler_forbids_computing():
    dsk = {("x", i): (add, i, 1) for i in range(10)}
    with (
        partframe.config.set(scheduler="raise"),
        pytest.raises(ComputeForbidden, match=r"\('x', 0\)"),
    ):
        partframe.get(dsk, list(dsk))


def test_threads_concurrent_computes_from_several_threads():
    import concurrent.futures

    def job(k):
        dsk = {("x", i): (add, i, k) for i in range(50)}
        dsk["slow"] = (_sleep_where, 0.01)
        out = get_threads(dsk, [list(dsk)[:50], "slow"], num_workers=2)
        return out[0]

    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        results = list(ex.map(job, range(6)))
    assert results == [[i + k for i in range(50)] for k in range(6)]


def _name_after(_, seconds):
    time.sleep(seconds)
    return threading.current_thread().name


def test_threads_helpers_stay_through_a_long_quick_phase(monkeypatch):
    # A helper with nothing to do must not leave while a computation runs:
    # slow tasks after a long phase of quick ones still get help.
    import partframe.scheduler.threads as threads_mod

    monkeypatch.setattr(threads_mod, "_IDLE_SECONDS", 0.05)
    dsk = {("quick", i): (time.sleep, 0.0002) for i in range(600)}
    dsk["barrier"] = (len, list(dsk))
    slow = {("slow", i): (_name_after, "barrier", 0.02) for i in range(10)}
    dsk.update(slow)
    names = get_threads(dsk, list(slow), num_workers=2)
    # The caller and at least one helper ran slow tasks.  Helpers are shared
    # by the process: one left by an earlier computation may serve as well,
    # so more than two names can appear (never more than two at a time).
    assert threading.current_thread().name in names
    assert len(set(names)) >= 2


# -- batching ----------------------------------------------------------------


def _batches_of(dsk, keys, seconds_of, num_workers=2):
    """Run ``dsk`` with ``get_async`` on a fake pool whose batches report
    ``seconds_of(key)`` per task; return the batches' keys in order."""
    from collections import deque

    from partframe.scheduler.local import get_async, run_batch

    todo: deque = deque()
    seen: list[list] = []

    def submit(batch):
        seen.append([key for key, _, _ in batch])
        todo.append(batch)

    def poll(timeout):
        if not todo:
            return None
        results, _ = run_batch(todo.popleft())
        return results, sum(seconds_of(key) for key, _, _ in results)

    get_async(submit, poll, num_workers, dsk, keys, fuse=False)
    return seen


def test_slow_tasks_after_quick_ones_go_one_by_one():
    # 200 quick pieces feed 16 slow tasks of another group: estimated per
    # group, the slow ones are never batched together (one estimate for all
    # sent the 16 as one batch to one worker).
    dsk = {("piece", i): (add, i, 1) for i in range(200)}
    for j in range(16):
        dsk[("apply", j)] = (sum, [("piece", i) for i in range(j, 200, 16)])
    keys = [("apply", j) for j in range(16)]
    batches = _batches_of(dsk, keys, lambda k: 0.5 if k[0] == "apply" else 1e-6)
    slow = [b for b in batches if any(k[0] == "apply" for k in b)]
    assert all(len(b) == 1 for b in slow), slow
    assert sum(len(b) for b in slow) == 16
    # quick tasks still travel many to a batch
    assert max(len(b) for b in batches) >= 50


def test_quick_groups_are_batched_after_their_first_report():
    dsk = {("a", i): (add, i, 1) for i in range(1000)}
    batches = _batches_of(dsk, list(dsk), lambda k: 1e-6)
    # unknown at first: a few single tasks, then large batches
    assert len(batches) < 20, [len(b) for b in batches]
    assert sorted(k for b in batches for k in b) == sorted(dsk)
