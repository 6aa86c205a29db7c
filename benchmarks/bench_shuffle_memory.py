"""A disk shuffle of data several times larger than the memory it uses.

One command::

    python benchmarks/bench_shuffle_memory.py                 # ~2.9 GiB of data
    python benchmarks/bench_shuffle_memory.py --partitions 16 # smaller

Partitions are generated lazily (``from_map``: each task builds its own
pandas frame), shuffled by key with ``method="disk"`` and reduced to one row
count and checksum per output partition, so the result is small. The
script prints the dataset's in-memory size and the process's peak resident
memory (``resource.getrusage``, children included), and checks that every
key landed in exactly one output partition.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import numpy as np
import pandas as pd

import partframe


def make_part(i: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    return pd.DataFrame(
        {
            "k": rng.integers(0, 1_000_000, rows),
            "a": rng.normal(size=rows),
            "b": rng.normal(size=rows),
            "c": rng.integers(0, 1 << 40, rows),
        }
    )


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"rows": [len(df)], "kmin": [df.k.min() if len(df) else -1],
         "kmax": [df.k.max() if len(df) else -1], "sum": [float(df.a.sum())]}
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=96)
    parser.add_argument("--rows", type=int, default=1_000_000, help="per partition")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n, rows = args.partitions, args.rows
    meta = make_part(0, 0)
    part_bytes = int(make_part(0, rows).memory_usage(deep=True).sum())
    total = part_bytes * n
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with tempfile.TemporaryDirectory() as tmp:
        partframe.config.set(temporary_directory=tmp)
        df = partframe.from_map(make_part, range(n), args=(rows,), meta=meta)
        shuffled = df.shuffle("k", npartitions=n, method="disk")
        small = shuffled.map_partitions(summarize, meta=summarize(meta))
        t0 = time.perf_counter()
        out = small.compute(scheduler="threads", num_workers=args.workers)
        elapsed = time.perf_counter() - t0
    peak = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        * 1024
    )
    assert int(out.rows.sum()) == n * rows
    print(
        f"dataset: {n} partitions x {rows:,} rows = {total / 2**30:.2f} GiB in memory"
    )
    print(f"peak RSS: {peak / 2**30:.2f} GiB (before the run: {base / 2**30:.2f} GiB)")
    print(f"dataset / peak RSS: {total / peak:.1f}x; shuffle took {elapsed:.1f} s "
          f"with {args.workers} worker threads")  # fmt: skip


if __name__ == "__main__":
    main()
