"""A partition split into shuffle pieces (split_by_partition, staged_split):
each piece holds exactly the rows sent to it, in their order, whatever the
shortcuts (rows already in order, one piece taking all, empty pieces)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as tm
from hypothesis import given, settings
from hypothesis import strategies as st

from partframe.kernels.shuffle import split_by_partition, staged_split


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"a": np.arange(n), "s": pd.array([f"r{i}" for i in range(n)], dtype="str")},
        index=pd.RangeIndex(n) * 3,
    )


destinations = st.integers(0, 40).flatmap(
    lambda n: st.tuples(
        st.integers(1, 9),
        st.sampled_from(["random", "sorted", "one"]),
        st.integers(0, 2**16),
    ).map(lambda t: (n, *t))
)


def _dests(n: int, k: int, how: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dest = rng.integers(0, k, n)
    if how == "sorted":
        dest = np.sort(dest)
    elif how == "one":
        dest = np.full(n, rng.integers(0, k))
    return dest.astype("int64")


@settings(max_examples=80, deadline=None)
@given(case=destinations)
def test_split_by_partition_sends_each_row_to_its_piece(case):
    n, k, how, seed = case
    df = _frame(n)
    dest = _dests(n, k, how, seed)
    pieces = split_by_partition(df, dest, k)
    assert len(pieces) == k
    for j, piece in enumerate(pieces):
        tm.assert_frame_equal(piece, df[dest == j])


@settings(max_examples=80, deadline=None)
@given(case=destinations, divisor=st.sampled_from([1, 2, 3]))
def test_staged_split_sends_each_row_and_its_destination(case, divisor):
    n, k, how, seed = case
    df = _frame(n)
    dest = _dests(n, k * divisor, how, seed)
    pieces = staged_split((df, dest), divisor, k)
    assert len(pieces) == k
    digit = (dest // divisor) % k
    for d, (piece, piece_dest) in enumerate(pieces):
        tm.assert_frame_equal(piece, df[digit == d])
        assert piece_dest.tolist() == dest[digit == d].tolist()
