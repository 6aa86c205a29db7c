"""The 22 TPC-H queries on Polars' lazy API, as a Polars user writes them.

Each ``qN(t)`` takes table name -> ``LazyFrame`` and returns a
``LazyFrame`` with the columns, order and parameters of ``queries.py``
(semi and anti joins where the SQL has ``exists`` / ``not in``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import polars as pl

Tables = Mapping[str, pl.LazyFrame]
col = pl.col


def _d(text: str) -> datetime:
    return datetime.fromisoformat(text)


REVENUE = col("l_extendedprice") * (1 - col("l_discount"))


def q1(t: Tables) -> pl.LazyFrame:
    return (
        t["lineitem"]
        .filter(col("l_shipdate") <= _d("1998-09-02"))
        .group_by("l_returnflag", "l_linestatus")
        .agg(
            sum_qty=col("l_quantity").sum(),
            sum_base_price=col("l_extendedprice").sum(),
            sum_disc_price=REVENUE.sum(),
            sum_charge=(REVENUE * (1 + col("l_tax"))).sum(),
            avg_qty=col("l_quantity").mean(),
            avg_price=col("l_extendedprice").mean(),
            avg_disc=col("l_discount").mean(),
            count_order=pl.len(),
        )
        .sort("l_returnflag", "l_linestatus")
    )


def q2(t: Tables) -> pl.LazyFrame:
    europe = (
        t["region"]
        .filter(col("r_name") == "EUROPE")
        .join(t["nation"], left_on="r_regionkey", right_on="n_regionkey")
        .join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
        .join(t["partsupp"], left_on="s_suppkey", right_on="ps_suppkey")
    )
    m = (
        t["part"]
        .filter((col("p_size") == 15) & col("p_type").str.ends_with("BRASS"))
        .join(europe, left_on="p_partkey", right_on="ps_partkey")
    )
    return (
        m.filter(col("ps_supplycost") == col("ps_supplycost").min().over("p_partkey"))
        .select(
            "s_acctbal",
            "s_name",
            "n_name",
            "p_partkey",
            "p_mfgr",
            "s_address",
            "s_phone",
            "s_comment",
        )
        .sort(
            "s_acctbal",
            "n_name",
            "s_name",
            "p_partkey",
            descending=[True, False, False, False],
        )
        .head(100)
    )


def q3(t: Tables) -> pl.LazyFrame:
    day = _d("1995-03-15")
    return (
        t["customer"]
        .filter(col("c_mktsegment") == "BUILDING")
        .join(
            t["orders"].filter(col("o_orderdate") < day),
            left_on="c_custkey",
            right_on="o_custkey",
        )
        .join(
            t["lineitem"].filter(col("l_shipdate") > day),
            left_on="o_orderkey",
            right_on="l_orderkey",
        )
        .group_by(
            col("o_orderkey").alias("l_orderkey"), "o_orderdate", "o_shippriority"
        )
        .agg(revenue=REVENUE.sum())
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .sort("revenue", "o_orderdate", descending=[True, False])
        .head(10)
    )


def q4(t: Tables) -> pl.LazyFrame:
    late = t["lineitem"].filter(col("l_commitdate") < col("l_receiptdate"))
    return (
        t["orders"]
        .filter(
            (col("o_orderdate") >= _d("1993-07-01"))
            & (col("o_orderdate") < _d("1993-10-01"))
        )
        .join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .group_by("o_orderpriority")
        .agg(order_count=pl.len())
        .sort("o_orderpriority")
    )


def q5(t: Tables) -> pl.LazyFrame:
    orders = t["orders"].filter(
        (col("o_orderdate") >= _d("1994-01-01"))
        & (col("o_orderdate") < _d("1995-01-01"))
    )
    return (
        t["region"]
        .filter(col("r_name") == "ASIA")
        .join(t["nation"], left_on="r_regionkey", right_on="n_regionkey")
        .join(t["customer"], left_on="n_nationkey", right_on="c_nationkey")
        .join(orders, left_on="c_custkey", right_on="o_custkey")
        .join(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .join(
            t["supplier"],
            left_on=["l_suppkey", "n_nationkey"],
            right_on=["s_suppkey", "s_nationkey"],
        )
        .group_by("n_name")
        .agg(revenue=REVENUE.sum())
        .sort("revenue", descending=True)
    )


def q6(t: Tables) -> pl.LazyFrame:
    return (
        t["lineitem"]
        .filter(
            (col("l_shipdate") >= _d("1994-01-01"))
            & (col("l_shipdate") < _d("1995-01-01"))
            & col("l_discount").is_between(0.05, 0.07)
            & (col("l_quantity") < 24)
        )
        .select(revenue=(col("l_extendedprice") * col("l_discount")).sum())
    )


def q7(t: Tables) -> pl.LazyFrame:
    n = t["nation"].filter(col("n_name").is_in(["FRANCE", "GERMANY"]))
    sup = n.join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey").select(
        "s_suppkey", supp_nation="n_name"
    )
    cust = n.join(t["customer"], left_on="n_nationkey", right_on="c_nationkey").select(
        "c_custkey", cust_nation="n_name"
    )
    return (
        t["lineitem"]
        .filter(col("l_shipdate").is_between(_d("1995-01-01"), _d("1996-12-31")))
        .join(sup, left_on="l_suppkey", right_on="s_suppkey")
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .join(cust, left_on="o_custkey", right_on="c_custkey")
        .filter(col("supp_nation") != col("cust_nation"))
        .group_by("supp_nation", "cust_nation", l_year=col("l_shipdate").dt.year())
        .agg(revenue=REVENUE.sum())
        .sort("supp_nation", "cust_nation", "l_year")
    )


def q8(t: Tables) -> pl.LazyFrame:
    cust = (
        t["region"]
        .filter(col("r_name") == "AMERICA")
        .join(t["nation"], left_on="r_regionkey", right_on="n_regionkey")
        .join(t["customer"], left_on="n_nationkey", right_on="c_nationkey")
        .select("c_custkey")
    )
    sup = t["nation"].join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
    return (
        t["part"]
        .filter(col("p_type") == "ECONOMY ANODIZED STEEL")
        .join(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .join(
            t["orders"].filter(
                col("o_orderdate").is_between(_d("1995-01-01"), _d("1996-12-31"))
            ),
            left_on="l_orderkey",
            right_on="o_orderkey",
        )
        .join(cust, left_on="o_custkey", right_on="c_custkey")
        .join(
            sup.select("s_suppkey", "n_name"), left_on="l_suppkey", right_on="s_suppkey"
        )
        .group_by(o_year=col("o_orderdate").dt.year())
        .agg(
            mkt_share=pl.when(col("n_name") == "BRAZIL")
            .then(REVENUE)
            .otherwise(0.0)
            .sum()
            / REVENUE.sum()
        )
        .sort("o_year")
    )


def q9(t: Tables) -> pl.LazyFrame:
    sup = t["nation"].join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
    return (
        t["part"]
        .filter(col("p_name").str.contains("green", literal=True))
        .join(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .join(
            t["partsupp"],
            left_on=["l_suppkey", "p_partkey"],
            right_on=["ps_suppkey", "ps_partkey"],
        )
        .join(sup, left_on="l_suppkey", right_on="s_suppkey")
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .group_by(nation=col("n_name"), o_year=col("o_orderdate").dt.year())
        .agg(sum_profit=(REVENUE - col("ps_supplycost") * col("l_quantity")).sum())
        .sort("nation", "o_year", descending=[False, True])
    )


def q10(t: Tables) -> pl.LazyFrame:
    return (
        t["customer"]
        .join(
            t["orders"].filter(
                (col("o_orderdate") >= _d("1993-10-01"))
                & (col("o_orderdate") < _d("1994-01-01"))
            ),
            left_on="c_custkey",
            right_on="o_custkey",
        )
        .join(
            t["lineitem"].filter(col("l_returnflag") == "R"),
            left_on="o_orderkey",
            right_on="l_orderkey",
        )
        .join(t["nation"], left_on="c_nationkey", right_on="n_nationkey")
        .group_by(
            "c_custkey",
            "c_name",
            "c_acctbal",
            "c_phone",
            "n_name",
            "c_address",
            "c_comment",
        )
        .agg(revenue=REVENUE.sum())
        .select(
            "c_custkey",
            "c_name",
            "revenue",
            "c_acctbal",
            "n_name",
            "c_address",
            "c_phone",
            "c_comment",
        )
        .sort("revenue", descending=True)
        .head(20)
    )


def q11(t: Tables) -> pl.LazyFrame:
    m = (
        t["nation"]
        .filter(col("n_name") == "GERMANY")
        .join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
        .join(t["partsupp"], left_on="s_suppkey", right_on="ps_suppkey")
        .with_columns(value=col("ps_supplycost") * col("ps_availqty"))
    )
    threshold = m.select(col("value").sum() * 0.0001)
    return (
        m.group_by("ps_partkey")
        .agg(col("value").sum())
        .join(threshold.select(threshold=col("value")), how="cross")
        .filter(col("value") > col("threshold"))
        .select("ps_partkey", "value")
        .sort("value", descending=True)
    )


def q12(t: Tables) -> pl.LazyFrame:
    high = col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (
        t["lineitem"]
        .filter(
            col("l_shipmode").is_in(["MAIL", "SHIP"])
            & (col("l_commitdate") < col("l_receiptdate"))
            & (col("l_shipdate") < col("l_commitdate"))
            & (col("l_receiptdate") >= _d("1994-01-01"))
            & (col("l_receiptdate") < _d("1995-01-01"))
        )
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .group_by("l_shipmode")
        .agg(
            high_line_count=high.cast(pl.Int64).sum(),
            low_line_count=(~high).cast(pl.Int64).sum(),
        )
        .sort("l_shipmode")
    )


def q13(t: Tables) -> pl.LazyFrame:
    orders = t["orders"].filter(~col("o_comment").str.contains("special.*requests"))
    return (
        t["customer"]
        .join(orders, left_on="c_custkey", right_on="o_custkey", how="left")
        .group_by("c_custkey")
        .agg(c_count=col("o_orderkey").count())
        .group_by("c_count")
        .agg(custdist=pl.len())
        .sort("custdist", "c_count", descending=[True, True])
    )


def q14(t: Tables) -> pl.LazyFrame:
    return (
        t["lineitem"]
        .filter(
            (col("l_shipdate") >= _d("1995-09-01"))
            & (col("l_shipdate") < _d("1995-10-01"))
        )
        .join(t["part"], left_on="l_partkey", right_on="p_partkey")
        .select(
            promo_revenue=100.0
            * pl.when(col("p_type").str.starts_with("PROMO"))
            .then(REVENUE)
            .otherwise(0.0)
            .sum()
            / REVENUE.sum()
        )
    )


def q15(t: Tables) -> pl.LazyFrame:
    revenue = (
        t["lineitem"]
        .filter(
            (col("l_shipdate") >= _d("1996-01-01"))
            & (col("l_shipdate") < _d("1996-04-01"))
        )
        .group_by("l_suppkey")
        .agg(total_revenue=REVENUE.sum())
    )
    return (
        t["supplier"]
        .join(revenue, left_on="s_suppkey", right_on="l_suppkey")
        .filter(col("total_revenue") == col("total_revenue").max())
        .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
        .sort("s_suppkey")
    )


def q16(t: Tables) -> pl.LazyFrame:
    complaints = t["supplier"].filter(
        col("s_comment").str.contains("Customer.*Complaints")
    )
    return (
        t["part"]
        .filter(
            (col("p_brand") != "Brand#45")
            & ~col("p_type").str.starts_with("MEDIUM POLISHED")
            & col("p_size").is_in([49, 14, 23, 45, 19, 3, 36, 9])
        )
        .join(t["partsupp"], left_on="p_partkey", right_on="ps_partkey")
        .join(complaints, left_on="ps_suppkey", right_on="s_suppkey", how="anti")
        .group_by("p_brand", "p_type", "p_size")
        .agg(supplier_cnt=col("ps_suppkey").n_unique())
        .sort(
            "supplier_cnt",
            "p_brand",
            "p_type",
            "p_size",
            descending=[True, False, False, False],
        )
    )


def q17(t: Tables) -> pl.LazyFrame:
    return (
        t["part"]
        .filter((col("p_brand") == "Brand#23") & (col("p_container") == "MED BOX"))
        .join(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .filter(col("l_quantity") < 0.2 * col("l_quantity").mean().over("p_partkey"))
        .select(avg_yearly=col("l_extendedprice").sum() / 7.0)
    )


def q18(t: Tables) -> pl.LazyFrame:
    big = (
        t["lineitem"]
        .group_by("l_orderkey")
        .agg(sum_qty=col("l_quantity").sum())
        .filter(col("sum_qty") > 300)
    )
    return (
        t["orders"]
        .join(big, left_on="o_orderkey", right_on="l_orderkey")
        .join(t["customer"], left_on="o_custkey", right_on="c_custkey")
        .select(
            "c_name",
            col("o_custkey").alias("c_custkey"),
            "o_orderkey",
            "o_orderdate",
            "o_totalprice",
            "sum_qty",
        )
        .sort("o_totalprice", "o_orderdate", descending=[True, False])
        .head(100)
    )


def q19(t: Tables) -> pl.LazyFrame:
    def case(brand: str, containers: list[str], lo: int, top: int) -> pl.Expr:
        return (
            (col("p_brand") == brand)
            & col("p_container").is_in(containers)
            & col("l_quantity").is_between(lo, lo + 10)
            & col("p_size").is_between(1, top)
        )

    sm = ["SM CASE", "SM BOX", "SM PACK", "SM PKG"]
    med = ["MED BAG", "MED BOX", "MED PKG", "MED PACK"]
    lg = ["LG CASE", "LG BOX", "LG PACK", "LG PKG"]
    return (
        t["lineitem"]
        .filter(
            col("l_shipmode").is_in(["AIR", "AIR REG"])
            & (col("l_shipinstruct") == "DELIVER IN PERSON")
        )
        .join(t["part"], left_on="l_partkey", right_on="p_partkey")
        .filter(
            case("Brand#12", sm, 1, 5)
            | case("Brand#23", med, 10, 10)
            | case("Brand#34", lg, 20, 15)
        )
        .select(revenue=REVENUE.sum())
    )


def q20(t: Tables) -> pl.LazyFrame:
    shipped = (
        t["lineitem"]
        .filter(
            (col("l_shipdate") >= _d("1994-01-01"))
            & (col("l_shipdate") < _d("1995-01-01"))
        )
        .group_by("l_partkey", "l_suppkey")
        .agg(qty=col("l_quantity").sum())
    )
    forest = t["part"].filter(col("p_name").str.starts_with("forest"))
    ps = (
        t["partsupp"]
        .join(forest, left_on="ps_partkey", right_on="p_partkey", how="semi")
        .join(
            shipped,
            left_on=["ps_partkey", "ps_suppkey"],
            right_on=["l_partkey", "l_suppkey"],
        )
        .filter(col("ps_availqty") > 0.5 * col("qty"))
    )
    return (
        t["nation"]
        .filter(col("n_name") == "CANADA")
        .join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
        .join(ps, left_on="s_suppkey", right_on="ps_suppkey", how="semi")
        .select("s_name", "s_address")
        .sort("s_name")
    )


def q21(t: Tables) -> pl.LazyFrame:
    li = t["lineitem"]
    late = li.filter(col("l_receiptdate") > col("l_commitdate"))
    many = (
        li.group_by("l_orderkey")
        .agg(n=col("l_suppkey").n_unique())
        .filter(col("n") > 1)
    )
    one_late = (
        late.group_by("l_orderkey")
        .agg(n=col("l_suppkey").n_unique())
        .filter(col("n") == 1)
    )
    return (
        t["nation"]
        .filter(col("n_name") == "SAUDI ARABIA")
        .join(t["supplier"], left_on="n_nationkey", right_on="s_nationkey")
        .join(late, left_on="s_suppkey", right_on="l_suppkey")
        .join(
            t["orders"].filter(col("o_orderstatus") == "F"),
            left_on="l_orderkey",
            right_on="o_orderkey",
        )
        .join(many, on="l_orderkey", how="semi")
        .join(one_late, on="l_orderkey", how="semi")
        .group_by("s_name")
        .agg(numwait=pl.len())
        .sort("numwait", "s_name", descending=[True, False])
        .head(100)
    )


def q22(t: Tables) -> pl.LazyFrame:
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    c = t["customer"].with_columns(cntrycode=col("c_phone").str.slice(0, 2))
    c = c.filter(col("cntrycode").is_in(codes))
    average = c.filter(col("c_acctbal") > 0.0).select(avg=col("c_acctbal").mean())
    return (
        c.join(average, how="cross")
        .filter(col("c_acctbal") > col("avg"))
        .join(t["orders"], left_on="c_custkey", right_on="o_custkey", how="anti")
        .group_by("cntrycode")
        .agg(numcust=pl.len(), totacctbal=col("c_acctbal").sum())
        .sort("cntrycode")
    )


QUERIES: dict[int, Callable[[Tables], pl.LazyFrame]] = {
    i: globals()[f"q{i}"] for i in range(1, 23)
}
