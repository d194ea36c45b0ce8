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
from vzb.widgets.formatting import format_share
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
    assert list(table.index) == [
        "Return [%]",
        "Sharpe Ratio",
        "Max. Drawdown [%]",
        "# Trades",
        "Win Rate [%]",
    ]
    stats = wf.stats
    assert table.loc["Return [%]", OUT_OF_SAMPLE] == f"{stats['Return [%]']:,.2f}%"
    assert table.loc["Sharpe Ratio", OUT_OF_SAMPLE] == f"{stats['Sharpe Ratio']:.2f}"
    assert table.loc["Max. Drawdown [%]", OUT_OF_SAMPLE] == f"{stats['Max. Drawdown [%]']:.2f}%"
    assert table.loc["# Trades", OUT_OF_SAMPLE] == f"{int(stats['# Trades']):,}"
    best = wf.in_sample
    for name, value in wf.overfitting["best"].items():
        best = best[best[name] == value]
    assert len(best) == 1
    assert table.loc["Sharpe Ratio", IN_SAMPLE] == f"{best['Sharpe Ratio'].iloc[0]:.2f}"
    assert table.loc["Sharpe Ratio", IN_SAMPLE] == f"{wf.overfitting['best_sharpe']:.2f}"
    assert table.loc["# Trades", IN_SAMPLE] == f"{int(best['# Trades'].iloc[0]):,}"


def test_the_folds_table_shows_each_folds_choice_and_scores(wf):
    table = folds_table(wf)
    assert len(table) == len(wf.folds)
    assert list(table.columns[:2]) == ["train", "test"]
    for name in wf.swept:
        assert table[name].tolist() == [f"{v:g}" for v in wf.folds[name]]
    out = table[f"{wf.objective} out of sample"].tolist()
    assert out == [f"{v:.2f}" for v in wf.folds["out_of_sample"]]
    assert table["trades"].tolist() == [f"{int(v):,}" for v in wf.folds["trades"]]
    first = wf.folds.iloc[0]
    assert table["test"].iloc[0] == (
        f"{first['test_start']:%Y-%m-%d} to {first['test_end']:%Y-%m-%d}"
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
        assert f"{css}'" in page
    assert f"<td style='text-align:right'>{format_share(wf.overfitting['pbo'])}</td>" in page
    assert "<img" not in render_walk_forward_html(wf, chart=False)


def test_the_view_is_a_widget_with_a_text_repr(wf):
    view = walk_forward_view(wf)
    assert "vzb-walk-forward-view" in view._dom_classes
    charts = [c for c in view.children if isinstance(c, widgets.Output)]
    assert len(charts) == 1 and "vzb-walk-forward-chart" in charts[0]._dom_classes
    assert "application/vnd.plotly.v1+json" in charts[0].outputs[0]["data"]
    assert repr(view) == render_walk_forward_text(wf)
    assert view._repr_mimebundle_()["text/plain"] == render_walk_forward_text(wf)
    report = walk_forward_report(wf)
    assert repr(report) == render_walk_forward_text(wf)
    assert report._repr_html_() == render_walk_forward_html(wf, chart=False)
    assert [type(part).__name__ for part in report.parts] == ["str", "Figure", "str"]


def test_the_interactive_chart_marks_the_folds_the_choices_and_the_pbo(wf):
    figure = walk_forward_figure(wf)
    names = [trace.name for trace in figure.data]
    assert names == ["out-of-sample equity", *wf.swept, "rank logits"]
    np.testing.assert_array_equal(figure.data[0].y, wf.equity.to_numpy())
    for trace, name in zip(figure.data[1:-1], wf.swept, strict=True):
        assert list(trace.y[:-1]) == [float(v) for v in wf.folds[name]]
        assert trace.line.shape == "hv"
    lines = [s for s in figure.layout.shapes if s.type == "line" and s.line.dash == "dash"]
    assert len(lines) == len(wf.folds) * (1 + len(wf.swept))  # a dashed line per fold
    folds = [a.text for a in figure.layout.annotations if a.text.isdigit()]
    assert folds == [str(n) for n in range(1, len(wf.folds) + 1)]
    bars = figure.data[-1]
    assert abs(sum(bars.y) - 100) < 1e-6
    red = sum(h for x, h in zip(bars.x, bars.y, strict=True) if x <= 0)
    assert red == pytest.approx(wf.overfitting["pbo"] * 100)
    pbo = f"PBO {wf.overfitting['pbo']:.0%}"
    assert any(a.text.startswith(pbo) for a in figure.layout.annotations)
    assert figure.layout.yaxis.tickprefix == "$ "
    assert "rank logits" not in [t.name for t in walk_forward_figure(wf, logits=False).data]


def test_the_static_chart_marks_the_folds_the_choices_and_the_pbo(wf):
    figure = walk_forward_figure(wf, backend="matplotlib")
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
    no_logits = walk_forward_figure(wf, logits=False, backend="matplotlib")
    assert [a.get_ylabel() for a in no_logits.axes][-1] != "splits [%]"


def test_plot_and_notebook_display_go_through_the_package_hooks(wf):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from vzb import _hooks

    figure = _hooks.walk_forward_plotter(wf, title="mine")
    assert figure.layout.title.text == "mine"
    static = _hooks.walk_forward_plotter(wf, title="mine", backend="matplotlib")
    assert static.axes[0].get_title() == "mine"
    shell = InteractiveShell.instance()
    try:
        vzb._register_display_hooks()
        with capture_output() as captured:
            shell.display_formatter.format(wf)
    finally:
        InteractiveShell.clear_instance()
    outputs = [output.data for output in captured.outputs]
    assert outputs[0]["text/plain"] == render_walk_forward_text(wf)  # what nbval compares
    assert "class='vzb-walk-forward'" in outputs[0]["text/html"]
    assert "application/vnd.plotly.v1+json" in outputs[1]
    assert "vzb-folds" in outputs[2]["text/html"]


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
    assert html.escape(describe(summary)) in page
    histogram = report.parts[1]
    assert histogram.data[0].name == "rank logits"
    assert sum(histogram.data[0].y) == pytest.approx(100)
    # more trials on the study, a higher bar to clear
    fewer = overfitting_summary(table, returns)
    assert fewer["n_trials"] == 9
    assert fewer["expected_max_sharpe"] < summary["expected_max_sharpe"]

    view = sweep_view(table, stat="Return [%]", n=3, returns=returns, n_trials=500)
    assert "vzb-sweep-view" in view._dom_classes
    assert repr(view).endswith(describe(summary))
    edge = next(c for c in view.children if "vzb-sweep-overfitting" in c._dom_classes)
    assert html.escape(describe(summary)) in edge.children[0].value
    assert "vzb-pbo-histogram" in edge.children[1]._dom_classes
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
    undefined = dataclasses.replace(wf, overfitting=summary)
    figure = walk_forward_figure(undefined, backend="matplotlib")
    assert [a.get_ylabel() for a in figure.axes][-1] != "splits [%]"
    assert "rank logits" not in [t.name for t in walk_forward_figure(undefined).data]
