"""Multi-symbol results (``vzb.engine.portfolio``) against an independent computation.

As documented in ``combine``'s docstring: each symbol's result is a sleeve rescaled to
start with ``cash / len(results)``; the combined equity is the sum of the sleeves on the
union of the bar times (a sleeve holds its starting cash before its first bar and its last
equity after its last bar); positions are concatenated in entry order with quantities,
fees and PnL rescaled; stats are those of the combined equity and positions, except Buy &
Hold (the mean of the symbols'), Exposure (the share of the union's bars with any
position open) and the signal study (pooled: samples summed, rates and averages weighted
by samples, max drawdown the worst symbol's).

The symbols here have different date ranges, so the union index matters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_engine_stats import (
    SPIKE_PARAMS,
    assert_stats_match,
    bars_held,
    equity_stats,
    expected_stats,
    rising_candles,
    signal_study,
    trade_stats,
)

import vzb
from vzb.engine import chain, combine

SCALED = ("quantity", "entry_fee", "exit_fee", "gross_pnl", "net_pnl")


def sleeve(result, share: float, index: pd.DatetimeIndex) -> np.ndarray:
    """One symbol's equity, rescaled to start at ``share``, at every time of ``index``:
    the last equity at or before the time, ``share`` before the first bar."""
    own = result.equity
    values = own.to_numpy() * share / float(result.options["cash"])
    at = np.searchsorted(own.index.asi8, index.asi8, side="right") - 1
    return np.where(at >= 0, values[np.maximum(at, 0)], share)


def expected_positions(per: dict, share: float) -> pd.DataFrame:
    frames = []
    for symbol, result in per.items():
        frame = result.positions.copy()
        factor = share / float(result.options["cash"])
        for column in SCALED:
            frame[column] = frame[column] * factor
        frame["symbol"] = symbol
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def pooled_study(per: dict, candles: dict) -> dict:
    studies = []
    for symbol, result in per.items():
        hold = int(result.params.get("hold_period_bars", 1))
        close = candles[symbol]["close"].to_numpy(dtype=float)
        studies.append(signal_study(result.signals.to_numpy(), close, hold))
    samples = np.array([s["Signal Samples"] for s in studies], dtype=float)
    total = int(samples.sum())
    out = {"Signal Samples": total}
    for key in ("Signal Win Rate [%]", "Signal Avg. Return [%]", "Signal Avg. Bars Held"):
        out[key] = (
            sum(s[key] * k for s, k in zip(studies, samples, strict=True) if k > 0) / total
            if total
            else math.nan
        )
    worst = [s["Signal Max. Drawdown [%]"] for s in studies if s["Signal Samples"] > 0]
    out["Signal Max. Drawdown [%]"] = min(worst) if worst else math.nan
    return out


def expected_combined(per: dict, candles: dict, cash: float | None = None):
    """(equity Series, positions DataFrame, stats dict) of combining ``per``."""
    first = next(iter(per.values()))
    total = float(first.options["cash"]) if cash is None else float(cash)
    share = total / len(per)
    index = pd.DatetimeIndex(sorted(set().union(*(r.equity.index for r in per.values()))))
    equity = sum(sleeve(r, share, index) for r in per.values())
    positions = expected_positions(per, share)
    # exposure: bars of the union with any position open (entry bar up to, not
    # including, the exit bar), counted on timestamps
    exposed = np.zeros(len(index), dtype=bool)
    for p in positions.itertuples(index=False):
        exposed |= (index >= p.entry_time) & (index < p.exit_time)
    buy_hold = [100.0 * (c["close"].iloc[-1] / c["close"].iloc[0] - 1.0) for c in candles.values()]
    stats = {
        **equity_stats(equity, total, index),
        **trade_stats(positions, float(first.options["fees"])),
        "Buy & Hold Return [%]": float(np.mean(buy_hold)),
        "Exposure Time [%]": 100.0 * exposed.mean(),
        "# Signals": int(sum(int(r.signals.sum()) for r in per.values())),
        **pooled_study(per, candles),
    }
    return pd.Series(equity, index=index), positions, stats


def assert_combined_matches(combined, per: dict, candles: dict, cash: float | None = None):
    equity, positions, stats = expected_combined(per, candles, cash)
    assert combined.equity.index.equals(equity.index)
    np.testing.assert_allclose(combined.equity.to_numpy(), equity.to_numpy(), rtol=1e-12)
    got = combined.positions
    # in entry order
    assert got["entry_time"].is_monotonic_increasing
    assert len(got) == len(positions)
    order = ["entry_time", "symbol", "exit_time"]
    got = got.sort_values(order, kind="stable").reset_index(drop=True)
    want = positions.sort_values(order, kind="stable").reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        if want[column].dtype.kind == "f":
            np.testing.assert_allclose(got[column], want[column], rtol=1e-12, err_msg=column)
        else:
            assert got[column].tolist() == want[column].tolist(), column
    assert_stats_match(combined.stats, stats)
    # drawdown from the combined cash
    total = float(combined.options["cash"])
    assert total == (float(next(iter(per.values())).options["cash"]) if cash is None else cash)
    values = combined.equity.to_numpy()
    peak = np.maximum.accumulate(np.concatenate([[total], values]))[1:]
    np.testing.assert_allclose(combined.drawdown.to_numpy(), values / peak - 1, rtol=1e-12)
    # signals: one bool column per symbol on the union index
    assert list(combined.signals.columns) == list(per)
    assert combined.signals.index.equals(equity.index)
    for symbol, result in per.items():
        column = combined.signals[symbol]
        assert column.dtype == bool
        assert column[result.signals.index].tolist() == result.signals.tolist()
        assert int(column.sum()) == int(result.signals.sum())
    assert combined.symbols == list(per)
    assert combined.total_signals == stats["# Signals"]


def sample(symbol, start=None, end=None):
    candles = vzb.load_sample(symbol)
    return candles.loc[start:end]


def test_btc_and_ltc_daily_with_different_ranges():
    candles = {"BTC_USD": sample("BTC_USD"), "LTC_USD": sample("LTC_USD")}
    params = {"hold_period_bars": 2}
    result = vzb.backtest(candles, "volume_zone_breakout", params, fees=0.001)
    per = result.per_symbol
    assert list(per) == ["BTC_USD", "LTC_USD"]
    # each symbol is run alone with the full cash
    for symbol, frame in candles.items():
        alone = vzb.backtest(frame, "volume_zone_breakout", params, fees=0.001)
        assert per[symbol].stats.equals(alone.stats)
        assert_stats_match(per[symbol].stats, expected_stats(per[symbol], frame))
    # the union index is BTC's (longer); LTC's sleeve holds its cash before its first bar
    assert result.equity.index.equals(candles["BTC_USD"].index)
    before = result.equity.index < candles["LTC_USD"].index[0]
    np.testing.assert_allclose(
        result.equity[before], per["BTC_USD"].equity[before] / 2 + 500_000, rtol=1e-12
    )
    assert_combined_matches(result, per, candles)
    # the known regressions: signal max drawdown is the worst symbol's, exposure x 100
    dds = [r.stats["Signal Max. Drawdown [%]"] for r in per.values()]
    assert dds[0] != dds[1]
    assert result.stats["Signal Max. Drawdown [%]"] == min(dds)
    assert 0 < result.stats["Exposure Time [%]"] <= 100
    assert result.stats["Exposure Time [%]"] >= max(
        r.stats["Exposure Time [%]"] * len(r.equity) / len(result.equity) for r in per.values()
    )


def test_three_slices_long_candle_with_stops_and_cash():
    candles = {
        "ETH_USD": sample("ETH_USD", end="2019-03-01"),
        "BTC_USD": sample("BTC_USD", "2018-01-01", "2019-06-30"),
        "LTC_USD": sample("LTC_USD", "2018-09-01"),
    }
    params = {"vol_multiplier": 1.0, "body_pct": 0.02, "hold_period_bars": 3}
    options = {"fees": 0.0025, "slippage": 0.001, "stop_loss": 0.04, "take_profit": 0.07}
    result = vzb.backtest(candles, "volume_long_candle", params, cash=100_000.0, **options)
    # the union starts with ETH's first bar and ends with LTC's last
    assert result.equity.index[0] == candles["ETH_USD"].index[0]
    assert result.equity.index[-1] == candles["LTC_USD"].index[-1]
    assert len(result.equity) > max(len(c) for c in candles.values())
    assert_combined_matches(result, result.per_symbol, candles)
    assert result.stats["# Trades"] == sum(len(r.positions) for r in result.per_symbol.values())


def test_combine_rescales_results_run_with_different_cash():
    btc, eth = sample("BTC_USD", "2017-01-01"), sample("ETH_USD")
    params = {"hold_period_bars": 3}
    per = {
        "BTC_USD": vzb.backtest(btc, "volume_zone_breakout", params, fees=0.0005),
        "ETH_USD": vzb.backtest(eth, "volume_zone_breakout", params, fees=0.0005, cash=5_000.0),
    }
    candles = {"BTC_USD": btc, "ETH_USD": eth}
    assert_combined_matches(combine(per), per, candles)  # the first result's cash
    assert combine(per).options["cash"] == 1_000_000
    combined = combine(per, cash=20_000.0)
    assert combined.equity.iloc[0] == pytest.approx(
        10_000 + per["BTC_USD"].equity.iloc[0] / 100, rel=1e-12
    )
    assert_combined_matches(combined, per, candles, cash=20_000.0)
    # the engine is linear in cash: a sleeve equals the symbol run with its share
    share = vzb.backtest(eth, "volume_zone_breakout", params, fees=0.0005, cash=10_000.0)
    eth_rows = combined.positions[combined.positions.symbol == "ETH_USD"].reset_index(drop=True)
    np.testing.assert_allclose(eth_rows["net_pnl"], share.positions["net_pnl"], rtol=1e-9)


def test_a_symbol_without_signals_is_left_out_of_the_pooled_study():
    btc, ltc = sample("BTC_USD", "2018-01-01"), sample("LTC_USD")
    per = {
        "LTC_USD": vzb.backtest(ltc, "volume_long_candle", {"body_pct": 10.0}),
        "BTC_USD": vzb.backtest(btc, "volume_zone_breakout", {"hold_period_bars": 4}),
    }
    assert per["LTC_USD"].stats["Signal Samples"] == 0
    assert math.isnan(per["LTC_USD"].stats["Signal Max. Drawdown [%]"])
    combined = combine(per)
    assert_combined_matches(combined, per, {"LTC_USD": ltc, "BTC_USD": btc})
    for key in (
        "Signal Samples",
        "Signal Win Rate [%]",
        "Signal Avg. Return [%]",
        "Signal Max. Drawdown [%]",
        "Signal Avg. Bars Held",
    ):
        assert combined.stats[key] == pytest.approx(per["BTC_USD"].stats[key], rel=1e-12), key


def test_no_signals_anywhere():
    candles = {"BTC_USD": sample("BTC_USD", "2019-01-01"), "ETH_USD": sample("ETH_USD")}
    result = vzb.backtest(candles, "volume_long_candle", {"body_pct": 10.0}, fees=0.001)
    s = result.stats
    assert s["Signal Samples"] == 0 and s["# Trades"] == 0 and s["# Signals"] == 0
    assert s["Exposure Time [%]"] == 0 and s["Total Fees [$]"] == 0
    assert (result.equity == 1_000_000).all()
    assert_combined_matches(result, result.per_symbol, candles)


def test_one_symbol_combined_is_the_symbol():
    candles = {"ETH_USD": sample("ETH_USD")}
    result = vzb.backtest(candles, "volume_zone_breakout", {"hold_period_bars": 2}, fees=0.001)
    alone = result.per_symbol["ETH_USD"]
    pd.testing.assert_series_equal(result.equity, alone.equity, rtol=1e-14)
    for key in alone.stats.index:
        a, b = result.stats[key], alone.stats[key]
        if isinstance(a, float) and math.isnan(a):
            assert math.isnan(b), key
        elif isinstance(a, float):
            assert a == pytest.approx(b, rel=1e-12), key
        else:
            assert a == b, key
    assert_combined_matches(result, result.per_symbol, candles)


def test_known_answers_for_two_rising_symbols_with_different_ranges():
    # A: days 0..59, signals on bars 10, 20, 30, 40; B: days 30..89, signals on its bars
    # 2, 15, 25 (days 32, 45, 55). Every bar rises 1%; next-open fills, hold 3 bars.
    g, hold = 1.01, 3
    a = rising_candles(60, g, [10, 20, 30, 40], start="2021-01-01")
    b = rising_candles(60, g, [2, 15, 25], start="2021-01-31")
    candles = {"A": a, "B": b}
    result = vzb.backtest(
        candles, "volume_long_candle", {**SPIKE_PARAMS, "hold_period_bars": hold}, cash=1000.0
    )
    s = result.stats
    assert len(result.equity) == 90
    assert result.positions["symbol"].tolist() == ["A", "A", "A", "B", "A", "B", "B"]
    final = 500 * g ** (hold * 4) + 500 * g ** (hold * 3)
    assert s["Equity Final [$]"] == pytest.approx(final, rel=1e-12)
    assert s["Return [%]"] == pytest.approx(100 * (final / 1000 - 1), rel=1e-10)
    assert s["# Trades"] == 7 and s["# Signals"] == 7
    assert s["Win Rate [%]"] == 100 and s["Profit Factor"] == math.inf
    assert s["Avg. Trade [%]"] == pytest.approx(100 * (g**hold - 1), rel=1e-10)
    # A is open on days 11-13, 21-23, 31-33, 41-43; B on 33-35, 46-48, 56-58: 20 days
    assert s["Exposure Time [%]"] == pytest.approx(100 * 20 / 90, rel=1e-12)
    assert s["Buy & Hold Return [%]"] == pytest.approx(100 * (g**59 - 1), rel=1e-10)
    assert s["Max. Drawdown [%]"] == pytest.approx(0.0, abs=1e-9)
    assert s["Signal Samples"] == 7 and s["Signal Win Rate [%]"] == 100
    assert s["Signal Avg. Return [%]"] == pytest.approx(100 * (g**hold - 1), rel=1e-10)
    assert s["Signal Avg. Bars Held"] == hold
    assert s["Signal Max. Drawdown [%]"] == 0
    assert s["CAGR [%]"] == pytest.approx(100 * ((final / 1000) ** (365.25 / 89) - 1), rel=1e-10)
    assert_combined_matches(result, result.per_symbol, candles)


def test_pooled_signal_study_weights_by_samples():
    # A: 4 signals each +g**3; B: falling, 2 signals each 0.97**2: the pooled averages
    # are weighted 4:2 and the drawdown is B's
    a = rising_candles(60, 1.01, [10, 20, 30, 40])
    b = rising_candles(40, 1.01, [10, 25], start="2021-01-15")
    steps = np.arange(40)
    for column in ("open", "high", "low", "close"):
        b[column] = b[column] / 1.01**steps * 0.97**steps
    candles = {"A": a, "B": b}
    result = vzb.backtest(candles, "volume_long_candle", {**SPIKE_PARAMS, "hold_period_bars": 2})
    s = result.stats
    up, down = 1.01**2 - 1, 0.97**2 - 1
    assert s["Signal Samples"] == 6
    assert s["Signal Win Rate [%]"] == pytest.approx(100 * 4 / 6, rel=1e-12)
    assert s["Signal Avg. Return [%]"] == pytest.approx(100 * (4 * up + 2 * down) / 6, rel=1e-10)
    assert s["Signal Max. Drawdown [%]"] == pytest.approx(100 * ((1 + down) ** 2 - 1), rel=1e-10)
    assert s["Win Rate [%]"] == pytest.approx(100 * 4 / 6, rel=1e-12)
    assert_combined_matches(result, result.per_symbol, candles)


def test_chain_of_consecutive_periods():
    """``chain``: periods run one after another (each starting flat with the cash the one
    before ended with) -> the curves end to end; stats of that equity from the first
    cash, except Buy & Hold (the periods' compounded), Exposure (bars held over all
    bars) and the signal study (pooled as combine pools symbols)."""
    candles = sample("LTC_USD")
    parts = {0: candles.iloc[:300], 1: candles.iloc[300:620], 2: candles.iloc[620:]}
    params = {"vol_multiplier": 1.0, "body_pct": 0.02, "hold_period_bars": 4}
    options = {"fees": 0.001, "slippage": 0.0005, "stop_loss": 0.05}
    results, cash = {}, 50_000.0
    for k, part in parts.items():
        results[k] = vzb.backtest(part, "volume_long_candle", params, cash=cash, **options)
        cash = float(results[k].equity.iloc[-1])
    chained = chain(list(results.values()))
    equity = np.concatenate([r.equity.to_numpy() for r in results.values()])
    np.testing.assert_allclose(chained.equity.to_numpy(), equity, rtol=1e-15)
    assert chained.equity.index.equals(candles.index)
    positions = pd.concat([r.positions for r in results.values()], ignore_index=True)
    pd.testing.assert_frame_equal(chained.positions.reset_index(drop=True), positions)
    held = sum(bars_held(r.positions, parts[k].index).sum() for k, r in results.items())
    growth = [p["close"].iloc[-1] / p["close"].iloc[0] for p in parts.values()]
    want = {
        **equity_stats(equity, 50_000.0, candles.index),
        **trade_stats(positions, options["fees"]),
        "Buy & Hold Return [%]": 100.0 * (np.prod(growth) - 1.0),
        "Exposure Time [%]": 100.0 * held / len(candles),
        "# Signals": int(sum(int(r.signals.sum()) for r in results.values())),
        **pooled_study(results, parts),
    }
    assert_stats_match(chained.stats, want)
    assert len(positions) > 10 and want["Signal Samples"] > 10
    assert chained.total_signals == want["# Signals"]


def test_exposure_counts_a_position_on_bars_its_symbol_lacks():
    """A is missing three days inside its position, B has them: the combined Exposure
    counts those days (by time), as the combined equity holds the position there."""
    idx = pd.date_range("2021-01-01", periods=10, freq="1D", tz="UTC")
    o = np.full(10, 100.0)
    c = np.full(10, 99.5)
    c[1] = 102
    a = pd.DataFrame(
        dict(
            open=o,
            high=np.maximum(o, c) * 1.001,
            low=np.minimum(o, c) * 0.999,
            close=c,
            volume=np.ones(10),
        ),
        index=idx,
    )
    b = a.assign(close=99.5)
    a = a.drop(idx[[3, 4, 5]])
    params = dict(vol_ma_window=1, vol_multiplier=0.0, body_pct=0.01, hold_period_bars=3)
    result = vzb.backtest({"A": a, "B": b}, "volume_long_candle", params)
    assert result.stats["Exposure Time [%]"] == pytest.approx(60.0)
    assert_combined_matches(result, result.per_symbol, {"A": a, "B": b})
