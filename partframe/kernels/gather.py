"""Frames described as rows gathered from source columns, built once.

A :class:`RowGather` stands for a DataFrame that has not been built yet:
each output column is a source array and the rows to take from it (all of
them, or positions where ``-1`` is a missing value). The join kernel
(:func:`partframe.kernels.join.unique_right_plan`) describes a partition's
result this way.

Built by itself (:meth:`RowGather.frame`) a gather is what the join kernel
always returned. The point is :func:`assemble`: when a compute's result is
the concatenation of gathers (the partitions of a join computed to the
client on a shared-memory scheduler), each numeric column is taken straight
into the result's memory. Built partition by partition, every column was
taken into fresh memory by a task and then copied again, into more fresh
memory, by the final concat; on this machine fresh memory costs more than
the copy (the kernel zeroes each page first): 0.086 s for 360 MB against
0.031 s for a copy into memory already touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from ..threadpool import WORKERS, client_pool

__all__ = ["GatherColumn", "RowGather", "arrow_chunk", "assemble", "take_rows"]

#: A result at least this big (rows x columns x 8 bytes) is assembled on
#: every core, one column per thread.
PARALLEL_BYTES = 8 * 2**20


@dataclass(frozen=True)
class GatherColumn:
    """One output column: ``source`` (a numpy or pandas extension array) at
    ``positions`` (``None``: every row, as it is; with ``fill``, ``-1`` is a
    missing value). ``mask`` is the same rows as a boolean mask, when
    known: Arrow copies strings faster by mask than by position.

    ``fill`` ends up true only when some position is ``-1``: as in pandas,
    the dtype widens (int to float64, bool to object) only then.
    """

    source: Any
    positions: np.ndarray | None = None
    fill: bool = False
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.fill:
            missing = self.positions is not None and bool((self.positions < 0).any())
            object.__setattr__(self, "fill", missing)

    def astype(self, dtype: Any) -> GatherColumn | None:
        """The column cast to ``dtype`` (the source is cast: a cast commutes
        with taking rows), or ``None`` when it has missing rows to fill."""
        if self.fill:
            return None
        return GatherColumn(self.source.astype(dtype), self.positions, False, self.mask)

    def dtype_and_fill(self) -> tuple[Any, Any]:
        """The output dtype and the value of a missing row, by pandas' own
        rule (``take`` with ``allow_fill``: int becomes float64, bool
        object)."""
        if not self.fill:
            return self.source.dtype, None
        if isinstance(self.source, np.ndarray):
            probe = np.empty(1, dtype=self.source.dtype)
        else:
            probe = self.source[:0]
        out = take(probe, np.array([-1], dtype=np.intp), allow_fill=True)
        return out.dtype, out[0]

    def values(self) -> Any:
        """The column built by itself (no copy when every row is taken)."""
        if self.positions is None:
            return self.source
        return take_rows(self.source, self.positions, self.fill, self.mask)


class RowGather:
    """A DataFrame of ``nrows`` rows (a ``RangeIndex``) whose column
    ``names[i]`` is ``columns[i]`` gathered.

    Examples
    --------
    >>> g = RowGather(
    ...     ["a", "b"],
    ...     [GatherColumn(np.array([1, 2, 3])),
    ...      GatherColumn(np.array([1.5, 2.5]), np.array([1, -1, 0]), fill=True)],
    ...     3,
    ... )
    >>> g.frame()
       a    b
    0  1  2.5
    1  2  NaN
    2  3  1.5
    >>> assemble([g, g]).index.tolist()
    [0, 1, 2, 0, 1, 2]
    """

    __slots__ = ("columns", "names", "nrows")

    def __init__(self, names: list, columns: list[GatherColumn], nrows: int) -> None:
        self.names = list(names)
        self.columns = list(columns)
        self.nrows = int(nrows)

    def __len__(self) -> int:
        return self.nrows

    @property
    def dtypes(self) -> list:
        """The dtypes of the frame's columns."""
        return [c.dtype_and_fill()[0] for c in self.columns]

    def numpy_deferred(self) -> RowGather:
        """The gather with every column but the numpy ones built now.

        A task builds its partition's extension columns (Arrow strings take
        the most time, and Arrow concatenates them without a copy), so the
        final assembly is left the numpy columns, which it writes into the
        result once."""
        columns = [
            c if isinstance(c.source, np.ndarray) or c.positions is None
            else GatherColumn(c.values())
            for c in self.columns
        ]  # fmt: skip
        return RowGather(self.names, columns, self.nrows)

    def astype(self, dtypes: list) -> RowGather | None:
        """The gather with its columns cast to ``dtypes``, or ``None`` when
        a column with missing rows would need a cast."""
        columns = []
        for col, dtype, want in zip(self.columns, self.dtypes, dtypes):
            if dtype != want:
                col = col.astype(want)
                if col is None:
                    return None
            columns.append(col)
        return RowGather(self.names, columns, self.nrows)

    def frame(self) -> pd.DataFrame:
        """The DataFrame itself."""
        out = {n: c.values() for n, c in zip(self.names, self.columns)}
        return pd.DataFrame(out, index=pd.RangeIndex(self.nrows), copy=False)


