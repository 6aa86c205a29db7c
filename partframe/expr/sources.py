"""Source nodes: partitions that come from memory, a graph or a function.

File readers (CSV, Parquet) live in :mod:`partframe.io`; the nodes here hold
data that is already in Python: a pandas object split into partitions, the
values of a persisted collection, delayed values, or calls of a function.
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..tokenize import tokenize
from .base import Divisions, Expr, Layer
from .meta import make_meta

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = ["DelayedValue", "FromGraph", "FromPandas", "split_pandas"]


def split_pandas(
    data: pd.DataFrame | pd.Series,
    npartitions: int | None = None,
    chunksize: int | None = None,
    sort: bool = True,
) -> tuple[list[Any], tuple[Any, ...]]:
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
    """A pandas object split into partitions held in the graph.

    The split (operand ``split``, filled when not given) is made once, when
    the node is built, and every rebuild of the node keeps it; its parts are
    the graph's values. ``token`` (the content hash of ``data``) names the node,
    so the data is hashed once however often the node is rebuilt.

    Columns are not pushed into this source: the data is already in memory,
    and selecting columns here would only copy it; the first partition-wise
    node selects what it needs inside its fused task.
    """

    _parameters = ["data", "npartitions_", "chunksize", "sort", "token", "split"]
    _defaults = {
        "npartitions_": None,
        "chunksize": None,
        "sort": True,
        "token": None,
        "split": None,
    }
    data: Any
    npartitions_: int | None
    chunksize: int | None
    sort: bool
    token: str | None
    split: tuple[Any, Divisions]  # (None given: made in __init__)

    def _fill_operands(self) -> dict[str, Any] | None:
        if self.split is not None:
            return None
        return {"split": _split_of(self)}

    @functools.cached_property
    def _name(self) -> str:
        token = self.token if self.token is not None else tokenize(self.data)
        return "frompandas-" + tokenize(
            token, self.npartitions_, self.chunksize, self.sort
        )

    @functools.cached_property
    def _meta(self) -> Any:
        return make_meta(self.data)

    def _divisions(self) -> Divisions:
        return self.split[1]

    def _layer(self) -> Layer:
        return {(self._name, i): p for i, p in enumerate(self.split[0])}

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        return float(len(self.data))

    def _no_missing_step(self, column: Any) -> bool:
        data = self.data
        if isinstance(data, pd.DataFrame):
            if column is None or column not in data.columns:
                return False
            values = data[column]
            if isinstance(values, pd.DataFrame):  # a repeated label
                return False
        elif isinstance(data, pd.Series) and column is None:
            values = data
        else:
            return False
        return (
            not values.hasnans
            if values.dtype.kind in "fcmM"
            else not values.isna().any()
        )

    def _column_widths(self) -> dict[Any, float] | None:
        try:
            return _WIDTHS[self._name]
        except KeyError:
            pass
        out = self._measure_widths()
        with _cache_lock:
            _WIDTHS[self._name] = out
            if len(_WIDTHS) > _CACHE_SIZE:
                del _WIDTHS[next(iter(_WIDTHS))]
        return out

    def _measure_widths(self) -> dict[Any, float] | None:
        data = self.data
        if not isinstance(data, pd.DataFrame | pd.Series) or not len(data):
            return None
        frame = data if isinstance(data, pd.DataFrame) else data.to_frame()
        if frame.columns.has_duplicates:
            return None
        out: dict[Any, float] = {}
        for label, dtype in frame.dtypes.items():
            if isinstance(dtype, np.dtype) and dtype.kind == "O":
                continue  # pointers only: the statistics' default width
            out[label] = float(frame[label].memory_usage(index=False)) / len(frame)
        from .statistics import _widths

        return {**_widths(make_meta(data), []), **out}

    def _operand_repr(self) -> str:
        return f"<{type(self.data).__name__} {self.data.shape}>"


#: Splits and measured widths of the pandas sources built last (see
#: :func:`_split_of`), oldest first.
_SPLITS: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_WIDTHS: dict[str, dict[Any, float] | None] = {}
_CACHE_SIZE = 64
_cache_lock = threading.Lock()
_split_stats = {"split": 0}


def _split_of(node: FromPandas) -> tuple[list[Any], Divisions]:
    """``split_pandas`` of the node's data, made once per data object.

    An interactive session builds plans from the same pandas data again
    and again; the split (index sort and row slices) is then the same. It
    is kept for the last ``_CACHE_SIZE`` sources, keyed by the data's
    content token and the split's arguments, with a weak reference to the
    data object: it is reused only for that very object (whose token says
    it has not changed since: see :func:`partframe.tokenize.tokenize`),
    and forgotten when the object goes.
    """
    key = (node.token, node.npartitions_, node.chunksize, node.sort)
    if node.token is not None:
        held = _SPLITS.get(key)
        if held is not None and held[0]() is node.data:
            kept: tuple[list[Any], Divisions] = held[1]
            return kept
    split = split_pandas(node.data, node.npartitions_, node.chunksize, node.sort)
    _split_stats["split"] += 1
    if node.token is None:
        return split

    def forget(ref: Any, splits: dict[Any, Any] = _SPLITS) -> None:
        # No lock: the garbage collector may call this anywhere, inside
        # the locked block below too. Under the GIL the worst a race does
        # is drop an entry that is still good (it is split again).
        # (The cache is bound here: at interpreter exit globals may be gone.)
        held = splits.get(key)
        if held is not None and held[0] is ref:
            splits.pop(key, None)

    entry = (weakref.ref(node.data, forget), split)
    with _cache_lock:
        _SPLITS.pop(key, None)
        _SPLITS[key] = entry
        for old in list(_SPLITS)[:-_CACHE_SIZE]:  # (oldest first)
            _SPLITS.pop(old, None)
    return split


def splits_made() -> int:
    """How many pandas sources were split (not found kept) so far: tests
    check that building a plan from the same data again splits nothing."""
    return _split_stats["split"]


class FromGraph(Expr):
    """Partitions whose values (or tasks) are already in a graph.

    Used by ``persist``: ``layer`` maps the persisted ``keys`` to values.
    """

    _parameters = ["layer", "meta", "divisions_", "keys"]
    layer: dict[Any, Any]
    meta: Any
    divisions_: tuple[Any, ...]
    keys: list[Any]

    @functools.cached_property
    def _name(self) -> str:
        return "fromgraph-" + tokenize(self.keys)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.meta

    def _divisions(self) -> Divisions:
        return tuple(self.divisions_)

    def _layer(self) -> Layer:
        out = dict(self.layer)
        for i, key in enumerate(self.keys):
            out[(self._name, i)] = key
        return out

    def _operand_repr(self) -> str:
        return f"{len(self.keys)} partitions"


class DelayedValue(Expr):
    """The value of a delayed object, as one non-frame input of other nodes.

    Partition-wise nodes pass it whole to each of their partitions (as a
    lazy scalar): ``s.isin([delayed(1), 2])``. ``meta`` stands in for the
    value when the plan's schema is worked out.
    """

    _parameters = ["value", "meta"]
    value: Any
    meta: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.meta

    def _divisions(self) -> Divisions:
        return (None, None)

    def _layer(self) -> Layer:
        out = dict(self.value.__dask_graph__())
        out[(self._name, 0)] = self.value.__dask_keys__()[0]
        return out

    def _operand_repr(self) -> str:
        return f"{self.value.__dask_keys__()[0]}"


def pandas_source(
    data: Any,
    npartitions: int | None = None,
    chunksize: int | None = None,
    sort: bool = True,
) -> FromPandas:
    """The plan of ``from_pandas(data, ...)``: ``data`` (a pandas DataFrame,
    Series or Index) split into partitions; one partition when neither
    ``npartitions`` nor ``chunksize`` is given."""
    if isinstance(data, pd.Index):
        data = data.to_series()
    if not isinstance(data, pd.DataFrame | pd.Series):
        raise TypeError(
            f"from_pandas takes a pandas DataFrame or Series, got {type(data).__name__}"
        )
    if npartitions is None and chunksize is None:
        npartitions = 1
    return FromPandas(data, npartitions, chunksize, sort, token=tokenize(data))
