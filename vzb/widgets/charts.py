"""Matplotlib figures for the notebook views, drawn without pyplot.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas, so drawing
never touches pyplot's global state or the notebook's backend, and a figure can be turned
into PNG bytes for an ``<img>`` tag or an ``ipywidgets.Image``.

>>> import pandas as pd
>>> index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
>>> equity = pd.Series([100.0, 110.0, 99.0, 120.0, 118.0], index=index)
>>> png = figure_png(backtest_figure(equity))
>>> png[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

__all__ = ["backtest_figure", "figure_png", "heatmap_figure", "png_data_uri"]


def figure_png(figure: Figure, *, dpi: int = 90) -> bytes:
    """Render ``figure`` to PNG bytes.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    dpi : int
        Resolution.

    Returns
    -------
    bytes
    """
    if figure.canvas is None or not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def png_data_uri(png: bytes) -> str:
    """A ``data:`` URI embedding PNG bytes in HTML.

    >>> png_data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _drawdown_percent(equity: pd.Series, drawdown: pd.Series | None) -> pd.Series:
    if drawdown is None:
        drawdown = equity / equity.cummax() - 1.0
    return -drawdown.astype(float).abs() * 100.0


def _price_panel(
    axes, candles: pd.DataFrame, indicators: pd.DataFrame | None, positions: pd.DataFrame | None
) -> None:
    """Close price, every indicator column (named in the legend), entries and exits."""
    close = candles["close"].to_numpy(dtype=float)
    axes.plot(candles.index, close, color="0.3", lw=1.0, label="close")
    for name in [] if indicators is None else indicators.columns:
        values = indicators[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            axes.plot(values.index, values.to_numpy(dtype=float), lw=0.9, label=str(name))
    if positions is not None and len(positions):
        for side, marker, color in (("entry", "^", "#2ca02c"), ("exit", "v", "#d62728")):
            times, prices = positions[f"{side}_time"], positions[f"{side}_price"]
            axes.scatter(times, prices, marker=marker, color=color, s=18, zorder=3, label=side)
    axes.set_ylabel("price")
    axes.legend(loc="upper left", frameon=False, fontsize=8)


def backtest_figure(
    equity: pd.Series,
    drawdown: pd.Series | None = None,
    *,
    title: str | None = None,
    candles: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    positions: pd.DataFrame | None = None,
) -> Figure:
    """Equity above its drawdown (in percent, shaded below zero), and with ``candles`` a
    price panel on top showing the strategy's indicators, entries and exits.

    Every chart of a backtest in vzb is drawn here.

    Parameters
    ----------
    equity : pandas.Series
        Account value over time.
    drawdown : pandas.Series, optional
        Drawdown as a fraction (``equity / running peak - 1``, e.g. -0.1), drawn in
        percent; computed from ``equity`` if omitted.
    title : str, optional
        Title over the top panel.
    candles : pandas.DataFrame, optional
        The candles of a single-symbol run: adds the price panel.
    indicators : pandas.DataFrame, optional
        Per-bar indicator columns (whatever the strategy declares), each drawn over the
        price and named after its column; ignored without ``candles``.
    positions : pandas.DataFrame, optional
        Positions (``entry_time``, ``entry_price``, ``exit_time``, ``exit_price``) marked
        on the price panel; ignored without ``candles``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with_price = candles is not None and len(candles) > 0
    figure = Figure(figsize=(9, 6.4 if with_price else 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    ratios = (3, 2, 1) if with_price else (3, 1)
    panels = figure.subplots(len(ratios), 1, sharex=True, height_ratios=ratios)
    if with_price:
        _price_panel(panels[0], candles, indicators, positions)
    top, bottom = panels[-2], panels[-1]
    top.plot(equity.index, equity.to_numpy(dtype=float), color="#1f77b4", lw=1.3)
    top.set_ylabel("equity")
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    if title:
        panels[0].set_title(title, fontsize=10)
    dd = _drawdown_percent(equity, drawdown)
    bottom.fill_between(dd.index, dd.to_numpy(), 0.0, color="#d62728", alpha=0.35, lw=0)
    bottom.plot(dd.index, dd.to_numpy(), color="#d62728", lw=0.8)
    bottom.set_ylabel("drawdown [%]")
    for axes in panels:
        axes.grid(alpha=0.3)
    return figure


def heatmap_figure(
    grid: pd.DataFrame, *, title: str | None = None, annotate: bool | None = None
) -> Figure:
    """A heatmap of a 2-D table: rows on the y axis, columns on the x axis.

    Parameters
    ----------
    grid : pandas.DataFrame
        Values to colour (e.g. a stat pivoted over two parameters); NaN cells stay blank.
    title : str, optional
        Title, e.g. the stat's name.
    annotate : bool, optional
        Write each value in its cell (default: when the grid has at most 150 cells).

    Returns
    -------
    matplotlib.figure.Figure
    """
    values = grid.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    figure = Figure(
        figsize=(min(2.5 + 0.7 * n_cols, 11), min(2 + 0.45 * n_rows, 8)), layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    masked = np.ma.masked_invalid(values)
    image = axes.imshow(masked, aspect="auto", origin="lower", cmap="RdYlGn")
    axes.set_xticks(range(n_cols), [f"{v:g}" if isinstance(v, float) else v for v in grid.columns])
    axes.set_yticks(range(n_rows), [f"{v:g}" if isinstance(v, float) else v for v in grid.index])
    axes.set_xlabel(str(grid.columns.name or ""))
    axes.set_ylabel(str(grid.index.name or ""))
    if title:
        axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes)
    if annotate is None:
        annotate = values.size <= 150
    if annotate:
        for i in range(n_rows):
            for j in range(n_cols):
                if np.isfinite(values[i, j]):
                    axes.text(j, i, f"{values[i, j]:.3g}", ha="center", va="center", fontsize=7)
    return figure
