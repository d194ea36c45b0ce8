"""How a parameter sweep looks in a notebook: a heatmap of one stat and the best sets.

The numbers come from :mod:`vzb.analysis` (:func:`~vzb.analysis.best_sets`,
:func:`~vzb.analysis.heatmap_table`); this module draws them. :func:`sweep_heatmap`
colours a chosen stat over two swept parameters (averaging over the other parameters and
symbols) in an interactive Plotly heatmap (bars when one parameter varies; matplotlib
with ``backend="matplotlib"``), :func:`sweep_view` puts it and the best sets behind
dropdowns that offer only the swept parameters, and :func:`sweep_report` makes a report
of both. Given the sweep's per-bar returns
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
     5   0.2      4.00%
    10   0.1      3.00%
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

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
    figure_output,
    key_value_html,
    overfitting_rows,
    rows_text,
    table_html,
    verdict_html,
)
from vzb.widgets.formatting import currency_of, format_parameter, format_stat
from vzb.widgets.study_figures import bars_plotly, heatmap_plotly, logits_plotly

__all__ = [
    "best_sets_text",
    "overfitting_of",
    "render_sweep_html",
    "sweep_heatmap",
    "sweep_report",
    "sweep_view",
]

_KEY_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Win Rate [%]")


def _swept(table: pd.DataFrame) -> list[str]:
    """The parameters the sweep varied (all recorded ones when none varies)."""
    return varying_parameters(table) or parameter_columns(table)


def _currency(table: pd.DataFrame) -> str | None:
    return currency_of(table["symbol"].unique().tolist()) if "symbol" in table else None


def _best_shown(table: pd.DataFrame, stat: str, n: int) -> pd.DataFrame:
    """The best sets as text cells: the varying parameters, the ranked stat and a few key
    stats (what a reader compares), numbers in the views' one format."""
    params = _swept(table)
    columns = [*params, stat, *(s for s in _KEY_STATS if s in table.columns and s != stat)]
    best = best_sets(table, stat, n)[columns]
    currency = _currency(table)
    shown = pd.DataFrame(index=best.index)
    for name in columns:
        if name in params:
            shown[name] = best[name].map(format_parameter)
        else:
            shown[name] = [format_stat(name, v, currency) for v in best[name]]
    return shown


def _best_html(table: pd.DataFrame, stat: str, n: int) -> str:
    shown = _best_shown(table, stat, n)
    return table_html(shown, "vzb-best-sets", title=f"Best {n} sets by {stat}")


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


def _overfitting_html(summary: dict[str, Any] | None, *, png: bool = True) -> str:
    """The verdict and the statistics; with ``png`` the PBO histogram as an image (the
    static page; reports and views draw it with Plotly instead)."""
    if summary is None:
        return ""
    from vzb.analysis import describe

    parts = [
        "<div class='vzb-sweep-overfitting'>",
        verdict_html(describe(summary)),
        key_value_html(overfitting_rows(summary), "Edge or luck", "vzb-overfitting"),
    ]
    if png and summary.get("pbo_logits") is not None:
        image = figure_png(logits_figure(summary["pbo_logits"], summary["pbo"]))
        parts.append(
            f"<img class='vzb-pbo-histogram' src='{png_data_uri(image)}' alt='PBO rank logits' "
            "style='vertical-align:top'/>"
        )
    parts.append("</div>")
    return "".join(parts)


def _logits_figure(summary: dict[str, Any] | None) -> Any:
    if summary is None or summary.get("pbo_logits") is None:
        return None
    return logits_plotly(summary["pbo_logits"], summary["pbo"])


def _axes(table: pd.DataFrame, x: str | None, y: str | None) -> tuple[str, str | None]:
    """``x`` and ``y``, each defaulting to one of the first two swept parameters; ``y``
    is None when only one parameter varies (a bar chart)."""
    params = _swept(table)
    if x is None:
        x = next((p for p in params if p != y), None)
    if x is None:
        raise ParameterError(
            f"A heatmap needs a parameter that varies; this sweep records {params}. "
            "Sweep a grid over one or two parameters, or pass x= and y="
        )
    if y is None and len(params) > 1:
        y = next(p for p in params if p != x)
    if x == y:
        raise ParameterError(
            f"x and y are both {x!r}: choose two different parameters for the heatmap "
            f"(swept: {', '.join(params)})"
        )
    return x, y


