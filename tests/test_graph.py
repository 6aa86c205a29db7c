"""Task graph helpers: spec semantics, cull, toposort, fuse_linear, order."""

from __future__ import annotations

import heapq
import pickle
import sys
import zlib
from operator import add
from typing import Any

import pytest
from complexity import assert_linear, count_steps
from hypothesis import given, settings
from hypothesis import strategies as st

from partframe.graph import (
    CycleError,
    Fused,
    all_dependencies,
    cull,
    execute_task,
    fuse_linear,
    get_dependencies,
    get_dependents,
    order,
    quote,
    toposort,
)


def inc(x):
    return x + 1


def tsum(*args):
    return sum(args)


def ident(x):
    return x


def mix(*args):
    """A deterministic value that depends on every argument's structure."""
    return zlib.crc32(repr(args).encode())


CALLS: list = []


def counted(x):
    CALLS.append(x)
    return x + 1


def run(dsk, keys):
    """A plain reference executor: every key in topological order."""
    cache: dict = {}
    for k in toposort(dsk):
        cache[k] = execute_task(dsk[k], cache)
    return [cache[k] for k in keys]


# -- spec semantics ----------------------------------------------------------


def test_references_literals_and_containers():
    dsk = {
        "a": 1,
        ("b", 0): 2,
        "lst": (ident, ["a", ("b", 0), ["a"]]),
        "tup": (ident, (1, "a", ("b", 0))),
        "st": (ident, {"a", "zz"}),
        "dct": (ident, {"k": "a", "t": (add, "a", 1)}),
        "nested": (add, (add, "a", ("b", 0)), 10),
        "quoted": (ident, quote(("a", 1))),
        "alias": "a",
    }
    deps = all_dependencies(dsk)
    assert deps["lst"] == {"a", ("b", 0)}
    assert deps["tup"] == {"a", ("b", 0)}
    assert deps["st"] == {"a"}
    assert deps["dct"] == set()  # dicts are data, as in Dask
    assert deps["quoted"] == set()
    assert deps["alias"] == {"a"}
    out = dict(zip(dsk, run(dsk, list(dsk))))
    assert out["lst"] == [1, 2, [1]]
    assert out["tup"] == (1, 1, 2)
    assert out["st"] == {1, "zz"}
    assert out["dct"] == {"k": "a", "t": (add, "a", 1)}
    assert out["nested"] == 13
    assert out["quoted"] == ("a", 1)
    assert out["alias"] == 1


def test_agrees_with_dask():
    dask = pytest.importorskip("dask")
    dsk = {
        "a": 1,
        ("b", 0): 2,
        "lst": (ident, ["a", ("b", 0), ["a", (inc, "a")]]),
        "tup": (ident, (1, "a", ("b", 0))),
        "dct": (ident, {"k": "a", "t": (add, "a", 1)}),
        "quoted": (ident, quote(("a", (inc, 1)))),
        "nested": (add, (add, "a", ("b", 0)), 10),
        "notakey": (ident, ("zz", 3)),
    }
    keys = list(dsk)
    assert dask.get(dsk, keys) == tuple(run(dsk, keys))


def test_get_dependencies_deep_nesting():
    task = "a"
    for _ in range(5000):
        task = (inc, [task])
    assert get_dependencies({"a": 1}, task=task) == {"a"}


# -- cull --------------------------------------------------------------------


def test_cull_missing_key_named():
    with pytest.raises(KeyError, match=r"\('x', 3\)"):
        cull({"a": 1}, ["a", [("x", 3)]])


def test_cull_keeps_graph_order():
    dsk = {"z": 1, "y": (inc, "z"), "unused": 3, "x": (add, "y", "z")}
    culled, deps = cull(dsk, "x")
    assert list(culled) == ["z", "y", "x"]
    assert deps == {"x": {"y", "z"}, "y": {"z"}, "z": set()}


# -- toposort and cycles -----------------------------------------------------


def test_toposort_long_chain_and_cycle_message():
    dsk = {"k0": 0, **{f"k{i}": (inc, f"k{i - 1}") for i in range(1, 5000)}}
    assert toposort(dsk)[:3] == ["k0", "k1", "k2"]
    bad = {"a": (inc, "b"), "b": (inc, "c"), "c": (inc, "a"), "d": (inc, "a")}
    with pytest.raises(CycleError, match="'a' -> 'b' -> 'c' -> 'a'"):
        toposort(bad)


