"""Compare a query's answer with the reference answer (DuckDB's or pandas')."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

RTOL = 1e-6


def as_frame(answer: Any, scalar_name: str = "value") -> pd.DataFrame:
    """A query's computed answer as a frame with a fresh index."""
    if isinstance(answer, pd.DataFrame):
        return answer.reset_index(drop=True)
    if isinstance(answer, pd.Series):
        return answer.reset_index(drop=True).to_frame()
    return pd.DataFrame({scalar_name: [float(answer)]})


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    return "text"


def _same_column(a: pd.Series, b: pd.Series) -> bool:
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "number":
        x = a.to_numpy(dtype="float64", na_value=np.nan)
        y = b.to_numpy(dtype="float64", na_value=np.nan)
        return bool(np.allclose(x, y, rtol=RTOL, atol=1e-9, equal_nan=True))
    if kind == "date":
        x = a.astype("datetime64[ns]").to_numpy()
        y = b.astype("datetime64[ns]").to_numpy()
        return bool((x == y).all())
    return a.astype(object).tolist() == b.astype(object).tolist()


def _sorted_by_all(df: pd.DataFrame, keys: list[str], asc: list[bool]) -> pd.DataFrame:
    rest = [c for c in df.columns if c not in keys]
    by = keys + rest
    return df.sort_values(by, ascending=asc + [True] * len(rest), kind="stable")


def difference(
    got: pd.DataFrame, want: pd.DataFrame, order: list[tuple[str, bool]]
) -> str | None:
    """Why ``got`` is not ``want`` (None when it is).

    Columns must match by name and position (a column the SQL leaves
    unnamed, such as Q18's ``sum(l_quantity)``, by position); numbers agree
    to a relative ``RTOL``. ``got`` must be sorted on ``order``'s keys; rows
    whose keys tie may come in any order.
    """
    names = [
        g if isinstance(w, str) and "(" in w else w
        for g, w in zip(got.columns, want.columns)
    ]
    if len(got.columns) != len(want.columns) or list(got.columns) != names:
        return f"columns {list(got.columns)} != {list(want.columns)}"
    want = want.set_axis(names, axis=1)
    if len(got) != len(want):
        return f"{len(got)} rows != {len(want)}"
    keys = [k for k, _ in order]
    asc = [a for _, a in order]
    if keys:
        resorted = got.sort_values(keys, ascending=asc, kind="stable")
        for k in keys:
            if not _same_column(resorted[k], got[k]):
                return f"not sorted on {keys}"
    got_s = _sorted_by_all(got, keys, asc).reset_index(drop=True)
    want_s = _sorted_by_all(want, keys, asc).reset_index(drop=True)
    for c in got.columns:
        if not _same_column(got_s[c], want_s[c]):
            return f"column {c!r} differs"
    return None
