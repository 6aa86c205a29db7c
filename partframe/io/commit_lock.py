"""The commit lock of an output: one committer (or recoverer) at a time.

``<parent>/.<name>.pf-lock`` is created with an exclusive ``"xb"`` open
and records its holder: token, time, host, process id, process start time,
boot id and process namespace. A lock whose holder is provably dead (same
host, boot and namespace; the process is gone or its id was reused) is
broken, under an exclusive marker so that one process breaks it; any other
held lock is reported with its holder, age and the exact path to delete.
Locks held on another host are never broken, however old: a paused holder
that resumed could undo a recovery. Used by :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import time
import uuid
from typing import Any, TypeAlias

from .paths import is_local, join, parent_and_name

__all__ = ["LOCK_TIMEOUT", "CommitError", "journal_path", "lock_path"]

#: A lock file's content: the holder's token and identity (see ``_whoami``).
Holder: TypeAlias = dict[str, Any]

LOCK_TIMEOUT = 10.0  # seconds a commit (or recovery) waits for the lock


class CommitError(RuntimeError):
    """The staged output could not be moved into place, or a lock is held."""


def _sibling(dest: str, suffix: str) -> str:
    parent, name = parent_and_name(dest)
    if not parent and not dest.startswith("/"):
        parent = "."
    return join(parent, f".{name}{suffix}")


def lock_path(dest: str) -> str:
    """The commit lock file of ``dest``: ``<parent>/.<name>.pf-lock``.

    Examples
    --------
    >>> lock_path("bucket/out")
    'bucket/.out.pf-lock'
    """
    return _sibling(dest.rstrip("/"), ".pf-lock")


def journal_path(dest: str) -> str:
    """The commit journal of ``dest``: ``<parent>/.<name>.pf-journal``.

    Examples
    --------
    >>> journal_path("/data/out/")
    '/data/.out.pf-journal'
    """
    return _sibling(dest.rstrip("/"), ".pf-journal")


# --- the lock ----------------------------------------------------------------


def _read_first_line(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.readline().strip() or None
    except OSError:
        return None


def _proc_start(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux clock ticks since boot)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _whoami() -> Holder:
    """Who takes a lock: host, boot, process namespace, pid, start time."""
    return {
        "host": socket.gethostname(),
        "boot": _read_first_line("/proc/sys/kernel/random/boot_id"),
        "pidns": _pid_namespace(),
        "pid": os.getpid(),
        "start": _proc_start(os.getpid()),
    }


def _holder_state(holder: Holder | None) -> str:
    """``"dead"``, ``"alive"`` or ``"unknown"`` (another host, old lock)."""
    if not holder or not isinstance(holder.get("pid"), int) or os.name == "nt":
        return "unknown"  # (on Windows, os.kill(pid, 0) would kill the process)
    me = _whoami()
    if any(holder.get(k) != me[k] for k in ("host", "boot", "pidns")):
        return "unknown"
    pid = holder["pid"]
    if pid == me["pid"]:
        # this process (another thread), or an earlier one with the same pid
        return "alive" if holder.get("start") == me["start"] else "dead"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "dead"
    except OSError:  # exists, owned by another user
        pass
    start = _proc_start(pid)
    if holder.get("start") and start and start != holder["start"]:
        return "dead"  # the pid was reused by a later process
    return "alive"


def _read_lock(fs: Any, lock: str) -> Holder | None:
    """The lock's content (None if there is no lock)."""
    try:
        raw = fs.cat_file(lock)
    except FileNotFoundError:
        return None
    try:
        holder = json.loads(raw)
        if isinstance(holder, dict):
            return holder
    except ValueError:
        pass
    out: Holder = {"token": raw.decode(errors="replace")}  # an old, token-only lock
    with contextlib.suppress(Exception):
        out["time"] = fs.modified(lock).timestamp()
    return out


def _display(fs: Any, path: str) -> str:
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return path
    try:
        return str(fs.unstrip_protocol(path))
    except Exception:
        return path


