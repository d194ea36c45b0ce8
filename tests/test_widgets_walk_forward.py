"""The walk-forward view and the sweep view's overfitting statistics, on real runs of the
bundled candles (no kernel: ipywidgets' dummy comm). Every number shown is checked
against the result it came from."""

from __future__ import annotations

import dataclasses
import html

import ipywidgets as widgets
import numpy as np
import pytest

import vzb
from vzb.analysis import describe, overfitting_summary
from vzb.widgets import (
    render_walk_forward_html,
    render_walk_forward_text,
    sweep_report,
    sweep_view,
    walk_forward_figure,
    walk_forward_report,
    walk_forward_view,
)
from vzb.widgets.formatting import format_share, format_value
from vzb.widgets.walk_forward_view import (
    IN_SAMPLE,
    OUT_OF_SAMPLE,
    compare_table,
    folds_table,
    stability_table,
)

STRATEGY = vzb.strategies.DEFAULT_STRATEGY
GRID = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2, 0.4]}


@pytest.fixture(scope="module")
def wf():
    return vzb.walk_forward(
        vzb.load_sample("BTC_USD"), STRATEGY, GRID, train=365, test=180, fees=0.0005
    )


@pytest.fixture(scope="module")
def swept():
    return vzb.sweep(vzb.load_sample("BTC_USD"), STRATEGY, GRID, fees=0.0005, returns=True)


def _rows(text: str) -> dict[str, str]:
    """``label  value`` lines of a text block (two spaces or more between them)."""
    rows = {}
    for line in text.splitlines():
        parts = [p for p in line.strip().split("  ") if p]
        if len(parts) == 2:
            rows[parts[0].strip()] = parts[1].strip()
    return rows


def test_the_text_shows_the_walk_forwards_own_numbers(wf):
    text = render_walk_forward_text(wf)
    rows = _rows(text.split("Edge or luck:")[1].split("Folds:")[0])
    summary = wf.overfitting
    assert rows["Walk-forward Sharpe (out of sample)"] == f"{wf.stats['Sharpe Ratio']:.2f}"
    assert rows["PBO (probability of backtest overfitting)"] == f"{summary['pbo']:.0%}"
    assert rows["Deflated Sharpe: P(true Sharpe > 0)"] == f"{summary['deflated_sharpe']:.0%}"
    assert rows["Trials counted on this study"] == f"{summary['n_trials']:,}"
    assert rows["Sets in this grid"] == "9"
    assert rows["Best set's Sharpe (in sample)"] == f"{summary['best_sharpe']:.2f}"
    assert rows["Expected best Sharpe by chance"] == f"{summary['expected_max_sharpe']:.2f}"
    assert describe(summary, out_of_sample=wf.stats["Sharpe Ratio"]) in text
    assert f"{len(wf.folds)} folds" in text.splitlines()[0]


def test_the_comparison_puts_the_in_sample_best_beside_the_out_of_sample_stats(wf):
    table = compare_table(wf)
    assert list(table.columns) == [IN_SAMPLE, OUT_OF_SAMPLE]
    for stat in table.index:
        assert table.loc[stat, OUT_OF_SAMPLE] == format_value(float(wf.stats[stat]))
    best = wf.in_sample
    for name, value in wf.overfitting["best"].items():
        best = best[best[name] == value]
    assert len(best) == 1
    assert table.loc["Sharpe Ratio", IN_SAMPLE] == format_value(best["Sharpe Ratio"].iloc[0])
    assert table.loc["Sharpe Ratio", IN_SAMPLE] == format_value(wf.overfitting["best_sharpe"])
    assert table.loc["# Trades", IN_SAMPLE] == format_value(float(best["# Trades"].iloc[0]))


def test_the_folds_table_shows_each_folds_choice_and_scores(wf):
    table = folds_table(wf)
    assert len(table) == len(wf.folds)
    assert list(table.columns[:2]) == ["train", "test"]
    for name in wf.swept:
        assert table[name].tolist() == [format_value(v) for v in wf.folds[name]]
    out = table[f"{wf.objective} out of sample"].tolist()
    assert out == [format_value(v) for v in wf.folds["out_of_sample"]]
    assert table["trades"].tolist() == [format_value(v) for v in wf.folds["trades"]]
    first = wf.folds.iloc[0]
    assert table["test"].iloc[0] == (
        f"{format_value(first['test_start'])} to {format_value(first['test_end'])}"
    )
    stability = stability_table(wf)
    assert list(stability.index) == wf.swept
    shares = wf.parameter_stability["share_of_folds"]
    assert stability["share of folds"].tolist() == [f"{s:.0%}" for s in shares]


def test_the_html_has_the_verdict_tables_and_chart(wf):
    page = render_walk_forward_html(wf)
    assert "class='vzb-walk-forward'" in page
    verdict = describe(wf.overfitting, out_of_sample=wf.stats["Sharpe Ratio"])
    assert html.escape(verdict) in page
    assert "<img class='vzb-walk-forward-chart' src='data:image/png;base64," in page
    for css in ("vzb-compare", "vzb-overfitting", "vzb-folds", "vzb-stability"):
        assert f"class='{css}'" in page
    assert f"<td style='text-align:right'>{format_share(wf.overfitting['pbo'])}</td>" in page
    assert "<img" not in render_walk_forward_html(wf, chart=False)


