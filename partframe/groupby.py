"""GroupBy facades: ``df.groupby(...)`` and ``s.groupby(...)``.

Results follow pandas exactly (values, dtypes, index, order):

- **Aggregations** (sum, count, size, mean, min, max, prod, var, std, sem,
  first, last, nunique, any, all, idxmin, idxmax, ``agg`` in all its forms,
  :class:`partframe.Aggregation`) are tree reductions: a ``chunk`` per
  partition (pandas ``groupby(sort=False)``), ``combine`` steps over
  ``split_every`` partials, a ``finalize`` that casts to the dtypes pandas
  itself gives on a stand-in frame. var/std/sem merge ``(n, mean, M2)``
  partials with Chan's formula (exact for values near 1e9).
- **split_out**: ``split_out=k`` hash-partitions the partials by key into
  ``k`` outputs so no task holds every group; ``split_out=True`` means one
  output per input partition. ``split_out=None`` (default) picks 1 for a
  single key and ``ceil(npartitions * (nkeys - 1) / 16)`` for several keys
  (:data:`SPLIT_OUT_PARTITIONS_PER_KEY`: several keys usually mean many
  groups), rounded up to a multiple of the worker count when above 1; give it
  explicitly for a high-cardinality single key. With ``sort=True`` (pandas'
  default) the inputs are split by sampled key *ranges* in the graph (one
  exchange): output ``j`` holds keys below those of output ``j + 1`` and is
  sorted, so ``compute()`` equals pandas' sorted result. An input whose groups
  are about as many as its rows (estimated at run time from a sample of its
  keys) sends raw rows, grouped once at the output; others send partial
  aggregates. With ``sort=False`` partials are hash-partitioned (groups in
  order of first appearance within each output; with one output, exactly
  pandas' order).
- **Shuffle-based** operations (median, quantile, apply, value_counts,
  unique, nlargest, nsmallest, and any aggregation a dtype cannot decompose,
  such as the mean of datetimes) move only the key and value columns they
  read, by sampled key ranges when the result is sorted (each output's
  sorted result then follows the previous one: no second exchange) or by
  hash, and run pandas' own groupby method on whole partitions.
  **Index-aligned** ones (transform, cumsum, cumprod, cummax, cummin,
  cumcount, shift, diff, rank, head, tail, ngroup-free filters) also
  shuffle back: the result has the original
  frame's index, row order and partitions, so it can be assigned to it.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .aggregation import Aggregation
from .collection._core import is_dataframe, is_series, new_collection
from .expr.blockwise import (
    Elemwise,
    Projection,
    _unknown_columns_message,
)
from .expr.groupby import GroupByAgg
from .expr.groupby_shuffle import GroupByApply, GroupByTransform
from .expr.meta import make_meta, meta_nonempty
from .kernels.group_call import level_columns, rename_keys
from .kernels.groupby import GroupByPlan, groupby_chunk
from .kernels.groupby_finalize import groupby_finalize

__all__ = ["DataFrameGroupBy", "SeriesGroupBy", "crosstab"]

# The default split_out with several keys: one output per this many input
# partitions, per key beyond the first. Several keys usually mean many
# groups (their combinations), and the finalize task of a single output
# would hold every group; each output then merges the partials of about 16
# partitions, a task the size of a few inputs. One key keeps one output
# (few groups is the common case; high cardinality passes split_out).
SPLIT_OUT_PARTITIONS_PER_KEY = 16

_TREE = {
    "sum", "count", "size", "mean", "min", "max", "prod", "var", "std", "sem",
    "first", "last", "nunique", "any", "all", "idxmin", "idxmax",
}  # fmt: skip
_SIMPLE = {"sum", "count", "min", "max", "prod", "first", "last", "any", "all"}
_NOT_FOR_DATETIMES = {"mean", "var", "std", "sem"}
_TMP = "__pf_by_{}"
_TMP_LEVEL = "__pf_by_level_{}"  # an index level named in ``by``, as a column


def _fname(func: Any) -> str:
    if isinstance(func, Aggregation):
        return func.name
    if isinstance(func, str):
        return func
    return getattr(func, "__name__", repr(func))


def _tree_reducible(func: Any, kw: dict, dtype: Any) -> bool:
    """Whether ``func`` (with keywords ``kw``, on a column of ``dtype``;
    None for ``size``) is a tree reduction rather than a shuffle."""
    if not isinstance(func, str) or func not in _TREE:
        return False
    if dtype is not None and dtype.kind in "mM" and func in _NOT_FOR_DATETIMES:
        return False
    # var/std/sem read ddof; any other keyword is pandas' to apply
    return not kw or (func in ("var", "std", "sem") and set(kw) <= {"ddof"})


def _label_stand_in(name: str) -> Callable:
    """A function pandas can run in place of an :class:`Aggregation` called
    ``name`` when computing a meta: pandas labels its output ``name``, as it
    labels any function by its ``__name__``. Its values are never used."""

    def stand_in(values: pd.Series) -> int:
        return len(values)

    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


# -- kernels used by the shuffle paths (module level: they run in tasks) ----


# groupby metas by method, arguments and input schema: running pandas on a
# stand-in frame is half the time of building a groupby-aggregation plan
_META_CACHE: dict = {}
_META_CACHE_SIZE = 256
_PLAIN_TYPES = (str, int, float, bool, type(None))


def _plain(x: Any) -> bool:
    """Whether ``x`` holds only plain values (and lists, tuples, dicts of them)."""
    if isinstance(x, _PLAIN_TYPES):
        return True
    if isinstance(x, list | tuple):
        return all(_plain(i) for i in x)
    if isinstance(x, dict):
        return all(_plain(k) and _plain(v) for k, v in x.items())
    return False


def _freeze(x: Any) -> Any:
    """A hashable form of a plain value that tells ``1``, ``1.0`` and
    ``True`` apart."""
    if isinstance(x, list | tuple):
        return (type(x).__name__, *[_freeze(i) for i in x])
    if isinstance(x, dict):
        return ("dict", *sorted((repr(k), _freeze(v)) for k, v in x.items()))
    return (type(x).__name__, x)


def _index_level_key(key: Any, meta: pd.DataFrame, series_input: bool) -> bool:
    """Whether ``by`` entry ``key`` names an index level (as pandas allows);
    a name that is both a column and a level is ambiguous, as in pandas."""
    if not isinstance(key, str | int | tuple) or key not in meta.index.names:
        return False
    if not series_input and key in meta.columns:
        raise ValueError(
            f"groupby key {key!r} is both an index level and a column label, "
            "which is ambiguous: rename one of them, or group by "
            f"level={key!r} or by the column df[{key!r}]"
        )
    return True


def _all_index_levels(by: Any, meta: pd.DataFrame, series_input: bool) -> Any:
    """``by`` as a ``level=`` list when every key names an index level."""
    keys = by if isinstance(by, list) else [by]
    if keys and all(_index_level_key(k, meta, series_input) for k in keys):
        return keys
    return None


def _grouper_key(grouper: pd.Grouper) -> tuple[Any, Any, bool, bool]:
    """``(by, level, sort, dropna)`` grouping as ``groupby(grouper)`` does.

    A ``pandas.Grouper`` without ``freq`` groups by its ``key`` column or
    its index ``level`` with its own ``sort`` (False unless given) and
    ``dropna``, which override the ``groupby`` call's, as in pandas."""
    if getattr(grouper, "freq", None) is not None:
        raise NotImplementedError(
            f"groupby by {grouper!r}: partframe has no time binning by a "
            "Grouper's freq=; group by a column of binned times instead, e.g. "
            f"df.groupby(df[{grouper.key!r}].dt.floor({grouper.freq.freqstr!r}))"
        )
    if grouper.key is not None and grouper.level is not None:
        raise ValueError(f"{grouper!r}: give key= or level=, not both")
    if grouper.key is None and grouper.level is None:
        raise NotImplementedError(
            f"groupby by {grouper!r}: a Grouper with neither key= nor level= "
            "(grouping by the index values) is not supported; use level=0"
        )
    by = grouper.key
    level = grouper.level
    return by, level, bool(grouper.sort), bool(grouper.dropna)


