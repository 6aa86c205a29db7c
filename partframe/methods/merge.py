"""Joins of DataFrames: ``merge`` and ``join`` (mixed into the facade),
and the module function :func:`merge`.

Each builds one :class:`~partframe.expr.merge.Merge` node; the strategy
(one partition, aligned divisions, broadcast or hash shuffle) is chosen
there (see :mod:`partframe.expr.merge`). A list of frames given to
``join`` is joined in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..collection._core import FrameBase, new_collection
from ..expr.merge import Merge

if TYPE_CHECKING:
    from ..collection import DataFrame

__all__ = ["DataFrameMethods", "merge"]


class DataFrameMethods:
    """``merge`` and ``join`` (DataFrame only)."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Any
    _meta: Any

    def merge(
        self,
        right: Any,
        how: str = "inner",
        on: Any = None,
        left_on: Any = None,
        right_on: Any = None,
        left_index: bool = False,
        right_index: bool = False,
        suffixes: tuple = ("_x", "_y"),
        indicator: bool = False,
        npartitions: int | None = None,
        broadcast: bool | None = None,
        shuffle_method: str | None = None,
    ) -> DataFrame:
        """Join with another frame, as :func:`pandas.merge` (see :func:`merge`).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> a = partframe.from_pandas(pd.DataFrame({"k": [1, 2, 3], "x": [4, 5, 6]}),
        ...                           npartitions=2)
        >>> b = pd.DataFrame({"k": [3, 1], "y": ["c", "a"]})
        >>> a.merge(b, on="k").compute().sort_values("k").values.tolist()
        [[1, 4, 'a'], [3, 6, 'c']]
        """
        return merge(
            self, right, how=how, on=on, left_on=left_on, right_on=right_on,
            left_index=left_index, right_index=right_index, suffixes=suffixes,
            indicator=indicator, npartitions=npartitions, broadcast=broadcast,
            shuffle_method=shuffle_method,
        )  # fmt: skip

    def join(
        self,
        other: Any,
        on: Any = None,
        how: str = "left",
        lsuffix: str = "",
        rsuffix: str = "",
        npartitions: int | None = None,
        broadcast: bool | None = None,
        shuffle_method: str | None = None,
    ) -> DataFrame:
        """Join columns of ``other`` on its index, as ``DataFrame.join``.

        ``on`` names columns of this frame matched against ``other``'s
        index (default: this frame's index). Strategies as for :func:`merge`.

        ``other`` may be a list of frames (and named Series): they are joined
        on the indexes one after the other, as pandas does when an index
        has duplicates (``on`` and suffixes are refused, as in pandas).
        When every index is unique pandas concatenates instead. For
        ``"inner"`` and ``"outer"`` both give the same result. For
        ``"left"`` the rows and values are the same, but pandas' concat may
        make an int or bool column float64/object where a key of some other
        frame is missing from this frame's index (it makes those rows, then
        drops them): which indexes are unique is only known when computing,
        so partframe keeps the dtypes of the joins in turn. For ``"right"``
        the two ways give different values (joined in turn, a row of the
        last frame misses this frame's values when a frame in between lacks
        its key), so it is refused: join in turn, or concat and reindex.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> a = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), npartitions=2)
        >>> b = partframe.from_pandas(pd.DataFrame({"y": [10.0, 30.0]}, index=[0, 2]),
        ...                           npartitions=1)
        >>> a.join(b).compute()
           x     y
        0  1  10.0
        1  2   NaN
        2  3  30.0
        """
        if isinstance(other, list | tuple):
            return _join_many(
                self, list(other), on, how, lsuffix, rsuffix,
                dict(npartitions=npartitions, broadcast=broadcast,
                     shuffle_method=shuffle_method),
            )  # fmt: skip
        other = _as_frame(other)
        if isinstance(other._meta, pd.Series):
            other = other.to_frame()
        expr = Merge(
            self.expr, other.expr, how, on, None, on is None, True,
            (lsuffix, rsuffix), False, "join", npartitions, broadcast,
            shuffle_method,
        )  # fmt: skip
        return new_collection(expr)


# -- module functions ------------------------------------------------------------


def _as_frame(x: Any) -> Any:
    from ..io.memory import from_pandas

    if isinstance(x, FrameBase):
        return x
    if isinstance(x, pd.DataFrame | pd.Series):
        return from_pandas(x, npartitions=1)
    raise TypeError(f"cannot join with a {type(x).__name__}")


