"""Stats checked against an independent numpy computation of each definition."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.engine import STAT_NAMES, combine
from vzb.engine import stats as stats_module


def independent_stats(result, candles, bars_per_year):
    cash = result.options["cash"]
    equity = result.equity.to_numpy()
    returns = np.diff(np.concatenate([[cash], equity])) / np.concatenate([[cash], equity[:-1]])
    peak = np.maximum.accumulate(np.concatenate([[cash], equity]))[1:]
    drawdown = equity / peak - 1
    below = drawdown < 0
    longest = run = 0
    for b in below:
        run = run + 1 if b else 0
        longest = max(longest, run)
    pos = result.positions
    net = pos["net_pnl"].to_numpy()
    days = (candles.index[-1] - candles.index[0]).total_seconds() / 86_400
    cagr = (equity[-1] / cash) ** (365.25 / days) - 1
    close = candles["close"].to_numpy()
    downside = np.sqrt(np.mean(np.minimum(returns, 0) ** 2))
    return {
        "Equity Final [$]": equity[-1],
        "Return [%]": 100 * (equity[-1] / cash - 1),
        "Buy & Hold Return [%]": 100 * (close[-1] / close[0] - 1),
        "CAGR [%]": 100 * cagr,
        "Volatility (Ann.) [%]": 100 * np.std(returns, ddof=1) * np.sqrt(bars_per_year),
        "Sharpe Ratio": np.mean(returns) / np.std(returns, ddof=1) * np.sqrt(bars_per_year),
        "Sortino Ratio": np.mean(returns) / downside * np.sqrt(bars_per_year),
        "Calmar Ratio": cagr / abs(drawdown.min()),
        "Max. Drawdown [%]": 100 * drawdown.min(),
        "Max. Drawdown Duration [bars]": longest,
        "# Trades": len(pos),
        "Win Rate [%]": 100 * np.mean(net > 0),
        "Best Trade [%]": 100 * pos["return"].max(),
        "Worst Trade [%]": 100 * pos["return"].min(),
        "Avg. Trade [%]": 100 * pos["return"].mean(),
        "Profit Factor": net[net > 0].sum() / abs(net[net < 0].sum()),
        "Expectancy [$]": net.mean(),
        "SQN": np.sqrt(len(net)) * net.mean() / np.std(net, ddof=1),
        "Exposure Time [%]": 100 * pos["bars_held"].sum() / len(equity),
        "Total Fees [$]": (pos["entry_fee"] + pos["exit_fee"]).sum(),
    }


@pytest.mark.parametrize(
    ("symbol", "timeframe", "options", "bars_per_year"),
    [
        ("BTC_USD", "1d", {"fees": 0.0005}, 365),
        ("ETH_USD", "1d", {"fees": 0.0025, "slippage": 0.001, "stop_loss": 0.03}, 365),
        ("BTC_USD", "1h", {"fill": "close", "take_profit": 0.02, "size": 0.5}, 365 * 24),
    ],
)
def test_stats_match_independent_numpy(symbol, timeframe, options, bars_per_year):
    candles = vzb.load_sample(symbol, timeframe=timeframe)
    result = vzb.backtest(candles, params={"hold_period_bars": 2}, **options)
    want = independent_stats(result, candles, bars_per_year)
    for key, value in want.items():
        assert float(result.stats[key]) == pytest.approx(value, rel=1e-9, abs=1e-9), key
    np.testing.assert_allclose(
        result.drawdown,
        result.equity / np.maximum.accumulate(np.maximum(result.equity, result.options["cash"]))
        - 1,
    )


def test_signal_study_matches_independent_computation():
    candles = vzb.load_sample("LTC_USD")
    hold = 3
    result = vzb.backtest(candles, params={"hold_period_bars": hold})
    signals = result.signals.to_numpy()
    close = candles["close"].to_numpy()
    n = len(close)
    bars = [i for i in np.flatnonzero(signals) if i < n - 1]
    exits = [min(i + hold, n - 1) for i in bars]
    returns = np.array([close[j] / close[i] - 1 for i, j in zip(bars, exits, strict=True)])
    compounded = np.cumprod(1 + returns)
    drawdown = compounded / np.maximum.accumulate(np.maximum(compounded, 1.0)) - 1
    s = result.stats
    assert s["Signal Samples"] == len(bars)
    assert s["Signal Win Rate [%]"] == pytest.approx(100 * np.mean(returns > 0))
    assert s["Signal Avg. Return [%]"] == pytest.approx(100 * returns.mean())
    assert s["Signal Max. Drawdown [%]"] == pytest.approx(100 * drawdown.min())
    assert s["Signal Avg. Bars Held"] == pytest.approx(np.mean(np.subtract(exits, bars)))


def test_every_stat_is_documented():
    doc = stats_module.__doc__
    for name in ("Start", "End", "Duration", *STAT_NAMES):
        assert f"``{name}``" in doc or name in doc, name


def test_no_trades_gives_nan_trade_stats_and_flat_equity():
    candles = vzb.load_sample("BTC_USD")
    result = vzb.backtest(candles, params={"breakout_buffer": 10.0})
    assert result.stats["# Trades"] == 0 and len(result.positions) == 0
    assert np.isnan(result.stats["Win Rate [%]"]) and np.isnan(result.stats["SQN"])
    assert (result.equity == result.options["cash"]).all()
    assert json.loads(json.dumps(result.to_dict()))["stats"]["Win Rate [%]"] is None


def test_combine_splits_cash_equally_and_matches_mapping_backtest():
    btc, eth = vzb.load_sample("BTC_USD"), vzb.load_sample("ETH_USD")
    per = {"BTC_USD": vzb.backtest(btc, fees=0.001), "ETH_USD": vzb.backtest(eth, fees=0.001)}
    combined = combine(per)
    mapping = vzb.backtest({"BTC_USD": btc, "ETH_USD": eth}, fees=0.001)
    pd.testing.assert_series_equal(combined.equity, mapping.equity)
    cash = 1_000_000
    index = btc.index.union(eth.index)
    expected = sum(
        (r.equity / 2).reindex(index).ffill().fillna(cash / 2).to_numpy() for r in per.values()
    )
    np.testing.assert_allclose(combined.equity.to_numpy(), expected, rtol=1e-12)
    assert combined.stats["# Trades"] == sum(r.stats["# Trades"] for r in per.values())
    assert combined.positions["net_pnl"].sum() == pytest.approx(
        combined.equity.iloc[-1] - cash, rel=1e-9
    )
    assert combined.symbols == ["BTC_USD", "ETH_USD"]
    assert list(combined.signals.columns) == ["BTC_USD", "ETH_USD"]
    assert combined.stats["Buy & Hold Return [%]"] == pytest.approx(
        np.mean([r.stats["Buy & Hold Return [%]"] for r in per.values()])
    )
    alone = per["BTC_USD"].stats
    assert mapping.per_symbol["BTC_USD"].stats.equals(alone)
    text = repr(mapping)
    assert "BTC_USD, ETH_USD" in text


def test_result_metadata_and_to_dict_are_json_safe():
    candles = vzb.load_sample("BTC_USD")
    result = vzb.backtest(candles, params={"volume_window": 12}, fees=0.0005)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["volume_window"] == 12
    assert d["options"]["fees"] == 0.0005
    assert d["symbols"] == ["BTC_USD"] and d["version"] == 1
    assert d["fingerprint"] == vzb.backtest(candles).fingerprint
    assert d["total_signals"] == int(result.signals.sum())
    assert len(result.run_id) == 32 and result.execution_time > 0
    assert result.vzb_version == vzb.__version__
    assert result.resistance.index.equals(candles.index)


def test_plot_draws_three_panels():
    import matplotlib

    matplotlib.use("Agg")
    fig = vzb.backtest(vzb.load_sample("ETH_USD")).plot()
    assert len(fig.axes) == 3


def test_bars_per_year_is_the_median_spacing_for_regular_and_gappy_indexes():
    from vzb.engine.stats import bars_per_year

    hourly = pd.date_range("2024-01-01", periods=100, freq="1h", tz="UTC")
    assert bars_per_year(hourly) == 365 * 24
    gappy = hourly.delete([5, 6, 7, 40])  # a few missing bars: the median is still 1 h
    assert bars_per_year(gappy) == 365 * 24
    mostly_daily = pd.DatetimeIndex(
        ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05", "2024-01-06"], tz="UTC"
    )
    assert bars_per_year(mostly_daily) == 365.0
    assert bars_per_year(hourly[:1]) == 365.0


def _assert_counts_are_ints(stats: pd.Series) -> None:
    for name in stats_module.COUNT_STATS:
        assert type(stats[name]) is int, (name, stats[name])
    assert type(stats["Win Rate [%]"]) is float


def test_count_stats_are_ints_in_backtest_combine_and_to_dict():
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}
    result = vzb.backtest(candles, fees=0.0005)
    _assert_counts_are_ints(result.stats)
    for per in result.per_symbol.values():
        _assert_counts_are_ints(per.stats)
    _assert_counts_are_ints(combine(result.per_symbol).stats)
    assert result.stats["# Trades"] == len(result.positions)
    assert "# Trades     " in repr(result.stats) and ".0\n" not in repr(result.stats[["# Trades"]])
    summary = json.loads(json.dumps(result.to_dict()))["stats"]
    for name in stats_module.COUNT_STATS:
        assert type(summary[name]) is int, name
    assert json.dumps(result.to_dict()["stats"]["# Trades"]) == str(len(result.positions))


def test_count_stats_are_int64_columns_in_sweep_tables():
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}
    grid = {"volume_window": [10, 20], "num_bins": [5, 20]}
    for table in (
        vzb.sweep(candles, "volume_zone_breakout", grid),
        vzb.sweep(candles, "volume_long_candle", {"vol_ma_window": [5, 20]}),
    ):
        for name in stats_module.COUNT_STATS:
            assert table[name].dtype == np.int64, name
        assert table["Win Rate [%]"].dtype == np.float64
    alone = vzb.backtest(candles["ETH_USD"], params={"volume_window": 20, "num_bins": 5})
    table = vzb.sweep(candles, "volume_zone_breakout", grid)
    row = table[(table.symbol == "ETH_USD") & (table.volume_window == 20) & (table.num_bins == 5)]
    assert row["# Trades"].item() == alone.stats["# Trades"]
