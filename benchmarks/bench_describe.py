"""describe() and a groupby median: pandas vs partframe vs Dask.

One command::

    python benchmarks/bench_describe.py --rows 8e6

On the db-benchmark G1 data (``benchmarks/dbgen.py``), read from Parquet
with pandas and given to each engine with ``from_pandas`` in 16 partitions
(Dask's persisted Parquet frames lose partitions under a column projection
in dask 2025/2026, so both engines start from the same pandas frame):

- ``describe``: ``df[["v1", "v2", "v3"]].describe()``: count, mean, std,
  min, max and the exact 25/50/75% quantiles of each column;
- ``median``: ``df.groupby("id4").v3.median()``: an exact median per group
  (100 groups), which needs every value of a group in one place.

Engines, each in its own fresh process: pandas; partframe and Dask on
their threads schedulers; partframe and Dask on their processes schedulers
(where each partition's data crosses a process boundary). Each question
runs ``--repeat`` times, the best time counts. Every answer is checked
against pandas': partframe's must be exact; Dask's quantiles are
approximate, and the table shows their largest relative error.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import tempfile
import time

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbgen
from engine_process import (
    add_engine_arguments,
    engines_with_pandas,
    run_engine_with_answers,
)

ENGINES = [
    "pandas",
    "partframe",
    "partframe-processes",
    "dask",
    "dask-processes",
]
QUESTIONS = ["describe", "median"]


def _run(engine: str, path: str, repeat: int, only: list[str], out: str) -> dict:
    cols = ["id4", "v1", "v2", "v3"]
    scheduler = "processes" if engine.endswith("-processes") else "threads"
    if engine == "pandas":
        frame = pd.read_parquet(path, columns=cols)

        def run(x):
            return x

    elif engine.startswith("partframe"):
        import partframe

        frame = partframe.from_pandas(pd.read_parquet(path, columns=cols), 16)

        def run(x):
            return x.compute(scheduler=scheduler)

    else:
        import dask
        import dask.dataframe as dd

        dask.config.set(scheduler=scheduler)
        frame = dd.from_pandas(pd.read_parquet(path, columns=cols), npartitions=16)

        def run(x):
            return x.compute()

    def ask(name):
        if name == "describe":
            return run(frame[["v1", "v2", "v3"]].describe())
        return run(frame.groupby("id4").v3.median())

    timings, answers = {}, {}
    for name in only:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            answers[name] = ask(name)
            times.append(time.perf_counter() - t0)
        timings[name] = min(times)
    with open(out, "wb") as f:
        pickle.dump(answers, f)
    return timings


def _check(engine: str, want: object, got: object) -> str:
    """``ok`` when ``got`` equals pandas' answer exactly; for Dask, whose
    quantiles are approximate, ``inexact`` and the largest relative error."""
    if isinstance(got, pd.Series):
        got = got.sort_index()
    assert_equal = (
        pd.testing.assert_frame_equal
        if isinstance(want, pd.DataFrame)
        else pd.testing.assert_series_equal
    )
    try:
        assert_equal(got, want, check_exact=True, check_names=False)
        return "ok"
    except AssertionError as err:
        if not engine.startswith("dask"):
            return "WRONG: " + str(err).replace("\n", " ")[:120]
    error = ((got - want).abs() / want.abs()).max()  # type: ignore[operator]
    return f"inexact, max relative error {float(pd.Series(error).max()):.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=8e6)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", default=",".join(QUESTIONS))
    add_engine_arguments(parser, ENGINES)
    args = parser.parse_args()
    n = int(args.rows)
    path = dbgen.ensure(n)
    only = args.only.split(",")
    if args.engine:
        print(json.dumps(_run(args.engine, path, args.repeat, only, args.out)))
        return
    engines = engines_with_pandas(args.engines)
    results, answers = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for e in engines:
            extra = ["--rows", str(n), "--repeat", str(args.repeat)]
            extra += ["--only", args.only]
            results[e], answers[e] = run_engine_with_answers(__file__, e, extra, tmp)
    print(f"describe / groupby median, {n:,} rows, best of {args.repeat}")
    print(f"{'question':<10} {'engine':<22} {'seconds':>9} {'/pandas':>8} answer")
    for q in only:
        base = results["pandas"][q]
        for e in engines:
            t = results[e][q]
            check = (
                "ok"
                if e == "pandas"
                else _check(e, answers["pandas"][q], answers[e][q])
            )
            print(f"{q:<10} {e:<22} {t:>9.2f} {t / base:>8.2f} {check}")
        for mode in ("", "-processes"):
            pf, dk = results.get("partframe" + mode), results.get("dask" + mode)
            if pf and dk:
                ratio = pf[q] / dk[q]
                print(f"{q:<10} partframe/dask{mode or '-threads':<12} {ratio:>9.2f}")


if __name__ == "__main__":
    main()
