"""Column selection by position (kernels/selection.py) equals pandas'
selection by label, through the block manager and through the fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partframe.kernels import selection
from partframe.kernels.selection import drop_columns, select_columns, take_columns

LABELS = {
    "str": ["a", "b", "cc", "d", "e"],
    "int": [3, 1, 4, 0, 2],
    "object": [1, "a", 2.5, "b", ("t",)],
    "named": ["a", "b", "cc", "d", "e"],
}


def _frame(kind: str, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(rows)
    labels = LABELS[kind]
    columns = pd.Index(labels, dtype=object) if kind == "object" else pd.Index(labels)
    if kind == "named":
        columns = columns.rename("fields")
    data = [
        rng.integers(0, 9, rows),
        rng.normal(size=rows),
        pd.array([f"s{i}" for i in range(rows)], dtype="str"),
        pd.array(rng.integers(0, 9, rows), dtype="Int64"),
        pd.Categorical(rng.choice(["x", "y"], rows)),
    ]
    df = pd.DataFrame(dict(enumerate(data)), index=pd.RangeIndex(rows) * 2)
    df.columns = columns
    return df


@pytest.fixture(params=[True, False], ids=["manager", "fallback"])
def path(request, monkeypatch):
    monkeypatch.setattr(selection, "_BY_MANAGER", request.param)
    return request.param


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(LABELS)),
    rows=st.sampled_from([0, 1, 7]),
    picks=st.lists(st.integers(0, 4), unique=True, max_size=5),
)
def test_select_and_drop_equal_pandas(kind, rows, picks):
    for by_manager in (True, False):
        selection._BY_MANAGER = by_manager
        try:
            df = _frame(kind, rows)
            labels = [df.columns[i] for i in picks]
            tm.assert_frame_equal(select_columns(df, labels), df[labels])
            tm.assert_frame_equal(drop_columns(df, labels), df.drop(columns=labels))
            tm.assert_frame_equal(take_columns(df, picks), df.take(picks, axis=1))
        finally:
            selection._BY_MANAGER = True


def test_a_selection_is_not_a_view_for_writes(path):
    df = _frame("str", 4)
    before = df.copy()
    for out in (
        select_columns(df, ["b", "a"]),
        select_columns(df, ["a", "b"]),
        drop_columns(df, ["e"]),
    ):
        out.iloc[0, 0] = 99
        tm.assert_frame_equal(df, before)


def test_duplicate_and_missing_labels_behave_as_pandas(path):
    df = pd.DataFrame([[1, 2, 3]], columns=["x", "x", "y"])
    tm.assert_frame_equal(take_columns(df, [1, 2]), df.take([1, 2], axis=1))
    tm.assert_frame_equal(take_columns(df, [2, 0, 1]), df.take([2, 0, 1], axis=1))
    tm.assert_frame_equal(select_columns(df, ["y", "x"]), df[["y", "x"]])
    tm.assert_frame_equal(drop_columns(df, ["x"]), df.drop(columns=["x"]))
    with pytest.raises(KeyError):
        select_columns(_frame("str", 2), ["a", "zz"])
    with pytest.raises(KeyError):
        drop_columns(_frame("str", 2), ["zz"])


def test_multiindex_columns(path):
    df = pd.DataFrame(
        np.arange(6).reshape(2, 3),
        columns=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)]),
    )
    tm.assert_frame_equal(take_columns(df, [2, 0]), df.take([2, 0], axis=1))
    tm.assert_frame_equal(drop_columns(df, [("a", 2)]), df.drop(columns=[("a", 2)]))


def test_equal_labels_of_other_types_are_not_mixed():
    # 1, 1.0 and True are equal as dict keys; an object index keeps each
    a = pd.DataFrame([[1, 2]], columns=pd.Index([1, "z"], dtype=object))
    b = pd.DataFrame([[1, 2]], columns=pd.Index([True, "z"], dtype=object))
    assert take_columns(a, [0]).columns[0] is not True
    assert take_columns(b, [0]).columns[0] is True
