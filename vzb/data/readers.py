"""Reading candles from CSV and Parquet files in the layouts exchanges and data sites use.

:func:`read_candles` recognises, without being told:

- a time column or index called ``timestamp``, ``date``, ``datetime``, ``time``,
  ``open_time`` (any case), or an unnamed first column;
- times as text (ISO dates, CryptoDataDownload's ``2019-10-17 09-AM``), or as epoch
  seconds, milliseconds, microseconds or nanoseconds (told apart by their magnitude);
- capitalised column names (``Open``, ``Volume``);
- wide multi-symbol files with ``SYMBOL:field`` columns (``BTC:open``), picked with
  ``symbol=``; rows where every field of that symbol is empty are dropped (the market
  did not exist yet), a partly empty row is an error;
- a ``symbol`` column holding several markets, picked with ``symbol=``;
- two volume columns, base and quote (CryptoDataDownload's ``volume_btc`` and
  ``volume``, or ``Volume BTC`` and ``Volume USD``): the base (coin) volume is used;
- a banner line above the header (CryptoDataDownload);
- newest-first order (reversed silently; anything else out of order is sorted with a
  warning by :func:`~vzb.data.validate_candles`).

>>> import io
>>> text = (
...     "Unix Timestamp,Open,High,Low,Close,Volume\\n"
...     "1704153600000,2,3,2,3,7\\n1704067200000,1,2,1,2,5\\n"
... )
>>> candles = read_candles(io.StringIO(text))
>>> candles.index.strftime("%Y-%m-%d").tolist(), candles["close"].tolist()
(['2024-01-01', '2024-01-02'], [2.0, 3.0])
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
from typing import Any

import numpy as np
import pandas as pd

from vzb.data.exchanges import read_exchange_json
from vzb.data.files import open_binary
from vzb.data.symbols import symbol_base, symbol_key
from vzb.data.times import as_utc
from vzb.data.validate import CANDLE_COLUMNS, finish_candles
from vzb.errors import CandleError

__all__ = ["normalise_layout", "read_candles"]

_TIME_NAMES = ("timestamp", "datetime", "date", "time", "open_time", "unix", "unix timestamp")
_FIAT = {"usd", "usdt", "usdc", "busd", "krw", "eur", "gbp", "jpy"}  # quote-volume units
_EPOCH_UNITS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (np.inf, "ns"))
_WIDE = re.compile(r"^[^:\s]+:[^:]+$")
_HOUR_AMPM = re.compile(r"^\d{4}-\d{2}-\d{2} \d{1,2}-[AaPp][Mm]$")
_HEADER_WORDS = ("open", "close", "high", "low")
_DECOMPRESS = {
    "gz": lambda handle: gzip.GzipFile(fileobj=handle),
    "bz2": bz2.BZ2File,
    "xz": lzma.LZMAFile,
}


def _looks_like_header(line: str) -> bool:
    words = [w.strip().strip('"').lower() for w in line.split(",")]
    return sum(any(w.endswith(k) for k in _HEADER_WORDS) for w in words) >= 2


def _read_csv(handle: Any, name: str) -> pd.DataFrame:
    data = handle.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    lines = data.splitlines()
    skip = 0
    for skip, line in enumerate(lines[:5]):  # noqa: B007 - the header row number is kept
        if _looks_like_header(line):
            break
    else:
        raise CandleError(
            f"{name}: no header row with open/high/low/close columns in the first lines. "
            f"Fix: give the CSV a header such as timestamp,open,high,low,close,volume."
        )
    return pd.read_csv(io.StringIO(data), skiprows=skip)


def _parse_times(values: pd.Series | pd.Index, tz: str, name: str) -> pd.DatetimeIndex:
    if isinstance(values, pd.DatetimeIndex) or pd.api.types.is_datetime64_any_dtype(values):
        index = pd.DatetimeIndex(values)
    elif pd.api.types.is_numeric_dtype(values):
        numbers = np.asarray(values, dtype=np.float64)
        finite = numbers[np.isfinite(numbers)]
        biggest = float(np.max(np.abs(finite))) if finite.size else 0.0
        if finite.size and biggest < 1e8:
            raise CandleError(
                f"{name}: the time values look like row numbers, not epoch times (largest "
                f"{biggest:g}, before 1973). Fix: give a timestamp column in epoch seconds or "
                f"milliseconds, or as dates."
            )
        unit = next(u for limit, u in _EPOCH_UNITS if biggest < limit)
        index = pd.DatetimeIndex(pd.to_datetime(numbers, unit=unit, utc=True))
    else:
        text = pd.Series(values, dtype="str")
        sample = text.dropna()
        sample = sample.iloc[0] if len(sample) else ""
        try:
            if _HOUR_AMPM.match(sample):
                index = pd.DatetimeIndex(pd.to_datetime(text, format="%Y-%m-%d %I-%p"))
            else:
                index = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", utc=False))
        except (ValueError, TypeError) as error:
            reason = str(error).splitlines()[0]
            raise CandleError(
                f"{name}: could not read the times (first value {sample!r}): {reason} Fix: "
                f"write times as ISO 8601 (2024-01-31 13:00:00) or epoch seconds/milliseconds."
            ) from None
    return as_utc(index, tz=tz)


def _time_source(df: pd.DataFrame) -> tuple[str | None, Any]:
    """Find the time column (name, values), or (None, index) when the index holds the times."""
    if isinstance(df.index, pd.DatetimeIndex):
        return None, df.index
    if df.index.name is not None and str(df.index.name).strip().lower() in _TIME_NAMES:
        return None, df.index
    lower = {str(c).strip().lower(): c for c in df.columns}
    for name in _TIME_NAMES:
        if name in lower:
            return lower[name], df[lower[name]]
    first = df.columns[0] if len(df.columns) else None
    if first is not None and (str(first).startswith("Unnamed") or str(first).strip() == ""):
        return first, df[first]
    return None, None


def _pick_wide(df: pd.DataFrame, symbol: str | None, name: str) -> tuple[pd.DataFrame, str | None]:
    prefixed = [c for c in df.columns if _WIDE.match(str(c)) and not str(c).startswith("Unnamed")]
    if not prefixed:
        return df, symbol
    prefixes = list(dict.fromkeys(str(c).split(":", 1)[0] for c in prefixed))
    if symbol is None:
        if len(prefixes) > 1:
            raise CandleError(
                f"{name} holds several symbols ({', '.join(prefixes)}); pick one with "
                f"symbol=, e.g. read_candles(..., symbol={prefixes[0] + '_USD'!r})."
            )
        chosen = prefixes[0]
    else:
        matches = [
            p for p in prefixes if symbol_key(p) in (symbol_key(symbol), symbol_base(symbol))
        ]
        if not matches:
            raise CandleError(
                f"{name} has no columns for symbol {symbol!r}; it holds {', '.join(prefixes)}. "
                f"Fix: pass one of those as symbol=."
            )
        chosen = matches[0]
    columns = {c: str(c).split(":", 1)[1] for c in prefixed if str(c).split(":", 1)[0] == chosen}
    others = [c for c in df.columns if c not in set(prefixed)]
    narrow = df[others + list(columns)].rename(columns=columns)
    fields = [c for c in columns.values() if c.strip().lower() in CANDLE_COLUMNS]
    empty = narrow[fields].isna().all(axis=1)
    if empty.any():
        narrow = narrow[~empty.to_numpy()]
    return narrow, symbol or chosen


def _pick_symbol_rows(
    df: pd.DataFrame, symbol: str | None, name: str
) -> tuple[pd.DataFrame, str | None]:
    lower = {str(c).strip().lower(): c for c in df.columns}
    column = lower.get("symbol") or lower.get("market") or lower.get("pair")
    if column is None:
        return df, symbol
    values = df[column].astype("str")
    markets = list(dict.fromkeys(values.dropna()))
    if symbol is not None:
        keep = values.map(symbol_key) == symbol_key(symbol)
        if not keep.any():
            raise CandleError(
                f"{name} has no rows for symbol {symbol!r}; its {column} column holds "
                f"{', '.join(markets[:20])}. Fix: pass one of those as symbol=."
            )
        return df[keep.to_numpy()], symbol
    if len(markets) > 1:
        raise CandleError(
            f"{name} holds several symbols in its {column} column ({', '.join(markets[:20])}); "
            f"pick one with symbol=."
        )
    return df, markets[0] if markets else None


def _volume_column(lower: dict[str, Any], symbol: str | None) -> Any:
    """The base-volume column: ``volume_<base>`` when the file has one, else ``volume``."""
    candidates = {}
    for key, column in lower.items():
        match = re.fullmatch(r"volume[ _\-]?\(?([a-z0-9]+)\)?", key)
        if match and match.group(1) not in ("from", "to", "quote"):
            candidates[match.group(1)] = column
    key = symbol_key(symbol) if symbol else ""
    for unit, column in candidates.items():
        if key and key.startswith(unit.upper()):
            return column
    coins = [column for unit, column in candidates.items() if unit not in _FIAT]
    if len(coins) == 1:
        return coins[0]
    for name in ("volume", "vol", "base_volume", "volume_base"):
        if name in lower:
            return lower[name]
    return None


def normalise_layout(
    df: pd.DataFrame, *, symbol: str | None = None, tz: str = "UTC", source: str | None = None
) -> pd.DataFrame:
    """Turn a raw table in a common layout into a validated candle frame.

    This is what :func:`read_candles` applies after reading a file; use it directly on a
    frame you built yourself.

    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Date": ["2024-01-01"], "Open": [1], "High": [2], "Low": [1],
    ...                     "Close": [2], "Volume": [9]})
    >>> normalise_layout(raw).index[0]
    Timestamp('2024-01-01 00:00:00+0000', tz='UTC')
    """
    name = source or (f"symbol {symbol}" if symbol else "candles")
    df, symbol = _pick_wide(df, symbol, name)
    df, symbol = _pick_symbol_rows(df, symbol, name)
    if df.empty:
        raise CandleError(
            f"{name} holds no candles: there are no rows below its header. Fix: add rows of "
            f"{', '.join(('timestamp', *CANDLE_COLUMNS))}, or move the file out of the way "
            f"if it should not be read."
        )
    time_column, times = _time_source(df)
    if times is None:
        raise CandleError(
            f"{name}: no time column; expected one of {', '.join(_TIME_NAMES)} or a datetime "
            f"index. Found columns {list(map(str, df.columns))}. Fix: name the time column "
            f"'timestamp'."
        )
    index = _parse_times(times, tz, name)
    lower = {str(c).strip().lower(): c for c in df.columns if c != time_column}
    volume = _volume_column(lower, symbol)
    picked = {}
    for field in CANDLE_COLUMNS:
        column = volume if field == "volume" else lower.get(field)
        if column is None:
            raise CandleError(
                f"{name}: missing column {field}; found {list(map(str, df.columns))}. Fix: "
                f"rename the columns to {', '.join(CANDLE_COLUMNS)}."
            )
        picked[field] = df[column].to_numpy()
    return finish_candles(pd.DataFrame(picked, index=index), source=name, symbol=symbol)


def read_candles(
    source: str | os.PathLike[str] | io.IOBase | pd.DataFrame,
    *,
    symbol: str | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Read candles from a CSV or Parquet file, recognising the common layouts.

    Parameters
    ----------
    source : str, path, file object or DataFrame
        A local path, a ``file://`` path, any fsspec URL (``s3://...``, needs fsspec),
        an open text/binary file (read as CSV), or a frame to normalise. Files ending in
        ``.parquet``/``.pq`` are Parquet, ``.json`` files are exchange responses (see
        :func:`vzb.data.from_upbit`), anything else is CSV (``.gz`` and other
        compressions pandas knows are fine).
    symbol : str, optional
        Which symbol to take from a multi-symbol file (``"BTC_USD"`` or just ``"BTC"``);
        also stored in ``attrs["symbol"]``.
    tz : str, default "UTC"
        The zone that times without a zone are written in. Returned times are UTC.

    Returns
    -------
    DataFrame
        Validated candles; ``attrs`` carry ``source``, ``symbol`` (when known) and
        ``timeframe`` (when the spacing matches one of :data:`vzb.data.TIMEFRAMES`).

    Raises
    ------
    CandleError
        When the layout is not recognised, the file holds no candles (a header only),
        or the candles fail validation.
    FileNotFoundError
        When a local path does not exist.

    Examples
    --------
    >>> from vzb.data.samples import sample_path
    >>> candles = read_candles(sample_path("ETH_USD", "1d"), symbol="ETH_USD")
    >>> candles.attrs["timeframe"], candles.index[0].date().isoformat()
    ('1d', '2017-11-09')
    """
    if isinstance(source, pd.DataFrame):
        return normalise_layout(source, symbol=symbol, tz=tz, source=source.attrs.get("source"))
    if isinstance(source, io.IOBase) or hasattr(source, "read"):
        name = getattr(source, "name", None) or "candles"
        raw = _read_csv(source, str(name))
        return normalise_layout(raw, symbol=symbol, tz=tz, source=str(name))
    name = os.fspath(source)
    lowered = name.lower().split("?", 1)[0]
    if lowered.endswith(".json"):
        return read_exchange_json(name, symbol=symbol)
    with open_binary(name) as handle:
        if lowered.endswith((".parquet", ".pq")):
            raw = pd.read_parquet(handle)
        elif lowered.endswith(tuple(_DECOMPRESS)):
            opener = _DECOMPRESS[lowered.rsplit(".", 1)[1]]
            with opener(handle) as plain:
                raw = _read_csv(plain, name)
        else:
            raw = _read_csv(handle, name)
    return normalise_layout(raw, symbol=symbol, tz=tz, source=name)
