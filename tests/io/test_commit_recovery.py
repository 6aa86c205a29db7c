"""Commits interrupted mid-way (a killed process) are recovered from the journal.

The kill is simulated by making the k-th move of the commit raise
:class:`Killed`, a ``BaseException`` the commit's own rollback does not
catch (as ``kill -9`` would not let it run), and by leaving a lock that a
dead process held. Then a reader, a writer or :func:`recover` must leave
the destination holding exactly the old or exactly the new files.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import fsspec
import numpy as np
import pandas as pd
import pytest
from leftovers import assert_only, contents

import partframe
from partframe.io import commit, commit_lock
from partframe.io.commit import CommitError, journal_path, lock_path, recover
from partframe.testing import assert_eq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Killed(BaseException):
    """Stands for ``kill -9`` in the middle of the commit task."""


def _pdf(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.arange(start, start + n),
            "g": [f"k{i % 3}" for i in range(n)],
            "f": np.arange(n) / 4,
        }
    )


OLD = _pdf(12)
NEW = _pdf(18, start=100)


@pytest.fixture
def mem():
    fs = fsspec.filesystem("memory")
    root = f"/rec-{uuid.uuid4().hex[:8]}"
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def files(fs, root: str) -> dict:
    return contents(fs, root)


def dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def killed_overwrite(monkeypatch, fs, dest: str, k: int | str, write=None) -> list:
    """Write ``OLD`` to ``dest``, then overwrite it with ``NEW`` and kill that
    commit at move ``k`` (see :func:`patch_kill`); the files the first write
    left."""
    write = write or write_parquet
    url = f"memory://{dest}"
    write(url, OLD, 2, "new")
    before = files(fs, dest)
    patch_kill(monkeypatch, fs, k)
    with pytest.raises(Killed):
        write(url, NEW, 3, "overwrite")
    monkeypatch.undo()
    return before


def leave_dead_lock(fs, dest: str) -> None:
    """The lock a commit killed on this host leaves behind."""
    holder = {**commit_lock._whoami(), "pid": dead_pid(), "start": None}
    payload = {"token": "deadbeef", "dest": dest, "time": time.time(), **holder}
    fs.pipe_file(lock_path(dest), json.dumps(payload).encode())


def patch_kill(monkeypatch, fs, k: int | str, between: bool = False) -> list:
    """Kill the commit at its k-th move.

    ``"all"``: after the last move, before the commit point is written;
    ``"committed"``: just after it.

    ``between``: move k is copied but its source not deleted yet.
    """
    cls = type(fs)
    real_mv, real_pipe = cls.mv, cls.pipe_file
    moves: list = []

    def mv(self, src, dst, *args, **kwargs):
        if isinstance(k, int) and len(moves) == k:
            if between:
                self.copy(src, dst)
            raise Killed(f"killed at move {k}")
        moves.append((src, dst))
        return real_mv(self, src, dst, *args, **kwargs)

    def pipe_file(self, path, value, *args, **kwargs):
        point = str(path).endswith(".pf-journal") and (
            json.loads(value)["state"] == "committed"
        )
        if point and k == "all":
            raise Killed("killed after every move, before the commit point")
        out = real_pipe(self, path, value, *args, **kwargs)
        if point and k == "committed":
            raise Killed("killed just after the commit point")
        return out

    monkeypatch.setattr(cls, "mv", mv)
    monkeypatch.setattr(cls, "pipe_file", pipe_file)
    # the whole process dies: to_parquet's cleanup (abort) never runs either
    monkeypatch.setattr(commit, "abort", lambda job: None)
    return moves


# --- writers of each kind ------------------------------------------------------


def write_parquet(url: str, pdf: pd.DataFrame, nparts: int, mode: str, **kw):
    df = partframe.from_pandas(pdf, npartitions=nparts)
    df.to_parquet(url, overwrite=mode == "overwrite", append=mode == "append", **kw)


def read_parquet(url: str, **kw) -> pd.DataFrame:
    return partframe.read_parquet(url, **kw)


def write_csv(url: str, pdf: pd.DataFrame, nparts: int, mode: str, **kw):
    assert mode != "append"
    df = partframe.from_pandas(pdf, npartitions=nparts)
    df.to_csv(url + "/*.csv", overwrite=mode == "overwrite", index=False, **kw)


def read_csv(url: str, **kw):
    return partframe.read_csv(url + "/*.csv", **kw)


def write_single_csv(url: str, pdf: pd.DataFrame, nparts: int, mode: str, **kw):
    df = partframe.from_pandas(pdf, npartitions=nparts)
    df.to_csv(url, single_file=True, overwrite=mode == "overwrite", index=False, **kw)


def read_single_csv(url: str, **kw):
    return partframe.read_csv(url, **kw)


KINDS = {
    "parquet": (write_parquet, read_parquet),
    "csv": (write_csv, read_csv),
    "single-csv": (write_single_csv, read_single_csv),
}
CASES = [
    ("parquet", "new"),
    ("parquet", "overwrite"),
    ("parquet", "append"),
    ("csv", "new"),
    ("csv", "overwrite"),
    ("single-csv", "new"),
    ("single-csv", "overwrite"),
]


def expected_states(fs, root: str, kind: str, mode: str) -> tuple:
    """(old files, old frame or None, new files, new frame), written cleanly."""
    write, _ = KINDS[kind]
    old_ref, new_ref = f"{root}/ref-old", f"{root}/ref-new"
    if mode == "new":
        old_files, old_frame = {}, None
    else:
        write(f"memory://{old_ref}", OLD, 2, "new")
        old_files, old_frame = files(fs, old_ref), OLD
    if mode == "append":
        write(f"memory://{new_ref}", OLD, 2, "new")
        write(f"memory://{new_ref}", NEW, 3, "append")
        new_frame = pd.concat([OLD, NEW])
    else:
        write(f"memory://{new_ref}", NEW, 3, "new")
        new_frame = NEW
    return old_files, old_frame, files(fs, new_ref), new_frame


def total_moves(old_files: dict, kind: str, mode: str) -> int:
    nnew = 1 if kind == "single-csv" else 3
    if mode == "overwrite":
        return len(old_files) + nnew
    return nnew


def check_reader(fs, url: str, kind: str, frame) -> None:
    _, read = KINDS[kind]
    if frame is None:
        with pytest.raises(FileNotFoundError):
            read(url)
        return
    got = read(url)
    if kind == "parquet":
        assert_eq(got, frame, check_index=False)
    else:
        assert_eq(got, frame, check_index=False, check_divisions=False)


def assert_clean(fs, root: str, dest: str) -> None:
    """Nothing but the destination (and the references) next to it."""
    fs.invalidate_cache()
    left = sorted(p.rsplit("/", 1)[1] for p in fs.ls(root, detail=False))
    name = dest.rsplit("/", 1)[1]
    refs = [n for n in left if n.startswith("ref-")]
    assert_only(root, refs + ([name] if name in left else []), fs)
    assert not fs.exists(journal_path(dest))
    assert not fs.exists(lock_path(dest))


# --- the kill matrix -------------------------------------------------------------


KILL_POINTS = [
    (at, between)
    for at in ["none", "first", "half", "last"]
    for between in [False, True]
] + [("all", False), ("committed", False)]


@pytest.mark.parametrize("kind,mode", CASES)
@pytest.mark.parametrize(
    "at,between",
    KILL_POINTS,
    ids=[f"{a}-{'copied' if b else 'moved'}" for a, b in KILL_POINTS],
)
def test_killed_commit_is_recovered_by_reader(
    mem, monkeypatch, kind, mode, at, between
):
    """``between``: killed after move k was copied, before its source went."""
    fs, root = mem
    old_files, old_frame, new_files, new_frame = expected_states(fs, root, kind, mode)
    dest = f"{root}/out.csv" if kind == "single-csv" else f"{root}/out"
    url = f"memory://{dest}"
    write, _ = KINDS[kind]
    if mode != "new":
        write(url, OLD, 2, "new")
        assert files(fs, dest) == old_files
    total = total_moves(old_files, kind, mode)
    k = {"none": 0, "first": min(1, total - 1), "half": total // 2}.get(at, at)
    k = total - 1 if k == "last" else k
    moves = patch_kill(monkeypatch, fs, k, between)
    with pytest.raises(Killed):
        write(url, NEW, 3, mode)
    monkeypatch.undo()
    # the kill came where it was meant to
    assert len(moves) == (total if k in ("all", "committed") else k)
    # the state a kill leaves: a journal and a lock of a dead process
    assert fs.exists(journal_path(dest))
    leave_dead_lock(fs, dest)
    if k not in (0, "committed") and mode == "overwrite" and kind != "single-csv":
        assert files(fs, dest) not in (old_files, new_files)  # half-moved
    # (a) a reader repairs it first, then reads exactly old or exactly new
    rolled_forward = k == "committed"
    check_reader(fs, url, kind, new_frame if rolled_forward else old_frame)
    # (b) the files are byte for byte the old or the new set, and no
    # journal, lock, staging or backup folder is left
    assert files(fs, dest) == (new_files if rolled_forward else old_files)
    if kind != "single-csv" and (rolled_forward or mode != "new"):
        assert "_SUCCESS" in files(fs, dest)
    assert_clean(fs, root, dest)
    # a rolled-back write can simply be run again
    if not rolled_forward:
        write(url, NEW, 3, mode)
        assert files(fs, dest) == new_files
        check_reader(fs, url, kind, new_frame)
        assert_clean(fs, root, dest)


@pytest.mark.parametrize("at", ["half", "committed"])
def test_killed_commit_is_recovered_by_next_writer(mem, monkeypatch, at):
    fs, root = mem
    dest = f"{root}/out"
    url = f"memory://{dest}"
    killed_overwrite(monkeypatch, fs, dest, 3 if at == "half" else at)
    leave_dead_lock(fs, dest)
    third = _pdf(5, start=1000)
    write_parquet(url, third, 1, "append")  # recovers, then appends
    expected = pd.concat([OLD if at == "half" else NEW, third])
    assert_eq(read_parquet(url), expected, check_index=False)
    assert_clean(fs, root, dest)


def test_recover_directly_and_again(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    before = killed_overwrite(monkeypatch, fs, dest, 4)
    # a recovery that is itself killed half-way is resumed by the next one
    patch_kill(monkeypatch, fs, 1)
    with pytest.raises(Killed):
        recover(fs, dest)
    monkeypatch.undo()
    assert fs.exists(journal_path(dest))
    assert recover(fs, dest) == "rolled back"
    assert files(fs, dest) == before
    assert recover(fs, dest) is None
    assert_clean(fs, root, dest)


def test_exception_mid_commit_rolls_back_in_process(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    write_parquet(f"memory://{dest}", OLD, 2, "new")
    before = files(fs, dest)
    cls = type(fs)
    real_mv = cls.mv
    count = [0]

    def flaky(self, src, dst, *a, **kw):
        count[0] += 1
        if count[0] == 5:
            raise OSError("network lost")
        return real_mv(self, src, dst, *a, **kw)

    monkeypatch.setattr(cls, "mv", flaky)
    with pytest.raises(OSError, match="network lost"):
        write_parquet(f"memory://{dest}", NEW, 3, "overwrite")
    monkeypatch.undo()
    assert count[0] > 5  # the rollback moved the old files back
    assert files(fs, dest) == before
    assert_clean(fs, root, dest)


def test_reader_that_cannot_recover_says_what_to_do(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    killed_overwrite(monkeypatch, fs, dest, 4)

    def read_only(self, *a, **kw):
        raise PermissionError("read-only credentials")

    cls = type(fs)
    for name in ("mv", "rm", "rm_file", "pipe_file", "_open"):
        monkeypatch.setattr(cls, name, read_only)
    with pytest.raises(CommitError) as info:
        read_parquet(f"memory://{dest}")
    msg = str(info.value)
    assert repr(f"memory://{dest}") in msg
    assert journal_path(dest) in msg
    assert "read-only credentials" in msg and "recover(" in msg
    monkeypatch.undo()
    assert_eq(read_parquet(f"memory://{dest}"), OLD, check_index=False)


def test_nothing_pending_costs_one_exists_call(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    write_parquet(f"memory://{dest}", OLD, 2, "new")
    calls: list = []
    real = type(fs).exists

    def exists(self, path, **kw):
        calls.append(path)
        return real(self, path, **kw)

    monkeypatch.setattr(type(fs), "exists", exists)
    commit.recover_for_read(fs, [dest])
    assert calls == [journal_path(dest)]


# --- locks -----------------------------------------------------------------------


def test_stale_lock_message_names_holder_age_and_path(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    lock = lock_path(dest)
    holder = {"token": "t0", "host": "elsewhere", "pid": 4242, "time": time.time()}
    holder["time"] -= 3600
    fs.pipe_file(lock, json.dumps(holder).encode())
    monkeypatch.setattr(commit_lock, "LOCK_TIMEOUT", 0.2)
    with pytest.raises(CommitError) as info:
        write_parquet(f"memory://{dest}", OLD, 2, "new")
    msg = str(info.value)
    assert f"memory://{lock}" in msg  # the exact path to delete
    assert "pid 4242" in msg and "'elsewhere'" in msg
    age = int(msg.split(" s ago")[0].rsplit("(", 1)[1])
    assert 3600 <= age < 3700
    assert "delete" in msg
    # another host's lock is never broken, however old
    assert json.loads(fs.cat_file(lock)) == holder
    assert not fs.exists(dest)


def test_old_token_only_lock_is_reported(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    fs.pipe_file(lock_path(dest), b"0123456789abcdef")
    monkeypatch.setattr(commit_lock, "LOCK_TIMEOUT", 0.2)
    with pytest.raises(CommitError, match="unknown writer") as info:
        write_parquet(f"memory://{dest}", OLD, 2, "new")
    assert lock_path(dest) in str(info.value)


def test_lock_of_dead_process_on_this_host_is_broken(mem):
    fs, root = mem
    dest = f"{root}/out"
    leave_dead_lock(fs, dest)
    write_parquet(f"memory://{dest}", OLD, 2, "new")
    assert_eq(read_parquet(f"memory://{dest}"), OLD, check_index=False)
    assert_clean(fs, root, dest)


def test_lock_of_live_process_is_not_broken(mem, monkeypatch):
    fs, root = mem
    dest = f"{root}/out"
    holder = {**commit_lock._whoami(), "token": "live", "time": time.time()}
    fs.pipe_file(lock_path(dest), json.dumps(holder).encode())
    assert commit_lock._holder_state(holder) == "alive"
    monkeypatch.setattr(commit_lock, "LOCK_TIMEOUT", 0.2)
    with pytest.raises(CommitError, match="that process is running"):
        write_parquet(f"memory://{dest}", OLD, 2, "new")
    assert json.loads(fs.cat_file(lock_path(dest)))["token"] == "live"


def test_only_one_breaker_wins(mem):
    fs, root = mem
    dest = f"{root}/out"
    leave_dead_lock(fs, dest)
    lock = lock_path(dest)
    holder = commit_lock._read_lock(fs, lock)
    assert commit_lock._holder_state(holder) == "dead"
    fs.pipe_file(f"{lock}.break-{holder['token']}", b"")  # someone is breaking it
    assert not commit_lock._break_lock(fs, lock, holder)
    assert fs.exists(lock)
    fs.rm(f"{lock}.break-{holder['token']}")
    assert commit_lock._break_lock(fs, lock, holder)
    assert not fs.exists(lock)
    # a slow second breaker finds another writer's fresh lock: kept
    fs.pipe_file(lock, json.dumps({"token": "fresh"}).encode())
    assert not commit_lock._break_lock(fs, lock, holder)
    assert fs.exists(lock)


def test_holder_on_another_host_is_unknown():
    me = commit_lock._whoami()
    assert commit_lock._holder_state({**me, "host": me["host"] + "-x"}) == "unknown"
    assert commit_lock._holder_state({"token": "t"}) == "unknown"
    assert commit_lock._holder_state({**me, "pid": dead_pid()}) == "dead"
    assert socket.gethostname() == me["host"]


# --- a real kill -----------------------------------------------------------------

KILL_SCRIPT = """
import os, sys
import pandas as pd, numpy as np, fsspec, partframe
from partframe.io import commit

