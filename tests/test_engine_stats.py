"""Every stat of a backtest checked against an independent numpy/pandas computation.

The oracle below is written from the definitions in the docstring of
``vzb.engine.stats`` (not from the kernels): it takes the equity, the positions, the
signals and the candles of a result and recomputes every stat, then compares with
``result.stats`` to a relative tolerance of 1e-9. The set of stats compared must equal
the set of keys of ``result.stats``, so a new stat cannot slip in unchecked.

``test_engine_combine.py`` reuses the formulas here for multi-symbol results.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.engine import stats as stats_module
from vzb.engine.result import RESULT_SCHEMA_VERSION

# --------------------------------------------------------------------------- oracle

#: stats that count things (compared exactly)
COUNTS = ("Max. Drawdown Duration [bars]", "# Trades", "# Signals", "Signal Samples")


def bars_per_year(index: pd.DatetimeIndex) -> float:
    """365 days a year over the median bar spacing (365 for a single bar)."""
    if len(index) < 2:
        return 365.0
    spacing = pd.Series(index).diff().dropna().median()
    return 365.0 * 86_400.0 / spacing.total_seconds()


def calendar_days(index: pd.DatetimeIndex) -> float:
    return (index[-1] - index[0]).total_seconds() / 86_400.0 if len(index) > 1 else 0.0


def equity_stats(equity: np.ndarray, cash: float, index: pd.DatetimeIndex) -> dict:
    """The stats of the equity curve alone (definitions of vzb.engine.stats)."""
    equity = np.asarray(equity, dtype=float)
    n = len(equity)
    previous = np.concatenate([[cash], equity[:-1]])
    r = equity / previous - 1.0  # n returns, the first against the initial cash
    ann = math.sqrt(bars_per_year(index))
    std = float(np.std(r, ddof=1)) if n > 1 else math.nan
    mean = float(np.mean(r))
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    peak = np.maximum.accumulate(np.concatenate([[cash], equity]))[1:]
    drawdown = equity / peak - 1.0
    max_dd = float(drawdown.min())
    longest = run = 0
    for below in equity < peak:
        run = run + 1 if below else 0
        longest = max(longest, run)
    days = calendar_days(index)
    ratio = equity[-1] / cash
    cagr = ratio ** (365.25 / days) - 1.0 if days > 0 else math.nan
    return {
        "Start": index[0],
        "End": index[-1],
        "Duration": index[-1] - index[0],
        "Equity Final [$]": equity[-1],
        "Equity Peak [$]": max(cash, equity.max()),
        "Return [%]": 100.0 * (equity[-1] / cash - 1.0),
        "CAGR [%]": 100.0 * cagr,
        "Volatility (Ann.) [%]": 100.0 * std * ann,
        "Sharpe Ratio": mean / std * ann if std > 0 else math.nan,
        "Sortino Ratio": mean / downside * ann if downside > 0 else math.nan,
        "Calmar Ratio": cagr / abs(max_dd) if max_dd < 0 else math.nan,
        "Max. Drawdown [%]": 100.0 * max_dd,
        "Max. Drawdown Duration [bars]": longest,
    }


def trade_stats(positions: pd.DataFrame, fees: float) -> dict:
    """The stats of the positions (net PnL, returns recomputed from fills and fees)."""
    net = positions["net_pnl"].to_numpy(dtype=float)
    cost = (positions["quantity"] * positions["entry_price"] * (1.0 + fees)).to_numpy()
    returns = net / cost
    m = len(net)
    wins, losses = net[net > 0], net[net < 0]
    if m == 0:
        profit_factor = math.nan
    elif len(losses) == 0:
        profit_factor = math.inf if len(wins) else math.nan
    else:
        profit_factor = wins.sum() / abs(losses.sum())
    sqn = math.nan
    if m >= 2 and np.std(net, ddof=1) > 0:
        sqn = math.sqrt(m) * net.mean() / np.std(net, ddof=1)
    nan_if_empty = (lambda f: f()) if m else (lambda f: math.nan)
    return {
        "# Trades": m,
        "Win Rate [%]": nan_if_empty(lambda: 100.0 * len(wins) / m),
        "Best Trade [%]": nan_if_empty(lambda: 100.0 * returns.max()),
        "Worst Trade [%]": nan_if_empty(lambda: 100.0 * returns.min()),
        "Avg. Trade [%]": nan_if_empty(lambda: 100.0 * returns.mean()),
        "Profit Factor": profit_factor,
        "Expectancy [$]": nan_if_empty(lambda: net.mean()),
        "SQN": sqn,
        "Total Fees [$]": float((positions["entry_fee"] + positions["exit_fee"]).sum()),
    }


def signal_study(signals: np.ndarray, close: np.ndarray, hold: int) -> dict:
    """The per-signal study: each signal (not on the last bar) bought at its close and
    sold ``hold`` bars later (or at the last bar), no fees."""
    n = len(close)
    bars = [i for i in np.flatnonzero(signals) if i < n - 1]
    exits = [min(i + hold, n - 1) for i in bars]
    if not bars:
        return {
            "Signal Samples": 0,
            "Signal Win Rate [%]": math.nan,
            "Signal Avg. Return [%]": math.nan,
            "Signal Max. Drawdown [%]": math.nan,
            "Signal Avg. Bars Held": math.nan,
        }
    returns = np.array([close[j] / close[i] - 1.0 for i, j in zip(bars, exits, strict=True)])
    growth = np.cumprod(1.0 + returns)
    peak = np.maximum.accumulate(np.concatenate([[1.0], growth]))[1:]
    return {
        "Signal Samples": len(bars),
        "Signal Win Rate [%]": 100.0 * np.mean(returns > 0),
        "Signal Avg. Return [%]": 100.0 * returns.mean(),
        "Signal Max. Drawdown [%]": 100.0 * min(0.0, (growth / peak - 1.0).min()),
        "Signal Avg. Bars Held": float(np.mean(np.subtract(exits, bars))),
    }


def bars_held(positions: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """Bars from the entry bar up to (not including) the exit bar, from the timestamps."""
    return index.get_indexer(positions["exit_time"]) - index.get_indexer(positions["entry_time"])


def expected_stats(result, candles: pd.DataFrame) -> dict:
    """Every stat of a single-symbol result, recomputed from its equity and positions."""
    options = result.options
    cash = float(options["cash"])
    index = candles.index
    close = candles["close"].to_numpy(dtype=float)
    equity = result.equity.to_numpy()
    positions = result.positions
    signals = result.signals.to_numpy()
    hold = int(result.params.get("hold_period_bars", 1))
    return {
        **equity_stats(equity, cash, index),
        **trade_stats(positions, float(options["fees"])),
        "Buy & Hold Return [%]": 100.0 * (close[-1] / close[0] - 1.0),
        "Exposure Time [%]": 100.0 * bars_held(positions, index).sum() / len(index),
        "# Signals": int(signals.sum()),
        **signal_study(signals, close, hold),
    }


def assert_stats_match(stats: pd.Series, want: dict, rel: float = 1e-9) -> None:
    """Every key of ``stats`` equals ``want`` (and no other key exists)."""
    assert set(stats.index) == set(want), (
        f"stats not checked: {set(stats.index) - set(want)}; "
        f"missing from the stats: {set(want) - set(stats.index)}"
    )
    for key, value in want.items():
        got = stats[key]
        if key in COUNTS:
            assert got == value, (key, got, value)
            assert isinstance(got, int | np.integer), (key, type(got))
        elif isinstance(value, pd.Timestamp | pd.Timedelta):
            assert got == value, (key, got, value)
        elif math.isnan(value):
            assert math.isnan(float(got)), (key, got, value)
        elif math.isinf(value):
            assert float(got) == value, (key, got, value)
        else:
            assert math.isclose(float(got), value, rel_tol=rel, abs_tol=1e-9), (key, got, value)


# --------------------------------------------------------------------------- real data

BREAKOUT = "volume_zone_breakout"
LONG_CANDLE = "volume_long_candle"

CASES = [
    ("BTC_USD", "1d", BREAKOUT, {"hold_period_bars": 2}, {"fees": 0.0005}),
    (
        "ETH_USD",
        "1d",
        BREAKOUT,
        {"volume_window": 20, "hold_period_bars": 3},
        {"fees": 0.0025, "slippage": 0.001, "stop_loss": 0.03},
    ),
    (
        "BTC_USD",
        "1h",
        BREAKOUT,
        {"hold_period_bars": 2},
        {"fill": "close", "take_profit": 0.02, "size": 0.5},
    ),
    (
        "LTC_USD",
        "1d",
        LONG_CANDLE,
        {"vol_ma_window": 10, "vol_multiplier": 1.2, "body_pct": 0.01, "hold_period_bars": 5},
        {"fees": 0.001, "stop_loss": 0.05, "take_profit": 0.1, "cash": 12_345.0},
    ),
    (
        "BTC_USD",
        "1d",
        LONG_CANDLE,
        {"vol_multiplier": 1.0, "body_pct": 0.01},
        {"fill": "close", "slippage": 0.002, "size": 0.3},
    ),
    ("ETH_USD", "1d", BREAKOUT, {}, {}),
    (
        "BTC_USD",
        "1h",
        LONG_CANDLE,
        {"vol_multiplier": 1.2, "body_pct": 0.003, "hold_period_bars": 4},
        {"fees": 0.0025, "stop_loss": 0.01, "take_profit": 0.015, "cash": 5_000.0},
    ),
    (
        "LTC_USD",
        "1d",
        BREAKOUT,
        {"volume_window": 15, "num_bins": 12, "hold_period_bars": 7},
        {"fill": "close", "fees": 0.0005, "slippage": 0.0005, "stop_loss": 0.08, "size": 0.8},
    ),
]


@pytest.mark.parametrize(("symbol", "timeframe", "strategy", "params", "options"), CASES)
def test_every_stat_matches_independent_computation(symbol, timeframe, strategy, params, options):
    candles = vzb.load_sample(symbol, timeframe=timeframe)
    result = vzb.backtest(candles, strategy, params, **options)
    assert len(result.positions) > 5 and result.stats["# Signals"] > 5  # a real test
    assert_stats_match(result.stats, expected_stats(result, candles))
    # the drawdown series: equity over its running peak, the peak starting at the cash
    cash = float(result.options["cash"])
    equity = result.equity.to_numpy()
    peak = np.maximum.accumulate(np.concatenate([[cash], equity]))[1:]
    np.testing.assert_allclose(result.drawdown.to_numpy(), equity / peak - 1.0, rtol=1e-12)
    assert result.drawdown.index.equals(candles.index)
    assert result.equity.index.equals(candles.index)


def test_trades_on_real_data_exercise_every_branch():
    # the cases above must cover stops, take-profits, end of data, winners and losers
    reasons = set()
    for symbol, timeframe, strategy, params, options in CASES:
        candles = vzb.load_sample(symbol, timeframe=timeframe)
        reasons |= set(vzb.backtest(candles, strategy, params, **options).positions.exit_reason)
    assert reasons == {"hold", "stop_loss", "take_profit", "end_of_data"}


def plain(value):
    """A numpy scalar from a table as the Python number it holds."""
    return value.item() if hasattr(value, "item") else value


def test_sweep_rows_equal_single_backtests():
    """A sweep computes the same stats (by name) as one backtest per set and symbol."""
    candles = {"ETH_USD": vzb.load_sample("ETH_USD"), "LTC_USD": vzb.load_sample("LTC_USD")}
    options = {"fees": 0.001, "stop_loss": 0.04}
    grids = {
        # sets sharing one volume profile (several percentiles and buffers) and not
        BREAKOUT: {
            "volume_window": [8, 20],
            "top_percentile": [0.2, 0.4],
            "breakout_buffer": [0.0, 0.01],
            "hold_period_bars": [3],
        },
        # sets sharing one mean volume
        LONG_CANDLE: {
            "vol_ma_window": [5, 20],
            "vol_multiplier": [1.0, 1.5],
            "hold_period_bars": [2],
        },
    }
    for strategy, grid in grids.items():
        table = vzb.sweep(candles, strategy, grid, **options)
        assert len(table) == len(candles) * np.prod([len(v) for v in grid.values()])
        assert set(table["symbol"]) == set(candles)
        for _, row in table.iterrows():
            params = {k: plain(row[k]) for k in grid}
            frame = candles[row["symbol"]]
            result = vzb.backtest(frame, strategy, params, **options)
            want = expected_stats(result, frame)
            for key, value in want.items():
                if key in ("Start", "End", "Duration"):
                    continue
                assert key in row.index, key
                got = float(row[key])
                if math.isnan(value):
                    assert math.isnan(got), (strategy, params, key)
                else:
                    assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (strategy, params, key)


# --------------------------------------------------------------------------- known answers


def rising_candles(n: int, growth: float, spikes, start="2021-01-01", freq="1D"):
    """Each bar opens at the previous close and closes ``growth`` higher: a bullish
    1%-body candle with tiny wicks; volume 1 except 10 on ``spikes``."""
    close = 100.0 * growth ** np.arange(1, n + 1)
    open_ = np.concatenate([[100.0], close[:-1]])  # bit for bit: a fill at the open is
    # worth what the close before marked (``100 * g**i`` is not, by an ulp on some CPUs)
    volume = np.ones(n)
    volume[list(spikes)] = 10.0
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": open_,
            "high": close * 1.0001,
            "low": open_ * 0.9999,
            "close": close,
            "volume": volume,
        },
        index=index,
    )


# signals exactly on the volume spikes: volume >= 1.5 x the 5-bar mean (bar included)
SPIKE_PARAMS = {"vol_ma_window": 5, "vol_multiplier": 1.5, "body_pct": 0.005}


@pytest.mark.parametrize("fill", ["close", "next_open"])
@pytest.mark.parametrize("fees", [0.0, 0.001])
def test_rising_prices_known_answers(fill, fees):
    n, k, hold, g = 120, 10, 3, 1.01
    spikes = list(range(10, n - 10, k))  # 10, 20, ..., 100: 10 signals
    candles = rising_candles(n, g, spikes)
    params = {**SPIKE_PARAMS, "hold_period_bars": hold}
    result = vzb.backtest(candles, LONG_CANDLE, params, fill=fill, fees=fees, cash=1000.0)
    s = result.stats
    m = len(spikes)
    assert np.flatnonzero(result.signals.to_numpy()).tolist() == spikes
    per_trade = g**hold * (1 - fees) / (1 + fees)  # each trade's growth of the money
    assert s["# Trades"] == m and s["# Signals"] == m
    assert s["Return [%]"] == pytest.approx(100 * (per_trade**m - 1), rel=1e-9)
    assert s["Equity Final [$]"] == pytest.approx(1000 * per_trade**m, rel=1e-9)
    for key in ("Best Trade [%]", "Worst Trade [%]", "Avg. Trade [%]"):
        assert s[key] == pytest.approx(100 * (per_trade - 1), rel=1e-9), key
    assert s["Win Rate [%]"] == 100.0
    assert s["Profit Factor"] == math.inf
    assert s["Exposure Time [%]"] == pytest.approx(100 * m * hold / n, rel=1e-12)
    net = 1000 * per_trade ** np.arange(m) * (per_trade - 1)  # compounding
    assert s["Expectancy [$]"] == pytest.approx(net.mean(), rel=1e-9)
    assert s["SQN"] == pytest.approx(np.sqrt(m) * net.mean() / net.std(ddof=1), rel=1e-8)
    fees_paid = 1000 * per_trade ** np.arange(m) / (1 + fees) * fees * (1 + g**hold)
    assert s["Total Fees [$]"] == pytest.approx(fees_paid.sum(), rel=1e-9, abs=1e-12)
    if fees == 0:  # the equity never falls (a close fill may cost one rounding error)
        assert s["Max. Drawdown [%]"] == pytest.approx(0.0, abs=1e-9)
        assert math.isnan(s["Sortino Ratio"]) or s["Sortino Ratio"] > 1e6
    if fees == 0 and fill == "next_open":
        assert s["Max. Drawdown Duration [bars]"] == 0
        assert math.isnan(s["Calmar Ratio"]) and math.isnan(s["Sortino Ratio"])
    days = n - 1
    assert s["CAGR [%]"] == pytest.approx(100 * (per_trade ** (m * 365.25 / days) - 1), rel=1e-9)
    # the signal study: every signal gains g**hold - 1, no drawdown
    assert s["Signal Samples"] == m
    assert s["Signal Win Rate [%]"] == 100.0
    assert s["Signal Avg. Return [%]"] == pytest.approx(100 * (g**hold - 1), rel=1e-9)
    assert s["Signal Max. Drawdown [%]"] == 0.0
    assert s["Signal Avg. Bars Held"] == hold
    assert s["Buy & Hold Return [%]"] == pytest.approx(100 * (g ** (n - 1) - 1), rel=1e-9)
    assert_stats_match(s, expected_stats(result, candles))


def test_falling_prices_known_answers():
    # bullish 1% candles that gap down 3% at every open: a long position loses each bar
    n, hold = 60, 2
    spikes = [10, 20, 30, 40, 50]
    candles = rising_candles(n, 1.01, spikes)
    decline = 0.97 ** np.arange(n)
    for column in ("open", "high", "low", "close"):
        candles[column] = candles[column] / 1.01 ** np.arange(n) * decline
    result = vzb.backtest(candles, LONG_CANDLE, {**SPIKE_PARAMS, "hold_period_bars": hold})
    s = result.stats
    m = len(spikes)
    # next-open fills: buy open[s+1], sell open[s+1+hold] -> 0.97 ** hold
    per_trade = 0.97**hold
    assert s["# Trades"] == m
    assert s["Win Rate [%]"] == 0.0
    assert s["Profit Factor"] == 0.0
    assert s["Return [%]"] == pytest.approx(100 * (per_trade**m - 1), rel=1e-9)
    assert s["Best Trade [%]"] == pytest.approx(100 * (per_trade - 1), rel=1e-9)
    # the first entry bar (open 10 + 1) closes 1% above its fill: the peak is 1.01 x cash;
    # every later bar is below it, the last exit (at open 53) is the trough
    assert s["Max. Drawdown [%]"] == pytest.approx(100 * (per_trade**m / 1.01 - 1), rel=1e-9)
    assert s["Equity Peak [$]"] == pytest.approx(1.01e6, rel=1e-12)
    assert s["Max. Drawdown Duration [bars]"] == n - 12
    assert s["Buy & Hold Return [%]"] == pytest.approx(100 * (0.97 ** (n - 1) - 1), rel=1e-9)
    assert s["Signal Win Rate [%]"] == 0.0
    study = 0.97**hold  # close to close, both bars +1% intrabar
    assert s["Signal Avg. Return [%]"] == pytest.approx(100 * (study - 1), rel=1e-9)
    assert s["Signal Max. Drawdown [%]"] == pytest.approx(100 * (study**m - 1), rel=1e-9)
    assert s["Sortino Ratio"] < 0 and s["Sharpe Ratio"] < 0 and s["Calmar Ratio"] < 0
    assert_stats_match(s, expected_stats(result, candles))


def test_no_signal_gives_documented_nans_and_zeros():
    candles = vzb.load_sample("BTC_USD")
    result = vzb.backtest(candles, LONG_CANDLE, {"body_pct": 10.0}, fees=0.001)
    s = result.stats
    assert (result.equity == 1_000_000).all() and len(result.positions) == 0
    for key in (
        "Win Rate [%]",
        "Best Trade [%]",
        "Worst Trade [%]",
        "Avg. Trade [%]",
        "Profit Factor",
        "Expectancy [$]",
        "SQN",
        "Sharpe Ratio",
        "Sortino Ratio",
        "Calmar Ratio",
        "Signal Win Rate [%]",
        "Signal Avg. Return [%]",
        "Signal Max. Drawdown [%]",
        "Signal Avg. Bars Held",
    ):
        assert math.isnan(s[key]), key
    for key in (
        "Return [%]",
        "CAGR [%]",
        "Volatility (Ann.) [%]",
        "Max. Drawdown [%]",
        "Max. Drawdown Duration [bars]",
        "# Trades",
        "Exposure Time [%]",
        "Total Fees [$]",
        "# Signals",
        "Signal Samples",
    ):
        assert s[key] == 0, key
    assert s["Equity Final [$]"] == s["Equity Peak [$]"] == 1_000_000
    assert_stats_match(s, expected_stats(result, candles))
    assert json.loads(json.dumps(result.to_dict()))["stats"]["Profit Factor"] is None


def test_signals_on_the_last_bar_only():
    # one signal on the last bar: counted, never traded, not studied
    n = 30
    candles = rising_candles(n, 1.01, [n - 1])
    result = vzb.backtest(candles, LONG_CANDLE, SPIKE_PARAMS)
    s = result.stats
    assert s["# Signals"] == 1 and s["# Trades"] == 0 and s["Signal Samples"] == 0
    assert math.isnan(s["Signal Avg. Bars Held"])
    assert_stats_match(s, expected_stats(result, candles))


def test_signal_study_is_cut_at_the_last_bar():
    n, hold = 40, 10
    candles = rising_candles(n, 1.01, [10, 35])
    result = vzb.backtest(candles, LONG_CANDLE, {**SPIKE_PARAMS, "hold_period_bars": hold})
    s = result.stats
    assert s["Signal Samples"] == 2
    assert s["Signal Avg. Bars Held"] == (10 + (n - 1 - 35)) / 2
    close = candles["close"].to_numpy()
    want = (close[20] / close[10] + close[-1] / close[35]) / 2 - 1
    assert s["Signal Avg. Return [%]"] == pytest.approx(100 * want, rel=1e-12)
    # the second position (entry open[36]) ends at the last close
    assert result.positions["exit_reason"].tolist() == ["hold", "end_of_data"]
    assert_stats_match(s, expected_stats(result, candles))


def test_hourly_bars_annualise_with_365_times_24():
    candles = vzb.synthetic_candles(500, seed=11, timeframe="1h")
    params = {"vol_multiplier": 0.0, "body_pct": 0.002, "hold_period_bars": 3}
    result = vzb.backtest(candles, LONG_CANDLE, params)
    r = result.equity.to_numpy()
    r = r / np.concatenate([[1_000_000], r[:-1]]) - 1
    assert result.stats["Volatility (Ann.) [%]"] == pytest.approx(
        100 * r.std(ddof=1) * np.sqrt(365 * 24), rel=1e-9
    )
    assert result.stats["# Trades"] > 10
    assert_stats_match(result.stats, expected_stats(result, candles))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_very_short_series(n):
    candles = rising_candles(n, 1.01, [0])
    result = vzb.backtest(candles, LONG_CANDLE, {**SPIKE_PARAMS, "vol_multiplier": 0.0})
    s = result.stats
    if n == 1:
        assert math.isnan(s["CAGR [%]"]) and math.isnan(s["Volatility (Ann.) [%]"])
    assert_stats_match(s, expected_stats(result, candles))


def test_every_stat_is_documented():
    doc = stats_module.__doc__
    stats = vzb.backtest(vzb.load_sample("ETH_USD")).stats
    for name in stats.index:
        assert f"``{name}``" in doc, name


def test_a_gappy_index_annualises_with_the_median_spacing():
    # daily bars with a few missing days (and one 13-day hole, as in the bundled data)
    candles = vzb.load_sample("LTC_USD").drop(vzb.load_sample("LTC_USD").index[[50, 51, 300]])
    result = vzb.backtest(candles, BREAKOUT, {"hold_period_bars": 2}, fees=0.001)
    r = result.equity.to_numpy()
    r = r / np.concatenate([[1_000_000], r[:-1]]) - 1
    assert result.stats["Sharpe Ratio"] == pytest.approx(
        r.mean() / r.std(ddof=1) * np.sqrt(365), rel=1e-9
    )
    assert_stats_match(result.stats, expected_stats(result, candles))


def test_result_metadata_and_to_dict_are_json_safe():
    candles = vzb.load_sample("BTC_USD")
    result = vzb.backtest(candles, params={"volume_window": 12}, fees=0.0005)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["volume_window"] == 12
    assert d["options"]["fees"] == 0.0005
    assert d["symbols"] == ["BTC_USD"] and d["version"] == RESULT_SCHEMA_VERSION
    assert d["fingerprint"] == vzb.backtest(candles).fingerprint
    assert d["total_signals"] == int(result.signals.sum()) == result.stats["# Signals"]
    assert d["n_positions"] == len(result.positions) == result.stats["# Trades"]
    for name in COUNTS:
        assert type(d["stats"][name]) is int, name
    assert d["stats"]["Return [%]"] == pytest.approx(result.stats["Return [%]"], rel=1e-15)
    assert len(result.run_id) == 32 and result.execution_time > 0
    assert result.vzb_version == vzb.__version__
    assert result.indicators["resistance"].index.equals(candles.index)


def test_count_stats_are_int64_columns_in_sweep_tables():
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}
    for table in (
        vzb.sweep(candles, BREAKOUT, {"volume_window": [10, 20], "num_bins": [5, 20]}),
        vzb.sweep(candles, LONG_CANDLE, {"vol_ma_window": [5, 20]}),
    ):
        for name in COUNTS:
            assert table[name].dtype == np.int64, name
        assert table["Win Rate [%]"].dtype == np.float64


def test_plot_draws_three_panels():
    """Price, equity and drawdown: interactive by default, static with the matplotlib
    backend (the widgets' figure tests check the panels' content)."""
    import matplotlib
    import plotly.graph_objects as go

    matplotlib.use("Agg")
    result = vzb.backtest(vzb.load_sample("ETH_USD"))
    fig = result.plot()
    assert isinstance(fig, go.Figure)
    assert sorted(k for k in fig.layout.to_plotly_json() if k.startswith("yaxis")) == [
        "yaxis",
        "yaxis2",
        "yaxis3",
    ]
    assert len(result.plot(backend="matplotlib").axes) == 3


def test_a_flat_trade_and_a_flat_signal_are_neither_wins_nor_losses():
    # long candles (signals) on bars 1, 5 and 9; next-open fills, hold 2 bars:
    # open 100 -> open 100 (flat), 100 -> 110 (win), 100 -> 90 (loss)
    bars = [
        (100, 99.5),
        (100, 102),  # signal; close[3] == close[1]: a flat signal
        (100, 99.5),
        (103, 102),
        (100, 99.5),
        (100, 103),  # signal
        (100, 99.8),
        (105, 104),
        (110, 109),
        (100, 102),  # signal
        (100, 99),
        (95, 94),
        (90, 89.5),
        (90, 89.5),
    ]
    open_, close = (np.array(col, dtype=float) for col in zip(*bars, strict=True))
    candles = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.001,
            "low": np.minimum(open_, close) * 0.999,
            "close": close,
            "volume": np.ones(len(bars)),
        },
        index=pd.date_range("2022-03-01", periods=len(bars), freq="1D", tz="UTC"),
    )
    params = {"vol_ma_window": 1, "vol_multiplier": 0.0, "body_pct": 0.01, "hold_period_bars": 2}
    result = vzb.backtest(candles, LONG_CANDLE, params)
    s = result.stats
    assert np.flatnonzero(result.signals.to_numpy()).tolist() == [1, 5, 9]
    assert result.positions["net_pnl"].tolist() == pytest.approx([0.0, 1e5, -1.1e5], abs=1e-6)
    assert result.positions["net_pnl"].iloc[0] == 0.0
    assert s["Win Rate [%]"] == pytest.approx(100 / 3, rel=1e-12)
    assert s["Profit Factor"] == pytest.approx(1 / 1.1, rel=1e-12)
    assert s["Expectancy [$]"] == pytest.approx(-1e4 / 3, rel=1e-9)
    assert s["Signal Win Rate [%]"] == pytest.approx(100 / 3, rel=1e-12)
    assert s["Best Trade [%]"] == pytest.approx(10.0, rel=1e-12)
    assert s["Worst Trade [%]"] == pytest.approx(-10.0, rel=1e-12)
    assert s["Exposure Time [%]"] == pytest.approx(100 * 6 / 14, rel=1e-12)
    assert_stats_match(s, expected_stats(result, candles))


def one_candle_window(high):
    """Bar 0 spans 3.9 .. 50.8; with ``volume_window=1, num_bins=5, top_percentile=0.2``
    bar 1's resistance is the top bin's lower edge, 3.9 + 4 * 9.38 = 41.42 (the top
    edge being the window's high itself, not lo + 5 * width)."""
    return pd.DataFrame(
        {
            "open": [10.0, 35.0, 36.0],
            "high": [50.8, high, 37.0],
            "low": [3.9, 34.0, 35.0],
            "close": [40.0, 36.0, 36.5],
            "volume": [1.0, 1.0, 1.0],
        },
        index=pd.date_range("2022-01-01", periods=3, freq="1D", tz="UTC"),
    )


EDGE = 3.9 + 4 * ((50.8 - 3.9) / 5)  # the resistance, computed as the kernels do


@pytest.mark.parametrize(("high", "signal"), [(41.3, False), (41.5, True), (EDGE, True)])
def test_breakout_resistance_of_a_one_candle_window(high, signal):
    candles = one_candle_window(high)
    params = {"volume_window": 1, "num_bins": 5, "top_percentile": 0.2, "hold_period_bars": 1}
    result = vzb.backtest(candles, BREAKOUT, params)
    assert result.signals.tolist()[:2] == [False, signal]
    # a sweep (sets sharing one profile) finds the same signals, ties included
    grid = {"volume_window": [1], "num_bins": [5], "top_percentile": [0.2, 0.9]}
    grid["breakout_buffer"] = [0.0, 0.001]
    table = vzb.sweep(candles, BREAKOUT, grid)
    for _, row in table.iterrows():
        params = {k: plain(row[k]) for k in grid}
        alone = vzb.backtest(candles, BREAKOUT, params)
        assert row["# Signals"] == alone.stats["# Signals"] == int(alone.signals.sum()), params
    row = table[(table.top_percentile == 0.2) & (table.breakout_buffer == 0.0)]
    assert row["# Signals"].item() == result.stats["# Signals"]


def test_breakout_zero_span_candle_on_a_bin_edge():
    # window (2 bars): a candle spanning 64.1 .. 67.0 (volume 1, half in each of 2 bins)
    # and a flat candle at 65.55, exactly the middle edge (volume 9): it belongs to the
    # upper bin [65.55, 67.0], so 95% of the volume is there and the resistance is 65.55;
    # bar 2 (high 65) does not break it
    candles = pd.DataFrame(
        {
            "open": [65.0, 65.55, 64.5],
            "high": [67.0, 65.55, 65.0],
            "low": [64.1, 65.55, 64.0],
            "close": [66.0, 65.55, 64.8],
            "volume": [1.0, 9.0, 1.0],
        },
        index=pd.date_range("2022-01-01", periods=3, freq="1D", tz="UTC"),
    )
    assert 64.1 + 1 * ((67.0 - 64.1) / 2) == 65.55
    params = {"volume_window": 2, "num_bins": 2, "top_percentile": 0.5}
    result = vzb.backtest(candles, BREAKOUT, params)
    assert result.signals.tolist() == [False, False, False]
    candles.loc[candles.index[2], "high"] = 65.55  # reaching the edge is a breakout
    assert vzb.backtest(candles, BREAKOUT, params).signals.tolist() == [False, False, True]
