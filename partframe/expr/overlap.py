"""A function of each partition extended by rows of its neighbours.

:class:`MapOverlap` is ``map_overlap(func, before, after)``, and what is
built on it: ``shift``, ``diff``, ``pct_change``, ``rolling``. Partition
``i`` borrows the last ``before`` rows of the partitions before it and the
first ``after`` rows of those after it (a row count, or a time span of a
sorted datetime-like index), ``func`` runs on the extended partition, and
the borrowed rows are cut off its result. Rows stay where they are, so
divisions are kept.

What is borrowed is carried from partition to partition, one small task
each (``-tail`` forward, ``-head`` backward; see
:mod:`partframe.kernels.overlap`): a partition shorter than the overlap, or
empty, passes on what it received with its own rows, so results do not
depend on partition sizes. Only the borrowed rows travel.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..graph import quote
from ..kernels.enforce import MetaCheck, check_partition
from ..kernels.overlap import overlap_call, overlap_head, overlap_tail
from .base import Expr, Layer, RowsInPlace
from .blockwise import function_name

__all__ = ["MapOverlap"]


class MapOverlap(RowsInPlace):
    """``func(partition with borrowed rows, *args, **kwargs)``, cut back.

    ``before``/``after``: rows (an ``int``) or a ``pandas.Timedelta``;
    ``meta``: the result's schema; ``label``: the call named in errors;
    ``enforce``: check each result against ``meta`` (user functions;
    ``"inferred"`` when the meta was not the user's).
    """

    _parameters = [
        "frame", "func", "before", "after", "meta", "args", "kwargs", "label",
        "enforce",
    ]  # fmt: skip
    _defaults = {"args": (), "kwargs": None, "label": "map_overlap", "enforce": False}
    frame: Expr
    func: Callable[..., Any]
    before: Any
    after: Any
    meta: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any] | None
    label: str
    enforce: bool | str

    @property
    def _funcname(self) -> str:
        return "overlap-" + function_name(self.func).strip("_<>")

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _operand_repr(self) -> str:
        return f"{self.label}, before={self.before!r}, after={self.after!r}"

    def _layer(self) -> Layer:
        name, src, n = self._name, self.frame._name, self.npartitions
        before, after = self.before, self.after
        tail, head = f"{name}-tail", f"{name}-head"
        borrows_before, borrows_after = bool(before), bool(after)
        graph: Layer = {}
        if borrows_before:
            for i in range(n - 1):
                prev = (tail, i - 1) if i else None
                graph[(tail, i)] = (overlap_tail, prev, (src, i), before)
        if borrows_after:
            for i in range(n - 1, 0, -1):
                nxt = (head, i + 1) if i < n - 1 else None
                graph[(head, i)] = (overlap_head, (src, i), nxt, after)
        check = (
            MetaCheck(self._meta, self.label, inferred=self.enforce == "inferred")
            if self.enforce
            else None
        )
        func, args = quote(self.func), quote(tuple(self.args))
        kwargs = quote(dict(self.kwargs or {}))
        meta = quote(self._meta)
        for i in range(n):
            prev = (tail, i - 1) if borrows_before and i else None
            nxt = (head, i + 1) if borrows_after and i < n - 1 else None
            task: Any = (
                overlap_call, prev, (src, i), nxt, before, after, func, args,
                kwargs, self.label, i, meta,
            )  # fmt: skip
            if check is not None:
                task = (check_partition, check, i, task)
            graph[(name, i)] = task
        return graph
