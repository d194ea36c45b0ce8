"""How a backtest result looks in a notebook: stats, positions, price, equity and drawdown.

:func:`render_result_html` gives the HTML a ``BacktestResult`` shows as (stats table,
position statistics from :func:`vzb.analysis.position_stats`, the positions table and an
embedded chart); :func:`render_result_text` is the plain-text fallback for consoles;
:func:`result_view` builds the same as ipywidgets and :func:`result_report` as a static
report. The package registers :func:`render_result_html` as the notebook display of
``BacktestResult`` (the engine knows nothing of this module).

>>> import vzb
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"))
>>> render_result_text(result).splitlines()[1].split()[:2]
['Start', '2014-11-28']
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from vzb.analysis import position_stats
from vzb.widgets.charts import backtest_figure, figure_png, png_data_uri
from vzb.widgets.display import Report, TextVBox, chart_image
from vzb.widgets.formatting import format_value

__all__ = [
    "render_result_html",
    "render_result_text",
    "result_figure",
    "result_report",
    "result_view",
]

_MAX_POSITIONS_SHOWN = 20


def _key_value_html(series: pd.Series, title: str, css: str) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:12px'>{html.escape(str(k))}</th>"
        f"<td style='text-align:right'>{html.escape(format_value(v))}</td></tr>"
        for k, v in series.items()
    )
    return (
        f"<div class='{css}' style='display:inline-block;vertical-align:top;margin-right:24px'>"
        f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>"
        f"<table class='vzb-table'>{rows}</table></div>"
    )


def _readable_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Positions as text a reader scans: dates without midnight times, money with
    thousands separators, the return in percent."""
    shown = pd.DataFrame(index=positions.index)
    for name in positions.columns:
        column = positions[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column):
            daily = bool((column.dropna().dt.normalize() == column.dropna()).all())
            shown[name] = column.dt.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M")
        elif name == "return":
            shown["return [%]"] = (column.astype(float) * 100).map(format_value)
        elif pd.api.types.is_float_dtype(column):
            shown[name] = column.map(format_value)
        else:
            shown[name] = column
    return shown


def _positions_html(positions: pd.DataFrame, limit: int = _MAX_POSITIONS_SHOWN) -> str:
    if positions is None or positions.empty:
        return "<p class='vzb-positions'><i>No positions.</i></p>"
    shown = positions.tail(limit)
    table = _readable_positions(shown).to_html(classes="vzb-table", border=0, index=False)
    more = len(positions) - len(shown)
    note = f"<p><i>Last {len(shown)} of {len(positions)} positions.</i></p>" if more else ""
    return (
        f"<div class='vzb-positions' style='max-height:360px;overflow:auto'>"
        f"<h4 style='margin:4px 0'>Positions</h4>{note}{table}</div>"
    )


def _title(result: Any) -> str:
    symbols = getattr(result, "symbols", None) or []
    if isinstance(symbols, str):
        symbols = [symbols]
    params = getattr(result, "params", None) or {}
    shown = " ".join(f"{k}={v}" for k, v in list(params.items())[:6])
    strategy = str(getattr(result, "strategy", "") or "")
    return " ".join(part for part in (strategy, ",".join(symbols), shown) if part)


def _position_block(result: Any) -> pd.Series | None:
    """Position statistics the stats table does not already show (no win rate twice)."""
    positions = getattr(result, "positions", None)
    if positions is None:
        return None
    stats = position_stats(positions)
    return stats[~stats.index.isin(result.stats.index)]


def _stats_html(result: Any) -> str:
    parts = [_key_value_html(result.stats, "Stats", "vzb-stats")]
    block = _position_block(result)
    if block is not None:
        parts.append(_key_value_html(block, "Positions", "vzb-position-stats"))
    return "".join(parts)


def _has_equity(result: Any) -> bool:
    return getattr(result, "equity", None) is not None and len(result.equity) > 0


