"""The layers of the package import one way, and tasks call only kernels.

The import graph is read from the source (every ``import``, including those
inside functions, which Python runs later but which still tie the modules
together; not those under ``if TYPE_CHECKING:``, which Python never runs)
and checked against the layer order of ``docs/architecture.md``: a module
imports only modules of its own layer or of layers below it, and no set of
modules imports itself round.

Tasks must be plain data that any scheduler can run: the graphs of a set of
plans covering every family of operation call only functions of
``partframe.kernels`` or ``partframe.graph`` (or pandas, numpy, pyarrow and
the standard library; a user's function is an argument of a kernel).
"""

from __future__ import annotations

import ast
import collections
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.graph import Fused, istask

PACKAGE = Path(partframe.__file__).resolve().parent

# Lowest first. A module belongs to the layer of its longest listed prefix.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "foundation",
        [
            "partframe.config",
            "partframe.callbacks",
            "partframe.resources",
            "partframe.threadpool",
            "partframe.offload",
            "partframe.graph",
        ],
    ),
    (
        "storage",
        [
            "partframe.io.paths",
            "partframe.io.faults",
            "partframe.io.commit_lock",
            "partframe.io.commit",
            "partframe.io.commit_job",
            "partframe.io.commit_journal",
            "partframe.io.commit_recover",
            "partframe.io.manifest",
            "partframe.io.snapshot",
            "partframe.io.hive",
        ],
    ),
    (
        "kernels",
        [
            "partframe.kernels",
        ],
    ),
    (
        "expressions",
        [
            "partframe.aggregation",
            "partframe.expr",
            "partframe.io.nodes",
            "partframe.io.parquet_plan",
            "partframe.io.csv_plan",
            "partframe.tokenize",
        ],
    ),
    ("scheduler", ["partframe.scheduler", "partframe.diagnostics.progress"]),
    ("compute", ["partframe.base", "partframe.delayed", "partframe.diagnostics"]),
    ("facade core", ["partframe.collection._core"]),
    (
        "facade",
        [
            "partframe.methods",
            "partframe.groupby",
            "partframe.collection.frame",
            "partframe.io.memory",
            "partframe.io.delayed",
            "partframe.io.parquet",
            "partframe.io.parquet_write",
            "partframe.io.csv",
            "partframe.io.csv_write",
        ],
    ),
    (
        "api",
        ["partframe", "partframe.collection", "partframe.io", "partframe.testing"],
    ),
]


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


def _targets(module: str, is_pkg: bool, node: ast.AST, modules: dict) -> list[str]:
    """The partframe modules an import statement loads."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            if not is_pkg:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        # ``from pkg import sub`` loads the submodule, else the module itself
        names = [
            f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix
            for a in node.names
        ]
    out = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name.startswith("partframe") and name != module:
            out.append(name)
    return out


@functools.cache
def _is_type_checking(node: ast.AST) -> bool:
    """Is ``node`` an ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)?"""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree`` that Python can run: those in an
    ``if TYPE_CHECKING:`` body exist only for the type checker (the names
    appear in annotations, which are never evaluated), so they tie no
    modules together at run time and are left out (their ``else`` is not)."""
    out: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.append(node)
        if _is_type_checking(node):
            assert isinstance(node, ast.If)
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, (path, is_pkg) in modules.items():
        for node in _imports(ast.parse(path.read_text(), str(path))):
            graph[module].update(_targets(module, is_pkg, node, modules))
    return graph


def layer_of(module: str) -> int:
    best, found = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, found = len(p), i
    if found is None:
        raise AssertionError(
            f"module {module} is in no layer: add it to LAYERS in {__file__}"
        )
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan,
    iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_import_is_seen():
    """Function-level imports count (they tie modules as much as any)."""
    graph = import_graph()
    # imported inside a function body
    assert "partframe.scheduler" in graph["partframe.base"]
    assert "partframe.collection._core" in graph["partframe.io.memory"]


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_imports_follow_the_layers():
    graph = import_graph()
    upward = {}
    for module, targets in graph.items():
        for target in targets:
            if layer_of(target) > layer_of(module):
                upward[module, target] = (
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
                    f"({LAYERS[layer_of(target)][0]})"
                )
    assert not upward, "imports against the layer order:\n" + "\n".join(upward.values())


