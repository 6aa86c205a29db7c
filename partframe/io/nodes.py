"""Expression nodes of the file readers and writers.

- :class:`ReadParquet` / :class:`ReadCSV`: partition-wise sources (they fuse
  with the operations after them). Both take the columns a query needs
  through ``_with_columns`` (projection pushdown); ``ReadParquet`` also
  takes the terms of filters above it through ``_with_predicate``
  (:func:`~partframe.expr.optimize.push_predicates`) to skip row groups,
  and answers ``len()`` from metadata when no column is needed.
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
from ..kernels import io as kio
from ..kernels.io import commit_task
from ..kernels.partitions import empty_like
from . import commit
from .commit import OutputJob

if TYPE_CHECKING:
    from .parquet import ParquetDataset

__all__ = [
    "CommitWrite",
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


class ReadParquet(_Source):
    """Pieces (row groups of one file) of a planned Parquet dataset.

    ``columns`` are the output columns, ``filters`` the user's DNF filters
    (skip row groups and filter rows), ``pushed`` the terms pushed from a
    ``Filter`` in the plan (skip row groups only: the Filter stays).
    """

    _parameters = ["dataset", "columns", "filters", "pushed"]
    _defaults = {"filters": None, "pushed": None}
    dataset: ParquetDataset
    columns: Any
    filters: Any
    pushed: Any

    @property
    def _funcname(self) -> str:
        return "read-parquet"

    @functools.cached_property
    def _meta(self) -> Any:
        return self.dataset.meta_full[list(self.columns)]

    def _with_columns(self, columns: list) -> ReadParquet:
        return ReadParquet(self.dataset, list(columns), self.filters, self.pushed)

    def _with_predicate(self, terms: list) -> ReadParquet | None:
        """The reader skipping row groups that ``terms`` rule out (see
        :attr:`_plan`); ``None`` when no term is new and on its columns."""
        pushed = tuple(self.pushed or ())
        new = [t for t in terms if t[0] in self.columns and t not in pushed]
        if not new:
            return None
        return ReadParquet(
            self.dataset, self.columns, self.filters, pushed + tuple(new)
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
        if not self.pushed:
            return base
        ds = self.dataset
        dnf = [tuple(self.pushed)]
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
            return (kio.empty_frame, nrows, _q(ds.label_runs(runs)), _q(meta))
        pin = ds.pins[file_no]
        return (
            *((kio.read_pinned, _q(pin)) if pin else ()),
            kio.read_parquet_piece,
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
        )

    def _operand_repr(self) -> str:
        parts = [f"{len(self.dataset.files)} file(s)", f"columns={list(self.columns)}"]
        if self.filters:
            parts.append(f"filters={self.filters}")
        if self.pushed:
            parts.append(f"pushed={list(self.pushed)}")
        return ", ".join(parts)


def _piece(file_no: int, ids: list, rg_rows: list, starts: Any, base: int) -> tuple:
    runs: list = []
    for j in ids:
        a, b = base + int(starts[j]), base + int(starts[j]) + rg_rows[j]
        if runs and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return (file_no, list(ids), sum(rg_rows[j] for j in ids), runs)


def _may_match(ds: Any, file_no: int, rg: int, dnf: list) -> bool:
    hive = ds.hive_values[file_no]
    for conj in dnf:
        ok = True
        for col, op, value in conj:
            if col in hive:
                if not kio._compare_scalar(hive[col], op, value):
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
        if any(kio.is_missing(v) for v in value):
            return True
        return any(_term_may_match(stats, "==", v) for v in value)
    if kio.is_missing(value):
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
                kio.write_parquet_partition,
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
            kio.write_csv_partition,
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
            written = [(kio.concat_staged, _q(self.job), keys)]
        return {(self._name, 0): (commit_task, _q(self.job), written)}

    def _operand_repr(self) -> str:
        return repr(self.job.dest)

    def _on_failure(self) -> None:
        commit.abort(self.job)  # a lazy write too: no staged files are left
