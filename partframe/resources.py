"""What a graph holds outside memory (spill folders), released with its run.

A compute builds its graph and runs it inside :func:`run_scope`. Objects
made while the graph is built that own something outside the process's
memory (a disk shuffle's spill folder) register their release with
:func:`on_run_end`; the scope calls it when the run ends, however it ends
(results, a task's exception, Ctrl-C), after the scheduler has returned.
Without this, the release would wait until the graph is garbage
collected, and a traceback kept by the caller keeps the graph alive.

Scopes nest per thread: a compute started while a graph is built (the
divisions of ``set_index``) releases its own resources. Objects made
outside any scope (a graph built by ``__dask_graph__`` for another
engine) are released by their own finalizers.

Examples
--------
>>> released = []
>>> with run_scope():
...     registered = on_run_end(lambda: released.append("spill folder"))
...     print(registered, released)
True []
>>> released
['spill folder']
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["on_run_end", "run_scope"]

_local = threading.local()


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextmanager
def run_scope() -> Iterator[None]:
    """Release, on exit, everything registered by :func:`on_run_end` inside."""
    stack = _stack()
    releases: list[Callable[[], None]] = []
    stack.append(releases)
    try:
        yield
    finally:
        stack.pop()
        errors = []
        for release in reversed(releases):
            try:
                release()
            except Exception as exc:  # release the others anyway
                errors.append(exc)
        if errors and sys.exc_info()[0] is None:
            raise errors[0]  # (never instead of the run's own error)


def on_run_end(release: Callable[[], None]) -> bool:
    """Call ``release()`` when the innermost :func:`run_scope` ends.

    Returns False (and registers nothing) outside any scope.
    """
    stack = _stack()
    if not stack:
        return False
    stack[-1].append(release)
    return True
