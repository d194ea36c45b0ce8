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
import itertools

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from vzb.widgets.formatting import format_parameter, format_stat, format_value

__all__ = [
    "backtest_figure",
    "figure_png",
    "heatmap_figure",
    "logits_figure",
    "logits_histogram",
    "png_data_uri",
    "walk_forward_figure",
]


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
    grid: pd.DataFrame,
    *,
    title: str | None = None,
    annotate: bool | None = None,
    stat: str | None = None,
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
    stat : str, optional
        The stat the cells hold: labels the colour bar and formats the cell values
        (:func:`vzb.widgets.formatting.format_stat`).

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
    axes.set_xticks(range(n_cols), [format_parameter(v) for v in grid.columns], fontsize=9)
    axes.set_yticks(range(n_rows), [format_parameter(v) for v in grid.index], fontsize=9)
    axes.set_xlabel(str(grid.columns.name or ""))
    axes.set_ylabel(str(grid.index.name or ""))
    if title:
        axes.set_title(title, fontsize=10)
    bar = figure.colorbar(image, ax=axes)
    if stat:
        bar.set_label(stat, fontsize=9)
    if annotate is None:
        annotate = values.size <= 150
    if annotate:
        for i in range(n_rows):
            for j in range(n_cols):
                if np.isfinite(values[i, j]):
                    text = format_stat(stat, values[i, j]) if stat else format_value(values[i, j])
                    axes.text(j, i, text, ha="center", va="center", fontsize=9)
    return figure


def _folds_shaded(axes, boundaries: list, end) -> None:
    """Every other fold shaded, a dashed line at each fold's start."""
    edges = [*boundaries, end]
    for number, (start, stop) in enumerate(itertools.pairwise(edges), start=1):
        if number % 2 == 0:
            axes.axvspan(start, stop, color="0.5", alpha=0.08, lw=0)
        axes.axvline(start, color="0.45", lw=0.7, ls="--")


def logits_histogram(axes, logits: np.ndarray, pbo: float | None = None) -> None:
    """The rank logits of the in-sample winner out of sample, on ``axes``: bars at or
    below zero (the winner in the bottom half: overfit) in red, above in green.

    With few trials the logits take few distinct values: one bar per value then.
    """
    values = np.asarray(logits, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        message = "no PBO: too few candles or trials"
        axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) <= 60:
        gaps = np.diff(distinct)
        width = 0.8 * (gaps.min() if len(gaps) else 1.0)
        centres, heights = distinct, counts
    else:
        heights, edges = np.histogram(values, bins=40)
        centres, width = (edges[:-1] + edges[1:]) / 2, 0.95 * (edges[1] - edges[0])
    shares = heights / len(values) * 100.0
    colors = np.where(centres <= 0, "#d62728", "#2ca02c")
    axes.bar(centres, shares, width=width, color=colors, alpha=0.75)
    axes.axvline(0.0, color="0.2", lw=0.9)
    axes.set_xlabel("logit of the in-sample winner's out-of-sample rank (<= 0: bottom half)")
    axes.set_ylabel("splits [%]")
    if pbo is not None and np.isfinite(pbo):
        axes.set_title(f"PBO {pbo:.0%}: share of splits at or below zero (red)", fontsize=10)
    axes.grid(alpha=0.3)


def logits_figure(logits: np.ndarray, pbo: float | None = None) -> Figure:
    """A figure of :func:`logits_histogram` alone (the PBO of a sweep).

    >>> figure = logits_figure(np.array([-1.0, 0.5, 0.5, 2.0]), pbo=0.25)
    >>> figure.axes[0].get_title()
    'PBO 25%: share of splits at or below zero (red)'
    """
    figure = Figure(figsize=(7, 2.8), layout="constrained")
    FigureCanvasAgg(figure)
    logits_histogram(figure.subplots(), logits, pbo)
    return figure


def walk_forward_figure(
    equity: pd.Series,
    boundaries: list,
    chosen: pd.DataFrame | None = None,
    *,
    logits: np.ndarray | None = None,
    pbo: float | None = None,
    title: str | None = None,
) -> Figure:
    """Out-of-sample equity with the folds marked, the parameters chosen per fold, and
    (with ``logits``) the PBO histogram below.

    Parameters
    ----------
    equity : pandas.Series
        The chained out-of-sample equity.
    boundaries : list of timestamps
        Where each test window starts (a dashed line; every other fold shaded).
    chosen : pandas.DataFrame, optional
        One row per fold, indexed like ``boundaries``, one column per parameter that
        varies: each drawn as a step line in its own panel.
    logits, pbo : optional
        The rank logits of the PBO (:func:`logits_histogram`) and the PBO itself.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> index = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
    >>> equity = pd.Series([100.0, 101, 99, 103, 104, 102], index=index)
    >>> chosen = pd.DataFrame({"window": [10, 20]}, index=index[[0, 3]])
    >>> figure = walk_forward_figure(equity, list(index[[0, 3]]), chosen)
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['equity', 'window']
    """
    names = [] if chosen is None else list(chosen.columns)
    with_logits = logits is not None
    ratios = [3.0] + [0.9] * len(names)
    height = 3.2 + 0.9 * len(names) + (2.6 if with_logits else 0.0)
    figure = Figure(figsize=(9, height), layout="constrained")
    FigureCanvasAgg(figure)
    if with_logits:
        top, bottom = figure.subfigures(2, 1, height_ratios=[sum(ratios), 2.2])
    else:
        top, bottom = figure, None
    panels = np.atleast_1d(top.subplots(len(ratios), 1, sharex=True, height_ratios=ratios))
    end = equity.index[-1] if len(equity) else (boundaries[-1] if boundaries else None)
    axes = panels[0]
    axes.plot(equity.index, equity.to_numpy(dtype=float), color="#1f77b4", lw=1.2)
    axes.set_ylabel("equity")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    if title:
        axes.set_title(title, fontsize=10)
    for number, start in enumerate(boundaries, start=1):
        axes.annotate(
            str(number),
            (start, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            fontsize=7,
            color="0.35",
        )
    for panel, name in zip(panels[1:], names, strict=True):
        values = chosen[name]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        ys = values.to_numpy(dtype=float) if numeric else values.astype(str).to_numpy()
        xs = [*chosen.index, end]
        panel.step(xs, [*ys, ys[-1]], where="post", color="#ff7f0e", lw=1.4)
        panel.scatter(chosen.index, ys, color="#ff7f0e", s=12, zorder=3)
        panel.set_ylabel(str(name), fontsize=8)
        if numeric:
            panel.set_yticks(sorted(set(ys.tolist())))
        panel.tick_params(axis="y", labelsize=7)
    for panel in panels:
        if end is not None:
            _folds_shaded(panel, list(boundaries), end)
        panel.grid(alpha=0.3)
    if bottom is not None:
        logits_histogram(bottom.subplots(), logits, pbo)
    return figure
