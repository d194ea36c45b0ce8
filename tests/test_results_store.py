"""Saved results and tables load back equal, locally and through fsspec."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import vzb
from vzb.errors import ParameterError
from vzb.results import load_result, load_table, save_result, save_table


def assert_results_equal(a, b):
    pd.testing.assert_series_equal(a.stats, b.stats)
    # counts stay ints, ratios floats: 329, not 329.0
    assert [type(v) for v in a.stats] == [type(v) for v in b.stats]
    assert type(b.stats["# Trades"]) is int
    pd.testing.assert_frame_equal(a.positions, b.positions)
    pd.testing.assert_series_equal(a.equity, b.equity)
    pd.testing.assert_series_equal(a.drawdown, b.drawdown)
    if isinstance(a.signals, pd.DataFrame):
        pd.testing.assert_frame_equal(a.signals, b.signals)
    else:
        pd.testing.assert_series_equal(a.signals, b.signals)
    if a.resistance is None:
        assert b.resistance is None
    elif isinstance(a.resistance, pd.DataFrame):
        pd.testing.assert_frame_equal(a.resistance, b.resistance)
    else:
        pd.testing.assert_series_equal(a.resistance, b.resistance)
    if a.candles is not None:
        pd.testing.assert_frame_equal(a.candles, b.candles, check_flags=False)
    assert a.to_dict() == b.to_dict()
    for name in (
        "run_id",
        "version",
        "strategy",
        "params",
        "symbols",
        "total_signals",
        "execution_time",
        "vzb_version",
        "options",
        "fingerprint",
    ):
        assert getattr(a, name) == getattr(b, name), name


def test_single_result_round_trips(tmp_path):
    result = vzb.backtest(
        vzb.load_sample("BTC_USD"), params={"hold_period_bars": 3}, fees=0.0005, stop_loss=0.05
    )
    path = save_result(result, tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "candles.parquet",
        "equity.parquet",
        "meta.json",
        "positions.parquet",
        "resistance.parquet",
        "signals.parquet",
        "stats.parquet",
    ]
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["strategy"] == "volume_zone_breakout"
    assert_results_equal(result, load_result(path))


def test_multi_symbol_result_round_trips(tmp_path):
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}
    result = vzb.backtest(candles, "volume_long_candle", fill="close")
    loaded = load_result(save_result(result, str(tmp_path / "multi")))
    assert_results_equal(result, loaded)
    assert list(loaded.per_symbol) == ["BTC_USD", "ETH_USD"]
    for symbol in candles:
        assert_results_equal(result.per_symbol[symbol], loaded.per_symbol[symbol])


def test_fsspec_memory_url_round_trips():
    result = vzb.backtest(vzb.load_sample("ETH_USD"))
    path = save_result(result, "memory://vzb-test/run")
    assert path == "memory://vzb-test/run"
    assert_results_equal(result, load_result(path))
    table = vzb.sweep(vzb.load_sample("ETH_USD"), "volume_zone_breakout", {"num_bins": [5, 9]})
    pd.testing.assert_frame_equal(
        load_table(save_table(table, "memory://vzb-test/t.parquet")), table
    )


def test_tables_round_trip_and_missing_paths_say_so(tmp_path):
    table = vzb.sweep(
        vzb.load_sample("BTC_USD"),
        "volume_zone_breakout",
        {"volume_window": [5, 10], "hold_period_bars": [1, 2]},
    )
    pd.testing.assert_frame_equal(
        load_table(save_table(table, tmp_path / "a" / "t.parquet")), table
    )
    with pytest.raises(ParameterError, match="No saved result"):
        load_result(tmp_path / "nothing")
    with pytest.raises(ParameterError, match="No table"):
        load_table(tmp_path / "nothing.parquet")
