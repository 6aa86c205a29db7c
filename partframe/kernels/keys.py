"""Keys as small integers: ranking, packing and sort order.

Sorting or grouping rows by key columns of any dtype becomes integer work
once each column is factorized. :func:`rank_codes` renumbers a column's
codes by the sort order of its distinct values, so ranks compare as the
keys do (missing values first or last). Ranks of several columns pack into
one ``int64`` per row (:func:`pack_codes`) when the product of their ranges
fits, and one radix ``argsort`` of the packed codes replaces ``np.lexsort``
(several times faster on many keys; :func:`lexsort_codes`).

Range partitioning (sorts, sorted groupby outputs, sorted repartitions)
samples keys (:func:`spaced_rows`), picks boundary rows at even quantiles
of the sorted sample (:func:`boundary_rows`) and assigns every row the
number of boundaries sorting at or before it (:func:`assign_ranges`).

Order is pandas': lexicographic over the columns, categoricals in category
order, ties kept in row order. Objects that do not compare (numbers and
strings mixed) raise as ``sort_values`` does, or, with ``mixed=True``, take
the order pandas' groupby gives them (numbers before strings).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .short_strings import factorize_short_strings

__all__ = [
    "PACK_LIMIT",
    "assign_numeric",
    "assign_ranges",
    "boundary_rows",
    "factorize_columns",
    "factorize_key",
    "factorized_order",
    "group_ids",
    "index_frame",
    "index_sorted_positions",
    "lexsort_codes",
    "missing_rows",
    "pack_codes",
    "pack_columns",
    "range_offsets",
    "rank_codes",
    "sorted_positions",
    "spaced_rows",
    "split_group_ids",
    "stable_order",
]

# Packed codes stay below 2**62, not 2**63: the product of the ranges is
# computed in floats, and the margin keeps its rounding from overflowing int64.
PACK_LIMIT = 2**62


def rank_codes(
    codes: np.ndarray,
    uniques: Any,
    ascending: bool = True,
    na_position: str = "last",
    mixed: bool = False,
) -> np.ndarray:
    """``codes`` (of ``pd.factorize``, ``-1`` missing) renumbered by the sort
    order of ``uniques`` (distinct values), ranks in ``0 .. len(uniques)``.

    Missing values rank after every value (``na_position="last"``) or
    before (``"first"``) whatever ``ascending`` is. ``mixed``: objects that
    do not compare take pandas' groupby order instead of raising.

    Examples
    --------
    >>> codes, uniques = pd.factorize(pd.Series(["b", None, "a", "b"]))
    >>> rank_codes(codes, uniques).tolist()
    [1, 2, 0, 1]
    >>> rank_codes(codes, uniques, ascending=False, na_position="first").tolist()
    [1, 0, 2, 1]
    """
    n = len(uniques)
    rank = np.empty(n, dtype="int64")
    if n:
        if mixed and uniques.dtype == object:
            # pandas' own order of objects (factorize sorts as groupby does:
            # numbers before strings when mixed, where argsort raises)
            rank[:] = pd.factorize(uniques, sort=True)[0]
        else:
            rank[np.asarray(uniques.argsort(), dtype="int64")] = np.arange(n)
        if not ascending:
            rank = n - 1 - rank
    # One gather: missing codes (-1) read the table's last entry.
    table = np.empty(n + 1, dtype="int64")
    if na_position == "first":
        table[:n] = rank + 1
        table[n] = 0
    else:
        table[:n] = rank
        table[n] = n
    return table[np.asarray(codes)]


def pack_codes(codes: list, sizes: list) -> np.ndarray | None:
    """Rows of integer codes ``0 <= codes[i] < sizes[i]`` as one ``int64``
    each, ordered as the rows are lexicographically; None when the
    combinations do not fit (their count reaches :data:`PACK_LIMIT`).

    Examples
    --------
    >>> pack_codes([np.array([1, 0, 1]), np.array([2, 1, 0])], [2, 3]).tolist()
    [5, 1, 3]
    """
    if float(np.prod([float(s) for s in sizes])) >= PACK_LIMIT:
        return None
    packed = np.zeros(len(codes[0]) if codes else 0, dtype="int64")
    for code, size in zip(codes, sizes):
        packed *= int(size)
        packed += code
    return packed


def group_ids(codes: list, sizes: list) -> tuple[np.ndarray, list]:
    """Rows of integer codes as one ``int64`` group id each, for any number
    of columns: :func:`pack_codes` while the combinations fit; when they
    would not, the ids so far are renumbered ``0..k-1`` in ascending order
    (``pd.factorize`` of the ids, sorted), as pandas' ``get_group_index``
    compresses them. Equal rows get equal ids, and ids order as the rows do
    lexicographically, so first appearances and sorted orders are those of
    the rows. Returns ``(ids, steps)``; :func:`split_group_ids` turns ids
    back into the codes of each column. Rows with a negative code (a
    missing key, with ``dropna``) get ids that mean nothing.

    Examples
    --------
    >>> ids, steps = group_ids([np.array([1, 0, 1]), np.array([2, 1, 2])], [2, 3])
    >>> ids.tolist(), [c.tolist() for c in split_group_ids(ids, steps)]
    ([5, 1, 5], [[1, 0, 1], [2, 1, 2]])
    """
    ids = np.array(codes[0], dtype="int64")
    span = float(sizes[0])
    steps: list = []
    for code, size in zip(codes[1:], sizes[1:]):
        if span * float(size) >= PACK_LIMIT:
            renumbered, uniques = pd.factorize(ids, sort=True)
            ids = renumbered.astype("int64", copy=False)
            span = float(len(uniques))
            steps.append(("renumber", np.asarray(uniques, dtype="int64")))
        ids *= int(size)
        ids += code
        span *= float(size)
        steps.append(("pack", int(size)))
    return ids, steps


def range_offsets(
    values: np.ndarray, low: int, high: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """``values - low`` as int64 for integer ``values``, and which values lie
    in ``low..high`` (``None``: all of them); values outside get offset 0,
    so the offsets index a table of ``high - low + 1`` entries. Any integer
    dtype and any Python int bounds (no overflow: values outside are never
    subtracted).

    Examples
    --------
    >>> off, inside = range_offsets(np.array([5, 9, 2], dtype="uint8"), 4, 8)
    >>> off.tolist(), inside.tolist()
    ([1, 0, 0], [True, False, False])
    """
    n = len(values)
    if not n:
        return np.zeros(0, dtype="int64"), None
    if low <= int(values.min()) and int(values.max()) <= high:
        return values.astype("int64") - low, None
    info = np.iinfo(values.dtype)
    if high < int(info.min) or low > int(info.max):
        return np.zeros(n, dtype="int64"), np.zeros(n, dtype=bool)
    inside = (values >= low) & (values <= high)  # (numpy compares any Python int)
    fill = values.dtype.type(max(low, int(info.min)))
    offsets = np.where(inside, values, fill).astype("int64")
    offsets -= low
    return offsets, inside


def split_group_ids(ids: np.ndarray, steps: list) -> list[np.ndarray]:
    """The codes of each column of the group ids ``ids`` that
    :func:`group_ids` made with ``steps``."""
    rest = np.asarray(ids, dtype="int64")
    out = []
    for kind, value in reversed(steps):
        if kind == "pack":
            out.append(rest % value)
            rest = rest // value
        else:
            rest = value[rest]
    out.append(rest)
    out.reverse()
    return out


def pack_columns(columns: list, sort: bool, dropna: bool) -> tuple | None:
    """Several key columns as one int64 code per row: each column factorized
    (its uniques sorted with ``sort``), the codes packed by :func:`pack_codes`.

    Returns ``(codes, uniques per column, sizes, missing rows or None)``;
    with ``dropna`` rows with a missing key are flagged (their code is
    meaningless), otherwise missing values are a key like any other. None
    when the combinations do not fit one int64.

    Examples
    --------
    >>> codes, uniques, sizes, missing = pack_columns(
    ...     [pd.Series(["a", "b", "a"]), pd.Series([1, 1, 2])], True, True
    ... )
    >>> codes.tolist(), sizes, missing
    ([0, 2, 1], [2, 2], None)
    """
    codes, uniques, sizes, missing = factorize_columns(columns, sort, dropna)
    packed = pack_codes(codes, sizes)
    if packed is None:
        return None
    return packed, uniques, sizes, missing


def factorize_columns(columns: list, sort: bool, dropna: bool) -> tuple:
    """Each key column factorized (uniques sorted with ``sort``).

    Returns ``(codes, uniques, sizes, missing)``: int64 codes and uniques
    per column, the number of codes of each (at least 1), and with
    ``dropna`` the rows with a missing key (code -1; ``None``: no such
    row); without, missing values are a key like any other.
    """
    pairs = [_factorize(c, sort, dropna) for c in columns]
    sizes = [max(1, len(u)) for _, u in pairs]
    codes = [np.asarray(code, dtype="int64") for code, _ in pairs]
    missing = missing_rows(codes) if dropna else None
    return codes, [u for _, u in pairs], sizes, missing


def missing_rows(codes: list) -> np.ndarray | None:
    """Rows where some column's code is -1 (a missing key), or ``None``."""
    missing = None
    for code in codes:
        lost = code < 0
        if lost.any():
            missing = lost if missing is None else missing | lost
    return missing


