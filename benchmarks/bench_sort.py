"""Two-key sort (a float and a string): partframe vs pandas vs Dask.

One command::

    python benchmarks/bench_sort.py              # 1e7 rows
    python benchmarks/bench_sort.py --rows 2e6   # fewer
    python benchmarks/bench_sort.py --engines pandas partframe

The frame has ``a`` (float64, ~1e5 distinct values so the second key
breaks many ties, 1% NaN), ``s`` (pandas' default ``str`` dtype, ~1e5
distinct ``"id%07d"`` values in shuffled order, 1% missing) and payload
columns ``i`` (int64), ``x`` (float64) and ``y`` (int32). Two sorts,
``sort_values(["a", "s"])`` and ``sort_values(["s", "a"])``, each from
Parquet (``--files`` files, written once to ``benchmarks/data/sort_<N>/``)
and from an in-memory pandas frame (``from_pandas``, the frame built before
the clock starts). pandas reads and sorts on one core; partframe and Dask
use their threaded schedulers with one partition per Parquet file (the same
count for ``from_pandas``) and compute the whole sorted frame.

Every (engine, case) runs in its own fresh process: one warm-up, then the
best of ``--repeat`` runs, and the process' peak RSS (the input frame
included for ``from_pandas``). Answers are checked: a digest of the sorted
keys and payload must equal pandas' (pandas' multi-key sort is stable, so
the order is fully determined); "other index" says the index differs
(Dask numbers the rows of each Parquet file from 0, pandas and partframe
number the whole frame).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

import numpy as np
import pandas as pd
from engine_process import run_engine_process

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CASES = [
    ("parquet", ("a", "s")),
    ("parquet", ("s", "a")),
    ("pandas", ("a", "s")),
    ("pandas", ("s", "a")),
]


def make_frame(n: int, seed: int = 16) -> pd.DataFrame:
    """The frame of the module docstring, ``n`` rows."""
    rng = np.random.default_rng(seed)
    distinct = max(1, min(n, 100_000))
    a = rng.integers(0, distinct, n) / 8.0
    a[rng.random(n) < 0.01] = np.nan
    names = np.array([f"id{v:07d}" for v in rng.permutation(distinct)], dtype=object)
    s = names[rng.integers(0, distinct, n)]
    s[rng.random(n) < 0.01] = None
    return pd.DataFrame(
        {
            "a": a,
            "s": pd.array(s, dtype="str"),
            "i": rng.integers(0, 1 << 40, n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 1000, n).astype("int32"),
        }
    )


def _folder(n: int, files: int) -> str:
    return os.path.join(DATA, f"sort_{n}_{files}")


def generate(n: int, files: int) -> str:
    """Write (once) the frame as ``files`` Parquet files; return the folder."""
    folder = _folder(n, files)
    if os.path.exists(os.path.join(folder, "_done")):
        return folder
    os.makedirs(folder, exist_ok=True)
    df = make_frame(n)
    step = -(-n // files)
    for k in range(files):
        part = df.iloc[k * step : (k + 1) * step]
        part.to_parquet(os.path.join(folder, f"part.{k:03d}.parquet"), index=False)
    open(os.path.join(folder, "_done"), "w").close()
    return folder


def digest(out: pd.DataFrame) -> tuple[str, str]:
    """Digests of the sorted rows (keys and the nearly unique ``i``) and of
    the index, both order-sensitive."""
    rows = hashlib.sha256()
    rows.update(np.asarray(out["a"], dtype="float64").tobytes())
    rows.update(np.asarray(out["i"], dtype="int64").tobytes())
    rows.update("\x00".join(out["s"].fillna("<NA>").tolist()).encode())
    index = hashlib.sha256(np.asarray(out.index, dtype="int64").tobytes())
    return rows.hexdigest()[:16], index.hexdigest()[:16]


def _run(engine: str, case: int, n: int, files: int, repeat: int) -> dict:
    import resource

    source, by = CASES[case]
    by = list(by)
    folder = _folder(n, files)
    pdf = make_frame(n) if source == "pandas" else None
    if engine == "pandas":

        def once():
            df = pdf if pdf is not None else pd.read_parquet(folder)
            return df.sort_values(by)

    elif engine == "partframe":
        import partframe

        def once():
            if pdf is not None:
                df = partframe.from_pandas(pdf, npartitions=files, sort=False)
            else:
                df = partframe.read_parquet(folder)
            return df.sort_values(by).compute(scheduler="threads")

    else:
        import dask
        import dask.dataframe as dd

        dask.config.set(scheduler="threads")

        def once():
            if pdf is not None:
                df = dd.from_pandas(pdf, npartitions=files, sort=False)
            else:
                df = dd.read_parquet(folder)
            return df.sort_values(by).compute()

    once()  # warm-up
    times, out = [], None
    for _ in range(repeat):
        out = None
        t0 = time.perf_counter()
        out = once()
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": min(times), "digest": digest(out), "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", nargs="*", default=["pandas", "partframe", "dask"])
    parser.add_argument("--cases", type=int, nargs="*", default=range(len(CASES)))
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = int(args.rows)
    if args.engine:
        print(json.dumps(_run(args.engine, args.case, n, args.files, args.repeat)))
        return
    generate(n, args.files)
    print(f"sort_values, {n:,} rows, {args.files} partitions (best of {args.repeat})")
    print(
        f"{'case':22} {'engine':10} {'seconds':>8} {'peak MB':>8} "
        f"{'vs pandas':>10} {'vs dask':>8}  answer"
    )
    for case in args.cases:
        source, by = CASES[case]
        label = f"{source} {list(by)}"
        extra = ["--rows", str(n), "--files", str(args.files)]
        extra += ["--repeat", str(args.repeat), "--case", str(case)]
        out = {e: run_engine_process(__file__, e, extra) for e in args.engines}
        want = out.get("pandas", {}).get("digest")
        for e, r in out.items():
            ratio = (
                f"{r['seconds'] / out['pandas']['seconds']:10.2f}"
                if "pandas" in out
                else f"{'':10}"
            )
            vs_dask = (
                f"{r['seconds'] / out['dask']['seconds']:8.2f}"
                if "dask" in out
                else f"{'':8}"
            )
            ok = "ok"
            if want is not None and r["digest"][0] != want[0]:
                ok = "WRONG"
            elif want is not None and r["digest"][1] != want[1]:
                ok = "ok (other index)"
            print(
                f"{label:22} {e:10} {r['seconds']:8.3f} {r['peak_mb']:8.0f} "
                f"{ratio} {vs_dask}  {ok}"
            )


if __name__ == "__main__":
    main()