def _join_many(
    frame: Any, others: list, on: Any, how: str, lsuffix: str, rsuffix: str, kw: dict
) -> Any:
    """``frame.join(others)`` for a list ``others``: index joins in turn
    (see ``DataFrame.join``), with pandas' argument checks."""
    if on is not None:
        raise ValueError(
            "Joining multiple DataFrames only supported for joining on index"
        )
    if lsuffix or rsuffix:
        raise ValueError("Suffixes not supported when joining multiple DataFrames")
    if not others:
        raise ValueError("join: the list of frames to join is empty")
    if how == "right":
        raise NotImplementedError(
            "join with a list of frames and how='right': pandas' result depends "
            "on whether every index is unique (known only when computing); "
            "join them one by one (df.join(a, how='right').join(b, how='right')), "
            "or concat them with axis=1 and select the last frame's index"
        )
    out = frame
    for other in others:
        out = out.join(other, how=how, **kw)
    return out


def merge(
    left: Any,
    right: Any,
    how: str = "inner",
    on: Any = None,
    left_on: Any = None,
    right_on: Any = None,
    left_index: bool = False,
    right_index: bool = False,
    suffixes: tuple = ("_x", "_y"),
    indicator: bool = False,
    npartitions: int | None = None,
    broadcast: bool | None = None,
    shuffle_method: str | None = None,
) -> DataFrame:
    """Join two frames on columns or indexes, as :func:`pandas.merge`.

    The strategy is picked when the plan is optimized: partition-wise on
    known index divisions, broadcast of a small side, or a hash shuffle of
    both sides (see :mod:`partframe.expr.merge`). Rows come in no particular
    order (pandas' order is kept only by the partition-wise strategies);
    values and dtypes are pandas'.

    Parameters
    ----------
    left, right : DataFrame (partframe or pandas)
    how : {"inner", "left", "right", "outer", "leftsemi"}, default "inner"
        ``"leftsemi"``: the rows of ``left`` (its columns) that have a match
        in ``right``, each once.
    on, left_on, right_on : label or list of labels, optional
    left_index, right_index : bool, default False
    suffixes : (str, str), default ("_x", "_y")
    indicator : bool, default False
        Add pandas' ``_merge`` column.
    npartitions : int, optional
        The number of output partitions, whatever the strategy (a broadcast
        join re-splits the side that is not broadcast; an index join given
        it is hashed rather than aligned). Default: the union of both
        sides' divisions for an index join on known divisions, the
        partitions of the side that is not broadcast for a broadcast join
        (one more when the small side's unmatched rows are kept), the
        larger side's count for a hash join.
    broadcast : bool, optional
        Force (True) or forbid (False) broadcasting the smaller side.
    shuffle_method : {"tasks", "disk"}, optional
        The shuffle method of a hash join.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> a = partframe.from_pandas(pd.DataFrame({"k": [1, 2, 3], "x": [4, 5, 6]}),
    ...                           npartitions=2)
    >>> b = partframe.from_pandas(pd.DataFrame({"k": [3, 4], "y": [7, 8]}),
    ...                           npartitions=2)
    >>> out = partframe.merge(a, b, on="k", how="outer").compute()
    >>> out.sort_values("k").to_dict("list")
    {'k': [1, 2, 3, 4], 'x': [4.0, 5.0, 6.0, nan], 'y': [nan, nan, 7.0, 8.0]}
    >>> partframe.merge(a, b, on="k", how="leftsemi").compute()
       k  x
    2  3  6
    """
    left, right = _as_frame(left), _as_frame(right)
    for name, keys in (("on", on), ("left_on", left_on), ("right_on", right_on)):
        _check_label_keys(name, keys)
    if on is not None:
        if left_on is not None or right_on is not None:
            raise ValueError('Can only pass argument "on" OR "left_on" and "right_on"')
        left_on = right_on = on
    elif left_on is None and right_on is None and not left_index and not right_index:
        common = [c for c in left.columns if c in set(right.columns)]
        if not common:
            # pandas' error (a ValueError): it joins on no key by default,
            # not on the indexes.
            raise pd.errors.MergeError(
                "No common columns to perform merge on. Merge options: "
                "left_on=None, right_on=None, left_index=False, right_index=False; "
                "pass on=, left_on=/right_on=, or left_index=/right_index=True"
            )
        left_on = right_on = common
    if left_index:
        left_on = None
    if right_index:
        right_on = None
    expr = Merge(
        left.expr, right.expr, how, left_on, right_on, bool(left_index),
        bool(right_index), tuple(suffixes), indicator, "merge", npartitions,
        broadcast, shuffle_method,
    )  # fmt: skip
    return new_collection(expr)


def _check_label_keys(name: str, keys: Any) -> None:
    """Refuse merge keys that are values rather than column labels.

    pandas also takes arrays (and Series) of keys, one per row, matched by
    position: partframe cannot line a lazy or in-memory array up with the
    rows of its partitions, so that is not supported.
    """
    items = keys if isinstance(keys, list) else [keys]
    if any(
        isinstance(k, FrameBase | pd.Series | pd.Index | np.ndarray | list)
        for k in items
    ):
        raise NotImplementedError(
            f"merge: {name}= takes column labels; keys given as arrays or "
            "Series are not supported. Add them as a column first "
            "(df.assign(key=...)) and merge on its name."
        )
