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
from ..kernels.overlap import overlap_call, overlap_extend, overlap_head, overlap_tail
from .base import Divisions, Expr, Layer, RowsInPlace
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
        "enforce", "rows_per_row",
    ]  # fmt: skip
    _defaults = {
        "args": (), "kwargs": None, "label": "map_overlap", "enforce": False,
        "rows_per_row": 1,
    }  # fmt: skip
    frame: Expr
    func: Callable[..., Any]
    before: Any
    after: Any
    meta: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any] | None
    label: str
    enforce: bool | str
    rows_per_row: int

    def _divisions(self) -> Divisions:
        if self.rows_per_row != 1:  # blocks of rows under a new index level
            return (None,) * (self.frame.npartitions + 1)
        return self.frame.divisions

    @property
    def _funcname(self) -> str:
        return "overlap-" + function_name(self.func).strip("_<>")

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _operand_repr(self) -> str:
        return f"{self.label}, before={self.before!r}, after={self.after!r}"

    def _layer(self) -> Layer:
        name, n = self._name, self.npartitions
        before, after = self.before, self.after
        graph: Layer = {}
        tail, head = self._chains(graph, self.frame, "")
        args: list[Any] = list(self.args)
        for j, arg in enumerate(args):
            if isinstance(arg, Expr):  # another frame, aligned: extended too
                otail, ohead = self._chains(graph, arg, str(j))
                ext = f"{name}-ext{j}"
                for i in range(n):
                    graph[(ext, i)] = (
                        overlap_extend, otail(i - 1), (arg._name, i), ohead(i + 1),
                        before, after,
                    )  # fmt: skip
        check = (
            MetaCheck(self._meta, self.label, inferred=self.enforce == "inferred")
            if self.enforce
            else None
        )
        func, kwargs = quote(self.func), quote(dict(self.kwargs or {}))
        meta = quote(self._meta)
        for i in range(n):
            task_args = [
                (f"{name}-ext{j}", i) if isinstance(a, Expr) else quote(a)
                for j, a in enumerate(args)
            ]
            task: Any = (
                overlap_call, tail(i - 1), (self.frame._name, i), head(i + 1),
                before, after, func, task_args, kwargs, self.label, i, meta,
                self.rows_per_row,
            )  # fmt: skip
            if check is not None:
                task = (check_partition, check, i, task)
            graph[(name, i)] = task
        return graph

    def _chains(
        self, graph: Layer, frame: Expr, tag: str
    ) -> tuple[Callable[[int], Any], Callable[[int], Any]]:
        """Add the tasks carrying the rows ``frame``'s partitions borrow;
        two functions: partition ``i`` to the key of what it gets from
        before (``tail(i - 1)``) and from after (``head(i + 1)``), ``None``
        where nothing is borrowed."""
        name, src, n = self._name, frame._name, self.npartitions
        before, after = self.before, self.after
        tail, head = f"{name}-tail{tag}", f"{name}-head{tag}"
        if before:
            for i in range(n - 1):
                prev = (tail, i - 1) if i else None
                graph[(tail, i)] = (overlap_tail, prev, (src, i), before)
        if after:
            for i in range(n - 1, 0, -1):
                nxt = (head, i + 1) if i < n - 1 else None
                graph[(head, i)] = (overlap_head, (src, i), nxt, after)

        def tail_of(i: int) -> Any:
            return (tail, i) if before and 0 <= i < n - 1 else None

        def head_of(i: int) -> Any:
            return (head, i) if after and 0 < i < n else None

        return tail_of, head_of
