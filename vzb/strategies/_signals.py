"""Candles -> signals: the pandas-facing layer over the strategy kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from vzb.errors import CandleError
from vzb.strategies.registry import Strategy, get_strategy

__all__ = [
    "candle_arrays",
    "chunk_size_for",
    "column_arrays",
    "describe_candles",
    "resistance",
    "signals",
]

COLUMNS = ("open", "high", "low", "close", "volume")


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
    # DataFrame._get_column_array skips building a Series per column (~5x faster for
    # short frames, where this overhead dominates a backtest); public path otherwise
    get = getattr(candles, "_get_column_array", None)
    columns = candles.columns
    if get is not None and columns.is_unique:
        raw = (get(columns.get_loc(c)) for c in COLUMNS)
    else:
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
    >>> [a.dtype.name for a in candle_arrays(candles)] == ["float64"] * 5
    True
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
    # the sum of finite values is finite; NaN and inf propagate (an overflow falls
    # through to the exact check below and passes)
    first: tuple[int, str, np.float64] | None = None
    for column, values in zip(COLUMNS, arrays, strict=True):
        with np.errstate(over="ignore"):
            total = values.sum()
        if np.isfinite(total):
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            if first is None or row < first[0]:
                first = (row, column, values[row])
    if first is not None:
        row, column, value = first
        kind = "NaN" if np.isnan(value) else ("-inf" if value < 0 else "inf")
        raise CandleError(
            f"{name}: column {column!r} is {kind} at {index[row]} (row {row}); every "
            "open, high, low, close and volume value must be finite. Pass the frame "
            "through vzb.validate_candles(df), which reports every bad row, then fill or "
            f"drop them (e.g. df.dropna(subset={list(COLUMNS)}))"
        )
    return arrays


_NAT = np.iinfo(np.int64).min


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


def chunk_size_for(strategy: Strategy, params: dict[str, Any], n: int | None = None) -> int:
    """Bars per kernel chunk: about 200,000, fewer for slow parameters (~20 ms a chunk).

    With ``n`` (the bars to run) the chunks are evened out, so that no short last chunk
    misses the threaded kernel.

    >>> from vzb.strategies import get_strategy
    >>> breakout = get_strategy("volume_zone_breakout")
    >>> chunk_size_for(breakout, {"volume_window": 10, "num_bins": 20})
    190476
    >>> chunk_size_for(breakout, {"volume_window": 10, "num_bins": 20}, n=1_000_000)
    166667
    """
    window = int(params.get("volume_window", params.get("vol_ma_window", 1)))
    bins = int(params.get("num_bins", 1))
    size = int(min(200_000, max(1_000, 40_000_000 // max(1, window * (bins + 1)))))
    if n is not None and n > size:
        chunks = -(-n // size)
        size = -(-n // chunks)
    return size


def signals(
    candles: pd.DataFrame,
    strategy: str | Strategy = "volume_zone_breakout",
    *,
    checkpoint: Callable[[float], None] | None = None,
    **params: Any,
) -> pd.Series:
    """Boolean entry signals aligned to ``candles``.

    Parameters
    ----------
    candles : DataFrame
        Candle frame (``open, high, low, close, volume``).
    strategy : str or Strategy
        Registered name or import path ``"module:attribute"``.
    checkpoint : callable, optional
        Called with the fraction done between kernel chunks; raising stops the run.
    **params
        Strategy parameters; missing ones take their defaults.

    Returns
    -------
    Series of bool, named ``"signals"``, indexed like ``candles``.

    Examples
    --------
    >>> import vzb
    >>> candles = vzb.load_sample("BTC_USD")
    >>> s = vzb.signals(candles, "volume_zone_breakout", volume_window=20)
    >>> s.dtype, len(s) == len(candles)
    (dtype('bool'), True)
    """
    strat = get_strategy(strategy)
    full = strat.validate(params)
    arrays = candle_arrays(candles)
    out = strat.compute_signals(
        *arrays, full, checkpoint=checkpoint, chunk_size=chunk_size_for(strat, full, len(arrays[0]))
    )
    return pd.Series(out, index=candles.index, name="signals")


def resistance(candles: pd.DataFrame, **params: Any) -> pd.Series:
    """Volume Zone Breakout resistance per bar (NaN where undefined), for plots.

    Takes the ``volume_zone_breakout`` parameters; the signal is
    ``high >= resistance * (1 + breakout_buffer)``.

    Examples
    --------
    >>> import vzb
    >>> from vzb.strategies import resistance
    >>> candles = vzb.load_sample("BTC_USD")
    >>> r = resistance(candles, volume_window=10)
    >>> bool(r.iloc[:10].isna().all()), bool(r.iloc[10:].notna().any())
    (True, True)
    """
    from vzb.strategies.volume_zone_breakout import resistance_arrays

    full = get_strategy("volume_zone_breakout").validate(params)
    out = resistance_arrays(*candle_arrays(candles), full)
    return pd.Series(out, index=candles.index, name="resistance")
