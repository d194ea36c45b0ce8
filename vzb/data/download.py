"""Downloading candles from an exchange into the catalog's files, fetching only what is missing.

:func:`download_candles` pages through an exchange's history (see
:mod:`vzb.data.exchange_clients`) and merges the pages into
``{data_dir}/{SYMBOL}_{timeframe}.parquet`` (:mod:`vzb.data.stored`), recording which
time ranges it covered. A second call asks only for what no call covered yet: newer
candles, an earlier start, holes left by an interrupted download. The file is saved
every few pages and when the download stops for any reason (an error, a cancel, Ctrl-C),
so that a killed download loses at most those pages and the next call resumes.

>>> import tempfile
>>> from vzb.data.exchange_server import ExchangeServer
>>> with ExchangeServer.demo(["BTC_KRW"], ["1d"], start="2024-01-01", end="2024-12-31") as server:
...     candles = download_candles("BTC_KRW", "1d", start="2024-01-01", end="2024-06-30",
...                                api_url=server.url, data_dir=tempfile.mkdtemp(),
...                                progress=False)
>>> len(candles), candles.index[-1].date(), candles.attrs["exchange"]
(182, datetime.date(2024, 6, 30), 'upbit')
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from vzb.data import gaps
from vzb.data.exchange_clients import exchange_client
from vzb.data.gaps import merge_ranges, missing_ranges
from vzb.data.resample import resample_candles
from vzb.data.sources import data_directory
from vzb.data.stored import file_lock, read_meta, read_stored, write_stored
from vzb.data.symbols import symbol_candidates
from vzb.data.timeframes import TIMEFRAMES, check_timeframe, timeframe_seconds
from vzb.data.times import utc_timestamp
from vzb.data.validate import validate_candles
from vzb.errors import CandleError, ParameterError

__all__ = ["download_candles", "download_range", "fetch_timeframe"]

#: seconds between two saves of a running download (a killed one loses at most these)
SAVE_EVERY = 2.0
#: environment variable naming the exchange API's base URL (a mirror, a local server)
API_URL_ENV = "VZB_EXCHANGE_API_URL"


def fetch_timeframe(client, timeframe: str) -> str:
    """The timeframe to download for ``timeframe``: itself when the exchange has it, else
    the coarsest finer one it has that divides it (the candles are then resampled)."""
    if client.native(timeframe):
        return timeframe
    target = timeframe_seconds(timeframe)
    finer = [t for t in TIMEFRAMES if timeframe_seconds(t) < target
             and target % timeframe_seconds(t) == 0 and client.native(t)]  # fmt: skip
    if not finer:
        raise ParameterError(
            f"timeframe={timeframe!r}: {client.name} has neither it nor a finer timeframe to "
            f"build it from. Use one of {', '.join(t for t in TIMEFRAMES if client.native(t))}."
        )
    return finer[-1]


def download_range(start, end, timeframe: str, now: pd.Timestamp | None = None) -> tuple[int, int]:
    """``[from, to)`` in epoch seconds of the bars from ``start`` to ``end``, both included
    (a date-only ``end`` covers its whole day), and only bars complete by ``now``.

    >>> download_range("2024-01-01", "2024-01-31", "1d", now=pd.Timestamp("2025-01-01", tz="UTC"))
    (1704067200, 1706745600)
    """
    step = timeframe_seconds(timeframe)
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    lo = utc_timestamp(start, "start").timestamp()
    lo = int(-(-lo // step) * step)  # the first bar that starts at or after start
    limit = int(now.timestamp() // step * step)  # the bar still forming is left out
    if end is None:
        hi = limit
    else:
        upper = utc_timestamp(end, "end")
        if isinstance(end, str) and len(end.strip()) <= 10:  # a date: its whole day
            upper = upper + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        hi = min(limit, int(upper.timestamp() // step * step) + step)
    if hi <= lo:
        raise ParameterError(
            f"start={start!r} and end={end!r} hold no complete {timeframe} bar yet; "
            f"pick an earlier start or a later end."
        )
    return lo, hi


class _TextProgress:
    """A one-line progress bar on stderr (what ``progress=True`` shows)."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction < 1 and now - self.last < 0.2:
            return
        self.last = now
        bar = "#" * int(fraction * 24)
        end = "\n" if fraction >= 1 else ""
        sys.stderr.write(f"\r[{bar:<24}] {int(fraction * 100):3d}% {message}{end}")
        sys.stderr.flush()


