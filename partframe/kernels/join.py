"""A join kernel for the common case: the right side's keys are unique.

``pandas.merge`` builds join indexers for both sides and takes every
column through its generic block machinery. When each left row matches at
most one right row (the right side's key values are unique, as for a
dimension table that is broadcast, or a shuffled partition of one), an
``inner`` or ``left`` join is simpler:

* one hash lookup of the left keys in the right keys
  (``Index.get_indexer``, which matches missing keys to missing keys as
  ``pandas.merge`` does);
* ``left``: the left columns are reused as they are (no copy) and each
  right column is taken with the lookup (missing where no match);
* ``inner``: the left columns are taken at the matching rows, in their
  order, and the right columns at the matches.

An ``inner`` join whose smaller left side has unique keys (a dimension
broadcast on the left of a fact table) is the same case turned around:
the right keys are looked up in the left's, and the matches ordered by
their left row, as pandas orders an inner join.

String keys are looked up with Arrow's hash kernel, several times faster
than pandas' on strings. :func:`unique_right_merge` returns
``None`` whenever the case is not this one; the caller then runs
``pandas.merge``. The result's column names and order are checked against
``expected_columns`` (the plan's meta, which came from pandas itself), so a
naming rule this kernel does not know makes it step aside, never guess.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd

from .gather import GatherColumn, RowGather, arrow_chunk, frame_columns, plain_array
from .keys import range_offsets

__all__ = ["as_list", "unique_right_merge", "unique_right_plan"]


def as_list(on: Any) -> list:
    """Join keys as a list (one label, or a list or tuple of labels)."""
    return list(on) if isinstance(on, list | tuple) else [on]


def _keys(kwargs: dict) -> tuple[list, list] | None:
    """The left and right key columns, or ``None`` for index joins."""
    if kwargs.get("left_index") or kwargs.get("right_index"):
        return None
    if "on" in kwargs:
        return as_list(kwargs["on"]), as_list(kwargs["on"])
    if "left_on" not in kwargs or "right_on" not in kwargs:
        return None
    return as_list(kwargs["left_on"]), as_list(kwargs["right_on"])


def _col(frame: pd.DataFrame, label: Any) -> Any:
    """The array of column ``label`` of ``frame`` (as :func:`frame_columns`
    gives it), without building a Series; a repeated label: its frame."""
    loc = frame.columns.get_loc(label)
    if not isinstance(loc, int):
        return frame[label]
    return plain_array(frame._get_column_array(loc))


def _index(frame: pd.DataFrame, keys: list) -> pd.Index:
    if len(keys) == 1:
        return pd.Index(_col(frame, keys[0]))
    return pd.MultiIndex.from_arrays([_col(frame, k) for k in keys])


def _lookup(
    left: pd.DataFrame, right: pd.DataFrame, lk: list, rk: list
) -> np.ndarray | None:
    """Each left row's matching right row (``-1``: none), or ``None`` when
    the right keys are not unique.

    Arrow-backed keys (the pandas string dtype) are looked up with Arrow's
    hash kernel, several times faster than ``Index.get_indexer`` on
    strings; a missing key matches a missing key, as in ``pandas.merge``.
    """
    if len(lk) == 1:
        lkey, rkey = arrow_chunk(_col(left, lk[0])), arrow_chunk(_col(right, rk[0]))
        if lkey is not None and rkey is not None and lkey.type == rkey.type:
            import pyarrow.compute as pc

            if pc.count_distinct(rkey, mode="all").as_py() != len(rkey):
                return None
            pos = pc.index_in(lkey, value_set=rkey)
            return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
    found = _right_lookup(right, rk)
    if found is None:
        return None
    rindex, bounds = found
    if bounds is None:
        return rindex.get_indexer(_index(left, lk))
    packed = _pack(left, lk, bounds)
    if packed is None:  # a left key of another kind: no packed lookup
        return _index(right, rk).get_indexer(_index(left, lk))
    values, inside = packed
    pos = rindex.get_indexer(values)
    pos[~inside] = -1
    return pos


# The lookup of a broadcast side, built once: every partition of the other
# side joins the same right frame (one object on a shared-memory
# scheduler), and building the hash table of its keys costs as much as the
# lookup of a partition. Keyed by the frame's id and keys; the weak
# reference tells a live frame from a new one at a reused id, and the
# entry goes with the frame.
_LOOKUPS: dict[tuple[int, tuple], tuple[Any, Any]] = {}
_LOOKUPS_LOCK = threading.Lock()


def _right_lookup(right: pd.DataFrame, rk: list) -> tuple[Any, Any] | None:
    """The index of ``right``'s keys (a pandas Index, or a
    :class:`DenseLookup` of integer keys; with the bounds of packed integer
    keys, else ``None``) when they are unique, else ``None``; cached while
    ``right`` lives."""
    key = (id(right), tuple(rk))
    with _LOOKUPS_LOCK:
        hit = _LOOKUPS.get(key)
        if hit is not None and hit[0]() is right:
            return hit[1]
        value = _build_lookup(right, rk)
        try:
            ref = weakref.ref(right)
        except TypeError:  # not weakly referenceable: not cached
            return value
        _LOOKUPS[key] = (ref, value)
        weakref.finalize(right, _forget, key, ref)
        return value


def _forget(key: tuple, ref: Any) -> None:
    # No lock: the garbage collector runs this wherever it runs, also inside
    # _right_lookup's locked block on the same thread (a lock here
    # deadlocked). dict operations are atomic; at worst a race drops a
    # fresh entry for a reused id, which is then built again.
    hit = _LOOKUPS.get(key)
    if hit is not None and hit[0] is ref:
        _LOOKUPS.pop(key, None)


def _build_lookup(right: pd.DataFrame, rk: list) -> tuple[Any, Any] | None:
    bounds = _int_bounds(right, rk) if len(rk) > 1 else None
    keys: Any = None
    if bounds is not None:
        packed = _pack(right, rk, bounds)
        assert packed is not None
        keys = packed[0]
    elif len(rk) == 1 and isinstance(_col(right, rk[0]).dtype, np.dtype):
        keys = np.asarray(_col(right, rk[0]))
    if keys is not None and keys.dtype.kind in "iu":
        dense = _dense_lookup(keys)
        if dense is False:
            return None  # repeated keys
        if dense is not None:
            return dense, bounds
    rindex = pd.Index(keys) if bounds is not None else _index(right, rk)
    if not rindex.is_unique:  # builds the hash table, kept by the index
        return None
    return rindex, bounds


# A table of positions is used for integer keys whose range is at most this
# many times their number (and at most _MAX_DENSE long): denser keys are
# found faster by one indexed load than by hashing (a sparse table's loads
# miss the cache where a small hash table would not).
_DENSE_FACTOR = 8
_MAX_DENSE = 1 << 23


class DenseLookup:
    """Positions of unique integer keys, in a table over their range: the
    ``get_indexer`` of an Index of them, for integer values.

    Examples
    --------
    >>> lookup = _dense_lookup(np.array([10, 12, 11]))
    >>> lookup.get_indexer(np.array([11, 9, 12, 10])).tolist()
    [2, -1, 1, 0]
    """

    __slots__ = ("keys", "low", "table")

    def __init__(self, keys: np.ndarray, low: int, table: np.ndarray) -> None:
        self.keys, self.low, self.table = keys, low, table

    def get_indexer(self, values: Any) -> np.ndarray:
        """Each value's position among the keys, ``-1`` where it is none."""
        v = np.asarray(values)
        if v.dtype.kind not in "iu":
            return pd.Index(self.keys).get_indexer(values)
        offsets, inside = range_offsets(v, self.low, self.low + len(self.table) - 1)
        pos = self.table.take(offsets)
        if inside is not None:
            pos[~inside] = -1
        return pos


