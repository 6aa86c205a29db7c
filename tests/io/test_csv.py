"""read_csv: compared with pandas.read_csv on the same files."""

from __future__ import annotations

import atexit
import gzip
import io
import os
import shutil
import tempfile

import fsspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe
from partframe.io.csv import ReadCSV
from partframe.kernels.csv_meta import CSVDtypeError
from partframe.testing import assert_eq


def _read(df):
    return df.compute(scheduler="sync").reset_index(drop=True)


def _check(path, blocksizes=(None, 1, 7, 64, 1000), **kwargs):
    expected = pd.read_csv(path, **kwargs)
    if kwargs.get("index_col") is None:
        expected = expected.reset_index(drop=True)
    for bs in blocksizes:
        got = partframe.read_csv(path, blocksize=bs, **kwargs)
        assert got.dtypes.equals(expected.dtypes)
        res = got.compute(scheduler="sync")
        if kwargs.get("index_col") is None:
            res = res.reset_index(drop=True)
        pd.testing.assert_frame_equal(res, expected)


@pytest.fixture
def csvfile(tmp_path):
    pdf = pd.DataFrame(
        {
            "i": np.arange(200),
            "f": np.linspace(0, 1, 200).round(4),
            "s": [
                f'he said "x{k}",\nok' if k % 3 == 0 else f"v{k}" for k in range(200)
            ],
            "d": pd.date_range("2024-01-01", periods=200, freq="D").astype(str),
        }
    )
    path = str(tmp_path / "a.csv")
    pdf.to_csv(path, index=False)
    return path


def test_quoted_newlines_every_blocksize(csvfile):
    _check(csvfile)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"usecols": ["i", "s"]},
        {"dtype": {"i": "float64"}},
        {"parse_dates": ["d"]},
        {"names": ["a", "b", "c", "e"], "header": 0},
        {"skiprows": 3, "header": None},
        {"na_values": ["v5", "v7"]},
        {"index_col": "i"},
        {"index_col": "s"},  # text labels, repeated, with quoted newlines
        {"index_col": ["d", "i"]},
        {"index_col": 0},
    ],
)
def test_pandas_options(csvfile, kwargs):
    _check(csvfile, blocksizes=(None, 50, 997), **kwargs)


def test_sep_encoding_bad_lines(tmp_path):
    path = str(tmp_path / "b.csv")
    text = "x;name\n1;caf\xe9\n2;b;extra\n3;c\n" * 20
    with open(path, "wb") as f:
        f.write(text.encode("latin-1"))
    _check(
        path,
        blocksizes=(None, 13, 40),
        sep=";",
        encoding="latin-1",
        on_bad_lines="skip",
    )


def test_compressed_files_are_one_block_each(tmp_path):
    for k in range(2):
        with gzip.open(tmp_path / f"p{k}.csv.gz", "wt") as f:
            f.write("x,y\n" + "".join(f"{i},{i * k}\n" for i in range(50)))
    df = partframe.read_csv(str(tmp_path / "*.csv.gz"), blocksize=10)
    assert df.npartitions == 2
    expected = pd.concat(
        [pd.read_csv(tmp_path / f"p{k}.csv.gz") for k in range(2)], ignore_index=True
    )
    pd.testing.assert_frame_equal(_read(df), expected)


def test_glob_and_include_path_column(tmp_path):
    for k in range(3):
        (tmp_path / f"f{k}.csv").write_text("a,b\n" + f"{k},x\n{k},y\n")
    df = partframe.read_csv(str(tmp_path / "f*.csv"), include_path_column=True)
    got = _read(df)
    assert got.a.tolist() == [0, 0, 1, 1, 2, 2]
    assert isinstance(got.path.dtype, pd.CategoricalDtype)
    assert got.path.iloc[0].endswith("f0.csv") and got.path.iloc[-1].endswith("f2.csv")
    named = partframe.read_csv(str(tmp_path / "f*.csv"), include_path_column="src")
    assert "src" in named.columns
    assert _read(named[named.a > 0].src).str.endswith(".csv").all()


