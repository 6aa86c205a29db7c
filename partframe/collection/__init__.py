"""The user-facing collections: a thin facade over expression nodes."""

from ._core import FrameBase, Scalar, new_collection
from .frame import Array, DataFrame, Index, Series

__all__ = [
    "Array",
    "DataFrame",
    "FrameBase",
    "Index",
    "Scalar",
    "Series",
    "new_collection",
]