def _grouper_in_list(key: Any, sort: bool) -> Any:
    """The column or index level name a ``pandas.Grouper`` in a list of
    keys stands for; in a list the ``groupby`` call's ``sort`` and
    ``dropna`` apply, as in pandas."""
    if not isinstance(key, pd.Grouper):
        return key
    by, level, own_sort, _ = _grouper_key(key)
    if own_sort and not sort:
        # pandas sorts that key's groups even then; which order the
        # combined keys take is not a plain sort=True or sort=False
        raise NotImplementedError(
            f"groupby by a list holding {key!r} with groupby(sort=False): "
            "pandas sorts that key alone; give sort=True to the groupby or "
            "sort=False to the Grouper"
        )
    if level is not None and not isinstance(level, str):
        raise NotImplementedError(
            f"groupby by a list holding {key!r}: name the index level "
            "(a level number in a list of keys would read as a column label)"
        )
    return by if by is not None else level


class _GroupBy:
    """Shared by DataFrameGroupBy and SeriesGroupBy."""

    def __init__(
        self,
        obj: Any,
        by: Any = None,
        level: Any = None,
        *,
        sort: bool = True,
        dropna: bool = True,
        observed: bool = True,
        as_index: bool = True,
        group_keys: bool = True,
        selection: Any = None,
        series_name: Any = None,
        series_input: bool = False,
        split_every: int | None = None,
        split_out: int | bool | None = None,
        _frame: Any = None,
        _by: Any = None,
        _names: Any = None,
    ) -> None:
        self.sort, self.dropna, self.observed = sort, dropna, observed
        self.as_index, self.group_keys = as_index, group_keys
        self.split_every, self.split_out = split_every, split_out
        self._shuffle_method: str | None = None  # agg(shuffle_method=...)
        self._selection = selection
        self._series_input = series_input
        self._series_name = series_name
        if _frame is not None:  # a selection of an existing GroupBy
            self._frame, self._by, self._level, self._names = _frame, _by, level, _names
            return
        if isinstance(by, pd.Grouper) and level is None:
            # a lone Grouper decides sort and dropna itself, as in pandas
            by, level, self.sort, self.dropna = _grouper_key(by)
        elif isinstance(by, list) and any(isinstance(b, pd.Grouper) for b in by):
            by = [_grouper_in_list(b, sort) for b in by]
        if by is None and level is None:
            raise TypeError("You have to supply one of 'by' and 'level'")
        if (isinstance(by, list) and not by and level is None) or (
            isinstance(level, list | tuple) and not level and by is None
        ):
            # pandas' own message, which callers may match on
            raise ValueError(
                "No group keys passed! groupby got an empty list; give a column "
                "label, a partframe Series, or level= (or a list of them)"
            )
        if is_series(obj):
            self._series_input = True
            self._series_name = obj.name
            col = obj.name if obj.name is not None else "__pf_values"
            frame = obj.to_frame(col)
            self._selection = col
            parent_expr = obj.expr
        elif is_dataframe(obj):
            frame = obj
            parent_expr = obj.expr
        else:
            raise TypeError(f"cannot group a {type(obj).__name__}")
        self._level = None
        if by is not None and level is None:
            level = _all_index_levels(by, frame._meta, obj is not frame)
            if level is not None:
                by = None
        if level is not None:
            if by is not None:
                raise TypeError("give 'by' or 'level', not both")
            levels = level if isinstance(level, list | tuple) else [level]
            names = list(frame._meta.index.names)
            out = []
            for lvl in levels:
                if isinstance(lvl, int) and lvl not in names:
                    if not -len(names) <= lvl < len(names):
                        raise IndexError(f"level {lvl} out of range for the index")
                    out.append(lvl % len(names))
                elif lvl in names:
                    out.append(names.index(lvl))
                else:
                    raise KeyError(f"level {lvl!r} not found; index levels: {names}")
            self._level = out
            self._names = [names[i] for i in out]
            self._by = None
            self._frame = frame
            return
        keys = by if isinstance(by, list) else [by]
        labels: list = []
        names_: list = []
        tmp_names, tmp_values = [], []
        cols = list(frame._meta.columns)
        index_names = list(frame._meta.index.names)
        levels = [
            i
            for i, key in enumerate(keys)
            if _index_level_key(key, frame._meta, obj is not frame)
        ]
        if levels:  # index levels named in ``by``, next to columns: copied in
            frame = new_collection(
                Elemwise(
                    level_columns,
                    [
                        frame.expr,
                        [index_names.index(keys[i]) for i in levels],
                        [_TMP_LEVEL.format(i) for i in levels],
                    ],
                )
            )
        for i, key in enumerate(keys):
            if i in levels:
                labels.append(_TMP_LEVEL.format(i))
                names_.append(key)
            elif is_series(key):
                e = key.expr
                if (
                    isinstance(e, Projection)
                    and e.frame._name == parent_expr._name
                    and not is_series(obj)
                ):
                    labels.append(e.operand("columns"))
                    names_.append(e.operand("columns"))
                    continue
                tmp = _TMP.format(i)
                tmp_names.append(tmp)
                tmp_values.append(key)
                labels.append(tmp)
                names_.append(key.name)
            elif isinstance(key, pd.Series | pd.Index) or callable(key):
                raise TypeError(
                    "group by a column name, a list of them, a partframe Series "
                    "aligned with the frame, or level=; pandas objects and "
                    "functions cannot be aligned with the partitions"
                )
            else:
                if key not in cols or (self._series_input and key == self._selection):
                    raise KeyError(
                        "groupby key " + _unknown_columns_message([key], cols)
                    )
                labels.append(key)
                names_.append(key)
        if tmp_names:
            frame = frame._assign_many(tmp_names, tmp_values)
        self._frame, self._by, self._names = frame, labels, names_

    # -- keys ---------------------------------------------------------------
    @property
    def _rename(self) -> dict:
        if self._by is None:
            return {}
        return {
            b: n
            for b, n in zip(self._by, self._names)
            if isinstance(b, str) and b.startswith("__pf_by_")
        }

    def _gb_kwargs(self, sort: bool | None = None, **extra: Any) -> dict:
        kw: dict = {
            "sort": self.sort if sort is None else sort,
            "dropna": self.dropna,
            "observed": self.observed,
        }
        if self._by is not None:
            kw["by"] = self._by if len(self._by) > 1 else self._by[0]
        else:
            kw["level"] = self._level if len(self._level) > 1 else self._level[0]
        kw.update(extra)
        return kw

    def _value_columns(self) -> list:
        keys = set(self._by or [])
        return [c for c in self._frame._meta.columns if c not in keys]

    def _pandas_groupby(self, data: pd.DataFrame, **extra: Any) -> Any:
        g = data.groupby(
            as_index=self.as_index,
            group_keys=self.group_keys,
            **self._gb_kwargs(**extra),
        )
        if self._selection is not None:
            g = g[self._selection]
        return g

    def _fix_meta(self, meta: Any) -> Any:
        meta = rename_keys(meta, self._rename)
        if (
            isinstance(meta, pd.DataFrame)
            and self._series_input
            and self._series_name is None
        ):
            meta = meta.rename(columns={"__pf_values": None})
        return meta

    def _stand_in(self) -> pd.DataFrame:
        """A small non-empty frame to run pandas on for a meta.

        Object-dtype keys hold ``Decimal`` values: pandas infers a result
        key's dtype from the key objects (ints give int64, dates stay
        objects), which only the data knows, and it keeps these as
        objects, so the meta says ``object`` where the stand-in's strings
        would say ``str``; the kernels then infer as pandas does."""
        data = meta_nonempty(self._frame._meta)
        n = len(data)
        if self._by is not None:
            cols = [b for b in self._by if data[b].dtype == object]
            if cols:
                data = data.copy(deep=False)
                for b in cols:
                    data[b] = pd.array([Decimal(i) for i in range(n)], dtype=object)
            return data
        index = data.index
        levels = [i for i in self._level if index.get_level_values(i).dtype == object]
        if levels:
            arrays = [index.get_level_values(i) for i in range(index.nlevels)]
            for i in levels:
                arrays[i] = pd.Index([Decimal(j) for j in range(n)], dtype=object)
            data = data.set_axis(
                pd.MultiIndex.from_arrays(arrays, names=index.names)
                if index.nlevels > 1
                else arrays[0].rename(index.name)
            )
        return data

    def _meta_of(self, method: str, *args: Any, **kwargs: Any) -> Any:
        key = self._meta_key(method, args, kwargs)
        out = _META_CACHE.get(key) if key is not None else None
        if out is None:
            data = self._stand_in()
            g = self._pandas_groupby(data)
            try:
                out = make_meta(getattr(g, method)(*args, **kwargs))
            except Exception as err:
                # A note, not a rebuilt exception: not every exception type
                # takes one message argument, and this keeps pandas' own.
                err.add_note(f"partframe: {self._explain_error(method, args, err)}")
                raise
            if key is not None:
                if len(_META_CACHE) >= _META_CACHE_SIZE:
                    _META_CACHE.pop(next(iter(_META_CACHE)))
                _META_CACHE[key] = out
        if isinstance(out, pd.DataFrame | pd.Series):
            out = out.copy(deep=False)  # callers may rename it
        return self._fix_meta(out)

    def _meta_key(self, method: str, args: tuple, kwargs: dict) -> Any:
        """What the meta of ``method`` depends on, as a dict key; None when
        an argument is not a plain value (a function, a list of them)."""
        frame = self._frame._meta
        if not isinstance(frame, pd.DataFrame) or not _plain((args, kwargs)):
            return None
        gb = self._gb_kwargs()
        columns = list(frame.columns)
        if not _plain((gb, self._selection, columns)):
            return None
        index = frame.index
        schema = (
            _freeze(columns),
            frame.columns.dtype,
            tuple(frame.dtypes),
            type(index),
            tuple(index.names),
            tuple(index.dtypes) if isinstance(index, pd.MultiIndex) else index.dtype,
            getattr(index, "freqstr", None),
        )
        try:  # freezing sorts dict items; hashing needs hashable dtypes
            key = (
                method,
                _freeze(args),
                _freeze(kwargs),
                schema,
                _freeze(gb),
                _freeze(self._selection),
                self.as_index,
                self.group_keys,
            )
            hash(key)
        except TypeError:
            return None
        return key

    def _explain_error(self, method: str, args: tuple, err: Exception) -> str:
        """Name the column and dtype that made pandas raise, or the user
        function and the ``meta=`` that avoids calling it on a stand-in."""
        if method in ("apply", "transform") and args and not isinstance(args[0], str):
            return (
                f"groupby {method}: calling {_fname(args[0])} on a small stand-in "
                "of the data, to learn the result's columns and dtypes, raised "
                "this; pass meta= (an empty pandas object, a {column: dtype} "
                "dict or a (name, dtype) tuple) to describe the result instead"
            )
        data = self._stand_in()
        sel = self._selection
        columns = (
            [sel]
            if sel is not None and not isinstance(sel, list)
            else (sel or self._value_columns())
        )
        funcs = args[0] if method in ("agg", "aggregate") and args else method
        for col in columns:
            g = data.groupby(**self._gb_kwargs())[col]
            candidates = funcs
            if isinstance(funcs, dict):
                candidates = funcs.get(col, [])
            for f in candidates if isinstance(candidates, list) else [candidates]:
                if isinstance(f, Aggregation):
                    continue
                try:
                    (g.agg(f) if method in ("agg", "aggregate") else getattr(g, f)())
                except Exception:
                    return (
                        f"groupby {_fname(f)}: column {col!r} has dtype "
                        f"{data[col].dtype}, which does not support it ({err})"
                    )
        return f"groupby {method}: {err}"

    # -- aggregation by tree reduction -----------------------------------
    def _resolve_split_out(self) -> int:
        n = self._frame.npartitions
        so = self.split_out
        if so is True:
            return n
        if so is None or so is False:
            nkeys = len(self._by) if self._by is not None else len(self._level)
            if nkeys <= 1:
                return 1
            k = math.ceil(n * (nkeys - 1) / SPLIT_OUT_PARTITIONS_PER_KEY)
            if k > 1:  # a multiple of the workers: no worker idles at the end
                from . import config

                w = config.get("num_workers") or os.cpu_count() or 1
                k = math.ceil(k / w) * w
            return max(1, min(n, k))
        return max(1, int(so))

    def _aggregate(
        self, specs: list, meta: Any, as_frame: bool, value_labels: Any = None
    ) -> Any:
        """Tree-reduce ``specs`` [(column, func, kwargs)] into ``meta``'s shape."""
        plan = self._plan(specs, meta, as_frame, value_labels)
        if plan is None:
            return None
        cols = None
        if self._by is not None:
            cols = list(
                dict.fromkeys(
                    list(self._by)
                    + [c for c, f, _ in specs if c is not None and f != "size"]
                )
            )
        expr = GroupByAgg(
            self._frame.expr,
            plan,
            meta,
            self.split_every,
            self._resolve_split_out(),
            cols,
        )
        return new_collection(expr)

    def _plan(
        self, specs: list, meta: Any, as_frame: bool, value_labels: Any
    ) -> GroupByPlan | None:
        dtypes = self._frame._meta.dtypes
        main: dict = {}
        # gathered as lists, frozen into the GroupByPlan at the end
        plan: dict[str, Any] = {
            "main": [], "idx": [], "nunique": [], "custom": [], "outputs": [],
            "nocast": [],
        }  # fmt: skip

        def pid_of(col: Any, op: str) -> str:
            key = (col, op)
            if key not in main:
                main[key] = f"p{len(main)}"
                plan["main"].append((main[key], col, op))
            return main[key]

        for j, (col, func, kw) in enumerate(specs):
            if isinstance(func, Aggregation):
                pid = f"c{j}"
                plan["custom"].append((pid, col, func))
                plan["outputs"].append(("custom", (pid, func)))
                plan["nocast"].append(j)
                continue
            if not _tree_reducible(func, kw, dtypes[col] if col is not None else None):
                return None
            if func in ("var", "std", "sem"):
                ddof = kw.get("ddof", 1)
                plan["outputs"].append((func, (pid_of(col, "moments"), ddof)))
            elif func in _SIMPLE:
                plan["outputs"].append(("col", (pid_of(col, func),)))
            elif func == "size":
                plan["outputs"].append(("col", (pid_of(None, "size"),)))
            elif func == "mean":
                plan["outputs"].append(
                    ("mean", (pid_of(col, "sum"), pid_of(col, "count")))
                )
            elif func == "nunique":
                if col not in plan["nunique"]:
                    plan["nunique"].append(col)
                plan["outputs"].append(("nunique", (col,)))
            else:  # idxmin / idxmax
                pid = f"i{j}"
                plan["idx"].append((pid, col, func))
                plan["outputs"].append((func, (pid,)))
        if not plan["main"]:
            pid_of(None, "size")
        # exact dtypes, index names and labels from pandas' own result
        if isinstance(meta, pd.DataFrame):
            if self.as_index:
                plan["out_dtypes"] = list(meta.dtypes)
                idx = meta.index
                plan["index_names"] = list(idx.names)
                plan["index_dtypes"] = [
                    idx.get_level_values(i).dtype for i in range(idx.nlevels)
                ]
            else:
                nk = len(meta.columns) - len(specs)
                plan["out_dtypes"] = list(meta.dtypes)[nk:]
                plan["index_names"] = list(meta.columns[:nk])
                plan["index_dtypes"] = list(meta.dtypes)[:nk]
                plan["value_labels"] = list(meta.columns[nk:])
                names = self._key_names()
                if len(names) != nk:
                    # pandas inserts no column for a key whose label an
                    # output already has: that key level is dropped
                    # (``in`` on pandas' own columns: a key is kept when
                    # no output has its label, the top level of a
                    # MultiIndex label included, as pandas decides)
                    kept = meta.columns[:nk]
                    plan["drop_levels"] = [
                        i for i, n in enumerate(names) if n not in kept
                    ]
        else:
            plan["out_dtypes"] = [meta.dtype]
            idx = meta.index
            plan["index_names"] = list(idx.names)
            plan["index_dtypes"] = [
                idx.get_level_values(i).dtype for i in range(idx.nlevels)
            ]
        out_dtypes = plan.get("out_dtypes")
        drop_levels = plan.get("drop_levels")
        return GroupByPlan(
            by=self._by,
            level=self._level,
            dropna=self.dropna,
            level_keys=self._level_keys(),
            observed=self.observed,
            sort=self.sort,
            as_index=self.as_index,
            as_frame=as_frame,
            main=tuple(plan["main"]),
            idx=tuple(plan["idx"]),
            nunique=tuple(plan["nunique"]),
            custom=tuple(plan["custom"]),
            outputs=tuple(plan["outputs"]),
            nocast=tuple(plan["nocast"]),
            out_dtypes=None if out_dtypes is None else tuple(out_dtypes),
            index_names=tuple(plan.get("index_names", ())),
            index_dtypes=tuple(plan.get("index_dtypes", ())),
            value_labels=plan.get("value_labels", value_labels),
            drop_levels=None if drop_levels is None else tuple(drop_levels),
        )

    def _key_names(self) -> list:
        """The names of the key levels of a result indexed by the keys."""
        data = self._stand_in()
        return list(data.groupby(**self._gb_kwargs()).size().index.names)

    def _shuffle_keys(self) -> tuple[tuple | None, tuple]:
        """The index levels copied into key columns for a shuffle (``None``:
        the keys are columns) and the key columns' labels."""
        if self._by is not None:
            return None, tuple(self._by)
        names = tuple(_TMP.format(i) for i in range(len(self._level)))
        return tuple(self._level), names

    def _nout_shuffle(self) -> int:
        if self.split_out not in (None, False):
            return self._resolve_split_out()
        return self._frame.npartitions

    def _categorical_unobserved(self) -> bool:
        if self.observed or self._by is None:
            return not self.observed and self._by is None
        dt = self._frame._meta.dtypes
        return any(isinstance(dt[b], pd.CategoricalDtype) for b in self._by)

    def _needed_columns(self, method: str, args: tuple, kwargs: dict) -> list | None:
        """The value columns a shuffle-based ``method`` reads (None: all)."""
        sel = self._selection
        if sel is not None:
            return list(sel) if isinstance(sel, list) else [sel]
        if method not in ("agg", "aggregate"):
            return None
        arg = args[0] if args else None
        if isinstance(arg, dict):
            return list(arg)
        if arg is None and kwargs:
            cols = []
            for spec in kwargs.values():
                if isinstance(spec, pd.NamedAgg):
                    cols.append(spec.column)
                elif isinstance(spec, tuple) and len(spec) == 2:
                    cols.append(spec[0])
                else:
                    return None
            return cols
        return None

    def _shuffle_call(
        self,
        method: str,
        args: tuple,
        kwargs: dict,
        meta: Any,
        key_levels: int | None = None,
        given: bool = False,
    ) -> Any:
        """A key-indexed result from pandas' groupby ``method`` on whole
        groups; ``given``: ``meta`` is the user's (each result is checked
        against it)."""
        level, on = self._shuffle_keys()
        needed = self._needed_columns(method, args, kwargs)
        k = 1 if self._categorical_unobserved() else self._nout_shuffle()
        gb = self._gb_kwargs()
        gb.pop("level", None)
        gb["by"] = list(on) if len(on) > 1 else on[0]
        gb["group_keys"] = self.group_keys
        gb["as_index"] = self.as_index
        rename = dict(self._rename)
        if self._by is None:
            rename.update({n: nm for n, nm in zip(on, self._names)})
        indexed_meta = None
        if not self.as_index and isinstance(meta, pd.DataFrame):
            indexed_meta = self._indexed_meta(
                method, args, kwargs, meta, len(on), given
            )
        return new_collection(
            GroupByApply(
                self._frame.expr,
                level,
                on,
                None if needed is None else tuple(needed),
                method,
                tuple(args),
                dict(kwargs),
                gb,
                self._selection,
                rename,
                key_levels,
                meta,
                indexed_meta,
                f"groupby {method} of {_fname(args[0])}" if given else None,
                self._object_level_names(),
                k,
                self._shuffle_method,
            )
        )

    def _indexed_meta(
        self,
        method: str,
        args: tuple,
        kwargs: dict,
        meta: pd.DataFrame,
        nkeys: int,
        given: bool,
    ) -> Any:
        """The meta of ``method`` with ``as_index=True``, whose result an
        ``as_index=False`` one (``meta``) is reset from. pandas' own: a key
        whose label an output has (a selected key column) is no column of
        ``meta``, so ``meta`` alone cannot say which leading columns are
        keys. A user's ``meta=`` describes the columns: its first
        ``nkeys`` are taken as the keys."""
        if given:
            return meta.set_index(list(meta.columns[:nkeys]))
        g = self._copy(self._selection)
        g.as_index = True
        return g._meta_of(method, *args, **kwargs)

    def _transform_call(
        self,
        method: str,
        args: tuple,
        kwargs: dict,
        meta: Any,
        keep_rows: bool = False,
        given: bool = False,
    ) -> Any:
        """An index-aligned result of pandas' groupby ``method``.

        ``given``: ``meta`` is the user's, each result is checked against
        it and the function is not run on a stand-in."""
        level, on = self._shuffle_keys()
        gb = self._gb_kwargs()
        gb.pop("level", None)
        gb["by"] = list(on) if len(on) > 1 else on[0]
        return new_collection(
            GroupByTransform(
                self._frame.expr,
                level,
                on,
                gb,
                self._selection,
                method,
                tuple(args),
                dict(kwargs),
                keep_rows,
                meta,
                f"groupby transform of {_fname(args[0])}" if given else None,
            )
        )

    # -- public API -------------------------------------------------------
    def _agg_specs(self, arg: Any, kwargs: dict) -> tuple[list, bool]:
        """Normalize ``agg`` arguments to [(column, func, kwargs)], as_frame."""
        sel = self._selection
        series = sel is not None and not isinstance(sel, list)
        cols = [sel] if series else (sel if sel is not None else self._value_columns())
        if arg is None and kwargs:
            specs: list[tuple[Any, Any, dict[str, Any]]] = []
            for _, spec in kwargs.items():
                if series:
                    specs.append((sel, spec, {}))
                else:
                    if isinstance(spec, pd.NamedAgg):
                        col, f = spec.column, spec.aggfunc
                    else:
                        col, f = spec
                    self._check_columns([col])
                    specs.append((col, f, {}))
            return specs, True
        if isinstance(arg, dict):
            self._check_columns(list(arg))
            specs = []
            for col, fs in arg.items():
                for f in fs if isinstance(fs, list | tuple) else [fs]:
                    specs.append((col, f, {}))
            return specs, True
        if isinstance(arg, list | tuple):
            return [(c, f, {}) for c in cols for f in arg], True
        if arg == "size":
            return [(None, "size", {})], False
        return [(c, arg, {}) for c in cols], not series

    def _selectable_columns(self) -> list:
        """The columns a selection or an aggregation may name: every column
        of the frame, the keys too (pandas aggregates a key column named
        explicitly), but not the internal columns holding other keys."""
        return [
            c
            for c in self._frame._meta.columns
            if not (isinstance(c, str) and c.startswith("__pf_by_"))
        ]

    def _check_columns(self, cols: list) -> None:
        available = self._selectable_columns()
        missing = [c for c in cols if c not in available]
        if missing:
            raise KeyError(_unknown_columns_message(missing, available))

    def agg(
        self,
        arg: Any = None,
        *args: Any,
        split_every: int | None = None,
        split_out: Any = None,
        shuffle_method: bool | str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Aggregate with one or more functions, as ``pandas`` ``agg``.

        Parameters
        ----------
        arg : str, Aggregation, list, or dict
            A function name (``"sum"``...), a :class:`partframe.Aggregation`,
            a list of them, or a dict ``{column: func or list}``.
        *args
            Passed on to the function(s), as pandas does.
        split_every : int, optional
            Fan-in of the combine tree.
        split_out : int or True, optional
            Output partitions (see the module docstring).
        shuffle_method : bool, "tasks" or "disk", optional
            Dask's keyword: ``True`` or a method name computes the
            aggregation by shuffling rows by key and running pandas' own
            ``agg`` per partition, instead of a tree reduction (not for a
            custom :class:`partframe.Aggregation`, which only reduces);
            a name also chooses how rows move in a hash shuffle (the
            exchange by key ranges of a sorted ``split_out`` result is
            always in tasks). The result is the same either way.
        **kwargs
            Named aggregation (``total=("x", "sum")``) without ``arg``;
            with a function name or list, keywords of the functions
            (``ddof=0``), as pandas passes them; with a dict, ignored,
            as pandas ignores them.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1], "x": [1, 2, 3]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").agg(total=("x", "sum"), avg=("x", "mean")).compute()
        ... # doctest: +NORMALIZE_WHITESPACE
           total  avg
        k
        1      4  2.0
        2      2  2.0
        """
        if shuffle_method not in (None, True, False, "tasks", "disk"):
            raise ValueError(
                "groupby agg: shuffle_method must be True, False, 'tasks' or "
                f"'disk', got {shuffle_method!r}"
            )
        g = self._with(split_every, split_out)
        if shuffle_method:
            g = g._copy(g._selection) if g is self else g
            if isinstance(shuffle_method, str):
                g._shuffle_method = shuffle_method
        named = kwargs if arg is None else {}
        # pandas passes args and keywords to a function name or a list of
        # them, and ignores keywords with a dict
        func_kwargs = {} if arg is None or isinstance(arg, dict) else kwargs
        specs, as_frame = g._agg_specs(arg, named)
        if func_kwargs:
            specs = [(c, f, dict(kw, **func_kwargs)) for c, f, kw in specs]
        customs = [f for _, f, _ in specs if isinstance(f, Aggregation)]
        if customs and (args or func_kwargs):
            raise TypeError(
                f"groupby agg: arguments {args!r} and keywords {func_kwargs!r} "
                f"cannot be passed to the custom Aggregation {customs[0].name!r}; "
                "give them to its functions instead"
            )
        meta = g._agg_meta(arg, specs, kwargs, args)
        shuffled = bool(args) or (bool(shuffle_method) and not customs)
        out = None if shuffled else g._aggregate(specs, meta, as_frame)
        if out is None:
            pandas_args = (arg, *args) if arg is not None else ()
            return g._shuffle_call("agg", pandas_args, kwargs, meta)
        return out

    aggregate = agg

    def _agg_meta(self, arg: Any, specs: list, kwargs: dict, args: tuple = ()) -> Any:
        customs = [f for _, f, _ in specs if isinstance(f, Aggregation)]
        if not customs:
            if arg is None:
                return self._meta_of("agg", **kwargs)
            return self._meta_of("agg", arg, *args, **kwargs)

        # pandas cannot run a custom Aggregation: stand-in functions named
        # like them give the labels pandas would give functions of those
        # names; our own kernels give the custom columns' dtypes. One stand-in
        # per Aggregation object: the same one twice is the same function twice.
        stand_ins: dict[int, Callable] = {}

        def swap(f: Any) -> Any:
            if not isinstance(f, Aggregation):
                return f
            return stand_ins.setdefault(id(f), _label_stand_in(f.name))

        if arg is None:
            pmeta = self._meta_of(
                "agg",
                **{
                    k: (v[0], swap(v[1])) if isinstance(v, tuple) else swap(v)
                    for k, v in kwargs.items()
                },
            )
        elif isinstance(arg, dict):
            pmeta = self._meta_of(
                "agg",
                {
                    c: ([swap(x) for x in f] if isinstance(f, list) else swap(f))
                    for c, f in arg.items()
                },
            )
        elif isinstance(arg, list | tuple):
            pmeta = self._meta_of("agg", [swap(f) for f in arg])
        else:
            pmeta = self._meta_of("agg", "first")
        plan = self._plan(specs, pmeta, isinstance(pmeta, pd.DataFrame), None)
        if plan is None:
            # those need the shuffle path, which runs pandas' own agg
            dtypes = self._frame._meta.dtypes
            shuffled = [
                (c, _fname(f))
                for c, f, kw in specs
                if not isinstance(f, Aggregation)
                and not _tree_reducible(f, kw, dtypes[c] if c is not None else None)
            ]
            raise NotImplementedError(
                f"groupby agg: the custom Aggregation {customs[0].name!r} runs as "
                f"a tree reduction, which cannot compute {shuffled} (column, "
                "function) in the same pass; aggregate those in a separate agg "
                "call and join the two results"
            )

        sample = self._stand_in()
        res = groupby_finalize([groupby_chunk(sample, plan)], plan, pmeta)
        return make_meta(res)

    def _with(self, split_every: Any, split_out: Any) -> _GroupBy:
        if split_every is None and split_out is None:
            return self
        g = self._copy(self._selection)
        if split_every is not None:
            g.split_every = split_every
        if split_out is not None:
            g.split_out = split_out
        return g

    def _copy(self, selection: Any) -> Any:
        series = selection is not None and not isinstance(selection, list)
        cls = SeriesGroupBy if series else DataFrameGroupBy
        return cls(
            None, level=self._level, sort=self.sort, dropna=self.dropna,
            observed=self.observed, as_index=self.as_index,
            group_keys=self.group_keys, selection=selection,
            series_name=self._series_name if self._series_input else selection,
            series_input=self._series_input or series,
            split_every=self.split_every, split_out=self.split_out,
            _frame=self._frame, _by=self._by, _names=self._names,
        )  # fmt: skip

    def _simple(
        self, name: str, split_every: Any = None, split_out: Any = None, **kw: Any
    ) -> Any:
        g = self._with(split_every, split_out)
        meta = g._meta_of(name, **kw)
        specs: list[tuple[Any, Any, dict[str, Any]]]
        if name == "size":
            specs, as_frame = [(None, "size", {})], isinstance(meta, pd.DataFrame)
        else:
            specs, as_frame = g._agg_specs(name, {})
            specs = [(c, f, kw) for c, f, _ in specs]
        out = g._aggregate(specs, meta, as_frame)
        if out is None:
            return g._shuffle_call(name, (), kw, meta)
        return out

    def sum(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Sum per group (a tree reduction).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": ["a", "b", "a"], "x": [1, 2, 3]})
        >>> partframe.from_pandas(pdf, npartitions=2).groupby("k").x.sum().compute()
        k
        a    4
        b    2
        Name: x, dtype: int64
        """
        return self._simple("sum", split_every, split_out)

    def count(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Non-missing values per group."""
        return self._simple("count", split_every, split_out)

    def size(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Rows per group."""
        return self._simple("size", split_every, split_out)

    def mean(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Mean per group (from sum and count partials)."""
        return self._simple("mean", split_every, split_out)

    def min(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Minimum per group."""
        return self._simple("min", split_every, split_out)

    def max(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Maximum per group."""
        return self._simple("max", split_every, split_out)

    def prod(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Product per group."""
        return self._simple("prod", split_every, split_out)

    def first(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """First non-missing value per group, in partition order."""
        return self._simple("first", split_every, split_out)

    def last(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Last non-missing value per group, in partition order."""
        return self._simple("last", split_every, split_out)

    def any(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Whether any value per group is true."""
        return self._simple("any", split_every, split_out)

    def all(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Whether all values per group are true."""
        return self._simple("all", split_every, split_out)

    def nunique(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Distinct non-missing values per group."""
        return self._simple("nunique", split_every, split_out)

    def idxmin(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Index label of the first minimum per group."""
        return self._simple("idxmin", split_every, split_out)

    def idxmax(self, split_every: int | None = None, split_out: Any = None) -> Any:
        """Index label of the first maximum per group."""
        return self._simple("idxmax", split_every, split_out)

    def var(
        self, ddof: int = 1, split_every: int | None = None, split_out: Any = None
    ) -> Any:
        """Variance per group (Chan's parallel merge of (n, mean, M2))."""
        return self._simple("var", split_every, split_out, ddof=ddof)

    def std(
        self, ddof: int = 1, split_every: int | None = None, split_out: Any = None
    ) -> Any:
        """Standard deviation per group."""
        return self._simple("std", split_every, split_out, ddof=ddof)

    def sem(
        self, ddof: int = 1, split_every: int | None = None, split_out: Any = None
    ) -> Any:
        """Standard error of the mean per group."""
        return self._simple("sem", split_every, split_out, ddof=ddof)

    # -- through a shuffle --------------------------------------------------
    def _keyed(
        self, method: str, *args: Any, key_levels: int | None = None, **kwargs: Any
    ) -> Any:
        meta = self._meta_of(method, *args, **kwargs)
        return self._shuffle_call(method, args, kwargs, meta, key_levels)

    def median(self, split_out: Any = None) -> Any:
        """Median per group (rows shuffled by key, then pandas per partition)."""
        return self._with(None, split_out)._keyed("median")

    def quantile(self, q: Any = 0.5, split_out: Any = None, **kwargs: Any) -> Any:
        """Quantile(s) per group, through a shuffle by key."""
        nk = self._nkeys()
        return self._with(None, split_out)._keyed(
            "quantile", q, key_levels=nk, **kwargs
        )

    def _level_keys(self) -> list:
        """Per key, whether it is an index level (pandas infers the dtype of
        object keys from their values, but keeps strings and datetimes of
        a level as objects)."""
        if self._by is None:
            return [True] * len(self._level)
        return [isinstance(b, str) and b.startswith("__pf_by_level_") for b in self._by]

    def _object_level_names(self) -> tuple:
        """The names of the keys that are object-dtype index levels."""
        meta = self._frame._meta
        if self._by is None:
            index = meta.index
            return tuple(
                index.names[i]
                for i in self._level
                if index.get_level_values(i).dtype == object
            )
        return tuple(
            n
            for b, n, lv in zip(self._by, self._names, self._level_keys())
            if lv and meta[b].dtype == object
        )

    def _nkeys(self) -> int:
        return len(self._by) if self._by is not None else len(self._level)

    def apply(self, func: Callable, *args: Any, meta: Any = None, **kwargs: Any) -> Any:
        """pandas' ``groupby.apply`` on whole partitions after a shuffle by key.

        Parameters
        ----------
        func : callable
            Called on each group, as pandas calls it.
        *args, **kwargs
            Passed on to ``func``.
        meta : optional
            The result's columns and dtypes, as Dask takes it: an empty
            pandas object, a ``{column: dtype}`` dict, a ``(name, dtype)``
            tuple or a dtype. Dask's meta does not describe the index,
            which pandas derives from what ``func`` returns (the keys for
            a value per group, the keys and the rows' labels for rows):
            unless ``meta`` is a pandas object with a named or
            multi-level index, it is learnt by calling ``func`` on a small
            stand-in, and when that fails the group keys are assumed.
            Each result is checked against ``meta`` (columns, dtypes).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").v.apply(max, meta=("v", "f8")).compute()
        k
        1    3.0
        2    2.0
        Name: v, dtype: float64
        """
        if meta is None:
            meta = self._meta_of("apply", func, *args, **kwargs)
            given = None
        else:
            meta = given = self._given_meta(
                meta,
                lambda: self._apply_meta_index(func, args, kwargs),
                self._keyed_index,
            )
        return self._shuffle_call(
            "apply", (func, *args), kwargs, meta, self._nkeys(), given is not None
        )

    def transform(self, func: Any, *args: Any, meta: Any = None, **kwargs: Any) -> Any:
        """pandas' ``transform``: aligned with the original index and order.

        ``meta`` (optional, as in :meth:`apply`) gives the result's columns
        and dtypes; the index is the frame's own.
        """
        if meta is None:
            return self._aligned("transform", func, *args, **kwargs)
        given = self._given_meta(meta, lambda: self._frame._meta.index)
        return self._transform_call(
            "transform", (func, *args), kwargs, given, given=True
        )

    def _keyed_index(self, index: pd.Index) -> bool:
        """Whether ``index`` can be an ``apply`` result's: it starts with
        the group keys (unless ``group_keys=False``)."""
        if not self.group_keys:
            return True
        keys = list(self._keys_meta_index().names)
        return list(index.names[: len(keys)]) == keys

    def _given_meta(
        self,
        meta: Any,
        index: Callable[[], pd.Index],
        trust: Callable[[pd.Index], bool] = lambda index: True,
    ) -> Any:
        """A user's ``meta=`` as an empty pandas object; ``index()`` replaces
        its index when it does not describe one (a description, a pandas
        object with an unnamed single-level index, or one that ``trust``
        rejects: the frame's own index copied into an ``apply`` meta)."""
        from .methods.apply import _meta_arg

        out = _meta_arg(meta)
        if not isinstance(meta, pd.DataFrame | pd.Series | dict | list | tuple):
            # a bare dtype: the name pandas gives (the selected column's)
            sel = self._selection
            named = sel is not None and not isinstance(sel, list)
            out = out.rename(self._series_name if named else None)
        own = out.index
        if (
            isinstance(meta, pd.DataFrame | pd.Series)
            and (own.nlevels > 1 or own.name is not None)
            and trust(own)
        ):
            return out
        out = out.copy(deep=False)
        out.index = index()[:0]
        return out

    def _apply_meta_index(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        """The index of ``apply(func)`` as pandas makes it, from a call on
        the stand-in; the group keys when ``func`` fails there (it may only
        work on real data, which is why users pass ``meta=``)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                inferred = self._meta_of("apply", func, *args, **kwargs)
        except Exception:
            return self._keys_meta_index()
        if isinstance(inferred, pd.DataFrame | pd.Series):
            return inferred.index
        return self._keys_meta_index()

    def _keys_meta_index(self) -> pd.Index:
        """The index of a result with one row per group (as ``size`` has)."""
        meta = self._meta_of("size")
        if isinstance(meta, pd.DataFrame) and not self.as_index:
            return pd.RangeIndex(0)
        return meta.index

    def _aligned(self, method: str, *args: Any, **kwargs: Any) -> Any:
        meta = self._meta_of(method, *args, **kwargs)
        return self._transform_call(method, args, kwargs, make_meta(meta))

    def cumsum(self) -> Any:
        """Cumulative sum within each group, in the original row order.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1, 2], "x": [1, 2, 3, 4]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").x.cumsum().compute().tolist()
        [1, 2, 4, 6]
        """
        return self._aligned("cumsum")

    def cumprod(self) -> Any:
        """Cumulative product within each group."""
        return self._aligned("cumprod")

    def cummax(self) -> Any:
        """Cumulative maximum within each group."""
        return self._aligned("cummax")

    def cummin(self) -> Any:
        """Cumulative minimum within each group."""
        return self._aligned("cummin")

    def cumcount(self, ascending: bool = True) -> Any:
        """Position of each row within its group."""
        return self._aligned("cumcount", ascending=ascending)

    def shift(self, periods: int = 1, **kwargs: Any) -> Any:
        """Shift values within each group."""
        return self._aligned("shift", periods, **kwargs)

    def diff(self, periods: int = 1) -> Any:
        """Difference with a previous row of the same group."""
        return self._aligned("diff", periods)

    def rank(self, **kwargs: Any) -> Any:
        """Rank of values within each group."""
        return self._aligned("rank", **kwargs)

    def head(self, n: int = 5) -> Any:
        """The first ``n`` rows of each group, in the original order."""
        return self._rows("head", n)

    def tail(self, n: int = 5) -> Any:
        """The last ``n`` rows of each group, in the original order."""
        return self._rows("tail", n)

    def _rows(self, method: str, n: int) -> Any:
        data = meta_nonempty(self._frame._meta)
        meta = make_meta(
            data.groupby(**self._gb_kwargs())[list(data.columns)].__getattribute__(
                method
            )(n)
        )
        out = self._transform_call(method, (n,), {}, meta, keep_rows=True)
        tmp = [
            c for c in meta.columns if isinstance(c, str) and c.startswith("__pf_by_")
        ]
        if tmp:
            out = out[[c for c in meta.columns if c not in tmp]]
        sel = self._selection
        if sel is not None:
            out = out[sel]
            if self._series_input and not isinstance(sel, list):
                out = out.rename(self._series_name) if hasattr(out, "rename") else out
        return out


class DataFrameGroupBy(_GroupBy):
    """A lazy ``DataFrame.groupby``: aggregate, transform or apply per group.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"k": [2, 1, 2, 1], "x": [1.0, 2.0, 3.0, 4.0]})
    >>> df = partframe.from_pandas(pdf, npartitions=2)
    >>> df.groupby("k").mean().compute()  # doctest: +NORMALIZE_WHITESPACE
         x
    k
    1  3.0
    2  2.0
    """

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, list | tuple | pd.Index | pd.Series | np.ndarray):
            # pandas selects the labels a list-like holds (a Series' values)
            key = list(key)
            self._check_columns(key)
            return self._copy(key)
        self._check_columns([key])
        return self._copy(key)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            cols = self._selectable_columns()
        except Exception:
            raise AttributeError(key) from None
        if key in cols:
            return self[key]
        raise AttributeError(f"'DataFrameGroupBy' object has no attribute {key!r}")


class SeriesGroupBy(_GroupBy):
    """A lazy ``Series.groupby`` (or one column of a DataFrameGroupBy).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = pd.Series([1, 2, 3, 4], index=[1, 1, 2, 2], name="x")
    >>> partframe.from_pandas(s, npartitions=2).groupby(level=0).max().compute()
    1    2
    2    4
    Name: x, dtype: int64
    """

    def value_counts(self, **kwargs: Any) -> Any:
        """Counts of each value per group (through a shuffle by key)."""
        return self._keyed("value_counts", key_levels=self._nkeys(), **kwargs)

    def unique(self) -> Any:
        """The distinct values of each group (through a shuffle by key)."""
        return self._keyed("unique")

    def nlargest(self, n: int = 5) -> Any:
        """The ``n`` largest values per group, on whole partitions."""
        return self._keyed("nlargest", n, key_levels=self._nkeys())

    def nsmallest(self, n: int = 5) -> Any:
        """The ``n`` smallest values per group, on whole partitions."""
        return self._keyed("nsmallest", n, key_levels=self._nkeys())


def crosstab(
    index: Any, columns: Any, column_values: Any = None, observed: bool = True
) -> Any:
    """Counts of each (``index``, ``columns``) pair, as ``pandas.crosstab``.

    Both are partframe Series of the same frame (aligned). Built on
    :meth:`DataFrame.pivot_table` with ``aggfunc="size"``: a single-partition
    result; the values of ``columns`` must be known as ``pivot_table``
    explains (categorical with ``observed=False``, ``column_values=[...]``
    or ``column_values="compute"``).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "y", "x"]})
    >>> df = partframe.from_pandas(pdf, npartitions=2)
    >>> crosstab(df.a, df.b, column_values=["x", "y"]).compute()
    ... # doctest: +NORMALIZE_WHITESPACE
    b  x  y
    a
    1  1  1
    2  1  0
    """
    ni = index.name if index.name is not None else "row_0"
    nc = columns.name if columns.name is not None else "col_0"
    if ni == nc:
        raise ValueError("crosstab of two Series with the same name: rename one")
    frame = index.to_frame(ni)
    frame = frame.assign(**{nc: columns}) if isinstance(nc, str) else None
    if frame is None:
        raise TypeError("crosstab needs Series with string (or no) names")
    out = frame.pivot_table(
        index=ni,
        columns=nc,
        aggfunc="size",
        fill_value=0,
        observed=observed,
        column_values=column_values,
    )
    return out
