"""Partitions cast alike, as pandas decides dtypes for the whole data.

pandas decides some result dtypes from the values: an int column holding a
missing value becomes float64 (``str.len()`` of a missing string,
``dt.year`` of ``NaT``, ``where`` replacing by NaN), a bool one object.
Partition by partition, only the partitions holding such a value would
widen. :func:`upcast_alike` makes the decision for the whole data: a small
reduction flags the columns that some partition widened, and every
partition is cast to the wide dtype where a flag is set, else to the one
pandas keeps (:class:`~partframe.expr.elementwise.CastAlike`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..collection._core import new_collection
from ..expr.elementwise import CastAlike
from ..expr.reductions import TreeReduction
from ..kernels import elementwise as kernels
from ..kernels.enforce import masked_widened, missing_widened

__all__ = ["same_schema", "upcast_alike", "widens"]


def upcast_alike(out: Any, wide: Any, narrow_meta: bool = False) -> Any:
    """``out`` (partitions as pandas makes them, its meta the dtypes pandas
    keeps) cast alike: to ``wide``'s dtype for each column that some
    partition upcast, else to the kept one (see :class:`CastAlike`).

    The result's meta is ``wide``, or with ``narrow_meta`` the kept one:
    then its partitions are widened as by missing values
    (:func:`~partframe.kernels.enforce.missing_widened`), which the nodes
    above keep as they keep a partition widened by a user function, and
    the metas above are pandas' dtypes for data without missing values.
    """
    kept = out._meta
    frame = isinstance(kept, pd.DataFrame)
    if wide is None or same_schema(wide, kept):
        return out
    if frame and not kept.columns.is_unique:
        # Flags are kept per column label: with repeated labels each
        # partition keeps the dtypes pandas gave it.
        return out
    if frame:
        watch = [c for c in kept.columns if kept[c].dtype != wide[c].dtype]
        kept_dtypes: Any = {c: kept[c].dtype for c in watch}
        wide_dtypes: Any = {c: wide[c].dtype for c in watch}
    else:
        kept_dtypes, wide_dtypes = kept.dtype, wide.dtype
    flags = TreeReduction(
        out.expr, kernels.upcast_flags, kernels.any_upcast, kernels.any_upcast,
        {} if frame else False, chunk_kwargs={"kept": kept_dtypes},
        label="upcast-flags", columns=watch if frame else None,
    )  # fmt: skip
    return new_collection(
        CastAlike(
            out.expr, kernels.cast_alike, (flags, wide_dtypes, kept_dtypes),
            None, (), kept if narrow_meta else wide,
        )
    )  # fmt: skip


def widens(narrow: Any, wide: Any) -> bool:
    """Whether every dtype of ``wide`` (a meta) is the one of ``narrow`` or
    what missing values make of it: numpy ints float64, bools object, a
    masked int a masked float (same columns and index).

    Examples
    --------
    >>> a = pd.Series([], dtype="Int64")
    >>> widens(a, a.astype("Float64")), widens(a.astype("Float64"), a)
    (True, False)
    """
    if isinstance(narrow, pd.DataFrame):
        if not isinstance(wide, pd.DataFrame) or not narrow.columns.equals(
            wide.columns
        ):
            return False
        pairs = list(zip(narrow.dtypes, wide.dtypes))
    elif isinstance(narrow, pd.Series) and isinstance(wide, pd.Series):
        pairs = [(narrow.dtype, wide.dtype)]
    else:
        return False
    return narrow.index.dtype == wide.index.dtype and all(
        a == b or missing_widened(a, b) or masked_widened(a, b) for a, b in pairs
    )


def same_schema(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.dtypes.equals(b.dtypes)
    return isinstance(b, pd.Series) and a.dtype == b.dtype
