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

from .dependencies import (
    CycleError,
    all_dependencies,
    cull,
    flatten_keys,
    get_dependencies,
    get_dependents,
    toposort,
)
from .prepare import fuse_linear, order
from .tasks import (
    Dependencies,
    Fused,
    FusedTasks,
    Graph,
    Key,
    Literal,
    add_task_note,
    execute_fused,
    execute_task,
    istask,
    quote,
)

__all__ = [
    "CycleError",
    "Dependencies",
    "Fused",
    "FusedTasks",
    "Graph",
    "Key",
    "Literal",
    "add_task_note",
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
