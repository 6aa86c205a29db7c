"""Writes and reads on a filesystem that fails on purpose
(partframe.io.faults): a failure leaves the destination exactly as it was
(or, past the commit point, exactly new), names what failed, and leaves
nothing behind."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time

import fsspec
import numpy as np
import pandas as pd
import pytest
from leftovers import contents, leftovers

import partframe
from partframe.io.commit import CommitCleanupWarning, journal_path
from partframe.io.faults import Fault, FaultyFileSystem
from partframe.testing import assert_eq

OLD = pd.DataFrame({"x": np.arange(40), "y": np.arange(40) * 0.5})
NEW = pd.DataFrame({"x": np.arange(25) + 100, "y": np.arange(25) * 2.0})


@pytest.fixture
def disk(tmp_path):
    """A memory filesystem under a fresh root, and that root."""
    fs = fsspec.filesystem("memory")
    root = f"/faults-{os.getpid()}-{time.monotonic_ns()}"
    fs.mkdir(root)
    yield fs, root
    fs.rm(root, recursive=True)


def _write(pdf, dest, fs, **kw):
    partframe.from_pandas(pdf, npartitions=4).to_parquet(
        dest, filesystem=fs, write_index=False, **kw
    )


def _read(dest, fs):
    return partframe.read_parquet(dest, filesystem=fs)


def _disk_full(after: int = 0, **kw) -> Fault:
    err = OSError(errno.ENOSPC, "No space left on device")
    return Fault("write", after_bytes=after, error=err, **kw)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_disk_full_while_writing_leaves_the_destination_as_it_was(
    disk, scheduler, overwrite
):
    fs, root = disk
    dest = f"{root}/out"
    if overwrite:
        _write(OLD, dest, fs)
    before = contents(fs, dest)
    faulty = FaultyFileSystem(fs, [_disk_full(after=2_000)])
    with pytest.raises(OSError, match="No space left"):
        _write(NEW, dest, faulty, overwrite=overwrite, scheduler=scheduler)
    assert contents(fs, dest) == before
    assert leftovers(fs, dest) == []
    if overwrite:
        assert_eq(_read(dest, fs), OLD, check_index=False)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("write", path_contains="pf-journal"),  # the journal cannot be written
        Fault("mv", nth=1),  # the first move of the old data aside
        Fault("mv", nth=6),  # old data aside, part of the new data in
        Fault("open", path_contains="_SUCCESS"),  # the new manifest
    ],
    ids=["journal", "first-move", "mid-move", "manifest"],
)
def test_commit_failing_part_way_rolls_back_or_forward(disk, fault):
    fs, root = disk
    dest = f"{root}/out"
    _write(OLD, dest, fs)
    before = contents(fs, dest)
    faulty = FaultyFileSystem(fs, [dataclass_copy(fault, times=1)])
    if fault.path_contains == "_SUCCESS":
        # past the commit point: the write succeeded, the clean-up is left
        # to the next reader, which finishes it
        with pytest.warns(CommitCleanupWarning, match="was written"):
            _write(NEW, dest, faulty, overwrite=True, scheduler="sync")
        assert fs.exists(journal_path(dest))
        assert_eq(_read(dest, fs), NEW, check_index=False)
        assert not fs.exists(journal_path(dest))
    else:
        with pytest.raises(OSError):
            _write(NEW, dest, faulty, overwrite=True, scheduler="sync")
        assert contents(fs, dest) == before
        assert_eq(_read(dest, fs), OLD, check_index=False)
    assert leftovers(fs, dest) == []


def dataclass_copy(fault: Fault, **changes) -> Fault:
    import dataclasses

    return dataclasses.replace(fault, **changes)


def test_a_read_error_names_the_file(disk):
    fs, root = disk
    dest = f"{root}/out"
    _write(OLD, dest, fs)
    # the plan reads the footer (call 1), the task fails (call 2)
    fault = Fault("read", nth=2, path_contains="part.2.parquet")
    df = partframe.read_parquet(dest, filesystem=FaultyFileSystem(fs, [fault]))
    with pytest.raises(Exception, match=r"part\.2\.parquet") as e:
        df.compute(scheduler="sync")
    assert "Input/output error" in str(e.value) or "injected" in str(e.value)


# --- interrupted and failed writes leave nothing behind --------------------------


def _failing(at: int, exc: type[BaseException]):
    def f(part: pd.DataFrame) -> pd.DataFrame:
        if len(part) and part.x.iloc[0] >= at:
            raise exc("stop")
        return part

    return f


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_ctrl_c_during_a_write_leaves_nothing(tmp_path, scheduler):
    dest = str(tmp_path / "out")
    df = partframe.from_pandas(OLD, npartitions=4)
    with pytest.raises(KeyboardInterrupt):
        df.map_partitions(_failing(20, KeyboardInterrupt)).to_parquet(
            dest, scheduler=scheduler
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_a_failed_lazy_write_leaves_nothing(tmp_path, scheduler):
    df = partframe.from_pandas(OLD, npartitions=4).map_partitions(
        _failing(20, ValueError)
    )
    lazies = [
        df.to_parquet(str(tmp_path / "pq"), compute=False),
        df.to_csv(str(tmp_path / "csv"), compute=False),
    ]
    with pytest.raises(ValueError, match="stop"):
        partframe.compute(*lazies, scheduler=scheduler)
    assert os.listdir(tmp_path) == []


KILLED = textwrap.dedent(
    """
    import os, sys, fsspec, numpy as np, pandas as pd, partframe
    from partframe.io.faults import Fault, FaultyFileSystem
    dest, op, nth, where = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    kill = Fault(op, nth=nth, path_contains=where or None, error=lambda: os._exit(9))
    fs = FaultyFileSystem(fsspec.filesystem("file"), [kill])
    new = pd.DataFrame({"x": np.arange(25) + 100, "y": np.arange(25) * 2.0})
    partframe.from_pandas(new, npartitions=4).to_parquet(
        dest, filesystem=fs, overwrite=True, write_index=False, scheduler="sync"
    )
    """
)


@pytest.mark.parametrize(
    "op,nth,where,expected",
    [
        ("mv", 1, "", OLD),  # the first old file aside
        ("mv", 3, "", OLD),
        ("mv", 6, "", OLD),  # every old file aside, the first new one in
        ("mv", 9, "", OLD),  # the last new file in
        ("rm", 1, "pf-journal", NEW),  # past the commit point
    ],
    ids=["mv1", "mv3", "mv6", "mv9", "finish"],
)
def test_a_writer_killed_mid_commit_is_repaired_by_the_next_reader(
    tmp_path, op, nth, where, expected
):
    """kill -9 at a step of a commit over a filesystem of single-file moves
    (4 old files and _SUCCESS aside, then 4 new files in, then the clean-up):
    the next reader repairs the destination to exactly the old data before
    the commit point and exactly the new data after it."""
    dest = str(tmp_path / "out")
    _write(OLD, dest, fsspec.filesystem("file"))
    proc = subprocess.run([sys.executable, "-c", KILLED, dest, op, str(nth), where])
    assert proc.returncode == 9
    assert os.path.exists(journal_path(dest))
    assert_eq(partframe.read_parquet(dest), expected, check_index=False)
    assert leftovers(fsspec.filesystem("file"), dest) == []
