"""A scheduler for tests: it fails as soon as anything tries to compute.

Examples
--------
>>> import partframe
>>> with partframe.config.set(scheduler="raise"):
...     try:
...         partframe.get({"x": 1}, "x")
...     except ComputeForbidden as exc:
...         print(exc)
scheduler="raise" forbids computing; something asked for 1 task(s): 'x'
"""

from __future__ import annotations

from typing import Any, NoReturn

from ..graph import Graph, flatten_keys

__all__ = ["ComputeForbidden", "get_raise"]


class ComputeForbidden(RuntimeError):
    """Raised by :func:`get_raise`: a computation ran where none should."""


def get_raise(dsk: Graph, keys: Any, **kwargs: Any) -> NoReturn:
    """Refuse to compute: raise :class:`ComputeForbidden` naming a few keys.

    Use it to prove that building a plan computes nothing, with
    ``partframe.config.set(scheduler="raise")``.

    Parameters
    ----------
    dsk : dict
        The graph that someone tried to run.
    keys : key or nested list of keys
        The keys they asked for.
    **kwargs
        Ignored.

    Examples
    --------
    >>> try:
    ...     get_raise({("a", 0): 1, ("a", 1): 2}, [("a", 1)])
    ... except ComputeForbidden as exc:
    ...     print(exc)
    scheduler="raise" forbids computing; something asked for 2 task(s): ('a', 1)
    """
    wanted = flatten_keys(keys)
    shown = ", ".join(repr(k) for k in wanted[:5])
    if len(wanted) > 5:
        shown += f", ... ({len(wanted)} keys)"
    raise ComputeForbidden(
        f'scheduler="raise" forbids computing; something asked for '
        f"{len(dsk)} task(s): {shown}"
    )
