"""A terminal progress bar for computations.

:class:`ProgressBar` is a :class:`partframe.callbacks.Callback`: it counts
finished tasks from the scheduler's events and a background timer redraws
the bar every ``dt`` seconds, so the elapsed time moves even while one long
task runs, and a burst of thousands of tiny tasks costs a few redraws, not
thousands. A last draw when the computation ends shows the final state
(100% on success).

On a ``distributed.Client`` the adapter in
:mod:`partframe.scheduler.distributed` feeds the same events from the
cluster's completions, so the bar looks the same everywhere.

Examples
--------
>>> import io
>>> import partframe
>>> out = io.StringIO()
>>> with ProgressBar(out=out):
...     partframe.delayed(sum)([1, 2]).compute(scheduler="sync")
3
>>> "100% Completed" in out.getvalue()
True
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO

from ..callbacks import Callback, ComputeFinish, ComputeStart, TaskFinish

__all__ = ["ProgressBar", "format_time"]


def format_time(seconds: float) -> str:
    """Format a duration for humans.

    Examples
    --------
    >>> format_time(1.234), format_time(125), format_time(7322)
    ('1.2s', '2min  5.0s', '2hr  2min  2.0s')
    """
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    if h:
        return f"{h:.0f}hr {m:2.0f}min {s:4.1f}s"
    if m:
        return f"{m:.0f}min {s:4.1f}s"
    return f"{s:.1f}s"


class ProgressBar(Callback):
    """Draw a bar of finished tasks out of all tasks, with the elapsed time.

    Use it as a context manager around computations, or pass
    ``progress=True`` to :func:`partframe.compute`.

    Parameters
    ----------
    minimum : float, default 0
        Draw nothing for computations shorter than this (seconds).
    width : int, default 40
        Width of the bar in characters.
    dt : float, default 0.2
        Seconds between redraws; the bar is never drawn more often.
    out : file-like, optional
        Where to draw; ``sys.stdout`` (at the time the computation starts)
        by default.

    Examples
    --------
    >>> import io
    >>> import partframe
    >>> out = io.StringIO()
    >>> d = partframe.delayed(max)([3, 1]) + 1
    >>> partframe.compute(d, scheduler="threads", callbacks=[ProgressBar(out=out)])
    (4,)
    >>> print(out.getvalue().strip())  # doctest: +ELLIPSIS
    [########################################] | 100% Completed | ...s
    """

    def __init__(
        self,
        minimum: float = 0.0,
        width: int = 40,
        dt: float = 0.2,
        out: IO[str] | None = None,
    ) -> None:
        self.minimum = minimum
        self.width = width
        self.dt = dt
        self._out_arg = out
        self._out: IO[str] = out or sys.stdout
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._start = 0.0
        self._ndone = 0
        self._ntasks = 0
        self._drawn = False
        self.last_duration = 0.0

    # -- callback hooks (run on the thread driving the scheduler) --

    def on_start(self, event: ComputeStart) -> None:
        """Reset the counters and start the redraw timer."""
        self._out = self._out_arg or sys.stdout
        self._start = time.perf_counter()
        self._ndone = 0
        self._ntasks = event.ntasks
        self._drawn = False
        self._stop = threading.Event()
        self._timer = threading.Thread(
            target=self._redraw_loop,
            args=(self._stop,),
            name="partframe-progress",
            daemon=True,
        )
        self._timer.start()

    def on_task_finish(self, event: TaskFinish) -> None:
        """Count a finished task (drawing is left to the timer)."""
        self._ndone = event.ndone
        self._ntasks = event.ntasks

    def on_finish(self, event: ComputeFinish) -> None:
        """Stop the timer and draw the final state."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join()
            self._timer = None
        self._ndone = event.ndone
        self._ntasks = event.ntasks
        elapsed = time.perf_counter() - self._start
        self.last_duration = elapsed
        if elapsed < self.minimum and not self._drawn:
            return
        self._draw(elapsed)
        self._write("\n")

    # -- drawing --

    def _redraw_loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.dt):
            elapsed = time.perf_counter() - self._start
            if elapsed >= self.minimum:
                self._draw(elapsed)

    def _draw(self, elapsed: float) -> None:
        ntasks = self._ntasks
        frac = min(self._ndone / ntasks, 1.0) if ntasks else 1.0
        bar = "#" * int(self.width * frac)
        line = (
            f"\r[{bar:<{self.width}}] | {frac:4.0%} Completed | {format_time(elapsed)}"
        )
        self._drawn = True
        self._write(line)

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text)
            flush = getattr(self._out, "flush", None)
            if flush is not None:
                flush()
