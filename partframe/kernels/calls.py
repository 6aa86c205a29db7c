"""Task functions that call other functions: keyword arguments, methods
looked up by name, per-partition helpers of the partition-wise nodes.

A task is a tuple of a module-level function and its arguments, so graphs
pickle and run anywhere. :func:`apply_kwargs` carries what a plain call
tuple cannot (keyword arguments, which may themselves be a task building
the dict); :func:`call_method` names a method; ``delayed`` graphs and the
partition-wise expressions are built of these.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "apply_kwargs",
    "assign_kernel",
    "call_method",
    "make_namedtuple",
    "set_index_values",
]


def make_namedtuple(typ: type, values: list) -> Any:
    """Rebuild a namedtuple of type ``typ`` from its computed fields."""
    return typ(*values)


def apply_kwargs(func: Any, kwargs: dict[str, Any], *args: Any) -> Any:
    """``func(*args, **kwargs)``: lets a task pass keyword arguments."""
    return func(*args, **kwargs)


def scalar_to_series(func: Any, *args: Any, **kwargs: Any) -> pd.Series:
    """``func``'s scalar result for one partition as a one-row Series."""
    return pd.Series([func(*args, **kwargs)])


def call_method(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``getattr(obj, name)(*args, **kwargs)`` as a module-level function."""
    return getattr(obj, name)(*args, **kwargs)


def assign_kernel(df: pd.DataFrame, names: list[Any], *values: Any) -> pd.DataFrame:
    """``df.assign`` with possibly non-string column names, on a copy.

    A value is aligned with ``df``'s rows, as pandas aligns it with the
    whole frame: pandas would give an empty frame (here, an empty
    partition) the value's index, i.e. rows that are not in the frame."""
    df = df.copy(deep=False)
    for name, value in zip(names, values):
        if not len(df.index) and isinstance(value, pd.Series | pd.DataFrame):
            value = value.iloc[:0]
        df[name] = value
    return df


def set_index_values(part: Any, index: pd.Index) -> Any:
    """``part`` with its index replaced by ``index`` (of the same length)."""
    part = part.copy(deep=False)
    part.index = index
    return part
