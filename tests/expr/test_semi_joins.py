"""Semi-join filters: a join input fed by a groupby or a deduplication on
the join key is filtered below it by the keys of the small other input;
the join's result equals pandas' whatever the partitioning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.expr.base import walk
from partframe.expr.elementwise import ColumnwiseCall
from partframe.expr.optimize import optimize, semi_joins
from partframe.kernels.elementwise import isin_whole
from partframe.testing import assert_eq


@pytest.fixture(autouse=True)
def _any_size(monkeypatch):
    # the pass skips inputs estimated below MIN_ROWS rows; these are small
    monkeypatch.setattr(semi_joins, "MIN_ROWS", 0)


def _semi_filters(collection) -> int:
    plan = optimize(collection.expr, fuse=False)
    return sum(
        1
        for node in walk(plan)
        if isinstance(node, ColumnwiseCall) and node.operand("func") is isin_whole
    )


def _facts(n=400, seed=0, nan_keys=False):
    rng = np.random.default_rng(seed)
    pdf = pd.DataFrame(
        {
            "part": rng.integers(0, 60, n),
            "supp": rng.integers(0, 7, n),
            "qty": rng.integers(1, 50, n).astype("float64"),
            "cust": rng.integers(0, 90, n),
        }
    )
    if nan_keys:
        pdf["part"] = pdf["part"].astype("float64")
        pdf.loc[rng.random(n) < 0.1, "part"] = np.nan
    return pdf


def _dims(seed=1, nan_keys=False):
    rng = np.random.default_rng(seed)
    pdf = pd.DataFrame(
        {"p_key": np.arange(0, 60, 3), "p_name": [f"n{i}" for i in range(20)]}
    )
    pdf["p_size"] = rng.integers(0, 5, len(pdf))
    if nan_keys:
        pdf["p_key"] = pdf["p_key"].astype("float64")
        pdf.loc[0, "p_key"] = np.nan
    return pdf


@pytest.mark.parametrize("npartitions", [1, 3, 7])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_aggregate_then_join_a_small_frame(npartitions, scheduler):
    facts, dims = _facts(), _dims()
    f = partframe.from_pandas(facts, npartitions=npartitions)
    d = partframe.from_pandas(dims, npartitions=2)
    small_d, small_dims = d[d.p_size > 1], dims[dims.p_size > 1]

    shipped = f.groupby(["part", "supp"]).qty.sum().reset_index()
    got = small_d.merge(shipped, left_on="p_key", right_on="part")
    expected = small_dims.merge(
        facts.groupby(["part", "supp"]).qty.sum().reset_index(),
        left_on="p_key",
        right_on="part",
    )
    assert _semi_filters(got) == 1
    assert_eq(got, expected, check_index=False, sort_results=True, scheduler=scheduler)
    # the aggregated side on the left: the same filter, the left's order
    flipped = shipped.merge(small_d, right_on="p_key", left_on="part")
    assert _semi_filters(flipped) == 1
    assert_eq(
        flipped,
        facts.groupby(["part", "supp"])
        .qty.sum()
        .reset_index()
        .merge(small_dims, right_on="p_key", left_on="part"),
        check_index=False,
        sort_results=True,
        scheduler=scheduler,
    )


@pytest.mark.parametrize("npartitions", [1, 4, 9])
def test_anti_join_on_deduplicated_keys(npartitions):
    # TPC-H q22's shape: customers without an order
    facts, dims = _facts(), _dims()
    f = partframe.from_pandas(facts, npartitions=npartitions)
    d = partframe.from_pandas(dims, npartitions=3)
    buyers = f[["cust"]].drop_duplicates().assign(buyer=1)
    got = d.merge(buyers, left_on="p_key", right_on="cust", how="left")
    got = got[got.buyer.isna()]
    pbuyers = facts[["cust"]].drop_duplicates().assign(buyer=1)
    expected = dims.merge(pbuyers, left_on="p_key", right_on="cust", how="left")
    expected = expected[expected.buyer.isna()]
    assert _semi_filters(got) == 1
    assert_eq(got, expected, check_index=False, sort_results=True)
    # the kept side is never filtered: a right join keeps the dedup whole
    right = d.merge(buyers, left_on="p_key", right_on="cust", how="right")
    assert _semi_filters(right) == 0
    assert_eq(
        right,
        dims.merge(pbuyers, left_on="p_key", right_on="cust", how="right"),
        check_index=False,
        sort_results=True,
    )


def test_missing_keys_match_as_in_pandas():
    facts, dims = _facts(nan_keys=True), _dims(nan_keys=True)
    f = partframe.from_pandas(facts, npartitions=4)
    d = partframe.from_pandas(dims, npartitions=2)
    sums = f.groupby("part", dropna=False).qty.sum().reset_index()
    got = d.merge(sums, left_on="p_key", right_on="part")
    expected = dims.merge(
        facts.groupby("part", dropna=False).qty.sum().reset_index(),
        left_on="p_key",
        right_on="part",
    )
    assert _semi_filters(got) == 1
    assert_eq(got, expected, check_index=False, sort_results=True)


def test_not_applied():
    facts, dims = _facts(), _dims()
    f = partframe.from_pandas(facts, npartitions=4)
    d = partframe.from_pandas(dims, npartitions=2)
    sums = f.groupby("part").qty.sum().reset_index()
    cases = [
        # an outer join keeps every row of both
        (d.merge(sums, left_on="p_key", right_on="part", how="outer"),
         dims.merge(facts.groupby("part").qty.sum().reset_index(),
                    left_on="p_key", right_on="part", how="outer")),
        # keys of other dtypes (float against int)
        (d.assign(p_key=d.p_key.astype("float64")).merge(
            sums, left_on="p_key", right_on="part"),
         dims.assign(p_key=dims.p_key.astype("float64")).merge(
             facts.groupby("part").qty.sum().reset_index(),
             left_on="p_key", right_on="part")),
        # no grouping below: the join itself drops the rows
        (d.merge(f, left_on="p_key", right_on="part"),
         dims.merge(facts, left_on="p_key", right_on="part")),
    ]  # fmt: skip
    for got, expected in cases:
        assert _semi_filters(got) == 0
        assert_eq(got, expected, check_index=False, sort_results=True)


def test_filter_stays_above_a_computed_assignment():
    # a value assigned from the frame is aligned with all its rows: the
    # filter goes below the dedup, above the assignment
    facts, dims = _facts(), _dims()
    f = partframe.from_pandas(facts, npartitions=4)
    d = partframe.from_pandas(dims, npartitions=2)
    pairs = f.assign(z=f.qty * 2)[["part", "z"]].drop_duplicates()
    got = d.merge(pairs, left_on="p_key", right_on="part")
    plan = optimize(got.expr, fuse=False)
    filters = [n for n in walk(plan) if type(n).__name__ == "Filter"]
    assert len(filters) == 1 and type(filters[0].frame).__name__ == "Assign"
    ppairs = facts.assign(z=facts.qty * 2)[["part", "z"]].drop_duplicates()
    expected = dims.merge(ppairs, left_on="p_key", right_on="part")
    assert_eq(got, expected, check_index=False, sort_results=True)


def test_other_side_computed_from_the_same_aggregation():
    # filtering the aggregation by keys computed from it would compute it
    # twice: not done
    facts = _facts()
    f = partframe.from_pandas(facts, npartitions=4)
    sums = f.groupby("part").qty.sum().reset_index()
    top = sums[sums.qty > sums.qty.mean()][["part"]]
    got = top.merge(sums, on="part")
    psums = facts.groupby("part").qty.sum().reset_index()
    expected = psums[psums.qty > psums.qty.mean()][["part"]].merge(psums, on="part")
    assert _semi_filters(got) == 0
    assert_eq(got, expected, check_index=False, sort_results=True)


def test_small_inputs_are_left_alone(monkeypatch):
    monkeypatch.setattr(semi_joins, "MIN_ROWS", 10_000)
    facts, dims = _facts(), _dims()
    f = partframe.from_pandas(facts, npartitions=4)
    d = partframe.from_pandas(dims, npartitions=2)
    sums = f.groupby("part").qty.sum().reset_index()
    got = d.merge(sums, left_on="p_key", right_on="part")
    assert _semi_filters(got) == 0
    monkeypatch.setattr(semi_joins, "MIN_ROWS", 100)
    assert _semi_filters(got) == 1


def _supps():
    return pd.DataFrame({"s_key": np.arange(7), "s_region": list("ababcab")})


@pytest.mark.parametrize("npartitions", [1, 3, 7, 500])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_filter_below_earlier_joins(npartitions, scheduler):
    # facts joined with suppliers, then with a few parts: the facts are
    # filtered by the parts' keys below the first join (which then joins
    # only the rows the second keeps)
    facts, dims, supps = _facts(), _dims(), _supps()
    f = partframe.from_pandas(facts, npartitions=npartitions)
    d = partframe.from_pandas(dims, npartitions=2)
    s = partframe.from_pandas(supps, npartitions=1)
    few_d, few_dims = d[d.p_size == 2], dims[dims.p_size == 2]

    joined = s.merge(f, left_on="s_key", right_on="supp")
    got = few_d.merge(joined, left_on="p_key", right_on="part")
    expected = few_dims.merge(
        supps.merge(facts, left_on="s_key", right_on="supp"),
        left_on="p_key",
        right_on="part",
    )
    plan = optimize(got.expr, fuse=False)
    filters = [n for n in walk(plan) if type(n).__name__ == "Filter"]
    below = [n for n in filters if type(n.frame).__name__ == "FromPandas"]
    assert _semi_filters(got) == 1 and len(below) == 2  # facts' and dims'
    assert_eq(got, expected, check_index=False, sort_results=True, scheduler=scheduler)
    # the facts on the left of both joins: the same
    got = f.merge(s, left_on="supp", right_on="s_key").merge(
        few_d, left_on="part", right_on="p_key"
    )
    expected = facts.merge(supps, left_on="supp", right_on="s_key").merge(
        few_dims, left_on="part", right_on="p_key"
    )
    assert _semi_filters(got) == 1
    assert_eq(got, expected, check_index=False, sort_results=True, scheduler=scheduler)


def test_no_filter_below_joins_that_keep_unmatched_rows_or_keep_most():
    facts, dims, supps = _facts(), _dims(), _supps()
    f = partframe.from_pandas(facts, npartitions=4)
    d = partframe.from_pandas(dims, npartitions=2)
    s = partframe.from_pandas(supps.iloc[:4], npartitions=1)
    few_d, few_dims = d[d.p_size == 2], dims[dims.p_size == 2]
    cases = [
        # a left join below: the missing values its unmatched rows make
        # widen the whole result's dtypes, from rows the filter would drop
        (few_d.merge(f.merge(s, left_on="supp", right_on="s_key", how="left"),
                     left_on="p_key", right_on="part"),
         few_dims.merge(facts.merge(supps.iloc[:4], left_on="supp",
                                    right_on="s_key", how="left"),
                        left_on="p_key", right_on="part")),
        # every part: the filter would keep every row
        (d.merge(f.merge(s, left_on="supp", right_on="s_key"),
                 left_on="p_key", right_on="part"),
         dims.merge(facts.merge(supps.iloc[:4], left_on="supp", right_on="s_key"),
                    left_on="p_key", right_on="part")),
        # the key is a column of both sides of the join below
        (few_d.merge(f.merge(f[["part", "cust"]], on="part"),
                     left_on="p_key", right_on="part"),
         few_dims.merge(facts.merge(facts[["part", "cust"]], on="part"),
                        left_on="p_key", right_on="part")),
    ]  # fmt: skip
    for got, expected in cases:
        assert _semi_filters(got) == 0
        assert_eq(got, expected, check_index=False, sort_results=True)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_wide_other_input_filters_by_its_key_column(monkeypatch, npartitions):
    # an input too wide to broadcast whose key column is small: the filter
    # sends that column only, so it is judged by the column's bytes
    from partframe.expr import merge
    from partframe.expr.statistics import estimate

    facts, dims = _facts(), _dims()
    f = partframe.from_pandas(facts, npartitions=npartitions)
    d = partframe.from_pandas(dims, npartitions=2)
    small_d, small_dims = d[d.p_size > 1], dims[dims.p_size > 1]
    est = estimate(small_d.expr)
    key_bytes, whole_bytes = est.rows * est.widths["p_key"], est.nbytes
    assert key_bytes < whole_bytes

    def plan(limit):
        monkeypatch.setattr(merge, "BROADCAST_BYTES", limit)
        shipped = f.groupby(["part", "supp"]).qty.sum().reset_index()
        return small_d.merge(shipped, left_on="p_key", right_on="part")

    expected = small_dims.merge(
        facts.groupby(["part", "supp"]).qty.sum().reset_index(),
        left_on="p_key",
        right_on="part",
    )
    got = plan((key_bytes + whole_bytes) / 2)
    assert got.expr.strategy != "broadcast-left"  # the dims are not broadcast
    assert _semi_filters(got) == 1
    assert_eq(got, expected, check_index=False, sort_results=True)
    got = plan(key_bytes / 2)  # not even the key column
    assert _semi_filters(got) == 0
    assert_eq(got, expected, check_index=False, sort_results=True)


def test_filter_below_joins_counts_the_key_values_kept(tmp_path):
    # Below joins only, a filtered input's keys must be few of the key's
    # values: a tenth of the orders holds a tenth of the order keys (the
    # line items are filtered by them) but nearly every customer key, each
    # customer having fifty orders (the customers are not filtered).
    n = 1000
    orders = pd.DataFrame(
        {"o_key": np.arange(n), "o_cust": np.arange(n) % 20, "o_day": np.arange(n) % 50}
    )
    orders.to_parquet(tmp_path / "orders.parquet", row_group_size=100)
    rng = np.random.default_rng(3)
    items = pd.DataFrame(
        {"i_order": rng.integers(0, n, 3000), "i_supp": rng.integers(0, 7, 3000)}
    )
    custs = pd.DataFrame({"c_key": np.arange(20), "c_nation": np.arange(20) % 4})
    nations = pd.DataFrame({"n_key": np.arange(4), "n_name": list("abcd")})
    supps = _supps()

    o = partframe.read_parquet(str(tmp_path / "orders.parquet"))
    o = o[o.o_day < 5]
    few = orders[orders.o_day < 5]
    cases = [
        # (fact, dimension, their keys, the key joined with orders, filters)
        (items, supps, ("i_supp", "s_key"), ("i_order", "o_key"), 1),
        (custs, nations, ("c_nation", "n_key"), ("c_key", "o_cust"), 0),
    ]
    for fact, dim, (fk, dk), (key, okey), filters in cases:
        f = partframe.from_pandas(fact, npartitions=4)
        d = partframe.from_pandas(dim, npartitions=1)
        got = f.merge(d, left_on=fk, right_on=dk).merge(o, left_on=key, right_on=okey)
        expected = fact.merge(dim, left_on=fk, right_on=dk).merge(
            few, left_on=key, right_on=okey
        )
        assert _semi_filters(got) == filters
        assert_eq(got, expected, check_index=False, sort_results=True)
