"""read_csv errors and bad lines: where in which file, as pandas says it.

A file is cut into byte blocks parsed separately; pandas numbers the lines
of each block from 1. Every error and warning must give the line of the
whole file (the number pandas gives when it reads the whole file) and name
the file, on every blocksize and scheduler.
"""

from __future__ import annotations

import gzip
import logging
import re
import warnings

import pandas as pd
import pytest

import partframe
from partframe.kernels.csv import CSVReadError
from partframe.testing import assert_eq

BLOCKSIZES = [None, 97, 500, 4000]
SCHEDULERS = ["sync", "threads"]


def _rows(n, bad=(), short=(), quoted_every=0):
    """``n`` data records ``k,text,float``; ``bad`` rows have a field too
    many, ``short`` ones a field too few; every ``quoted_every``-th text
    holds a quoted newline (so lines and records differ)."""
    out = []
    for k in range(n):
        text = f"t{k}"
        if quoted_every and k % quoted_every == 1:
            text = f'"q{k}\nsecond, line"'
        if k in bad:
            out.append(f"{k},{text},{k / 2},extra")
        elif k in short:
            out.append(f"{k},{text}")
        else:
            out.append(f"{k},{text},{k / 2}")
    return out


def _write(path, rows, header=True):
    text = ("i,s,f\n" if header else "") + "\n".join(rows) + "\n"
    path.write_text(text)
    return str(path)


def _pandas_error(path, **kwargs):
    with pytest.raises(pd.errors.ParserError) as info:
        pd.read_csv(path, **kwargs)
    return str(info.value)


def _line_of(message):
    return int(re.search(r"line (\d+)", message).group(1))


