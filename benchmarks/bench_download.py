"""Download figures against the local exchange server: pages a second, a no-op update,
and loading the file with its quiet bars filled.

Run:  .venv/bin/python benchmarks/bench_download.py [DAYS]   (default 365 days of 1h candles)

Prints the figure, the target and the ratio (figure / target) for each step. The local
server runs in this process (one thread per request) without a rate limit, so the
pages-a-second figure is the client's and the server's work together: a real exchange
allows 10 candle requests a second, so the client need only stay well above that.
"""

from __future__ import annotations

import sys
import tempfile
import time

import pandas as pd

from vzb.data.catalog import load_candles
from vzb.data.download import download_candles
from vzb.data.exchange_server import ExchangeServer, market_history

#: pages a second the client and local server must reach (Upbit allows 10 a second)
PAGES_TARGET = 20.0
#: seconds an update that finds nothing missing may take
NOOP_TARGET = 0.25
#: seconds loading a year of hourly candles with gaps filled may take
LOAD_TARGET = 0.5


def line(name: str, figure: float, unit: str, target: float, higher_is_better: bool) -> None:
    ratio = figure / target
    ok = ratio >= 1 if higher_is_better else ratio <= 1
    print(f"{name:42s} {figure:10.3f} {unit:6s} target {target:g}  ratio {ratio:5.2f}  "
          f"{'ok' if ok else 'MISSED'}")  # fmt: skip


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 365
    start = pd.Timestamp("2024-01-01", tz="UTC")
    end = start + pd.Timedelta(days=days)
    history = {("BTC_KRW", "1h"): market_history("BTC_KRW", "1h", start, end, quiet=0.05)}
    data_dir = tempfile.mkdtemp()
    last = (end - pd.Timedelta(hours=1)).isoformat()
    with ExchangeServer(history) as server:
        began = time.perf_counter()
        candles = download_candles("BTC_KRW", "1h", start=start, end=last, api_url=server.url,
                                   data_dir=data_dir, progress=False)  # fmt: skip
        seconds = time.perf_counter() - began
        pages = candles.attrs["requests"]
        print(f"{len(history[('BTC_KRW', '1h')]):,} hourly candles, {pages} pages, {seconds:.2f} s")
        line("download: pages a second", pages / seconds, "pages", PAGES_TARGET, True)
        began = time.perf_counter()
        again = download_candles("BTC_KRW", "1h", start=start, end=last, api_url=server.url,
                                 data_dir=data_dir, progress=False)  # fmt: skip
        assert again.attrs["requests"] == 0
        line("update with nothing missing", time.perf_counter() - began, "s", NOOP_TARGET, False)
    began = time.perf_counter()
    loaded = load_candles("BTC_KRW", "1h", data_dir=data_dir)
    line("load_candles, quiet bars filled", time.perf_counter() - began, "s", LOAD_TARGET, False)
    print(f"({loaded.attrs['filled_bars']:,} bars filled)")


if __name__ == "__main__":
    main()
