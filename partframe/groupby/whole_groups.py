"""Groupby operations on whole groups: median, quantile, apply, and the
index-aligned transform, cumulative ops, shift, diff, rank, head, tail."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.core.dtypes.dtypes import BaseMaskedDtype

from ..expr.meta import make_meta, meta_nonempty
from ..kernels.overlap import rolled
from ..methods.alike import upcast_alike, widens
from ..methods.windows import ROLLING_METHODS, WindowCalls, rolling_spec
from .aggregate import GroupByAggregations
from .core import R

if TYPE_CHECKING:
    from ..collection.frame import DataFrame, Series

__all__ = ["GroupByRolling", "GroupByWholeGroups"]


def _same_dtypes(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return list(a.dtypes) == list(b.dtypes)
    return bool(a.dtype == b.dtype)


class GroupByWholeGroups(GroupByAggregations[R]):
    """The operations that shuffle rows by key (``GroupByApply``,
    ``GroupByTransform``)."""

    def _keyed(
        self, method: str, *args: Any, key_levels: int | None = None, **kwargs: Any
    ) -> Any:
        meta = self._meta_of(method, *args, **kwargs)
        return self._shuffle_call(method, args, kwargs, meta, key_levels)

    def median(self, split_out: Any = None, split_every: Any = None) -> R:
        """Median per group (rows shuffled by key, then pandas per partition).

        ``split_every`` (Dask's tree width) is accepted and not needed: the
        median runs on whole groups."""
        return self._with(None, split_out)._keyed("median")

    def quantile(self, q: Any = 0.5, split_out: Any = None, **kwargs: Any) -> R:
        """Quantile(s) per group, through a shuffle by key."""
        nk = self._nkeys()
        return self._with(None, split_out)._keyed(
            "quantile", q, key_levels=nk, **kwargs
        )

    def apply(
        self, func: Callable, *args: Any, meta: Any = None, **kwargs: Any
    ) -> DataFrame | Series:
        """pandas' ``groupby.apply`` on whole partitions after a shuffle by key.

        Parameters
        ----------
        func : callable
            Called on each group, as pandas calls it.
        *args, **kwargs
            Passed on to ``func``.
        meta : optional
            The result's columns and dtypes, as Dask takes it: an empty
            pandas object, a ``{column: dtype}`` dict, a ``(name, dtype)``
            tuple or a dtype. Dask's meta does not describe the index,
            which pandas derives from what ``func`` returns (the keys for
            a value per group, the keys and the rows' labels for rows):
            unless ``meta`` is a pandas object with a named or
            multi-level index, it is learnt by calling ``func`` on a small
            stand-in, and when that fails the group keys are assumed.
            Each result is checked against ``meta`` (columns, dtypes).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").v.apply(max, meta=("v", "f8")).compute()
        k
        1    3.0
        2    2.0
        Name: v, dtype: float64
        """
        if meta is None:
            meta = self._meta_of("apply", func, *args, **kwargs)
            given = None
        else:
            meta = given = self._given_meta(
                meta,
                lambda: self._apply_meta_index(func, args, kwargs),
                self._keyed_index,
            )
        return self._shuffle_call(
            "apply", (func, *args), kwargs, meta, self._nkeys(), given is not None
        )

    def cov(
        self,
        min_periods: int | None = None,
        ddof: int | None = 1,
        numeric_only: bool = False,
        split_out: Any = None,
        split_every: Any = None,
    ) -> R:
        """Pairwise covariance of the columns within each group, as pandas'
        (a block of rows per group: its keys, then the column), on whole
        groups after a shuffle by key.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 1, 2, 2], "x": [1.0, 2.0, 3.0, 5.0]})
        >>> df = partframe.from_pandas(pdf.assign(y=pdf.x * 2), npartitions=2)
        >>> df.groupby("k").cov().compute().x.tolist()
        [0.5, 1.0, 2.0, 4.0]
        """
        kwargs = {
            "min_periods": min_periods,
            "ddof": ddof,
            "numeric_only": numeric_only,
        }
        return self._pairwise("cov", kwargs, split_out)

    def corr(
        self,
        method: str = "pearson",
        min_periods: int = 1,
        numeric_only: bool = False,
        split_out: Any = None,
        split_every: Any = None,
    ) -> R:
        """Pairwise correlation of the columns within each group (see
        :meth:`cov`)."""
        kwargs = {
            "method": method,
            "min_periods": min_periods,
            "numeric_only": numeric_only,
        }
        return self._pairwise("corr", kwargs, split_out)

    def _pairwise(self, method: str, kwargs: dict, split_out: Any) -> Any:
        if self._series_input:
            raise NotImplementedError(
                f"groupby(...).{method}() of a Series needs another Series "
                f"(other=); select two columns of a frame and call {method}() "
                "on its groupby instead"
            )
        # positional, in pandas' order (corr's own ``method`` would clash)
        with warnings.catch_warnings():  # the stand-in's one-row groups
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._with(None, split_out)._keyed(
                method, *kwargs.values(), key_levels=self._nkeys()
            )

    def get_group(self, name: Any) -> Any:
        """The rows of one group, in their order (all columns, the keys
        too, as pandas gives them); a group no row has gives no rows, where
        pandas raises ``KeyError`` (that would need computing).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").get_group(1).v.compute().tolist()
        [1.0, 3.0]
        """
        if self._by is None:
            raise NotImplementedError(
                "get_group() of a groupby by index level: select the rows with "
                ".loc on the index instead"
            )
        values = name if isinstance(name, tuple) and len(self._by) > 1 else (name,)
        if len(values) != len(self._by):
            raise ValueError(
                f"get_group({name!r}): the groupby has {len(self._by)} keys; "
                f"pass a tuple of {len(self._by)} values"
            )
        frame = self._frame
        mask = None
        for label, value in zip(self._by, values):
            is_missing = not isinstance(value, tuple) and bool(pd.isna(value))
            m = frame[label].isna() if is_missing else frame[label] == value
            mask = m if mask is None else mask & m
        out = frame[mask]
        temp = [
            c for c in out.columns if isinstance(c, str) and c.startswith("__pf_by_")
        ]
        if temp:
            out = out[[c for c in out.columns if c not in temp]]
        sel = self._selection
        if sel is None:
            return out
        out = out[sel]
        if self._series_input and not isinstance(sel, list):
            out = out.rename(self._series_name)
        return out

    def rolling(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        win_type: str | None = None,
        on: str | None = None,
        closed: str | None = None,
        method: str = "single",
    ) -> GroupByRolling:
        """Rolling windows within each group, as pandas'
        ``groupby(...).rolling(...)``: call an aggregation (``sum``,
        ``mean``, ..., ``apply``, ``agg``) on the result.

        Each group's rows are made whole by a shuffle by key (as
        :meth:`apply`); the result is indexed by the keys, then the rows'
        labels, groups in key order.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1, 1], "v": [1.0, 2.0, 3.0, 4.0]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").v.rolling(2).sum().compute().tolist()
        [nan, 4.0, 7.0, nan]
        """
        spec = rolling_spec(window, min_periods, center, win_type, on, closed, method)
        return GroupByRolling(self, spec)

    def transform(self, func: Any, *args: Any, meta: Any = None, **kwargs: Any) -> R:
        """pandas' ``transform``: aligned with the original index and order.

        ``meta`` (optional, as in :meth:`apply`) gives the result's columns
        and dtypes; the index is the frame's own.
        """
        if meta is None:
            return self._aligned("transform", func, *args, **kwargs)
        given = self._given_meta(meta, lambda: self._frame._meta.index)
        return self._transform_call(
            "transform", (func, *args), kwargs, given, given=True
        )

    def _keyed_index(self, index: pd.Index) -> bool:
        """Whether ``index`` can be an ``apply`` result's: it starts with
        the group keys (unless ``group_keys=False``)."""
        if not self.group_keys:
            return True
        keys = list(self._keys_meta_index().names)
        return list(index.names[: len(keys)]) == keys

    def _given_meta(
        self,
        meta: Any,
        index: Callable[[], pd.Index],
        trust: Callable[[pd.Index], bool] = lambda index: True,
    ) -> Any:
        """A user's ``meta=`` as an empty pandas object; ``index()`` replaces
        its index when it does not describe one (a description, a pandas
        object with an unnamed single-level index, or one that ``trust``
        rejects: the frame's own index copied into an ``apply`` meta)."""
        from ..methods.apply import _meta_arg

        out = _meta_arg(meta)
        if not isinstance(meta, pd.DataFrame | pd.Series | dict | list | tuple):
            # a bare dtype: the name pandas gives (the selected column's)
            sel = self._selection
            named = sel is not None and not isinstance(sel, list)
            out = out.rename(self._series_name if named else None)
        own = out.index
        if (
            isinstance(meta, pd.DataFrame | pd.Series)
            and (own.nlevels > 1 or own.name is not None)
            and trust(own)
        ):
            return out
        out = out.copy(deep=False)
        out.index = index()[:0]
        return out

    def _apply_meta_index(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        """The index of ``apply(func)`` as pandas makes it, from a call on
        the stand-in; the group keys when ``func`` fails there (it may only
        work on real data, which is why users pass ``meta=``)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                inferred = self._meta_of("apply", func, *args, **kwargs)
        except Exception:
            return self._keys_meta_index()
        if isinstance(inferred, pd.DataFrame | pd.Series):
            return inferred.index
        return self._keys_meta_index()

    def _keys_meta_index(self) -> pd.Index:
        """The index of a result with one row per group (as ``size`` has)."""
        meta = self._meta_of("size")
        if isinstance(meta, pd.DataFrame) and not self.as_index:
            return pd.RangeIndex(0)
        return meta.index

    def _aligned(self, method: str, *args: Any, **kwargs: Any) -> Any:
        meta = make_meta(self._meta_of(method, *args, **kwargs))
        kept, wide = self._data_dtypes(meta, method, args, kwargs)
        out = self._transform_call(method, args, kwargs, kept)
        if wide is not None:
            return upcast_alike(out, wide)
        # Rows whose key is missing get a missing value: pandas widens the
        # whole result (an int column to float64), so every partition is
        # widened alike when one holds such a row; the meta stays pandas'
        # dtype for keys without missing values.
        missed = self._meta_variant(self._with_missing_key, method, args, kwargs)
        if missed is None or _same_dtypes(missed, kept) or not widens(kept, missed):
            return out
        return upcast_alike(out, missed, narrow_meta=True)

    def _data_dtypes(
        self, meta: Any, method: str, args: tuple, kwargs: dict
    ) -> tuple[Any, Any]:
        """``(kept, wide)``: the metas of an index-aligned result whose
        dtypes pandas decides from the whole data (``wide`` is ``None``
        when it does not).

        A function may keep a masked int dtype on a group of missing values
        where other groups give floats (``s - s.mean()`` on ``Int64``):
        ``kept`` is the meta on a stand-in whose masked int values are all
        missing, ``wide`` the usual one; the partitions are made as pandas
        makes them and cast alike
        (:func:`~partframe.methods.alike.upcast_alike`), so the
        result's dtype is pandas' on the whole data.

        Rows whose key is missing (``dropna=True``) get a missing value,
        which makes an int result float64 (``transform('sum')``) in the
        partitions holding them: that is pandas' widening by missing values,
        which the meta (int64) allows, as elsewhere (it is not made the
        meta: nodes above cast partitions up to their meta, which would
        widen results that pandas keeps as ints).
        """
        kept = self._meta_variant(self._with_missing_values, method, args, kwargs)
        if kept is None or _same_dtypes(kept, meta) or not widens(kept, meta):
            return meta, None
        return kept, meta

    def _meta_variant(
        self,
        variant: Callable[[pd.DataFrame], pd.DataFrame | None],
        method: str,
        args: tuple,
        kwargs: dict,
    ) -> Any:
        """The meta on a stand-in with missing values; ``None`` where it
        does not apply or pandas (or a function) refuses it."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = self._meta_on(variant, method, args, kwargs)
        except Exception:
            return None
        return None if out is None else make_meta(out)

    def _with_missing_key(self, data: pd.DataFrame) -> pd.DataFrame | None:
        """The stand-in with a missing first key in its first row (``None``
        when missing keys are kept as a group, or none can be there)."""
        by = self._by
        if not self.dropna or by is None or not len(data):
            return None
        frame = self._frame.expr
        if all(frame._has_no_missing(k) for k in by):
            return None
        key = by[0]
        data = data.copy()
        column = data[key]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
            column = column.astype("float64" if column.dtype.kind != "b" else object)
        column = column.copy()
        column.iloc[0] = None
        data[key] = column
        return data

    def _with_missing_values(self, data: pd.DataFrame) -> pd.DataFrame | None:
        """The stand-in with its masked int and boolean value columns all
        missing (``None`` when it has none)."""
        sel = self._selection
        if sel is None:
            values = self._value_columns()
        else:
            values = sel if isinstance(sel, list) else [sel]
        masked = [
            c
            for c in values
            if c in data.columns
            and isinstance(data[c].dtype, BaseMaskedDtype)
            and data[c].dtype.kind in "iub"
        ]
        if not masked:
            return None
        data = data.copy()
        for c in masked:
            data[c] = pd.array([None] * len(data), dtype=data[c].dtype)
        return data

    def cumsum(self) -> R:
        """Cumulative sum within each group, in the original row order.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1, 2], "x": [1, 2, 3, 4]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").x.cumsum().compute().tolist()
        [1, 2, 4, 6]
        """
        return self._aligned("cumsum")

    def cumprod(self) -> R:
        """Cumulative product within each group."""
        return self._aligned("cumprod")

    def cummax(self) -> R:
        """Cumulative maximum within each group."""
        return self._aligned("cummax")

    def cummin(self) -> R:
        """Cumulative minimum within each group."""
        return self._aligned("cummin")

    def cumcount(self, ascending: bool = True) -> Series:
        """Position of each row within its group."""
        return self._aligned("cumcount", ascending=ascending)

    def shift(self, periods: int = 1, meta: Any = None, **kwargs: Any) -> R:
        """Shift values within each group.

        ``meta=`` (Dask's) is accepted and not needed: the result's meta is
        pandas' own result on a stand-in of the groups.

        ``freq=`` is refused: pandas then moves the index labels instead of
        the values (and reorders rows by group), so the result is not
        aligned with the frame's partitions as the other shifts are.
        """
        if kwargs.get("freq") is not None:
            raise NotImplementedError(
                "groupby(...).shift(freq=...) is not supported: it shifts the "
                "index labels, not the values; shift the index instead "
                "(e.g. set_index on a shifted datetime column)"
            )
        return self._aligned("shift", periods, **kwargs)

    def diff(self, periods: int = 1) -> R:
        """Difference with a previous row of the same group."""
        return self._aligned("diff", periods)

    def pct_change(self, periods: int = 1, **kwargs: Any) -> R:
        """Change from a previous row of the same group, as a fraction.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1, 2], "v": [1.0, 2.0, 3.0, 3.0]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").v.pct_change().compute().tolist()
        [nan, nan, 2.0, 0.5]
        """
        return self._aligned("pct_change", periods, **kwargs)

    def ffill(self, limit: int | None = None) -> R:
        """Fill missing values from the previous row of the same group."""
        return self._aligned("ffill", limit=limit)

    def bfill(self, limit: int | None = None) -> R:
        """Fill missing values from the next row of the same group."""
        return self._aligned("bfill", limit=limit)

    def rank(self, **kwargs: Any) -> R:
        """Rank of values within each group."""
        return self._aligned("rank", **kwargs)

    def head(self, n: int = 5) -> R:
        """The first ``n`` rows of each group, in the original order."""
        return self._rows("head", n)

    def tail(self, n: int = 5) -> R:
        """The last ``n`` rows of each group, in the original order."""
        return self._rows("tail", n)

    def _rows(self, method: str, n: int) -> Any:
        data = meta_nonempty(self._frame._meta)
        meta = make_meta(
            data.groupby(**self._gb_kwargs())[list(data.columns)].__getattribute__(
                method
            )(n)
        )
        out = self._transform_call(method, (n,), {}, meta, keep_rows=True)
        tmp = [
            c for c in meta.columns if isinstance(c, str) and c.startswith("__pf_by_")
        ]
        if tmp:
            out = out[[c for c in meta.columns if c not in tmp]]
        sel = self._selection
        if sel is not None:
            out = out[sel]
            if self._series_input and not isinstance(sel, list):
                out = out.rename(self._series_name) if hasattr(out, "rename") else out
        return out


class GroupByRolling(WindowCalls):
    """``groupby(...).rolling(...)``: an aggregation of it is pandas'
    ``rolled`` windows of each group, through :meth:`GroupByWholeGroups.apply`."""

    _METHODS = ROLLING_METHODS

    def __init__(self, groupby: GroupByWholeGroups, spec: dict) -> None:
        self._groupby = groupby
        self._spec = spec

    def __getitem__(self, key: Any) -> GroupByRolling:
        return GroupByRolling(self._groupby[key], self._spec)  # type: ignore[index]

    def _columns(self) -> Any:
        return getattr(self._groupby._frame._meta, "columns", ())

    def _call(self, method: str, args: tuple, kwargs: dict) -> Any:
        return self._groupby.apply(rolled, self._spec, method, args, kwargs)
