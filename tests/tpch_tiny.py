"""A tiny TPC-H database in pandas, for testing the 22 queries quickly.

The tables have the spec's columns and dtypes as the benchmark reads them
(float64 money, datetime64 dates, str text) and its relations (every
lineitem's part and supplier are a partsupp row, an order's status follows
its lines, customers whose key is a multiple of 3 have no orders, a phone
starts with the nation key + 10). The value domains are narrowed so that
each query's filters keep rows at a few hundred lines: a few brands,
containers, sizes and types, suppliers and customers in the nations the
queries name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
NATIONS = [
    ("ALGERIA", 0),
    ("ARGENTINA", 1),
    ("BRAZIL", 1),
    ("CANADA", 1),
    ("EGYPT", 4),
    ("ETHIOPIA", 0),
    ("FRANCE", 3),
    ("GERMANY", 3),
    ("INDIA", 2),
    ("INDONESIA", 2),
    ("IRAN", 4),
    ("IRAQ", 4),
    ("JAPAN", 2),
    ("JORDAN", 4),
    ("KENYA", 0),
    ("MOROCCO", 0),
    ("MOZAMBIQUE", 0),
    ("PERU", 1),
    ("CHINA", 2),
    ("ROMANIA", 3),
    ("SAUDI ARABIA", 4),
    ("VIETNAM", 2),
    ("RUSSIA", 3),
    ("UNITED KINGDOM", 3),
    ("UNITED STATES", 1),
]
# nations the queries name (and those whose phone codes Q22 lists)
BUSY_NATIONS = [2, 3, 6, 7, 8, 9, 13, 19, 20, 21, 7, 20, 20, 3, 6]
TYPES = [
    "ECONOMY ANODIZED STEEL",
    "PROMO BRUSHED BRASS",
    "MEDIUM POLISHED TIN",
    "STANDARD PLATED BRASS",
    "LARGE BURNISHED COPPER",
    "SMALL BRUSHED NICKEL",
    "PROMO PLATED STEEL",
]
BRANDS = ["Brand#12", "Brand#23", "Brand#34", "Brand#45", "Brand#13"]
CONTAINERS = ["SM CASE", "SM BOX", "MED BOX", "MED BAG", "LG CASE", "LG BOX"]
SIZES = [1, 3, 5, 9, 10, 14, 15, 15, 15, 19, 23, 36, 45, 49]
WORDS = ["forest", "green", "blush", "lace", "navy", "olive", "peach", "plum"]
SEGMENTS = ["BUILDING", "AUTOMOBILE", "MACHINERY", "HOUSEHOLD", "FURNITURE"]
PRIORITIES = ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"]
INSTRUCTIONS = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]
MODES = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]
COMMENTS = [
    "carefully final deposits",
    "Customer slyly Complaints about",
    "special pending requests",
    "ironic foxes sleep",
    "requests are special",
]
CURRENT = pd.Timestamp("1995-06-17")


def _str(values: object) -> pd.Series:
    return pd.Series(pd.array(np.asarray(values, dtype=object), dtype="str"))


def tables(
    nsupp: int = 30,
    ncust: int = 60,
    nparts: int = 40,
    norders: int = 400,
    seed: int = 1,
) -> dict[str, pd.DataFrame]:
    """The eight tables, by name."""
    rng = np.random.default_rng(seed)

    def pick(values: list, n: int) -> np.ndarray:
        return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]

    def money(lo: float, hi: float, n: int) -> np.ndarray:
        return np.round(rng.uniform(lo, hi, n), 2)

    region = pd.DataFrame(
        {
            "r_regionkey": np.arange(5),
            "r_name": _str(REGIONS),
            "r_comment": _str(pick(COMMENTS, 5)),
        }
    )
    nation = pd.DataFrame(
        {
            "n_nationkey": np.arange(25),
            "n_name": _str([n for n, _ in NATIONS]),
            "n_regionkey": np.array([r for _, r in NATIONS]),
            "n_comment": _str(pick(COMMENTS, 25)),
        }
    )
    s_nation = np.asarray(pick(BUSY_NATIONS, nsupp), dtype="int64")
    supplier = pd.DataFrame(
        {
            "s_suppkey": np.arange(1, nsupp + 1),
            "s_name": _str([f"Supplier#{i:09d}" for i in range(1, nsupp + 1)]),
            "s_address": _str([f"addr {i}" for i in range(nsupp)]),
            "s_nationkey": s_nation,
            "s_phone": _str(
                [f"{k + 10}-{i:03d}-000-0000" for i, k in enumerate(s_nation)]
            ),
            "s_acctbal": money(-999.99, 9999.99, nsupp),
            "s_comment": _str(pick(COMMENTS, nsupp)),
        }
    )
    c_nation = np.asarray(pick(BUSY_NATIONS, ncust), dtype="int64")
    customer = pd.DataFrame(
        {
            "c_custkey": np.arange(1, ncust + 1),
            "c_name": _str([f"Customer#{i:09d}" for i in range(1, ncust + 1)]),
            "c_address": _str([f"street {i}" for i in range(ncust)]),
            "c_nationkey": c_nation,
            "c_phone": _str(
                [f"{k + 10}-{i:03d}-111-2222" for i, k in enumerate(c_nation)]
            ),
            "c_acctbal": money(-999.99, 9999.99, ncust),
            "c_mktsegment": _str(pick(SEGMENTS, ncust)),
            "c_comment": _str(pick(COMMENTS, ncust)),
        }
    )
    names = [
        " ".join(rng.permutation(WORDS)[:4]) if i % 4 else "forest " + WORDS[i % 8]
        for i in range(nparts)
    ]
    part = pd.DataFrame(
        {
            "p_partkey": np.arange(1, nparts + 1),
            "p_name": _str(names),
            "p_mfgr": _str(pick([f"Manufacturer#{i}" for i in range(1, 6)], nparts)),
            "p_brand": _str(pick(BRANDS, nparts)),
            "p_type": _str(pick(TYPES, nparts)),
            "p_size": np.asarray(pick(SIZES, nparts), dtype="int32"),
            "p_container": _str(pick(CONTAINERS, nparts)),
            "p_retailprice": money(900, 2000, nparts),
            "p_comment": _str(pick(COMMENTS, nparts)),
        }
    )
    # four suppliers per part
    ps_part = np.repeat(part.p_partkey.to_numpy(), 4)
    ps_supp = np.concatenate(
        [rng.choice(np.arange(1, nsupp + 1), 4, replace=False) for _ in range(nparts)]
    )
    partsupp = pd.DataFrame(
        {
            "ps_partkey": ps_part,
            "ps_suppkey": ps_supp,
            "ps_availqty": np.asarray(rng.integers(1, 10000, len(ps_part)), "int32"),
            "ps_supplycost": money(1, 1000, len(ps_part)),
            "ps_comment": _str(pick(COMMENTS, len(ps_part))),
        }
    )
    # orders by the customers whose key is not a multiple of 3
    buyers = customer.c_custkey[customer.c_custkey % 3 != 0].to_numpy()
    start, stop = pd.Timestamp("1992-01-01"), pd.Timestamp("1998-08-02")
    days = rng.integers(0, (stop - start).days, norders)
    orderdate = (start + pd.to_timedelta(days, "D")).astype("datetime64[ms]")
    okeys = np.arange(1, norders + 1) * 4  # sparse keys, as in the spec
    # lines: 1..7 per order; some orders big enough for Q18
    nlines = rng.integers(1, 8, norders)
    nlines[::25] = 7
    l_order = np.repeat(okeys, nlines)
    l_odate = np.repeat(orderdate.to_numpy(), nlines)
    n = len(l_order)
    which = rng.integers(0, len(ps_part), n)
    l_part, l_supp = ps_part[which], ps_supp[which]
    qty = rng.integers(1, 51, n).astype("float64")
    qty[np.repeat(np.arange(norders) % 25 == 0, nlines)] = 50.0
    price = part.p_retailprice.to_numpy()[l_part - 1]
    ship = l_odate + pd.to_timedelta(rng.integers(1, 122, n), "D").to_numpy()
    commit = l_odate + pd.to_timedelta(rng.integers(30, 91, n), "D").to_numpy()
    receipt = ship + pd.to_timedelta(rng.integers(1, 31, n), "D").to_numpy()
    late_flag = pick(["R", "A"], n)
    lineitem = pd.DataFrame(
        {
            "l_orderkey": l_order,
            "l_partkey": l_part,
            "l_suppkey": l_supp,
            "l_linenumber": np.concatenate(
                [np.arange(1, k + 1) for k in nlines]
            ).astype("int32"),
            "l_quantity": qty,
            "l_extendedprice": np.round(qty * price, 2),
            "l_discount": rng.integers(0, 11, n) / 100,
            "l_tax": rng.integers(0, 9, n) / 100,
            "l_returnflag": _str(np.where(receipt <= CURRENT, late_flag, "N")),
            "l_linestatus": _str(np.where(ship > CURRENT, "O", "F")),
            "l_shipdate": pd.Series(ship).astype("datetime64[ms]"),
            "l_commitdate": pd.Series(commit).astype("datetime64[ms]"),
            "l_receiptdate": pd.Series(receipt).astype("datetime64[ms]"),
            "l_shipinstruct": _str(pick(INSTRUCTIONS, n)),
            "l_shipmode": _str(pick(MODES, n)),
            "l_comment": _str(pick(COMMENTS, n)),
        }
    )
    status = lineitem.groupby("l_orderkey").l_linestatus.agg(lambda s: "".join(set(s)))
    status = status.map(lambda s: s if len(s) == 1 else "P").reindex(okeys)
    orders = pd.DataFrame(
        {
            "o_orderkey": okeys,
            "o_custkey": rng.choice(buyers, norders),
            "o_orderstatus": _str(status.to_numpy()),
            "o_totalprice": money(1000, 400000, norders),
            "o_orderdate": pd.Series(orderdate),
            "o_orderpriority": _str(pick(PRIORITIES, norders)),
            "o_clerk": _str([f"Clerk#{i % 10:09d}" for i in range(norders)]),
            "o_shippriority": np.zeros(norders, dtype="int32"),
            "o_comment": _str(pick(COMMENTS, norders)),
        }
    )
    return {
        "region": region,
        "nation": nation,
        "supplier": supplier,
        "customer": customer,
        "part": part,
        "partsupp": partsupp,
        "orders": orders,
        "lineitem": lineitem,
    }
