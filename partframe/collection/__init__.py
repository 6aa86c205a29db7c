"""The user-facing collections: a thin facade over expression nodes."""

from ._core import FrameBase, Scalar, new_collection
from .frame import DataFrame, Index, Series

__all__ = ["DataFrame", "FrameBase", "Index", "Scalar", "Series", "new_collection"]
