"""The 5 db-benchmark join questions and a sort: partframe vs pandas vs Dask.

One command::

    python benchmarks/bench_join.py            # x with 1e7 rows
    python benchmarks/bench_join.py --quick    # 1e6 rows
    python benchmarks/bench_join.py --rows 3e6

Data follows db-benchmark's ``join-datagen.R``: ``x`` has ``N`` rows with
keys ``id1`` (``N/1e6`` distinct), ``id2`` (``N/1e3``), ``id3`` (``N``) and
their string ("factor") forms ``id4``..``id6``, and ``v1``; the right tables
``small`` (``N/1e6`` rows), ``medium`` (``N/1e3``) and ``big`` (``N``) hold
the same keys drawn so that about 90% of ``x``'s rows match, and ``v2``.
The data is generated once and cached in ``benchmarks/data/join_<N>.pkl``.
Each engine runs in its own fresh process (one after the other), holding
the data in memory first; each question computes the whole joined frame
and the best of ``--repeat`` (5) runs counts, after ``--warmup`` (2) untimed
runs of the first question (the first runs in a fresh process are up to 7x
slower for every engine: thread pools start, malloc arenas and the page
tables grow; without a warm-up the first question measured that). Ten runs
of the small join in a fresh process, seconds: Dask 2.84, 1.29, 0.43, 0.62,
0.43, 0.38...; partframe 0.45, 0.43, 0.32, 0.32, 0.63, 0.32, 0.29...: one
warm-up run was not enough for either. Best of
5, not 3: the same query varies up to 2x from run to run on these VMs
(fresh memory is zeroed, and sometimes backed by the host first), and with
3 runs one engine could miss every quiet moment.
Separate processes, because
engines sharing one process leave memory to each other: Dask's threads keep
freed memory in their malloc arenas, so whichever engine ran next had to
fault in fresh pages (on this VM ~0.5 s of kernel page zeroing per 9M-row
result), which measured the order of the engines, not the engines. pandas
runs as it does (one thread); partframe and Dask use their threaded
schedulers with the same partition count.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import time

import numpy as np
import pandas as pd
from engine_process import run_engine_process


def gen(n: int, seed: int = 108) -> dict:
    """x, small, medium and big as in join-datagen.R (keys ~90% matching)."""
    rng = np.random.default_rng(seed)

    def keys(k: int, size: int, hi: float) -> np.ndarray:
        return rng.integers(1, max(2, int(k * hi)) + 1, size)

    n1, n2, n3 = max(1, n // 10**6), max(1, n // 10**3), n
    x = pd.DataFrame(
        {
            "id1": keys(n1, n, 1.1),
            "id2": keys(n2, n, 1.1),
            "id3": keys(n3, n, 1.1),
        }
    )
    for src, dst in (("id1", "id4"), ("id2", "id5"), ("id3", "id6")):
        x[dst] = pd.array(np.char.add("id", x[src].astype(str).to_numpy()), dtype="str")
    x["v1"] = np.round(rng.uniform(0, 100, n), 6)

    def right(m: int, cols: list) -> pd.DataFrame:
        df = pd.DataFrame({})
        sizes = {"id1": n1, "id2": n2, "id3": n3}
        for c in cols:
            # each right table: distinct keys 1..m (a permutation)
            df[c] = (
                rng.permutation(np.arange(1, sizes[c] + 1))[:m]
                if m <= sizes[c]
                else (keys(sizes[c], m, 1.0))
            )
        for src, dst in (("id1", "id4"), ("id2", "id5"), ("id3", "id6")):
            if src in df:
                df[dst] = pd.array(np.char.add("id", df[src].astype(str).to_numpy()),
                                   dtype="str")  # fmt: skip
        df["v2"] = np.round(rng.uniform(0, 100, m), 6)
        return df

    small = right(n1, ["id1"])
    medium = right(n2, ["id1", "id2"])
    medium["id1"] = keys(n1, n2, 1.0)
    medium["id4"] = pd.array(np.char.add("id", medium["id1"].astype(str).to_numpy()),
                             dtype="str")  # fmt: skip
    big = right(n3, ["id3"])
    big["id1"] = keys(n1, n3, 1.0)
    big["id2"] = keys(n2, n3, 1.0)
    return {"x": x, "small": small, "medium": medium, "big": big}


QUESTIONS = [
    ("small inner on int", "small", "id1", "inner"),
    ("medium inner on int", "medium", "id2", "inner"),
    ("medium outer on int", "medium", "id2", "left"),
    ("medium inner on factor", "medium", "id5", "inner"),
    ("big inner on int", "big", "id3", "inner"),
]


def _engine_frames(engine: str, data: dict, nparts: int) -> dict:
    """The engine's collections over ``data`` (pandas: the frames)."""
    if engine == "pandas":
        return data
    big = ("x", "big")
    if engine == "partframe":
        import partframe

        return {k: partframe.from_pandas(v, npartitions=nparts if k in big else 1)
                for k, v in data.items()}  # fmt: skip
    import dask
    import dask.dataframe as dd

    dask.config.set(scheduler="threads")
    return {k: dd.from_pandas(v, npartitions=nparts if k in big else 1)
            for k, v in data.items()}  # fmt: skip


