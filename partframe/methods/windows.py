"""Methods that read neighbouring rows, across partition boundaries:
``map_overlap``, ``shift``, ``diff``, ``pct_change``, ``rolling``.

Each is a :class:`~partframe.expr.overlap.MapOverlap`: a partition is
extended by the rows it needs from the partitions around it (a row count,
or a time span of a sorted datetime-like index), pandas runs on it, and
the borrowed rows are cut off again, so the result equals pandas' on the
whole frame whatever the partition sizes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
from pandas.api.extensions import no_default

from ..collection._core import meta_from_description, new_collection
from ..expr.base import Expr
from ..expr.blockwise import function_name
from ..expr.cumulative import ExpandingCarry
from ..expr.index import NewDivisions
from ..expr.meta import emulate, is_frame_or_series, make_meta, meta_nonempty
from ..expr.overlap import MapOverlap
from ..kernels.expanding import EXPANDING_METHODS
from ..kernels.overlap import differenced, pct_changed, rolled, shifted

if TYPE_CHECKING:
    from ..collection import DataFrame, Series

__all__ = [
    "ROLLING_METHODS",
    "Expanding",
    "Rolling",
    "WindowCalls",
    "WindowMethods",
    "map_overlap",
    "rolling_spec",
]

_TIME_INDEXES = (pd.DatetimeIndex, pd.TimedeltaIndex)


def _axis_rows(axis: Any, method: str) -> None:
    if axis not in (0, "index", "rows"):
        raise NotImplementedError(
            f"{method}(axis={axis!r}): only axis=0 (along the rows) is supported"
        )


def _span(value: Any, name: str, meta: Any, label: str) -> Any:
    """``before``/``after`` as rows (``int``) or a ``pandas.Timedelta``."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{label}: {name}={value!r} must be a row count or a time span")
    if isinstance(value, int | np.integer):
        if value < 0:
            raise ValueError(f"{label}: {name}={value} must not be negative")
        return int(value)
    if isinstance(value, str | datetime.timedelta | np.timedelta64 | pd.offsets.Tick):
        try:
            span = pd.Timedelta(value)
        except ValueError as err:
            raise ValueError(
                f"{label}: {name}={value!r} is not a row count or a fixed time "
                f"span ({err})"
            ) from None
        if not isinstance(meta.index, _TIME_INDEXES):
            raise TypeError(
                f"{label}: {name}={value!r} is a time span, which needs a "
                f"datetime or timedelta index; this one is "
                f"{meta.index.dtype} (set_index a datetime column first, or "
                "give a row count)"
            )
        if span < pd.Timedelta(0):
            raise ValueError(f"{label}: {name}={value!r} must not be negative")
        return span if span else 0
    if isinstance(value, float | np.floating):
        raise ValueError(
            f"{label}: {name}={value!r} must be a whole number of rows or a time "
            "span (a Timedelta or a string such as '2h')"
        )
    raise TypeError(
        f"{label}: {name}={value!r} must be a row count (int) or a time span "
        "(a Timedelta or a string such as '2h')"
    )


def _overlap(
    obj: Any,
    func: Callable[..., Any],
    before: Any,
    after: Any,
    args: tuple,
    kwargs: dict,
    label: str,
    meta: Any = None,
    enforce: bool | str = False,
    rows_per_row: int = 1,
) -> Any:
    if meta is None:
        metas = [meta_nonempty(a._meta) if isinstance(a, Expr) else a for a in args]
        meta = emulate(func, meta_nonempty(obj._meta), *metas, nonempty=True, **kwargs)
    return new_collection(
        MapOverlap(
            obj.expr,
            func,
            before,
            after,
            meta,
            args,
            kwargs,
            label,
            enforce,
            rows_per_row,
        )
    )


