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
    if a.indicators.columns.empty:  # none: not saved, loaded as a frame without columns
        assert b.indicators.columns.empty and b.indicators.index.equals(a.indicators.index)
    else:
        pd.testing.assert_frame_equal(a.indicators, b.indicators)
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
        "indicators.parquet",
        "meta.json",
        "positions.parquet",
        "signals.parquet",
        "stats.parquet",
    ]
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["strategy"] == "volume_zone_breakout"
    loaded = load_result(path)
    assert_results_equal(result, loaded)
    assert list(loaded.indicators.columns) == ["resistance"]


def _as_old_result(folder, columns_per_symbol=False):
    """Rewrite a saved result the way vzb saved it before indicators were generic: a
    resistance.parquet (a Series, or one column per symbol) and no indicators.parquet."""
    meta = json.loads((folder / "meta.json").read_text())
    indicators = pd.read_parquet(folder / "indicators.parquet")
    if columns_per_symbol:
        old = indicators.xs("resistance", axis=1, level=1)
        meta["kinds"]["resistance"] = "frame"
    else:
        old = indicators[["resistance"]]
        meta["kinds"]["resistance"] = "series:resistance"
    old.to_parquet(folder / "resistance.parquet")
    (folder / "indicators.parquet").unlink()
    del meta["kinds"]["indicators"]
    (folder / "meta.json").write_text(json.dumps(meta))


def test_a_result_saved_with_resistance_loads_it_as_an_indicator(tmp_path):
    result = vzb.backtest(vzb.load_sample("BTC_USD"), fees=0.0005)
    save_result(result, tmp_path / "run")
    _as_old_result(tmp_path / "run")
    loaded = load_result(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.indicators, result.indicators)
    assert loaded.stats.equals(result.stats)


def test_a_multi_symbol_result_saved_with_resistance_loads_it_per_symbol(tmp_path):
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "ETH_USD": vzb.load_sample("ETH_USD")}
    result = vzb.backtest(candles, "volume_zone_breakout")
    save_result(result, tmp_path / "run")
    _as_old_result(tmp_path / "run", columns_per_symbol=True)
    for i in range(2):
        _as_old_result(tmp_path / "run" / "per_symbol" / str(i))
    loaded = load_result(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.indicators, result.indicators)
    for symbol in candles:
        pd.testing.assert_frame_equal(
            loaded.per_symbol[symbol].indicators, result.per_symbol[symbol].indicators
        )


def test_a_result_without_indicators_saves_no_file_and_loads_none(tmp_path):
    result = vzb.backtest(vzb.load_sample("BTC_USD"), "volume_long_candle")
    assert result.indicators.columns.empty
    save_result(result, tmp_path / "run")
    assert not (tmp_path / "run" / "indicators.parquet").exists()
    loaded = load_result(tmp_path / "run")
    assert loaded.indicators.columns.empty and loaded.indicators.index.equals(result.equity.index)


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
    loaded = load_table(save_table(table, tmp_path / "a" / "t.parquet"))
    pd.testing.assert_frame_equal(loaded, table)
    assert loaded.attrs == table.attrs
    assert {"volume_window", "hold_period_bars"} <= set(loaded.attrs["parameters"])
    with pytest.raises(ParameterError, match="No saved result"):
        load_result(tmp_path / "nothing")
    with pytest.raises(ParameterError, match="No table"):
        load_table(tmp_path / "nothing.parquet")
