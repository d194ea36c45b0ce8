"""The interactive Plotly chart of a backtest, on the bundled candles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.widgets.display import figure_bundle
from vzb.widgets.figures import backtest_plotly, epoch_ms, position_markers


@pytest.fixture(scope="module")
def daily():
    return vzb.backtest(vzb.load_sample("BTC_USD", timeframe="1d"), fees=0.0005)


@pytest.fixture(scope="module")
def hourly():
    return vzb.backtest(vzb.load_sample("BTC_USD", timeframe="1h"), fees=0.0005)


def _bytes(figure) -> int:
    """Bytes the figure adds to a notebook file: its display data as JSON."""
    return len(json.dumps(figure_bundle(figure)))


def _trace(figure, name):
    return next(trace for trace in figure.data if trace.name == name)


def test_daily_chart_has_every_candle_the_indicator_trades_equity_and_drawdown(daily):
    figure = daily.plot()
    candles = daily.candles
    price = _trace(figure, "BTC_USD")
    assert price.type == "candlestick" and len(price.x) == len(candles)  # nothing merged
    np.testing.assert_array_equal(price.x, epoch_ms(candles.index))
    np.testing.assert_allclose(price.high, candles["high"], rtol=1e-6)
    resistance = _trace(figure, "resistance")
    assert len(resistance.x) == len(candles)
    np.testing.assert_allclose(resistance.y, daily.indicators["resistance"], rtol=1e-6)
    equity = _trace(figure, "equity")
    np.testing.assert_array_equal(equity.y, daily.equity.to_numpy())
    drawdown = _trace(figure, "drawdown")
    np.testing.assert_allclose(drawdown.y, daily.drawdown.to_numpy() * 100, rtol=1e-6, atol=1e-5)
    assert drawdown.fill == "tozeroy"


def test_every_position_is_a_marker_with_its_details_on_hover(daily):
    figure = daily.plot()
    positions = daily.positions
    entries, exits = _trace(figure, "entries"), _trace(figure, "exits")
    assert len(entries.x) == len(exits.x) == len(positions)
    np.testing.assert_array_equal(entries.x, epoch_ms(pd.DatetimeIndex(positions["entry_time"])))
    np.testing.assert_array_equal(exits.x, epoch_ms(pd.DatetimeIndex(positions["exit_time"])))
    np.testing.assert_allclose(entries.y, positions["entry_price"], rtol=1e-6)
    np.testing.assert_allclose(exits.y, positions["exit_price"], rtol=1e-6)
    details = entries.customdata
    np.testing.assert_allclose(details[:, 0], positions["return"] * 100, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(details[:, 1], positions["net_pnl"], rtol=1e-6, atol=0.01)
    np.testing.assert_array_equal(details[:, 2], positions["bars_held"])
    fees = positions["entry_fee"] + positions["exit_fee"]
    np.testing.assert_allclose(details[:, 3], fees, rtol=1e-6)
    template = entries.hovertemplate
    for piece in (
        "%{x|%Y-%m-%d %H:%M} at $ %{y:,.2f}",
        "bars held: %{customdata[2]:,}",
        "return %{customdata[0]:.2f}%",
        "net PnL %{customdata[1]:$,.2f}",
        "fees $ %{customdata[3]:,.2f}",
        "<extra>BTC_USD</extra>",
    ):
        assert piece in template, piece
    reasons = set(positions["exit_reason"])
    assert reasons == {"hold", "end_of_data"}
    assert list(entries.text) == positions["exit_reason"].tolist()  # reasons differ: per point
    assert "exit (%{text})" in template
    assert "at $ %{y:,.2f} (%{text})" in exits.hovertemplate


def test_many_trades_thin_out_at_wide_zoom(daily):
    figure = daily.plot(max_markers=100)
    assert len(daily.positions) > 100
    assert _trace(figure, "entries").marker.maxdisplayed == 100
    few = position_markers(daily.positions.head(50), "USD", max_markers=100)
    assert few[0].marker.maxdisplayed is None


def test_the_panels_share_one_time_axis_with_a_range_slider(daily):
    layout = daily.plot().layout
    assert layout.xaxis.matches == layout.xaxis2.matches == "x3"
    assert layout.xaxis3.rangeslider.visible is True
    assert layout.xaxis.rangeslider.visible is False
    assert layout.xaxis3.title.text == "time (UTC)"
    assert layout.yaxis.type == "log"  # BTC went from ~300 to ~19,000
    assert layout.yaxis.tickprefix == "$ " and layout.yaxis.tickformat == ",.0f"
    assert layout.yaxis2.tickprefix == "$ " and layout.yaxis2.separatethousands
    assert layout.yaxis3.ticksuffix == "%"
    linear = daily.plot(log=False).layout
    assert linear.yaxis.type == "linear" and linear.yaxis2.type == "linear"
    assert daily.plot(price="line").data[0].type == "scatter"
    with pytest.raises(ValueError, match="price must be 'candles' or 'line'"):
        daily.plot(price="ohlc")


def test_hourly_candles_are_downsampled_keeping_the_extremes(hourly):
    figure = hourly.plot()
    candles = hourly.candles
    price = _trace(figure, "BTC_USD")
    assert len(price.x) == 2000 < len(candles)
    assert price.high.max() == np.float32(candles["high"].max())
    assert price.low.min() == np.float32(candles["low"].min())
    equity = _trace(figure, "equity")
    assert len(equity.x) <= 3000
    assert equity.y.max() == hourly.equity.max() and equity.y.min() == hourly.equity.min()
    everything = hourly.plot(max_points=None, max_candles=None)
    assert len(_trace(everything, "BTC_USD").x) == len(candles)


def test_the_figure_stays_small_in_the_notebook_file(daily, hourly):
    assert _bytes(daily.plot()) < 400_000
    assert _bytes(hourly.plot()) < 1_000_000
    # the same data as plain JSON lists would be several times larger
    big = hourly.plot(max_points=None, max_candles=None)
    assert _bytes(big) > _bytes(hourly.plot())


def test_a_currency_shows_on_axes_and_hover():
    candles = vzb.load_sample("BTC_USD", timeframe="1d")
    equity = pd.Series(np.linspace(1e6, 2e6, len(candles)), index=candles.index)
    figure = backtest_plotly(equity, candles=candles, currency="KRW")
    assert figure.layout.yaxis.tickprefix == "₩ " and figure.layout.yaxis2.tickformat == ",.0f"
    plain = backtest_plotly(equity)
    assert plain.layout.yaxis.tickprefix == "" and len(plain.data) == 2


def test_a_result_displays_in_ipython_as_html_the_chart_and_positions(daily):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    try:
        vzb._register_display_hooks()  # what `import vzb` does inside IPython
        with capture_output() as captured:
            shell.display_formatter.format(daily)
    finally:
        InteractiveShell.clear_instance()
    outputs = [output.data for output in captured.outputs]
    assert [sorted(data) for data in outputs] == [
        ["text/html", "text/plain"],
        ["application/vnd.plotly.v1+json", "text/plain"],
        ["text/html", "text/plain"],
    ]
    assert outputs[0]["text/plain"].startswith("Backtest: volume_zone_breakout · BTC_USD · 1d")
    plotted = outputs[1]["application/vnd.plotly.v1+json"]
    assert [trace["name"] for trace in plotted["data"]][-2:] == ["equity", "drawdown"]
    assert outputs[2]["text/plain"].startswith(f"Positions (last 20 of {len(daily.positions):,}")
