"""Bind ``dask.dataframe`` to partframe for Dask's own test modules.

The tests import the real ``dask`` (config, utils, array, bytes, base) and a
dozen ``dask.dataframe`` submodules at module level. They come from the pinned
sdist itself (pure Python, put first on ``sys.path``), so the tests and the
helpers they import are of one release. Only the collection API is swapped:

- ``sys.modules["dask.dataframe"]`` becomes :class:`DataFrameNamespace`, whose
  public names (``from_pandas``, ``read_csv``, ``concat``, ``merge``,
  ``DataFrame`` ...) are partframe's. A public name partframe lacks raises
  :class:`MissingAPIError`; an internal name (``dask_expr``, ``core``,
  ``shuffle`` ...) raises :class:`DaskInternalsError`. Submodules still import
  from the real package folder (``__path__``), so ``from
  dask.dataframe._compat import PANDAS_GE_220`` works.
- ``dask.dataframe.utils.assert_eq`` is :func:`assert_eq`: partframe's own,
  with Dask's default ``sort_results=True``.
- ``dask.compute``, ``dask.persist`` and ``dask.delayed`` are partframe's, so
  ``dd.from_delayed([delayed(f)(...)])`` and ``dask.compute(a, b)`` use them.
- Dask's ``dataframe.convert-string`` is off: partframe keeps pandas' dtypes,
  and the tests choose their expected dtypes by ``pyarrow_strings_enabled()``.

Nothing here catches an exception: a partframe error fails the test.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd

import partframe
import partframe.testing
from partframe import testing

__all__ = ["DaskInternalsError", "MissingAPIError", "assert_eq", "install"]

# ``dd.<name>`` for these submodules is the real one: they hold pandas-level
# helpers and version flags, no collection code.
HELPER_SUBMODULES = frozenset({"_compat", "_pyarrow", "methods", "utils"})

# Public names of ``dask.dataframe.__all__`` that are Dask machinery, not API a
# partframe user could expect (dispatch registries, graph constructors, bags,
# Dask's demo data generators).
INTERNAL_PUBLIC = frozenset(
    {"backends", "demo", "dispatch", "get_collection_type", "from_graph", "to_bag"}
)


class MissingAPIError(AttributeError):
    """A public ``dask.dataframe`` function that partframe does not have."""


class DaskInternalsError(AttributeError):
    """An internal ``dask.dataframe`` name with no partframe counterpart."""


def assert_eq(
    a: Any,
    b: Any,
    check_names: bool = True,
    check_dtype: bool = True,
    check_divisions: bool = True,
    check_index: bool = True,
    sort_results: bool = True,
    scheduler: Any = "sync",
    **kwargs: Any,
) -> bool:
    """Dask's ``assert_eq`` over ``partframe.testing.assert_eq``.

    Dask sorts both results by values and index before comparing
    (``sort_results=True`` by default), in its own way: an index name that is
    also a column is renamed first, and unorderable values stay unsorted
    (``dask.dataframe.utils._maybe_sort``). So each partframe operand is
    computed and checked here as ``partframe.testing.assert_eq`` checks it
    (partitions against the meta and the divisions), sorted by Dask's
    function, and the sorted results are compared by partframe's.
    """
    options = dict(check_names=check_names, check_dtype=check_dtype, **kwargs)
    if sort_results:
        from dask.dataframe.utils import _maybe_sort

        a, b = (_checked_result(x, check_divisions, scheduler) for x in (a, b))
        if isinstance(a, pd.DataFrame | pd.Series):
            a, b = _maybe_sort(a, check_index), _maybe_sort(b, check_index)
    partframe.testing.assert_eq(
        a,
        b,
        check_divisions=check_divisions,
        check_index=check_index,
        sort_results=False,
        scheduler=scheduler,
        **options,
    )
    return True


def _checked_result(obj: Any, check_divisions: bool, scheduler: Any) -> Any:
    """``obj`` computed, with partframe's per-partition checks, if it is lazy."""
    value, parts = testing._compute_parts(obj, scheduler)
    if parts is not None:
        testing._check_meta(obj, parts)
        if check_divisions:
            testing._check_divisions(obj, parts)
    return value


def _missing(name: str) -> Any:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise MissingAPIError(
            f"partframe has no {name!r} (dask.dataframe.{name} is public API)"
        )

    missing.__name__ = missing.__qualname__ = name
    return missing


def repartition(df: Any, divisions: Any, force: bool = False) -> Any:
    """``dd.repartition``: a pandas object (or a collection) split at ``divisions``.

    Three test modules build their module-level data with it, so it is bound
    to partframe's public ``from_pandas`` and ``repartition`` rather than left
    missing (which would fail every test of those modules at import). A
    pandas object has no divisions to keep: Dask cuts it at ``divisions``
    wherever they start and end, hence ``force=True`` for it.
    """
    if not isinstance(df, partframe.DataFrame | partframe.Series):
        df, force = partframe.from_pandas(df, npartitions=1), True
    return df.repartition(divisions=divisions, force=force)


# Dask public functions that partframe has under another spelling.
ADAPTERS = {"repartition": repartition}


class DataFrameNamespace(types.ModuleType):
    """``dask.dataframe`` as seen by the tests: partframe's public API."""

    def __init__(self, real: types.ModuleType) -> None:
        super().__init__(real.__name__, real.__doc__)
        self.__path__ = list(real.__path__)
        self.__file__ = real.__file__
        self.__spec__ = real.__spec__
        self._public = frozenset(real.__all__) - INTERNAL_PUBLIC

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "assert_eq":
            return assert_eq
        if name in ADAPTERS:
            return ADAPTERS[name]
        if name in self._public:
            if hasattr(partframe, name):
                return getattr(partframe, name)
            # A stub, not an AttributeError here: the tests name some of these
            # at module level (``parametrize([dd.read_table, ...])``), and one
            # missing function must fail its tests, not the whole module.
            return _missing(name)
        if name in HELPER_SUBMODULES:
            return importlib.import_module(f"dask.dataframe.{name}")
        raise DaskInternalsError(
            f"dask.dataframe.{name} is Dask-internal; partframe has no counterpart"
        )


def install(root: Path) -> None:
    """Import the sdist's ``dask`` from ``root`` and bind its dataframe to partframe.

    Idempotent. Raises ``RuntimeError`` when another ``dask`` was imported
    first: the tests would then run against a different release.
    """
    root = Path(root).resolve()
    dask = sys.modules.get("dask")
    if dask is not None and not Path(dask.__file__).resolve().is_relative_to(root):
        raise RuntimeError(
            f"dask was already imported from {dask.__file__} before the "
            f"conformance shim; run `pytest tests/conformance --conformance` "
            f"on its own so the pinned sdist in {root} is used"
        )
    if isinstance(sys.modules.get("dask.dataframe"), DataFrameNamespace):
        return
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import dask
    import dask.config

    dask.config.set({"dataframe.convert-string": False})
    real = importlib.import_module("dask.dataframe")  # registers dispatch, dtypes
    utils = importlib.import_module("dask.dataframe.utils")
    namespace = DataFrameNamespace(real)
    sys.modules["dask.dataframe"] = namespace
    dask.dataframe = namespace
    utils.assert_eq = assert_eq
    dask.compute = partframe.compute
    dask.persist = partframe.persist
    dask.delayed = partframe.delayed
