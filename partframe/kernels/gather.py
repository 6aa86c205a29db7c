"""Frames described as rows gathered from source columns, built once.

A :class:`RowGather` stands for a DataFrame that has not been built yet:
each output column is a source array and the rows to take from it (all of
them, or positions where ``-1`` is a missing value). The join kernel
(:func:`partframe.kernels.join.unique_right_plan`) and the filter kernel
(:func:`masked_rows`) describe a partition's result this way.

Built by itself (:meth:`RowGather.frame`) a gather is the partition those
kernels always returned. The point is :func:`assemble`: when a compute's
result is the concatenation of gathers (the partitions of an inner join or
a filter computed to the client on a shared-memory scheduler; see
``Expr._to_client``), each numpy column is taken straight into the
result's memory. Built partition by partition, every column would be
taken into fresh memory by a task and then copied again, into more fresh
memory, by the final concat; and writing into fresh memory costs more than
the copy itself (the kernel zeroes each page before its first write).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from ..threadpool import WORKERS, client_pool

__all__ = [
    "GatherColumn",
    "RowGather",
    "arrow_chunk",
    "as_gather",
    "assemble",
    "column_values",
    "frame_columns",
    "masked_rows",
    "plain_array",
    "take_rows",
    "worth_gathering",
]

#: A result at least this big (rows x columns x 8 bytes) is assembled on
#: every core, one column per thread.
PARALLEL_BYTES = 8 * 2**20

#: A partition with fewer cells than this is filtered at once: its copy is
#: cheap, and a gather would only add steps.
MIN_GATHER_CELLS = 2**16

#: A gather keeps its source partition alive until the final concat. It is
#: made only when it keeps at least this fraction of the source's rows, so
#: the memory held stays under twice what the built partition would hold (a
#: selective filter of a big dataset must not keep all of it in memory).
MIN_KEPT_FRACTION = 0.5


def worth_gathering(kept: int, source_rows: int) -> bool:
    """Whether a gather of ``kept`` of ``source_rows`` rows may hold its source."""
    return kept >= MIN_KEPT_FRACTION * source_rows


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
    """A DataFrame of ``nrows`` rows whose column ``names[i]`` is
    ``columns[i]`` gathered. ``names`` is a list of labels or the column
    ``pandas.Index`` itself; ``index`` is the row index, built
    (``None``: a ``RangeIndex``).

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

    __slots__ = ("columns", "index", "names", "nrows")

    def __init__(
        self,
        names: Any,
        columns: list[GatherColumn],
        nrows: int,
        index: pd.Index | None = None,
    ) -> None:
        self.names = names if isinstance(names, pd.Index) else pd.Index(list(names))
        self.columns = list(columns)
        self.nrows = int(nrows)
        self.index = index

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
        return RowGather(self.names, columns, self.nrows, self.index)

    def astype(self, dtypes: list) -> RowGather | None:
        """The gather with its columns cast to ``dtypes``, or ``None`` when
        a column with missing rows would need a cast."""
        columns = []
        for col, dtype, want in zip(self.columns, self.dtypes, dtypes):
            if dtype != want:
                cast = col.astype(want)
                if cast is None:
                    return None
                col = cast
            columns.append(col)
        return RowGather(self.names, columns, self.nrows, self.index)

    def row_index(self) -> pd.Index:
        """The frame's row index."""
        return pd.RangeIndex(self.nrows) if self.index is None else self.index

    def frame(self) -> pd.DataFrame:
        """The DataFrame itself."""
        return _frame([c.values() for c in self.columns], self.names, self.row_index())


