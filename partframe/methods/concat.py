"""``partframe.concat``: frames one after another, or side by side."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..collection._core import FrameBase, align, is_dataframe, is_series, new_collection
from ..expr.join import NarrowIfComplete, narrowed
from ..expr.meta import make_meta
from ..expr.rows import ConcatColumns, ConcatPartitions
from ..kernels.partitions import union_divisions

if TYPE_CHECKING:
    from ..collection import DataFrame, Series

from .partitions import repartition_divisions

__all__ = ["concat"]


# -- concat ---------------------------------------------------------------------------


def _as_collection(x: Any) -> Any:
    from ..io.memory import from_pandas

    if isinstance(x, FrameBase):
        return x
    if isinstance(x, pd.DataFrame | pd.Series):
        return from_pandas(x, npartitions=1)
    raise TypeError(
        "concat takes partframe or pandas DataFrames and Series, "
        f"not {type(x).__name__}"
    )


def _align_all(frames: list) -> list:
    first = frames[0].expr

    def aligned(e: Any) -> bool:
        return e._partitioning == first._partitioning or (
            first.known_divisions and e.divisions == first.divisions
        )

    if all(aligned(f.expr) for f in frames):
        return frames
    if not all(f.known_divisions for f in frames):
        # Without divisions to unify, each must line up with the first as
        # it is (one partition each: pandas aligns the rows inside it).
        for f in frames[1:]:
            align(frames[0], f)  # raises the explanation otherwise
        return frames
    divisions = functools.reduce(union_divisions, [f.divisions for f in frames])
    return [repartition_divisions(f, divisions) for f in frames]


def concat(
    dfs: Iterable,
    axis: int | str = 0,
    join: str = "outer",
    ignore_index: bool = False,
) -> DataFrame | Series:
    """Concatenate frames along the rows or the columns, as ``pandas.concat``.

    Parameters
    ----------
    dfs : list of DataFrame or Series
        partframe collections; pandas objects are wrapped as one partition.
    axis : {0, "index", 1, "columns"}, default 0
        0: the partitions of each input follow each other; the result has
        known divisions when every input has and they are in increasing
        order without overlap. Different columns and dtypes are handled as
        pandas does (missing columns become NaN, with pandas' upcasts).
        1: side by side; inputs are aligned on their divisions first.
    join : {"outer", "inner"}, default "outer"
        Keep the union or the intersection of the other axis.
    ignore_index : bool, default False
        axis 0: number the rows 0..n-1 across the result (as
        ``reset_index(drop=True)``). axis 1: number the columns.

    Notes
    -----
    With ``axis=1`` on inputs whose indexes differ, rows come in index order
    (as ``pandas.concat(..., sort=True)``): that is the order of the
    partitions. With ``join="outer"`` on inputs from different sources,
    the meta has integer and bool columns upcast (float64, object) as if
    some rows were missing, since which rows match is only known when
    computing; then the partitions get pandas' dtypes for the whole result
    (a column with no missing value in any partition keeps its dtype), as
    for a join (:class:`~partframe.expr.join.NarrowIfComplete`).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> a = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
    >>> b = partframe.from_pandas(pd.DataFrame({"y": [3.5]}, index=[5]),
    ...                           npartitions=1)
    >>> partframe.concat([a, b]).compute()
         x    y
    0  1.0  NaN
    1  2.0  NaN
    5  NaN  3.5
    """
    if isinstance(dfs, pd.DataFrame | pd.Series) or hasattr(dfs, "expr"):
        raise TypeError(
            "concat takes a list of frames, not a single one: concat([a, b])"
        )
    frames = [_as_collection(x) for x in dfs]
    if not frames:
        raise ValueError("No objects to concatenate")
    if join not in ("outer", "inner"):
        raise ValueError(f"join must be 'outer' or 'inner', got {join!r}")
    if axis in (0, "index", "rows"):
        return _concat_rows(frames, join, ignore_index)
    if axis in (1, "columns"):
        return _concat_columns(frames, join, ignore_index)
    raise ValueError(f"axis must be 0 or 1, got {axis!r}")


def _concat_rows(frames: list, join: str, ignore_index: bool) -> Any:
    """``concat(axis=0)``: the partitions of each frame follow each other."""
    if any(is_dataframe(f) for f in frames) and any(is_series(f) for f in frames):
        frames = [
            f.to_frame(0 if f.name is None else f.name) if is_series(f) else f
            for f in frames
        ]
    if len(frames) == 1:
        out = frames[0]
    else:
        out = new_collection(ConcatPartitions([f.expr for f in frames], join))
    if ignore_index:
        out = out._reset_index(True, None)
    return out


def _concat_columns(frames: list, join: str, ignore_index: bool) -> Any:
    """``concat(axis=1)``: frames aligned on their divisions, side by side."""
    frames = _align_all(frames)
    exprs = [f.expr for f in frames]
    cast = join == "outer" and len({e._partitioning for e in exprs}) > 1
    wide = ConcatColumns(exprs, join, ignore_index, cast)
    if not cast:
        return new_collection(wide)
    # pandas' dtypes when no row is missing: those of empty inputs (the
    # stand-ins' indexes need not match).
    complete = make_meta(
        pd.concat(
            [e._meta for e in exprs], axis=1, join=join,
            ignore_index=ignore_index, sort=True,
        )
    )  # fmt: skip
    if narrowed(wide._meta, complete) is None:
        return new_collection(wide)
    # Whether rows are missing is known only when computing: decided
    # for the whole result, as pandas does (see partframe.expr.merge).
    narrow = ConcatColumns(exprs, join, ignore_index, False)
    return new_collection(NarrowIfComplete(narrow, wide._meta, complete))
