"""How a backtest result looks in a notebook: stats, positions, equity and drawdown.

:func:`render_result_html` gives the HTML a ``BacktestResult`` shows as (stats table,
position statistics, the positions table and an embedded equity/drawdown PNG);
:func:`render_result_text` is the plain-text fallback for consoles; :func:`result_view`
builds the same as ipywidgets. :func:`position_stats` summarises a positions table.

>>> import pandas as pd
>>> positions = pd.DataFrame({"net_pnl": [30.0, -10.0, 20.0], "entry_fee": [1.0] * 3,
...                           "exit_fee": [1.0] * 3, "bars_held": [1, 2, 3]})
>>> round(position_stats(positions)["Win Rate [%]"], 2)
66.67
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vzb.widgets.charts import equity_drawdown_figure, figure_png, png_data_uri

__all__ = [
    "position_stats",
    "render_result_html",
    "render_result_text",
    "result_figure",
    "result_view",
]

_MAX_POSITIONS_SHOWN = 20


def _column(frame: pd.DataFrame, *names: str) -> pd.Series | None:
    for name in names:
        if name in frame.columns:
            return frame[name]
    return None


def position_stats(positions: pd.DataFrame) -> pd.Series:
    """Summary statistics of a positions table.

    Parameters
    ----------
    positions : pandas.DataFrame
        One row per closed position, with at least ``net_pnl``; ``return``,
        ``entry_fee``, ``exit_fee`` and ``bars_held`` are used when present.

    Returns
    -------
    pandas.Series
        ``# Positions``, ``Win Rate [%]``, ``Avg. Win [$]``, ``Avg. Loss [$]``,
        ``Avg. Win [%]``, ``Avg. Loss [%]``, ``Profit Factor`` (gross wins over gross
        losses, net of fees), ``Fees Paid [$]`` and ``Avg. Bars Held``; NaN where a value
        is undefined (no wins, no losses, no positions).

    Examples
    --------
    >>> import pandas as pd
    >>> stats = position_stats(pd.DataFrame({"net_pnl": [30.0, -10.0, 20.0],
    ...                                      "return": [0.03, -0.01, 0.02]}))
    >>> stats["# Positions"], stats["Profit Factor"], stats["Avg. Loss [%]"]
    (3, 5.0, -1.0)
    """
    pnl = _column(positions, "net_pnl", "pnl", "PnL")
    pnl = pd.Series(dtype=float) if pnl is None else pnl.astype(float)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    returns = _column(positions, "return", "return_pct", "Return")
    returns = None if returns is None else returns.astype(float) * 100.0
    fees = 0.0
    for name in ("entry_fee", "exit_fee"):
        column = _column(positions, name)
        if column is not None:
            fees += float(column.astype(float).sum())
    fee_total = _column(positions, "fees", "fee")
    if fee_total is not None and not fees:
        fees = float(fee_total.astype(float).sum())
    bars = _column(positions, "bars_held", "bars")
    count = len(pnl)

    def mean(values: pd.Series | None) -> float:
        return float(values.mean()) if values is not None and len(values) else float("nan")

    loss_sum = -float(losses.sum())
    return pd.Series(
        {
            "# Positions": count,
            "Win Rate [%]": len(wins) / count * 100.0 if count else float("nan"),
            "Avg. Win [$]": mean(wins),
            "Avg. Loss [$]": mean(losses),
            "Avg. Win [%]": mean(None if returns is None else returns[pnl > 0]),
            "Avg. Loss [%]": mean(None if returns is None else returns[pnl < 0]),
            "Profit Factor": _profit_factor(float(wins.sum()), loss_sum),
            "Fees Paid [$]": fees,
            "Avg. Bars Held": mean(None if bars is None else bars.astype(float)),
        },
        dtype=object,
    )


def _profit_factor(gains: float, losses: float) -> float:
    """Gains / losses as the engine's stats define it: inf with no losing trade, NaN with
    no trade at all."""
    if losses > 0:
        return gains / losses
    return float("inf") if gains > 0 else float("nan")


def _format_value(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "" if np.isnan(value) else str(value)
        if abs(value) >= 1e5 or (value.is_integer() and abs(value) < 1e15):
            return f"{value:,.0f}"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else str(value.date())
        )
    if isinstance(value, pd.Timedelta):
        return str(value)
    return str(value)


def _key_value_html(series: pd.Series, title: str, css: str) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:12px'>{html.escape(str(k))}</th>"
        f"<td style='text-align:right'>{html.escape(_format_value(v))}</td></tr>"
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
            shown["return [%]"] = (column.astype(float) * 100).map("{:,.2f}".format)
        elif pd.api.types.is_float_dtype(column):
            shown[name] = column.map(lambda v: f"{v:,.2f}" if abs(v) >= 1 else f"{v:.4g}")
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
    return " ".join(
        p for p in (str(getattr(result, "strategy", "") or ""), ",".join(symbols), shown) if p
    )


def result_figure(result: Any):
    """The equity and drawdown figure of a backtest result (a matplotlib Figure).

    Parameters
    ----------
    result : BacktestResult
        Anything with ``.equity`` (and optionally ``.drawdown``) series.
    """
    return equity_drawdown_figure(
        result.equity, getattr(result, "drawdown", None), title=_title(result)
    )


def render_result_html(result: Any, *, chart: bool = True) -> str:
    """The HTML a backtest result shows as in a notebook.

    Parameters
    ----------
    result : BacktestResult
        A result with ``.stats``, ``.positions``, ``.equity`` and ``.drawdown``.
    chart : bool
        Embed the equity and drawdown chart as a PNG (skip it for a smaller page).

    Returns
    -------
    str
        Stats table and position statistics side by side, the positions table (last 20),
        and the chart.
    """
    positions = getattr(result, "positions", None)
    parts = [
        "<div class='vzb-result'>",
        f"<h3 style='margin:4px 0'>Backtest: {html.escape(_title(result))}</h3>",
        _key_value_html(result.stats, "Stats", "vzb-stats"),
    ]
    if positions is not None:
        parts.append(_key_value_html(position_stats(positions), "Positions", "vzb-position-stats"))
    if chart and getattr(result, "equity", None) is not None and len(result.equity):
        uri = png_data_uri(figure_png(result_figure(result)))
        parts.append(
            f"<div><img class='vzb-equity-chart' src='{uri}' alt='equity and drawdown'/></div>"
        )
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
        return [f"  {k!s:<{width}}  {_format_value(v)}" for k, v in series.items()]

    lines += block(result.stats)
    positions = getattr(result, "positions", None)
    if positions is not None:
        lines.append("Positions:")
        lines += block(position_stats(positions))
    return "\n".join(lines)


def result_view(result: Any, *, columns: Sequence[str] | None = None):
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
    ipywidgets.VBox
        With CSS class ``vzb-result-view``; its text repr is :func:`render_result_text`.
    """
    import ipywidgets as widgets

    from vzb.widgets.report import TextVBox

    positions = getattr(result, "positions", None)
    tables = [_key_value_html(result.stats, "Stats", "vzb-stats")]
    if positions is not None:
        tables.append(_key_value_html(position_stats(positions), "Positions", "vzb-position-stats"))
    children: list[Any] = [
        widgets.HTML(f"<h3 style='margin:4px 0'>Backtest: {html.escape(_title(result))}</h3>"),
        widgets.HTML("".join(tables)),
    ]
    if getattr(result, "equity", None) is not None and len(result.equity):
        children.append(widgets.Image(value=figure_png(result_figure(result)), format="png"))
    if positions is not None:
        shown = positions if columns is None else positions[list(columns)]
        children.append(widgets.HTML(_positions_html(shown)))
    view = TextVBox(children, text=render_result_text(result))
    view.add_class("vzb-result-view")
    return view