def masked_rows(df: Any, mask: np.ndarray) -> RowGather | None:
    """``df[mask]`` (a boolean numpy mask) as a gather: the numpy columns
    not built, the other columns and the index built now. ``None`` for a
    small frame, a Series, a frame with ``attrs`` (pandas' filter keeps
    them; the assembled frame would not), or when fewer than half the rows
    are kept (:data:`MIN_KEPT_FRACTION`).

    Examples
    --------
    >>> df = pd.DataFrame({"a": range(70_000), "b": 0.5})
    >>> g = masked_rows(df, (df.a % 7 != 0).to_numpy())
    >>> g.frame().equals(df[df.a % 7 != 0])
    True
    """
    if not isinstance(df, pd.DataFrame) or df.attrs:
        return None
    if df.shape[0] * df.shape[1] < MIN_GATHER_CELLS:
        return None
    pos = np.flatnonzero(mask)
    if not worth_gathering(len(pos), len(df)):
        return None
    columns = []
    for values in frame_columns(df):
        if isinstance(values, np.ndarray):
            columns.append(GatherColumn(values, pos))
        else:
            columns.append(GatherColumn(values[mask]))
    return RowGather(df.columns, columns, len(pos), df.index[mask])


def as_gather(df: pd.DataFrame) -> RowGather:
    """Every row of a built frame, as a gather (its columns as they are)."""
    columns = [GatherColumn(values) for values in frame_columns(df)]
    return RowGather(df.columns, columns, len(df), df.index)


def frame_columns(df: pd.DataFrame) -> list:
    """:func:`column_values` of each column of ``df``, in order, read from
    its blocks: no Series is built per column, and no label is looked up
    (a pandas 3 ``str`` columns Index answers a position in tens of µs,
    several times a join's own work on a small partition).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2], "b": pd.array(["x", None], dtype="str")})
    >>> [type(v).__name__ for v in frame_columns(df)]
    ['ndarray', 'ArrowStringArray']
    """
    return [plain_array(a) for a in df._iter_column_arrays()]


def column_values(col: pd.Series) -> Any:
    """A column's array: numpy for numpy dtypes (so ``take`` upcasts as
    pandas does when filling: int to float64, bool to object), else the
    pandas extension array."""
    return plain_array(col.array)


def plain_array(arr: Any) -> Any:
    """``arr`` (a column's array), numpy for pandas' numpy wrapper."""
    return arr.to_numpy() if isinstance(arr, pd.arrays.NumpyExtensionArray) else arr


