"""Task functions that run a pandas groupby call on whole groups.

After a shuffle puts every group in one partition, ``apply``,
``transform``, cumulative and per-group methods run as pandas runs them
on each partition.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .. import offload
from .enforce import widened_by_missing
from .groupby_finalize import cast_index, reset_index_objects, sort_order
from .keys import index_sorted_positions
from .selection import drop_columns
from .topn import fast_top_n_ok, group_top_n

# Columns that tag each row with its input partition and position, so rows
# shuffled by key can be put back in input order (transform, cumulative).
POS = "__pf_pos"
PART = "__pf_part"

_OBJECT = np.dtype(object)

# held while numpy's warnings of a cov/corr are silenced (see call_groupby)
_QUIET = threading.Lock()

#: A groupby apply of a partition with fewer rows stays in its thread.
OFFLOAD_MIN_ROWS = 10_000
#: A partition is cut into this many pieces per core it may use (so a
#: core that finishes first takes more) ...
PIECES_PER_WORKER = 2
#: ... of at least this many rows each.
PIECE_ROWS = 5_000


def groupby_call_partition(
    df: pd.DataFrame,
    gb_kwargs: dict,
    selection: Any,
    method: str,
    args: tuple,
    kwargs: dict,
    rename: dict,
    sort_levels: int,
    meta: Any,
    given: str | None = None,
    object_levels: tuple = (),
) -> Any:
    """Run a pandas groupby method on a whole (shuffled) partition;
    ``given`` names the call whose result must match a user's ``meta``;
    ``object_levels`` names the keys from object index levels (grouped
    here as columns, which pandas infers strings of)."""
    if not len(df):
        return meta
    if method in ("nlargest", "nsmallest") and not kwargs:
        n = args[0] if args else 5
        by = gb_kwargs["by"] if isinstance(gb_kwargs["by"], list) else [gb_kwargs["by"]]
        if fast_top_n_ok(df, by, selection):
            out = group_top_n(
                df,
                by,
                selection,
                n,
                method == "nlargest",
                gb_kwargs.get("sort", True),
                gb_kwargs.get("dropna", True),
            )
        else:
            out = _top_n(df, gb_kwargs, selection, n, method)
    else:
        out = call_groupby(df, gb_kwargs, selection, method, args, kwargs)
    if isinstance(out, pd.DataFrame | pd.Series) and not len(out):
        # no rows: pandas' shape of an empty result depends on whether any
        # group existed (every key missing gives no groups, and a function
        # is then never called); the meta is what every partition returns
        return meta
    out = rename_keys(out, rename)
    if object_levels:
        out = _object_level_keys(out, object_levels)
    if given is not None:
        out = check_result(out, meta, given)
    if sort_levels and isinstance(out, pd.DataFrame | pd.Series) and len(out) > 1:
        if out.index.nlevels > 1:
            out = _sort_levels(out, sort_levels)
        else:
            out = sort_result(out)
    return out


def groupby_apply_partition(df: pd.DataFrame, *args: Any) -> Any:
    """:func:`groupby_call_partition` of a user's function per group on
    pieces of whole groups shared with worker processes
    (:func:`partframe.offload.map_calls`): the function holds the GIL, a
    worker process has its own. The pieces' results, concatenated in
    order, are the partition's (see :func:`_group_pieces`)."""
    pieces = _group_pieces(df, args[0])
    if len(pieces) < 2:
        # one thread at a time: others would only contend for the GIL
        return offload.run_here(groupby_call_partition, df, *args)
    outs = offload.map_calls(groupby_call_partition, [(p, *args) for p in pieces])
    meta, sort_levels = args[7], args[6]
    outs = [o for o in outs if len(o)]
    if not outs:
        return meta
    out = outs[0] if len(outs) == 1 else pd.concat(outs)
    if sort_levels and len(out) > 1:  # pieces hold key ranges: a check
        out = (
            _sort_levels(out, sort_levels)
            if out.index.nlevels > 1
            else (sort_result(out))
        )
    return out


