"""Short strings factorized as integers.

Group keys are often codes of one or two characters (return flags, line
status, country codes). pandas factorizes an Arrow-backed string column by
hashing every string; when every string is one byte, or every string two
bytes, the column's data buffer is the keys themselves: read as ``uint8``
or big-endian ``uint16`` integers (whose order is the strings' order),
their distinct values come from one ``bincount`` and the codes from one
table lookup. The result is ``pd.factorize``'s exactly: codes and uniques
in order of first appearance, or sorted (UTF-8 byte order is code point
order, pandas' order of strings).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["factorize_short_strings"]

#: Fewer rows than this are left to pandas (the setup would dominate).
MIN_ROWS = 4096
_WIDTHS: dict[int, np.dtype] = {1: np.dtype("u1"), 2: np.dtype(">u2")}


def factorize_short_strings(values: Any, sort: bool) -> tuple[np.ndarray, Any] | None:
    """``pd.factorize(values, sort=sort)`` for an Arrow-backed string
    Series, Index or array without missing values whose strings are all one
    byte long, or all two; None for anything else.

    Examples
    --------
    >>> s = pd.Series(["b", "a", "b", "é"] * 2000, dtype="string[pyarrow]")
    >>> factorize_short_strings(s, sort=True) is None  # "é" is 2 bytes
    True
    >>> s = pd.Series(["bb", "aa", "bb", "ab"] * 2000, dtype="string[pyarrow]")
    >>> codes, uniques = factorize_short_strings(s, sort=False)
    >>> codes[:4].tolist(), uniques.tolist()
    ([0, 1, 0, 2], ['bb', 'aa', 'ab'])
    >>> factorize_short_strings(s, sort=True)[1].tolist()
    ['aa', 'ab', 'bb']
    """
    dtype = values.dtype
    if (
        not isinstance(dtype, pd.StringDtype)
        or dtype.storage != "pyarrow"
        or len(values) < MIN_ROWS
    ):
        return None
    array = values.array if isinstance(values, pd.Series | pd.Index) else values
    chunked = getattr(array, "_pa_array", None)
    if chunked is None:
        return None
    if chunked.null_count:
        return None
    parts, sizes = [], set()
    for chunk in chunked.chunks:
        packed = _keys(chunk)
        if packed is None:
            return None
        parts.append(packed[0])
        sizes.add(packed[1])
    if len(sizes) != 1:
        return None
    (size,) = sizes
    keys = np.concatenate(parts).astype(np.intp)
    present = np.flatnonzero(np.bincount(keys, minlength=1))  # ascending
    if not sort:
        # pandas' order: first appearance (a scan per value while they are
        # few; an integer hash table otherwise)
        if len(present) <= 8:
            first = np.array([np.argmax(keys == v) for v in present])
            present = present[np.argsort(first)]
        else:
            present = np.asarray(pd.unique(keys))
    table = np.empty(256**size, dtype=np.int64)
    table[present] = np.arange(len(present))
    codes = table[keys]
    width = _WIDTHS[size]
    words = [int(v).to_bytes(size, "big").decode() for v in present.astype(width)]
    if isinstance(values, pd.Series | pd.Index):
        return codes, pd.Index(words, dtype=dtype)
    return codes, pd.array(words, dtype=dtype)  # as pandas' for an array


def _keys(chunk: Any) -> tuple[np.ndarray, int] | None:
    """The strings of an Arrow string array as integers (their bytes,
    big-endian: ordered as the strings) and their common length, or None
    unless every string is one byte long or every string two."""
    import pyarrow as pa

    typ = chunk.type
    if pa.types.is_large_string(typ):
        width: Any = np.int64
    elif pa.types.is_string(typ):
        width = np.int32
    else:
        return None
    n = len(chunk)
    if not n:
        return np.zeros(0, np.uint8), 1
    _, offsets_buf, data_buf = chunk.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=width)[
        chunk.offset : chunk.offset + n + 1
    ]
    first, last = int(offsets[0]), int(offsets[-1])
    size = (last - first) // n
    if size not in _WIDTHS or size * n != last - first:
        return None
    if not (np.diff(offsets) == size).all():
        return None
    data = np.frombuffer(data_buf, dtype=np.uint8)[first:last]
    return data.view(_WIDTHS[size]), size
