"""groupby ``apply`` on the threads scheduler shares each partition's groups
with worker processes (``kernels.group_call.groupby_apply_partition``,
``partframe.offload``): the results must be pandas' own, whatever the
function returns, the keys, the partitions and where each piece ran.

The thresholds that keep small work in its thread are lowered here, so
every partition is cut into pieces and a worker takes some of them."""

from __future__ import annotations

import itertools
import os
import threading
import time

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe import offload
from partframe.kernels import group_call
from partframe.testing import assert_eq


def _warm() -> None:
    """Wait until an idle worker has started."""
    (worker,) = offload._POOL.lend(1)
    assert worker.wait_ready(60.0), "the offload worker did not start"
    offload._POOL.give_back(worker)


@pytest.fixture(scope="module")
def shared():
    """Every partition shared with one worker process, started now."""
    mp = pytest.MonkeyPatch()
    mp.setattr(group_call, "OFFLOAD_MIN_ROWS", 0)
    mp.setattr(group_call, "PIECE_ROWS", 1)
    mp.setattr(group_call, "PIECES_PER_WORKER", 4)  # 8 pieces: more cuts
    mp.setattr(offload, "FEED_AFTER_SECONDS", 0.0)
    with partframe.config.set(num_workers=2, offload_processes=True):
        _warm()
        yield
    mp.undo()