@pytest.mark.parametrize(
    "dsk",
    [
        {"a": (inc, "b"), "b": (inc, "a")},  # pure loop of single links
        {"a": (inc, "a")},  # self loop
        {"a": (add, "b", "x"), "b": (inc, "c"), "c": (inc, "a"), "x": 1},
        {"a": (add, "b", "c"), "b": (inc, "c"), "c": (inc, "a"), "out": (inc, "a")},
    ],
)
def test_cycles_detected_not_looped(dsk):
    deps = all_dependencies(dsk)
    with pytest.raises(CycleError, match="cycle"):
        order(dsk, deps)
    with pytest.raises(CycleError, match="cycle"):
        fused, fdeps = fuse_linear(dsk, [], deps)
        order(fused, fdeps)
    with pytest.raises(CycleError, match="cycle"):
        toposort(dsk, deps)


# -- fuse_linear ---------------------------------------------------------------


def test_fuse_keeps_requested_and_branches():
    dsk = {
        "a": 1,
        "b": (inc, "a"),
        "c": (inc, "b"),  # requested: stays
        "d": (inc, "c"),
        "e": (add, "d", "c"),
        "f": (inc, "e"),
    }
    fused, deps = fuse_linear(dsk, ["c", "f"])
    assert set(fused) == {"c", "d", "f"}
    assert deps == {"c": set(), "d": {"c"}, "f": {"d", "c"}}
    assert deps == all_dependencies(fused)
    assert run(fused, ["c", "f"]) == run(dsk, ["c", "f"]) == [3, 8]


def test_fuse_key_used_several_times_runs_once():
    CALLS.clear()
    dsk = {"a": 1, "b": (counted, "a"), "c": (add, "b", (mul2, "b", ["b"]))}
    fused, _ = fuse_linear(dsk, ["c"])
    assert list(fused) == ["c"]
    assert run(fused, ["c"]) == [2 + 2 * 2 * 1]
    assert CALLS == [1]


def mul2(x, lst):
    return 2 * x * len(lst)


def test_fuse_long_chain_no_recursion_and_pickles():
    n = max(3000, sys.getrecursionlimit() * 2)
    dsk = {("x", 0): 0, **{("x", i): (inc, ("x", i - 1)) for i in range(1, n)}}
    dsk["out"] = (add, ("x", n - 1), (inc, 1))
    fused, deps = fuse_linear(dsk, ["out"])
    assert list(fused) == ["out"] and deps == {"out": set()}
    task = pickle.loads(pickle.dumps(fused["out"]))
    assert isinstance(task[0], Fused)
    assert execute_task(task, {}) == n - 1 + 2


def boom(x):
    raise ZeroDivisionError("boom")


def test_fused_error_names_the_failing_link():
    dsk = {"a": 1, ("bad", 3): (boom, "a"), "c": (add, ("bad", 3), 1)}
    fused, _ = fuse_linear(dsk, ["c"])
    with pytest.raises(ZeroDivisionError) as info:
        run(fused, ["c"])
    assert info.value.__notes__ == [
        "partframe: raised by task ('bad', 3) (partition 3 of 'bad')"
    ]


def test_fuse_multiple_inputs_at_chain_head():
    dsk = {"x": 1, "y": 2, "h": (add, "x", "y"), "m": (inc, "h"), "o": (inc, "m")}
    fused, deps = fuse_linear(dsk, "o")
    assert set(fused) == {"x", "y", "o"}
    assert deps["o"] == {"x", "y"}
    assert run(fused, ["o"]) == [5]


def test_fused_graph_runs_on_distributed(client):
    # The client is shared by the session: every graph sent gets key names
    # of its own, so a key still held (or being released) from an earlier
    # get with a different task under the same name is never reused.
    def graph(tag):
        x, y, z, total = (f"{n}-{tag}" for n in ("x", "y", "z", "total"))
        dsk = {(x, i): (inc, i) for i in range(4)}
        for i in range(4):
            dsk[(y, i)] = (inc, (x, i))
            dsk[(z, i)] = (ident, [(y, i), {"k": "literal"}, quote((y, i))])
        dsk[total] = (tsum, *[(len, (z, i)) for i in range(4)])
        return dsk, [total, (z, 2)]

    dsk, keys = graph("plain")
    assert list(client.get(dsk, keys)) == run(dsk, keys)
    dsk, keys = graph("fused")
    culled, deps = cull(dsk, keys)
    fused, _ = fuse_linear(culled, keys, deps)
    assert any(isinstance(t[0], Fused) for t in fused.values())
    assert list(client.get(fused, keys)) == run(dsk, keys)


