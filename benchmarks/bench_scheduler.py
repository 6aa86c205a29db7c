"""Per-task overhead of partframe's local schedulers against Dask's.

Run with ``python benchmarks/bench_scheduler.py``. Two graph shapes, both
made of trivial tasks so that only scheduling costs are measured:

- ``wide``: 50,000 independent tasks and one ``sum`` over all of them;
- ``chains``: 100 independent chains of 500 tasks each.

Every scheduler runs the IDENTICAL graph (a fresh copy per run) in the same
process. partframe is measured with its default linear-chain fusion and with
``fuse=False``; Dask's ``get`` functions do not fuse. The time includes the
whole call: culling, (fusion), ordering and execution. Each measurement is the
best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from operator import add

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import partframe
from partframe.scheduler.local import get_sync
from partframe.scheduler.threads import get_threads


def inc(x: int) -> int:
    return x + 1


def wide(n: int = 50_000) -> tuple[dict, str]:
    """``n`` independent ``inc`` tasks and one ``sum`` over them."""
    dsk: dict = {("x", i): (inc, i) for i in range(n)}
    dsk["total"] = (sum, [("x", i) for i in range(n)])
    return dsk, "total"


def chains(nchains: int = 100, length: int = 500) -> tuple[dict, list]:
    """``nchains`` chains of ``length`` tasks; the chain ends are requested."""
    dsk: dict = {}
    for c in range(nchains):
        name = f"chain-{c}"
        dsk[(name, 0)] = (inc, c)
        for i in range(1, length):
            dsk[(name, i)] = (add, (name, i - 1), 1)
    return dsk, [(f"chain-{c}", length - 1) for c in range(nchains)]


def best_time(get: Callable, dsk: dict, keys: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        graph = dict(dsk)
        gc.collect()
        start = time.perf_counter()
        get(graph, keys)
        times.append(time.perf_counter() - start)
    return min(times)


def graph_phases(dsk: dict, keys: object, repeat: int) -> dict:
    """Seconds spent in each ``partframe.graph`` step that ``get_async`` runs."""
    from partframe.graph import cull, flatten_keys, fuse_linear, get_dependents, order

    out: dict = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        culled, deps = cull(dsk, keys)
        t1 = time.perf_counter()
        get_dependents(deps)
        t2 = time.perf_counter()
        order(culled, deps)
        t3 = time.perf_counter()
        fuse_linear(culled, flatten_keys(keys), deps)
        t4 = time.perf_counter()
        for name, t in [
            ("cull", t1 - t0),
            ("get_dependents", t2 - t1),
            ("order", t3 - t2),
            ("fuse_linear", t4 - t3),
        ]:
            out[name] = min(out.get(name, t), t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--profile", choices=["wide", "chains"], default=None)
    args = parser.parse_args()

    import dask
    import dask.local
    import dask.threaded

    workers = args.workers or os.cpu_count() or 1

    def pf_threads(dsk, keys):
        return get_threads(dsk, keys, num_workers=workers)

    def dask_threads(dsk, keys):
        return dask.threaded.get(dsk, keys, num_workers=workers)

    shapes = {"wide": wide(), "chains": chains()}
    expected = {
        "wide": sum(range(1, 50_001)),
        "chains": [c + 500 for c in range(100)],
    }

    if args.profile:
        import cProfile
        import pstats

        dsk, keys = shapes[args.profile]
        with partframe.config.set(fuse=False):
            cProfile.runctx(
                "pf_threads(dict(dsk), keys)", globals(), locals(), "/tmp/prof"
            )
        pstats.Stats("/tmp/prof").sort_stats("tottime").print_stats(20)
        return

    print(
        f"python {sys.version.split()[0]}, dask {dask.__version__}, "
        f"{workers} workers, best of {args.repeat}"
    )
    for shape, (dsk, keys) in shapes.items():
        ntasks = len(dsk)
        for fn, get in [
            ("partframe threads", pf_threads),
            ("partframe sync", get_sync),
            ("dask threaded", dask_threads),
            ("dask sync", dask.local.get_sync),
        ]:
            got = get(dict(dsk), keys)
            got = list(got) if isinstance(got, tuple) else got  # dask: tuples
            assert got == expected[shape], fn
        rows = {}
        for fuse in (True, False):
            with partframe.config.set(fuse=fuse):
                rows[f"partframe threads (fuse={fuse})"] = best_time(
                    pf_threads, dsk, keys, args.repeat
                )
                rows[f"partframe sync (fuse={fuse})"] = best_time(
                    get_sync, dsk, keys, args.repeat
                )
        rows["dask threaded"] = best_time(dask_threads, dsk, keys, args.repeat)
        rows["dask sync"] = best_time(dask.local.get_sync, dsk, keys, args.repeat)
        base = rows["dask threaded"]
        print(f"\n{shape}: {ntasks:,} tasks")
        print(f"  {'scheduler':32} {'us/task':>9} {'vs dask threaded':>17}")
        for name, t in rows.items():
            print(f"  {name:32} {t / ntasks * 1e6:9.2f} {t / base:16.3f}x")
        phases = graph_phases(dsk, keys, args.repeat)
        shown = ", ".join(f"{k} {v / ntasks * 1e6:.2f}" for k, v in phases.items())
        print(f"  of which partframe.graph (us/task): {shown}")


if __name__ == "__main__":
    main()