def test_dtype_mismatch_names_column_file_and_fix(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(2000)) + "1.5,x\n")
    df = partframe.read_csv(str(path), blocksize=4000, sample=1000)
    assert df.a.dtype == "int64"
    with pytest.raises(CSVDtypeError) as info:
        df.compute(scheduler="sync")
    msg = str(info.value)
    assert "'a' (float64, sampled as int64)" in msg and "'b' (str" in msg
    # every column that differs is named at once, with one dtype= for all
    assert "m.csv" in msg and "bytes" in msg
    assert "dtype={'a': 'float64', 'b': 'str'}" in msg
    fixed = partframe.read_csv(
        str(path), blocksize=4000, sample=1000, dtype={"a": "float64", "b": "str"}
    )
    pd.testing.assert_frame_equal(
        _read(fixed), pd.read_csv(path, dtype={"a": "float64", "b": "str"})
    )


def test_safe_differences_are_cast(tmp_path):
    # ints then floats in a float column; numbers then text in a text column
    path = tmp_path / "c.csv"
    rows = [f"{i},{i}" for i in range(300)] + ["0.5,abc"]
    path.write_text("a,b\n1.5,x\n" + "\n".join(rows) + "\n")
    _check(str(path), blocksizes=(None, 100, 1000))


def test_header_only_file_does_not_decide_dtypes(tmp_path):
    (tmp_path / "0.csv").write_text("a,b\n")
    (tmp_path / "1.csv").write_text("")
    (tmp_path / "2.csv").write_text("a,b\n1,2.5\n3,4.5\n")
    df = partframe.read_csv(str(tmp_path / "*.csv"))
    assert df.a.dtype == "int64" and df.b.dtype == "float64"
    got = _read(df)
    assert got.a.tolist() == [1, 3]


def test_bom_never_in_column_names(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y\n1,2\n3,4\n5,6\n")
    df = partframe.read_csv(str(path), blocksize=5)
    assert list(df.columns) == ["x", "y"]
    _check(str(path), blocksizes=(None, 1, 5))
    _check(str(path), blocksizes=(None, 5), header=None)


def test_different_columns_error_lists_the_difference(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    with pytest.raises(ValueError, match=r"b\.csv.*missing: \['y'\], extra: \['z'\]"):
        partframe.read_csv(str(tmp_path / "*.csv"))


def test_usecols_pushdown(csvfile):
    df = partframe.read_csv(csvfile, blocksize=1000)
    q = df[df.i > 10].f
    from partframe.expr.base import walk
    from partframe.expr.optimize.fuse import Fused

    readers = [
        m
        for n in walk(q._optimized)
        for m in ([n, *n.members] if isinstance(n, Fused) else [n])
        if isinstance(m, ReadCSV)
    ]
    assert readers and all(r.columns == ["i", "f"] for r in readers)
    pdf = pd.read_csv(csvfile)
    pd.testing.assert_series_equal(
        q.compute().reset_index(drop=True), pdf[pdf.i > 10].f.reset_index(drop=True)
    )
    assert len(df) == len(pdf)


def test_memory_filesystem(csvfile):
    fs = fsspec.filesystem("memory")
    with open(csvfile, "rb") as f:
        fs.pipe("/csvmem/a.csv", f.read())
    _check("memory://csvmem/a.csv", blocksizes=(None, 100))


@pytest.mark.parametrize("where", ["memory", "local"])
def test_records_longer_than_the_read_ahead(tmp_path, where):
    # a quoted field with newlines, far longer than a block and than the
    # bytes read past a block's end to finish its last record
    long = "line\n" * 40_000
    pdf = pd.DataFrame({"i": range(6), "s": ["a", long, "b", "c", long, "d"]})
    text = pdf.to_csv(index=False).encode()
    if where == "memory":
        fsspec.filesystem("memory").pipe("/csvlong/a.csv", text)
        path = "memory://csvlong/a.csv"
    else:
        path = str(tmp_path / "a.csv")
        with open(path, "wb") as f:
            f.write(text)
    for bs in (1000, 70_000, 150_000):
        got = _read(partframe.read_csv(path, blocksize=bs))
        pd.testing.assert_frame_equal(got, pdf)


def test_unsupported_option():
    with pytest.raises(ValueError, match="nrows"):
        partframe.read_csv("memory://x.csv", nrows=3)


# -- property: any blocksize equals pandas -----------------------------------

_LOCAL_DIR = tempfile.mkdtemp(prefix="partframe-csv-")
atexit.register(shutil.rmtree, _LOCAL_DIR, True)

_text = st.text(
    alphabet=st.sampled_from(list('ab ,"\n\r\xe9x1.')), min_size=0, max_size=8
)
_cell = st.one_of(st.none(), _text, st.integers(-50, 50).map(str))


@st.composite
def _csv_files(draw):
    ncols = draw(st.integers(1, 3))
    nrows = draw(st.integers(0, 12))
    rows = [[draw(_cell) for _ in range(ncols)] for _ in range(nrows)]
    names = [f"c{j}" for j in range(ncols)]
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    text = frame.to_csv(
        index=False, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
    )
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=_csv_files(), blocksize=st.integers(1, 80), local=st.booleans())
def test_property_any_blocksize_equals_pandas(data, blocksize, local):

    fs = fsspec.filesystem("memory")
    fs.pipe("/prop/f.csv", data)
    path = "memory://prop/f.csv"
    if local:  # local files are mapped, others read by byte range
        path = os.path.join(_LOCAL_DIR, "f.csv")
        with open(path, "wb") as f:
            f.write(data)
    expected = pd.read_csv(io.BytesIO(data)).reset_index(drop=True)
    df = partframe.read_csv(path, blocksize=blocksize)
    try:
        got = df.compute(scheduler="sync").reset_index(drop=True)
    except CSVDtypeError:
        # a sample-inferred dtype that a later block contradicts: the fix is
        # to read those columns as text, which must then match pandas
        dtype = dict.fromkeys(expected.columns, "str")
        expected = pd.read_csv(io.BytesIO(data), dtype=dtype)
        df = partframe.read_csv(path, blocksize=blocksize, dtype=dtype)
        got = df.compute(scheduler="sync").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected.reset_index(drop=True))
        return
    pd.testing.assert_frame_equal(got, expected)


