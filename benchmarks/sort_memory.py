"""Peak memory of sort_values against the disk shuffle, per input size.

One command::

    python benchmarks/sort_memory.py                  # 96, 384, 768 MB
    python benchmarks/sort_memory.py --sizes 96 384   # some sizes only

Every (operation, size) runs in a fresh subprocess that builds its
partitions lazily (``from_map``, ~8 MB each), runs the operation on the
threads scheduler, reduces every output partition to one row (so the
result is small) and prints its own peak RSS (``resource.getrusage``).
Operations: ``sort_values`` with the default method and with
``method="disk"``, and for comparison the disk shuffle itself
(``shuffle(method="disk")``) and a disk-shuffled self-merge on the key.
A streaming operation has a flat peak; one that holds the data grows
with it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

OPS = ("sort", "sort-disk", "shuffle-disk", "merge-disk")
ROWS_PER_PART = 250_000  # 4 columns of 8 bytes: 8 MB a partition


def make_part(i: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    return pd.DataFrame(
        {
            "k": rng.integers(0, 1 << 40, rows),
            "a": rng.normal(size=rows),
            "b": rng.normal(size=rows),
            "c": rng.integers(0, 1000, rows),
        }
    )


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"rows": [len(df)], "sum": [float(df["a"].sum())]})


def run_one(op: str, nparts: int, workers: int) -> dict:
    """Run ``op`` on ``nparts`` partitions in this process; its peak RSS."""
    import resource
    import time

    import partframe

    meta = make_part(0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        partframe.config.set(temporary_directory=tmp)
        df = partframe.from_map(make_part, range(nparts), args=(ROWS_PER_PART,),
                                meta=meta)  # fmt: skip
        if op == "sort":
            out = df.sort_values("k")
        elif op == "sort-disk":
            out = df.sort_values("k", method="disk")
        elif op == "shuffle-disk":
            out = df.shuffle("k", method="disk")
        elif op == "merge-disk":
            right = df[["k", "c"]].rename(columns={"c": "c2"})
            out = df.merge(right, on="k", shuffle_method="disk")
        else:
            raise ValueError(op)
        small = out.map_partitions(summarize, meta=summarize(meta))
        t0 = time.perf_counter()
        got = small.compute(scheduler="threads", num_workers=workers)
        seconds = time.perf_counter() - t0
    assert int(got["rows"].sum()) >= nparts * ROWS_PER_PART
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"peak_mb": peak / 2**20, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[96, 384, 768],
                        help="input sizes in MB")  # fmt: skip
    parser.add_argument("--ops", nargs="*", default=list(OPS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        op, nparts = args.child
        print(json.dumps(run_one(op, int(nparts), args.workers)))
        return
    part_mb = make_part(0, ROWS_PER_PART).memory_usage(deep=True).sum() / 2**20
    print(f"partitions of {part_mb:.0f} MB; peak RSS of a fresh process per run")
    print(f"{'operation':<14}" + "".join(f"{s:>10} MB" for s in args.sizes))
    for op in args.ops:
        cells = []
        for size in args.sizes:
            nparts = max(1, round(size / part_mb))
            proc = subprocess.run(
                [sys.executable, __file__, "--workers", str(args.workers),
                 "--child", op, str(nparts)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            cells.append(f"{result['peak_mb']:>8.0f} MB ({result['seconds']:.1f}s)")
        print(f"{op:<14}" + "".join(f"{c:>13}" for c in cells))


if __name__ == "__main__":
    main()
