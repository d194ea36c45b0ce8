"""vzb's accounting equals vectorbt's Portfolio.from_signals on the same trades."""

from __future__ import annotations

import numpy as np
import pytest

import vzb
from vzb.strategies import Parameter, Strategy


def volume_flag(open, high, low, close, volume, hold_period_bars=1):
    """Test strategy: a signal wherever the volume is exactly 2."""
    return volume == 2.0


FLAG = Strategy("volume_flag", [Parameter("hold_period_bars", 1, int, low=1)], volume_flag)


def one_at_a_time(signals, hold):
    """Keep a signal only when the previous kept one's position has closed before its fill.

    vectorbt ignores an entry and an exit on the same bar, while vzb exits and re-enters;
    spacing the signals keeps both engines on the same trades.
    """
    keep, last = np.zeros_like(signals), -(10**9)
    for i in np.flatnonzero(signals):
        if i > last + hold:
            keep[i], last = True, i
    return keep


@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize(("symbol", "hold"), [("BTC_USD", 1), ("ETH_USD", 3)])
def test_final_equity_equals_vectorbt(fill, symbol, hold):
    import vectorbt as vbt  # installed in CI (the "bench" extra)

    candles = vzb.load_sample(symbol)
    signals = one_at_a_time(vzb.signals(candles, volume_window=15).to_numpy(), hold)
    flagged = candles.copy()
    flagged["volume"] = np.where(signals, 2.0, 1.0)
    fees, slippage = 0.0025, 0.001
    result = vzb.backtest(
        flagged, FLAG, {"hold_period_bars": hold}, fill=fill, fees=fees, slippage=slippage
    )
    n = len(candles)
    entries = np.zeros(n, dtype=bool)
    exits = np.zeros(n, dtype=bool)
    entries[candles.index.get_indexer(result.positions["entry_time"])] = True
    exits[candles.index.get_indexer(result.positions["exit_time"])] = True
    assert not (entries & exits).any()
    price = candles["open"] if fill == "next_open" else candles["close"]
    if result.positions["exit_reason"].iloc[-1] == "end_of_data":
        price = price.copy()
        price.iloc[-1] = candles["close"].iloc[-1]
    portfolio = vbt.Portfolio.from_signals(
        candles["close"],
        entries,
        exits,
        price=price,
        fees=fees,
        slippage=slippage,
        init_cash=1_000_000,
        size=np.inf,
    )
    assert len(portfolio.trades.records) == len(result.positions) > 20
    assert result.stats["Equity Final [$]"] == pytest.approx(portfolio.final_value(), rel=1e-9)
    np.testing.assert_allclose(result.equity.to_numpy(), portfolio.value().to_numpy(), rtol=1e-9)