# -- errors keep their type and say the fix (issue 13, item 7) -------------------


@pytest.mark.parametrize("blocksize, sample", [(None, 256_000), (64, 64)])
def test_latin1_without_encoding_names_file_and_fix(tmp_path, blocksize, sample):
    path = tmp_path / "latin1.csv"
    # ASCII first, so that the head parses and a later block fails too
    rows = [f"plain{k},{k}" for k in range(20)] + ["caf\xe9,20", "na\xefve,21"]
    path.write_bytes(("name,v\n" + "\n".join(rows) + "\n").encode("latin-1"))
    with pytest.raises(UnicodeDecodeError) as info:  # pandas' own error, intact
        df = partframe.read_csv(str(path), blocksize=blocksize, sample=sample)
        df.compute(scheduler="sync")
    notes = "\n".join(info.value.__notes__)
    assert "latin1.csv" in notes and "encoding='latin-1'" in notes
    # with a small sample, the head is ASCII: a later block fails
    assert ("bytes " in notes) == (blocksize is not None)
    assert info.value.encoding == "utf-8"
    expected = pd.read_csv(path, encoding="latin-1")
    got = partframe.read_csv(str(path), blocksize=blocksize, encoding="latin-1")
    pd.testing.assert_frame_equal(_read(got), expected)


