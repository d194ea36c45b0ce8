"""Run records: what ran, on what, with what, what came out.

A record is plain data (one JSON file while it waits in the store, one catalog row once
written): ``run_id, kind`` (``backtest``, ``sweep``, ``walk_forward``), ``created_at``
(epoch seconds), ``duration``, ``strategy`` and ``strategy_ref`` (its import path),
``params`` or ``grid`` and ``n_sets``, ``symbols, timeframe, start_time, end_time``,
``options`` (fill, fees, slippage, cash, stops), ``fingerprint`` and ``sources`` of the
candles, ``vzb_version, git_commit, git_dirty``, the key ``stats``, ``artifacts``,
``tags, note``, the ``task_id`` of a job and ``extra`` facts (a sweep's best set, a
walk-forward's overfitting statistics).

:func:`record` records a result you hold (``vzb.record``): its artifacts are saved in the
store's ``results/<run_id>/``, its record waits in the store's ``pending/`` folder and is
written to the catalog at once, or later when the catalog is down (:mod:`vzb.results.sync`).

>>> import tempfile, vzb
>>> store = tempfile.mkdtemp()
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"), fees=0.0025)
>>> run_id = record(result, tags=["doctest"], note="first look", store=store)
>>> run_id == result.run_id
True
"""

from __future__ import annotations

import math
import os
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from vzb._home import home_dir
from vzb.errors import ParameterError
from vzb.results.provenance import candle_provenance, code_provenance

__all__ = [
    "KINDS", "complete", "describe", "key_stats", "record", "save_artifacts", "sweep_summary",
]  # fmt: skip

