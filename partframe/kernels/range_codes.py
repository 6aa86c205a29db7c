"""Rows against sorted boundary rows, by small integer codes.

Range partitioning a sort asks, for every row, how many boundary rows
sort at or before it. Comparing rows of several key columns (strings,
say) with the boundaries one by one is slow; instead every key column is
encoded against the distinct boundary values of that column,
``u_0 < u_1 < ... < u_{m-1}``: a value strictly between ``u_{p-1}`` and
``u_p`` gets code ``2p``, a value equal to ``u_p`` gets ``2p + 1``
(``u_p`` itself, as a boundary, gets ``2p + 1`` too). A row and a boundary
compare on these codes exactly as they compare on their values, which is
all range partitioning needs. The direction (``ascending``) reverses the
codes; missing values take a code below or above every other
(``na_position``). Each column has at most ``2m + 2`` codes, so the codes
of all columns pack into one ``int64`` per row (lexicographic order kept)
and one ``searchsorted`` in the sorted packed boundaries answers every row.

A row's later columns only matter while its earlier columns equal some
boundary's: the codes of column ``j`` are computed for those rows only
(in a sort by a float and a string, the string column of the few rows
whose float equals a boundary value). Numeric and datetime columns are
compared with the boundary values (each of a few, else a binary search);
Arrow strings by their first 8 bytes read from the Arrow buffers as one
integer per row, whole only where those equal a boundary's; other columns
are factorized (a hash pass) and only their distinct values are compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .keys import pack_codes, rank_codes

__all__ = ["assign_by_codes", "encode_column"]


def assign_by_codes(
    keys: pd.DataFrame,
    bounds: pd.DataFrame,
    ascending: list,
    na_position: str = "last",
    mixed: bool = False,
) -> np.ndarray | None:
    """For every key row, how many boundary rows sort at or before it (as
    :func:`~partframe.kernels.keys.assign_ranges`), or None when a column's
    dtype has no encoding or the codes do not pack into one int64.

    ``mixed``: object values that do not compare take pandas' order of a
    multi-key sort (numbers before strings) instead of raising.

    Examples
    --------
    >>> keys = pd.DataFrame({0: [1.0, 2.0, 2.0, None], 1: ["z", "a", "c", "b"]})
    >>> bounds = pd.DataFrame({0: [2.0], 1: ["b"]})
    >>> assign_by_codes(keys, bounds, [True, True]).tolist()
    [0, 0, 1, 1]
    """
    n, nb = len(keys), len(bounds)
    if not nb or not n:
        return np.zeros(n, dtype="int64")
    codes, bcodes, sizes = [], [], []
    rows: np.ndarray | None = None  # rows still tied with a boundary prefix
    for j in range(keys.shape[1]):
        col = keys.iloc[:, j]
        if rows is not None:
            col = col.iloc[rows]
        got = encode_column(col, bounds.iloc[:, j], ascending[j], na_position, mixed)
        if got is None:
            return None
        code, bcode, size = got
        if rows is not None:
            full = np.zeros(n, dtype="int64")
            full[rows] = code
            code = full
        codes.append(code)
        bcodes.append(bcode)
        sizes.append(size)
        if j + 1 < keys.shape[1]:
            hit = np.zeros(size, dtype=bool)
            hit[bcode] = True
            tied = hit[codes[-1] if rows is None else codes[-1][rows]]
            rows = np.flatnonzero(tied) if rows is None else rows[tied]
    packed = pack_codes(codes, sizes)
    bpacked = pack_codes(bcodes, sizes)
    if packed is None or bpacked is None:
        return None
    if nb <= COMPARE_LIMIT:
        out = np.zeros(n, dtype="int64")
        for value in bpacked:
            out += packed >= value
        return out
    out = np.searchsorted(np.sort(bpacked), packed, side="right")
    return out.astype("int64", copy=False)


def encode_column(
    values: pd.Series,
    bvalues: pd.Series,
    ascending: bool = True,
    na_position: str = "last",
    mixed: bool = False,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(codes of values, codes of bvalues, number of codes)``: the codes
    of the module docstring, or None for dtypes without an encoding.

    Examples
    --------
    >>> v, b, size = encode_column(pd.Series([5, 1, 3, 9]), pd.Series([3, 7]))
    >>> v.tolist(), b.tolist(), size
    ([2, 0, 1, 4], [1, 3], 6)
    """
    got = _numeric(values, bvalues)
    if got is None:
        got = _strings(values, bvalues)
    if got is None:
        got = _factorized(values, bvalues, mixed)
    if got is None:
        return None
    code, missing, bcode, bmissing, m = got
    if not ascending:
        code = 2 * m - code
        bcode = 2 * m - bcode
    if na_position == "first":
        code += 1
        bcode += 1
        na = 0
    else:
        na = 2 * m + 1
    if missing is not None:
        code[missing] = na
    bcode[bmissing] = na
    return code, bcode, 2 * m + 2


