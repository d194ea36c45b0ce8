"""Sweeps: every row equals a backtest; in-process and loky give identical tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.engine import STAT_NAMES, parameter_sets, sweep, sweep_stats
from vzb.errors import ParameterError

GRID = {
    "volume_window": [5, 12],
    "top_percentile": [0.1, 0.3],
    "breakout_buffer": [0.0, 0.01],
    "num_bins": [8, 20],
    "hold_period_bars": [1, 4],
}


def test_parameter_sets_grid_and_seeded_draws():
    sets = parameter_sets("volume_zone_breakout", GRID)
    assert len(sets) == 32
    assert sets[0] == {
        **vzb.get_strategy("volume_zone_breakout").defaults,
        "volume_window": 5,
        "top_percentile": 0.1,
        "breakout_buffer": 0.0,
        "num_bins": 8,
        "hold_period_bars": 1,
    }
    assert sets[1]["hold_period_bars"] == 4  # last name varies fastest
    a = parameter_sets("volume_zone_breakout", GRID, n_iter=7, seed=42)
    b = parameter_sets("volume_zone_breakout", GRID, n_iter=7, seed=42)
    assert a == b and len(a) == 7
    assert len({tuple(sorted(s.items())) for s in a}) == 7
    assert all(s in sets for s in a)
    assert parameter_sets("volume_zone_breakout", GRID, n_iter=1000) == sets
    with pytest.raises(ParameterError, match=r"num_bins=0 is out of range"):
        parameter_sets("volume_zone_breakout", {"num_bins": [0, 5]})
    with pytest.raises(ParameterError, match="Did you mean 'num_bins'"):
        parameter_sets("volume_zone_breakout", {"numbins": [5]})


def _assert_row_equals_backtest(row, candles, strategy, options):
    params = {k: row[k] for k in vzb.get_strategy(strategy).parameters}
    result = vzb.backtest(candles, strategy, params, **options)
    got = row[list(STAT_NAMES)].to_numpy(dtype=float)
    want = result.stats[list(STAT_NAMES)].to_numpy(dtype=float)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "options",
    [
        {"fees": 0.0005},
        {"fill": "close", "slippage": 0.001, "stop_loss": 0.04, "take_profit": 0.06},
    ],
)
def test_breakout_sweep_rows_equal_backtests(options):
    candles = vzb.load_sample("BTC_USD")
    sets = parameter_sets("volume_zone_breakout", GRID)
    table = sweep_stats(candles, "volume_zone_breakout", sets, **options)
    assert list(table.columns) == [
        *vzb.get_strategy("volume_zone_breakout").parameters,
        "symbol",
        *STAT_NAMES,
    ]
    assert (table["symbol"] == "BTC_USD").all()
    for k in (0, 5, 17, 31):
        _assert_row_equals_backtest(table.iloc[k], candles, "volume_zone_breakout", options)


def test_long_candle_sweep_over_symbols_equals_backtests():
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "LTC_USD": vzb.load_sample("LTC_USD")}
    grid = {
        "vol_ma_window": [10, 30],
        "vol_multiplier": [1.2, 2.0],
        "body_pct": [0.01, 0.02],
        "hold_period_bars": [1, 2],
    }
    table = vzb.sweep(candles, "volume_long_candle", grid, fees=0.001)
    assert len(table) == 32
    assert table["symbol"].tolist() == ["BTC_USD"] * 16 + ["LTC_USD"] * 16
    for k in range(32):  # sets sharing a vol_ma_window share one mean volume per bar
        row = table.iloc[k]
        _assert_row_equals_backtest(
            row, candles[row["symbol"]], "volume_long_candle", {"fees": 0.001}
        )


def test_sweep_in_process_and_loky_are_identical():
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}

    def run(**backend):
        options = {"n_iter": 20, "seed": 7, "fees": 0.001}
        return sweep(candles, "volume_zone_breakout", GRID, **options, **backend)

    local = run()
    pd.testing.assert_frame_equal(local, run(n_jobs=2, backend="loky"))
    pd.testing.assert_frame_equal(local, run(n_jobs=2, backend="threading"))


def test_sweep_checkpoint_reports_progress_and_cancels():
    candles = vzb.load_sample("BTC_USD", timeframe="1h")
    sets = parameter_sets("volume_zone_breakout", GRID)
    seen = []
    sweep_stats(candles, "volume_zone_breakout", sets, checkpoint=seen.append)
    assert seen and all(0 < f < 1 for f in seen)

    class Cancelled(Exception):
        pass

    def cancel(fraction):
        raise Cancelled

    with pytest.raises(Cancelled):
        sweep_stats(candles, "volume_zone_breakout", sets, checkpoint=cancel)


def test_every_row_of_a_group_larger_than_a_signal_block_equals_backtests():
    """One profile group with more distinct signal sets than ``SIGNAL_BLOCK`` (signals are
    resolved block by block), in shuffled order with repeated holds: every row is right."""
    from vzb.engine.sweeps import SIGNAL_BLOCK

    candles = vzb.load_sample("ETH_USD").iloc[:400]
    grid = {
        "top_percentile": [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9],
        "breakout_buffer": [0.0, 0.001, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05],
        "hold_period_bars": [1, 4],
    }
    sets = parameter_sets("volume_zone_breakout", grid)
    assert len(sets) // 2 > SIGNAL_BLOCK
    sets = [sets[k] for k in np.random.default_rng(3).permutation(len(sets))]
    table = sweep_stats(candles, "volume_zone_breakout", sets, fees=0.001)
    for k in range(len(table)):
        _assert_row_equals_backtest(table.iloc[k], candles, "volume_zone_breakout", {"fees": 0.001})


def _bar_returns(equity, cash=1_000_000.0):
    values = equity.to_numpy()
    return np.concatenate([[values[0] / cash - 1], values[1:] / values[:-1] - 1])


@pytest.mark.parametrize("symbols", [["ETH_USD"], ["BTC_USD", "LTC_USD"]])
def test_sweep_returns_equal_the_backtests_equity_returns(symbols):
    candles = {s: vzb.load_sample(s) for s in symbols}
    grid = {"volume_window": [10, 30], "top_percentile": [0.1, 0.3], "hold_period_bars": [1, 4]}
    sets = parameter_sets("volume_zone_breakout", grid)
    table, returns = sweep_stats(candles, "volume_zone_breakout", sets, returns=True, fees=0.001)
    assert returns.shape == (len(returns.index), len(sets))
    assert len(table) == len(sets) * len(symbols)
    for k in (0, 3, 7):
        result = vzb.backtest(candles, "volume_zone_breakout", sets[k], fees=0.001)
        assert returns.index.equals(result.equity.index)
        np.testing.assert_allclose(returns[k].to_numpy(), _bar_returns(result.equity), rtol=1e-12)
    # the same from worker processes, in grid order
    stats, again = sweep(candles, "volume_zone_breakout", grid, returns=True, n_jobs=2, fees=0.001)
    pd.testing.assert_frame_equal(again, returns)
    pd.testing.assert_frame_equal(stats, table)
