"""Merge, then filter: partframe vs pandas vs Dask on Parquet files.

One command::

    python benchmarks/bench_merge_filter.py            # 6e6 "lineitem" rows
    python benchmarks/bench_merge_filter.py --quick    # 1e6

The shape of TPC-H's promotion-revenue query, written the way a pandas user
writes it: join a fact table (``lineitem``: part key, price, discount, ship
date over seven years, 12 row groups) with a dimension (``part``: a fifth as
many rows, a type string), then keep one month and sum the discounted
revenue of the promoted types. Rows outside the month can be dropped
before the join; whether an engine does that decides its time. partframe
runs twice: as it plans the query, and with the filter left above the
join (``--engine partframe-no-pushdown``, the plan before the optimizer
filtered join inputs). Each engine runs in its own fresh process, best of
``--repeat`` runs after one warm-up; the answers are checked against
pandas'. Data is written once to ``benchmarks/data/merge_filter_<N>/``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd
from engine_process import run_engine_process

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _paths(n: int) -> tuple[str, str]:
    folder = os.path.join(DATA, f"merge_filter_{n}")
    return os.path.join(folder, "lineitem.parquet"), os.path.join(
        folder, "part.parquet"
    )


def generate(n: int, seed: int = 7) -> tuple[str, str]:
    """Write (once) the two tables; return their paths."""
    lineitem, part = _paths(n)
    if os.path.exists(lineitem) and os.path.exists(part):
        return lineitem, part
    os.makedirs(os.path.dirname(lineitem), exist_ok=True)
    rng = np.random.default_rng(seed)
    nparts = max(1, n // 5)
    days = rng.integers(0, 7 * 365, n)
    li = pd.DataFrame(
        {
            "l_partkey": rng.integers(0, nparts, n),
            "l_extendedprice": rng.uniform(900, 100_000, n).round(2),
            "l_discount": rng.integers(0, 11, n) / 100,
            "l_shipdate": pd.Timestamp("1992-01-01") + pd.to_timedelta(days, "D"),
        }
    )
    kinds = np.array(["PROMO BRUSHED", "STANDARD POLISHED", "ECONOMY ANODIZED"])
    pa_ = pd.DataFrame(
        {
            "p_partkey": np.arange(nparts),
            "p_type": kinds[rng.integers(0, len(kinds), nparts)],
        }
    )
    li.to_parquet(lineitem, row_group_size=-(-n // 12), index=False)
    pa_.to_parquet(part, row_group_size=-(-nparts // 4), index=False)
    return lineitem, part


def query(lineitem, part):
    """The query, the same code for pandas, partframe and Dask frames."""
    m = lineitem.merge(part, left_on="l_partkey", right_on="p_partkey")
    m = m[(m.l_shipdate >= "1995-09-01") & (m.l_shipdate < "1995-10-01")]
    revenue = m.l_extendedprice * (1 - m.l_discount)
    promo = revenue.where(m.p_type.str.startswith("PROMO"), 0.0)
    return promo.sum(), revenue.sum()


def _run(engine: str, n: int, repeat: int) -> dict:
    lineitem, part = _paths(n)
    if engine == "pandas":

        def once():
            return query(pd.read_parquet(lineitem), pd.read_parquet(part))

    elif engine.startswith("partframe"):
        import partframe

        if engine == "partframe-no-pushdown":
            import importlib

            # (the package, not the function ``partframe.expr.optimize``)
            opt = importlib.import_module("partframe.expr.optimize")
            opt.push_filters_below = lambda expr: expr  # the plan as written

        def once():
            li = partframe.read_parquet(lineitem)
            pa_ = partframe.read_parquet(part)
            promo, total = query(li, pa_)
            return partframe.compute(promo, total, scheduler="threads")

    else:
        import dask
        import dask.dataframe as dd

        def once():
            li = dd.read_parquet(lineitem)
            pa_ = dd.read_parquet(part)
            promo, total = query(li, pa_)
            return dask.compute(promo, total, scheduler="threads")

    once()  # warm-up
    times, answer = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = once()
        times.append(time.perf_counter() - t0)
    promo, total = (float(x) for x in answer)
    return {"seconds": min(times), "promo": promo, "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=6e6)
    parser.add_argument("--quick", action="store_true", help="1e6 rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = int(1e6 if args.quick else args.rows)
    if args.engine:
        print(json.dumps(_run(args.engine, n, args.repeat)))
        return
    generate(n)
    engines = ["pandas", "partframe", "partframe-no-pushdown", "dask"]
    out = {
        e: run_engine_process(
            __file__, e, ["--rows", str(n), "--repeat", str(args.repeat)]
        )
        for e in engines
    }
    want = out["pandas"]
    print(f"merge then filter, {n:,} lineitem rows (best of {args.repeat})")
    print(f"{'engine':24} {'seconds':>8} {'vs pandas':>10} {'vs dask':>8}  answer")
    for e, r in out.items():
        ok = np.isclose(r["promo"], want["promo"]) and np.isclose(
            r["total"], want["total"]
        )
        print(
            f"{e:24} {r['seconds']:8.3f} {r['seconds'] / want['seconds']:10.2f} "
            f"{r['seconds'] / out['dask']['seconds']:8.2f}  {'ok' if ok else 'WRONG'}"
        )


if __name__ == "__main__":
    main()
