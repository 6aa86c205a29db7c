"""Tokens of big pandas objects are hashed once per unchanged object.

``partframe.tokenize`` keeps the content hash of a big frame or Series
together with a shallow copy of it (a copy-on-write reference), and reuses
it only while the object holds the very same blocks; ``from_pandas`` keeps
the split of the same data object. These tests check that an unchanged
object is hashed and split once, and that every way of changing it through
pandas gives the token (and the results) of the changed data.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe import tokenize as tk
from partframe.expr.sources import splits_made
from partframe.testing import assert_eq
from partframe.tokenize import content_hashes, tokenize

ROWS = 5000  # above the cache's size threshold (cells)


def _frame(rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "a": rng.random(rows),
            "b": rng.integers(0, 9, rows),
            "s": [f"s{i % 13}" for i in range(rows)],
        }
    )


def test_unchanged_frame_is_hashed_once() -> None:
    df = _frame()
    before = content_hashes()
    first = tokenize(df)
    assert content_hashes() == before + 1
    assert tokenize(df) == first
    assert tokenize(df) == first
    assert content_hashes() == before + 1
    # an equal frame (another object) hashes to the same token
    assert tokenize(df.copy()) == first


def test_small_frames_are_not_kept() -> None:
    small = pd.DataFrame({"a": range(10)})
    before = content_hashes()
    tokenize(small)
    assert content_hashes() == before
    assert tokenize(small) != tokenize(pd.DataFrame({"a": range(1, 11)}))


MUTATIONS: dict[str, Callable[[Any], None]] = {
    "iloc": lambda d: d.iloc.__setitem__((0, 0), -1.0),
    "loc": lambda d: d.loc.__setitem__((5, "b"), 100),
    "at": lambda d: d.at.__setitem__((7, "a"), 3.5),
    "iat": lambda d: d.iat.__setitem__((9, 1), 42),
    "string": lambda d: d.iloc.__setitem__((3, 2), "zz"),
    "column": lambda d: d.__setitem__("b", d["b"] + 1),
    "new column": lambda d: d.__setitem__("c", 1.0),
    "mask": lambda d: d.loc.__setitem__((d["a"] > 0.5, "a"), 0.0),
    "fillna inplace": lambda d: (
        d.iloc.__setitem__((1, 0), np.nan),
        d.fillna(7.0, inplace=True),
    ),
    "replace inplace": lambda d: d.replace({"b": {3: 30}}, inplace=True),
    "update": lambda d: d.update(pd.DataFrame({"a": [9.0]}, index=[4])),
    "drop inplace": lambda d: d.drop(columns=["b"], inplace=True),
    "pop": lambda d: d.pop("s"),
    "sort inplace": lambda d: d.sort_values("a", inplace=True),
    "rename columns": lambda d: d.rename(columns={"a": "z"}, inplace=True),
    "set columns": lambda d: setattr(d, "columns", ["x", "y", "z"]),
    "set index": lambda d: setattr(d, "index", d.index + 1),
    "index name": lambda d: setattr(d.index, "name", "i"),
}


# (pandas 3.1 deprecates some of these in-place forms; users still write them)
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutated_frame_gets_the_token_of_its_new_content(name: str) -> None:
    df = _frame()
    old = tokenize(df)
    MUTATIONS[name](df)
    new = tokenize(df)
    assert new != old
    # exactly the token of a fresh object with that content
    assert new == tokenize(df.copy())
    assert tokenize(df) == new


SERIES_MUTATIONS: dict[str, Callable[[Any], None]] = {
    "iloc": lambda s: s.iloc.__setitem__(0, -1.0),
    "setitem": lambda s: s.__setitem__(3, 5.0),
    "loc": lambda s: s.loc.__setitem__(s > 0.5, 0.0),
    "fillna": lambda s: (s.iloc.__setitem__(2, np.nan), s.fillna(1.0, inplace=True)),
    "name": lambda s: setattr(s, "name", "other"),
}


@pytest.mark.parametrize("name", list(SERIES_MUTATIONS))
def test_mutated_series_gets_the_token_of_its_new_content(name: str) -> None:
    s = _frame()["a"].copy()
    old = tokenize(s)
    SERIES_MUTATIONS[name](s)
    assert tokenize(s) != old
    assert tokenize(s) == tokenize(s.copy())


def test_changed_back_frame_gets_its_old_token() -> None:
    df = _frame()
    old = tokenize(df)
    value = df.iloc[0, 0]
    df.iloc[0, 0] = -5.0
    assert tokenize(df) != old
    df.iloc[0, 0] = value
    assert tokenize(df) == old


def test_entry_goes_with_the_frame() -> None:
    df = _frame()
    tokenize(df)
    key = id(df)
    assert key in tk._content_cache
    del df
    gc.collect()
    assert key not in tk._content_cache


@pytest.mark.parametrize("npartitions", [1, 3, 47])
def test_from_pandas_again_splits_once_and_sees_changes(
    npartitions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tk, "_CACHE_MIN_CELLS", 1)  # (kept however small)
    rows = 40
    pdf = _frame(rows)

    def query(data: Any) -> Any:
        return data[data.a > 0.25].groupby("s").b.sum()

    before = splits_made()
    got = query(partframe.from_pandas(pdf, npartitions=npartitions))
    assert_eq(got, query(pdf))
    got = query(partframe.from_pandas(pdf, npartitions=npartitions))
    assert_eq(got, query(pdf))
    assert splits_made() == before + 1
    # changed in place: a new token, a new split, the new data's results
    pdf.loc[pdf.index[: rows // 2], "b"] = 1000
    got = query(partframe.from_pandas(pdf, npartitions=npartitions))
    assert_eq(got, query(pdf))
    assert splits_made() == before + 2
    # an equal copy is a different object: split again, same results
    copy = pdf.copy()
    assert_eq(query(partframe.from_pandas(copy, npartitions=npartitions)), query(pdf))


def test_empty_frame_from_pandas_twice() -> None:
    pdf = _frame().iloc[:0]
    for _ in range(2):
        df = partframe.from_pandas(pdf, npartitions=3)
        assert_eq(df[df.a > 0], pdf[pdf.a > 0])


LABELS = [
    pd.Index(["a", "b"]),
    pd.Index(["b", "a"]),
    pd.Index(["1", "2"]),
    pd.Index([1, 2]),
    pd.Index([1.0, 2.0]),
    pd.Index([1, "2"], dtype=object),
    pd.Index(["1", "2"], dtype=object),
    pd.Index([None, "a"], dtype=object),
    pd.Index([np.nan, 1.0]),
    pd.Index(["a", "b"], name="n"),
    pd.Index(pd.to_datetime(["2024-01-01", "2024-01-02"])),
    pd.Index(pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC")),
    pd.CategoricalIndex(["a", "b"]),
    pd.CategoricalIndex(["a", "b"], categories=["b", "a"]),
    pd.Index(pd.array([1, None], dtype="Int64")),
    pd.Index([(1, 2), (3, 4)], tupleize_cols=False),
]


def test_small_index_tokens_tell_labels_apart() -> None:
    tokens = [tokenize(idx) for idx in LABELS]
    assert len(set(tokens)) == len(tokens)
    # deterministic, and equal indexes (other objects) agree
    assert tokens == [tokenize(idx.copy()) for idx in LABELS]
    frames = [pd.DataFrame(columns=idx) for idx in LABELS[:8]]
    assert len({tokenize(f) for f in frames}) == len(frames)


def test_a_frame_dying_while_the_split_cache_is_locked_does_not_deadlock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The entries' weakref callbacks run wherever the garbage collector
    # does, inside the cache's own locked block too: they must not lock.
    import threading

    from partframe.expr import sources

    monkeypatch.setattr(tk, "_CACHE_MIN_CELLS", 1)
    holder = {"pdf": _frame(40)}
    partframe.from_pandas(holder["pdf"], npartitions=3)
    assert any(v[0]() is holder["pdf"] for v in sources._SPLITS.values())

    def drop_while_locked() -> None:
        with sources._cache_lock:
            del holder["pdf"]
            gc.collect()

    thread = threading.Thread(target=drop_while_locked, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert all(v[0]() is not None for v in sources._SPLITS.values())
