"""Group keys: pandas Groupers and index levels named in ``by``."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "all_index_levels",
    "check_keys_given",
    "grouper_in_list",
    "grouper_key",
    "index_level_key",
    "level_positions",
]


def index_level_key(key: Any, meta: pd.DataFrame, series_input: bool) -> bool:
    """Whether ``by`` entry ``key`` names an index level (as pandas allows);
    a name that is both a column and a level is ambiguous, as in pandas."""
    if not isinstance(key, str | int | tuple) or key not in meta.index.names:
        return False
    if not series_input and key in meta.columns:
        raise ValueError(
            f"groupby key {key!r} is both an index level and a column label, "
            "which is ambiguous: rename one of them, or group by "
            f"level={key!r} or by the column df[{key!r}]"
        )
    return True


def all_index_levels(by: Any, meta: pd.DataFrame, series_input: bool) -> Any:
    """``by`` as a ``level=`` list when every key names an index level."""
    keys = by if isinstance(by, list) else [by]
    if keys and all(index_level_key(k, meta, series_input) for k in keys):
        return keys
    return None


def grouper_key(grouper: pd.Grouper) -> tuple[Any, Any, bool, bool]:
    """``(by, level, sort, dropna)`` grouping as ``groupby(grouper)`` does.

    A ``pandas.Grouper`` without ``freq`` groups by its ``key`` column or
    its index ``level`` with its own ``sort`` (False unless given) and
    ``dropna``, which override the ``groupby`` call's, as in pandas."""
    if getattr(grouper, "freq", None) is not None:
        raise NotImplementedError(
            f"groupby by {grouper!r}: partframe has no time binning by a "
            "Grouper's freq=; group by a column of binned times instead, e.g. "
            f"df.groupby(df[{grouper.key!r}].dt.floor({grouper.freq.freqstr!r}))"
        )
    if grouper.key is not None and grouper.level is not None:
        raise ValueError(f"{grouper!r}: give key= or level=, not both")
    if grouper.key is None and grouper.level is None:
        raise NotImplementedError(
            f"groupby by {grouper!r}: a Grouper with neither key= nor level= "
            "(grouping by the index values) is not supported; use level=0"
        )
    by = grouper.key
    level = grouper.level
    return by, level, bool(grouper.sort), bool(grouper.dropna)


def grouper_in_list(key: Any, sort: bool) -> Any:
    """The column or index level name a ``pandas.Grouper`` in a list of
    keys stands for; in a list the ``groupby`` call's ``sort`` and
    ``dropna`` apply, as in pandas."""
    if not isinstance(key, pd.Grouper):
        return key
    by, level, own_sort, _ = grouper_key(key)
    if own_sort and not sort:
        # pandas sorts that key's groups even then; which order the
        # combined keys take is not a plain sort=True or sort=False
        raise NotImplementedError(
            f"groupby by a list holding {key!r} with groupby(sort=False): "
            "pandas sorts that key alone; give sort=True to the groupby or "
            "sort=False to the Grouper"
        )
    if level is not None and not isinstance(level, str):
        raise NotImplementedError(
            f"groupby by a list holding {key!r}: name the index level "
            "(a level number in a list of keys would read as a column label)"
        )
    return by if by is not None else level


def check_keys_given(by: Any, level: Any) -> None:
    """Refuse a groupby without keys, with pandas' own messages."""
    if by is None and level is None:
        raise TypeError("You have to supply one of 'by' and 'level'")
    if (isinstance(by, list) and not by and level is None) or (
        isinstance(level, list | tuple) and not level and by is None
    ):
        # pandas' own message, which callers may match on
        raise ValueError(
            "No group keys passed! groupby got an empty list; give a column "
            "label, a partframe Series, or level= (or a list of them)"
        )


def level_positions(level: Any, names: list[Any]) -> list[int]:
    """The positions of the index levels ``level`` (a number, a name or a
    list of them) in an index whose level names are ``names``."""
    levels = level if isinstance(level, list | tuple) else [level]
    out = []
    for lvl in levels:
        if isinstance(lvl, int) and lvl not in names:
            if not -len(names) <= lvl < len(names):
                raise IndexError(f"level {lvl} out of range for the index")
            out.append(lvl % len(names))
        elif lvl in names:
            out.append(names.index(lvl))
        else:
            raise KeyError(f"level {lvl!r} not found; index levels: {names}")
    return out
