"""The 22 TPC-H queries of ``benchmarks/tpch`` on partframe, against pandas.

Each query function runs twice on a tiny generated database
(``tpch_tiny.py``): on pandas frames (the reference: the functions use only
the API pandas, partframe and dask.dataframe share) and on partframe frames
split into partitions in several ways. Every query returns rows on this
data, so a wrong join, filter or aggregation changes the answer.
"""

from __future__ import annotations

import os
import sys

import pandas as pd
import pytest
import tpch_tiny
from frames import variant

from partframe.testing import assert_eq

sys.path.insert(
    0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "tpch")
)
from answers import as_frame
from queries import QUERIES, SCALAR_NAME

TABLES = tpch_tiny.tables()


@pytest.fixture(scope="module", params=["1", "3", "empty-parts"])
def split(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    """(partframe tables, the pandas tables they hold)."""
    lazy, expected = {}, {}
    for name, pdf in TABLES.items():
        lazy[name], expected[name] = variant(pdf, request.param)
    return lazy, expected


def _answer(result: object, q: int) -> pd.DataFrame:
    compute = getattr(result, "compute", None)
    if compute is not None and not isinstance(result, pd.DataFrame | pd.Series):
        result = compute(scheduler="sync")
    return as_frame(result, SCALAR_NAME.get(q, "value"))


def test_every_query_has_rows() -> None:
    for q, fn in QUERIES.items():
        want = as_frame(fn(TABLES), SCALAR_NAME.get(q, "value"))
        assert len(want) and (want.iloc[0] != 0).any(), q


@pytest.mark.parametrize("q", sorted(QUERIES))
def test_query(q: int, split: tuple[dict, dict]) -> None:
    lazy, expected = split
    want = as_frame(QUERIES[q](expected), SCALAR_NAME.get(q, "value"))
    got = _answer(QUERIES[q](lazy), q)
    assert_eq(got, want, check_index=False)
