"""Reads of one Parquet table by several branches, each with its own columns.

One command::

    python benchmarks/bench_shared_reads.py                 # TPC-H SF1
    python benchmarks/bench_shared_reads.py --scale 10 --repeat 3

Two workloads on the TPC-H ``lineitem`` files (``benchmarks/tpch/data.py``),
written as Dask code often is: every use of the table calls
``read_parquet(path, columns=[...])`` with the columns that branch needs, so
the plan holds several readers of the same files, which the plan's
deduplication by name cannot merge:

- ``q21-split``: TPC-H q21 with ``lineitem`` read once for the orders with
  several suppliers (key and supplier) and once for the late lines (those
  and the two dates): the first read's columns are inside the second's.
- ``q1+q6``: TPC-H q1 and q6, each reading ``lineitem`` with its own
  columns (q6's are inside q1's), computed together by
  ``partframe.compute``.

Each workload runs in a fresh process: one warm-up, then the best of
``--repeat`` runs (planning and reading included), the least CPU seconds
of the process over a run (all threads; steadier than the wall clock on a
shared machine), and the process' peak resident memory (``ru_maxrss``,
imports included). The answers are checked against the queries of
``benchmarks/tpch/queries.py`` run as written there (one frame per table).
Run it once per checkout to compare: the partframe imported is the one on
``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "tpch"))

import data  # noqa: E402
import queries  # noqa: E402

WORKLOADS = ("q21-split", "q1+q6")

Q1_COLUMNS = [
    "l_quantity",
    "l_extendedprice",
    "l_discount",
    "l_tax",
    "l_returnflag",
    "l_linestatus",
    "l_shipdate",
]
Q6_COLUMNS = ["l_quantity", "l_extendedprice", "l_discount", "l_shipdate"]


class _Tables(dict):
    """Table name -> frame; ``lineitem`` read with the given columns."""

    def __init__(self, pf: Any, scale: float, columns: list | None = None) -> None:
        super().__init__()
        self._pf, self._scale, self._columns = pf, scale, columns

    def __missing__(self, name: str) -> Any:
        path = data.table_path(self._scale, name)
        cols = self._columns if name == "lineitem" else None
        self[name] = self._pf.read_parquet(path, columns=cols)
        return self[name]


def q21_split(pf: Any, scale: float) -> Any:
    """TPC-H q21, ``lineitem`` read per branch with that branch's columns."""
    t = _Tables(pf, scale)
    path = data.table_path(scale, "lineitem")
    keys = pf.read_parquet(path, columns=["l_orderkey", "l_suppkey"])
    nsupp = keys.groupby("l_orderkey").l_suppkey.nunique().reset_index()
    nsupp = nsupp[nsupp.l_suppkey > 1][["l_orderkey"]]
    li = pf.read_parquet(
        path, columns=["l_orderkey", "l_suppkey", "l_commitdate", "l_receiptdate"]
    )
    late = li[li.l_receiptdate > li.l_commitdate]
    nlate = late.groupby("l_orderkey").l_suppkey.nunique().reset_index()
    nlate = nlate[nlate.l_suppkey == 1][["l_orderkey"]]
    n, o = t["nation"], t["orders"]
    s = n[n.n_name == "SAUDI ARABIA"].merge(
        t["supplier"], left_on="n_nationkey", right_on="s_nationkey"
    )
    o = o[o.o_orderstatus == "F"]
    m = (
        late.merge(s, left_on="l_suppkey", right_on="s_suppkey")
        .merge(o, left_on="l_orderkey", right_on="o_orderkey")
        .merge(nsupp, on="l_orderkey")
        .merge(nlate, on="l_orderkey")
    )
    out = m.groupby("s_name").l_orderkey.count().reset_index()
    out = out.rename(columns={"l_orderkey": "numwait"})
    out = out.sort_values(["numwait", "s_name"], ascending=[False, True])
    return out.head(100, compute=False)


def q1_q6(pf: Any, scale: float) -> tuple:
    """TPC-H q1 and q6, each reading ``lineitem`` with its own columns."""
    a = queries.q1(_Tables(pf, scale, Q1_COLUMNS))
    b = queries.q6(_Tables(pf, scale, Q6_COLUMNS))
    return a, b


def _run(workload: str, scale: float) -> Any:
    import partframe as pf

    if workload == "q21-split":
        return q21_split(pf, scale).compute()
    return pf.compute(*q1_q6(pf, scale))


def _expected(workload: str, scale: float) -> Any:
    import partframe as pf

    t = _Tables(pf, scale)
    if workload == "q21-split":
        return queries.q21(t)
    return pf.compute(queries.q1(t), queries.q6(t))


def _same(a: Any, b: Any) -> bool:
    import pandas as pd

    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, pd.DataFrame | pd.Series):
        a, b = a.reset_index(drop=True), b.reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), rtol=1e-9)
        except AssertionError:
            return False
        return True
    return bool(abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0))


def child(workload: str, scale: float, repeat: int) -> dict:
    answer = _run(workload, scale)  # warm-up
    times, cpu = [], []
    for _ in range(repeat):
        c0 = _cpu_seconds()
        t0 = time.perf_counter()
        answer = _run(workload, scale)
        times.append(time.perf_counter() - t0)
        cpu.append(_cpu_seconds() - c0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = _same(answer, _expected(workload, scale))
    return {"seconds": min(times), "cpu": min(cpu), "rss_mb": rss, "ok": ok}


def _cpu_seconds() -> float:
    """CPU seconds of this process (all threads): steadier than the wall
    clock on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.scale, args.repeat)))
        return
    print(f"{'workload':12s} {'seconds':>8s} {'cpu s':>8s} {'peak MB':>8s}  answer")
    for w in args.workloads.split(","):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", w]
        cmd += ["--scale", f"{args.scale:g}", "--repeat", str(args.repeat)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = proc.stdout.strip().splitlines()
        if proc.returncode or not lines:
            err = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{w:12s} FAILED: {err[:200]}")
            continue
        r = json.loads(lines[-1])
        ok = "ok" if r["ok"] else "WRONG"
        row = f"{r['seconds']:8.2f} {r['cpu']:8.2f} {r['rss_mb']:8.0f}"
        print(f"{w:12s} {row}  {ok}")


if __name__ == "__main__":
    main()
