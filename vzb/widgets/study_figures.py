"""Interactive Plotly charts of parameter studies: the sweep heatmap (or bars for one
parameter), the PBO's rank-logit histogram and the walk-forward chart.

Numbers on cells, hovers and axes are in the views' one format
(:mod:`vzb.widgets.formatting`); a stat that takes both signs gets a diverging colour
scale centred at zero, stats where lower is better (volatility, fees) run the other way.

>>> import pandas as pd
>>> grid = pd.DataFrame([[1.5, -2.0], [3.25, 0.5]], index=pd.Index([5, 10], name="window"),
...                     columns=pd.Index([0.1, 0.2], name="share"))
>>> figure = heatmap_plotly(grid, "Return [%]")
>>> figure.data[0].text.tolist(), figure.data[0].zmid
([['1.50%', '-2.00%'], ['3.25%', '0.50%']], 0.0)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vzb.analysis import lower_is_better
from vzb.widgets.figures import TEMPLATE, axis_money, epoch_ms
from vzb.widgets.formatting import format_parameter, format_share, format_stat

__all__ = ["bars_plotly", "heatmap_plotly", "logits_plotly", "walk_forward_plotly"]

_FONT = {"size": 12}  # 12 px = 9 pt: the smallest label on any study chart


def _colours(values: np.ndarray, stat: str) -> dict[str, Any]:
    """A diverging scale centred at zero for a stat with both signs, else sequential;
    reversed where lower is better."""
    finite = values[np.isfinite(values)]
    signed = finite.size > 0 and finite.min() < 0 < finite.max()
    scale = {"colorscale": "RdBu", "zmid": 0.0} if signed else {"colorscale": "Viridis"}
    return {**scale, "reversescale": lower_is_better(stat)}


def heatmap_plotly(
    grid: pd.DataFrame, stat: str, *, title: str | None = None, currency: str | None = None
) -> go.Figure:
    """A heatmap of ``grid`` (rows: the y parameter's values, columns: x's), each cell
    labelled with its value, the colour bar titled with ``stat``.

    Parameters
    ----------
    grid : pandas.DataFrame
        ``vzb.analysis.heatmap_table(...)``: index and columns named after parameters.
    stat : str
        The stat the cells hold (formats labels, titles the colour bar).
    title : str, optional
    currency : str, optional
        For money stats.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    values = grid.to_numpy(dtype=float)
    xs = [format_parameter(v) for v in grid.columns]
    ys = [format_parameter(v) for v in grid.index]
    text = np.array([[format_stat(stat, v, currency) for v in row] for row in values])
    x_name, y_name = str(grid.columns.name or "x"), str(grid.index.name or "y")
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=xs,
            y=ys,
            text=text,
            texttemplate="%{text}",
            textfont=_FONT,
            hovertemplate=f"{x_name}=%{{x}}<br>{y_name}=%{{y}}<br>{stat}: %{{text}}<extra></extra>",
            colorbar={
                "title": {"text": stat, "side": "right"},
                "tickfont": _FONT,
                "tickformat": ",.4~r",  # 7,000: separators, never 7e+3
            },
            xgap=1,
            ygap=1,
            **_colours(values, stat),
        )
    )
    figure.update_xaxes(title_text=x_name, type="category", tickfont=_FONT)
    figure.update_yaxes(title_text=y_name, type="category", tickfont=_FONT)
    figure.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01} if title else None,
        width=min(260 + 70 * len(xs), 1100),
        height=min(170 + 34 * len(ys), 720),
        margin={"l": 70, "r": 20, "t": 70 if title else 20, "b": 50},
    )
    return figure


