"""Writing through pyarrow's filesystem (``filesystem="arrow"`` or a
``pyarrow.fs.LocalFileSystem``): the whole commit protocol, recovery
included, as on fsspec's local filesystem."""

from __future__ import annotations

import os

import pandas as pd
import pyarrow.fs as pafs
import pytest
from frames import PARTITIONINGS, variant
from leftovers import assert_only
from test_commit_recovery import NEW, OLD, Killed, _pdf

import partframe
from partframe.io import commit, commit_lock
from partframe.io.commit import CommitError
from partframe.testing import assert_eq


def _arrow(kind: str):
    return "arrow" if kind == "arrow" else pafs.LocalFileSystem()


def _write(path, pdf, nparts, mode, filesystem, **kw):
    df = partframe.from_pandas(pdf, npartitions=nparts)
    df.to_parquet(
        path,
        filesystem=filesystem,
        overwrite=mode == "overwrite",
        append=mode == "append",
        write_index=False,
        **kw,
    )


def _read(path, filesystem):
    return partframe.read_parquet(path, filesystem=filesystem)


def _only_the_dataset(parent) -> None:
    """No staging folder, backup, journal or lock left next to it (old
    versions an overwrite keeps for readers aside)."""
    assert_only(parent, ["out"])


@pytest.mark.parametrize("kind", ["arrow", "instance"])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_new_write(tmp_path, kind, scheduler, how):
    pdf = _pdf(30)
    df, want = variant(pdf, how)
    path = str(tmp_path / "out")
    df.to_parquet(path, filesystem=_arrow(kind), scheduler=scheduler)
    assert "_SUCCESS" in os.listdir(path)
    _only_the_dataset(tmp_path)
    got = _read(path, _arrow(kind))
    assert_eq(got, want, check_divisions=False, scheduler=scheduler)
    assert_eq(got, pd.read_parquet(path), scheduler=scheduler)


@pytest.mark.parametrize("kind", ["arrow", "instance"])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_overwrite_and_append(tmp_path, kind, scheduler):
    path = str(tmp_path / "out")
    fs = _arrow(kind)
    _write(path, OLD, 2, "new", fs)
    _write(path, NEW, 3, "overwrite", fs)
    assert_eq(_read(path, fs), NEW, check_index=False, scheduler=scheduler)
    _write(path, OLD, 2, "append", fs)
    want = pd.concat([NEW, OLD], ignore_index=True)
    assert_eq(_read(path, fs), want, check_index=False, scheduler=scheduler)
    assert sorted(os.listdir(path)) == ["_SUCCESS"] + [
        f"part.{i}.parquet" for i in range(5)
    ]
    _only_the_dataset(tmp_path)
    # the destination exists: a new write is refused, nothing changes
    with pytest.raises(FileExistsError, match="overwrite=True"):
        _write(path, OLD, 2, "new", fs)
    assert_eq(_read(path, fs), want, check_index=False, scheduler=scheduler)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_partition_on_and_a_relative_path(tmp_path, monkeypatch, scheduler):
    monkeypatch.chdir(tmp_path)
    _write("out", OLD, 3, "new", "arrow", partition_on="g")
    assert sorted(os.listdir("out")) == ["_SUCCESS", "g=k0", "g=k1", "g=k2"]
    got = _read("out", "arrow")
    assert_eq(
        got, pd.read_parquet("out"), check_index=False, sort_results=True,
        scheduler=scheduler,
    )  # fmt: skip
    _only_the_dataset(tmp_path)


def _kill_at(monkeypatch, at: int | str) -> None:
    """Kill the commit at its ``at``-th move, or just after its commit point
    (``"committed"``); as ``kill -9``, no rollback nor cleanup runs."""
    real_move, real_state = commit.move, commit.set_state
    count = [0]

    def move(*args, **kwargs):
        if count[0] == at:
            raise Killed(f"killed at move {at}")
        count[0] += 1
        return real_move(*args, **kwargs)

    def set_state(fs, journal, state):
        real_state(fs, journal, state)
        if at == "committed" and state == "committed":
            raise Killed("killed just after the commit point")

    monkeypatch.setattr(commit, "move", move)
    monkeypatch.setattr(commit, "set_state", set_state)
    monkeypatch.setattr(commit, "abort", lambda job: None)


@pytest.mark.parametrize("kind", ["arrow", "instance"])
@pytest.mark.parametrize(
    "mode,at",
    [
        ("new", 0),
        ("new", "committed"),
        ("overwrite", 0),
        ("overwrite", 1),
        ("overwrite", "committed"),
        ("append", 1),
        ("append", "committed"),
    ],
)
def test_killed_commit_is_recovered(tmp_path, monkeypatch, kind, mode, at):
    path = str(tmp_path / "out")
    fs = _arrow(kind)
    if mode != "new":
        _write(path, OLD, 2, "new", fs)
    _kill_at(monkeypatch, at)
    with pytest.raises(Killed):
        _write(path, NEW, 3, mode, fs)
    monkeypatch.undo()
    assert os.path.exists(commit.journal_path(path))
    if at == "committed":
        want = pd.concat([OLD, NEW], ignore_index=True) if mode == "append" else NEW
    else:
        want = OLD
    if mode == "new" and at != "committed":
        # rolled back: nothing was there, nothing is
        assert commit.recover(partframe.io.paths.get_fs(path, None, fs)[0], path)
        assert not os.path.exists(path)
    else:
        # the reader repairs the destination from the journal
        assert_eq(_read(path, fs), want, check_index=False)
    assert_only(tmp_path, [] if want is OLD and mode == "new" else ["out"])


def test_commit_lock_is_exclusive(tmp_path):
    fs, (dest,) = partframe.io.paths.get_fs(str(tmp_path / "out"), None, "arrow")
    commit_lock._acquire(fs, dest, "first")
    with pytest.raises(FileExistsError):  # pyarrow has no exclusive create
        commit_lock._open_new(fs, commit.lock_path(dest))
    try:
        with pytest.raises(CommitError, match=r"pf-lock.*is held.*running"):
            commit_lock._acquire(fs, dest, "second", timeout=0.2)
    finally:
        commit_lock._release(fs, dest, "first")
    assert not os.path.exists(commit.lock_path(dest))
