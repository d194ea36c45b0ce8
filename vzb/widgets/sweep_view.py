"""How a parameter sweep looks in a notebook: a heatmap of one stat and the best sets.

The numbers come from :mod:`vzb.analysis` (:func:`~vzb.analysis.best_sets`,
:func:`~vzb.analysis.heatmap_table`); this module draws them. :func:`sweep_heatmap`
colours a chosen stat over two parameters (averaging over the other parameters and
symbols), :func:`sweep_view` puts the heatmap and the best sets behind dropdowns, and
:func:`sweep_report` makes a static report of both. Given the sweep's per-bar returns
(``vzb.sweep(..., returns=True)``), both also say whether the best set is an edge or luck:
the trial count, the Sharpe ratio expected by chance, the deflated Sharpe, the PBO with its
rank-logit histogram, and :func:`vzb.analysis.describe`'s verdict.

>>> import pandas as pd
>>> table = pd.DataFrame({"window": [5, 5, 10, 10], "share": [0.1, 0.2] * 2,
...                       "symbol": "BTC_USD", "Return [%]": [1.0, 4.0, 3.0, 2.0]})
>>> table.attrs["parameters"] = ["window", "share"]
>>> print(best_sets_text(table, n=2))
Best 2 sets by Return [%]:
window share Return [%]
     5   0.2          4
    10   0.1          3
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from vzb.analysis import (
    best_sets,
    heatmap_table,
    parameter_columns,
    stat_columns,
    varying_parameters,
)
from vzb.errors import ParameterError
from vzb.widgets.charts import figure_png, heatmap_figure, logits_figure, png_data_uri
from vzb.widgets.display import (
    Report,
    TextVBox,
    chart_image,
    key_value_html,
    overfitting_rows,
    rows_text,
    verdict_html,
)
from vzb.widgets.formatting import format_value

__all__ = [
    "best_sets_text",
    "overfitting_of",
    "render_sweep_html",
    "sweep_heatmap",
    "sweep_report",
    "sweep_view",
]

_KEY_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Win Rate [%]")


def _best_shown(table: pd.DataFrame, stat: str, n: int) -> pd.DataFrame:
    """The best sets as text cells: the varying parameters, the ranked stat and a few key
    stats (what a reader compares), numbers in the views' one format."""
    params = varying_parameters(table) or parameter_columns(table)
    columns = [*params, stat, *(s for s in _KEY_STATS if s in table.columns and s != stat)]
    best = best_sets(table, stat, n)[columns]
    return best.apply(lambda column: column.map(format_value))


def _best_html(table: pd.DataFrame, stat: str, n: int) -> str:
    shown = _best_shown(table, stat, n).to_html(classes="vzb-table", border=0, index=False)
    return f"<h4 style='margin:4px 0'>Best {n} sets by {html.escape(stat)}</h4>{shown}"


def best_sets_text(table: pd.DataFrame, stat: str = "Return [%]", n: int = 10) -> str:
    """The best ``n`` sets by ``stat`` as plain text (varying parameters and key stats).

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (see :func:`vzb.analysis.parameter_columns`).
    stat : str
        The stats column to rank by.
    n : int
        How many sets.

    Returns
    -------
    str
    """
    return f"Best {n} sets by {stat}:\n" + _best_shown(table, stat, n).to_string(index=False)


def overfitting_of(
    table: pd.DataFrame,
    returns: pd.DataFrame | None,
    *,
    n_trials: int | None = None,
    objective: str = "Sharpe Ratio",
) -> dict[str, Any] | None:
    """:func:`vzb.analysis.overfitting_summary` of a sweep, or None without ``returns``.

    ``n_trials``: the sets tried on the study so far (``vzb.trials(...)``); at least the
    sweep's own.
    """
    if returns is None:
        return None
    from vzb.analysis import overfitting_summary

    return overfitting_summary(table, returns, objective=objective, n_trials=n_trials)


