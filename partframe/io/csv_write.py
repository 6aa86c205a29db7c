"""CSV writing: ``to_csv``, through the output commit protocol of
:mod:`partframe.io.commit` (one file per partition, or one file).

Arguments are checked when the write is planned, before anything is
written: a keyword pandas' ``to_csv`` does not take, header aliases of the
wrong length, and options that contradict ``single_file`` raise there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..collection._core import new_collection
from .paths import as_url, check_name_function, check_unique_names, get_fs

if TYPE_CHECKING:
    from .commit_job import OutputJob

__all__ = ["to_csv"]


def to_csv(
    df: Any,
    path: str,
    single_file: bool = False,
    name_function: Any = None,
    overwrite: bool = False,
    compute: bool = True,
    storage_options: dict | None = None,
    scheduler: Any = None,
    header_first_partition_only: bool | None = None,
    compute_kwargs: dict | None = None,
    **kwargs: Any,
) -> Any:
    """Write CSV files, all or nothing (see :mod:`partframe.io.commit`).

    Parameters
    ----------
    df : partframe.DataFrame or Series
    path : str
        With ``single_file=True``, the file to write. Otherwise a folder, or
        a pattern with one ``*`` (``"out/part-*.csv"``) replaced by
        ``name_function(i)`` for partition ``i``.
    single_file : bool, default False
        Write one file (the header once, partitions in order).
    name_function : callable, optional
        ``name_function(i) -> str`` for the ``*``; default ``str(i)``
        (``0.part`` ... ``11.part``: :func:`read_csv` sorts numbers in names
        by value). Not with ``single_file``.
    overwrite : bool, default False
        Replace a non-empty destination (after the new data is written):
        the file or the folder (of a ``*`` pattern: only when every data
        file in it is one the pattern names).
    compute : bool, default True
        Write now and return the written paths, or return a lazy Scalar.
    storage_options : dict, optional
        Passed to fsspec.
    scheduler
        Used when ``compute=True``.
    header_first_partition_only : bool, optional
        Header only in the first file (default: only with ``single_file``,
        which cannot write it more than once).
    compute_kwargs : dict, optional
        Options of ``compute()`` used when ``compute=True`` (a scheduler
        may be given here or as ``scheduler=``, not both).
    **kwargs
        ``pandas.DataFrame.to_csv`` options (``index``, ``sep``,
        ``header``, ``compression``, ``encoding``...), checked before
        anything is written. ``mode`` is pandas' for each file written:
        ``"w"`` replaces it, ``"a"`` appends to it, ``"x"`` refuses it if
        it exists. Without ``mode`` (and ``overwrite``) nothing is
        replaced: an existing file, a non-empty folder, or a file a
        pattern names, is refused. A ``mode``, or a pattern in a folder
        that holds files, adds the files to that folder and keeps the
        others (no ``_SUCCESS`` marker then).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)
    >>> [p.rsplit("/", 1)[1] for p in partframe.to_csv(df, "memory://doc/c/*.csv")]
    ['0.csv', '1.csv']
    >>> partframe.read_csv("memory://doc/c/*.csv").x.sum().compute()
    np.int64(6)
    """
    from .commit_job import compute_options, run_write
    from .nodes import CommitWrite, WritePartitions

    if single_file and name_function is not None:
        raise ValueError(
            "to_csv: name_function is not supported under the single file mode: "
            f"single_file=True writes one file, named by path ({path!r}). Drop "
            "name_function, or write a file per partition with single_file=False"
        )
    if single_file and header_first_partition_only is False:
        raise ValueError(
            "to_csv: header_first_partition_only cannot be False in the single "
            "file mode: the one file holds the header once, before the first "
            "partition's rows. Drop header_first_partition_only, or write a "
            "file (with its header) per partition with single_file=False"
        )
    options = compute_options("to_csv", scheduler, compute_kwargs)
    mode = _file_mode(kwargs.pop("mode", None), overwrite)
    header = kwargs.pop("header", True)
    if not isinstance(header, bool | np.bool_):
        header = list(header)  # aliases of the column names
    _check_csv_options(df._meta, header, kwargs)
    check_name_function("to_csv", name_function)
    fs, (target,) = get_fs(as_url(path), storage_options)
    n = df.npartitions
    dest, pattern, names = _file_names(path, target, single_file, name_function, n)
    check_unique_names("to_csv", names)
    job = _plan_job(
        fs, path, target, dest, pattern, names, single_file, overwrite, mode
    )
    first_only = (
        single_file
        if header_first_partition_only is None
        else header_first_partition_only
    )
    headers = [header if i == 0 or not first_only else False for i in range(n)]
    writes = WritePartitions(df.expr, "csv", job, names, (headers, kwargs))
    out = new_collection(CommitWrite(writes, job, single_file))
    if not compute:
        return out
    return run_write(out, job, options)


def _file_names(
    path: Any, target: str, single_file: bool, name_function: Any, n: int
) -> tuple[str, str, list[str]]:
    """``(dest, pattern, names)``: the destination (the file, or the folder
    of the files), the ``*`` pattern of the path's name (``""``: none) and
    the name of each partition's file (staged pieces of the one file with
    ``single_file``)."""
    name_function = name_function or str
    if single_file:
        return target, "", [f"part.{i}" for i in range(n)]
    if "*" in target:
        dest, pattern = target.rsplit("/", 1) if "/" in target else ("", target)
        if "*" in dest or pattern.count("*") != 1:
            raise ValueError(
                f"to_csv: the path needs exactly one '*' in its name: {path!r}"
            )
        return (
            dest,
            pattern,
            [pattern.replace("*", str(name_function(i))) for i in range(n)],
        )
    return target, "", [f"{name_function(i)}.part" for i in range(n)]


def _plan_job(
    fs: Any,
    path: Any,
    target: str,
    dest: str,
    pattern: str,
    names: list[str],
    single_file: bool,
    overwrite: bool,
    mode: str | None,
) -> OutputJob:
    """The :class:`~partframe.io.commit_job.OutputJob` of the write: one
    file, files written by name into a folder that may hold others, or a
    dataset folder."""
    from .commit_job import new_job

    if single_file:
        # "w": replace the file; "a": the old bytes, then the new ones
        clash = "extend" if mode == "a" else "replace"
        files = {"clash": clash} if mode in ("w", "a") else {}
        return new_job(fs, dest, overwrite or mode in ("w", "a"), False, True, files)
    if not overwrite and (
        mode is not None or ("*" in target and _nonempty_folder(fs, dest))
    ):
        # files written by name into a folder that may hold others, as
        # pandas writes each one
        clash = {"w": "replace", "a": "extend"}.get(mode or "", "refuse")
        return new_job(fs, dest, False, False, False, {"names": names, "clash": clash})
    # without a manifest, other files than these are not the dataset's
    ends = {"." + n.rsplit(".", 1)[-1] for n in names if "." in n}
    suffixes = (".csv", ".tsv", ".part", *sorted(ends))
    job = new_job(fs, dest, overwrite, False, suffixes=suffixes)
    if overwrite and "*" in target:
        _check_folder_is_the_pattern(fs, dest, pattern, path)
    return job


def _nonempty_folder(fs: Any, folder: str) -> bool:
    fs.invalidate_cache()
    return fs.isdir(folder) and bool(fs.ls(folder, detail=False))


def _check_folder_is_the_pattern(fs: Any, dest: str, pattern: str, path: Any) -> None:
    """``overwrite=True`` replaces the folder of a ``*`` pattern: refuse it
    when the folder holds data files the pattern does not name (they would
    be deleted although the path does not name them)."""
    from fnmatch import fnmatchcase

    from .paths import is_hidden

    if not _nonempty_folder(fs, dest):
        return
    others = [
        f.rsplit("/", 1)[-1]
        for f in fs.find(dest)
        if not is_hidden(f, dest) and not fnmatchcase(f[len(dest) + 1 :], pattern)
    ]
    if others:
        raise FileExistsError(
            f"to_csv: overwrite=True replaces the folder {dest!r}, which holds "
            f"files that {path!r} does not name ({others[:5]}); pass mode='w' "
            "to replace only the files written, or write into a folder of "
            "their own"
        )


def _file_mode(mode: Any, overwrite: bool) -> str | None:
    """pandas' ``mode=`` of ``to_csv`` as ``"w"``, ``"a"``, ``"x"`` or None."""
    if mode is None:
        return None
    kind = set(str(mode)) & set("wax")
    if not isinstance(mode, str) or len(kind) != 1 or set(mode) - set("waxtb+"):
        raise ValueError(
            f"to_csv: mode= takes 'w' (replace each file), 'a' (append to it) "
            f"or 'x' (refuse an existing one), as pandas; got {mode!r}"
        )
    (letter,) = kind
    if overwrite and letter in "ax":
        raise ValueError(
            f"to_csv: overwrite=True replaces the destination, mode={mode!r} "
            "does not: pass one of them"
        )
    return letter


def _check_csv_options(meta: Any, header: bool | list, kwargs: dict) -> None:
    """Write the empty ``meta`` with the user's options, so that a keyword
    pandas does not take (or header aliases of the wrong length) fails
    before anything is written, not in a task."""
    options = {k: v for k, v in kwargs.items() if k != "compression"}
    try:
        meta.to_csv(None, header=header, **options)
    except (TypeError, ValueError) as e:
        e.add_note(
            "partframe: to_csv passes its other keywords to pandas' to_csv; "
            "nothing was written"
        )
        raise
