"""Disk-shuffle spill folders are removed on every exit path (issue 14, item 5).

Success, a failing task, Ctrl-C, a full disk, on every local scheduler;
folders of processes killed with SIGKILL are removed by the next shuffle,
folders of live processes never.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.kernels import shuffle_store as store_module
from partframe.kernels import spill as disk_module
from partframe.testing import assert_eq
from tests.frames import make_pdf, variants

SCHEDULERS = ["sync", "threads", "processes"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _left(path) -> list:
    return sorted(os.listdir(path))


def _fail_at(part: pd.DataFrame, bad: int) -> pd.DataFrame:
    if len(part) and bad in part.index:
        raise RuntimeError(f"injected failure at row {bad}")
    return part


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", ["1", "3", "more-than-rows", "empty-parts"])
def test_spill_removed_after_success(tmp_path, scheduler, how):
    partframe.config.set(temporary_directory=str(tmp_path))
    pdf = make_pdf(40)
    ddf, expected = _variant(pdf, how)
    out = ddf.shuffle("i", npartitions=3, method="disk")
    assert_eq(out, expected, sort_results=True, scheduler=scheduler)
    assert _left(tmp_path) == []
    # Built but never computed: the folder goes with the graph.
    graph = out.__dask_graph__()
    del graph
    assert _left(tmp_path) == []


def _variant(pdf, how):
    for label, ddf, expected in variants(pdf):
        if label == how:
            return ddf, expected
    raise ValueError(how)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_spill_removed_when_a_task_fails(tmp_path, scheduler):
    # Checked while the exception (and its traceback, which holds the
    # graph) is still alive: removal must not wait for garbage collection.
    partframe.config.set(temporary_directory=str(tmp_path))
    pdf = make_pdf(100)
    ddf = partframe.from_pandas(pdf, npartitions=5)
    bad = ddf.map_partitions(_fail_at, 120, meta=pdf.iloc[:0], preserves_index=True)
    out = bad.shuffle("i", npartitions=3, method="disk")
    with pytest.raises(RuntimeError, match="injected failure") as info:
        out.compute(scheduler=scheduler)
    assert info.value is not None
    assert _left(tmp_path) == []


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_spill_removed_on_keyboard_interrupt(tmp_path, scheduler):
    partframe.config.set(temporary_directory=str(tmp_path))
    pdf = make_pdf(100)
    ddf = partframe.from_pandas(pdf, npartitions=5)
    out = ddf.map_partitions(_interrupt_at, 120, meta=pdf.iloc[:0])
    out = out.shuffle("i", npartitions=3, method="disk")
    with pytest.raises(KeyboardInterrupt):
        out.compute(scheduler=scheduler)
    assert _left(tmp_path) == []


def _interrupt_at(part: pd.DataFrame, bad: int) -> pd.DataFrame:
    if len(part) and bad in part.index:
        raise KeyboardInterrupt
    return part


def _slow_split_frame(n_parts: int = 8, rows: int = 60_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = n_parts * rows
    return pd.DataFrame({"k": rng.integers(0, 1000, n), "x": rng.normal(size=n)})


def test_failing_shuffles_on_threads_leave_nothing(tmp_path):
    # Helper threads still split (and write) when the failure is raised:
    # those late writes must not bring back the removed folder.
    partframe.config.set(temporary_directory=str(tmp_path))
    pdf = _slow_split_frame()
    ddf = partframe.from_pandas(pdf, npartitions=8)
    bad = ddf.map_partitions(
        _fail_at, len(pdf) - 1, meta=pdf.iloc[:0], preserves_index=True
    )
    out = bad.shuffle("k", npartitions=40, method="disk")
    for run in range(30):
        with pytest.raises(RuntimeError, match="injected failure"):
            out.compute(scheduler="threads", num_workers=2)
        assert _left(tmp_path) == [], f"run {run}"
    # and once the helpers are done for good
    time.sleep(0.3)
    assert _left(tmp_path) == []


def test_failure_then_exit_leaves_nothing(tmp_path):
    # The interpreter exits right after the failure, helpers mid-write.
    script = textwrap.dedent(
        f"""
        import numpy as np, pandas as pd, partframe
        partframe.config.set(temporary_directory={str(tmp_path)!r})
        from tests.kernels.test_spill_cleanup import _fail_at, _slow_split_frame
        pdf = _slow_split_frame()
        ddf = partframe.from_pandas(pdf, npartitions=8)
        bad = ddf.map_partitions(_fail_at, {len(_slow_split_frame()) - 1},
                                 meta=pdf.iloc[:0], preserves_index=True)
        for _ in range(3):
            try:
                bad.shuffle("k", npartitions=40, method="disk").compute(
                    scheduler="threads", num_workers=2)
            except RuntimeError:
                pass
        """
    )
    env = {**os.environ, "PYTHONPATH": ROOT}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT)
    assert _left(tmp_path) == []


# -- disk full ---------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("nth", [1, 4])
def test_disk_full_names_the_folder_and_removes_it(
    tmp_path, monkeypatch, scheduler, nth
):
    partframe.config.set(temporary_directory=str(tmp_path))
    real_write = os.write
    calls = []

    def full_write(fd, data):
        calls.append(1)
        if len(calls) == nth:
            # a partial record first, as a filling disk does
            real_write(fd, bytes(data)[:10])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(store_module.os, "write", full_write)
    pdf = make_pdf(100)
    ddf = partframe.from_pandas(pdf, npartitions=5)
    out = ddf.shuffle("i", npartitions=3, method="disk")
    with pytest.raises(OSError, match="No space left") as info:
        out.compute(scheduler=scheduler)
    message = str(info.value)
    assert info.value.errno == errno.ENOSPC
    assert str(tmp_path) in message and "partframe-shuffle-" in message
    assert "temporary_directory" in message
    assert _left(tmp_path) == []


def test_failed_append_leaves_no_torn_record(tmp_path, monkeypatch):
    # A write that fails half way is cut off, so later appends stay readable.
    store = store_module.DiskStore(str(tmp_path / "s"))
    pdf = make_pdf(6)
    real_write = os.write
    state = {"fail": True}

    def flaky(fd, data):
        if state.pop("fail", False):
            real_write(fd, bytes(data)[:7])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(store_module.os, "write", flaky)
    with pytest.raises(OSError):
        store.append(0, 0, "a", pdf.iloc[:3])
    store.append(0, 0, "b", pdf.iloc[:3])
    store.append(0, 1, "c", pdf.iloc[3:])
    got = store.get(0, ["b", "c"], pdf.iloc[:0])
    pd.testing.assert_frame_equal(got, pdf)


# -- stale folders of dead processes -------------------------------------------------


_KILLED = """
import os, sys, time, pandas as pd, partframe
partframe.config.set(temporary_directory=sys.argv[1])

