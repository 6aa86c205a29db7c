"""Workers that die under a computation on a distributed cluster: the
computation raises (KilledWorker, or NoWorkersError once the cluster stayed
without workers), it never waits forever."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

import partframe
from partframe.testing import assert_eq

distributed = pytest.importorskip(
    "distributed", reason="the distributed extra is not installed"
)


def _kill_at_30(part: pd.DataFrame) -> pd.DataFrame:
    if len(part) and part.index[0] == 30:
        os._exit(1)  # the worker dies, every time it runs this partition
    return part


def _cluster(n_workers: int):
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    )


@pytest.mark.timeout(240)
def test_a_task_killing_its_workers_raises_every_time():
    """The same graph computed again after KilledWorker (its keys were just
    erred) used to wait forever on the third run."""
    pdf = pd.DataFrame({"k": range(80), "x": range(80)})
    with _cluster(2) as cluster, distributed.Client(cluster) as client:
        ddf = partframe.from_pandas(pdf, npartitions=8)
        dying = ddf.map_partitions(_kill_at_30, meta=pdf.iloc[:0])
        for _ in range(4):
            start = time.monotonic()
            with pytest.raises((distributed.KilledWorker, RuntimeError)):
                dying.compute(scheduler=client)
            assert time.monotonic() - start < 60
        # the cluster still computes what does not kill it
        assert_eq(ddf.x.sum(), pdf.x.sum(), scheduler=client)


@pytest.mark.timeout(120)
def test_a_cluster_without_workers_raises_no_workers_error():
    from partframe.scheduler.distributed import NoWorkersError

    pdf = pd.DataFrame({"x": range(10)})
    with _cluster(0) as cluster, distributed.Client(cluster) as client:
        df = partframe.from_pandas(pdf, npartitions=2)
        with partframe.config.set(no_workers_timeout=2):
            start = time.monotonic()
            with pytest.raises(NoWorkersError, match="no workers for 2 s"):
                df.x.sum().compute(scheduler=client)
            assert time.monotonic() - start < 30
