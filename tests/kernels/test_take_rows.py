"""``take_rows``: strings taken from their distinct values equal a plain take.

Sorts use that path only from ``STRING_TAKE_ROWS`` rows, more than most
tests' frames hold, so it is checked here on small frames with the row
threshold at 0 (hypothesis), and once through a sort at the threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from partframe.kernels import sorting
from partframe.kernels.sorting import sort_partition, take_rows

_TEXT = st.one_of(st.none(), st.text(alphabet="ab\u00e9", max_size=3))


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(_TEXT, min_size=0, max_size=40),
    dtype=st.sampled_from(["str", "string[pyarrow]"]),
    seed=st.integers(0, 2**16),
)
def test_string_take_equals_a_plain_take(values, dtype, seed):
    df = pd.DataFrame(
        {"s": pd.array(values, dtype=dtype), "x": np.arange(len(values))},
        index=np.arange(len(values))[::-1],
    )
    order = np.random.default_rng(seed).permutation(len(values))
    factors = {"s": pd.factorize(df["s"])}
    got = take_rows(df, order, factors, min_rows=0)
    pd.testing.assert_frame_equal(got, df.take(order))


def test_sort_at_the_threshold_equals_pandas(monkeypatch):
    monkeypatch.setattr(sorting, "STRING_TAKE_ROWS", 50)
    rng = np.random.default_rng(1)
    n = 50
    df = pd.DataFrame(
        {
            "k": rng.integers(0, 4, n),
            "s": pd.array(rng.choice(["x", "yy", None], n), dtype="str"),
            "t": pd.array([f"v{i % 7}" for i in range(n)], dtype="str"),
        }
    )
    on, ascending = ["k", "s"], [True, False]
    want = df.sort_values(on, ascending=ascending, kind="stable")
    got = sort_partition(df, on, ascending, "last")
    pd.testing.assert_frame_equal(got, want)


def test_the_threshold_decides_the_path(monkeypatch):
    calls = []
    real = sorting._take_strings
    monkeypatch.setattr(
        sorting, "_take_strings", lambda *a: calls.append(1) or real(*a)
    )
    df = pd.DataFrame({"s": pd.array(["b", "a", "c"], dtype="str")})
    factors = {"s": pd.factorize(df["s"])}
    take_rows(df, np.array([1, 0, 2]), factors)
    assert calls == []  # 3 rows: a plain take
    monkeypatch.setattr(sorting, "STRING_TAKE_ROWS", 3)
    got = take_rows(df, np.array([1, 0, 2]), factors)
    assert calls == [1]
    pd.testing.assert_frame_equal(got, df.take([1, 0, 2]))
