"""A user strategy is a first-class citizen: a copy of the breakout registered under its
own import path gets exactly what the built-in gets (signals, indicators, backtests,
sweeps in and out of process)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.strategies import register_strategy, unregister_strategy

# The user's module (the breakout's public parts under another name and import path) is
# the benchmark's, put on the path at collection, before any test starts worker processes
# (loky hands its workers the parent's path when it starts them).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.fixture
def user_copy():
    strategy = register_strategy("user_breakout:MY_BREAKOUT")
    yield strategy
    unregister_strategy("my_breakout")


PARAMS = {"volume_window": 14, "top_percentile": 0.3, "num_bins": 12, "hold_period_bars": 2}


def test_user_copy_gives_the_builtins_signals_indicators_and_backtest(user_copy):
    candles = vzb.load_sample("BTC_USD")
    pd.testing.assert_series_equal(
        vzb.signals(candles, "my_breakout", **PARAMS), vzb.signals(candles, **PARAMS)
    )
    pd.testing.assert_frame_equal(
        vzb.indicators(candles, "my_breakout", **PARAMS), vzb.indicators(candles, **PARAMS)
    )
    mine = vzb.backtest(candles, "my_breakout", PARAMS, fees=0.001)
    builtin = vzb.backtest(candles, params=PARAMS, fees=0.001)
    assert mine.strategy == "user_breakout:MY_BREAKOUT"
    pd.testing.assert_series_equal(mine.stats, builtin.stats)
    pd.testing.assert_frame_equal(mine.positions, builtin.positions)
    pd.testing.assert_series_equal(mine.equity, builtin.equity)
    pd.testing.assert_frame_equal(mine.indicators, builtin.indicators)
    assert np.isfinite(mine.indicators["resistance"].iloc[20:]).any()


def test_user_copy_gives_the_builtins_sweep_table_in_and_out_of_process(user_copy):
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}
    grid = {"volume_window": [10, 20], "top_percentile": [0.1, 0.3], "hold_period_bars": [1, 3]}
    builtin = vzb.sweep(candles, "volume_zone_breakout", grid, fees=0.0005)
    mine = vzb.sweep(candles, "my_breakout", grid, fees=0.0005)
    pd.testing.assert_frame_equal(mine, builtin)
    assert mine.attrs["parameters"] == builtin.attrs["parameters"]
    two = vzb.sweep(candles, "my_breakout", grid, n_jobs=2, backend="loky", fees=0.0005)
    pd.testing.assert_frame_equal(two, builtin)


def test_sweep_rows_equal_backtests_for_a_strategy_without_a_plan():
    """Without a sweep plan every distinct signal set is computed on its own; the rows
    still equal single backtests, and sets differing only in the hold share signals."""
    from vzb.strategies import Parameter, Strategy

    def up_close(open, high, low, close, volume, min_body=0.0, hold_period_bars=1):
        return (close - open) / open > min_body

    plain = Strategy(
        "up_close",
        [Parameter("min_body", 0.0, float, low=0.0), Parameter("hold_period_bars", 1, int, low=1)],
        up_close,
    )
    candles = vzb.load_sample("ETH_USD")
    grid = {"min_body": [0.0, 0.02], "hold_period_bars": [1, 4]}
    table = vzb.sweep(candles, plain, grid, fees=0.001)
    assert table.attrs["parameters"] == ["min_body", "hold_period_bars"]
    for _, row in table.iterrows():
        params = {"min_body": row["min_body"], "hold_period_bars": int(row["hold_period_bars"])}
        stats = vzb.backtest(candles, plain, params, fees=0.001).stats
        for name in vzb.engine.STAT_NAMES:
            assert row[name] == pytest.approx(stats[name], rel=1e-12, nan_ok=True), name
