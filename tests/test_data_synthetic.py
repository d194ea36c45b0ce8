"""synthetic_candles: deterministic, valid, realistic."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from vzb.data import TIMEFRAMES, synthetic_candles, validate_candles
from vzb.data.timeframes import timeframe_delta
from vzb.errors import ParameterError


def test_same_seed_same_candles_other_seed_other_candles():
    a = synthetic_candles(5_000, seed=11, timeframe="15m")
    pd.testing.assert_frame_equal(a, synthetic_candles(5_000, seed=11, timeframe="15m"))
    assert not a.equals(synthetic_candles(5_000, seed=12, timeframe="15m"))
    # a prefix of a longer series is not promised, but the first bar is the start price
    assert a["open"].iloc[0] == 100.0


def test_deterministic_across_processes():
    code = (
        "from vzb.data import synthetic_candles; print(synthetic_candles(1000, seed=5).close.sum())"
    )
    command = [sys.executable, "-c", code]
    runs = {
        subprocess.run(command, capture_output=True, text=True, check=True).stdout for _ in "ab"
    }
    assert len(runs) == 1
    assert float(runs.pop()) == pytest.approx(synthetic_candles(1000, seed=5).close.sum())


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
def test_valid_candles_at_every_timeframe(timeframe):
    candles = synthetic_candles(20_000, seed=1, timeframe=timeframe, start="2021-06-01 00:00")
    pd.testing.assert_frame_equal(validate_candles(candles), candles)
    assert candles.attrs["timeframe"] == timeframe
    assert candles.index[0] == pd.Timestamp("2021-06-01", tz="UTC")
    assert (np.diff(candles.index.asi8) == timeframe_delta(timeframe).value).all()


def test_realistic_shape():
    candles = synthetic_candles(100_000, seed=2, start="1970-01-01")
    flat = (candles.high == candles.low) & (candles.open == candles.close)
    zero = candles.volume == 0
    assert 0.005 < flat.mean() < 0.03  # occasional flat bars
    assert 0.001 < zero.mean() < 0.01  # occasional bars without trades
    assert flat[zero].all()  # no trades, no price move
    assert (candles.open.iloc[1:].to_numpy() == candles.close.iloc[:-1].to_numpy()).all()
    moving = ~flat
    spread = np.log(candles.high / candles.low)[moving]
    assert np.corrcoef(spread, candles.volume[moving])[0, 1] > 0.5  # volume rises with range
    returns = np.log(candles.close).diff().dropna()
    assert 0.02 < returns.std() < 0.045  # about 3% daily volatility
    assert returns.kurt() > 1.0  # fat tails
    assert candles.close.min() > 0


def test_long_daily_series_stays_in_range():
    candles = synthetic_candles(90_000, seed=4, timeframe="1d", start="1970-01-01")
    assert candles.close.min() > 100 / 60 and candles.close.max() < 100 * 60


def test_bad_arguments():
    with pytest.raises(ParameterError, match="n=-1"):
        synthetic_candles(-1)
    with pytest.raises(ParameterError, match="price=0"):
        synthetic_candles(3, price=0)
    with pytest.raises(ParameterError, match="timeframe='1w'"):
        synthetic_candles(3, timeframe="1w")
    with pytest.raises(ParameterError, match="run past 2262"):
        synthetic_candles(200_000, timeframe="1d")
    assert synthetic_candles(0).shape == (0, 5)