def bars_plotly(
    values: pd.Series, stat: str, *, title: str | None = None, currency: str | None = None
) -> go.Figure:
    """``stat`` over one parameter as bars (a grid with a single row or column), each bar
    labelled with its value; negative bars red.

    >>> bars = bars_plotly(pd.Series([1.0, -2.0], index=pd.Index([5, 10], name="w")), "SQN")
    >>> bars.data[0].text.tolist(), bars.data[0].marker.color
    (['1.00', '-2.00'], ('#1f77b4', '#d62728'))
    """
    numbers = values.to_numpy(dtype=float)
    text = np.array([format_stat(stat, v, currency) for v in numbers])
    name = str(values.index.name or "parameter")
    figure = go.Figure(
        go.Bar(
            x=[format_parameter(v) for v in values.index],
            y=numbers,
            text=text,
            textposition="outside",
            textfont=_FONT,
            marker={"color": ["#d62728" if v < 0 else "#1f77b4" for v in numbers]},
            hovertemplate=f"{name}=%{{x}}<br>{stat}: %{{text}}<extra></extra>",
        )
    )
    figure.update_xaxes(title_text=name, type="category", tickfont=_FONT)
    figure.update_yaxes(title_text=stat, tickfont=_FONT, tickformat=",.4~r")
    figure.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01} if title else None,
        width=min(260 + 60 * len(numbers), 1100),
        height=380,
        margin={"l": 70, "r": 20, "t": 50 if title else 20, "b": 50},
    )
    return figure


