"""Snapshot reads: every read sees exactly one committed version of a dataset
(partframe.io.snapshot), and overwrite replaces only what a dataset write
put there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import fsspec
import numpy as np
import pandas as pd
import pytest
from leftovers import assert_only

import partframe
from partframe.io import DatasetChangedError, vacuum
from partframe.io.commit import OWNER
from partframe.io.manifest import read_manifest
from partframe.testing import assert_eq

FORMATS = ["parquet", "csv"]


def _frame(n: int, value: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.full(n, value, dtype="int64"), "i": np.arange(n)})


def _write(pdf: pd.DataFrame, path: str, fmt: str, npartitions: int, **kw) -> None:
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    if fmt == "parquet":
        df.to_parquet(path, write_index=False, **kw)
    else:
        df.to_csv(path, index=False, **kw)


def _read(path: str, fmt: str) -> partframe.DataFrame:
    if fmt == "parquet":
        return partframe.read_parquet(path)
    return partframe.read_csv(path, blocksize=40)


@pytest.fixture(params=["local", "memory"])
def root(request, tmp_path):
    if request.param == "local":
        yield str(tmp_path)
        return
    fs = fsspec.filesystem("memory")
    base = f"/snap-{os.getpid()}-{time.monotonic_ns()}"
    yield f"memory://{base}"
    fs.rm(base, recursive=True)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_plan_made_before_an_overwrite_reads_the_version_it_planned_on(
    root, fmt, scheduler
):
    old, new = _frame(100, 1), _frame(6, 2)
    path = f"{root}/data"
    _write(old, path, fmt, 4)
    planned = _read(path, fmt)
    _write(new, path, fmt, 2, overwrite=True)
    # the plan's answers all come from the version it was made on
    assert len(planned) == 100
    assert_eq(planned, old, check_index=False, scheduler=scheduler)
    assert_eq(planned[planned.i > 50].x.sum(), np.int64(49), scheduler=scheduler)
    # a new plan reads the new version
    assert_eq(_read(path, fmt), new, check_index=False, scheduler=scheduler)


@pytest.mark.parametrize("fmt", FORMATS)
def test_plan_on_a_vacuumed_version_raises_naming_the_dataset(root, fmt):
    path = f"{root}/data"
    _write(_frame(30, 1), path, fmt, 3)
    planned = _read(path, fmt)
    _write(_frame(10, 2), path, fmt, 2, overwrite=True)
    assert len(vacuum(path)) == 1
    with pytest.raises(DatasetChangedError, match="changed since the plan") as e:
        planned.compute()
    assert "data" in str(e.value) and "Read the dataset again" in str(e.value)
    assert_eq(_read(path, fmt), _frame(10, 2), check_index=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_plan_made_before_an_append_reads_the_files_it_planned(root, fmt):
    old = _frame(20, 1)
    path = f"{root}/data"
    if fmt == "parquet":
        _write(old, path, fmt, 2)
    else:
        _write(old, f"{path}/*.csv", fmt, 2)
    planned = _read(path, fmt)
    if fmt == "parquet":
        _write(_frame(5, 2), path, fmt, 1, append=True)
        assert set(
            read_manifest(fsspec.url_to_fs(path)[0], fsspec.url_to_fs(path)[1])["files"]
        ) == {
            "part.0.parquet",
            "part.1.parquet",
            "part.2.parquet",
        }
    assert_eq(planned, old, check_index=False)


def test_overwrite_keeps_the_old_version_hidden_then_expires_it(tmp_path):
    path = str(tmp_path / "data")
    _write(_frame(10, 1), path, "parquet", 2)
    _write(_frame(10, 2), path, "parquet", 2, overwrite=True)
    kept = [n for n in os.listdir(tmp_path) if n.startswith(".data._old-")]
    assert len(kept) == 1
    assert sorted(os.listdir(tmp_path / kept[0])) == [
        "_SUCCESS",
        "_pf_retained",
        "part.0.parquet",
        "part.1.parquet",
    ]
    # readers of the folder never see it
    assert_eq(partframe.read_parquet(path), _frame(10, 2), check_index=False)
    assert_eq(
        pd.read_parquet(path).reset_index(drop=True), _frame(10, 2), check_index=False
    )
    # the next write deletes versions kept longer than retain_seconds
    with partframe.config.set(retain_seconds=0.0):
        _write(_frame(10, 3), path, "parquet", 2, overwrite=True)
    assert_only(tmp_path, ["data"])
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".data.")]
    assert vacuum(path) == []


def test_retain_seconds_zero_keeps_nothing(tmp_path):
    path = str(tmp_path / "data")
    with partframe.config.set(retain_seconds=0):
        _write(_frame(10, 1), path, "parquet", 2)
        planned = partframe.read_parquet(path)
        _write(_frame(4, 2), path, "parquet", 2, overwrite=True)
        assert os.listdir(tmp_path) == ["data"]
        with pytest.raises(DatasetChangedError):
            planned.compute()


def test_old_versions_expire_in_the_writing_process(tmp_path):
    path = str(tmp_path / "data")
    with partframe.config.set(retain_seconds=0.3):
        _write(_frame(10, 1), path, "parquet", 2)
        _write(_frame(10, 2), path, "parquet", 2, overwrite=True)
        assert len(os.listdir(tmp_path)) == 2
        deadline = time.monotonic() + 10
        while len(os.listdir(tmp_path)) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert os.listdir(tmp_path) == ["data"]


def test_manifest_lists_the_files_and_their_writers(tmp_path):
    path = str(tmp_path / "data")
    _write(_frame(10, 1), path, "parquet", 2)
    first = read_manifest(fsspec.filesystem("file"), path)
    assert sorted(first["files"]) == ["part.0.parquet", "part.1.parquet"]
    assert set(first["files"].values()) == {first["stamp"]}
    _write(_frame(4, 2), path, "parquet", 1, append=True)
    second = read_manifest(fsspec.filesystem("file"), path)
    assert second["stamp"] != first["stamp"]
    assert second["files"]["part.0.parquet"] == first["stamp"]
    assert second["files"]["part.2.parquet"] == second["stamp"]
    # other tools read the folder as before
    assert len(pd.read_parquet(path)) == 14


def test_a_file_the_manifest_lists_that_is_missing_is_an_error(tmp_path):
    path = str(tmp_path / "data")
    _write(_frame(10, 1), path, "parquet", 2)
    os.remove(os.path.join(path, "part.1.parquet"))
    with pytest.raises(FileNotFoundError, match=r"incomplete.*part\.1\.parquet"):
        partframe.read_parquet(path)
    # without the manifest the files that are left are read
    os.remove(os.path.join(path, "_SUCCESS"))
    assert len(partframe.read_parquet(path)) == 5


# --- overwrite replaces only what a dataset write put there ----------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_overwrite_refuses_files_no_dataset_write_put_there(tmp_path, fmt):
    path = str(tmp_path / "data")
    _write(_frame(10, 1), path, fmt, 2)
    (tmp_path / "data" / "notes.txt").write_text("mine")
    before = sorted(os.listdir(path))
    with pytest.raises(FileExistsError, match=r"notes\.txt.*nothing was written"):
        _write(_frame(4, 2), path, fmt, 2, overwrite=True)
    assert sorted(os.listdir(path)) == before
    assert (tmp_path / "data" / "notes.txt").read_text() == "mine"
    assert_only(tmp_path, ["data"])
    os.remove(tmp_path / "data" / "notes.txt")
    assert_eq(_read(path, fmt), _frame(10, 1), check_index=False)


def test_overwrite_of_a_folder_without_manifest_refuses_non_data_files(tmp_path):
    """A dataset of another writer (no manifest): its Parquet files are
    replaced, other files are refused by name."""
    path = tmp_path / "data"
    path.mkdir()
    _frame(10, 1).to_parquet(path / "part.0.parquet")
    (path / "README.md").write_text("mine")
    with pytest.raises(FileExistsError, match=r"README\.md"):
        _write(_frame(4, 2), str(path), "parquet", 2, overwrite=True)
    os.remove(path / "README.md")
    _write(_frame(4, 2), str(path), "parquet", 2, overwrite=True)
    assert_eq(partframe.read_parquet(str(path)), _frame(4, 2), check_index=False)


# --- leftovers of dead writers -------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_write_removes_staging_of_dead_writers_only(tmp_path):
    from partframe.io.commit_lock import _whoami

    path = str(tmp_path / "data")
    dead, live = tmp_path / ".data._staging-dead", tmp_path / ".data._staging-live"
    for folder, pid in [(dead, _dead_pid()), (live, os.getpid())]:
        folder.mkdir()
        (folder / "part.0.parquet").write_bytes(b"partial")
        me = _whoami()
        (folder / OWNER).write_text(json.dumps({**me, "pid": pid}))
    _write(_frame(4, 1), path, "parquet", 2)
    assert not dead.exists()
    assert live.exists()  # this process runs: its write may still commit


def test_killed_writer_staging_is_removed_by_the_next_write(tmp_path):
    """kill -9 while the write tasks run leaves the staging folder; the next
    write to the same destination removes it."""
    path = str(tmp_path / "data")
    script = textwrap.dedent(
        f"""
        import os, pandas as pd, partframe
        def slow(part):
            if part.i.iloc[0] >= 50:
                os.kill(os.getpid(), 9)
            return part
        df = partframe.from_pandas(
            pd.DataFrame({{"x": [1] * 100, "i": range(100)}}), npartitions=4
        )
        df.map_partitions(slow).to_parquet({path!r}, scheduler="sync")
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd())
    assert proc.returncode == -9
    staging = [n for n in os.listdir(tmp_path) if "._staging-" in n]
    assert len(staging) == 1
    _write(_frame(4, 1), path, "parquet", 2)
    assert_only(tmp_path, ["data"])


