"""Tree reductions: many partials combined a few at a time, level by level.

A reduction over ``n`` partitions would make one task read all ``n``
partials at once; instead the partials are combined in order, ``fan_in``
at a time, and the combined ones again, until few enough remain for the
last task (the caller's root: an aggregate, a finalize, a join). Memory per
task stays bounded by ``fan_in`` partials and the tree is ``log(n)`` deep.
Every node that reduces partitions in a tree builds it with
:func:`combine_tree`; :func:`split_every` reads the fan-in that the user
passed or configured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import config
from ..graph import Key
from .base import Layer

__all__ = ["combine_tree", "split_every"]


def split_every(value: int | None = None) -> int:
    """The fan-in of a tree reduction: ``value``, else the ``split_every``
    option; at least 2 (a fan-in of 1 never shrinks the list).

    Examples
    --------
    >>> split_every(4), split_every()
    (4, 8)
    """
    out = value or config.get("split_every")
    if out is None or int(out) < 2:
        raise ValueError(f"split_every must be at least 2, got {out!r}")
    return int(out)


def combine_tree(
    graph: Layer,
    keys: Sequence[Key],
    task: Callable[[list[Key]], Any],
    name: str,
    fan_in: int,
    until: int | None = None,
    index: tuple[Any, ...] = (),
) -> list[tuple[Any, ...]]:
    """Combine ``keys`` in order, ``fan_in`` at a time, level by level, until
    at most ``until`` (default ``fan_in``) keys remain; return those.

    The tasks go into ``graph``: ``task(group)`` is the task combining one
    group of keys, stored at ``(f"{name}{level}", *index, i)``. ``index``
    tells apart trees that share a name (one per output of a groupby).

    Examples
    --------
    >>> graph = {}
    >>> combine_tree(graph, [("x", i) for i in range(5)], tuple, "c", 2)
    [('c1', 0), ('c1', 1)]
    >>> graph[("c0", 2)]
    (('x', 4),)
    """
    until = fan_in if until is None else until
    level = 0
    current: list[Any] = list(keys)
    while len(current) > until:
        layer = f"{name}{level}"
        new: list[tuple[Any, ...]] = []
        for j in range(0, len(current), fan_in):
            key = (layer, *index, j // fan_in)
            graph[key] = task(current[j : j + fan_in])
            new.append(key)
        current = new
        level += 1
    return current
