"""Estimates from samples."""

from __future__ import annotations

import numpy as np

__all__ = [
    "RANGE_SAMPLE_MIN",
    "RANGE_SAMPLE_PER_OUTPUT",
    "distinct_total",
    "range_sample_size",
]

# Range partitioning (sort_values, set_index, groupby with split_out and
# sort, the disk sort, sorted repartitions) picks its boundaries from an
# evenly spaced sample of every input's keys. Per output range, each input
# gives this many rows: with ``n`` inputs a boundary is a quantile of about
# ``20 n`` sampled rows, enough to keep ranges near their even share while
# the boundary task (which holds every sample) stays small.
RANGE_SAMPLE_PER_OUTPUT = 20
# ... and at least this many rows, so that a split into few ranges still
# sees the key distribution, not a handful of rows.
RANGE_SAMPLE_MIN = 100


def range_sample_size(npartitions_out: int) -> int:
    """Key rows sampled from every input partition to choose the boundaries
    of ``npartitions_out`` ranges.

    Examples
    --------
    >>> range_sample_size(2), range_sample_size(50)
    (100, 1000)
    """
    return max(RANGE_SAMPLE_MIN, RANGE_SAMPLE_PER_OUTPUT * npartitions_out)


def distinct_total(d: int, m: int) -> float:
    """How many distinct values ``G`` a column holds when ``m`` rows drawn
    from it at random show ``d`` distinct ones: the ``G`` with
    ``d = G (1 - exp(-m / G))`` on average; infinite when every sampled row
    differs.

    Examples
    --------
    >>> round(distinct_total(6321, 10_000), -2)
    10000.0
    >>> distinct_total(10, 10)
    inf
    """
    if d >= m:
        return float("inf")
    lo, hi = float(d), float(d) * 1e6 + 1.0
    for _ in range(60):
        mid = (lo * hi) ** 0.5
        if mid * -np.expm1(-m / mid) < d:
            lo = mid
        else:
            hi = mid
    return lo
