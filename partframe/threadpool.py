"""Threads for work the calling process does itself, outside any scheduler.

Hashing the buffers of a big input (:mod:`partframe.tokenize`) and
concatenating the columns of a big result
(:func:`partframe.kernels.partitions.concat_result`) copy or read memory
with the GIL released, so they use every core. They share one pool,
started on first use. A forked child inherits the pool object but not its
threads (it would wait forever on it), so the child starts its own.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["WORKERS", "client_pool"]

#: Threads in the pool (and how many pieces the callers split work into).
WORKERS = min(8, os.cpu_count() or 1)

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def client_pool() -> ThreadPoolExecutor:
    """The process's pool for client-side work.

    Examples
    --------
    >>> client_pool().submit(sum, [1, 2]).result()
    3
    """
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="pf-client")
        return _pool


def _forget_pool() -> None:
    global _pool, _lock
    _pool = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
