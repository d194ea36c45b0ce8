"""Querying the run catalog: ``runs(**filters)`` as a DataFrame, ``run(id)`` with its full
result loaded on first use, ``compare(ids)`` side by side.

>>> import tempfile, vzb
>>> store = tempfile.mkdtemp()
>>> candles = vzb.load_sample("BTC_USD")
>>> for fees in (0.0005, 0.0025):
...     _ = vzb.record(vzb.backtest(candles, fees=fees), tags=["fees"], store=store)
>>> table = runs(tag="fees", where="fees > 0.001", store=store)
>>> len(table), table["fees"].tolist()
(1, [0.0025])
>>> run(table["run_id"][0], store=store).result.stats["Total Fees [$]"] > 0
True
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from vzb.errors import ParameterError
from vzb.results.catalog import open_catalog
from vzb.results.loading import load_run_result
from vzb.results.sync import sync

__all__ = ["KEY_STATS", "Run", "run", "runs"]

#: the stats :func:`runs` shows as columns (``stats="all"``: every stat)
KEY_STATS = (
    "Return [%]", "CAGR [%]", "Sharpe Ratio", "Sortino Ratio", "Max. Drawdown [%]",
    "# Trades", "Win Rate [%]", "Profit Factor", "Total Fees [$]",
)  # fmt: skip
_LEAD = ("run_id", "kind", "created_at", "strategy", "symbols", "timeframe", "start_time",
         "end_time", "n_sets", "tags", "note")  # fmt: skip
_TAIL = ("duration", "fingerprint", "vzb_version", "git_commit", "git_dirty", "task_id")
_CONDITION = re.compile(r"^\s*(.+?)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$")
_OPS = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}  # fmt: skip


def _parse(condition: str) -> tuple[str, str, Any]:
    match = _CONDITION.match(condition)
    if not match:
        raise ParameterError(
            f"where={condition!r} must look like 'NAME OP VALUE', e.g. 'Sharpe Ratio > 1' "
            "or 'fees >= 0.0025' (OP one of < <= > >= == !=)"
        )
    name, op, text = match.groups()
    try:
        value: Any = float(text)
    except ValueError:
        value = text.strip("'\"")
    return name, op, value


def _flat(row: dict, everything: bool) -> dict:
    """One catalog row as a table row: its parameters, options and stats as columns."""
    params = row["params"] or (row.get("extra") or {}).get("best_params") or {}
    stats = row["stats"] or {}
    flat = {name: row.get(name) for name in _LEAD}
    flat["symbols"] = ",".join(row["symbols"])
    flat["tags"] = ",".join(row["tags"])
    flat.update(params)
    flat.update(row["options"] or {})
    flat.update(stats if everything else {k: stats.get(k) for k in KEY_STATS})
    flat.update({name: row.get(name) for name in _TAIL})
    return flat


def _matches(row: dict, conditions: list[tuple[str, str, Any]]) -> bool:
    for name, op, value in conditions:
        found = row.get(name)
        if found is None:
            return False
        try:
            if not _OPS[op](found, value):
                return False
        except TypeError:
            if not _OPS[op](str(found), str(value)):
                return False
    return True


def runs(
    *,
    kind: str | Iterable[str] | None = None,
    strategy: str | None = None,
    symbol: str | Iterable[str] | None = None,
    timeframe: str | None = None,
    tag: str | Iterable[str] | None = None,
    since: Any = None,
    until: Any = None,
    where: str | Sequence[str] | None = None,
    stats: str = "key",
    limit: int | None = None,
    store: str | os.PathLike | None = None,
    catalog_url: str | None = None,
):
    """The recorded runs as a DataFrame, newest first: one row per run with its
    parameters, engine options and key stats as columns.

    Parameters
    ----------
    kind : {"backtest", "sweep", "walk_forward"} or several, optional
    strategy, timeframe : str, optional
    symbol, tag : str or several, optional
        Runs on all these symbols / with all these tags.
    since, until : str, datetime or epoch seconds, optional
        When the run finished (``"2026-11-30"``, ``"2026-11-30 08:00"``; UTC).
    where : str or list of str, optional
        Thresholds on any stat, parameter or option: ``"Sharpe Ratio > 1"``,
        ``"fees >= 0.0025"``, ``"volume_window == 20"``; all must hold.
    stats : {"key", "all"}
        :data:`KEY_STATS` as columns, or every stat.
    limit : int, optional
        At most this many runs (the newest).
    store, catalog_url : optional
        The store (default ``$VZB_HOME`` or ``./.vzb``) and catalog (default its SQLite
        file, or ``$VZB_CATALOG_URL``). Pending records of the store are written first.

    A sweep's row shows its best set (by Sharpe Ratio): that set's parameters and stats.
    """
    import pandas as pd

    if stats not in ("key", "all"):
        raise ParameterError(f"stats={stats!r} must be 'key' or 'all'")
    conditions = [_parse(c) for c in ([where] if isinstance(where, str) else where or [])]
    sync(store, catalog_url=catalog_url)
    catalog = open_catalog(store, catalog_url)
    found = catalog.query(
        kind=kind, strategy=strategy, symbol=symbol, timeframe=timeframe, tag=tag,
        since=_epoch("since", since), until=_epoch("until", until),
        limit=None if conditions else limit,
    )  # fmt: skip
    rows = [_flat(row, everything=True) for row in found]
    if conditions:
        known = set().union(*(r.keys() for r in rows)) if rows else set()
        for name, _, _ in conditions:
            if rows and name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ParameterError(
                    f"where: no run has a stat, parameter or option {name!r}.{hint}"
                )
        rows = [row for row in rows if _matches(row, conditions)][:limit]
    if stats == "key":
        every = {k for row in found for k in (row["stats"] or {})} - set(KEY_STATS)
        rows = [{k: v for k, v in row.items() if k not in every} for row in rows]
    table = pd.DataFrame(rows)
    if table.empty:
        table = pd.DataFrame(columns=[*_LEAD, *_TAIL])
    table["created_at"] = pd.to_datetime(table["created_at"].astype("float64"), unit="s", utc=True)
    return table


def _epoch(name: str, value: Any) -> float | None:
    import pandas as pd

    if value is None or isinstance(value, int | float):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError(f"{name}={value!r} is not a date; write e.g. '2026-11-30'") from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.timestamp()


class Run:
    """One recorded run: its record as attributes, its full result loaded on first use.

    Attributes
    ----------
    record : dict
        Everything the catalog holds (see :mod:`vzb.results.records`), with
        ``artifacts`` (``name, uri, size, checksum``).
    result : BacktestResult, DataFrame or WalkForwardResult
        Loaded from the artifacts on first access.
    """

    def __init__(self, record: dict):
        self.record = record
        self._result = None

    def __getattr__(self, name: str) -> Any:
        record = self.__dict__.get("record") or {}
        if name in record:
            return record[name]
        raise AttributeError(f"Run has no attribute {name!r}; its record has {sorted(record)}")

    def __repr__(self) -> str:
        r = self.record
        sharpe = (r.get("stats") or {}).get("Sharpe Ratio")
        return (
            f"<Run {r['run_id']} {r['kind']} {r.get('strategy')} on {','.join(r['symbols'])} "
            f"{r.get('timeframe') or ''} Sharpe={sharpe}>"
        )

    @property
    def result(self) -> Any:
        if self._result is None:
            self._result = load_run_result(self.record)
        return self._result

    @property
    def equity(self):
        """The equity curve (None for a sweep: its sets' curves are not kept)."""
        if self.record["kind"] == "sweep":
            return None
        return self.result.equity


def run(run_id: str, *, store: str | os.PathLike | None = None, catalog_url: str | None = None):
    """The recorded run ``run_id`` (or a unique prefix of it) as a :class:`Run`.

    Raises
    ------
    ParameterError
        No run, or several, with this id.
    """
    catalog = open_catalog(store, catalog_url)
    found = catalog.get(run_id)
    if found is None:
        sync(store, catalog_url=catalog_url)
        found = catalog.get(run_id)
    if found is None:
        ids = [i for i in catalog.ids() if i.startswith(str(run_id))]
        if len(ids) != 1:
            what = "No run" if not ids else f"{len(ids)} runs"
            raise ParameterError(
                f"{what} with id {run_id!r} in {catalog!r}; list them with vzb.runs()"
            )
        found = catalog.get(ids[0])
    return Run(found)
