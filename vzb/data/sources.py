"""Where candles come from: the bundled samples and a user's data directory, listed
without reading a file (and without pandas, so a job request is checked cheaply).

>>> sources = catalog_sources()
>>> sources[("BTC_USD", "1d")], sources[("BTC_USD", "4h")]
('bundled', 'resampled from 1h')
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from vzb.data.timeframes import TIMEFRAMES, timeframe_seconds
from vzb.errors import UnknownSymbolError

__all__ = ["SAMPLES", "catalog_sources", "data_directory", "stored_sources"]

#: (symbol, timeframe) -> (raw file in the shared data directory, what it is)
SAMPLES: dict[tuple[str, str], tuple[str, str]] = {
    ("BTC_USD", "1d"): ("bitstamp_BTC_ETH_LTC_USD_1d.csv", "Bitstamp daily BTC/USD"),
    ("BTC_USD", "1h"): ("coinbase_BTCUSD_1h.csv", "Coinbase hourly BTC-USD"),
    ("ETH_USD", "1d"): ("bitstamp_BTC_ETH_LTC_USD_1d.csv", "Bitstamp daily ETH/USD"),
    ("LTC_USD", "1d"): ("bitstamp_BTC_ETH_LTC_USD_1d.csv", "Bitstamp daily LTC/USD"),
}

_FILE = re.compile(r"^(?P<symbol>.+)_(?P<timeframe>\d+[mhd])\.(?P<ext>csv|parquet)$", re.I)


def data_directory(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The user data directory: ``data_dir`` if given, else ``$VZB_DATA_DIR``, else None."""
    chosen = data_dir if data_dir is not None else os.environ.get("VZB_DATA_DIR") or None
    return Path(chosen).expanduser() if chosen is not None else None


def stored_sources(data_dir: str | os.PathLike[str] | None = None) -> dict[tuple[str, str], str]:
    """(symbol, timeframe) -> source (a path, or ``"bundled"``) of stored candles; a
    user's files first, a Parquet file before a CSV of the same name."""
    found: dict[tuple[str, str], str] = {}
    directory = data_directory(data_dir)
    if directory is not None:
        if not directory.is_dir():
            raise UnknownSymbolError(
                f"Data directory {str(directory)!r} does not exist. Fix: create it, or pass "
                f"data_dir= / set VZB_DATA_DIR to a directory of {{SYMBOL}}_{{timeframe}}.csv "
                f"or .parquet files."
            )
        for path in sorted(directory.iterdir()):
            match = _FILE.match(path.name)
            if match and match["timeframe"] in TIMEFRAMES and path.is_file():
                key = (match["symbol"].upper(), match["timeframe"])
                if key in found and path.suffix.lower() == ".csv":
                    continue  # a Parquet file beats a CSV of the same name
                found[key] = str(path)
    for key in SAMPLES:
        found.setdefault(key, "bundled")
    return found


def finer_timeframe(stored: dict[tuple[str, str], str], symbol: str, timeframe: str) -> str | None:
    """The coarsest stored timeframe of ``symbol`` that ``timeframe`` can be resampled from."""
    target = timeframe_seconds(timeframe)
    finer = [
        t
        for (s, t) in stored
        if s == symbol and timeframe_seconds(t) < target and target % timeframe_seconds(t) == 0
    ]
    return max(finer, key=timeframe_seconds) if finer else None


def catalog_sources(data_dir: str | os.PathLike[str] | None = None) -> dict[tuple[str, str], str]:
    """Every (symbol, timeframe) the catalog can serve -> its source: a file path,
    ``"bundled"``, or ``"resampled from <timeframe>"``; sorted by symbol, finest first."""
    stored = stored_sources(data_dir)
    out: dict[tuple[str, str], str] = {}
    for symbol in sorted({s for s, _ in stored}):
        for timeframe in TIMEFRAMES:
            if (symbol, timeframe) in stored:
                out[(symbol, timeframe)] = stored[(symbol, timeframe)]
            elif (finer := finer_timeframe(stored, symbol, timeframe)) is not None:
                out[(symbol, timeframe)] = f"resampled from {finer}"
    return out