def _overfitting_text(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return ""
    from vzb.analysis import describe

    lines = ["", "Edge or luck:", *rows_text(overfitting_rows(summary)), describe(summary)]
    return "\n".join(lines)


def _overfitting_html(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return ""
    from vzb.analysis import describe

    parts = [
        "<div class='vzb-sweep-overfitting'>",
        verdict_html(describe(summary)),
        key_value_html(overfitting_rows(summary), "Edge or luck", "vzb-overfitting"),
    ]
    if summary.get("pbo_logits") is not None:
        png = figure_png(logits_figure(summary["pbo_logits"], summary["pbo"]))
        parts.append(
            f"<img class='vzb-pbo-histogram' src='{png_data_uri(png)}' alt='PBO rank logits' "
            "style='vertical-align:top'/>"
        )
    parts.append("</div>")
    return "".join(parts)


def _axes(table: pd.DataFrame, x: str | None, y: str | None) -> tuple[str, str]:
    """``x`` and ``y``, each defaulting to one of the first two parameters that vary."""
    if x is not None and y is not None:
        return x, y
    params = varying_parameters(table) or parameter_columns(table)
    if len(params) < 2:
        raise ParameterError(
            f"A heatmap needs two parameters that vary; this sweep varies {params}. "
            "Sweep a grid over two parameters, or pass x= and y="
        )
    x = x or next(p for p in params if p != y)
    return x, y or next(p for p in params if p != x)


def sweep_heatmap(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    agg: str = "mean",
) -> Figure:
    """A heatmap figure of ``stat`` over parameters ``x`` and ``y``.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table.
    x, y : str, optional
        Parameter columns (default: the first two parameters that vary).
    stat : str
        The stats column to colour.
    agg : str
        How to combine rows with the same ``x`` and ``y`` (other parameters, symbols).

    Returns
    -------
    matplotlib.figure.Figure
    """
    x, y = _axes(table, x, y)
    grid = heatmap_table(table, x, y, stat, agg=agg)
    return heatmap_figure(grid, title=f"{stat} ({agg} over other parameters and symbols)")


def render_sweep_html(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    n: int = 10,
    returns: pd.DataFrame | None = None,
    n_trials: int | None = None,
) -> str:
    """A sweep as static HTML: the heatmap as an embedded PNG and the best ``n`` sets;
    with ``returns`` (``vzb.sweep(..., returns=True)``) the overfitting statistics in
    words and the PBO histogram first (``n_trials``: see :func:`overfitting_of`)."""
    png = figure_png(sweep_heatmap(table, x, y, stat))
    summary = overfitting_of(table, returns, n_trials=n_trials)
    return (
        "<div class='vzb-sweep'>"
        f"{_overfitting_html(summary)}"
        f"<img class='vzb-heatmap' src='{png_data_uri(png)}' alt='{html.escape(stat)} heatmap'/>"
        f"{_best_html(table, stat, n)}</div>"
    )


def sweep_report(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    n: int = 10,
    returns: pd.DataFrame | None = None,
    n_trials: int | None = None,
) -> Report:
    """A sweep as a static report: the heatmap of ``stat`` over ``x`` and ``y`` and the best
    sets in notebooks, :func:`best_sets_text` in consoles; with ``returns``, whether the
    best set is an edge or luck too (:func:`render_sweep_html`).

    Returns
    -------
    Report
    """
    summary = overfitting_of(table, returns, n_trials=n_trials)
    text = best_sets_text(table, stat, n) + _overfitting_text(summary)
    page = render_sweep_html(table, x, y, stat, n=n, returns=returns, n_trials=n_trials)
    return Report(page, text)


def sweep_view(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    n: int = 10,
    returns: pd.DataFrame | None = None,
    n_trials: int | None = None,
) -> TextVBox:
    """An interactive sweep view: dropdowns for the stat and the two axes, the heatmap
    and the table of the best sets; with ``returns`` (``vzb.sweep(..., returns=True)``)
    also the overfitting statistics of the best set by Sharpe ratio in words, with the
    PBO histogram (``n_trials``: the sets tried on the study, see :func:`overfitting_of`).

    Redrawing happens in the kernel's main thread, in the dropdowns' callbacks.

    Returns
    -------
    TextVBox
        With CSS class ``vzb-sweep-view``; its text repr is the best sets by the chosen stat
        (and the overfitting statistics).
    """
    x, y = _axes(table, x, y)
    text = best_sets_text(table, stat, n)  # raises for a stat that is not in the table
    summary = overfitting_of(table, returns, n_trials=n_trials)
    edge = _overfitting_text(summary)
    params = parameter_columns(table)
    stats = stat_columns(table)
    stat_box = widgets.Dropdown(options=stats, value=stat, description="stat")
    x_box = widgets.Dropdown(options=params, value=x, description="x")
    y_box = widgets.Dropdown(options=params, value=y, description="y")
    image = chart_image(css="vzb-heatmap")
    best = widgets.HTML()
    message = widgets.HTML()
    children: list[Any] = [widgets.HBox([stat_box, x_box, y_box]), message, image, best]
    if summary is not None:
        overfitting = widgets.HTML(_overfitting_html(summary))
        overfitting.add_class("vzb-sweep-overfitting")
        children.insert(0, overfitting)
    view = TextVBox(children, text=text + edge)
    view.add_class("vzb-sweep-view")

    def draw(_change: Any = None) -> None:
        if _change is not None:
            view._text = best_sets_text(table, stat_box.value, n) + edge
        try:
            figure = sweep_heatmap(table, x_box.value, y_box.value, stat_box.value)
        except ParameterError as exc:
            message.value = f"<i>{html.escape(str(exc))}</i>"
            return
        message.value = ""
        image.value = figure_png(figure)
        best.value = _best_html(table, stat_box.value, n)

    for box in (stat_box, x_box, y_box):
        box.observe(draw, names="value")
    draw()
    return view