def _lock_message(fs: Any, dest: str, holder: Holder | None) -> str:
    lock = lock_path(dest)
    parts = [f"the commit lock {_display(fs, lock)!r} of {dest!r} is held"]
    if holder and "pid" in holder:
        parts.append(f" by pid {holder['pid']} on host {holder.get('host')!r}")
        state = _holder_state(holder)
        if state == "alive":
            parts.append(" (that process is running)")
        elif state == "unknown":
            parts.append(" (another host: this process cannot tell if it runs)")
    elif holder:
        parts.append(" by an unknown writer")
    if holder and isinstance(holder.get("time"), int | float):
        since = datetime.datetime.fromtimestamp(holder["time"], datetime.UTC)
        age = time.time() - holder["time"]
        parts.append(f" since {since:%Y-%m-%d %H:%M:%S} UTC ({age:.0f} s ago)")
    with contextlib.suppress(Exception):
        if fs.exists(journal_path(dest)):
            parts.append(
                f"; its journal {_display(fs, journal_path(dest))!r} shows a "
                "commit that has not finished"
            )
    parts.append(
        f". If no partframe writer is still committing to {dest!r}, delete "
        f"{_display(fs, lock)!r} and retry: the next reader or writer then "
        "completes or undoes any interrupted commit from its journal"
    )
    return "".join(parts)


def _open_new(fs: Any, path: str) -> Any:
    """Open ``path`` for writing only if it does not exist (``FileExistsError``
    otherwise): by the operating system on a local disk (pyarrow's local
    filesystem has no exclusive create), else by ``fs``."""
    return open(path, "xb") if is_local(fs) else fs.open(path, "xb")


def _break_lock(fs: Any, lock: str, holder: Holder) -> bool:
    """Remove a lock whose holder is dead; only one breaker succeeds.

    The breaker first creates ``<lock>.break-<holder token>`` exclusively,
    then deletes the lock only if it still holds that token. A later
    breaker of the same token can create the marker only after the winner
    deleted it, which is after the dead holder's lock was gone, so it finds
    another token (or none) and deletes nothing.
    """
    marker = f"{lock}.break-{holder.get('token')}"
    try:
        with _open_new(fs, marker) as f:
            f.write(json.dumps(_whoami()).encode())
    except (FileExistsError, ValueError, NotImplementedError):
        return False  # being broken by another process, or no exclusive create
    try:
        current = _read_lock(fs, lock)
        if current is not None and current.get("token") == holder.get("token"):
            fs.rm(lock)
            return True
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(marker)


def _acquire(fs: Any, dest: str, token: str, timeout: float | None = None) -> None:
    lock = lock_path(dest)
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    payload = json.dumps(
        {"token": token, "dest": dest, "time": time.time(), **_whoami()}
    ).encode()
    deadline = time.monotonic() + timeout
    next_look = 0.0
    holder = None
    while True:
        try:
            with _open_new(fs, lock) as f:
                f.write(payload)
            return
        except FileExistsError:
            now = time.monotonic()
            if now >= next_look:  # who holds it? (at most once a second)
                holder = _read_lock(fs, lock)
                if (
                    holder is not None
                    and _holder_state(holder) == "dead"
                    and _break_lock(fs, lock, holder)
                ):
                    continue
                next_look = now + 1.0
            if now > deadline:
                raise CommitError(_lock_message(fs, dest, holder)) from None
            time.sleep(0.05)
            fs.invalidate_cache()
        except (ValueError, NotImplementedError):
            # A filesystem without exclusive create: best effort.
            fs.invalidate_cache()
            if fs.exists(lock):
                raise CommitError(
                    _lock_message(fs, dest, _read_lock(fs, lock))
                ) from None
            fs.pipe(lock, payload)
            return


def _release(fs: Any, dest: str, token: str) -> None:
    lock = lock_path(dest)
    holder = _read_lock(fs, lock)
    if holder is not None and holder.get("token") == token:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(lock)


JOURNAL_VERSION = 1
#: A commit's journal, as stored in JSON (see the module docstring of io.commit).
Journal: TypeAlias = dict[str, Any]


def write_json(fs: Any, path: str, obj: Journal) -> None:
    """Write ``obj`` to ``path`` atomically (readers see old or new, whole)."""
    data = json.dumps(obj, indent=0).encode()
    if is_local(fs):
        tmp = f"{path}.tmp-{obj.get('token', uuid.uuid4().hex)}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    else:
        fs.pipe_file(path, data)  # one PUT: atomic on object stores


def read_journal(fs: Any, path: str) -> Journal | None:
    try:
        raw = fs.cat_file(path)
    except FileNotFoundError:
        return None
    try:
        out = json.loads(raw)
        if not isinstance(out, dict) or out.get("version") != JOURNAL_VERSION:
            raise ValueError("not a partframe commit journal")
    except ValueError as e:
        raise CommitError(
            f"the commit journal {path!r} cannot be read ({e}); it lists the "
            "moves of an interrupted commit: inspect it before deleting it"
        ) from None
    return out
