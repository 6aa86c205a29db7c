"""Testing helpers: compare partframe results with pandas.

:func:`assert_eq` computes a partframe object partition by partition and
checks what pandas' equality checks cannot see: every partition has the
dtypes promised by the meta, and every partition's index lies inside its
division. Then it compares the concatenated result with the expected pandas
object using pandas' own testing functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as tm

__all__ = ["assert_eq"]


def _compute_parts(obj: Any, scheduler: Any) -> tuple[Any, list | None]:
    from .base import is_collection
    from .collection import FrameBase, Scalar
    from .scheduler import get

    if isinstance(obj, FrameBase):
        keys = obj.__dask_keys__()
        parts = get(obj.__dask_graph__(), keys, scheduler=scheduler)
        finalize, extra = obj.__dask_postcompute__()
        value = finalize(parts, *extra)
        _check_to_client(obj, value, scheduler)
        return value, parts
    if isinstance(obj, Scalar) or is_collection(obj):
        return obj.compute(scheduler=scheduler), None
    return obj, None


def _check_to_client(obj: Any, value: Any, scheduler: Any) -> None:
    """A plan that ``compute`` builds differently (``Expr._to_client``: its
    partitions handed to the final concat unbuilt) gives the same result,
    exactly, as the plan whose partitions were checked."""
    from .scheduler import shares_memory

    if not shares_memory(scheduler):
        return
    if obj.expr._to_client()._name == obj.expr._name:
        return
    direct = obj.compute(scheduler=scheduler)
    if isinstance(value, pd.DataFrame):
        tm.assert_frame_equal(direct, value, check_exact=True)
    else:
        tm.assert_series_equal(direct, value, check_exact=True)


def _check_meta(obj: Any, parts: list) -> None:
    meta = obj._meta
    for i, part in enumerate(parts):
        if type(part) is not type(meta):
            raise AssertionError(
                f"partition {i} is a {type(part).__name__}, the meta says "
                f"{type(meta).__name__}"
            )
        if isinstance(meta, pd.DataFrame):
            if list(part.columns) != list(meta.columns):
                raise AssertionError(
                    f"partition {i} has columns {list(part.columns)}, "
                    f"the meta says {list(meta.columns)}"
                )
            got, want = part.dtypes, meta.dtypes
            bad = [c for c, a, b in zip(meta.columns, got, want) if a != b]
            if bad:
                detail = ", ".join(f"{c!r}: {got[c]} vs meta {want[c]}" for c in bad)
                raise AssertionError(f"partition {i} dtypes differ from meta: {detail}")
        elif isinstance(meta, pd.Series | pd.Index):
            if part.dtype != meta.dtype:
                raise AssertionError(
                    f"partition {i} dtype {part.dtype} differs from meta {meta.dtype}"
                )
            if part.name != meta.name:
                raise AssertionError(
                    f"partition {i} name {part.name!r} differs from meta {meta.name!r}"
                )
        if isinstance(meta, pd.DataFrame | pd.Series) and len(part):
            if part.index.dtype != meta.index.dtype:
                raise AssertionError(
                    f"partition {i} index dtype {part.index.dtype} differs from "
                    f"meta {meta.index.dtype}"
                )


def _check_divisions(obj: Any, parts: list) -> None:
    divisions = obj.divisions
    if len(divisions) != len(parts) + 1:
        raise AssertionError(
            f"{len(parts)} partitions but {len(divisions)} division boundaries"
        )
    if divisions[0] is None:
        return
    n = len(parts)
    for i, part in enumerate(parts):
        if not len(part):
            continue
        index = part if isinstance(part, pd.Index) else part.index
        lo, hi = divisions[i], divisions[i + 1]
        last = i == n - 1
        # Partition i holds [lo, hi); the last one holds [lo, hi].
        if not (
            index.min() >= lo and (index.max() <= hi if last else index.max() < hi)
        ):
            bracket = "]" if last else ")"
            raise AssertionError(
                f"partition {i} has index values in [{index.min()!r}, "
                f"{index.max()!r}], outside its division [{lo!r}, {hi!r}{bracket}"
            )


def _sort(x: Any) -> Any:
    if isinstance(x, pd.DataFrame):
        if len(x.columns):
            return x.sort_values(list(x.columns), kind="stable").sort_index(
                kind="stable"
            )
        return x.sort_index()
    if isinstance(x, pd.Series):
        return x.sort_values(kind="stable").sort_index(kind="stable")
    if isinstance(x, pd.Index):
        return x.sort_values()
    return x


def assert_eq(
    a: Any,
    b: Any,
    check_dtype: bool = True,
    check_names: bool = True,
    check_index: bool = True,
    check_divisions: bool = True,
    sort_results: bool = False,
    scheduler: Any = "sync",
    **kwargs: Any,
) -> None:
    """Assert that two objects (partframe or pandas) hold equal data.

    Parameters
    ----------
    a, b : partframe collection, pandas object or scalar
        Partframe objects are computed on ``scheduler``.
    check_dtype, check_names : bool
        Passed to pandas' testing functions.
    check_index : bool, default True
        Compare the index; with ``False`` both sides are reset first.
    check_divisions : bool, default True
        Check that partitions lie inside their divisions.
    sort_results : bool, default False
        Ignore row order (for operations whose row order is unspecified).
    scheduler : str or Client, default "sync"
        Where to compute.
    **kwargs
        Passed on to ``pandas.testing.assert_*_equal`` (``rtol``, ``atol``...).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"x": [1, 2, 3]})
    >>> assert_eq(partframe.from_pandas(pdf, npartitions=2), pdf)
    """
    results = []
    for obj in (a, b):
        value, parts = _compute_parts(obj, scheduler)
        if parts is not None:
            _check_meta(obj, parts)
            if check_divisions:
                _check_divisions(obj, parts)
        results.append(value)
    x, y = results
    if not check_index:  # before sorting: the labels must not order the rows
        if isinstance(x, pd.DataFrame | pd.Series):
            x = x.reset_index(drop=True)
        if isinstance(y, pd.DataFrame | pd.Series):
            y = y.reset_index(drop=True)
    if sort_results:
        x, y = _sort(x), _sort(y)
        if not check_index:
            x, y = x.reset_index(drop=True), y.reset_index(drop=True)
    if isinstance(x, pd.DataFrame):
        tm.assert_frame_equal(
            x, y, check_dtype=check_dtype, check_names=check_names, **kwargs
        )
    elif isinstance(x, pd.Series):
        tm.assert_series_equal(
            x, y, check_dtype=check_dtype, check_names=check_names, **kwargs
        )
    elif isinstance(x, pd.Index):
        tm.assert_index_equal(
            x, y, exact=check_dtype, check_names=check_names, **kwargs
        )
    else:
        _assert_scalar_eq(x, y, check_dtype, **kwargs)


def _assert_scalar_eq(x: Any, y: Any, check_dtype: bool, **kwargs: Any) -> None:
    if x is pd.NA or y is pd.NA:
        if not (x is pd.NA and y is pd.NA):
            raise AssertionError(f"{x!r} != {y!r}")
        return
    if isinstance(x, float | np.floating) or isinstance(y, float | np.floating):
        rtol = kwargs.get("rtol", 1e-7)
        atol = kwargs.get("atol", 0.0)
        if (pd.isna(x) and pd.isna(y)) or np.isclose(x, y, rtol=rtol, atol=atol):
            if check_dtype and np.asarray(x).dtype != np.asarray(y).dtype:
                raise AssertionError(
                    f"{x!r} equals {y!r} but their types differ: "
                    f"{np.asarray(x).dtype} vs {np.asarray(y).dtype}"
                )
            return
        raise AssertionError(f"{x!r} != {y!r}")
    arrays = (np.ndarray, pd.api.extensions.ExtensionArray)
    if isinstance(x, arrays) or isinstance(y, arrays):
        if check_dtype and type(x) is not type(y):
            raise AssertionError(f"array types differ: {type(x)} vs {type(y)}")
        if isinstance(x, pd.api.extensions.ExtensionArray):
            tm.assert_extension_array_equal(x, y, check_dtype=check_dtype)
        else:
            np.testing.assert_array_equal(x, y)
            if check_dtype and x.dtype != y.dtype:
                raise AssertionError(f"array dtypes differ: {x.dtype} vs {y.dtype}")
        return
    if not (x == y or (pd.isna(x) and pd.isna(y))):
        raise AssertionError(f"{x!r} != {y!r}")
    if check_dtype and type(x) is not type(y):
        raise AssertionError(
            f"{x!r} equals {y!r} but types differ: {type(x)} vs {type(y)}"
        )
