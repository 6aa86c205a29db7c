"""Test data shared by the DataFrame test modules.

``make_pdf`` builds a frame with one column of each dtype family partframe
must handle; ``variants`` splits a pandas frame in the ways every operation
is tested over: one partition, several, more partitions than rows, and
frames with empty partitions. Each variant comes with the pandas frame it
must equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import partframe

PARTITIONINGS = ["1", "3", "7", "more-than-rows", "empty-parts"]


def make_pdf(n: int = 30, seed: int = 0) -> pd.DataFrame:
    """A frame with int, float+NaN, Int64+NA, bool, string, category, datetimes."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    f[::5] = np.nan
    nullable = pd.array(rng.integers(-50, 50, size=n), dtype="Int64")
    nullable[1::7] = pd.NA
    words = np.array(["apple", "Banana", "cherry", "date ", " elder", "fig"])
    return pd.DataFrame(
        {
            "i": rng.integers(0, 10, size=n),
            "f": f,
            "n": nullable,
            "b": rng.integers(0, 2, size=n).astype(bool),
            "s": pd.array(words[rng.integers(0, len(words), size=n)], dtype="str"),
            "c": pd.Categorical(rng.choice(["x", "y", "z"], size=n)),
            "t": pd.date_range("2024-01-01", periods=n, freq="7h"),
            "tz": pd.date_range("2024-03-01", periods=n, freq="D", tz="Europe/Paris"),
        },
        index=pd.RangeIndex(n) * 2,
    )


def _keep_index(part: pd.DataFrame, keep: frozenset) -> pd.DataFrame:
    return part[part.index.isin(list(keep))]


def _filtered(pdf: pd.DataFrame, npartitions: int, keep: list):
    ddf = partframe.from_pandas(pdf, npartitions=npartitions)
    ddf = ddf.map_partitions(
        _keep_index, frozenset(keep), meta=pdf.iloc[:0], preserves_index=True
    )
    return ddf, pdf.loc[keep]


def variant(pdf: pd.DataFrame, how: str):
    """One partitioning of ``pdf``: ``(partframe_frame, expected_pandas)``."""
    if how in ("1", "3", "7"):
        return partframe.from_pandas(pdf, npartitions=int(how)), pdf
    if how == "more-than-rows":
        # One row per partition, then most rows dropped: many empty parts.
        keep = list(pdf.index[:: max(1, len(pdf) // 3)][:3])
        return _filtered(pdf, max(1, len(pdf)), keep)
    if how == "empty-parts":
        n = len(pdf)
        ddf = partframe.from_pandas(pdf, npartitions=5)
        bounds = ddf.divisions
        drop = set()
        if len(bounds) > 4 and n:
            # drop everything in partitions 1 and 3
            for lo, hi in ((bounds[1], bounds[2]), (bounds[3], bounds[4])):
                drop.update(pdf.index[(pdf.index >= lo) & (pdf.index < hi)])
        keep = [i for i in pdf.index if i not in drop]
        return _filtered(pdf, 5, keep)
    raise ValueError(how)


def variants(pdf: pd.DataFrame):
    """All partitionings, as ``(label, partframe_frame, expected_pandas)``."""
    return [(how, *variant(pdf, how)) for how in PARTITIONINGS]


def same_in_forked_child(setup: str, expr: str) -> bool:
    """Run ``setup`` in a fresh interpreter, then evaluate ``expr`` there and
    in a child forked from it; whether both give the same value (a pool
    inherited by a forked child without its threads would hang instead)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(setup) + textwrap.dedent(
        f"""
        import multiprocessing as mp
        first = {expr}
        def child(q):
            q.put({expr})
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=child, args=(q,))
        p.start()
        print(q.get(timeout=60) == first)
        p.join()
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() in ("True", "False"), out.stderr
    return out.stdout.strip() == "True"