# --- concurrent readers and writers ---------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time, numpy as np, pandas as pd, partframe
    path, fmt, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    # a read on a loaded machine may span many of these overwrites
    partframe.config.set(retain_versions=1000)
    frames = [
        pd.DataFrame({"x": np.full(n, v), "i": np.arange(n)})
        for n, v in [(120, 1), (30, 2)]
    ]
    end, k = time.monotonic() + seconds, 0
    print("started", flush=True)
    while time.monotonic() < end:
        df = partframe.from_pandas(frames[k % 2], npartitions=3 + k % 3)
        if fmt == "parquet":
            df.to_parquet(path, overwrite=True, write_index=False)
        else:
            df.to_csv(path, overwrite=True, index=False)
        k += 1
    print(k)
    """
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_during_overwrites_by_another_process_see_one_version(tmp_path, fmt):
    path = str(tmp_path / "data")
    _write(_frame(120, 1), path, fmt, 3)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, path, fmt, "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline() == "started\n"
    reads = 0
    try:
        while writer.poll() is None:
            got = _read(path, fmt).compute(scheduler="threads")
            values = set(got.x.unique())
            assert len(values) == 1, f"a read mixed versions: {values}"
            (value,) = values
            assert len(got) == {1: 120, 2: 30}[value]
            assert sorted(got.i) == list(range(len(got)))
            reads += 1
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert int(writer.stdout.read()) > 2 and reads > 2


def test_at_most_retain_versions_old_versions_are_kept(tmp_path):
    path = str(tmp_path / "data")
    _write(_frame(10, 0), path, "parquet", 2)
    planned = [partframe.read_parquet(path)]
    for k in range(1, 5):
        _write(_frame(10, k), path, "parquet", 2, overwrite=True)
        planned.append(partframe.read_parquet(path))
    kept = [n for n in os.listdir(tmp_path) if "._old-" in n]
    assert len(kept) == 2
    # plans on the two newest old versions and the current one still read
    for k in (2, 3, 4):
        assert_eq(planned[k], _frame(10, k), check_index=False)
    for k in (0, 1):
        with pytest.raises(DatasetChangedError, match="retain_versions"):
            planned[k].compute()
