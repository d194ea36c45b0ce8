"""Runs side by side: what ran (parameters, options), on what (data), with what (code),
what came out (stats), the rows that differ marked, and the equity curves together.

>>> import tempfile, vzb
>>> store = tempfile.mkdtemp()
>>> candles = vzb.load_sample("BTC_USD")
>>> ids = [vzb.record(vzb.backtest(candles, params={"volume_window": w}), store=store)
...        for w in (10, 30)]
>>> both = compare(ids, store=store)
>>> both.differences.loc["params"].index.tolist()
['volume_window']
>>> both.equity.shape[1]
2
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from vzb import _hooks
from vzb.errors import ParameterError
from vzb.results.query import Run, run

__all__ = ["SECTIONS", "Comparison", "compare"]

#: the sections of a comparison, in order
SECTIONS = ("run", "data", "params", "options", "stats")
_RUN_FIELDS = ("kind", "strategy", "strategy_ref", "created_at", "duration", "n_sets",
               "vzb_version", "git_commit", "git_dirty", "tags", "note")  # fmt: skip
_DATA_FIELDS = ("symbols", "timeframe", "start_time", "end_time", "fingerprint", "sources")


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return value


def _same(values: list) -> bool:
    texts = {repr(v) for v in values}
    return len(texts) == 1


class Comparison:
    """Several runs side by side (see :func:`compare`).

    Attributes
    ----------
    runs : list of Run
    table : DataFrame
        Index ``(section, name)`` with sections :data:`SECTIONS`; one column per run id.
    differs : Series of bool
        Per row of ``table``: the runs disagree there.
    """

    def __init__(self, runs: Sequence[Run]):
        import pandas as pd

        self.runs = list(runs)
        rows: dict[tuple[str, str], list] = {}

        def add(section: str, name: str, values: list) -> None:
            rows[(section, name)] = [_cell(v) for v in values]

        records = [r.record for r in self.runs]
        for name in _RUN_FIELDS:
            add("run", name, [r.get(name) for r in records])
        for name in _DATA_FIELDS:
            add("data", name, [r.get(name) for r in records])
        for section in ("params", "options", "stats"):
            names: list[str] = []
            for r in records:
                block = r.get(section) or {}
                if section == "params" and not block:
                    block = r.get("grid") or (r.get("extra") or {}).get("best_params") or {}
                names += [n for n in block if n not in names]
            for name in names:
                values = []
                for r in records:
                    block = r.get(section) or {}
                    if section == "params" and not block:
                        block = r.get("grid") or (r.get("extra") or {}).get("best_params") or {}
                    values.append(block.get(name))
                add(section, name, values)
        index = pd.MultiIndex.from_tuples(list(rows), names=["section", "name"])
        columns = [r["run_id"] for r in records]
        self.table = pd.DataFrame(list(rows.values()), index=index, columns=columns)
        self.differs = pd.Series([not _same(v) for v in rows.values()], index=index, name="differs")

    @property
    def differences(self):
        """The rows of :attr:`table` where the runs differ (the run section's times and
        durations left out: they always differ)."""
        keep = self.differs.copy()
        for name in ("created_at", "duration"):
            keep.loc[("run", name)] = False
        return self.table[keep]

    @property
    def equity(self):
        """Equity curves as a share of each run's starting cash (1 = start), one column per
        run with a curve (sweeps have none), on the union of their timestamps."""
        import pandas as pd

        curves = {}
        for r in self.runs:
            equity = r.equity
            if equity is not None and len(equity):
                curves[r.run_id] = equity / equity.iloc[0]
        return pd.DataFrame(curves)

    def plot(self, **kwargs: Any):
        """The equity curves overlaid (a Plotly figure, from the widgets layer)."""
        if _hooks.comparison_plotter is None:
            raise ParameterError("Plotting needs the vzb package: import vzb first")
        return _hooks.comparison_plotter(self, **kwargs)

    def __repr__(self) -> str:
        shown = self.table.copy()
        shown.columns = [str(c)[:12] for c in shown.columns]
        shown.insert(0, "≠", ["*" if d else "" for d in self.differs])
        with __import__("pandas").option_context("display.max_rows", 200, "display.width", 160):
            return f"Comparison of {len(self.runs)} runs (* = differs)\n{shown}"


def compare(
    run_ids: Sequence[str | Run],
    *,
    store: str | os.PathLike | None = None,
    catalog_url: str | None = None,
) -> Comparison:
    """Compare recorded runs: parameters, options, data, code and stats side by side with
    the differences marked, and the equity curves overlaid (``.plot()``; in a notebook the
    comparison displays as a table with the differing rows highlighted and the chart).

    Parameters
    ----------
    run_ids : list of str or Run
        Two or more run ids (or unique prefixes), e.g. ``vzb.runs()["run_id"][:2]``.
    """
    ids = list(run_ids)
    if len(ids) < 2:
        raise ParameterError(f"compare needs at least two run ids, got {len(ids)}")
    found = [r if isinstance(r, Run) else run(r, store=store, catalog_url=catalog_url) for r in ids]
    return Comparison(found)
