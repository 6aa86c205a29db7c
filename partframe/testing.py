"""Testing helpers: compare partframe results with pandas.

:func:`assert_eq` computes a partframe object partition by partition and
checks what pandas' equality checks cannot see: every partition has the
dtypes promised by the meta, and every partition's index lies inside its
division. Then it compares the concatenated result with the expected pandas
object using pandas' own testing functions.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as tm

from .kernels.enforce import masked_widened, missing_widened

__all__ = ["assert_eq"]


def _compute_parts(obj: Any, scheduler: Any) -> tuple[Any, list | None]:
    from .base import is_collection
    from .collection import FrameBase, Scalar
    from .resources import run_scope
    from .scheduler import get

    if isinstance(obj, FrameBase):
        keys = obj.__dask_keys__()
        with run_scope():
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


def _after_narrowing_join(obj: Any, parts: list, meta: Any) -> Any:
    """Below a join whose dtypes pandas decides from the data, every node's
    meta assumes missing rows, while the join's partitions may hold the
    narrower dtypes (see :mod:`partframe.expr.merge`): a column, or the
    index, whose dtype is alike in every partition and a narrowing of the
    meta's is then what pandas computes on the whole data."""
    from .expr.base import walk

    if not any(
        getattr(node, "_meta_if_complete", None) is not None for node in walk(obj.expr)
    ):
        return meta
    if isinstance(meta, pd.DataFrame):
        meta = meta.copy()
        for j in range(meta.shape[1]):
            seen = {p.dtypes.iloc[j] for p in parts}
            if len(seen) == 1 and _widened_alike(next(iter(seen)), meta.dtypes.iloc[j]):
                meta.isetitem(j, meta.iloc[:, j].astype(next(iter(seen))))
    elif isinstance(meta, pd.Series):
        seen = {p.dtype for p in parts}
        if len(seen) == 1 and _widened_alike(next(iter(seen)), meta.dtype):
            meta = meta.astype(next(iter(seen)))
    if isinstance(meta, pd.DataFrame | pd.Series):
        seen = {p.index.dtype for p in parts if len(p)}
        if len(seen) == 1 and missing_widened(next(iter(seen)), meta.index.dtype):
            meta = meta.copy(deep=False)
            meta.index = meta.index.astype(next(iter(seen)))
    return meta


def _widened_alike(narrow: Any, wide: Any) -> bool:
    """Whether a column's ``wide`` meta dtype is what a node that casts its
    partitions alike (``_meta_if_complete``) gives where some row makes
    pandas widen ``narrow``: missing values (ints to float64), or groups
    whose function gives floats next to ``Int64`` (a masked float)."""
    return missing_widened(narrow, wide) or masked_widened(narrow, wide)


def _as_complete(obj: Any, parts: list) -> Any:
    """The meta the partitions must have: ``obj``'s, except that a join whose
    result dtypes pandas decides from the data (``_meta_if_complete``: its
    dtypes when no row is missing) may hold, in every partition alike, the
    narrower dtype of a column or of the index that no partition misses
    (and so may every node computed from it)."""
    meta = obj._meta
    if not parts:
        return meta
    complete = getattr(obj.expr, "_meta_if_complete", None)
    if complete is None:
        return _after_narrowing_join(obj, parts, meta)
    meta = meta.copy()
    if isinstance(meta, pd.Series):
        if all(p.dtype == complete.dtype for p in parts):
            meta = meta.astype(complete.dtype)
    else:
        for j in range(meta.shape[1]):
            if all(p.dtypes.iloc[j] == complete.dtypes.iloc[j] for p in parts):
                meta.isetitem(j, meta.iloc[:, j].astype(complete.dtypes.iloc[j]))
    filled = [p for p in parts if len(p)]
    if filled and all(p.index.dtype == complete.index.dtype for p in filled):
        meta.index = meta.index.astype(complete.index.dtype)
    return meta


