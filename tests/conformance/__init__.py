"""Dask's dataframe test suite run against partframe (opt-in: ``--conformance``).

See ``README.md`` in this folder.
"""
