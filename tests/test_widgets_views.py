"""Result and sweep views on real backtests of the bundled candles."""

from __future__ import annotations

import re

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.analysis import best_sets, heatmap_table
from vzb.widgets import (
    render_result_html,
    render_result_text,
    render_sweep_html,
    result_view,
    sweep_heatmap,
    sweep_view,
)


@pytest.fixture(scope="module")
def result():
    return vzb.backtest(vzb.load_sample("BTC_USD"), "volume_zone_breakout", fees=0.0005)


@pytest.fixture(scope="module")
def table():
    grid = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2, 0.3]}
    return vzb.sweep(vzb.load_sample("BTC_USD"), "volume_zone_breakout", grid, n_jobs=1)


def test_result_html_has_heading_grouped_stats_positions_and_chart(result):
    page = render_result_html(result)
    assert "Backtest: volume_zone_breakout · BTC_USD · 1d</h3>" in page
    assert "default parameters; starting cash $ 1,000,000, fees 0.05% a side" in page
    for title in ("Returns", "Risk", "Trades", "Signals (each signal on its own)"):
        assert f"<h4 style='margin:4px 0'>{title}</h4>" in page
    assert "entry signals, traded or not" in page  # the signal rows are explained
    assert "<img class='vzb-equity-chart' src='data:image/png;base64," in page
    assert f"last 20 of {len(result.positions):,}, times in UTC" in page
    assert "max-height" not in page  # no inner scroll box
    trades = int(result.stats["# Trades"])
    assert f"<td style='text-align:right;white-space:nowrap'>{trades:,}</td>" in page


def test_result_text_lists_every_stat_by_group_in_one_format(result):
    text = render_result_text(result)
    assert text.startswith("Backtest: volume_zone_breakout · BTC_USD · 1d\n")
    for key in result.stats.index:
        assert key in text
    stats = result.stats
    rows = {
        line[2:].rsplit("  ", 1)[0].strip(): line.rsplit("  ", 1)[1]
        for line in text.splitlines()
        if line.startswith("  ") and "  " in line[2:]
    }
    assert rows["# Trades"] == f"{int(stats['# Trades']):,}"
    assert rows["Sharpe Ratio"] == f"{stats['Sharpe Ratio']:.2f}"
    assert rows["Return [%]"] == f"{stats['Return [%]']:,.2f}%"
    assert rows["Total Fees [$]"] == f"$ {stats['Total Fees [$]']:,.0f}"
    assert rows["Duration"] == f"{stats['Duration'].days:,} days"
    assert rows["Start"] == stats["Start"].strftime("%Y-%m-%d %H:%M UTC")
    assert not re.search(r"\d[eE][+-]?\d|\.\d{5,}", text)
    assert text.index("Returns:") < text.index("Risk:") < text.index("Trades:")
    assert text.index("Trades:") < text.index("Signals (each signal on its own):")


def test_the_heading_lists_only_the_parameters_that_differ_from_the_defaults():
    changed = vzb.backtest(vzb.load_sample("BTC_USD"), params={"volume_window": 20, "num_bins": 20})
    line = render_result_text(changed).splitlines()[1]
    assert line.startswith("  volume_window=20; starting cash $ 1,000,000")
    assert "num_bins" not in line


