"""The groupby facade's base: keys, metas from pandas on a stand-in, and
the logical nodes of the operations that need whole groups."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import pandas as pd

from ..aggregation import Aggregation
from ..collection._core import FrameBase, is_dataframe, is_series, new_collection
from ..expr.blockwise import (
    Elemwise,
    Projection,
    _unknown_columns_message,
)
from ..expr.groupby_plan import resolve_split_out
from ..expr.groupby_shuffle import GroupByApply, GroupByTransform
from ..expr.meta import make_meta, meta_nonempty
from ..kernels.group_call import level_columns, rename_keys
from .keys import (
    all_index_levels,
    check_keys_given,
    grouper_in_list,
    grouper_key,
    index_level_key,
    level_positions,
)

if TYPE_CHECKING:
    pass

__all__ = ["TMP", "GroupByBase", "R", "fname"]

# what an operation gives: DataFrame for a DataFrameGroupBy
R = TypeVar("R")

TMP = "__pf_by_{}"
TMP_LEVEL = "__pf_by_level_{}"  # an index level named in ``by``, as a column
# DataFrameGroupBy and SeriesGroupBy, which a selection makes (set by
# partframe.groupby.frames, which defines them on top of this base)
GROUPBY_CLASSES: dict[str, type] = {}


def fname(func: Any) -> str:
    if isinstance(func, Aggregation):
        return func.name
    if isinstance(func, str):
        return func
    return getattr(func, "__name__", repr(func))


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


def _is_lazy_index(key: Any) -> bool:
    """True for a lazy partframe Index (``df.index``) given as a key."""
    return isinstance(key, FrameBase) and isinstance(key._meta, pd.Index)


class GroupByBase(Generic[R]):
    """What DataFrameGroupBy and SeriesGroupBy share: the keys, metas, and
    the plans of the operations on whole groups."""

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
            by, level, self.sort, self.dropna = grouper_key(by)
        elif isinstance(by, list) and any(isinstance(b, pd.Grouper) for b in by):
            by = [grouper_in_list(b, sort) for b in by]
        check_keys_given(by, level)
        frame = self._grouped_frame(obj)
        if by is not None and level is None:
            level = all_index_levels(by, frame._meta, obj is not frame)
            if level is not None:
                by = None
        if level is not None:
            if by is not None:
                raise TypeError("give 'by' or 'level', not both")
            names = list(frame._meta.index.names)
            self._level = level_positions(level, names)
            self._names = [names[i] for i in self._level]
            self._by = None
            self._frame = frame
            return
        self._level = None
        self._group_by_keys(frame, by if isinstance(by, list) else [by], obj)

    def _grouped_frame(self, obj: Any) -> Any:
        """The frame whose rows are grouped: a Series becomes a one-column
        frame with that column selected."""
        if is_series(obj):
            self._series_input = True
            self._series_name = obj.name
            col = obj.name if obj.name is not None else "__pf_values"
            self._selection = col
            return obj.to_frame(col)
        if is_dataframe(obj):
            return obj
        raise TypeError(f"cannot group a {type(obj).__name__}")

    def _group_by_keys(self, frame: Any, keys: list[Any], obj: Any) -> None:
        """Group by column labels, aligned Series and index level names:
        every key becomes a column of the grouped frame (an index level or
        another Series is copied in under a temporary label)."""
        series_input = obj is not frame
        # A lazy Index (df.groupby(df.index)) groups by its labels as pandas
        # does: as the Series of them, which is partitioned as the frame.
        keys = [
            k.to_series() if _is_lazy_index(k) else k
            for k in keys
        ]  # fmt: skip
        levels = [
            i
            for i, key in enumerate(keys)
            if index_level_key(key, frame._meta, series_input)
        ]
        if levels:  # index levels named in ``by``, next to columns: copied in
            index_names = list(frame._meta.index.names)
            frame = new_collection(
                Elemwise(
                    level_columns,
                    [
                        frame.expr,
                        [index_names.index(keys[i]) for i in levels],
                        [TMP_LEVEL.format(i) for i in levels],
                    ],
                )
            )
        labels: list[Any] = []
        names: list[Any] = []
        copied: dict[str, Any] = {}  # temporary label: Series
        for i, key in enumerate(keys):
            if i in levels:
                label, name = TMP_LEVEL.format(i), key
            else:
                label, name = self._key_label(i, key, frame, obj)
                if label == TMP.format(i):
                    copied[label] = key
            labels.append(label)
            names.append(name)
        if copied:
            frame = frame._assign_many(list(copied), list(copied.values()))
        self._frame, self._by, self._names = frame, labels, names

    def _key_label(self, i: int, key: Any, frame: Any, obj: Any) -> tuple[Any, Any]:
        """The column label and the result's key name of ``by`` entry ``i``:
        a column, a Series of this frame's column, or another aligned Series
        (copied in as column ``TMP.format(i)``)."""
        if is_series(key):
            e = key.expr
            if (
                isinstance(e, Projection)
                and e.frame._name == obj.expr._name
                and not is_series(obj)
            ):
                return e.operand("columns"), e.operand("columns")
            return TMP.format(i), key.name
        if isinstance(key, pd.Series | pd.Index) or callable(key):
            raise TypeError(
                "group by a column name, a list of them, a partframe Series "
                "aligned with the frame, or level=; pandas objects and "
                "functions cannot be aligned with the partitions"
            )
        cols = list(frame._meta.columns)
        if key not in cols or (self._series_input and key == self._selection):
            raise KeyError("groupby key " + _unknown_columns_message([key], cols))
        return key, key

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
        return self._meta_on(None, method, args, kwargs)

    def _meta_on(
        self,
        variant: Callable[[pd.DataFrame], pd.DataFrame | None] | None,
        method: str,
        args: tuple,
        kwargs: dict,
    ) -> Any:
        """``method``'s meta on the stand-in, or on ``variant(stand-in)``
        (a stand-in holding missing values; ``None`` when the variant does
        not apply, and so is the result)."""
        key = self._meta_key(method, args, kwargs)
        if key is not None and variant is not None:
            key = (*key, variant.__name__)
        out = _META_CACHE.get(key) if key is not None else None
        if out is None:
            data = self._stand_in()
            if variant is not None:
                data = variant(data)
                if data is None:
                    return None
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
                f"groupby {method}: calling {fname(args[0])} on a small stand-in "
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
                        f"groupby {fname(f)}: column {col!r} has dtype "
                        f"{data[col].dtype}, which does not support it ({err})"
                    )
        return f"groupby {method}: {err}"

    def _resolve_split_out(self) -> int:
        return resolve_split_out(
            self.split_out, self._frame.npartitions, self._nkeys(), self.sort
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
        names = tuple(TMP.format(i) for i in range(len(self._level)))
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
                f"groupby {method} of {fname(args[0])}" if given else None,
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
                f"groupby transform of {fname(args[0])}" if given else None,
            )
        )

    def _with(self, split_every: Any, split_out: Any) -> Self:
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
        cls = GROUPBY_CLASSES["series" if series else "frame"]
        return cls(
            None, level=self._level, sort=self.sort, dropna=self.dropna,
            observed=self.observed, as_index=self.as_index,
            group_keys=self.group_keys, selection=selection,
            series_name=self._series_name if self._series_input else selection,
            series_input=self._series_input or series,
            split_every=self.split_every, split_out=self.split_out,
            _frame=self._frame, _by=self._by, _names=self._names,
        )  # fmt: skip

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
