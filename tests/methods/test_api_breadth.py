"""Smaller pandas and Dask APIs against pandas over every partitioning:
``is_monotonic_*``, ``clear_divisions``, ``add_prefix``/``add_suffix``,
``read_table``, ``groupby(...).median(split_every=)``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant
from hypothesis import given, settings
from hypothesis import strategies as st

import partframe
from partframe.testing import assert_eq


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_is_monotonic(how, scheduler):
    pdf = make_pdf(n=30)
    pdf = pdf.assign(up=np.arange(30) // 4, down=-np.arange(30), flat=1)
    ddf, pdf = variant(pdf, how)
    for col in ["up", "down", "flat", "i", "f", "t", "s"]:
        for name in ("is_monotonic_increasing", "is_monotonic_decreasing"):
            got = getattr(ddf[col], name).compute(scheduler=scheduler)
            assert got == getattr(pdf[col], name), (col, name)
    assert (
        ddf.index.is_monotonic_increasing.compute() == pdf.index.is_monotonic_increasing
    )
    assert (
        ddf.index.is_monotonic_decreasing.compute() == pdf.index.is_monotonic_decreasing
    )


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.integers(0, 6), min_size=0, max_size=25),
    nparts=st.integers(1, 25),
)
def test_is_monotonic_across_any_boundaries(values, nparts):
    s = pd.Series(values, dtype="int64")
    ds = partframe.from_pandas(s, npartitions=max(1, min(nparts, len(s) or 1)))
    assert ds.is_monotonic_increasing.compute() == s.is_monotonic_increasing
    assert ds.is_monotonic_decreasing.compute() == s.is_monotonic_decreasing


def test_clear_divisions_keeps_the_partitions():
    ddf, pdf = variant(make_pdf(), "3")
    got = ddf.clear_divisions()
    assert not got.known_divisions and got.npartitions == 3
    assert_eq(got, pdf)
    assert_eq(got.f.sum(), pdf.f.sum())


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_add_prefix_and_suffix(how):
    ddf, pdf = variant(make_pdf(), how)
    assert_eq(ddf.add_prefix("p_"), pdf.add_prefix("p_"))
    assert_eq(ddf.add_suffix("_s"), pdf.add_suffix("_s"))
    assert_eq(
        ddf.add_prefix("r", axis=0), pdf.add_prefix("r", axis=0), check_divisions=False
    )
    assert_eq(ddf.f.add_prefix("r"), pdf.f.add_prefix("r"), check_divisions=False)
    assert_eq(ddf.f.add_suffix("!"), pdf.f.add_suffix("!"), check_divisions=False)


def test_read_table_reads_tabs(tmp_path):
    pdf = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    path = tmp_path / "t.tsv"
    pdf.to_csv(path, sep="\t", index=False)
    assert_eq(partframe.read_table(str(path)), pd.read_table(path), check_index=False)
    assert_eq(
        partframe.read_table(str(path), sep=","),
        pd.read_table(path, sep=","),
        check_index=False,
    )


def test_groupby_median_takes_split_every():
    ddf, pdf = variant(make_pdf(), "3")
    got = ddf.groupby("i").f.median(split_every=2)
    assert_eq(got, pdf.groupby("i").f.median())


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_groupby_cov_and_corr(how, scheduler):
    ddf, pdf = variant(make_pdf(n=60), how)
    cols = ["i", "f", "n"]
    # numpy warns for pandas' one-row groups; partframe silences it, as Dask
    # (the suite turns warnings into errors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = pdf[cols].groupby("i").cov()
        want_corr = pdf[[*cols, "c"]].groupby("c", observed=True).corr()
        want_ddof = pdf[cols].groupby("i").cov(ddof=0, min_periods=2)
    assert_eq(ddf[cols].groupby("i").cov(), want, scheduler=scheduler)
    got = ddf[[*cols, "c"]].groupby("c", observed=True).corr()
    assert_eq(got, want_corr, scheduler=scheduler)
    got = ddf[cols].groupby("i").cov(ddof=0, min_periods=2)
    assert_eq(got, want_ddof, scheduler=scheduler)
    with pytest.raises(NotImplementedError, match="two columns"):
        ddf.groupby("i").f.cov()


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_groupby_cov_of_a_one_row_group_does_not_warn(scheduler):
    pdf = pd.DataFrame(
        {"k": [1, 1, 2, 1], "x": [1.0, 2.0, 3.0, 5.0], "y": [2.0, 1, 0, 4]}
    )
    ddf = partframe.from_pandas(pdf, npartitions=2)
    with pytest.warns(RuntimeWarning):  # numpy's, through pandas
        want = pdf.groupby("k").cov()
    assert want.loc[2].isna().all().all()
    assert_eq(ddf.groupby("k").cov(), want, scheduler=scheduler)  # warnings are errors


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_groupby_get_group(how):
    ddf, pdf = variant(make_pdf(n=40), how)
    i, b, s = pdf.i.iloc[0], pdf.b.iloc[0], pdf.s.iloc[0]  # groups that exist
    assert_eq(ddf.groupby("i").get_group(i), pdf.groupby("i").get_group(i))
    assert_eq(ddf.groupby("i").f.get_group(i), pdf.groupby("i").f.get_group(i))
    got = ddf.groupby(["i", "b"]).get_group((i, b))
    assert_eq(got, pdf.groupby(["i", "b"]).get_group((i, b)))
    got = ddf.groupby(ddf.s).get_group(s)
    assert_eq(got, pdf.groupby(pdf.s).get_group(s))
    with pytest.raises(ValueError, match="tuple of 2"):
        ddf.groupby(["i", "b"]).get_group(3)


def _listy(n: int = 30, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cells = [list(rng.integers(0, 9, rng.integers(0, 4))) for _ in range(n)]
    cells[3] = np.nan  # a missing cell explodes to one missing row
    return pd.DataFrame(
        {"k": rng.integers(0, 5, n), "v": pd.Series(cells, dtype=object)},
        index=pd.RangeIndex(n) * 2,
    )


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_explode(how, scheduler):
    ddf, pdf = variant(_listy(), how)
    assert_eq(ddf.explode("v"), pdf.explode("v"), scheduler=scheduler)
    assert_eq(ddf.v.explode(), pdf.v.explode(), scheduler=scheduler)
    got = ddf.explode("v", ignore_index=True)
    assert_eq(got, pdf.explode("v", ignore_index=True), scheduler=scheduler)
    assert_eq(ddf.v.explode(True), pdf.v.explode(True), scheduler=scheduler)
    # then a groupby of the exploded values (a composition)
    got = ddf.explode("v").dropna().groupby("k").v.count()
    assert_eq(got, pdf.explode("v").dropna().groupby("k").v.count())
    with pytest.raises(TypeError, match="column="):
        ddf.explode()


def test_top_level_isna_notna_and_from_dict():
    ddf, pdf = variant(make_pdf(), "3")
    assert_eq(partframe.isna(ddf), pd.isna(pdf))
    assert_eq(partframe.notna(ddf.f), pd.notna(pdf.f))
    assert partframe.isna(None) and not partframe.notna(float("nan"))
    data = {"x": [1, 2, 3], "y": ["a", "b", "c"]}
    got = partframe.DataFrame.from_dict(data, npartitions=2)
    assert got.npartitions == 2
    assert_eq(got, pd.DataFrame.from_dict(data))
