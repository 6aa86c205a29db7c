"""Groupby methods of DataFrame and Series (mixed into the facades)."""

from __future__ import annotations

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


class FrameMethods:
    """Methods shared by DataFrame and Series."""


class DataFrameMethods:
    """DataFrame-only methods."""


class SeriesMethods:
    """Series-only methods."""