def slow(part):
    if len(part) and 70 in part.index:
        open(os.path.join(sys.argv[2], "ready"), "w").close()
        time.sleep(60)
    return part

pdf = pd.DataFrame({"k": range(100), "x": range(100)})
ddf = partframe.from_pandas(pdf, npartitions=5).map_partitions(slow, meta=pdf.iloc[:0])
ddf.shuffle("k", npartitions=3, method="disk").compute(scheduler="sync")
"""


def _start(script: str, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=env)


def _wait_for(path, proc, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        assert proc.poll() is None, "the subprocess ended early"
        assert time.monotonic() < deadline, "the subprocess never got ready"
        time.sleep(0.05)


def test_next_shuffle_removes_folder_of_killed_process(tmp_path):
    spill_root = tmp_path / "spill"
    spill_root.mkdir()
    flags = tmp_path / "flags"
    flags.mkdir()
    proc = _start(_KILLED, spill_root, flags)
    try:
        _wait_for(flags / "ready", proc)
        left = _left(spill_root)
        assert len(left) == 1 and left[0].startswith("partframe-shuffle-")
        assert os.listdir(spill_root / left[0])  # spill files were written
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(_left(spill_root)) == 1  # kill -9 leaves it

    # A live process's folder next to it must survive the sweep.
    live = _start(_KILLED, spill_root, tmp_path)
    try:
        _wait_for(tmp_path / "ready", live)
        live_folders = set(_left(spill_root)) - set(left)
        assert len(live_folders) == 1
        partframe.config.set(temporary_directory=str(spill_root))
        pdf = make_pdf(30)
        out = partframe.from_pandas(pdf, npartitions=3).shuffle("i", method="disk")
        assert_eq(out, pdf, sort_results=True, scheduler="sync")
        assert _left(spill_root) == sorted(live_folders)
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait()


def test_folder_records_its_owner(tmp_path):
    folder = disk_module.SpillDirectory(str(tmp_path))
    try:
        with open(os.path.join(folder.path, disk_module.OWNER_FILE)) as f:
            owner = json.load(f)
        assert owner["pid"] == os.getpid() and owner["start"]
    finally:
        folder.cleanup()
    assert _left(tmp_path) == []


def test_sweep_keeps_folders_it_cannot_judge(tmp_path):
    # No owner record, another host, a live pid: all kept.
    (tmp_path / "partframe-shuffle-noowner").mkdir()
    other = tmp_path / "partframe-shuffle-otherhost"
    other.mkdir()
    (other / disk_module.OWNER_FILE).write_text(
        json.dumps({"host": "elsewhere", "pid": 1, "start": "1"})
    )
    (tmp_path / "unrelated").mkdir()
    folder = disk_module.SpillDirectory(str(tmp_path))
    folder.cleanup()
    assert _left(tmp_path) == [
        "partframe-shuffle-noowner",
        "partframe-shuffle-otherhost",
        "unrelated",
    ]