def _check_meta(obj: Any, parts: list) -> None:
    meta = _as_complete(obj, parts)
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
            bad = [
                c
                for j, (c, a, b) in enumerate(zip(meta.columns, got, want))
                if a != b and not _data_dtype(part.iloc[:, j], b)
            ]
            if bad:
                detail = ", ".join(f"{c!r}: {got[c]} vs meta {want[c]}" for c in bad)
                raise AssertionError(f"partition {i} dtypes differ from meta: {detail}")
        elif isinstance(meta, pd.Series | pd.Index):
            if (
                part.dtype != meta.dtype
                and not (
                    isinstance(part, pd.Series | pd.Index)
                    and _data_dtype(part, meta.dtype)
                )
                and not _reduced_no_rows(obj, part)
            ):
                raise AssertionError(
                    f"partition {i} dtype {part.dtype} differs from meta {meta.dtype}"
                )
            if part.name != meta.name:
                raise AssertionError(
                    f"partition {i} name {part.name!r} differs from meta {meta.name!r}"
                )
        if isinstance(meta, pd.DataFrame | pd.Series) and len(part):
            if part.index.dtype != meta.index.dtype and not _data_dtype(
                part.index, meta.index.dtype
            ):
                raise AssertionError(
                    f"partition {i} index dtype {part.index.dtype} differs from "
                    f"meta {meta.index.dtype}"
                )


def _reduced_no_rows(obj: Any, part: Any) -> bool:
    """Whether ``part`` is what pandas gives for a frame reduction of no
    rows at all (the reduction returns pandas' answer on the empty input,
    whose dtype pandas decides from the missing values: an ``Int64`` next to
    an int column's NaN makes ``Float64``, where the meta, from a non-empty
    stand-in, says ``Int64``)."""
    from .expr.reductions import Reduction

    expr = obj.expr
    if not isinstance(expr, Reduction) or not isinstance(part, pd.Series):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            answer = getattr(expr.frame._meta, expr.op)(**(expr.kwargs or {}))
    except Exception:
        return False
    return isinstance(answer, pd.Series) and part.rename(answer.name).equals(answer)


def _data_dtype(values: Any, meta_dtype: Any) -> bool:
    """Whether ``values`` have the dtype pandas gives this data where the
    meta cannot know it: inferred from objects, or ints and bools widened
    by missing values (see :mod:`partframe.kernels.enforce`; rows moved by a
    shuffle or a filter keep the widened dtype without a missing value)."""
    if missing_widened(meta_dtype, values.dtype):
        return True
    return _inferred_from_objects(values, meta_dtype)


def _inferred_from_objects(values: Any, meta_dtype: Any) -> bool:
    """Whether ``values`` are what pandas infers from Python objects that a
    meta of dtype ``object`` stands for: the keys of a groupby on an object
    column (pandas makes ints int64 and keeps dates as objects, which only
    the data tells)."""
    if not (isinstance(meta_dtype, np.dtype) and meta_dtype.kind == "O"):
        return False
    as_objects = pd.Index(np.asarray(values, dtype=object), dtype=object)
    return as_objects.infer_objects().dtype == values.dtype


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


def _sort_by_values(x: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by every column, by position: a label that is also an index
    level name, or a duplicated label, must not make the sort ambiguous."""
    if not len(x.columns):
        return x
    columns = x.columns
    keys = [f"__pf_sort_{i}" for i in range(len(columns))]
    x = x.set_axis(keys, axis=1).sort_values(keys, kind="stable")
    return x.set_axis(columns, axis=1)


def _sort(x: Any, by_index: bool = True) -> Any:
    if not by_index and isinstance(x, pd.DataFrame | pd.Series):
        x = x.reset_index(drop=True)
        if isinstance(x, pd.Series):
            return x.sort_values(kind="stable")
        return _sort_by_values(x)
    if isinstance(x, pd.DataFrame):
        return _sort_by_values(x).sort_index(kind="stable")
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
    if sort_results:  # without check_index, the labels must not order rows
        x, y = _sort(x, check_index), _sort(y, check_index)
    if not check_index:
        if isinstance(x, pd.DataFrame | pd.Series):
            x = x.reset_index(drop=True)
        if isinstance(y, pd.DataFrame | pd.Series):
            y = y.reset_index(drop=True)
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
