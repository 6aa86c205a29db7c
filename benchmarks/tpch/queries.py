"""The 22 TPC-H queries in the pandas API, one function each.

Each ``qN(t)`` takes a mapping from table name to frame (``t["lineitem"]``)
and returns the answer: a lazy frame or scalar of partframe or
dask.dataframe, or a pandas object (``head`` computes in both, as in
pandas). The code is what a pandas user writes (merge then filter, string
methods, dates compared with ``pd.Timestamp``), using only what pandas,
partframe and dask.dataframe share, so one function runs on the three:
``isin`` only with literal lists (an anti-join is a left merge and a test
for the missing marker), and named aggregations in ``groupby.agg``.

The substitution parameters are the spec's validation values (TPC-H 2.18,
section 2.4), and the columns are those of the spec's SQL, in its order.
``FRACTION`` of Q11 is the spec's 0.0001 at every scale factor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

Tables = Mapping[str, Any]

D = pd.Timestamp


def _revenue(df: Any) -> Any:
    return df.l_extendedprice * (1 - df.l_discount)


def q1(t: Tables) -> Any:
    """Pricing summary report."""
    li = t["lineitem"]
    li = li[li.l_shipdate <= D("1998-12-01") - pd.Timedelta(days=90)]
    li = li.assign(
        disc_price=_revenue(li),
        charge=_revenue(li) * (1 + li.l_tax),
    )
    out = li.groupby(["l_returnflag", "l_linestatus"]).agg(
        sum_qty=("l_quantity", "sum"),
        sum_base_price=("l_extendedprice", "sum"),
        sum_disc_price=("disc_price", "sum"),
        sum_charge=("charge", "sum"),
        avg_qty=("l_quantity", "mean"),
        avg_price=("l_extendedprice", "mean"),
        avg_disc=("l_discount", "mean"),
        count_order=("l_quantity", "count"),
    )
    return out.reset_index().sort_values(["l_returnflag", "l_linestatus"])


def q2(t: Tables) -> Any:
    """Minimum cost supplier."""
    region, nation = t["region"], t["nation"]
    europe = region[region.r_name == "EUROPE"]
    sup = (
        europe.merge(nation, left_on="r_regionkey", right_on="n_regionkey")
        .merge(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
        .merge(t["partsupp"], left_on="s_suppkey", right_on="ps_suppkey")
    )
    part = t["part"]
    part = part[(part.p_size == 15) & part.p_type.str.endswith("BRASS")]
    m = part.merge(sup, left_on="p_partkey", right_on="ps_partkey")
    cheapest = (
        m.groupby("p_partkey")
        .ps_supplycost.min()
        .reset_index()
        .rename(columns={"ps_supplycost": "min_cost"})
    )
    m = m.merge(cheapest, on="p_partkey")
    m = m[m.ps_supplycost == m.min_cost]
    cols = [
        "s_acctbal",
        "s_name",
        "n_name",
        "p_partkey",
        "p_mfgr",
        "s_address",
        "s_phone",
        "s_comment",
    ]
    return (
        m[cols]
        .sort_values(
            ["s_acctbal", "n_name", "s_name", "p_partkey"],
            ascending=[False, True, True, True],
        )
        .head(100)
    )


def q3(t: Tables) -> Any:
    """Shipping priority."""
    c, o, li = t["customer"], t["orders"], t["lineitem"]
    day = D("1995-03-15")
    m = c[c.c_mktsegment == "BUILDING"].merge(
        o, left_on="c_custkey", right_on="o_custkey"
    )
    m = m[m.o_orderdate < day].merge(li, left_on="o_orderkey", right_on="l_orderkey")
    m = m[m.l_shipdate > day]
    m = m.assign(revenue=_revenue(m))
    out = (
        m.groupby(["l_orderkey", "o_orderdate", "o_shippriority"])
        .revenue.sum()
        .reset_index()
    )
    out = out[["l_orderkey", "revenue", "o_orderdate", "o_shippriority"]]
    return out.sort_values(["revenue", "o_orderdate"], ascending=[False, True]).head(10)


def q4(t: Tables) -> Any:
    """Order priority checking."""
    o, li = t["orders"], t["lineitem"]
    o = o[(o.o_orderdate >= D("1993-07-01")) & (o.o_orderdate < D("1993-10-01"))]
    late = li[li.l_commitdate < li.l_receiptdate][["l_orderkey"]].drop_duplicates()
    m = o.merge(late, left_on="o_orderkey", right_on="l_orderkey")
    out = m.groupby("o_orderpriority").o_orderkey.count().reset_index()
    out = out.rename(columns={"o_orderkey": "order_count"})
    return out.sort_values("o_orderpriority")


def q5(t: Tables) -> Any:
    """Local supplier volume."""
    r, n = t["region"], t["nation"]
    o = t["orders"]
    o = o[(o.o_orderdate >= D("1994-01-01")) & (o.o_orderdate < D("1995-01-01"))]
    m = (
        r[r.r_name == "ASIA"]
        .merge(n, left_on="r_regionkey", right_on="n_regionkey")
        .merge(t["customer"], left_on="n_nationkey", right_on="c_nationkey")
        .merge(o, left_on="c_custkey", right_on="o_custkey")
        .merge(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .merge(
            t["supplier"],
            left_on=["l_suppkey", "n_nationkey"],
            right_on=["s_suppkey", "s_nationkey"],
        )
    )
    m = m.assign(revenue=_revenue(m))
    out = m.groupby("n_name").revenue.sum().reset_index()
    return out.sort_values("revenue", ascending=False)


def q6(t: Tables) -> Any:
    """Forecasting revenue change."""
    li = t["lineitem"]
    li = li[
        (li.l_shipdate >= D("1994-01-01"))
        & (li.l_shipdate < D("1995-01-01"))
        & li.l_discount.between(0.05, 0.07)
        & (li.l_quantity < 24)
    ]
    return (li.l_extendedprice * li.l_discount).sum()


def q7(t: Tables) -> Any:
    """Volume shipping."""
    n = t["nation"]
    n = n[n.n_name.isin(["FRANCE", "GERMANY"])]
    li = t["lineitem"]
    li = li[(li.l_shipdate >= D("1995-01-01")) & (li.l_shipdate <= D("1996-12-31"))]
    sup = n.rename(columns={"n_name": "supp_nation"}).merge(
        t["supplier"], left_on="n_nationkey", right_on="s_nationkey"
    )[["supp_nation", "s_suppkey"]]
    cust = n.rename(columns={"n_name": "cust_nation"}).merge(
        t["customer"], left_on="n_nationkey", right_on="c_nationkey"
    )[["cust_nation", "c_custkey"]]
    m = (
        li.merge(sup, left_on="l_suppkey", right_on="s_suppkey")
        .merge(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .merge(cust, left_on="o_custkey", right_on="c_custkey")
    )
    m = m[m.supp_nation != m.cust_nation]
    m = m.assign(l_year=m.l_shipdate.dt.year, volume=_revenue(m))
    out = m.groupby(["supp_nation", "cust_nation", "l_year"]).volume.sum()
    out = out.reset_index().rename(columns={"volume": "revenue"})
    return out.sort_values(["supp_nation", "cust_nation", "l_year"])


def q8(t: Tables) -> Any:
    """National market share."""
    r, n = t["region"], t["nation"]
    part = t["part"]
    part = part[part.p_type == "ECONOMY ANODIZED STEEL"]
    o = t["orders"]
    o = o[(o.o_orderdate >= D("1995-01-01")) & (o.o_orderdate <= D("1996-12-31"))]
    cust = (
        r[r.r_name == "AMERICA"]
        .merge(n, left_on="r_regionkey", right_on="n_regionkey")
        .merge(t["customer"], left_on="n_nationkey", right_on="c_nationkey")
    )[["c_custkey"]]
    sup = n.merge(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
    sup = sup[["s_suppkey", "n_name"]]
    m = (
        part.merge(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .merge(o, left_on="l_orderkey", right_on="o_orderkey")
        .merge(cust, left_on="o_custkey", right_on="c_custkey")
        .merge(sup, left_on="l_suppkey", right_on="s_suppkey")
    )
    volume = _revenue(m)
    m = m.assign(
        o_year=m.o_orderdate.dt.year,
        volume=volume,
        brazil=volume.where(m.n_name == "BRAZIL", 0.0),
    )
    out = m.groupby("o_year")[["brazil", "volume"]].sum().reset_index()
    out = out.assign(mkt_share=out.brazil / out.volume)[["o_year", "mkt_share"]]
    return out.sort_values("o_year")


def q9(t: Tables) -> Any:
    """Product type profit measure."""
    part = t["part"]
    part = part[part.p_name.str.contains("green", regex=False)]
    sup = t["nation"].merge(
        t["supplier"], left_on="n_nationkey", right_on="s_nationkey"
    )
    m = (
        part.merge(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .merge(
            t["partsupp"],
            left_on=["l_suppkey", "l_partkey"],
            right_on=["ps_suppkey", "ps_partkey"],
        )
        .merge(sup, left_on="l_suppkey", right_on="s_suppkey")
        .merge(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
    )
    m = m.assign(
        nation=m.n_name,
        o_year=m.o_orderdate.dt.year,
        amount=_revenue(m) - m.ps_supplycost * m.l_quantity,
    )
    out = m.groupby(["nation", "o_year"]).amount.sum().reset_index()
    out = out.rename(columns={"amount": "sum_profit"})
    return out.sort_values(["nation", "o_year"], ascending=[True, False])


def q10(t: Tables) -> Any:
    """Returned item reporting."""
    o, li = t["orders"], t["lineitem"]
    o = o[(o.o_orderdate >= D("1993-10-01")) & (o.o_orderdate < D("1994-01-01"))]
    li = li[li.l_returnflag == "R"]
    m = (
        t["customer"]
        .merge(o, left_on="c_custkey", right_on="o_custkey")
        .merge(li, left_on="o_orderkey", right_on="l_orderkey")
        .merge(t["nation"], left_on="c_nationkey", right_on="n_nationkey")
    )
    m = m.assign(revenue=_revenue(m))
    keys = ["c_custkey", "c_name", "c_acctbal", "c_phone", "n_name"]
    keys += ["c_address", "c_comment"]
    out = m.groupby(keys).revenue.sum().reset_index()
    cols = ["c_custkey", "c_name", "revenue", "c_acctbal", "n_name"]
    cols += ["c_address", "c_phone", "c_comment"]
    return out[cols].sort_values("revenue", ascending=False).head(20)


FRACTION = 0.0001


def q11(t: Tables) -> Any:
    """Important stock identification."""
    n = t["nation"]
    m = (
        n[n.n_name == "GERMANY"]
        .merge(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
        .merge(t["partsupp"], left_on="s_suppkey", right_on="ps_suppkey")
    )
    m = m.assign(value=m.ps_supplycost * m.ps_availqty)
    threshold = m.value.sum() * FRACTION
    out = m.groupby("ps_partkey").value.sum().reset_index()
    out = out[out.value > threshold]
    return out.sort_values("value", ascending=False)


def q12(t: Tables) -> Any:
    """Shipping modes and order priority."""
    li = t["lineitem"]
    li = li[
        li.l_shipmode.isin(["MAIL", "SHIP"])
        & (li.l_commitdate < li.l_receiptdate)
        & (li.l_shipdate < li.l_commitdate)
        & (li.l_receiptdate >= D("1994-01-01"))
        & (li.l_receiptdate < D("1995-01-01"))
    ]
    m = li.merge(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
    high = m.o_orderpriority.isin(["1-URGENT", "2-HIGH"])
    m = m.assign(high_line_count=high.astype("int64"))
    m = m.assign(low_line_count=1 - m.high_line_count)
    out = m.groupby("l_shipmode")[["high_line_count", "low_line_count"]].sum()
    return out.reset_index().sort_values("l_shipmode")


def q13(t: Tables) -> Any:
    """Customer distribution."""
    o = t["orders"]
    o = o[~o.o_comment.str.contains("special.*requests")]
    m = t["customer"].merge(o, left_on="c_custkey", right_on="o_custkey", how="left")
    counts = m.groupby("c_custkey").o_orderkey.count().reset_index()
    counts = counts.rename(columns={"o_orderkey": "c_count"})
    out = counts.groupby("c_count").c_custkey.count().reset_index()
    out = out.rename(columns={"c_custkey": "custdist"})
    return out.sort_values(["custdist", "c_count"], ascending=[False, False])


def q14(t: Tables) -> Any:
    """Promotion effect."""
    li = t["lineitem"]
    m = li.merge(t["part"], left_on="l_partkey", right_on="p_partkey")
    m = m[(m.l_shipdate >= D("1995-09-01")) & (m.l_shipdate < D("1995-10-01"))]
    revenue = _revenue(m)
    promo = revenue.where(m.p_type.str.startswith("PROMO"), 0.0)
    return 100.0 * promo.sum() / revenue.sum()


def q15(t: Tables) -> Any:
    """Top supplier."""
    li = t["lineitem"]
    li = li[(li.l_shipdate >= D("1996-01-01")) & (li.l_shipdate < D("1996-04-01"))]
    li = li.assign(total_revenue=_revenue(li))
    rev = li.groupby("l_suppkey").total_revenue.sum().reset_index()
    best = rev[rev.total_revenue == rev.total_revenue.max()]
    m = t["supplier"].merge(best, left_on="s_suppkey", right_on="l_suppkey")
    cols = ["s_suppkey", "s_name", "s_address", "s_phone", "total_revenue"]
    return m[cols].sort_values("s_suppkey")


def q16(t: Tables) -> Any:
    """Parts/supplier relationship."""
    part, s = t["part"], t["supplier"]
    part = part[
        (part.p_brand != "Brand#45")
        & ~part.p_type.str.startswith("MEDIUM POLISHED")
        & part.p_size.isin([49, 14, 23, 45, 19, 3, 36, 9])
    ]
    complaints = s[s.s_comment.str.contains("Customer.*Complaints")][["s_suppkey"]]
    complaints = complaints.assign(complaint=1)
    ps = t["partsupp"].merge(
        complaints, left_on="ps_suppkey", right_on="s_suppkey", how="left"
    )
    ps = ps[ps.complaint.isna()]
    m = part.merge(ps, left_on="p_partkey", right_on="ps_partkey")
    out = m.groupby(["p_brand", "p_type", "p_size"]).ps_suppkey.nunique()
    out = out.reset_index().rename(columns={"ps_suppkey": "supplier_cnt"})
    return out.sort_values(
        ["supplier_cnt", "p_brand", "p_type", "p_size"],
        ascending=[False, True, True, True],
    )


def q17(t: Tables) -> Any:
    """Small-quantity-order revenue."""
    part = t["part"]
    part = part[(part.p_brand == "Brand#23") & (part.p_container == "MED BOX")]
    m = part.merge(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
    avg = m.groupby("p_partkey").l_quantity.mean().reset_index()
    avg = avg.rename(columns={"l_quantity": "avg_quantity"})
    m = m.merge(avg, on="p_partkey")
    m = m[m.l_quantity < 0.2 * m.avg_quantity]
    return m.l_extendedprice.sum() / 7.0


def q18(t: Tables) -> Any:
    """Large volume customer."""
    li = t["lineitem"]
    qty = li.groupby("l_orderkey").l_quantity.sum().reset_index()
    big = qty[qty.l_quantity > 300]
    m = (
        t["orders"]
        .merge(big, left_on="o_orderkey", right_on="l_orderkey")
        .merge(t["customer"], left_on="o_custkey", right_on="c_custkey")
    )
    cols = ["c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice"]
    out = m[[*cols, "l_quantity"]].rename(columns={"l_quantity": "sum_qty"})
    return out.sort_values(
        ["o_totalprice", "o_orderdate"], ascending=[False, True]
    ).head(100)


def q19(t: Tables) -> Any:
    """Discounted revenue."""
    li = t["lineitem"]
    li = li[
        li.l_shipmode.isin(["AIR", "AIR REG"])
        & (li.l_shipinstruct == "DELIVER IN PERSON")
    ]
    m = li.merge(t["part"], left_on="l_partkey", right_on="p_partkey")
    one = (
        (m.p_brand == "Brand#12")
        & m.p_container.isin(["SM CASE", "SM BOX", "SM PACK", "SM PKG"])
        & m.l_quantity.between(1, 11)
        & m.p_size.between(1, 5)
    )
    two = (
        (m.p_brand == "Brand#23")
        & m.p_container.isin(["MED BAG", "MED BOX", "MED PKG", "MED PACK"])
        & m.l_quantity.between(10, 20)
        & m.p_size.between(1, 10)
    )
    three = (
        (m.p_brand == "Brand#34")
        & m.p_container.isin(["LG CASE", "LG BOX", "LG PACK", "LG PKG"])
        & m.l_quantity.between(20, 30)
        & m.p_size.between(1, 15)
    )
    m = m[one | two | three]
    return _revenue(m).sum()


def q20(t: Tables) -> Any:
    """Potential part promotion."""
    part, li, n = t["part"], t["lineitem"], t["nation"]
    forest = part[part.p_name.str.startswith("forest")][["p_partkey"]]
    li = li[(li.l_shipdate >= D("1994-01-01")) & (li.l_shipdate < D("1995-01-01"))]
    shipped = li.groupby(["l_partkey", "l_suppkey"]).l_quantity.sum().reset_index()
    ps = t["partsupp"].merge(forest, left_on="ps_partkey", right_on="p_partkey")
    ps = ps.merge(
        shipped,
        left_on=["ps_partkey", "ps_suppkey"],
        right_on=["l_partkey", "l_suppkey"],
    )
    ps = ps[ps.ps_availqty > 0.5 * ps.l_quantity][["ps_suppkey"]].drop_duplicates()
    s = n[n.n_name == "CANADA"].merge(
        t["supplier"], left_on="n_nationkey", right_on="s_nationkey"
    )
    m = s.merge(ps, left_on="s_suppkey", right_on="ps_suppkey")
    return m[["s_name", "s_address"]].sort_values("s_name")


def q21(t: Tables) -> Any:
    """Suppliers who kept orders waiting."""
    li, o, n = t["lineitem"], t["orders"], t["nation"]
    # orders with more than one supplier, and those with exactly one late one
    nsupp = li.groupby("l_orderkey").l_suppkey.nunique().reset_index()
    nsupp = nsupp[nsupp.l_suppkey > 1][["l_orderkey"]]
    late = li[li.l_receiptdate > li.l_commitdate]
    nlate = late.groupby("l_orderkey").l_suppkey.nunique().reset_index()
    nlate = nlate[nlate.l_suppkey == 1][["l_orderkey"]]
    s = n[n.n_name == "SAUDI ARABIA"].merge(
        t["supplier"], left_on="n_nationkey", right_on="s_nationkey"
    )
    o = o[o.o_orderstatus == "F"]
    m = (
        late.merge(s, left_on="l_suppkey", right_on="s_suppkey")
        .merge(o, left_on="l_orderkey", right_on="o_orderkey")
        .merge(nsupp, on="l_orderkey")
        .merge(nlate, on="l_orderkey")
    )
    out = m.groupby("s_name").l_orderkey.count().reset_index()
    out = out.rename(columns={"l_orderkey": "numwait"})
    return out.sort_values(["numwait", "s_name"], ascending=[False, True]).head(100)


def q22(t: Tables) -> Any:
    """Global sales opportunity."""
    c = t["customer"]
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    c = c.assign(cntrycode=c.c_phone.str.slice(0, 2))
    c = c[c.cntrycode.isin(codes)]
    average = c[c.c_acctbal > 0.0].c_acctbal.mean()
    c = c[c.c_acctbal > average]
    buyers = t["orders"][["o_custkey"]].drop_duplicates().assign(buyer=1)
    c = c.merge(buyers, left_on="c_custkey", right_on="o_custkey", how="left")
    c = c[c.buyer.isna()]
    out = c.groupby("cntrycode").agg(
        numcust=("c_acctbal", "count"), totacctbal=("c_acctbal", "sum")
    )
    return out.reset_index().sort_values("cntrycode")


QUERIES: dict[int, Callable[[Tables], Any]] = {
    i: globals()[f"q{i}"] for i in range(1, 23)
}

# The ORDER BY of each query: (column, ascending) pairs; the answer checker
# checks the order on these and compares the rows regardless of ties.
ORDER: dict[int, list[tuple[str, bool]]] = {
    1: [("l_returnflag", True), ("l_linestatus", True)],
    2: [("s_acctbal", False), ("n_name", True), ("s_name", True), ("p_partkey", True)],
    3: [("revenue", False), ("o_orderdate", True)],
    4: [("o_orderpriority", True)],
    5: [("revenue", False)],
    6: [],
    7: [("supp_nation", True), ("cust_nation", True), ("l_year", True)],
    8: [("o_year", True)],
    9: [("nation", True), ("o_year", False)],
    10: [("revenue", False)],
    11: [("value", False)],
    12: [("l_shipmode", True)],
    13: [("custdist", False), ("c_count", False)],
    14: [],
    15: [("s_suppkey", True)],
    16: [
        ("supplier_cnt", False),
        ("p_brand", True),
        ("p_type", True),
        ("p_size", True),
    ],
    17: [],
    18: [("o_totalprice", False), ("o_orderdate", True)],
    19: [],
    20: [("s_name", True)],
    21: [("numwait", False), ("s_name", True)],
    22: [("cntrycode", True)],
}

# The name of a scalar answer's one column, as in the SQL.
SCALAR_NAME = {6: "revenue", 14: "promo_revenue", 17: "avg_yearly", 19: "revenue"}
