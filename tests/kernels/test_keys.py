"""Key kernels (partframe.kernels.keys): ranks, packing and sort order as
pandas sorts and groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partframe.kernels.estimate import (
    RANGE_SAMPLE_MIN,
    RANGE_SAMPLE_PER_OUTPUT,
    range_sample_size,
)
from partframe.kernels.keys import (
    PACK_LIMIT,
    assign_numeric,
    assign_ranges,
    boundary_rows,
    group_ids,
    index_sorted_positions,
    lexsort_codes,
    pack_codes,
    pack_columns,
    rank_codes,
    sorted_positions,
    spaced_rows,
    split_group_ids,
)


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_sorted_positions_match_pandas(ascending, na_position):
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "f": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 5, n)),
            "s": pd.Series(rng.choice(["a", "b", None, "c"], n), dtype="str"),
            "c": pd.Categorical(rng.choice(["z", "y", "x"], n), ["z", "y", "x"]),
            "i": rng.integers(-3, 3, n),
        }
    )
    for cols in (["f"], ["s"], ["c", "f"], ["s", "i", "f"]):
        asc = [ascending, not ascending, ascending][: len(cols)]
        keys = df[cols].set_axis(range(len(cols)), axis=1)
        got = sorted_positions(keys, asc, na_position)
        want = df.sort_values(
            cols, ascending=asc, na_position=na_position, kind="stable"
        )
        assert got.tolist() == want.index.tolist(), cols


def test_rank_codes_mixed_objects():
    """Objects that do not compare: sort_values raises, groupby orders them
    (numbers before strings); ``mixed`` picks groupby's order."""
    values = pd.Series(["b", 2, None, "a", 1.5], dtype=object)
    codes, uniques = pd.factorize(values)
    with pytest.raises(TypeError):
        rank_codes(codes, uniques)
    ranks = rank_codes(codes, uniques, mixed=True)
    want = pd.Series(1, index=values).groupby(level=0, dropna=False).sum().index
    assert values.iloc[np.argsort(ranks, kind="stable")].tolist()[:4] == list(want)[:4]
    order = index_sorted_positions(pd.Index(values))
    assert order[-1] == 2  # missing last
    assert [values[i] for i in order[:4]] == [1.5, 2, "a", "b"]


def test_pack_codes_and_lexsort_fallback():
    a = np.array([1, 0, 1, 0])
    b = np.array([0, 2, 0, 1])
    assert pack_codes([a, b], [2, 3]).tolist() == [3, 2, 3, 1]
    assert lexsort_codes([a, b], [2, 3]).tolist() == [3, 1, 0, 2]
    # ranges whose product reaches PACK_LIMIT do not pack; the order is the same
    big = [2**31, 2**31]
    assert float(big[0]) * big[1] >= PACK_LIMIT
    assert pack_codes([a, b], big) is None
    assert lexsort_codes([a, b], big).tolist() == [3, 1, 0, 2]


def test_pack_columns_groups_as_pandas():
    left = pd.Series(["x", "y", None, "x", "y"])
    right = pd.Series([1, 1, 2, 1, np.nan])
    codes, _, _, missing = pack_columns([left, right], True, True)
    assert missing.tolist() == [False, False, True, False, True]
    kept = codes[~missing]
    assert len(set(kept.tolist())) == 2
    assert kept[0] == kept[2]
    codes, _, _, missing = pack_columns([left, right], False, False)
    assert missing is None
    assert len(set(codes.tolist())) == 4


