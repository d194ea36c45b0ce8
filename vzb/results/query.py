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

import contextlib
import difflib
import gc
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


_BASE = (*_LEAD, *_TAIL)


def _json_condition(name: str, where: tuple[str, Any], op: str, value: Any):
    """An SQL condition on a stat, parameter or option inside the JSON columns, typed by
    an ``example`` value of it; a sweep's parameters are those of its best set."""
    import sqlalchemy as sa

    from vzb.results.catalog import runs_table

    section, example = where
    r = runs_table.c

    def typed(element):
        if isinstance(example, bool):
            return element.as_boolean()
        if isinstance(example, int | float) and isinstance(value, float):
            return element.as_float()
        return element.as_string()

    expression = typed(r[section][name])
    if section == "params":
        expression = sa.func.coalesce(expression, typed(r.extra[("best_params", name)]))
    if isinstance(example, bool):
        value = str(value).lower() in ("true", "1", "1.0")
    elif not (isinstance(example, int | float) and isinstance(value, float)):
        value = str(value) if not isinstance(value, float) else f"{value:g}"
    return _OPS[op](expression, value)


def _known_names(catalog) -> dict[str, tuple[str, Any]]:
    """Stat, parameter and option names of the newest runs: name -> (section, example)."""
    from vzb.results.catalog import runs_table

    r = runs_table.c
    known: dict[str, tuple[str, Any]] = {}
    for row in catalog.query(limit=200, columns=[r.run_id, r.stats, r.params, r.options, r.extra]):
        best = (row["extra"] or {}).get("best_params") or {}
        for section, block in (("stats", row["stats"]), ("params", row["params"]),
                               ("params", best), ("options", row["options"])):  # fmt: skip
            for key, example in (block or {}).items():
                if example is not None or key not in known:
                    known[key] = (section, example)
    return known


def _later(table, name: str, op: str, value: Any):
    """A condition on a run's own column (kind, symbols, duration...), in pandas."""
    column = table[name]
    if isinstance(value, float):
        column = column.astype("float64")
    else:
        column = column.astype(str)
    return table[_OPS[op](column, value).fillna(False).astype(bool)]


_EMPTY = (None, "", "null", "{}")


def _expand(texts: list, fallback: list | None = None) -> dict[str, list]:
    """JSON objects, one per run, as ``{key: values}``: each distinct text is decoded
    once (runs share their options and often their parameters), keys in first-seen
    order; ``fallback[i]`` stands in for an empty ``texts[i]`` (a sweep's best set)."""
    import json

    distinct: dict[Any, int] = {}
    index = []
    for i, text in enumerate(texts):
        if text in _EMPTY and fallback is not None:
            text = fallback[i]
        index.append(distinct.setdefault(text, len(distinct)))
    decoded = [{} if t in _EMPTY else json.loads(t) for t in distinct]
    names = list(dict.fromkeys(key for block in decoded for key in block))
    columns = {}
    for name in names:
        values = [block.get(name) for block in decoded]
        columns[name] = [values[i] for i in index]
    return columns


def _frame(found: dict[str, list], stat_names: Sequence[str] | None):
    import pandas as pd

    columns = {name: found[name] for name in _LEAD if name not in ("symbols", "tags")}
    columns["symbols"] = [(s or ",,")[1:-1] for s in found["symbols"]]
    columns["tags"] = [",".join(t) for t in found["tags"]]
    columns = {name: columns[name] for name in _LEAD}
    sections = [_expand(found["params"], found["best_params"]), _expand(found["options"])]
    if stat_names is None:
        sections.append(_expand(found["stats"]))
    else:
        sections.append({name: found[name] for name in stat_names})
    sections.append({name: found[name] for name in _TAIL})
    for section in sections:  # a name twice: the first one stays
        for name, values in section.items():
            columns.setdefault(name, values)
    return pd.DataFrame(columns)


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
        ``"fees >= 0.0025"``, ``"volume_window == 20"``; all must hold (evaluated by the
        database). A run's own columns work too: ``"symbols == BTC_KRW"``.
    stats : {"key", "all"}
        :data:`KEY_STATS` as columns, or every stat.
    limit : int, optional
        At most this many runs (the newest).
    store, catalog_url : optional
        The store (default ``$VZB_HOME`` or ``./.vzb``) and catalog (default its SQLite
        file, or ``$VZB_CATALOG_URL``). Pending records of the store are written first.

    A sweep's row shows its best set (by Sharpe Ratio): that set's parameters and stats.
    """
    import sqlalchemy as sa

    from vzb.results.catalog import runs_table

    if stats not in ("key", "all"):
        raise ParameterError(f"stats={stats!r} must be 'key' or 'all'")
    conditions = [_parse(c) for c in ([where] if isinstance(where, str) else where or [])]
    sync(store, catalog_url=catalog_url)
    catalog = open_catalog(store, catalog_url)
    r = runs_table.c
    in_sql, later = [], []
    known = _known_names(catalog) if conditions else {}
    for name, op, value in conditions:
        if name in _BASE:
            later.append((name, op, value))
        elif name in known:
            in_sql.append(_json_condition(name, known[name], op, value))
        elif known:
            close = difflib.get_close_matches(name, sorted({*known, *_BASE}), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"where: no run has a stat, parameter or option {name!r}.{hint}")
        else:
            in_sql.append(sa.false())  # an empty catalog
    stat_names = list(KEY_STATS) if stats == "key" else None
    columns = [r[name] for name in _BASE if name != "tags"]
    columns += [
        sa.cast(r.params, sa.Text).label("params"),
        sa.cast(r.options, sa.Text).label("options"),
    ]
    columns.append(r.extra["best_params"].as_string().label("best_params"))
    if stat_names is None:
        columns.append(sa.cast(r.stats, sa.Text).label("stats"))
    else:
        columns += [r.stats[name].as_float().label(name) for name in stat_names]
    filters = dict(since=_epoch("since", since), until=_epoch("until", until))
    with _collector_paused():  # many young objects, none cyclic: the collector only costs
        found = catalog.columns(
            kind=kind, strategy=strategy, symbol=symbol, timeframe=timeframe, tag=tag,
            limit=None if later else limit, conditions=in_sql, columns=columns, **filters,
        )  # fmt: skip
        table = _frame(found, stat_names)
    for name, op, value in later:
        table = _later(table, name, op, value)
    if limit is not None:
        table = table.iloc[: int(limit)]
    table = table.reset_index(drop=True)
    table["created_at"] = _datetimes(table["created_at"])
    return table


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off (if it was on) for a block that builds
    hundreds of thousands of objects: with it, a listing of 10,000 runs took a third
    longer, scanning them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _datetimes(values):
    """Epoch seconds as UTC timestamps."""
    import pandas as pd

    return pd.to_datetime(values.astype("float64"), unit="s", utc=True)


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