def _logit_bars(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Bar centres, shares of splits [%] and bar width (one bar per distinct value when
    there are few)."""
    distinct, counts = np.unique(logits, return_counts=True)
    if len(distinct) <= 60:
        gaps = np.diff(distinct)
        return distinct, counts / len(logits) * 100.0, 0.8 * (gaps.min() if len(gaps) else 1.0)
    heights, edges = np.histogram(logits, bins=40)
    centres = (edges[:-1] + edges[1:]) / 2
    return centres, heights / len(logits) * 100.0, 0.95 * (edges[1] - edges[0])


def _add_logits(figure: go.Figure, logits: Any, pbo: float | None, **where: Any) -> None:
    values = np.asarray(logits if logits is not None else [], dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        figure.add_annotation(text="no PBO: too few candles or trials", showarrow=False)
        return
    centres, shares, width = _logit_bars(values)
    figure.add_trace(
        go.Bar(
            x=centres,
            y=shares,
            width=width,
            name="rank logits",
            marker={"color": np.where(centres <= 0, "#d62728", "#2ca02c").tolist()},
            hovertemplate="logit %{x:.2f}: %{y:.1f}% of splits<extra></extra>",
            showlegend=False,
        ),
        **where,
    )
    figure.add_vline(x=0.0, line={"color": "#333", "width": 1}, **where)
    label = f"PBO {format_share(pbo)}: share of splits at or below zero (red)"
    figure.update_xaxes(
        title_text="logit of the in-sample winner's out-of-sample rank (<= 0: bottom half)",
        **where,
    )
    figure.update_yaxes(title_text="splits [%]", **where)
    if pbo is not None and np.isfinite(pbo):
        axis = str(where.get("row", "")) if where.get("row", 1) != 1 else ""
        figure.add_annotation(
            text=label,
            showarrow=False,
            x=0.0,
            y=1.0,
            xanchor="left",
            yanchor="bottom",
            xref=f"x{axis} domain",
            yref=f"y{axis} domain",
        )


def logits_plotly(logits: Any, pbo: float | None = None) -> go.Figure:
    """The PBO's rank logits of the in-sample winner out of sample: bars at or below
    zero (the winner in the bottom half out of sample: overfit) red, above green.

    >>> figure = logits_plotly(np.array([-1.0, 0.5, 0.5, 2.0]), pbo=0.25)
    >>> figure.data[0].y.tolist(), figure.layout.annotations[0].text
    ([25.0, 50.0, 25.0], 'PBO 25%: share of splits at or below zero (red)')
    """
    figure = go.Figure()
    _add_logits(figure, logits, pbo)
    figure.update_layout(template=TEMPLATE, height=300, width=720, margin={"t": 40, "b": 50})
    return figure


def walk_forward_plotly(
    equity: pd.Series,
    boundaries: list,
    chosen: pd.DataFrame | None = None,
    *,
    logits: Any = None,
    pbo: float | None = None,
    title: str | None = None,
    currency: str | None = None,
) -> go.Figure:
    """Out-of-sample equity with the folds marked (numbered, every other one shaded),
    each varying parameter's chosen value per fold as a step line on the same time axis,
    and with ``logits`` the PBO histogram below.

    Examples
    --------
    >>> index = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
    >>> equity = pd.Series([100.0, 101, 99, 103, 104, 102], index=index)
    >>> chosen = pd.DataFrame({"window": [10, 20]}, index=index[[0, 3]])
    >>> figure = walk_forward_plotly(equity, list(index[[0, 3]]), chosen)
    >>> [trace.name for trace in figure.data], figure.layout.yaxis2.title.text
    (['out-of-sample equity', 'window'], 'window')
    """
    names = [] if chosen is None else list(chosen.columns)
    with_logits = logits is not None
    rows = 1 + len(names) + with_logits
    heights = [3.0] + [0.9] * len(names) + ([2.2] if with_logits else [])
    figure = make_subplots(rows=rows, cols=1, row_heights=heights, vertical_spacing=0.06)
    figure.add_trace(
        go.Scatter(
            x=epoch_ms(equity.index),
            y=equity.to_numpy(dtype=float),
            mode="lines",
            name="out-of-sample equity",
            line={"color": "#1f77b4", "width": 1.4},
        ),
        row=1,
        col=1,
    )
    values = equity.to_numpy(dtype=float)
    largest = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    figure.update_yaxes(title_text="equity", **axis_money(currency, largest), row=1, col=1)
    end = equity.index[-1] if len(equity) else (boundaries[-1] if boundaries else None)
    for row, name in enumerate(names, start=2):
        column = chosen[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        ys = column.to_numpy(dtype=float) if numeric else column.astype(str).to_numpy()
        xs = epoch_ms(pd.DatetimeIndex([*chosen.index, end]))
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=[*ys, ys[-1]],
                mode="lines+markers",
                line={"shape": "hv", "color": "#ff7f0e"},
                name=str(name),
                showlegend=False,
                hovertemplate=f"{name}=%{{y}}<extra>fold from %{{x|%Y-%m-%d}}</extra>",
            ),
            row=row,
            col=1,
        )
        figure.update_yaxes(title_text=str(name), tickfont=_FONT, row=row, col=1)
        figure.update_xaxes(matches="x", row=row, col=1)
    edges = [*boundaries, end] if end is not None else []
    for row in range(1, 2 + len(names)):
        for number, (start, stop) in enumerate(itertools.pairwise(edges), start=1):
            x0, x1 = epoch_ms(pd.DatetimeIndex([start, stop]))
            if number % 2 == 0:
                figure.add_vrect(
                    x0=x0, x1=x1, fillcolor="grey", opacity=0.08, line_width=0, row=row, col=1
                )
            figure.add_vline(
                x=x0, line={"color": "#777", "width": 1, "dash": "dash"}, row=row, col=1
            )
            if row == 1:
                figure.add_annotation(
                    x=x0,
                    y=1.0,
                    yref="y domain",
                    text=str(number),
                    showarrow=False,
                    xanchor="left",
                    yanchor="top",
                    font={"size": 11, "color": "#555"},
                )
        figure.update_xaxes(type="date", row=row, col=1)
    if with_logits:
        _add_logits(figure, logits, pbo, row=rows, col=1)
    figure.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01} if title else None,
        height=int(300 + 90 * len(names) + (260 if with_logits else 0)),
        margin={"l": 80, "r": 20, "t": 50 if title else 20, "b": 50},
        showlegend=False,
    )
    return figure
