"""Expression nodes of the file readers and writers.

- :class:`ReadParquet` / :class:`ReadCSV`: partition-wise sources (they fuse
  with the operations after them). Both take the columns a query needs
  through ``_with_columns`` (projection pushdown); ``ReadParquet`` also
  takes the terms of filters above it through ``_with_predicate``
  (:func:`~partframe.expr.optimize.push_predicates`) to skip row groups
  and drop the rows they rule out before pandas sees them
  (:mod:`partframe.kernels.parquet_rows`), and answers ``len()`` from
  metadata when no column is needed;
  ``ReadCSV`` takes them to show them (the filter fuses into its block
  tasks, so it already runs right after each block's parse).
- :class:`ReadCSVParity`: the quote parities at both ends of every CSV
  block (a small counting task per block, chained), which the tasks of
  ``ReadCSV`` take to find their first and last records.
- :class:`WritePartitions` writes each partition into a staging folder;
  :class:`CommitWrite` is the one task that commits them
  (:mod:`partframe.io.commit`).
"""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..expr.base import Expr
from ..expr.blockwise import Blockwise
from ..graph import quote
from ..kernels import csv as kcsv
from ..kernels.csv_records import count_quotes, parity_pair
from ..kernels.io import read_pinned
from ..kernels.parquet import compare_scalar, empty_frame, read_parquet_piece
from ..kernels.partitions import empty_like
from ..kernels.write import (
    commit_task,
    concat_staged,
    write_csv_partition,
    write_parquet_partition,
)
from ..tokenize import tokenize
from . import commit
from .commit import OutputJob
from .hive import is_missing

if TYPE_CHECKING:
    from ..expr.statistics import Estimate
    from .csv_plan import CSVDataset
    from .parquet_plan import ParquetDataset

__all__ = [
    "CommitWrite",
    "ReadCSV",
    "ReadCSVParity",
    "ReadParquet",
    "WritePartitions",
]


def _q(x: Any) -> Any:
    """A literal task argument (never read as a key or a task)."""
    if x is None or type(x) in (int, float, bool):
        return x
    return quote(x)


class _Source(Blockwise):
    """A partition-wise node with no frame input: a file reader."""

    _preserves_partitioning = False

    def _validate(self) -> None:
        pass

    def _divisions(self) -> tuple:
        raise NotImplementedError

    @property
    def _partitioning(self) -> str:
        return self._name


# --- Parquet -----------------------------------------------------------------

#: A sample read at planning (``ReadParquet._column_sample``: predicates
#: the statistics cannot read, ``str.startswith`` and the like, estimated
#: on it) is the first ``SAMPLE_ROWS`` rows of ``SAMPLE_GROUPS`` row groups.
SAMPLE_ROWS = 2048
SAMPLE_GROUPS = 4