def _dense_lookup(keys: np.ndarray) -> DenseLookup | bool | None:
    """A :class:`DenseLookup` of integer ``keys``; ``False`` when they
    repeat; ``None`` when their range is too sparse or too wide for a
    table."""
    if not len(keys):
        return None
    lo, hi = int(keys.min()), int(keys.max())
    span = hi - lo + 1
    if hi >= 2**63 or span > _MAX_DENSE or span > _DENSE_FACTOR * len(keys):
        return None
    offsets = keys.astype("int64") - lo
    table = np.full(span, -1, dtype=np.intp)
    rows = np.arange(len(keys), dtype=np.intp)
    table[offsets] = rows
    if not (table.take(offsets) == rows).all():  # a repeated key kept one row
        return False
    return DenseLookup(keys, lo, table)


def _int_bounds(frame: pd.DataFrame, keys: list) -> list | None:
    """``(min, span)`` of each numpy integer key column when the keys pack
    into one int64 (the product of spans fits), else ``None``."""
    out, total = [], 1
    for k in keys:
        col = _col(frame, k)
        if not isinstance(col.dtype, np.dtype) or col.dtype.kind not in "iu":
            return None
        a = np.asarray(col)
        lo, hi = int(a.min()), int(a.max())
        if hi >= 2**63:
            return None
        out.append((lo, hi - lo + 1))
        total *= hi - lo + 1
    return out if total < 2**63 else None