def _factorize(column: Any, sort: bool, dropna: bool) -> tuple:
    """``pd.factorize`` of one key column (short strings as integers)."""
    fast = factorize_short_strings(column, sort)
    if fast is not None:
        return fast
    return pd.factorize(column, sort=sort, use_na_sentinel=dropna)


def lexsort_codes(codes: list, sizes: list, stable: bool = True) -> np.ndarray:
    """Positions that sort rows of integer codes ``0 <= codes[i] < sizes[i]``
    lexicographically, ties in row order; ``stable=False`` when the rows
    are distinct (numpy's unstable sort is then exact, and faster).

    Examples
    --------
    >>> lexsort_codes([np.array([1, 0, 1]), np.array([0, 1, 0])], [2, 2]).tolist()
    [1, 0, 2]
    """
    packed = pack_codes(codes, sizes)
    if packed is None:
        return np.lexsort(codes[::-1])
    n = len(packed)
    if stable and n and float(np.prod([float(s) for s in sizes])) * n < PACK_LIMIT:
        # Row positions in the low digits make every key distinct: numpy's
        # unstable sort (SIMD, about twice as fast as its stable one on
        # int64) is then exact and keeps ties in row order.
        packed *= n
        packed += np.arange(n, dtype="int64")
        stable = False
    return np.argsort(packed, kind="stable" if stable else None)


