"""Groupby on keys that the first key determines (an id with its name,
address...): the groups are those of the first key, the other keys are
compared with their group's first row instead of factorized
(``kernels/groupby._dependent_keys``). Results equal pandas', and keys that
are not determined (a difference past the probed rows, missing values)
take the general path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe
import partframe.kernels.groupby as kgroupby
from partframe.testing import assert_eq


def _customers(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, n // 4, n)
    return pd.DataFrame(
        {
            "cust": cust,
            "name": pd.array([f"Customer#{c:09d}" for c in cust], dtype="str"),
            "balance": cust * 0.5 - 100.0,
            "segment": pd.array([f"s{c % 5}" for c in cust], dtype="str"),
            "since": pd.to_datetime(cust, unit="D"),
            "flag": cust % 2 == 0,
            "x": rng.random(n),
        }
    )


def _spy(monkeypatch) -> list:
    used: list = []
    original = kgroupby._dependent_keys

    def spy(*args):
        out = original(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(kgroupby, "_dependent_keys", spy)
    return used


KEYS = ["cust", "name", "balance", "segment", "since", "flag"]


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("npartitions", [1, 4, 37])
def test_keys_determined_by_the_first(sort, npartitions, monkeypatch):
    used = _spy(monkeypatch)
    pdf = _customers(2000)
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    for keys in (KEYS, ["cust", "name"], ["cust", "since", "flag"]):
        want = pdf.groupby(keys, sort=sort).x.agg(["sum", "count", "max"])
        got = df.groupby(keys, sort=sort).x.agg(["sum", "count", "max"])
        for scheduler in ("sync", "threads"):
            assert_eq(got, want, scheduler=scheduler, sort_results=not sort)
        named = df.groupby(keys, sort=sort).agg(total=("x", "sum")).reset_index()
        want_named = pdf.groupby(keys, sort=sort).agg(total=("x", "sum"))
        assert_eq(
            named,
            want_named.reset_index(),
            sort_results=not sort,
            check_index=sort,  # (0..n-1 in the groups' order)
        )
    assert any(used)


@pytest.mark.parametrize("where", [5, 1500])  # inside and past the probe
def test_a_key_not_determined_takes_the_general_path(where, monkeypatch):
    used = _spy(monkeypatch)
    pdf = _customers(2000)
    # one row of a group whose name differs from its group's first row
    first_of = pdf.groupby("cust").cumcount() == 0
    row = int(np.flatnonzero(~first_of.to_numpy())[where % (~first_of).sum()])
    pdf.loc[row, "name"] = "someone else"
    df = partframe.from_pandas(pdf, npartitions=1)
    want = pdf.groupby(KEYS).x.sum()
    assert_eq(df.groupby(KEYS).x.sum(), want)
    assert used and not any(used)


def test_missing_key_values_take_the_general_path(monkeypatch):
    used = _spy(monkeypatch)
    pdf = _customers(400)
    pdf["segment"] = pdf["segment"].where(pdf.cust % 7 != 0)
    df = partframe.from_pandas(pdf, npartitions=2)
    for dropna in (True, False):
        want = pdf.groupby(KEYS, dropna=dropna).x.sum()
        assert_eq(df.groupby(KEYS, dropna=dropna).x.sum(), want)
    assert not any(used)


def test_object_keys_of_mixed_types(monkeypatch):
    # object keys holding strings and numbers compare element by element
    used = _spy(monkeypatch)
    pdf = pd.DataFrame(
        {
            "k": [1, 1, 2, 2, 3, 3],
            "o": pd.array(["a", "a", 2, 2, 3.5, 3.5], dtype=object),
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    df = partframe.from_pandas(pdf, npartitions=1)
    assert_eq(df.groupby(["k", "o"]).x.sum(), pdf.groupby(["k", "o"]).x.sum())
    assert used == [True]
