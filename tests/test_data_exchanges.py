"""Exchange loaders on small fixtures of each response shape."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import vzb
from vzb.data import from_bithumb, from_ccxt, from_upbit, read_candles
from vzb.errors import CandleError, ParameterError

FIXTURES = Path(__file__).parent / "fixtures"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize("form", ["path", "text", "parsed", "str_path"])
def test_upbit_days_in_every_form(form):
    path = FIXTURES / "upbit_days_krw_btc.json"
    obj = {
        "path": path,
        "str_path": str(path),
        "text": path.read_text(),
        "parsed": json.loads(path.read_text()),
    }[form]
    candles = from_upbit(obj)
    assert candles.index.tolist() == [utc("2018-04-17"), utc("2018-04-18"), utc("2018-04-20")]
    day = candles.loc[utc("2018-04-18")]
    assert (day["open"], day["high"], day["low"], day["close"]) == (
        8450000.0,
        8679000.0,
        8445000.0,
        8626000.0,
    )
    assert day["volume"] == 12505.93101659  # base volume, not candle_acc_trade_price
    assert candles.attrs["symbol"] == "BTC_KRW"
    assert candles.attrs["timeframe"] == "1d"  # despite the omitted 2018-04-19


def test_upbit_minutes():
    candles = from_upbit(FIXTURES / "upbit_minutes_60_krw_eth.json")
    assert candles.index[0] == utc("2024-03-01 00:00")  # candle_date_time_utc, not KST
    assert candles.attrs == {
        "source": str(FIXTURES / "upbit_minutes_60_krw_eth.json"),
        "symbol": "ETH_KRW",
        "timeframe": "1h",
    }


def test_upbit_errors():
    with pytest.raises(CandleError, match="Upbit returned an error invalid_query_format"):
        from_upbit({"error": {"name": "invalid_query_format", "message": "bad market"}})
    rows = json.loads((FIXTURES / "upbit_days_krw_btc.json").read_text())
    del rows[1]["trade_price"]
    with pytest.raises(CandleError, match=r"candle 1 \(2018-04-18T00:00:00\) lacks trade_price"):
        from_upbit(rows)
    rows = json.loads((FIXTURES / "upbit_days_krw_btc.json").read_text())
    rows[0]["market"] = "KRW-ETH"
    with pytest.raises(CandleError, match="mixes markets KRW-BTC, KRW-ETH"):
        from_upbit(rows)


def test_bithumb_ok():
    candles = from_bithumb(FIXTURES / "bithumb_btc_krw_24h.json", symbol="BTC_KRW")
    first = candles.iloc[0]
    # Bithumb rows are [ts, open, close, high, low, volume]
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        58150000.0,
        59450000.0,
        57900000.0,
        59000000.0,
    )
    assert candles.index[0] == utc("2024-01-01")
    assert candles["volume"].iloc[-1] == 0.0
    assert candles.attrs["timeframe"] == "1d"
    assert candles.attrs["symbol"] == "BTC_KRW"


def test_bithumb_error_status_raises_with_the_exchange_message():
    path = FIXTURES / "bithumb_error.json"
    expected = r"bithumb_error.json: Bithumb returned status 5500: Invalid Parameter"
    with pytest.raises(CandleError, match=expected):
        from_bithumb(path)
    with pytest.raises(CandleError, match="status 5500: Invalid Parameter"):
        read_candles(path)


def test_bithumb_bare_rows_are_refused():
    with pytest.raises(CandleError, match="whole response"):
        from_bithumb([[1704067200000, "1", "2", "3", "0.5", "1"]])


def test_bithumb_bad_number_names_the_row():
    response = json.loads((FIXTURES / "bithumb_btc_krw_24h.json").read_text())
    response["data"][2][3] = "abc"
    with pytest.raises(CandleError, match=r"high is not a number in 1 row.*2024-01-03"):
        from_bithumb(response)


def test_ccxt():
    candles = from_ccxt(FIXTURES / "ccxt_btc_usdt_1h.json", symbol="BTC/USDT")
    assert len(candles) == 4
    assert candles.attrs["symbol"] == "BTC_USDT"
    assert candles.attrs["timeframe"] == "1h"
    assert candles["close"].iloc[1] == 42613.56
    assert candles.index[3] == utc("2024-01-01 03:00")


def test_ccxt_invalid_candle_names_the_row():
    rows = json.loads((FIXTURES / "ccxt_btc_usdt_1h.json").read_text())
    rows[2][5] = None
    with pytest.raises(CandleError, match=r"volume has 1 row with missing.*2024-01-01 02:00"):
        from_ccxt(rows)
    with pytest.raises(CandleError, match=r"ccxt row 0 is \[1, 2\]"):
        from_ccxt([[1, 2]])


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("upbit_days_krw_btc.json", "BTC_KRW"),
        ("bithumb_btc_krw_24h.json", None),
        ("ccxt_btc_usdt_1h.json", None),
    ],
)
def test_read_candles_recognises_exchange_json(name, symbol):
    candles = read_candles(FIXTURES / name)
    assert candles.attrs.get("symbol") == symbol
    assert candles.attrs["source"] == str(FIXTURES / name)


def test_invalid_json_text():
    with pytest.raises(CandleError, match="not valid JSON"):
        from_ccxt("[[1, 2,")


def test_upbit_markets_are_always_quote_first():
    row = {"market": "BTC-ETH", "candle_date_time_utc": "2024-01-01T00:00:00",
           "opening_price": 0.05, "high_price": 0.06, "low_price": 0.04, "trade_price": 0.05,
           "candle_acc_trade_volume": 10.0}  # fmt: skip
    assert vzb.from_upbit([row]).attrs["symbol"] == "ETH_BTC"


def test_every_loader_writes_symbols_base_quote():
    from vzb.data import normalize_symbol

    assert normalize_symbol("KRW-BTC") == "BTC_KRW"
    assert normalize_symbol("BTC-USD") == "BTC_USD"  # Coinbase writes base first
    assert normalize_symbol(" btc/krw ") == "BTC_KRW"
    assert normalize_symbol("eth_usd") == "ETH_USD"
    ok = {"status": "0000", "data": [[1704067200000, "1", "1.5", "2", "0.5", "3"]]}
    assert vzb.from_bithumb(ok, symbol="BTC/KRW").attrs["symbol"] == "BTC_KRW"
    assert (
        vzb.from_ccxt([[1704067200000, 1, 2, 0.5, 1.5, 3]], symbol="btc/krw").attrs["symbol"]
        == "BTC_KRW"
    )
    with pytest.raises(ParameterError, match="symbol="):
        normalize_symbol("  ")