def _pack(frame: pd.DataFrame, keys: list, bounds: list) -> tuple | None:
    """Integer keys packed into one int64 each row by ``bounds`` (mixed
    radix), and which rows lie inside the bounds (others match nothing),
    or ``None`` for keys that are not numpy integers."""
    packed = np.zeros(len(frame), dtype="int64")
    inside = np.ones(len(frame), dtype=bool)
    for k, (lo, span) in zip(keys, bounds):
        col = _col(frame, k)
        if not isinstance(col.dtype, np.dtype) or col.dtype.kind not in "iu":
            return None
        a = np.asarray(col)
        if a.dtype.kind == "u" and a.dtype.itemsize == 8:
            ok = a < np.uint64(2**63)
            inside &= ok
            a = np.where(ok, a, 0)
        off = a.astype("int64") - lo
        inside &= (off >= 0) & (off < span)
        packed *= span
        packed += np.where(inside, off, 0)
    return packed, inside


def _names(left: pd.DataFrame, right: pd.DataFrame, lk: list, rk: list,
           suffixes: tuple) -> tuple[list, list, list]:  # fmt: skip
    """Output names of the left columns, the right columns kept, and those."""
    shared = {a for a, b in zip(lk, rk) if a == b}
    rkept = [c for c in right.columns if c not in shared]
    overlap = set(left.columns) & set(rkept)
    lsuf, rsuf = suffixes
    lnames = [f"{c}{lsuf}" if c in overlap else c for c in left.columns]
    rnames = [f"{c}{rsuf}" if c in overlap else c for c in rkept]
    return lnames, rkept, rnames


def unique_right_merge(
    left: pd.DataFrame, right: pd.DataFrame, kwargs: dict, expected_columns: Any
) -> pd.DataFrame | None:
    """``pandas.merge(left, right, **kwargs)`` when the right keys are unique.

    Returns ``None`` (the caller runs ``pandas.merge``) unless
    :func:`unique_right_plan` applies.
    """
    plan = unique_right_plan(left, right, kwargs, expected_columns)
    return None if plan is None else plan.frame()