#: Up to this many distinct boundary values, rows are compared with each
#: (SIMD comparisons, several times faster than a binary search per row).
COMPARE_LIMIT = 16


def _positions(x: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """``2p`` or ``2p + 1`` (equal to ``distinct[p]``) for every ``x``."""
    m = len(distinct)
    if m <= COMPARE_LIMIT:
        below = np.zeros(len(x), dtype="int64")
        equal = np.zeros(len(x), dtype=bool)
        for value in distinct:
            below += x > value
            equal |= x == value
        return 2 * below + equal
    p = np.searchsorted(distinct, x, side="left")
    if not m:
        return p.astype("int64", copy=False)
    eq = distinct[np.minimum(p, m - 1)] == x
    return 2 * p.astype("int64", copy=False) + eq


def _numeric(values: pd.Series, bvalues: pd.Series) -> tuple | None:
    """Codes of numpy int, uint, float, bool, datetime or timedelta values
    by binary search in the sorted distinct boundary values."""
    vd, bd = values.dtype, bvalues.dtype
    if not (isinstance(vd, np.dtype) and isinstance(bd, np.dtype)):
        return None
    if vd.kind in "mM":
        if vd != bd:
            return None
        x = values.to_numpy().view("int64")
        b = bvalues.to_numpy().view("int64")
        nat = np.iinfo("int64").min
        missing, bmissing = x == nat, b == nat
    elif vd.kind in "iufb" and bd.kind in "iufb":
        if vd == bd and vd.kind in "iub":
            x, b = values.to_numpy(), bvalues.to_numpy()
            if vd.kind == "b":
                x, b = x.view("uint8"), b.view("uint8")
            missing, bmissing = None, np.zeros(len(b), dtype=bool)
        else:
            # One of them float: compared as float64 (integers beyond 2**53
            # of another dtype than the boundaries' lose their low bits).
            x = values.to_numpy(dtype="float64")
            b = bvalues.to_numpy(dtype="float64")
            missing, bmissing = np.isnan(x), np.isnan(b)
            if not missing.any():
                missing = None
    else:
        return None
    distinct = np.unique(b[~bmissing])
    code = _positions(x, distinct)
    bcode = _positions(b, distinct)
    return code, missing, bcode, bmissing, len(distinct)


def _strings(values: pd.Series, bvalues: pd.Series) -> tuple | None:
    """Codes of Arrow strings by their first 8 bytes: an unsigned integer
    per row read from the Arrow buffers, compared with the boundaries' (UTF-8
    byte order is the strings' order, and a smaller prefix is a smaller
    string). Only the rows whose prefix equals a boundary's are factorized
    and compared whole."""
    arrow = _arrow_strings(values)
    if arrow is None or not _is_arrow_strings(bvalues.dtype):
        return None
    prefix, missing = arrow
    bmissing = np.asarray(bvalues.isna(), dtype=bool)
    bstrings = [str(v) for v in bvalues.array[~bmissing]]
    distinct = sorted(set(bstrings))
    bprefix = np.array([_prefix_of(v) for v in distinct], dtype="uint64")
    below = np.zeros(len(prefix), dtype="int64")
    tied = np.zeros(len(prefix), dtype=bool)
    for value in np.unique(bprefix):
        below += (prefix > value) * int((bprefix == value).sum())
        tied |= prefix == value
    if missing is not None:
        tied &= ~missing
    rows = np.flatnonzero(tied)
    exact = _factorized(values.iloc[rows], bvalues, False)
    assert exact is not None
    code, _, bcode, bmissing, m = exact
    out = 2 * below
    out[rows] = code
    return out, missing, bcode, bmissing, m


def _is_arrow_strings(dtype: object) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        t = dtype.pyarrow_dtype
        return bool(pa.types.is_string(t) or pa.types.is_large_string(t))
    return False


def _arrow_strings(values: pd.Series) -> tuple | None:
    """``(first 8 bytes of every string as a big-endian uint64, zero
    padded; missing rows or None)`` of an Arrow string column."""
    if not _is_arrow_strings(values.dtype) or not len(values):
        return None
    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    large = pa.types.is_large_string(array.type)
    _, offsets_buf, data_buf = array.buffers()
    n = len(array)
    offsets = np.frombuffer(offsets_buf, dtype="int64" if large else "int32")
    offsets = offsets[array.offset : array.offset + n + 1].astype("int64")
    data = np.frombuffer(data_buf, dtype="uint8") if data_buf is not None else None
    start, length = offsets[:-1], np.diff(offsets)
    if data is None or not len(data):
        prefix = np.zeros(n, dtype="uint64")
    else:
        # Every byte position as the start of a big-endian 8-byte word (an
        # overlapping view of the data, padded), read once per row; bytes
        # past a string's end are masked to zero.
        padded = np.concatenate([data, np.zeros(8, dtype="uint8")])
        words = np.ndarray((len(data) + 1,), dtype=">u8", buffer=padded, strides=(1,))
        prefix = words[start].astype("uint64")
        short = length < 8
        if short.any():
            drop = (8 - length[short]).astype("uint64") * np.uint64(8)
            keep = np.where(
                drop >= 64, np.uint64(0), ~np.uint64(0) << np.minimum(drop, 63)
            )
            prefix[short] &= keep
    missing = None
    if array.null_count:
        missing = np.asarray(array.is_null().to_numpy(zero_copy_only=False))
    return prefix, missing


def _prefix_of(value: str) -> int:
    return int.from_bytes(value.encode("utf-8")[:8].ljust(8, b"\0"), "big")


def _factorized(values: pd.Series, bvalues: pd.Series, mixed: bool) -> tuple | None:
    """Codes of any other values: factorized, then only the distinct values
    are ranked together with the boundary values."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not (
        isinstance(bvalues.dtype, pd.CategoricalDtype)
        and values.dtype.categories.equals(bvalues.dtype.categories)
    ):
        return None  # no common category order
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    bmissing = np.asarray(bvalues.isna(), dtype=bool)
    both = pd.Index(uniques).append(pd.Index(bvalues.array[~bmissing]))
    bcodes, buniques = pd.factorize(both, use_na_sentinel=True)
    dense = rank_codes(bcodes, buniques, True, "last", mixed)
    nu = len(uniques)
    ranks, branks = dense[:nu], dense[nu:]
    distinct = np.unique(branks)
    table = np.zeros(nu + 1, dtype="int64")
    table[:nu] = _positions(ranks, distinct)
    codes = np.asarray(codes)
    code = table[codes]  # -1 (missing) reads table[nu], fixed by the caller
    missing = codes < 0
    bcode = np.zeros(len(bvalues), dtype="int64")
    bcode[~bmissing] = _positions(branks, distinct)
    return code, missing if missing.any() else None, bcode, bmissing, len(distinct)