def built(part: Any) -> Any:
    """``part`` itself, or the frame of a :class:`RowGather`."""
    return part.frame() if isinstance(part, RowGather) else part


def assemble(parts: list[RowGather]) -> pd.DataFrame:
    """``pandas.concat`` of the gathers' frames, each column built once.

    Every part must have the same names and dtypes (else each is built and
    concatenated). Numeric columns are allocated at their full length and
    each part's rows are taken into its slice; other columns (Arrow strings,
    nullable, datetimes) are taken per part and concatenated as pandas
    does (Arrow strings without a copy: the chunks are kept). The index is
    each part's ``RangeIndex`` in turn, as ``pandas.concat`` gives.
    """
    first = parts[0]
    dtypes = first.dtypes
    if any(p.names != first.names or p.dtypes != dtypes for p in parts[1:]):
        return pd.concat([p.frame() for p in parts])
    sizes = [p.nrows for p in parts]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    width = len(first.names)
    arrays: list = [None] * width
    pieces: dict = {}  # column -> its parts' arrays (extension dtypes)
    jobs: list = []  # (column, part), extension columns first: they cost most
    for j in range(width):
        cols = [p.columns[j] for p in parts]
        if all(isinstance(c.source, np.ndarray) for c in cols):
            fill = next((c.dtype_and_fill()[1] for c in cols if c.fill), None)
            arrays[j] = np.empty(int(offsets[-1]), dtype=dtypes[j])
            jobs += [(j, i, fill) for i in range(len(parts))]
        else:
            pieces[j] = [None] * len(parts)
            jobs[:0] = [(j, i, None) for i in range(len(parts))]

    def run(job: tuple) -> None:
        j, i, fill = job
        col = parts[i].columns[j]
        if j in pieces:
            pieces[j][i] = col.values()
        else:
            _take_into(col, arrays[j][offsets[i] : offsets[i + 1]], fill)

    if WORKERS > 1 and offsets[-1] * width * 8 >= PARALLEL_BYTES:
        list(client_pool().map(run, jobs))
    else:
        for job in jobs:
            run(job)
    for j, arrs in pieces.items():
        arrays[j] = type(arrs[0])._concat_same_type(arrs)
    indexes = [pd.RangeIndex(n) for n in sizes]
    index = indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]
    out = pd.DataFrame(dict(enumerate(arrays)), index=index, copy=False)
    out.columns = pd.Index(first.names)
    return out


def _take_into(col: GatherColumn, out: np.ndarray, fill_value: Any) -> None:
    """Write ``col``'s rows into ``out`` (a numpy column's slice)."""
    src = col.source if col.source.dtype == out.dtype else col.source.astype(out.dtype)
    if col.positions is None:
        out[...] = src
        return
    if len(src):
        # "clip": no bounds check and no temporary (a -1 reads row 0,
        # overwritten by the fill below).
        np.take(src, col.positions, out=out, mode="clip")
    if col.fill:
        out[col.positions < 0] = fill_value


def arrow_chunk(arr: Any) -> Any:
    """The pyarrow array (one chunk) under an Arrow-backed array, else ``None``."""
    data = getattr(arr, "_pa_array", None)
    if data is None:
        return None
    return data.combine_chunks() if data.num_chunks != 1 else data.chunk(0)


def take_rows(
    arr: Any, positions: np.ndarray, fill: bool = False, mask: np.ndarray | None = None
) -> Any:
    """``arr`` at ``positions`` (``-1`` is missing when ``fill``; ``mask``:
    the same rows as a boolean mask, used for Arrow columns)."""
    if isinstance(arr, np.ndarray):
        return take(arr, positions, allow_fill=fill)
    if mask is not None and not fill and hasattr(arr, "_pa_array"):
        # Arrow copies strings faster by mask (10 ms) than by position
        # (17 ms per 2.5M rows).
        return arr[mask]
    if fill and isinstance(arr, pd.arrays.ArrowStringArray):
        fast = _take_strings_fill(arr, positions)
        if fast is not None:
            return fast
    return arr.take(positions, allow_fill=fill)


def _take_strings_fill(arr: Any, positions: np.ndarray) -> Any:
    """An Arrow string column at ``positions``, ``-1`` missing: a plain take
    then a validity bitmap, 24 ms against pandas' 34 ms per 2.5M rows (it
    builds a masked index array first). ``None``: the column has missing
    values of its own (their bitmap would have to be merged), or no rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunk = arrow_chunk(arr)
    if chunk.null_count or not len(chunk):
        return None
    valid = positions >= 0
    taken = pc.take(chunk, pa.array(np.where(valid, positions, 0)))
    if taken.offset:
        return None
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [bitmap, *taken.buffers()[1:]]
    out = pa.Array.from_buffers(taken.type, len(taken), buffers)
    return type(arr)(pa.chunked_array([out]), dtype=arr.dtype)
