"""Plan-time helpers of reductions: pandas on a stand-in, errors that blame.

A reduction's meta comes from running the real pandas method on
:func:`~partframe.expr.meta.meta_nonempty` of its input, so invalid calls
raise while the plan is built, naming the column and its dtype.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..expr.meta import meta_nonempty

__all__ = ["check_axis", "describe_meta", "run_meta", "scalar_like"]


def describe_meta(meta: Any) -> str:
    if isinstance(meta, pd.Series):
        return f"Series {meta.name!r} of dtype {meta.dtype}"
    return "DataFrame"


def run_meta(meta: Any, op: str, kwargs: dict) -> Any:
    """Run pandas' ``op`` on a stand-in of ``meta``; blame a column on error."""
    sample = meta_nonempty(meta)
    try:
        return getattr(sample, op)(**kwargs)
    except TypeError as err:
        if isinstance(meta, pd.DataFrame):
            for j, col in enumerate(sample.columns):
                try:
                    getattr(sample.iloc[:, [j]], op)(**kwargs)
                except TypeError as col_err:
                    dtype = meta.dtypes.iloc[j]
                    raise TypeError(
                        f"DataFrame.{op}() cannot reduce column {col!r} of dtype "
                        f"{dtype}: {col_err}. Select supported columns or pass "
                        "numeric_only=True"
                    ) from err
        raise TypeError(
            f"{describe_meta(meta)}: {op}() is not supported: {err}"
        ) from err


def scalar_like(result: Any) -> Any:
    return None if isinstance(result, pd.Series) else result


def check_axis(axis: Any, op: str) -> bool:
    """True for a row-wise (``axis=1``) call."""
    if axis in (0, "index", None):
        return False
    if axis in (1, "columns"):
        return True
    raise ValueError(f"{op}(): no axis named {axis!r}")
