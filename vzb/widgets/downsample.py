"""Fewer points for display, each bucket's extremes kept, so that a chart stays small in
the notebook file and a one-bar spike stays visible.

A series of ``n`` points is cut into buckets of consecutive points (equal counts, the
first and last bucket included); a line keeps each bucket's lowest and highest point in
time order, candles become one candle per bucket (first open, highest high, lowest low,
last close, summed volume). Series already short enough are returned as they are.

>>> import numpy as np
>>> values = np.array([1.0, 5.0, 2.0, 3.0, -4.0, 0.0, 2.0, 2.5])
>>> extreme_indices(values, 4).tolist()  # two buckets: [1, 5, 2, 3] and [-4, 0, 2, 2.5]
[0, 1, 4, 7]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["bucket_edges", "downsample_candles", "downsample_line", "extreme_indices"]


def bucket_edges(n: int, buckets: int) -> np.ndarray:
    """Where ``buckets`` buckets of ``n`` consecutive points start, and ``n`` at the end
    (bucket sizes differ by at most one).

    >>> bucket_edges(10, 3).tolist()
    [0, 3, 6, 10]
    """
    buckets = max(1, min(int(buckets), n))
    return np.linspace(0, n, buckets + 1).astype(np.int64)


def extreme_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` points of ``values`` keeping every bucket's
    lowest and highest value (NaN ignored; a bucket of NaN keeps its first point, a
    gap), in increasing order. With ``n <= max_points`` every index.

    Parameters
    ----------
    values : numpy.ndarray
        One value per point, in time order.
    max_points : int
        At least 2: ``max_points // 2`` buckets of two points each.

    Returns
    -------
    numpy.ndarray
        Sorted unique int64 indices.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2 (a bucket keeps two); got {max_points}")
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    edges = bucket_edges(n, max_points // 2)
    starts, size = edges[:-1], int(np.diff(edges).max())
    # a (buckets x size) view padded with NaN: the argmin/argmax of every bucket at once
    offsets = np.arange(size)
    positions = starts[:, None] + offsets[None, :]
    inside = positions < edges[1:, None]
    padded = np.where(inside, values[np.minimum(positions, n - 1)], np.nan)
    # NaN never wins; a bucket of NaN keeps its first point (argmin of all inf is 0)
    lows = np.argmin(np.where(np.isnan(padded), np.inf, padded), axis=1)
    highs = np.argmax(np.where(np.isnan(padded), -np.inf, padded), axis=1)
    kept = np.concatenate([starts + lows, starts + highs])
    return np.unique(kept)


def downsample_line(series: pd.Series, max_points: int | None) -> pd.Series:
    """``series`` with at most ``max_points`` points, each bucket's extremes kept
    (:func:`extreme_indices`); ``None`` keeps every point.

    >>> index = pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC")
    >>> downsample_line(pd.Series([1.0, 9.0, 2.0, 3.0, 0.0, 4.0], index=index), 4).tolist()
    [1.0, 9.0, 0.0, 4.0]
    """
    if max_points is None or len(series) <= max_points:
        return series
    return series.iloc[extreme_indices(series.to_numpy(dtype=float), max_points)]


def downsample_candles(candles: pd.DataFrame, max_candles: int | None) -> pd.DataFrame:
    """``candles`` merged into at most ``max_candles`` candles of consecutive bars: the
    bucket's first open, highest high, lowest low, last close and summed volume, at the
    bucket's first timestamp. ``None`` (or few enough candles) keeps them as they are.

    >>> index = pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")
    >>> candles = pd.DataFrame({"open": [1.0, 2, 3, 4], "high": [2.0, 9, 4, 5],
    ...     "low": [0.5, 1, 2, 3], "close": [2.0, 3, 4, 5], "volume": [1.0] * 4}, index=index)
    >>> downsample_candles(candles, 2).to_numpy().tolist()
    [[1.0, 9.0, 0.5, 3.0, 2.0], [3.0, 5.0, 2.0, 5.0, 2.0]]
    """
    if max_candles is None or len(candles) <= max_candles:
        return candles
    if max_candles < 1:
        raise ValueError(f"max_candles must be at least 1; got {max_candles}")
    edges = bucket_edges(len(candles), max_candles)
    starts, ends = edges[:-1], edges[1:] - 1
    merged = {}
    if "open" in candles:
        merged["open"] = candles["open"].to_numpy(dtype=float)[starts]
    if "high" in candles:
        merged["high"] = np.maximum.reduceat(candles["high"].to_numpy(dtype=float), starts)
    if "low" in candles:
        merged["low"] = np.minimum.reduceat(candles["low"].to_numpy(dtype=float), starts)
    if "close" in candles:
        merged["close"] = candles["close"].to_numpy(dtype=float)[ends]
    if "volume" in candles:
        merged["volume"] = np.add.reduceat(candles["volume"].to_numpy(dtype=float), starts)
    return pd.DataFrame(merged, index=candles.index[starts])
