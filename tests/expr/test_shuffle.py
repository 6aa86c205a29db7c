"""Shuffle: one suite over both methods and the local schedulers, the
ShuffleStore conformance suite, staging, and spill-file cleanup."""

from __future__ import annotations

import gc
import os
import time

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

import partframe
from partframe.expr.optimize import optimize
from partframe.expr.shuffle import (
    MAX_GROUP,
    DiskShuffle,
    Shuffle,
    StagedShuffle,
    choose_method,
    stage_plan,
)
from partframe.kernels.shuffle_store import DiskStore, MemoryStore
from partframe.testing import assert_eq
from tests.frames import make_pdf, variants

METHODS = ["tasks", "disk"]
SCHEDULERS = ["sync", "threads", "processes"]


@pytest.fixture(params=METHODS)
def method(request, tmp_path):
    partframe.config.set(temporary_directory=str(tmp_path))
    return request.param


@pytest.fixture(params=SCHEDULERS)
def local_scheduler(request):
    return request.param


def _partition_keys(ddf, col, scheduler="sync"):
    parts = partframe.compute(*ddf.to_delayed(), scheduler=scheduler)
    return [set(p[col].tolist()) for p in parts]


def test_shuffle_groups_keys(method, local_scheduler, tmp_path):
    pdf = make_pdf(120)
    ddf = partframe.from_pandas(pdf, npartitions=6)
    out = ddf.shuffle("i", npartitions=4, method=method)
    assert out.npartitions == 4
    assert_eq(out, pdf, sort_results=True, scheduler=local_scheduler)
    seen: set = set()
    for keys in _partition_keys(out, "i", local_scheduler):
        assert not keys & seen  # a key lives in one partition
        seen |= keys
    gc.collect()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("how", ["1", "3", "more-than-rows", "empty-parts"])
def test_shuffle_partitionings_and_dtypes(method, how):
    pdf = make_pdf(40)
    _, ddf, expected = next(v for v in variants(pdf) if v[0] == how)
    for on in (["s"], ["c", "n"], None):
        out = ddf.shuffle(on, npartitions=3, method=method)
        assert_eq(out, expected, sort_results=True)
        got = out.compute()
        assert got.dtypes.equals(expected.dtypes)


def test_shuffle_keeps_row_order_per_key(method):
    pdf = pd.DataFrame({"k": np.arange(200) % 7, "x": np.arange(200)})
    out = partframe.from_pandas(pdf, npartitions=9).shuffle("k", 3, method=method)
    for part in partframe.compute(*out.to_delayed(), scheduler="sync"):
        for _, g in part.groupby("k"):
            assert g.x.is_monotonic_increasing


def test_shuffle_series_and_index(method):
    s = pd.Series(np.arange(50) % 5, index=np.arange(50)[::-1], name="v")
    ds = partframe.from_pandas(s, npartitions=4)
    assert_eq(ds.shuffle(npartitions=3, method=method), s, sort_results=True)
    assert_eq(
        ds.shuffle("__index__", npartitions=2, method=method), s, sort_results=True
    )


def test_shuffle_extension_dtypes(method):
    pdf = pd.DataFrame(
        {
            "k": pd.array([1, None, 2, 1, None, 3], dtype="Int64"),
            "s": pd.array(["a", None, "b", "a", "c", "d"], dtype="str"),
            "c": pd.Categorical(
                ["x", "y", None, "x", "y", "x"], categories=["y", "x", "z"]
            ),
            "o": pd.Series([1, "a", None, 2.5, b"x", "b"], dtype=object),
            "t": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04",
                                 "2024-01-05", "2024-01-06"]).as_unit("us"),
        }
    )  # fmt: skip
    ddf = partframe.from_pandas(pdf, npartitions=3)
    for on in ("k", "s", "c"):
        out = ddf.shuffle(on, npartitions=2, method=method)
        got = out.compute()
        assert got.dtypes.equals(pdf.dtypes)
        assert got.c.cat.categories.tolist() == ["y", "x", "z"]
        tm.assert_frame_equal(got.sort_index(), pdf)


def test_equal_keys_of_different_dtypes_meet(method):
    a = pd.DataFrame({"k": [1, 2, 3]})
    b = pd.DataFrame({"k": pd.array([1.0, 2.0, 3.0])})
    pa_ = partframe.from_pandas(a, npartitions=3).shuffle("k", 4, method=method)
    pb = partframe.from_pandas(b, npartitions=2).shuffle("k", 4, method=method)
    assert _partition_keys(pa_, "k") == _partition_keys(pb, "k")


