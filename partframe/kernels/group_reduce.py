"""Grouped reductions of numpy columns without a pandas groupby object.

A pandas ``groupby(...).sum()`` on a small partition spends most of its time
setting up the grouper, checking it and wrapping the result, several times
what the hashing of the keys and the summation itself take. A
groupby-aggregation runs this once per partition and again in every
combine, so on small partitions that set-up is most of a query's time.

:func:`group_reduce` does the same work directly: ``pandas.factorize`` of
the key values, then pandas' own compiled group kernels (``group_sum``,
``group_min``, ``group_max``: the functions ``GroupBy.sum``, ``min`` and
``max`` call, with the same arguments), so the values are bit for bit those
of pandas (Kahan-compensated sums, missing values skipped, ``min_count``
as pandas' defaults; where pandas 3.1 and later sums ascending group ids
with ``numpy.add.reduceat``, so does this). It answers only the cases
whose pandas result it knows exactly and returns ``None`` otherwise, so
the caller runs pandas:

- keys: one numpy array of ints, unsigned ints or floats, or one array of
  pandas' ``str`` dtype (the uniques are then one too); missing keys
  dropped (``dropna=True``);
- values: numpy ``int64`` or ``float64`` columns for ``sum``, ``min`` and
  ``max``; any numpy column for ``count``; ``size`` needs none.

The compiled kernels live in ``pandas._libs.groupby``, which is not public.
They are looked up once; if they are missing or their signature has changed
(a call raises ``TypeError``), :func:`group_reduce` turns itself off and
returns ``None`` from then on. ``tests/kernels/test_group_reduce.py`` compares it
with pandas exactly, so a change of meaning would fail there, not silently.

Examples
--------
>>> import numpy as np
>>> keys = np.array([3, 1, 3, 2])
>>> uniques, out = group_reduce(keys, [("s", np.array([1.0, 2.0, np.nan, 4.0]), "sum")])
>>> uniques.tolist(), out["s"].tolist()
([3, 1, 2], [1.0, 2.0, 4.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .short_strings import factorize_short_strings

__all__ = ["group_reduce", "run_codes", "supports"]

_KERNELS: dict | None = None
_ENABLED = True

# op -> min_count pandas passes by default
_MIN_COUNT = {"sum": 0, "min": -1, "max": -1}


def _kernels() -> dict | None:
    global _KERNELS, _ENABLED
    if _KERNELS is None:
        try:
            from pandas._libs import groupby as libgroupby

            _KERNELS = {
                "sum": libgroupby.group_sum,
                "min": libgroupby.group_min,
                "max": libgroupby.group_max,
            }
        except (ImportError, AttributeError):
            _ENABLED = False
            _KERNELS = {}
    return _KERNELS if _ENABLED else None


def supports(keys: Any, columns: list) -> bool:
    """Whether :func:`group_reduce` can answer for these keys and columns:
    ``keys`` an array or dtype, ``columns`` ``(values or dtype, op)`` pairs.

    Examples
    --------
    >>> supports(np.dtype("int64"), [(np.dtype("float64"), "sum")])
    True
    >>> supports(np.dtype("int64"), [(np.dtype("int32"), "sum")])
    False
    """
    if not _ENABLED:
        return False
    kd = getattr(keys, "dtype", keys)
    if not (isinstance(kd, np.dtype) and kd.kind in "iuf") and not _is_string(kd):
        return False
    for values, op in columns:
        if op == "size":
            continue
        vd = getattr(values, "dtype", values)
        if not isinstance(vd, np.dtype):
            return False
        if op == "count":
            continue
        if op not in _MIN_COUNT or vd not in (np.dtype("int64"), np.dtype("float64")):
            return False
    return True


def _is_string(dtype: Any) -> bool:
    """pandas' default string dtype ``"str"`` (NaN for missing; any storage).
    Not ``"string"``: with a ``pd.NA`` key pandas gives ``Int64`` counts."""
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan


def _pandas_reduces_runs() -> bool:
    """Whether pandas sums groups whose ids ascend with ``ufunc.reduceat``
    (pandas 3.1 and later) instead of the Kahan-compensated kernel: the
    last bits of a float sum then differ, and so must ours."""
    try:
        from pandas.core.groupby.ops import BaseGrouper
    except ImportError:  # pragma: no cover - pandas moved it
        return False
    return hasattr(BaseGrouper, "_reduceat_aggregate")


_REDUCEAT_SUMS = _pandas_reduces_runs()


def _reduceat_sum(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray | None:
    """pandas' sum of groups whose ids ascend (missing keys, -1, first):
    ``numpy.add.reduceat`` over each run, 0 for a group without rows.
    ``None`` where pandas would use its kernel: ids not ascending, or a
    missing float value (reduceat would not skip it)."""
    if not len(codes) or (codes[1:] < codes[:-1]).any():
        return None
    if values.dtype.kind == "f" and np.isnan(values).any():
        return None
    start = int(np.searchsorted(codes, 0))
    ids, vals = codes[start:], values[start:]
    if not len(ids):
        return None
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    out = np.zeros(n, dtype=values.dtype)
    out[ids[starts]] = np.add.reduceat(vals, starts)
    return out


def _reduce(kernel: Any, op: str, values: np.ndarray, codes: np.ndarray, n: int) -> Any:
    if op == "sum" and _REDUCEAT_SUMS and values.dtype.kind == "f":
        runs = _reduceat_sum(values, codes, n)
        if runs is not None:
            return runs
    out = np.empty((n, 1), dtype=values.dtype)
    counts = np.zeros(n, dtype="int64")
    kernel(
        out=out,
        counts=counts,
        values=values.reshape(-1, 1),
        labels=codes,
        mask=None,
        result_mask=None,
        min_count=_MIN_COUNT[op],
        is_datetimelike=False,
    )
    return out[:, 0]


def _sizes(codes: np.ndarray, n: int) -> np.ndarray:
    """The rows of each of the ``n`` groups (code -1, a missing key, in
    none)."""
    dropped = len(codes) and codes.min() < 0
    valid = codes[codes >= 0] if dropped else codes
    return np.bincount(valid, minlength=n).astype("int64", copy=False)


def _count(size: np.ndarray, values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The non-missing ``values`` of each group: its ``size`` less its
    missing values (ints and bools have none)."""
    if values.dtype.kind in "iub":
        return size
    missing = pd.isna(values)
    if not missing.any():
        return size
    lost = codes[missing]
    lost = lost[lost >= 0]
    return size - np.bincount(lost, minlength=len(size))


