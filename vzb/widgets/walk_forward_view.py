"""How a walk-forward looks in a notebook: edge or luck, in numbers and in plain words.

The view of a :class:`~vzb.analysis.WalkForwardResult` shows the in-sample best set
next to the walk-forward's out-of-sample stats, the overfitting statistics (trials
counted, the Sharpe expected by chance, deflated Sharpe, PBO) with the verdict of
:func:`vzb.analysis.describe`, a chart of the out-of-sample equity with the folds marked,
the parameters chosen per fold and the PBO's rank-logit histogram, the folds table and
the parameter stability. :func:`walk_forward_report` is what the result shows as in a
notebook (the chart interactive, Plotly), :func:`render_walk_forward_html` the static page
(chart as a PNG), :func:`render_walk_forward_text` the plain-text fallback and
:func:`walk_forward_view` the same as ipywidgets; :func:`walk_forward_figure` is what
``WalkForwardResult.plot()`` draws. The analysis layer knows nothing of this module (the
package registers it).

>>> import vzb
>>> strategy = vzb.strategies.DEFAULT_STRATEGY
>>> wf = vzb.walk_forward(vzb.load_sample("BTC_USD"), strategy, {"volume_window": [10, 20]},
...                       train=365, test=180)
>>> render_walk_forward_text(wf).splitlines()[0].split(", ")[1:]
['8 folds', 'best Sharpe Ratio on each training window']
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

from vzb.analysis import describe
from vzb.errors import ParameterError
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
from vzb.widgets.formatting import (
    currency_of,
    format_count,
    format_parameter,
    format_share,
    format_stat,
    format_timestamp,
)
from vzb.widgets.study_figures import walk_forward_plotly

__all__ = [
    "compare_table",
    "folds_table",
    "render_walk_forward_html",
    "render_walk_forward_text",
    "stability_table",
    "verdict",
    "walk_forward_figure",
    "walk_forward_report",
    "walk_forward_view",
]

#: the stats compared between the in-sample best and the walk-forward
KEY_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Win Rate [%]")

IN_SAMPLE = "in-sample best (all candles)"
OUT_OF_SAMPLE = "walk-forward (test windows)"


def _symbols(wf: Any) -> list[str]:
    symbols = getattr(wf.result, "symbols", None) or []
    return [symbols] if isinstance(symbols, str) else list(symbols)


def _title(wf: Any) -> str:
    return (
        f"{wf.strategy} {','.join(_symbols(wf))}, {len(wf.folds)} folds, "
        f"best {wf.objective} on each training window"
    )


def verdict(wf: Any) -> str:
    """:func:`vzb.analysis.describe` of the walk-forward's overfitting statistics, with
    its out-of-sample Sharpe ratio."""
    return describe(wf.overfitting, out_of_sample=float(wf.stats["Sharpe Ratio"]))


def _in_sample_best(wf: Any) -> pd.Series:
    """The stats of the in-sample best set over all the candles (mean over symbols)."""
    table = wf.in_sample
    mask = pd.Series(True, index=table.index)
    for name, value in wf.overfitting["best"].items():
        mask &= table[name] == value
    rows = table[mask]
    return pd.Series({stat: rows[stat].astype(float).mean() for stat in KEY_STATS if stat in rows})


def compare_table(wf: Any) -> pd.DataFrame:
    """The key stats of the in-sample best set (swept over all the candles) beside the
    walk-forward's out-of-sample stats, as text in the views' one number format.

    Returns
    -------
    pandas.DataFrame
        One row per stat, columns ``IN_SAMPLE`` and ``OUT_OF_SAMPLE`` (with several
        symbols the in-sample column is the mean of the symbols' stats, the sweep table
        having one row per symbol, while the walk-forward is the combined portfolio).
    """
    best = _in_sample_best(wf)
    several = "symbol" in wf.in_sample and wf.in_sample["symbol"].nunique() > 1
    label = IN_SAMPLE[:-1] + ", mean over symbols)" if several else IN_SAMPLE
    rows = {
        stat: {
            label: format_stat(stat, best.get(stat, float("nan")), _currency(wf)),
            OUT_OF_SAMPLE: format_stat(stat, wf.stats[stat], _currency(wf)),
        }
        for stat in KEY_STATS
        if stat in wf.stats.index
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "stat"
    return table


def _currency(wf: Any) -> str | None:
    return currency_of(_symbols(wf))


def _best_set_text(wf: Any) -> str:
    best = wf.overfitting["best"]
    shown = " ".join(f"{name}={format_parameter(best[name])}" for name in wf.swept)
    return shown or "the defaults"


def _span(start: Any, end: Any) -> str:
    """``2019-01-01 to 2019-06-30`` (dates alone when both are midnights)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    daily = start == start.normalize() and end == end.normalize()
    first = format_timestamp(start, time=not daily, zone=False)
    return f"{first} to {format_timestamp(end, time=not daily, zone=False)}"


