"""Where a plan will run, as far as planning needs to know it.

A few plans depend on the engine that runs them: a shuffle on a
distributed cluster cannot spill to this machine's disk (workers may not
share it), a compute whose partitions come straight back into this process
can hand the final concat partitions not built yet, and ``set_index`` of an
unsorted column computes sample statistics while the plan is made. The
expression layer sits below the schedulers and must not import them, so
the layer above describes the run as a :class:`Target` and hands it down:
``base.compute`` builds one for each run and optimizes under it
(:func:`using`); outside a run (``df.divisions`` asked of a plan that must
compute them) :func:`current` asks the factory the compute layer registered
at import (:func:`set_default`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Expr

__all__ = ["Target", "current", "set_default", "using"]


@dataclasses.dataclass(frozen=True)
class Target:
    """What planning may ask about the run.

    Parameters
    ----------
    distributed : bool
        Tasks run on a cluster whose workers may not share this machine's
        disk or memory.
    to_client : bool
        The partitions of the computed frame go straight to its final
        concat in this process (a single frame computed on ``sync`` or
        ``threads``), so they may be handed over not built yet.
    shared : bool
        Tasks run in this process (``sync``, ``threads``): a value that many
        tasks read (a join's broadcast side) is one object in memory, where
        other engines send a copy with each task or to each worker.
    threads : bool
        Tasks run on the ``threads`` scheduler, in this process: a task may
        share Python-bound work with worker processes of its own
        (:mod:`partframe.offload`). Not on ``sync`` (one thread, by
        choice: for debugging), nor in a task that already runs in a
        worker process or on a cluster.
    compute : callable, optional
        ``compute(expr)``: the partitions of a plan, computed now on the
        run's scheduler. None: computing while planning is refused.
    """

    distributed: bool = False
    to_client: bool = False
    shared: bool = False
    threads: bool = False
    compute: Callable[[Expr], list[Any]] | None = None

    def compute_now(self, expr: Expr) -> list[Any]:
        """The partitions of ``expr``, computed now."""
        if self.compute is None:
            raise RuntimeError(
                "this plan needs data computed while it is planned "
                f"({type(expr).__name__}) and the run gave no way to compute"
            )
        return self.compute(expr)


_CURRENT: ContextVar[Target | None] = ContextVar("partframe_target", default=None)
_DEFAULT: list[Callable[[], Target]] = []


def set_default(factory: Callable[[], Target]) -> None:
    """Make ``factory()`` the target of planning outside a run."""
    _DEFAULT[:] = [factory]


def current() -> Target:
    """The target of the plan being made: the run's, else the default."""
    target = _CURRENT.get()
    if target is not None:
        return target
    return _DEFAULT[0]() if _DEFAULT else Target()


@contextlib.contextmanager
def using(target: Target) -> Iterator[Target]:
    """Plan under ``target`` inside the ``with`` block."""
    token = _CURRENT.set(target)
    try:
        yield target
    finally:
        _CURRENT.reset(token)
