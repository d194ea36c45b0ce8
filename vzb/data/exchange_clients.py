"""Exchange clients: pages of candles from Upbit and Bithumb (v1 API, httpx) and from any
exchange ccxt knows, within the exchanges' rate limits.

:func:`exchange_client` picks one by name: ``"upbit"`` and ``"bithumb"`` talk to the v1
candle endpoints (``to`` pages back through history, 200 candles a page, an offset-less
``to`` written ``YYYY-MM-DD HH:MM:SS`` in UTC for Upbit and in KST for Bithumb); any
other name, or ``"ccxt:upbit"``, goes through ccxt's ``fetch_ohlcv`` (``since`` pages
forward, ccxt's own rate limiter on).

Each client's :meth:`pages` yields ``(candles, covered_from, covered_to)``: the candles of
one page (with ``quote_volume``, NaN where the exchange does not give it) and the time
span (epoch seconds, end exclusive) the page proves complete, quiet intervals included.

>>> from vzb.data.exchange_server import ExchangeServer
>>> with ExchangeServer.demo(["BTC_KRW"], ["1d"], start="2024-01-01", end="2024-03-01") as server:
...     client = exchange_client("upbit", server.url)
...     client.market_id("BTC_KRW"), client.markets()
('KRW-BTC', ['BTC_KRW'])
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from vzb.data.symbols import normalize_symbol, symbol_candidates
from vzb.data.timeframes import check_timeframe, timeframe_seconds
from vzb.errors import ParameterError, UnknownSymbolError, VzbError

__all__ = [
    "ExchangeBan",
    "ExchangeError",
    "exchange_client",
]

#: official base URLs of the v1 APIs
OFFICIAL_URLS = {"upbit": "https://api.upbit.com", "bithumb": "https://api.bithumb.com"}
#: vzb timeframe -> candle path of the v1 APIs (both have every vzb timeframe)
V1_PATHS = {"1m": "minutes/1", "5m": "minutes/5", "15m": "minutes/15", "1h": "minutes/60",
            "4h": "minutes/240", "1d": "days"}  # fmt: skip
_ZONES = {"upbit": UTC, "bithumb": timezone(timedelta(hours=9))}
PAGE_SIZE = 200
#: attempts of one request before a transient error is given up
RETRIES = 6


class ExchangeError(VzbError, ConnectionError):
    """An exchange kept failing, or answered something vzb cannot use."""


class ExchangeBan(ExchangeError):
    """The exchange banned this address for a while (HTTP 418): wait, then try again."""


def exchange_client(exchange, api_url: str | None = None):
    """The client for ``exchange``: ``"upbit"``, ``"bithumb"``, ``"ccxt:<id>"``, any other
    ccxt exchange id (``"binance"``), or a ccxt exchange object.

    ``api_url`` replaces the exchange's base URL (a mirror, or a local server).

    >>> exchange_client("nosuchexchange")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: exchange='nosuchexchange' is not upbit, bithumb or a ccxt ...
    """
    if isinstance(exchange, str) and exchange.lower() in OFFICIAL_URLS:
        return V1Client(exchange.lower(), api_url)
    return CcxtClient(exchange, api_url)


class _Client:
    """What both clients share: the market list and symbol checks."""

    name = ""

    def __init__(self) -> None:
        self._markets: dict[str, str] | None = None  # BASE_QUOTE -> exchange's id

    def _load_markets(self) -> dict[str, str]:
        raise NotImplementedError

    def markets(self) -> list[str]:
        """The exchange's markets, ``BASE_QUOTE``, sorted (asked once per client)."""
        if self._markets is None:
            self._markets = self._load_markets()
        return sorted(self._markets)

    def resolve(self, symbol: str) -> str:
        """``symbol`` as ``BASE_QUOTE``, in the reading the exchange lists (a dashed
        ``KRW-BTC`` or ``BTC-USD`` is tried both ways).

        Raises
        ------
        UnknownSymbolError
            The exchange lists no such market; the message names close matches.
        """
        candidates = symbol_candidates(symbol)
        self.markets()
        listed = next((c for c in candidates if c in self._markets), None)
        if listed is None:
            wanted = candidates[0]
            close = difflib.get_close_matches(wanted, list(self._markets), n=5, cutoff=0.6)
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise UnknownSymbolError(
                f"{self.name} has no market {wanted} (symbol={symbol!r}).{hint} "
                f"It lists {len(self._markets):,} markets: see exchange_client"
                f"({self.name!r}).markets()."
            )
        return listed

    def market_id(self, symbol: str) -> str:
        """The exchange's id of ``symbol`` (``BTC_KRW`` -> ``KRW-BTC`` on Upbit); raises
        as :meth:`resolve`."""
        listed = self.resolve(symbol)  # loads the market list first
        return self._markets[listed]

    def native(self, timeframe: str) -> bool:
        """True when the exchange serves ``timeframe`` itself."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class V1Client(_Client):
    """Upbit's or Bithumb's v1 candle API through httpx (see the module docstring).

    ``sleep`` is how the client waits (rate limits, retries): a function of seconds.
    """

    def __init__(self, name: str, api_url: str | None = None, *, sleep: Callable = time.sleep):
        import httpx

        super().__init__()
        self.name = name
        self.url = (api_url or OFFICIAL_URLS[name]).rstrip("/")
        self.sleep = sleep
        self.zone = _ZONES[name]
        self.http: httpx.Client | None = None  # made at the first request (TLS setup)
        self.asked: set[tuple] = set()  # pages answered in this run: never asked twice
        self.remaining: int | None = None  # the last Remaining-Req 'sec' figure

    def close(self) -> None:
        if self.http is not None:
            self.http.close()

    def native(self, timeframe: str) -> bool:
        return check_timeframe(timeframe) in V1_PATHS

    def _load_markets(self) -> dict[str, str]:
        rows = self._get("/v1/market/all", {})
        return {normalize_symbol(r["market"], quote_first=True): r["market"] for r in rows}

    def _get(self, path: str, params: dict):
        """GET with the exchange's manners: Remaining-Req, 429 waits, 418 stops, retries."""
        import httpx

        delay = 0.25
        for attempt in range(1, RETRIES + 1):
            if self.remaining is not None and self.remaining <= 0:
                self.sleep(1.0)  # this second's requests are used up
                self.remaining = None
            if self.http is None:
                self.http = httpx.Client(base_url=self.url, timeout=30.0,
                                         headers={"Accept": "application/json"})  # fmt: skip
            try:
                response = self.http.get(path, params=params)
            except httpx.TransportError as exc:  # dropped connection, timeout, refused
                if attempt == RETRIES:
                    raise ExchangeError(
                        f"{self.name} at {self.url} did not answer {path} after {RETRIES} "
                        f"tries ({type(exc).__name__}: {exc}). Check the network and try "
                        f"again: what was fetched is kept."
                    ) from exc
                self.sleep(delay)
                delay *= 2
                continue
            self.remaining = _remaining(response.headers.get("Remaining-Req"))
            if response.status_code == 418:
                wait = _seconds(response.headers.get("Retry-After")) or 600.0
                until = datetime.now(UTC) + timedelta(seconds=wait)
                raise ExchangeBan(
                    f"{self.name} banned this address (HTTP 418: too many requests) for "
                    f"{wait:,.0f} s. Try again after {until:%Y-%m-%d %H:%M:%S} UTC; what "
                    f"was fetched is kept and the next download resumes from it."
                )
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == RETRIES:
                    break
                wait = _seconds(response.headers.get("Retry-After"))
                self.sleep(wait if wait is not None else delay)
                delay *= 2
                continue
            if response.status_code != 200:
                raise ExchangeError(
                    f"{self.name} answered HTTP {response.status_code} to {path} "
                    f"{params}: {response.text[:200]}"
                )
            return response.json()
        raise ExchangeError(
            f"{self.name} kept answering HTTP {response.status_code} to {path} after "
            f"{RETRIES} tries; wait a minute and try again (what was fetched is kept)."
        )

    def page_before(self, market: str, timeframe: str, to: int, count: int = PAGE_SIZE):
        """The ``count`` candles of ``market`` (the exchange's id, :meth:`market_id`) before
        ``to`` (epoch seconds), as candles oldest first."""
        # an offset-less time in the exchange's own zone: UTC on Upbit, KST on Bithumb
        to_text = datetime.fromtimestamp(to, self.zone).strftime("%Y-%m-%d %H:%M:%S")
        params = {"market": market, "count": count, "to": to_text}
        key = (V1_PATHS[timeframe], params["market"], to_text, count)
        if key in self.asked:
            raise RuntimeError(f"page {key} asked twice in one run")  # a vzb bug
        rows = self._get(f"/v1/candles/{V1_PATHS[timeframe]}", params)
        self.asked.add(key)
        stamps = [r["candle_date_time_utc"] for r in rows]
        index = pd.DatetimeIndex(pd.to_datetime(stamps, format="ISO8601", utc=True))
        fields = {"open": "opening_price", "high": "high_price", "low": "low_price",
                  "close": "trade_price", "volume": "candle_acc_trade_volume",
                  "quote_volume": "candle_acc_trade_price"}  # fmt: skip
        data = {k: np.array([r[v] for r in rows], dtype=np.float64) for k, v in fields.items()}
        return pd.DataFrame(data, index=index.rename("timestamp")).sort_index()

    def pages(self, market: str, timeframe: str, lo: int, hi: int) -> Iterator[tuple]:
        """Pages of ``market`` (the exchange's id) back from ``hi`` to ``lo`` (epoch
        seconds): ``(candles, from, to)``."""
        to = hi
        while to > lo:
            page = self.page_before(market, timeframe, to)
            if len(page) < PAGE_SIZE:  # the market's first candle is on this page
                yield page[page.index >= _ts(lo)], lo, to
                return
            oldest = int(page.index[0].timestamp())
            yield page[page.index >= _ts(lo)], max(lo, oldest), to
            to = oldest