def folds_table(wf: Any) -> pd.DataFrame:
    """One row per fold as text: training and test windows, the chosen values of the
    parameters the grid varies, the objective (``wf.objective``) in and out of sample,
    trades."""
    folds = wf.folds
    shown = pd.DataFrame(index=folds.index)
    shown["train"] = [
        _span(a, b) for a, b in zip(folds["train_start"], folds["train_end"], strict=True)
    ]
    shown["test"] = [
        _span(a, b) for a, b in zip(folds["test_start"], folds["test_end"], strict=True)
    ]
    for name in wf.swept:
        shown[name] = folds[name].map(format_parameter)
    for column, label in (("in_sample", "in sample"), ("out_of_sample", "out of sample")):
        shown[f"{wf.objective} {label}"] = [format_stat(wf.objective, v) for v in folds[column]]
    shown["trades"] = folds["trades"].map(format_count)
    return shown


def stability_table(wf: Any) -> pd.DataFrame:
    """:attr:`WalkForwardResult.parameter_stability` as text: the value chosen most
    often and its share of the folds, how often the choice changed, the mean move
    between folds as a share of the grid's range."""
    stability = wf.parameter_stability
    shown = pd.DataFrame(index=stability.index)
    shown.index.name = "parameter"
    if stability.empty:
        return shown
    shown["most chosen"] = stability["most_chosen"].map(format_parameter)
    shown["share of folds"] = stability["share_of_folds"].map(format_share)
    shown["changes"] = stability["changes"].map(format_count)
    shown["mean move (of the range)"] = stability["mean_move"].map(format_share)
    return shown


def walk_forward_figure(
    wf: Any, *, logits: bool = True, backend: str = "plotly", **options: Any
) -> Any:
    """The chart of a walk-forward: out-of-sample equity with the folds marked (dashed
    lines, numbered, every other fold shaded), the value of each varying parameter
    chosen per fold, and the PBO's rank-logit histogram. ``WalkForwardResult.plot()``
    draws this.

    Parameters
    ----------
    wf : WalkForwardResult
    logits : bool
        Add the PBO histogram (when the PBO is defined).
    backend : {"plotly", "matplotlib"}
        Interactive (:func:`vzb.widgets.study_figures.walk_forward_plotly`) or static
        (:func:`vzb.widgets.charts.walk_forward_figure`).
    **options
        Passed on to the backend's function (e.g. ``title=``).

    Returns
    -------
    plotly.graph_objects.Figure or matplotlib.figure.Figure
    """
    folds = wf.folds
    chosen = folds.set_index("test_start")[list(wf.swept)] if wf.swept else None
    pbo_logits = wf.overfitting.get("pbo_logits") if logits else None
    chart = {
        "title": f"Out of sample: {wf.strategy} {','.join(_symbols(wf))}, {len(folds)} folds",
        "logits": pbo_logits,
        "pbo": wf.overfitting.get("pbo"),
        **options,
    }
    if backend == "matplotlib":
        from vzb.widgets.charts import walk_forward_figure as static_chart

        return static_chart(wf.equity, list(folds["test_start"]), chosen, **chart)
    if backend != "plotly":
        raise ParameterError(f"backend must be 'plotly' or 'matplotlib'; got {backend!r}")
    chart.setdefault("currency", _currency(wf))
    return walk_forward_plotly(wf.equity, list(folds["test_start"]), chosen, **chart)


def _table_html(table: pd.DataFrame, title: str, css: str, *, note: str = "") -> str:
    body = table_html(table, css, title=title, index=True)
    if note:
        body += f"<p style='margin:4px 0;font-size:90%'>{html.escape(note)}</p>"
    return (
        "<div style='display:inline-block;vertical-align:top;margin-right:24px;"
        f"max-width:100%;overflow:auto'>{body}</div>"
    )


