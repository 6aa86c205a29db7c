"""Pipelines that the composition suite (``test_composition.py``) found
failing, shrunk and kept as plain tests. Each names what was wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from composition import Pipeline, check

import partframe


def _strings(values):
    return pd.array(values, dtype="str")


FOUND = {
    # A join on the index of frames with known divisions is aligned: the
    # logical Merge said 5 partitions with unknown divisions, its lowering
    # made 6 with the union of both sides' divisions.
    "join-index-aligned-divisions": Pipeline(
        pd.DataFrame({"s0": _strings(list("abcabcabca")), "f1": np.arange(10) / 4}),
        "empty-parts",
        [
            (
                "join_index",
                {"other": pd.DataFrame({"o_idx": [1, 2]}, index=[0, 3]), "nparts": 2},
            ),
            ("unary", {"col": "o_idx", "how": "clip"}),
        ],
    ),
    # Rows compared without their labels (after a merge) were re-ordered by
    # the labels after sorting by values, so equal results compared unequal.
    "merge-unordered-compare": Pipeline(
        pd.DataFrame(
            {
                "b0": pd.array([True, False, None, True, False, True], "boolean"),
                "b1": pd.array([False, False, True, None, True, True], "boolean"),
            }
        ),
        "3",
        [
            ("dropna", {"subset": ["b0"]}),
            ("astype", {"col": "b0", "dtype": "int64"}),
            (
                "merge",
                {
                    "other": pd.DataFrame(
                        {"b0": [0, 1, 1, 0], "o_val": [0.5, 1.5, 2.5, 3.5]}
                    ),
                    "key": "b0",
                    "how": "inner",
                    "nparts": 1,
                },
            ),
        ],
    ),
    # sort_values after a filter crashed in the optimizer (KeyError
    # 'projection-...'): the lowered Shuffle stayed unlowered.
    "filter-then-sort": Pipeline(
        pd.DataFrame({"i": [3, -1, 2, 0, 5, -4, 1], "f": np.linspace(0, 1, 7)}),
        "3",
        [
            ("filter_cmp", {"col": "i", "op": "gt", "value": 0}),
            ("sort_values", {"by": ["f"], "ascending": [False], "na_position": "last"}),
        ],
    ),
    # repartition(npartitions=) after reset_index of an assign crashed at
    # compute ("needs known divisions"): fusion hid the assign's partition
    # lengths from ResetIndex, whose divisions became unknown, and the
    # rebuilt repartition above it validated them.
    "reset-index-fused-then-repartition": Pipeline(
        pd.DataFrame({"int0": [3, 1, 0], "int1": [-2, -2, -4]}),
        "1",
        [
            ("assign_arith", {"out": "new0", "a": "int0", "op": "add", "b": "int0"}),
            ("reset_index", {"drop": False}),
            ("repartition", {"n": 2}),
        ],
    ),
}


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("name", sorted(FOUND))
def test_found_pipeline(name, scheduler):
    check(FOUND[name], scheduler)


def test_sort_by_values_when_a_column_is_named_like_an_index_level():
    """assert_eq orders rows by every column by position: a column labelled
    like an index level (a groupby-apply of a frame re-keyed by an assigned
    column) made pandas' sort_values ambiguous."""
    from partframe.testing import assert_eq

    pdf = pd.DataFrame(
        {"k": [2.0, 1.0, 2.0], "v": [1, 2, 3]},
        index=pd.Index([0.5, 0.25, 0.75], name="k"),
    )
    assert_eq(pdf, pdf.iloc[::-1], sort_results=True)


@pytest.mark.parametrize("nparts", [1, 2, 3, 5])
def test_reset_index_divisions_survive_fusion(nparts):
    """What ResetIndex knows of its input's lengths (pandas data below
    partition-wise nodes) must not depend on whether fusion ran."""
    from partframe.testing import assert_eq

    pdf = pd.DataFrame({"a": np.arange(5), "b": np.arange(5) * 0.5})
    ddf = partframe.from_pandas(pdf, npartitions=nparts)
    got = ddf.assign(c=ddf.a + ddf.a).reset_index()
    want = pdf.assign(c=pdf.a + pdf.a).reset_index()
    assert got.known_divisions
    for n in (1, 2, 4, 7):
        assert_eq(got.repartition(npartitions=n), want)
        assert_eq(got.repartition(divisions=[0, 2, 4]), want)
