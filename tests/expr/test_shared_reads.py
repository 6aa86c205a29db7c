"""Shared reads (``share_reads``): Parquet sources of the same files that
differ only in their columns (or in the row groups skipped for the filters
above them) become one read when that reads fewer bytes; a narrow read
that shares little with a wide one stays narrow. A sub-plan used by two
branches stays one node.

Each rule is checked on the optimized plan (how many readers, which
columns and row groups, how many read tasks in the graph) and on the
results, which equal pandas and the plan computed without optimization,
over several partitionings of the files (one partition per file, per row
group, per two row groups, and files with no rows: empty partitions).
"""

from __future__ import annotations

import collections
import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import partframe
from partframe.expr.base import Expr, walk
from partframe.expr.optimize import optimize, optimize_many, share_reads
from partframe.io.nodes import ReadParquet
from partframe.testing import assert_eq

_RNG = np.random.default_rng(16)
N = 120
DATA = pd.DataFrame(
    {
        # sorted: its row-group statistics rule row groups in or out
        "k": np.arange(N, dtype="int64"),
        "a": _RNG.normal(size=N),
        "b": _RNG.integers(0, 7, N),
        "c": _RNG.normal(size=N),
        "s": pd.array(_RNG.choice(["p", "q", "r"], N), dtype="str"),
        "w": pd.array([f"a fairly wide text value {i}" for i in range(N)], "str"),
    }
)

# how -> read_parquet options; "empty-files" adds files without rows
PARTITIONINGS = {
    "per-file": {"split_row_groups": False},
    "per-row-group": {"split_row_groups": True},
    "two-row-groups": {"split_row_groups": 2},
    "empty-files": {"split_row_groups": True},
}


def _write(folder, how: str) -> str:
    folder.mkdir()
    bounds = [0, 40, 80, N]
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        table = pa.Table.from_pandas(DATA.iloc[lo:hi], preserve_index=False)
        pq.write_table(table, folder / f"part.{2 * i + 1}.parquet", row_group_size=10)
        if how == "empty-files":
            empty = pa.Table.from_pandas(DATA.iloc[:0], preserve_index=False)
            pq.write_table(empty, folder / f"part.{2 * i + 2}.parquet")
    return str(folder)


@pytest.fixture(params=list(PARTITIONINGS))
def source(request, tmp_path):
    """``read(columns=..., **kw)``: a fresh ``read_parquet`` of the files."""
    how = request.param
    path = _write(tmp_path / "data", how)

    def read(columns=None, **kw):
        return partframe.read_parquet(path, columns=columns, **PARTITIONINGS[how], **kw)

    return read


def _readers(*lazies) -> list[ReadParquet]:
    """The distinct readers of the plans optimized together (no fusion)."""
    plans = optimize_many([x.expr for x in lazies], fuse=False)
    found: dict[str, ReadParquet] = {}
    for plan in plans:
        for node in walk(plan):
            if isinstance(node, ReadParquet):
                found[node._name] = node
    return list(found.values())


def _read_tasks(*lazies) -> int:
    """Tasks of the fused graph that read a Parquet piece."""
    graph, _ = type(lazies[0]).__pf_graph_many__(list(lazies), True)
    return sum(1 for v in graph.values() if "read_parquet_piece" in repr(v))


def _check_many(lazies, wants) -> None:
    got = partframe.compute(*lazies, scheduler="sync")
    plain = partframe.compute(*lazies, scheduler="sync", optimize_graph=False)
    for g, p, w in zip(got, plain, wants, strict=True):
        assert_eq(g, w)
        assert_eq(p, w)
    for lazy, want in zip(lazies, wants, strict=True):
        assert_eq(lazy, want)


# -- columns -------------------------------------------------------------------


def test_overlapping_columns_are_read_once(source):
    x = source(["k", "a", "b"])
    y = source(["k", "a", "c"])
    out = [x.a + x.b, y.a * y.c, x.k.sum() + y.k.max()]
    readers = _readers(*out)
    assert len(readers) == 1
    assert list(readers[0].columns) == ["k", "a", "b", "c"]
    want = [DATA.a + DATA.b, DATA.a * DATA.c, DATA.k.sum() + DATA.k.max()]
    _check_many(out, want)


def test_one_plan_two_reads_of_one_file(source):
    # a self-join of two reads with different columns: one read, each side
    # a selection of it
    x = source(["k", "a", "s"])
    y = source(["k", "a", "b"])
    m = x.merge(y, on="k", suffixes=("_x", "_y"))
    readers = _readers(m)
    assert len(readers) == 1
    assert set(readers[0].columns) == {"k", "a", "s", "b"}
    want = DATA[["k", "a", "s"]].merge(
        DATA[["k", "a", "b"]], on="k", suffixes=("_x", "_y")
    )
    assert_eq(m, want, check_index=False, sort_results=True)
    assert_eq(
        m.compute(optimize_graph=False), want, check_index=False, sort_results=True
    )