# -- order -------------------------------------------------------------------


def tree_reduction(n, split_every, leaves=None):
    dsk = {} if leaves else {("in", i): (inc, i) for i in range(n)}
    level = leaves or [("in", i) for i in range(n)]
    depth = 0
    while len(level) > 1:
        new = []
        for j in range(0, len(level), split_every):
            k = (f"combine-{depth}", j // split_every)
            dsk[k] = (tsum, *level[j : j + split_every])
            new.append(k)
        level = new
        depth += 1
    return dsk, level[0]


def peak_held(dsk, priority, keep=()):
    """Run in priority order on one worker; the most results held at once."""
    deps = all_dependencies(dsk)
    dependents = get_dependents(deps)
    waiting = {k: len(v) for k, v in deps.items()}
    users_left = {k: len(v) for k, v in dependents.items()}
    ready = [(priority[k], k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    held: set = set()
    peak = 0
    while ready:
        _, k = heapq.heappop(ready)
        held.add(k)
        peak = max(peak, len(held))
        for d in deps[k]:
            users_left[d] -= 1
            if users_left[d] == 0 and d not in keep:
                held.discard(d)
        if users_left[k] == 0 and k not in keep:
            held.discard(k)
        for p in dependents[k]:
            waiting[p] -= 1
            if waiting[p] == 0:
                heapq.heappush(ready, (priority[p], p))
    return peak


def test_order_tree_reduction_memory():
    dsk, _ = tree_reduction(1024, 4)
    peak = peak_held(dsk, order(dsk))
    # Breadth-first (graph order: every input first) holds every input.
    breadth = peak_held(dsk, {k: i for i, k in enumerate(dsk)})
    assert breadth >= 1024
    assert peak <= 4 * 5 + 1  # split_every * depth


def test_order_two_reductions_share_inputs():
    n = 256
    dsk = {("in", i): (inc, i) for i in range(n)}
    for name in ("sum", "max"):
        for i in range(n):
            dsk[(f"{name}-chunk", i)] = (inc, ("in", i))
        level = [(f"{name}-chunk", i) for i in range(n)]
        d = 0
        while len(level) > 1:
            new = [(f"{name}-{d}", j // 4) for j in range(0, len(level), 4)]
            for j, k in enumerate(new):
                dsk[k] = (tsum, *level[4 * j : 4 * j + 4])
            level = new
            d += 1
    peak = peak_held(dsk, order(dsk))
    assert peak <= 2 * 4 * 4 + 4


def test_order_finishes_chains_one_at_a_time():
    dsk = {}
    for c in range(100):
        dsk[("a", c)] = (inc, c)
        for j in range(1, 5):
            dsk[(chr(ord("a") + j), c)] = (inc, (chr(ord("a") + j - 1), c))
    o = order(dsk)
    for c in range(100):
        ranks = sorted(o[(chr(ord("a") + j), c)] for j in range(5))
        assert ranks == list(range(ranks[0], ranks[0] + 5))


def test_order_doc_example_and_broadcast():
    # df - df.mean(): every partition is consumed as soon as the mean exists.
    dsk, root = tree_reduction(64, 8)
    for i in range(64):
        dsk[("out", i)] = (add, ("in", i), root)
    o = order(dsk)
    assert all(o[("out", i)] > o[root] for i in range(64))
    assert max(o[("out", i)] for i in range(64)) == len(dsk) - 1


def test_order_deterministic_across_hash_seeds(tmp_path):
    import subprocess

    script = tmp_path / "o.py"
    script.write_text(
        "from partframe.graph import order\n"
        "from operator import add\n"
        "dsk = {f'in{i}': i for i in range(50)}\n"
        "for i in range(50):\n"
        "    dsk[f'm{i}'] = (add, f'in{i}', f'in{(i * 7) % 50}')\n"
        "dsk['t'] = (sum, [f'm{i}' for i in range(50)])\n"
        "print(sorted(order(dsk).items()))\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, str(script)],
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(_repo_root())},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


def _repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _chunked_tree_graph(n: int) -> tuple[dict, Any]:
    """``n`` chains of four tasks under a tree reduction of width 8."""
    dsk = {}
    for i in range(n):
        dsk[("read", i)] = (inc, i)
        dsk[("m1", i)] = (inc, ("read", i))
        dsk[("m2", i)] = (inc, ("m1", i))
        dsk[("chunk", i)] = (inc, ("m2", i))
    tree, root = tree_reduction(n, 8, leaves=[("chunk", i) for i in range(n)])
    dsk.update(tree)
    return dsk, root


def _prepare(dsk: dict, root: Any) -> tuple:
    culled, deps = cull(dsk, [root])
    fused, fdeps = fuse_linear(culled, [root], deps)
    return culled, fused, order(fused, fdeps), order(culled, deps)


def test_big_graph_prepares_in_linear_steps():
    """cull, fuse and order do work proportional to the graph (counted, not
    timed: a clock fails on a busy machine)."""
    sizes, steps = [500, 1000, 4000], []
    for n in sizes:
        dsk, root = _chunked_tree_graph(n)
        count, (culled, fused, o, o2) = count_steps(_prepare, dsk, root)
        steps.append(count)
        assert len(culled) == len(dsk)
        # each chain of four fuses into one task; the tree stays as it is
        assert len(fused) == len(dsk) - 3 * n
        assert sorted(o) == sorted(fused) and sorted(o2) == sorted(culled)
    assert_linear(sizes, steps)
    # the full-size graph (50,000 tasks) still goes through
    dsk, root = _chunked_tree_graph(12500)
    assert len(dsk) > 50_000
    culled, fused, o, o2 = _prepare(dsk, root)
    assert len(fused) < len(culled) and len(o) == len(fused) and len(o2) == len(culled)


# -- properties on random DAGs ---------------------------------------------------


@st.composite
def random_dags(draw):
    n = draw(st.integers(1, 25))
    keys = [f"k{i}" if draw(st.booleans()) else ("t", i) for i in range(n)]
    dsk = {}
    for i, k in enumerate(keys):
        deps = draw(st.lists(st.integers(0, i - 1), max_size=4)) if i else []
        args = []
        for d in deps:
            form = draw(st.integers(0, 4))
            ref = keys[d]
            args.append(
                [ref, ref, ref, (mix, ref, 1), {"lit": ref}][form]
                if form != 2
                else [ref, 7]
            )
        if not args and draw(st.booleans()):
            dsk[k] = i  # a literal value
        else:
            dsk[k] = (mix, i, *args)
    out_keys = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4))
    return dsk, out_keys


def ancestors(dsk, keys):
    deps = all_dependencies(dsk)
    seen: set = set()
    stack = list(keys)
    while stack:
        k = stack.pop()
        if k not in seen:
            seen.add(k)
            stack.extend(deps[k])
    return seen


@settings(max_examples=150, deadline=None)
@given(random_dags())
def test_properties_random_dags(case):
    dsk, keys = case
    deps = all_dependencies(dsk)

    topo = toposort(dsk, deps)
    assert sorted(map(repr, topo)) == sorted(map(repr, dsk))
    pos = {k: i for i, k in enumerate(topo)}
    assert all(pos[d] < pos[k] for k in dsk for d in deps[k])

    culled, cdeps = cull(dsk, keys)
    assert set(culled) == ancestors(dsk, keys)
    assert cdeps == {k: deps[k] for k in culled}

    fused, fdeps = fuse_linear(culled, keys, cdeps)
    assert set(keys) <= set(fused)
    assert fdeps == all_dependencies(fused)
    assert run(fused, keys) == run(dsk, keys)

    for graph, gdeps in ((dsk, deps), (fused, fdeps)):
        o = order(graph, gdeps)
        assert sorted(o.values()) == list(range(len(graph)))
        assert all(o[d] < o[k] for k in graph for d in gdeps[k])
        assert order(graph, gdeps) == o
