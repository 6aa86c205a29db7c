"""The 22 TPC-H queries in SQL, for DuckDB.

The text is the one DuckDB's ``tpch`` extension ships (the spec's queries
with its validation parameters), read at benchmark time from the
``duckdb-extension-tpch`` package of the ``tpch`` extra, whose version is
DuckDB's: nothing of it is kept in this repository.
"""

from __future__ import annotations

import glob
import os
from typing import Any


def load_sql(con: Any) -> dict[int, str]:
    """Load the extension into the DuckDB connection ``con``; return the
    text of each query by number."""
    import duckdb_extension_tpch

    folder = os.path.dirname(duckdb_extension_tpch.__file__)
    found = glob.glob(os.path.join(folder, "extensions", "*", "tpch.duckdb_extension"))
    if not found:
        raise RuntimeError(
            f"no tpch.duckdb_extension under {folder}: reinstall the tpch extra "
            '(pip install -e ".[tpch]")'
        )
    con.execute(f"LOAD '{found[0]}'")
    rows = con.execute("select query_nr, query from tpch_queries()").fetchall()
    return {int(n): str(text) for n, text in rows}