def test_narrow_read_inside_a_wide_one_is_served_by_it(source):
    wide = source(["k", "a", "b", "c", "s"])
    narrow = source(["a"])
    out = [wide.groupby("s")[["k", "a", "b", "c"]].sum(), narrow.sum()]
    readers = _readers(*out)
    assert len(readers) == 1
    assert list(readers[0].columns) == ["k", "a", "b", "c", "s"]
    # the shared read is a task of its own per partition, used by both
    assert _read_tasks(*out) == source().npartitions
    want = DATA.groupby("s")[["k", "a", "b", "c"]].sum()
    _check_many(out, [want, DATA[["a"]].sum()])


def test_series_and_reordered_columns(source):
    col = source("a")  # a Series
    frame = source(["c", "a", "k"])  # not in the file's order
    out = [col.cumsum(), frame]
    readers = _readers(*out)
    assert len(readers) == 1
    assert list(readers[0].columns) == ["k", "a", "c"]
    _check_many(out, [DATA.a.cumsum(), DATA[["c", "a", "k"]]])


def test_disjoint_columns_stay_two_narrow_reads(source):
    x = source(["w"])
    y = source(["k", "a"])
    out = [x.w.str.len().sum(), y.a.sum() + y.k.sum()]
    readers = _readers(*out)
    assert sorted(list(r.columns) for r in readers) == [["k", "a"], ["w"]]
    _check_many(out, [DATA.w.str.len().sum(), DATA.a.sum() + DATA.k.sum()])


def test_little_overlap_with_a_wide_read_stays_apart(source):
    # the shared column "k" is a small part of the narrow read: merging it
    # into the wide read would save little
    wide = source(["k", "w"])
    narrow = source(["k", "a", "b", "c"])
    out = [wide.w.str.len().sum(), narrow.a.sum() + narrow.c.sum()]
    readers = _readers(*out)
    assert len(readers) == 2
    _check_many(out, [DATA.w.str.len().sum(), DATA.a.sum() + DATA.c.sum()])


def test_row_count_stays_a_footer_read(source):
    # len() reads no column (the footers give it): nothing to share
    x = source(["k", "a"])
    out = [x.a.sum() + x.k.sum(), source([]).map_partitions(len).sum()]
    readers = _readers(*out)
    assert sorted(len(r.columns) for r in readers) == [0, 2]
    _check_many(out, [DATA.a.sum() + DATA.k.sum(), np.int64(N)])


# -- row groups skipped for filters above -----------------------------------------


def test_overlapping_filters_read_the_row_groups_of_either(source):
    x = source(["k", "a", "b", "c"])
    y = source(["k", "a", "c"])
    fx = x[x.k < 60]
    fy = y[(y.k >= 30) & (y.k < 50)]
    out = [fx.sum(), fy]
    # alone, each skips row groups
    (alone,) = _readers(fy)
    assert alone.pushed and sum(p[2] for p in alone._plan) == 20
    readers = _readers(*out)
    assert len(readers) == 1
    (read,) = readers
    # rows 0-59 (row groups of 10): what x reads covers what y reads
    assert sum(p[2] for p in read._plan) == 60
    assert read.any_of and len(read.any_of) == 2
    assert read.npartitions == source().npartitions
    dx, dy = DATA[DATA.k < 60], DATA[(DATA.k >= 30) & (DATA.k < 50)]
    _check_many(out, [dx[["k", "a", "b", "c"]].sum(), dy[["k", "a", "c"]]])


def test_a_whole_read_serves_a_filtered_one(source):
    x = source(["k", "a", "b"])
    y = source(["k", "b"])
    fy = y[(y.k >= 90) & (y.b >= 0)]
    out = [x.sum(), fy]
    (alone,) = _readers(fy)
    assert alone.pushed
    readers = _readers(*out)
    # x reads every row group, so it serves y, whose filter drops the rows
    assert len(readers) == 1 and not readers[0].pushed and not readers[0].any_of
    want = [DATA[["k", "a", "b"]].sum(), DATA[["k", "b"]][DATA.k >= 90]]
    _check_many(out, want)


def test_union_of_pushed_conditions(source):
    x = source(["k", "a", "b"])
    y = source(["k", "a", "b", "c"])
    # built by hand: the two readers of the filters, then their union
    rx = x.expr._with_predicate([("k", "<", 20), ("b", ">=", 0)])
    ry = y.expr._with_predicate([("k", ">=", 100), ("b", ">=", 0)])
    assert isinstance(rx, ReadParquet) and isinstance(ry, ReadParquet)
    union = rx._read_union([ry])
    assert isinstance(union, ReadParquet)
    assert list(union.pushed) == [("b", ">=", 0)]
    assert [list(a) for a in union.any_of] == [[("k", "<", 20)], [("k", ">=", 100)]]
    groups = set(union._row_groups())
    assert groups == set(rx._row_groups()) | set(ry._row_groups())
    assert union.npartitions == rx.npartitions == ry.npartitions
    assert union.divisions == rx.divisions
    # a union of unions: the alternatives of each
    rz = x.expr._with_predicate([("k", ">=", 50), ("k", "<", 60)])
    assert isinstance(rz, ReadParquet)
    again = union._read_union([rz])
    assert isinstance(again, ReadParquet)
    assert set(again._row_groups()) == groups | set(rz._row_groups())
    # a reader of everything makes the union read everything
    assert not rx._read_union([x.expr]).any_of