#: the kinds of runs a catalog holds
KINDS = ("backtest", "sweep", "walk_forward")
#: the stat that picks a sweep's best set for its key stats
SWEEP_OBJECTIVE = "Sharpe Ratio"


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars as Python numbers, NaN and infinities as None, timestamps
    as ISO text, containers converted item by item."""
    kind = type(value)
    if kind is float:  # the common cases first: a record holds thousands of values
        return value if math.isfinite(value) else None
    if kind is str or kind is int or kind is bool or value is None:
        return value
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _kind_of(obj: Any) -> str:
    import pandas as pd

    from vzb.analysis.walkforward import WalkForwardResult
    from vzb.engine.result import BacktestResult

    if isinstance(obj, BacktestResult):
        return "backtest"
    if isinstance(obj, WalkForwardResult):
        return "walk_forward"
    if isinstance(obj, pd.DataFrame) and obj.attrs.get("parameters") is not None:
        return "sweep"
    raise ParameterError(
        f"Cannot record a {type(obj).__name__}: give a BacktestResult, a sweep table "
        "(vzb.sweep) or a WalkForwardResult (vzb.walk_forward)"
    )


def key_stats(stats: Any) -> dict[str, Any]:
    """A stats Series or dict as JSON-safe ``{name: value}`` (NaN -> None)."""
    if hasattr(stats, "index") and hasattr(stats, "tolist"):  # a Series: Python values
        items = zip(stats.index.tolist(), stats.tolist(), strict=True)
    else:
        items = dict(stats).items()
    return {str(k): _plain(v) for k, v in items}


def sweep_summary(table, objective: str = SWEEP_OBJECTIVE) -> tuple[dict, dict]:
    """``(stats, extra)`` of a sweep table: the stats of its best set by ``objective``
    (mean over symbols) and ``extra = {"best_params", "objective"}``."""
    names = list(table.attrs.get("parameters") or [])
    if table.empty or objective not in table.columns:
        return {}, {"best_params": None, "objective": objective}
    numeric = table.drop(columns=[c for c in ("symbol",) if c in table.columns])
    numeric = numeric.select_dtypes("number").columns.difference(names)
    means = table.groupby(names, sort=False, dropna=False)[list(numeric)].mean()
    best = means[objective].idxmax() if means[objective].notna().any() else means.index[0]
    best = best if isinstance(best, tuple) else (best,)
    stats = key_stats(means.loc[best if len(names) > 1 else best[0]])
    best_params = _plain(dict(zip(names, best, strict=True)))
    return stats, {"best_params": best_params, "objective": objective}


def _frames_of(candles: Any, symbols: list[str]) -> dict | None:
    if candles is None:
        return None
    if isinstance(candles, Mapping):
        return dict(candles)
    symbol = candles.attrs.get("symbol") or (symbols[0] if symbols else "candles")
    return {symbol: candles}


def describe(
    obj: Any,
    *,
    candles: Any = None,
    strategy: Any = None,
    grid: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    duration: float | None = None,
    tags: Iterable[str] = (),
    note: str | None = None,
) -> dict[str, Any]:
    """The record of a result you hold (no artifacts yet); ``candles`` (a frame or
    ``{symbol: frame}``) gives the data's provenance when the result does not hold it."""
    from vzb.strategies.registry import get_strategy

    kind = _kind_of(obj)
    rec: dict[str, Any] = {"kind": kind, "created_at": time.time(), "duration": duration}
    if kind == "backtest":
        rec.update(run_id=obj.run_id, params=_plain(obj.params), symbols=list(obj.symbols))
        rec.update(strategy=obj.strategy, options=_plain(obj.options), stats=key_stats(obj.stats))
        rec.update(fingerprint=obj.fingerprint, grid=None, n_sets=1)
        rec["duration"] = duration if duration is not None else obj.execution_time
        if candles is None:
            parts = obj.per_symbol or {obj.symbols[0]: obj}
            if all(part.candles is not None for part in parts.values()):
                candles = {symbol: part.candles for symbol, part in parts.items()}
        extra: dict[str, Any] = {"total_signals": _plain(obj.total_signals)}
    elif kind == "sweep":
        rec["run_id"] = obj.attrs.get("run_id") or uuid.uuid4().hex
        names = list(obj.attrs["parameters"])
        if grid is None:
            grid = {n: sorted(obj[n].dropna().unique().tolist()) for n in names}
        symbols = sorted(obj["symbol"].unique()) if "symbol" in obj.columns else []
        rec.update(grid=_plain(dict(grid)), params=None, symbols=[str(s) for s in symbols])
        rec["n_sets"] = len(obj.drop_duplicates(names)) if names else len(obj)
        rec["stats"], extra = sweep_summary(obj)
        rec["options"] = None if options is None else _plain(dict(options))
    else:
        rec["run_id"] = "wf-" + obj.result.run_id
        rec.update(grid=None, params=None, symbols=list(obj.result.symbols))
        rec.update(stats=key_stats(obj.stats), options=_plain(obj.result.options))
        rec.update(fingerprint=None, n_sets=obj.overfitting.get("n_sets"))
        overfitting = {k: v for k, v in obj.overfitting.items() if k != "pbo_logits"}
        extra = {
            "objective": obj.objective, "parameters": list(obj.parameters),
            "swept": list(obj.swept), "overfitting": _plain(overfitting), "folds": len(obj.folds),
        }  # fmt: skip
        strategy = strategy or obj.strategy
        if grid is not None:
            rec["grid"] = _plain(dict(grid))
    strategy = strategy if strategy is not None else rec.get("strategy")
    if strategy is not None:
        strat = get_strategy(strategy)
        rec["strategy"], rec["strategy_ref"] = strat.name, strat.ref or None
    frames = _frames_of(candles, rec["symbols"])
    if frames:
        known = {}
        if kind == "backtest":  # the result's own fingerprints: no second hash
            parts = obj.per_symbol or {obj.symbols[0]: obj}
            known = {s: p.fingerprint for s, p in parts.items() if p.candles is frames.get(s)}
        data = candle_provenance(frames, known)
        rec["fingerprint"] = rec.get("fingerprint") or data["fingerprint"]
        rec["symbols"] = rec["symbols"] or list(frames)
        rec.update({k: data[k] for k in ("sources", "timeframe", "start_time", "end_time")})
    if kind == "walk_forward" and not rec.get("fingerprint"):  # no candles given: the
        rec["fingerprint"] = obj.result.fingerprint  # out-of-sample result's, at least
    rec.update(code_provenance())
    rec.update(tags=sorted(set(tags)), note=note, extra=extra, task_id=None)
    return rec


