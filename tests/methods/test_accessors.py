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
    ("getitem-slice", lambda d: d.s.str[1:3]),
    ("getitem-reversed", lambda d: d.s.str[::-1]),
    ("getitem-char", lambda d: d.s.str[-1]),
    ("getitem-list", lambda d: d.words.str.split(" ").str[1]),
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


WIDENED = [
    ("str-len", "w", lambda s: s.str.len()),
    ("str-find", "w", lambda s: s.str.find("a")),
    ("str-count", "w", lambda s: s.str.count(" ")),
    ("dt-year", "t", lambda s: s.dt.year),
    ("dt-hour", "t", lambda s: s.dt.hour),
    ("td-days", "td", lambda s: s.dt.days),
]


def _with_one_missing(where: str) -> pd.DataFrame:
    n = 12
    t = pd.Series(pd.date_range("2024-01-01 03:00", periods=n, freq="29h"))
    pdf = pd.DataFrame(
        {
            "w": pd.array([f"a b{'a' * (i % 3)}" for i in range(n)], dtype="str"),
            "t": t,
            "td": t - pd.Timestamp("2023-12-25"),
            "k": range(n),
        }
    )
    row = {"first": 0, "last": n - 1}.get(where)
    if row is not None:
        pdf.loc[row, ["w", "t", "td"]] = None
    return pdf


@pytest.mark.parametrize("where", ["first", "last", "none"])
@pytest.mark.parametrize("case", WIDENED, ids=[c[0] for c in WIDENED])
def test_widened_by_a_missing_value_in_every_partition(case, where):
    """pandas makes an int result float64 for the whole column when one
    value is missing: every partition is alike, so a cast to str, a filter
    on another column and the head see pandas' dtype too."""
    _, col, func = case
    pdf = _with_one_missing(where)
    for how, ddf, p in variants(pdf):
        got, want = func(ddf[col]), func(p[col])
        assert_eq(got, want)
        parts = [got.partitions[i].compute() for i in range(got.npartitions)]
        dtypes = {str(part.dtype) for part in parts if len(part)}
        assert dtypes <= {str(want.dtype)}, how
        assert_eq(got.astype(str), func(p[col]).astype(str))
        d2, p2 = ddf.assign(n=got), p.assign(n=func(p[col]))
        assert_eq(d2[d2.k > 5], p2[p2.k > 5])
        assert_eq(d2[d2.k > 5].n.astype(str), p2[p2.k > 5].n.astype(str))


def _decided_per_column(obj) -> bool:
    from partframe.expr.base import walk

    return any(type(n).__name__ == "CastAlike" for n in walk(obj.expr))


def test_no_whole_column_decision_where_no_value_is_missing(tmp_path):
    """A column known to hold every value (data in memory, Parquet null
    counts, through filters, renames and the kept side of joins) skips the
    flags' reduction, which would make partitions wait for the column."""
    full = _with_one_missing("none")
    some = _with_one_missing("last")
    full.to_parquet(tmp_path / "full.parquet")
    some.to_parquet(tmp_path / "some.parquet")
    right = partframe.from_pandas(pd.DataFrame({"k": [1, 2], "x": [0, 1]}), 1)
    for source, missing in [
        (partframe.from_pandas(full, 3), False),
        (partframe.read_parquet(tmp_path / "full.parquet"), False),
        (partframe.from_pandas(some, 3), True),
        (partframe.read_parquet(tmp_path / "some.parquet"), True),
    ]:
        d = source[source.k > 2].rename(columns={"t": "when"})
        for frame in (d, d.merge(right, on="k"), d.merge(right, on="k", how="left")):
            assert _decided_per_column(frame.when.dt.year) is missing
        assert _decided_per_column(d.assign(when=d.w).when.str.len()) is missing
        joined = right.merge(d, on="k", how="left")
        assert _decided_per_column(joined.when.dt.year)
