"""read_csv: compared with pandas.read_csv on the same files."""

from __future__ import annotations

import atexit
import gzip
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
from partframe.kernels.io import CSVDtypeError


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
    assert "'a'" in msg and "float64" in msg and "int64" in msg
    assert "m.csv" in msg and "bytes" in msg and "dtype={'a': 'float64'}" in msg
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
    from partframe.expr.fuse import Fused

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
    import io

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