dest, at, opts = sys.argv[1], sys.argv[2], eval(sys.argv[3])
real_move, real_state = commit.move, commit.set_state
count = [0]

def move(*args, **kwargs):
    if at.isdigit() and count[0] == int(at):
        os._exit(9)  # no rollback, no lock release: as kill -9
    count[0] += 1
    return real_move(*args, **kwargs)

def set_state(fs, journal, state):
    if at == "moved" and state == "committed":
        os._exit(9)  # every move done, the commit point not written
    real_state(fs, journal, state)
    if at == "committed" and state == "committed":
        os._exit(9)

commit.move, commit.set_state = move, set_state
new = pd.DataFrame({"x": np.arange(100, 118), "g": ["b"] * 18})
partframe.from_pandas(new, npartitions=3).to_parquet(
    dest, overwrite=True, storage_options=opts or None
)
"""
NEW_KILLED = pd.DataFrame({"x": np.arange(100, 118), "g": ["b"] * 18})


def run_killed_writer(dest: str, at: str, opts: dict | None = None) -> None:
    """Overwrite ``dest`` in a process killed at move ``at`` (or "committed")."""
    env = {**os.environ, "PYTHONPATH": ROOT}
    script = textwrap.dedent(KILL_SCRIPT)
    res = subprocess.run(
        [sys.executable, "-c", script, dest, at, repr(opts)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 9, res.stderr


def _local_files(path: str) -> dict:
    return contents(fsspec.filesystem("file"), path)


@pytest.mark.parametrize("at", ["0", "1", "moved", "committed"])
def test_process_killed_mid_commit_on_local_disk(tmp_path, at):
    """Local overwrite is two renames; a kill between them left no folder."""
    dest = str(tmp_path / "out")
    old = pd.DataFrame({"x": np.arange(12), "g": ["a"] * 12})
    partframe.from_pandas(old, npartitions=2).to_parquet(dest)
    before = _local_files(dest)
    run_killed_writer(dest, at)
    assert os.path.exists(dest) == (at != "1")
    assert os.path.exists(journal_path(dest)) and os.path.exists(lock_path(dest))
    # the reader breaks the dead process's lock and repairs the folder
    got = partframe.read_parquet(dest)
    if at == "committed":
        assert_eq(got, NEW_KILLED, check_index=False)
        assert sorted(os.listdir(dest)) == ["_SUCCESS"] + [
            f"part.{i}.parquet" for i in range(3)
        ]
    else:
        assert_eq(got, old, check_index=False)
        assert _local_files(dest) == before
    assert_only(tmp_path, ["out"])


def test_reader_of_several_paths_recovers_each(mem, monkeypatch):
    """Several paths: one listing per parent folder finds both journals."""
    fs, root = mem
    dests = [f"{root}/a", f"{root}/b"]
    before = [killed_overwrite(monkeypatch, fs, d, 3, write_csv) for d in dests]
    for d in dests:
        assert fs.exists(journal_path(d))
    got = partframe.read_csv([f"memory://{d}/*.csv" for d in dests])
    assert_eq(got, pd.concat([OLD, OLD]), check_index=False, check_divisions=False)
    assert [files(fs, d) for d in dests] == before
    assert not [p for p in fs.find(root) if "/." in p]  # nothing hidden left


@pytest.mark.timeout(60)
def test_stuck_break_marker_still_times_out(mem, monkeypatch):
    """A breaker that died leaves its marker: the lock is reported, no spin
    (a spin would hang: the timeout marker catches it, not a clock bound)."""
    fs, root = mem
    dest = f"{root}/out"
    leave_dead_lock(fs, dest)
    holder = commit_lock._read_lock(fs, lock_path(dest))
    fs.pipe_file(f"{lock_path(dest)}.break-{holder['token']}", b"")
    monkeypatch.setattr(commit_lock, "LOCK_TIMEOUT", 0.3)
    with pytest.raises(CommitError, match="delete"):
        commit._acquire(fs, dest, "me")


def test_abort_repairs_its_own_interrupted_commit(mem, monkeypatch):
    """The commit task died (a killed worker) but the client lives on."""
    fs, root = mem
    dest = f"{root}/out"
    write_parquet(f"memory://{dest}", OLD, 2, "new")
    before = files(fs, dest)
    real_mv = type(fs).mv
    moves: list = []

    def mv(self, src, dst, *args, **kwargs):
        moves.append(src)
        if len(moves) == 5:  # the worker dies once, at its fifth move
            raise Killed("worker killed")
        return real_mv(self, src, dst, *args, **kwargs)

    monkeypatch.setattr(type(fs), "mv", mv)
    with pytest.raises(Killed):
        write_parquet(f"memory://{dest}", NEW, 3, "overwrite")
    monkeypatch.undo()
    assert len(moves) > 5  # abort's recovery moved the old files back
    assert files(fs, dest) == before  # abort rolled it back at once
    assert_clean(fs, root, dest)


@pytest.mark.parametrize("mode", ["w", "a"])
@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("at", [0, 1, "all", "committed"])
def test_killed_commit_of_files_by_name_is_recovered(
    mem, monkeypatch, mode, single, at
):
    # to_csv(mode=...) writes files by name into a folder that holds others:
    # a killed commit leaves exactly the old or exactly the new files.
    fs, root = mem

    def write(folder: str, frame: pd.DataFrame, **kw) -> str:
        path = f"memory://{folder}/" + ("out.csv" if single else "p-*.csv")
        df = partframe.from_pandas(frame, npartitions=2)
        df.to_csv(path, index=False, single_file=single, **kw)
        return path

    kw = {"mode": mode, "header": mode != "a"}
    states = []
    for folder in (f"{root}/ref", f"{root}/out"):
        fs.pipe_file(f"{folder}/keep.txt", b"keep")
        path = write(folder, OLD)
        states.append(files(fs, folder))
    write(f"{root}/ref", NEW, **kw)
    new_files, old_files = files(fs, f"{root}/ref"), states[1]
    dest = f"{root}/out" + ("/out.csv" if single else "")
    patch_kill(monkeypatch, fs, at)
    with pytest.raises(Killed):
        write(f"{root}/out", NEW, **kw)
    monkeypatch.undo()
    assert fs.exists(journal_path(dest))
    leave_dead_lock(fs, dest)
    partframe.read_csv(path)  # a reader repairs it first
    assert files(fs, f"{root}/out") == (new_files if at == "committed" else old_files)
    assert not fs.exists(journal_path(dest))
    left = sorted(p.rsplit("/", 1)[1] for p in fs.ls(root, detail=False))
    assert left == ["out", "ref"]
