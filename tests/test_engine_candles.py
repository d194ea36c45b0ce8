"""Unvalidated candles: the engine refuses what would give wrong numbers, and says why."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.engine import parameter_sets, sweep_stats
from vzb.errors import CandleError


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return vzb.load_sample("BTC_USD")


def _with(candles: pd.DataFrame, column: str, row: int, value: float) -> pd.DataFrame:
    values = candles[column].to_numpy().copy()
    values[row] = value
    return candles.assign(**{column: values})


def _run_backtest(frame: pd.DataFrame) -> object:
    return vzb.backtest(frame)


def _run_signals(frame: pd.DataFrame) -> object:
    return vzb.signals(frame, "volume_zone_breakout")


def _run_long_candle_signals(frame: pd.DataFrame) -> object:
    return vzb.signals(frame, "volume_long_candle")


def _run_sweep_stats(frame: pd.DataFrame) -> object:
    sets = parameter_sets("volume_zone_breakout", {"volume_window": [10, 20]})
    return sweep_stats(frame, "volume_zone_breakout", sets)


def _run_mapping(frame: pd.DataFrame) -> object:
    return vzb.backtest({"ETH_USD": vzb.load_sample("ETH_USD"), "BAD": frame})


RUNS = pytest.mark.parametrize(
    "run",
    [_run_backtest, _run_signals, _run_long_candle_signals, _run_sweep_stats],
    ids=["backtest", "signals", "long_candle_signals", "sweep_stats"],
)


@RUNS
@pytest.mark.parametrize("column", ["open", "high", "low", "close", "volume"])
def test_nan_value_names_column_timestamp_and_fix(candles, run, column):
    frame = _with(candles, column, 50, np.nan)
    when = candles.index[50]
    with pytest.raises(CandleError) as caught:
        run(frame)
    message = str(caught.value)
    assert f"column {column!r} is NaN at {when} (row 50)" in message
    assert "'BTC_USD'" in message
    assert "vzb.validate_candles" in message


@RUNS
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_value_is_refused(candles, run, value):
    frame = _with(candles, "volume", 70, value)
    with pytest.raises(CandleError, match=rf"column 'volume' is {value} at .*\(row 70\)"):
        run(frame)


def test_first_bad_row_is_reported_across_columns(candles):
    frame = _with(_with(candles, "open", 90, np.nan), "close", 40, np.inf)
    with pytest.raises(CandleError, match=r"column 'close' is inf at .*\(row 40\)"):
        vzb.backtest(frame)


@RUNS
def test_newest_first_rows_are_refused(candles, run):
    with pytest.raises(CandleError) as caught:
        run(candles.iloc[::-1])
    message = str(caught.value)
    assert "timestamps must be strictly increasing" in message
    assert f"row 1 (index 'timestamp' = {candles.index[-2]}) is before row 0" in message
    assert "vzb.validate_candles(df): it sorts the rows" in message


@RUNS
def test_duplicate_timestamps_are_refused(candles, run):
    frame = candles.iloc[[*range(30), 29, *range(30, len(candles))]]
    expected = f"row 30 (index 'timestamp' = {candles.index[29]}) repeats row 29"
    with pytest.raises(CandleError, match=re.escape(expected)):
        run(frame)


def test_one_row_out_of_place_is_refused(candles):
    order = np.arange(len(candles))
    order[[100, 101]] = order[[101, 100]]
    with pytest.raises(CandleError, match=r"row 101 .* is before row 100"):
        vzb.backtest(candles.iloc[order])


def test_nat_timestamp_is_refused(candles):
    stamps = candles.index.asi8.copy()
    stamps[10] = np.iinfo(np.int64).min  # NaT
    index = pd.DatetimeIndex(stamps.view(f"M8[{candles.index.unit}]"), name="timestamp")
    frame = candles.set_axis(index.tz_localize("UTC"))
    assert frame.index.hasnans
    with pytest.raises(CandleError, match=r"row 10 \(index 'timestamp' = NaT\) is NaT"):
        vzb.backtest(frame)


@RUNS
def test_index_must_be_datetime(candles, run):
    with pytest.raises(CandleError, match="need a DatetimeIndex named 'timestamp', not RangeIndex"):
        run(candles.reset_index(drop=True))


def test_mapping_names_the_bad_symbol(candles):
    with pytest.raises(CandleError, match=r"candles for 'BAD': column 'close' is NaN"):
        _run_mapping(_with(candles, "close", 5, np.nan))


def test_validate_candles_repairs_reversed_frames(candles):
    with pytest.warns(UserWarning, match="not in time order"):
        repaired = vzb.validate_candles(candles.iloc[::-1])
    expected = vzb.backtest(candles).stats
    got = vzb.backtest(repaired).stats
    assert got["Return [%]"] == expected["Return [%]"]
    assert got["# Trades"] == expected["# Trades"]


def test_validate_candles_reports_the_nan_the_engine_refused(candles):
    with pytest.raises(CandleError, match="column close has 1 row with missing"):
        vzb.validate_candles(_with(candles, "close", 50, np.nan))


def test_plain_pandas_frame_with_sorted_times_runs():
    n = 300
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    frame = pd.DataFrame(
        {
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.uniform(1, 10, n),
        },
        index=pd.date_range("2021-01-01", periods=n, freq="1h"),  # tz-naive is fine here
    )
    result = vzb.backtest(frame, params={"volume_window": 5})
    assert len(result.equity) == n
    assert result.stats["Equity Final [$]"] > 0


def test_huge_finite_values_are_not_mistaken_for_infinite(candles):
    # the cheap check sums each column; a sum that overflows must still pass
    volume = np.full(len(candles), 1e308)
    with np.errstate(over="ignore"):
        assert not np.isfinite(volume.sum())
    result = vzb.backtest(candles.assign(volume=volume))
    assert len(result.equity) == len(candles)
