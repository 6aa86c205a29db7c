"""fsspec helpers: one filesystem and a sorted list of paths for any URL.

Every reader and writer goes through :func:`get_fs` and :func:`expand_paths`,
so local paths, ``file://``, ``memory://``, ``s3://`` (with s3fs) and any
other fsspec protocol behave the same. Names whose path below the dataset
root has a component starting with ``_`` or ``.`` (``_SUCCESS``,
``_staging-*``, ``.hidden``) are never data.
"""

from __future__ import annotations

import os
import re
from typing import Any

import fsspec
from fsspec.core import url_to_fs

__all__ = [
    "as_url",
    "check_name_function",
    "check_unique_names",
    "expand_paths",
    "get_fs",
    "is_hidden",
    "is_local",
    "join",
    "natural_key",
    "parent_and_name",
    "to_pyarrow_fs",
]

_GLOB = re.compile(r"[*?\[]")


def as_url(path: Any, argument: str = "path") -> str:
    """``path`` as a str: a str as it is, an ``os.PathLike`` (``pathlib.Path``,
    ``py.path.local``) through ``os.fspath``, as pandas takes paths.

    Anything else raises a ``TypeError`` naming ``argument``.

    Examples
    --------
    >>> import pathlib
    >>> as_url(pathlib.PurePosixPath("/data/x.csv")), as_url("s3://b/k")
    ('/data/x.csv', 's3://b/k')
    """
    if isinstance(path, str):
        return path
    if isinstance(path, os.PathLike):
        return os.fsdecode(os.fspath(path))
    raise TypeError(
        f"{argument}= takes a str or an os.PathLike (such as pathlib.Path), or "
        f"a list of them; got {type(path).__name__}: {path!r}"
    )


def get_fs(
    urlpath: str | os.PathLike | list,
    storage_options: dict | None = None,
    filesystem: Any = None,
    argument: str = "path",
) -> tuple[Any, list[str]]:
    """The fsspec filesystem of ``urlpath`` and its path(s) without protocol.

    ``urlpath`` is a str or an ``os.PathLike``, or a list or tuple of them
    (``argument`` names it in the error for anything else). ``filesystem``
    may be an fsspec filesystem, a ``pyarrow.fs.FileSystem`` (wrapped for
    fsspec), ``"fsspec"``/``"arrow"`` or None (inferred from the URL).

    Examples
    --------
    >>> fs, paths = get_fs("memory://data/x.csv")
    >>> type(fs).__name__, paths
    ('MemoryFileSystem', ['/data/x.csv'])
    """
    # One path is a str or a path object (pathlib.Path, py.path.local: not
    # iterable, or iterable over its parts); several are a list or tuple.
    if isinstance(urlpath, list | tuple):
        urls = [as_url(u, argument) for u in urlpath]
    else:
        urls = [as_url(urlpath, argument)]
    if not urls:
        raise ValueError(f"{argument}=: no path given (an empty list)")
    storage_options = dict(storage_options or {})
    if filesystem is None or filesystem == "fsspec":
        fs, _ = url_to_fs(urls[0], **storage_options)
    elif filesystem == "arrow":
        import pyarrow.fs as pafs
        from fsspec.implementations.arrow import ArrowFSWrapper

        # pyarrow takes URIs and absolute paths, not relative ones
        uri = urls[0] if "://" in urls[0] else os.path.abspath(urls[0])
        fs = ArrowFSWrapper(pafs.FileSystem.from_uri(uri)[0])
    elif isinstance(filesystem, fsspec.AbstractFileSystem):
        fs = filesystem
    else:
        import pyarrow.fs as pafs

        if not isinstance(filesystem, pafs.FileSystem):
            raise TypeError(
                "filesystem= takes an fsspec or pyarrow filesystem, 'fsspec', "
                f"'arrow' or None; got {type(filesystem).__name__}"
            )
        from fsspec.implementations.arrow import ArrowFSWrapper

        fs = ArrowFSWrapper(filesystem)
    paths = [fs._strip_protocol(u) for u in urls]
    if is_local(fs):
        # absolute, as fsspec's local filesystem gives them (pyarrow's
        # keeps relative ones relative)
        paths = [os.path.abspath(p) for p in paths]
    return fs, paths


def is_local(fs: Any) -> bool:
    """Is ``fs`` the local disk, with folders and atomic renames?

    fsspec's local filesystem and the fsspec wrapper of pyarrow's
    (``filesystem="arrow"`` or a ``pyarrow.fs.LocalFileSystem``) are: both
    take the operating system's paths.

    Examples
    --------
    >>> import fsspec, pyarrow.fs
    >>> from fsspec.implementations.arrow import ArrowFSWrapper
    >>> is_local(fsspec.filesystem("file")), is_local(fsspec.filesystem("memory"))
    (True, False)
    >>> is_local(ArrowFSWrapper(pyarrow.fs.LocalFileSystem()))
    True
    """
    from fsspec.implementations.arrow import ArrowFSWrapper
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return True
    if isinstance(fs, ArrowFSWrapper):
        import pyarrow.fs as pafs

        return type(fs.fs) is pafs.LocalFileSystem
    return False


