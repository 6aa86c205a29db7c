"""Dependencies between tasks: finding them, culling, topological order."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NoReturn

from .tasks import Dependencies, Graph, Key

__all__ = [
    "CycleError",
    "all_dependencies",
    "cull",
    "flatten_keys",
    "get_dependencies",
    "get_dependents",
    "toposort",
]


class CycleError(ValueError):
    """A graph whose dependencies form a cycle."""

    __module__ = "partframe.graph"  # where users import it from


def _find_deps(arg: Any, keys: Graph | set[Key]) -> set[Key]:
    """The keys of ``keys`` that ``arg`` refers to (see the module doc)."""
    out: set[Key] = set()
    # Fast path for the common task: a flat tuple of keys and literals.
    if type(arg) is tuple and arg and callable(arg[0]):
        stack = []
        for x in arg[1:]:
            typ = type(x)
            if typ is str:
                if x in keys:
                    out.add(x)
            elif typ is tuple:
                try:
                    if x in keys:
                        out.add(x)
                        continue
                except TypeError:
                    pass
                stack.append(x)
            elif typ is list or typ is set or typ is frozenset:
                stack.append(x)
        if not stack:
            return out
    else:
        stack = [arg]
    # Iterative walk: deeply nested arguments must not hit the recursion limit.
    pop = stack.pop
    extend = stack.extend
    while stack:
        x = pop()
        typ = type(x)
        if typ is str:
            if x in keys:
                out.add(x)
        elif typ is tuple:
            if x and callable(x[0]):
                extend(x[1:])
                continue
            try:
                if x in keys:
                    out.add(x)
                    continue
            except TypeError:
                pass
            extend(x)
        elif typ is list or typ is set or typ is frozenset:
            extend(x)
    return out


def get_dependencies(dsk: Graph, key: Key | None = None, task: Any = None) -> set[Key]:
    """The keys of ``dsk`` that ``key`` (or the bare ``task``) refers to.

    Parameters
    ----------
    dsk : Mapping
        The graph.
    key : str or tuple, optional
        A key of ``dsk`` whose task is inspected.
    task : object, optional
        A task to inspect instead of ``dsk[key]``.

    Returns
    -------
    set
        Keys of ``dsk``. Keys inside ``dict`` arguments are not references.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {"x": 1, "y": 2, "z": (add, "x", ["y"])}
    >>> sorted(get_dependencies(dsk, "z"))
    ['x', 'y']
    >>> get_dependencies({"x": 1}, task=(len, ["x", "q"]))
    {'x'}
    >>> get_dependencies({"x": 1}, task=(len, {"k": "x"}))
    set()
    """
    arg = dsk[key] if key is not None else task
    return _find_deps(arg, dsk)


def all_dependencies(dsk: Graph) -> dict[Key, set[Key]]:
    """Map every key of ``dsk`` to the set of keys it depends on.

    Examples
    --------
    >>> all_dependencies({"a": 1, "b": (abs, "a")})
    {'a': set(), 'b': {'a'}}
    """
    return {k: _find_deps(v, dsk) for k, v in dsk.items()}


def get_dependents(dependencies: Dependencies) -> dict[Key, set[Key]]:
    """Invert a dependency mapping: key -> keys that depend on it.

    Examples
    --------
    >>> get_dependents({"a": set(), "b": {"a"}})
    {'a': {'b'}, 'b': set()}
    """
    out: dict[Key, set[Key]] = {k: set() for k in dependencies}
    for k, deps in dependencies.items():
        for d in deps:
            out[d].add(k)
    return out


def flatten_keys(keys: Any) -> list[Key]:
    """Flatten nested lists of keys into one list.

    Examples
    --------
    >>> flatten_keys(["a", [("b", 0), ("b", 1)], [["c"]]])
    ['a', ('b', 0), ('b', 1), 'c']
    >>> flatten_keys(("b", 0))
    [('b', 0)]
    """
    out: list[Key] = []
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


def keyset(keys: Any) -> set[Key]:
    if type(keys) is set or type(keys) is frozenset:
        return set(keys)
    if type(keys) is tuple and not keys:
        return set()
    return set(flatten_keys(keys))


def cull(dsk: Graph, keys: Any) -> tuple[dict[Key, Any], dict[Key, set[Key]]]:
    """Keep only what ``keys`` need; also return the dependencies of what is kept.

    Parameters
    ----------
    dsk : Mapping
        The graph.
    keys : key or (nested) list of keys
        The requested outputs.

    Returns
    -------
    dsk : dict
        The requested keys and everything they depend on.
    dependencies : dict
        Key -> set of keys it depends on, for every kept key.

    Raises
    ------
    KeyError
        Naming the first requested key the graph lacks.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {"x": 1, "y": (add, "x", 1), "unused": (add, "x", 2)}
    >>> culled, deps = cull(dsk, ["y"])
    >>> sorted(culled), deps["y"]
    (['x', 'y'], {'x'})
    >>> cull(dsk, ["nope"])
    Traceback (most recent call last):
    ...
    KeyError: "key 'nope' is not in the graph"
    """
    wanted = flatten_keys(keys)
    for k in wanted:
        if k not in dsk:
            raise KeyError(f"key {k!r} is not in the graph")
    deps: dict[Key, set[Key]] = {}
    stack = wanted
    while stack:
        k = stack.pop()
        if k in deps:
            continue
        d = _find_deps(dsk[k], dsk)
        deps[k] = d
        for x in d:
            if x not in deps:
                stack.append(x)
    # Keep the graph's own order: it is the tie-break of toposort and order.
    if len(deps) == len(dsk):
        return dict(dsk), deps
    return {k: v for k, v in dsk.items() if k in deps}, deps


def _ordered(deps: set[Key], rank: Mapping[Key, int]) -> Collection[Key]:
    if len(deps) < 2:
        return deps
    return sorted(deps, key=rank.__getitem__)


def _cycle_message(path: list[Key]) -> str:
    shown = [repr(c) for c in path]
    if len(shown) > 12:
        shown = [*shown[:5], f"... ({len(shown) - 10} more) ...", *shown[-5:]]
    return "the graph has a cycle: " + " -> ".join(shown)


def toposort(dsk: Graph, dependencies: Dependencies | None = None) -> list[Key]:
    """Keys of ``dsk`` in an order where every key follows its dependencies.

    Deterministic: ties follow the order of ``dsk``.

    Parameters
    ----------
    dsk : Mapping
        The graph.
    dependencies : Mapping, optional
        Key -> set of keys, as returned by :func:`cull`; computed when absent.

    Returns
    -------
    list
        Every key of ``dsk`` once.

    Raises
    ------
    CycleError
        Naming the keys of a cycle.

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
    pos = {k: i for i, k in enumerate(dsk)}
    # Depth-first post-order; iterative so long chains do not overflow.
    done: set[Key] = set()
    on_path: set[Key] = set()
    result: list[Key] = []
    for root in dsk:
        if root in done:
            continue
        path = [root]
        iters = [iter(_ordered(dependencies[root], pos))]
        on_path.add(root)
        while path:
            for d in iters[-1]:
                if d in done:
                    continue
                if d in on_path:
                    raise CycleError(_cycle_message([*path[path.index(d) :], d]))
                on_path.add(d)
                path.append(d)
                iters.append(iter(_ordered(dependencies[d], pos)))
                break
            else:
                node = path.pop()
                iters.pop()
                on_path.discard(node)
                done.add(node)
                result.append(node)
    return result


def raise_cycle(dsk: Graph, dependencies: Dependencies) -> NoReturn:
    toposort(dsk, dependencies)
    raise CycleError("the graph has a cycle")  # pragma: no cover - safety net