def sorted_positions(
    keys: pd.DataFrame,
    ascending: list | None = None,
    na_position: str = "last",
    mixed: bool = False,
) -> np.ndarray:
    """Positions that stably sort the rows of ``keys`` (pandas' order).

    ``ascending`` per column (default all); ``mixed`` as in
    :func:`rank_codes`.

    Examples
    --------
    >>> keys = pd.DataFrame({0: [2.0, None, 1.0, 2.0], 1: ["b", "x", "c", "a"]})
    >>> sorted_positions(keys, [False, True], "first").tolist()
    [1, 3, 0, 2]
    """
    return factorized_order(keys, ascending, na_position, mixed)[0]


def factorize_key(values: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize(values)`` (codes, ``-1`` missing; distinct values),
    by Arrow's hash for numpy numbers.

    pandas sizes its hash table for every row to be distinct, so a column
    of many rows and fewer distinct values hashes into a table too large
    for the cache; Arrow grows its table (1.25e6 floats of 1e5 distinct
    values: 0.12 s against 0.3 s). ``-0.0`` is made ``0.0`` first (Arrow
    hashes bits, pandas compares values) and NaN is missing.

    Examples
    --------
    >>> codes, uniques = factorize_key(pd.Series([0.0, np.nan, -0.0, 2.5]))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 0, 1], [0.0, 2.5])
    """
    dtype = values.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iuf" or not len(values):
        return pd.factorize(values, use_na_sentinel=True)
    import pyarrow as pa
    import pyarrow.compute as pc

    array = values.to_numpy()
    if dtype.kind == "f":
        array = array + 0.0  # -0.0 + 0.0 is 0.0
    encoded = pc.dictionary_encode(pa.array(array, from_pandas=True))
    codes = pc.fill_null(encoded.indices, -1).to_numpy()
    uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(dtype)
    return codes, uniques


def factorized_order(
    keys: pd.DataFrame,
    ascending: list | None = None,
    na_position: str = "last",
    mixed: bool = False,
) -> tuple[np.ndarray, list]:
    """:func:`sorted_positions` and the ``(codes, uniques)`` of every key
    column it factorized on the way (``uniques.take(codes)`` rebuilds a
    column; a take of the sorted codes sorts it).

    Examples
    --------
    >>> order, factors = factorized_order(pd.DataFrame({0: ["b", "a", "b"]}))
    >>> order.tolist(), factors[0][0].tolist(), factors[0][1].tolist()
    ([1, 0, 2], [0, 1, 0], ['b', 'a'])
    """
    ranked, sizes, factors = [], [], []
    for j in range(len(keys.columns)):
        codes, uniques = factorize_key(keys.iloc[:, j])
        up = True if ascending is None else ascending[j]
        ranked.append(rank_codes(codes, uniques, up, na_position, mixed))
        sizes.append(len(uniques) + 1)
        factors.append((codes, uniques))
    if not ranked:
        return np.arange(len(keys)), factors
    return lexsort_codes(ranked, sizes), factors


def index_sorted_positions(
    index: pd.Index, nlevels: int | None = None, stable: bool = True
) -> np.ndarray:
    """Positions that sort the first ``nlevels`` levels of ``index`` as
    groupby orders keys (missing last, mixed objects ordered).
    ``stable=False``: the keys are distinct.

    Examples
    --------
    >>> index_sorted_positions(pd.Index(["b", None, "a", "b"])).tolist()
    [2, 0, 3, 1]
    """
    if not isinstance(index, pd.MultiIndex):
        codes, uniques = pd.factorize(index, use_na_sentinel=True)
        ranked = [rank_codes(codes, uniques, mixed=True)]
        sizes = [len(uniques) + 1]
    else:
        n = index.nlevels if nlevels is None else nlevels
        ranked = [
            rank_codes(np.asarray(index.codes[i]), index.levels[i], mixed=True)
            for i in range(n)
        ]
        sizes = [len(index.levels[i]) + 1 for i in range(n)]
    return lexsort_codes(ranked, sizes, stable)


def stable_order(values: np.ndarray, ascending: bool, na_position: str) -> np.ndarray:
    """Positions that stably sort a numpy int, uint, float or bool array the
    way pandas does (missing values first or last, ties in row order).

    An unstable argsort (SIMD, several times faster than a stable one) does
    the work; the few runs of tied keys are then put back in row order.

    Examples
    --------
    >>> stable_order(np.array([2.0, np.nan, 1.0, 2.0]), False, "first").tolist()
    [1, 0, 3, 2]
    """
    n = len(values)
    if values.dtype.kind == "b":
        values = values.view("uint8")
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        if nan.any():
            valid = np.flatnonzero(~nan)
            order = valid[stable_order(values[valid], ascending, na_position)]
            missing = np.flatnonzero(nan)
            parts = (missing, order) if na_position == "first" else (order, missing)
            return np.concatenate(parts)
        key = values if ascending else -values
    else:
        key = values if ascending else ~values  # ~x = -x - 1: no overflow
    order = np.argsort(key)
    ordered = key[order]
    tie = ordered[1:] == ordered[:-1]
    if not tie.any():
        return order
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] = tie
    in_run[:-1] |= tie
    run = np.cumsum(np.concatenate(([True], ~tie)))
    sel = np.flatnonzero(in_run)
    sub = order[sel]
    # Unique composite keys (run, position): an unstable sort is exact.
    order[sel] = sub[np.argsort(run[sel].astype("int64") * n + sub)]
    return order


# -- range partitioning ------------------------------------------------------


def index_frame(index: pd.Index, nlevels: int | None = None) -> pd.DataFrame:
    """The first ``nlevels`` levels of ``index`` (default all) as columns
    ``0, 1, ...`` of a frame with a RangeIndex.

    Examples
    --------
    >>> index_frame(pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]), 1)
       0
    0  1
    1  2
    """
    n = index.nlevels if nlevels is None else nlevels
    return pd.DataFrame(
        {i: index.get_level_values(i) for i in range(n)},
        index=pd.RangeIndex(len(index)),
        copy=False,
    )


def spaced_rows(obj: Any, size: int) -> Any:
    """Up to ``size`` evenly spaced rows of ``obj`` (first and last
    included), all of them when it is not longer.

    Examples
    --------
    >>> spaced_rows(pd.Series(range(10)), 4).tolist()
    [0, 3, 6, 9]
    """
    if len(obj) <= size:
        return obj
    return obj.iloc[np.linspace(0, len(obj) - 1, size).astype("int64")]


def boundary_rows(
    samples: list,
    npartitions: int,
    ascending: list | None = None,
    na_position: str = "last",
    mixed: bool = False,
) -> pd.DataFrame:
    """``npartitions - 1`` rows of the sampled keys at even quantiles of
    their sort order (as :func:`sorted_positions` sorts), the boundaries of
    ``npartitions`` ranges; none for fewer than two ranges or no samples.

    Boundaries may repeat (many equal keys): the ranges between equal
    boundaries stay empty.

    Examples
    --------
    >>> boundary_rows([pd.DataFrame({0: [5, 1, 3, 2]})], 2)[0].tolist()
    [3]
    """
    keys = pd.concat(samples, ignore_index=True) if samples else pd.DataFrame()
    if npartitions < 2 or not len(keys):
        return keys.iloc[:0]
    keys = keys.iloc[sorted_positions(keys, ascending, na_position, mixed)]
    pos = (np.arange(1, npartitions) * len(keys)) // npartitions
    return keys.iloc[pos].reset_index(drop=True)


def assign_ranges(
    keys: pd.DataFrame,
    bounds: pd.DataFrame,
    ascending: list | None = None,
    na_position: str = "last",
    mixed: bool = False,
) -> np.ndarray:
    """For every key row, how many boundary rows sort at or before it (its
    range). Rows equal to a boundary go after it, so equal keys share a
    range.

    Examples
    --------
    >>> keys = pd.DataFrame({0: [1, 3, 5, 2]})
    >>> assign_ranges(keys, pd.DataFrame({0: [2, 4]})).tolist()
    [0, 1, 2, 1]
    """
    nb = len(bounds)
    if not nb or not len(keys):
        return np.zeros(len(keys), dtype="int64")
    bounds = bounds.set_axis(keys.columns, axis=1)
    both = pd.concat([bounds, keys], ignore_index=True)
    marker = np.zeros(len(both), dtype="int64")
    marker[:nb] = 1
    # A stable sort puts a boundary before the equal keys that follow it.
    order = sorted_positions(both, ascending, na_position, mixed)
    counts = np.cumsum(marker[order])
    out = np.empty(len(keys), dtype="int64")
    rows = order >= nb
    out[order[rows] - nb] = counts[rows]
    return out


def assign_numeric(
    keys: pd.Series,
    bounds: pd.Series,
    ascending: bool = True,
    na_position: str = "last",
) -> np.ndarray | None:
    """:func:`assign_ranges` of one numpy int, uint or float key column by a
    binary search in the boundaries, or None when it cannot answer (other
    dtypes; missing boundaries not where ``na_position`` puts them).

    Keys and boundaries of one integer dtype are compared exactly; others
    as float64 (the order is kept, equal-looking large integers share a
    range).

    Examples
    --------
    >>> assign_numeric(pd.Series([1, 3, 5, 2]), pd.Series([2, 4])).tolist()
    [0, 1, 2, 1]
    >>> assign_numeric(pd.Series([1.0, None]), pd.Series([4.0, 2.0]), False).tolist()
    [2, 2]
    """
    kd, bd = keys.dtype, bounds.dtype
    if not (
        isinstance(kd, np.dtype)
        and isinstance(bd, np.dtype)
        and kd.kind in "iuf"
        and bd.kind in "iuf"
    ):
        return None
    if kd == bd and kd.kind in "iu":
        values, bvals = keys.to_numpy(), bounds.to_numpy()
    else:
        values = keys.to_numpy(dtype="float64")
        bvals = bounds.to_numpy(dtype="float64")
    nb = len(bvals)
    bnan = np.isnan(bvals) if bvals.dtype.kind == "f" else np.zeros(nb, dtype=bool)
    if bnan.any() and (na_position == "last") != bool(bnan[-1]):
        # Missing boundaries sit at one end; only the rest are compared.
        return None
    valid = np.sort(bvals[~bnan])
    if ascending:
        out = np.searchsorted(valid, values, side="right")
    else:
        out = len(valid) - np.searchsorted(valid, values, side="left")
    out = out.astype("int64", copy=False)
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        if na_position == "first":
            out = out + int(bnan.sum())
            out[nan] = int(bnan.sum())
        else:
            out[nan] = nb
    return out
