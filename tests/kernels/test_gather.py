"""RowGather and assemble: a frame described by gathered rows, built once,
equals the frames built one by one and concatenated by pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import partframe as pf
from partframe.kernels import gather as G
from partframe.kernels.gather import GatherColumn, RowGather, assemble
from partframe.testing import assert_eq


@pytest.fixture(params=["serial", "parallel"])
def parallel(request, monkeypatch):
    if request.param == "parallel":
        monkeypatch.setattr(G, "PARALLEL_BYTES", 0)
        monkeypatch.setattr(G, "WORKERS", 2)
    else:
        monkeypatch.setattr(G, "PARALLEL_BYTES", 2**62)
    return request.param


SOURCES = {
    "int": lambda n: np.arange(n, dtype="int64") * 3,
    "float": lambda n: np.linspace(0, 1, n),
    "bool": lambda n: np.arange(n) % 2 == 0,
    "object": lambda n: np.array([("o", i) for i in range(n)] + [None], object)[:n],
    "str": lambda n: pd.array([f"s{i}" for i in range(n)], dtype="str"),
    "str-na": lambda n: pd.array(
        [None if i % 3 else f"s{i}" for i in range(n)], dtype="str"
    ),
    "Int64": lambda n: pd.array(
        [None if i % 4 == 1 else i for i in range(n)], dtype="Int64"
    ),
    "datetime": lambda n: pd.array(pd.date_range("2020", periods=n, tz="UTC")),
    "category": lambda n: pd.Categorical([f"c{i % 3}" for i in range(n)]),
}


def _part(kind: str, rng: np.random.Generator, n: int, m: int, fill: bool):
    """A gather of ``n`` rows: column "all" is every row of an ``n``-row
    source, "at" rows of an ``m``-row source by position (``-1`` missing
    when ``fill``), "masked" the same rows selected by a mask."""
    make = SOURCES[kind]
    pos = rng.integers(-1 if fill else 0, m, n) if m else np.full(n, -1)
    mask = rng.random(m) < 0.6
    masked_pos = np.flatnonzero(mask)
    columns = [
        GatherColumn(make(n)),
        GatherColumn(make(m), pos.astype(np.intp), fill=fill),
    ]
    # the masked column selects len(masked_pos) rows: pad the gather to n
    # rows by repeating the selection (positions stay valid)
    reps = np.resize(masked_pos, n) if len(masked_pos) else np.zeros(n, np.intp)
    columns.append(GatherColumn(make(max(m, 1)), reps.astype(np.intp)))
    if len(masked_pos) == n:
        columns[2] = GatherColumn(make(m), masked_pos, mask=mask)
    return RowGather(["all", "at", "masked"], columns, n)


@pytest.mark.parametrize("kind", list(SOURCES))
@pytest.mark.parametrize("fill", [False, True])
def test_assemble_equals_pandas_concat(kind, fill, parallel):
    rng = np.random.default_rng(len(kind))
    parts = [_part(kind, rng, n, 7, fill) for n in (5, 1, 9)]
    want = pd.concat([p.frame() for p in parts])
    got = assemble(parts)
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True)
    got.iloc[0, 0] = got.iloc[1, 0]  # the result is the caller's: writable


def test_gather_by_mask_and_by_position_agree():
    src = pd.array(["a", "b", None, "d"], dtype="str")
    mask = np.array([True, False, True, True])
    by_mask = GatherColumn(src, np.flatnonzero(mask), mask=mask).values()
    by_pos = GatherColumn(src, np.flatnonzero(mask)).values()
    pd.testing.assert_extension_array_equal(by_mask, by_pos)


def test_fill_from_an_empty_source(parallel):
    # every row missing: an empty source is never read
    empty = GatherColumn(np.array([], dtype="int64"), np.full(3, -1, np.intp), True)
    a = RowGather(["x"], [empty], 3)
    some = GatherColumn(np.array([1.5, 2.5]), np.array([1, -1]), True)
    b = RowGather(["x"], [some], 2)
    got = assemble([a, b])
    pd.testing.assert_frame_equal(got, pd.concat([a.frame(), b.frame()]))
    assert got["x"].dtype == np.float64 and got["x"].isna().sum() == 4


def test_parts_with_other_dtypes_are_built_then_concatenated():
    ints = RowGather(["x"], [GatherColumn(np.array([1, 2]))], 2)
    filled = GatherColumn(np.array([1, 2]), np.array([0, -1]), True)
    floats = RowGather(["x"], [filled], 2)
    got = assemble([ints, floats])
    pd.testing.assert_frame_equal(got, pd.concat([ints.frame(), floats.frame()]))


parts_st = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 6), st.booleans()),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(parts_st, st.sampled_from(["int", "float", "str", "bool", "Int64"]))
def test_assemble_property(shapes, kind):
    rng = np.random.default_rng(len(shapes))
    fill = any(f for _, _, f in shapes)  # one dtype for all parts
    parts = [_part(kind, rng, n, m, fill or m == 0) for n, m, _ in shapes]
    if len({tuple(map(str, p.dtypes)) for p in parts}) > 1:
        parts = [_part(kind, rng, n, m, True) for n, m, _ in shapes]
    want = pd.concat([p.frame() for p in parts])
    pd.testing.assert_frame_equal(
        assemble(parts), want, check_exact=True, check_index_type=True
    )


# -- through compute -----------------------------------------------------------


def _sides(n=60):
    rng = np.random.default_rng(1)
    strings = pd.array([f"s{i}" for i in range(n)], dtype="str")
    left = pd.DataFrame({"k": rng.integers(0, 12, n), "v": rng.random(n), "s": strings})
    right = pd.DataFrame({"k": np.arange(3, 10), "w": np.arange(7) * 10,
                          "t": pd.array(list("abcdefg"), dtype="str"),
                          "b": [True, False] * 3 + [True]})  # fmt: skip
    return left, right


@pytest.fixture
def assembled(monkeypatch):
    calls = []
    original = G.assemble

    def spy(parts):
        calls.append(len(parts))
        return original(parts)

    monkeypatch.setattr("partframe.collection._core.assemble", spy)
    return calls


@pytest.mark.parametrize("how", ["inner", "left"])
@pytest.mark.parametrize("npartitions", [1, 3, 70])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_compute_assembles_join_partitions(how, npartitions, scheduler, assembled):
    left, right = _sides()
    dl = pf.from_pandas(left, npartitions=npartitions)
    out = dl.merge(pf.from_pandas(right, npartitions=1), on="k", how=how)
    want = left.merge(right, on="k", how=how)
    got = out.compute(scheduler=scheduler)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert (len(assembled) > 0) == (npartitions > 1)
    assert_eq(out, want, check_index=False, scheduler=scheduler)


def test_deferred_left_join_partition_is_cast_to_the_meta():
    from partframe.kernels.merge import merge_partitions

    left, right = _sides()
    kwargs = {"on": "k", "how": "left", "suffixes": ("_x", "_y")}
    meta = left.merge(right, on="k", how="left").iloc[:0]  # w float, b object
    for part in (left, left[left.k.between(3, 9)]):  # some rows unmatched; none
        got = merge_partitions(part, right, "merge", kwargs, meta, deferred=True)
        assert isinstance(got, RowGather)
        assert got.dtypes == list(meta.dtypes)
        want = merge_partitions(part, right, "merge", kwargs, meta)
        pd.testing.assert_frame_equal(
            got.frame(), want, check_exact=True, check_index_type=True
        )
        pd.testing.assert_frame_equal(assemble([got, got]), pd.concat([want, want]))


def test_processes_and_persist_get_built_partitions(assembled):
    left, right = _sides()
    out = pf.from_pandas(left, npartitions=3).merge(
        pf.from_pandas(right, npartitions=1), on="k"
    )
    want = left.merge(right, on="k")
    got = out.compute(scheduler="processes")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    kept = out.persist(scheduler="threads")
    values = [v for v in kept.__dask_graph__().values() if not isinstance(v, tuple)]
    assert len(values) == 3 and all(isinstance(v, pd.DataFrame) for v in values)
    pd.testing.assert_frame_equal(kept.compute().reset_index(drop=True), want)
    assert assembled == []  # neither handed unbuilt partitions over
    # several frames computed together: each gets built partitions
    a, b = pf.compute(out, out.v.sum(), scheduler="threads")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), want)
    assert b == pytest.approx(want.v.sum()) and assembled == []


# -- filters -------------------------------------------------------------------


@pytest.fixture
def always_gather(monkeypatch):
    monkeypatch.setattr(G, "MIN_GATHER_CELLS", 0)


def _frame(n=50):
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        {
            "i": rng.integers(0, 100, n),
            "f": rng.random(n),
            "b": rng.random(n) < 0.5,
            "o": np.array([("t", i) for i in range(n)] + [None], object)[:n],
            "s": pd.array(
                [None if i % 5 == 0 else f"s{i}" for i in range(n)], dtype="str"
            ),
            "n": pd.array([None if i % 3 == 0 else i for i in range(n)], dtype="Int64"),
            "t": pd.date_range("2021", periods=n, tz="UTC"),
            "c": pd.Categorical([f"c{i % 4}" for i in range(n)]),
        },
        index=pd.Index(np.arange(n) * 3 + 7, name="row"),
    )


@pytest.mark.parametrize("npartitions", [1, 4, 70])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_filter_compute_assembles(npartitions, scheduler, always_gather, assembled):
    df = _frame()
    ddf = pf.from_pandas(df, npartitions=npartitions)
    for pred, want in (
        (ddf.f > 0.3, df[df.f > 0.3]),
        (ddf.i < 0, df[df.i < 0]),  # nothing kept
        (ddf.i >= 0, df),  # everything kept
    ):
        got = ddf[pred].compute(scheduler=scheduler)
        pd.testing.assert_frame_equal(
            got, want, check_exact=True, check_index_type=True
        )
        assert_eq(ddf[pred], want, scheduler=scheduler)
    assert (len(assembled) > 0) == (npartitions > 1)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_selection_of_a_filter_assembles(scheduler, always_gather, assembled):
    df = _frame()
    ddf = pf.from_pandas(df, npartitions=4)
    got = ddf[ddf.f > 0.3][["s", "i"]].compute(scheduler=scheduler)
    want = df[df.f > 0.3][["s", "i"]]
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True)
    assert len(assembled) == 1
    one = ddf[ddf.f > 0.3]["i"]  # a Series: built partitions
    pd.testing.assert_series_equal(one.compute(scheduler=scheduler), want["i"])
    assert len(assembled) == 1
    assert_eq(ddf[ddf.f > 0.3][["s", "i"]], want, scheduler=scheduler)


def test_filter_gather_keeps_labels(always_gather, assembled):
    df = _frame(30)[["f", "s", "i"]]
    cases = [
        df.set_axis(["a", "a", "b"], axis=1),  # duplicate labels
        df.set_axis(pd.MultiIndex.from_tuples([("x", 1), ("x", 2), ("y", 1)]), axis=1),
        df.set_axis(pd.Index([10, 20, 30], name="cols"), axis=1),
        df.reset_index(drop=True),  # RangeIndex rows
        df.set_index("s"),  # string row index, missing labels included
    ]
    for frame in cases:
        ddf = pf.from_pandas(frame, npartitions=3)
        key = frame.columns[-1]  # the int column, its label unique
        mask = frame[key] % 7 != 0
        got = ddf[ddf[key] % 7 != 0].compute(scheduler="threads")
        pd.testing.assert_frame_equal(
            got, frame[mask], check_exact=True, check_index_type=True
        )
    assert len(assembled) == len(cases)


def test_filter_gather_steps_aside(always_gather, assembled):
    df = _frame(30)
    s = pf.from_pandas(df.f, npartitions=3)  # a Series: built partitions
    pd.testing.assert_series_equal(s[s > 0.5].compute(), df.f[df.f > 0.5])
    with_attrs = df.copy()
    with_attrs.attrs["source"] = "x"  # pandas keeps attrs through a filter
    ddf = pf.from_pandas(with_attrs, npartitions=3)
    got = ddf[ddf.f > 0.5].compute()
    pd.testing.assert_frame_equal(got, with_attrs[with_attrs.f > 0.5])
    assert got.attrs == {"source": "x"}
    assert assembled == []


def test_small_partitions_are_filtered_at_once(assembled):
    df = _frame(30)  # under MIN_GATHER_CELLS
    ddf = pf.from_pandas(df, npartitions=3)
    pd.testing.assert_frame_equal(ddf[ddf.f > 0.5].compute(), df[df.f > 0.5])
    assert assembled == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-5, 5), st.just(np.nan)), max_size=40),
    st.integers(1, 8),
    st.floats(-5, 5),
)
def test_filter_gather_property(values, npartitions, cut):
    G.MIN_GATHER_CELLS, before = 0, G.MIN_GATHER_CELLS
    try:
        df = pd.DataFrame({"v": values, "w": np.arange(len(values))}, dtype=float)
        df["s"] = pd.array([f"s{i}" for i in range(len(df))], dtype="str")
        ddf = pf.from_pandas(df, npartitions=npartitions)
        got = ddf[ddf.v > cut].compute(scheduler="threads")
        pd.testing.assert_frame_equal(
            got, df[df.v > cut], check_exact=True, check_index_type=True
        )
    finally:
        G.MIN_GATHER_CELLS = before


@pytest.mark.parametrize("sizes", [[3], [3, 1], [2, 5, 4]])
def test_assembled_range_indexes_are_pandas(sizes, parallel):
    parts = [RowGather(["x"], [GatherColumn(np.arange(n) * 1.5)], n) for n in sizes]
    want = pd.concat([p.frame() for p in parts])
    got = assemble(parts)
    pd.testing.assert_frame_equal(got, want, check_index_type=True)


def test_assembled_index_with_empty_parts():
    make = lambda n: RowGather(["x"], [GatherColumn(np.arange(n) * 1.0)], n)  # noqa: E731
    for sizes in ([0, 0], [0, 4], [4, 0, 0], [0, 2, 0, 3]):
        parts = [make(n) for n in sizes]
        want = pd.concat([p.frame() for p in parts])
        got = assemble(parts)
        pd.testing.assert_frame_equal(got, want, check_index_type=True)


def test_selective_filters_and_joins_are_built(always_gather, assembled):
    # a gather would hold its whole source partition for a few rows
    df = _frame(80)
    ddf = pf.from_pandas(df, npartitions=4)
    got = ddf[ddf.i < 20].compute()  # about a fifth of the rows
    pd.testing.assert_frame_equal(got, df[df.i < 20], check_exact=True)
    left, right = _sides()
    dl = pf.from_pandas(left, npartitions=3)
    few = pf.from_pandas(right.iloc[:1], npartitions=1)  # one key of twelve
    got = dl.merge(few, on="k").compute()
    want = left.merge(right.iloc[:1], on="k")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert assembled == []
