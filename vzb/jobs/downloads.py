"""Downloads as background tasks: one work unit per symbol, each a
:func:`vzb.data.download_candles` call whose progress and cancel go through the task store.

:meth:`JobRunner.submit_download <vzb.jobs.submitting.Submitting.submit_download>` checks
the request with :func:`download_spec` and submits it as custom units
(``vzb.jobs.downloads:download_symbol``): the panel, ``vzb jobs`` and cancel treat it as
any task. A unit reports the fraction of its time range fetched and a message such as
``"BTC_KRW: 2024-03-01 … 2024-05-12, 14,200 candles"``; a cancel stops it between two
pages (what was fetched is saved), and a runner that resumes the task after a crash
re-runs the unfinished units, which fetch only what their files still lack.

>>> spec = download_spec(["krw-btc", "ETH_KRW"], "1d", start="2024-01-01",
...                      data_dir="/tmp/candles")
>>> [unit["symbol"] for unit in spec["units"]], spec["description"]
(['BTC_KRW', 'ETH_KRW'], 'download BTC_KRW, ETH_KRW 1d from upbit, from 2024-01-01')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from vzb.errors import ParameterError
from vzb.jobs.worker import UnitContext

__all__ = ["download_spec", "download_symbol"]


def download_spec(
    symbols: str | Sequence[str],
    timeframe: str = "1d",
    *,
    start: Any,
    end: Any = None,
    exchange: str = "upbit",
    api_url: str | None = None,
    data_dir: str | os.PathLike | None = None,
) -> dict:
    """A checked spec of custom units, one per symbol (nothing is downloaded here).

    The data directory is resolved now (``data_dir`` or ``$VZB_DATA_DIR``, made
    absolute), so that every worker writes where the submitter will read.

    Raises
    ------
    ParameterError
        No symbols, an unknown timeframe, a date that is not a date, no data directory,
        or an exchange that is not a name (a ccxt object cannot cross to a worker).
    """
    from vzb.data.sources import data_directory
    from vzb.data.symbols import normalize_symbol
    from vzb.data.timeframes import check_timeframe
    from vzb.data.times import describe_range
    from vzb.jobs.requests import _date

    check_timeframe(timeframe)
    given = [symbols] if isinstance(symbols, str) else list(symbols)
    names = list(dict.fromkeys(normalize_symbol(s, quote_first=True if "-" in s else None)
                               for s in given))  # fmt: skip
    if not names:
        raise ParameterError("symbols is empty: give at least one symbol, e.g. 'BTC_KRW'")
    if not isinstance(exchange, str):
        raise ParameterError(
            f"exchange={exchange!r}: a background download needs the exchange's name "
            f"('upbit', 'bithumb', a ccxt id), which worker processes can use."
        )
    first, last = _date("start", start), _date("end", end)
    if first is None:
        raise ParameterError("start is required: the first date to download, e.g. '2024-01-01'")
    directory = data_directory(data_dir)
    if directory is None:
        raise ParameterError(
            "data_dir is not set: pass data_dir= or set VZB_DATA_DIR to where candle files go."
        )
    common = {
        "timeframe": timeframe,
        "start": start if isinstance(start, str) else first.isoformat(),
        "end": end if last is None or isinstance(end, str) else last.isoformat(),
        "exchange": exchange,
        "api_url": api_url,
        "data_dir": str(directory.resolve()),
    }
    when = describe_range(common["start"], common["end"])
    return {
        "function": "vzb.jobs.downloads:download_symbol",
        "units": [{"symbol": s, **common} for s in names],
        "description": f"download {', '.join(names)} {timeframe} from {exchange}, {when}",
    }


def download_symbol(
    context: UnitContext,
    *,
    symbol: str,
    timeframe: str,
    start: str,
    end: str | None,
    exchange: str,
    api_url: str | None,
    data_dir: str,
) -> dict:
    """One unit: download one symbol; return a summary (plain data) of its file."""
    from vzb.data.download import download_candles

    context.stage(0.0, f"{symbol}: asking {exchange}")

    def progress(fraction: float, message: str) -> None:
        context.stage(fraction, message)  # raises Cancelled: the download saves and stops

    candles = download_candles(
        symbol, timeframe, start=start, end=end, exchange=exchange, api_url=api_url,
        data_dir=data_dir, progress=progress,
    )  # fmt: skip
    attrs = candles.attrs
    return {
        "symbol": symbol,
        "timeframe": timeframe,
        "exchange": attrs.get("exchange"),
        "path": attrs.get("source"),
        "rows": len(candles),
        "first": candles.index[0].isoformat(),
        "last": candles.index[-1].isoformat(),
        "filled_bars": attrs.get("filled_bars", 0),
        "requests": attrs.get("requests", 0),
    }