def _aligned_args(obj: Any, args: tuple, align_frames: bool, label: str) -> tuple:
    """``obj`` and ``args`` with each frame among ``args`` (partframe, or
    pandas: one partition) partition-aligned with ``obj``, as expressions."""
    from ..collection._core import FrameBase, align
    from ..io.memory import from_pandas

    frames = {
        j: (from_pandas(x, npartitions=1) if is_frame_or_series(x) else x)
        for j, x in enumerate(args)
        if isinstance(x, FrameBase) or is_frame_or_series(x)
    }
    if not frames:
        return obj, tuple(args)
    if align_frames:
        for other in frames.values():
            obj, _ = align(obj, other)
        frames = {j: align(obj, other)[1] for j, other in frames.items()}
    for j, other in frames.items():
        if other.npartitions != obj.npartitions:
            raise ValueError(
                f"{label}: argument {j} has {other.npartitions} partitions and "
                f"the frame {obj.npartitions}; pass align_dataframes=True to "
                "repartition them to common divisions"
            )
    out = tuple(frames[j].expr if j in frames else x for j, x in enumerate(args))
    return obj, out


#: The aggregations of a rolling window (``cov``/``corr`` apart: pairwise).
ROLLING_METHODS = (
    "count", "sum", "mean", "median", "var", "std", "min", "max", "skew",
    "kurt", "sem", "quantile", "rank", "first", "last", "nunique", "apply",
    "aggregate", "agg",
)  # fmt: skip


def rolling_spec(
    window: Any,
    min_periods: int | None,
    center: bool,
    win_type: str | None,
    on: str | None,
    closed: str | None,
    method: str,
) -> dict[str, Any]:
    """pandas' ``rolling`` keywords (``step`` apart)."""
    return {
        "window": window,
        "min_periods": min_periods,
        "center": center,
        "win_type": win_type,
        "on": on,
        "closed": closed,
        "method": method,
    }


