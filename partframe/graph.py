"""Task graphs: the Dask-compatible spec and the helpers that work on it.

A graph is a ``dict`` from key to task. A key is a ``str`` or a tuple whose
first element is a ``str`` (``("sum-abc", 3)``). A value is either a task, a
key of another entry (an alias) or a literal. A task is a tuple whose first
element is callable: ``(func, *args)``. Arguments may be keys (replaced by
their values), literals, lists (each element resolved) or nested tasks.

A tuple literal that must not be read as a task (or as a key) is wrapped with
:func:`quote`. This is the legacy Dask spec, which ``distributed`` and Ray's
Dask scheduler run as they are.

Examples
--------
>>> from operator import add
>>> dsk = {"a": 1, "b": (add, "a", 10), "c": (sum, ["a", "b"])}
>>> get_dependencies(dsk, "c")
{'a', 'b'}
>>> [k for k in toposort(dsk)]
['a', 'b', 'c']
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

__all__ = [
    "CycleError",
    "Literal",
    "cull",
    "execute_task",
    "flatten_keys",
    "fuse_linear",
    "get_dependencies",
    "get_dependents",
    "istask",
    "order",
    "quote",
    "toposort",
]

Key = str | tuple
Graph = dict


class CycleError(ValueError):
    """A graph whose dependencies form a cycle."""


class Literal:
    """A callable that returns its data: wraps values that look like tasks.

    Examples
    --------
    >>> execute_task(quote((1, 2)), {})
    (1, 2)
    """

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __call__(self) -> Any:
        return self.data

    def __repr__(self) -> str:
        return f"literal<{self.data!r}>"

    def __reduce__(self) -> tuple:
        return (Literal, (self.data,))


def quote(x: Any) -> tuple:
    """Wrap ``x`` so a graph treats it as data, never as a task or a key.

    Examples
    --------
    >>> quote((sum, [1, 2]))
    (literal<(<built-in function sum>, [1, 2])>,)
    """
    return (Literal(x),)


def istask(x: Any) -> bool:
    """Is ``x`` a task: a non-empty tuple whose first element is callable?

    Examples
    --------
    >>> istask((sum, [1, 2])), istask((1, 2)), istask("x")
    (True, False, False)
    """
    return type(x) is tuple and bool(x) and callable(x[0])


def _ishashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def execute_task(arg: Any, cache: Mapping) -> Any:
    """Evaluate one task (or argument) with key values taken from ``cache``.

    Examples
    --------
    >>> from operator import add
    >>> execute_task((add, "x", (add, 1, 2)), {"x": 10})
    13
    """
    typ = type(arg)
    if typ is tuple and arg and callable(arg[0]):
        func = arg[0]
        return func(*[execute_task(a, cache) for a in arg[1:]])
    if typ is list:
        return [execute_task(a, cache) for a in arg]
    if typ is str or typ is tuple:
        try:
            return cache[arg]
        except (KeyError, TypeError):
            return arg
    return arg


def _find_deps(arg: Any, keys: Mapping | set, out: set) -> None:
    # Iterative walk: deeply nested arguments must not hit the recursion limit.
    stack = [arg]
    while stack:
        x = stack.pop()
        typ = type(x)
        if typ is tuple and x and callable(x[0]):
            stack.extend(x[1:])
        elif typ is list:
            stack.extend(x)
        elif typ is dict:
            stack.extend(x.values())
        elif typ is str or typ is tuple:
            try:
                if x in keys:
                    out.add(x)
            except TypeError:
                pass


def get_dependencies(
    dsk: Mapping, key: Hashable | None = None, task: Any = None
) -> set:
    """The keys of ``dsk`` that ``key`` (or the bare ``task``) refers to.

    Examples
    --------
    >>> from operator import add
    >>> sorted(get_dependencies({"x": 1, "y": 2, "z": (add, "x", ["y"])}, "z"))
    ['x', 'y']
    >>> get_dependencies({"x": 1}, task=(len, ["x", "q"]))
    {'x'}
    """
    arg = dsk[key] if key is not None else task
    out: set = set()
    _find_deps(arg, dsk, out)
    return out


def all_dependencies(dsk: Mapping) -> dict:
    """Map every key of ``dsk`` to the set of keys it depends on."""
    return {k: get_dependencies(dsk, k) for k in dsk}


def get_dependents(dependencies: Mapping) -> dict:
    """Invert a dependency mapping: key -> keys that depend on it."""
    out: dict = {k: set() for k in dependencies}
    for k, deps in dependencies.items():
        for d in deps:
            out[d].add(k)
    return out


def flatten_keys(keys: Any) -> list:
    """Flatten nested lists of keys into one list.

    Examples
    --------
    >>> flatten_keys(["a", [("b", 0), ("b", 1)], [["c"]]])
    ['a', ('b', 0), ('b', 1), 'c']
    """
    out: list = []
    stack = [iter([keys])]
    while stack:
        for x in stack[-1]:
            if type(x) is list:
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


def cull(dsk: Mapping, keys: Any) -> tuple[dict, dict]:
    """Keep only what ``keys`` need; also return the dependencies of what is kept.

    Raises ``KeyError`` naming the first requested key the graph lacks.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {"x": 1, "y": (add, "x", 1), "unused": (add, "x", 2)}
    >>> culled, deps = cull(dsk, ["y"])
    >>> sorted(culled), deps["y"]
    (['x', 'y'], {'x'})
    """
    wanted = flatten_keys(keys)
    for k in wanted:
        if k not in dsk:
            raise KeyError(f"key {k!r} is not in the graph")
    out: dict = {}
    deps: dict = {}
    stack = list(wanted)
    while stack:
        k = stack.pop()
        if k in out:
            continue
        out[k] = dsk[k]
        d = get_dependencies(dsk, k)
        deps[k] = d
        stack.extend(x for x in d if x not in out)
    return out, deps


def toposort(dsk: Mapping, dependencies: Mapping | None = None) -> list:
    """Keys of ``dsk`` in an order where every key follows its dependencies.

    Raises :class:`CycleError` naming the keys of a cycle.

    Examples
    --------
    >>> from operator import add
    >>> toposort({"c": (add, "a", "b"), "b": (add, "a", 1), "a": 1})
    ['a', 'b', 'c']
    >>> toposort({"a": (abs, "b"), "b": (abs, "a")})
    Traceback (most recent call last):
    ...
    partframe.graph.CycleError: the graph has a cycle: 'a' -> 'b' -> 'a'
    """
    if dependencies is None:
        dependencies = all_dependencies(dsk)
    # Depth-first post-order; iterative so long chains do not overflow.
    done: set = set()
    on_path: set = set()
    result: list = []
    for root in dsk:
        if root in done:
            continue
        stack = [(root, iter(sorted(dependencies[root], key=str)))]
        on_path.add(root)
        path = [root]
        while stack:
            node, it = stack[-1]
            for d in it:
                if d in done:
                    continue
                if d in on_path:
                    cycle = path[path.index(d) :] + [d]
                    shown = " -> ".join(repr(c) for c in cycle)
                    raise CycleError(f"the graph has a cycle: {shown}")
                on_path.add(d)
                path.append(d)
                stack.append((d, iter(sorted(dependencies[d], key=str))))
                break
            else:
                stack.pop()
                on_path.discard(node)
                path.pop()
                done.add(node)
                result.append(node)
    return result


def _subs(task: Any, key: Hashable, val: Any) -> Any:
    """Replace references to ``key`` inside ``task`` by ``val``."""
    typ = type(task)
    if typ is tuple and task and callable(task[0]):
        return (task[0], *[_subs(a, key, val) for a in task[1:]])
    if typ is list:
        return [_subs(a, key, val) for a in task]
    if (typ is str or typ is tuple) and task == key:
        return val
    return task


def fuse_linear(
    dsk: Mapping, keys: Any = (), dependencies: Mapping | None = None
) -> tuple[dict, dict]:
    """Inline chains ``a -> b -> c`` where each link has exactly one dependent.

    The chain is replaced by one task stored under the last key of the chain,
    so the requested ``keys`` keep their names. Keys listed in ``keys`` are
    never inlined into another task. Returns the new graph and its
    dependencies.

    Examples
    --------
    >>> from operator import add, neg
    >>> dsk = {"a": 1, "b": (neg, "a"), "c": (add, "b", 1)}
    >>> fused, deps = fuse_linear(dsk, keys=["c"])
    >>> sorted(fused)
    ['c']
    >>> from partframe.graph import execute_task
    >>> execute_task(fused["c"], {})
    0
    """
    if dependencies is None:
        dependencies = all_dependencies(dsk)
    protected = set(flatten_keys(list(keys)))
    dependents = get_dependents(dependencies)
    # A key can be merged into its single dependent when it is not requested,
    # that dependent uses only it... or uses it alongside other inputs: both
    # are fine, since the task is simply substituted in place.
    mergeable = {
        k for k, deps in dependents.items() if len(deps) == 1 and k not in protected
    }
    out = dict(dsk)
    new_deps = {k: set(v) for k, v in dependencies.items()}
    for k in toposort(dsk, dependencies):
        if k not in mergeable:
            continue
        (parent,) = dependents[k]
        # Only fuse a chain link: the parent depends on this key alone among
        # non-literal inputs, keeping the fused task a linear pipeline.
        if len(new_deps[parent]) != 1:
            continue
        task = out.pop(k)
        out[parent] = _subs(out[parent], k, task)
        new_deps[parent] = new_deps.pop(k)
        for d in new_deps[parent]:
            dependents[d] = (dependents[d] - {k}) | {parent}
    return out, {k: new_deps[k] for k in out}


def order(dsk: Mapping, dependencies: Mapping | None = None) -> dict:
    """Give each key a priority (smaller runs first) that keeps memory low.

    Tasks are ranked by a depth-first walk from the final outputs: before a
    second root (input) is started, the dependents that the first root feeds
    are pushed as far as their other inputs allow. So a reduction over many
    inputs combines partial results as soon as they exist, instead of loading
    every input first.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {"a": 1, "b": 2, "c": 3, "d": 4,
    ...        "ab": (add, "a", "b"), "cd": (add, "c", "d"),
    ...        "total": (add, "ab", "cd")}
    >>> o = order(dsk)
    >>> o["ab"] < o["c"]
    True
    """
    if dependencies is None:
        dependencies = all_dependencies(dsk)
    dependents = get_dependents(dependencies)
    result: dict = {}
    counter = 0
    # Roots of the walk: keys nothing depends on, in a deterministic order.
    outputs = sorted((k for k, v in dependents.items() if not v), key=_sort_key)
    for out_key in outputs:
        stack = [out_key]
        while stack:
            k = stack[-1]
            if k in result:
                stack.pop()
                continue
            pending = [d for d in dependencies[k] if d not in result]
            if not pending:
                result[k] = counter
                counter += 1
                stack.pop()
                continue
            # Visit the cheapest unfinished dependency first (fewest inputs
            # of its own), so partial results become combinable quickly.
            pending.sort(
                key=lambda d: (len(dependencies[d]), _sort_key(d)), reverse=True
            )
            stack.extend(pending)
    return result


def _sort_key(k: Any) -> tuple:
    if type(k) is tuple:
        return (
            str(k[0]),
            *[(0, x) if isinstance(x, int) else (1, str(x)) for x in k[1:]],
        )
    return (str(k),)