def _pandas_skipped(path, **kwargs):
    """The lines pandas warns about, and the frame it reads."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = pd.read_csv(path, on_bad_lines="warn", **kwargs)
    text = "".join(str(w.message) for w in caught)
    return [int(n) for n in re.findall(r"Skipping line (\d+)", text)], df


# --- 1. errors give the file's line and name the file ------------------------


@pytest.mark.parametrize("blocksize", BLOCKSIZES)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("quoted_every", [0, 7])
def test_error_gives_the_file_line(
    tmp_path, blocksize, scheduler, header, quoted_every
):
    path = _write(
        tmp_path / "bad.csv", _rows(400, bad={353}, quoted_every=quoted_every), header
    )
    kwargs = {} if header else {"header": None}
    expected = _pandas_error(path, **kwargs)
    # a small sample: the bad line is found when the blocks are read
    df = partframe.read_csv(path, blocksize=blocksize, sample=64, **kwargs)
    with pytest.raises(pd.errors.ParserError) as info:
        df.compute(scheduler=scheduler)
    msg = str(info.value)
    assert _line_of(msg) == _line_of(expected)
    assert path in msg
    assert "Expected 3 fields" in msg and "saw 4" in msg


@pytest.mark.parametrize("policy", ["error", "warn", "skip"])
def test_bad_line_at_every_block_start(tmp_path, policy, caplog):
    # every blocksize in the range puts a block boundary just before the bad
    # line once (pandas then reads it as an index: handled apart)
    rows = _rows(40, bad={30}, quoted_every=4)
    path = _write(tmp_path / "bad.csv", rows)
    lines, expected = _pandas_skipped(path)
    for blocksize in range(20, 60):
        df = partframe.read_csv(
            path, blocksize=blocksize, sample=30, on_bad_lines=policy
        )
        if policy == "error":
            with pytest.raises(pd.errors.ParserError) as info:
                df.compute(scheduler="sync")
            assert _line_of(str(info.value)) == lines[0] and path in str(info.value)
            continue
        caplog.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with caplog.at_level(logging.INFO, logger="partframe.io.csv"):
                got = df.compute(scheduler="sync")
        assert_eq(got.reset_index(drop=True), expected)
        if policy == "warn":
            assert [str(w.message) for w in caught] == [
                f"Skipping line {lines[0]} of {path!r}: expected 3 fields, saw 4"
            ]
        else:
            assert not caught
            assert [r.lines for r in caplog.records] == [lines]


@pytest.mark.parametrize("blocksize", [None, 97, 500])
def test_lines_on_a_remote_filesystem(tmp_path, blocksize):
    # blocks read by byte range (no mapped file): the lines before a block
    # are read again
    import fsspec

    rows = _rows(300, bad={250}, quoted_every=7)
    local = _write(tmp_path / "bad.csv", rows)
    url = "memory://csverr/bad.csv"
    with open(local, "rb") as f:
        fsspec.filesystem("memory").pipe(url, f.read())
    try:
        with pytest.raises(pd.errors.ParserError) as info:
            partframe.read_csv(url, blocksize=blocksize, sample=64).compute()
        assert _line_of(str(info.value)) == _line_of(_pandas_error(local))
        assert "memory:///csverr/bad.csv" in str(info.value)
        lines, expected = _pandas_skipped(local)
        df = partframe.read_csv(url, blocksize=blocksize, on_bad_lines="warn")
        with pytest.warns(
            pd.errors.ParserWarning,
            match=f"line {lines[0]} of 'memory:///csverr/bad.csv'",
        ):
            assert_eq(df, expected, check_index=False, scheduler="threads")
    finally:
        fsspec.filesystem("memory").rm(url)


@pytest.mark.parametrize("blocksize", [None, 500])
def test_error_in_the_sample_names_the_file(tmp_path, blocksize):
    path = _write(tmp_path / "bad.csv", _rows(100, bad={60}))
    with pytest.raises(pd.errors.ParserError) as info:
        partframe.read_csv(path, blocksize=blocksize)
    msg = str(info.value)
    assert _line_of(msg) == _line_of(_pandas_error(path)) == 62
    assert path in msg


def test_error_line_is_right_for_a_large_file(tmp_path):
    # the case: line 150,002 was reported as a block's line 6655
    path = _write(tmp_path / "big.csv", _rows(160_000, bad={150_000}))
    df = partframe.read_csv(path, blocksize="256KiB")
    assert df.npartitions > 10
    with pytest.raises(pd.errors.ParserError, match=r"line 150002\b") as info:
        df.compute(scheduler="threads")
    assert path in str(info.value)


@pytest.mark.parametrize("blocksize", [None, 97, 500])
def test_unclosed_quote_gives_the_file_row(tmp_path, blocksize):
    rows = _rows(300)
    rows[250] = '250,"never closed,1.0'
    path = _write(tmp_path / "q.csv", rows)
    expected = _pandas_error(path)
    df = partframe.read_csv(path, blocksize=blocksize, sample=64)
    with pytest.raises(pd.errors.ParserError) as info:
        df.compute(scheduler="sync")
    msg = str(info.value)
    row = int(re.search(r"row (\d+)", expected).group(1))
    assert f"row {row}" in msg and f"line {row + 1} of" in msg
    assert path in msg


# --- 2. warn names the file and the line -------------------------------------


@pytest.mark.parametrize("blocksize", BLOCKSIZES)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("quoted_every", [0, 7])
def test_warn_gives_file_and_line(tmp_path, blocksize, scheduler, header, quoted_every):
    bad = {3, 120, 121, 353, 399}
    rows = _rows(400, bad=bad, quoted_every=quoted_every)
    path = _write(tmp_path / "bad.csv", rows, header)
    kwargs = {} if header else {"header": None}
    lines, expected = _pandas_skipped(path, **kwargs)
    assert len(lines) == len(bad)
    df = partframe.read_csv(path, blocksize=blocksize, on_bad_lines="warn", **kwargs)
    with pytest.warns(pd.errors.ParserWarning) as caught:
        got = df.compute(scheduler=scheduler)
    text = "\n".join(str(w.message) for w in caught)
    found = sorted(
        int(n)
        for n in re.findall(rf"Skipping line (\d+) of {re.escape(repr(path))}", text)
    )
    assert found == lines, text
    assert_eq(got.reset_index(drop=True), expected)


def test_warn_does_not_warn_twice_for_the_sample(tmp_path):
    path = _write(tmp_path / "bad.csv", _rows(50, bad={10}))
    df = partframe.read_csv(path, on_bad_lines="warn")  # no warning when planning
    with pytest.warns(pd.errors.ParserWarning) as caught:
        df.compute(scheduler="sync")
    assert len(caught) == 1


@pytest.mark.parametrize("blocksize", [None, 97])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_skip_is_silent_and_equals_pandas(tmp_path, blocksize, scheduler, caplog):
    rows = _rows(300, bad={5, 200, 250}, quoted_every=9)
    path = _write(tmp_path / "bad.csv", rows)
    expected = pd.read_csv(path, on_bad_lines="skip")
    df = partframe.read_csv(path, blocksize=blocksize, on_bad_lines="skip")
    assert_eq(df, expected, check_index=False, scheduler=scheduler)


# --- 3. skip: the skipped lines are logged ------------------------------------


@pytest.mark.parametrize("blocksize", [None, 97, 500])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_skip_logs_the_skipped_lines(tmp_path, blocksize, scheduler, caplog):
    rows = _rows(300, bad={5, 200, 250}, quoted_every=9)
    path = _write(tmp_path / "bad.csv", rows)
    lines, _ = _pandas_skipped(path)
    df = partframe.read_csv(path, blocksize=blocksize, on_bad_lines="skip")
    with caplog.at_level(logging.INFO, logger="partframe.io.csv"):
        df.compute(scheduler=scheduler)
    records = [r for r in caplog.records if r.name == "partframe.io.csv"]
    assert all(r.levelno == logging.INFO for r in records)
    assert all(r.path == path for r in records)
    assert sorted(n for r in records for n in r.lines) == lines
    assert sum(r.skipped for r in records) == 3
    assert any(path in r.getMessage() for r in records)


def test_skip_logs_nothing_by_default(tmp_path, capsys):
    path = _write(tmp_path / "bad.csv", _rows(30, bad={5}))
    partframe.read_csv(path, on_bad_lines="skip").compute(scheduler="sync")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# --- 4. a truncated compressed file names the file ----------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("compression", ["gzip", "bz2", "xz"])
def test_truncated_compressed_file_names_the_file(tmp_path, scheduler, compression):
    import bz2
    import lzma

    data = ("i,s,f\n" + "\n".join(_rows(5000)) + "\n").encode()
    packed = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[
        compression
    ](data)
    ext = {"gzip": "gz", "bz2": "bz2", "xz": "xz"}[compression]
    path = str(tmp_path / f"t.csv.{ext}")
    with open(path, "wb") as f:
        f.write(packed[: len(packed) * 2 // 3])
    # bz2 needs its whole first block for the sample: planning fails then
    with pytest.raises(CSVReadError) as info:
        partframe.read_csv(path, sample=1000).compute(scheduler=scheduler)
    msg = str(info.value)
    assert path in msg
    assert "truncated or corrupt" in msg
    assert compression in msg


def test_compressed_file_reads_as_pandas(tmp_path):
    data = ("i,s,f\n" + "\n".join(_rows(500, quoted_every=5)) + "\n").encode()
    path = str(tmp_path / "t.csv.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(data))
    assert_eq(partframe.read_csv(path, blocksize=100), pd.read_csv(path))


def test_compressed_file_error_gives_the_line(tmp_path):
    data = ("i,s,f\n" + "\n".join(_rows(500, bad={450})) + "\n").encode()
    path = str(tmp_path / "t.csv.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(data))
    df = partframe.read_csv(path, sample=100)
    with pytest.raises(pd.errors.ParserError, match=r"line 452\b") as info:
        df.compute(scheduler="sync")
    assert path in str(info.value)


# --- 5. on_short_lines="error": rows with too few fields ----------------------


@pytest.mark.parametrize("blocksize", BLOCKSIZES)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("quoted_every", [0, 7])
def test_short_lines_error(tmp_path, blocksize, scheduler, header, quoted_every):
    rows = _rows(400, short={353, 390}, quoted_every=quoted_every)
    path = _write(tmp_path / "short.csv", rows, header)
    kwargs = {} if header else {"header": None}
    # pandas pads the short rows with NaN, and so does the default
    expected = pd.read_csv(path, **kwargs)
    df = partframe.read_csv(path, blocksize=blocksize, sample=64, **kwargs)
    assert_eq(df, expected, check_index=False, scheduler=scheduler)
    # the line pandas would give if the row had a field too many
    rows[353] = "353,x,1,2"
    _write(tmp_path / "long.csv", rows, header)
    line = _line_of(_pandas_error(str(tmp_path / "long.csv"), **kwargs))
    strict = partframe.read_csv(
        path, blocksize=blocksize, sample=64, on_short_lines="error", **kwargs
    )
    with pytest.raises(pd.errors.ParserError) as info:
        strict.compute(scheduler=scheduler)
    msg = str(info.value)
    assert f"Expected 3 fields in line {line}, saw 2" in msg
    assert path in msg and "on_short_lines" in msg


@pytest.mark.parametrize("blocksize", [None, 50])
def test_short_lines_error_passes_good_files(tmp_path, blocksize):
    text = 'i,s,f\n\n1,"a\nb",2\n  \n3,,\n4,"x,y",\n'
    path = tmp_path / "ok.csv"
    path.write_text(text)
    df = partframe.read_csv(str(path), blocksize=blocksize, on_short_lines="error")
    assert_eq(df, pd.read_csv(str(path)), check_index=False)


@pytest.mark.parametrize("compressed", [False, True])
def test_short_lines_tab_separator(tmp_path, compressed):
    # a line of tabs is a record of empty fields, not a blank line
    data = b"a\tb\tc\n1\t2\t3\n\t\t\n\n4\t5\n6\t7\t8\n"
    path = tmp_path / ("t.tsv.gz" if compressed else "t.tsv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    expected = pd.read_csv(path, sep="\t")
    assert_eq(partframe.read_csv(str(path), sep="\t"), expected)
    strict = partframe.read_csv(str(path), sep="\t", on_short_lines="error")
    with pytest.raises(pd.errors.ParserError) as info:
        strict.compute(scheduler="sync")
    assert "Expected 3 fields in line 5, saw 2" in str(info.value)
    assert str(path) in str(info.value)
    if compressed:
        assert "decompressed bytes" in str(info.value)


def test_short_lines_implicit_index(tmp_path):
    path = tmp_path / "ix.csv"
    path.write_text("a,b\nx,1,2\ny,3,4\nz,5\n")
    expected = pd.read_csv(str(path))
    assert_eq(partframe.read_csv(str(path)), expected)
    with pytest.raises(
        pd.errors.ParserError, match="Expected 3 fields in line 4, saw 2"
    ):
        partframe.read_csv(str(path), on_short_lines="error").compute(scheduler="sync")


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"on_short_lines": "strict"}, "on_short_lines"),
        ({"on_short_lines": "error", "comment": "#"}, "comment"),
        ({"on_short_lines": "error", "sep": r"\s+"}, "sep"),
    ],
)
def test_short_lines_bad_options(tmp_path, kwargs, word):
    path = _write(tmp_path / "a.csv", _rows(5))
    with pytest.raises(ValueError, match=word):
        partframe.read_csv(path, **kwargs)


# --- 6. columns in another order in another file ------------------------------


def _two_files(tmp_path, second_header="s,f,i"):
    a = _write(tmp_path / "a.csv", _rows(200, quoted_every=7))
    rows = [
        f"{r.split(',')[1]},{r.split(',')[2]},{r.split(',')[0]}" for r in _rows(150)
    ]
    b = tmp_path / "b.csv"
    b.write_text(second_header + "\n" + "\n".join(rows) + "\n")
    return a, str(b)


@pytest.mark.parametrize("blocksize", BLOCKSIZES)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_columns_in_another_order_are_aligned(tmp_path, blocksize, scheduler):
    a, b = _two_files(tmp_path)
    expected = pd.concat([pd.read_csv(a), pd.read_csv(b)[["i", "s", "f"]]])
    df = partframe.read_csv([a, b], blocksize=blocksize)
    assert list(df.columns) == ["i", "s", "f"]
    assert_eq(df, expected, check_index=False, scheduler=scheduler)
    glob = partframe.read_csv(str(tmp_path / "*.csv"), blocksize=blocksize)
    assert_eq(glob, expected, check_index=False, scheduler=scheduler)
    # a projection reads the right column of each file
    assert_eq(df[["f", "i"]], expected[["f", "i"]], check_index=False)
    part = partframe.read_csv([a, b], blocksize=blocksize, usecols=["f", "s"])
    assert_eq(part, expected[["s", "f"]], check_index=False, scheduler=scheduler)
    typed = partframe.read_csv([a, b], blocksize=blocksize, dtype={"i": "float64"})
    assert_eq(typed, expected.astype({"i": "float64"}), check_index=False)


def test_columns_in_another_order_with_the_first_file_header_only(tmp_path):
    a, b = _two_files(tmp_path)
    with open(a, "w") as f:
        f.write("i,s,f\n")
    # the dtypes come from the second file, the order from the first
    expected = pd.read_csv(b)[["i", "s", "f"]]
    assert_eq(partframe.read_csv([a, b], blocksize=50), expected, check_index=False)


def test_columns_in_another_order_with_positions_is_refused(tmp_path):
    a, b = _two_files(tmp_path)
    with pytest.raises(ValueError, match="index_col") as info:
        partframe.read_csv([a, b], index_col=0)
    assert a in str(info.value) and b in str(info.value)


def test_different_columns_error_names_both_files_and_the_fix(tmp_path):
    a, b = _two_files(tmp_path, second_header="s,f,j")
    with pytest.raises(ValueError) as info:
        partframe.read_csv([a, b])
    msg = str(info.value)
    assert a in msg and b in msg
    assert "missing: ['i']" in msg and "extra: ['j']" in msg
    assert "usecols=" in msg
