"""s3:// through s3fs against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from leftovers import contents, leftovers

import partframe
from partframe.testing import assert_eq

s3fs = pytest.importorskip("s3fs", reason="the test extra (s3fs) is not installed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A fresh bucket on a moto server; yields storage_options."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    opts = {
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        "skip_instance_cache": True,
    }
    boto3 = pytest.importorskip("boto3")
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="bucket")
    try:
        yield opts
    finally:
        server.stop()


def _pdf(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.arange(n),
            "s": [f'q "{i}",\nz' if i % 4 == 0 else f"v{i}" for i in range(n)],
            "n": pd.array([None if i % 5 == 0 else i for i in range(n)], dtype="Int64"),
        }
    )


def test_parquet_round_trip(s3):
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=3)
    df.to_parquet("s3://bucket/pq", storage_options=s3)
    fs = s3fs.S3FileSystem(**s3)
    assert sorted(p.rsplit("/", 1)[1] for p in fs.ls("bucket/pq")) == [
        "_SUCCESS",
        "part.0.parquet",
        "part.1.parquet",
        "part.2.parquet",
    ]
    back = partframe.read_parquet("s3://bucket/pq", storage_options=s3)
    assert_eq(back, pdf)
    assert_eq(back[back.x > 30].s, pdf[pdf.x > 30].s)
    assert len(back) == len(pdf)
    with pytest.raises(FileExistsError):
        df.to_parquet("s3://bucket/pq", storage_options=s3)
    df.assign(x=df.x + 1).to_parquet(
        "s3://bucket/pq", storage_options=s3, overwrite=True
    )
    again = partframe.read_parquet("s3://bucket/pq", storage_options=s3).compute()
    assert again.x.tolist() == list(range(1, 61))
    # the fsspec filesystem object may be given directly
    direct = partframe.read_parquet("s3://bucket/pq", filesystem=fs)
    assert len(direct) == 60


def test_csv_round_trip_with_quoted_newlines(s3):
    pdf = _pdf()
    df = partframe.from_pandas(pdf, npartitions=2)
    df.to_csv("s3://bucket/csv/*.csv", storage_options=s3, index=False)
    back = partframe.read_csv(
        "s3://bucket/csv/*.csv", blocksize=100, storage_options=s3
    )
    assert back.npartitions > 2
    got = back.compute().reset_index(drop=True)
    fs = s3fs.S3FileSystem(**s3)
    expected = pd.concat(
        [pd.read_csv(fs.open(p)) for p in sorted(fs.glob("bucket/csv/*.csv"))],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(got, expected)


def test_failed_write_leaves_s3_prefix_unchanged(s3):
    fs = s3fs.S3FileSystem(**s3)
    fs.pipe("bucket/keep/data.csv", b"a\n1\n")

    def boom(part):
        if len(part) and part.x.iloc[0] > 10:
            raise ValueError("injected")
        return part

    df = partframe.from_pandas(_pdf(), npartitions=3).map_partitions(boom)
    with pytest.raises(ValueError, match="injected"):
        df.to_csv("s3://bucket/keep/*.csv", storage_options=s3, overwrite=True)
    fs.invalidate_cache()
    assert fs.find("bucket/keep") == ["bucket/keep/data.csv"]
    assert fs.cat("bucket/keep/data.csv") == b"a\n1\n"
    assert not [p for p in fs.ls("bucket") if "_staging" in p]


class _Killed(BaseException):
    """Stands for ``kill -9``: the commit's own rollback does not catch it."""


def _s3_files(fs, prefix: str) -> dict:
    return contents(fs, prefix)


@pytest.mark.parametrize("at", ["half", "committed"])
def test_overwrite_killed_mid_commit_is_recovered_by_reader(s3, monkeypatch, at):
    from partframe.io import commit

    fs = s3fs.S3FileSystem(**s3)
    dest, ref = f"bucket/killed-{at}", f"bucket/killed-ref-{at}"
    old, new = _pdf(), _pdf(45).assign(x=lambda d: d.x + 1000)
    partframe.from_pandas(old, npartitions=2).to_parquet(
        f"s3://{dest}", storage_options=s3
    )
    partframe.from_pandas(new, npartitions=3).to_parquet(
        f"s3://{ref}", storage_options=s3
    )
    before, new_files = _s3_files(fs, dest), _s3_files(fs, ref)
    moves = []
    real_mv = s3fs.S3FileSystem.mv

    def mv(self, src, dst, *args, **kwargs):
        if at == "half" and len(moves) == 4:  # old data aside, 1 of 3 new in
            self.copy(src, dst)  # copied, not yet deleted
            raise _Killed("killed")
        moves.append(src)
        return real_mv(self, src, dst, *args, **kwargs)

    def finish(*args):
        raise _Killed("killed after the commit point")

    monkeypatch.setattr(s3fs.S3FileSystem, "mv", mv)
    monkeypatch.setattr(commit, "abort", lambda job: None)  # the process died
    if at == "committed":
        monkeypatch.setattr(commit, "roll_forward", finish)
    with pytest.raises(_Killed):
        partframe.from_pandas(new, npartitions=3).to_parquet(
            f"s3://{dest}", storage_options=s3, overwrite=True
        )
    monkeypatch.undo()
    assert fs.exists(commit.journal_path(dest))
    assert _s3_files(fs, dest) not in (before, new_files)  # half old, half new
    back = partframe.read_parquet(f"s3://{dest}", storage_options=s3)
    assert_eq(back, new if at == "committed" else old, check_index=False)
    assert _s3_files(fs, dest) == (new_files if at == "committed" else before)
    assert leftovers(fs, dest) == []  # no journal, lock, staging or backup


def test_process_killed_mid_commit_on_s3(s3):
    """A real kill: the lock of the dead process is broken by the reader."""
    from test_commit_recovery import run_killed_writer

    from partframe.io import commit

    fs = s3fs.S3FileSystem(**s3)
    dest = "bucket/killed-process"
    old = pd.DataFrame({"x": np.arange(12), "g": ["a"] * 12})
    partframe.from_pandas(old, npartitions=2).to_parquet(
        f"s3://{dest}", storage_options=s3
    )
    before = _s3_files(fs, dest)
    run_killed_writer(f"s3://{dest}", "4", s3)  # 3 old files aside, 1 new in
    fs.invalidate_cache()
    assert fs.exists(commit.journal_path(dest)) and fs.exists(commit.lock_path(dest))
    assert_eq(
        partframe.read_parquet(f"s3://{dest}", storage_options=s3),
        old,
        check_index=False,
    )
    assert _s3_files(fs, dest) == before
    assert [p for p in fs.ls("bucket", detail=False) if "killed-process" in p] == [dest]
