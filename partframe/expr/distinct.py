"""Distinct values through a shuffle: ``drop_duplicates`` and
``value_counts`` with ``split_out``.

:class:`DropDuplicates` keeps the first (last, or no) row of each distinct
key over the whole frame. Each partition first drops its own duplicates
(``keep`` first/last), its rows are tagged with their partition and
position, hash-shuffled by key so equal keys meet, deduplicated there
(the tags decide which row is first), and shuffled back home in their
original order: the result has the frame's partitions and divisions.
Where no consumer needs that (the side of a join on columns, whose result
has its own row order: ``DropDuplicates(in_place=False)``, see
:meth:`~partframe.expr.merge.Merge._simplify`), the rows stay in the
partition of their key; tags are kept only where they decide which row
stays (``keep`` first or last with columns beyond the keys).

:class:`ValueCounts` counts the values of a Series in ``split_out``
partitions: values are hash-partitioned, so no task holds every distinct
value, and counted with pandas per output.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from ..kernels.distinct import count_values, dedup_partition, dedup_untagged
from ..kernels.group_call import PART
from .base import Below, ColumnNeeds, Divisions, Expr, Needed, RowsInPlace
from .blockwise import MapPartitions, MethodCall
from .groupby import RestoreRows, TagRows
from .shuffle import Shuffle

__all__ = ["DropDuplicates", "ValueCounts"]

_VALUE = "__pf_value"  # the column a Series' values are shuffled as


class DropDuplicates(RowsInPlace):
    """``frame.drop_duplicates(subset=on, keep=keep)`` over all partitions,
    through ``split_out`` shuffle outputs (``method``: the shuffle's)."""

    _parameters = ["frame", "on", "keep", "split_out", "method", "in_place"]
    _defaults = {"method": None, "in_place": True}
    frame: Expr
    on: list[Any]
    keep: Any
    split_out: int
    method: str | None
    in_place: bool

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        if self.in_place:
            return self.frame.divisions
        return (None,) * (self.split_out + 1)

    @property
    def _partitioning(self) -> str:
        return self.frame._partitioning if self.in_place else self._name

    def _operand_repr(self) -> str:
        where = "" if self.in_place else ", by key"
        return f"on={self.on!r}, keep={self.keep!r}, split_out={self.split_out}{where}"

    _reduces_by_key = True

    def _key_filter_step(self, column: Any) -> Below | None:
        # equal rows of ``on`` have equal keys: all of them or none kept
        return Below(self.frame, column) if column in self.on else None

    def _unordered(self) -> Expr | None:
        """This dedup with its rows left in the partition of their key
        (same count of partitions), or ``None`` where it is that already or
        would have other partitions."""
        if not self.in_place or self.split_out != self.frame.npartitions:
            return None
        return self.substitute_operands(in_place=False)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        # Which rows stay depends on the ``on`` columns only; the others
        # come along with their rows.
        if needed is None or not isinstance(self.frame._meta, pd.DataFrame):
            return [(self.frame, None)]
        return [(self.frame, set(needed) | set(self.on))]

    def _narrowable_inputs(self) -> list[str] | None:
        # the rows move to their key's partition and back
        return ["frame"]

    def _lower(self) -> Expr:
        local = self.frame
        kwargs = {"subset": list(self.on), "keep": self.keep}
        if self.keep is not False:
            local = MethodCall(self.frame, "drop_duplicates", (), kwargs)
        meta = self.frame._meta
        keys_only = isinstance(meta, pd.DataFrame) and set(meta.columns) <= set(self.on)
        if not self.in_place and (keys_only or self.keep is False):
            # Which of equal rows stays is not seen (they are equal, or
            # none stays): no tags.
            shuffled = Shuffle(
                local, list(self.on), self.split_out, "hash", self.method
            )
            return MethodCall(shuffled, "drop_duplicates", (), kwargs)
        tagged = TagRows(local)
        shuffled = Shuffle(tagged, list(self.on), self.split_out, "hash", self.method)
        if not self.in_place:
            return MapPartitions(
                dedup_untagged, self._meta, [shuffled, list(self.on), self.keep],
                None, False,
            )  # fmt: skip
        deduped = MapPartitions(
            dedup_partition,
            tagged._meta,
            [shuffled, list(self.on), self.keep],
            None,
            False,
        )
        n = self.frame.npartitions
        back = Shuffle(deduped, PART, n, "direct", self.method)
        return RestoreRows(back, self._meta, None, self.frame)


class ValueCounts(Expr):
    """``series.value_counts(**kwargs)`` in ``split_out`` partitions, each
    holding the counts of the values hashed to it."""

    _parameters = ["frame", "kwargs", "split_out", "method"]
    _defaults = {"method": None}
    frame: Expr
    kwargs: dict[str, Any]
    split_out: int
    method: str | None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta.value_counts(**self.kwargs)

    def _divisions(self) -> Divisions:
        return (None,) * (self.split_out + 1)

    def _operand_repr(self) -> str:
        return f"split_out={self.split_out}"

    def _lower(self) -> Expr:
        frame = MethodCall(self.frame, "to_frame", (_VALUE,))
        shuffled = Shuffle(frame, [_VALUE], self.split_out, "hash", self.method)
        name = self.frame._meta.name
        return MapPartitions(
            count_values, self._meta, [shuffled, name, dict(self.kwargs)], None, False
        )