def natural_key(path: str) -> list:
    """Sort key that puts ``part.2`` before ``part.10``.

    Examples
    --------
    >>> sorted(["p.10", "p.2", "p.1"], key=natural_key)
    ['p.1', 'p.2', 'p.10']
    """
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def is_hidden(path: str, root: str, pattern: str | None = None) -> bool:
    """Does a component of ``path`` below ``root`` start with ``_`` or ``.``?

    With the glob ``pattern`` that found ``path``, a component whose part
    of the pattern starts with that same character (``.tmp.*.csv``) was
    asked for by name and is not hidden.

    Examples
    --------
    >>> is_hidden("/d/_SUCCESS", "/d"), is_hidden("/d/x=1/p.parquet", "/d")
    (True, False)
    >>> is_hidden("/d/.tmp.1.csv", "/d", "/d/.tmp.*.csv")
    False
    """
    rel = path[len(root) :] if path.startswith(root) else path.rsplit("/", 1)[-1]
    parts = [p for p in rel.split("/") if p]
    asked: list[str] = []
    if pattern is not None and pattern.startswith(root) and "**" not in pattern:
        asked = [p for p in pattern[len(root) :].split("/") if p]
    return any(
        p.startswith(("_", ".")) and not (k < len(asked) and asked[k][:1] == p[:1])
        for k, p in enumerate(parts)
    )


def expand_paths(
    fs: Any, paths: list[str], what: str = "file", empty_folders: bool = False
) -> tuple[list[str], list[str | None]]:
    """Expand globs and folders into a sorted list of data files.

    Returns ``(files, roots)``: ``roots[i]`` is the folder that ``files[i]``
    was found under (for hive partitions), or None for a file given by
    name. Hidden names (``_x``, ``.x``) under a folder or a glob are
    skipped. A path that matches nothing raises ``FileNotFoundError``
    naming it, and so does a folder without data files (empty, or only
    ``_SUCCESS``) unless ``empty_folders``.

    Examples
    --------
    >>> import fsspec
    >>> fs = fsspec.filesystem("memory")
    >>> for name in ["/ex/b.csv", "/ex/a.csv", "/ex/_SUCCESS"]:
    ...     fs.pipe(name, b"x\\n1\\n")
    >>> expand_paths(fs, ["/ex"])[0]
    ['/ex/a.csv', '/ex/b.csv']
    """
    files: list[str] = []
    roots: list[str | None] = []
    fs.invalidate_cache()  # listings cached by an earlier call may be stale
    for p in paths:
        if glob := _GLOB.search(p):
            root = p[: glob.start()].rsplit("/", 1)[0]
            found = [
                f for f in fs.glob(p) if not is_hidden(f, root, p) and not fs.isdir(f)
            ]
            if not found:
                raise FileNotFoundError(f"no {what}s match {p!r}")
            found.sort(key=natural_key)
            files.extend(found)
            roots.extend([root] * len(found))
        elif fs.isdir(p):
            root = p.rstrip("/")
            found = [f for f in fs.find(root) if not is_hidden(f, root)]
            if not found and not empty_folders:
                raise FileNotFoundError(
                    f"no {what}s in the folder {p!r}: it is empty or holds only "
                    "hidden names (such as _SUCCESS, .x, _x), which are not data"
                )
            found.sort(key=natural_key)
            files.extend(found)
            roots.extend([root] * len(found))
        elif fs.exists(p):
            files.append(p)
            roots.append(None)
        else:
            raise FileNotFoundError(f"{what} not found: {p!r}")
    return files, roots


def join(*parts: str) -> str:
    """Join path parts with ``/``.

    Examples
    --------
    >>> join("/a/", "b", "c.parquet")
    '/a/b/c.parquet'
    """
    out = parts[0].rstrip("/")
    for p in parts[1:]:
        out = out + "/" + p.strip("/")
    return out


def parent_and_name(path: str) -> tuple[str, str]:
    """Split ``path`` into its parent folder and last name.

    Examples
    --------
    >>> parent_and_name("/a/b/out.parquet")
    ('/a/b', 'out.parquet')
    """
    path = path.rstrip("/")
    if "/" not in path:
        return "", path
    parent, name = path.rsplit("/", 1)
    return parent, name


def to_pyarrow_fs(fs: Any) -> Any:
    """A pyarrow filesystem for ``fs`` (None for local: pyarrow opens paths)."""
    from fsspec.implementations.arrow import ArrowFSWrapper
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return None
    if isinstance(fs, ArrowFSWrapper):
        return fs.fs
    import pyarrow.fs as pafs

    return pafs.PyFileSystem(pafs.FSSpecHandler(fs))


def check_name_function(writer: str, name_function: Any) -> None:
    """``name_function`` must be None or a callable ``i -> file name``."""
    if name_function is not None and not callable(name_function):
        raise ValueError(
            f"{writer}: ``name_function`` must be a callable with one argument "
            "(the partition number) that returns the file name; got "
            f"{type(name_function).__name__} {name_function!r}"
        )


def check_unique_names(writer: str, names: list[str], offset: int = 0) -> None:
    """Every partition needs its own file: two with one name would lose data."""
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            raise ValueError(
                f"{writer}: ``name_function`` must produce unique filenames; it "
                f"names partitions {first[name] + offset} and {i + offset} both "
                f"{name!r}"
            )
        first[name] = i