def _group_pieces(df: pd.DataFrame, gb_kwargs: dict) -> list[pd.DataFrame]:
    """``df`` cut into pieces of whole groups, the groups of each piece
    after those of the one before in pandas' group order (so the
    concatenated results of the pieces are the partition's, as those of
    partitions are the frame's); one piece when the work is too small to
    share (fewer than :data:`OFFLOAD_MIN_ROWS` rows, no worker allowed),
    when the result's index is a new RangeIndex (``as_index=False``), or
    when unobserved categories give every piece every group."""
    by = gb_kwargs["by"]
    keys = by if isinstance(by, list) else [by]
    workers = offload.max_workers()
    if (
        len(df) < OFFLOAD_MIN_ROWS
        or not workers
        or not gb_kwargs.get("as_index", True)
        or not all(isinstance(k, str | int | float) for k in keys)
        or (
            not gb_kwargs.get("observed", True)
            and any(isinstance(df[k].dtype, pd.CategoricalDtype) for k in keys)
        )
    ):
        return [df]
    codes = df.groupby(
        by,
        sort=gb_kwargs.get("sort", True),
        dropna=gb_kwargs.get("dropna", True),
        observed=gb_kwargs.get("observed", True),
    ).ngroup()
    codes = codes.fillna(-1).to_numpy(dtype=np.int64)  # no group: any piece
    ngroups = int(codes.max()) + 1 if len(codes) else 0
    npieces = min(PIECES_PER_WORKER * (workers + 1), ngroups, len(df) // PIECE_ROWS)
    if npieces < 2:
        return [df]
    # cut the groups where the rows before reach each piece's share
    sizes = np.bincount(codes[codes >= 0], minlength=ngroups)
    ends = np.searchsorted(
        np.cumsum(sizes), np.arange(1, npieces) * (len(df) / npieces)
    )
    piece = np.searchsorted(ends, np.maximum(codes, 0), side="right")
    return [df[piece == j] for j in range(npieces) if (piece == j).any()]


def _object_level_keys(obj: Any, names: tuple) -> Any:
    """Keys of an object index level as pandas' level groupby gives them:
    only numbers are inferred, anything else stays objects."""
    if not isinstance(obj, pd.DataFrame | pd.Series):
        return obj
    index = obj.index
    if any(n in names for n in index.names):
        levels = [
            cast_index(index.get_level_values(i), _OBJECT, True)
            if index.names[i] in names
            else index.get_level_values(i)
            for i in range(index.nlevels)
        ]
        obj = obj.set_axis(
            pd.MultiIndex.from_arrays(levels, names=index.names)
            if index.nlevels > 1
            else levels[0]
        )
    if isinstance(obj, pd.DataFrame):
        cols = [c for c in obj.columns if c in names]
        for c in cols:
            obj = obj.assign(
                **{c: cast_index(pd.Index(obj[c]), _OBJECT, True).to_numpy()}
            )
    return obj


def _top_n(
    df: pd.DataFrame, gb_kwargs: dict, selection: Any, n: int, method: str
) -> Any:
    """``groupby(...)[selection].nlargest(n)`` as one sort and one ``head``
    (pandas runs a Python call per group). Ties keep the first row, as
    ``keep="first"`` does; the result index is keys + original index."""
    by = gb_kwargs["by"]
    by = by if isinstance(by, list) else [by]
    sub = df
    ranked = sub[selection].reset_index(drop=True)
    ascending = method == "nsmallest"
    order = ranked.sort_values(
        ascending=ascending, kind="stable", na_position="last"
    ).index.to_numpy()
    top = sub.take(order)
    kw = {k: v for k, v in gb_kwargs.items() if k in ("dropna", "observed")}
    top = top.groupby(by if len(by) > 1 else by[0], sort=False, **kw).head(n)
    arrays = [top[b] for b in by] + [
        top.index.get_level_values(i) for i in range(top.index.nlevels)
    ]
    index = pd.MultiIndex.from_arrays(arrays, names=[*by, *top.index.names])
    out = pd.Series(top[selection].array, index=index, name=selection)
    order = index_sorted_positions(out.index, len(by))
    return out.iloc[order]


def _sort_levels(out: Any, nlevels: int) -> Any:
    order = index_sorted_positions(out.index, nlevels)
    return out if (order[1:] >= order[:-1]).all() else out.iloc[order]


def rename_keys(obj: Any, rename: dict) -> Any:
    if not isinstance(obj, pd.DataFrame | pd.Series):
        return obj
    if isinstance(obj, pd.Series) and obj.name == "__pf_values":
        obj = obj.rename(None)
    if not rename:
        return obj
    names = [rename.get(n, n) if isinstance(n, str) else n for n in obj.index.names]
    if list(names) != list(obj.index.names):
        obj = obj.copy(deep=False)
        obj.index = obj.index.set_names(names)
    if isinstance(obj, pd.DataFrame) and any(
        isinstance(c, str) and c in rename for c in obj.columns
    ):
        obj = obj.rename(columns=rename)
    return obj


def tag_rows(df: pd.DataFrame, partition: int) -> pd.DataFrame:
    """``df`` with its partition number and row positions as two columns."""
    out = df.copy(deep=False)
    out[PART] = partition
    out[POS] = range(len(df))
    return out


def restore_rows(df: pd.DataFrame, value: Any) -> Any:
    """Sort rows back into their original order and drop the tags.

    ``value`` is the result column to return as a Series (or None to return
    the frame without the tag columns).
    """
    if len(df) > 1:
        pos = df[POS].to_numpy()
        if not (pos[1:] >= pos[:-1]).all():
            df = df.iloc[pos.argsort(kind="stable")]
    if value is not None:
        out = df[value]
        return out
    return drop_columns(df, [PART, POS])


def restore_named(df: pd.DataFrame, value: Any, meta: Any) -> Any:
    out = restore_rows(df, value)
    if isinstance(meta, pd.Series):
        out = out.rename(meta.name)
    else:
        out.columns = meta.columns
    return out


def reset_index_offset(
    df: pd.DataFrame, lengths: list[Any], columns: Any
) -> pd.DataFrame:
    """``df.reset_index()`` numbered after the rows of earlier partitions.

    ``columns`` are pandas' ``as_index=False`` result's: the keys it
    inserted, then ``df``'s own columns. pandas inserts no key whose label
    an output has, so a key level missing from the leading columns is
    dropped (all of them when ``columns`` name only ``df``'s columns)."""
    width = len(df.columns) if isinstance(df, pd.DataFrame) else 1
    inserted = list(columns[: len(columns) - width])
    drop = [i for i, n in enumerate(df.index.names) if n not in inserted]
    if inserted and drop and len(drop) < df.index.nlevels:
        df = df.droplevel(drop)
    keys = len(columns) > width
    out = reset_index_objects(df) if keys else df.reset_index(drop=True)
    if isinstance(out, pd.Series):  # one value column, no key inserted
        out = out.to_frame()
    out.columns = columns
    start = sum(lengths)
    out.index = pd.RangeIndex(start, start + len(out))
    return out


def pivot_finish(
    agged: Any, values: Any, index: list, columns: Any, fill_value: Any
) -> Any:
    """The pivot table from the aggregated table (one row per index and
    column key): pandas' own ``pivot_table`` on it, so the layout, the
    dropping of all-NaN rows and the int/float dtypes are pandas' own."""
    import pandas as pd

    flat = agged.reset_index()
    return pd.pivot_table(
        flat,
        values=values,
        index=index,
        columns=columns,
        aggfunc="first",
        fill_value=fill_value,
        sort=True,
    )


def groupby_transform_partition(
    df: pd.DataFrame,
    gb_kwargs: dict,
    selection: Any,
    method: str,
    args: tuple,
    kwargs: dict,
    keep_rows: bool,
    empty: Any = None,
    check: tuple | None = None,
) -> pd.DataFrame:
    """A row-aligned groupby method on a shuffled partition, tags kept.

    ``empty`` is the result of an empty partition (pandas cannot call a
    user function on no groups); ``check`` is ``(call name, meta)``, a
    user's ``meta=`` the values must match."""
    if empty is not None and not len(df):
        return empty
    if keep_rows:  # head/tail: a subset of the rows, tags included
        return call_groupby(df, gb_kwargs, None, method, args, kwargs)
    res = call_groupby(df, gb_kwargs, selection, method, args, kwargs)
    if check is not None:
        res = check_result(res, check[1], check[0])
    if not len(res) and len(df):
        # every key missing (dropna=True): pandas finds no group and returns
        # no rows; each row's value is missing, in the meta's dtypes
        base = res if empty is None else drop_columns(empty, [PART, POS])
        res = base.reindex(df.index)
    if isinstance(res, pd.Series):
        res = res.to_frame("__pf_value")
    else:
        res = res.copy(deep=False)
    res[PART] = df[PART].to_numpy()
    res[POS] = df[POS].to_numpy()
    return res


def level_columns(df: pd.DataFrame, levels: list, names: list) -> pd.DataFrame:
    """``df`` with index levels ``levels`` copied into columns ``names``."""
    out = df.copy(deep=False)
    for lvl, name in zip(levels, names):
        out[name] = df.index.get_level_values(lvl)
    return out


def call_groupby(
    df: pd.DataFrame,
    gb_kwargs: dict,
    selection: Any,
    method: str,
    args: tuple,
    kwargs: dict,
) -> Any:
    """``df.groupby(**gb_kwargs)[selection].method(*args, **kwargs)``.

    ``cov``/``corr`` of a one-row group make numpy warn (degrees of freedom
    <= 0) beside the NaN that is the answer: silenced, as Dask does.
    Python's warning filters are process-wide, so the silenced calls take
    a lock (other threads' warnings are not lost, only those calls run one
    at a time)."""
    g = df.groupby(**gb_kwargs)
    if selection is not None:
        g = g[selection]
    if method in ("cov", "corr"):
        with _QUIET, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return getattr(g, method)(*args, **kwargs)
    return getattr(g, method)(*args, **kwargs)


def check_result(out: Any, meta: Any, what: str) -> Any:
    """``out``, a user function's result, if it matches the ``meta=`` the
    user gave (type, columns, dtypes); a Series takes the meta's name (the
    label the user chose). ``what`` names the call in the error.

    Examples
    --------
    >>> check_result(pd.Series([1.0]), pd.Series([], dtype="f8", name="v"), "f")
    0    1.0
    Name: v, dtype: float64
    >>> check_result(pd.Series([1]), pd.Series([], dtype="f8", name="v"), "f")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: f: a group's result has dtype int64, meta= says float64; pass ...
    """
    fix = "pass meta= with the dtype the function returns (or omit meta= to infer it)"
    if isinstance(meta, pd.Series) and isinstance(out, pd.Series):
        if out.dtype != meta.dtype and not widened_by_missing(out, meta.dtype):
            raise ValueError(
                f"{what}: a group's result has dtype {out.dtype}, meta= says "
                f"{meta.dtype}; {fix}"
            )
        return out if out.name == meta.name else out.rename(meta.name)
    if isinstance(meta, pd.DataFrame) and isinstance(out, pd.DataFrame):
        if list(out.columns) != list(meta.columns):
            raise ValueError(
                f"{what}: a group's result has columns {list(out.columns)}, "
                f"meta= says {list(meta.columns)}; pass meta= with the columns "
                "the function returns (or omit meta= to infer it)"
            )
        # A column the input held widened by missing values (the meta keeps
        # pandas' dtype for data without them) stays widened.
        bad = [
            f"{c!r}: {a} (meta= says {b})"
            for i, (c, a, b) in enumerate(zip(meta.columns, out.dtypes, meta.dtypes))
            if a != b and not widened_by_missing(out.iloc[:, i], b)
        ]
        if bad:
            raise ValueError(f"{what}: a group's result has dtypes {bad}; {fix}")
        return out
    raise TypeError(
        f"{what}: a group's result is a {type(out).__name__}, meta= says "
        f"{type(meta).__name__}; pass meta= of the kind the function returns"
    )


def sort_result(obj: Any) -> Any:
    """Sort a per-partition groupby result by its index (NaN last)."""
    order = sort_order(obj.index)
    return obj if order is None else obj.iloc[order]