class CcxtClient(_Client):
    """Any exchange through ccxt's ``fetch_ohlcv`` (pages forward by ``since``)."""

    def __init__(self, exchange, api_url: str | None = None):
        super().__init__()
        try:
            import ccxt
        except ImportError:
            raise ImportError(
                f"exchange={exchange!r} goes through ccxt, which is not installed: "
                f"pip install ccxt (or vzb[exchanges]); upbit and bithumb need only httpx."
            ) from None

        if isinstance(exchange, str):
            ident = exchange.lower().removeprefix("ccxt:")
            if ident not in ccxt.exchanges:
                close = difflib.get_close_matches(ident, ccxt.exchanges, n=3)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise ParameterError(
                    f"exchange={exchange!r} is not upbit, bithumb or a ccxt exchange id.{hint}"
                )
            exchange = getattr(ccxt, ident)({"enableRateLimit": True})
        self.exchange = exchange
        self.name = f"ccxt:{exchange.id}"
        if api_url:
            exchange.urls["api"] = _rewrite(exchange.urls.get("api"), api_url.rstrip("/"))

    def native(self, timeframe: str) -> bool:
        return check_timeframe(timeframe) in (self.exchange.timeframes or {})

    def _load_markets(self) -> dict[str, str]:
        markets = self._call(self.exchange.load_markets)
        return {normalize_symbol(s): s for s, m in markets.items() if m.get("spot", True)}

    def _call(self, fn, *args):
        import ccxt

        delay = 0.25
        for attempt in range(1, RETRIES + 1):
            try:
                return fn(*args)
            except ccxt.NetworkError as exc:  # rate limits and transient errors
                if attempt == RETRIES:
                    raise ExchangeError(
                        f"{self.name} kept failing ({type(exc).__name__}: {exc}); try again "
                        f"later: what was fetched is kept."
                    ) from exc
                time.sleep(delay)
                delay *= 2
            except ccxt.BaseError as exc:
                raise ExchangeError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def pages(self, market: str, timeframe: str, lo: int, hi: int) -> Iterator[tuple]:
        """Pages of ``market`` (ccxt's symbol) forward from ``lo`` to ``hi`` (epoch
        seconds): ``(candles, from, to)``."""
        step = timeframe_seconds(timeframe)
        since = lo
        while since < hi:
            rows = self._call(self.exchange.fetch_ohlcv, market, timeframe, since * 1000, PAGE_SIZE)
            rows = [r for r in rows if since * 1000 <= r[0] < hi * 1000]
            if not rows:  # nothing in a page's span: quiet, or not listed yet
                end = min(hi, since + PAGE_SIZE * step)
                yield _ccxt_frame([]), since, end
                since = end
                continue
            frame = _ccxt_frame(rows)
            end = min(hi, int(frame.index[-1].timestamp()) + step)
            yield frame, since, end
            since = end


def _ccxt_frame(rows: list) -> pd.DataFrame:
    array = np.array([r[:6] for r in rows], dtype=np.float64).reshape(-1, 6)
    index = pd.DatetimeIndex(pd.to_datetime(array[:, 0].astype(np.int64), unit="ms", utc=True))
    frame = pd.DataFrame(array[:, 1:], columns=["open", "high", "low", "close", "volume"],
                         index=index.rename("timestamp"))  # fmt: skip
    frame["quote_volume"] = np.nan  # ccxt's OHLCV rows drop the turnover
    return frame


def _rewrite(urls, base: str):
    if isinstance(urls, dict):
        return {k: _rewrite(v, base) for k, v in urls.items()}
    return base if isinstance(urls, str) else urls


def _ts(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC")


def _remaining(header: str | None) -> int | None:
    """The ``sec`` figure of ``Remaining-Req: group=candles; min=599; sec=9``."""
    match = re.search(r"sec=(\d+)", header or "")
    return int(match.group(1)) if match else None


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None