def _summary_html(wf: Any) -> str:
    compare = _table_html(
        compare_table(wf).rename_axis(None),
        "In-sample best and walk-forward",
        "vzb-compare",
        note=f"in-sample best set: {_best_set_text(wf)}",
    )
    rows = overfitting_rows(wf.overfitting, out_of_sample=float(wf.stats["Sharpe Ratio"]))
    return (
        verdict_html(verdict(wf))
        + "<div>"
        + compare
        + key_value_html(rows, "Edge or luck", "vzb-overfitting")
        + "</div>"
    )


def _details_html(wf: Any) -> str:
    return (
        "<div>"
        + _table_html(folds_table(wf), "Folds", "vzb-folds")
        + _table_html(stability_table(wf).rename_axis(None), "Parameter stability", "vzb-stability")
        + "</div>"
    )


def _header_html(wf: Any) -> str:
    return f"<h3 style='margin:4px 0'>Walk-forward: {html.escape(_title(wf))}</h3>"


def render_walk_forward_html(wf: Any, *, chart: bool = True) -> str:
    """The static HTML of a walk-forward result (exports).

    Parameters
    ----------
    wf : WalkForwardResult
    chart : bool
        Embed the static chart (``walk_forward_figure(wf, backend="matplotlib")``) as a
        PNG.

    Returns
    -------
    str
        The verdict in words, the in-sample best beside the out-of-sample stats, the
        overfitting statistics, the chart, the folds and the parameter stability.
    """
    parts = ["<div class='vzb-walk-forward'>", _header_html(wf), _summary_html(wf)]
    if chart and len(wf.equity):
        from vzb.widgets.charts import figure_png, png_data_uri

        uri = png_data_uri(figure_png(walk_forward_figure(wf, backend="matplotlib")))
        parts.append(
            f"<div><img class='vzb-walk-forward-chart' src='{uri}' alt='walk-forward chart'/></div>"
        )
    parts += [_details_html(wf), "</div>"]
    return "".join(parts)


def render_walk_forward_text(wf: Any) -> str:
    """A walk-forward result as plain text (consoles, nbval): the comparison, the
    overfitting statistics, the verdict and the folds."""
    lines = [f"Walk-forward: {_title(wf)}"]
    lines.append(f"In-sample best ({_best_set_text(wf)}) and walk-forward:")
    lines += ["  " + line for line in compare_table(wf).to_string().splitlines()]
    lines.append("Edge or luck:")
    lines += rows_text(overfitting_rows(wf.overfitting, float(wf.stats["Sharpe Ratio"])))
    lines.append(verdict(wf))
    lines.append("Folds:")
    lines += ["  " + line for line in folds_table(wf).to_string().splitlines()]
    return "\n".join(lines)


def walk_forward_view(wf: Any) -> TextVBox:
    """The walk-forward as ipywidgets, filled at once in the calling thread.

    Returns
    -------
    TextVBox
        With CSS class ``vzb-walk-forward-view``; its text repr is
        :func:`render_walk_forward_text`.
    """
    children: list[Any] = [widgets.HTML(_header_html(wf)), widgets.HTML(_summary_html(wf))]
    if len(wf.equity):
        children.append(figure_output(walk_forward_figure(wf), "vzb-walk-forward-chart"))
    children.append(widgets.HTML(_details_html(wf)))
    view = TextVBox(children, text=render_walk_forward_text(wf))
    view.add_class("vzb-walk-forward-view")
    return view


def walk_forward_report(wf: Any, *, chart: bool = True) -> Report:
    """A walk-forward as a report: in notebooks the verdict and statistics, the
    interactive chart, then the folds and the parameter stability, one output each;
    :func:`render_walk_forward_text` in consoles; ``.html`` is the static page without
    the chart."""
    head = "<div class='vzb-walk-forward'>" + _header_html(wf) + _summary_html(wf) + "</div>"
    details = "<div class='vzb-walk-forward'>" + _details_html(wf) + "</div>"
    parts: list[Any] = [head]
    if chart and len(wf.equity):
        parts.append(walk_forward_figure(wf))
    parts.append(details)
    return Report(
        render_walk_forward_html(wf, chart=False), render_walk_forward_text(wf), parts=parts
    )
