""".str, .dt and .cat accessors against pandas, over every partitioning."""

from __future__ import annotations

import pandas as pd
import pytest
from frames import make_pdf, variants

import partframe
from partframe.testing import assert_eq

PDF = make_pdf()
PDF["td"] = PDF.t - pd.Timestamp("2024-01-01")
PDF["words"] = pd.array(["a b c", "d e", "f", None, "g h i j", "k l"] * 5, dtype="str")
VARIANTS = variants(PDF)


def _ids(cases):
    return [c.id if hasattr(c, "id") else c[0] for c in cases]


STR_CASES = [
    ("contains", lambda d: d.s.str.contains("an")),
    ("contains-regex", lambda d: d.s.str.contains(r"^[a-c]", regex=True)),
    ("contains-case", lambda d: d.s.str.contains("BAN", case=False)),
    ("contains-na", lambda d: d.words.str.contains("a", na=False)),
    ("startswith", lambda d: d.s.str.startswith("a")),
    ("endswith", lambda d: d.s.str.endswith("e")),
    ("match", lambda d: d.s.str.match(r"[a-z]+")),
    ("fullmatch", lambda d: d.s.str.fullmatch(r"[a-z]+")),
    ("strip", lambda d: d.s.str.strip()),
    ("lstrip", lambda d: d.s.str.lstrip()),
    ("rstrip", lambda d: d.s.str.rstrip()),
    ("slice", lambda d: d.s.str.slice(1, 3)),
    ("upper", lambda d: d.s.str.upper()),
    ("lower", lambda d: d.s.str.lower()),
    ("title", lambda d: d.s.str.title()),
    ("len", lambda d: d.s.str.len()),
    # pandas gives float64 to a result with missing values: partitions
    # holding one are float64, the concat of all of them is pandas' dtype
    ("len-na", lambda d: d.words.str.len()),
    ("replace", lambda d: d.s.str.replace("a", "A")),
    ("replace-regex", lambda d: d.s.str.replace(r"[aeiou]", "", regex=True)),
    ("split", lambda d: d.words.str.split()),
    ("split-expand", lambda d: d.words.str.split(n=3, expand=True)),
    ("rsplit-expand", lambda d: d.words.str.rsplit(" ", n=1, expand=True)),
    ("get", lambda d: d.s.str.get(0)),
    ("pad", lambda d: d.s.str.pad(8, fillchar="*")),
    ("zfill", lambda d: d.s.str.zfill(7)),
    ("find", lambda d: d.s.str.find("a")),
    ("count", lambda d: d.s.str.count("a")),
    ("partition", lambda d: d.words.str.partition(" ")),
    ("extract", lambda d: d.s.str.extract(r"(\w)(\w)")),
    ("isalpha", lambda d: d.s.str.isalpha()),
    ("category", lambda d: d.c.str.upper()),
]

DT_CASES = [
    (attr, lambda d, attr=attr: getattr(d.t.dt, attr))
    for attr in [
        "year", "month", "day", "hour", "minute", "second", "day_of_week",
        "day_of_year", "quarter", "date", "is_month_start",
    ]
] + [
    ("tz-hour", lambda d: d.tz.dt.hour),
    ("floor", lambda d: d.t.dt.floor("D")),
    ("ceil", lambda d: d.t.dt.ceil("h")),
    ("round", lambda d: d.t.dt.round("D")),
    ("strftime", lambda d: d.t.dt.strftime("%Y-%m-%d %H")),
    ("tz_localize", lambda d: d.t.dt.tz_localize("UTC")),
    ("tz_convert", lambda d: d.tz.dt.tz_convert("UTC")),
    ("normalize", lambda d: d.t.dt.normalize()),
    ("day_name", lambda d: d.t.dt.day_name()),
    ("total_seconds", lambda d: d.td.dt.total_seconds()),
    ("td-days", lambda d: d.td.dt.days),
    ("td-components", lambda d: d.td.dt.components),
]  # fmt: skip

CAT_CASES = [
    ("codes", lambda d: d.c.cat.codes),
    ("set_categories", lambda d: d.c.cat.set_categories(["z", "y", "x", "w"])),
    ("add_categories", lambda d: d.c.cat.add_categories(["w"])),
    ("remove_categories", lambda d: d.c.cat.remove_categories(["z"])),
    ("rename_categories", lambda d: d.c.cat.rename_categories({"x": "X"})),
    ("reorder", lambda d: d.c.cat.reorder_categories(["z", "x", "y"], ordered=True)),
    ("as_ordered", lambda d: d.c.cat.as_ordered()),
]


@pytest.mark.parametrize(
    "case", STR_CASES + DT_CASES + CAT_CASES, ids=_ids(STR_CASES + DT_CASES + CAT_CASES)
)
def test_accessor(case):
    _, func = case
    for _how, ddf, pdf in VARIANTS:
        assert_eq(func(ddf), func(pdf))


@pytest.mark.parametrize("case", STR_CASES[:3] + DT_CASES[-4:] + CAT_CASES[:2])
def test_accessor_threads(case):
    _, func = case
    _, ddf, pdf = VARIANTS[2]
    assert_eq(func(ddf), func(pdf), scheduler="threads")


def test_accessor_processes():
    _, ddf, pdf = VARIANTS[1]
    assert_eq(
        ddf.words.str.split(n=3, expand=True),
        pdf.words.str.split(n=3, expand=True),
        scheduler="processes",
    )
    assert_eq(ddf.t.dt.strftime("%Y"), pdf.t.dt.strftime("%Y"), scheduler="processes")


@pytest.mark.parametrize(
    "column, accessor, message",
    [
        ("i", "str", r"\.str accessor.*Series 'i' has dtype int64"),
        ("s", "dt", r"\.dt accessor.*Series 's' has dtype str"),
        ("f", "cat", r"\.cat accessor.*Series 'f' has dtype float64"),
    ],
)
def test_wrong_dtype_raises_at_plan_time(column, accessor, message):
    ddf = VARIANTS[1][1]
    with pytest.raises(AttributeError, match=message):
        getattr(ddf[column], accessor)


def test_split_expand_needs_n():
    ddf = VARIANTS[1][1]
    with pytest.raises(ValueError, match="needs n="):
        ddf.words.str.split(expand=True)


def test_metadata_answers_without_computing():
    ddf = VARIANTS[1][1]
    with partframe.config.set(scheduler="raise"):
        assert list(ddf.c.cat.categories) == ["x", "y", "z"]
        assert ddf.c.cat.ordered is False
        assert ddf.c.cat.known
        assert (
            ddf.c.cat.as_known() is ddf.c or ddf.c.cat.as_known()._name == ddf.c._name
        )
        assert str(ddf.tz.dt.tz) == "Europe/Paris"
        assert ddf.t.dt.tz is None
        assert ddf.t.dt.unit == "us"
        assert ddf.c.cat.add_categories(["w"]).cat.categories.tolist() == [
            "x",
            "y",
            "z",
            "w",
        ]
        ddf.s.str.upper()
        ddf.words.str.split(n=2, expand=True)


def test_unsupported_cat_and_str_methods():
    ddf = VARIANTS[1][1]
    with pytest.raises(NotImplementedError, match="set_categories"):
        ddf.c.cat.remove_unused_categories()
    with pytest.raises(NotImplementedError):
        ddf.c.cat.as_unknown()
    with pytest.raises(NotImplementedError, match="across partitions"):
        ddf.s.str.cat()


def test_str_then_filter():
    for _how, ddf, pdf in VARIANTS:
        assert_eq(ddf[ddf.s.str.startswith("a")], pdf[pdf.s.str.startswith("a")])