def sweep_heatmap(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    agg: str = "mean",
    backend: str = "plotly",
) -> Any:
    """A heatmap of ``stat`` over parameters ``x`` and ``y``; bars over ``x`` when only
    one parameter varies or ``y`` takes a single value (bars over ``y`` when ``x`` does).

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table.
    x, y : str, optional
        Parameter columns (default: the first two parameters that vary); x = y is an
        error.
    stat : str
        The stats column to colour.
    agg : str
        How to combine rows with the same ``x`` and ``y`` (other parameters, symbols).
    backend : {"plotly", "matplotlib"}
        An interactive figure (cells labelled, colour bar titled with the stat, a scale
        centred at zero for signed stats) or the static one.

    Returns
    -------
    plotly.graph_objects.Figure or matplotlib.figure.Figure
    """
    if backend not in ("plotly", "matplotlib"):
        raise ParameterError(f"backend must be 'plotly' or 'matplotlib'; got {backend!r}")
    x, y = _axes(table, x, y)
    title = f"{stat} ({agg} over other parameters and symbols)"
    if y is None:
        bars = table.groupby(x)[stat].agg(agg).rename_axis(x)
    else:
        grid = heatmap_table(table, x, y, stat, agg=agg)
        if grid.shape[0] > 1 and grid.shape[1] > 1:
            if backend == "matplotlib":
                return heatmap_figure(grid, title=title, stat=stat)
            return heatmap_plotly(grid, stat, title=title, currency=_currency(table))
        bars = grid.iloc[0] if grid.shape[0] == 1 else grid.iloc[:, 0]
    if backend == "matplotlib":
        return heatmap_figure(bars.to_frame(stat).T, title=title, stat=stat)
    return bars_plotly(bars, stat, title=title, currency=_currency(table))


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
    """A sweep as static HTML (exports): the heatmap as an embedded PNG and the best
    ``n`` sets; with ``returns`` (``vzb.sweep(..., returns=True)``) the overfitting
    statistics in words and the PBO histogram first (``n_trials``: see
    :func:`overfitting_of`)."""
    png = figure_png(sweep_heatmap(table, x, y, stat, backend="matplotlib"))
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
    """A sweep as a report: in notebooks the interactive heatmap of ``stat`` over ``x``
    and ``y`` and the best sets (with ``returns``, first whether the best set is an edge
    or luck, with the PBO histogram), one output each; :func:`best_sets_text` in
    consoles; ``.html`` is the static page without the heatmap.

    Returns
    -------
    Report
    """
    summary = overfitting_of(table, returns, n_trials=n_trials)
    text = best_sets_text(table, stat, n) + _overfitting_text(summary)
    best = _best_html(table, stat, n)
    parts: list[Any] = []
    if summary is not None:
        parts += [_overfitting_html(summary, png=False), _logits_figure(summary)]
    parts += [sweep_heatmap(table, x, y, stat), best]
    page = "<div class='vzb-sweep'>" + _overfitting_html(summary, png=False) + best + "</div>"
    return Report(page, text, parts=[part for part in parts if part is not None])


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
    """An interactive sweep view: dropdowns for the stat and the two swept parameters,
    the heatmap (bars for one parameter) and the table of the best sets; with
    ``returns`` (``vzb.sweep(..., returns=True)``) also the overfitting statistics of
    the best set by Sharpe ratio in words, with the PBO histogram (``n_trials``: the
    sets tried on the study, see :func:`overfitting_of`). Choosing the same parameter
    for x and y says so in place of the heatmap.

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
    params = _swept(table)
    stat_box = widgets.Dropdown(options=stat_columns(table), value=stat, description="stat")
    x_box = widgets.Dropdown(options=params, value=x, description="x")
    y_box = widgets.Dropdown(options=params if y is not None else ["–"], value=y or "–")
    y_box.description, y_box.disabled = "y", y is None
    chart = widgets.Output(layout=widgets.Layout(width="100%"))
    chart.add_class("vzb-heatmap")
    best = widgets.HTML()
    message = widgets.HTML()
    message.add_class("vzb-sweep-message")
    children: list[Any] = [widgets.HBox([stat_box, x_box, y_box]), message, chart, best]
    if summary is not None:
        overfitting = widgets.VBox([widgets.HTML(_overfitting_html(summary, png=False))])
        logits = _logits_figure(summary)
        if logits is not None:
            overfitting.children += (figure_output(logits, "vzb-pbo-histogram"),)
        overfitting.add_class("vzb-sweep-overfitting")
        children.insert(0, overfitting)
    view = TextVBox(children, text=text + edge)
    view.add_class("vzb-sweep-view")

    def draw(_change: Any = None) -> None:
        view._text = best_sets_text(table, stat_box.value, n) + edge
        best.value = _best_html(table, stat_box.value, n)
        try:
            figure = sweep_heatmap(
                table, x_box.value, None if y_box.disabled else y_box.value, stat_box.value
            )
        except ParameterError as exc:
            message.value = f"<p style='color:#b35900;margin:4px 0'>{html.escape(str(exc))}</p>"
            chart.outputs = ()
            return
        message.value = ""
        chart.outputs = figure_output(figure).outputs

    for box in (stat_box, x_box, y_box):
        box.observe(draw, names="value")
    draw()
    return view
