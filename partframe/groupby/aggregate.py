"""Groupby aggregations: tree reductions planned from pandas' result on a
stand-in, or pandas' own ``agg`` on whole groups when a function does not
decompose."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..aggregation import Aggregation
from ..collection._core import new_collection
from ..expr.blockwise import (
    _unknown_columns_message,
)
from ..expr.groupby import GroupByAgg
from ..expr.groupby_plan import plan_aggregation, tree_reducible
from ..expr.meta import make_meta
from ..kernels.groupby import GroupByPlan, groupby_chunk
from ..kernels.groupby_finalize import groupby_finalize
from .core import GroupByBase, R, fname

if TYPE_CHECKING:
    from ..collection.frame import DataFrame, Series

__all__ = ["GroupByAggregations"]


def _label_stand_in(name: str) -> Callable:
    """A function pandas can run in place of an :class:`Aggregation` called
    ``name`` when computing a meta: pandas labels its output ``name``, as it
    labels any function by its ``__name__``. Its values are never used."""

    def stand_in(values: pd.Series) -> int:
        return len(values)

    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


class GroupByAggregations(GroupByBase[R]):
    """``agg`` in all its forms and the named reductions."""

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
        return plan_aggregation(
            specs,
            meta,
            as_frame,
            value_labels,
            dtypes=self._frame._meta.dtypes,
            by=self._by,
            level=self._level,
            level_keys=self._level_keys(),
            dropna=self.dropna,
            observed=self.observed,
            sort=self.sort,
            as_index=self.as_index,
            key_names=self._key_names,
        )

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
    ) -> R:
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
                (c, fname(f))
                for c, f, kw in specs
                if not isinstance(f, Aggregation)
                and not tree_reducible(f, kw, dtypes[c] if c is not None else None)
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

    def sum(self, split_every: int | None = None, split_out: Any = None) -> R:
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

    def count(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Non-missing values per group."""
        return self._simple("count", split_every, split_out)

    def size(
        self, split_every: int | None = None, split_out: Any = None
    ) -> Series | DataFrame:
        """Rows per group."""
        return self._simple("size", split_every, split_out)

    def mean(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Mean per group (from sum and count partials)."""
        return self._simple("mean", split_every, split_out)

    def min(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Minimum per group."""
        return self._simple("min", split_every, split_out)

    def max(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Maximum per group."""
        return self._simple("max", split_every, split_out)

    def prod(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Product per group."""
        return self._simple("prod", split_every, split_out)

    def first(self, split_every: int | None = None, split_out: Any = None) -> R:
        """First non-missing value per group, in partition order."""
        return self._simple("first", split_every, split_out)

    def last(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Last non-missing value per group, in partition order."""
        return self._simple("last", split_every, split_out)

    def any(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Whether any value per group is true."""
        return self._simple("any", split_every, split_out)

    def all(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Whether all values per group are true."""
        return self._simple("all", split_every, split_out)

    def nunique(
        self,
        dropna: bool = True,
        split_every: int | None = None,
        split_out: Any = None,
    ) -> R:
        """Distinct values per group; missing values count as one more
        value with ``dropna=False`` (pandas' groupby on whole groups after
        a shuffle by the keys; the default is a tree reduction).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": ["a", "a", "b"], "s": ["x", None, "y"]})
        >>> g = partframe.from_pandas(pdf, npartitions=2).groupby("k").s
        >>> g.nunique().compute().tolist(), g.nunique(dropna=False).compute().tolist()
        ([1, 1], [2, 1])
        """
        if dropna:
            return self._simple("nunique", split_every, split_out)
        g = self._with(split_every, split_out)
        kwargs = {"dropna": False}
        return g._shuffle_call("nunique", (), kwargs, g._meta_of("nunique", **kwargs))

    def idxmin(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Index label of the first minimum per group."""
        return self._simple("idxmin", split_every, split_out)

    def idxmax(self, split_every: int | None = None, split_out: Any = None) -> R:
        """Index label of the first maximum per group."""
        return self._simple("idxmax", split_every, split_out)

    def var(
        self, ddof: int = 1, split_every: int | None = None, split_out: Any = None
    ) -> R:
        """Variance per group (Chan's parallel merge of (n, mean, M2))."""
        return self._simple("var", split_every, split_out, ddof=ddof)

    def std(
        self, ddof: int = 1, split_every: int | None = None, split_out: Any = None
    ) -> R:
        """Standard deviation per group."""
        return self._simple("std", split_every, split_out, ddof=ddof)

    def sem(
        self, ddof: int = 1, split_every: int | None = None, split_out: Any = None
    ) -> R:
        """Standard error of the mean per group."""
        return self._simple("sem", split_every, split_out, ddof=ddof)