def run_engine(
    engine: str, data: dict, nparts: int, repeat: int, warmup: int = 1
) -> list:
    """Best seconds and output rows of each question, for one engine."""
    f = _engine_frames(engine, data, nparts)
    lazy = engine != "pandas"
    _, other, on, how = QUESTIONS[0]
    for _ in range(warmup):  # untimed: thread pools, imports, malloc arenas
        res = f["x"].merge(f[other], on=on, how=how)
        res = res.compute() if lazy else res
        del res
    out = []
    for _, other, on, how in QUESTIONS + [("sort", None, "v1", None)]:
        best, nout = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            if other is None:
                res = f["x"].sort_values(on)
            else:
                res = f["x"].merge(f[other], on=on, how=how)
            if lazy:
                res = res.compute()
            best = min(best, time.perf_counter() - t0)
            if other is None:
                assert res[on].is_monotonic_increasing, engine
            nout = len(res)
            del res  # free the result before the next run
        out.append((best, nout))
    return out


def _data_path(n: int) -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "data", f"join_{n}.pkl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--quick", action="store_true", help="1e6 rows")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--npartitions", type=int, default=None)
    parser.add_argument(
        "--warmup", type=int, default=2, help="untimed runs of question 1 per engine"
    )
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # one engine's run
    args = parser.parse_args()
    n = int(1e6 if args.quick else args.rows)
    nparts = args.npartitions or max(4, 2 * (os.cpu_count() or 2))
    path = _data_path(n)

    if args.engine:
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        res = run_engine(args.engine, data, nparts, args.repeat, args.warmup)
        print(json.dumps(res))
        return

    if not os.path.exists(path):
        t0 = time.perf_counter()
        data = gen(n)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as fh:
            pickle.dump(data, fh, protocol=5)
        os.replace(path + ".tmp", path)
        print(f"generated in {time.perf_counter() - t0:.1f} s: {path}")
        del data
    print(f"x: {n:,} rows; {nparts} partitions; {os.cpu_count()} CPUs; "
          f"each engine in its own process")  # fmt: skip
    engines = ["pandas", "partframe"] + ([] if args.no_dask else ["dask"])
    results = {}
    for engine in engines:
        opts = ["--rows", str(n), "--repeat", str(args.repeat),
                "--npartitions", str(nparts), "--warmup", str(args.warmup)]  # fmt: skip
        results[engine] = run_engine_process(__file__, engine, opts)

    labels = [q[0] for q in QUESTIONS] + ["sort_values v1"]
    print(f"{'question':<24}{'rows out':>12}{'pandas s':>10}{'partframe s':>13}"
          f"{'dask s':>9}{'dask/pf':>9}{'pandas/pf':>11}")  # fmt: skip
    for i, label in enumerate(labels):
        tp, nout = results["pandas"][i]
        tf, nf = results["partframe"][i]
        td, nd = results["dask"][i] if "dask" in results else (float("nan"), nout)
        assert nf == nout and nd == nout, (label, nout, nf, nd)
        print(f"{label:<24}{nout:>12,}{tp:>10.3f}{tf:>13.3f}{td:>9.3f}"
              f"{td / tf:>9.2f}{tp / tf:>11.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
