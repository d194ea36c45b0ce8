"""Persisted results and the run catalog.

Artifacts are Parquet files on a local path or an fsspec URL (:mod:`~vzb.results.store`,
:mod:`~vzb.results.artifacts`); every finished run gets a record with its provenance in a
SQL catalog (:mod:`~vzb.results.catalog`, schema in :mod:`~vzb.results.migrations`),
written through the store's pending folder so that nothing is lost while the catalog is
down (:mod:`~vzb.results.sync`). Query with :func:`runs`, :func:`run`, :func:`compare`;
keep the store safe with :mod:`~vzb.results.maintenance`.

>>> from vzb.results import load_table, save_table
"""

from vzb._lazy import lazy_names

_API = {
    "load_result": "store",
    "load_table": "store",
    "save_result": "store",
    "save_table": "store",
    "record": "records",
    "runs": "query",
    "run": "query",
    "Run": "query",
    "compare": "comparison",
    "Comparison": "comparison",
    "configure": "settings",
    "open_catalog": "catalog",
    "backup": "maintenance",
    "restore": "maintenance",
    "check": "maintenance",
    "stats": "maintenance",
}

__all__ = [
    "Comparison",
    "Run",
    "backup",
    "check",
    "compare",
    "configure",
    "load_result",
    "load_table",
    "open_catalog",
    "record",
    "restore",
    "run",
    "runs",
    "save_result",
    "save_table",
    "stats",
]

__getattr__ = lazy_names(__name__, _API, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