def result_figure(result: Any, **options: Any) -> Figure:
    """The chart of a backtest result: with the candles of a single-symbol run, the price
    with the strategy's indicators (``result.indicators``, whatever columns it holds),
    entries and exits; then equity and drawdown. ``BacktestResult.plot()`` draws this.

    Parameters
    ----------
    result : BacktestResult
        Anything with ``.equity``; ``.drawdown``, ``.candles``, ``.indicators`` and
        ``.positions`` are used when present.
    **options
        Passed on to :func:`~vzb.widgets.charts.backtest_figure` (e.g. ``title=``), over
        what the result gives.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import vzb
    >>> figure = result_figure(vzb.backtest(vzb.load_sample("BTC_USD")))
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['price', 'equity', 'drawdown [%]']
    """
    chart = {
        "title": _title(result),
        "candles": getattr(result, "candles", None),
        "indicators": getattr(result, "indicators", None),
        "positions": getattr(result, "positions", None),
        **options,
    }
    return backtest_figure(result.equity, getattr(result, "drawdown", None), **chart)


def render_result_html(result: Any, *, chart: bool = True) -> str:
    """The HTML a backtest result shows as in a notebook.

    Parameters
    ----------
    result : BacktestResult
        A result with ``.stats``, ``.positions``, ``.equity`` and ``.drawdown``.
    chart : bool
        Embed :func:`result_figure` as a PNG (skip it for a smaller page).

    Returns
    -------
    str
        Stats table and position statistics side by side, the chart, and the positions
        table (last 20).
    """
    positions = getattr(result, "positions", None)
    parts = [
        "<div class='vzb-result'>",
        f"<h3 style='margin:4px 0'>Backtest: {html.escape(_title(result))}</h3>",
        _stats_html(result),
    ]
    if chart and _has_equity(result):
        uri = png_data_uri(figure_png(result_figure(result)))
        parts.append(f"<div><img class='vzb-equity-chart' src='{uri}' alt='backtest chart'/></div>")
    if positions is not None:
        parts.append(_positions_html(positions))
    parts.append("</div>")
    return "".join(parts)


def render_result_text(result: Any) -> str:
    """A backtest result as plain text (the fallback for consoles and nbval).

    Returns
    -------
    str
        The title, the stats and the position statistics, one per line.
    """
    lines = [f"Backtest: {_title(result)}"]

    def block(series: pd.Series) -> list[str]:
        width = max((len(str(k)) for k in series.index), default=0)
        return [f"  {k!s:<{width}}  {format_value(v)}" for k, v in series.items()]

    lines += block(result.stats)
    positions = _position_block(result)
    if positions is not None:
        lines.append("Positions:")
        lines += block(positions)
    return "\n".join(lines)


def result_view(result: Any, *, columns: Sequence[str] | None = None) -> TextVBox:
    """The result as ipywidgets: stats and position statistics, chart, positions table.

    Everything is filled at once in the calling thread (no ``Output`` capture), so the
    view also works when built from a callback.

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
    positions = getattr(result, "positions", None)
    children: list[Any] = [
        widgets.HTML(f"<h3 style='margin:4px 0'>Backtest: {html.escape(_title(result))}</h3>"),
        widgets.HTML(_stats_html(result)),
    ]
    if _has_equity(result):
        children.append(chart_image(figure_png(result_figure(result)), "vzb-equity-chart"))
    if positions is not None:
        shown = positions if columns is None else positions[list(columns)]
        children.append(widgets.HTML(_positions_html(shown)))
    view = TextVBox(children, text=render_result_text(result))
    view.add_class("vzb-result-view")
    return view


def result_report(result: Any, *, chart: bool = True) -> Report:
    """A backtest result as a static report: HTML in notebooks, text in consoles.

    Parameters
    ----------
    result : BacktestResult
    chart : bool
        Include the chart (an embedded PNG).

    Returns
    -------
    Report
        HTML from :func:`render_result_html`, text from :func:`render_result_text`.
    """
    return Report(render_result_html(result, chart=chart), render_result_text(result))
