"""The catalog: symbol, timeframe and dates to candles.

Two places hold candles:

1. a user data directory, ``data_dir=`` or the ``VZB_DATA_DIR`` environment variable,
   with files named ``{SYMBOL}_{timeframe}.csv`` or ``.parquet`` (``BTC_KRW_1h.csv``),
   read with :func:`vzb.data.read_candles`;
2. the bundled samples (:func:`vzb.data.list_samples`).

A user file wins over a bundled sample of the same symbol and timeframe. When the
timeframe asked for is missing but a finer one exists, the finer candles are resampled
(:func:`vzb.data.resample_candles`; BTC_USD 4h comes from the bundled 1h candles).

>>> load_candles("BTC_USD", "4h", start="2019-10-16", end="2019-10-16").shape
(6, 5)
>>> load_candles("DOGE_USD")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
vzb.errors.UnknownSymbolError: No candles for DOGE_USD at 1d. Available: BTC_USD 1d, ...
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pandas as pd

from vzb.data.gaps import fill_gaps as fill_missing_bars
from vzb.data.readers import read_candles
from vzb.data.resample import resample_candles
from vzb.data.samples import load_sample
from vzb.data.sources import (
    catalog_sources,
    data_directory,
    finer_timeframe,
    stored_sources,
)
from vzb.data.stored import read_meta
from vzb.data.symbols import symbol_candidates
from vzb.data.timeframes import check_timeframe
from vzb.data.times import as_utc, describe_range, utc_timestamp
from vzb.errors import CandleError, ParameterError, UnknownSymbolError

__all__ = ["data_directory", "list_symbols", "load_candles"]


def list_symbols(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every symbol and timeframe :func:`load_candles` can serve, with where it comes from.

    ``source`` is a file path for user data, ``"bundled"`` for a bundled sample, or
    ``"resampled from <timeframe>"`` for a timeframe made from a finer one. Rows are
    sorted by symbol, finest timeframe first (:func:`vzb.data.sources.catalog_sources`).

    >>> table = list_symbols()
    >>> table[table.symbol == "BTC_USD"].to_dict("list")["source"]
    ['bundled', 'resampled from 1h', 'bundled']
    """
    rows = [(s, t, source) for (s, t), source in catalog_sources(data_dir).items()]
    return pd.DataFrame(rows, columns=["symbol", "timeframe", "source"])


def _available_text(entries: dict[tuple[str, str], str]) -> str:
    return ", ".join(f"{s} {t}" for s, t in sorted(entries))


def _slice(candles: pd.DataFrame, start: object, end: object) -> pd.DataFrame:
    """Inclusive slice; a date-only or partial string end covers its whole day/month."""
    lower = utc_timestamp(start, "start") if start is not None else None
    upper = None
    if end is not None:
        upper = utc_timestamp(end, "end")
        if isinstance(end, str) and not re.search(r"\d[T ]\d", end.strip()):
            # '2019-10-16' or '2019-10' or '2019': include the whole period
            parts = end.strip().count("-")
            period = {0: "Y", 1: "M"}.get(parts, "D")
            upper = as_utc(pd.Period(upper.tz_localize(None), period).end_time)
    if lower is not None and upper is not None and lower > upper:
        raise ParameterError(f"start={start!r} is after end={end!r}; swap them.")
    index = candles.index
    begin = 0 if lower is None else index.searchsorted(lower, side="left")
    stop = len(index) if upper is None else index.searchsorted(upper, side="right")
    out = candles.iloc[begin:stop]
    out.attrs = dict(candles.attrs)
    return out


def _resolve(symbol: str, entries: dict[tuple[str, str], str]) -> tuple[str, tuple[str, ...]]:
    """The catalog's spelling of ``symbol`` (the first reading it holds at any timeframe,
    else the likeliest one) and every reading tried."""
    candidates = symbol_candidates(symbol)
    held = {s for s, _ in entries}
    return next((c for c in candidates if c in held), candidates[0]), candidates


def _read(key: tuple[str, str], source: str) -> pd.DataFrame:
    symbol, timeframe = key
    if source == "bundled":
        return load_sample(symbol, timeframe)
    candles = read_candles(source, symbol=symbol)
    found = candles.attrs.get("timeframe")
    if found is not None and found != timeframe:
        raise CandleError(
            f"{source}: the file name says {timeframe} but its candles are {found} apart. "
            f"Fix: rename the file to {symbol}_{found}{Path(source).suffix}."
        )
    candles.attrs.update(symbol=symbol, timeframe=timeframe, source=source)
    return candles


