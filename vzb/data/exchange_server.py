"""A local exchange: Upbit's and Bithumb's v1 candle contracts, played from generated history.

What the notebooks (with no network) and the tests download from. It answers on
``127.0.0.1`` (a port of its own) exactly as the exchanges do:

- ``GET /v1/market/all``: the market list (``[{"market": "KRW-BTC", ...}]``);
- ``GET /v1/candles/minutes/{unit}`` (1, 3, 5, 10, 15, 30, 60, 240) and ``/v1/candles/days``
  with ``market``, ``count`` (at most 200) and ``to`` (exclusive end): a JSON array,
  newest first, of the candles before ``to``; an offset-less ``to`` is **UTC** on Upbit
  and **KST** (UTC+9) on Bithumb; quiet intervals (no trade) have no candle;
- a ``Remaining-Req: group=candles; min=...; sec=...`` header on every answer;
- faults on demand: :meth:`ExchangeServer.fail` queues a ``429`` (with ``Retry-After``), a
  ``418`` (a ban) or a dropped connection for the next candle requests; with
  ``per_second`` set it answers ``429`` past that many requests a second, and ``418`` to a
  client that asks again before the ``Retry-After`` of its last 429 has passed.

Every candle request is logged (:attr:`ExchangeServer.requests`) so that tests count them.

>>> with ExchangeServer.demo(["BTC_KRW"], ["1d"], start="2024-01-01", end="2024-03-01") as server:
...     import httpx
...     query = {"market": "KRW-BTC", "count": 2, "to": "2024-02-01T00:00:00"}
...     page = httpx.get(server.url + "/v1/candles/days", params=query).json()
>>> [row["candle_date_time_utc"] for row in page]
['2024-01-31T00:00:00', '2024-01-30T00:00:00']
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd

from vzb.data.synthetic import synthetic_candles
from vzb.data.timeframes import timeframe_delta
from vzb.data.times import utc_timestamp

__all__ = ["ExchangeServer", "market_history"]

KST = timezone(timedelta(hours=9), "KST")
#: the ``sec`` a server without ``per_second`` reports: it never runs out
UNLIMITED_SEC = 30
#: the timeframe each candle path serves
_PATHS = {f"minutes/{m}": f"{m}m" for m in (1, 3, 5, 10, 15, 30)}
_PATHS.update({"minutes/60": "1h", "minutes/240": "4h", "days": "1d"})
_NAMES = {"BTC": "Bitcoin", "ETH": "Ethereum", "XRP": "Ripple", "SOL": "Solana"}


def market_history(
    symbol: str,
    timeframe: str,
    start,
    end,
    *,
    seed: int = 0,
    quiet: float = 0.05,
    price: float = 50_000_000.0,
) -> pd.DataFrame:
    """Generated candles of one market as an exchange publishes them: quiet bars missing.

    A seeded random walk (:func:`vzb.data.synthetic_candles`) from ``start`` up to
    ``end`` (exclusive); a share ``quiet`` of the bars, and every bar without volume, is
    left out, as Upbit leaves out intervals without trades. ``quote_volume`` is the
    turnover (volume times the bar's mean price).

    >>> history = market_history("BTC_KRW", "1h", "2024-01-01", "2024-01-02", quiet=0.25)
    >>> len(history) < 24, history.columns[-1]
    (True, 'quote_volume')
    """
    first, last = utc_timestamp(start, "start"), utc_timestamp(end, "end")
    n = max(0, int((last - first) / timeframe_delta(timeframe)))
    candles = synthetic_candles(n, seed=seed, timeframe=timeframe, start=first, price=price)
    rng = np.random.default_rng(seed + 1)
    keep = (rng.random(n) >= quiet) & (candles["volume"].to_numpy() > 0)
    out = candles[keep].copy()
    mean_price = (out["high"] + out["low"] + out["close"]) / 3
    out["quote_volume"] = out["volume"] * mean_price
    out.attrs = {"symbol": symbol, "timeframe": timeframe}
    return out


class _Book:
    """One market's history at one timeframe as sorted numpy arrays (fast page slicing)."""

    def __init__(self, frame: pd.DataFrame):
        self.starts = frame.index.as_unit("s").asi8.astype(np.int64)
        self.values = frame[["open", "high", "low", "close", "volume", "quote_volume"]].to_numpy()

    def page(self, before: int, count: int, visible: int | None) -> list[int]:
        """Row positions of the ``count`` candles starting before ``before``, newest first."""
        limit = before if visible is None else min(before, visible)
        stop = int(np.searchsorted(self.starts, limit, side="left"))
        return list(range(stop - 1, max(stop - count, 0) - 1, -1))


class ExchangeServer:
    """Upbit's (``flavour="upbit"``) or Bithumb's v1 candle API on 127.0.0.1 (see module).

    Parameters
    ----------
    histories : mapping
        ``{(symbol, timeframe): candles}``, candles with ``quote_volume`` as
        :func:`market_history` makes them (symbols ``BASE_QUOTE``).
    flavour : {"upbit", "bithumb"}
        How an offset-less ``to`` is read: UTC (Upbit) or KST (Bithumb).
    per_second : int, optional
        Candle requests allowed per second before a 429 (default: no limit).
    retry_after : float
        Seconds the ``Retry-After`` header of a 429 asks for.
    ban_seconds : float
        Seconds a 418 ban lasts (its ``Retry-After``).
    """

    def __init__(
        self,
        histories: Mapping[tuple[str, str], pd.DataFrame],
        *,
        flavour: str = "upbit",
        per_second: int | None = None,
        retry_after: float = 0.05,
        ban_seconds: float = 600.0,
    ):
        if flavour not in ("upbit", "bithumb"):
            raise ValueError(f"flavour={flavour!r}: use 'upbit' or 'bithumb'")
        self.flavour = flavour
        self.books = {key: _Book(frame) for key, frame in histories.items()}
        self.markets = sorted({symbol for symbol, _ in histories})
        self.per_second, self.retry_after, self.ban_seconds = per_second, retry_after, ban_seconds
        #: candles starting at or after this time (epoch seconds) are not published yet
        self.visible_until: int | None = None
        #: every candle request: ``{"path", "market", "count", "to", "status", "time"}``
        self.requests: list[dict] = []
        self._faults: collections.deque = collections.deque()
        self._recent: collections.deque = collections.deque()
        self._penalty_until = 0.0
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    @classmethod
    def demo(
        cls,
        symbols: Iterable[str] = ("BTC_KRW", "ETH_KRW"),
        timeframes: Iterable[str] = ("1d", "1h"),
        *,
        start="2023-01-01",
        end=None,
        quiet: float = 0.05,
        seed: int = 0,
        **options,
    ) -> ExchangeServer:
        """A server with generated history of ``symbols`` at ``timeframes`` from ``start``
        to ``end`` (default: the start of the current hour), each market seeded apart."""
        end = pd.Timestamp.now(tz="UTC").floor("h") if end is None else end
        prices = {"BTC": 50_000_000.0, "ETH": 3_000_000.0}
        histories = {}
        for k, symbol in enumerate(symbols):
            base = symbol.split("_")[0]
            for timeframe in timeframes:
                histories[(symbol, timeframe)] = market_history(
                    symbol, timeframe, start, end, seed=seed + 10 * k, quiet=quiet,
                    price=prices.get(base, 10_000.0),
                )  # fmt: skip
        return cls(histories, **options)

    # -- control --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL to pass as ``api_url``."""
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, *faults: str) -> None:
        """Queue faults for the next candle requests: ``"429"``, ``"418"`` or ``"drop"``."""
        for fault in faults:
            if fault not in ("429", "418", "drop"):
                raise ValueError(f"fault {fault!r}: use '429', '418' or 'drop'")
            self._faults.append(fault)

    def publish_until(self, when) -> None:
        """Publish only candles that start before ``when`` (None: all of them)."""
        self.visible_until = None if when is None else int(utc_timestamp(when, "when").timestamp())

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> ExchangeServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExchangeServer({self.flavour}, {self.url}, markets={self.markets})"

    # -- answering ------------------------------------------------------------------------
    def _remaining(self, now: float) -> int:
        """Requests left this second; without a limit always ``UNLIMITED_SEC``."""
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        return self.per_second - len(self._recent) if self.per_second else UNLIMITED_SEC

    def _candles(self, path: str, query: dict) -> tuple[int, dict, object]:
        """(status, headers, body or None for a dropped connection) of a candle request."""
        now = time.monotonic()
        entry = {"path": path, "market": query.get("market"), "count": query.get("count"),
                 "to": query.get("to"), "time": now}  # fmt: skip
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            if fault is None and now < self._penalty_until:
                fault = "418"  # asked again before the Retry-After of a 429 passed
            if fault is None and self.per_second and self._remaining(now) <= 0:
                fault = "429"
            self._recent.append(now)
            remaining = max(self._remaining(now), 0)
            headers = {"Remaining-Req": f"group=candles; min=600; sec={remaining}"}
            if fault == "429":
                self._penalty_until = now + self.retry_after
                headers["Retry-After"] = f"{self.retry_after:g}"
                answer = (429, headers, _error("too_many_requests", "Too many API requests."))
            elif fault == "418":
                headers["Retry-After"] = f"{self.ban_seconds:g}"
                answer = (418, headers, _error("banned", "Too many requests after a 429."))
            elif fault == "drop":
                answer = (0, headers, None)
            else:
                answer = self._page(path, query, headers)
            entry["status"] = answer[0]
            self.requests.append(entry)
        return answer

    def _page(self, path: str, query: dict, headers: dict) -> tuple[int, dict, object]:
        timeframe = _PATHS.get(path)
        market = query.get("market", "")
        symbol = "_".join(reversed(market.split("-"))) if "-" in market else ""
        if timeframe is None:
            return 404, headers, _error("not_found", f"No such path /v1/candles/{path}")
        if (symbol, timeframe) not in self.books:
            return 404, headers, _error("not_found", f"Code not found: {market!r}")
        try:
            count = int(query.get("count", 1))
            before = self._to_seconds(query.get("to"))
        except ValueError as exc:
            return 400, headers, _error("invalid_parameter", str(exc))
        if not 1 <= count <= 200:
            return 400, headers, _error("invalid_parameter", "count must be 1 to 200")
        book = self.books[(symbol, timeframe)]
        rows = [
            self._row(book, i, market, timeframe)
            for i in book.page(before, count, self.visible_until)
        ]
        return 200, headers, rows

    def _to_seconds(self, text: str | None) -> int:
        if not text:
            return 2**62
        stamp = datetime.fromisoformat(text.strip().replace(" ", "T").replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC if self.flavour == "upbit" else KST)
        return int(stamp.timestamp())

    @staticmethod
    def _row(book: _Book, i: int, market: str, timeframe: str) -> dict:
        start = datetime.fromtimestamp(int(book.starts[i]), UTC)
        o, h, low, c, v, qv = (float(x) for x in book.values[i])
        row = {
            "market": market,
            "candle_date_time_utc": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "candle_date_time_kst": start.astimezone(KST).strftime("%Y-%m-%dT%H:%M:%S"),
            "opening_price": o, "high_price": h, "low_price": low, "trade_price": c,
            "timestamp": int(book.starts[i]) * 1000 + 1,
            "candle_acc_trade_price": qv, "candle_acc_trade_volume": v,
        }  # fmt: skip
        if timeframe != "1d":
            row["unit"] = int(timeframe_delta(timeframe).total_seconds() // 60)
        return row


def _error(name: str, message: str) -> dict:
    return {"error": {"name": name, "message": message}}


def _handler(server: ExchangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one small answer, no 40 ms delayed-ACK stall

        def log_message(self, *args) -> None:  # quiet: tests and notebooks read stdout
            pass

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
            if parsed.path == "/v1/market/all":
                body = [
                    {"market": f"{s.split('_')[1]}-{s.split('_')[0]}",
                     "korean_name": s.split("_")[0],
                     "english_name": _NAMES.get(s.split("_")[0], s.split("_")[0])}
                    for s in server.markets
                ]  # fmt: skip
                self._send(200, {}, body)
            elif parsed.path.startswith("/v1/candles/"):
                status, headers, body = server._candles(parsed.path[len("/v1/candles/") :], query)
                if body is None:  # a dropped connection: no answer at all
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._send(status, headers, body)
            else:
                self._send(404, {}, _error("not_found", f"No such path {parsed.path}"))

        def _send(self, status: int, headers: dict, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
