"""Preparing a graph to run: linear chains fused into single tasks, and a
priority per task so reductions finish depth-first."""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Any

from .dependencies import all_dependencies, keyset, raise_cycle
from .tasks import Dependencies, Fused, Graph, Key

__all__ = ["fuse_linear", "order"]


def fuse_linear(
    dsk: Graph, keys: Any = (), dependencies: Dependencies | None = None
) -> tuple[dict[Key, Any], dict[Key, set[Key]]]:
    """Merge each linear chain ``a -> b -> c`` into one :class:`Fused` task.

    A link ``a -> b`` is fused when ``a`` is not requested, ``b`` is the only
    task that uses ``a`` and ``a`` is the only key ``b`` uses. The chain is
    stored under its last key, so requested keys keep their names and no
    requested key disappears. Branching points (several inputs or several
    users) are never merged: parallelism is kept. Runs in linear time.

    Parameters
    ----------
    dsk : Mapping
        The graph (usually culled).
    keys : key or (nested) list of keys
        Requested keys: never merged into another task.
    dependencies : Mapping, optional
        Key -> set of keys for every key of ``dsk``; computed when absent.

    Returns
    -------
    dsk : dict
        The fused graph.
    dependencies : dict
        Its dependencies (sets may be shared with the input mapping; do not
        mutate them).

    Raises
    ------
    CycleError
        When a chain closes on itself.

    Examples
    --------
    >>> from operator import add, neg
    >>> from partframe.graph import execute_task
    >>> dsk = {"a": 1, "b": (neg, "a"), "c": (add, "b", 1)}
    >>> fused, deps = fuse_linear(dsk, keys=["c"])
    >>> sorted(fused), deps["c"]
    (['c'], set())
    >>> execute_task(fused["c"], {})
    0
    >>> fused, _ = fuse_linear(dsk, keys=["b", "c"])
    >>> sorted(fused)
    ['b', 'c']
    """
    if dependencies is None:
        dependencies = all_dependencies(dsk)
    protected = keyset(keys)
    # How many tasks use each key, counted in C: only single users matter.
    nusers: Counter[Key] = Counter(chain.from_iterable(dependencies.values()))
    # A child fuses into its parent when each is the other's only neighbour
    # on that side.
    child_of: dict[Key, Key] = {}  # parent -> the child fused into it
    for k, deps in dependencies.items():
        if len(deps) == 1:
            (c,) = deps
            # A self-loop (c == k) is left to the cycle check below.
            if nusers[c] == 1 and c not in protected:
                child_of[k] = c
    if not child_of:
        return dict(dsk), dict(dependencies)
    fused_away = set(child_of.values())
    out = dict(dsk)
    new_deps = dict(dependencies)
    removed = 0
    for k in child_of:
        if k in fused_away:
            continue  # not the end of its chain
        links = [k]
        c = child_of[k]
        while True:
            links.append(c)
            del out[c]
            del new_deps[c]
            if c not in child_of:
                break
            c = child_of[c]
        removed += len(links) - 1
        links.reverse()
        head_deps = dependencies[links[0]]
        if len(head_deps) < 2:
            inkeys = tuple(head_deps)
        else:
            inkeys = tuple(sorted(head_deps, key=repr))
        func = Fused(inkeys, tuple(links), tuple([dsk[x] for x in links]))
        out[k] = (func, *inkeys)
        new_deps[k] = head_deps
    if removed != len(fused_away):
        # Keys fused into a parent yet never reached from a chain end: they
        # form a loop of single links.
        raise_cycle(dsk, dependencies)
    return out, new_deps


def order(dsk: Graph, dependencies: Dependencies | None = None) -> dict[Key, int]:
    """Give each key a priority (smaller runs first) that keeps memory low.

    Two rules, both linear in the size of the graph:

    - a depth-first walk from each output (graph order) visits the inputs an
      output needs, the dependencies with more inputs of their own first and
      plain inputs last, and ranks a task as soon as its inputs are ranked;
      so a reduction combines partial results as soon as they exist instead
      of loading every input first, and one chain finishes before the next
      starts;
    - when ranking a task makes another task runnable (all its inputs
      ranked), that task is ranked right away, depth-first: a value used by
      several reductions is consumed by all of them before the walk moves
      on, and it can be freed.

    Every key ranks after its dependencies, so the ranks are a valid
    topological order.

    Parameters
    ----------
    dsk : Mapping
        The graph.
    dependencies : Mapping, optional
        Key -> set of keys for every key of ``dsk``; computed when absent.

    Returns
    -------
    dict
        Key -> int, the integers ``0 .. len(dsk) - 1``.

    Raises
    ------
    CycleError
        Naming the keys of a cycle.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {"a": 1, "b": 2, "c": 3, "d": 4,
    ...        "ab": (add, "a", "b"), "cd": (add, "c", "d"),
    ...        "total": (add, "ab", "cd")}
    >>> o = order(dsk)
    >>> sorted(dsk, key=o.__getitem__)
    ['a', 'b', 'ab', 'c', 'd', 'cd', 'total']
    """
    if dependencies is None:
        dependencies = all_dependencies(dsk)
    n = len(dsk)
    dependents: dict[Key, list[Key]] = {k: [] for k in dsk}
    for k, deps in dependencies.items():
        for d in deps:
            dependents[d].append(k)
    # One integer per key: more inputs first, then graph order.
    rank = {k: i - len(dependencies[k]) * n for i, k in enumerate(dsk)}
    missing = {k: len(v) for k, v in dependencies.items()}
    result: dict[Key, int] = {}
    expanded: set[Key] = set()
    counter = 0
    for root in dsk:
        if dependents[root] or root in result:
            continue
        # Depth-first from an output. Only inputs (keys without dependencies)
        # are ranked by the walk itself; every other key is ranked the moment
        # its last dependency is, by the cascade below. So a key is expanded
        # once: when the walk comes back to it, it is ranked already.
        stack = [root]
        while stack:
            k = stack.pop()
            if k in result:
                continue
            deps = dependencies[k]
            if deps:
                if k in expanded:
                    # Its inputs were all walked and it still is not ready.
                    raise_cycle(dsk, dependencies)
                expanded.add(k)
                stack.append(k)
                if len(deps) == 1:
                    stack.extend(deps)
                else:
                    # Popped from the end: the best-ranked is walked first.
                    stack.extend(sorted(deps, key=rank.__getitem__, reverse=True))
                continue
            # An input: rank it, then everything it makes runnable.
            todo = [k]
            while todo:
                t = todo.pop()
                result[t] = counter
                counter += 1
                ready = None
                for p in dependents[t]:
                    m = missing[p] - 1
                    missing[p] = m
                    if m == 0:
                        if ready is None:
                            ready = [p]
                        else:
                            ready.append(p)
                if ready is not None:
                    if len(ready) > 1:
                        ready.sort(key=rank.__getitem__, reverse=True)
                    todo.extend(ready)
    if len(result) != n:
        # Keys that every path leads back to: a cycle no output reaches.
        raise_cycle(dsk, dependencies)
    return result