def test_config_picks_method(tmp_path):
    ddf = partframe.from_pandas(make_pdf(20), npartitions=2)
    node = Shuffle(ddf.expr, ["i"], 2)
    with partframe.config.set(shuffle_method="disk"):
        assert isinstance(optimize(node, fuse=False), DiskShuffle)
        assert choose_method(ddf.expr) == "disk"
    with partframe.config.set(shuffle_method="tasks"):
        assert choose_method(ddf.expr) == "tasks"
    assert choose_method(ddf.expr) == "tasks"  # small in-memory data
    assert choose_method(ddf.expr, "disk") == "disk"
    with pytest.raises(ValueError, match="shuffle method"):
        choose_method(ddf.expr, "bogus")


def test_staged_task_count_and_result():
    n = 80
    pdf = pd.DataFrame({"k": np.arange(4000) % 997, "x": np.arange(4000)})
    ddf = partframe.from_pandas(pdf, npartitions=n)
    out = ddf.shuffle("k", npartitions=n, method="tasks")
    lowered = optimize(out.expr, fuse=False)
    assert any(isinstance(e, StagedShuffle) for e in _walk(lowered))
    ntasks = len(out.__dask_graph__())
    k, stages = stage_plan(n)
    assert k <= MAX_GROUP and stages == 2
    assert ntasks < n * n / 2  # far fewer than all-to-all
    got = out.compute(scheduler="threads")
    tm.assert_frame_equal(got.sort_index(), pdf)
    for part in partframe.compute(*out.to_delayed(), scheduler="sync"):
        for _, g in part.groupby("k"):
            assert g.x.is_monotonic_increasing
    seen: set = set()
    for keys in _partition_keys(out, "k"):
        assert not keys & seen
        seen |= keys


def test_large_data_is_shuffled_in_one_stage(monkeypatch):
    # More pairs than one all-to-all group, but data large enough per pair
    # that moving it twice costs more than the pairs' tasks: one stage.
    from partframe.expr import shuffle as shuffle_module
    from partframe.expr.shuffle import ShuffleCollect, one_stage_pays

    n = 40
    pdf = pd.DataFrame({"k": np.arange(4000) % 997, "x": np.arange(4000)})
    ddf = partframe.from_pandas(pdf, npartitions=n)
    out = ddf.shuffle("k", npartitions=n, method="tasks")
    assert n * n > MAX_GROUP**2 and not one_stage_pays(ddf.expr, n)
    kinds = {type(e) for e in _walk(optimize(out.expr, fuse=False))}
    assert StagedShuffle in kinds and ShuffleCollect not in kinds
    monkeypatch.setattr(shuffle_module, "PAIR_BYTES", 1)  # any data pays
    assert one_stage_pays(ddf.expr, n)
    out = ddf.shuffle("k", npartitions=n, method="tasks")
    kinds = {type(e) for e in _walk(optimize(out.expr, fuse=False))}
    assert StagedShuffle not in kinds and ShuffleCollect in kinds
    tm.assert_frame_equal(out.compute(scheduler="threads").sort_index(), pdf)
    seen: set = set()
    for keys in _partition_keys(out, "k"):
        assert not keys & seen
        seen |= keys
    # never more pairs than MAX_PAIRS in one stage
    monkeypatch.setattr(shuffle_module, "MAX_PAIRS", n * n - 1)
    assert not one_stage_pays(ddf.expr, n)


def test_staged_with_different_input_output_counts():
    pdf = pd.DataFrame({"k": np.arange(3000) % 101, "x": np.arange(3000)})
    ddf = partframe.from_pandas(pdf, npartitions=70)
    for n_out in (5, 130):
        out = ddf.shuffle("k", npartitions=n_out, method="tasks")
        assert out.npartitions == n_out
        tm.assert_frame_equal(out.compute().sort_index(), pdf)


def test_disk_task_count_is_linear(tmp_path):
    partframe.config.set(temporary_directory=str(tmp_path))
    ddf = partframe.from_pandas(make_pdf(200), npartitions=50)
    out = ddf.shuffle("i", npartitions=40, method="disk")
    graph = out.__dask_graph__()
    assert len(graph) <= 50 + 40 + 1 + 50 + 5  # splits, reads, barrier, inputs


