"""Sort, then filter: partframe with and without filter moves, vs pandas.

One command::

    python benchmarks/bench_sort_filter.py            # 2e6 rows, 8 partitions
    python benchmarks/bench_sort_filter.py --rows 500000

A pandas user sorts, then keeps a few rows (``s[(s.k < 100) & (s.s ==
"a")]``, about 2.5% of them). Filtering commutes with the sort; with the
filter moved below it (:mod:`partframe.expr.optimize.filter_moves`) the
shuffle and the sorts move only the kept rows. ``--engine
partframe-no-move`` runs the plan with the filter left above the sort.
Each engine runs in its own process, best of ``--repeat`` runs; the answers
are checked against pandas'.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd


def _data(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "k": rng.integers(0, 4000, n),
            "v": rng.normal(size=n),
            "s": pd.array(rng.choice(["a", "b", "c", "d"], n), dtype="str"),
        }
    )


def _query(d: Any) -> Any:  # a pandas or partframe frame
    s = d.sort_values("v")
    return s[(s.k < 400) & (s.s == "a")]


def run(engine: str, n: int, repeat: int) -> float:
    """Best time of ``repeat`` runs of the query on ``engine``."""
    pdf = _data(n)
    want = _query(pdf)
    if engine == "pandas":
        frame = pdf
    else:
        import partframe

        if engine == "partframe-no-move":
            optimize = sys.modules["partframe.expr.optimize"]
            optimize.move_filters = lambda expr: expr  # type: ignore[attr-defined]
        frame = partframe.from_pandas(pdf, npartitions=8)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        got = _query(frame)
        got = got if engine == "pandas" else got.compute()
        best = min(best, time.perf_counter() - start)
    pd.testing.assert_frame_equal(got, want)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine")
    args = parser.parse_args()
    if args.engine:
        print(run(args.engine, args.rows, args.repeat))
        return
    for engine in ["pandas", "partframe", "partframe-no-move"]:
        out = subprocess.run(
            [sys.executable, __file__, "--engine", engine, "--rows", str(args.rows),
             "--repeat", str(args.repeat)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        print(f"{engine:20s} {float(out.stdout.split()[-1]):.3f} s")


if __name__ == "__main__":
    main()
