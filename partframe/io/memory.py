"""Collections from data already in memory: pandas objects and dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..collection._core import new_collection
from ..expr.sources import pandas_source

if TYPE_CHECKING:
    from ..collection import DataFrame

__all__ = ["from_dict", "from_pandas"]


def from_pandas(
    data: pd.DataFrame | pd.Series,
    npartitions: int | None = None,
    chunksize: int | None = None,
    sort: bool = True,
) -> Any:
    """Split a pandas DataFrame or Series into a partframe collection.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        The data; it is not copied.
    npartitions : int, optional
        How many partitions to make (fewer when the data has fewer rows or
        when equal index values must stay together). Default 1 when neither
        this nor ``chunksize`` is given.
    chunksize : int, optional
        Rows per partition, instead of ``npartitions``.
    sort : bool, default True
        Sort by the index so the divisions are known. With ``False`` the row
        order is kept and divisions are unknown.

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=3)
    >>> df.npartitions, df.divisions
    (3, (0, 3, 6, 9))
    """
    return new_collection(pandas_source(data, npartitions, chunksize, sort))


def from_dict(
    data: dict,
    npartitions: int | None = None,
    orient: str = "columns",
    dtype: Any = None,
    columns: Any = None,
    chunksize: int | None = None,
    sort: bool = True,
) -> DataFrame:
    """Build a collection from a dict, as ``pandas.DataFrame.from_dict`` does.

    Examples
    --------
    >>> import partframe
    >>> len(partframe.from_dict({"a": [1, 2, 3]}, npartitions=2))
    3
    """
    pdf = pd.DataFrame.from_dict(data, orient=orient, dtype=dtype, columns=columns)
    return from_pandas(pdf, npartitions=npartitions, chunksize=chunksize, sort=sort)
