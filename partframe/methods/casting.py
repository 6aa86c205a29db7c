"""Casting of DataFrame and Series: ``astype`` (mixed into the facades).

Casts run partition by partition. ``astype("category")`` without categories
first computes the categories pandas would infer from the whole column (see
:func:`_infer_categories`), so the plan keeps known categories.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import pandas as pd

from ..collection._core import new_collection
from ..expr.base import Expr
from ..expr.blockwise import call_method
from ..kernels import elementwise as kernels
from .columnwise import check_columns, columnwise_call, dtype_error

__all__ = ["FrameMethods"]


def _unknown_categories(dtype: Any) -> bool:
    if isinstance(dtype, str):
        return dtype == "category"
    return isinstance(dtype, pd.CategoricalDtype) and dtype.categories is None


def _infer_categories(obj: Any, dtype: Any) -> Any:
    """``dtype`` with every ``"category"`` target that has no categories (on a
    column that is not categorical yet) replaced by the ``CategoricalDtype``
    pandas would infer from the whole column: its unique non-missing values,
    sorted (in order of appearance when they cannot be sorted).

    **Computes** the distinct values of those columns (reading only them) in
    one tree reduction, when called. Returns ``dtype`` unchanged when there
    is nothing to infer.
    """
    meta = obj._meta
    frame = isinstance(meta, pd.DataFrame)
    if isinstance(dtype, Mapping):
        targets = dict(dtype)
    elif frame:
        targets = {c: dtype for c in meta.columns}
    else:
        targets = {meta.name: dtype}
    todo = [
        c
        for c, target in targets.items()
        if _unknown_categories(target)
        and not isinstance((meta[c] if frame else meta).dtype, pd.CategoricalDtype)
    ]
    if not todo:
        return dtype
    if frame and not meta.columns.is_unique:
        raise NotImplementedError(
            "astype('category') on a frame with duplicate column labels is not "
            "supported; pass astype(pd.CategoricalDtype(categories))"
        )
    uniques = distinct_values(obj, todo if frame else None)
    inferred = {
        c: _categories_of(values, targets[c]) for c, values in zip(todo, uniques)
    }
    if not frame:
        return inferred[meta.name]
    return {**targets, **inferred}


def _categories_of(values: pd.Series, target: Any) -> pd.CategoricalDtype:
    """The categorical dtype ``target`` (categories unset) with the
    distinct values ``values`` as its categories.

    With no values, the categories are built as a fresh empty Index of the
    values' dtype: filtering every row out of an Arrow-backed column leaves
    an array of zero chunks, and casting that gives categories from which
    pyarrow infers the type null (so a Parquet file would store the column
    as null); pandas casts the whole column, whose categories keep their
    string type.
    """
    if len(values):
        return values.astype(target).dtype
    ordered = getattr(target, "ordered", False)
    empty = pd.Index(pd.array([], dtype=values.dtype))
    return pd.CategoricalDtype(empty, ordered=ordered)


def distinct_values(obj: Any, columns: list | None) -> list:
    """The distinct non-missing values of each of ``columns`` of the frame
    ``obj`` (of the Series ``obj`` itself when None), in order of appearance:
    one pandas Series each. **Computes** them in one tree reduction that
    reads only those columns."""
    from ..expr.reductions import TreeReduction

    reduction = TreeReduction(
        obj.expr, kernels.distinct_chunk, kernels.distinct_combine,
        kernels.distinct_combine, [], chunk_kwargs={"columns": columns},
        label="categories", columns=columns,
    )  # fmt: skip
    return new_collection(reduction).compute()


class FrameMethods:
    """``astype``, shared by DataFrame and Series."""

    expr: Expr
    _meta: Any

    def astype(self, dtype: Any, copy: Any = None, errors: str = "raise") -> Self:
        """Cast to ``dtype`` (one dtype, or a ``{column: dtype}`` dict).

        Casting to ``"category"`` (or a ``CategoricalDtype`` without
        categories) gives the categories pandas infers from the whole column:
        its distinct non-missing values, sorted. partframe keeps categories
        known in the plan (``df.x.cat.categories`` answers without
        computing), so **this computes the distinct values of those columns
        when called** (one pass reading only them, as ``set_index(sorted=True)``
        computes its bounds). Pass ``pd.CategoricalDtype(categories)`` to
        compute nothing.

        Parameters
        ----------
        dtype : dtype, or dict of {column: dtype}
            As in pandas.
        copy : ignored
            Kept for pandas compatibility.
        errors : {"raise", "ignore"}, default "raise"
            As in pandas, per partition.

        Returns
        -------
        DataFrame or Series

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
        >>> df.astype({"x": "float64"}).dtypes.tolist()
        [dtype('float64')]
        >>> s = partframe.from_pandas(pd.Series(["b", None, "a", "b"]),
        ...                           npartitions=2)
        >>> cat = s.astype("category")
        >>> cat.cat.categories.tolist()
        ['a', 'b']
        >>> cat.cat.codes.compute().tolist()
        [1, -1, 0, 1]
        """
        meta = self._meta
        if isinstance(dtype, pd.Series):
            dtype = dtype.to_dict()
        if isinstance(dtype, Mapping):
            dtype = dict(dtype)
            if isinstance(meta, pd.DataFrame):
                check_columns(self, list(dtype), "astype()")
            elif list(dtype) != [meta.name]:
                raise KeyError(
                    f"astype(): only the Series name {meta.name!r} can be a key "
                    f"of the dtype mapping, got {list(dtype)}"
                )
        dtype = _infer_categories(self, dtype)

        def build(obj: Any) -> Any:
            d = dtype
            if isinstance(d, dict) and isinstance(obj._meta, pd.DataFrame):
                d = {k: v for k, v in d.items() if k in obj._meta.columns}
                return columnwise_call(obj, kernels.astype_columns, (d, errors))
            if isinstance(obj._meta, pd.Index):
                # pandas' Index.astype has no errors= (it always raises)
                return columnwise_call(obj, call_method, ("astype", d))
            return columnwise_call(obj, call_method, ("astype", d), {"errors": errors})

        try:
            return build(self)
        except (TypeError, ValueError) as exc:
            msg = str(dtype_error(self, f"astype({dtype!r})", exc, build))
            cls = TypeError if isinstance(exc, TypeError) else ValueError
            raise cls(msg) from exc
