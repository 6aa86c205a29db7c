"""partframe.delayed: lazy calls, operators, keys, containers, compute/persist."""

from __future__ import annotations

import collections
import dataclasses
import operator
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import partframe
from partframe import Delayed, delayed
from partframe.delayed import _DelayedLeaf

REPO = str(Path(partframe.__file__).resolve().parent.parent)


@pytest.fixture
def sched(scheduler):
    """The scheduler matrix: sync, threads, processes and a distributed Client."""
    return scheduler


def inc(x):
    return x + 1


def add(x, y=0):
    return x + y


def boom(x):
    raise ValueError(f"boom {x}")


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": REPO}
    env.pop("PYTHONHASHSEED", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return proc.stdout.strip()


class Counter:
    """A thread-safe call counter usable as a task function."""

    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def __call__(self, x):
        with self._lock:
            self.n += 1
        time.sleep(0.01)  # let other threads overlap
        return x


# --- results -------------------------------------------------------------------


def test_call_and_chain(sched):
    a = delayed(inc)(1)
    b = delayed(add)(a, y=a)
    assert isinstance(b, Delayed)
    assert b.compute(scheduler=sched) == 4
    assert partframe.compute(a, b, 10, scheduler=sched) == (2, 4, 10)


def test_decorator_forms():
    @delayed
    def f(x):
        return x * 2

    @delayed(pure=True)
    def g(x):
        return x * 3

    assert f(2).compute(scheduler="sync") == 4
    assert g(2).compute(scheduler="sync") == 6
    assert g(2).key == g(2).key
    assert f(2).key != f(2).key


def test_delayed_value_and_identity():
    d = delayed([1, 2, 3])
    assert d.compute(scheduler="sync") == [1, 2, 3]
    assert delayed(d) is d
    assert delayed((sum, [1])).compute(scheduler="sync") == (sum, [1])
    assert delayed("text").compute(scheduler="sync") == "text"


def test_name_sets_key():
    d = delayed(5, name="five")
    assert d.key == "five"
    assert d.__dask_graph__() == {"five": 5}
    assert (d + 1).compute(scheduler="sync") == 6


def test_errors_propagate(sched):
    with pytest.raises(ValueError, match="boom 3"):
        delayed(boom)(3).compute(scheduler=sched)


def test_long_chain_builds_linearly():
    d = delayed(0)
    for _ in range(3000):
        d = d + 1
    assert len(d.__dask_graph__()) == 3001
    assert d.compute(scheduler="sync") == 3000


# --- operators, attributes, methods --------------------------------------------

BINARY = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lshift,
    operator.rshift,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.lt,
    operator.le,
    operator.eq,
    operator.ne,
    operator.gt,
    operator.ge,
    divmod,
]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_binary_operators(op):
    x, y = 7, 3
    assert op(delayed(x), y).compute(scheduler="sync") == op(x, y)
    assert op(delayed(x), delayed(y)).compute(scheduler="sync") == op(x, y)
    if op not in (operator.lt, operator.le, operator.gt, operator.ge):
        # Reflected forms (comparisons reflect to their mirror instead).
        assert op(x, delayed(y)).compute(scheduler="sync") == op(x, y)


def test_reflected_comparisons():
    assert (3 < delayed(5)).compute(scheduler="sync") is True  # noqa: SIM300
    assert (3 >= delayed(5)).compute(scheduler="sync") is False  # noqa: SIM300


def test_matmul():
    np = pytest.importorskip("numpy")
    a = np.array([[1, 2], [3, 4]])
    assert ((delayed(a) @ a).compute(scheduler="sync") == a @ a).all()
    assert ((a @ delayed(a)).compute(scheduler="sync") == a @ a).all()


@pytest.mark.parametrize(
    "op", [operator.neg, operator.pos, operator.invert, abs], ids=lambda f: f.__name__
)
def test_unary_operators(op):
    assert op(delayed(-5)).compute(scheduler="sync") == op(-5)


def test_operators_are_pure():
    x = delayed(inc)(1)
    assert (x + 1).key == (x + 1).key
    assert x[0].key == x[0].key


