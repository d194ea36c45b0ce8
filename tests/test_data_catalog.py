"""The catalog: bundled samples plus a user data directory, resampling, date ranges."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from vzb.data import list_symbols, load_candles, load_sample, resample_candles
from vzb.errors import CandleError, ParameterError, UnknownSymbolError

FIXTURES = Path(__file__).parent / "fixtures"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture
def data_dir(tmp_path):
    shutil.copy(FIXTURES / "epoch_milliseconds.csv", tmp_path / "AAA_KRW_1m.csv")
    load_sample("ETH_USD").iloc[:10].to_parquet(tmp_path / "ETH_USD_1d.parquet")
    (tmp_path / "notes.txt").write_text("not candles")
    (tmp_path / "BBB_KRW_2w.csv").write_text("ignored: unknown timeframe")
    return tmp_path


def test_bundled_symbols_load():
    pd.testing.assert_frame_equal(load_candles("BTC_USD"), load_sample("BTC_USD"))
    assert load_candles("btc/usd", "1h").attrs["symbol"] == "BTC_USD"


def test_inclusive_date_range_with_strings_and_timestamps():
    candles = load_candles("ETH_USD", "1d", start="2018-01-01", end="2018-01-31")
    assert candles.index[0] == utc("2018-01-01") and candles.index[-1] == utc("2018-01-31")
    same = load_candles("ETH_USD", start=pd.Timestamp("2018-01-01"), end=utc("2018-01-31"))
    pd.testing.assert_frame_equal(candles, same)
    hours = load_candles("BTC_USD", "1h", start="2019-01-01", end="2019-01-01")
    assert len(hours) == 24 and hours.index[-1] == utc("2019-01-01 23:00")
    assert len(load_candles("BTC_USD", "1h", "2019-01-01", "2019-01-01 05:00")) == 6
    assert len(load_candles("BTC_USD", "1d", end="2014-12")) == 34  # whole month
    assert load_candles("LTC_USD", start="2020-01-10").index[0] == utc("2020-01-10")


def test_coarser_timeframe_is_resampled_from_finer():
    four = load_candles("BTC_USD", "4h")
    assert four.attrs["timeframe"] == "4h"
    pd.testing.assert_frame_equal(four, resample_candles(load_sample("BTC_USD", "1h"), "4h"))
    assert four.index[0] == utc("2017-07-01 12:00")  # the 08:00 bucket began before the data


def test_unknown_symbol_lists_what_is_available():
    with pytest.raises(UnknownSymbolError) as caught:
        load_candles("BTC_UDS")
    message = str(caught.value)
    assert "No candles for BTC_UDS at 1d" in message
    assert "BTC_USD 1d, BTC_USD 1h, ETH_USD 1d, LTC_USD 1d" in message
    assert "Did you mean BTC_USD?" in message


def test_dashed_symbols_resolve_to_what_the_catalog_holds(tmp_path):
    coinbase = load_candles("BTC-USD")  # base first
    pd.testing.assert_frame_equal(coinbase, load_candles("BTC_USD"))
    assert load_candles("usd-btc").attrs["symbol"] == "BTC_USD"  # quote first, as on Upbit
    load_sample("ETH_USD").iloc[:5].to_parquet(tmp_path / "BTC_KRW_1d.parquet")
    assert load_candles("KRW-BTC", data_dir=tmp_path).attrs["symbol"] == "BTC_KRW"
    assert load_candles("BTC-KRW", data_dir=tmp_path).attrs["symbol"] == "BTC_KRW"


def test_an_unknown_dashed_symbol_names_both_readings():
    with pytest.raises(UnknownSymbolError, match=r"'DOGE-USD' \(read as DOGE_USD and USD_DOGE\)"):
        load_candles("DOGE-USD")


def test_finer_than_available_is_unknown():
    with pytest.raises(UnknownSymbolError, match=r"No candles for ETH_USD at 1h. Available"):
        load_candles("ETH_USD", "1h")


def test_empty_range_says_what_is_held():
    with pytest.raises(UnknownSymbolError) as caught:
        load_candles("ETH_USD", start="2030-01-01")
    message = str(caught.value)
    assert "No ETH_USD 1d candles from 2030-01-01; the catalog holds 2017-11-09 to " in message
    assert "None" not in message
    with pytest.raises(UnknownSymbolError, match=r"candles until 2010-01-01; .* 2017-11-09 to"):
        load_candles("ETH_USD", end="2010-01-01")
    with pytest.raises(UnknownSymbolError, match=r"candles 2030-01-01 to 2030-02-01;"):
        load_candles("ETH_USD", start="2030-01-01", end="2030-02-01")
    with pytest.raises(ParameterError, match="is after end"):
        load_candles("ETH_USD", start="2019-01-02", end="2019-01-01")
    with pytest.raises(ParameterError, match="is not a date"):
        load_candles("ETH_USD", start="soon")


def test_user_directory(data_dir):
    table = list_symbols(data_dir).set_index(["symbol", "timeframe"])["source"]
    assert table[("AAA_KRW", "1m")] == str(data_dir / "AAA_KRW_1m.csv")
    assert table[("AAA_KRW", "1d")] == "resampled from 1m"
    assert table[("ETH_USD", "1d")] == str(data_dir / "ETH_USD_1d.parquet")
    assert table[("BTC_USD", "4h")] == "resampled from 1h"
    assert table[("BTC_USD", "1d")] == "bundled"
    assert len(table) == 6 + 3 + 1 + 1  # AAA_KRW 1m..1d, BTC_USD 1h/4h/1d, ETH_USD, LTC_USD
    assert list(table.index.get_level_values(0)) == sorted(table.index.get_level_values(0))
    aaa = load_candles("AAA_KRW", "1m", data_dir=data_dir)
    assert aaa.attrs == {
        "source": str(data_dir / "AAA_KRW_1m.csv"),
        "symbol": "AAA_KRW",
        "timeframe": "1m",
    }
    assert len(load_candles("ETH_USD", data_dir=data_dir)) == 10  # user file beats the sample
    with pytest.raises(UnknownSymbolError, match="AAA_KRW 1m"):
        load_candles("ZZZ_KRW", data_dir=data_dir)


def test_user_directory_from_environment(data_dir, monkeypatch):
    monkeypatch.setenv("VZB_DATA_DIR", str(data_dir))
    assert "AAA_KRW" in set(list_symbols().symbol)
    assert len(load_candles("AAA_KRW", "1m")) == 3


def test_user_file_resampled(tmp_path):
    hourly = load_sample("BTC_USD", "1h").loc["2019-01-01":"2019-01-03"]
    hourly.reset_index().to_csv(tmp_path / "XBT_EUR_1h.csv", index=False)
    daily = load_candles("XBT_EUR", "1d", data_dir=tmp_path)
    assert daily.index.tolist() == [utc("2019-01-01"), utc("2019-01-02"), utc("2019-01-03")]
    assert daily.attrs["symbol"] == "XBT_EUR"


def test_misnamed_user_file(tmp_path):
    shutil.copy(FIXTURES / "epoch_milliseconds.csv", tmp_path / "AAA_KRW_1h.csv")
    with pytest.raises(CandleError, match=r"file name says 1h but its candles are 1m.*AAA_KRW_1m"):
        load_candles("AAA_KRW", "1h", data_dir=tmp_path)


def test_a_header_only_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "AAA_KRW_1h.csv").write_text("timestamp,open,high,low,close,volume\n")
    with pytest.raises(CandleError, match=r"AAA_KRW_1h.csv holds no candles: .* Fix: add rows"):
        load_candles("AAA_KRW", "1h", data_dir=tmp_path)


def test_missing_directory(tmp_path):
    with pytest.raises(UnknownSymbolError, match="does not exist"):
        load_candles("BTC_USD", data_dir=tmp_path / "nope")


def test_every_listed_entry_loads(data_dir):
    for row in list_symbols(data_dir).itertuples():
        if row.symbol == "AAA_KRW" and row.timeframe != "1m":  # only 3 minutes of data
            with pytest.raises(UnknownSymbolError, match=r"No complete AAA_KRW \S+ bar.*3 from"):
                load_candles(row.symbol, row.timeframe, data_dir=data_dir)
            continue
        candles = load_candles(row.symbol, row.timeframe, data_dir=data_dir)
        assert candles.attrs["timeframe"] == row.timeframe
        assert candles.attrs["symbol"] == row.symbol
