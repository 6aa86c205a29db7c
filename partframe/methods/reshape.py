"""Row-reshaping methods of DataFrame and Series (mixed into the facades):
``explode``; and the top-level ``isna``/``notna``."""

from __future__ import annotations

from typing import Any, Self

import pandas as pd

from ..collection._core import FrameBase, new_collection
from ..expr.base import Expr
from ..expr.blockwise import MethodCall

__all__ = ["ReshapeMethods", "isna", "notna"]


class ReshapeMethods:
    """``explode`` of DataFrame and Series."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any

    def explode(self, column: Any = None, ignore_index: bool = False) -> Self:
        """One row per element of list-like values, as pandas' ``explode``.

        A row's elements stay in its partition under its label, so the
        divisions are kept; ``ignore_index=True`` numbers the rows
        0..n-1 over the whole frame.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2], "v": [[1, 2], []]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.explode("v").v.compute().tolist()
        [1, 2, nan]
        """
        if not hasattr(self._meta, "columns"):  # Series.explode(ignore_index)
            if column is not None:
                ignore_index, column = bool(column), None
        elif column is None:
            raise TypeError("DataFrame.explode() needs column= (one label or a list)")
        args = () if column is None else (column,)
        out: Any = new_collection(MethodCall(self.expr, "explode", args))
        if ignore_index:
            out = out.reset_index(drop=True)
        return out


def isna(obj: Any) -> Any:
    """``pandas.isna``: lazy for a partframe object (its ``isna()``), pandas'
    own answer for anything else.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series([1.0, None]), npartitions=1)
    >>> partframe.isna(s).compute().tolist(), partframe.isna(None)
    ([False, True], True)
    """
    if isinstance(obj, FrameBase):
        return obj.isna()  # type: ignore[attr-defined]
    return pd.isna(obj)


def notna(obj: Any) -> Any:
    """``pandas.notna``: lazy for a partframe object (its ``notna()``)."""
    if isinstance(obj, FrameBase):
        return obj.notna()  # type: ignore[attr-defined]
    return pd.notna(obj)
