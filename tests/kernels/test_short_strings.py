"""Short strings factorized as integers: exactly ``pd.factorize``'s codes
and uniques, or None where the column does not qualify; and groupby results
on such keys equal pandas'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import partframe
from partframe.kernels import short_strings
from partframe.kernels.short_strings import factorize_short_strings
from partframe.testing import assert_eq

ONE = ["A", "N", "R", "F", "O", "\x00", "z"]
TWO = ["AA", "AB", "BA", "é", "\x00a", "a\x00", "ZZ", "US", "DE"]


def _check(values: list, sort: bool, chunks: int = 1, dtype: str = "str"):
    arr = pa.array(values, type=pa.large_string())
    step = max(1, len(values) // chunks)
    pieces = [arr.slice(i, step) for i in range(0, len(values), step)]
    series = pd.Series(pd.array(pa.chunked_array(pieces, type=arr.type), dtype=dtype))
    got = factorize_short_strings(series, sort)
    want = pd.factorize(series, sort=sort)
    assert got is not None
    np.testing.assert_array_equal(got[0], want[0])
    pd.testing.assert_index_equal(got[1], want[1], exact=True)
    got = factorize_short_strings(series.array, sort)
    want = pd.factorize(series.array, sort=sort)
    assert got is not None
    np.testing.assert_array_equal(got[0], want[0])
    pd.testing.assert_extension_array_equal(got[1], want[1])


@pytest.fixture(autouse=True)
def _small(monkeypatch):
    monkeypatch.setattr(short_strings, "MIN_ROWS", 0)


@settings(max_examples=120, deadline=None)
@given(data=st.data(), sort=st.booleans(), chunks=st.integers(1, 4))
def test_one_and_two_byte_codes_as_pandas(data, sort, chunks):
    alphabet = data.draw(st.sampled_from([ONE, TWO]))
    words = data.draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=300))
    _check(words, sort, chunks)


def test_many_distinct_two_byte_codes_in_first_appearance_order():
    rng = np.random.default_rng(0)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    words = [a + b for a, b in rng.choice(letters, (5000, 2))]
    _check(words, sort=False, chunks=3)
    _check(words, sort=True, chunks=3)
    _check(words, sort=False, dtype="string[pyarrow]")


@pytest.mark.parametrize(
    "values, dtype",
    [
        (["a", "bb", "a"], "str"),  # lengths differ
        (["abc", "abd"], "str"),  # three bytes
        (["a", None, "b"], "str"),  # missing
        (["a", "b"], object),
        (["a", "b"], "string[python]"),
        (["a", "b"], "category"),
    ],
)
def test_other_columns_are_left_to_pandas(values, dtype):
    assert factorize_short_strings(pd.Series(values, dtype=dtype), True) is None


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("npartitions", [1, 3, 50])
def test_groupby_on_flags_equals_pandas(scheduler, npartitions):
    rng = np.random.default_rng(1)
    n = 400
    pdf = pd.DataFrame(
        {
            "flag": pd.array(rng.choice(["R", "A", "N"], n), dtype="str"),
            "code": pd.array(rng.choice(["DE", "US", "é", "FR"], n), dtype="str"),
            "x": rng.random(n),
        }
    )
    ddf = partframe.from_pandas(pdf, npartitions=npartitions)
    assert_eq(
        ddf.groupby(["flag", "code"]).x.agg(["sum", "mean", "count"]),
        pdf.groupby(["flag", "code"]).x.agg(["sum", "mean", "count"]),
        scheduler=scheduler,
    )
    assert_eq(
        ddf.groupby("flag", sort=False).x.sum(),
        pdf.groupby("flag", sort=False).x.sum(),
        scheduler=scheduler,
        check_index=True,
    )
