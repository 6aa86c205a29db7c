"""Source nodes: partitions that come from memory, a graph or a function.

File readers (CSV, Parquet) live in :mod:`partframe.io`; the nodes here hold
data that is already in Python: a pandas object split into partitions, the
values of a persisted collection, delayed values, or calls of a function.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np
import pandas as pd

from ..graph import quote
from ..tokenize import tokenize
from .base import Expr
from .meta import make_meta

__all__ = ["FromGraph", "FromPandas", "split_pandas"]


def split_pandas(
    data: pd.DataFrame | pd.Series,
    npartitions: int | None = None,
    chunksize: int | None = None,
    sort: bool = True,
) -> tuple[list, tuple]:
    """Split ``data`` into row chunks; return ``(parts, divisions)``.

    With ``sort=True`` the index is sorted first and no index value is split
    across two partitions, so the divisions are known. Otherwise rows keep
    their order and divisions are unknown.

    Examples
    --------
    >>> parts, divs = split_pandas(pd.DataFrame({"x": range(5)}), npartitions=2)
    >>> [len(p) for p in parts], divs
    ([2, 3], (0, 2, 4))
    """
    n = len(data)
    npartitions_given = npartitions is not None
    if (npartitions is None) == (chunksize is None):
        raise ValueError("give exactly one of npartitions= and chunksize=")
    if npartitions is not None:
        if not isinstance(npartitions, int | np.integer) or npartitions < 1:
            raise ValueError(
                f"npartitions must be a positive integer, got {npartitions!r}"
            )
        chunksize = max(1, -(-n // npartitions))
    else:
        if not isinstance(chunksize, int | np.integer) or chunksize < 1:
            raise ValueError(f"chunksize must be a positive integer, got {chunksize!r}")
        npartitions = max(1, -(-n // chunksize))
    assert chunksize is not None
    if n == 0:
        return [data], (None, None)
    sortable = sort and _can_sort(data.index)
    if sortable and not data.index.is_monotonic_increasing:
        data = data.sort_index(kind="stable")
    if npartitions_given:
        # Spread rows evenly: exactly npartitions parts when rows allow.
        k = min(npartitions, n)
        starts = sorted({(i * n) // k for i in range(k)})
    else:
        starts = list(range(0, n, chunksize))
    if sortable:
        idx = data.index
        # Move each boundary back to the first row with that index value so
        # equal values stay in one partition.
        moved = sorted({int(idx.searchsorted(idx[s], side="left")) for s in starts})
        starts = [s for s in moved if s < n]
        if starts[0] != 0:
            starts.insert(0, 0)
        bounds = [*starts, n]
        parts = [data.iloc[a:b] for a, b in itertools.pairwise(bounds)]
        divisions = (*[idx[s] for s in starts], idx[-1])
        return parts, divisions
    bounds = [*starts, n]
    parts = [data.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    return parts, (None,) * (len(parts) + 1)


def _can_sort(index: pd.Index) -> bool:
    if isinstance(index, pd.MultiIndex):
        return False
    if index.hasnans:
        return False
    try:
        index[:2].sort_values()
        if index.dtype == object:
            # Mixed types sort in pandas only if comparable pairwise.
            types = {type(v) for v in index[:1000]}
            return len(types) == 1
    except TypeError:
        return False
    return True


class FromPandas(Expr):
    """A pandas object split into partitions held in the graph."""

    _parameters = ["data", "npartitions_", "chunksize", "sort", "columns"]
    _defaults = {"npartitions_": None, "chunksize": None, "sort": True, "columns": None}

    @functools.cached_property
    def _name(self) -> str:
        # Hash the data once; the other operands are small.
        return "frompandas-" + tokenize(
            self.data, self.npartitions_, self.chunksize, self.sort, self.columns
        )

    @functools.cached_property
    def _split(self) -> tuple[list, tuple]:
        return split_pandas(self.data, self.npartitions_, self.chunksize, self.sort)

    @functools.cached_property
    def _meta(self) -> Any:
        meta = make_meta(self.data)
        return meta if self.columns is None else meta[self.columns]

    def _divisions(self) -> tuple:
        return self._split[1]

    def _layer(self) -> dict:
        parts = self._split[0]
        cols = self.columns
        if cols is not None:
            parts = [p[cols] for p in parts]
        return {(self._name, i): p for i, p in enumerate(parts)}

    def _with_columns(self, columns: list) -> Expr:
        return self.substitute_operands(columns=list(columns))

    def _operand_repr(self) -> str:
        out = f"<{type(self.data).__name__} {self.data.shape}>"
        if self.columns is not None:
            out += f", columns={self.columns!r}"
        return out


class FromGraph(Expr):
    """Partitions whose values (or tasks) are already in a graph.

    Used by ``persist``: ``layer`` maps the persisted ``keys`` to values.
    """

    _parameters = ["layer", "meta", "divisions_", "keys"]

    @functools.cached_property
    def _name(self) -> str:
        return "fromgraph-" + tokenize(self.keys)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.meta

    def _divisions(self) -> tuple:
        return tuple(self.divisions_)

    def _layer(self) -> dict:
        out = dict(self.layer)
        for i, key in enumerate(self.keys):
            out[(self._name, i)] = key
        return out

    def _operand_repr(self) -> str:
        return f"{len(self.keys)} partitions"


def literal_task(value: Any) -> Any:
    """A graph value that is exactly ``value``, even if it looks like a task."""
    return quote(value) if type(value) in (tuple, list, str, dict) else value
