"""Run graphs on a ``distributed.Client``: an adapter, not a translator.

Our graphs follow the legacy Dask spec, which ``Client.get`` runs unchanged.
``distributed`` is imported only by the caller who passes a Client.

When someone listens (a progress bar, ``compute(callbacks=...)`` or a
``with Callback():`` block), every task of the culled graph is requested as
a future so its completion can be reported; futures of intermediate tasks
are released as soon as they finish, so the cluster frees those values once
their dependents have run, as it would without listeners. A cluster reports
finishes only: ``on_task_start`` is not called.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from ..callbacks import (
    Callback,
    ComputeFinish,
    ComputeStart,
    TaskFinish,
    active_callbacks,
)
from ..graph import Graph, Key, cull, flatten_keys

__all__ = ["client_get"]

# Options of the local schedulers that mean nothing to a cluster.
_LOCAL_ONLY = ("num_workers", "fuse")


def client_get(client: Any) -> Callable[..., Any]:
    """Return a ``get(dsk, keys, **options)`` function that runs on ``client``.

    Parameters
    ----------
    client : distributed.Client
        Where the graphs run.

    Returns
    -------
    callable
        ``get(dsk, keys, callbacks=(), progress_bar=None, **options)``; the
        other options go to ``Client.get`` (``workers``, ``retries``...).

    Examples
    --------
    >>> from operator import add
    >>> get = client_get(client)  # doctest: +SKIP
    >>> get({"x": 1, "y": (add, "x", 2)}, ["y"])  # doctest: +SKIP
    [3]
    """

    def get_distributed(
        dsk: Graph,
        keys: Any,
        callbacks: Iterable[Callback] = (),
        progress_bar: Callback | None = None,
        **options: Any,
    ) -> Any:
        for name in _LOCAL_ONLY:
            options.pop(name, None)
        cbs = active_callbacks(callbacks)
        if progress_bar is not None and progress_bar not in cbs:
            cbs.append(progress_bar)
        if not cbs:
            return _get_watched(client, dsk, keys, options)
        return _get_reporting(client, dsk, keys, cbs, options)

    return get_distributed


class NoWorkersError(RuntimeError):
    """The cluster had no workers for longer than ``no_workers_timeout``."""


def _check_workers(client: Any, since: float | None) -> float | None:
    """When the cluster has had no workers since (``since``, or now), for
    longer than the ``no_workers_timeout`` setting: raise
    :class:`NoWorkersError`. Returns the new ``since``."""
    from .. import config

    if client.nthreads():
        return None
    now = time.monotonic()
    since = now if since is None else since
    limit = config.get("no_workers_timeout")
    if limit is not None and now - since > limit:
        raise NoWorkersError(
            f"the cluster of {client!r} has had no workers for {limit:.0f} s, "
            "and the computation waits for one (workers that died, e.g. "
            "killed for memory or by a task, and were not restarted: see "
            "the workers' logs). Add workers, or raise partframe.config "
            "no_workers_timeout (None waits forever)"
        )
    return since


def _get_watched(client: Any, dsk: Graph, keys: Any, options: dict[str, Any]) -> Any:
    """``client.get``, but a cluster left without workers (they died and
    were not restarted) raises :class:`NoWorkersError` instead of waiting
    forever."""
    from distributed import wait
    from distributed.client import futures_of

    # (the futures are released on return: cancelling them would cancel a
    # next computation of the same keys submitted meanwhile)
    futures = client.get(dsk, keys, sync=False, **options)
    since = None
    for f in futures_of(futures):
        # ``wait`` only waits: its TimeoutError means "not finished yet",
        # never the task's own error (``result(timeout=)`` raises both, and
        # a task finishing just after the timeout looked like one raising).
        while True:
            try:
                wait(f, timeout=1.0)
            except TimeoutError:
                since = _check_workers(client, since)
                continue
            break
        if f.status == "error":
            f.result()  # raises the task's own error, without waiting for the rest
    return client.gather(futures)


def _get_reporting(
    client: Any, dsk: Graph, keys: Any, cbs: list[Callback], options: dict[str, Any]
) -> Any:
    """``client.get`` that reports every task's completion to ``cbs``."""
    from distributed import as_completed

    dsk, _ = cull(dsk, keys)
    requested = set(flatten_keys(keys))
    all_keys = list(dsk)
    ntasks = len(all_keys)
    ndone = 0
    error: BaseException | None = None
    futures: list[Any] = []
    for cb in cbs:
        cb.on_start(ComputeStart(ntasks, list(requested)))
    try:
        futures = client.get(dsk, all_keys, sync=False, **options)
        by_key = dict(zip(all_keys, futures))
        for fut in as_completed(futures):
            if fut.status == "error":
                fut.result()  # raises the task's own exception
            ndone += 1
            event = TaskFinish(fut.key, ndone, ntasks)
            for cb in cbs:
                cb.on_task_finish(event)
            if fut.key not in requested:
                fut.release()
        return client.gather(_pack(keys, by_key))
    except BaseException as exc:
        error = exc
        raise
    finally:
        for f in futures:
            f.release()
        for cb in cbs:
            cb.on_finish(ComputeFinish(ntasks, ndone, error))


def _pack(keys: Any, futures: dict[Key, Any]) -> Any:
    if type(keys) is list:
        return [_pack(k, futures) for k in keys]
    return futures[keys]
