"""Run a plan and measure each node: rows, tasks and time (``explain(analyze=True)``).

:func:`analyze` optimizes a collection's plan as ``compute`` does, wraps
every task of the graph so that it records, when it runs, its time and the
rows of its result, and runs the graph on a scheduler that shares this
process's memory (``"threads"`` or ``"sync"``: the records are written
where the caller reads them). :func:`format_plan` prints the optimized
plan with, on each node's line, the estimated rows
(:mod:`partframe.expr.statistics`) and what the run measured: the rows of
all its partitions, its tasks and the seconds they took together (on
several threads the sum exceeds the wall time).

A node fused with the nodes below it (``Fused[...]``) is measured as one:
its tasks compute all its members.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..expr.base import Expr, walk
from ..expr.statistics import estimate, format_rows
from ..graph import istask, quote

__all__ = ["Analysis", "NodeRun", "analyze", "format_plan"]


@dataclass
class NodeRun:
    """What the tasks of one node did: their count, summed seconds and rows
    (``None`` when a task's result is not a pandas object)."""

    tasks: int = 0
    seconds: float = 0.0
    rows: int | None = 0

    def add(self, seconds: float, rows: int | None) -> None:
        self.tasks += 1
        self.seconds += seconds
        self.rows = None if rows is None or self.rows is None else self.rows + rows


@dataclass
class Analysis:
    """A measured run of an optimized plan."""

    plan: Expr
    wall_seconds: float
    nodes: dict[str, NodeRun] = field(default_factory=dict)

    def note(self, node: Expr) -> str:
        """The estimate and the measurement of ``node``, for its plan line."""
        est = format_rows(estimate(node).rows)
        run = self.nodes.get(node._name)
        if run is None:
            return f"[{est}]"
        rows = "rows unknown" if run.rows is None else f"{run.rows:,} rows"
        tasks = "task" if run.tasks == 1 else "tasks"
        return f"[{est}; ran: {rows}, {run.tasks} {tasks}, {run.seconds:.3f} s]"


def _rows(value: Any) -> int | None:
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        return len(value)
    return None


def _measured(
    records: dict[Any, tuple[float, int | None]], key: Any, func: Any, *args: Any
) -> Any:
    start = time.perf_counter()
    out = func(*args)
    records[key] = (time.perf_counter() - start, _rows(out))
    return out


def _is_key(value: Any, graph: dict[Any, Any]) -> bool:
    if not isinstance(value, str | tuple):
        return False
    try:
        return value in graph
    except TypeError:  # a tuple of unhashable values: data
        return False


def _wrap(graph: dict[Any, Any], records: dict[Any, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in graph.items():
        if istask(value):
            out[key] = (_measured, records, quote(key), *value)
        else:
            if not _is_key(value, graph):
                records[key] = (0.0, _rows(value))
            out[key] = value
    return out


def analyze(collection: Any, scheduler: Any = None) -> Analysis:
    """Optimize and run ``collection``'s plan, measuring each node.

    Parameters
    ----------
    collection : DataFrame, Series or Scalar
        The lazy result to run (the result itself is discarded).
    scheduler : {"threads", "sync"}, optional
        Where to run; default ``"threads"``. The measurements are made in
        the processes that run the tasks, so only schedulers that share
        this process's memory can report them.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> from partframe.diagnostics.analyze import analyze
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=2)
    >>> run = analyze(df[df.x > 6], scheduler="sync")
    >>> run.nodes[run.plan._name].rows
    3
    """
    from ..base import _compute_partitions
    from ..expr.optimize import optimize
    from ..expr.target import Target, using
    from ..resources import run_scope
    from ..scheduler import get_scheduler, shares_memory

    scheduler = "threads" if scheduler is None else scheduler
    get = get_scheduler(scheduler)
    if not shares_memory(get):
        raise ValueError(
            f"explain(analyze=True) cannot measure tasks run on {scheduler!r}: "
            "the measurements stay in the processes that run them; use "
            "scheduler='threads' or 'sync'"
        )
    from .. import config

    records: dict[Any, tuple[float, int | None]] = {}
    target = Target(
        distributed=False,
        to_client=False,
        shared=True,
        compute=functools.partial(_compute_partitions, get),
    )
    with run_scope(), using(target):
        plan = optimize(collection._expr, fuse=config.get("fuse"))
        graph = _wrap(plan.__dask_graph__(), records)
        start = time.perf_counter()
        get(graph, plan.__dask_keys__())
        wall = time.perf_counter() - start
    for key, value in graph.items():  # an alias: what its key made
        for _ in range(100):
            if not _is_key(value, graph):
                break
            if value in records:
                records[key] = (0.0, records[value][1])
                break
            value = graph[value]
    names = {node._name for node in walk(plan)}
    nodes: dict[str, NodeRun] = {}
    for key, (seconds, rows) in records.items():
        name = key[0] if isinstance(key, tuple) else key
        if name in names:
            nodes.setdefault(name, NodeRun()).add(seconds, rows)
    return Analysis(plan, wall, nodes)


def format_plan(expr: Expr) -> str:
    """``expr``'s tree with each node's estimated rows."""
    return expr.tree_repr(1, note=lambda node: f"[{format_rows(estimate(node).rows)}]")
