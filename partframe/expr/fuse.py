"""Blockwise fusion: a group of partition-wise nodes becomes one task each.

Nodes are visited parents first. A :class:`~partframe.expr.blockwise.Blockwise`
node joins the group of its dependents when all of them are in one group
with the same number of partitions; otherwise it starts a group of its own.
A group of two or more nodes becomes a :class:`Fused` node. Its task for
partition ``i`` runs the members' tasks in order inside one call
(:func:`execute_fused`), so shared members (``df.x + df.y`` reads ``df``
once) are computed once and intermediate partitions never reach the
scheduler.
"""

from __future__ import annotations

import functools
from typing import Any

from ..graph import execute_task
from .base import Divisions, Expr, Layer, _postorder
from .blockwise import Blockwise

__all__ = ["Fused", "FusedTasks", "execute_fused", "fuse_blockwise"]


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


class Fused(Expr):
    """Members (children first, output last) computed in one task each."""

    _parameters = ["members"]
    members: list[Expr]

    @functools.cached_property
    def _name(self) -> str:
        return self.output._name

    @property
    def output(self) -> Expr:
        return self.members[-1]

    def dependencies(self) -> list[Expr]:
        inside = {m._name for m in self.members}
        out: dict[str, Expr] = {}
        for m in self.members:
            for d in m.dependencies():
                if d._name not in inside:
                    out.setdefault(d._name, d)
        return list(out.values())

    def _with_dependencies(self, new: dict[str, Expr]) -> Expr:
        # Members are rebuilt in order on the new external inputs; a member
        # is itself an input of later members, so it joins the mapping.
        mapping = dict(new)
        members = []
        for m in self.members:
            rebuilt = m._with_dependencies(mapping)
            mapping[m._name] = rebuilt
            members.append(rebuilt)
        if all(a is b for a, b in zip(members, self.members)):
            return self
        return Fused(members)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.output._meta

    def _divisions(self) -> Divisions:
        return self.output.divisions

    @property
    def _partitioning(self) -> str:
        return self.output._partitioning

    def _layer(self) -> Layer:
        externals = self.dependencies()
        out: Layer = {}
        for i in range(self.npartitions):
            steps = [(((m._name, i)), m._task(i)) for m in self.members]
            inputs = []
            for d in externals:
                key = (d._name, i if d.npartitions > 1 else 0)
                inputs.append(key)
            out[(self._name, i)] = (execute_fused, FusedTasks(steps, inputs), *inputs)
        return out

    def _operand_repr(self) -> str:
        return " <- ".join(type(m).__name__ for m in reversed(self.members))

    def tree_repr(self, indent: int = 0, _seen: set[Any] | None = None) -> str:
        seen = set() if _seen is None else _seen
        pad = "  " * indent
        inner = ", ".join(
            f"{type(m).__name__}({m._operand_repr()})" for m in reversed(self.members)
        )
        line = f"{pad}Fused[{inner}]"
        if self._name in seen:
            return line + "  [shared, shown above]"
        seen.add(self._name)
        lines = [line]
        lines.extend(dep.tree_repr(indent + 1, seen) for dep in self.dependencies())
        return "\n".join(lines)


def fuse_blockwise(expr: Expr) -> Expr:
    """Replace groups of connected partition-wise nodes by :class:`Fused`."""
    nodes = _postorder(expr)  # children first
    dependents: dict[str, list[str]] = {n._name: [] for n in nodes}
    for n in nodes:
        for d in n.dependencies():
            dependents[d._name].append(n._name)
    group_of: dict[str, int] = {}
    groups: list[list[Expr]] = []
    for node in reversed(nodes):  # parents first
        if not isinstance(node, Blockwise):
            continue
        parents = dependents[node._name]
        parent_groups = {group_of.get(p) for p in parents}
        if node._name != expr._name and len(parent_groups) == 1:
            (g,) = parent_groups
            if g is not None and groups[g][0].npartitions == node.npartitions:
                group_of[node._name] = g
                groups[g].append(node)
                continue
        group_of[node._name] = len(groups)
        groups.append([node])
    outputs = {members[0]._name: members for members in groups if len(members) > 1}
    if not outputs:
        return expr
    # Rebuild bottom-up. A group member is rebuilt on its (rebuilt) inputs
    # like any node; a group's output is replaced by a Fused node holding
    # its rebuilt members. Members are referenced only inside their group
    # (by construction), so no other node sees them.
    memo: dict[str, Expr] = {}
    for node in nodes:
        new = node._with_dependencies(memo)
        members = outputs.get(node._name)
        if members is not None:
            rebuilt = [memo[m._name] for m in reversed(members[1:])]
            new = Fused([*rebuilt, new])
        memo[node._name] = new
    return memo[expr._name]
