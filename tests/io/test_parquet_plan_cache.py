"""Local Parquet datasets are planned once while their files keep their size
and modification time; a change of either plans them again."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.io import parquet_plan
from partframe.testing import assert_eq


@pytest.fixture
def footer_reads(monkeypatch):
    paths: list[str] = []
    read_footer = parquet_plan.read_footer

    def counted(fs, path):
        paths.append(path)
        return read_footer(fs, path)

    monkeypatch.setattr(parquet_plan, "read_footer", counted)
    return paths


def _write(folder, frames):
    os.makedirs(folder, exist_ok=True)
    for i, pdf in enumerate(frames):
        pdf.to_parquet(os.path.join(folder, f"part.{i}.parquet"), row_group_size=4)


def _frames(offset=0):
    rng = np.random.default_rng(offset)
    return [
        pd.DataFrame(
            {
                "k": np.arange(10 * i, 10 * i + 10) + offset,
                "v": rng.normal(size=10),
                "s": [f"s{j % 3}" for j in range(10)],
            }
        )
        for i in range(3)
    ]


def test_a_second_read_reuses_the_plan(tmp_path, footer_reads):
    folder = str(tmp_path / "ds")
    frames = _frames()
    _write(folder, frames)
    whole = pd.concat(frames, ignore_index=True)
    first = partframe.read_parquet(folder)
    assert len(footer_reads) == 3
    second = partframe.read_parquet(folder, columns=["k", "v"])
    assert len(footer_reads) == 3  # same files, same options: no footer read
    assert_eq(first, whole)
    assert_eq(second[second.k > 12], whole[["k", "v"]][whole.k > 12])
    # the copies share statistics, not their pins or tokens
    assert first.expr.dataset is not second.expr.dataset
    assert first.npartitions == second.npartitions == 3


def test_other_options_plan_anew(tmp_path, footer_reads):
    folder = str(tmp_path / "ds")
    frames = _frames()
    _write(folder, frames)
    whole = pd.concat(frames, ignore_index=True)
    partframe.read_parquet(folder)
    by_row_group = partframe.read_parquet(folder, split_row_groups=True)
    assert len(footer_reads) == 6
    assert by_row_group.npartitions == 9
    assert_eq(by_row_group, whole, check_index=False)


def test_a_rewritten_file_is_planned_again(tmp_path, footer_reads):
    folder = str(tmp_path / "ds")
    _write(folder, _frames())
    before = partframe.read_parquet(folder)
    assert before.k.max().compute() == 29
    changed = _frames(offset=100)
    _write(folder, changed)  # same names and sizes, new content
    path = os.path.join(folder, "part.0.parquet")
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    after = partframe.read_parquet(folder)
    assert len(footer_reads) == 6
    assert_eq(after, pd.concat(changed, ignore_index=True))
    assert after.k.max().compute() == 129


def test_a_file_added_is_planned_again(tmp_path, footer_reads):
    folder = str(tmp_path / "ds")
    frames = _frames()
    _write(folder, frames)
    assert partframe.read_parquet(folder).npartitions == 3
    extra = _frames(offset=50)[0]
    extra.to_parquet(os.path.join(folder, "part.3.parquet"), row_group_size=4)
    df = partframe.read_parquet(folder)
    assert df.npartitions == 4
    assert_eq(df, pd.concat([*frames, extra], ignore_index=True))
