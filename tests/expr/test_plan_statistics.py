"""Statistics (``partframe.expr.statistics``): estimated rows and bytes of each
node, the join strategy they choose after filters, and ``explain`` showing
them (``analyze=True`` next to the measured rows)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant
from hypothesis import HealthCheck, given, settings
from test_composition import pipelines

import partframe
from partframe.diagnostics.analyze import analyze
from partframe.expr import merge as merge_module
from partframe.expr.base import walk
from partframe.expr.optimize import optimize
from partframe.expr.statistics import estimate, selectivity
from partframe.expr.target import Target, using
from partframe.testing import assert_eq

N = 4000
_RNG = np.random.default_rng(3)
FACT = pd.DataFrame(
    {
        "k": _RNG.integers(0, 400, N),
        "x": np.arange(N, dtype="float64"),
        "d": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(N) % 1000, "D"),
    }
)
DIM = pd.DataFrame(
    {
        "k": np.arange(400),
        "z": np.arange(400) * 10,
        "s": pd.array([f"name-{i:05d}" for i in range(400)], dtype="str"),
    }
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("stats")
    fact = [str(root / f"fact{i}.parquet") for i in range(4)]
    for i, path in enumerate(fact):
        FACT.iloc[i * 1000 : (i + 1) * 1000].to_parquet(path, row_group_size=250)
    dim = [str(root / f"dim{i}.parquet") for i in range(2)]
    for i, path in enumerate(dim):
        DIM.iloc[i * 200 : (i + 1) * 200].to_parquet(path, row_group_size=50)
    return fact, dim


# -- sources ----------------------------------------------------------------------


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_in_memory_rows_and_bytes_are_exact(partitioning):
    ddf, pdf = variant(FACT, partitioning)
    # the variants with empty partitions drop rows with a function per
    # partition, which may keep any number of rows
    exact = partitioning in ("1", "3", "7")
    est = estimate(ddf._expr)
    assert est.rows == (len(pdf) if exact else None)
    assert est.widths["x"] == 8.0 and est.widths["d"] == 8.0
    # the partition-wise steps keep them; a projection keeps its columns'
    est = estimate(ddf.assign(y=ddf.x * 2)[["y", "k"]]._expr)
    assert est.rows == (len(pdf) if exact else None)
    assert est.row_bytes == 16


def test_parquet_rows_from_footers_and_string_widths(files):
    fact, dim = files
    df = partframe.read_parquet(fact)
    assert estimate(df._expr).rows == N
    strings = estimate(partframe.read_parquet(dim)._expr)
    assert strings.rows == len(DIM)
    # "name-00000": ten characters and an offset, though dictionary pages
    # hold far fewer bytes
    assert 10 <= strings.widths["s"] <= 40


def test_pushed_filters_leave_fewer_rows_to_read(files):
    fact, _ = files
    df = partframe.read_parquet(fact)
    q = df[df.x < 500]
    plan = optimize(q._expr, fuse=False)
    (source,) = [n for n in walk(plan) if type(n).__name__ == "ReadParquet"]
    # two row groups of 250 rows are all that may hold x < 500
    assert estimate(source).rows == 500
    assert estimate(plan).rows == pytest.approx(500, rel=0.01)
    assert_eq(q, FACT[FACT.x < 500].reset_index(drop=True), check_index=False)


# -- filters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fraction"),
    [
        (lambda d: d.x < 1000, 0.25),
        (lambda d: d.x >= 3000, 0.25),
        (lambda d: (d.x >= 1000) & (d.x < 2000), 0.25),
        (lambda d: (d.x < 1000) | (d.x >= 3000), 0.5),
        (lambda d: ~(d.x < 1000), 0.75),
        (lambda d: d.x.between(1000, 1999), 0.25),
        (lambda d: d.d < pd.Timestamp("2020-04-10"), 0.1),
        (lambda d: d.k == 7, 1 / 400),
        (lambda d: d.k.isin([1, 2, 3, 4]), 4 / 400),
        (lambda d: d.k != 7, 399 / 400),
    ],
)
def test_selectivity_from_column_ranges(files, query, fraction):
    df = partframe.read_parquet(files[0])
    pred = query(df)
    assert selectivity(df._expr, pred._expr) == pytest.approx(fraction, abs=0.01)
    got = estimate(df[pred]._expr).rows
    assert got == pytest.approx(N * fraction, rel=0.02, abs=2)
    assert_eq(df[pred], FACT[query(FACT)].reset_index(drop=True), check_index=False)


def test_string_equality_from_the_parquet_dictionary(tmp_path):
    # a string column stored with a small dictionary: one of its distinct
    # values, not the default fraction
    pdf = pd.DataFrame(
        {"flag": pd.array(list("ABCDE") * 400, dtype="str"), "x": np.arange(2000)}
    )
    path = str(tmp_path / "flags.parquet")
    pdf.to_parquet(path, row_group_size=500)
    df = partframe.read_parquet(path)
    for pred, fraction in [
        (df.flag == "B", 1 / 5),
        (df.flag != "B", 4 / 5),
        (df.flag.isin(["A", "C"]), 2 / 5),
    ]:
        assert selectivity(df._expr, pred._expr) == pytest.approx(fraction)
        assert estimate(df[pred]._expr).rows == pytest.approx(2000 * fraction)
    assert_eq(df[df.flag == "B"], pdf[pdf.flag == "B"])
    # strings of many distinct values (no small dictionary page): unknown
    unique = pd.DataFrame(
        {"s": pd.array([f"v{i:06d}" for i in range(50_000)], dtype="str")}
    )
    path = str(tmp_path / "unique.parquet")
    unique.to_parquet(path)
    df = partframe.read_parquet(path)
    assert df._expr._column_distinct("s") is None


def test_string_predicates_are_estimated_on_a_sample(tmp_path):
    # Predicates Parquet statistics cannot read (string methods) are
    # evaluated on a sample of the rows read: ~1% of the names start with
    # "forest", where the default guess is a quarter.
    rng = np.random.default_rng(5)
    n = 20_000
    words = np.array(["almond", "azure", "blush", "cream", "linen", "wheat"])
    names = [f"{w} {i}" for i, w in enumerate(rng.choice(words, n))]
    for i in rng.choice(n, n // 100, replace=False):
        names[i] = f"forest {i}"
    pdf = pd.DataFrame({"name": pd.array(names, dtype="str"), "x": np.arange(n)})
    path = str(tmp_path / "names.parquet")
    pdf.to_parquet(path, row_group_size=1000)
    df = partframe.read_parquet(path)
    cases = [
        (df.name.str.startswith("forest"), 0.004, 0.025),
        (~df.name.str.contains("forest"), 0.975, 0.996),
        (df.name.str.slice(0, 2).isin(["fo", "li"]), 0.13, 0.25),
        (df.name.str.startswith("a") & (df.x >= n // 2), 0.12, 0.22),
        (df.name.str.len() > 100, 0, 0.001),  # none: half a sampled row
    ]
    for pred, lo, hi in cases:
        assert lo < selectivity(df._expr, pred._expr) < hi
    got = df[df.name.str.startswith("forest")]
    assert 0.004 * n < estimate(got._expr).rows < 0.025 * n
    assert_eq(got, pdf[pdf.name.str.startswith("forest")])
    # a function of the user's is never run at planning: the default guess
    calls = []

    def forest(s):
        calls.append(s)
        return s.startswith("forest")

    pred = df.name.map(forest, meta=("name", "bool"))
    assert selectivity(df._expr, pred._expr) == 0.25
    assert not calls
    # nor one wrapped in a numpy object (np.vectorize's module is numpy)
    from partframe.expr.blockwise import Elemwise

    vectorized = Elemwise(np.vectorize(forest, otypes=[bool]), [df.name._expr])
    calls.clear()
    assert selectivity(df._expr, vectorized) == 0.25
    assert not calls
    # numpy ufuncs and operators are evaluated
    pred = Elemwise(np.greater, [df.name.str.len()._expr, 100])
    assert selectivity(df._expr, pred) < 0.001


def test_unknown_ranges_and_unreadable_predicates_keep_a_fraction():
    ddf = partframe.from_pandas(DIM, npartitions=3)
    for pred in [ddf.z < 5, ddf.s.str.startswith("name-001"), ddf.z * 2 > ddf.k]:
        f = selectivity(ddf._expr, pred._expr)
        assert 0 < f < 1


# -- joins ------------------------------------------------------------------------


def test_join_rows_of_a_fact_and_a_dimension(files):
    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    assert estimate(f.merge(d, on="k")._expr).rows == pytest.approx(N)
    # a filtered dimension keeps its fraction of the fact rows
    small = d[d.z < 400]  # 40 of 400 keys
    est = estimate(f.merge(small, on="k")._expr).rows
    assert est == pytest.approx(N / 10, rel=0.05)
    assert estimate(f.merge(d, on="k", how="left")._expr).rows == pytest.approx(N)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_a_side_small_after_its_filters_is_broadcast(files, monkeypatch, scheduler):
    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    # the whole dimension is too big to broadcast; a tenth of it is not
    full = estimate(d._expr).nbytes
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES", full / 2)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES_SHARED", full / 2)
    m = f.merge(d, on="k")
    assert m._expr.strategy() == "hash"
    q = m[m.z < 400]
    plan = optimize(q._expr, fuse=False)
    kinds = {type(n).__name__ for n in walk(plan)}
    assert "MergePartitions" in kinds
    assert not any("Shuffle" in kind for kind in kinds)
    assert plan.npartitions == q.npartitions
    want = FACT.merge(DIM, on="k")
    assert_eq(q, want[want.z < 400], check_index=False, sort_results=True)
    # without the filter (or with another use of the merge) it stays hashed
    plan = optimize(m._expr, fuse=False)
    assert "ShuffleSplit" in {type(n).__name__ for n in walk(plan)}


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_engines_sharing_memory_broadcast_bigger_sides(files, monkeypatch, scheduler):
    # The dimension fits the limit of engines whose tasks share this
    # process's memory, not the limit of engines that copy it to workers;
    # the limit is the one of the scheduler configured when the join is made.
    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    full = estimate(d._expr).nbytes
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES", full / 2)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES_SHARED", full * 2)
    with partframe.config.set(scheduler=scheduler):
        m = f.merge(d, on="k")
        shared = scheduler != "processes"
        assert m._expr.strategy() == ("broadcast-right" if shared else "hash")
        kinds = {type(n).__name__ for n in walk(optimize(m._expr, fuse=False))}
        assert ("ShuffleSplit" in kinds) is not shared
        want = FACT.merge(DIM, on="k")
        kw = {"check_index": False, "sort_results": True}
        assert_eq(m, want, scheduler=scheduler, **kw)


def test_a_broadcast_too_big_for_the_run_becomes_a_hash_join(files, monkeypatch):
    # Made under the default threads scheduler, computed on processes
    # (which send the broadcast side with every task): hash-joined there.
    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    full = estimate(d._expr).nbytes
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES", full / 2)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES_SHARED", full * 2)
    m = f.merge(d, on="k")
    assert m._expr.strategy() == "broadcast-right"
    with using(Target(shared=False)):
        kinds = {type(n).__name__ for n in walk(optimize(m._expr, fuse=False))}
    assert "ShuffleSplit" in kinds
    with using(Target(shared=True)):
        kinds = {type(n).__name__ for n in walk(optimize(m._expr, fuse=False))}
    assert "ShuffleSplit" not in kinds
    want = FACT.merge(DIM, on="k")
    assert_eq(m, want, check_index=False, sort_results=True, scheduler="threads")
    # compute plans under the run's target: the hash join's rows
    got = m.compute(scheduler="processes")
    assert_eq(got, want, check_index=False, sort_results=True)
    # a broadcast asked for stays one
    forced = f.merge(d, on="k", broadcast=True)
    with using(Target(shared=False)):
        kinds = {type(n).__name__ for n in walk(optimize(forced._expr, fuse=False))}
    assert "ShuffleSplit" not in kinds


def test_lowering_takes_the_first_broadcast_that_keeps_the_partitions(monkeypatch):
    # Built as a hash join (4 partitions: both sides too big then), lowered
    # when both are small: broadcasting the cheaper left side would give the
    # right side's 2 partitions, so the right side is broadcast (the left
    # keeps its 4), not a hash join again.
    rng = np.random.default_rng(1)
    lpdf = pd.DataFrame({"k": rng.integers(0, 30, 100), "a": 1.0})
    rpdf = pd.DataFrame({"k": rng.integers(0, 30, 200), "b": 2.0})
    left = partframe.from_pandas(lpdf, npartitions=4)
    right = partframe.from_pandas(rpdf, npartitions=2)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES", 1)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES_SHARED", 1)
    m = left.merge(right, on="k")
    assert m._expr.strategy() == "hash" and m.npartitions == 4
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES", 2**30)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES_SHARED", 2**30)
    assert m._expr._ranked_strategies() == [
        "broadcast-left",
        "broadcast-right",
        "hash",
    ]
    plan = optimize(m._expr, fuse=False)
    kinds = {type(n).__name__ for n in walk(plan)}
    assert "ShuffleSplit" not in kinds and plan.npartitions == 4
    want = lpdf.merge(rpdf, on="k")
    assert_eq(m, want, check_index=False, sort_results=True)


def test_broadcast_the_side_that_makes_fewer_rows_to_join():
    # Both sides are small enough to broadcast: every partition of the other
    # side joins the whole broadcast side. 3 partitions of 600 rows joined
    # with 300 rows of 8 partitions: broadcasting the 600 rows joins
    # 600 * 8 + 300 rows, the 300 rows 300 * 3 + 600 (fewer, though wider).
    rng = np.random.default_rng(0)
    narrow = pd.DataFrame({"k": rng.integers(0, 50, 600), "a": 1.0})
    wide = pd.DataFrame({"k": np.arange(300) % 50})
    for c in "bcdefgh":
        wide[c] = pd.array([f"{c}{i:04d}" for i in range(300)], dtype="str")
    left = partframe.from_pandas(narrow, npartitions=3)
    right = partframe.from_pandas(wide, npartitions=8)
    q = left.merge(right, on="k")
    assert q._expr.strategy() == "broadcast-right"
    assert q.npartitions == 3
    assert_eq(q, narrow.merge(wide, on="k"), check_index=False, sort_results=True)
    # one partition is broadcast first, whatever its rows
    q = left.merge(right.repartition(npartitions=1), on="k")
    assert q._expr.strategy() == "broadcast-right"


@pytest.mark.parametrize("how", ["inner", "left"])
def test_a_broadcast_of_a_join_stays_one_when_lowered(files, how):
    # Both sides are joins: their logical nodes have estimates, their
    # lowered plans (below the outer join when that one lowers) have none;
    # the broadcast chosen on the logical plan must not turn into a shuffle
    # of both sides.
    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    tiny_pd = pd.DataFrame({"k": [3, 5, 7, 390], "w": 1})
    tiny = partframe.from_pandas(tiny_pd, npartitions=1)
    big = f.merge(tiny, on="k", how=how)
    small = d[d.z < 400].merge(tiny, on="k")[["k", "s"]]
    assert small.npartitions > 1
    q = big.merge(small, on="k")
    assert q._expr.strategy() == "broadcast-right"
    plan = optimize(q._expr, fuse=False)
    assert not any("Shuffle" in type(n).__name__ for n in walk(plan))
    assert plan.npartitions == q.npartitions
    want_small = DIM[DIM.z < 400].merge(tiny_pd, on="k")[["k", "s"]]
    want = FACT.merge(tiny_pd, on="k", how=how).merge(want_small, on="k")
    assert_eq(q, want, check_index=False, sort_results=True)


# -- explain ----------------------------------------------------------------------


def test_explain_shows_estimated_rows(files):
    f = partframe.read_parquet(files[0])
    buf = io.StringIO()
    f[f.x < 1000].explain(file=buf)
    out = buf.getvalue()
    assert "ReadParquet(4 file(s)" in out and "[~4,000 rows]" in out
    assert "[~1,000 rows]" in out


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_explain_analyze_shows_the_rows_each_node_made(files, scheduler):
    f, d = (partframe.read_parquet(p) for p in files)
    q = f.merge(d, on="k")
    q = q[q.z < 400]
    buf = io.StringIO()
    q.explain(file=buf, analyze=True, scheduler=scheduler)
    out = buf.getvalue()
    want = FACT.merge(DIM, on="k")
    n = int((want.z < 400).sum())
    assert f"Optimized plan, run on '{scheduler}'" in out
    assert f"ran: {n:,} rows, 4 tasks" in out
    run = analyze(q, scheduler=scheduler)
    assert run.nodes[run.plan._name].rows == n


def test_explain_analyze_refuses_schedulers_in_other_processes():
    ddf = partframe.from_pandas(DIM, npartitions=2)
    with pytest.raises(ValueError, match="scheduler='threads' or 'sync'"):
        ddf.explain(analyze=True, scheduler="processes", file=io.StringIO())


# -- every composition ------------------------------------------------------------


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(pipelines())
def test_estimates_of_random_pipelines_are_sane_and_analyze_counts_rows(case):
    pipeline, _ = case
    from composition import STEPS, start

    ddf, _pdf = start(pipeline.pdf, pipeline.partitioning)
    for name, params in pipeline.steps:
        ddf = STEPS[name].run(ddf, **params)
    if not isinstance(ddf, partframe.DataFrame | partframe.Series):
        return
    for plan in (ddf._expr, optimize(ddf._expr)):
        for node in walk(plan):
            rows = estimate(node).rows
            assert rows is None or (np.isfinite(rows) and rows >= 0)
    run = analyze(ddf, scheduler="sync")
    assert run.nodes[run.plan._name].rows == len(ddf.compute(scheduler="sync"))


def test_csv_rows_from_the_sampled_bytes_per_row(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"part{i}.csv"
        DIM.iloc[i * 100 : (i + 2) * 100].to_csv(path, index=False)
        paths.append(str(path))
    df = partframe.read_csv(paths)
    rows = sum(min(400, (i + 2) * 100) - i * 100 for i in range(3))
    assert estimate(df._expr).rows == pytest.approx(rows, rel=0.1)
    # compressed files: the bytes on disk say nothing of the rows
    gz = tmp_path / "part.csv.gz"
    DIM.to_csv(gz, index=False)
    assert estimate(partframe.read_csv(str(gz))._expr).rows is None


@pytest.mark.parametrize("how", ["inner", "left"])
@pytest.mark.parametrize("broadcast", [True, False])
def test_lowered_join_estimates_as_the_join(files, how, broadcast):
    from partframe.expr.join import MergePartitions
    from partframe.expr.optimize import lower

    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    m = f.merge(d[d.z < 400], on="k", how=how, broadcast=broadcast)
    assert m._expr.strategy() == ("broadcast-right" if broadcast else "hash")
    parts = [n for n in walk(lower(m._expr)) if isinstance(n, MergePartitions)]
    assert len(parts) == 1
    assert estimate(parts[0]).rows == pytest.approx(estimate(m._expr).rows)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_a_join_above_a_lowered_join_broadcasts_its_narrowed_side(
    files, monkeypatch, scheduler
):
    # The inner join is lowered before the outer one re-chooses its
    # strategy: a lowered join estimates as the join, so the outer join
    # sees its input narrowed to the used columns and broadcasts it.
    fact, dim = files
    f, d = partframe.read_parquet(fact), partframe.read_parquet(dim)
    extra_pd = pd.DataFrame({"k": np.arange(400), "pad": ["p" * 200] * 400})
    extra = partframe.from_pandas(extra_pd, npartitions=2)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES", 2000)
    monkeypatch.setattr(merge_module, "BROADCAST_BYTES_SHARED", 2000)
    wide = d.merge(extra, on="k")
    assert wide._expr.strategy() == "hash"
    small = wide[wide.z < 400]
    q = f.merge(small, on="k")
    assert q._expr.strategy() == "hash"  # all of small's columns: too wide
    q = q[["x", "z"]]
    plan = optimize(q._expr, fuse=False)
    kinds = {type(n).__name__ for n in walk(plan)}
    assert not any("Shuffle" in kind for kind in kinds)
    outer = next(n for n in walk(plan) if type(n).__name__ == "MergePartitions")
    assert outer.broadcast == "left" and outer.npartitions == f.npartitions
    assert plan.npartitions == q.npartitions
    want_small = DIM.merge(extra_pd, on="k")
    want = FACT.merge(want_small[want_small.z < 400], on="k")[["x", "z"]]
    assert_eq(q, want, check_index=False, sort_results=True, scheduler=scheduler)
