"""partframe quickstart: CSV -> filter -> groupby -> Parquet, on sample data.

Run: ``python3 examples/quickstart.py [--size-mb 200] [--out DIR]``

1. Generates a sample sales dataset as CSV files (``--size-mb`` in total,
   default 200 MB) under ``examples/data/`` (once; reused afterwards).
2. Reads it lazily with ``partframe.read_csv`` and runs pandas-style code:
   a filter, a derived column, and groupby aggregations.
3. Writes the result with ``to_parquet`` (committed atomically), reads it
   back with ``read_parquet`` and prints it, with timings for each step and
   a check against plain pandas on the same files.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import partframe

HERE = Path(__file__).resolve().parent
BYTES_PER_ROW = 42  # about, for the CSV layout below


def make_sales(rows: int, seed: int) -> pd.DataFrame:
    """Sample sales rows: date, store, product, quantity, unit price."""
    rng = np.random.default_rng(seed)
    stores = np.array(["north", "south", "east", "west", "center"])
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "store": stores[rng.integers(0, len(stores), rows)],
            "product": rng.integers(0, 500, rows),
            "quantity": rng.integers(1, 10, rows),
            "price": rng.gamma(2.0, 10.0, rows).round(2),
        }
    )


def generate(folder: Path, size_mb: int, files: int = 8) -> list[Path]:
    """Write ``files`` CSV files of about ``size_mb`` MB in total (once)."""
    marker = folder / f".complete-{size_mb}"
    paths = [folder / f"sales-{i:02d}.csv" for i in range(files)]
    if marker.exists():
        return paths
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows = max(1, size_mb * 1_000_000 // BYTES_PER_ROW // files)
    for i, path in enumerate(paths):
        make_sales(rows, seed=i).to_csv(path, index=False)
    marker.touch()
    return paths


def timed(label: str, func: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = func()
    print(f"{label:<34} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="CSV size (MB)")
    parser.add_argument("--out", default=str(HERE / "data" / "summary.parquet"))
    parser.add_argument("--scheduler", default="threads")
    args = parser.parse_args()
    partframe.config.set(scheduler=args.scheduler)

    folder = HERE / "data" / "sales"
    paths = timed(
        f"generate {args.size_mb} MB of CSV", lambda: generate(folder, args.size_mb)
    )

    # 1. Lazy read: nothing is parsed yet, only a sample for the dtypes.
    df = partframe.read_csv(str(folder / "sales-*.csv"), parse_dates=["date"])
    print(df, end="\n\n")

    # 2. pandas syntax, lazily.
    big = df[df.quantity >= 3]
    big = big.assign(revenue=big.quantity * big.price, month=big.date.dt.month)
    summary = big.groupby(["store", "month"]).agg(
        orders=("revenue", "count"),
        revenue=("revenue", "sum"),
        mean_price=("price", "mean"),
        top_qty=("quantity", "max"),
    )
    summary.explain()
    print()

    # 3. Write the result (all-or-nothing), then read it back.
    timed(
        "read + filter + groupby + to_parquet",
        lambda: summary.to_parquet(args.out, overwrite=True),
    )
    back = timed(
        "read_parquet + compute", lambda: partframe.read_parquet(args.out).compute()
    )
    print(back.head(12), end="\n\n")

    # 4. The same job in plain pandas, as a check.
    def with_pandas() -> pd.DataFrame:
        pdf = pd.concat(pd.read_csv(p, parse_dates=["date"]) for p in paths)
        pdf = pdf[pdf.quantity >= 3]
        pdf = pdf.assign(revenue=pdf.quantity * pdf.price, month=pdf.date.dt.month)
        return pdf.groupby(["store", "month"]).agg(
            orders=("revenue", "count"),
            revenue=("revenue", "sum"),
            mean_price=("price", "mean"),
            top_qty=("quantity", "max"),
        )

    expected = timed("same job in pandas (one thread)", with_pandas)
    pd.testing.assert_frame_equal(back, expected, check_exact=False, rtol=1e-9)
    print("partframe and pandas agree:", len(back), "groups")


if __name__ == "__main__":
    main()
