"""Tasks: literals, execution of a task's arguments, fused tasks.

See :mod:`partframe.graph` for the spec.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, TypeAlias

__all__ = [
    "Dependencies",
    "Fused",
    "FusedTasks",
    "Graph",
    "Key",
    "Literal",
    "add_task_note",
    "execute_fused",
    "execute_task",
    "istask",
    "quote",
]


#: A ``str`` or a tuple whose first element is a ``str``; typed as any
#: hashable value, the way a graph's ``dict`` holds it.
Key: TypeAlias = Hashable
#: Key -> task, alias or literal. (Keys typed Any: a Mapping is invariant
#: in its key type, and a caller's ``dict[str, ...]`` is a graph too.)
Graph: TypeAlias = Mapping[Any, Any]
#: Key -> the keys its task refers to.
Dependencies: TypeAlias = Mapping[Any, set[Any]]


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
