"""validate_candles: every defect gives a CandleError naming source, row, count and fix."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from vzb.data import synthetic_candles, validate_candles
from vzb.errors import CandleError

T0 = "2024-01-01 00:00:00+00:00"
T2 = "2024-01-03 00:00:00+00:00"


def raw_candles(n: int = 5) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
    close = np.linspace(10.0, 14.0, n)
    return pd.DataFrame(
        {
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.arange(n, dtype=float),
        },
        index=index,
    )


def test_clean_frame_is_normalised():
    raw = raw_candles()
    raw.index = raw.index.tz_localize(None)  # naive times are taken as UTC
    raw["extra"] = "x"
    raw["volume"] = raw["volume"].astype(int)
    raw.attrs = {"symbol": "AAA_USD", "other": 1}
    candles = validate_candles(raw)
    assert list(candles.columns) == ["open", "high", "low", "close", "volume"]
    assert (candles.dtypes == np.float64).all()
    assert str(candles.index.tz) == "UTC"
    assert candles.index.name == "timestamp"
    assert candles.index.is_monotonic_increasing and candles.index.is_unique
    assert candles.attrs == {"symbol": "AAA_USD"}
    assert candles["volume"].iloc[0] == 0.0  # zero volume is valid


def test_other_time_zone_is_converted_to_utc():
    raw = raw_candles()
    raw.index = pd.date_range("2024-01-01 09:00", periods=5, freq="D", tz="Asia/Seoul")
    candles = validate_candles(raw)
    assert candles.index[0] == pd.Timestamp(T0)


def test_capitalised_columns_are_accepted():
    raw = raw_candles().rename(columns=str.capitalize)
    assert validate_candles(raw).shape == (5, 5)


def set_value(df: pd.DataFrame, row: int, column: str, value: float) -> pd.DataFrame:
    df = df.copy()
    df.iloc[row, df.columns.get_loc(column)] = value
    return df


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("close", np.nan, "missing (NaN)"),
        ("volume", np.inf, "infinite"),
        ("open", 0.0, "at or below zero"),
        ("low", -1.0, "at or below zero"),
        ("high", 11.4, "high below max(open, close)"),
        ("low", 11.8, "low above min(open, close)"),
        ("volume", -3.0, "negative volume"),
    ],
)
def test_value_defects_name_source_row_count_and_fix(column, value, words):
    bad = set_value(raw_candles(), 2, column, value)
    with pytest.raises(CandleError) as caught:
        validate_candles(bad, source="prices.csv")
    message = str(caught.value)
    assert message.startswith("prices.csv: ")
    assert words in message
    assert T2 in message
    assert "1 row" in message
    assert "Fix" in message or "fix" in message.lower()


def test_count_and_first_row_with_several_bad_rows():
    bad = set_value(set_value(raw_candles(), 3, "volume", -1.0), 1, "volume", -2.0)
    with pytest.raises(CandleError, match=r"2 rows with negative volume, first at 2024-01-02"):
        validate_candles(bad, source="x")


def test_missing_columns():
    with pytest.raises(CandleError, match=r"x\.csv: missing column\(s\) volume.*rename"):
        validate_candles(raw_candles().drop(columns="volume"), source="x.csv")


def test_non_numeric_values_name_the_row():
    bad = raw_candles().astype({"close": object})
    bad.iloc[1, 3] = "n/a"
    with pytest.raises(CandleError, match=r"close holds 1 row that are not numbers.*2024-01-02"):
        validate_candles(bad, source="x")


def test_duplicate_timestamps():
    bad = raw_candles()
    bad.index = bad.index[[0, 1, 2, 2, 4]]
    with pytest.raises(CandleError) as caught:
        validate_candles(bad, source="BTC_USD")
    message = str(caught.value)
    assert "BTC_USD: 1 row repeat an earlier timestamp, first at " + T2 in message
    assert "duplicated" in message


def test_non_datetime_index():
    bad = raw_candles().reset_index(names="timestamp")
    with pytest.raises(CandleError, match=r"RangeIndex, not a DatetimeIndex.*set_index"):
        validate_candles(bad, source="x")


def test_missing_timestamp():
    bad = raw_candles()
    bad.index = pd.DatetimeIndex([*bad.index.tolist()[:1], pd.NaT, *bad.index.tolist()[2:]])
    with pytest.raises(CandleError, match=r"1 row without a timestamp \(NaT\)"):
        validate_candles(bad, source="x")


def test_not_a_frame():
    with pytest.raises(CandleError, match="expects a pandas DataFrame"):
        validate_candles([1, 2, 3])


def test_source_defaults_to_attrs():
    bad = set_value(raw_candles(), 0, "volume", -1.0)
    bad.attrs = {"symbol": "ETH_KRW"}
    with pytest.raises(CandleError, match=r"^ETH_KRW: "):
        validate_candles(bad)


def test_unsorted_rows_are_sorted_with_a_warning():
    raw = raw_candles().iloc[[0, 2, 1, 3, 4]]
    with pytest.warns(UserWarning, match=r"not in time order \(1 step\(s\) back.*sort_index") as w:
        candles = validate_candles(raw, source="x")
    assert w[0].filename == __file__  # stacklevel=2 points at the caller
    pd.testing.assert_frame_equal(candles, validate_candles(raw_candles()), check_freq=False)


def test_sorted_input_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_candles(raw_candles())


def test_empty_frame_is_valid():
    candles = validate_candles(raw_candles().iloc[:0])
    assert candles.shape == (0, 5)


def test_large_frame_is_validated_vectorised():
    candles = synthetic_candles(50_000, seed=3, timeframe="1m")
    shuffled = candles.copy()
    shuffled.iloc[40_000, 3] = np.nan
    with pytest.raises(CandleError, match=re.escape(str(candles.index[40_000]))):
        validate_candles(shuffled)
    pd.testing.assert_frame_equal(validate_candles(candles), candles)


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
def test_result_is_writable_and_independent_of_the_input(order):
    raw = raw_candles().iloc[order]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        candles = validate_candles(raw)
    before = raw.copy()
    candles.iloc[0, 0] = 99.0
    candles["volume"] *= 2
    pd.testing.assert_frame_equal(raw, before)
