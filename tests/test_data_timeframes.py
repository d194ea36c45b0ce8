"""Timeframes: bars per year and inference from an index."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from vzb.data import TIMEFRAMES, bars_per_year, infer_timeframe, load_sample
from vzb.data.timeframes import timeframe_delta
from vzb.errors import ParameterError


def test_timeframes():
    assert TIMEFRAMES == ("1m", "5m", "15m", "1h", "4h", "1d")


@pytest.mark.parametrize(
    ("timeframe", "bars"),
    [("1m", 525_600), ("5m", 105_120), ("15m", 35_040), ("1h", 8760), ("4h", 2190), ("1d", 365)],
)
def test_bars_per_year(timeframe, bars):
    assert bars_per_year(timeframe) == bars
    index = pd.date_range("2024-01-01", periods=50, freq=timeframe_delta(timeframe))
    assert bars_per_year(index) == bars
    assert infer_timeframe(index) == timeframe


def test_inference_on_real_data_with_gaps():
    assert infer_timeframe(load_sample("BTC_USD").index) == "1d"  # one day missing
    assert bars_per_year(load_sample("BTC_USD", "1h").index) == 8760


def test_unknown_spacing():
    index = pd.date_range("2024-01-01", periods=5, freq="2h", tz="UTC")
    assert infer_timeframe(index) is None
    assert bars_per_year(index) == 365 * 12
    with pytest.raises(ParameterError, match="'2d' is not a timeframe"):
        bars_per_year("2d")


def test_fewer_than_two_timestamps_count_as_daily():
    index = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    assert bars_per_year(index[:1]) == bars_per_year(index[:0]) == 365.0
    assert bars_per_year(index[[0, 0]]) == 365.0  # no distinct step either


def test_the_median_step_ignores_gaps_and_units():
    hours = pd.date_range("2024-01-01", periods=100, freq="h", tz="UTC")
    gappy = hours.delete([10, 11, 12, 50])  # four missing bars
    assert bars_per_year(gappy) == 8760.0
    assert bars_per_year(gappy.as_unit("s")) == bars_per_year(gappy.as_unit("ms")) == 8760.0
    mostly_daily = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-10"])
    assert bars_per_year(mostly_daily) == 365.0


def test_bars_per_year_of_a_long_regular_index_is_fast():
    import time

    index = pd.date_range("2000-01-01", periods=1_000_000, freq="min", tz="UTC")
    bars_per_year(index)
    started = time.perf_counter()
    for _ in range(10):
        assert bars_per_year(index) == 525_600.0
    assert (time.perf_counter() - started) / 10 < 0.02  # measured about 2 ms


def test_import_is_light():
    code = "import sys, vzb.data; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