def _fail_on_two(part: pd.DataFrame) -> pd.DataFrame:
    if len(part) and part.index[0] >= 60:
        raise RuntimeError("injected failure")
    return part


def test_disk_spill_files_removed_after_failure(tmp_path, local_scheduler):
    partframe.config.set(temporary_directory=str(tmp_path))
    pdf = make_pdf(100)
    ddf = partframe.from_pandas(pdf, npartitions=5)
    bad = ddf.map_partitions(_fail_on_two, meta=pdf.iloc[:0], preserves_index=True)
    out = bad.shuffle("i", npartitions=3, method="disk")
    with pytest.raises(RuntimeError, match="injected failure"):
        out.compute(scheduler=local_scheduler)
    _assert_removed(tmp_path)


def _assert_removed(path):
    # Tasks already running when the error was raised finish first (threads);
    # the directory goes when the graph is released.
    for _ in range(100):
        gc.collect()
        if not os.listdir(path):
            return
        time.sleep(0.05)
    assert os.listdir(path) == []


def test_disk_retried_inputs_are_read_once(tmp_path):
    # An input task run twice appends twice; only the kept attempt counts.
    from partframe.kernels.spill import disk_attempts, disk_read, disk_split

    store = DiskStore(str(tmp_path / "s"))
    df = pd.DataFrame({"k": [1, 2, 3, 4], "x": [1.0, 2.0, 3.0, 4.0]})
    first = disk_split(df, store, 0, ["k"], 2, "hash")
    second = disk_split(df, store, 0, ["k"], 2, "hash")
    assert first != second
    attempts = disk_attempts([second])
    got = pd.concat([disk_read(store, attempts, j, df.iloc[:0]) for j in range(2)])
    tm.assert_frame_equal(got.sort_index(), df)
    store.drop()
    assert not os.path.exists(store.path)


# -- ShuffleStore conformance: every backend ---------------------------------------


@pytest.fixture(params=["memory", "disk"])
def store(request, tmp_path):
    s = (
        MemoryStore(f"test-{request.node.name}")
        if request.param == "memory"
        else (DiskStore(str(tmp_path / "store")))
    )
    yield s
    s.drop()


def test_store_append_get_order(store):
    pdf = make_pdf(9)
    meta = pdf.iloc[:0]
    store.append(0, 2, "c", pdf.iloc[6:])
    store.append(0, 0, "a", pdf.iloc[:3])
    store.append(0, 1, "b", pdf.iloc[3:6])
    store.append(1, 0, "a", pdf.iloc[:1])
    tm.assert_frame_equal(store.get(0, {0: "a", 1: "b", 2: "c"}, meta), pdf)
    tm.assert_frame_equal(store.get(1, ["a"], meta), pdf.iloc[:1])


def test_store_ignores_other_attempts(store):
    pdf = make_pdf(6)
    store.append(0, 0, "old", pdf.iloc[:3])
    store.append(0, 0, "new", pdf.iloc[3:])
    tm.assert_frame_equal(store.get(0, ["new"], pdf.iloc[:0]), pdf.iloc[3:])


def test_store_empty_output_gives_meta(store):
    meta = make_pdf(3).iloc[:0]
    got = store.get(5, ["a"], meta)
    assert len(got) == 0 and got.dtypes.equals(meta.dtypes)


def test_store_series_and_multiindex(store):
    s = pd.Series(
        [1.5, 2.5],
        index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["n", "l"]),
        name=3,
    )
    store.append(0, 0, "a", s)
    tm.assert_series_equal(store.get(0, ["a"], s.iloc[:0]), s)


def test_store_drop(store):
    store.append(0, 0, "a", pd.DataFrame({"x": [1]}))
    store.drop()
    assert len(store.get(0, ["a"], pd.DataFrame({"x": pd.Series([], dtype=int)}))) == 0


def _walk(expr):
    from partframe.expr.base import walk

    return list(walk(expr))


def test_task_shuffle_and_merge_on_distributed(client):
    pdf = make_pdf(60)
    ddf = partframe.from_pandas(pdf, npartitions=4)
    with partframe.config.set(scheduler=client):
        out = ddf.shuffle("i", npartitions=3)
        assert choose_method(ddf.expr) == "tasks"
        assert_eq(out, pdf, sort_results=True, scheduler=client)
        got = ddf.merge(ddf[["i", "f"]], on="i", broadcast=False).compute()
    assert len(got) == len(pdf.merge(pdf[["i", "f"]], on="i"))
