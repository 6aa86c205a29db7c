"""Deterministic tokens: equal inputs share a token, different ones never do."""

from __future__ import annotations

import dataclasses
import functools
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from frames import same_in_forked_child
from hypothesis import given, settings
from hypothesis import strategies as st

from partframe.tokenize import normalize_token, tokenize


def distinct(*objs):
    tokens = [tokenize(o) for o in objs]
    return len(set(tokens)) == len(tokens)


def test_scalars_of_different_types_differ():
    assert distinct(1, 1.0, True, "1", b"1", np.int64(1), np.float64(1), None, "None")
    assert distinct(0.0, -0.0, 0, False, "")
    assert tokenize(float("nan")) == tokenize(float("nan"))


def test_containers():
    assert distinct((1,), [1], {1}, frozenset([1]), {1: None})
    assert distinct([1, [2]], [[1], 2], [1, 2])
    assert tokenize({"a": 1, "b": 2}) == tokenize({"b": 2, "a": 1})
    assert tokenize({"x", "y", "z"}) == tokenize({"z", "y", "x"})
    assert tokenize(a=1, b=2) == tokenize(b=2, a=1)
    assert tokenize(1, b=2) != tokenize(1, 2)


def test_strings_that_look_like_structure():
    assert distinct("('tuple', 1)", ("tuple", 1), ["tuple", 1])


def test_dataframe_by_content():
    df = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    assert tokenize(df) == tokenize(df.copy())
    assert distinct(
        df,
        df.assign(x=[1, 2, 4]),
        df.set_axis([10, 11, 12]),
        df.rename(columns={"x": "z"}),
        df.rename_axis("idx"),
        df.rename_axis(columns="cols"),
        df.astype({"x": "float64"}),
        df.astype({"x": "Int64"}),
        df.astype({"y": "category"}),
        df.astype({"y": object}),
        df[["y", "x"]],
    )


def test_frames_differing_only_in_dtype_or_index_type():
    a = pd.DataFrame({"x": [1, 2]})
    assert distinct(a, a.astype("int32"), a.set_axis(pd.Index([0, 1], dtype="int64")))


def test_series_index_multiindex():
    s = pd.Series([1.5, 2.5], name="s")
    assert tokenize(s) == tokenize(s.copy())
    assert distinct(s, s.rename("t"), s.rename(None), s.to_frame())
    mi = pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["n", "m"])
    assert tokenize(mi) == tokenize(mi.copy())
    assert distinct(
        mi,
        mi.set_names(["n", "z"]),
        pd.MultiIndex.from_tuples([(1, "a"), (2, "c")], names=["n", "m"]),
        mi.set_levels(mi.levels[0].astype("float64"), level=0),
    )
    idx = pd.Index(["a", "b"])
    assert distinct(idx, idx.rename("n"), pd.Index(["a", "b"], dtype=object))


def test_pandas_dtypes():
    cat1 = pd.Series(pd.Categorical(["a", "b"], categories=["a", "b"]))
    cat2 = pd.Series(pd.Categorical(["a", "b"], categories=["b", "a"]))
    cat3 = pd.Series(pd.Categorical(["a", "b"], ordered=True))
    assert tokenize(cat1) == tokenize(cat1.copy())
    assert distinct(cat1, cat2, cat3)
    naive = pd.Series(pd.date_range("2020", periods=3))
    utc = naive.dt.tz_localize("UTC")
    ny = naive.dt.tz_localize("America/New_York")
    assert distinct(naive, utc, ny, utc.dt.tz_convert("America/New_York"))
    nullable = pd.Series([1, None, 3], dtype="Int64")
    assert tokenize(nullable) == tokenize(nullable.copy())
    assert distinct(nullable, nullable.astype("Float64"), nullable.fillna(0))
    strings = pd.Series(["a", None], dtype="string")
    assert distinct(strings, strings.astype(object), strings.astype("str"))
    assert distinct(pd.date_range("2020", periods=3, freq="D"), naive.to_numpy())


def test_object_columns_mixed_and_unhashable():
    assert distinct(
        pd.Series([1, "a"], dtype=object),
        pd.Series(["1", "a"], dtype=object),
        pd.Series([1.0, "a"], dtype=object),
        pd.Series([True, "a"], dtype=object),
    )
    lists = pd.DataFrame({"a": [[1, 2], [3]], "b": [{"k": 1}, None]})
    assert tokenize(lists) == tokenize(lists.copy())
    assert tokenize(lists) != tokenize(pd.DataFrame({"a": [[1, 2], [4]], "b": [{}, 1]}))


def test_empty_frames():
    assert distinct(
        pd.DataFrame(),
        pd.DataFrame(index=[0]),
        pd.DataFrame({"x": pd.Series([], dtype="int64")}),
        pd.DataFrame({"x": pd.Series([], dtype="float64")}),
    )


def test_numpy():
    a = np.arange(10)
    assert tokenize(a) == tokenize(a.copy())
    assert distinct(a, a.astype("int32"), a.reshape(2, 5), a[::2], a.astype(">i8"))
    assert tokenize(a[::2]) == tokenize(a[::2].copy())
    assert distinct(
        np.array([1, "a"], dtype=object), np.array(["1", "a"], dtype=object)
    )
    assert distinct(np.float64(1), np.float32(1), np.int64(1), np.dtype("f8"))


