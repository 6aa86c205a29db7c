"""Collections from data already in memory: pandas objects and dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..expr.sources import FromPandas

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
    from ..collection import new_collection

    if isinstance(data, pd.Index):
        data = data.to_series()
    if not isinstance(data, pd.DataFrame | pd.Series):
        raise TypeError(
            f"from_pandas takes a pandas DataFrame or Series, got {type(data).__name__}"
        )
    if npartitions is None and chunksize is None:
        npartitions = 1
    from ..tokenize import tokenize

    return new_collection(
        FromPandas(data, npartitions, chunksize, sort, token=tokenize(data))
    )


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