def test_latin1_head_names_file(tmp_path):
    path = tmp_path / "head.csv"
    path.write_bytes("name,v\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(UnicodeDecodeError) as info:
        partframe.read_csv(str(path))
    notes = "\n".join(info.value.__notes__)
    assert "head.csv" in notes and "encoding=" in notes


# -- small samples (issue 13: read_csv(sample=0) hung) ---------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sample", [0, False, 1, 5, 12, 20, 10_000])
@pytest.mark.parametrize("header", [0, None])
def test_small_sample_reads_a_whole_record(tmp_path, sample, header):
    path = tmp_path / "s.csv"
    pdf = pd.DataFrame({"a": range(300), "b": np.arange(300) * 0.5, "c": "x"})
    pdf.to_csv(path, index=False, header=header == 0)
    expected = pd.read_csv(path, header=header)
    for blocksize in (None, 700):
        got = partframe.read_csv(
            str(path), blocksize=blocksize, sample=sample, header=header
        )
        # the dtypes come from at least one data record, never the header alone
        assert got.dtypes.equals(expected.dtypes)
        pd.testing.assert_frame_equal(_read(got), expected)


@pytest.mark.parametrize("sample", [-1, 1.5, "1kB"])
def test_bad_sample_raises(tmp_path, sample):
    path = tmp_path / "s.csv"
    path.write_text("a\n1\n")
    with pytest.raises(ValueError, match="sample must be a number of bytes"):
        partframe.read_csv(str(path), sample=sample)


# -- conformance with Dask's read_csv tests (issue 13) ----------------------------


def _files(root, texts):
    """Write ``texts`` as ``0.csv``, ``1.csv``...; return the glob and the
    frame pandas reads from their concatenation (the header once)."""
    for k, text in enumerate(texts):
        (root / f"{k}.csv").write_text(text)
    header = next(t.split("\n", 1)[0] for t in texts if t)
    body = "".join(t.split("\n", 1)[1] for t in texts if t)
    return str(root / "*.csv"), header + "\n" + body


_FRUIT = [
    "fruit,count\napple,10\napple,25\npear,100\norange,15\n",
    "fruit,count\napple,200\nbanana,300\norange,400\nbanana,10\n",
]


@pytest.mark.parametrize(
    "dtype",
    [
        {"fruit": "category"},
        {"fruit": pd.CategoricalDtype()},
        {"fruit": pd.CategoricalDtype(ordered=True), "count": "float64"},
        "category",
        {"fruit": pd.CategoricalDtype(["pear", "apple", "kiwi", "orange", "banana"])},
    ],
)
@pytest.mark.parametrize("blocksize", [None, 25, 1000])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_category_dtype_gets_the_categories_of_all_files(
    tmp_path, dtype, blocksize, scheduler
):
    """pandas gives a ``"category"`` column the sorted categories of all its
    values: every block and file of partframe's frame has the same ones, and
    the plan knows them."""
    glob, text = _files(tmp_path, _FRUIT)
    expected = pd.read_csv(io.StringIO(text), dtype=dtype)
    df = partframe.read_csv(glob, dtype=dtype, blocksize=blocksize)
    assert df.dtypes.equals(expected.dtypes)
    got = df.compute(scheduler=scheduler).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    for i in range(df.npartitions):
        part = df.partitions[i].compute(scheduler=scheduler)
        assert part.dtypes.equals(expected.dtypes)


@pytest.mark.parametrize("blocksize", [None, 9, 30])
def test_category_dtype_infers_categories_as_pandas(tmp_path, blocksize):
    """Categories of numbers, booleans (any case) or nothing take pandas'
    types from the values of the whole column, not of one block."""
    glob, text = _files(
        tmp_path,
        [
            "a,b,c,d,e\n,True,1,x,1\n,false,2.5,1,2\n",
            "a,b,c,d,e\n,TRUE,3,2,3\n,,,,4\n",
        ],
    )
    expected = pd.read_csv(io.StringIO(text), dtype="category")
    df = partframe.read_csv(glob, dtype="category", blocksize=blocksize)
    assert df.dtypes.equals(expected.dtypes)
    pd.testing.assert_frame_equal(_read(df), expected)


def test_category_dtype_of_an_index_column_says_the_fix(tmp_path):
    glob, _ = _files(tmp_path, _FRUIT)
    with pytest.raises(NotImplementedError, match=r"\['fruit'\].*set_index"):
        partframe.read_csv(glob, dtype={"fruit": "category"}, index_col="fruit")


@pytest.mark.parametrize("blocksize", [None, 25])
def test_text_column_with_numbers_first_in_a_later_file(tmp_path, blocksize):
    """The sample says text; a later file's first block holds only numbers in
    that column: it is read as text, as pandas reads the whole column."""
    glob, text = _files(
        tmp_path,
        [
            "name,amount\nAlice,100\nBob,-200\nCharlie,300\n",
            "name,amount\n1,400\n2,-500\nFrank,600\n",
        ],
    )
    expected = pd.read_csv(io.StringIO(text))
    df = partframe.read_csv(glob, blocksize=blocksize)
    assert df.name.dtype == expected.name.dtype == "str"
    pd.testing.assert_frame_equal(_read(df), expected)


@pytest.mark.parametrize("sample", range(0, 22, 3))
@pytest.mark.parametrize("blocksize", [None, 5])
def test_sample_ending_inside_a_quoted_newline(tmp_path, sample, blocksize):
    """A sample cut inside a quoted field holding a newline is grown to the
    end of that record (the quotes are counted), never parsed cut."""
    data = b'a,b\n1,"hi\n"\n2,"oi\n"\n'
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    df = partframe.read_csv(str(path), sample=sample, blocksize=blocksize)
    pd.testing.assert_frame_equal(_read(df), pd.read_csv(io.BytesIO(data)))


def test_sample_rows_limits_the_rows_that_infer_dtypes(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,x\n2.5,y\n")
    assert partframe.read_csv(str(path)).a.dtype == "float64"
    df = partframe.read_csv(str(path), sample_rows=1)
    assert df.a.dtype == "int64"
    with pytest.raises(CSVDtypeError, match=r"dtype=\{'a': 'float64'\}"):
        df.compute(scheduler="sync")
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="sample_rows must be"):
            partframe.read_csv(str(path), sample_rows=bad)


@pytest.mark.parametrize("blocksize", [None, 4])
def test_path_column_converter_and_empty_files(tmp_path, blocksize):
    """``converters`` under the path column's name convert the paths (as in
    Dask); a zero-byte file holds no rows and is no category."""
    glob, _ = _files(tmp_path, ["0, 1, 2\n", "", "6, 7, 8\n3, 4, 5\n"])
    kwargs = {"names": ["A", "B", "C"], "blocksize": blocksize}
    df = partframe.read_csv(
        glob,
        include_path_column=True,
        converters={"path": os.path.basename, "B": int},
        **kwargs,
    )
    cats = pd.CategoricalDtype(pd.Index(["0.csv", "2.csv"], dtype="str"))
    expected = pd.DataFrame(
        {
            "A": [0, 6, 3],
            "B": [1, 7, 4],
            "C": [2, 8, 5],
            "path": pd.Categorical(["0.csv", "2.csv", "2.csv"], dtype=cats),
        }
    )
    assert df._meta.path.dtype == cats
    for scheduler in ("sync", "threads"):
        got = df.compute(scheduler=scheduler).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
    plain = partframe.read_csv(glob, include_path_column="src", **kwargs)
    assert list(plain._meta.src.cat.categories) == [
        str(tmp_path / "0.csv"),
        str(tmp_path / "2.csv"),
    ]
    assert _read(plain).src.tolist() == [
        str(tmp_path / f) for f in ("0.csv",) + ("2.csv",) * 2
    ]


def test_path_column_of_empty_files_only(tmp_path):
    for k in range(2):
        (tmp_path / f"{k}.csv").write_text("")
    glob = str(tmp_path / "*.csv")
    df = partframe.read_csv(glob, names=["a"], include_path_column=True)
    got = df.compute(scheduler="sync")
    assert len(got) == 0 and list(got.columns) == ["a", "path"]
    assert got.dtypes.equals(df.dtypes)


@pytest.mark.parametrize("blocksize", [None, 5, 1000])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_path_column_alone_keeps_every_row(tmp_path, blocksize, scheduler):
    """Selecting only the path column (or counting rows) still parses one
    data column per block: pandas reads no rows from ``usecols=[]``."""
    texts = ["a,b\n1,2\n3,4\n", "a,b\n5,6\n", "a,b\n"]
    for k, text in enumerate(texts):
        (tmp_path / f"{k}.csv").write_text(text)
    paths = [str(tmp_path / f"{k}.csv") for k in range(3)]
    expected = pd.concat(
        [pd.read_csv(p).assign(path=p) for p in paths], ignore_index=True
    ).astype({"path": pd.CategoricalDtype(pd.Index(paths, dtype="str"))})
    df = partframe.read_csv(
        str(tmp_path / "*.csv"), include_path_column=True, blocksize=blocksize
    )
    assert len(df) == len(expected) == 3
    got = df.path.compute(scheduler=scheduler).reset_index(drop=True)
    pd.testing.assert_series_equal(got, expected.path)
    got = df[["path"]].compute(scheduler=scheduler).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected[["path"]])
    pd.testing.assert_series_equal(
        df.path.value_counts().compute(scheduler=scheduler),
        expected.path.value_counts(),
    )


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_windows_lineterminator_reads_as_pandas_default(tmp_path, scheduler):
    # pandas takes one character as lineterminator; its default already ends
    # records at "\r\n", so lineterminator="\r\n" reads the rows pandas does.
    path = tmp_path / "w.csv"
    path.write_bytes(b'a,b\r\n1,2\r\n2,"x\r\ny"\r\n3,4\r\n4,5\r\n5,6\r\n6,7')
    expected = pd.read_csv(path)
    for bs in (None, 1, 5, 9, 1000):
        got = partframe.read_csv(str(path), blocksize=bs, lineterminator="\r\n")
        assert_eq(
            got, expected, check_index=False, check_divisions=False, scheduler=scheduler
        )


