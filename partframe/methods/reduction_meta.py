"""Argument checks shared by the reduction methods.

A reduction's meta comes from running the real pandas method on a stand-in
of its input (:func:`partframe.expr.reduction_plan.run_meta`), so invalid
calls raise while the plan is built, naming the column and its dtype.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_axis"]


def check_axis(axis: Any, op: str) -> bool:
    """True for a row-wise (``axis=1``) call.

    Examples
    --------
    >>> check_axis(0, "sum"), check_axis("columns", "sum")
    (False, True)
    """
    if axis in (0, "index", None):
        return False
    if axis in (1, "columns"):
        return True
    raise ValueError(f"{op}(): no axis named {axis!r}")
