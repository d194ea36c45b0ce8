"""Exchange responses to candles: Upbit, Bithumb and ccxt shapes.

Each loader takes a JSON string, an already parsed object, or a path to a JSON file
(local, or an fsspec URL), and returns validated candles. Volume is always the base
(coin) volume. Symbols are written ``BASE_QUOTE``: Upbit's ``KRW-BTC`` and ccxt's
``BTC/KRW`` both become ``BTC_KRW``.

>>> rows = [[1704067200000, 1.0, 2.0, 0.5, 1.5, 10.0]]
>>> from_ccxt(rows, symbol="BTC/KRW").attrs["symbol"]
'BTC_KRW'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vzb.data.files import open_binary
from vzb.data.symbols import normalize_symbol
from vzb.data.times import as_utc
from vzb.data.validate import CANDLE_COLUMNS, finish_candles
from vzb.errors import CandleError

__all__ = ["from_bithumb", "from_ccxt", "from_upbit", "read_exchange_json"]

_UPBIT_FIELDS = {
    "open": "opening_price",
    "high": "high_price",
    "low": "low_price",
    "close": "trade_price",
    "volume": "candle_acc_trade_volume",
}
_UPBIT_UNITS = {1: "1m", 5: "5m", 15: "15m", 60: "1h", 240: "4h"}


def _parse(obj: Any, exchange: str) -> tuple[Any, str]:
    """Return (parsed JSON, name for messages)."""
    if isinstance(obj, bytes):
        obj = obj.decode("utf-8")
    if isinstance(obj, str) and obj.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(obj), f"{exchange} response"
        except json.JSONDecodeError as error:
            raise CandleError(f"{exchange} response is not valid JSON: {error}.") from None
    if isinstance(obj, str | os.PathLike):
        name = os.fspath(obj)
        with open_binary(name) as handle:
            try:
                return json.load(handle), name
            except json.JSONDecodeError as error:
                raise CandleError(f"{name} is not valid JSON: {error}.") from None
    if isinstance(obj, list | dict):
        return obj, f"{exchange} response"
    raise CandleError(
        f"{exchange} candles must be a JSON string, a parsed list/dict or a file path; "
        f"got {type(obj).__name__}."
    )


def _frame(
    stamps: Any, columns: dict[str, Any], name: str, *, unit: str | None = None
) -> pd.DataFrame:
    if unit is None:
        index = pd.DatetimeIndex(pd.to_datetime(pd.Series(stamps, dtype="str"), format="ISO8601"))
    else:
        index = pd.DatetimeIndex(pd.to_datetime(np.asarray(stamps, dtype=np.int64), unit=unit))
    index = as_utc(index)
    data = {}
    for field in CANDLE_COLUMNS:
        values = pd.to_numeric(pd.Series(columns[field], dtype=object), errors="coerce")
        bad = values.isna() & pd.Series(columns[field], dtype=object).notna()
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise CandleError(
                f"{name}: {field} is not a number in {int(bad.sum())} row(s), first at "
                f"{index[first]} ({columns[field][first]!r}). Fix the response data."
            )
        data[field] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame(data, index=index)  # newest first, as exchanges answer, is fine


def from_upbit(obj: Any) -> pd.DataFrame:
    """Candles from an Upbit ``/v1/candles/days`` or ``/v1/candles/minutes/{unit}`` response.

    Times come from ``candle_date_time_utc`` (the bar's start, UTC); volume is
    ``candle_acc_trade_volume`` (base currency). Upbit omits bars without trades.

    Parameters
    ----------
    obj : str, list or path
        The response as JSON text, as a parsed list of objects, or a JSON file path.

    Returns
    -------
    DataFrame
        Validated candles, oldest first, ``attrs["symbol"]`` like ``"BTC_KRW"``.

    Examples
    --------
    >>> response = [{"market": "KRW-BTC", "candle_date_time_utc": "2018-04-18T00:00:00",
    ...              "candle_date_time_kst": "2018-04-18T09:00:00", "opening_price": 8450000.0,
    ...              "high_price": 8679000.0, "low_price": 8445000.0, "trade_price": 8626000.0,
    ...              "timestamp": 1524046650532, "candle_acc_trade_price": 107184005903.68,
    ...              "candle_acc_trade_volume": 12505.93101659}]
    >>> candles = from_upbit(response)
    >>> candles.attrs["symbol"], candles["high"].iloc[0]
    ('BTC_KRW', np.float64(8679000.0))
    """
    data, name = _parse(obj, "Upbit")
    return _upbit(data, name)


def _upbit(data: Any, name: str) -> pd.DataFrame:
    if isinstance(data, dict) and "error" in data:
        error = data["error"] or {}
        raise CandleError(
            f"{name}: Upbit returned an error {error.get('name', '')!s}: "
            f"{error.get('message', error)!s}. Fix the request (market, count, to)."
        )
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise CandleError(
            f"{name}: an Upbit candle response is a JSON array of objects; got "
            f"{type(data).__name__}. Pass the body of GET /v1/candles/..."
        )
    needed = ["candle_date_time_utc", *_UPBIT_FIELDS.values()]
    for position, row in enumerate(data):
        missing = [key for key in needed if key not in row]
        if missing:
            raise CandleError(
                f"{name}: Upbit candle {position} ({row.get('candle_date_time_utc', '?')}) lacks "
                f"{', '.join(missing)}. Fix: pass an unmodified /v1/candles response."
            )
    markets = sorted({row.get("market") for row in data if row.get("market")})
    if len(markets) > 1:
        raise CandleError(
            f"{name} mixes markets {', '.join(markets)}; pass one market's candles at a time."
        )
    symbol = normalize_symbol(markets[0], quote_first=True) if markets else None
    units = {row.get("unit") for row in data}
    if units == {None}:  # the days endpoint has no unit (weeks and months neither)
        timeframe = None
    else:
        timeframe = _UPBIT_UNITS.get(units.pop()) if len(units) == 1 else None
    frame = _frame(
        [row["candle_date_time_utc"] for row in data],
        {field: [row[key] for row in data] for field, key in _UPBIT_FIELDS.items()},
        name,
    )
    if units == {None} and len(frame) > 1:
        steps = np.diff(np.sort(frame.index.as_unit("ns").asi8))
        day = pd.Timedelta(days=1).value
        if steps.min() == day and not (steps % day).any():
            timeframe = "1d"  # days with no trades are omitted, so spacing alone can mislead
    return finish_candles(frame, source=name, symbol=symbol, timeframe=timeframe)


def from_bithumb(obj: Any, *, symbol: str | None = None) -> pd.DataFrame:
    """Candles from a Bithumb ``/public/candlestick/{pair}/{interval}`` response.

    The response is ``{"status": "0000", "data": [[ts_ms, open, close, high, low,
    volume], ...]}``: close comes before high and the numbers are strings. A status other
    than ``"0000"`` raises ``CandleError`` with Bithumb's message.

    Parameters
    ----------
    obj : str, dict or path
        The response as JSON text, a parsed dict, or a JSON file path.
    symbol : str, optional
        The pair, e.g. ``"BTC_KRW"`` (the response does not say), kept in ``attrs``.

    Examples
    --------
    >>> from_bithumb({"status": "5600", "message": "Invalid Parameter"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.CandleError: Bithumb response: Bithumb returned status 5600: Invalid Parameter. ...
    >>> response = {"status": "0000", "data": [[1704067200000, "10", "11", "12", "9", "3.5"]]}
    >>> from_bithumb(response)[["open", "high", "low", "close"]].iloc[0].tolist()
    [10.0, 12.0, 9.0, 11.0]
    """
    data, name = _parse(obj, "Bithumb")
    return _bithumb(data, name, symbol)


def _bithumb(data: Any, name: str, symbol: str | None) -> pd.DataFrame:
    if not isinstance(data, dict) or "status" not in data:
        raise CandleError(
            f"{name}: a Bithumb candlestick response is an object with 'status' and 'data'; "
            f"got {type(data).__name__}. Pass the whole response (a bare row list is "
            f"ambiguous: ccxt rows order high before close)."
        )
    status = str(data["status"])
    if status != "0000":
        raise CandleError(
            f"{name}: Bithumb returned status {status}: {data.get('message', 'no message')}. "
            f"Fix the request (pair and interval such as BTC_KRW/24h) and try again."
        )
    return _candles_from_rows(data.get("data") or [], name, "Bithumb", _BITHUMB_ROW, symbol)


def from_ccxt(obj: Any, *, symbol: str | None = None) -> pd.DataFrame:
    """Candles from ccxt ``fetch_ohlcv``: ``[[ts_ms, open, high, low, close, volume], ...]``.

    Parameters
    ----------
    obj : str, list or path
        The rows as JSON text, a list of lists, or a JSON file path.
    symbol : str, optional
        ccxt's symbol (``"BTC/KRW"``), stored as ``attrs["symbol"] = "BTC_KRW"``.

    Examples
    --------
    >>> rows = [[1704067200000, 1.0, 2.0, 0.5, 1.5, 10.0], [1704070800000, 1.5, 1.6, 1.4, 1.5, 0.0]]
    >>> candles = from_ccxt(rows, symbol="BTC/USDT")
    >>> candles.attrs["timeframe"], candles.attrs["symbol"]
    ('1h', 'BTC_USDT')
    """
    data, name = _parse(obj, "ccxt")
    return _ccxt(data, name, symbol)


def _ccxt(data: Any, name: str, symbol: str | None) -> pd.DataFrame:
    if not isinstance(data, list):
        raise CandleError(
            f"{name}: ccxt OHLCV data is a list of [ts_ms, open, high, low, close, volume] "
            f"rows; got {type(data).__name__}."
        )
    return _candles_from_rows(data, name, "ccxt", _CCXT_ROW, symbol)


#: the fields after the millisecond timestamp in each exchange's rows
_BITHUMB_ROW = ("open", "close", "high", "low", "volume")
_CCXT_ROW = ("open", "high", "low", "close", "volume")


def _candles_from_rows(
    rows: list, name: str, exchange: str, fields: tuple[str, ...], symbol: str | None
) -> pd.DataFrame:
    """Candles from ``[ts_ms, <fields>...]`` rows (Bithumb and ccxt lists)."""
    for position, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) < 6:
            raise CandleError(
                f"{name}: {exchange} row {position} is {row!r}; expected "
                f"[ts_ms, {', '.join(fields)}]."
            )
    frame = _frame(
        [row[0] for row in rows],
        {field: [row[i] for row in rows] for i, field in enumerate(fields, start=1)},
        name,
        unit="ms",
    )
    return finish_candles(frame, source=name, symbol=normalize_symbol(symbol) if symbol else None)


def read_exchange_json(path: str | os.PathLike[str], *, symbol: str | None = None) -> pd.DataFrame:
    """Read a JSON file holding an Upbit, Bithumb or ccxt response, recognising which.

    :func:`vzb.data.read_candles` uses this for ``.json`` files.
    """
    data, name = _parse(Path(path) if "://" not in str(path) else str(path), "JSON")
    if isinstance(data, dict) and "status" in data:
        candles = _bithumb(data, name, symbol)
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        candles = _upbit(data, name)
    elif isinstance(data, list):
        candles = _ccxt(data, name, symbol)
    else:
        raise CandleError(
            f"{name}: not an Upbit, Bithumb or ccxt candle response. Fix: use from_upbit, "
            f"from_bithumb or from_ccxt directly."
        )
    candles.attrs["source"] = str(path)
    return candles
