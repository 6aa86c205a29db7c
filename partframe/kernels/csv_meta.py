"""A parsed CSV block made to match the sampled meta, or told why it cannot.

pandas infers a block's dtypes from the block alone; the dataset's come
from a sample. :func:`enforce_meta` casts what is safe (integers to
floats, all-missing columns), parses text columns again as text, and
raises :class:`CSVDtypeError` naming every column that differs with the
``dtype=`` that reads them all. :func:`with_path` adds the path column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CSVDtypeError", "enforce_meta", "is_text", "with_path"]


class CSVDtypeError(ValueError):
    """A block of a CSV file has a column type that differs from the sample's."""


def with_path(df: pd.DataFrame, path_column: tuple | None) -> pd.DataFrame:
    """``df`` with the path column ``(name, dtype, value)`` of its file (None:
    ``df`` as it is)."""
    if path_column is None:
        return df
    name, dtype, value = path_column
    # a file without rows (no block of its own) may not be a category
    code = dtype.categories.get_loc(value) if len(df) else -1
    df = df.copy(deep=False) if len(df.columns) else df.copy()
    df[name] = pd.Categorical.from_codes(np.full(len(df), code, "int32"), dtype=dtype)
    return df


def is_text(dtype: Any) -> bool:
    """Is ``dtype`` a text dtype (``str`` or object, not categorical)?"""
    return pd.api.types.is_string_dtype(dtype) and not isinstance(
        dtype, pd.CategoricalDtype
    )


def enforce_meta(
    df: pd.DataFrame, meta: pd.DataFrame, where: str, data: Any, kwargs: dict
) -> pd.DataFrame:
    """Make a parsed block match ``meta`` exactly, or explain why it cannot.

    ``data`` is the block's bytes, or a function that returns them (called
    only when a column must be parsed again).
    """
    import io

    cols = [c for c in meta.columns if c in df.columns]
    if list(df.columns) != cols or len(cols) != len(meta.columns):
        missing = [c for c in meta.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in meta.columns]
        raise ValueError(
            f"{where} has columns {list(df.columns)}, expected "
            f"{list(meta.columns)} (missing: {missing}, extra: {extra})"
        )
    if len(df) == 0:
        return meta.copy()
    cast: dict = {}
    reparse: dict = {}
    wrong: list = []  # (column, found, expected)
    for c in meta.columns:
        want, got = meta[c].dtype, df[c].dtype
        if want == got:
            continue
        col = df[c]
        all_missing = bool(col.isna().all())
        if (
            pd.api.types.is_float_dtype(want)
            and (pd.api.types.is_integer_dtype(got) or all_missing)
        ) or (is_text(want) and all_missing):
            cast[c] = want
        elif is_text(want):
            reparse[c] = want
        elif all_missing and (
            pd.api.types.is_datetime64_any_dtype(want) or want == np.dtype(object)
        ):
            cast[c] = want
        else:
            wrong.append((c, got, want))
    if wrong:
        raise CSVDtypeError(_mismatch_message(wrong, where))
    if reparse:
        dtype = kwargs.get("dtype")
        dtype = dict(dtype) if isinstance(dtype, dict) else {}
        dtype.update(reparse)
        raw = data() if callable(data) else data
        df = pd.read_csv(io.BytesIO(raw), **{**kwargs, "dtype": dtype})
    if cast:
        df = df.astype(cast)
    return df


def _mismatch_message(wrong: list, where: str) -> str:
    """Every column of a block whose dtype differs from the sampled one, and
    the ``dtype=`` that reads them all (one error, not one per rerun)."""
    fix = ", ".join(f"{c!r}: {_widen(want, got)!r}" for c, got, want in wrong)
    if len(wrong) == 1:
        ((c, got, want),) = wrong
        msg = (
            f"column {c!r} is {got} in {where}, but {want} was inferred from "
            "a sample of the data. Set its type for every block: "
        )
    else:
        found = ", ".join(f"{c!r} ({got}, sampled as {want})" for c, got, want in wrong)
        msg = (
            f"columns {found} in {where} differ from the dtypes inferred from "
            "a sample of the data. Set their types for every block: "
        )
    msg += f"read_csv(..., dtype={{{fix}}})"
    dates = [c for c, _, want in wrong if pd.api.types.is_datetime64_any_dtype(want)]
    if dates:
        msg += (
            f"; or drop {dates} from parse_dates and convert them later with "
            "to_datetime (a value there is not a date)"
        )
    return msg


def _widen(want: Any, got: Any) -> str:
    numeric = pd.api.types.is_numeric_dtype
    if (
        numeric(want)
        and numeric(got)
        and not (pd.api.types.is_bool_dtype(want) or pd.api.types.is_bool_dtype(got))
    ):
        return "float64"
    if is_text(got) or is_text(want):
        return "str"
    return "object"