def test_utf8_sig_files_are_split_into_blocks(tmp_path, recwarn):
    # The BOM is only at the start: every later byte reads as UTF-8, so the
    # file is cut into blocks (no CSVSplitWarning) and reads as pandas does.
    pdf = pd.DataFrame({"a": range(100), "s": [f"é{k}" for k in range(100)]})
    path = str(tmp_path / "sig.csv")
    pdf.to_csv(path, encoding="utf-8-sig", index=False)
    assert partframe.read_csv(path, encoding="utf-8-sig", blocksize=200).npartitions > 1
    _check(path, blocksizes=(None, 7, 200), encoding="utf-8-sig")
    assert not recwarn.list


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_utf16_files_read_as_one_block_with_a_warning(tmp_path, encoding, scheduler):
    # A newline byte of a non-ASCII-compatible encoding may sit inside a
    # character, so the file is not cut: one block, a CSVSplitWarning naming
    # the file and the encoding (blocksize= was not honoured), pandas' values.
    from partframe.io.csv import CSVSplitWarning

    pdf = pd.DataFrame({"a": range(100), "b": [k / 1.98 for k in range(100)]})
    path = str(tmp_path / "wide.csv")
    pdf.to_csv(path, encoding=encoding, index=False)
    with pytest.warns(CSVSplitWarning, match=f"wide.csv.*{encoding}"):
        got = partframe.read_csv(path, encoding=encoding, blocksize=1000)
    assert got.npartitions == 1
    expected = pd.read_csv(path, encoding=encoding)
    assert_eq(got, expected, check_divisions=False, scheduler=scheduler)


