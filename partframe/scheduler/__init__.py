"""Schedulers: run a task graph and return the values of the requested keys.

Every scheduler is a function ``get(dsk, keys, **options)``. ``keys`` is a key
or a (nested) list of keys; the result has the same nesting. Built in:

- ``"sync"``: one thread, the caller's; deterministic, for debugging.
- ``"threads"``: a pool of threads (the default).
- ``"processes"``: a pool of processes; tasks and data travel by cloudpickle.
- a ``distributed.Client``: the graph runs on that cluster unchanged.
- ``"raise"``: fails if anything computes (tests use it to prove laziness).

A plain callable with the ``get`` signature is accepted too.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

from .. import config
from ..graph import Graph

__all__ = [
    "distributed_active",
    "get",
    "get_scheduler",
    "register_scheduler",
    "runs_on_threads",
    "shares_memory",
]

#: ``get(dsk, keys, **options)``: runs a graph, returns the values of ``keys``.
GetFunction: TypeAlias = Callable[..., Any]

_REGISTRY: dict[str, str | GetFunction] = {
    "sync": "partframe.scheduler.local:get_sync",
    "synchronous": "partframe.scheduler.local:get_sync",
    "single-threaded": "partframe.scheduler.local:get_sync",
    "threads": "partframe.scheduler.threads:get_threads",
    "threading": "partframe.scheduler.threads:get_threads",
    "processes": "partframe.scheduler.processes:get_processes",
    "multiprocessing": "partframe.scheduler.processes:get_processes",
    "raise": "partframe.scheduler.testing:get_raise",
}


def register_scheduler(name: str, target: str | GetFunction) -> None:
    """Make ``scheduler=name`` run ``target`` (a get function or "module:attr")."""
    _REGISTRY[name] = target


def _is_distributed_client(obj: Any) -> bool:
    cls = type(obj)
    return cls.__name__ == "Client" and cls.__module__.startswith("distributed")


def distributed_active(scheduler: Any = None) -> bool:
    """Does a run on ``scheduler`` (None: the configured one) use a
    ``distributed`` cluster, or could it (a default ``Client`` exists)?

    Examples
    --------
    >>> distributed_active("sync")
    False
    """
    if _is_distributed_client(scheduler):
        return True
    if scheduler is not None and not isinstance(scheduler, str):
        return False  # a get function
    if _is_distributed_client(config.get("scheduler")):
        return True
    dist = sys.modules.get("distributed")
    if dist is None or (scheduler is not None):
        return False
    try:
        dist.get_client()
    except (ValueError, AttributeError):
        return False
    return True


def get_scheduler(scheduler: object = None) -> GetFunction:
    """Resolve a scheduler name, client or function into a ``get`` function.

    Examples
    --------
    >>> get_scheduler("sync").__name__
    'get_sync'
    """
    if scheduler is None:
        scheduler = config.get("scheduler")
    if isinstance(scheduler, str):
        try:
            target = _REGISTRY[scheduler.lower()]
        except KeyError:
            names = ", ".join(sorted(_REGISTRY))
            raise ValueError(
                f"unknown scheduler {scheduler!r}; choose one of {names}, "
                "or pass a distributed.Client"
            ) from None
        if callable(target):
            return target
        module, _, attr = target.partition(":")
        found: GetFunction = getattr(importlib.import_module(module), attr)
        return found
    if _is_distributed_client(scheduler):
        from .distributed import client_get

        return client_get(scheduler)
    if callable(scheduler):
        return scheduler
    raise TypeError(
        f"scheduler must be a name, a distributed.Client or a get function, "
        f"not {type(scheduler).__name__}"
    )


def shares_memory(scheduler: Any = None) -> bool:
    """Whether ``scheduler`` runs tasks in this process (``"sync"``,
    ``"threads"``): task results are then the very objects the caller
    receives, never copies.

    Examples
    --------
    >>> shares_memory("sync"), shares_memory("processes")
    (True, False)
    """
    if _is_distributed_client(scheduler):
        return False
    try:
        get = get_scheduler(scheduler)
    except (TypeError, ValueError):
        return False
    from .local import get_sync
    from .threads import get_threads

    return get is get_sync or get is get_threads


def runs_on_threads(get: Any) -> bool:
    """Whether the scheduler function ``get`` is the threads scheduler.

    Examples
    --------
    >>> runs_on_threads(get_scheduler("threads"))
    True
    >>> runs_on_threads(get_scheduler("sync"))
    False
    """
    from .threads import get_threads

    return get is get_threads


def get(dsk: Graph, keys: Any, scheduler: Any = None, **options: Any) -> Any:
    """Compute ``keys`` of the raw graph ``dsk`` on a scheduler.

    Parameters
    ----------
    dsk : dict
        A task graph (see :mod:`partframe.graph`).
    keys : key or nested list of keys
        What to return; the result has the same nesting.
    scheduler : str, distributed.Client or callable, optional
        Defaults to ``partframe.config.get("scheduler")``.
    **options
        Passed to the scheduler: ``num_workers``, ``callbacks``.

    Examples
    --------
    >>> from operator import add
    >>> get({"x": 1, "y": (add, "x", 2)}, ["y", "x"], scheduler="sync")
    [3, 1]
    """
    return get_scheduler(scheduler)(dsk, keys, **options)