def _frame(arrays: list, names: pd.Index, index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(dict(enumerate(arrays)), index=index, copy=False)
    out.columns = names
    return out


def built(part: Any) -> Any:
    """``part`` itself, or the frame of a :class:`RowGather`."""
    return part.frame() if isinstance(part, RowGather) else part


def assemble(parts: list[RowGather], parallel: bool | None = None) -> pd.DataFrame:
    """``pandas.concat`` of the gathers' frames, each column built once.

    ``parallel``: run the columns on the client pool (``None``: when the
    result is big, :data:`PARALLEL_BYTES`).

    Every part must have the same names and dtypes (else each is built and
    concatenated). Numeric columns are allocated at their full length and
    each part's rows are taken into its slice; other columns (Arrow strings,
    nullable, datetimes) are taken per part and concatenated as pandas
    does (Arrow strings without a copy: the chunks are kept). The index is
    the parts' indexes appended, as ``pandas.concat`` gives.
    """
    first = parts[0]
    dtypes = first.dtypes
    if any(not p.names.equals(first.names) or p.dtypes != dtypes for p in parts[1:]):
        return pd.concat([p.frame() for p in parts])
    sizes = [p.nrows for p in parts]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    total = int(offsets[-1])
    width = len(first.names)
    arrays: list = [None] * width
    pieces: dict = {}  # column -> its parts' arrays (extension dtypes)
    jobs: list = []  # extension columns first: they cost most

    def numpy_column(j: int, fill: Any) -> None:
        for i, part in enumerate(parts):
            _take_into(part.columns[j], arrays[j][offsets[i] : offsets[i + 1]], fill)

    def piece(j: int, i: int) -> None:
        pieces[j][i] = parts[i].columns[j].values()

    for j in range(width):
        cols = [p.columns[j] for p in parts]
        if all(isinstance(c.source, np.ndarray) for c in cols):
            fill = next((c.dtype_and_fill()[1] for c in cols if c.fill), None)
            arrays[j] = np.empty(total, dtype=dtypes[j])
            jobs.append(functools.partial(numpy_column, j, fill))
        else:
            pieces[j] = [None] * len(parts)
            jobs[:0] = [functools.partial(piece, j, i) for i in range(len(parts))]
    ranges = None
    if sum(n > 0 for n in sizes) > 1 and all(p.index is None for p in parts):
        # pandas appends RangeIndexes that do not follow each other (two
        # that are not empty, here) into an int64 Index, 8 bytes a row:
        # written here, in parallel with the columns.
        ranges = np.empty(total, dtype=np.int64)
        jobs.append(functools.partial(_ranges_into, ranges, offsets))

    if parallel is None:
        parallel = total * width * 8 >= PARALLEL_BYTES
    if WORKERS > 1 and parallel:
        list(client_pool().map(lambda job: job(), jobs))
    else:
        for job in jobs:
            job()
    for j, arrs in pieces.items():
        arrays[j] = type(arrs[0])._concat_same_type(arrs)
    if ranges is not None:
        index = pd.Index(ranges, copy=False)
    else:
        indexes = [p.row_index() for p in parts]
        index = indexes[0].append(indexes[1:]) if len(parts) > 1 else indexes[0]
    return _frame(arrays, first.names, index)


def _ranges_into(out: np.ndarray, offsets: np.ndarray) -> None:
    """``0 .. n_i - 1`` for each part in turn (``n_i``: the offsets' steps)."""
    steps = np.diff(offsets)
    counting = np.arange(int(steps.max()) if len(steps) else 0, dtype=out.dtype)
    for lo, n in zip(offsets[:-1], steps):
        out[lo : lo + n] = counting[:n]


def _take_into(col: GatherColumn, out: np.ndarray, fill_value: Any) -> None:
    """Write ``col``'s rows into ``out`` (a numpy column's slice)."""
    src = col.source if col.source.dtype == out.dtype else col.source.astype(out.dtype)
    if col.positions is None:
        out[...] = src
        return
    if col.fill:
        # The fill value in front of the source, so -1 takes it: one take,
        # cheaper than a take followed by a masked fill of scattered rows.
        src = np.concatenate([np.array([fill_value], dtype=out.dtype), src])
        np.take(src, col.positions + 1, out=out, mode="clip")
    else:
        # "clip": no bounds check and no temporary (mode "raise" buffers)
        np.take(src, col.positions, out=out, mode="clip")


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
    if isinstance(arr, pd.arrays.ArrowStringArray):
        fast = _strings_at(arr, positions, fill, mask)
        if fast is not None:
            return fast
    if mask is not None and not fill and hasattr(arr, "_pa_array"):
        return arr[mask]
    return arr.take(positions, allow_fill=fill)


def _strings_at(
    arr: Any, positions: np.ndarray, fill: bool, mask: np.ndarray | None
) -> Any:
    """A pandas Arrow string column at ``positions`` by Arrow's kernels
    directly, without pandas' checks around them.

    - by ``mask`` when given: Arrow copies strings faster by mask than by
      position;
    - with ``fill``: a plain take, then a validity bitmap (pandas builds a
      masked index array first, which costs more).

    ``None`` (pandas does it): a fill over a column with missing values of
    its own (their bitmap would have to be merged), or over no rows.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunk = arrow_chunk(arr)
    if not fill:
        rows = pa.array(mask) if mask is not None else pa.array(positions)
        out = pc.filter(chunk, rows) if mask is not None else pc.take(chunk, rows)
        return type(arr)(pa.chunked_array([out], type=chunk.type), dtype=arr.dtype)
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
