"""Column selection kernels.

``frame[list_of_labels]`` is among the costliest steps of a small pandas
partition: pandas 3 looks every label up in a string-dtype column index,
builds the new column index from the labels, and checks the result in
several layers (about a millisecond for a frame of a few columns, whatever
its rows). Selecting by position costs a fraction of it, and selecting
every column in order costs nothing.

A selection by position goes to the frame's block manager (``_mgr``:
``get_slice`` for a run of columns, ``reindex_indexer`` otherwise), the
calls pandas' own ``take`` and ``iloc`` end in, and wraps it as pandas
does (``_constructor_from_mgr``, ``__finalize__``): 15 to 70 us instead of
200 to 300. The new column index of a string-labelled frame is built once
per set of labels and shared (an Index is immutable). These are pandas
internals: if a call fails with ``AttributeError`` or ``TypeError`` (pandas
changed them), the selection turns to ``DataFrame.take`` from then on, and
``tests/kernels/test_selection.py`` compares both with pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["drop_columns", "filter_rows", "select_columns", "take_columns"]

_BY_MANAGER = True

#: Column indexes of string labels, by (labels, dtype, name).
_INDEXES: dict = {}
_MAX_INDEXES = 4096


def _columns_index(columns: pd.Index, positions: np.ndarray) -> pd.Index:
    """``columns.take(positions)``: for pandas' string dtype (an Arrow
    ``take``, tens of us) one shared Index per set of labels. Other dtypes
    take directly: labels of an object index may be equal and still differ
    (``1``, ``1.0``, ``True``), which a cache keyed by labels would mix."""
    if type(columns) is not pd.Index or not isinstance(columns.dtype, pd.StringDtype):
        return columns.take(positions)
    labels = tuple(columns[int(i)] for i in positions)
    key = (labels, columns.dtype, columns.name)
    found = _INDEXES.get(key)
    if found is None:
        if len(_INDEXES) >= _MAX_INDEXES:
            _INDEXES.clear()
        found = _INDEXES[key] = pd.Index(
            list(labels), dtype=columns.dtype, name=columns.name
        )
    return found


def _at_positions(df: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    """The columns of ``df`` at ``positions`` (``df.take(positions,
    axis=1)``), through its block manager."""
    global _BY_MANAGER
    positions = [int(i) for i in positions]
    if _BY_MANAGER and (not positions or min(positions) >= 0):
        n = len(positions)
        try:
            if n and positions == list(range(positions[0], positions[0] + n)):
                mgr = df._mgr.get_slice(slice(positions[0], positions[0] + n), axis=0)
            else:
                idx = np.asarray(positions, dtype=np.intp)
                mgr = df._mgr.reindex_indexer(
                    _columns_index(df.columns, idx),
                    idx,
                    axis=0,
                    allow_dups=True,
                    only_slice=True,
                )
            return df._constructor_from_mgr(mgr, axes=mgr.axes).__finalize__(df)
        except (AttributeError, TypeError):  # pragma: no cover - pandas changed
            _BY_MANAGER = False
    return df.take(positions, axis=1)


def select_columns(df: Any, columns: Any) -> Any:
    """``df[columns]``, by position when the labels are distinct.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1], "b": [2.0], "c": ["x"]})
    >>> select_columns(df, ["c", "a"])
       c  a
    0  x  1
    >>> select_columns(df, ["a", "b", "c"]) is df
    True
    >>> select_columns(df, "b").tolist()
    [2.0]
    """
    if type(columns) is not list or not isinstance(df, pd.DataFrame):
        return df[columns]
    have = df.columns.tolist()
    if have == columns:
        return df
    where = {label: i for i, label in enumerate(have)}
    if len(where) != len(have):  # duplicate labels select several columns
        return df[columns]
    try:
        positions = [where[label] for label in columns]
    except (KeyError, TypeError):  # pandas raises the usual KeyError
        return df[columns]
    # what pandas does after its (slow) label lookup
    return _at_positions(df, positions)


def drop_columns(df: pd.DataFrame, labels: list) -> pd.DataFrame:
    """``df.drop(columns=labels)`` for labels each naming one column: the
    others selected by position (pandas' ``drop`` looks the labels up and
    builds the new column index through its string engine, about a
    millisecond on a small partition). A label that is missing raises
    pandas' own error.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1], "tag": [0], "b": [2.0]})
    >>> drop_columns(df, ["tag"]).columns.tolist()
    ['a', 'b']
    """
    have = df.columns.tolist()
    drop = set(labels)
    if len(drop) != len(labels) or len(set(have)) != len(have):
        return df.drop(columns=labels)
    keep = [i for i, label in enumerate(have) if label not in drop]
    if len(have) - len(keep) != len(drop):  # a label missing: pandas' error
        return df.drop(columns=labels)
    return _at_positions(df, keep)


def take_columns(df: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    """The columns of ``df`` at ``positions``: a selection labels cannot say
    when labels repeat.

    Examples
    --------
    >>> df = pd.DataFrame([[1, "a", 2.0]], columns=["x", "x", "y"])
    >>> take_columns(df, [0, 2]).columns.tolist()
    ['x', 'y']
    """
    return _at_positions(df, positions)


def filter_rows(obj: Any, mask: Any, deferred: bool = False) -> Any:
    """``obj[mask]``, skipping pandas' index alignment when the mask is a
    plain boolean Series on the same index (the usual case in a partition:
    a predicate computed from the partition itself), which halves the cost
    on small partitions.

    ``deferred``: a big DataFrame's rows come back as a
    :class:`~partframe.kernels.gather.RowGather` (numpy columns not built;
    the final concat of a compute writes them once, into the result).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3]})
    >>> filter_rows(df, df.a > 1).a.tolist()
    [2, 3]
    """
    if (
        isinstance(mask, pd.Series)
        and mask.dtype == bool
        and isinstance(obj, pd.DataFrame | pd.Series)
        and (mask.index is obj.index or mask.index.equals(obj.index))
    ):
        rows = mask.to_numpy()
        if deferred:
            from .gather import masked_rows

            gathered = masked_rows(obj, rows)
            if gathered is not None:
                return gathered
        if rows.all():
            # every row kept (a reader dropped the others already): no copy;
            # partitions are never written in place
            return obj
        return obj[rows]
    return obj[mask]
