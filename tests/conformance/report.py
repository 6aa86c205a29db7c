"""Classify a conformance run's results from its JUnit XML and print a table.

Usage::

    python tests/conformance/report.py conformance.xml [more.xml ...] \
        [--list wrong,crash] [--top 15]

Every test that neither passed nor was skipped gets one class:

``missing``
    partframe lacks the feature: a public ``dask.dataframe`` function it does
    not have (the shim's ``MissingAPIError``), an attribute missing on a
    partframe object, an unsupported keyword or argument in a call from the
    test, or a ``NotImplementedError``/"not supported" error from partframe.
``wrong``
    the result differs from what the test expects: an ``AssertionError`` from
    the comparison (``assert_eq``, pandas' testing functions, a plain
    ``assert``) or ``pytest.raises``/``pytest.warns`` not satisfied.
``crash``
    any other exception raised inside partframe, or a timeout (a hang).
``internals``
    the test reached for a Dask internal at run time (the shim's
    ``DaskInternalsError``): a candidate for ``skips.toml``.
``dask-warning``
    the test expected a ``UserWarning`` that Dask emits and pandas does not
    (``meta`` inference, unknown divisions, ...): a Dask-only behaviour.
``message``
    the expected exception was raised but its message differs from Dask's
    wording (``pytest.raises(match=...)`` or ``assert "..." in str(e)``).
``outside``
    an exception raised with no partframe frame in its traceback: the test's
    own pandas or Dask code failed (for example on this pandas version).

Skips are split into the reviewed Dask-internals list (``skips.toml``, whose
reasons start with "dask internals:") and other skips (optional modules, pandas
versions, ``slow``, GPU); expected failures (Dask's ``xfail`` marks) are
counted apart.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass

COLUMNS = [
    "pass",
    "skipped-internals",
    "missing",
    "wrong",
    "crash",
    "internals",
    "dask-warning",
    "message",
    "outside",
    "xfail",
    "skip-other",
]

# A traceback entry of pytest's --tb=short/long: "path:line: in function" or
# (long, the raising frame) "path:line: ExceptionType".
FRAME = re.compile(r"^(\S+\.py):(\d+): (?:in (\S+)|\w)", re.M)
# partframe's own modules; not the conformance cache (~/.cache/partframe/...).
PARTFRAME = re.compile(r"(^|/)partframe/(?!conformance/)")
CONFORMANCE = re.compile(r"(^|/)tests/conformance/")
SIGNATURE = re.compile(
    r"unexpected keyword argument|positional argument|required (positional|keyword)"
    r"|got multiple values for argument|takes no keyword arguments"
)
# partframe refusing a feature on purpose, with a message saying so.
UNSUPPORTED = re.compile(
    r"not (yet )?(supported|implemented)|unsupported|does not support"
    r"|cannot be aligned|would compute it implicitly|truth value of a lazy",
    re.I,
)
# Objects of partframe's API, as AttributeError messages name them.
PARTFRAME_TYPES = re.compile(
    r"'(DataFrame|Series|Index|Scalar|\w*GroupBy|\w*Accessor|\w*Rolling)'"
)
ASSERTION_FILES = re.compile(
    r"partframe/testing\.py|pandas/_testing|numpy/testing|/tests/test_[^/]*\.py"
    r"|tests/conformance/shim\.py"
)


@dataclass
class Result:
    file: str
    test: str
    kind: str
    message: str = ""
    api: str = ""


def _exc_type(message: str) -> str:
    head = message.split(":", 1)[0].strip()
    if head.startswith("assert ") or not re.fullmatch(r"[\w.]+", head):
        return "AssertionError" if head.startswith("assert") else head
    return head.rsplit(".", 1)[-1]


def _frames(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(3) or "") for m in FRAME.finditer(text)]


def _missing_api(
    exc: str, message: str, last: str, frames: list[tuple[str, str]]
) -> str | None:
    """The missing feature's name, or None when this is not a missing API."""
    body = message.split(":", 1)[1].strip() if ":" in message else message
    if exc == "MissingAPIError":
        m = re.search(r"has no '(\w+)'", body)
        return f"dd.{m.group(1)}" if m else body[:60]
    if exc == "AttributeError":
        m = re.match(r"'(\w+)' object has no attribute '(\w+)'", body)
        # Only an attribute asked of partframe by the test (or partframe's own
        # __getattr__ answering it); an AttributeError deeper inside
        # partframe's code is a crash.
        if m and (not PARTFRAME.search(last) or "__getattr__" in last):
            return f"{m.group(1)}.{m.group(2)}" if PARTFRAME_TYPES.match(body) else None
        m = re.match(r"type object '(\w+)' has no attribute '(\w+)'", body)
        if m and PARTFRAME_TYPES.match(f"'{m.group(1)}'"):
            return f"{m.group(1)}.{m.group(2)}"
        m = re.match(r"property '(\w+)' of '(\w+)' object has no setter", body)
        if m and PARTFRAME_TYPES.match(f"'{m.group(2)}'"):
            return f"{m.group(2)}.{m.group(1)} = ..."
        if re.fullmatch(r"__\w+__", body) and not PARTFRAME.search(last):
            return body  # a special method partframe's classes lack (``del df[c]``)
        return None
    if exc == "TypeError" and SIGNATURE.search(body):
        # Rejected by partframe's signature, or forwarded by partframe to a
        # pandas function that rejects it: partframe does not support it.
        m = re.match(r"([\w.]+)\(\) got an unexpected keyword argument '(\w+)'", body)
        if m:
            func = m.group(1)
            if func.rsplit(".", 1)[-1].startswith("_"):
                # A private callee (pyarrow's __cinit__...): name partframe's
                # function that forwarded the keyword.
                ours = [f for p, f in frames if PARTFRAME.search(p)]
                func = ours[0] if ours else func
            return f"{func}({m.group(2)}=)"
        m = re.match(r"([\w.]+)\(\)", body)
        return f"{m.group(1)}() signature" if m else body[:60]
    if exc == "NotImplementedError" or UNSUPPORTED.search(body):
        return f"{exc}: {body[:70]}"
    return None