#: Rows checked for ascending order before the whole array is.
_SORTED_PROBE = 1024


def run_codes(keys: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``pandas.factorize(keys)`` for numpy keys in ascending order (no
    missing value), or ``None``: each run of equal keys is one group, so
    the codes count the key changes and no hash table is built. Their
    order of first appearance is their sorted order, so ``sort`` does not
    matter. Data read in key order (a table sorted by its key, and the
    combine of partials from disjoint ascending key ranges) is grouped in
    one pass: factorizing a million distinct keys costs several times
    the sum itself."""
    if not isinstance(keys, np.ndarray) or keys.dtype.kind not in "iuf":
        return None
    if len(keys) < 2:
        return None
    head = keys[:_SORTED_PROBE]
    # NaN compares False, so keys holding a missing value go to factorize
    if not (head[1:] >= head[:-1]).all() or not (keys[1:] >= keys[:-1]).all():
        return None
    change = keys[1:] != keys[:-1]
    if change.all():  # every key distinct: one group per row
        return np.arange(len(keys), dtype=np.intp), keys
    codes = np.empty(len(keys), dtype=np.intp)
    codes[0] = 0
    np.cumsum(change, out=codes[1:])
    starts = np.concatenate(([0], np.flatnonzero(change) + 1))
    return codes, keys[starts]


def _one_row_groups(columns: list, n: int) -> dict:
    """The reductions of groups of one row each (distinct ascending keys:
    partials of disjoint key ranges, combined): a row's value is its
    group's min, max and sum (a missing value sums to 0, as pandas'
    ``min_count=0``), and counts are 1 where the value is not missing."""
    out: dict = {}
    for name, values, op in columns:
        if op == "size":
            out[name] = np.ones(n, dtype="int64")
        elif op == "count":
            if values.dtype.kind in "iub":
                out[name] = np.ones(n, dtype="int64")
            else:
                out[name] = (~pd.isna(values)).astype("int64")
        elif op == "sum" and values.dtype.kind == "f":
            out[name] = np.where(np.isnan(values), 0.0, values)
        else:
            out[name] = values.copy()
    return out


def group_reduce(
    keys: Any, columns: list, sort: bool = False
) -> tuple[Any, dict] | None:
    """Reduce ``columns`` by the groups of ``keys``, as ``groupby(keys,
    sort=sort, dropna=True)`` then ``sum``/``min``/``max``/``count``/``size``
    would.

    Parameters
    ----------
    keys : numpy.ndarray or pandas string array
        One key per row (numpy ints, unsigned ints or floats, or a pandas
        string array); missing keys are dropped.
    columns : list of (name, values, op)
        ``values``: a numpy array as long as ``keys`` (``None`` for
        ``"size"``).
    sort : bool, default False
        Groups in sorted key order; otherwise in order of first appearance.

    Returns
    -------
    (uniques, {name: values}) or None
        The group keys and one array per name; None when the input is not
        one :func:`supports`.

    Examples
    --------
    >>> keys = np.array([2.0, np.nan, 1.0, 2.0])
    >>> u, out = group_reduce(keys, [("n", None, "size")], sort=True)
    >>> u.tolist(), out["n"].tolist()
    ([1.0, 2.0], [1, 2])
    """
    global _ENABLED
    kernels = _kernels()
    if kernels is None or not supports(keys, [(v, op) for _, v, op in columns]):
        return None
    runs = run_codes(keys)
    if runs is not None:
        codes, uniques = runs
    else:
        fast = factorize_short_strings(keys, sort)
        if fast is not None:
            codes, uniques = fast
        else:
            codes, uniques = pd.factorize(keys, sort=sort, use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.intp)
    n = len(uniques)
    if runs is not None and n == len(keys):
        return uniques, _one_row_groups(columns, n)
    out: dict = {}
    size = None
    for name, values, op in columns:
        if op in ("size", "count"):
            size = _sizes(codes, n) if size is None else size
            out[name] = size if op == "size" else _count(size, values, codes)
        else:
            try:
                out[name] = _reduce(kernels[op], op, values, codes, n)
            except TypeError:
                # the compiled kernels' signature changed: use pandas
                _ENABLED = False
                return None
    return uniques, out