class ReadParquet(_Source):
    """Pieces (row groups of one file) of a planned Parquet dataset.

    ``columns`` are the output columns, ``filters`` the user's DNF filters
    (skip row groups and filter rows), ``pushed`` the terms pushed from a
    ``Filter`` in the plan (skip row groups, and drop rows in Arrow where
    the comparison agrees with pandas': the Filter stays and decides).
    ``any_of``: conjunctions of such terms of which a row group must be
    ruled in by one (set when one read serves several filtered branches,
    see :meth:`_read_union`; ``None``: no such condition).
    """

    _parameters = ["dataset", "columns", "filters", "pushed", "any_of"]
    _defaults = {"filters": None, "pushed": None, "any_of": None}
    dataset: ParquetDataset
    columns: Any
    filters: Any
    pushed: Any
    any_of: Any

    @property
    def _funcname(self) -> str:
        return "read-parquet"

    @functools.cached_property
    def _meta(self) -> Any:
        return self.dataset.meta_full[list(self.columns)]

    def _with_columns(self, columns: list) -> ReadParquet:
        return ReadParquet(
            self.dataset, list(columns), self.filters, self.pushed, self.any_of
        )

    def _with_predicate(self, terms: list) -> ReadParquet | None:
        """The reader skipping row groups that ``terms`` rule out (see
        :attr:`_plan`); ``None`` when no term is new and on its columns."""
        pushed = tuple(self.pushed or ())
        new = [t for t in terms if t[0] in self.columns and t not in pushed]
        if not new:
            return None
        return ReadParquet(
            self.dataset, self.columns, self.filters, pushed + tuple(new), self.any_of
        )

    def _read_key(self) -> Any:
        # The user's filters change the rows (and their labels); pushed
        # terms only skip row groups whose rows the filters above drop.
        return ("read-parquet", tokenize(self.dataset), tokenize(self.filters))

    def _read_union(self, others: list[Expr]) -> ReadParquet | None:
        """One reader of the columns of this reader and ``others`` (all with
        this ``_read_key``), of the row groups any of them reads.

        A row group is read when one reader's condition (its ``pushed``
        terms and one of its ``any_of``) rules it in: the terms all readers
        share stay ``pushed``, the rest become the ``any_of`` alternatives
        (none when a reader has nothing besides the shared terms, as it
        reads every row group those allow).
        """
        readers = [r for r in others if isinstance(r, ReadParquet)]
        if len(readers) < len(others):
            return None
        readers.insert(0, self)
        wanted = {c for r in readers for c in r.columns}
        columns = [c for c in self.dataset.meta_full.columns if c in wanted]
        conjs = [c for r in readers for c in _conjunctions(r)]
        shared = [t for t in conjs[0] if all(t in c for c in conjs[1:])]
        alternatives: list[tuple] = []
        for conj in conjs:
            rest = tuple(t for t in conj if t not in shared)
            if not rest:
                alternatives = []  # this reader reads all that ``shared`` allows
                break
            if rest not in alternatives:
                alternatives.append(rest)
        return ReadParquet(
            self.dataset,
            columns,
            self.filters,
            tuple(shared) or None,
            tuple(alternatives) or None,
        )

    @functools.cached_property
    def _base_plan(self) -> list:
        """Pieces after the user's filters: ``(file, row groups, rows, runs)``.

        ``runs`` are the pieces' ``(start, stop)`` row positions in the
        dataset: the RangeIndex labels pandas would give them.
        """
        ds = self.dataset
        dnf = list(self.filters or [])
        out = []
        file_offset = 0
        for file_no, rgs, _ in ds.pieces:
            md = ds.footers[file_no]
            rg_rows = [md.row_group(j).num_rows for j in range(md.num_row_groups)]
            starts = np.concatenate([[0], np.cumsum(rg_rows)]).astype(int)
            ids = list(range(md.num_row_groups)) if rgs is None else list(rgs)
            if dnf:
                ids = [j for j in ids if _may_match(ds, file_no, j, dnf)]
                if not ids:
                    if rgs is None or rgs[-1] == md.num_row_groups - 1:
                        file_offset += md.num_rows
                    continue
            out.append(_piece(file_no, ids, rg_rows, starts, file_offset))
            if rgs is None or rgs[-1] == md.num_row_groups - 1:
                file_offset += md.num_rows
        if len(out) > 1:
            out = [p for p in out if p[2] > 0] or out[:1]
        return out or [(0, [], 0, [])]

    @functools.cached_property
    def _plan(self) -> list:
        """The base plan with pushed filters applied to row groups.

        Pushed filters never change the number of partitions (the plan above
        the reader relies on it): a piece may lose row groups or all of them.
        """
        base = self._base_plan
        if not self.pushed and not self.any_of:
            return base
        ds = self.dataset
        dnf = _conjunctions(self)
        out = []
        for file_no, ids, nrows, runs in base:
            keep = [j for j in ids if _may_match(ds, file_no, j, dnf)]
            if keep == ids:
                out.append((file_no, ids, nrows, runs))
                continue
            md = ds.footers[file_no]
            rg_rows = [md.row_group(j).num_rows for j in range(md.num_row_groups)]
            starts = np.concatenate([[0], np.cumsum(rg_rows)]).astype(int)
            first = ids[0] if ids else 0
            base_off = (runs[0][0] - int(starts[first])) if runs else 0
            out.append(_piece(file_no, keep, rg_rows, starts, base_off))
        return out

    # -- statistics (see partframe.expr.statistics) ---------------------------
    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # the row groups it will read (the user's filters= and pushed
        # terms have ruled the others out)
        return float(sum(p[2] for p in self._plan))

    def _row_groups(self) -> list[tuple[int, int]]:
        return [(p[0], j) for p in self._plan for j in p[1]]

    def _column_widths(self) -> dict[Any, float] | None:
        from ..expr.statistics import _widths

        meta = self._meta
        out = _widths(meta, [])
        strings, sizes = _measured_widths(self.dataset, tuple(self._row_groups()[:64]))
        kinds = {
            c: a.dtype.kind for c, a in zip(meta.columns, meta._iter_column_arrays())
        }
        for col in out:
            if col in strings:
                out[col] = strings[col]
            elif col in sizes and kinds.get(col) in ("O", "S", "U", "T"):
                out[col] = sizes[col]
        return out

    def _column_range(self, column: Any) -> tuple[Any, Any] | None:
        ranges = self.__dict__.setdefault("_ranges", {})
        if column not in ranges:
            ranges[column] = _column_range(self.dataset, self._row_groups(), column)
        return ranges[column]

    def _column_distinct(self, column: Any) -> int | None:
        # the dictionary of the first row group read (a string column that
        # stores few distinct values; other columns open no file)
        import pyarrow as pa

        ds, groups = self.dataset, self._row_groups()
        if not groups or column in ds.hive_dtypes or column not in self.columns:
            return None
        if column not in ds.schema.names:
            return None
        typ = ds.schema.field(column).type
        if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
            return None
        return ds.distinct_count(groups[0][0], groups[0][1], column)

    def _column_sample(self, columns: list[Any]) -> pd.DataFrame | None:
        # The first SAMPLE_ROWS rows of up to SAMPLE_GROUPS row groups read,
        # spread over the dataset (its first rows may be sorted by a key).
        from ..kernels.parquet import _match_meta, strip_index_metadata

        ds, groups = self.dataset, self._row_groups()
        names = set(ds.schema.names)
        if not groups or not columns:
            return None
        if any(c in ds.hive_dtypes or c not in names for c in columns):
            return None
        step = max(1, len(groups) // SAMPLE_GROUPS)
        picked = tuple(groups[::step][:SAMPLE_GROUPS])
        table = ds.head_rows(picked, tuple(columns), SAMPLE_ROWS)
        if table is None:
            return None
        try:
            df = strip_index_metadata(table).to_pandas()
            return _match_meta(df, self._meta[list(columns)], ds.files[picked[0][0]])
        except Exception:
            return None

    def _column_ranges(self, column: Any) -> list[tuple[Any, Any] | None] | None:
        # Each piece's row groups' statistics (a piece without row groups,
        # ruled out by pushed filters, holds no rows).
        if column in self.dataset.hive_dtypes or column not in self.columns:
            return None
        out: list[tuple[Any, Any] | None] = []
        for file_no, ids, _, _ in self._plan:
            groups = [(file_no, j) for j in ids]
            out.append(_column_range(self.dataset, groups, column) if groups else None)
            if groups and out[-1] is None:
                return None
        return out

    def _no_missing_step(self, column: Any) -> bool:
        # Every row group read says it holds no null of the column (a file
        # without the column, a hive column, or no statistics: unknown).
        ds = self.dataset
        if column is None or column in ds.hive_dtypes:
            return False
        for file_no, rg in self._row_groups():
            stats = ds.column_stats(file_no, rg, column)
            if stats is None or stats[2] is None or stats[2] > 0:
                return False
        return True

    def _divisions(self) -> tuple:
        plan = self._base_plan
        ds = self.dataset
        n = len(plan)
        unknown = (None,) * (n + 1)
        if ds.index:
            if not ds.calculate_divisions or len(ds.index) != 1:
                return unknown
            if self.filters and any(p[2] == 0 for p in plan):
                return unknown
            col = ds.index[0]
            lows, highs = [], []
            for file_no, ids, _, _ in plan:
                stats = [ds.column_stats(file_no, j, col) for j in ids]
                if not stats or any(s is None or s[0] is None or s[2] for s in stats):
                    return unknown
                lows.append(min(s[0] for s in stats))
                highs.append(max(s[1] for s in stats))
            try:
                for i in range(1, n):
                    if not highs[i - 1] < lows[i]:
                        return unknown
            except TypeError:
                return unknown
            dtype = self._meta.index.dtype
            divs = [*lows, highs[-1]]
            if pd.api.types.is_datetime64_any_dtype(dtype):
                divs = [pd.Timestamp(d) for d in divs]
            return tuple(divs)
        if self.filters or any(p[2] == 0 for p in plan) or ds.range_step < 0:
            return unknown
        positions = [*[p[3][0][0] for p in plan], plan[-1][3][-1][1] - 1]
        return tuple(ds.range_start + ds.range_step * x for x in positions)

    def _file_columns(self) -> list:
        ds = self.dataset
        cols = [c for c in self.columns if c not in ds.hive_dtypes]
        return cols + [c for c in ds.index if c not in cols]

    def _task(self, index: int) -> Any:
        ds = self.dataset
        file_no, rgs, nrows, runs = self._plan[index]
        meta = self._meta
        file_cols = self._file_columns()
        hive = ds.hive_values[file_no]
        row_filter = None
        if self.filters:
            row_filter = [list(c) for c in self.filters]
        known = not (self.filters or ds.index)
        if not rgs:
            return (empty_like, _q(meta))
        if known and not file_cols and not any(c in hive for c in self.columns):
            # ``len(df)``: the row count comes from the footers
            return (empty_frame, nrows, _q(ds.label_runs(runs)), _q(meta))
        pin = ds.pins[file_no]
        keep = self._row_terms
        return (
            *((read_pinned, _q(pin)) if pin else ()),
            read_parquet_piece,
            _q(ds.fs),
            _q(ds.files[file_no]),
            _q(rgs),
            _q(file_cols),
            _q(row_filter),
            _q(list(ds.index)),
            _q(hive),
            _q(ds.label_runs(runs)) if known else None,
            _q(meta),
            _q(ds.unified),
            *((_q(keep),) if keep else ()),
        )

    @functools.cached_property
    def _row_terms(self) -> list | None:
        """The pushed terms as a DNF on the file columns read (see
        :func:`_conjunctions`), for the piece to drop rows by; ``None`` when
        a conjunction has no such term (every row may be kept)."""
        if not (self.pushed or self.any_of):
            return None
        read = set(self._file_columns())
        out = []
        for conj in _conjunctions(self):
            terms = [t for t in conj if t[0] in read]
            if not terms:
                return None
            out.append(terms)
        return out

    def _operand_repr(self) -> str:
        parts = [f"{len(self.dataset.files)} file(s)", f"columns={list(self.columns)}"]
        if self.filters:
            parts.append(f"filters={self.filters}")
        if self.pushed:
            parts.append(f"pushed={list(self.pushed)}")
        if self.any_of:
            parts.append(f"any_of={[list(a) for a in self.any_of]}")
        return ", ".join(parts)


def _measured_widths(ds: Any, groups: tuple) -> tuple[dict, dict]:
    """Bytes per row in memory of the columns of the row groups ``groups``
    (the first 64 a read reads), from their footers, cached on the dataset
    (reads of one table share it): ``(strings, sizes)``, string columns'
    from the lengths of their extreme values and their uncompressed size
    (dictionary pages understate strings held in memory), and every
    column's uncompressed size per row plus an offset (for object columns
    without statistics)."""
    cached = ds.widths_cache.get(groups)
    if cached is not None:
        return cached
    sizes: dict[Any, float] = {}
    lengths: dict[Any, list[int]] = {}
    nrows = 0
    for file_no, rg in groups:
        group = ds.footers[file_no].row_group(rg)
        nrows += group.num_rows
        for j in range(group.num_columns):
            chunk = group.column(j)
            col = chunk.path_in_schema
            sizes[col] = sizes.get(col, 0.0) + chunk.total_uncompressed_size
            st = chunk.statistics
            if st is None or not st.has_min_max:
                continue
            if isinstance(st.min, str | bytes):
                lengths.setdefault(col, []).extend((len(st.min), len(st.max)))
    strings: dict = {}
    for col, size in sizes.items():
        if lengths.get(col):
            mean = sum(lengths[col]) / len(lengths[col])
            strings[col] = max(size / max(nrows, 1), mean + 8.0)
    per_row = {c: size / nrows + 8.0 for c, size in sizes.items()} if nrows else {}
    ds.widths_cache[groups] = out = (strings, per_row)
    return out


def _conjunctions(reader: ReadParquet) -> list[tuple]:
    """The row groups ``reader`` reads, as a DNF of terms: its pushed terms
    and, when it has ``any_of``, one of those."""
    pushed = tuple(reader.pushed or ())
    if not reader.any_of:
        return [pushed]
    return [pushed + tuple(alt) for alt in reader.any_of]


def _piece(file_no: int, ids: list, rg_rows: list, starts: Any, base: int) -> tuple:
    runs: list = []
    for j in ids:
        a, b = base + int(starts[j]), base + int(starts[j]) + rg_rows[j]
        if runs and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return (file_no, list(ids), sum(rg_rows[j] for j in ids), runs)


def _column_range(ds: Any, groups: list, column: Any) -> tuple[Any, Any] | None:
    """The smallest minimum and largest maximum of ``column`` over the row
    groups ``(file, row group)``; ``None`` when a group has no statistics."""
    lo = hi = None
    try:
        for file_no, rg in groups:
            stats = ds.column_stats(file_no, rg, column)
            if stats is None or stats[0] is None:
                return None
            lo = stats[0] if lo is None or stats[0] < lo else lo
            hi = stats[1] if hi is None or stats[1] > hi else hi
    except TypeError:  # values that do not compare
        return None
    return None if lo is None else (lo, hi)


def _may_match(ds: Any, file_no: int, rg: int, dnf: list) -> bool:
    hive = ds.hive_values[file_no]
    for conj in dnf:
        ok = True
        for col, op, value in conj:
            if col in hive:
                if not compare_scalar(hive[col], op, value):
                    ok = False
                    break
                continue
            stats = ds.column_stats(file_no, rg, col)
            if stats is not None and not _term_may_match(stats, op, value):
                ok = False
                break
        if ok:
            return True
    return False


def _term_may_match(stats: tuple, op: str, value: Any) -> bool:
    lo, hi, nulls, nvals = stats
    if op in ("!=", "not in"):
        return True
    if op == "in":
        if any(is_missing(v) for v in value):
            return True
        return any(_term_may_match(stats, "==", v) for v in value)
    if is_missing(value):
        return True
    if lo is None or hi is None:
        # no min/max: all null means no comparison can be true
        return not (nulls is not None and nvals is not None and nulls >= nvals > 0)
    try:
        lo, hi, value = _comparable(lo, hi, value)
        if op in ("==", "="):
            return bool(lo <= value <= hi)
        if op == "<":
            return bool(lo < value)
        if op == "<=":
            return bool(lo <= value)
        if op == ">":
            return bool(hi > value)
        if op == ">=":
            return bool(hi >= value)
    except (TypeError, ValueError, OverflowError):
        return True
    return True


def _comparable(lo: Any, hi: Any, value: Any) -> tuple:
    if isinstance(value, pd.Timestamp | np.datetime64 | datetime.datetime):
        value = pd.Timestamp(value)
        lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
        if (value.tz is None) != (lo.tz is None):
            raise TypeError("tz-aware and naive")
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(lo, bytes) and isinstance(value, str):
        value = value.encode()
    return lo, hi, value


# --- CSV ---------------------------------------------------------------------


class ReadCSVParity(Expr):
    """Quote parities at the start and end of every block, one key per block.

    Key ``k`` holds ``(start, end)``: the parity (0 or 1) of the quotes
    before block ``k``'s first byte, and before its last byte's successor
    (None for the last block of a file). ``end`` is ``start`` plus the
    parity of the quotes in the block, counted by a task of its own, and
    is the next block's ``start``.
    """

    _parameters = ["dataset"]
    dataset: CSVDataset

    @functools.cached_property
    def _meta(self) -> Any:
        return 0

    def _divisions(self) -> tuple:
        return (None,) * (len(self.dataset.blocks) + 1)

    def _layer(self) -> dict:
        ds = self.dataset
        count = self._name + "-count"
        out: dict = {}
        prev_file = None
        for k, (file_no, start, end) in enumerate(ds.blocks):
            prev = 0 if file_no != prev_file else (self._name, k - 1)
            out[(self._name, k)] = (
                parity_pair,
                prev,
                (count, k) if end is not None else None,
            )
            if end is not None:
                pin = ds.pins[file_no]
                out[(count, k)] = (
                    *((read_pinned, _q(pin)) if pin else ()),
                    count_quotes,
                    _q(ds.fs),
                    _q(ds.infos[file_no].path),
                    start,
                    end,
                    _q(ds.quote),
                )
            prev_file = file_no
        return out

    def _operand_repr(self) -> str:
        return f"{len(self.dataset.blocks)} blocks"


class ReadCSV(_Source):
    """Blocks of planned CSV files; ``columns`` are the output columns.

    ``pushed``: the terms of the filters above the reader
    (:func:`~partframe.expr.optimize.push_predicates`), shown by
    ``explain()``. A CSV block has no statistics to skip it by, and each
    block must be parsed to find its rows; the filter above fuses into the
    block's task (a partition-wise node after a partition-wise source), so
    it already runs right after the parse, in the same task: the unfiltered
    block is never a task output of its own. So the reader keeps reading
    every row and the terms only describe it.
    """

    _parameters = ["dataset", "columns", "parity", "pushed"]
    _defaults = {"parity": None, "pushed": None}
    dataset: CSVDataset
    columns: Any
    parity: Expr | None
    pushed: Any

    @property
    def _funcname(self) -> str:
        return "read-csv"

    @functools.cached_property
    def _meta(self) -> Any:
        return self.dataset.meta[list(self.columns)]

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # the files' bytes at the sampled head's bytes per row
        return self.dataset.estimated_rows

    def _divisions(self) -> tuple:
        return (None,) * (len(self.dataset.blocks) + 1)

    def _usecols(self) -> list | None:
        ds = self.dataset
        meta = ds.meta
        if list(self.columns) == list(meta.columns):
            return None
        pc = ds.path_column[0] if ds.path_column else None
        cols = [c for c in self.columns if c != pc]
        index_names = [n for n in meta.index.names if n is not None]
        if ds.kwargs.get("index_col") not in (None, False):
            cols = cols + [n for n in index_names if n not in cols]
        return cols

    def _with_columns(self, columns: list) -> Expr | None:
        ds = self.dataset
        if ds.kwargs.get("index_col") not in (None, False) and (
            None in ds.meta.index.names
        ):
            return None  # an unnamed index column cannot be selected by name
        if ds.kwargs.get("usecols") is not None and callable(ds.kwargs["usecols"]):
            return None
        path = ds.path_column[0] if ds.path_column else None
        data = [c for c in ds.meta.columns if c != path]
        if (
            data
            and not any(c != path for c in columns)
            and ds.kwargs.get("index_col") in (None, False)
        ):
            # Rows are counted by parsing one column: without any (a row
            # count, the path column alone) pandas would give no rows.
            keep = {data[0], *columns}
            columns = [c for c in ds.meta.columns if c in keep]
        return ReadCSV(ds, list(columns), self.parity, self.pushed)

    def _with_predicate(self, terms: list) -> ReadCSV | None:
        """The reader described with ``terms`` too (see the class
        docstring); ``None`` when no term is new and on its columns."""
        pushed = tuple(self.pushed or ())
        new = [t for t in terms if t[0] in self.columns and t not in pushed]
        if not new:
            return None
        return ReadCSV(self.dataset, self.columns, self.parity, pushed + tuple(new))

    def _task(self, index: int) -> Any:
        ds = self.dataset
        file_no, start, end = ds.blocks[index]
        info = ds.infos[file_no]
        usecols = self._usecols()
        kwargs = ds.block_kwargs(file_no, start == 0, usecols)
        meta = self._meta
        path_col = None
        if ds.path_column and ds.path_column[0] in self.columns:
            path_col = (ds.path_column[0], ds.path_column[1], ds.path_values[file_no])
            meta = meta.drop(columns=[ds.path_column[0]])
        parity = (self.parity._name, index) if self.parity is not None else 0
        strict = ds.short_lines[file_no] if ds.short_lines is not None else None
        pin = ds.pins[file_no]
        return (
            *((read_pinned, _q(pin)) if pin else ()),
            kcsv.read_csv_block,
            _q(ds.fs),
            _q(info.path),
            start,
            end,
            parity,
            _q(ds.quote),
            _q(info.compression),
            _q(kwargs),
            _q(meta),
            _q(ds.label(file_no)),
            _q(path_col),
            file_no in ds.aligned,
            _q(strict),
        )

    def _operand_repr(self) -> str:
        ds = self.dataset
        cols = list(self.columns)
        out = f"{len(ds.infos)} file(s), {len(ds.blocks)} blocks, columns={cols}"
        if self.pushed:
            out += f", filtered in the block task by {list(self.pushed)}"
        return out


# --- writing -----------------------------------------------------------------


class WritePartitions(Blockwise):
    """Write partition ``i`` of ``frame`` to staged file ``names[i]``."""

    _parameters = ["frame", "kind", "job", "names", "options"]
    frame: Expr
    kind: str
    job: OutputJob
    names: list[Any]
    options: Any
    _preserves_partitioning = False

    @property
    def _funcname(self) -> str:
        return f"write-{self.kind}"

    @functools.cached_property
    def _meta(self) -> Any:
        return None

    def _task(self, index: int) -> Any:
        part = (self.frame._name, index)
        if self.kind == "parquet":
            partition_on, write_index, schema, kwargs = self.options
            return (
                write_parquet_partition,
                part,
                self.names[index],
                _q(self.job),
                _q(list(partition_on)),
                write_index,
                _q(schema),
                _q(kwargs),
            )
        header, kwargs = self.options
        return (
            write_csv_partition,
            part,
            self.names[index],
            _q(self.job),
            _q(header[index]),
            _q(kwargs),
        )

    def _operand_repr(self) -> str:
        return f"{self.kind} -> {self.job.dest!r}"


class CommitWrite(Expr):
    """The commit task: runs after every write task succeeded."""

    _parameters = ["writes", "job", "concat"]
    _defaults = {"concat": False}
    writes: Expr
    job: OutputJob
    concat: bool

    @functools.cached_property
    def _meta(self) -> Any:
        return None

    def _divisions(self) -> tuple:
        return (None, None)

    def _layer(self) -> dict:
        keys = [(self.writes._name, i) for i in range(self.writes.npartitions)]
        written: Any = keys
        if self.concat:
            written = [(concat_staged, _q(self.job), keys)]
        return {(self._name, 0): (commit_task, _q(self.job), written)}

    def _operand_repr(self) -> str:
        return repr(self.job.dest)

    def _on_failure(self) -> None:
        commit.abort(self.job)  # a lazy write too: no staged files are left
