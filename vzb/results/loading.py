"""A recorded run's full result, read back from its artifacts (local or any fsspec URL):
a ``BacktestResult``, a sweep table, or a ``WalkForwardResult``.

>>> import tempfile, vzb
>>> from vzb.results.catalog import open_catalog
>>> store = tempfile.mkdtemp()
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"))
>>> record = open_catalog(store).get(vzb.record(result, store=store))
>>> load_run_result(record).stats.equals(result.stats)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vzb.errors import ParameterError
from vzb.results.settings import storage_options

__all__ = ["artifact_uri", "load_run_result"]


def artifact_uri(record: Mapping[str, Any], name: str) -> str | None:
    """The URI of artifact ``name`` (a file, or a folder ``name/`` of files), or None."""
    for artifact in record.get("artifacts") or []:
        if artifact["name"] == name:
            return artifact["uri"]
        if artifact["name"].startswith(name + "/"):
            rest = artifact["name"][len(name) :]
            return artifact["uri"][: -len(rest)]
    return None


def _needed(record: Mapping[str, Any], name: str) -> str:
    uri = artifact_uri(record, name)
    if uri is None:
        raise ParameterError(
            f"Run {record['run_id']} has no artifact {name!r}; `vzb store check` lists what "
            "is missing"
        )
    return uri


def load_run_result(record: Mapping[str, Any]) -> Any:
    """Load the result of a catalog record (with its ``artifacts``)."""
    from vzb.results.store import load_result, load_table

    options = storage_options()
    kind = record["kind"]
    if kind == "backtest":
        return load_result(_needed(record, "result"), storage_options=options)
    if kind == "sweep":
        return load_table(_needed(record, "sweep.parquet"), storage_options=options)
    from vzb.analysis.walkforward import WalkForwardResult

    extra = record.get("extra") or {}
    overfitting = dict(extra.get("overfitting") or {})
    logits = artifact_uri(record, "pbo_logits.parquet")
    overfitting["pbo_logits"] = (
        None if logits is None else load_table(logits, storage_options=options)["logit"].to_numpy()
    )
    return WalkForwardResult(
        folds=load_table(_needed(record, "folds.parquet"), storage_options=options),
        result=load_result(_needed(record, "result"), storage_options=options),
        in_sample=load_table(_needed(record, "in_sample.parquet"), storage_options=options),
        overfitting=overfitting,
        objective=extra.get("objective"),
        parameters=list(extra.get("parameters") or []),
        swept=list(extra.get("swept") or []),
        strategy=record.get("strategy"),
    )
