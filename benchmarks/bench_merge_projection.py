"""Merge of two in-memory frames of which two columns are used after it.

One command::

    python benchmarks/bench_merge_projection.py            # 1e6 rows a side
    python benchmarks/bench_merge_projection.py --quick    # 2e5

Two ``from_pandas`` frames of ten columns each (a key and nine float
columns), hash-joined on the key; the query then uses one column of each
side (``(m.l1 * m.r1).sum()``). An in-memory source cannot read fewer
columns, so what the shuffles carry is decided by the optimizer: partframe
runs as it plans the query (a column selection below each side's shuffle)
and with that pass switched off (``--engine partframe-no-projection``: every
column moves). Each engine runs in its own fresh process; the time is the
best of ``--repeat`` runs after one warm-up; the memory is the peak
resident size the first run added to the process (``ru_maxrss`` after it,
less the resident size before it: the data itself is not counted) and the
process' whole peak (``maxrss``, the data included). Answers are
checked against pandas'.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd
from engine_process import run_engine_process

WIDTH = 9  # value columns per side


def frames(n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    left = pd.DataFrame({"k": rng.integers(0, n, n)})
    right = pd.DataFrame({"k": rng.permutation(n)})
    for j in range(WIDTH):
        left[f"l{j}"] = rng.normal(size=n)
        right[f"r{j}"] = rng.normal(size=n)
    return left, right


def query(left, right):
    """The query, the same code for pandas and partframe frames."""
    m = left.merge(right, on="k")
    return (m.l1 * m.r1).sum()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _run(engine: str, n: int, repeat: int, npartitions: int) -> dict:
    left, right = frames(n)
    if engine == "pandas":

        def once():
            return query(left, right)

    else:
        import partframe

        if engine == "partframe-no-projection":
            import importlib

            # (the package, not the function ``partframe.expr.optimize``)
            opt = importlib.import_module("partframe.expr.optimize")
            opt.push_projections_below = lambda expr: expr  # every column moves

        a = partframe.from_pandas(left, npartitions=npartitions)
        b = partframe.from_pandas(right, npartitions=npartitions)

        def once():
            return query(a, b).compute(scheduler="threads")

    before = _rss_bytes()
    t0 = time.perf_counter()
    answer = once()
    times = [time.perf_counter() - t0]
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = once()
        times.append(time.perf_counter() - t0)
    return {
        "seconds": min(times[1:] or times),
        "peak_mib": (maxrss - before) / 2**20,
        "maxrss_mib": maxrss / 2**20,
        "answer": float(answer),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--quick", action="store_true", help="2e5 rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--npartitions", type=int, default=8)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = int(2e5 if args.quick else args.rows)
    if args.engine:
        out = _run(args.engine, n, args.repeat, args.npartitions)
        print(json.dumps(out))
        return
    extra = ["--rows", str(n), "--repeat", str(args.repeat)]
    extra += ["--npartitions", str(args.npartitions)]
    engines = ["pandas", "partframe", "partframe-no-projection"]
    out = {e: run_engine_process(__file__, e, extra) for e in engines}
    want = out["pandas"]["answer"]
    print(
        f"merge of two {n:,}-row frames of {WIDTH + 1} columns, 2 used after it "
        f"({args.npartitions} partitions a side, best of {args.repeat})"
    )
    print(f"{'engine':24} {'seconds':>8} {'peak MiB':>9} {'maxrss MiB':>11}  answer")
    for e, r in out.items():
        ok = np.isclose(r["answer"], want)
        print(
            f"{e:24} {r['seconds']:8.3f} {r['peak_mib']:9.0f} {r['maxrss_mib']:11.0f}  "
            f"{'ok' if ok else 'WRONG'}"
        )


if __name__ == "__main__":
    main()
