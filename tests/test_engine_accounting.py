"""Backtest accounting against hand-computed cases and the replaced system's pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.engine import backtest, validate_options
from vzb.errors import ParameterError
from vzb.strategies import Parameter, Strategy


def volume_flag(open, high, low, close, volume, hold_period_bars=1):
    """Test strategy: a signal wherever the volume is exactly 2."""
    return volume == 2.0


FLAG = Strategy("volume_flag", [Parameter("hold_period_bars", 1, int, low=1)], volume_flag)


def make_candles(open, close, high=None, low=None, signal_bars=()):
    open = np.asarray(open, dtype=float)
    close = np.asarray(close, dtype=float)
    high = np.maximum(open, close) + 1 if high is None else np.asarray(high, dtype=float)
    low = np.minimum(open, close) - 1 if low is None else np.asarray(low, dtype=float)
    volume = np.ones(len(open))
    volume[list(signal_bars)] = 2.0
    index = pd.date_range("2021-01-01", periods=len(open), freq="1D", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": open, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def test_next_open_fill_with_fees_and_slippage_by_hand():
    candles = make_candles(
        open=[10, 11, 12, 13, 14, 15], close=[10.5, 11.5, 12.5, 13.5, 14.5, 15.5], signal_bars=[0]
    )
    fees, slip, cash = 0.01, 0.001, 1000.0
    r = backtest(candles, FLAG, {"hold_period_bars": 2}, fees=fees, slippage=slip, cash=cash)
    entry = 11 * (1 + slip)
    qty = cash / (entry * (1 + fees))
    exit_ = 13 * (1 - slip)
    net = qty * exit_ * (1 - fees) - qty * entry * (1 + fees)
    (p,) = r.positions.itertuples(index=False)
    assert p.entry_time == candles.index[1] and p.exit_time == candles.index[3]
    assert p.signal_time == candles.index[0]
    assert p.entry_price == pytest.approx(entry, rel=1e-14)
    assert p.exit_price == pytest.approx(exit_, rel=1e-14)
    assert p.quantity == pytest.approx(qty, rel=1e-14)
    assert p.entry_fee == pytest.approx(qty * entry * fees, rel=1e-14)
    assert p.exit_fee == pytest.approx(qty * exit_ * fees, rel=1e-14)
    assert p.gross_pnl == pytest.approx(qty * (exit_ - entry), rel=1e-12)
    assert p.net_pnl == pytest.approx(net, rel=1e-12)
    assert p.bars_held == 2 and p.exit_reason == "hold"
    cash_after_entry = cash - qty * entry * (1 + fees)
    expected_equity = [
        cash,
        cash_after_entry + qty * 11.5,
        cash_after_entry + qty * 12.5,
        cash + net,
        cash + net,
        cash + net,
    ]
    np.testing.assert_allclose(r.equity.to_numpy(), expected_equity, rtol=1e-13)
    assert r.stats["Total Fees [$]"] == pytest.approx(p.entry_fee + p.exit_fee, rel=1e-12)
    assert r.stats["Equity Final [$]"] == pytest.approx(cash + net, rel=1e-13)
    assert r.total_signals == 1


def test_close_fill_and_size():
    candles = make_candles(open=[10, 11, 12, 13], close=[10, 12, 11, 13], signal_bars=[1])
    r = backtest(candles, FLAG, fill="close", size=0.5, cash=100.0)
    (p,) = r.positions.itertuples(index=False)
    assert (p.entry_price, p.exit_price, p.quantity) == (12.0, 11.0, 50.0 / 12.0)
    np.testing.assert_allclose(r.equity, [100, 100, 50 + 50 / 12 * 11, 50 + 50 / 12 * 11])


def test_signal_while_open_is_counted_not_traded_and_exit_then_entry_at_same_price():
    candles = make_candles(
        open=np.arange(10, 20.0), close=np.arange(10, 20.0) + 0.5, signal_bars=[0, 1, 2, 6]
    )
    r = backtest(candles, FLAG, {"hold_period_bars": 2})
    # signal 0: entry 1, exit 3 at the open; signal 1 falls inside it; signal 2 fills at
    # open 3, right after the exit at open 3; signal 6: entry 7, exit 9.
    assert r.positions["entry_time"].tolist() == list(candles.index[[1, 3, 7]])
    assert r.positions["exit_time"].tolist() == list(candles.index[[3, 5, 9]])
    assert r.stats["# Signals"] == 4 and r.stats["# Trades"] == 3


def test_last_bar_signal_is_not_traded_and_open_position_ends_at_last_close():
    candles = make_candles(open=[10, 11, 12, 13], close=[10, 11, 12, 13], signal_bars=[1, 3])
    r = backtest(candles, FLAG, {"hold_period_bars": 5}, fees=0.001)
    (p,) = r.positions.itertuples(index=False)
    assert p.exit_reason == "end_of_data" and p.exit_time == candles.index[-1]
    assert p.exit_price == 13.0 and p.bars_held == 1
    assert r.equity.iloc[-1] == pytest.approx(1_000_000 + p.net_pnl, rel=1e-13)


def test_stop_loss_take_profit_gap_and_both_in_one_bar():
    # entry at open[1] = 100; stop 95, take profit 110
    stops = {"stop_loss": 0.05, "take_profit": 0.10}
    kw = {"params": {"hold_period_bars": 10}, **stops}
    base = dict(open=[100, 100, 101, 102], close=[100, 101, 102, 103], signal_bars=[0])
    # low touches 95 on the entry bar -> stop at 95
    c = make_candles(**base, high=[101, 102, 103, 104], low=[99, 94, 100, 101])
    p = backtest(c, FLAG, **kw).positions.iloc[0]
    assert (p.exit_reason, p.exit_price, p.exit_time) == ("stop_loss", 95.0, c.index[1])
    # bar 2 opens at 90, below the stop: the gap fills at the open
    c = make_candles(
        open=[100, 100, 90, 102],
        close=[100, 101, 92, 103],
        high=[101, 102, 93, 104],
        low=[99, 99, 89, 101],
        signal_bars=[0],
    )
    p = backtest(c, FLAG, **kw).positions.iloc[0]
    assert (p.exit_reason, p.exit_price, p.exit_time) == ("stop_loss", 90.0, c.index[2])
    # high reaches 111 -> take profit at 110; a gap up to 115 fills at 115
    c = make_candles(**base, high=[101, 111, 103, 104], low=[99, 99, 100, 101])
    p = backtest(c, FLAG, **kw).positions.iloc[0]
    assert (p.exit_reason, p.exit_price) == ("take_profit", pytest.approx(110.0))
    c = make_candles(
        open=[100, 100, 115, 102],
        close=[100, 101, 116, 103],
        high=[101, 102, 117, 104],
        low=[99, 99, 114, 101],
        signal_bars=[0],
    )
    p = backtest(c, FLAG, **kw).positions.iloc[0]
    assert (p.exit_reason, p.exit_price) == ("take_profit", 115.0)
    # both in one bar: the stop wins
    c = make_candles(**base, high=[101, 112, 103, 104], low=[99, 94, 100, 101])
    p = backtest(c, FLAG, **kw).positions.iloc[0]
    assert p.exit_reason == "stop_loss"
    # with close fills the entry bar's own range cannot stop the position
    c = make_candles(**base, high=[101, 102, 103, 104], low=[90, 99, 100, 101])
    p = backtest(c, FLAG, fill="close", **kw).positions.iloc[0]
    assert p.exit_reason == "end_of_data"


def test_close_fill_zero_fees_reproduces_replaced_system_pairs():
    candles = vzb.load_sample("BTC_USD")
    close = candles["close"].to_numpy()
    for hold in (1, 3):
        params = {"volume_window": 10, "hold_period_bars": hold}
        signals = vzb.signals(candles, **params).to_numpy()
        if hold > 1:  # one signal at a time: drop signals inside an earlier holding period
            keep, last = np.zeros_like(signals), -(10**9)
            for i in np.flatnonzero(signals):
                if i >= last + hold:
                    keep[i], last = True, i
            signals = keep
        bars = np.flatnonzero(signals[:-1])
        pairs = [(i, min(i + hold, len(close) - 1)) for i in bars]
        flagged = candles.copy()
        flagged["volume"] = np.where(signals, 2.0, 1.0)
        r = backtest(flagged, FLAG, {"hold_period_bars": hold}, fill="close")
        pos = r.positions
        assert len(pos) == len(pairs)
        idx = candles.index
        assert pos["entry_time"].tolist() == [idx[i] for i, _ in pairs]
        assert pos["exit_time"].tolist() == [idx[j] for _, j in pairs]
        np.testing.assert_array_equal(pos["entry_price"], [close[i] for i, _ in pairs])
        np.testing.assert_array_equal(pos["exit_price"], [close[j] for _, j in pairs])
        np.testing.assert_allclose(
            pos["return"], [close[j] / close[i] - 1 for i, j in pairs], rtol=1e-9, atol=1e-15
        )


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
