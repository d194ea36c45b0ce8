"""Result and sweep views on real backtests of the bundled candles."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.errors import ParameterError
from vzb.widgets import (
    best_sets,
    heatmap_table,
    position_stats,
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


def test_position_stats_agree_with_the_positions_table(result):
    positions = result.positions
    stats = position_stats(positions)
    wins = positions["net_pnl"] > 0
    assert stats["# Positions"] == len(positions) == int(result.stats["# Trades"])
    assert stats["Win Rate [%]"] == pytest.approx(wins.mean() * 100)
    assert stats["Avg. Win [$]"] == pytest.approx(positions.loc[wins, "net_pnl"].mean())
    assert stats["Avg. Loss [$]"] < 0
    fees = positions["entry_fee"].sum() + positions["exit_fee"].sum()
    assert stats["Fees Paid [$]"] == pytest.approx(fees)
    assert stats["Fees Paid [$]"] == pytest.approx(result.stats["Total Fees [$]"])
    assert stats["Profit Factor"] == pytest.approx(result.stats["Profit Factor"])
    assert stats["Avg. Bars Held"] == pytest.approx(positions["bars_held"].mean())


def test_position_stats_of_no_positions_are_empty_not_errors():
    stats = position_stats(pd.DataFrame({"net_pnl": []}))
    assert stats["# Positions"] == 0
    assert pd.isna(stats["Win Rate [%]"]) and pd.isna(stats["Profit Factor"])


def test_profit_factor_without_losses_is_infinite_as_in_the_engine():
    stats = position_stats(pd.DataFrame({"net_pnl": [5.0, 3.0]}))
    assert stats["Profit Factor"] == float("inf")


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


def test_best_sets_rank_by_the_chosen_stat(table):
    best = best_sets(table, "Sharpe Ratio", n=3)
    assert len(best) == 3
    assert best["Sharpe Ratio"].is_monotonic_decreasing
    assert best["Sharpe Ratio"].iloc[0] == pytest.approx(table["Sharpe Ratio"].max())


def test_heatmap_table_pivots_the_stat_over_two_parameters(table):
    grid = heatmap_table(table, x="volume_window", y="top_percentile", stat="Return [%]")
    assert grid.shape == (3, 3)
    row = table[(table["volume_window"] == 10) & (table["top_percentile"] == 0.2)]
    assert grid.loc[0.2, 10] == pytest.approx(row["Return [%]"].mean())


def test_heatmap_names_a_wrong_column(table):
    with pytest.raises(ParameterError, match="stat='Return' is not a column"):
        heatmap_table(table, x="volume_window", y="top_percentile", stat="Return")


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


def test_best_sets_of_one_symbol_keep_integer_counts():
    table = pd.DataFrame(
        {
            "volume_window": [10, 20, 30],
            "symbol": ["BTC_USD"] * 3,
            "Return [%]": [5.0, 7.5, -1.0],
            "# Trades": np.array([12, 9, 4], dtype="int64"),
        }
    )
    best = best_sets(table, "Return [%]", n=2)
    assert best["volume_window"].tolist() == [20, 10]
    assert best["# Trades"].dtype == "int64" and best["# Trades"].tolist() == [9, 12]
