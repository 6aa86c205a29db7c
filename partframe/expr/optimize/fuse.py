"""Blockwise fusion: a group of partition-wise nodes becomes one task each.

Nodes are visited parents first. A :class:`~partframe.expr.blockwise.Blockwise`
node joins the group of its dependents when all of them are in one group
with the same number of partitions; otherwise it starts a group of its own.
A group of two or more nodes becomes a :class:`Fused` node. Its task for
partition ``i`` runs the members' tasks in order inside one call
(:func:`execute_fused`), so shared members (``df.x + df.y`` reads ``df``
once) are computed once and intermediate partitions never reach the
scheduler.

Invariants:

- Only ``Blockwise`` nodes are fused, and a group's members all have the
  same number of partitions: partition ``i`` of the group needs only
  partition ``i`` of its external inputs.
- A node joins a group only when every node that uses it is in that group,
  so no node outside a group refers to one of its members: nothing inside a
  ``Fused`` task is computed twice, and the plan's root is never a member
  of another group.
- A ``Fused`` node has its output's name, so the plan's keys do not change.
- One pass over the plan, parents first, then one bottom-up rebuild.
"""

from __future__ import annotations

import functools
from typing import Any

from ...graph import FusedTasks, execute_fused
from ..base import Divisions, Expr, Layer, _postorder
from ..blockwise import Blockwise

__all__ = ["Fused", "fuse_blockwise"]


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

    def _estimated_as(self) -> Expr | None:
        return self.output

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

    def _tree_line(self) -> str:
        inner = ", ".join(m._tree_line() for m in reversed(self.members))
        return f"Fused[{inner}]"


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
