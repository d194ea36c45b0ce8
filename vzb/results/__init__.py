"""Persisted results: Parquet files on a local path or an fsspec URL.

>>> from vzb.results import load_table, save_table
"""

from vzb.results.store import load_result, load_table, save_result, save_table

__all__ = ["load_result", "load_table", "save_result", "save_table"]
