"""TPC-H on Parquet: partframe vs dask.dataframe vs DuckDB vs Polars.

One command::

    python benchmarks/tpch/run.py                       # SF1, 22 queries
    python benchmarks/tpch/run.py --scale 10 --queries 1,3,5 --repeat 3

The data (``tpchgen-cli``, see ``data.py``) is written once under
``benchmarks/data/tpch_sf<N>/``. partframe and Dask run the same query
functions (``queries.py``) on frames from their ``read_parquet``; DuckDB
runs the spec's SQL (from DuckDB's tpch extension, ``sql.py``) on the
same files; Polars runs the queries of ``polars_queries.py`` on its lazy
API. Each (engine, query) pair runs in
a fresh process: one warm-up, then the best of ``--repeat`` timed runs, and
the process's peak resident memory (``ru_maxrss``, imports included). The
timed run includes planning and reading the files. Every answer is checked
against DuckDB's (numbers to a relative 1e-6, the order the query asks
for): a different answer is WRONG, an exception CRASH with its first line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import answers  # noqa: E402
import data  # noqa: E402
import queries  # noqa: E402

ENGINES = ("partframe", "dask", "duckdb", "polars")
DEFAULT_ENGINES = ",".join(ENGINES)


class Tables(Mapping[str, Any]):
    """Table name -> a frame of ``read(path)``, made when first asked for."""

    def __init__(self, read: Callable[[str], Any], scale: float) -> None:
        self._read, self._scale = read, scale
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = self._read(data.table_path(self._scale, name))
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(data.TABLES)

    def __len__(self) -> int:
        return len(data.TABLES)


def collect(answer: Any) -> Any:
    """Compute a lazy answer (pandas objects and numbers are computed)."""
    if type(answer).__module__.split(".")[0] in ("partframe", "dask"):
        return answer.compute()
    return answer


def _runner(engine: str, q: int, scale: float) -> Callable[[], Any]:
    if engine in ("partframe", "dask", "pandas"):
        if engine == "partframe":
            import partframe as mod
        elif engine == "dask":
            import dask.dataframe as mod
        else:
            import pandas as mod

        fn = queries.QUERIES[q]

        def once() -> Any:
            return collect(fn(Tables(mod.read_parquet, scale)))

        return once
    if engine == "duckdb":
        import duckdb
        from sql import load_sql

        con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
        sql = load_sql(con)[q]
        for t in data.TABLES:
            path = os.path.join(data.table_path(scale, t), "*.parquet")
            con.execute(f"create view {t} as select * from read_parquet('{path}')")
        return lambda: con.execute(sql).df()
    if engine == "polars":
        import polars as pl
        import polars_queries

        fn = polars_queries.QUERIES[q]

        def once() -> Any:
            tables = Tables(
                lambda p: pl.scan_parquet(os.path.join(p, "*.parquet")), scale
            )
            return fn(tables).collect().to_pandas()

        return once
    raise ValueError(engine)


def child(engine: str, q: int, scale: float, repeat: int, out: str) -> dict:
    """Run one query on one engine; the answer goes to ``out`` (a pickle)."""
    try:
        once = _runner(engine, q, scale)
        answer = once()  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            answer = once()
            times.append(time.perf_counter() - t0)
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0]
        return {"error": f"{type(e).__name__}: {first}"[:200]}
    frame = answers.as_frame(answer, queries.SCALAR_NAME.get(q, "value"))
    with open(out, "wb") as f:
        pickle.dump(frame, f)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": min(times), "rss_mb": rss}


def _run_child(engine: str, q: int, args: argparse.Namespace, out: str) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--engine", engine]
    cmd += ["--query", str(q), "--scale", f"{args.scale:g}"]
    cmd += ["--repeat", str(args.repeat), "--out", out]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"TIMEOUT after {args.timeout} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        err = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {err}"[:200]}
    return json.loads(lines[-1])


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None or math.isnan(x) else format(x, spec)


def _geomean(xs: list[float]) -> float:
    xs = [x for x in xs if x and not math.isnan(x)]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--queries", default=",".join(map(str, range(1, 23))))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default=DEFAULT_ENGINES)
    parser.add_argument("--timeout", type=float, default=900, help="seconds a run")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--query", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(
            json.dumps(
                child(args.engine, args.query, args.scale, args.repeat, args.out)
            )
        )
        return
    data.generate(args.scale)
    qs = [int(q) for q in args.queries.split(",")]
    engines = args.engines.split(",")
    if "duckdb" not in engines:
        engines.append("duckdb")  # the reference answers
    head = ["query", "partframe s", "dask s", "duckdb s", "polars s", "pf/dask"]
    head += ["pf/duckdb", "pf RSS MB", "dask RSS MB", "status"]
    print(f"TPC-H SF{args.scale:g}, best of {args.repeat} after a warm-up")
    print(" | ".join(head))
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for q in qs:
            res = {}
            for e in engines:
                res[e] = _run_child(e, q, args, os.path.join(tmp, f"{e}_{q}.pkl"))
                print(f"  q{q} {e}: {res[e]}", file=sys.stderr, flush=True)
            status = []
            want = None
            if "error" in res["duckdb"]:
                status.append(f"duckdb CRASH {res['duckdb']['error']}")
            else:
                with open(os.path.join(tmp, f"duckdb_{q}.pkl"), "rb") as f:
                    want = pickle.load(f)
            for e in engines:
                if e == "duckdb":
                    continue
                if "error" in res[e]:
                    status.append(f"{e} CRASH {res[e]['error']}")
                elif want is not None:
                    with open(os.path.join(tmp, f"{e}_{q}.pkl"), "rb") as f:
                        got = pickle.load(f)
                    why = answers.difference(got, want, queries.ORDER[q])
                    if why:
                        status.append(f"{e} WRONG ({why})")
            sec = {e: res.get(e, {}).get("seconds", math.nan) for e in ENGINES}
            rss = {e: res.get(e, {}).get("rss_mb", math.nan) for e in ENGINES}
            row = {"q": q, "sec": sec, "rss": rss, "status": "; ".join(status) or "ok"}
            rows.append(row)
            pf = sec["partframe"]
            cells = [f"q{q}", *(_fmt(sec[e], ".3f") for e in ENGINES)]
            cells += [_fmt(pf / sec["dask"]), _fmt(pf / sec["duckdb"])]
            cells += [_fmt(rss["partframe"], ".0f"), _fmt(rss["dask"], ".0f")]
            cells.append(row["status"])
            print(" | ".join(cells), flush=True)
    # geometric means over the queries every timed engine answered
    timed = [e for e in engines if e in ENGINES]
    both = [r for r in rows if all(not math.isnan(r["sec"][e]) for e in timed)]
    g = {e: _geomean([r["sec"][e] for r in both]) for e in ENGINES}
    cells = [f"geomean ({len(both)} q)", *(_fmt(g[e], ".3f") for e in ENGINES)]
    cells += [_fmt(g["partframe"] / g["dask"]), _fmt(g["partframe"] / g["duckdb"])]
    cells += [
        _fmt(_geomean([r["rss"]["partframe"] for r in both]), ".0f"),
        _fmt(_geomean([r["rss"]["dask"] for r in both]), ".0f"),
        "",
    ]
    print(" | ".join(cells))


if __name__ == "__main__":
    main()
