"""Backtest accounting against a slow plain-Python simulator and hand-computed cases.

``simulate`` below follows the rules written in the docstring of ``vzb.engine.backtesting``
one bar at a time (fills, fees, slippage, quantity, stops with gaps, exit precedence, end
of data, a signal on the last bar). It is compared field by field with
``result.positions`` and ``result.equity`` on bundled candles and on generated candles
(hypothesis). Hand-made cases spell out the expected numbers.

Signals are placed through the built-in ``volume_long_candle`` strategy with
``vol_ma_window=1, vol_multiplier=0, body_pct=0.01``: a bar signals exactly when it is a
bullish candle with a body of at least 1% and wicks under 2% of its open.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_stats import assert_stats_match, expected_stats

import vzb
from vzb.engine import backtest, validate_options
from vzb.errors import ParameterError

FLAG = "volume_long_candle"
FLAG_PARAMS = {"vol_ma_window": 1, "vol_multiplier": 0.0, "body_pct": 0.01}

POSITION_FIELDS = (
    "symbol",
    "signal_time",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "quantity",
    "entry_fee",
    "exit_fee",
    "gross_pnl",
    "net_pnl",
    "return",
    "bars_held",
    "exit_reason",
)

# --------------------------------------------------------------------------- simulator


def simulate(
    candles,
    signals,
    hold,
    *,
    fill="next_open",
    fees=0.0,
    slippage=0.0,
    cash=1_000_000.0,
    size=1.0,
    stop_loss=None,
    take_profit=None,
):
    """Positions (list of dicts, bar numbers) and equity per bar, one bar at a time."""
    o, h, lo, c = (candles[k].tolist() for k in ("open", "high", "low", "close"))
    signals = [bool(s) for s in signals]
    n = len(c)
    money = float(cash)  # cash not in the position
    position = None  # dict while a position is open
    positions, equity = [], []

    def enter(signal_bar, bar, price):
        nonlocal money, position
        fill_price = price * (1 + slippage)
        quantity = size * money / (fill_price * (1 + fees))
        money -= quantity * fill_price * (1 + fees)
        position = {
            "signal_bar": signal_bar,
            "entry_bar": bar,
            "entry_price": fill_price,
            "quantity": quantity,
            "entry_fee": quantity * fill_price * fees,
            "due": bar + hold,
            # stops are watched from the entry bar (entry at its open) or the bar after
            # it (entry at the close)
            "watch_from": bar if fill == "next_open" else bar + 1,
            "stop": None if stop_loss is None else fill_price * (1 - stop_loss),
            "target": None if take_profit is None else fill_price * (1 + take_profit),
        }

    def leave(bar, price, reason):
        nonlocal money, position
        p = position
        q, entry = p["quantity"], p["entry_price"]
        fill_price = price * (1 - slippage)
        money += q * fill_price * (1 - fees)
        net = q * fill_price * (1 - fees) - q * entry * (1 + fees)
        p.update(
            exit_bar=bar,
            exit_price=fill_price,
            exit_fee=q * fill_price * fees,
            gross_pnl=q * (fill_price - entry),
            net_pnl=net,
            ret=net / (q * entry * (1 + fees)),
            exit_reason=reason,
        )
        positions.append(p)
        position = None

    for t in range(n):
        if fill == "next_open":
            # at the open: the exit due now first, then the previous bar's signal
            if position is not None and t == position["due"]:
                leave(t, o[t], "hold")
            if position is None and t >= 1 and signals[t - 1]:
                enter(t - 1, t, o[t])
        if position is not None and t >= position["watch_from"]:
            stop, target = position["stop"], position["target"]
            if stop is not None and lo[t] <= stop:  # the stop wins a tie with the target
                leave(t, o[t] if o[t] <= stop else stop, "stop_loss")
            elif target is not None and h[t] >= target:
                leave(t, o[t] if o[t] >= target else target, "take_profit")
        if position is not None and fill == "close" and t == position["due"]:
            leave(t, c[t], "hold")
        if position is not None and t == n - 1:
            leave(t, c[t], "end_of_data")
        if fill == "close" and position is None and signals[t] and t < n - 1:
            enter(t, t, c[t])
        held = 0.0 if position is None else position["quantity"] * c[t]
        equity.append(money + held)
    return positions, np.array(equity)


def assert_matches_simulator(result, candles, symbol=None, **options):
    """result.positions / result.equity equal the simulator, field by field."""
    hold = int(result.params.get("hold_period_bars", 1))
    want, equity = simulate(candles, result.signals.to_numpy(), hold, **options)
    got = result.positions
    index = candles.index
    assert list(got.columns) == list(POSITION_FIELDS)
    assert len(got) == len(want), (len(got), len(want))
    if want:
        bar = {k: np.array([p[k] for p in want]) for k in want[0]}
        if symbol is not None:
            assert (got["symbol"] == symbol).all()
        for column, key in (("signal_time", "signal_bar"), ("entry_time", "entry_bar")):
            assert got[column].tolist() == list(index[bar[key]]), column
        assert got["exit_time"].tolist() == list(index[bar["exit_bar"]])
        assert got["exit_reason"].tolist() == list(bar["exit_reason"])
        assert got["bars_held"].tolist() == list(bar["exit_bar"] - bar["entry_bar"])
        for column, key in (
            ("entry_price", "entry_price"),
            ("exit_price", "exit_price"),
            ("quantity", "quantity"),
            ("entry_fee", "entry_fee"),
            ("exit_fee", "exit_fee"),
            ("net_pnl", "net_pnl"),
            ("return", "ret"),
        ):
            np.testing.assert_allclose(got[column], bar[key], rtol=1e-9, atol=0, err_msg=column)
        # gross PnL can be near 0: compare against the size of the position
        notional = bar["quantity"] * bar["entry_price"]
        np.testing.assert_allclose(
            got["gross_pnl"] / notional, bar["gross_pnl"] / notional, rtol=0, atol=1e-12
        )
    np.testing.assert_allclose(result.equity.to_numpy(), equity, rtol=1e-9, atol=0)
    assert result.equity.index.equals(index)
    # the books balance: final equity = cash + every net PnL
    cash = options.get("cash", 1_000_000.0)
    assert result.equity.iloc[-1] == pytest.approx(cash + got["net_pnl"].sum(), rel=1e-9)


# --------------------------------------------------------------------------- hand-made


def make_candles(open, close, high=None, low=None):
    open = np.asarray(open, dtype=float)
    close = np.asarray(close, dtype=float)
    high = np.maximum(open, close) * 1.001 if high is None else np.asarray(high, dtype=float)
    low = np.minimum(open, close) * 0.999 if low is None else np.asarray(low, dtype=float)
    index = pd.date_range("2021-01-01", periods=len(open), freq="1D", tz="UTC", name="timestamp")
    frame = pd.DataFrame(
        {"open": open, "high": high, "low": low, "close": close, "volume": np.ones(len(open))},
        index=index,
    )
    frame.attrs["symbol"] = "TEST"
    return frame


def run(candles, signal_bars, hold=1, **options):
    """Backtest with signals exactly on ``signal_bars`` (checked)."""
    result = backtest(candles, FLAG, {**FLAG_PARAMS, "hold_period_bars": hold}, **options)
    assert np.flatnonzero(result.signals.to_numpy()).tolist() == list(signal_bars)
    return result


def test_hand_case_next_open_fill_with_fees():
    # 5 candles; one signal on bar 1 (bullish, 4% body); every other bar is bearish
    candles = make_candles(
        open=[100, 100, 105, 106, 108],
        close=[99, 104, 104, 105, 107],
        high=[100.5, 105, 106, 107, 109],
        low=[98.5, 99.5, 103, 104, 106],
    )
    r = run(candles, [1], hold=2, fees=0.001, cash=10_000.0)
    # entry at open[2] = 105, quantity = 10000 / (105 * 1.001); exit 2 bars later at
    # open[4] = 108
    (p,) = r.positions.itertuples(index=False)
    assert (p.signal_time, p.entry_time, p.exit_time) == tuple(candles.index[[1, 2, 4]])
    assert (p.entry_price, p.exit_price, p.bars_held, p.exit_reason) == (105, 108, 2, "hold")
    assert p.symbol == "TEST"
    assert p.quantity == pytest.approx(95.14295228580943, rel=1e-12)
    assert p.entry_fee == pytest.approx(9.99000999000999, rel=1e-12)
    assert p.exit_fee == pytest.approx(10.275438846867418, rel=1e-12)
    assert p.gross_pnl == pytest.approx(285.4288568574283, rel=1e-12)
    assert p.net_pnl == pytest.approx(265.1634080205509, rel=1e-10)
    assert r.positions["return"].item() == pytest.approx(0.02651634080205509, rel=1e-10)
    np.testing.assert_allclose(
        r.equity,
        [10_000, 10_000, 9894.86703772418, 9990.00999000999, 10265.163408020551],
        rtol=1e-12,
    )
    s = r.stats
    assert s["Return [%]"] == pytest.approx(2.651634080205509, rel=1e-10)
    assert s["Total Fees [$]"] == pytest.approx(20.265448836877408, rel=1e-12)
    assert s["Max. Drawdown [%]"] == pytest.approx(-1.051329622758194, rel=1e-10)
    assert s["Max. Drawdown Duration [bars]"] == 2
    assert s["Exposure Time [%]"] == 40.0
    assert s["Win Rate [%]"] == 100.0 and s["Profit Factor"] == math.inf
    assert s["# Trades"] == 1 and s["# Signals"] == 1
    assert s["Signal Samples"] == 1 and s["Signal Avg. Bars Held"] == 2
    assert s["Signal Avg. Return [%]"] == pytest.approx(0.9615384615384616, rel=1e-12)
    assert s["Buy & Hold Return [%]"] == pytest.approx(100 * (107 / 99 - 1), rel=1e-12)
    assert_matches_simulator(r, candles, fees=0.001, cash=10_000.0)


def test_hand_case_close_fill_half_size_slippage_and_a_gap_through_the_stop():
    candles = make_candles(
        open=[50, 50, 52, 47, 46, 45],
        close=[49, 52, 51, 46.5, 45, 44],
        high=[50.5, 52.5, 52.2, 47.5, 46.5, 45.5],
        low=[48.8, 49.8, 50.5, 46, 44.5, 43.5],
    )
    options = dict(fill="close", fees=0.0025, slippage=0.01, size=0.5, cash=1000.0, stop_loss=0.05)
    r = run(candles, [1], hold=3, **options)
    # entry at close[1] = 52 + 1% slippage = 52.52; stop at 52.52 * 0.95 = 49.894;
    # bar 3 opens at 47, below the stop: filled at the open minus 1% slippage = 46.53
    (p,) = r.positions.itertuples(index=False)
    assert (p.signal_time, p.entry_time, p.exit_time) == tuple(candles.index[[1, 1, 3]])
    assert p.entry_price == pytest.approx(52.52, rel=1e-14)
    assert p.exit_price == pytest.approx(46.53, rel=1e-14)
    assert (p.bars_held, p.exit_reason) == (2, "stop_loss")
    assert p.quantity == pytest.approx(9.496441683301267, rel=1e-12)
    assert p.entry_fee == pytest.approx(1.2468827930174564, rel=1e-12)
    assert p.exit_fee == pytest.approx(1.10467357881002, rel=1e-12)
    assert p.gross_pnl == pytest.approx(-56.88368568297459, rel=1e-12)
    assert p.net_pnl == pytest.approx(-59.235242054802065, rel=1e-12)
    assert r.positions["return"].item() == pytest.approx(-0.11847048410960413, rel=1e-12)
    np.testing.assert_allclose(
        r.equity,
        [1000, 993.8149675316658, 984.3185258483646] + [940.764757945198] * 3,
        rtol=1e-12,
    )
    assert r.stats["Exposure Time [%]"] == pytest.approx(100 * 2 / 6)
    assert r.stats["Profit Factor"] == 0.0 and r.stats["Win Rate [%]"] == 0.0
    assert_matches_simulator(r, candles, **options)


def test_signal_while_open_is_counted_not_traded_and_exit_then_entry_at_same_open():
    opens = np.arange(10, 20.0)
    closes = opens - 0.05  # bearish bars ...
    closes[[0, 1, 2, 6]] = opens[[0, 1, 2, 6]] * 1.05  # ... except the four signal bars
    candles = make_candles(opens, closes)
    r = run(candles, [0, 1, 2, 6], hold=2)
    # signal 0: entry 1, exit 3 at the open; signal 1 falls inside it; signal 2 fills at
    # open 3, right after the exit at open 3; signal 6: entry 7, exit 9.
    assert r.positions["entry_time"].tolist() == list(candles.index[[1, 3, 7]])
    assert r.positions["exit_time"].tolist() == list(candles.index[[3, 5, 9]])
    assert r.positions["signal_time"].tolist() == list(candles.index[[0, 2, 6]])
    assert r.positions["entry_price"].tolist() == [11.0, 13.0, 17.0]
    assert r.positions["exit_price"].tolist() == [13.0, 15.0, 19.0]
    assert r.positions["exit_reason"].tolist() == ["hold", "hold", "hold"]
    assert r.stats["# Signals"] == 4 and r.stats["# Trades"] == 3
    assert r.stats["Exposure Time [%]"] == 60.0
    assert_matches_simulator(r, candles)


def test_close_fill_exit_and_reentry_on_the_same_close():
    opens = np.full(8, 100.0)
    closes = np.array([101.5, 99, 102, 99, 99, 99, 99, 99])  # signals on 0 and 2
    candles = make_candles(opens, closes)
    r = run(candles, [0, 2], hold=2, fill="close", cash=1000.0)
    # first: close 0 -> close 2; second enters at close 2 (exit first), exits at close 4
    assert r.positions["entry_time"].tolist() == list(candles.index[[0, 2]])
    assert r.positions["exit_time"].tolist() == list(candles.index[[2, 4]])
    assert r.positions["entry_price"].tolist() == [101.5, 102.0]
    assert r.positions["exit_price"].tolist() == [102.0, 99.0]
    assert r.equity.iloc[-1] == pytest.approx(1000 * 102 / 101.5 * 99 / 102, rel=1e-12)
    assert_matches_simulator(r, candles, fill="close", cash=1000.0)


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_last_bar_signal_is_not_traded_and_open_position_ends_at_last_close(fill):
    opens = [10.0, 11, 12, 13]
    closes = [9.9, 11.5, 11.9, 13.5]  # signals on 1 and 3
    candles = make_candles(opens, closes)
    r = run(candles, [1, 3], hold=5, fees=0.001, fill=fill)
    (p,) = r.positions.itertuples(index=False)
    assert p.exit_reason == "end_of_data" and p.exit_time == candles.index[-1]
    assert p.exit_price == 13.5
    assert p.entry_price == (12.0 if fill == "next_open" else 11.5)
    assert p.bars_held == (1 if fill == "next_open" else 2)
    assert r.stats["# Signals"] == 2 and r.stats["Signal Samples"] == 1
    assert r.equity.iloc[-1] == pytest.approx(1_000_000 + p.net_pnl, rel=1e-13)
    assert_matches_simulator(r, candles, fees=0.001, fill=fill)


def test_exit_due_on_the_last_bar():
    # next_open: due at open[last] (hold); close: due at close[last] (hold, not end_of_data)
    opens = [10.0, 10, 11, 12]
    closes = [10.5, 9.9, 10.9, 11.9]  # one signal on bar 0
    candles = make_candles(opens, closes)
    r = run(candles, [0], hold=2)
    assert r.positions[["exit_price", "exit_reason"]].values.tolist() == [[12.0, "hold"]]
    r = run(candles, [0], hold=3, fill="close")
    assert r.positions[["exit_price", "exit_reason"]].values.tolist() == [[11.9, "hold"]]
    assert_matches_simulator(r, candles, fill="close")


STOPS = {"stop_loss": 0.05, "take_profit": 0.10}


def stop_case(high, low, open=(99, 100, 101, 102), close=(101, 99.8, 100.8, 101.8)):
    """Signal on bar 0 (bullish 2%), entry at open[1] = 100: stop 95, take profit 110."""
    closes = list(close)
    closes[0] = 101.0
    opens = list(open)
    opens[0] = 99.0
    highs = list(high)
    highs[0] = 101.5
    lows = list(low)
    lows[0] = 98.5
    return make_candles(opens, closes, highs, lows)


@pytest.mark.parametrize(
    ("case", "reason", "price", "bar"),
    [
        # low touches 95 on the entry bar -> stop at 95
        (dict(high=[0, 102, 103, 104], low=[0, 94, 100, 101]), "stop_loss", 95.0, 1),
        # bar 2 opens at 90, below the stop: the gap fills at the open
        (
            dict(
                high=[0, 102, 93, 104],
                low=[0, 99, 89, 101],
                open=[0, 100, 90, 102],
                close=[0, 99.8, 89.5, 101.8],
            ),
            "stop_loss",
            90.0,
            2,
        ),
        # high reaches 111 -> take profit at 110
        (dict(high=[0, 111, 103, 104], low=[0, 99, 100, 101]), "take_profit", 110.0, 1),
        # a gap up to 115 fills at 115
        (
            dict(
                high=[0, 102, 117, 104],
                low=[0, 99, 114, 101],
                open=[0, 100, 115, 102],
                close=[0, 99.8, 114.5, 101.8],
            ),
            "take_profit",
            115.0,
            2,
        ),
        # both in one bar: the stop wins
        (dict(high=[0, 112, 103, 104], low=[0, 94, 100, 101]), "stop_loss", 95.0, 1),
        # exactly at the levels: both trigger (<= and >=)
        (dict(high=[0, 102, 100 * (1 + 0.1), 104], low=[0, 99, 100, 101]), "take_profit", 110, 2),
        (dict(high=[0, 102, 103, 104], low=[0, 99, 95, 101]), "stop_loss", 95.0, 2),
        # neither: held to the end of the data
        (dict(high=[0, 102, 103, 104], low=[0, 99, 100, 101]), "end_of_data", 101.8, 3),
    ],
)
def test_stop_loss_take_profit_gaps_and_precedence(case, reason, price, bar):
    candles = stop_case(**case)
    r = run(candles, [0], hold=10, **STOPS)
    (p,) = r.positions.itertuples(index=False)
    assert p.entry_price == 100.0
    assert (p.exit_reason, p.exit_time) == (reason, candles.index[bar])
    assert p.exit_price == pytest.approx(price, rel=1e-14)
    assert_matches_simulator(r, candles, **STOPS)


def test_close_fill_stops_are_watched_from_the_bar_after_the_entry():
    # entry at close[1] = 100, stop at 97: the entry bar's own low (96.5) must not stop it
    stops = {"stop_loss": 0.03, "take_profit": 0.10}
    candles = make_candles(
        open=[100, 98, 101, 101],
        close=[99, 100, 100.5, 100.8],
        high=[100.5, 100.5, 102, 103],
        low=[98.5, 96.5, 99.5, 100.5],
    )
    r = run(candles, [1], hold=10, fill="close", **stops)
    (p,) = r.positions.itertuples(index=False)
    assert (p.exit_reason, p.exit_price) == ("end_of_data", 100.8)
    assert_matches_simulator(r, candles, fill="close", **stops)
    # ... but a low at 96 the bar after it does
    candles.iloc[2, candles.columns.get_loc("low")] = 96.0
    r = run(candles, [1], hold=10, fill="close", **stops)
    (p,) = r.positions.itertuples(index=False)
    assert (p.exit_reason, p.exit_time) == ("stop_loss", candles.index[2])
    assert p.exit_price == pytest.approx(97.0, rel=1e-14)
    assert_matches_simulator(r, candles, fill="close", **stops)


def test_stop_levels_come_from_the_slipped_entry_fill():
    # entry fill 100 * 1.02 = 102: stop at 102 * 0.95 = 96.9, target 102 * 1.1 = 112.2
    candles = stop_case(high=[0, 112, 103, 104], low=[0, 97, 96.8, 101])
    r = run(candles, [0], hold=10, slippage=0.02, **STOPS)
    (p,) = r.positions.itertuples(index=False)
    assert p.entry_price == pytest.approx(102.0, rel=1e-14)
    assert (p.exit_reason, p.exit_time) == ("stop_loss", candles.index[2])
    assert p.exit_price == pytest.approx(102 * 0.95 * 0.98, rel=1e-14)
    assert_matches_simulator(r, candles, slippage=0.02, **STOPS)


def test_quantity_compounds_the_cash_and_size_keeps_the_rest():
    opens = np.array([100.0, 100, 120, 120, 90, 90])
    closes = np.array([102.0, 100, 118, 122, 89, 89])  # signals on 0 and 3
    candles = make_candles(opens, closes)
    r = run(candles, [0, 3], hold=1, size=0.5, cash=1000.0)
    # trade 1: 5 units at 100 -> 120: +100, cash 1100; trade 2: 550 / 90 units at 90 -> 90
    assert r.positions["quantity"].tolist() == pytest.approx([5.0, 550 / 90], rel=1e-14)
    np.testing.assert_allclose(
        r.equity, [1000, 500 + 5 * 100, 1100, 1100, 550 + 550 / 90 * 89, 1100], rtol=1e-13
    )
    assert_matches_simulator(r, candles, size=0.5, cash=1000.0)


def test_close_fill_on_the_first_bar_loses_the_fees_at_once():
    # entry at close[0] = 102 with 1% fees: the first bar's equity is already below the
    # cash, so the drawdown and its duration count from the cash, not from bar 0
    candles = make_candles(open=[100, 102, 101, 100.5], close=[102, 101.5, 100.5, 100])
    r = run(candles, [0], hold=1, fill="close", fees=0.01, cash=1000.0)
    qty = 1000 / (102 * 1.01)
    np.testing.assert_allclose(r.equity, [qty * 102, *[qty * 101.5 * 0.99] * 3], rtol=1e-13)
    s = r.stats
    assert s["Max. Drawdown [%]"] == pytest.approx(100 * (101.5 * 0.99 / 102 / 1.01 - 1), rel=1e-12)
    assert s["Max. Drawdown Duration [bars]"] == 4
    assert s["Equity Peak [$]"] == 1000.0
    r1 = 1 / 1.01 - 1  # the first bar's return, against the cash
    r2 = 101.5 * 0.99 / 102 - 1
    returns = np.array([r1, r2, 0.0, 0.0])
    assert s["Sharpe Ratio"] == pytest.approx(
        returns.mean() / returns.std(ddof=1) * np.sqrt(365), rel=1e-9
    )
    assert s["Sortino Ratio"] == pytest.approx(
        returns.mean() / np.sqrt(np.mean(returns**2)) * np.sqrt(365), rel=1e-9
    )
    assert_matches_simulator(r, candles, fill="close", fees=0.01, cash=1000.0)


def test_the_long_candle_limits_used_to_place_signals():
    # body >= body_pct (1%) is a signal; a wick of exactly 2 * body_pct (2%) is not
    candles = make_candles(
        open=[100, 100, 100, 100, 100],
        close=[102, 102, 101, 102, 99],
        high=[104, 103.9, 101.5, 103.9, 100.5],
        low=[99.5, 98, 99.5, 98.1, 98.5],
    )
    r = run(candles, [2, 3], hold=1)
    assert r.stats["# Signals"] == 2


# --------------------------------------------------------------------------- real data

REAL = [
    ("BTC_USD", "1d", "volume_zone_breakout", {"hold_period_bars": 3}, {"fees": 0.0005}),
    (
        "ETH_USD",
        "1d",
        "volume_zone_breakout",
        {"volume_window": 20, "hold_period_bars": 5},
        {"fees": 0.0025, "slippage": 0.001, "stop_loss": 0.03, "take_profit": 0.06},
    ),
    (
        "LTC_USD",
        "1d",
        "volume_long_candle",
        {"vol_multiplier": 1.0, "body_pct": 0.03, "hold_period_bars": 4},
        {"fill": "close", "fees": 0.001, "stop_loss": 0.05, "take_profit": 0.08, "size": 0.7},
    ),
    (
        "BTC_USD",
        "1h",
        "volume_zone_breakout",
        {"hold_period_bars": 2},
        {"fill": "close", "take_profit": 0.01, "stop_loss": 0.01, "cash": 777.0},
    ),
    (
        "BTC_USD",
        "1h",
        "volume_long_candle",
        {"vol_multiplier": 1.2, "body_pct": 0.003, "hold_period_bars": 6},
        {"slippage": 0.0005, "stop_loss": 0.02, "take_profit": 0.01, "size": 0.25},
    ),
]


@pytest.mark.parametrize(("symbol", "timeframe", "strategy", "params", "options"), REAL)
def test_positions_and_equity_equal_simulator_on_bundled_candles(
    symbol, timeframe, strategy, params, options
):
    candles = vzb.load_sample(symbol, timeframe=timeframe)
    result = backtest(candles, strategy, params, **options)
    assert len(result.positions) > 20
    assert_matches_simulator(result, candles, symbol=symbol, **options)


# --------------------------------------------------------------------------- hypothesis


@st.composite
def flagged_candles(draw):
    """Random candles and the bars that must signal (bullish long candles)."""
    n = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rate = draw(st.sampled_from([0.1, 0.3, 0.6]))
    flags = rng.random(n) < rate
    price = 100.0
    rows = []
    for flag in flags:
        o = price * (1 + rng.choice([0.0, 0.0, rng.uniform(-0.08, 0.08)]))
        if flag:  # body 1%..8%, wicks under 2% of the open
            c = o * (1 + rng.uniform(0.0101, 0.08))
            hi = c + o * rng.uniform(0, 0.019)
            low = o - o * rng.uniform(0, 0.019)
        else:  # bearish or flat, any wicks
            c = o * (1 - rng.choice([0.0, rng.uniform(0, 0.06)]))
            hi = o * (1 + rng.choice([0.0, rng.uniform(0, 0.1)]))
            low = c * (1 - rng.choice([0.0, rng.uniform(0, 0.1)]))
        rows.append((o, hi, low, c))
        price = c
    o, hi, low, c = (np.array(col) for col in zip(*rows, strict=True))
    candles = make_candles(o, c, hi, low)
    return candles, np.flatnonzero(flags).tolist()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=flagged_candles(),
    hold=st.integers(1, 6),
    fill=st.sampled_from(["next_open", "close"]),
    fees=st.sampled_from([0.0, 0.0005, 0.0025, 0.01]),
    slippage=st.sampled_from([0.0, 0.001, 0.02]),
    size=st.sampled_from([1.0, 0.5, 0.1]),
    cash=st.sampled_from([1_000_000.0, 1234.5]),
    stop_loss=st.sampled_from([None, 0.01, 0.03, 0.1]),
    take_profit=st.sampled_from([None, 0.01, 0.05, 0.2]),
)
def test_backtest_equals_simulator_on_generated_candles(
    data, hold, fill, fees, slippage, size, cash, stop_loss, take_profit
):
    candles, signal_bars = data
    options = dict(
        fill=fill,
        fees=fees,
        slippage=slippage,
        size=size,
        cash=cash,
        stop_loss=stop_loss,
        take_profit=take_profit,
    )
    result = run(candles, signal_bars, hold=hold, **options)
    assert_matches_simulator(result, candles, symbol="TEST", **options)
    assert result.stats["# Signals"] == len(signal_bars)
    # and every stat of these short, odd series (signals on the first and last bars,
    # a loss on the first bar, no trade at all ...)
    assert_stats_match(result.stats, expected_stats(result, candles))


def test_generated_cases_reach_every_exit_reason():
    # the generator above is not vacuous: stops, targets, ends of data all happen
    reasons = set()
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = 30
        o = 100 * np.cumprod(1 + rng.uniform(-0.04, 0.04, n))
        bullish = rng.random(n) < 0.4
        c = np.where(bullish, o * 1.03, o * 0.97)
        hi = np.where(bullish, c + o * 0.01, o * 1.06)
        low = np.where(bullish, o * 0.99, c * 0.94)
        candles = make_candles(o, c, hi, low)
        r = run(candles, np.flatnonzero(bullish).tolist(), hold=2, stop_loss=0.03, take_profit=0.05)
        reasons |= set(r.positions["exit_reason"])
        assert_matches_simulator(r, candles, stop_loss=0.03, take_profit=0.05)
    assert reasons == {"hold", "stop_loss", "take_profit", "end_of_data"}


# --------------------------------------------------------------------------- options


def test_validate_options_messages():
    assert validate_options()["fill"] == "next_open"
    with pytest.raises(ParameterError, match="fill='open' is not allowed"):
        validate_options(fill="open")
    with pytest.raises(ParameterError, match=r"fees=0.7 is out of range"):
        validate_options(fees=0.7)
    with pytest.raises(ParameterError, match="Did you mean 'slippage'"):
        validate_options(slipage=0.1)
    with pytest.raises(ParameterError, match="stop_loss"):
        backtest(vzb.load_sample("BTC_USD"), stop_loss=1.5)


def test_checkpoint_is_called_and_its_exception_propagates():
    candles = vzb.synthetic_candles(250_000, seed=3, timeframe="1m")
    seen = []
    backtest(candles, checkpoint=seen.append)
    assert seen and seen == sorted(seen) and 0 < seen[0] and seen[-1] < 1

    class Cancelled(Exception):
        pass

    def cancel(fraction):
        raise Cancelled(fraction)

    with pytest.raises(Cancelled):
        backtest(candles, checkpoint=cancel)
    both = {"A": vzb.load_sample("BTC_USD"), "B": vzb.load_sample("ETH_USD")}
    seen = []
    backtest(both, checkpoint=seen.append)
    assert seen == [0.5]


def test_an_account_run_down_to_nothing_gives_results_not_an_error():
    # about 1,000 trades each keeping ~12% of the money: equity underflows to 0, and the
    # ratios that divide by it are NaN instead of a ZeroDivisionError from the kernels
    candles = vzb.synthetic_candles(2_000, seed=3, timeframe="1h")
    result = vzb.backtest(candles, fees=0.49, slippage=0.49)
    assert result.stats["# Trades"] > 500
    assert result.stats["Return [%]"] == -100.0
    assert abs(result.stats["Equity Final [$]"]) < 1e-300
    assert len(result.positions) == result.stats["# Trades"]
