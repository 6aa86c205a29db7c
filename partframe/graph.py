"""Task graphs: the Dask-compatible spec and the helpers that work on it.

A graph is a ``dict`` from key to task. A key is a ``str`` or a tuple whose
first element is a ``str`` (``("sum-abc", 3)``). A value is either a task, a
key of another entry (an alias) or a literal. A task is a tuple whose first
element is callable: ``(func, *args)``.

Arguments are resolved the way ``dask.distributed`` resolves them (it is
checked by the tests against ``Client.get``):

- a ``str`` or ``tuple`` equal to a key of the graph is a reference, replaced
  by that key's value;
- a nested task is executed;
- a ``list``, ``set``, ``frozenset`` or a non-key ``tuple`` is rebuilt with
  each element resolved;
- a ``dict`` is data: its keys and values are passed as they are, never
  resolved (Dask does not look inside them either);
- anything else is a literal.

A tuple literal that must not be read as a task or searched for keys is
wrapped with :func:`quote`. This is the legacy Dask spec, which
``distributed`` and Ray's Dask scheduler run as they are.

Before a graph runs, :func:`cull` keeps what the requested keys need,
:func:`fuse_linear` merges linear chains into single :class:`Fused` tasks
and :func:`order` ranks tasks so reductions finish depth-first.

Examples
--------
>>> from operator import add
>>> dsk = {"a": 1, "b": (add, "a", 10), "c": (sum, ["a", "b"])}
>>> sorted(get_dependencies(dsk, "c"))
['a', 'b']
>>> toposort(dsk)
['a', 'b', 'c']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Mapping
from itertools import chain
from typing import Any, NoReturn, TypeAlias

__all__ = [
    "CycleError",
    "Fused",
    "FusedTasks",
    "Literal",
    "all_dependencies",
    "cull",
    "execute_fused",
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

#: A ``str`` or a tuple whose first element is a ``str``; typed as any
#: hashable value, the way a graph's ``dict`` holds it.
Key: TypeAlias = Hashable
#: Key -> task, alias or literal. (Keys typed Any: a Mapping is invariant
#: in its key type, and a caller's ``dict[str, ...]`` is a graph too.)
Graph: TypeAlias = Mapping[Any, Any]
#: Key -> the keys its task refers to.
Dependencies: TypeAlias = Mapping[Any, set[Any]]


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

    def __reduce__(self) -> tuple[type[Literal], tuple[Any]]:
        return (Literal, (self.data,))


def quote(x: Any) -> tuple[Literal]:
    """Wrap ``x`` so a graph treats it as data, never as a task or a key.

    Examples
    --------
    >>> quote((sum, [1, 2]))
    (literal<(<built-in function sum>, [1, 2])>,)
    >>> execute_task(quote(("a", 1)), {"a": 10})
    ('a', 1)
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


def execute_task(arg: Any, cache: Graph) -> Any:
    """Evaluate one task (or argument) with key values taken from ``cache``.

    ``cache`` maps the keys the task depends on to their values; strings and
    tuples found in it are references, everything else is resolved as the
    module documentation says.

    Examples
    --------
    >>> from operator import add
    >>> execute_task((add, "x", (add, 1, 2)), {"x": 10})
    13
    >>> execute_task((list, [("x", "y"), {"k": "x"}]), {"x": 1})
    [(1, 'y'), {'k': 'x'}]
    """
    typ = type(arg)
    if typ is tuple:
        if arg and callable(arg[0]):
            return arg[0](*[execute_task(a, cache) for a in arg[1:]])
        try:
            return cache[arg]
        except (KeyError, TypeError):
            pass
        return tuple([execute_task(a, cache) for a in arg])
    if typ is str:
        try:
            return cache[arg]
        except KeyError:
            return arg
    if typ is list:
        return [execute_task(a, cache) for a in arg]
    if typ is set or typ is frozenset:
        return typ([execute_task(a, cache) for a in arg])
    return arg


