"""partframe: partitioned, lazy, parallel pandas DataFrames.

Only the public API is defined here; see ``docs/architecture.md`` for the
layers behind it.
"""

from . import config
from .base import compute, persist
from .callbacks import Callback
from .scheduler import get

__version__ = "0.1.0"

__all__ = [
    "Callback",
    "compute",
    "config",
    "get",
    "persist",
]
