"""Position-based indexing of DataFrame and Series: ``iloc``.

Columns are selected by position from the meta, so ``df.iloc[:, cols]`` is a
projection (pushed down to the readers). Rows have no global position until
the lengths of the partitions are known, so ``iloc[start:stop:step]`` (with
a positive step) computes the lengths in the same graph, as ``reset_index``
does, and each partition keeps the rows whose global positions are selected:
exact, lazy, and nothing is computed when the plan is built. Single row
positions, lists of them and boolean masks are not supported (Dask supports
no row ``iloc`` at all); the errors name what to use instead. Label-based
``loc`` is in :mod:`partframe.methods.partitions`, next to partition pruning.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd
from pandas.errors import IndexingError

from ..collection._core import new_collection
from ..expr.reductions import ReductionChunk
from ..expr.rows import IlocRows
from ..kernels import partitions as K

__all__ = ["FrameMethods"]


class FrameMethods:
    """``iloc``, shared by DataFrame and Series."""

    expr: Any
    _meta: Any

    @property
    def iloc(self) -> _IlocIndexer:
        """Select by position: ``iloc[start:stop:step]`` rows, ``iloc[:, cols]``.

        Columns (a DataFrame's second key) may be an int, a list of ints, a
        slice or a list of booleans, as in pandas; they are a projection.
        Rows may be a slice with a positive step: the partitions' lengths are
        computed in the same graph (no computation when the plan is built),
        so ``df.iloc[10:20]`` equals pandas exactly even after a filter or
        with empty partitions. Negative bounds (``iloc[-5:]``) make every
        partition wait for the total length. The partitions and divisions
        are kept (some partitions may come out empty).

        Single row positions (``df.iloc[5]``), lists of positions and
        boolean masks raise ``NotImplementedError``: use ``iloc[5:6]``,
        ``head``/``tail`` or label-based ``loc``.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": range(6), "y": list("abcdef")})
        >>> df = partframe.from_pandas(pdf, npartitions=3)
        >>> df.iloc[:, [1]].columns.tolist()
        ['y']
        >>> df.iloc[:, 0].compute().tolist()
        [0, 1, 2, 3, 4, 5]
        >>> df.iloc[1:5:2].compute()
           x  y
        1  1  b
        3  3  d
        >>> df.iloc[-2:, 1].compute().tolist()
        ['e', 'f']
        """
        return _IlocIndexer(self)


class _IlocIndexer:
    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __getitem__(self, key: Any) -> Any:
        obj = self.obj
        if isinstance(key, tuple):
            # pandas' error for too many indexers.
            if not isinstance(obj._meta, pd.DataFrame):
                raise IndexingError(
                    "Too many indexers: a Series takes iloc[rows] only, not "
                    "iloc[rows, columns]"
                )
            if len(key) != 2:
                raise IndexingError(
                    "Too many indexers: a DataFrame takes iloc[rows] or "
                    f"iloc[rows, columns], got {len(key)} indexers"
                )
            rows, cols = key
            obj = _iloc_columns(obj, cols)
        else:
            rows = key
        return _iloc_rows(obj, rows)


def _iloc_columns(frame: Any, cols: Any) -> Any:
    if isinstance(cols, slice) and cols == slice(None):
        return frame
    meta = frame._meta
    if callable(cols):
        raise NotImplementedError(
            "iloc[:, callable] is not supported; pass column positions"
        )
    if isinstance(cols, tuple | range):
        cols = list(cols)
    if not isinstance(cols, int | np.integer | slice | list | np.ndarray | pd.Index):
        raise TypeError(
            "iloc columns must be an int, a list of ints, a slice or a list of "
            f"booleans, not {type(cols).__name__}"
        )
    if isinstance(cols, bool | np.bool_):
        raise TypeError("iloc columns: a single boolean is not a position")
    selected = meta.iloc[:, cols]  # pandas' own checks: IndexError out of range
    if not meta.columns.is_unique:
        raise NotImplementedError(
            "iloc[:, cols] on a frame with duplicate column labels is not "
            f"supported (duplicates: {list(meta.columns[meta.columns.duplicated()])})"
        )
    if isinstance(selected, pd.Series):
        return frame[selected.name]
    return frame[list(selected.columns)]


def _position(x: Any, what: str) -> int | None:
    if x is None:
        return None
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(
            f"iloc slice {what} must be an integer or None, got {x!r}"
        ) from None


def _iloc_rows(obj: Any, rows: Any) -> Any:
    if isinstance(rows, slice):
        start = _position(rows.start, "start")
        stop = _position(rows.stop, "stop")
        step = _position(rows.step, "step")
        if step is not None and step <= 0:
            raise NotImplementedError(
                f"iloc with step {step} is not supported (a lazy frame cannot "
                "reverse its row order); use a positive step"
            )
        if start in (None, 0) and stop is None and step in (None, 1):
            return obj
        lengths = ReductionChunk(obj.expr, K.partition_len, None, "len", [])
        return new_collection(IlocRows(obj.expr, lengths, start, stop, step))
    kind = "boolean mask" if _is_mask(rows) else "row position"
    example = (
        "df.iloc[5:6]"
        if isinstance(rows, int | np.integer)
        else "a slice such as df.iloc[10:20]"
    )
    raise NotImplementedError(
        f"iloc with a {kind} ({_short(rows)}) is not supported: rows have no "
        f"global position in a partitioned frame. Use {example} (exact and "
        "lazy), df.iloc[:, cols] for columns, head()/tail(), or label-based "
        "df.loc[...]; filter with a lazy boolean Series (df[df.x > 0])"
    )


def _is_mask(rows: Any) -> bool:
    if isinstance(rows, list | np.ndarray | pd.Index | pd.Series):
        values = list(rows)
        return bool(values) and all(isinstance(v, bool | np.bool_) for v in values)
    return False


def _short(rows: Any) -> str:
    text = repr(rows)
    return text if len(text) <= 40 else text[:37] + "..."
