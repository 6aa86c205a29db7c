"""Small-query latency: partframe vs Dask DataFrame vs pandas, same run.

Run: ``python benchmarks/bench_small_query.py [--rows N] [--partitions P]``

Each query is built from scratch and computed end to end (from_pandas,
plan, optimize, schedule, run), as a user's interactive query would be:

- ``filter+sum``: ``df[df.x > 0.5].y.sum()``
- ``filter+mean+len``: ``df[df.x > df.x.mean()]`` then ``len``
- ``filter+groupby-sum``: ``df[df.x > 0.5].groupby("id").y.sum()``
  (when partframe's groupby exists)
- ``plan-20-ops``: build a plan of 20 operations (filters, assigns, a
  merge, rename, fillna, a selection, a groupby, reset_index), optimize it
  and make its task graph, without running it (:func:`plan20`); pandas has
  no plan, so the row compares with Dask only. Target (issue "A real
  optimizer"): under 5 ms.

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


def plan20(mod: object, pdf: pd.DataFrame, names: pd.DataFrame, n: int) -> object:
    """A plan of 20 operations on ``mod`` (partframe or dask.dataframe)."""
    df = mod.from_pandas(pdf, npartitions=n)  # type: ignore[attr-defined]
    other = mod.from_pandas(names, npartitions=2)  # type: ignore[attr-defined]
    df = df[df.x > 0.1]
    df = df.assign(z=df.x * 2)
    df = df.assign(w=df.y + df.z)
    df = df[df.w < 10]
    df = df.merge(other, on="id")
    df = df.assign(v=df.x - df.y)
    df = df[df.v.abs() < 0.9]
    df = df.rename(columns={"z": "zz"})
    df = df.fillna(0)
    df = df[["id", "x", "y", "zz", "w", "v", "name"]]
    df = df.assign(k=df.id % 7)
    g = df.groupby(["k", "name"]).agg(s=("x", "sum"), m=("v", "mean"))
    g = g.reset_index()
    g = g[g.s > 0]
    return g.assign(r=g.s / g.m)


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
    names = pd.DataFrame(
        {"id": np.arange(100), "name": [f"n{i % 9}" for i in range(100)]}
    )

    def pf_plan() -> object:
        return plan20(partframe, pdf, names, n).__dask_graph__()

    def dd_plan() -> object:
        return dict(plan20(dd, pdf, names, n).optimize().__dask_graph__())

    queries["plan-20-ops"] = {"dask": dd_plan, "partframe": pf_plan}
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
            vs_pandas = (
                f"{ms / results['pandas']:10.2f}" if "pandas" in results else " " * 10
            )
            print(f"{qname:<20} {engine:<18} {ms:8.2f} {vs_dask:8.2f} {vs_pandas}")
        if not any(e.startswith("partframe") for e in results):
            print(f"{qname:<20} {'partframe':<18} {'n/a (not built yet)':>8}")


if __name__ == "__main__":
    main()