class WindowMethods:
    """``map_overlap``, ``shift``, ``diff``, ``pct_change`` and ``rolling``
    of DataFrame and Series."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any

    def map_overlap(
        self,
        func: Callable[..., Any],
        before: Any,
        after: Any,
        *args: Any,
        meta: Any = None,
        enforce_metadata: bool = True,
        align_dataframes: bool = True,
        transform_divisions: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Apply ``func`` to each partition extended by rows of its neighbours.

        ``func(part, *args, **kwargs)`` gets the partition with the last
        ``before`` rows of the frame before it prepended and the first
        ``after`` rows after it appended (taken from as many partitions as
        needed), and must return one row per row it is given; those rows
        are cut off its result, so each partition keeps its own rows and
        the divisions are kept.

        Parameters
        ----------
        func : callable
            Returns a DataFrame or Series of the same length as its input.
        before, after : int or time span
            Rows to borrow: a count, or a time span (``"2h"``,
            ``pandas.Timedelta``) of a datetime-like index, which must be
            sorted across partitions.
        *args, **kwargs
            Passed on to ``func``. A partframe (or pandas) frame among
            ``args`` is aligned with this one (repartitioned to common
            divisions) and ``func`` gets its matching partition, extended
            by its own neighbours' rows the same way.
        meta : optional
            The result's schema, as for ``map_partitions``; inferred by
            calling ``func`` on a small stand-in when not given.
        enforce_metadata : bool, default True
            Check each result against the meta (as ``map_partitions``).
        align_dataframes : bool, default True
            Repartition frames among ``args`` to common divisions; with
            ``False`` they must already have this frame's partitions.
        transform_divisions : bool, default True
            Accepted for Dask's signature: the rows stay in place, so the
            divisions are always kept.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=3)
        >>> df.map_overlap(lambda p: p.x.rolling(2).sum(), 1, 0).compute().tolist()
        [nan, 1.0, 3.0, 5.0, 7.0, 9.0]
        """
        label = f"map_overlap({function_name(func)})"
        if any(hasattr(v, "expr") or is_frame_or_series(v) for v in kwargs.values()):
            raise NotImplementedError(
                f"{label}: pass other frames as positional arguments (they are "
                "aligned and extended like the frame); keyword frames are not"
            )
        b = _span(before, "before", self._meta, label)
        a = _span(after, "after", self._meta, label)
        enforce: bool | str = "inferred" if meta is None else True
        if not enforce_metadata:
            enforce = False
        if isinstance(meta, dict | list | tuple):
            meta = meta_from_description(meta, self._meta.index)
        elif meta is not None:
            meta = make_meta(meta)
        frame, args = _aligned_args(self, args, align_dataframes, label)
        return _overlap(frame, func, b, a, args, kwargs, label, meta, enforce)

    def shift(
        self,
        periods: Any = 1,
        freq: Any = None,
        axis: Any = 0,
        fill_value: Any = no_default,
        **kwargs: Any,
    ) -> Self:
        """pandas' ``shift``: values move ``periods`` rows along the index,
        across partition boundaries (with ``freq``: the index moves instead).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.shift(1, fill_value=0).compute().tolist()
        [0, 1, 2, 3]
        """
        _axis_rows(axis, "shift")
        if freq is not None:
            out = self.map_partitions(_index_shifted, periods, freq)  # type: ignore[attr-defined]
            divisions = _shifted_divisions(self.expr.divisions, periods, freq)
            if divisions is None:
                return out
            return new_collection(NewDivisions(out.expr, divisions))
        steps = list(periods) if isinstance(periods, list | tuple) else [periods]
        if not steps or not all(isinstance(p, int | np.integer) for p in steps):
            raise TypeError(f"shift(periods={periods!r}): periods must be integers")
        before, after = max(0, *steps), max(0, *(-p for p in steps))
        kw = {"fill_value": fill_value, **kwargs} if kwargs else None
        if kw is not None:
            return _overlap(
                self, _shift_with, before, after, (periods, kw), {}, "shift"
            )
        return _overlap(
            self, shifted, before, after, (periods, fill_value), {}, "shift"
        )

    def diff(self, periods: int = 1, axis: Any = 0) -> Self:
        """pandas' ``diff``, across partition boundaries.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 3, 6, 10]), npartitions=2)
        >>> s.diff().compute().tolist()
        [nan, 2.0, 3.0, 4.0]
        """
        _axis_rows(axis, "diff")
        if not isinstance(periods, int | np.integer):
            raise TypeError(f"diff(periods={periods!r}): periods must be an integer")
        before, after = max(0, int(periods)), max(0, -int(periods))
        return _overlap(self, differenced, before, after, (int(periods),), {}, "diff")

    def pct_change(
        self, periods: int = 1, fill_method: Any = None, freq: Any = None, **kwargs: Any
    ) -> Self:
        """pandas' ``pct_change``, across partition boundaries.

        ``freq=`` (changes against the row a time span earlier) is not
        supported: ``shift(freq=)`` and a merge on the index give it.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, 2.0, 3.0]), npartitions=2)
        >>> s.pct_change().compute().tolist()
        [nan, 1.0, 0.5]
        """
        if freq is not None:
            raise NotImplementedError(
                "pct_change(freq=) is not supported: compare with "
                "shift(freq=...) joined on the index"
            )
        if not isinstance(periods, int | np.integer):
            raise TypeError(
                f"pct_change(periods={periods!r}): periods must be an integer"
            )
        if fill_method is not None:
            # pandas fills first; ffill/bfill carry across partitions here
            filled = getattr(self, str(fill_method))()
            return filled.pct_change(periods, **kwargs)
        before, after = max(0, int(periods)), max(0, -int(periods))
        return _overlap(
            self, pct_changed, before, after, (int(periods), kwargs), {}, "pct_change"
        )

    def expanding(self, min_periods: int = 1, method: str = "single") -> Expanding:
        """Windows of every row up to each row, as pandas' ``expanding``
        (``count``, ``sum``, ``mean``, ``min``, ``max``, ``var``, ``std``).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, 2.0]), npartitions=2)
        >>> s.expanding().sum().compute().tolist()
        [1.0, 1.0, 3.0]
        """
        if not isinstance(min_periods, int | np.integer) or min_periods < 0:
            raise ValueError(f"expanding(min_periods={min_periods!r}): must be >= 0")
        meta_nonempty(self._meta).expanding(min_periods, method=method)
        return Expanding(self, int(min_periods))

    def rolling(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        win_type: str | None = None,
        on: str | None = None,
        closed: str | None = None,
        step: int | None = None,
        method: str = "single",
    ) -> Rolling:
        """Rolling windows, as pandas' ``rolling``, across partition boundaries.

        ``window`` is a row count or a fixed time span (``"2h"``) of a
        datetime-like index sorted across partitions. Each partition borrows
        one window of rows from its neighbours (before it; after it too
        with ``center=True``). ``step=`` is not supported (its rows depend
        on positions in the whole frame); ``on=`` only with a row count.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, 2.0, 3.0, 4.0]), npartitions=3)
        >>> s.rolling(2).sum().compute().tolist()
        [nan, 3.0, 5.0, 7.0]
        """
        label = "rolling"
        if step not in (None, 1):
            raise NotImplementedError(
                f"rolling(step={step!r}) is not supported: which rows it keeps "
                "depends on their positions in the whole frame"
            )
        if isinstance(window, int | np.integer) and not isinstance(window, bool):
            if window < 0:
                raise ValueError(f"rolling(window={window}): window must be >= 0")
            span: Any = int(window)
        elif on is not None:
            raise NotImplementedError(
                f"rolling({window!r}, on={on!r}): a time window over a column; "
                f"set_index({on!r}) first and roll over the index"
            )
        else:
            span = _span(window, "window", self._meta, label)
        spec = rolling_spec(window, min_periods, center, win_type, on, closed, method)
        meta_nonempty(self._meta).rolling(**spec)  # pandas' own argument errors
        return Rolling(self, spec, span, span if center else 0)


