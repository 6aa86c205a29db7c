"""Missing-value methods of DataFrame and Series (mixed into the facades).

``isna``/``notna`` (and their aliases), ``fillna`` and ``dropna`` work
partition by partition; ``ffill``/``bfill`` fill each partition and carry
the last non-missing values across partition boundaries
(:class:`~partframe.expr.cumulative.FillCarry`). The shared helpers are in
:mod:`partframe.methods.columnwise`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from ..collection._core import new_collection
from ..expr.base import Expr
from ..expr.blockwise import aligned, call_method
from ..expr.cumulative import FillCarry
from ..expr.elementwise import WholeOf
from ..expr.meta import meta_nonempty
from ..kernels.elementwise import fillna_whole
from .columnwise import (
    NO_DEFAULT,
    check_columns,
    columnwise_call,
    guarded,
    is_lazy_frame,
    listify,
    method_call,
)

if TYPE_CHECKING:
    from ..collection import DataFrame, Series

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


def _fill_whole(obj: Any, value: Any) -> bool:
    """Does ``obj.fillna(value)`` (``value`` lazy) take ``value`` whole in
    every partition, rather than partition by partition?

    Filling keeps ``obj``'s rows and columns: any part of ``value`` only
    supplies the values pandas' alignment picks, so passing it whole is
    always exact. It is needed when pandas aligns a Series' labels with a
    DataFrame's columns (``df.fillna(df.mean())``), and when the two cannot
    be partition-aligned (unknown divisions, different partitionings).
    """
    if isinstance(obj._meta, pd.DataFrame) and isinstance(value._meta, pd.Series):
        return True
    a, b = obj.expr, value.expr
    return not (aligned(a, b) or (a.known_divisions and b.known_divisions))


class FrameMethods:
    """Missing-value methods shared by DataFrame and Series."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def isna(self) -> Self:
        """Boolean mask of missing values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None]), npartitions=1)
        >>> s.isna().compute().tolist()
        [False, True]
        """
        return self._method("isna")

    def isnull(self) -> Self:
        """Alias of :meth:`isna`.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None]), npartitions=1)
        >>> s.isnull().compute().tolist()
        [False, True]
        """
        return self._method("isnull")

    def notna(self) -> Self:
        """Boolean mask of non-missing values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None]), npartitions=1)
        >>> s.notna().compute().tolist()
        [True, False]
        """
        return self._method("notna")

    def notnull(self) -> Self:
        """Alias of :meth:`notna`.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None]), npartitions=1)
        >>> s.notnull().compute().tolist()
        [True, False]
        """
        return self._method("notnull")

    def ffill(
        self,
        *,
        axis: Any = None,
        inplace: bool = False,
        limit: int | None = None,
        limit_area: Any = None,
    ) -> Self:
        """Fill missing values with the last non-missing value before them.

        As pandas' ``ffill``, across partitions: each partition is filled on
        its own, and its leading missing values take the last non-missing
        value of the partitions before it (computed in the same graph; one
        row per partition travels). Rows, index and divisions are kept.

        Parameters
        ----------
        axis : {0, "index"}, optional
            Only along the rows; ``axis=1`` is not supported.
        inplace : bool, default False
            Lazy frames cannot be changed in place; ``True`` raises.
        limit : int, optional
            At most this many consecutive missing values are filled, counted
            across partition boundaries as pandas counts them.
        limit_area : None
            Not supported.

        Returns
        -------
        DataFrame or Series

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, None, None, 5.0]),
        ...                           npartitions=3)
        >>> s.ffill().compute().tolist()
        [1.0, 1.0, 1.0, 1.0, 5.0]
        >>> s.ffill(limit=2).compute().tolist()
        [1.0, 1.0, 1.0, nan, 5.0]
        """
        return self._fill("ffill", axis, inplace, limit, limit_area)

    def bfill(
        self,
        *,
        axis: Any = None,
        inplace: bool = False,
        limit: int | None = None,
        limit_area: Any = None,
    ) -> Self:
        """Fill missing values with the next non-missing value after them.

        The mirror image of :meth:`ffill`: the carry comes from the
        partitions after each one. Same arguments.

        Parameters
        ----------
        axis : {0, "index"}, optional
            Only along the rows; ``axis=1`` is not supported.
        inplace : bool, default False
            Lazy frames cannot be changed in place; ``True`` raises.
        limit : int, optional
            At most this many consecutive missing values are filled, counted
            across partition boundaries as pandas counts them.
        limit_area : None
            Not supported.

        Returns
        -------
        DataFrame or Series

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, None, None, 5.0]),
        ...                           npartitions=3)
        >>> s.bfill().compute().tolist()
        [1.0, 5.0, 5.0, 5.0, 5.0]
        >>> s.bfill(limit=1).compute().tolist()
        [1.0, nan, nan, 5.0, 5.0]
        """
        return self._fill("bfill", axis, inplace, limit, limit_area)

    def _fill(
        self, method: str, axis: Any, inplace: bool, limit: Any, limit_area: Any
    ) -> Any:
        if axis not in (None, 0, "index", "rows"):
            raise NotImplementedError(
                f"{method}(axis={axis!r}) is not supported: partframe fills along "
                f"the rows only (axis=0); for a row-wise fill use "
                f"map_partitions(lambda df: df.{method}(axis=1))"
            )
        if inplace:
            raise ValueError(
                f"{method}(inplace=True) is not supported by lazy frames; use the "
                "result"
            )
        if limit_area is not None:
            raise NotImplementedError(
                f"{method}(limit_area=) is not supported (it depends on values "
                "beyond the partition on both sides)"
            )
        # Invalid arguments (limit=0, a float limit) fail as in pandas, now.
        getattr(meta_nonempty(self._meta), method)(limit=limit)
        return new_collection(FillCarry(self.expr, method, limit))

    def fillna(self, value: Any = None, *, axis: Any = None, limit: Any = None) -> Self:
        """Fill missing values with a scalar, a dict per column, or a lazy value.

        Parameters
        ----------
        value : scalar, dict, lazy Scalar, Series or DataFrame
            As in pandas; lazy frames are aligned first.
        axis : ignored unless given, as in pandas.
        limit : not supported (pandas counts it along the whole axis).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, 3.0]), npartitions=2)
        >>> s.fillna(0).compute().tolist()
        [1.0, 0.0, 3.0]
        """
        if limit is not None:
            raise NotImplementedError(
                "fillna(limit=) counts fills along the whole axis, across "
                "partitions; it is not supported"
            )
        if value is None:
            raise ValueError("fillna needs a value (use ffill()/bfill() to propagate)")
        if isinstance(value, pd.DataFrame | pd.Series):
            raise TypeError(
                "fillna(): an in-memory pandas object cannot be aligned with the "
                "partitions; wrap it with partframe.from_pandas, or pass a dict"
            )
        kwargs = {} if axis is None else {"axis": axis}
        if is_lazy_frame(value) and _fill_whole(self, value):
            whole = WholeOf(value.expr)
            return guarded(
                self,
                "fillna()",
                lambda obj: columnwise_call(obj, fillna_whole, (whole,), kwargs),
            )
        return guarded(
            self, "fillna()", lambda obj: method_call(obj, "fillna", value, **kwargs)
        )