def classify(kind: str, message: str, text: str) -> tuple[str, str]:
    """The class of one test outcome and, for ``missing``, the feature's name.

    Parameters
    ----------
    kind : str
        ``"passed"``, ``"skipped"``, ``"failure"`` or ``"error"``.
    message, text : str
        The JUnit element's ``message`` attribute and its traceback text.
    """
    if kind == "passed":
        return "pass", ""
    if kind == "skipped":
        if message.startswith("dask internals:"):
            return "skipped-internals", ""
        return ("xfail" if "xfail" in message.lower() else "skip-other"), ""
    if "Timeout" in message:
        return "crash", ""
    exc = _exc_type(message)
    frames = _frames(text)
    last = f"{frames[-1][0]}: {frames[-1][1]}" if frames else ""
    in_partframe = any(
        PARTFRAME.search(p) and not CONFORMANCE.search(p) for p, _ in frames
    )
    if exc == "DaskInternalsError":
        return "internals", ""
    if message.startswith("Failed: DID NOT WARN") and "UserWarning" in message:
        return "dask-warning", ""
    api = _missing_api(exc, message, last, frames)
    if api is not None and (
        in_partframe or exc in ("MissingAPIError", "AttributeError", "TypeError")
    ):
        return "missing", api
    if "Regex pattern did not match" in message or re.match(
        r"(AssertionError: )?assert '.*' in ", message
    ):
        return "message", ""
    if exc in ("AssertionError", "Failed") or message.startswith("assert"):
        if not frames or ASSERTION_FILES.search(frames[-1][0]) or exc == "Failed":
            return "wrong", ""
    if not in_partframe:
        return "outside", ""
    return "crash", ""


def read(path: str) -> list[Result]:
    """One :class:`Result` per test case of a JUnit XML file."""
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        classname = case.get("classname", "")
        if "suite.toml" not in classname:
            continue  # the harness's own tests (test_harness.py), not Dask's
        m = re.search(r"(test_\w+)(\.py)?(?:\.(\w+))?$", classname)
        file = (m.group(1) + ".py") if m else classname
        if m and m.group(3):  # a test class inside the module
            name = f"{m.group(3)}::{name}"
        kind, message, text = "passed", "", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                kind = child.tag
                message = child.get("message", "") or ""
                text = child.text or ""
                if child.tag == "skipped" and child.get("type") == "pytest.xfail":
                    message = "xfail " + message
                break
        cls, api = classify(kind, message, text)
        out.append(
            Result(file, name, cls, message.splitlines()[0] if message else "", api)
        )
    return out


def table(results: list[Result]) -> str:
    """Counts per file and class, as a Markdown table."""
    counts: dict[str, collections.Counter] = collections.defaultdict(
        collections.Counter
    )
    for r in results:
        counts[r.file][r.kind] += 1
        counts["total"][r.kind] += 1
    rows = [["file", *COLUMNS, "tests"]]
    for file in [*sorted(f for f in counts if f != "total"), "total"]:
        c = counts[file]
        rows.append([file, *(str(c[k]) for k in COLUMNS), str(sum(c.values()))])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("junitxml", nargs="+", help="one or more JUnit XML files")
    parser.add_argument(
        "--list", default="wrong,crash", help="classes to list test by test"
    )
    parser.add_argument(
        "--top", type=int, default=15, help="most frequent missing APIs"
    )
    args = parser.parse_args(argv)
    results = [r for path in args.junitxml for r in read(path)]
    print(table(results))
    for kind in filter(None, args.list.split(",")):
        chosen = [r for r in results if r.kind == kind]
        print(f"\n## {kind} ({len(chosen)})")
        for r in chosen:
            print(f"{r.file}::{r.test}  --  {r.message[:160]}")
    apis = collections.Counter(r.api for r in results if r.kind == "missing")
    print(f"\n## top {args.top} missing APIs ({len(apis)} distinct)")
    for api, n in apis.most_common(args.top):
        print(f"{n:5d}  {api}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
