"""Estimates from samples."""

from __future__ import annotations

import numpy as np

__all__ = ["distinct_total"]


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
