"""Scheduler callbacks: small event objects handed to registered listeners.

A :class:`Callback` subclass overrides any of ``on_start``, ``on_task_start``,
``on_task_finish`` and ``on_finish``. Use it as a context manager to register
it for every computation inside the block, or pass it to
``compute(callbacks=[...])`` for one call.

Examples
--------
>>> import partframe
>>> from operator import add
>>> class Count(Callback):
...     def __init__(self): self.done = 0
...     def on_task_finish(self, event): self.done += 1
>>> with Count() as c:
...     partframe.get({"a": 1, "b": (add, "a", 1)}, "b", scheduler="sync")
2
>>> c.done
1
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Callback",
    "ComputeFinish",
    "ComputeStart",
    "TaskFinish",
    "TaskStart",
    "active_callbacks",
]


@dataclass(frozen=True, slots=True)
class ComputeStart:
    """A graph is about to run: ``ntasks`` tasks, ``keys`` requested."""

    ntasks: int
    keys: list


@dataclass(frozen=True, slots=True)
class TaskStart:
    """Task ``key`` was handed to a worker."""

    key: Hashable


@dataclass(frozen=True, slots=True)
class TaskFinish:
    """Task ``key`` finished; ``ndone`` of ``ntasks`` are done."""

    key: Hashable
    ndone: int
    ntasks: int


@dataclass(frozen=True, slots=True)
class ComputeFinish:
    """The graph stopped: ``error`` is the exception, or ``None`` on success."""

    ntasks: int
    ndone: int
    error: BaseException | None


class Callback:
    """Base class of scheduler listeners; override the hooks you need.

    Hooks run on the thread that drives the scheduler, never on workers, so
    they must be quick. ``on_task_start`` may be skipped by schedulers that
    cannot see it (a distributed cluster reports finishes only).
    """

    def on_start(self, event: ComputeStart) -> None:
        """Called once before the first task runs."""

    def on_task_start(self, event: TaskStart) -> None:
        """Called when a task is submitted."""

    def on_task_finish(self, event: TaskFinish) -> None:
        """Called when a task has finished."""

    def on_finish(self, event: ComputeFinish) -> None:
        """Called once when the computation ends, with or without error."""

    def __enter__(self) -> Any:
        with _lock:
            _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            if self in _active:
                _active.remove(self)


_active: list[Callback] = []
_lock = threading.Lock()


def active_callbacks(extra: Iterable[Callback] = ()) -> list[Callback]:
    """The callbacks registered with ``with`` plus ``extra``, without repeats."""
    with _lock:
        out = list(_active)
    for cb in extra:
        if cb not in out:
            out.append(cb)
    return out
