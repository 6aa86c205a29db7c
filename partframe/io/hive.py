"""Hive partition folders: ``column=value`` path segments.

A dataset written with ``partition_on`` keeps the values of those columns
in folder names, one ``column=value`` segment per column
(``city=New%20York/year=2024/part.0.parquet``). The segments are encoded as
``pyarrow.dataset``'s hive partitioning encodes them (its default
``segment_encoding="uri"``), so partframe, pyarrow, pandas and Spark read
each other's datasets back with the same values:

* **Values** are written as text (``str(value)``), URL-escaped as UTF-8:
  every byte but the ASCII letters, digits and ``-._~`` becomes ``%XX``
  (``New York`` -> ``New%20York``, ``a/b`` -> ``a%2Fb``, ``50%`` ->
  ``50%25``). No segment holds ``/`` or ``\\``, and every segment starts
  with ``column=``, so no value names a folder outside the dataset (``..``
  is the folder ``c=..``) and different texts never share a folder.
* **Nulls** (None, NaN, NaT, NA) are the folder
  ``column=__HIVE_DEFAULT_PARTITION__``.
* **Column names** are escaped the same way, and a leading ``_`` or ``.``
  too (``%5F``, ``%2E``): readers skip names that start with them
  (``_SUCCESS``, ``.staging``), and pyarrow decodes names as it decodes
  values. (pyarrow itself writes names unescaped.)
* **Reading** splits a segment at its first ``=`` (a segment without one
  is not a partition) and URL-decodes name and value (``%XX`` sequences;
  any other ``%`` stays as it is); the result must be UTF-8. A decoded
  value equal to ``__HIVE_DEFAULT_PARTITION__`` is null. The values of a
  column are integers (int32) when pyarrow casts every non-null one to
  int32, else text, as pyarrow infers them.

Refused when writing, with a ``ValueError`` naming the column, the value
and the fix: the text ``__HIVE_DEFAULT_PARTITION__`` itself (it would read
back as null), text that cannot be encoded as UTF-8, and two different
values of one column whose texts are equal (``1`` and ``"1"`` of an object
column): they would share one folder and one file.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pandas as pd

__all__ = [
    "NULL",
    "decode_segment",
    "encode_name",
    "encode_segment",
    "folders",
    "infer_values",
    "parse_path",
]

#: The folder value of nulls (Hive's, pyarrow's and Spark's).
NULL = "__HIVE_DEFAULT_PARTITION__"


def _escape(text: str, column: Any, what: str) -> str:
    try:
        return urllib.parse.quote(text, safe="")
    except UnicodeEncodeError as e:
        raise ValueError(
            f"to_parquet: partition_on column {column!r} has the {what} "
            f"{text!r}, which is not valid UTF-8 text ({e.reason}); a hive "
            "folder name holds UTF-8 text. Fix or drop the value before "
            "writing"
        ) from None


def encode_name(column: str) -> str:
    """The folder form of a partition column's name.

    Examples
    --------
    >>> encode_name("my city"), encode_name("_key"), encode_name(".x")
    ('my%20city', '%5Fkey', '%2Ex')
    """
    name = _escape(str(column), column, "name")
    if name[:1] in ("_", "."):
        name = "%5F" + name[1:] if name[0] == "_" else "%2E" + name[1:]
    return name


def encode_segment(column: str, value: Any) -> str:
    """The folder ``column=value`` that holds the rows where ``column`` is
    ``value``.

    Raises ValueError for the text ``__HIVE_DEFAULT_PARTITION__`` (it
    reads back as null) and for text that is not UTF-8.

    Examples
    --------
    >>> encode_segment("city", "New York"), encode_segment("k", 3)
    ('city=New%20York', 'k=3')
    >>> encode_segment("city", None)
    'city=__HIVE_DEFAULT_PARTITION__'
    """
    if is_missing(value):
        return f"{encode_name(column)}={NULL}"
    text = str(value)
    if text == NULL:
        raise ValueError(
            f"to_parquet: partition_on column {column!r} holds the value "
            f"{value!r}, the folder name of nulls in hive datasets: it would "
            "be read back as null (by partframe, pyarrow, pandas and Spark). "
            f"replace it first, e.g. df[{column!r}] = "
            f"df[{column!r}].replace({NULL!r}, '<other text>')"
        )
    return f"{encode_name(column)}={_escape(text, column, 'value')}"


def folders(columns: list, keys: list) -> list[str]:
    """The folder (``a=x/b=y``) of each group key of one partition.

    ``keys`` are the groups' values of ``columns`` (tuples, or scalars for
    one column). Two different keys that give one folder are refused:
    their rows would be written into the same file.
    """
    out: list[str] = []
    seen: dict[str, tuple] = {}
    for key in keys:
        values = key if isinstance(key, tuple) else (key,)
        segments = [encode_segment(c, v) for c, v in zip(columns, values)]
        folder = "/".join(segments)
        if folder in seen:
            other = seen[folder]
            j = next(
                (j for j, (a, b) in enumerate(zip(other, values)) if not _same(a, b)),
                len(columns) - 1,
            )
            col = columns[j]
            raise ValueError(
                f"to_parquet: partition_on column {col!r} has the different "
                f"values {other[j]!r} ({type(other[j]).__name__}) and "
                f"{values[j]!r} ({type(values[j]).__name__}), which both "
                f"become the same folder {segments[j]!r} (a folder holds a "
                "value as text): their rows would be written into one file. "
                f"Give the column one type first, e.g. df[{col!r}] = "
                f"df[{col!r}].astype(str)"
            )
        seen[folder] = values
        out.append(folder)
    return out


def _same(a: Any, b: Any) -> bool:
    if is_missing(a) or is_missing(b):
        return is_missing(a) and is_missing(b)
    return type(a) is type(b) and bool(a == b)


def _unescape(raw: str) -> str:
    """URL-decode ``raw`` as pyarrow does; raises UnicodeDecodeError when
    the result is not UTF-8."""
    if "%" not in raw:
        return raw
    return urllib.parse.unquote_to_bytes(raw).decode("utf-8")


def decode_segment(segment: str) -> tuple[str, str | None] | None:
    """``(column, value)`` of a folder name (value None: null), or None for
    a name that is no ``column=value`` segment.

    Raises ValueError when the decoded name or value is not UTF-8.

    Examples
    --------
    >>> decode_segment("city=Z%C3%BCrich"), decode_segment("%5Fk=50%25")
    (('city', 'Zürich'), ('_k', '50%'))
    >>> decode_segment("k=__HIVE_DEFAULT_PARTITION__"), decode_segment("data")
    (('k', None), None)
    """
    if "=" not in segment:
        return None
    name, value = segment.split("=", 1)
    try:
        name, value = _unescape(name), _unescape(value)
    except UnicodeDecodeError:
        raise ValueError(
            f"the hive folder {segment!r} is not valid UTF-8 after URL "
            "decoding (pyarrow refuses it too); rename the folder"
        ) from None
    return name, (None if value == NULL else value)


def parse_path(path: str, root: str | None) -> list[tuple[str, str | None]]:
    """The ``(column, value)`` pairs of the folders between ``root`` and the
    file ``path`` (none for a file given by name: ``root`` None).

    Examples
    --------
    >>> parse_path("/d/city=New%20York/k=1/part.0.parquet", "/d")
    [('city', 'New York'), ('k', '1')]
    """
    if root is None:
        return []
    folders = path[len(root) :].strip("/").split("/")[:-1]
    out = []
    for segment in folders:
        try:
            pair = decode_segment(segment)
        except ValueError as e:
            raise ValueError(f"{e} (in {path!r})") from None
        if pair is not None:
            out.append(pair)
    return out


def infer_values(texts: list[str]) -> list | None:
    """The int32 values of ``texts`` when pyarrow casts every one to int32
    (``"7"``, ``"-3"``, ``"007"``; not ``"+1"``, ``" 1"`` or ``"1_000"``),
    else None: the column is text.

    Examples
    --------
    >>> infer_values(["7", "-3", "007"]), infer_values(["7", "+1"])
    ([7, -3, 7], None)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not texts:
        return None
    try:
        return pc.cast(pa.array(texts, pa.string()), pa.int32()).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def is_missing(v: Any) -> bool:
    """Is ``v`` a scalar null (None, NaN, NaT, NA)? A list is not.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing([None])
    (True, True, False)
    """
    return bool(pd.api.types.is_scalar(v) and pd.isna(v))
