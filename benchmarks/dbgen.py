"""The db-benchmark groupby data (G1), generated in Python.

Same distributions as ``groupby-datagen.R`` of h2oai/db-benchmark (no NAs,
unsorted): ``id1, id2`` = ``"id%03d"`` of 1..K, ``id3`` = ``"id%010d"`` of
1..N/K, ``id4, id5`` ints 1..K, ``id6`` ints 1..N/K, ``v1`` ints 1..5, ``v2``
ints 1..15, ``v3`` uniform on [0, 100) rounded to 6 digits.

Run ``python benchmarks/dbgen.py --rows 1e7`` to write
``benchmarks/data/G1_<rows>_1e2_0_0.parquet`` (16 row groups: 16 partitions).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def generate(n: int, k: int = 100, seed: int = 108) -> pd.DataFrame:
    """A G1 table of ``n`` rows with ``k`` large groups."""
    rng = np.random.default_rng(seed)
    nk = max(1, n // k)

    def strings(fmt: str, m: int) -> pd.Series:
        labels = np.array([fmt % i for i in range(1, m + 1)], dtype=object)
        codes = rng.integers(0, m, n)
        return pd.Series(pd.array(labels[codes], dtype="str"))

    return pd.DataFrame(
        {
            "id1": strings("id%03d", k),
            "id2": strings("id%03d", k),
            "id3": strings("id%010d", nk),
            "id4": rng.integers(1, k + 1, n),
            "id5": rng.integers(1, k + 1, n),
            "id6": rng.integers(1, nk + 1, n),
            "v1": rng.integers(1, 6, n),
            "v2": rng.integers(1, 16, n),
            "v3": np.round(rng.uniform(0, 100, n), 6),
        }
    )


def path_for(n: int) -> str:
    return os.path.join(DATA, f"G1_{n:.0e}_1e2_0_0.parquet".replace("+0", ""))


def ensure(n: int) -> str:
    """Write the table once; return its path."""
    path = path_for(n)
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        df = generate(n)
        tmp = path + ".tmp"
        df.to_parquet(tmp, index=False, row_group_size=max(1, n // 16))
        os.replace(tmp, path)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=float, default=1e7)
    print(ensure(int(parser.parse_args().rows)))
