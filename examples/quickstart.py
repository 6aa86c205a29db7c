"""partframe quickstart: lazy pandas over partitions, on data made here.

Run: ``python3 examples/quickstart.py [--rows N] [--partitions P]``

It builds a sample sales table in memory, splits it into partitions, and
runs pandas-style operations lazily: a filter, a derived column, and
reductions. It prints the plan before and after optimization, the results,
and the same results from plain pandas to show they agree. A second part
shows ``partframe.delayed`` for arbitrary Python functions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import partframe


def make_sales(rows: int, seed: int = 0) -> pd.DataFrame:
    """A sample sales table: store, product, quantity, unit price."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "store": pd.array(
                rng.choice(["north", "south", "east", "west"], rows), dtype="str"
            ),
            "product": rng.integers(0, 100, rows),
            "quantity": rng.integers(1, 10, rows),
            "price": rng.gamma(2.0, 10.0, rows).round(2),
        }
    )


@partframe.delayed(pure=True)
def summarize(block: range) -> dict:
    values = np.array(block, dtype=float)
    return {"n": len(values), "total": values.sum()}


@partframe.delayed(pure=True)
def merge(summaries: list) -> dict:
    return {
        "n": sum(s["n"] for s in summaries),
        "total": sum(s["total"] for s in summaries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()

    sales = make_sales(args.rows)
    df = partframe.from_pandas(sales, npartitions=args.partitions)
    print(df, end="\n\n")

    big = df[df.quantity >= 5]
    big = big.assign(revenue=big.quantity * big.price)
    query = big[["store", "revenue"]]
    query.explain()
    print()

    start = time.perf_counter()
    rows = len(query)
    head = query.head(5) if hasattr(query, "head") else None
    elapsed = time.perf_counter() - start
    print(f"rows with quantity >= 5: {rows:,} (partframe, {elapsed * 1000:.1f} ms)")
    if head is not None:
        print(head, end="\n\n")

    expected = sales[sales.quantity >= 5]
    assert rows == len(expected), (rows, len(expected))
    if hasattr(query.revenue, "sum"):
        total = query.revenue.sum().compute()
        want = (expected.quantity * expected.price).sum()
        print(f"total revenue: {total:,.2f} (pandas: {want:,.2f})")

    # Arbitrary Python functions, lazily, with shared work done once.
    blocks = [summarize(range(i * 1000, (i + 1) * 1000)) for i in range(8)]
    overall = merge(blocks)
    result = overall.compute()
    print(f"delayed: {result['n']} values, total {result['total']:,.0f}")


if __name__ == "__main__":
    main()
