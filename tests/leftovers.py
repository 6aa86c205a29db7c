"""Checks that a write left nothing behind next to its destination."""

from __future__ import annotations

import fsspec

from partframe.io.manifest import RETAINED


def assert_only(root, names: list, fs=None) -> None:
    """The folder ``root`` holds exactly ``names``, besides old versions of
    them that an overwrite keeps for readers (hidden, each marked with its
    ``_pf_retained`` record; see partframe.io.snapshot)."""
    fs = fs or fsspec.filesystem("file")
    root = str(root).rstrip("/")
    fs.invalidate_cache()
    left = sorted(p.rstrip("/").rsplit("/", 1)[1] for p in fs.ls(root, detail=False))
    retained = [
        n for n in left if any(n.startswith(f".{name}._old-") for name in names)
    ]
    for n in retained:
        assert fs.exists(f"{root}/{n}/{RETAINED}"), f"{n} is a leftover"
    assert [n for n in left if n not in retained] == sorted(names)


def leftovers(fs, dest: str) -> list:
    """The hidden siblings of ``dest`` (staging folders, journal, lock,
    backups) other than the old versions an overwrite keeps for readers."""
    fs.invalidate_cache()
    parent, name = dest.rstrip("/").rsplit("/", 1)
    out = []
    for p in fs.ls(parent, detail=False):
        n = p.rstrip("/").rsplit("/", 1)[1]
        if not n.startswith(f".{name}."):
            continue
        if n.startswith(f".{name}._old-") and fs.exists(f"{p}/{RETAINED}"):
            continue
        out.append(n)
    return out


def contents(fs, root: str) -> dict:
    """Every file under ``root`` (hidden ones too) with its bytes; a
    ``_SUCCESS`` manifest as the names it lists (its stamp and writer
    tokens differ from write to write)."""
    from partframe.io.manifest import read_manifest

    fs.invalidate_cache()
    root = root.rstrip("/")
    if not fs.exists(root):
        return {}
    out = {}
    for p in fs.find(root):
        out[p[len(root) + 1 :]] = fs.cat_file(p)
        if p.endswith("/_SUCCESS"):
            manifest = read_manifest(fs, p.rsplit("/", 1)[0])
            if manifest is not None:
                out[p[len(root) + 1 :]] = ("manifest", sorted(manifest["files"]))
    return out