def _describe(symbol: str, first, last, count: int) -> str:
    """``BTC_KRW: 2024-03-01 … 2024-05-12, 14,200 candles``."""
    if not count:
        return f"{symbol}: no candles yet"
    fmt = "%Y-%m-%d" if not (first.hour or last.hour or first.minute) else "%Y-%m-%d %H:%M"
    return f"{symbol}: {first:{fmt}} … {last:{fmt}}, {count:,} candles"


def _stored_market(directory: Path, symbol: str, timeframe: str, exchange: str):
    """``(symbol, market id)`` from a file this exchange's downloads wrote, else None: an
    update then asks the exchange for candles only, not for its market list."""
    for candidate in symbol_candidates(symbol):
        meta = read_meta(directory / f"{candidate}_{timeframe}.parquet")
        if meta.get("exchange") == exchange and meta.get("market"):
            return candidate, meta["market"]
    return None


def _built_from(report: Callable, timeframe: str, fetched: str) -> Callable:
    def said(fraction: float, message: str) -> None:
        report(fraction, f"{message} ({fetched}; {timeframe} is built from it)")

    return said


def download_candles(
    symbol: str,
    timeframe: str = "1d",
    *,
    start,
    end=None,
    exchange="upbit",
    api_url: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    progress: bool | Callable[[float, str], None] = True,
    fill_gaps: bool = True,
) -> pd.DataFrame:
    """Download an exchange's candles into the data directory; return those asked for.

    Parameters
    ----------
    symbol : str
        ``BASE_QUOTE`` (``"BTC_KRW"``), or the exchange's spelling (``"KRW-BTC"``,
        ``"BTC/KRW"``). A market the exchange does not list is an error naming close ones.
    timeframe : str, default "1d"
        One of :data:`vzb.data.TIMEFRAMES`. One the exchange lacks is built by resampling
        the finer one downloaded (``attrs["built_from"]`` and the progress line say so).
    start, end : str or Timestamp
        First and last bar to get, both included (a date-only ``end`` covers its day);
        ``end=None``: up to the last complete bar. Naive times are UTC.
    exchange : str or ccxt exchange, default "upbit"
        ``"upbit"``, ``"bithumb"`` (their v1 candle APIs), ``"ccxt:<id>"`` or any ccxt
        exchange id (``"binance"``), or a ccxt exchange object.
    api_url : str, optional
        Base URL of the exchange API (a mirror, a local server); default
        ``$VZB_EXCHANGE_API_URL``, else the exchange's own.
    data_dir : str or path, optional
        Where files go; default ``$VZB_DATA_DIR`` (one of the two must be set).
    progress : bool or callable
        True: a progress line on stderr; a callable gets ``(fraction, message)`` after each
        page (it may raise to stop the download: what was fetched is saved).
    fill_gaps : bool, default True
        Fill quiet bars in the returned candles as :func:`vzb.load_candles` does.

    Returns
    -------
    DataFrame
        Validated candles of the asked range, ``attrs``: ``symbol``, ``timeframe``,
        ``source`` (the file), ``exchange``, ``filled_bars``, ``unfetched_bars``,
        ``requests`` (pages asked for in this call).

    Raises
    ------
    UnknownSymbolError
        A market the exchange does not list.
    ExchangeBan
        The exchange banned this address (HTTP 418); the message says until when.
    ExchangeError
        The exchange kept failing (after retries).
    """
    check_timeframe(timeframe)
    directory = data_directory(data_dir)
    if directory is None:
        raise ParameterError(
            "data_dir is not set: pass data_dir= or set VZB_DATA_DIR to the directory "
            "where candle files should go."
        )
    directory.mkdir(parents=True, exist_ok=True)
    report = _TextProgress() if progress is True else (progress or None)
    client = exchange_client(exchange, api_url or os.environ.get(API_URL_ENV) or None)
    try:
        fetched_tf = fetch_timeframe(client, timeframe)
        known = _stored_market(directory, symbol, fetched_tf, client.name)
        symbol, market = known or (client.resolve(symbol), client.market_id(symbol))
        lo, hi = download_range(start, end, fetched_tf)
        path = directory / f"{symbol}_{fetched_tf}.parquet"
        if report is not None and fetched_tf != timeframe:
            report = _built_from(report, timeframe, fetched_tf)
        with file_lock(path):
            frame, meta, requests = _fill_file(
                client, path, symbol, market, fetched_tf, lo, hi, report
            )
    finally:
        client.close()
    window = frame[(frame.index >= pd.Timestamp(lo, unit="s", tz="UTC"))
                   & (frame.index < pd.Timestamp(hi, unit="s", tz="UTC"))]  # fmt: skip
    if window.empty:
        raise CandleError(
            f"{client.name} has no {symbol} {fetched_tf} candles between {start} and "
            f"{end or 'now'}; the market may be younger: try a later start."
        )
    candles = validate_candles(window.copy(), source=str(path))
    if fill_gaps:
        candles = gaps.fill_gaps(candles, fetched_tf, meta["fetched"])
    if fetched_tf != timeframe:
        candles = resample_candles(candles, timeframe)
    candles.attrs.update(symbol=symbol, timeframe=timeframe, source=str(path),
                         exchange=meta["exchange"], requests=requests)  # fmt: skip
    if fetched_tf != timeframe:
        candles.attrs["built_from"] = fetched_tf
    return candles


