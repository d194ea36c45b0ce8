"""Candles -> signals: the pandas-facing layer over the strategy kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from vzb.errors import CandleError
from vzb.strategies.registry import Strategy, get_strategy

__all__ = ["candle_arrays", "chunk_size_for", "resistance", "signals"]

COLUMNS = ("open", "high", "low", "close", "volume")


def candle_arrays(candles: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """``(open, high, low, close, volume)`` as contiguous float64 arrays.

    Raises ``CandleError`` when a column is missing. Full validation is
    ``vzb.data.validate_candles``; this only checks what the kernels need.
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