def _frame(n: int = 240, seed: int = 0, nan_keys: bool = False) -> pd.DataFrame:
    """``n`` rows, 12 float keys ``k`` (with NaN), 3 strings ``s``."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 12, n).astype(float)
    if nan_keys:
        k[::9] = np.nan
    return pd.DataFrame(
        {
            "k": k,
            "s": pd.array(rng.choice(["a", "b", "c"], n), dtype="str"),
            "v": rng.random(n),
            "w": rng.integers(0, 100, n),
        },
        index=pd.RangeIndex(n) * 3,
    )


def _top2(g: pd.DataFrame) -> pd.DataFrame:
    return g.nlargest(2, "v")


def _corr2(g: pd.DataFrame) -> float:
    return g["v"].corr(g["w"]) ** 2


def _summary(g: pd.DataFrame) -> pd.Series:
    return pd.Series({"lo": g.v.min(), "n": float(len(g))})


def _demean(g: pd.DataFrame) -> pd.DataFrame:
    return g[["v"]] - g[["v"]].mean()


FUNCS = {
    "rows": _top2,
    "scalar": _corr2,
    "series": _summary,
    "same-index": _demean,
}


def _variant(how: str, **kwargs):
    """A partitioning; one partition per row of a smaller frame."""
    if how == "more-than-rows":
        kwargs.setdefault("n", 60)
    return variant(_frame(**kwargs), how)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("kind", sorted(FUNCS))
def test_apply_kinds(shared, how, kind):
    ddf, pdf = _variant(how)
    f = FUNCS[kind]
    assert_eq(
        ddf.groupby("k").apply(f),
        pdf.groupby("k").apply(f),
        scheduler="threads",
    )


@pytest.mark.parametrize("how", ["1", "3", "empty-parts"])
@pytest.mark.parametrize("dropna", [True, False])
@pytest.mark.parametrize("sort", [True, False])
def test_apply_nan_keys(shared, how, dropna, sort):
    ddf, pdf = variant(_frame(nan_keys=True), how)
    got = ddf.groupby("k", dropna=dropna, sort=sort).apply(_top2)
    want = pdf.groupby("k", dropna=dropna, sort=sort).apply(_top2)
    # unsorted groups come in the shuffle's order, not the frame's
    assert_eq(got, want, scheduler="threads", sort_results=not sort)


@pytest.mark.parametrize("how", ["1", "7", "more-than-rows"])
@pytest.mark.parametrize("group_keys", [True, False])
def test_apply_multiple_keys(shared, how, group_keys):
    ddf, pdf = _variant(how)
    for f in (_top2, _corr2, _demean):
        got = ddf.groupby(["s", "k"], group_keys=group_keys).apply(f)
        want = pdf.groupby(["s", "k"], group_keys=group_keys).apply(f)
        assert_eq(got, want, scheduler="threads", sort_results=not group_keys)


@pytest.mark.parametrize("how", ["1", "3"])
def test_series_groupby_apply(shared, how):
    ddf, pdf = variant(_frame(), how)
    f = lambda s: s.max() - s.min()  # noqa: E731
    assert_eq(
        ddf.groupby("k").v.apply(f), pdf.groupby("k").v.apply(f), scheduler="threads"
    )
    g = lambda s: s.nlargest(2)  # noqa: E731
    assert_eq(
        ddf.groupby("k").v.apply(g), pdf.groupby("k").v.apply(g), scheduler="threads"
    )


def test_apply_with_meta(shared):
    ddf, pdf = variant(_frame(), "3")
    got = ddf.groupby("k").apply(_corr2, meta=(None, "f8"))
    assert_eq(got, pdf.groupby("k").apply(_corr2), scheduler="threads")


def _where(g: pd.DataFrame) -> pd.Series:
    time.sleep(0.002)  # lets the other side take pieces too
    return pd.Series({"pid": os.getpid()})


def test_pieces_run_in_a_worker_and_here(shared):
    _warm()
    ddf, _ = variant(_frame(n=600), "1")
    pids = set(ddf.groupby("k").apply(_where).compute(scheduler="threads").pid)
    assert os.getpid() in pids
    assert len(pids) == 2


def test_sync_scheduler_stays_here(shared):
    ddf, _ = variant(_frame(n=600), "1")
    pids = set(ddf.groupby("k").apply(_where).compute(scheduler="sync").pid)
    assert pids == {os.getpid()}


def test_off_by_config(shared):
    ddf, _ = variant(_frame(n=600), "1")
    with partframe.config.set(offload_processes=False):
        pids = set(ddf.groupby("k").apply(_where).compute(scheduler="threads").pid)
    assert pids == {os.getpid()}


class Boom(ValueError):
    pass


def _fails(g: pd.DataFrame) -> float:
    if g.name == 7.0:
        raise Boom(f"bad group {g.name}")
    time.sleep(0.002)
    return 1.0


def test_error_keeps_its_type(shared):
    ddf, _ = variant(_frame(), "1")
    with pytest.raises(Boom, match=r"bad group 7\.0"):
        ddf.groupby("k").apply(_fails, meta=(None, "f8")).compute(scheduler="threads")


def test_unpicklable_function_runs_here(shared):
    lock = threading.Lock()

    def f(g: pd.DataFrame) -> float:
        with lock:
            return float(g.v.sum())

    ddf, pdf = variant(_frame(), "3")
    assert_eq(ddf.groupby("k").apply(f), pdf.groupby("k").apply(f), scheduler="threads")


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("dropna", [True, False])
def test_group_pieces_cut_whole_groups_in_order(shared, sort, dropna):
    pdf = _frame(n=300, nan_keys=True)
    gb = {"by": "k", "sort": sort, "dropna": dropna, "observed": True}
    pieces = group_call._group_pieces(pdf, gb)
    ngroups = pdf.groupby("k", dropna=dropna).ngroups  # 12 or 13
    # cut at about equal rows: two cuts may fall in one group
    assert 2 < len(pieces) <= min(2 * group_call.PIECES_PER_WORKER, ngroups)
    order = list(pdf.groupby("k", sort=sort, dropna=dropna).groups)
    seen = []
    for p in pieces:
        keys = list(p.groupby("k", sort=sort, dropna=dropna).groups)
        assert not set(map(str, keys)) & set(map(str, seen))  # whole groups
        seen += keys
    assert list(map(str, seen)) == list(map(str, order))


def test_group_pieces_keep_small_or_unobserved_whole(shared):
    pdf = _frame(n=300)
    gb = {"by": "k", "sort": True, "dropna": True, "observed": True}
    assert len(group_call._group_pieces(pdf, {**gb, "as_index": False})) == 1
    cat = pdf.assign(k=pdf.k.astype("category"))
    assert len(group_call._group_pieces(cat, {**gb, "observed": False})) == 1
    with partframe.config.set(num_workers=1):
        assert len(group_call._group_pieces(pdf, gb)) == 1


def test_no_worker_to_start_runs_here(shared, monkeypatch):
    def refuse() -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(offload, "_Worker", refuse)
    monkeypatch.setattr(offload._POOL, "idle", [])
    ddf, pdf = variant(_frame(), "3")
    assert_eq(
        ddf.groupby("k").apply(_top2),
        pdf.groupby("k").apply(_top2),
        scheduler="threads",
    )


def test_worker_death_raises(shared):
    parent = os.getpid()

    def dies_in_worker(g: pd.DataFrame) -> float:
        if os.getpid() != parent:  # (a closure: pickled with its value)
            os._exit(3)
        time.sleep(0.002)
        return 1.0

    _warm()
    ddf, _ = variant(_frame(n=600), "1")
    q = ddf.groupby("k").apply(dies_in_worker, meta=(None, "f8"))
    with pytest.raises(offload.OffloadWorkerDied, match="exit code 3"):
        q.compute(scheduler="threads")
    # the next call starts a new worker
    _warm()
    pids = set(ddf.groupby("k").apply(_where).compute(scheduler="threads").pid)
    assert len(pids) == 2


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_worker_done_with_one_call_goes_on_with_another(shared):
    # the other call's thread is busy with a piece of its own: the worker
    # must not wait for it to ask
    _warm()
    other = offload._Calls(_pid_after, [(0.005,)] * 12)
    with offload._ACTIVE_LOCK:
        offload._ACTIVE.append(other)
    try:
        mine = offload.map_calls(_pid_after, [(0.005,)] * 6, feed_after=0.0)
        assert len(set(mine)) == 2  # here and in the worker
        assert other.feeders
        for t in list(other.feeders):
            t.join()
    finally:
        with offload._ACTIVE_LOCK:
            offload._ACTIVE.remove(other)
    (worker_pid,) = set(mine) - {os.getpid()}
    assert other.out == [worker_pid] * 12
    assert not offload._POOL.lent  # given back once no call had pieces left


def _interval(seconds: float) -> tuple[float, float]:
    start = time.perf_counter()
    time.sleep(seconds)  # releases the GIL: only the lock keeps turns
    return start, time.perf_counter()


def test_one_thread_computes_pieces_here_at_a_time(shared):
    results: list[list] = []

    def call() -> None:
        results.append(offload.map_calls(_interval, [(0.01,)] * 8))

    with partframe.config.set(offload_processes=False):
        threads = [threading.Thread(target=call) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    spans = sorted(span for r in results for span in r)
    assert len(spans) == 16
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def _in_worker_raises(i: int, parent: int) -> tuple[int, int]:
    if os.getpid() != parent:
        raise Boom(f"piece {i}")
    time.sleep(0.005)
    return i, os.getpid()


def _log_worker_calls(monkeypatch) -> list[str]:
    log: list[str] = []
    send, receive = offload._Worker.send, offload._Worker.receive

    def logged_send(self, frames):
        log.append("send")
        return send(self, frames)

    def logged_receive(self):
        log.append("receive")
        return receive(self)

    monkeypatch.setattr(offload._Worker, "send", logged_send)
    monkeypatch.setattr(offload._Worker, "receive", logged_receive)
    return log


def test_a_worker_is_sent_the_next_call_before_it_answers(shared, monkeypatch):
    _warm()
    log = _log_worker_calls(monkeypatch)
    got = offload.map_calls(_pid_after, [(0.01,)] * 12, feed_after=0.0)
    assert len(set(got)) == 2  # here and in the worker
    assert log.count("send") == log.count("receive") >= 2
    depth = max(
        log[:k].count("send") - log[:k].count("receive") for k in range(len(log) + 1)
    )
    assert depth == offload.PIPELINE_DEPTH


def test_a_failed_call_leaves_the_worker_in_step(shared, monkeypatch):
    _warm()
    (before,) = [w.process.pid for w in offload._POOL.idle]
    log = _log_worker_calls(monkeypatch)
    pieces = [(i, os.getpid()) for i in range(12)]
    with pytest.raises(Boom, match="piece"):
        offload.map_calls(_in_worker_raises, pieces, feed_after=0.0)
    assert log.count("send") == log.count("receive") >= 1  # every call answered
    # the same worker, its answers in step with its calls
    got = offload.map_calls(_pid_after, [(0.01,)] * 12, feed_after=0.0)
    assert set(got) == {os.getpid(), before}


def test_a_call_the_worker_cannot_load_runs_here(shared, tmp_path, monkeypatch):
    _warm()
    (before,) = [w.process.pid for w in offload._POOL.idle]
    # a module the worker cannot import: its path came after it started
    (tmp_path / "pf_only_here.py").write_text(
        "import os, time\n"
        "def pid(i):\n"
        "    time.sleep(0.005)\n"
        "    return i, os.getpid()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from pf_only_here import pid  # type: ignore[import-not-found]

    got = offload.map_calls(pid, [(i,) for i in range(12)], feed_after=0.0)
    assert got == [(i, os.getpid()) for i in range(12)]
    got = offload.map_calls(_pid_after, [(0.01,)] * 12, feed_after=0.0)
    assert set(got) == {os.getpid(), before}