def test_attributes_items_methods(sched):
    s = delayed("a,b,c")
    assert s.upper().compute(scheduler=sched) == "A,B,C"
    assert s.split(",")[1].compute(scheduler=sched) == "b"
    assert s.replace("a", "z", 1).compute(scheduler=sched) == "z,b,c"
    assert delayed(3 + 4j).imag.compute(scheduler=sched) == 4.0
    d = delayed({"k": [10, 20]})
    assert d["k"][1].compute(scheduler=sched) == 20
    # Keyword arguments, with delayed values among them.
    rev = delayed(True)
    assert delayed(sorted)([3, 1, 2], reverse=rev).compute(scheduler=sched) == [
        3,
        2,
        1,
    ]
    assert s.split(sep=delayed(",")).compute(scheduler=sched) == ["a", "b", "c"]


def test_method_call_is_one_task():
    m = delayed("abc").upper()
    tasks = [t for t in m.__dask_graph__().values() if isinstance(t, tuple)]
    assert not any(t[0] is getattr for t in tasks)


def test_methods_impure_unless_asked():
    s = delayed("abc")
    assert s.upper().key != s.upper().key
    assert s.upper(pure=True).key == s.upper(pure=True).key
    assert s.upper(dask_key_name="up").key == "up"


def test_delayed_callable_value():
    funcs = delayed({"f": add})
    assert funcs["f"](1, y=2).compute(scheduler="sync") == 3
    assert funcs["f"](1, 2).compute(scheduler="sync") == 3


def test_not_lazy_operations_raise():
    d = delayed([1, 2])
    with pytest.raises(TypeError, match="len"):
        len(d)
    with pytest.raises(TypeError, match="not iterable"):
        iter(d)
    with pytest.raises(TypeError, match="truth value"):
        bool(d)
    with pytest.raises(TypeError, match="'in'"):
        1 in d  # noqa: B015
    with pytest.raises(TypeError, match="immutable"):
        d.x = 1
    with pytest.raises(AttributeError):
        d._private  # noqa: B018


# --- nout ----------------------------------------------------------------------


def test_nout_unpacks(sched):
    q, r = delayed(divmod, nout=2)(17, 5)
    assert partframe.compute(q, r, scheduler=sched) == (3, 2)
    t = delayed(tuple, nout=3)([1, 2, 3])
    assert len(t) == 3
    assert [x.compute(scheduler="sync") for x in t] == [1, 2, 3]
    assert list(delayed(tuple, nout=0)([])) == []


def test_nout_validation():
    with pytest.raises(ValueError, match="nout"):
        delayed(divmod, nout=-1)
    with pytest.raises(ValueError, match="nout"):
        delayed(divmod, nout=1.5)


# --- keys ------------------------------------------------------------------------


def test_pure_keys_deterministic():
    a = delayed(add, pure=True)(1, y=2)
    b = delayed(add, pure=True)(1, y=2)
    c = delayed(add, pure=True)(1, y=3)
    assert a.key == b.key != c.key
    assert a.key.startswith("add-")


def test_pure_keys_equal_across_processes():
    code = (
        "import operator, partframe\n"
        "x = partframe.delayed(operator.add, pure=True)(1, [2, 'a'])\n"
        "print(partframe.delayed(operator.mul, pure=True)(x, 3).key)\n"
    )
    here = delayed(operator.mul, pure=True)(
        delayed(operator.add, pure=True)(1, [2, "a"]), 3
    ).key
    assert run_python(code) == here
    assert run_python(code) == here


def test_impure_keys_unique():
    keys = {delayed(inc)(1).key for _ in range(50)}
    assert len(keys) == 50
    assert delayed(inc)(1, dask_key_name="mine").key == "mine"


def test_tokenize_uses_key():
    from partframe.tokenize import tokenize

    d = delayed(inc)(1)
    assert tokenize(d) == tokenize(d)
    assert tokenize(d) != tokenize(delayed(inc)(1))


# --- containers ----------------------------------------------------------------


P = collections.namedtuple("P", "a b")


def test_containers_with_delayed_inside(sched):
    x = delayed(inc)(1)
    arg = [x, (x, 3), {"k": x, (1, 2): [x]}, {x, 10}, (sum, [1])]
    expected = [2, (2, 3), {"k": 2, (1, 2): [2]}, {2, 10}, (sum, [1])]
    assert delayed(arg).compute(scheduler=sched) == expected
    assert delayed(list)(arg).compute(scheduler=sched) == expected
    assert delayed(add)(0, y=arg[2]["k"]).compute(scheduler=sched) == 2
    assert delayed(P(x, 5)).compute(scheduler=sched) == P(2, 5)


