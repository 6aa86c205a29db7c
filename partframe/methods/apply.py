"""User functions and expression strings of DataFrame and Series.

``map_partitions`` (a function of whole partitions), ``query``/``eval``
(with ``@name`` references resolved from the caller when the plan is
built) and ``apply``/``map``/``applymap``, whose result schema is found by
calling the function on a small stand-in of the data (or given as
``meta=``). Everything runs partition by partition; a lazy Series given to
``Series.map`` is computed once in the same graph and passed whole to
every partition.
"""

from __future__ import annotations

import inspect
import io
import keyword
import re
import tokenize as _tokenize
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..collection._core import as_expr, meta_from_description, new_collection
from ..expr.base import Expr
from ..expr.blockwise import MapPartitions, MethodCall, function_name
from ..expr.elementwise import NonemptyCall, WholeOf
from ..expr.meta import emulate, is_frame_or_series, make_meta, meta_nonempty
from ..kernels import elementwise as kernels
from ..kernels.calls import scalar_to_series
from .columnwise import columnwise_call, is_lazy

if TYPE_CHECKING:
    from ..collection import DataFrame, Index, Series

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


def _nonempty_call(
    obj: Any,
    func: Callable,
    args: tuple = (),
    kwargs: dict | None = None,
    meta: Any = None,
    what: str = "",
) -> Any:
    if meta is not None:
        meta = _meta_arg(meta, obj._meta.index)
    node = NonemptyCall(obj.expr, func, tuple(args), kwargs or None, meta)
    try:
        return new_collection(node)
    except Exception as exc:
        if meta is not None:
            raise
        _note_inference(exc, what)
        raise


def _note_inference(exc: BaseException, what: str) -> None:
    """Say on ``exc``, raised by a user function called on a stand-in of
    the data to learn its result's schema, what happened and the fix.

    A note on the function's own exception (never a rebuilt one: not
    every exception type takes a single message argument).
    """
    exc.add_note(
        f"partframe: {what} could not infer the result's schema by calling "
        "the function on a small stand-in of the data (made-up values of the "
        "input's dtypes); pass meta= (an empty pandas object, a {column: dtype} "
        "dict or a (name, dtype) tuple)"
    )


def _meta_arg(meta: Any, index: pd.Index | None = None) -> Any:
    """The ``meta=`` of ``apply``/``map``: a pandas object, a description or
    a dtype; a description or dtype takes ``index`` (the input meta's: an
    elementwise result keeps it), or an empty RangeIndex without one."""
    if isinstance(meta, pd.DataFrame | pd.Series):
        return make_meta(meta)
    if isinstance(meta, dict | list | tuple):
        return meta_from_description(meta, index)
    index = pd.RangeIndex(0) if index is None else index[:0]
    return pd.Series([], dtype=meta, index=index)


def _caller_names(expr: str, frame: Any) -> dict:
    """Values of the ``@name`` references of a query/eval string, taken from
    the caller's frame (resolved now, so tasks carry values, not frames)."""
    names = set(re.findall(r"@([A-Za-z_]\w*)", expr))
    out: dict = {}
    for name in names:
        if name in frame.f_locals:
            value = frame.f_locals[name]
        elif name in frame.f_globals:
            value = frame.f_globals[name]
        else:
            continue  # pandas raises a clear UndefinedVariableError for it
        if is_lazy(value):
            raise TypeError(
                f"@{name} is a lazy partframe object; compute it first "
                f"(@{name} must be a plain value)"
            )
        out[name] = value
    return out


def _with_caller_names(expr: str, local_dict: dict | None, kwargs: dict) -> dict:
    """``kwargs`` plus a ``local_dict`` of the ``@names`` in ``expr``, read
    from the frame that called ``query``/``eval`` (two levels up), then
    ``local_dict``."""
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame is not None and frame.f_back else None
    names = _caller_names(expr, caller) if caller is not None else {}
    del frame, caller
    names.update(local_dict or {})
    options = dict(kwargs)
    if names:
        options["local_dict"] = names
    return options


