"""Small-query latency: partframe vs Dask DataFrame vs pandas, same run.

Run: ``python benchmarks/bench_small_query.py [--rows N] [--partitions P]``

Each query is built from scratch and computed end to end (from_pandas,
plan, optimize, schedule, run), as a user's interactive query would be:

- ``filter+sum``: ``df[df.x > 0.5].y.sum()``
- ``filter+mean+len``: ``df[df.x > df.x.mean()]`` then ``len``
- ``filter+groupby-sum``: ``df[df.x > 0.5].groupby("id").y.sum()``
  (when partframe's groupby exists)

Prints median milliseconds and the partframe/Dask and partframe/pandas
ratios. Target (issue "DataFrame and Series"): partframe at most a quarter
of Dask's time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import partframe


def timeit(engines: dict[str, Callable[[], object]], repeat: int) -> dict:
    """Median milliseconds of each engine, timed in interleaved rounds.

    Engines take turns (in a rotating order) rather than running all their
    repeats back to back, so that what one engine leaves behind (garbage,
    idle threads, a warm or cold cache) and drifts in machine load fall on
    every engine alike.
    """
    names = list(engines)
    for f in engines.values():
        f()  # warm up (imports, thread pools)
    times: dict[str, list] = {n: [] for n in names}
    for r in range(repeat):
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            start = time.perf_counter()
            engines[name]()
            times[name].append(time.perf_counter() - start)
    return {n: statistics.median(t) * 1000 for n, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import dask
    import dask.dataframe as dd

    rng = np.random.default_rng(0)
    pdf = pd.DataFrame(
        {
            "id": rng.integers(0, 100, args.rows),
            "x": rng.random(args.rows),
            "y": rng.random(args.rows),
        }
    )
    n = args.partitions

    queries: dict[str, dict[str, Callable[[], object]]] = {}

    def pf_sum(scheduler: str) -> Callable[[], object]:
        def run() -> object:
            df = partframe.from_pandas(pdf, npartitions=n)
            return df[df.x > 0.5].y.sum().compute(scheduler=scheduler)

        return run

    def pf_mean_len(scheduler: str) -> Callable[[], object]:
        def run() -> object:
            df = partframe.from_pandas(pdf, npartitions=n)
            with partframe.config.set(scheduler=scheduler):
                return len(df[df.x > df.x.mean()])

        return run

    def pf_groupby(scheduler: str) -> Callable[[], object]:
        def run() -> object:
            df = partframe.from_pandas(pdf, npartitions=n)
            return df[df.x > 0.5].groupby("id").y.sum().compute(scheduler=scheduler)

        return run

    def dd_sum() -> object:
        df = dd.from_pandas(pdf, npartitions=n)
        return df[df.x > 0.5].y.sum().compute()

    def dd_mean_len() -> object:
        df = dd.from_pandas(pdf, npartitions=n)
        return len(df[df.x > df.x.mean()])

    def dd_groupby() -> object:
        df = dd.from_pandas(pdf, npartitions=n)
        return df[df.x > 0.5].groupby("id").y.sum().compute()

    queries["filter+sum"] = {
        "pandas": lambda: pdf[pdf.x > 0.5].y.sum(),
        "dask": dd_sum,
        "partframe-threads": pf_sum("threads"),
        "partframe-sync": pf_sum("sync"),
    }
    queries["filter+mean+len"] = {
        "pandas": lambda: len(pdf[pdf.x > pdf.x.mean()]),
        "dask": dd_mean_len,
        "partframe-threads": pf_mean_len("threads"),
        "partframe-sync": pf_mean_len("sync"),
    }
    has_groupby = hasattr(partframe.DataFrame, "groupby")
    queries["filter+groupby-sum"] = {
        "pandas": lambda: pdf[pdf.x > 0.5].groupby("id").y.sum(),
        "dask": dd_groupby,
    }
    if has_groupby:
        queries["filter+groupby-sum"]["partframe-threads"] = pf_groupby("threads")
        queries["filter+groupby-sum"]["partframe-sync"] = pf_groupby("sync")

    print(
        f"{args.rows:,} rows, {n} partitions, median of {args.repeat}; "
        f"dask {dask.__version__}, pandas {pd.__version__}"
    )
    header = f"{'query':<20} {'engine':<18} {'ms':>8} {'vs dask':>8} {'vs pandas':>10}"
    print(header)
    print("-" * len(header))
    for qname, engines in queries.items():
        results = timeit(engines, args.repeat)
        for engine, ms in results.items():
            vs_dask = ms / results["dask"]
            vs_pandas = ms / results["pandas"]
            print(
                f"{qname:<20} {engine:<18} {ms:8.2f} {vs_dask:8.2f} {vs_pandas:10.2f}"
            )
        if "partframe-threads" not in results:
            print(f"{qname:<20} {'partframe':<18} {'n/a (not built yet)':>8}")


if __name__ == "__main__":
    main()
