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

This package never imports numba: ``import vzb.data`` stays fast.
"""

from __future__ import annotations

from vzb.data.catalog import list_symbols, load_candles
from vzb.data.exchanges import from_bithumb, from_ccxt, from_upbit
from vzb.data.readers import read_candles
from vzb.data.resample import resample_candles
from vzb.data.samples import list_samples, load_sample
from vzb.data.symbols import normalize_symbol
from vzb.data.synthetic import synthetic_candles
from vzb.data.timeframes import TIMEFRAMES, bars_per_year, infer_timeframe
from vzb.data.validate import validate_candles

__all__ = [
    "TIMEFRAMES",
    "bars_per_year",
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
