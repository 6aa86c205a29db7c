"""Collect Dask's dataframe tests against partframe (opt-in: ``--conformance``).

``suite.toml`` names the Dask release and its test modules; with
``--conformance`` it is collected as :class:`DaskSuite`, which fetches the
sdist (or skips, naming why), binds ``dask.dataframe`` to partframe
(``shim.py``) and collects the modules from the unpacked sdist. Without the
option nothing here is collected and nothing is fetched.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

import partframe

from . import fetch, shim

HERE = Path(__file__).parent

# Markers that Dask's test modules use (registered in Dask's own pyproject).
DASK_MARKERS = [
    "network: Dask: test requires an internet connection",
    "slow: Dask: skipped unless --runslow",
    "gpu: Dask: GPU tests",
    "skip_with_pyarrow_strings: Dask: skipped with pyarrow strings",
    "xfail_with_pyarrow_strings: Dask: xfailed with pyarrow strings",
    "array_expr: Dask: array-expr specific tests",
    "normal_and_array_expr: Dask: run with and without array-expr",
    "flaky: Dask: rerun on failure (pytest-rerunfailures; here run once)",
]


def pytest_configure(config: pytest.Config) -> None:
    for line in DASK_MARKERS:
        config.addinivalue_line("markers", line)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path == HERE / "suite.toml" and parent.config.getoption("conformance"):
        return DaskSuite.from_parent(parent, path=file_path)
    return None


class DaskSuite(pytest.File):
    """The pinned Dask test modules, collected from the unpacked sdist."""

    def collect(self):
        suite = tomllib.loads(self.path.read_text())["dask"]
        try:
            root = fetch.ensure_sdist(suite["version"])
        except fetch.SdistUnavailable as e:
            pytest.skip(f"conformance suite not run: {e}")
        shim.install(root)
        wanted = {
            f.strip().removesuffix(".py")
            for f in self.config.getoption("conformance_files").split(",")
            if f.strip()
        }
        for rel in suite["files"]:
            if wanted and Path(rel).stem not in wanted:
                continue
            yield pytest.Module.from_parent(
                self, path=root / rel, nodeid=f"{self.nodeid}::{rel}"
            )


def load_skips(path: Path = HERE / "skips.toml") -> list[dict]:
    """The reviewed skip list: ``[[skip]]`` tables of ``pattern`` and
    ``reason``, and optionally ``params``: the parametrization ids skipped
    (all of them when absent)."""
    skips = tomllib.loads(path.read_text())["skip"]
    for s in skips:
        if not s.get("reason"):
            raise ValueError(f"skips.toml: pattern {s['pattern']!r} has no reason")
        if "::" not in s["pattern"]:
            raise ValueError(
                f"skips.toml: pattern {s['pattern']!r} must read FILE::TEST "
                "(fnmatch globs on the file name and the test function name)"
            )
        params = s.get("params")
        if params is not None and (
            not isinstance(params, list)
            or not params
            or not all(isinstance(p, str) for p in params)
        ):
            raise ValueError(
                f"skips.toml: params of {s['pattern']!r} must be a non-empty list "
                "of parametrization ids (as in test_x[ID])"
            )
    return skips


def skip_reason(
    skips: list[dict], file: str, name: str, param: str | None = None
) -> str | None:
    """The reason of the first skip pattern matching ``file::name`` (and
    ``param``, the parametrization id, when the pattern lists ``params``)."""
    for s in skips:
        pfile, ptest = s["pattern"].split("::", 1)
        if not (fnmatch.fnmatchcase(file, pfile) and fnmatch.fnmatchcase(name, ptest)):
            continue
        if "params" not in s or param in s["params"]:
            return s["reason"]
    return None


def _non_strict_xfail(node: pytest.Item | pytest.Collector) -> None:
    # Dask's xfail marks name Dask's own bugs; with the project's
    # xfail_strict a partframe pass of such a test would be a failure.
    node.own_markers[:] = [
        pytest.mark.xfail(*m.args, **{**m.kwargs, "strict": False}).mark
        if m.name == "xfail"
        else m
        for m in node.own_markers
    ]


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("conformance"):
        return
    prefix = f"{Path(__file__).parent.relative_to(config.rootpath)}/suite.toml::"
    skips = load_skips()
    timeout = pytest.mark.timeout(config.getoption("conformance_timeout"))
    for item in items:
        if not item.nodeid.startswith(prefix):
            continue
        for node in item.listchain():
            _non_strict_xfail(node)
        item.add_marker(timeout)
        callspec = getattr(item, "callspec", None)
        param = callspec.id if callspec is not None else None
        reason = skip_reason(skips, item.path.name, item.originalname, param)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"dask internals: {reason}"))
        elif "slow" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="Dask runs it only with --runslow"))
        elif "array_expr" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="Dask array-expr only"))


@pytest.fixture(params=["disk", "tasks"])
def shuffle_method(request):
    """Dask's fixture: each shuffle method, set in Dask's and partframe's config."""
    import dask

    with (
        dask.config.set({"dataframe.shuffle.method": request.param}),
        partframe.config.set(shuffle_method=request.param),
    ):
        yield request.param


@pytest.fixture
def xfail(request: pytest.FixtureRequest):
    """Dask's fixture: xfail the running test from inside it (never strict)."""

    def _(reason: str, strict: bool | None = None) -> None:
        request.node.add_marker(pytest.mark.xfail(reason=reason, strict=False))

    return _
