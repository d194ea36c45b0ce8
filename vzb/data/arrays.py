"""Candle frames -> the float64 arrays the kernels take, with the checks they rely on.

>>> import vzb
>>> from vzb.data.arrays import candle_arrays
>>> [a.dtype.name for a in candle_arrays(vzb.load_sample("BTC_USD"))] == ["float64"] * 5
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vzb.errors import CandleError

__all__ = [
    "COLUMNS",
    "candle_arrays",
    "column_arrays",
    "describe_candles",
    "first_non_finite",
    "symbol_frames",
]

COLUMNS = ("open", "high", "low", "close", "volume")


#: below this many rows the five columns are read with one ``DataFrame.to_numpy``
SMALL_FRAME = 10_000


def column_arrays(candles: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """``(open, high, low, close, volume)`` as float64 arrays, without checking values.

    Raises ``CandleError`` when ``candles`` is not a DataFrame or a column is missing.
    For kernels use :func:`candle_arrays`, which also checks the index and the values.
    """
    if not isinstance(candles, pd.DataFrame):
        raise CandleError(
            f"candles must be a pandas DataFrame, not {type(candles).__name__}; "
            "load them with vzb.read_candles or vzb.load_sample"
        )
    missing = [c for c in COLUMNS if c not in candles.columns]
    if missing:
        raise CandleError(
            f"candles are missing columns {missing}; expected {list(COLUMNS)} "
            "(vzb.validate_candles normalises common spellings)"
        )
    raw = None
    if len(candles) < SMALL_FRAME and candles.columns.is_unique:
        # short frames: one conversion beats building a Series per column (~40 us each)
        try:
            values = candles.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):  # a column that is not numeric: column by column
            values = None
        if values is not None:
            raw = (values[:, candles.columns.get_loc(c)] for c in COLUMNS)
    if raw is None:
        raw = (candles[c].to_numpy() for c in COLUMNS)
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in raw)


def candle_arrays(candles: pd.DataFrame, *, symbol: str | None = None) -> tuple[np.ndarray, ...]:
    """``(open, high, low, close, volume)`` as contiguous float64 arrays, checked.

    The checks are what the kernels rely on and cost about 2 ms per million
    candles: a ``DatetimeIndex`` that is strictly increasing (so also unique, without
    NaT) and finite values in all five columns. Full validation (prices above zero,
    high/low consistent with open/close, sorting, column spellings) is
    ``vzb.validate_candles``, which the loaders in :mod:`vzb.data` apply.

    Parameters
    ----------
    candles : DataFrame
        Candle frame (``open, high, low, close, volume``) indexed by time.
    symbol : str, optional
        How error messages name the candles; defaults to ``candles.attrs["symbol"]``.

    Raises
    ------
    CandleError
        For a missing column, an index that is not a ``DatetimeIndex``, a timestamp
        not after the one before it (newest-first rows, duplicates, NaT), or a NaN or
        infinite value. The message names the first bad row's timestamp and column
        and says to pass the frame through ``vzb.validate_candles``.

    Examples
    --------
    >>> import vzb
    >>> from vzb.errors import CandleError
    >>> candles = vzb.load_sample("BTC_USD")
    >>> try:
    ...     candle_arrays(candles.iloc[::-1])
    ... except CandleError as e:
    ...     print(str(e)[:68])
    candles for 'BTC_USD': timestamps must be strictly increasing, but r
    """
    arrays = column_arrays(candles)
    name = describe_candles(candles, symbol)
    index = candles.index
    if not isinstance(index, pd.DatetimeIndex):
        raise CandleError(
            f"{name} need a DatetimeIndex named 'timestamp', not {type(index).__name__}; "
            "pass the frame through vzb.validate_candles (or load it with vzb.read_candles)"
        )
    if len(index) == 0:
        return arrays
    stamps = index.asi8
    backwards = stamps[1:] <= stamps[:-1]  # NaT is the smallest int64: caught here too
    if stamps[0] == _NAT or backwards.any():
        row = 0 if stamps[0] == _NAT else int(np.argmax(backwards)) + 1
        where = "is NaT" if row == 0 else _not_after(index, row)
        raise CandleError(
            f"{name}: timestamps must be strictly increasing, but row {row} (index "
            f"'timestamp' = {index[row]}) {where}. Pass the frame through "
            "vzb.validate_candles(df): it sorts the rows in time order and reports "
            "duplicate timestamps"
        )
    first = first_non_finite(arrays)
    if first is not None:
        row, position = first
        column, value = COLUMNS[position], arrays[position][row]
        kind = "NaN" if np.isnan(value) else ("-inf" if value < 0 else "inf")
        raise CandleError(
            f"{name}: column {column!r} is {kind} at {index[row]} (row {row}); every "
            "open, high, low, close and volume value must be finite. Pass the frame "
            "through vzb.validate_candles(df), which reports every bad row, then fill or "
            f"drop them (e.g. df.dropna(subset={list(COLUMNS)}))"
        )
    return arrays


_NAT = np.iinfo(np.int64).min


def first_non_finite(arrays: tuple[np.ndarray, ...]) -> tuple[int, int] | None:
    """``(row, array position)`` of the earliest NaN or infinite value, or None.

    An array whose sum is finite holds only finite values (NaN and inf propagate; an
    overflow falls through to the exact check), so clean data costs one sum per array.
    :func:`vzb.validate_candles` reports with the same check.

    >>> import numpy as np
    >>> first_non_finite((np.array([1.0, 2.0]), np.array([1.0, np.inf])))
    (1, 1)
    """
    first: tuple[int, int] | None = None
    for position, values in enumerate(arrays):
        with np.errstate(over="ignore"):
            total = values.sum()
        if np.isfinite(total):
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            if first is None or row < first[0]:
                first = (row, position)
    return first


def describe_candles(candles: pd.DataFrame, symbol: str | None = None) -> str:
    """How messages name the candles: ``"candles for 'BTC_USD'"`` or ``"candles"``."""
    symbol = symbol if symbol is not None else candles.attrs.get("symbol")
    return f"candles for {symbol!r}" if symbol else "candles"


def _not_after(index: pd.DatetimeIndex, row: int) -> str:
    previous = index[row - 1]
    if pd.isna(index[row]):
        return "is NaT"
    relation = "repeats" if index[row] == previous else "is before"
    return f"{relation} row {row - 1} ({previous})"


def symbol_frames(candles: pd.DataFrame | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Symbol -> candles: a mapping as given, or one frame under ``attrs["symbol"]``
    (``"candles"`` when it has none).

    >>> import vzb
    >>> list(symbol_frames(vzb.load_sample("ETH_USD")))
    ['ETH_USD']
    """
    if isinstance(candles, Mapping):
        if not candles:
            raise CandleError("candles mapping is empty; pass at least one symbol")
        return {str(symbol): frame for symbol, frame in candles.items()}
    return {str(candles.attrs.get("symbol") or "candles"): candles}
