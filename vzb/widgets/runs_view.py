"""The runs view: the run catalog as a filterable table; select rows and compare them.

Filters (kind, strategy, symbol, timeframe, tag, and stat thresholds such as
``Sharpe Ratio > 1``) query the catalog (:func:`vzb.runs`); the table lists the runs with
their key stats as :mod:`vzb.widgets.formatting` writes them; ticking two or more runs in
the list and pressing *Compare* shows :func:`~vzb.widgets.compare_view.compare_view`
below. Every part carries a ``vzb-runs-*`` CSS class.

>>> import tempfile, vzb
>>> store = tempfile.mkdtemp()
>>> candles = vzb.load_sample("BTC_USD")
>>> ids = [vzb.record(vzb.backtest(candles, fees=f), store=store) for f in (0.0, 0.0025)]
>>> view = RunsView(store=store)
>>> view
2 runs
>>> view.where.value = "fees > 0.001"; view.refresh(); len(view.table)
1
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from vzb.results.comparison import compare
from vzb.results.query import runs
from vzb.widgets.compare_view import compare_view, render_comparison_html
from vzb.widgets.display import TextVBox, figure_bundle, table_html
from vzb.widgets.formatting import format_parameter, format_stat, format_timestamp

__all__ = ["RunsView", "runs_view"]

_SHOWN = ("run_id", "kind", "created_at", "strategy", "symbols", "timeframe", "tags",
          "Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades")  # fmt: skip
_ANY = "(any)"


def _label(row) -> str:
    sharpe = format_stat("Sharpe Ratio", row.get("Sharpe Ratio"))
    where = f"{row['symbols']}  {row['timeframe']}"
    return f"{row['run_id'][:12]}  {row['kind']}  {where}  Sharpe {sharpe}"


class RunsView(TextVBox):
    """Filter widgets, the runs table, a list to pick runs from, and the comparison.

    Parameters
    ----------
    store, catalog_url : optional
        The store and catalog to read (defaults as :func:`vzb.runs`).
    **filters
        Initial filters: ``kind, strategy, symbol, timeframe, tag, where``.
    """

    def __init__(self, *, store: Any = None, catalog_url: str | None = None, **filters: Any):
        self._source = {"store": store, "catalog_url": catalog_url}
        self.table = runs(**self._source)
        every = self.table

        def choices(column: str) -> list[str]:
            return [_ANY, *sorted({str(v) for v in every.get(column, []) if v is not None})]

        self.kind = widgets.Dropdown(options=[_ANY, "backtest", "sweep", "walk_forward"],
                                     description="kind")  # fmt: skip
        self.strategy = widgets.Dropdown(options=choices("strategy"), description="strategy")
        self.timeframe = widgets.Dropdown(options=choices("timeframe"), description="timeframe")
        self.symbol = widgets.Text(placeholder="BTC_KRW", description="symbol")
        self.tag = widgets.Text(placeholder="a tag", description="tag")
        self.where = widgets.Text(placeholder="Sharpe Ratio > 1; fees >= 0.0025",
                                  description="where")  # fmt: skip
        for name in ("kind", "strategy", "timeframe", "symbol", "tag", "where"):
            if filters.get(name) is not None:
                getattr(self, name).value = str(filters[name])
        self.apply = widgets.Button(description="Filter", icon="filter")
        self.listing = widgets.SelectMultiple(options=[], rows=8, layout={"width": "100%"})
        self.compare_button = widgets.Button(description="Compare", icon="columns")
        self.message = widgets.HTML()
        self.table_html = widgets.HTML()
        self.comparison = widgets.Output()
        for css, part in (("filters", self.apply), ("list", self.listing),
                          ("compare", self.compare_button), ("table", self.table_html),
                          ("comparison", self.comparison), ("message", self.message)):  # fmt: skip
            part.add_class(f"vzb-runs-{css}")
        self.apply.on_click(lambda _: self.refresh())
        self.compare_button.on_click(lambda _: self.compare())
        filters_box = widgets.HBox([widgets.VBox([self.kind, self.strategy, self.timeframe]),
                                    widgets.VBox([self.symbol, self.tag, self.where]),
                                    self.apply])  # fmt: skip
        actions = widgets.HBox([self.compare_button, self.message])
        parts = [filters_box, self.table_html, self.listing, actions, self.comparison]
        super().__init__(parts)
        self.add_class("vzb-runs")
        self.refresh()

    def _filters(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in ("kind", "strategy", "timeframe"):
            value = getattr(self, name).value
            if value != _ANY:
                found[name] = value
        for name in ("symbol", "tag"):
            if getattr(self, name).value.strip():
                found[name] = getattr(self, name).value.strip()
        conditions = [c.strip() for c in self.where.value.split(";") if c.strip()]
        if conditions:
            found["where"] = conditions
        return found

    def refresh(self) -> None:
        """Query the catalog with the filters and redraw the table and the list."""
        try:
            self.table = runs(**self._filters(), **self._source)
        except ValueError as exc:  # a bad threshold: say what to fix, keep the last table
            self.message.value = f"<span style='color:#c00'>{exc}</span>"
            return
        self.message.value = ""
        shown = self.table[[c for c in _SHOWN if c in self.table.columns]].copy()
        for column in shown.columns:
            if column == "created_at":
                shown[column] = [format_timestamp(v) for v in shown[column]]
            elif column == "run_id":
                shown[column] = [v[:12] for v in shown[column]]
            elif column in ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades"):
                shown[column] = [format_stat(column, v) for v in shown[column]]
            else:
                shown[column] = [
                    format_parameter(v) if v is not None else "" for v in shown[column]
                ]
        self.table_html.value = table_html(shown, "vzb-runs-rows", title=self._title())
        rows = self.table.to_dict("records")
        self.listing.options = [(_label(r), r["run_id"]) for r in rows]
        self._text = self._title()

    def _title(self) -> str:
        return f"{len(self.table)} run" + ("" if len(self.table) == 1 else "s")

    def select(self, run_ids) -> None:
        """Tick these runs in the list (as clicking them would)."""
        self.listing.value = tuple(run_ids)

    def compare(self):
        """Compare the ticked runs below the list; returns the comparison (or None)."""
        chosen = list(self.listing.value)
        if len(chosen) < 2:
            self.message.value = "Tick two or more runs in the list to compare them."
            return None
        comparison = compare(chosen, **self._source)
        self.message.value = ""
        report = compare_view(comparison)
        outputs = [{"output_type": "display_data", "metadata": {},
                    "data": {"text/html": render_comparison_html(comparison),
                             "text/plain": report.text}}]  # fmt: skip
        if not comparison.equity.empty:
            figure = report.parts[-1]
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": figure_bundle(figure)})  # fmt: skip
        self.comparison.outputs = tuple(outputs)
        return comparison


def runs_view(**kwargs: Any) -> RunsView:
    """A :class:`RunsView` (same arguments): ``vzb.widgets.runs_view(symbol="BTC_KRW")``."""
    return RunsView(**kwargs)