def test_large_frame_hashes_buffers_not_pickles(monkeypatch):
    """A big numeric + string frame is hashed through its buffers: never
    pickled nor hashed row by row (asserted, not timed: a clock fails on a
    busy machine)."""
    module = sys.modules["partframe.tokenize"]

    def forbidden(*args, **kwargs):
        raise AssertionError("the frame was pickled or hashed row by row")

    monkeypatch.setattr(module, "_normalize_pickle", forbidden)
    monkeypatch.setattr(module, "_hash_pandas_slow", forbidden)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.random((1_000_000, 4)), columns=list("abcd"))
    df["s"] = pd.Series(["x", "yy", "zzz", "w"] * 50_000).repeat(5).to_numpy()
    token = tokenize(df)
    assert token == tokenize(df.copy())
    changed = df.copy()
    changed.iloc[-1, 4] = "changed"
    assert tokenize(changed) != token


def top_level(x):
    return x + 1


def other_top_level(x):
    return x + 1


def make_adder(n):
    def add(x):
        return x + n

    return add


def test_functions():
    assert tokenize(top_level) == tokenize(top_level)
    assert distinct(top_level, other_top_level, len, sum)
    # Lambdas and closures hash by definition, not by identity or line.
    f = lambda x: x + 1  # noqa: E731
    g = lambda x: x + 1  # noqa: E731
    h = lambda x: x + 2  # noqa: E731
    assert tokenize(f) == tokenize(g)
    assert tokenize(f) != tokenize(h)
    assert tokenize(make_adder(1)) == tokenize(make_adder(1))
    assert tokenize(make_adder(1)) != tokenize(make_adder(2))


def test_partials_and_methods():
    p = functools.partial(top_level, 1)
    assert tokenize(p) == tokenize(functools.partial(top_level, 1))
    assert distinct(p, functools.partial(top_level, 2), functools.partial(len, 1))
    s1, s2 = pd.Series([1]), pd.Series([2])
    assert tokenize(s1.sum) == tokenize(s1.copy().sum)
    assert distinct(s1.sum, s2.sum, s1.max)


class Tokenized:
    def __init__(self, v):
        self.v = v

    def __dask_tokenize__(self):
        return self.v


class PfTokenized(Tokenized):
    def __pf_tokenize__(self):
        return ("pf", self.v)


@dataclasses.dataclass
class Point:
    x: int
    tags: set


def test_protocols_and_dataclasses():
    assert tokenize(Tokenized(1)) == tokenize(Tokenized(1))
    assert distinct(Tokenized(1), Tokenized(2), PfTokenized(1), 1)
    assert tokenize(Point(1, {"a", "b"})) == tokenize(Point(1, {"b", "a"}))
    assert distinct(Point(1, set()), Point(2, set()), (1, set()))


def test_unpicklable_objects_never_collide():
    lock = threading.Lock()
    assert tokenize(lock) != tokenize(lock)
    assert tokenize(threading.Lock()) != tokenize(threading.Lock())


def test_normalize_token_plain():
    assert normalize_token([1, "a"]) == ("list", 1, "a")


SCRIPT = """
import dataclasses, functools
import numpy as np, pandas as pd
from partframe.tokenize import tokenize

@dataclasses.dataclass
class P:
    s: set

def f(x):
    return x + K

K = 3
df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": pd.Categorical(["p", "q"])})
objs = [
    {"b": 1, "a": {"x", "y", "z"}}, frozenset({"u", "v"}), df, df["b"],
    np.arange(5), lambda x: x * 2, f, functools.partial(f, 1), P({"a", "b"}),
    pd.Timestamp("2020", tz="UTC"), pd.MultiIndex.from_tuples([(1, "a")]),
    (lambda n: (lambda x: x + n))(4),
]
print([tokenize(o) for o in objs])
"""


def test_deterministic_across_processes(tmp_path):
    script = tmp_path / "tok.py"
    script.write_text(SCRIPT)
    root = Path(__file__).resolve().parent.parent
    outs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        res = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    tokens = eval(outs[0])
    assert len(set(tokens)) == len(tokens)


scalars = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
    st.binary(max_size=5),
)
values = st.recursive(
    scalars,
    lambda c: st.one_of(
        st.lists(c, max_size=4),
        st.tuples(c, c),
        st.dictionaries(st.text(max_size=3), c, max_size=3),
    ),
    max_leaves=10,
)


def _same(a, b):
    """Equal and of the same types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


@settings(max_examples=200, deadline=None)
@given(values, values)
def test_tokens_equal_iff_values_same(a, b):
    assert (tokenize(a) == tokenize(b)) == _same(a, b)
    assert tokenize(a) == tokenize(a)


@pytest.mark.parametrize("obj", [pd.NA, pd.NaT, Ellipsis, slice(1, 2), int, Path("x")])
def test_misc_objects_stable(obj):
    assert tokenize(obj) == tokenize(obj)


def test_big_buffers_hash_the_same_in_threads_or_not(monkeypatch):
    import partframe.tokenize as tok

    rng = np.random.default_rng(0)
    # columns longer than a block, and not a whole number of blocks
    n = 3 * tok._BLOCK // 8 + 5
    pdf = pd.DataFrame({"a": rng.random(n), "b": rng.integers(0, 9, n)})
    threaded = tokenize(pdf)
    monkeypatch.setattr(tok, "_PARALLEL_MIN", 1 << 62)
    assert tokenize(pdf) == threaded
    monkeypatch.setattr(tok, "_PARALLEL_MIN", 0)
    for row in [0, tok._BLOCK // 8, n - 1]:  # first block, second, the tail
        changed = pdf.copy()
        changed.loc[row, "a"] += 1.0
        assert tokenize(changed) != threaded
    # the same bytes split differently between columns differ too
    assert tokenize(pdf[["b", "a"]]) != threaded


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_hashing_threads_work_after_fork():
    setup = """
        import numpy as np, pandas as pd
        import partframe.tokenize as tok
        pdf = pd.DataFrame({"a": np.arange(4 * tok._BLOCK // 8), "b": 1.5})
        """
    # the parent's pool starts with the first tokenize
    assert same_in_forked_child(setup, "tok.tokenize(pdf)")
