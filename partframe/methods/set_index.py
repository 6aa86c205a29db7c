"""``DataFrame.set_index``: sorted keys, unsorted keys, and the key checks.

A column promised sorted (``sorted=True``) becomes the index partition
by partition: with ``divisions=`` they are trusted, otherwise each
partition's min and max are computed to learn them (and to check the
promise). Keys given as a partframe Series become a temporary column
first. Unsorted keys are range-shuffled (:func:`set_index_unsorted`; the
node is :class:`~partframe.expr.sort.SetIndexShuffled`).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..collection._core import FrameBase, new_collection
from ..expr.base import plain_scalar
from ..expr.index import SetIndexSorted
from ..expr.partitions import check_divisions, select_partitions
from ..expr.reductions import TreeReduction
from ..expr.repartition import RepartitionDivisions
from ..expr.sort import SetIndexShuffled
from ..kernels import partitions as K

if TYPE_CHECKING:
    from ..collection import DataFrame, Index


__all__ = ["DataFrameMethods", "set_index_unsorted"]


class DataFrameMethods:
    """``set_index`` (DataFrame only)."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Any
    _meta: Any
    if TYPE_CHECKING:

        @property
        def index(self) -> Index: ...
        @index.setter
        def index(self, value: Any) -> None: ...

    def set_index(
        self,
        other: Hashable,
        drop: bool = True,
        sorted: bool = False,
        divisions: Sequence | None = None,
    ) -> DataFrame:
        """Make column ``other`` the index, sorting the rows by it.

        With ``sorted=True`` and no ``divisions``, each partition's min and
        max of the column are **computed when this is called** (reading only
        that column), to learn the divisions and check that the column is
        sorted across partitions; an error names the partitions that
        overlap. Empty partitions are dropped. With ``divisions=`` nothing is
        computed: the boundaries are trusted.

        Parameters
        ----------
        other : label, or partframe Series or Index
            The column; or keys computed from this frame's rows (e.g.
            ``df.x + 1``: partitioned as the frame), taken by position as
            pandas takes an array (the index is named after them). A list
            of one label is that label; several make a MultiIndex, which
            partframe does not support.
        drop : bool, default True
            Remove the column from the data (pandas ignores it for keys
            that are not a column label).
        sorted : bool, default False
            Promise that the column is sorted across partitions. Without
            it the rows are range-shuffled and sorted: the boundaries are
            sampled inside the graph, and the divisions are computed only
            when asked for (``.divisions``, ``loc``, alignment); see
            :mod:`partframe.expr.sort`. ``divisions=`` skips sampling.
        divisions : sequence, optional
            The new index's boundaries, ``npartitions + 1`` of them.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"t": [1, 2, 3, 5], "x": [5, 6, 7, 8]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.set_index("t", sorted=True).divisions
        (1, 3, 5)
        """
        other = _set_index_key(other)
        if hasattr(other, "expr"):  # a partframe Series or Index of keys
            if other.expr._name == self.index.expr._name:
                return new_collection(self.expr)  # the frame's own index, as pandas
            return _set_index_values(self, other, sorted, divisions)
        if not sorted:
            return set_index_unsorted(self, other, drop, divisions)
        _check_column(other, self._meta.columns)
        if divisions is not None:
            divisions = check_divisions(
                divisions,
                f"set_index({other!r}, sorted=True, divisions=...)",
                self.expr.npartitions,
            )
            return new_collection(SetIndexSorted(self.expr, other, drop, divisions))
        return new_collection(_set_index_sorted(self.expr, other, drop))


# -- helpers: set_index ------------------------------------------------------------

#: The temporary column that holds set_index keys given as values.
_KEYS = "__pf_set_index_keys"


def _set_index_key(other: Any) -> Any:
    """``set_index``'s key: a label, or a partframe Series/Index of keys.

    A list of one label is that label (pandas makes no MultiIndex of it);
    what partframe cannot do is refused here, naming the feature.
    """
    if isinstance(other, list):
        if len(other) == 1 and isinstance(other[0], Hashable):
            return other[0]
        raise NotImplementedError(
            f"set_index({other!r}): several keys (or arrays in a list) make a "
            "MultiIndex, which partframe does not support (no multi-indexes); "
            "set one column as the index"
        )
    if isinstance(other, FrameBase):
        if isinstance(other._meta, pd.DataFrame):
            raise NotImplementedError(
                "set_index with a DataFrame of keys makes a MultiIndex, which "
                "partframe does not support; pass one column label or Series"
            )
        return other
    if isinstance(other, pd.Series | pd.Index | np.ndarray):
        raise NotImplementedError(
            f"set_index with an in-memory {type(other).__name__}: pandas takes "
            "its values by position, which partframe cannot line up with its "
            "partitions; pass a partframe Series computed from this frame "
            "(e.g. df.x + 1) or add the keys as a column first"
        )
    return other


