"""Task functions that call user code: what ``delayed`` graphs are made of.

A task is a tuple of a module-level function and its arguments, so graphs
pickle and run anywhere; these three carry what a plain call tuple cannot
(keyword arguments, a method looked up by name, a namedtuple rebuilt).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["apply", "make_namedtuple", "methodcall"]


def apply(func: Callable, args: list, kwargs: dict) -> Any:
    """Call ``func(*args, **kwargs)``: lets a task pass keyword arguments."""
    return func(*args, **kwargs)


def methodcall(obj: Any, name: str, args: list, kwargs: dict) -> Any:
    """Call method ``name`` of ``obj`` with the given arguments."""
    return getattr(obj, name)(*args, **kwargs)


def make_namedtuple(typ: type, values: list) -> Any:
    """Rebuild a namedtuple of type ``typ`` from its computed fields."""
    return typ(*values)
