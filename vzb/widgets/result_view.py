"""How a backtest result looks in a notebook: heading, grouped stats, chart, positions.

The heading names the strategy, symbols and timeframe, with the parameters that differ
from the strategy's defaults and the starting cash and costs beneath; the stats come in
groups (returns, risk, trades, signals; the signal rows explained) in the one number
format of :mod:`vzb.widgets.formatting`; the positions table spans the width with dates
on one line and the return in percent. :func:`result_figure` is what
``BacktestResult.plot()`` draws: an interactive Plotly figure, or with
``backend="matplotlib"`` the static one. :func:`render_result_html` is the static HTML
(chart as a PNG), :func:`render_result_text` the plain-text fallback, :func:`result_view`
the ipywidgets view with a pager over every position, :func:`result_report` the report a
notebook shows (HTML, the interactive chart, the positions).

>>> import vzb
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"))
>>> render_result_text(result).splitlines()[0].split(" · ")[1:]
['BTC_USD', '1d']
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd

from vzb.analysis import position_stats
from vzb.data.timeframes import infer_timeframe
from vzb.errors import ParameterError
from vzb.widgets.display import Report, TextVBox, figure_output, rows_text
from vzb.widgets.formatting import (
    currency_of,
    format_money,
    format_parameter,
    format_stat,
    stat_group,
)
from vzb.widgets.positions_table import positions_html, positions_page

__all__ = [
    "SIGNAL_NOTES",
    "render_result_html",
    "render_result_text",
    "result_figure",
    "result_report",
    "result_view",
]

#: what each signal row means, shown beside it
SIGNAL_NOTES = {
    "# Signals": "entry signals, traded or not (none is taken while a position is open)",
    "Signal Samples": "signals studied one by one: each bought at its bar's close",
    "Signal Win Rate [%]": "share of those with a gain after the hold, fees left out",
    "Signal Avg. Return [%]": "their mean return",
    "Signal Max. Drawdown [%]": "worst fall of their returns compounded in bar order",
    "Signal Avg. Bars Held": "mean bars from entry to exit",
}

_GROUP_TITLES = {
    "period": "Period",
    "returns": "Returns",
    "risk": "Risk",
    "trades": "Trades",
    "signals": "Signals (each signal on its own)",
    "other": "Other",
}


def _symbols(result: Any) -> list[str]:
    symbols = getattr(result, "symbols", None) or []
    return [symbols] if isinstance(symbols, str) else list(symbols)


def _currency(result: Any) -> str | None:
    return currency_of(_symbols(result))


def _heading(result: Any) -> str:
    """``strategy · symbols · timeframe``."""
    equity = getattr(result, "equity", None)
    timeframe = infer_timeframe(equity.index) if equity is not None and len(equity) > 1 else None
    parts = [str(getattr(result, "strategy", "") or ""), ", ".join(_symbols(result)), timeframe]
    return " · ".join(part for part in parts if part)


def _changed_parameters(result: Any) -> dict[str, Any]:
    """The parameters that differ from the strategy's defaults (all of them for a
    strategy that is not registered here)."""
    params = dict(getattr(result, "params", None) or {})
    try:
        from vzb.strategies import get_strategy

        defaults = get_strategy(result.strategy).defaults
    except (ParameterError, KeyError, TypeError, AttributeError, ValueError):
        return params
    return {name: value for name, value in params.items() if defaults.get(name) != value}


def _setup_line(result: Any) -> str:
    """Parameters beneath the heading, then the starting cash and costs."""
    changed = _changed_parameters(result)
    params = (
        " · ".join(f"{name}={format_parameter(value)}" for name, value in changed.items())
        if changed
        else "default parameters"
    )
    options = getattr(result, "options", None) or {}
    costs = []
    if "cash" in options:
        costs.append(f"starting cash {format_money(options['cash'], _currency(result))}")
    for name, label in (("fees", "fees"), ("slippage", "slippage")):
        if options.get(name):
            costs.append(f"{label} {float(options[name]) * 100:.3g}% a side")
    if options.get("fill"):
        costs.append(f"fill at {str(options['fill']).replace('_', ' ')}")
    for name in ("stop_loss", "take_profit"):
        if options.get(name):
            costs.append(f"{name.replace('_', ' ')} {float(options[name]) * 100:.3g}%")
    return params + ("; " + ", ".join(costs) if costs else "")


def _stats_rows(result: Any) -> dict[str, list[tuple[str, str, str]]]:
    """``group -> [(stat, text, note)]``: the stats and the position statistics they do
    not already hold, formatted by name."""
    currency = _currency(result)
    series = result.stats
    block = _position_block(result)
    if block is not None:
        series = pd.concat([series, block])
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for name, value in series.items():
        row = (str(name), format_stat(name, value, currency), SIGNAL_NOTES.get(str(name), ""))
        groups.setdefault(stat_group(name), []).append(row)
    return groups


def _position_block(result: Any) -> pd.Series | None:
    """Position statistics the stats do not already show (no win rate twice; the
    number of positions and the fees paid are ``# Trades`` and ``Total Fees [$]``)."""
    positions = getattr(result, "positions", None)
    if positions is None:
        return None
    stats = position_stats(positions)
    repeated = {*result.stats.index, "# Positions", "Fees Paid [$]"}
    return stats[~stats.index.isin(repeated)]


def _group_html(title: str, rows: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:12px;font-weight:normal'>"
        f"{html.escape(name)}</th><td style='text-align:right;white-space:nowrap'>"
        f"{html.escape(text)}</td>"
        + (
            "<td style='padding-left:10px;color:#666;font-size:90%;text-align:left'>"
            f"{html.escape(note)}</td>"
        )
        + "</tr>"
        for name, text, note in rows
    )
    return (
        "<div class='vzb-stats-group' style='display:inline-block;vertical-align:top;"
        f"margin:0 28px 8px 0'><h4 style='margin:4px 0'>{html.escape(title)}</h4>"
        f"<table class='vzb-table'>{body}</table></div>"
    )


def _head_html(result: Any) -> str:
    return (
        f"<h3 style='margin:4px 0 2px 0'>Backtest: {html.escape(_heading(result))}</h3>"
        f"<p class='vzb-setup' style='margin:0 0 8px 0;color:#555'>"
        f"{html.escape(_setup_line(result))}</p>"
    )


def _stats_html(result: Any) -> str:
    groups = _stats_rows(result)
    order = [g for g in _GROUP_TITLES if g in groups]
    blocks = "".join(_group_html(_GROUP_TITLES[g], groups[g]) for g in order if g != "signals")
    signals = (
        _group_html(_GROUP_TITLES["signals"], groups["signals"]) if "signals" in groups else ""
    )
    return f"<div class='vzb-stats'>{blocks}</div><div class='vzb-signal-stats'>{signals}</div>"


def _has_equity(result: Any) -> bool:
    return getattr(result, "equity", None) is not None and len(result.equity) > 0


def result_figure(result: Any, *, backend: str = "plotly", **options: Any) -> Any:
    """The chart of a backtest result: with the candles of a single-symbol run, the price
    with the strategy's indicators (``result.indicators``, whatever columns it holds),
    entries and exits; then equity and drawdown. ``BacktestResult.plot()`` draws this.

    Parameters
    ----------
    result : BacktestResult
        Anything with ``.equity``; ``.drawdown``, ``.candles``, ``.indicators``,
        ``.positions`` and ``.symbols`` are used when present.
    backend : {"plotly", "matplotlib"}
        An interactive :func:`~vzb.widgets.figures.backtest_plotly` figure (zoom, hover
        over each trade, range slider), or the static
        :func:`~vzb.widgets.charts.backtest_figure` for exports and headless use.
    **options
        Passed on to the backend's function over what the result gives (plotly:
        ``log=``, ``price="line"``, ``max_points=``, ``max_markers=``, ``height=``...;
        both: ``title=``).

    Returns
    -------
    plotly.graph_objects.Figure or matplotlib.figure.Figure

    Examples
    --------
    >>> import vzb
    >>> result = vzb.backtest(vzb.load_sample("BTC_USD"))
    >>> [trace.name for trace in result_figure(result).data]
    ['BTC_USD', 'resistance', 'entries', 'exits', 'equity', 'drawdown']
    >>> [a.get_ylabel() for a in result_figure(result, backend="matplotlib").axes]
    ['price', 'equity', 'drawdown [%]']
    """
    chart = {
        "title": _heading(result),
        "candles": getattr(result, "candles", None),
        "indicators": getattr(result, "indicators", None),
        "positions": getattr(result, "positions", None),
    }
    if backend == "matplotlib":
        from vzb.widgets.charts import backtest_figure

        return backtest_figure(result.equity, getattr(result, "drawdown", None), **chart, **options)
    if backend != "plotly":
        raise ParameterError(f"backend must be 'plotly' or 'matplotlib'; got {backend!r}")
    from vzb.widgets.figures import backtest_plotly

    symbols = _symbols(result)
    chart.update(currency=_currency(result), symbol=symbols[0] if len(symbols) == 1 else "price")
    return backtest_plotly(result.equity, getattr(result, "drawdown", None), **{**chart, **options})


def render_result_html(result: Any, *, chart: bool = True) -> str:
    """The static HTML of a backtest result (exports, e-mail): heading, grouped stats,
    the chart as a PNG, and the last positions.

    Parameters
    ----------
    result : BacktestResult
    chart : bool
        Embed the static chart (``result_figure(result, backend="matplotlib")``).

    Returns
    -------
    str
    """
    parts = ["<div class='vzb-result'>", _head_html(result), _stats_html(result)]
    if chart and _has_equity(result):
        from vzb.widgets.charts import figure_png, png_data_uri

        uri = png_data_uri(figure_png(result_figure(result, backend="matplotlib")))
        parts.append(f"<div><img class='vzb-equity-chart' src='{uri}' alt='backtest chart'/></div>")
    positions = getattr(result, "positions", None)
    if positions is not None:
        parts.append(positions_html(positions, _currency(result)))
    parts.append("</div>")
    return "".join(parts)


def render_result_text(result: Any) -> str:
    """A backtest result as plain text (consoles, nbval): heading, setup and the stats
    by group, numbers in the one format."""
    lines = [f"Backtest: {_heading(result)}", f"  {_setup_line(result)}"]
    groups = _stats_rows(result)
    for group in (g for g in _GROUP_TITLES if g in groups):
        lines.append(f"{_GROUP_TITLES[group]}:")
        lines += rows_text([(name, text) for name, text, _ in groups[group]])
    return "\n".join(lines)


def result_view(result: Any, *, columns: Sequence[str] | None = None) -> TextVBox:
    """The result as ipywidgets: heading, grouped stats, the interactive chart and the
    positions with a pager (every position, :data:`PAGE_SIZE` a page).

    Everything is filled at once in the calling thread; the pager redraws in its
    buttons' callbacks.

    Parameters
    ----------
    result : BacktestResult
    columns : sequence of str, optional
        Only these columns of the positions table.

    Returns
    -------
    TextVBox
        With CSS class ``vzb-result-view``; its text repr is :func:`render_result_text`.
    """
    children: list[Any] = [widgets.HTML(_head_html(result) + _stats_html(result))]
    if _has_equity(result):
        children.append(figure_output(result_figure(result), "vzb-equity-chart"))
    positions = getattr(result, "positions", None)
    if positions is not None:
        shown = positions if columns is None else positions[list(columns)]
        children.append(positions_page(shown, _currency(result)))
    view = TextVBox(children, text=render_result_text(result))
    view.add_class("vzb-result-view")
    return view


def result_report(result: Any, *, chart: bool = True) -> Report:
    """A backtest result as a report: in a notebook the heading and stats, the
    interactive chart and the last positions, one output each; in consoles the text.

    Parameters
    ----------
    result : BacktestResult
    chart : bool
        Include the interactive chart.

    Returns
    -------
    Report
        ``.html`` is :func:`render_result_html` without the chart (the static export:
        ``render_result_html(result)``); the text is :func:`render_result_text`.
    """
    head = "<div class='vzb-result'>" + _head_html(result) + _stats_html(result) + "</div>"
    positions = getattr(result, "positions", None)
    table = positions_html(positions, _currency(result)) if positions is not None else ""
    parts: list[Any] = [head]
    if chart and _has_equity(result):
        parts.append(result_figure(result))
    if table:
        parts.append(table)
    return Report(head + table, render_result_text(result), parts=parts)