def load_candles(
    symbol: str,
    timeframe: str = "1d",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    fill_gaps: bool | None = None,
) -> pd.DataFrame:
    """Candles for a symbol and timeframe between two dates, both inclusive.

    Parameters
    ----------
    symbol : str
        ``BASE_QUOTE`` such as ``"BTC_USD"``; ``"btc/usd"`` works too, and so do dashed
        symbols in either order (Coinbase's ``"BTC-USD"``, Upbit's ``"KRW-BTC"``): the
        reading the catalog holds is taken.
    timeframe : str, default "1d"
        One of :data:`vzb.data.TIMEFRAMES`; made by resampling a finer timeframe when
        only that exists (incomplete edge buckets dropped).
    start, end : str or Timestamp, optional
        First and last time to include (naive times are UTC). A date-only string as
        ``end`` includes that whole day (``"2019-10"`` the whole month).
    data_dir : str or path, optional
        User data directory; defaults to ``$VZB_DATA_DIR``.
    fill_gaps : bool, optional
        Fill missing bars as zero-volume bars at the previous close
        (:func:`vzb.data.gaps.fill_gaps`). Default: for files written by
        :func:`vzb.download_candles` (exchanges omit quiet intervals), not for other files
        and the bundled samples, which are served as they are; ``True``: every source;
        ``False``: the bars as stored.

    Returns
    -------
    DataFrame
        Validated candles with ``attrs`` symbol, timeframe and source (a file path or
        ``"bundled"``); a downloaded file adds ``exchange``; filled candles add
        ``filled_bars`` and ``unfetched_bars`` (bars missing in time no download asked
        for, which also raise a :class:`~vzb.data.gaps.GapWarning`).

    Raises
    ------
    UnknownSymbolError
        When the catalog has no candles for the symbol (at that or a finer timeframe)
        or none in the date range; the message lists what is available.

    Examples
    --------
    >>> candles = load_candles("ETH_USD", "1d", start="2018-01-01", end="2018-01-31")
    >>> len(candles), candles.attrs["symbol"]
    (31, 'ETH_USD')
    """
    check_timeframe(timeframe)
    entries = stored_sources(data_dir)
    asked = symbol
    symbol, candidates = _resolve(symbol, entries)
    if (symbol, timeframe) in entries:
        source = entries[(symbol, timeframe)]
        candles = _read((symbol, timeframe), source)
    else:
        finer = finer_timeframe(entries, symbol, timeframe)
        if finer is None:
            known = sorted({s for s, _ in entries})
            close = difflib.get_close_matches(symbol, known, n=1)
            hint = f" Did you mean {close[0]}?" if close and close[0] != symbol else ""
            tried = (
                f"{asked!r} (read as {' and '.join(candidates)})" if len(candidates) > 1 else symbol
            )
            raise UnknownSymbolError(
                f"No candles for {tried} at {timeframe}. Available: {_available_text(entries)} "
                f"(coarser timeframes are made from finer ones).{hint} Add a file "
                f"{symbol}_{timeframe}.csv or .parquet to data_dir / $VZB_DATA_DIR."
            )
        key = (symbol, finer)
        source = entries[key]
        fine = _read(key, source)
        candles = resample_candles(fine, timeframe)
        if candles.empty:
            raise UnknownSymbolError(
                f"No complete {symbol} {timeframe} bar: the {finer} candles "
                f"({len(fine)} from {fine.index[0]} to {fine.index[-1]}) do not fill one "
                f"{timeframe} bucket. Fix: pick a timeframe of {finer} or add more data."
            )
    sliced = _slice(candles, start, end)
    if sliced.empty:
        held = describe_range(candles.index[0], candles.index[-1])
        raise UnknownSymbolError(
            f"No {symbol} {timeframe} candles {describe_range(start, end)}; the catalog holds "
            f"{held} for it. Fix: pick dates inside that range."
        )
    return _fill(sliced, timeframe, source, fill_gaps)


def _fill(candles: pd.DataFrame, timeframe: str, source: str, fill: bool | None) -> pd.DataFrame:
    """Quiet bars filled as ``load_candles(fill_gaps=...)`` says; a download's exchange kept."""
    meta = read_meta(source) if source != "bundled" else {}
    if meta:
        candles.attrs["exchange"] = meta.get("exchange")
    if fill is False or (fill is None and not meta):
        return candles
    return fill_missing_bars(candles, timeframe, meta.get("fetched") if meta else None)
