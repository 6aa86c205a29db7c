"""s3:// through s3fs against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

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
