"""Shared fixtures: a loopback distributed cluster, the scheduler matrix."""

from __future__ import annotations

import pytest

import partframe


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here, not in tests/conformance/conftest.py: options must be known to the
    # conftest that pytest loads first, whatever path it is given.
    group = parser.getgroup("conformance")
    group.addoption(
        "--conformance",
        action="store_true",
        help="also run Dask's dataframe tests against partframe "
        "(fetches the pinned dask sdist; see tests/conformance/README.md)",
    )
    group.addoption(
        "--conformance-files",
        default="",
        help="comma-separated Dask test module names to run (default: all of "
        "tests/conformance/suite.toml), e.g. test_rolling,test_csv",
    )
    group.addoption(
        "--conformance-timeout",
        type=float,
        default=60.0,
        help="per-test timeout in seconds for the conformance tests",
    )


@pytest.fixture(scope="session")
def client():
    """A ``distributed.Client`` on a 2-process LocalCluster on loopback."""
    distributed = pytest.importorskip(
        "distributed", reason="the distributed extra is not installed"
    )
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


LOCAL_SCHEDULERS = ["sync", "threads", "processes"]


@pytest.fixture(params=[*LOCAL_SCHEDULERS, "distributed"])
def scheduler(request):
    """Every scheduler: the three local ones and a distributed Client."""
    if request.param == "distributed":
        return request.getfixturevalue("client")
    return request.param


@pytest.fixture(autouse=True)
def _restore_config():
    with partframe.config._reset():
        yield
