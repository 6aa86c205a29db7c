"""to_parquet / to_csv: the output commit protocol, fault injection, races."""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from frames import PARTITIONINGS, variant
from leftovers import assert_only

import partframe
from partframe.io.parquet import SchemaMismatchError
from partframe.testing import assert_eq


def _pdf(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.arange(n),
            "g": [f"k{i % 3}" for i in range(n)],
            "n": pd.array([None if i % 4 == 0 else i for i in range(n)], dtype="Int64"),
        }
    )


def snapshot(root) -> dict:
    """Every file under ``root`` (hidden ones too) with its bytes."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def _boom(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) and df.x.iloc[0] >= 20:
        raise RuntimeError("injected failure")
    return df


def _die(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) and df.x.iloc[0] >= 20:
        os._exit(3)
    return df


def test_round_trip_and_success_marker(tmp_path):
    pdf = _pdf()
    path = str(tmp_path / "out")
    assert partframe.from_pandas(pdf, npartitions=4).to_parquet(path) is None
    assert sorted(os.listdir(path)) == ["_SUCCESS"] + [
        f"part.{i}.parquet" for i in range(4)
    ]
    assert_eq(partframe.read_parquet(path), pdf)
    pd.testing.assert_frame_equal(pd.read_parquet(path), pdf)
    # nothing is left next to the destination
    assert_only(tmp_path, ["out"])


def test_non_empty_destination_is_refused(tmp_path):
    path = tmp_path / "out"
    path.mkdir()
    (path / "keep.txt").write_text("x")
    df = partframe.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        df.to_parquet(str(path))
    assert snapshot(path) == {"keep.txt": b"x"}


def test_overwrite_replaces_and_can_read_itself(tmp_path):
    path = str(tmp_path / "out")
    partframe.from_pandas(_pdf(), npartitions=4).to_parquet(path)
    df = partframe.read_parquet(path)
    doubled = df.assign(x=df.x * 2)
    doubled.to_parquet(path, overwrite=True)
    expected = _pdf().assign(x=lambda d: d.x * 2)
    assert_eq(partframe.read_parquet(path), expected)
    assert_only(tmp_path, ["out"])


@pytest.mark.parametrize("overwrite", [False, True])
def test_exception_leaves_destination_unchanged(tmp_path, overwrite):
    path = str(tmp_path / "out")
    if overwrite:
        partframe.from_pandas(_pdf(10), npartitions=2).to_parquet(path)
    before = snapshot(tmp_path)
    df = partframe.from_pandas(_pdf(), npartitions=4).map_partitions(_boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        df.to_parquet(path, overwrite=overwrite, scheduler="threads")
    assert snapshot(tmp_path) == before  # byte for byte, and no staging left


def test_killed_worker_leaves_destination_unchanged(tmp_path):
    path = str(tmp_path / "out")
    partframe.from_pandas(_pdf(10), npartitions=2).to_parquet(path)
    before = snapshot(path)
    df = partframe.from_pandas(_pdf(), npartitions=4).map_partitions(_die)
    with pytest.raises(Exception, match=r"(?i)died|exit|worker"):
        df.to_parquet(path, overwrite=True, scheduler="processes")
    assert snapshot(path) == before
    assert_only(tmp_path, ["out"])


def test_lazy_write_and_task_run_twice(tmp_path):
    path = str(tmp_path / "out")
    df = partframe.from_pandas(_pdf(), npartitions=3)
    lazy = df.to_parquet(path, compute=False)
    assert isinstance(lazy, partframe.Scalar)
    assert not os.path.exists(path)
    # run every write task twice (as a retried task would), then commit
    graph = lazy.__dask_graph__()
    keys = lazy.__dask_keys__()
    partframe.get(graph, keys, scheduler="sync")
    files = sorted(os.listdir(path))
    assert files == ["_SUCCESS", "part.0.parquet", "part.1.parquet", "part.2.parquet"]
    assert_eq(partframe.read_parquet(path), _pdf())


def test_write_kernel_is_idempotent(tmp_path):
    import fsspec

    from partframe.io.commit import new_job
    from partframe.kernels.write import write_parquet_partition

    job = new_job(fsspec.filesystem("file"), str(tmp_path / "o"), False, False)
    for _ in range(2):
        write_parquet_partition(_pdf(), "part.0.parquet", job, [], False, None, {})
    assert sorted(os.listdir(job.staging)) == ["_pf_owner", "part.0.parquet"]


def test_concurrent_writers_never_both_succeed(tmp_path):
    path = str(tmp_path / "out")
    a = partframe.from_pandas(_pdf(), npartitions=4)
    b = partframe.from_pandas(_pdf().assign(x=-1), npartitions=3)
    lazies = [a.to_parquet(path, compute=False), b.to_parquet(path, compute=False)]
    errors: list = []
    barrier = threading.Barrier(2)

    def run(lazy):
        barrier.wait()
        try:
            lazy.compute(scheduler="sync")
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(x,)) for x in lazies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1 and isinstance(errors[0], FileExistsError)
    got = pd.read_parquet(path)
    assert len(got) == 40 and got.x.nunique() in (1, 40)  # one writer's data only


def test_append_checks_schema_and_adds(tmp_path):
    path = str(tmp_path / "out")
    partframe.from_pandas(_pdf(), npartitions=2).to_parquet(path)
    before = snapshot(path)
    bad = _pdf().assign(x=lambda d: d.x.astype(float), extra=1).drop(columns="g")
    with pytest.raises(SchemaMismatchError) as info:
        partframe.from_pandas(bad, npartitions=2).to_parquet(path, append=True)
    msg = str(info.value)
    assert "'x'" in msg and "'g'" in msg and "'extra'" in msg
    assert snapshot(path) == before
    more = _pdf(8).assign(x=lambda d: d.x + 100)
    partframe.from_pandas(more, npartitions=2).to_parquet(path, append=True)
    assert "part.3.parquet" in os.listdir(path)
    got = partframe.read_parquet(path).compute()
    assert sorted(got.x) == sorted([*range(40), *range(100, 108)])


def test_partition_on_and_name_function(tmp_path):
    path = str(tmp_path / "hive")
    pdf = _pdf()
    partframe.from_pandas(pdf, npartitions=2).to_parquet(
        path, partition_on="g", name_function=lambda i: f"chunk-{i}.parquet"
    )
    assert sorted(os.listdir(path)) == ["_SUCCESS", "g=k0", "g=k1", "g=k2"]
    assert sorted(os.listdir(os.path.join(path, "g=k1"))) == [
        "chunk-0.parquet",
        "chunk-1.parquet",
    ]
    got = partframe.read_parquet(path).compute()
    expected = pd.read_parquet(path)
    pd.testing.assert_frame_equal(
        got.sort_values("x").reset_index(drop=True),
        expected.sort_values("x").reset_index(drop=True),
    )
    assert sorted(got.x) == list(range(40))


def test_to_csv_pattern_and_single_file(tmp_path):
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=3)
    written = df.to_csv(str(tmp_path / "csv" / "part-*.csv"), index=False)
    assert [os.path.basename(p) for p in written] == [f"part-{i}.csv" for i in range(3)]
    back = partframe.read_csv(str(tmp_path / "csv" / "part-*.csv"))
    pd.testing.assert_frame_equal(
        back.compute().reset_index(drop=True),
        pd.read_csv(written[0]).pipe(
            lambda _: pd.concat([pd.read_csv(p) for p in written], ignore_index=True)
        ),
    )
    single = str(tmp_path / "all.csv")
    df.to_csv(single, single_file=True, index=False)
    pd.testing.assert_frame_equal(
        pd.read_csv(single), pdf.assign(n=pdf.n.astype("float64"))
    )
    with pytest.raises(FileExistsError):
        df.to_csv(single, single_file=True)
    df.x.to_frame().to_csv(single, single_file=True, overwrite=True, index=False)
    assert pd.read_csv(single).columns.tolist() == ["x"]


def test_to_csv_failure_leaves_destination_unchanged(tmp_path):
    single = tmp_path / "all.csv"
    single.write_text("old\n")
    before = snapshot(tmp_path)
    df = partframe.from_pandas(_pdf(), npartitions=4).map_partitions(_boom)
    with pytest.raises(RuntimeError):
        df.to_csv(str(single), single_file=True, overwrite=True)
    assert snapshot(tmp_path) == before


def test_memory_filesystem_write():
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=2)
    df.to_parquet("memory://w/out")
    with pytest.raises(FileExistsError):
        df.to_parquet("memory://w/out")
    df.to_parquet("memory://w/out", overwrite=True)
    assert_eq(partframe.read_parquet("memory://w/out"), pdf)


def _encodings(path):
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    out = {}
    for j in range(meta.num_columns):
        col = meta.row_group(0).column(j)
        out[col.path_in_schema] = set(col.encodings)
    return out


def test_dictionary_encoding_only_where_it_fits(tmp_path):
    rng = np.random.default_rng(0)
    n = 50_000
    pdf = pd.DataFrame(
        {
            "unique": rng.random(n),  # a dictionary would overflow its page
            "few": rng.integers(0, 50, n).astype("float64"),
            "ids": np.arange(n),
            "s": pd.array(rng.choice(["a", "b", None], n), dtype="str"),
            "t": pd.date_range("2020", periods=n, freq="s"),
        }
    )
    df = partframe.from_pandas(pdf, npartitions=2)
    df.to_parquet(str(tmp_path / "out"), write_index=False)
    files = sorted(p for p in os.listdir(tmp_path / "out") if p.endswith(".parquet"))
    enc = _encodings(str(tmp_path / "out" / files[0]))
    dictionary = {c for c, e in enc.items() if any("DICTIONARY" in x for x in e)}
    assert dictionary == {"few", "s"}
    assert_eq(partframe.read_parquet(str(tmp_path / "out")), pdf, check_index=False)
    # the user's choice wins
    df.to_parquet(str(tmp_path / "all"), write_index=False, use_dictionary=True)
    enc = _encodings(str(tmp_path / "all" / files[0]))
    assert all(any("DICTIONARY" in x for x in e) for e in enc.values())


# -- to_csv arguments (Dask's conformance tests, issue 13) ------------------------


@pytest.mark.parametrize("header", [True, False, ["aa", "bb", "cc"]])
@pytest.mark.parametrize("first_only", [None, False, True])
@pytest.mark.parametrize("nparts", [1, 3, 50])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_to_csv_header_in_each_file(tmp_path, header, first_only, nparts, scheduler):
    """Each file is pandas' to_csv of its partition, with the header (or the
    aliases) in the first file only when header_first_partition_only."""
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=nparts)
    written = df.to_csv(
        str(tmp_path / "p-*.csv"),
        index=False,
        header=header,
        header_first_partition_only=first_only,
        compute_kwargs={"scheduler": scheduler},
    )
    assert len(written) == df.npartitions
    for i in range(df.npartitions):
        path = tmp_path / f"p-{i}.csv"
        part = df.partitions[i].compute()
        want = header if i == 0 or not first_only else False
        with open(path) as f:
            assert f.read() == part.to_csv(index=False, header=want)


def test_to_csv_single_file_writes_the_aliases_once(tmp_path):
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=3)
    single = str(tmp_path / "all.csv")
    df.to_csv(single, single_file=True, index=False, header=["aa", "bb", "cc"])
    with open(single) as f:
        assert f.read() == pdf.to_csv(index=False, header=["aa", "bb", "cc"])


def _counting_get(calls):
    def get(graph, keys, **kwargs):
        calls.append(len(graph))
        return partframe.get(graph, keys, scheduler="sync")

    return get


@pytest.mark.parametrize("writer", ["csv", "parquet"])
def test_writers_take_compute_kwargs(tmp_path, writer):
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=3)
    calls: list = []
    path = str(tmp_path / "out")
    write = getattr(df, f"to_{writer}")
    options = {"index": False} if writer == "csv" else {}
    write(path, compute_kwargs={"scheduler": _counting_get(calls)}, **options)
    assert len(calls) == 1
    read = getattr(partframe, f"read_{writer}")
    got = read(path).compute().reset_index(drop=True)
    expected = pdf if writer == "parquet" else pdf.astype({"n": "float64"})
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"single_file": True, "name_function": str},
            ValueError,
            r"name_function is not supported under the single file mode.*"
            r"single_file=False",
        ),
        (
            {"single_file": True, "header_first_partition_only": False},
            ValueError,
            r"header_first_partition_only cannot be False in the single file "
            r"mode.*single_file=False",
        ),
        (
            {"scheduler": "sync", "compute_kwargs": {"scheduler": "threads"}},
            ValueError,
            r"scheduler is given twice",
        ),
        ({"bogus": 1}, TypeError, r"bogus"),
        ({"header": ["only-one"]}, ValueError, r"alias"),
    ],
)
@pytest.mark.parametrize("compute", [True, False])
def test_to_csv_bad_arguments_write_nothing(tmp_path, kwargs, error, match, compute):
    """Raised when the write is planned, before any file or staging folder
    exists (a keyword pandas' to_csv does not take included)."""
    df = partframe.from_pandas(_pdf(), npartitions=3)
    with pytest.raises(error, match=match):
        df.to_csv(str(tmp_path / "out.csv"), compute=compute, **kwargs)
    assert os.listdir(tmp_path) == []


def test_to_parquet_scheduler_given_twice(tmp_path):
    df = partframe.from_pandas(_pdf(), npartitions=3)
    with pytest.raises(ValueError, match="scheduler is given twice"):
        df.to_parquet(
            str(tmp_path / "o"), scheduler="sync", compute_kwargs={"scheduler": "sync"}
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_lazy_write_writes_nothing_until_computed(tmp_path, scheduler):
    """compute=False plans the write: nothing (no file, no staging folder, no
    lock) exists until the returned Scalar is computed."""
    pdf = _pdf().rename_axis("index")
    df = partframe.from_pandas(pdf, npartitions=2)
    lazies = [
        df.to_parquet(str(tmp_path / "pq"), compute=False),
        df.to_csv(str(tmp_path / "csv"), compute=False),
    ]
    assert os.listdir(tmp_path) == []
    partframe.compute(*lazies, scheduler=scheduler)
    assert sorted(os.listdir(tmp_path)) == ["csv", "pq"]
    assert_eq(partframe.read_parquet(str(tmp_path / "pq")), pdf)
    back = partframe.read_csv(str(tmp_path / "csv"), index_col="index")
    assert_eq(back, pdf.astype({"n": "float64"}), check_divisions=False)


def test_write_and_append_with_a_filesystem_instance(tmp_path):
    """filesystem= (an fsspec instance, not the path's scheme) is where
    to_parquet writes, appends and reads: nothing lands on the local disk."""
    from fsspec.implementations.memory import MemoryFileSystem

    fs = MemoryFileSystem(use_instance_cache=False)
    key = str(tmp_path / "w")  # a local-looking path on the memory filesystem
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=2)
    df.to_parquet(key, filesystem=fs, write_index=False)
    df.to_parquet(key, append=True, filesystem=fs, write_index=False)
    assert os.listdir(tmp_path) == []
    names = sorted(p.rsplit("/", 1)[1] for p in fs.ls(key, detail=False))
    assert names == ["_SUCCESS"] + [f"part.{i}.parquet" for i in range(4)]
    got = partframe.read_parquet(key, filesystem=fs)
    expected = pd.concat([pdf, pdf], ignore_index=True)
    pd.testing.assert_frame_equal(got.compute().reset_index(drop=True), expected)


# --- paths, object columns, schema=, names (conformance session 8) ---------------


def _objects(n: int = 24) -> pd.DataFrame:
    """Object columns pyarrow types from their values: dates (None in the
    first rows, so the first partitions say nothing), Decimals, dicts, lists."""
    import datetime
    import decimal

    return pd.DataFrame(
        {
            "x": np.arange(n),
            "d": [None if i < 9 else datetime.date(2020, 1, 1 + i) for i in range(n)],
            "dec": [decimal.Decimal(f"{i}.25") for i in range(n)],
            "s": [{"a": i, "b": f"v{i}"} for i in range(n)],
            "l": [None if i % 5 == 0 else list(range(i % 4)) for i in range(n)],
        },
        index=pd.RangeIndex(n) * 3,
    )


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_object_columns_round_trip_as_pandas(tmp_path, how, scheduler):
    # The meta of an object column says nothing of its values: the Arrow
    # types come from the data, as pandas.to_parquet infers them.
    ddf, expected = variant(_objects(), how)
    ddf.to_parquet(str(tmp_path / "pf"), scheduler=scheduler)
    expected.to_parquet(tmp_path / "pd.parquet")
    by_pandas = pd.read_parquet(tmp_path / "pd.parquet")
    got = partframe.read_parquet(str(tmp_path / "pf"))
    assert_eq(got, by_pandas, check_divisions=False, scheduler=scheduler)
    # every file has the types pandas chose (one schema for the dataset)
    want = pq.read_schema(tmp_path / "pd.parquet")
    for name in os.listdir(tmp_path / "pf"):
        if name.endswith(".parquet"):
            schema = pq.read_schema(tmp_path / "pf" / name)
            for c in ["d", "s", "l"]:
                assert schema.field(c).type == want.field(c).type, (name, c)
            # Decimals: pandas' scale, the widest precision (the largest
            # value of a later partition must fit)
            assert schema.field("dec").type == pa.decimal128(38, 2)


@pytest.mark.parametrize("how", ["1", "3", "empty-parts"])
def test_schema_dict_sets_types(tmp_path, how):
    ddf, expected = variant(_objects(), how)
    types = {"dec": pa.decimal128(6, 2), "l": pa.list_(pa.int32())}
    ddf.to_parquet(str(tmp_path / "pf"), schema=types)
    full = pa.Schema.from_pandas(expected, preserve_index=True)
    for c, t in types.items():
        full = full.set(full.get_field_index(c), pa.field(c, t))
    expected.to_parquet(tmp_path / "pd.parquet", schema=full, index=True)
    got = partframe.read_parquet(str(tmp_path / "pf"))
    assert_eq(got, pd.read_parquet(tmp_path / "pd.parquet"), check_divisions=False)
    schema = pq.read_schema(tmp_path / "pf" / "part.0.parquet")
    assert schema.field("dec").type == pa.decimal128(6, 2)
    assert schema.field("l").type == pa.list_(pa.int32())
    with pytest.raises(KeyError, match="'nope'"):
        ddf.to_parquet(str(tmp_path / "bad"), schema={"nope": pa.int8()})


def test_pyarrow_schema_writes_its_fields_as_pandas(tmp_path):
    pdf = _objects()
    schema = pa.schema([("x", pa.int32()), ("d", pa.date32())])
    ddf = partframe.from_pandas(pdf, npartitions=3)
    ddf.to_parquet(str(tmp_path / "pf"), schema=schema)
    pdf.to_parquet(tmp_path / "pd.parquet", schema=schema)
    got = partframe.read_parquet(str(tmp_path / "pf"))
    assert_eq(got, pd.read_parquet(tmp_path / "pd.parquet"), check_divisions=False)


def test_object_values_that_do_not_fit_the_inferred_type_raise(tmp_path):
    # Types inferred from the first partition: a later float in a list of
    # ints would be truncated by pyarrow without a word. It must raise.
    pdf = pd.DataFrame({"x": range(4), "l": [[1, 2], [3], [4.5], [6]]})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    dest = tmp_path / "out"
    with pytest.raises(ValueError, match=r"column 'l'.*schema=\{'l'"):
        ddf.to_parquet(str(dest))
    assert not dest.exists()
    ddf.to_parquet(str(dest), schema={"l": pa.list_(pa.float64())})
    pdf.to_parquet(tmp_path / "pd.parquet")
    got = partframe.read_parquet(str(dest))
    assert_eq(got, pd.read_parquet(tmp_path / "pd.parquet"), check_divisions=False)


def test_partition_that_contradicts_the_meta_is_refused(tmp_path):
    # A frame whose meta lies (a float column holding text in a partition):
    # the file written is named and nothing lands in the destination.
    first = pd.DataFrame({"x": [1, 2, 3], "y": [4.5, 6.0, 7.0]})
    second = pd.DataFrame({"x": [4, 5, 6], "y": ["a", "b", "c"]})
    parts = [partframe.delayed(first), partframe.delayed(second)]
    ddf = partframe.from_delayed(parts, meta=first, verify_meta=False)
    dest = tmp_path / "out"
    with pytest.raises(pa.ArrowInvalid) as info:
        ddf.to_parquet(str(dest))
    assert "part.1.parquet" in "\n".join(info.value.__notes__)
    assert not dest.exists()


@pytest.mark.parametrize("kind", ["pathlib", "py.path", "list"])
def test_path_objects_are_taken_everywhere(tmp_path, tmpdir, kind):
    # Paths are str or os.PathLike (pathlib.Path, py.path.local), as in pandas.
    base = {"pathlib": tmp_path, "py.path": tmpdir, "list": tmp_path}[kind]
    pdf = _pdf()
    ddf = partframe.from_pandas(pdf, npartitions=3)
    ddf.to_parquet(base / "pq")
    source = [base / "pq"] if kind == "list" else base / "pq"
    assert_eq(partframe.read_parquet(source), pdf, check_divisions=False)
    ddf.to_csv(base / "csv", index=False)
    source = [base / "csv" / "0.part"] if kind == "list" else base / "csv" / "*.part"
    names = ["0.part"] if kind == "list" else ["0.part", "1.part", "2.part"]
    expected = pd.concat([pd.read_csv(tmp_path / "csv" / n) for n in names])
    assert_eq(
        partframe.read_csv(source), expected, check_index=False, check_divisions=False
    )
    with pytest.raises(TypeError, match=r"urlpath= takes a str or an os\.PathLike"):
        partframe.read_csv(3)


def test_name_function_must_be_a_callable_giving_unique_names(tmp_path):
    ddf = partframe.from_pandas(_pdf(), npartitions=2)
    for writer in (ddf.to_parquet, ddf.to_csv):
        with pytest.raises(ValueError, match="``name_function`` must be a callable"):
            writer(str(tmp_path / "out"), name_function="x.parquet")
        with pytest.raises(ValueError, match="partitions 0 and 1 both 'x"):
            writer(str(tmp_path / "out"), name_function=lambda i: "x")
    assert not (tmp_path / "out").exists()


def test_non_string_column_names_are_refused(tmp_path):
    # pyarrow would store 1 as "1" (with only a warning): it would not read
    # back as it was.
    pdf = pd.DataFrame({"x": range(4), 1: range(4)})
    with pytest.raises(ValueError, match=r"non-string column names \[1\]"):
        partframe.from_pandas(pdf, npartitions=2).to_parquet(str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("how", ["1", "3", "empty-parts"])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_to_csv_single_file_modes_as_pandas(tmp_path, how, scheduler):
    # mode= is pandas': "x" refuses an existing file, "w" replaces it, "a"
    # appends to it. The bytes equal those pandas writes for the whole frame.
    ddf, pdf = variant(_pdf(), how)
    ours, theirs = str(tmp_path / "pf.csv"), str(tmp_path / "pd.csv")
    steps = [{"mode": "x"}, {"mode": "w"}, {"mode": "a", "header": False}]
    for kw in steps:
        ddf.to_csv(ours, single_file=True, index=False, scheduler=scheduler, **kw)
        pdf.to_csv(theirs, index=False, **kw)
        with open(ours, "rb") as a, open(theirs, "rb") as b:
            assert a.read() == b.read(), kw
        with pytest.raises(FileExistsError):
            ddf.to_csv(ours, single_file=True, mode="x")
        with pytest.raises(FileExistsError):
            pdf.to_csv(theirs, mode="x")
    assert sorted(os.listdir(tmp_path)) == ["pd.csv", "pf.csv"]


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_to_csv_pattern_adds_files_to_a_folder(tmp_path, scheduler):
    # A "*" pattern (or a mode=) writes files by name into a folder that
    # holds others, as pandas writes each file; the others are kept.
    pdf = _pdf(12)
    ddf = partframe.from_pandas(pdf, npartitions=3)
    (tmp_path / "keep.txt").write_text("keep")
    pattern = str(tmp_path / "data_*.csv")
    ddf.to_csv(pattern, index=False, scheduler=scheduler)
    parts = [ddf.get_partition(i).compute() for i in range(3)]

    def expect(each):
        for i, part in enumerate(parts):
            got = (tmp_path / f"data_{i}.csv").read_text()
            assert got == "".join(p.to_csv(index=False, **kw) for p, kw in each(part))

    expect(lambda p: [(p, {})])
    with pytest.raises(FileExistsError, match=r"data_0\.csv"):
        ddf.to_csv(pattern, index=False)
    ddf.to_csv(pattern, index=False, mode="w", scheduler=scheduler)
    expect(lambda p: [(p, {})])
    ddf.to_csv(pattern, index=False, mode="a", header=False, scheduler=scheduler)
    expect(lambda p: [(p, {}), (p, {"header": False})])
    assert (tmp_path / "keep.txt").read_text() == "keep"
    assert not (tmp_path / "_SUCCESS").exists()
    # overwrite=True replaces the folder: not while it holds other files
    with pytest.raises(FileExistsError, match=r"keep\.txt"):
        ddf.to_csv(pattern, index=False, overwrite=True)
    (tmp_path / "keep.txt").unlink()
    partframe.from_pandas(pdf, npartitions=2).to_csv(
        pattern, index=False, overwrite=True, scheduler=scheduler
    )
    assert sorted(os.listdir(tmp_path)) == ["_SUCCESS", "data_0.csv", "data_1.csv"]
    expected = pd.concat([pd.read_csv(tmp_path / f"data_{i}.csv") for i in (0, 1)])
    assert_eq(partframe.read_csv(pattern), expected, check_index=False)


def test_to_csv_failed_append_leaves_the_files(tmp_path):
    pdf = _pdf()
    ddf = partframe.from_pandas(pdf, npartitions=4)
    pattern = str(tmp_path / "p-*.csv")
    ddf.to_csv(pattern, index=False)
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="injected"):
        ddf.map_partitions(_boom, meta=pdf).to_csv(pattern, mode="a", header=False)
    assert snapshot(tmp_path) == before


def test_to_csv_mode_errors_name_the_argument(tmp_path):
    ddf = partframe.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(ValueError, match="mode= takes"):
        ddf.to_csv(str(tmp_path / "o-*.csv"), mode="r")
    with pytest.raises(ValueError, match="overwrite=True replaces"):
        ddf.to_csv(str(tmp_path / "o-*.csv"), mode="a", overwrite=True)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("writer", ["parquet", "csv", "csv-pattern"])
@pytest.mark.parametrize("target", [".", "./", "..", "sub/.."])
def test_overwrite_never_replaces_the_working_folder(
    tmp_path, monkeypatch, writer, target
):
    # overwrite=True replaces the destination whole: the working folder (or
    # one holding it) has files the path does not name.
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    ddf = partframe.from_pandas(_pdf(), npartitions=3)
    with pytest.raises(ValueError, match="current working folder"):
        if writer == "parquet":
            ddf.to_parquet(target, overwrite=True)
        else:
            path = target + "/*.csv" if writer == "csv-pattern" else target
            ddf.to_csv(path, overwrite=True)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("writer", ["parquet", "csv"])
@pytest.mark.parametrize("which", ["home", "root"])
def test_overwrite_never_replaces_the_home_folder_or_a_root(
    tmp_path, monkeypatch, writer, which
):
    home = tmp_path / "home"
    (home / "docs").mkdir(parents=True)
    (home / "docs" / "keep.txt").write_text("keep")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    target = {"home": str(home), "root": "/"}[which]
    ddf = partframe.from_pandas(_pdf(), npartitions=3)
    match = {"home": "home folder", "root": "root|working folder"}[which]
    with pytest.raises(ValueError, match=match):
        if writer == "parquet":
            ddf.to_parquet(target, overwrite=True)
        else:
            ddf.to_csv(target, overwrite=True)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("writer", ["parquet", "csv-pattern"])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_write_into_an_empty_working_folder_keeps_it(
    tmp_path, monkeypatch, writer, scheduler
):
    # An existing empty destination is kept and the files move into it (it
    # was removed and replaced, which fails for the working folder and
    # would leave the user's shell in a deleted folder).
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    inode = os.stat(work).st_ino
    pdf = _pdf()
    ddf = partframe.from_pandas(pdf, npartitions=3)
    if writer == "parquet":
        ddf.to_parquet(".", scheduler=scheduler)
        assert_eq(partframe.read_parquet("."), pdf, check_divisions=False)
    else:
        paths = ddf.to_csv("foo*.csv", scheduler=scheduler)
        assert [os.path.basename(p) for p in paths] == [f"foo{i}.csv" for i in range(3)]
        got = pd.concat(pd.read_csv(p, index_col=0) for p in sorted(paths))
        pdf.to_csv(tmp_path / "pandas.csv")
        want = pd.read_csv(tmp_path / "pandas.csv", index_col=0)
        pd.testing.assert_frame_equal(got, want)
    assert os.stat(work).st_ino == inode
    assert os.getcwd() == str(work)


def test_parquet_engine_as_pandas(tmp_path):
    # pandas' engine=: "auto" and "pyarrow" are what partframe uses; any
    # other is refused before anything is read or written.
    pdf = _pdf()
    for engine in ("auto", "pyarrow"):
        path = str(tmp_path / engine)
        partframe.from_pandas(pdf, npartitions=3).to_parquet(path, engine=engine)
        got = partframe.read_parquet(path, engine=engine)
        assert_eq(got, pd.read_parquet(path, engine="pyarrow"), check_divisions=False)
    with pytest.raises(NotImplementedError, match="engine='fastparquet'"):
        partframe.from_pandas(pdf, npartitions=3).to_parquet(
            str(tmp_path / "fp"), engine="fastparquet"
        )
    with pytest.raises(NotImplementedError, match="engine='fastparquet'"):
        partframe.read_parquet(str(tmp_path / "auto"), engine="fastparquet")
    assert not (tmp_path / "fp").exists()


def test_overwrite_with_fewer_partitions_leaves_only_the_new_files(tmp_path):
    path = tmp_path / "out"
    pdf = _pdf()
    partframe.from_pandas(pdf, npartitions=5).to_parquet(str(path))
    partframe.from_pandas(pdf, npartitions=3).to_parquet(str(path), overwrite=True)
    names = ["_SUCCESS", "part.0.parquet", "part.1.parquet", "part.2.parquet"]
    assert sorted(os.listdir(path)) == names
    assert_eq(partframe.read_parquet(str(path)), pdf, check_divisions=False)


def test_read_a_list_of_the_written_files_with_index(tmp_path):
    # The data files of a written folder (not its _SUCCESS marker), given
    # as a list, read as the folder does, with index= and divisions.
    pdf = _pdf().set_index("x")
    path = tmp_path / "out"
    partframe.from_pandas(pdf, npartitions=3).to_parquet(str(path))
    files = sorted(str(p) for p in path.glob("part.*.parquet"))
    got = partframe.read_parquet(files, index="x", calculate_divisions=True)
    assert got.divisions == partframe.from_pandas(pdf, npartitions=3).divisions
    assert_eq(got, pdf)


@pytest.mark.parametrize("how", ["1", "3"])
def test_append_to_a_pandas_dataset_with_text_categories(tmp_path, how):
    # pandas stores text as string or large_string (in a dictionary for a
    # categorical), as its writer chose; both read as the same dtype, so an
    # append must not call them different.
    path = tmp_path / "ds"
    path.mkdir()
    first = pd.DataFrame({"x": pd.Categorical(["a", "b", "a"]), "y": [1, 2, 3]})
    first.to_parquet(path / "part.0.parquet")
    more, _ = variant(
        pd.DataFrame({"x": pd.Categorical(["b", "a", "b", "b"]), "y": [4, 5, 6, 7]}),
        how,
    )
    more.to_parquet(str(path), append=True, write_index=False)
    got = partframe.read_parquet(str(path)).compute()
    expected = pd.read_parquet(path)
    pd.testing.assert_frame_equal(
        got.sort_values("y").reset_index(drop=True),
        expected.sort_values("y").reset_index(drop=True),
    )
    assert sorted(got.y) == [1, 2, 3, 4, 5, 6, 7]


def test_to_parquet_unknown_keyword_is_refused_before_writing(tmp_path):
    ddf = partframe.from_pandas(_pdf(), npartitions=2)
    path = tmp_path / "out"
    with pytest.raises(TypeError, match="'write_metadata_file'"):
        ddf.to_parquet(str(path), write_metadata_file=True)
    assert not path.exists()
    ddf.to_parquet(str(path), row_group_size=5, data_page_size=1 << 16)
    assert pq.ParquetFile(path / "part.0.parquet").metadata.num_row_groups == 4