def test_result_view_is_a_widget_with_the_interactive_chart_and_a_pager(result):
    view = result_view(result)
    assert "vzb-result-view" in view._dom_classes
    chart = next(c for c in view.children if isinstance(c, widgets.Output))
    data = chart.outputs[0]["data"]
    assert "application/vnd.plotly.v1+json" in data
    assert data["text/plain"].startswith("Interactive chart: BTC_USD, resistance, entries")
    pager = view.children[-1]
    assert "vzb-positions-pager" in pager._dom_classes
    pages = -(-len(result.positions) // 20)
    assert pager.page == pages - 1
    first, previous, *_ = pager.children[0].children
    first.click()
    assert pager.page == 0
    table = pager.children[1].value
    first_entry = result.positions["entry_time"].iloc[0].strftime("%Y-%m-%d")
    assert first_entry in table and table.count("</tr>") == 21  # header + 20 rows
    assert previous.disabled
    pager.children[0].children[2].click()
    assert pager.page == 1


def test_reports_show_the_interactive_chart_in_notebooks_and_text_in_consoles(result):
    from vzb.widgets import result_report

    report = result_report(result)
    assert repr(report) == render_result_text(result)
    kinds = [type(part).__name__ for part in report.parts]
    assert kinds == ["str", "Figure", "str"]
    assert "<img" not in report._repr_html_()


def _plotted(output: widgets.Output) -> dict:
    return output.outputs[0]["data"]["application/vnd.plotly.v1+json"]


def test_sweep_html_and_interactive_view(table):
    assert "vzb-heatmap" in render_sweep_html(table, stat="Sharpe Ratio")
    view = sweep_view(table, stat="Return [%]")
    stat_box, x_box, y_box = view.children[0].children
    assert len(table.attrs["parameters"]) > 2  # every parameter is recorded...
    assert list(x_box.options) == list(y_box.options) == ["volume_window", "top_percentile"]
    chart = next(c for c in view.children if "vzb-heatmap" in c._dom_classes)
    heatmap = _plotted(chart)["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["colorbar"]["title"]["text"] == "Return [%]"
    assert heatmap["textfont"]["size"] >= 12  # 12 px = 9 pt
    stat_box.value = "Sharpe Ratio"  # the dropdown redraws in this (the main) thread
    heatmap = _plotted(chart)["data"][0]
    assert heatmap["colorbar"]["title"]["text"] == "Sharpe Ratio"
    assert "Best 10 sets by Sharpe Ratio" in view.children[-1].value
    assert "vzb-best-sets" in view.children[-1].value


def test_x_equal_to_y_is_refused_in_place(table):
    view = sweep_view(table, stat="Return [%]")
    _stat, x_box, y_box = view.children[0].children
    message = next(c for c in view.children if "vzb-sweep-message" in c._dom_classes)
    chart = next(c for c in view.children if "vzb-heatmap" in c._dom_classes)
    x_box.value = y_box.value
    assert "x and y are both &#x27;top_percentile&#x27;" in message.value
    assert chart.outputs == ()  # no stale heatmap left
    x_box.value = "volume_window"
    assert message.value == "" and _plotted(chart)["data"][0]["type"] == "heatmap"
    with pytest.raises(vzb.errors.ParameterError, match="x and y are both"):
        sweep_heatmap(table, "volume_window", "volume_window")


def test_heatmap_cells_colours_and_bars_for_one_parameter(table):
    grid = heatmap_table(table, "volume_window", "top_percentile", "Return [%]")
    figure = sweep_heatmap(table, "volume_window", "top_percentile", "Return [%]")
    cells = figure.data[0]
    np.testing.assert_allclose(cells.z, grid.to_numpy())
    assert cells.text[0][0] == f"{grid.iloc[0, 0]:,.2f}%"
    assert list(cells.x) == ["5", "10", "20"] and list(cells.y) == ["0.1", "0.2", "0.3"]
    values = grid.to_numpy()
    signed = values.min() < 0 < values.max()
    assert (cells.zmid == 0.0) == signed and cells.colorscale[0][1] != ""
    drawdown = sweep_heatmap(table, stat="Max. Drawdown [%]").data[0]
    assert drawdown.zmid is None  # one sign: a sequential scale
    assert sweep_heatmap(table, stat="Volatility (Ann.) [%]").data[0].reversescale
    one = vzb.sweep(
        vzb.load_sample("BTC_USD"), "volume_zone_breakout", {"volume_window": [5, 10, 20]}
    )
    bars = sweep_heatmap(one, stat="Sharpe Ratio").data[0]
    expected = one.groupby("volume_window")["Sharpe Ratio"].mean()
    assert bars.type == "bar" and list(bars.x) == ["5", "10", "20"]
    np.testing.assert_allclose(bars.y, expected.to_numpy())
    assert list(bars.text) == [f"{v:.2f}" for v in expected]
    view = sweep_view(one, stat="Sharpe Ratio")
    y_box = view.children[0].children[2]
    assert y_box.disabled


def test_sweep_reports_show_html_in_notebooks_and_text_in_consoles(table):
    from vzb.widgets import sweep_report

    best = sweep_report(table, stat="Sharpe Ratio", n=3)
    assert repr(best).startswith("Best 3 sets by Sharpe Ratio:")
    assert [type(part).__name__ for part in best.parts] == ["Figure", "str"]
    assert "vzb-best-sets" in best._repr_html_()
    top = best_sets(table, "Sharpe Ratio", 1).iloc[0]
    assert f"{top['Sharpe Ratio']:.2f}" in repr(best).splitlines()[2]


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
    names = [trace.name for trace in result_figure(result).data]
    indicators = [str(name) for name in result.indicators.columns]
    assert names == ["BTC_USD", *indicators, "entries", "exits", "equity", "drawdown"]
    price = result_figure(result, backend="matplotlib").axes[0]
    labels = {line.get_label() for line in price.get_lines()}
    assert {"close", *map(str, result.indicators.columns)} <= labels
    assert price.get_ylabel() == "price"
    with pytest.raises(vzb.errors.ParameterError, match="backend must be 'plotly'"):
        result_figure(result, backend="bokeh")


def test_a_result_without_indicators_or_candles_still_draws_equity_and_drawdown(result):
    from types import SimpleNamespace

    from vzb.widgets import result_figure

    bare = SimpleNamespace(equity=result.equity, drawdown=result.drawdown, indicators=None)
    assert [t.name for t in result_figure(bare).data] == ["equity", "drawdown"]
    matplotlib = result_figure(bare, backend="matplotlib")
    assert [a.get_ylabel() for a in matplotlib.axes] == ["equity", "drawdown [%]"]
    plain = SimpleNamespace(
        equity=result.equity,
        candles=result.candles,
        indicators=pd.DataFrame(index=result.equity.index),
    )
    assert [t.name for t in result_figure(plain).data] == ["price", "equity", "drawdown"]


def test_position_statistics_do_not_repeat_the_stats(result):
    text = render_result_text(result)
    keys = [line.split("  ")[1] for line in text.splitlines() if line.startswith("  ")]
    assert keys.count("Win Rate [%]") == 1 and keys.count("Profit Factor") == 1
    assert "# Positions" not in keys and "Fees Paid [$]" not in keys
    assert "Avg. Bars Held" in text.split("Trades:")[1]


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
