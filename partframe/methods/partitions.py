"""Partitions methods of DataFrame and Series (mixed into the facades)."""

from __future__ import annotations

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


class FrameMethods:
    """Methods shared by DataFrame and Series."""


class DataFrameMethods:
    """DataFrame-only methods."""


class SeriesMethods:
    """Series-only methods."""


def union_divisions(a: tuple, b: tuple) -> tuple:
    """The sorted union of two known divisions (the finer common split)."""
    raise NotImplementedError("repartitioning by divisions is not built yet")


def repartition_divisions(frame, divisions):
    """``frame`` re-split at ``divisions`` (both must be known)."""
    raise NotImplementedError("repartitioning by divisions is not built yet")
