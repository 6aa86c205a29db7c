"""IO benchmark: read_csv, read_parquet and to_parquet against Dask, pandas
and pyarrow's own multi-threaded readers (the ceiling), in one run.

    /work/venv/bin/python benchmarks/bench_io.py            # ~1 GB of CSV
    /work/venv/bin/python benchmarks/bench_io.py --size 100 # ~100 MB

The data is generated once under ``benchmarks/data/`` (git-ignored) and
reused. Each measurement is the best of ``--repeat`` runs of a full read
into one pandas DataFrame (``compute()``), so every reader does the same
work: parse every column and build the result. Each engine runs in its own
fresh process, one after the other: in one shared process an engine run
after another inherited its memory state (see ``bench_join.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from engine_process import run_engine_process

HERE = os.path.dirname(os.path.abspath(__file__))


def generate(folder: str, size_mb: int) -> tuple[str, str]:
    """CSV files of about ``size_mb`` MB in total, and the same as Parquet."""
    csv_dir = os.path.join(folder, f"csv-{size_mb}")
    pq_dir = os.path.join(folder, f"parquet-{size_mb}")
    if os.path.exists(os.path.join(pq_dir, "_SUCCESS")):
        return csv_dir, pq_dir
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, ".gitignore"), "w") as f:
        f.write("*\n")
    shutil.rmtree(csv_dir, ignore_errors=True)
    shutil.rmtree(pq_dir, ignore_errors=True)
    os.makedirs(csv_dir)
    os.makedirs(pq_dir)
    rng = np.random.default_rng(42)
    rows_per_file = 2_000_000  # ~100 MB of CSV
    nfiles = max(1, round(size_mb / 100))
    if size_mb < 100:
        rows_per_file = max(1000, size_mb * 20_000)
    for k in range(nfiles):
        n = rows_per_file
        pdf = pd.DataFrame(
            {
                "id": np.arange(k * n, (k + 1) * n),
                "x": rng.standard_normal(n).round(6),
                "y": rng.integers(0, 1_000_000, n),
                "name": rng.choice([f"name-{i}" for i in range(1000)], n),
                "z": rng.random(n).round(4),
            }
        )
        pdf.to_csv(os.path.join(csv_dir, f"part-{k:03d}.csv"), index=False)
        pdf.to_parquet(
            os.path.join(pq_dir, f"part.{k}.parquet"),
            index=False,
            row_group_size=500_000,
        )
        print(f"  generated file {k + 1}/{nfiles}", flush=True)
    open(os.path.join(pq_dir, "_SUCCESS"), "w").close()
    return csv_dir, pq_dir


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_engine(engine: str, csv_dir: str, pq_dir: str, out: str, repeat: int) -> dict:
    """Best seconds of read_csv, read_parquet and to_parquet for one engine."""
    csv_glob = os.path.join(csv_dir, "*.csv")
    csv_files = sorted(os.path.join(csv_dir, f) for f in os.listdir(csv_dir))
    r = repeat
    if engine == "partframe":
        import partframe

        def write() -> None:
            f = partframe.read_parquet(pq_dir)
            f.assign(w=f.x * 2).to_parquet(out, overwrite=True)

        reads = (lambda: partframe.read_csv(csv_glob).compute(),
                 lambda: partframe.read_parquet(pq_dir).compute())  # fmt: skip
    elif engine == "dask":
        import dask
        import dask.dataframe as dd

        dask.config.set(scheduler="threads")

        def write() -> None:
            f = dd.read_parquet(pq_dir)
            f.assign(w=f.x * 2).to_parquet(out, overwrite=True, write_index=False)

        reads = (lambda: dd.read_csv(csv_glob).compute(),
                 lambda: dd.read_parquet(pq_dir).compute())  # fmt: skip
    elif engine == "pandas":
        pdf = pd.read_parquet(pq_dir)
        r = 1  # single-threaded and slow: one run

        def write() -> None:
            pdf.assign(w=pdf.x * 2).to_parquet(out + ".parquet")

        reads = (lambda: pd.concat([pd.read_csv(f) for f in csv_files]),
                 lambda: pd.read_parquet(pq_dir))  # fmt: skip
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.dataset as pads
        import pyarrow.parquet as pq

        pdf = pd.read_parquet(pq_dir)

        def write() -> None:
            table = pa.Table.from_pandas(pdf.assign(w=pdf.x * 2))
            pq.write_to_dataset(table, out, existing_data_behavior="delete_matching")

        def read_csv() -> None:
            tables = [pacsv.read_csv(f) for f in csv_files]  # multi-threaded each
            pa.concat_tables(tables).to_pandas()

        reads = (read_csv, lambda: pads.dataset(pq_dir).to_table().to_pandas())
    try:
        return {
            "read_csv": best(reads[0], r),
            "read_parquet": best(reads[1], repeat),
            "to_parquet": best(write, r),
        }
    finally:
        for p in (out, out + ".parquet"):
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (
                os.path.exists(p) and os.remove(p)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="MB of CSV data")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--data", default=os.path.join(HERE, "data"))
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # one engine's run
    args = parser.parse_args()
    csv_dir = os.path.join(args.data, f"csv-{args.size}")
    pq_dir = os.path.join(args.data, f"parquet-{args.size}")
    if args.engine:
        out = os.path.join(args.data, f"out-{args.engine}")
        res = run_engine(args.engine, csv_dir, pq_dir, out, args.repeat)
        print(json.dumps(res))
        return

    print(f"data: {args.size} MB of CSV under {args.data}")
    csv_dir, pq_dir = generate(args.data, args.size)
    csv_files = sorted(os.path.join(csv_dir, f) for f in os.listdir(csv_dir))
    nbytes = sum(os.path.getsize(f) for f in csv_files)
    print(f"{len(csv_files)} CSV files, {nbytes / 1e6:.0f} MB; {os.cpu_count()} CPUs; "
          "each engine in its own process")  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    for engine in ("partframe", "dask", "pandas", "pyarrow"):
        opts = ["--size", str(args.size), "--repeat", str(args.repeat),
                "--data", args.data]  # fmt: skip
        for name, t in run_engine_process(__file__, engine, opts).items():
            results.setdefault(name, {})[engine] = t

    print()
    print(f"{'benchmark':<14}{'partframe':>11}{'dask':>9}{'pandas':>9}{'pyarrow':>9}"
          f"{'pf/dask':>9}{'pf/pyarrow':>12}")  # fmt: skip
    for name, row in results.items():
        print(
            f"{name:<14}{row['partframe']:>10.2f}s{row['dask']:>8.2f}s"
            f"{row['pandas']:>8.2f}s{row['pyarrow']:>8.2f}s"
            f"{row['partframe'] / row['dask']:>9.2f}"
            f"{row['partframe'] / row['pyarrow']:>12.2f}"
        )


if __name__ == "__main__":
    main()