@pytest.mark.parametrize("seed", range(6))
def test_group_ids_of_many_columns(seed):
    # ids of columns whose combinations overflow int64 are renumbered as they
    # are packed: equal rows, equal ids; ids order as the rows; split back
    rng = np.random.default_rng(seed)
    n, ncols = 300, int(rng.integers(2, 9))
    sizes = [int(rng.choice([1, 3, 2**20, 2**40])) for _ in range(ncols)]
    rows = rng.integers(0, 40, n)  # repeated rows
    codes = [
        (rows * (j + 7) + j) % min(size, 2**40) if size > 1 else np.zeros(n, "int64")
        for j, size in enumerate(sizes)
    ]
    codes = [np.minimum(c, size - 1).astype("int64") for c, size in zip(codes, sizes)]
    ids, steps = group_ids(codes, sizes)
    tuples = list(zip(*[c.tolist() for c in codes]))
    for i in range(n):
        for j in (0, i // 2, n - 1):
            assert (ids[i] == ids[j]) == (tuples[i] == tuples[j])
            assert (ids[i] < ids[j]) == (tuples[i] < tuples[j])
    back = split_group_ids(ids, steps)
    assert [c.tolist() for c in back] == [c.tolist() for c in codes]
    if np.prod([float(s) for s in sizes]) >= PACK_LIMIT:
        assert any(kind == "renumber" for kind, _ in steps)


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("npartitions", [1, 3, 50])
def test_groupby_on_many_high_cardinality_keys(sort, npartitions, monkeypatch):
    # seven keys (strings, floats, ints, missing values): their combinations
    # do not fit one int64, so the group ids are renumbered while packed
    import partframe
    import partframe.kernels.groupby as kgroupby
    from partframe.testing import assert_eq

    renumbered = []

    def spy(codes, sizes):
        ids, steps = group_ids(codes, sizes)
        renumbered.extend(kind == "renumber" for kind, _ in steps)
        return ids, steps

    monkeypatch.setattr(kgroupby, "group_ids", spy)
    rng = np.random.default_rng(0)
    n = 3000
    base = rng.integers(0, 2500, n)
    pdf = pd.DataFrame(
        {
            "a": base * 1_000_003,
            "b": [f"name{v:07d}" if v % 17 else None for v in base],
            "c": base * 0.25,
            "d": [f"addr{v * 7919:09d}" for v in base],
            "e": base * 3,
            "f": [f"c{v}" * 3 for v in base],
            "g": (base * 31) % 2477,
            "x": rng.random(n),
        }
    )
    keys = list("abcdefg")
    want = pdf.groupby(keys, sort=sort).x.agg(["sum", "count"])
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    got = df.groupby(keys, sort=sort).x.agg(["sum", "count"])
    for scheduler in ("sync", "threads"):
        assert_eq(got, want, scheduler=scheduler, sort_results=not sort)
    assert any(renumbered) == (npartitions < 50)  # (50: too few rows each)


def test_range_sample_size():
    assert range_sample_size(1) == RANGE_SAMPLE_MIN
    assert range_sample_size(100) == 100 * RANGE_SAMPLE_PER_OUTPUT
    assert all(range_sample_size(k + 1) >= range_sample_size(k) for k in range(50))


@pytest.mark.parametrize("dtype", ["int64", "uint8", "float64", "int32"])
@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_assign_numeric_matches_assign_ranges(dtype, ascending, na_position):
    rng = np.random.default_rng(3)
    keys = pd.DataFrame({0: rng.integers(0, 20, 400).astype(dtype)})
    if dtype == "float64":
        keys.iloc[::9, 0] = np.nan
    samples = [keys.iloc[::3], keys.iloc[1::5]]
    bounds = boundary_rows(samples, 5, [ascending], na_position)
    fast = assign_numeric(keys[0], bounds[0], ascending, na_position)
    slow = assign_ranges(keys, bounds, [ascending], na_position)
    assert fast is not None
    np.testing.assert_array_equal(fast, slow)
    # boundaries of another numeric dtype compare as float64
    other = bounds.astype("float64")
    np.testing.assert_array_equal(
        assign_numeric(keys[0], other[0], ascending, na_position), slow
    )


def test_assign_numeric_large_integers_exact():
    """int64 keys beyond 2**53 compare exactly, not as rounded floats."""
    big = 2**60
    keys = pd.Series([big + 1, big + 2, big + 3, big - 5], dtype="int64")
    bounds = pd.Series([big + 2], dtype="int64")
    want = assign_ranges(keys.to_frame(0), bounds.to_frame(0))
    assert want.tolist() == [0, 1, 1, 0]
    assert assign_numeric(keys, bounds).tolist() == want.tolist()
    assert assign_numeric(pd.Series(["a"]), pd.Series(["b"])) is None


def test_boundary_rows_and_spaced_rows():
    keys = pd.DataFrame({0: [5, 1, 3, 3, 3, 3, 2, 9]})
    assert boundary_rows([keys], 4)[0].tolist() == [3, 3, 5]
    assert boundary_rows([keys], 1).empty
    assert boundary_rows([], 3).empty
    assert spaced_rows(keys, 3)[0].tolist() == [5, 3, 9]
    assert spaced_rows(keys, 100) is keys
