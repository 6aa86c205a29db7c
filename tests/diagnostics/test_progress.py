"""The terminal progress bar on local and distributed schedulers."""

from __future__ import annotations

import io
import re
import time

import pytest

import partframe
from partframe import delayed
from partframe.diagnostics import ProgressBar
from partframe.diagnostics.progress import format_time

LINE = re.compile(r"\[([# ]{40})\] \| +(\d+)% Completed \| (\d+(?:\.\d)?s)")


def slow_inc(x, delay=0.01):
    time.sleep(delay)
    return x + 1


def fail(x):
    raise RuntimeError("nope")


def graph(n=30, delay=0.01):
    return delayed(sum)([delayed(slow_inc)(i, delay) for i in range(n)])


def draws(text: str) -> list:
    return LINE.findall(text)


@pytest.fixture(params=["sync", "threads", "distributed"])
def where(request):
    if request.param == "distributed":
        return request.getfixturevalue("client")
    return request.param


def test_bar_reaches_100(where):
    out = io.StringIO()
    with ProgressBar(out=out):
        assert graph(10, 0).compute(scheduler=where) == 55
    text = out.getvalue()
    lines = draws(text)
    assert lines and lines[-1][1] == "100"
    assert lines[-1][0] == "#" * 40
    assert text.endswith("\n") and text.count("\n") == 1


def test_redraws_are_throttled(where):
    out = io.StringIO()
    bar = ProgressBar(out=out, dt=0.1)
    start = time.perf_counter()
    # 40 tasks of 20 ms: hundreds of events' worth of time, few draws.
    assert partframe.compute(
        graph(40, 0.02), scheduler=where, callbacks=[bar], num_workers=2
    ) == (sum(range(1, 41)),)
    elapsed = time.perf_counter() - start
    lines = draws(out.getvalue())
    assert out.getvalue().count("\r") == len(lines)
    assert 2 <= len(lines) <= elapsed / 0.1 + 2
    percents = [int(p) for _, p, _ in lines]
    assert percents == sorted(percents) and percents[-1] == 100
    # The elapsed time is shown and grows.
    times = [float(t.rstrip("s")) for _, _, t in lines]
    assert times == sorted(times) and times[-1] > 0


def test_progress_true_draws_on_stdout(where, capsys):
    assert partframe.compute(graph(5, 0), scheduler=where, progress=True) == (15,)
    out = capsys.readouterr().out
    assert draws(out)[-1][1] == "100"


def test_minimum_hides_short_computations():
    out = io.StringIO()
    with ProgressBar(out=out, minimum=60):
        graph(5, 0).compute(scheduler="threads")
    assert out.getvalue() == ""


def test_failure_leaves_partial_bar(where):
    out = io.StringIO()
    bad = delayed(sum)([delayed(slow_inc)(1, 0), delayed(fail)(2)])
    with pytest.raises(RuntimeError, match="nope"), ProgressBar(out=out):
        bad.compute(scheduler=where)
    lines = draws(out.getvalue())
    assert lines and lines[-1][1] != "100"
    assert out.getvalue().endswith("\n")


def test_bar_reusable_and_unregistered():
    out = io.StringIO()
    bar = ProgressBar(out=out)
    with bar:
        graph(3, 0).compute(scheduler="sync")
        graph(3, 0).compute(scheduler="sync")
    assert len(draws(out.getvalue())) == 2
    graph(3, 0).compute(scheduler="sync")
    assert len(draws(out.getvalue())) == 2


def test_format_time():
    assert format_time(0.04) == "0.0s"
    assert format_time(61) == "1min  1.0s"
    assert format_time(3600 * 2 + 5) == "2hr  0min  5.0s"
