"""Watching and drawing computations: progress bar, graph drawing.

``graphviz`` (the ``visualize`` extra) is imported only when a graph is drawn.
"""

from .progress import ProgressBar
from .visualize import visualize

__all__ = ["ProgressBar", "visualize"]
