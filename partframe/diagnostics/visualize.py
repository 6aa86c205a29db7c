"""Draw task graphs with graphviz (the optional ``visualize`` extra).

``graphviz`` is imported only here, when a graph is drawn. Writing an image
also needs Graphviz's ``dot`` program; building the ``graphviz.Digraph``
(``filename=None``) does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..graph import get_dependencies, istask
from ..kernels.calls import apply_kwargs, call_method

__all__ = ["visualize"]

_INSTALL_HINT = (
    "drawing task graphs needs the graphviz Python package and the Graphviz "
    "'dot' program: pip install 'partframe[visualize]', then install Graphviz "
    "itself (apt-get install graphviz, brew install graphviz or "
    "conda install graphviz)"
)


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return graphviz


def _funcname(func: Any) -> str:
    while hasattr(func, "func"):  # functools.partial
        func = func.func
    name = getattr(func, "__name__", None) or type(func).__name__
    return name.strip("_<>") or "task"


def _label(task: Any) -> str:
    """A short name for what a task does (the function it calls)."""
    func = task[0]
    if func is apply_kwargs and len(task) > 1:
        if task[1] is call_method and len(task) > 4:
            return str(task[4])  # (apply_kwargs, call_method, kw, obj, name, ...)
        if callable(task[1]):
            return _funcname(task[1])
    return _funcname(func)


def _key_label(key: Any) -> str:
    name = key[0] if isinstance(key, tuple) else str(key)
    prefix, sep, token = name.rpartition("-")
    short = prefix if sep and len(token) >= 16 else name
    if isinstance(key, tuple):
        return f"{short}, {', '.join(map(str, key[1:]))}"
    return short


def visualize(
    *args: Any,
    filename: str | None = "mydask",
    format: str | None = None,
    rankdir: str = "BT",
    **graph_attr: Any,
) -> Any:
    """Draw the task graph of collections (or of raw graphs) with graphviz.

    Each task is an ellipse labelled with its function, each value a box
    labelled with its key; arrows go from inputs to the tasks using them.

    Parameters
    ----------
    *args
        Collections (delayed values, frames) or graph dicts.
    filename : str or None, default "mydask"
        Where to write the image; the extension picks the format (``.png``
        when there is none). ``None`` writes nothing.
    format : str, optional
        Image format, overriding the extension (``"svg"``, ``"pdf"``...).
    rankdir : str, default "BT"
        Direction of the drawing (graphviz ``rankdir``): bottom to top.
    **graph_attr
        Further graphviz graph attributes.

    Returns
    -------
    graphviz.Digraph

    Raises
    ------
    ImportError
        When graphviz (the ``partframe[visualize]`` extra) or its ``dot``
        program is missing.

    Examples
    --------
    >>> import partframe
    >>> d = partframe.delayed(sum)([1, 2]) + 1
    >>> g = visualize(d, filename=None)  # doctest: +SKIP
    >>> "sum" in g.source  # doctest: +SKIP
    True
    """
    graphviz = _import_graphviz()
    dsk: dict = {}
    for a in args:
        dsk.update(a if isinstance(a, Mapping) else a.__dask_graph__())

    g = graphviz.Digraph(graph_attr={"rankdir": rankdir, **graph_attr})
    names: dict = {}

    def node(key: Any) -> str:
        if key not in names:
            names[key] = f"n{len(names)}"
        return names[key]

    for key, task in dsk.items():
        data = node(key)
        g.node(data, label=_key_label(key), shape="box")
        if istask(task) or type(task) is list:
            func = data + "f"
            label = _label(task) if istask(task) else "list"
            g.node(func, label=label, shape="ellipse")
            g.edge(func, data)
            for dep in sorted(get_dependencies(dsk, key), key=str):
                g.edge(node(dep), func)
        else:
            for dep in get_dependencies(dsk, key):  # an alias
                g.edge(node(dep), data)

    if filename is None:
        return g
    stem, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = filename, "png"
    fmt = format or ext
    try:
        g.render(filename=stem, format=fmt, cleanup=True)
    except graphviz.ExecutableNotFound as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return g
