"""Column selection kernels.

``frame[list_of_labels]`` is among the costliest steps of a small pandas
partition: pandas 3 looks every label up in a string-dtype column index.
Selecting by position costs a fraction of it, and selecting every column in
order costs nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["filter_rows", "select_columns", "take_columns"]


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
    return df.take(positions, axis=1)


def take_columns(df: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    """The columns of ``df`` at ``positions``: a selection labels cannot say
    when labels repeat.

    Examples
    --------
    >>> df = pd.DataFrame([[1, "a", 2.0]], columns=["x", "x", "y"])
    >>> take_columns(df, [0, 2]).columns.tolist()
    ['x', 'y']
    """
    return df.take(positions, axis=1)


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
