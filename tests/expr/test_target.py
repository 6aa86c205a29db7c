"""The run's Target reaches planning: the shuffle method, computing while
planning, and the to-client plan (``partframe.expr.target``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.expr.shuffle import choose_method
from partframe.expr.target import Target, current, using
from partframe.scheduler import distributed_active, get_scheduler
from partframe.testing import assert_eq


def _big_frame() -> partframe.DataFrame:
    # 600 partitions of unknown size (a function per partition may keep any
    # number of rows): a local run chooses the disk shuffle
    pdf = pd.DataFrame({"k": np.arange(1200) % 7, "x": np.arange(1200)})
    half = partframe.from_pandas(pdf, npartitions=300)
    return partframe.concat([half, half]).map_partitions(_same, meta=pdf.iloc[:0])


def _same(part: pd.DataFrame) -> pd.DataFrame:
    return part


def test_a_distributed_target_never_chooses_the_local_disk():
    ddf = _big_frame()
    with using(Target(distributed=False)):
        assert choose_method(ddf.expr) == "disk"
    with using(Target(distributed=True)):
        assert choose_method(ddf.expr) == "tasks"


def test_outside_a_run_the_default_target_plans():
    # the configured scheduler, and whether a distributed Client exists (an
    # earlier test in this process may have made one)
    with partframe.config.set(scheduler="sync"):
        target = current()
        assert target.distributed is distributed_active()
        assert target.to_client is False
        assert target.compute is not None


def test_a_target_without_compute_refuses_to_compute_while_planning():
    ddf = partframe.from_pandas(pd.DataFrame({"b": [3.0, 1.0, 2.0]}), npartitions=2)
    with using(Target()), pytest.raises(RuntimeError, match="SortStats"):
        ddf.set_index("b").divisions  # noqa: B018


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_set_index_statistics_use_the_configured_scheduler(scheduler):
    pdf = pd.DataFrame(
        {"b": np.random.default_rng(0).permutation(40).astype(float), "x": 1}
    )
    ddf = partframe.from_pandas(pdf, npartitions=4)
    calls = []
    get = get_scheduler(scheduler)

    def counting_get(dsk, keys, **kwargs):
        calls.append(len(dsk))
        return get(dsk, keys, **kwargs)

    with partframe.config.set(scheduler=counting_get):
        out = ddf.set_index("b")
        assert not calls  # lazy until the divisions are asked for
        assert out.divisions[0] == 0.0 and out.divisions[-1] == 39.0
        assert len(calls) == 1  # the statistics, on the configured scheduler
        got = out.compute()
    assert len(calls) == 2
    assert_eq(got, pdf.set_index("b").sort_index())


def test_a_configured_client_makes_the_default_target_distributed(client):
    ddf = _big_frame()
    with partframe.config.set(scheduler=client):
        assert current().distributed is True
        assert choose_method(ddf.expr) == "tasks"
        # and a shuffle planned under it computes on the cluster
        pdf = pd.DataFrame({"k": np.arange(40) % 7, "x": np.arange(40)})
        small = partframe.from_pandas(pdf, npartitions=4)
        assert_eq(small.shuffle("k").x.sum(), pdf.x.sum())