class DataFrameMethods:
    """DataFrame-only missing-value methods."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def dropna(
        self,
        *,
        axis: Any = 0,
        how: Any = NO_DEFAULT,
        thresh: Any = NO_DEFAULT,
        subset: Any = None,
        ignore_index: bool = False,
    ) -> DataFrame:
        """Drop rows with missing values (``how``, ``thresh``, ``subset``).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [1.0, None], "y": [None, None]})
        >>> df = partframe.from_pandas(pdf, npartitions=1)
        >>> len(df.dropna(subset=["x"]))
        1
        """
        if axis not in (0, "index"):
            raise NotImplementedError(
                "dropna(axis=1) needs to see every partition; not supported"
            )
        if ignore_index:
            raise NotImplementedError(
                "dropna(ignore_index=True) renumbers rows across partitions; use "
                "reset_index(drop=True) afterwards"
            )
        kwargs: dict = {}
        if how is not NO_DEFAULT:
            kwargs["how"] = how
        if thresh is not NO_DEFAULT:
            kwargs["thresh"] = thresh
        extra: Any = ()
        if subset is not None:
            subset = listify(subset)
            check_columns(self, subset, "dropna(subset=)")
            kwargs["subset"] = subset
            extra = subset
        if subset is None:
            # Every column decides: the frame is needed whole.
            return self._method("dropna", **kwargs)
        return columnwise_call(self, call_method, ("dropna",), kwargs, extra)


class SeriesMethods:
    """Series-only missing-value methods."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def dropna(self, *, ignore_index: bool = False) -> Series:
        """Drop missing values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None]), npartitions=1)
        >>> s.dropna().compute().tolist()
        [1.0]
        """
        if ignore_index:
            raise NotImplementedError(
                "dropna(ignore_index=True) renumbers rows across partitions; use "
                "reset_index(drop=True) afterwards"
            )
        return self._method("dropna")