def test_disjoint_row_groups_stay_apart(source):
    x = source(["k", "a"])
    y = source(["k", "a", "b"])
    fx, fy = x[x.k < 20], y[y.k >= 100]
    out = [fx.sum(), fy.sum()]
    readers = _readers(*out)
    assert len(readers) == 2 and all(r.pushed for r in readers)
    want = [
        DATA[["k", "a"]][DATA.k < 20].sum(),
        DATA[["k", "a", "b"]][DATA.k >= 100].sum(),
    ]
    _check_many(out, want)


def test_user_filters_are_part_of_the_key(source):
    f1 = [("k", "<", 50)]
    x = source(["k", "a"], filters=f1)
    y = source(["k", "a", "b"], filters=f1)
    z = source(["k", "a", "b"], filters=[("k", ">=", 30)])
    out = [x.sum(), y.sum(), z.sum()]
    readers = _readers(*out)
    assert sorted(len(r.columns) for r in readers) == [3, 3]
    rows = DATA[DATA.k < 50]
    want = [
        rows[["k", "a"]].sum(),
        rows[["k", "a", "b"]].sum(),
        DATA[DATA.k >= 30][["k", "a", "b"]].sum(),
    ]
    _check_many(out, want)


def test_index_and_divisions_are_kept(tmp_path):
    pdf = DATA.set_index("k")
    path = tmp_path / "indexed"
    partframe.from_pandas(pdf, npartitions=4).to_parquet(str(path))
    x = partframe.read_parquet(str(path), columns=["a", "b"], calculate_divisions=True)
    y = partframe.read_parquet(str(path), columns=["a", "c"], calculate_divisions=True)
    assert x.known_divisions
    out = [x.a + x.b + y.c, y.a.cumsum()]
    readers = _readers(*out)
    assert len(readers) == 1
    assert optimize(out[0].expr).divisions == x.divisions
    _check_many(out, [pdf.a + pdf.b + pdf.c, pdf.a.cumsum()])


# -- sub-plans used by two branches -------------------------------------------------


def _count(plans: list[Expr], kind: str) -> int:
    names = set()
    for plan in plans:
        names |= {n._name for n in walk(plan) if type(n).__name__ == kind}
    return len(names)


def test_a_filtered_joined_sub_plan_stays_one_node(source):
    x = source()
    right = partframe.from_pandas(
        pd.DataFrame({"b": range(7), "label": list("abcdefg")}), npartitions=2
    )
    joined = x[x.k > 15].merge(right, on="b")
    # the branches use different columns of it, and filter it apart
    out = [
        joined.groupby("label").a.sum(),
        joined[joined.c > 0].s.value_counts(),
        joined.k.max(),
    ]
    plans = optimize_many([o.expr for o in out], fuse=False)
    kinds = {type(n).__name__ for p in plans for n in walk(p)}
    joins = [k for k in kinds if "Join" in k or "Merge" in k]
    assert joins
    for kind in joins:
        assert _count(plans, kind) == 1, kind
    assert len(_readers(*out)) == 1
    pj = DATA[DATA.k > 15].merge(
        pd.DataFrame({"b": range(7), "label": list("abcdefg")}), on="b"
    )
    want = [
        pj.groupby("label").a.sum(),
        pj[pj.c > 0].s.value_counts(),
        pj.k.max(),
    ]
    got = partframe.compute(*out, scheduler="sync")
    assert_eq(got[0], want[0])
    assert_eq(got[1].sort_index(), want[1].sort_index())
    assert got[2] == want[2]


def test_pass_is_a_no_op_without_shared_sources(source):
    x = source(["k", "a"])
    plan = optimize(x.a.sum().expr, fuse=False)
    assert share_reads(plan) is plan


def test_a_sub_plan_used_twice_in_one_plan_stays_one_node(source):
    # q15's shape: a grouped result used by its own max and by a join
    x = source(["k", "a", "b", "c"])
    rev = x[x.k > 15].groupby("b").a.sum().reset_index()
    best = rev[rev.a == rev.a.max()]
    out = source(["b", "c", "k"]).merge(best, on="b")
    plan = optimize(out.expr, fuse=False)
    kinds = collections.Counter(type(n).__name__ for n in walk(plan))
    # one grouped aggregation, used by the max and by the join; one reader
    assert kinds["GroupByChunk"] == 1 and kinds["GroupByTree"] == 1
    assert sum(v for k, v in kinds.items() if "Merge" in k or "Join" in k) == 1
    assert len(_readers(out)) == 1
    pr = DATA[DATA.k > 15].groupby("b").a.sum().reset_index()
    want = DATA[["b", "c", "k"]].merge(pr[pr.a == pr.a.max()], on="b")
    assert_eq(out, want, check_index=False, sort_results=True)
    assert_eq(
        out.compute(optimize_graph=False), want, check_index=False, sort_results=True
    )