def unique_right_plan(
    left: pd.DataFrame, right: pd.DataFrame, kwargs: dict, expected_columns: Any
) -> RowGather | None:
    """``pandas.merge(left, right, **kwargs)`` as a :class:`RowGather` (the
    result's columns gathered from the sides' columns, not built yet), when
    the right keys are unique.

    Returns ``None`` (the caller runs ``pandas.merge``) unless ``how`` is
    ``inner`` or ``left``, the join is on columns of equal dtypes, there
    is no indicator or sort, the right side's keys are unique (or, for an
    ``inner`` join, the left side's: tried first when it has fewer rows)
    and the output names equal ``expected_columns``.
    """
    how = kwargs.get("how", "inner")
    if how not in ("inner", "left") or kwargs.get("indicator") or kwargs.get("sort"):
        return None
    keys = _keys(kwargs)
    if keys is None or expected_columns is None:
        return None
    lk, rk = keys
    if len(lk) != len(rk) or not len(left) or not len(right):
        return None
    if any(k not in left.columns for k in lk) or any(
        k not in right.columns for k in rk
    ):
        return None
    if not left.columns.is_unique or not right.columns.is_unique:
        return None
    if any(_col(left, a).dtype != _col(right, b).dtype for a, b in zip(lk, rk)):
        return None
    suffixes = tuple(kwargs.get("suffixes", ("_x", "_y")))
    lnames, rkept, rnames = _names(left, right, lk, rk, suffixes)
    names = lnames + rnames
    if names != list(expected_columns) or len(set(names)) != len(names):
        return None
    if how == "inner" and len(left) < len(right):
        # the hash table of the smaller side; the larger side looked up
        small_left = _unique_left(left, right, lk, rk, names)
        if small_left is not None:
            return small_left
    found = _lookup(left, right, lk, rk)
    if found is None:
        if how == "inner" and len(left) >= len(right):
            # a larger (broadcast) left side whose keys are unique
            return _unique_left(left, right, lk, rk, names)
        return None
    matched = found >= 0
    every = bool(matched.all())
    lcols = frame_columns(left)
    rcols = _kept_columns(right, rkept)
    if how == "left" or every:
        n = len(left)
        columns = [GatherColumn(a) for a in lcols]
        columns += [GatherColumn(a, found, fill=not every) for a in rcols]
    else:
        pos = np.flatnonzero(matched)
        n, rpos = len(pos), found[pos]
        columns = [GatherColumn(a, pos, mask=matched) for a in lcols]
        columns += [GatherColumn(a, rpos) for a in rcols]
    return RowGather(names, columns, n)


def _kept_columns(frame: pd.DataFrame, kept: list) -> list:
    """The arrays of the columns ``kept`` of ``frame`` (unique labels), in
    that order."""
    arrays = frame_columns(frame)
    if len(kept) == len(arrays) and list(frame.columns) == list(kept):
        return arrays
    return [arrays[i] for i in frame.columns.get_indexer(kept)]


def _left_row_order(
    lpos: np.ndarray, rpos: np.ndarray, nleft: int, nright: int
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(lpos, rpos)`` (``rpos`` ascending, below ``nright``;
    ``lpos`` below ``nleft``) stably sorted by ``lpos``: packed into one
    distinct int64 each, ``lpos * nright + rpos``, they need no stable sort
    (numpy's default sort of int64 is several times faster than a stable
    argsort, and no gather by an order follows).

    Examples
    --------
    >>> lpos, rpos = np.array([2, 0, 2, 1]), np.array([0, 3, 5, 6])
    >>> lpos, rpos = _left_row_order(lpos, rpos, 3, 7)
    >>> lpos.tolist(), rpos.tolist()
    ([0, 1, 2, 2], [3, 6, 0, 5])
    """
    if nleft * nright >= 2**63:
        order = np.argsort(lpos, kind="stable")
        return lpos[order], rpos[order]
    packed = lpos.astype(np.int64) * nright
    packed += rpos
    packed.sort()
    lpos = packed // nright
    rpos = packed - lpos * nright
    return lpos.astype(np.intp, copy=False), rpos.astype(np.intp, copy=False)


def _unique_left(
    left: pd.DataFrame, right: pd.DataFrame, lk: list, rk: list, names: list
) -> RowGather | None:
    """An ``inner`` join whose left keys are unique (a small side broadcast
    on the left of a large one), or ``None`` when they are not.

    Each right row's key is looked up in the left keys (the hash table of
    the small side, cached while it lives). pandas orders an inner join by
    the left rows, each left row's matches in right order: a stable sort of
    the matched right rows by their left row gives that order.
    """
    _, rkept, _ = _names(left, right, lk, rk, ("", ""))
    found = _lookup(right, left, rk, lk)
    if found is None:
        return None
    rpos = np.flatnonzero(found >= 0)
    lpos, rpos = _left_row_order(found[rpos], rpos, len(left), len(right))
    columns = [GatherColumn(values, lpos) for values in frame_columns(left)]
    columns += [GatherColumn(values, rpos) for values in _kept_columns(right, rkept)]
    return RowGather(names, columns, len(rpos))
