"""The conformance harness itself (runs in the normal suite, offline)."""

from __future__ import annotations

import pytest

from . import report
from .conftest import load_skips, skip_reason


def test_every_skip_has_a_reason_and_matches_file_and_test():
    skips = load_skips()
    assert skips
    for s in skips:
        assert s["reason"].strip()
    assert skip_reason(skips, "test_shuffle.py", "test_partitioning_index") == (
        "private dask.dataframe.shuffle.partitioning_index"
    )
    assert skip_reason(skips, "test_groupby.py", "test_full_groupby") is None


def test_skips_can_name_parametrizations(tmp_path):
    path = tmp_path / "skips.toml"
    path.write_text(
        '[[skip]]\npattern = "test_a.py::test_p"\nparams = ["x-1", "y-2"]\n'
        'reason = "some ids"\n'
        '[[skip]]\npattern = "test_a.py::test_all"\nreason = "every id"\n'
    )
    skips = load_skips(path)
    assert skip_reason(skips, "test_a.py", "test_p", "x-1") == "some ids"
    assert skip_reason(skips, "test_a.py", "test_p", "z-3") is None
    assert skip_reason(skips, "test_a.py", "test_p") is None
    assert skip_reason(skips, "test_a.py", "test_all", "z-3") == "every id"
    path.write_text('[[skip]]\npattern = "a.py::t"\nparams = "x"\nreason = "r"\n')
    with pytest.raises(ValueError, match="params"):
        load_skips(path)


@pytest.mark.parametrize(
    ("kind", "message", "text", "expected"),
    [
        ("passed", "", "", ("pass", "")),
        ("skipped", "dask internals: graphs", "", ("skipped-internals", "")),
        ("skipped", "xfail Dask bug", "", ("xfail", "")),
        (
            "failure",
            "conformance.shim.MissingAPIError: partframe has no 'map_overlap' (...)",
            "tests/conformance/shim.py:80: in missing\n",
            ("missing", "dd.map_overlap"),
        ),
        (
            "failure",
            "AttributeError: 'DataFrame' object has no attribute 'add_prefix'",
            "/c/dask/dataframe/tests/test_dataframe.py:10: in test_x\n",
            ("missing", "DataFrame.add_prefix"),
        ),
        (
            "failure",
            "TypeError: _GroupBy.median() got an unexpected keyword argument 'x'",
            "/c/test_groupby.py:5: in test_y\npartframe/groupby.py:3: in median\n",
            ("missing", "_GroupBy.median(x=)"),
        ),
        (
            "failure",
            "AssertionError: Series are different",
            "/c/test_multi.py:5: in test_z\npartframe/testing.py:190: in assert_eq\n",
            ("wrong", ""),
        ),
        (
            "failure",
            "KeyError: 'x'",
            "/c/test_multi.py:5: in test_z\npartframe/expr/base.py:9: in rewrite\n",
            ("crash", ""),
        ),
        (
            "failure",
            "AttributeError: 'float' object has no attribute 'x'",
            "/c/test_multi.py:5: in test_z\npartframe/kernels/join.py:9: in join\n",
            ("crash", ""),
        ),
        ("failure", "Failed: Timeout (>60.0s) from pytest-timeout.", "", ("crash", "")),
        (
            "failure",
            "KeyError: 'x'",
            "/root/.cache/partframe/conformance/dask/x.py:5: in test_z\n",
            ("outside", ""),
        ),
    ],
)
def test_classify(kind, message, text, expected):
    assert report.classify(kind, message, text) == expected