def test_the_view_is_a_widget_with_a_text_repr(wf):
    view = walk_forward_view(wf)
    assert "vzb-walk-forward-view" in view._dom_classes
    images = [c for c in view.children if isinstance(c, widgets.Image)]
    assert len(images) == 1 and images[0].value[:4] == b"\x89PNG"
    assert repr(view) == render_walk_forward_text(wf)
    assert view._repr_mimebundle_()["text/plain"] == render_walk_forward_text(wf)
    report = walk_forward_report(wf)
    assert repr(report) == render_walk_forward_text(wf)
    assert report._repr_html_() == render_walk_forward_html(wf)


def test_the_chart_marks_the_folds_the_choices_and_the_pbo(wf):
    figure = walk_forward_figure(wf)
    labels = [axes.get_ylabel() for axes in figure.axes]
    assert labels == ["equity", *wf.swept, "splits [%]"]
    equity = figure.axes[0]
    line = equity.get_lines()[0]
    assert np.allclose(line.get_ydata(), wf.equity.to_numpy())
    dashed = [ln for ln in equity.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == len(wf.folds)
    # each parameter panel steps through the chosen values, fold by fold
    for axes, name in zip(figure.axes[1:-1], wf.swept, strict=True):
        steps = axes.get_lines()[0].get_ydata()
        assert list(steps[:-1]) == [float(v) for v in wf.folds[name]]
    # the red bars (logits <= 0) add up to the PBO
    histogram = figure.axes[-1]
    bars = histogram.patches
    assert abs(sum(b.get_height() for b in bars) - 100) < 1e-6
    red = sum(b.get_height() for b in bars if b.get_x() + b.get_width() / 2 <= 0)
    assert red == pytest.approx(wf.overfitting["pbo"] * 100)
    assert histogram.get_title().startswith(f"PBO {wf.overfitting['pbo']:.0%}")
    assert [a.get_ylabel() for a in walk_forward_figure(wf, logits=False).axes][-1] != "splits [%]"


def test_plot_and_notebook_display_go_through_the_package_hooks(wf):
    from IPython.core.interactiveshell import InteractiveShell

    from vzb import _hooks

    figure = _hooks.walk_forward_plotter(wf, title="mine")
    assert figure.axes[0].get_title() == "mine"
    shell = InteractiveShell.instance()
    try:
        vzb._register_display_hooks()
        bundle, _ = shell.display_formatter.format(wf)
    finally:
        InteractiveShell.clear_instance()
    assert bundle["text/plain"] == repr(wf)  # what nbval compares
    assert "class='vzb-walk-forward'" in bundle["text/html"]


def test_the_sweep_view_says_edge_or_luck_given_the_returns(swept):
    table, returns = swept
    summary = overfitting_summary(table, returns, n_trials=500)
    report = sweep_report(table, stat="Sharpe Ratio", n=3, returns=returns, n_trials=500)
    text = repr(report)
    assert text.startswith("Best 3 sets by Sharpe Ratio:")
    rows = _rows(text.split("Edge or luck:")[1])
    assert rows["Trials counted on this study"] == "500"
    assert rows["Sets in this grid"] == "9"
    assert rows["PBO (probability of backtest overfitting)"] == f"{summary['pbo']:.0%}"
    assert rows["Deflated Sharpe: P(true Sharpe > 0)"] == f"{summary['deflated_sharpe']:.0%}"
    assert rows["Expected best Sharpe by chance"] == f"{summary['expected_max_sharpe']:.2f}"
    assert text.endswith(describe(summary))
    page = report._repr_html_()
    assert "vzb-pbo-histogram" in page and html.escape(describe(summary)) in page
    # more trials on the study, a higher bar to clear
    fewer = overfitting_summary(table, returns)
    assert fewer["n_trials"] == 9
    assert fewer["expected_max_sharpe"] < summary["expected_max_sharpe"]

    view = sweep_view(table, stat="Return [%]", n=3, returns=returns, n_trials=500)
    assert "vzb-sweep-view" in view._dom_classes
    assert repr(view).endswith(describe(summary))
    edge = next(c for c in view.children if "vzb-sweep-overfitting" in c._dom_classes)
    assert html.escape(describe(summary)) in edge.value
    stat_box = next(c for c in view.children if isinstance(c, widgets.HBox)).children[0]
    stat_box.value = "Sharpe Ratio"
    assert repr(view).startswith("Best 3 sets by Sharpe Ratio:")
    assert repr(view).endswith(describe(summary))


def test_the_sweep_view_without_returns_is_as_before(swept):
    table, _ = swept
    text = repr(sweep_report(table, stat="Sharpe Ratio", n=3))
    assert "Edge or luck" not in text
    view = sweep_view(table, stat="Sharpe Ratio", n=3)
    assert isinstance(view.children[0], widgets.HBox)
    assert "Edge or luck" not in repr(view)


def test_an_undefined_pbo_is_said_so(wf):
    from vzb.widgets.display import overfitting_rows

    summary = {**wf.overfitting, "pbo": float("nan"), "pbo_logits": None}
    assert dict(overfitting_rows(summary))["PBO (probability of backtest overfitting)"] == (
        "undefined"
    )
    figure = walk_forward_figure(dataclasses.replace(wf, overfitting=summary))
    assert [a.get_ylabel() for a in figure.axes][-1] != "splits [%]"
