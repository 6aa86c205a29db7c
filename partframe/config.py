"""Global configuration: scheduler, worker count, shuffle method, split_every.

Settings live in one process-wide dict. ``set`` works both as a plain call
(the change stays) and as a context manager (the change is undone on exit).

Examples
--------
>>> import partframe
>>> with partframe.config.set(scheduler="sync"):
...     partframe.config.get("scheduler")
'sync'
>>> partframe.config.get("scheduler")
'threads'
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DEFAULTS", "get", "set"]

DEFAULTS: dict[str, Any] = {
    # "sync" | "threads" | "processes" | a distributed.Client | a get function
    "scheduler": "threads",
    # None means os.cpu_count()
    "num_workers": None,
    # "tasks" | "disk" | None (choose by scheduler and size)
    "shuffle_method": None,
    # fan-in of tree reductions
    "split_every": 8,
    # None means tempfile.gettempdir()
    "temporary_directory": None,
    # fuse linear chains of tasks before running a graph
    "fuse": True,
    # seconds an overwrite keeps the replaced version of a dataset for the
    # reads planned on it (partframe.io.snapshot); 0: delete it at once
    "retain_seconds": 300.0,
    # ... and at most this many replaced versions (the newest)
    "retain_versions": 2,
    # seconds a computation on a distributed.Client waits while the cluster
    # has no workers before it raises (None: forever, as distributed does)
    "no_workers_timeout": 300.0,
    # on the threads scheduler, a task calling a user's Python function per
    # group (groupby apply) while another such task runs in this process
    # runs in a worker process instead (partframe.offload)
    "offload_processes": True,
}

_config: dict[str, Any] = dict(DEFAULTS)
_lock = threading.RLock()
_MISSING = object()


def get(key: str, default: Any = _MISSING) -> Any:
    """Return the current value of setting ``key``.

    Parameters
    ----------
    key : str
        One of the names in ``partframe.config.DEFAULTS``.
    default : object, optional
        Returned when ``key`` is unknown; without it an unknown key raises.

    Examples
    --------
    >>> import partframe
    >>> partframe.config.get("split_every")
    8
    """
    try:
        return _config[key]
    except KeyError:
        if default is not _MISSING:
            return default
        known = ", ".join(sorted(_config))
        raise KeyError(f"unknown partframe setting {key!r}; known: {known}") from None


class set:
    """Change settings, for good or inside a ``with`` block.

    Parameters
    ----------
    **settings
        Setting names and their new values. Unknown names raise ``KeyError``.

    Examples
    --------
    >>> import partframe
    >>> with partframe.config.set(num_workers=1, scheduler="sync"):
    ...     partframe.config.get("num_workers")
    1
    """

    def __init__(self, **settings: Any) -> None:
        unknown = [k for k in settings if k not in _config]
        if unknown:
            known = ", ".join(sorted(_config))
            raise KeyError(f"unknown partframe setting(s) {unknown}; known: {known}")
        with _lock:
            self._old = {k: _config[k] for k in settings}
            _config.update(settings)

    def __enter__(self) -> set:
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            _config.update(self._old)


@contextmanager
def _reset() -> Iterator[None]:
    """Restore every setting on exit (for tests)."""
    saved = dict(_config)
    try:
        yield
    finally:
        with _lock:
            _config.clear()
            _config.update(saved)