def map_overlap(
    func: Callable[..., Any],
    df: Any,
    before: Any,
    after: Any,
    *args: Any,
    meta: Any = None,
    **kwargs: Any,
) -> Any:
    """``df.map_overlap(func, before, after, *args, meta=meta, **kwargs)``
    (Dask's top-level spelling; see :meth:`WindowMethods.map_overlap`).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)
    >>> partframe.map_overlap(lambda p: p.diff(), df, 1, 0).x.compute().tolist()
    [nan, 1.0, 1.0, 1.0]
    """
    if is_frame_or_series(df):
        from ..io.memory import from_pandas

        df = from_pandas(df, npartitions=1)
    if not isinstance(df, WindowMethods):
        raise TypeError(
            f"map_overlap: df must be a partframe DataFrame or Series, not "
            f"{type(df).__name__} (partframe.from_pandas makes one)"
        )
    return df.map_overlap(func, before, after, *args, meta=meta, **kwargs)


class Expanding:
    """``frame.expanding(min_periods)``: ``count``, ``sum``, ``mean``,
    ``min``, ``max``, ``var`` and ``std`` over every row up to each row,
    across partitions (a summary of the rows before each partition is
    carried along; see :class:`~partframe.expr.cumulative.ExpandingCarry`).

    Aggregations that need every earlier value (``median``, ``quantile``,
    ``apply``...) are not supported: they would send all rows before a
    partition to it.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series([1.0, 3.0, 2.0, 6.0]), npartitions=2)
    >>> s.expanding().mean().compute().tolist()
    [1.0, 2.0, 2.0, 3.0]
    """

    def __init__(self, obj: Any, min_periods: int) -> None:
        self._obj = obj
        self.min_periods = min_periods

    def __repr__(self) -> str:
        return f"Expanding [min_periods={self.min_periods}]"

    def __getitem__(self, key: Any) -> Expanding:
        return Expanding(self._obj[key], self.min_periods)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in EXPANDING_METHODS:
            return lambda ddof=1: self._call(name, ddof)
        if name in ROLLING_METHODS or name in ("cov", "corr"):
            raise NotImplementedError(
                f"expanding().{name}() is not supported: it needs every earlier "
                "value of each row (only count, sum, mean, min, max, var and std "
                "are carried across partitions)"
            )
        if isinstance(self._obj._meta, pd.DataFrame) and name in self._obj._meta:
            return self[name]
        raise AttributeError(f"'Expanding' object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *EXPANDING_METHODS})

    def _call(self, method: str, ddof: int) -> Any:
        kwargs = {"ddof": ddof} if method in ("var", "std") else {}
        sample = meta_nonempty(self._obj._meta).expanding(self.min_periods)
        meta = make_meta(getattr(sample, method)(**kwargs))
        node = ExpandingCarry(self._obj.expr, method, self.min_periods, ddof, meta)
        return new_collection(node)


def _shifted_divisions(divisions: tuple, periods: Any, freq: Any) -> tuple | None:
    """Known divisions moved as ``shift(periods, freq=)`` moves the labels,
    when every label moves by the same span (a fixed ``freq``, or periods);
    ``None`` otherwise (an anchored offset such as ``"W"`` moves labels by
    different spans)."""
    if None in divisions:
        return None
    try:
        index = pd.Index(list(divisions))
        fixed = isinstance(index, pd.PeriodIndex) or isinstance(
            pd.tseries.frequencies.to_offset(freq), pd.offsets.Tick
        )
        moved = index.shift(
            periods, freq=None if isinstance(index, pd.PeriodIndex) else freq
        )
    except (TypeError, ValueError):
        return None
    return tuple(moved) if fixed else None


def _index_shifted(part: Any, periods: int, freq: Any) -> Any:
    return part.shift(periods, freq=freq)


def _shift_with(part: Any, periods: Any, kwargs: dict) -> Any:
    return part.shift(periods, **kwargs)


class WindowCalls:
    """What a window object (``Rolling``, ``GroupByRolling``) answers by
    name: an aggregation in ``_METHODS`` (run by ``_call``), one of the
    window's arguments, or a column of the frame (``self[name]``)."""

    _METHODS: tuple[str, ...] = ()
    _spec: dict[str, Any]

    def _columns(self) -> Any:
        raise NotImplementedError

    def _call(self, method: str, args: tuple, kwargs: dict) -> Any:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._METHODS:
            return lambda *args, **kwargs: self._call(name, args, kwargs)
        if name in self._spec:
            return self._spec[name]
        if name in self._columns():
            return self[name]  # type: ignore[index]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._METHODS})


class Rolling(WindowCalls):
    """``frame.rolling(...)``: call an aggregation (``mean``, ``sum``, ...,
    ``apply``, ``agg``) to get a lazy frame of the same rows.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": [1.0, 2.0, 4.0]}), npartitions=2)
    >>> df.rolling(2).mean().x.compute().tolist()
    [nan, 1.5, 3.0]
    """

    _METHODS = (*ROLLING_METHODS, "cov", "corr")

    def __init__(self, obj: Any, spec: dict, before: Any, after: Any) -> None:
        self._obj = obj
        self._spec = spec
        self._before = before
        self._after = after

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._spec.items() if v is not None)
        return f"Rolling [{args}]"

    def __getitem__(self, key: Any) -> Rolling:
        return Rolling(self._obj[key], self._spec, self._before, self._after)

    def _columns(self) -> Any:
        return getattr(self._obj._meta, "columns", ())

    def _call(self, method: str, args: tuple, kwargs: dict) -> DataFrame | Series:
        label = f"rolling(...).{method}"
        rows_per_row = 1
        if method in ("cov", "corr"):
            other = args[0] if args else kwargs.get("other")
            if other is not None:
                raise NotImplementedError(
                    f"{label}(other): with another frame or Series; assign it "
                    "into this frame and select the pair of columns instead"
                )
            pairwise = kwargs.get("pairwise", args[1] if len(args) > 1 else None)
            meta = self._obj._meta
            if isinstance(meta, pd.DataFrame) and pairwise is not False:
                # one block of rows per row: a row for each column
                rows_per_row = len(meta.columns)
        return _overlap(
            self._obj,
            rolled,
            self._before,
            self._after,
            (self._spec, method, args, kwargs),
            {},
            label,
            rows_per_row=rows_per_row,
        )
