"""Matplotlib figures for the notebook views, drawn without pyplot.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas, so drawing
never touches pyplot's global state or the notebook's backend, and a figure can be turned
into PNG bytes for an ``<img>`` tag or an ``ipywidgets.Image``.

>>> import pandas as pd
>>> index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
>>> equity = pd.Series([100.0, 110.0, 99.0, 120.0, 118.0], index=index)
>>> png = figure_png(equity_drawdown_figure(equity))
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

__all__ = ["equity_drawdown_figure", "figure_png", "heatmap_figure", "png_data_uri"]


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


def equity_drawdown_figure(
    equity: pd.Series,
    drawdown: pd.Series | None = None,
    *,
    title: str | None = None,
    benchmark: pd.Series | None = None,
) -> Figure:
    """Equity curve above its drawdown (in percent, shaded below zero).

    Parameters
    ----------
    equity : pandas.Series
        Account value over time.
    drawdown : pandas.Series, optional
        Drawdown as a fraction (``equity / running peak - 1``, e.g. -0.1), drawn in
        percent; computed from ``equity`` if omitted.
    title : str, optional
        Title over the equity panel.
    benchmark : pandas.Series, optional
        A second curve on the equity panel (e.g. buy and hold), scaled to the same start.

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = Figure(figsize=(9, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.plot(equity.index, equity.to_numpy(dtype=float), color="#1f77b4", lw=1.3, label="equity")
    if benchmark is not None and len(benchmark):
        scaled = benchmark.astype(float) / float(benchmark.iloc[0]) * float(equity.iloc[0])
        top.plot(scaled.index, scaled.to_numpy(), color="#999999", lw=1.0, label="buy & hold")
        top.legend(loc="upper left", frameon=False, fontsize=8)
    top.set_ylabel("equity")
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    top.grid(alpha=0.3)
    if title:
        top.set_title(title, fontsize=10)
    dd = _drawdown_percent(equity, drawdown)
    bottom.fill_between(dd.index, dd.to_numpy(), 0.0, color="#d62728", alpha=0.35, lw=0)
    bottom.plot(dd.index, dd.to_numpy(), color="#d62728", lw=0.8)
    bottom.set_ylabel("drawdown [%]")
    bottom.grid(alpha=0.3)
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