def complete(rec: dict[str, Any]) -> dict[str, Any]:
    """Fill in the candles' provenance of a record that names them (``candles``: the
    ``symbols, timeframe, start, end, data_dir`` a job read), as they are now; a job's
    record gets it here, when synced, not in the thread that runs the jobs."""
    wanted = rec.pop("candles", None)
    if not wanted:
        return rec
    from vzb.data.catalog import load_candles

    try:
        frames = {
            symbol: load_candles(
                symbol, wanted.get("timeframe") or "1d", wanted.get("start"), wanted.get("end"),
                data_dir=wanted.get("data_dir"),
            )
            for symbol in wanted["symbols"]
        }  # fmt: skip
        data = candle_provenance(frames)
    except Exception as exc:  # the candles changed or went away since: say so
        data = {"sources": {"error": f"{type(exc).__name__}: {exc}"}}
    if rec.get("fingerprint") and data.get("fingerprint") not in (None, rec["fingerprint"]):
        data["sources"]["changed"] = "the candles differ now from those the run read"
    rec.update({k: v for k, v in data.items() if v is not None and not rec.get(k)})
    return rec


def save_artifacts(obj: Any, folder: str) -> dict[str, str]:
    """Save a result's artifacts under ``folder``; returns ``{name: local path}`` (a
    file, or a folder whose files are named ``name/...``)."""
    import pandas as pd

    from vzb.results.store import save_result, save_table

    kind = _kind_of(obj)
    os.makedirs(folder, exist_ok=True)
    if kind == "backtest":
        return {"result": save_result(obj, os.path.join(folder, "result"))}
    if kind == "sweep":
        return {"sweep.parquet": save_table(obj, os.path.join(folder, "sweep.parquet"))}
    paths = {
        "folds.parquet": save_table(obj.folds, os.path.join(folder, "folds.parquet")),
        "in_sample.parquet": save_table(obj.in_sample, os.path.join(folder, "in_sample.parquet")),
        "result": save_result(obj.result, os.path.join(folder, "result")),
    }
    logits = obj.overfitting.get("pbo_logits")
    if logits is not None:
        frame = pd.DataFrame({"logit": pd.Series(logits, dtype=float).to_numpy()})
        paths["pbo_logits.parquet"] = save_table(frame, os.path.join(folder, "pbo_logits.parquet"))
    return paths


def record(
    obj: Any,
    *,
    tags: Iterable[str] = (),
    note: str | None = None,
    candles: Any = None,
    strategy: Any = None,
    grid: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    duration: float | None = None,
    store: str | os.PathLike | None = None,
) -> str:
    """Record a result in the run catalog; returns its run id.

    Parameters
    ----------
    obj : BacktestResult, sweep table or WalkForwardResult
    tags, note
        Your words for the run (query with ``vzb.runs(tag=...)``).
    candles : DataFrame or mapping of symbol -> DataFrame, optional
        The input candles, when the result does not hold them (a sweep table, a
        multi-symbol backtest): their fingerprint, source and range are recorded.
    strategy, grid, options
        What a sweep table does not know about itself.
    store : str, optional
        The store (default ``$VZB_HOME`` or ``./.vzb``): artifacts go to its
        ``results/<run_id>/``, the catalog is its SQLite file unless configured.

    Recording the same result again stores nothing new but adds its tags (and replaces
    its note, when given). When the catalog or the artifact
    store is unreachable the record waits in the store (a warning says so) and is written
    by ``vzb store sync``, a runner, or the next ``vzb.runs()``.
    """
    from vzb.results.sync import sync, write_pending

    rec = describe(
        obj, candles=candles, strategy=strategy, grid=grid, options=options,
        duration=duration, tags=tags, note=note,
    )  # fmt: skip
    if rec["kind"] == "sweep":
        obj.attrs["run_id"] = rec["run_id"]  # recording the same table again: same run
    folder = os.path.join(home_dir(store), "results", rec["run_id"])
    rec["files"] = save_artifacts(obj, folder)
    write_pending(store, rec)
    report = sync(store, run_ids=[rec["run_id"]])
    if report["error"]:
        warnings.warn(
            f"Run {rec['run_id']} is saved in the store but not in the catalog yet "
            f"({report['error']}); it is written by `vzb store sync` or the next vzb.runs()",
            stacklevel=2,
        )
    return rec["run_id"]
