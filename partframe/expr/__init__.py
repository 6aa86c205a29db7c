"""The expression layer: immutable plan nodes and the optimizer passes."""

from .base import Expr, rewrite, walk
from .optimize import optimize

__all__ = ["Expr", "optimize", "rewrite", "walk"]