def _set_index_values(frame: Any, keys: Any, sorted: bool, divisions: Any) -> Any:
    """``frame.set_index(keys)`` for a partframe Series or Index of keys:
    its values, by position, become a temporary column that is set as the
    index (sorted, or promised sorted), named after ``keys``."""
    from ..expr.blockwise import Elemwise, aligned

    if not aligned(frame.expr, keys.expr):
        raise ValueError(
            "set_index: the keys are not partitioned as the frame: pandas takes "
            "them by position, so they must be computed from this frame's rows "
            f"(e.g. df.x + 1), not from another source ({keys.npartitions} "
            f"partitions against {frame.npartitions})"
        )
    name = keys._meta.name
    with_keys = new_collection(
        Elemwise(K.assign_by_position, [frame.expr, keys.expr, _KEYS])
    )
    out = with_keys.set_index(_KEYS, drop=True, sorted=sorted, divisions=divisions)
    return new_collection(Elemwise(K.name_index, [out.expr, name]))


# -- helpers: set_index --------------------------------------------------------------


def _show(value: Any) -> str:
    return repr(plain_scalar(value))


def _set_index_sorted(expr: Any, column: Any, drop: bool) -> Any:
    stats = new_collection(
        TreeReduction(
            expr, K.column_bounds, K.concat_lists, K.concat_lists, [],
            chunk_kwargs={"column": column}, label="bounds", columns=[column],
        )
    ).compute()  # fmt: skip
    stats = [(r, plain_scalar(lo), plain_scalar(hi), nans) for r, lo, hi, nans in stats]
    nonempty = [i for i, (rows, *_rest) in enumerate(stats) if rows]
    if not nonempty or any(s[3] for s in stats):
        # Missing values cannot be placed in divisions: keep them unknown.
        return SetIndexSorted(expr, column, drop, None)
    overlaps = []
    for i, j in itertools.pairwise(nonempty):
        if stats[i][2] > stats[j][1]:
            overlaps.append(
                f"partition {i} holds [{_show(stats[i][1])}, {_show(stats[i][2])}] "
                f"but partition {j} starts at {_show(stats[j][1])}"
            )
    if overlaps:
        raise ValueError(
            f"set_index({column!r}, sorted=True): the column is not sorted across "
            f"partitions: {'; '.join(overlaps[:5])}"
            + (f" (and {len(overlaps) - 5} more)" if len(overlaps) > 5 else "")
            + ". Sort the data first, or call set_index without sorted=True once "
            "shuffles are available."
        )
    frame = select_partitions(expr, nonempty)
    mins = [stats[i][1] for i in nonempty]
    last = stats[nonempty[-1]][2]
    if all(stats[i][2] < stats[j][1] for i, j in itertools.pairwise(nonempty)):
        return SetIndexSorted(frame, column, drop, (*mins, last))
    # Equal values straddle a boundary: move them into one partition.
    bounds = tuple((stats[i][1], stats[i][2]) for i in nonempty)
    unique_mins = sorted(set(mins))
    indexed = SetIndexSorted(frame, column, drop, None)
    return RepartitionDivisions(indexed, (*unique_mins, last), bounds)


def set_index_unsorted(
    frame: Any,
    column: Hashable,
    drop: bool = True,
    divisions: Sequence | None = None,
    npartitions: int | None = None,
    method: str | None = None,
) -> DataFrame:
    """``set_index(column)`` on a column that is not known to be sorted.

    See :mod:`partframe.expr.sort` for when the divisions are computed.
    """
    _check_column(column, frame._meta.columns)
    if divisions is not None:
        divisions = check_divisions(divisions, f"set_index({column!r}, divisions=...)")
        n = len(divisions) - 1
    else:
        n = frame.npartitions if npartitions is None else int(npartitions)
    return new_collection(
        SetIndexShuffled(frame.expr, column, drop, n, method, divisions)
    )


def _check_column(column: Any, columns: pd.Index) -> None:
    """Raise pandas' ``KeyError`` when ``column`` is not one of ``columns``."""
    if not isinstance(column, Hashable) or column not in columns:
        raise KeyError(
            f"set_index: {column!r} is not a column (None of [{column!r}] are "
            "in the columns); "
            f"columns: {list(columns)}"
        )