def _referenced_columns(expr: str, columns: list) -> list | None:
    """Columns named in an expression string, or ``None`` when unsure."""
    if "`" in expr:
        return None
    names = set()
    try:
        for tok in _tokenize.generate_tokens(io.StringIO(expr).readline):
            if tok.type == _tokenize.NAME and not keyword.iskeyword(tok.string):
                names.add(tok.string)
    except (_tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return [c for c in columns if isinstance(c, str) and c in names]


class FrameMethods:
    """``map_partitions``, shared by DataFrame, Series and Index."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any

    def map_partitions(
        self,
        func: Callable,
        *args: Any,
        meta: Any = None,
        preserves_index: bool = False,
        **kwargs: Any,
    ) -> DataFrame | Series | Index:
        """Apply ``func`` to every partition.

        Parameters
        ----------
        func : callable
            Called as ``func(partition, *args, **kwargs)``; frames among
            ``args`` are replaced by their matching partition.
        meta : pandas object or scalar, optional
            An empty object with the result's schema. Inferred by running
            ``func`` on a small stand-in when not given.
        preserves_index : bool, default False
            Promise that ``func`` keeps the index and row order, so divisions
            carry over.

        Each partition ``func`` returns is checked against the meta: a
        Series name, the column order and dtypes that cast back to the same
        values are made to match; other columns or dtypes (a renamed column,
        ``NaN`` in an ``int64`` column, a Series where the meta is a
        DataFrame) raise an error naming ``func``, the partition and the
        difference.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=2)
        >>> df.map_partitions(len).compute().tolist()
        [3, 3]
        """
        exprs = [self.expr] + [as_expr(a) for a in args]
        enforce = "inferred" if meta is None else True
        if meta is None:
            metas = [e._meta if isinstance(e, Expr) else e for e in exprs]
            try:
                meta = emulate(func, *metas, nonempty=True, **kwargs)
            except Exception as exc:
                _note_inference(exc, f"map_partitions({function_name(func)})")
                raise
        elif not is_frame_or_series(meta) and isinstance(meta, dict | list | tuple):
            meta = meta_from_description(meta, self._meta.index)
        else:
            meta = make_meta(meta)
        if not is_frame_or_series(meta):
            # A scalar per partition: the result is a Series of them.
            meta = pd.Series([], dtype=np.asarray(meta).dtype)
            return new_collection(
                MapPartitions(
                    scalar_to_series, meta, [func, *exprs], kwargs or None,
                    False, enforce,
                )
            )  # fmt: skip
        node = MapPartitions(
            func, meta, exprs, kwargs or None, preserves_index, enforce
        )
        return new_collection(node)


class DataFrameMethods:
    """DataFrame-only methods: expression strings and user functions."""

    expr: Expr
    _meta: Any

    def query(
        self, expr: str, *, local_dict: dict | None = None, **kwargs: Any
    ) -> DataFrame:
        """Filter rows with a boolean expression string, as pandas' ``query``.

        ``@name`` refers to a variable of the caller; it is resolved when the
        plan is built (or from ``local_dict=``).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), npartitions=2)
        >>> low = 1
        >>> df.query("x > @low").x.compute().tolist()
        [2, 3]
        """
        if kwargs.get("inplace"):
            raise ValueError("query(inplace=True) is not supported by lazy frames")
        options = _with_caller_names(expr, local_dict, kwargs)
        refs = _referenced_columns(expr, list(self._meta.columns))
        if refs is None:
            return new_collection(
                MethodCall(self.expr, "query", (expr,), options or None)
            )
        return columnwise_call(self, kernels.query_frame, (expr, options), None, refs)

    def eval(
        self, expr: str, *, local_dict: dict | None = None, **kwargs: Any
    ) -> DataFrame | Series:
        """Evaluate an expression string (assignments add columns).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=2)
        >>> df.eval("x * 2").compute().tolist()
        [2, 4]
        >>> df.eval("y = x + 1").columns.tolist()
        ['x', 'y']
        """
        if kwargs.get("inplace"):
            raise ValueError("eval(inplace=True) is not supported; use the result")
        options = _with_caller_names(expr, local_dict, kwargs)
        return new_collection(MethodCall(self.expr, "eval", (expr,), options or None))

    def apply(
        self,
        func: Callable,
        axis: Any = 0,
        raw: bool = False,
        result_type: Any = None,
        args: tuple = (),
        meta: Any = None,
        **kwargs: Any,
    ) -> DataFrame | Series:
        """Apply ``func`` to each row (``axis=1``).

        The result's schema is found by calling ``func`` on a small stand-in
        of two rows; pass ``meta=`` when that cannot work. ``axis=0`` (the
        default, as in pandas) would call ``func`` on whole columns, which
        are split across partitions: it raises ``NotImplementedError``
        naming ``axis=1`` and ``map_partitions``.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2], "y": [3, 4]}),
        ...                            npartitions=2)
        >>> df.apply(lambda r: r.x + r.y, axis=1).compute().tolist()
        [4, 6]
        """
        if axis in (0, "index"):
            raise NotImplementedError(
                f"DataFrame.apply(axis={axis!r}) calls func on whole columns, "
                "which are split across partitions, so it cannot run partition "
                "by partition. Use apply(func, axis=1) for a function of each "
                "row, map_partitions(lambda df: df.apply(func)) to apply it to "
                "each partition's columns, or a reduction (df.sum(), df.max(), ...) "
                "for whole-column results"
            )
        if axis not in (1, "columns"):
            raise ValueError(f"No axis named {axis!r} for object type DataFrame")
        options = {"raw": raw, "result_type": result_type, **kwargs}
        return _nonempty_call(
            self, kernels.apply_rows, (func, tuple(args), options), None, meta,
            "apply(axis=1)",
        )  # fmt: skip

    def map(
        self, func: Callable, na_action: Any = None, meta: Any = None, **kwargs: Any
    ) -> DataFrame:
        """Apply ``func`` to every element.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=2)
        >>> df.map(lambda v: v * 10).x.compute().tolist()
        [10, 20]
        """
        return _nonempty_call(
            self, kernels.map_elements, (func, na_action, kwargs), None, meta, "map()"
        )

    def applymap(
        self, func: Callable, na_action: Any = None, meta: Any = None, **kwargs: Any
    ) -> DataFrame:
        """The old name of :meth:`map` (removed from pandas 3; kept here).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=2)
        >>> df.applymap(str).x.compute().tolist()
        ['1', '2']
        """
        return self.map(func, na_action=na_action, meta=meta, **kwargs)


class SeriesMethods:
    """Series-only methods: user functions."""

    expr: Expr
    _meta: Any

    def map(self, arg: Any, na_action: Any = None, meta: Any = None) -> Series:
        """Map values through a dict, a Series (lazy or not) or a function.

        With a dict or Series, values not found become missing, so the
        result's dtype is the one pandas gives when a key is missing (an
        integer mapping gives float64) in every partition.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.map({1: "a", 2: "b"}).compute().tolist()
        ['a', 'b', nan]
        >>> s.map(lambda v: v + 1).compute().tolist()
        [2, 3, 4]
        """
        series_meta = self._meta
        if is_lazy(arg) or isinstance(arg, Mapping | pd.Series):
            if is_lazy(arg):
                if not isinstance(arg._meta, pd.Series):
                    raise TypeError("map() takes a lazy Series, a dict or a function")
                mapping_meta = arg._meta
                mapping: Any = WholeOf(arg.expr)
            else:
                mapping = arg if isinstance(arg, pd.Series) else dict(arg)
                mapping_meta = make_meta(arg) if isinstance(arg, pd.Series) else None
            if meta is not None:
                out_meta = _meta_arg(meta, series_meta.index)
                dtype = out_meta.dtype
            elif isinstance(series_meta.dtype, pd.CategoricalDtype):
                dtype = None  # pandas maps the categories: ask it
                sample = mapping_meta if mapping_meta is not None else mapping
                out_meta = make_meta(meta_nonempty(series_meta).map(sample))
            else:
                values = (
                    mapping_meta if mapping_meta is not None else pd.Series(mapping)
                )
                holder = values.reset_index(drop=True)
                if isinstance(mapping, dict) and not mapping:
                    holder = pd.Series([], dtype="float64")
                dtype = holder.reindex([-1]).dtype
                out_meta = pd.Series([], dtype=dtype, name=series_meta.name).set_axis(
                    series_meta.index[:0]
                )
            return new_collection(
                MapPartitions(
                    kernels.map_values,
                    out_meta,
                    [self.expr, mapping, na_action, dtype],
                    None,
                    True,
                )
            )
        if not callable(arg):
            raise TypeError(
                f"map() takes a dict, a Series or a function, got {type(arg).__name__}"
            )
        return _nonempty_call(
            self, kernels.map_elements, (arg, na_action, {}), None, meta, "map()"
        )

    def apply(
        self, func: Callable, args: tuple = (), *, meta: Any = None, **kwargs: Any
    ) -> Series | DataFrame:
        """Apply ``func`` to every value (schema found on a small stand-in).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2]), npartitions=2)
        >>> s.apply(lambda v: v * 2).compute().tolist()
        [2, 4]
        """
        return _nonempty_call(
            self, kernels.apply_values, (func, tuple(args), kwargs), None, meta,
            "apply()",
        )  # fmt: skip