def test_literal_tuples_stay_data():
    # A literal tuple whose first element is callable must not run as a task.
    d = delayed(add)((len, "abc"), ((1, 2),))
    assert d.compute(scheduler="sync") == (len, "abc", (1, 2))
    assert delayed(inc)(("k", 0)).key  # a key-like tuple is fine too


@dataclasses.dataclass
class Box:
    value: object
    label: str = "box"


def test_compute_traverses_containers():
    x = delayed(inc)(1)
    out = partframe.compute(
        [x, (x, "lit")], {"a": x}, P(x, 1), Box(x), 7, scheduler="sync"
    )
    assert out == ([2, (2, "lit")], {"a": 2}, P(2, 1), Box(2), 7)
    # traverse=False leaves containers alone.
    lst = [x]
    assert partframe.compute(lst, x, traverse=False, scheduler="sync") == (lst, 2)


# --- shared work, persist ------------------------------------------------------


def test_shared_work_done_once():
    count = Counter()
    base = delayed(count)(10)  # impure: one key, so one task
    a = base + 1
    b = base * 2
    c = delayed(sum)([base, a, b])
    assert partframe.compute(a, b, c, scheduler="threads") == (11, 20, 41)
    assert count.n == 1


_PURE_CALLS = Counter()


def counted(x):
    return _PURE_CALLS(x)


def test_pure_calls_shared():
    before = _PURE_CALLS.n
    f = delayed(counted, pure=True)
    xs = [f(5) for _ in range(8)]
    assert delayed(sum)(xs).compute(scheduler="threads") == 40
    assert _PURE_CALLS.n - before == 1


@pytest.mark.parametrize("sched", ["sync", "threads"])
def test_persist_holds_values(sched):
    # Counting calls needs the caller's memory: in-process schedulers only.
    count = Counter()
    d = delayed(count)((1, 2)) + (3,)
    p = d.persist(scheduler=sched)
    assert count.n == 1
    assert isinstance(p, Delayed) and p.key == d.key
    assert len(p.__dask_graph__()) == 1
    assert p.compute(scheduler=sched) == (1, 2, 3)
    assert (p + (4,)).compute(scheduler=sched) == (1, 2, 3, 4)
    assert count.n == 1


def test_persist_many_and_containers():
    a, b = delayed(inc)(1), delayed(inc)(2)
    pa, (pb, lit) = partframe.persist(a, [b, "x"], scheduler="sync")
    assert lit == "x"
    assert partframe.compute(pa, pb, scheduler="sync") == (2, 3)
    s = delayed("a-string").persist(scheduler="sync")
    assert s.compute(scheduler="sync") == "a-string"


def test_pickle_roundtrip():
    d = delayed("abc").upper()
    e = delayed(divmod, nout=2)(5, 2)
    for obj in (d, e, d.replace, delayed(inc)):
        clone = pickle.loads(pickle.dumps(obj))
        assert clone.key == obj.key
        assert type(clone) is type(obj)
    assert pickle.loads(pickle.dumps(d)).compute(scheduler="sync") == "ABC"
    assert len(pickle.loads(pickle.dumps(e))) == 2
    assert isinstance(pickle.loads(pickle.dumps(delayed(inc))), _DelayedLeaf)


# --- visualize, imports ----------------------------------------------------------


def test_visualize(tmp_path):
    d = delayed(add)(delayed(inc)(1), 2)
    target = tmp_path / "graph.png"
    try:
        import graphviz
    except ImportError:
        with pytest.raises(ImportError, match=r"partframe\[visualize\]"):
            d.visualize(str(target))
        return
    g = d.visualize(filename=None)
    assert "inc" in g.source and "add" in g.source
    try:
        graphviz.version()
    except graphviz.ExecutableNotFound:
        with pytest.raises(ImportError, match=r"partframe\[visualize\]") as info:
            d.visualize(str(target))
        assert "'dot' program" in str(info.value)
        return
    d.visualize(str(target))
    assert target.exists() and target.stat().st_size > 0


def test_import_is_light():
    code = (
        "import sys, partframe\n"
        "heavy = {'dask', 'distributed', 'ray', 'graphviz'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    assert run_python(code) == "[]"
