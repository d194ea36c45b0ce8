"""Candles in: loaders, validation, bundled samples, resampling, a catalog, synthetic data.

Every candle frame vzb uses is a ``pandas.DataFrame`` with a tz-aware UTC
``DatetimeIndex`` named ``"timestamp"`` (strictly increasing) and float64 columns
``open, high, low, close, volume``; ``attrs`` may carry ``symbol``, ``timeframe`` and
``source``. Every loader goes through :func:`validate_candles`.

>>> import vzb.data as data
>>> candles = data.load_sample("BTC_USD", timeframe="1d")
>>> candles.columns.tolist()
['open', 'high', 'low', 'close', 'volume']
>>> data.synthetic_candles(3, seed=0).index.name
'timestamp'

:func:`download_candles` brings an exchange's candles (Upbit, Bithumb, any ccxt exchange)
into the data directory the catalog reads, fetching only what is missing; loading such a
file fills the bars the exchange left out (quiet intervals) as zero-volume bars.

This package never imports numba, and its names load on first use: listing the
catalog (:func:`vzb.data.sources.catalog_sources`), checking a timeframe or a symbol
imports no pandas, so a job request is checked in milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vzb._lazy import lazy_names

# public name -> module of vzb.data that defines it
_API = {
    "TIMEFRAMES": "timeframes",
    "bars_per_year": "timeframes",
    "catalog_sources": "sources",
    "download_candles": "download",
    "exchange_client": "exchange_clients",
    "fill_gaps": "gaps",
    "from_bithumb": "exchanges",
    "from_ccxt": "exchanges",
    "from_upbit": "exchanges",
    "infer_timeframe": "timeframes",
    "list_samples": "samples",
    "list_symbols": "catalog",
    "load_candles": "catalog",
    "load_sample": "samples",
    "normalize_symbol": "symbols",
    "read_candles": "readers",
    "resample_candles": "resample",
    "synthetic_candles": "synthetic",
    "validate_candles": "validate",
}

__all__ = [
    "TIMEFRAMES",
    "bars_per_year",
    "catalog_sources",
    "download_candles",
    "exchange_client",
    "fill_gaps",
    "from_bithumb",
    "from_ccxt",
    "from_upbit",
    "infer_timeframe",
    "list_samples",
    "list_symbols",
    "load_candles",
    "load_sample",
    "normalize_symbol",
    "read_candles",
    "resample_candles",
    "synthetic_candles",
    "validate_candles",
]


__getattr__ = lazy_names(__name__, _API, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers
    from vzb.data.catalog import list_symbols, load_candles
    from vzb.data.download import download_candles
    from vzb.data.exchange_clients import exchange_client
    from vzb.data.exchanges import from_bithumb, from_ccxt, from_upbit
    from vzb.data.gaps import fill_gaps
    from vzb.data.readers import read_candles
    from vzb.data.resample import resample_candles
    from vzb.data.samples import list_samples, load_sample
    from vzb.data.sources import catalog_sources
    from vzb.data.symbols import normalize_symbol
    from vzb.data.synthetic import synthetic_candles
    from vzb.data.timeframes import TIMEFRAMES, bars_per_year, infer_timeframe
    from vzb.data.validate import validate_candles
