"""Result and sweep views on real backtests of the bundled candles."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
import pytest

import vzb
from vzb.widgets import (
    render_result_html,
    render_result_text,
    render_sweep_html,
    result_view,
    sweep_view,
)


@pytest.fixture(scope="module")
def result():
    return vzb.backtest(vzb.load_sample("BTC_USD"), "volume_zone_breakout", fees=0.0005)


@pytest.fixture(scope="module")
def table():
    grid = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2, 0.3]}
    return vzb.sweep(vzb.load_sample("BTC_USD"), "volume_zone_breakout", grid, n_jobs=1)


def test_result_html_has_stats_positions_and_chart(result):
    page = render_result_html(result)
    assert "vzb-stats" in page and "Sharpe Ratio" in page
    assert "vzb-position-stats" in page and "Avg. Bars Held" in page
    assert "<img class='vzb-equity-chart' src='data:image/png;base64," in page
    assert f"Last 20 of {len(result.positions)} positions" in page


def test_result_text_fallback_lists_every_stat(result):
    text = render_result_text(result)
    assert text.startswith("Backtest: volume_zone_breakout BTC_USD")
    for key in result.stats.index:
        assert key in text
    assert "# Trades" in text and "Fees Paid [$]" in text


def test_result_view_is_a_widget_with_the_chart(result):
    view = result_view(result)
    assert "vzb-result-view" in view._dom_classes
    images = [c for c in view.children if isinstance(c, widgets.Image)]
    assert images and images[0].value[:4] == b"\x89PNG"


def test_sweep_html_and_interactive_view(table):
    assert "vzb-heatmap" in render_sweep_html(table, stat="Sharpe Ratio")
    view = sweep_view(table, stat="Return [%]")
    stat_box = view.children[0].children[0]
    image = next(c for c in view.children if isinstance(c, widgets.Image))
    before = image.value
    stat_box.value = "Sharpe Ratio"  # the dropdown redraws in this (the main) thread
    assert image.value != before and image.value[:4] == b"\x89PNG"
    assert "Best 10 sets by Sharpe Ratio" in view.children[-1].value


def test_reports_show_html_in_notebooks_and_text_in_consoles(result, table):
    from vzb.widgets import result_report, sweep_report

    report = result_report(result)
    assert report._repr_html_() == render_result_html(result)
    assert repr(report) == render_result_text(result)
    best = sweep_report(table, stat="Sharpe Ratio", n=3)
    assert repr(best).startswith("Best 3 sets by Sharpe Ratio:")
    assert "vzb-heatmap" in best._repr_html_()


def test_views_have_plain_text_reprs_for_consoles_and_nbval(result, table):
    view = result_view(result)
    assert repr(view) == render_result_text(result)
    assert view._repr_mimebundle_()["text/plain"] == render_result_text(result)
    sweep = sweep_view(table, stat="Return [%]", n=3)
    assert repr(sweep).startswith("Best 3 sets by Return [%]:")
    sweep.children[0].children[0].value = "Sharpe Ratio"
    assert repr(sweep).startswith("Best 3 sets by Sharpe Ratio:")


def test_the_chart_draws_every_indicator_the_result_has(result):
    from vzb.widgets import result_figure

    assert result.indicators is not None and len(result.indicators.columns)
    price = result_figure(result).axes[0]
    labels = {line.get_label() for line in price.get_lines()}
    assert {"close", *map(str, result.indicators.columns)} <= labels
    assert price.get_ylabel() == "price"


def test_a_result_without_indicators_or_candles_still_draws_equity_and_drawdown(result):
    from types import SimpleNamespace

    from vzb.widgets import result_figure

    bare = SimpleNamespace(equity=result.equity, drawdown=result.drawdown, indicators=None)
    assert [a.get_ylabel() for a in result_figure(bare).axes] == ["equity", "drawdown [%]"]
    plain = SimpleNamespace(
        equity=result.equity,
        candles=result.candles,
        indicators=pd.DataFrame(index=result.equity.index),
    )
    labels = {line.get_label() for line in result_figure(plain).axes[0].get_lines()}
    assert labels == {"close"}


def test_position_statistics_do_not_repeat_the_stats(result):
    text = render_result_text(result)
    keys = [line.split("  ")[1] for line in text.splitlines() if line.startswith("  ")]
    assert keys.count("Win Rate [%]") == 1 and keys.count("Profit Factor") == 1
    assert "Avg. Bars Held" in text.split("Positions:")[1]


def test_view_modules_import_no_other_view():
    import ast
    from pathlib import Path

    folder = Path(vzb.__file__).parent / "widgets"
    views = {"panel", "result_view", "sweep_view", "walk_forward_view"}
    for name in views:
        tree = ast.parse((folder / f"{name}.py").read_text())
        imported = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vzb.widgets")
        }
        assert not imported & (views - {name}), (name, imported)
