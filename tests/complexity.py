"""Count the work a function does, to test complexity without a clock.

A wall-clock limit fails on a busy machine and misses a slowdown on a fast
one. :func:`count_steps` counts the Python lines and calls run inside the
partframe package instead: the same number on every machine and under any
load. Growing the input and comparing counts shows linear (or quadratic)
growth.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import partframe

_PACKAGE = str(Path(partframe.__file__).resolve().parent)


def count_steps(func: Callable, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    """``(steps, func(*args, **kwargs))``: steps are the lines and calls
    executed in partframe's own modules during the call."""
    steps = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        if frame.f_code.co_filename.startswith(_PACKAGE):
            steps += 1
            return local
        return None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = func(*args, **kwargs)
    finally:
        sys.settrace(old)
    return steps, result


def assert_linear(sizes: list[int], steps: list[int], slack: float = 1.5) -> None:
    """Steps grow at most ``slack`` times faster than the input from the
    smallest size to the largest (a quadratic algorithm grows as the ratio
    of the sizes squared)."""
    size_ratio = sizes[-1] / sizes[0]
    step_ratio = steps[-1] / steps[0]
    assert step_ratio <= slack * size_ratio, (
        f"steps {steps} for sizes {sizes}: x{step_ratio:.1f} for input x{size_ratio:g}"
    )
