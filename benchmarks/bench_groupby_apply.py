"""groupby-apply with a Python function per group: pandas vs partframe vs Dask.

One command::

    python benchmarks/bench_groupby_apply.py --rows 1e6
    python benchmarks/bench_groupby_apply.py --rows 1e7 --repeat 1

The db-benchmark "advanced" questions written as ``apply`` of a Python
function, on the G1 data (``benchmarks/dbgen.py``):

- q8: the two largest ``v3`` of each ``id6`` group, ``g.nlargest(2, "v3")``
  (a frame per group);
- q9: the squared correlation of ``v1`` and ``v2`` per ``(id2, id4)``,
  ``g.v1.corr(g.v2) ** 2`` (a scalar per group).

The function holds the GIL, so threads alone run it on one core.
Engines, each in its own fresh process (``--rounds``: that many
processes per engine, the engines in turns), the data read from Parquet and
held in memory before the timed runs (as db-benchmark does): pandas;
partframe on its default threads scheduler (which shares each
partition's groups with a worker process: ``partframe.offload``);
partframe with that turned off (``offload_processes=False``: threads
only); Dask (threads). Each question runs ``--repeat`` times in each
process, the best time counts (``first``: the first run of the first
process, for partframe the one that starts its worker process). Every
answer is checked against pandas': partframe's exactly, Dask's as the same
keys and values in any order (its group order, row labels and string dtype
are not pandas').

``cpu`` is the engine process's CPU seconds in its best run (all its
threads), ``workers`` those of partframe's offload worker processes. On a
machine whose CPU is shared (Linux groups processes by session and shares
the CPU fairly between groups), a session gets the same CPU time whatever
number of processes it runs, and only the CPU columns show how the work
was split.
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

ENGINES = ["pandas", "partframe", "partframe-threads-only", "dask"]


def top2(g: pd.DataFrame) -> pd.DataFrame:
    return g.nlargest(2, "v3")


def r2(g: pd.DataFrame) -> float:
    return g["v1"].corr(g["v2"]) ** 2


QUESTIONS = {
    "q8": (["id6", "v3"], "id6", top2, {"v3": "float64"}),
    "q9": (["id2", "id4", "v1", "v2"], ["id2", "id4"], r2, (None, "float64")),
}


def _run(engine: str, path: str, repeat: int, only: list[str], out: str) -> dict:
    if engine == "pandas":
        frame = pd.read_parquet(path)

        def ask(cols, by, f, meta):
            return frame[cols].groupby(by).apply(f)

    elif engine.startswith("partframe"):
        import partframe

        if engine == "partframe-threads-only":
            partframe.config.set(offload_processes=False)
        frame = partframe.read_parquet(path, split_row_groups=True).persist()

        def ask(cols, by, f, meta):
            return frame[cols].groupby(by).apply(f).compute(scheduler="threads")

    else:
        import dask
        import dask.dataframe as dd

        dask.config.set(scheduler="threads")
        frame = dd.read_parquet(path, split_row_groups=True).persist()

        def ask(cols, by, f, meta):
            return frame[cols].groupby(by).apply(f, meta=meta).compute()

    timings, answers = {}, {}
    for name in only:
        times = []
        for _ in range(repeat):
            t0, c0, w0 = time.perf_counter(), time.process_time(), _workers_cpu()
            answers[name] = ask(*QUESTIONS[name])
            cpu = time.process_time() - c0
            times.append((time.perf_counter() - t0, cpu, _workers_cpu() - w0))
        wall, cpu, wcpu = min(times)
        timings[name] = {"best": wall, "first": times[0][0], "cpu": cpu, "wcpu": wcpu}
    with open(out, "wb") as f:
        pickle.dump(answers, f)
    return timings


def _workers_cpu() -> float:
    """CPU seconds used so far by partframe's offload workers (Linux)."""
    offload = sys.modules.get("partframe.offload")
    if offload is None:
        return 0.0
    pool = offload._POOL
    total = 0.0
    for w in [*pool.idle, *pool.lent]:
        try:
            with open(f"/proc/{w.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _check(engine: str, want: object, got: object) -> str:
    """``ok`` when ``got`` is pandas' answer: partframe's exactly; Dask's
    as the same rows of keys and values in some order (its group order,
    row labels and string dtype are not pandas')."""
    try:
        if engine == "dask":
            want, got = _rows(want), _rows(got)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want, check_exact=engine != "dask")
        else:
            pd.testing.assert_series_equal(got, want, check_exact=engine != "dask")
    except AssertionError as err:
        return "WRONG: " + str(err).replace("\n", " ")[:120]
    return "ok"


def _rows(x: object) -> pd.DataFrame:
    """Keys and values as plain columns, sorted; no row labels."""
    frame = x.to_frame("value") if isinstance(x, pd.Series) else x  # type: ignore[union-attr]
    names = [n for n in frame.index.names if n is not None]
    frame = frame.reset_index(level=names).reset_index(drop=True)
    frame = frame.astype({n: object for n in names})
    return frame.sort_values(list(frame.columns), ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=1, help="engine processes, taken in turns"
    )
    parser.add_argument("--only", default="q8,q9", help="e.g. q8")
    add_engine_arguments(parser, ENGINES)
    args = parser.parse_args()
    n = int(args.rows)
    path = dbgen.ensure(n)
    only = args.only.split(",")
    if args.engine:
        print(json.dumps(_run(args.engine, path, args.repeat, only, args.out)))
        return
    engines = engines_with_pandas(args.engines)
    results: dict = {}
    answers = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):  # in turns: load changes hit all alike
            for e in engines:
                extra = ["--rows", str(n), "--repeat", str(args.repeat)]
                extra += ["--only", args.only]
                got, answers[e] = run_engine_with_answers(__file__, e, extra, tmp)
                for q, t in got.items():  # type: ignore[union-attr]
                    old = results.setdefault(e, {}).get(q)
                    results[e][q] = (
                        t
                        if old is None
                        else {
                            "best": min(t["best"], old["best"]),
                            "first": old["first"],
                        }
                    )
    print(
        f"groupby apply, {n:,} rows, {os.cpu_count()} cpus "
        f"(best of {args.repeat} runs x {args.rounds} rounds)"
    )
    head = ["question", "engine", "seconds", "first", "pandas/x", "cpu", "workers"]
    print("{:9} {:24} {:>8} {:>8} {:>9} {:>6} {:>8}  answer".format(*head))
    for q in only:
        base = results["pandas"][q]["best"]
        for e in engines:
            r = results[e][q]
            want, got = answers["pandas"][q], answers[e][q]
            check = "-" if e == "pandas" else _check(e, want, got)
            print(
                f"{q:9} {e:24} {r['best']:8.2f} {r['first']:8.2f} "
                f"{base / r['best']:9.2f} {r['cpu']:6.2f} {r['wcpu']:8.2f}  {check}"
            )


if __name__ == "__main__":
    main()
