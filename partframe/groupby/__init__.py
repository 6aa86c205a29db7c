"""GroupBy facades: ``df.groupby(...)`` and ``s.groupby(...)``.

Results follow pandas exactly (values, dtypes, index, order):

- **Aggregations** (sum, count, size, mean, min, max, prod, var, std, sem,
  first, last, nunique, any, all, idxmin, idxmax, ``agg`` in all its forms,
  :class:`partframe.Aggregation`) are tree reductions: a ``chunk`` per
  partition (pandas ``groupby(sort=False)``), ``combine`` steps over
  ``split_every`` partials, a ``finalize`` that casts to the dtypes pandas
  itself gives on a stand-in frame. var/std/sem merge ``(n, mean, M2)``
  partials with Chan's formula (exact for values near 1e9).
- **split_out**: ``split_out=k`` hash-partitions the partials by key into
  ``k`` outputs so no task holds every group; ``split_out=True`` means one
  output per input partition. ``split_out=None`` (default) picks 1 for a
  single key and ``ceil(npartitions * (nkeys - 1) / 16)`` for several keys
  (``SPLIT_OUT_PARTITIONS_PER_KEY`` in :mod:`partframe.expr.groupby_plan`:
  several keys usually mean many groups), rounded up to a multiple of the
  worker count when above 1; give it explicitly for a high-cardinality
  single key. With ``sort=True`` (pandas' default) the inputs are split by
  sampled key *ranges* in the graph (one exchange): output ``j`` holds keys
  below those of output ``j + 1`` and is sorted, so ``compute()`` equals
  pandas' sorted result. An input whose groups are about as many as its rows
  (estimated at run time from a sample of its keys) sends raw rows, grouped
  once at the output; others send partial aggregates. With ``sort=False``
  partials are hash-partitioned (groups in order of first appearance within
  each output; with one output, exactly pandas' order).
- **Shuffle-based** operations (median, quantile, apply, value_counts,
  unique, nlargest, nsmallest, and any aggregation a dtype cannot decompose,
  such as the mean of datetimes) move only the key and value columns they
  read, by sampled key ranges when the result is sorted (each output's
  sorted result then follows the previous one: no second exchange) or by
  hash, and run pandas' own groupby method on whole partitions.
  **Index-aligned** ones (transform, cumsum, cumprod, cummax, cummin,
  cumcount, shift, diff, rank, head, tail, ngroup-free filters) also
  shuffle back: the result has the original
  frame's index, row order and partitions, so it can be assigned to it.
"""

from __future__ import annotations

from .frames import DataFrameGroupBy, SeriesGroupBy, crosstab

__all__ = ["DataFrameGroupBy", "SeriesGroupBy", "crosstab"]