# --- task functions ---------------------------------------------------------


def _fields(obj: object) -> list:
    slots = [s for c in type(obj).__mro__ for s in getattr(c, "__slots__", ())]
    return [getattr(obj, s, None) for s in slots] + list(
        getattr(obj, "__dict__", {}).values()
    )


def _callables(dsk: dict) -> set:
    seen: set = set()

    def visit(x: object) -> None:
        if istask(x):
            record(x[0])
            for a in x[1:]:
                visit(a)
        elif isinstance(x, dict):
            for v in x.values():
                visit(v)
        elif isinstance(x, list | tuple | set | frozenset):
            for a in x:
                visit(a)
        elif type(x).__module__.startswith("partframe"):
            # a plan object passed to a task (a fused task's steps)
            for a in _fields(x):
                visit(a)

    def record(f: object) -> None:
        while isinstance(f, functools.partial):
            f = f.func
        if isinstance(f, Fused):
            for a in _fields(f):
                visit(a)
        seen.add(f)

    for v in dsk.values():
        visit(v)
    return seen


def _plans(tmp: Path) -> dict:
    pdf = pd.DataFrame(
        {
            "a": np.arange(60) % 7,
            "b": np.arange(60.0),
            "c": list("xyzw") * 15,
            "t": pd.date_range("2026-01-01", periods=60, freq="h"),
        }
    )
    df = partframe.from_pandas(pdf, npartitions=4)
    df.to_parquet(str(tmp / "pq"), partition_on=None)
    pdf.to_csv(tmp / "x.csv", index=False)
    s = df.b
    small = partframe.from_pandas(pdf.head(5), npartitions=1)
    by_b = df.set_index("b", sorted=True)
    relabelled = df.copy()
    relabelled.columns = ["A", "B", "C", "T"]
    return {
        "filter": df[df.a > 2].b + 1,
        "assign": df.assign(d=df.a * 2).fillna(0),
        "where": df.b.where(df.a > 1, 0),
        "str": df.c.str.upper(),
        "dt": df.t.dt.hour,
        "astype": df.astype({"a": "float64"}),
        "reductions": df[["a", "b"]].sum(),
        "scalar": s.sum() + s.mean(),
        "std": s.std(),
        "describe": df.describe(),
        "nunique": df.c.nunique(),
        "quantile": s.quantile([0.1, 0.5]),
        "value_counts": df.c.value_counts(),
        "unique": df.c.unique(),
        "nlargest": df.nlargest(3, "b"),
        "cumsum": s.cumsum(),
        "ffill": s.where(df.a > 2).ffill(),
        "iloc": df.iloc[5:50],
        "head": df.head(3, compute=False),
        "loc": df.set_index("b", sorted=True).loc[3:20],
        "map_partitions": df.map_partitions(len),
        "apply": df.apply(lambda r: r.a + 1, axis=1, meta=("x", "i8")),
        "repartition": df.repartition(npartitions=2),
        "reset_index": df.reset_index(),
        "concat": partframe.concat([df, df]),
        "groupby": df.groupby("a").b.mean(),
        "groupby_agg": df.groupby("c").agg({"b": ["sum", "std"], "a": "nunique"}),
        "groupby_split_out": df.groupby("a").b.sum(split_out=2),
        "groupby_apply": df.groupby("a").apply(lambda g: g.b.sum(), meta=("b", "f8")),
        "groupby_transform": df.groupby("a").b.transform("sum"),
        "groupby_cumsum": df.groupby("a").b.cumsum(),
        "groupby_head": df.groupby("a").head(2),
        "merge": df.merge(df, on="a"),
        "merge_index": df.merge(df, left_index=True, right_index=True),
        "sort": df.sort_values("b"),
        "sort_disk": df.sort_values("b", method="disk"),
        "set_index": df.set_index("b"),
        "shuffle_tasks": df.shuffle("a", method="tasks"),
        "shuffle_disk": df.shuffle("a", method="disk"),
        "drop_duplicates": df.drop_duplicates(subset=["a"]),
        "pivot": df.pivot_table(
            index="a", columns="c", values="b", column_values=list("wxyz")
        ),
        "parquet": partframe.read_parquet(str(tmp / "pq")).b.sum(),
        "csv": partframe.read_csv(str(tmp / "x.csv")).b.sum(),
        "to_parquet": df.to_parquet(str(tmp / "out"), compute=False),
        "to_csv": df.to_csv(str(tmp / "outcsv"), compute=False),
        "delayed": partframe.delayed(sum)([1, 2]),
        "from_delayed": partframe.from_delayed(
            [partframe.delayed(lambda: pdf)()], meta=pdf
        ),
        "from_map": partframe.from_map(lambda i: pdf.iloc[i : i + 1], [0, 1, 2]),
        "parquet_filters": partframe.read_parquet(
            str(tmp / "pq"), filters=[("b", ">", 3)]
        ),
        "merge_broadcast": df.merge(small, on="a", how="left"),
        "merge_outer": df.merge(df, on="c", how="outer"),
        "join_index": by_b.join(by_b, rsuffix="_r"),
        "value_counts_split": df.c.value_counts(split_out=2),
        "drop_duplicates_split": df.c.drop_duplicates(split_out=2),
        "groupby_split_sorted": df.groupby("a").b.agg(["sum", "mean"], split_out=2),
        "groupby_nunique": df.groupby("a").c.nunique(),
        "groupby_idxmax": df.groupby("a").b.idxmax(),
        "groupby_std_keys": df.groupby(["a", "c"]).b.std(),
        "groupby_size": df.groupby("a").size(),
        "groupby_nlargest": df.groupby("a").b.nlargest(2),
        "groupby_cumcount": df.groupby("a").cumcount(),
        "count": df.b.count(),
        "len": df._length(),
        "index_isna": df.index.isna(),
        "index": df.index + 1,
        "tail": df.tail(3, compute=False),
        "nsmallest": df.nsmallest(2, "b"),
        "map": df.c.map({"x": 1}),
        "astype_category": df.c.astype("category"),
        "fillna_lazy": df.b.fillna(df.b.mean()),
        "along_columns": df[["a", "b"]] - df[["a", "b"]].mean(),
        "isin_lazy": df[df.a.isin(small.a)],
        "rename": df.rename(columns=str.upper),
        "set_columns": relabelled,
        "to_csv_single": df.to_csv(
            str(tmp / "one.csv"), single_file=True, compute=False
        ),
        "repartition_size": df.repartition(partition_size="1kB"),
        "describe_str": df.c.describe(),
        "quantile_frame": df[["a", "b"]].quantile(0.3),
        "cummax": s.cummax(),
        "mode": df.mode(),
        "memory_usage": df.memory_usage(deep=True),
        "idxmax": df[["a", "b"]].idxmax(),
        "axis_none": df[["a", "b"]].mean(axis=None),
        "rowwise": df[["a", "b"]].sum(axis=1),
        "mean_time": df.t.mean(),
        "cumprod_frame": df[["a", "b"]].cumprod(),
        "filtered_sum": df[df.a > 2].sum(numeric_only=True),
    }


def _defined_in(f: object) -> str:
    module = getattr(f, "__module__", None) or type(f).__module__
    return module or ""


def test_tasks_call_only_kernels(tmp_path):
    offenders: dict[str, set[str]] = collections.defaultdict(set)
    for name, obj in _plans(tmp_path).items():
        for f in _callables(dict(obj.__dask_graph__())):
            module = _defined_in(f)
            if not module.startswith("partframe"):
                continue  # pandas, numpy, the standard library, user code
            if module.startswith(("partframe.kernels", "partframe.graph")):
                continue
            qual = getattr(f, "__qualname__", type(f).__qualname__)
            offenders[f"{module}.{qual}"].add(name)
    assert not offenders, "task functions outside partframe.kernels:\n" + "\n".join(
        f"{k} (plans: {', '.join(sorted(v))})" for k, v in sorted(offenders.items())
    )


@pytest.mark.parametrize("plan", ["merge", "groupby_apply"])
def test_task_finder_sees_a_task_function(tmp_path, plan):
    """The walk reaches tasks inside fused tasks (else the check above could
    pass by seeing nothing)."""
    found = _callables(dict(_plans(tmp_path)[plan].__dask_graph__()))
    assert any(_defined_in(f).startswith("partframe.kernels") for f in found)