def _fill_file(client, path: Path, symbol, market, timeframe, lo, hi, report):
    """Fetch what ``path`` lacks of ``[lo, hi)``; return (stored frame, metadata, pages)."""
    frame, meta = read_stored(path)
    if path.is_file() and not meta:
        raise ParameterError(
            f"{path} was not written by vzb.download_candles (it has no download record); "
            f"downloading into it would mix sources. Fix: move it, or pass another data_dir=."
        )
    if meta and meta.get("exchange") != client.name:
        raise ParameterError(
            f"{path} holds {meta.get('exchange')} candles; downloading {client.name} ones into "
            f"it would mix exchanges. Fix: pass another data_dir=, or exchange="
            f"{meta.get('exchange')!r}."
        )
    meta = {"exchange": client.name, "market": market, "symbol": symbol,
            "timeframe": timeframe, "fetched": merge_ranges(meta.get("fetched", []))}  # fmt: skip
    missing = missing_ranges(lo, hi, meta["fetched"])
    total = sum(b - a for a, b in missing) or 1
    done, pages, requests, last_save = 0, [], 0, time.monotonic()
    first = frame.index[0] if len(frame) else None
    last = frame.index[-1] if len(frame) else None
    count = len(frame)

    def save() -> None:
        nonlocal frame, pages
        if pages:
            frame = pd.concat([frame, *pages])
            frame = frame[~frame.index.duplicated(keep="last")].sort_index()
            pages = []
        write_stored(path, frame, meta)

    try:
        for a, b in reversed(missing):  # newest first: a stopped update still has the news
            for page, covered_lo, covered_hi in client.pages(market, timeframe, a, b):
                requests += 1
                if len(page):
                    pages.append(page)
                    count += len(page)
                    first = page.index[0] if first is None else min(first, page.index[0])
                    last = page.index[-1] if last is None else max(last, page.index[-1])
                meta["fetched"] = merge_ranges([*meta["fetched"], [covered_lo, covered_hi]])
                done += covered_hi - covered_lo
                if time.monotonic() - last_save > SAVE_EVERY:
                    save()
                    last_save = time.monotonic()
                if report is not None:
                    report(min(done / total, 0.999), _describe(symbol, first, last, count))
    finally:
        if requests:
            save()
    if report is not None:
        report(1.0, _describe(symbol, first, last, len(frame)))
    return frame, meta, requests