class Fused:
    """A linear chain of tasks run as one task, one link after the other.

    ``Fused(inkeys, keys, tasks)(*values)`` runs ``tasks[0]`` with
    ``inkeys`` bound to ``values``, then each later task with the previous
    key bound to the previous result, and returns the last result. The chain
    is a flat list, so a chain of any length never nests (no recursion
    limit), each intermediate result is freed as soon as the next link has
    run, and an intermediate referenced several times is computed once.
    A plain module-level class: it pickles with ``pickle`` as long as the
    tasks do, and ``distributed`` runs it like any other callable.

    Examples
    --------
    >>> from operator import add, neg
    >>> f = Fused(("x",), ("a", "b"), ((add, "x", 1), (add, "a", "a")))
    >>> f(10)
    22
    >>> execute_task((f, "x"), {"x": 1})
    4
    >>> try:
    ...     Fused((), (("p", 3), "q"), ((neg, "oops"), (neg, ("p", 3))))()
    ... except TypeError as e:
    ...     print(e.__notes__)
    ["partframe: raised by task ('p', 3) (partition 3 of 'p')"]
    """

    __slots__ = ("inkeys", "keys", "tasks")

    def __init__(
        self, inkeys: tuple[Key, ...], keys: tuple[Key, ...], tasks: tuple[Any, ...]
    ) -> None:
        self.inkeys = tuple(inkeys)
        self.keys = tuple(keys)
        self.tasks = tuple(tasks)

    def __call__(self, *values: Any) -> Any:
        keys = self.keys
        tasks = self.tasks
        i = 0
        try:
            value = execute_task(tasks[0], dict(zip(self.inkeys, values)))
            for i in range(1, len(tasks)):
                value = execute_task(tasks[i], {keys[i - 1]: value})
        except BaseException as exc:
            # Name the link that failed: the graph only knows the chain end.
            add_task_note(exc, keys[i])
            raise
        return value

    def __repr__(self) -> str:
        return f"Fused<{len(self.keys)} tasks -> {self.keys[-1]!r}>"

    def __reduce__(self) -> tuple[type[Fused], tuple[Any, ...]]:
        return (Fused, (self.inkeys, self.keys, self.tasks))

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Fused
            and self.inkeys == other.inkeys
            and self.keys == other.keys
            and self.tasks == other.tasks
        )

    def __hash__(self) -> int:
        return hash((Fused, self.inkeys, self.keys))


def add_task_note(exc: BaseException, key: Hashable) -> None:
    """Note on ``exc`` which task raised it (and the partition, for tuples).

    Only the innermost task is named: a fused task whose link already noted
    itself gets no second note.

    Examples
    --------
    >>> e = ValueError("bad")
    >>> add_task_note(e, ("sum-1", 3)); e.__notes__
    ["partframe: raised by task ('sum-1', 3) (partition 3 of 'sum-1')"]
    """
    if any(
        n.startswith("partframe: raised by task") for n in getattr(exc, "__notes__", ())
    ):
        return
    note = f"partframe: raised by task {key!r}"
    if type(key) is tuple and len(key) > 1 and type(key[1]) is int:
        note += f" (partition {key[1]} of {key[0]!r})"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)


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


def _keyset(keys: Any) -> set[Key]:
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


def _raise_cycle(dsk: Graph, dependencies: Dependencies) -> NoReturn:
    toposort(dsk, dependencies)
    raise CycleError("the graph has a cycle")  # pragma: no cover - safety net


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
    protected = _keyset(keys)
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
        _raise_cycle(dsk, dependencies)
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
                    _raise_cycle(dsk, dependencies)
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
        _raise_cycle(dsk, dependencies)
    return result


class FusedTasks:
    """Picklable plan of one fused task: ``steps`` run in order."""

    __slots__ = ("inputs", "steps")

    def __init__(self, steps: list[Any], inputs: list[Any]) -> None:
        self.steps = steps
        self.inputs = inputs

    def __reduce__(self) -> tuple[Any, ...]:
        return (FusedTasks, (self.steps, self.inputs))

    def __repr__(self) -> str:
        return f"FusedTasks({[k for k, _ in self.steps]})"


def execute_fused(plan: FusedTasks, *values: Any) -> Any:
    """Run a fused task: inputs arrive as ``values`` in ``plan.inputs`` order."""
    cache = dict(zip(plan.inputs, values))
    result = None
    for key, task in plan.steps:
        result = cache[key] = execute_task(task, cache)
    return result
