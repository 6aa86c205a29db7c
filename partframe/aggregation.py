"""User-defined groupby aggregations that run as tree reductions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Aggregation"]


class Aggregation:
    """A custom groupby aggregation in three steps, for ``GroupBy.agg``.

    Parameters
    ----------
    name : str
        The name of the aggregation (the column label in ``agg([...])``).
    chunk : callable
        ``chunk(grouped)`` gets a pandas ``SeriesGroupBy`` of one partition
        and returns a Series indexed by group key, or a tuple of them.
    combine : callable
        ``combine(*grouped)`` gets one ``SeriesGroupBy`` per chunk output
        (several partials stacked) and returns as many Series as ``chunk``.
    finalize : callable, optional
        ``finalize(*series)`` turns the combined partials into the result
        Series. Default: the single combined Series itself.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"k": [1, 1, 2], "x": [1.0, 3.0, 5.0]})
    >>> df = partframe.from_pandas(pdf, npartitions=2)
    >>> mean = partframe.Aggregation(
    ...     "mymean",
    ...     chunk=lambda g: (g.count(), g.sum()),
    ...     combine=lambda count, total: (count.sum(), total.sum()),
    ...     finalize=lambda count, total: total / count,
    ... )
    >>> df.groupby("k").x.agg(mean).compute()
    k
    1    2.0
    2    5.0
    Name: x, dtype: float64
    """

    def __init__(
        self,
        name: str,
        chunk: Callable,
        combine: Callable,
        finalize: Callable | None = None,
    ) -> None:
        self.__name__ = name
        self.name = name
        self.chunk = chunk
        self.combine = combine
        self.finalize = finalize

    def __repr__(self) -> str:
        return f"Aggregation({self.name!r})"

    def __dask_tokenize__(self) -> Any:
        from .tokenize import tokenize

        return (
            "Aggregation",
            self.name,
            tokenize(self.chunk, self.combine, self.finalize),
        )