@pytest.mark.parametrize("prefix", [".tmp.", "_tmp."])
def test_glob_that_names_hidden_files_reads_them(tmp_path, prefix):
    # A name starting with "." or "_" under a folder or a "*" is not data
    # (_SUCCESS, staging folders); a glob that spells the prefix asks for it.
    (tmp_path / f"{prefix}1.csv").write_text("1,2\n")
    (tmp_path / f"{prefix}2.csv").write_text("")
    (tmp_path / f"{prefix}3.csv").write_text("3,4\n")
    (tmp_path / "plain.csv").write_text("5,6\n")
    got = partframe.read_csv(str(tmp_path / f"{prefix}*.csv"), header=None)
    expected = pd.concat(
        [pd.read_csv(tmp_path / f"{prefix}{k}.csv", header=None) for k in (1, 3)]
    )
    assert_eq(got, expected, check_index=False)
    # "*" does not spell the prefix: only the plain file
    got = partframe.read_csv(str(tmp_path / "*.csv"), header=None)
    assert_eq(got, pd.read_csv(tmp_path / "plain.csv", header=None), check_index=False)


@pytest.mark.parametrize("content", ["nothing", "_SUCCESS"])
def test_folder_without_csv_files_names_it(tmp_path, content):
    # it raised IndexError; pandas has no folder reader to follow
    if content == "_SUCCESS":
        (tmp_path / "_SUCCESS").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"no CSV files in the folder .*_SUCC"):
        partframe.read_csv(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"no CSV files match .*\*\.csv"):
        partframe.read_csv(str(tmp_path / "*.csv"))


def test_file_rewritten_with_the_same_size_is_read_anew():
    """A plan is named by its files: a file rewritten in place with the
    same size but other values must not reuse the first read's schema."""
    fs = fsspec.filesystem("memory")
    path = "memory://rewrite/same-size.csv"
    first, second = b"a,b\nx,1\n,2\n", b"a,b\n,1\n,22\n"
    assert len(first) == len(second)
    fs.pipe("/rewrite/same-size.csv", first)
    pd.testing.assert_frame_equal(
        partframe.read_csv(path, blocksize=4).compute().reset_index(drop=True),
        pd.read_csv(io.BytesIO(first)),
    )
    fs.pipe("/rewrite/same-size.csv", second)
    got = partframe.read_csv(path, blocksize=4).compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(second)))
