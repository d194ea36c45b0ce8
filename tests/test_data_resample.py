"""resample_candles: OHLCV aggregation properties (hypothesis) and edge handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vzb.data import TIMEFRAMES, load_sample, resample_candles, synthetic_candles, validate_candles
from vzb.data.timeframes import timeframe_delta
from vzb.errors import CandleError, ParameterError

PAIRS = [
    (fine, coarse)
    for i, fine in enumerate(TIMEFRAMES)
    for coarse in TIMEFRAMES[i + 1 :]
    if timeframe_delta(coarse) % timeframe_delta(fine) == pd.Timedelta(0)
]


def reference(candles: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Slow, obvious grouping by floor of the timestamp to the bucket."""
    rows = {}
    for stamp, bar in candles.iterrows():
        key = stamp.floor(timeframe_delta(timeframe))
        if key not in rows:
            rows[key] = dict(bar)
        else:
            row = rows[key]
            row["high"] = max(row["high"], bar["high"])
            row["low"] = min(row["low"], bar["low"])
            row["close"] = bar["close"]
            row["volume"] += bar["volume"]
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "timestamp"
    return out


@settings(max_examples=40, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    n=st.integers(1, 300),
    seed=st.integers(0, 2**16),
    offset=st.integers(0, 500),
    gaps=st.lists(st.integers(0, 299), max_size=20),
)
def test_keep_matches_reference(pair, n, seed, offset, gaps):
    fine, coarse = pair
    start = pd.Timestamp("2024-01-01", tz="UTC") + offset * timeframe_delta(fine)
    candles = synthetic_candles(n, seed=seed, timeframe=fine, start=start)
    candles = candles.drop(index=candles.index[[g for g in gaps if g < n - 1]])
    candles.attrs["timeframe"] = fine
    out = resample_candles(candles, coarse, partial="keep")
    expected = reference(candles, coarse)
    pd.testing.assert_frame_equal(out, expected, check_freq=False, check_index_type=False)
    assert out["volume"].sum() == pytest.approx(candles["volume"].sum())
    validate_candles(out)  # still valid candles
    assert out.attrs["timeframe"] == coarse


@settings(max_examples=40, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    n=st.integers(1, 300),
    seed=st.integers(0, 2**16),
    offset=st.integers(0, 500),
)
def test_drop_removes_only_incomplete_edges(pair, n, seed, offset):
    fine, coarse = pair
    step, target = timeframe_delta(fine), timeframe_delta(coarse)
    start = pd.Timestamp("2024-01-01", tz="UTC") + offset * step
    candles = synthetic_candles(n, seed=seed, timeframe=fine, start=start)
    kept = resample_candles(candles, coarse, partial="keep")
    dropped = resample_candles(candles, coarse)
    assert set(dropped.index) <= set(kept.index)
    per_bucket = target // step
    for stamp in kept.index:
        inside = candles.loc[stamp : stamp + target - step]
        complete = len(inside) == per_bucket
        assert (stamp in dropped.index) == complete  # no gaps here, so full == complete
    for stamp in dropped.index:
        pd.testing.assert_series_equal(dropped.loc[stamp], kept.loc[stamp])


def test_btc_hourly_to_daily_matches_pandas_and_drops_partial_edges():
    hourly = load_sample("BTC_USD", "1h")  # 2017-07-01 11:00 .. 2019-10-17 09:00
    daily = resample_candles(hourly, "1d")
    assert daily.index[0] == pd.Timestamp("2017-07-02", tz="UTC")
    assert daily.index[-1] == pd.Timestamp("2019-10-16", tz="UTC")
    day = hourly.loc["2018-03-05"]
    row = daily.loc[pd.Timestamp("2018-03-05", tz="UTC")]
    assert row["open"] == day["open"].iloc[0]
    assert row["close"] == day["close"].iloc[-1]
    assert row["high"] == day["high"].max()
    assert row["low"] == day["low"].min()
    assert row["volume"] == pytest.approx(day["volume"].sum())
    assert daily.attrs["symbol"] == "BTC_USD" and daily.attrs["timeframe"] == "1d"


def test_same_timeframe_is_a_copy():
    daily = load_sample("ETH_USD")
    same = resample_candles(daily, "1d")
    pd.testing.assert_frame_equal(same, daily)
    assert not np.shares_memory(same["close"].to_numpy(), daily["close"].to_numpy())


def test_finer_timeframe_is_refused():
    with pytest.raises(CandleError, match=r"from 1d to the finer 1h.*Choose one of 1d"):
        resample_candles(load_sample("BTC_USD"), "1h")


def test_unknown_source_timeframe_and_bad_arguments():
    odd = synthetic_candles(10, timeframe="1m")
    odd.index = odd.index + pd.to_timedelta(np.arange(10) * 7, unit="s")
    odd.attrs.pop("timeframe")
    with pytest.raises(CandleError, match=r"timeframe is unknown.*attrs\['timeframe'\]"):
        resample_candles(odd, "1h")
    with pytest.raises(ParameterError, match=r"timeframe='2h' is not a timeframe.*1m, 5m"):
        resample_candles(load_sample("BTC_USD"), "2h")
    with pytest.raises(ParameterError, match="partial='maybe'"):
        resample_candles(load_sample("BTC_USD"), "1d", partial="maybe")
