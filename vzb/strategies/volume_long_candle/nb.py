"""Numba kernels of the Volume Long Candle: arrays and scalars in, arrays out.

Every kernel works on a bar range ``[start, stop)`` (or all bars) and writes into
preallocated outputs, so callers run long series in chunks; the Python layer
(:mod:`vzb.strategies.volume_long_candle`) validates parameters before calling.
"""

from __future__ import annotations

from numba import njit

__all__ = [
    "is_long_candle_nb",
    "long_candle_signals_nb",
    "mean_volume_nb",
    "mean_volumes_nb",
    "volume_long_candle_nb",
]


@njit(cache=True)
def mean_volume_nb(volume, i, vol_ma_window):
    """Mean volume of the ``vol_ma_window`` bars up to bar ``i`` (bar ``i`` included).

    The plain sum, oldest first, divided by the count (fewer bars at the start).
    """
    first = i - vol_ma_window + 1
    if first < 0:
        first = 0
    total = 0.0
    for j in range(first, i + 1):
        total += volume[j]
    return total / (i + 1 - first)


@njit(cache=True, error_model="numpy")
def is_long_candle_nb(open, high, low, close, volume, i, mean, vol_multiplier, body_pct):
    """Whether bar ``i`` is a Volume Long Candle, given its mean volume ``mean``.

    Every condition is evaluated (``&``, no branches to mispredict; a zero open divides
    to inf or NaN instead of raising), giving the same answer as the short-circuit form.
    """
    limit = 2.0 * body_pct
    o = open[i]
    c = close[i]
    return (
        (volume[i] >= mean * vol_multiplier)
        & (c > o)
        & ((c - o) / o >= body_pct)
        & ((high[i] - c) / o < limit)
        & ((o - low[i]) / o < limit)
    )


@njit(cache=True)
def volume_long_candle_nb(
    open,
    high,
    low,
    close,
    volume,
    vol_ma_window,
    vol_multiplier,
    body_pct,
    start,
    stop,
    signals_out,
):
    """Volume Long Candle signals for bars ``start <= i < stop``.

    The volume mean is :func:`mean_volume_nb` (bar ``i`` included).
    """
    for i in range(start, stop):
        mean = mean_volume_nb(volume, i, vol_ma_window)
        signals_out[i] = is_long_candle_nb(
            open, high, low, close, volume, i, mean, vol_multiplier, body_pct
        )


@njit(cache=True)
def mean_volumes_nb(volume, vol_ma_window, start, stop, mean_out):
    """:func:`mean_volume_nb` for bars ``start <= i < stop`` (shared by sweeps)."""
    for i in range(start, stop):
        mean_out[i] = mean_volume_nb(volume, i, vol_ma_window)


@njit(cache=True)
def long_candle_signals_nb(open, high, low, close, volume, mean, multipliers, body_pcts, out):
    """Signals of several sets sharing one mean volume per bar (sweeps).

    Row ``k`` of ``out`` is :func:`is_long_candle_nb` for every bar with
    ``multipliers[k]`` and ``body_pcts[k]``.
    """
    for k in range(multipliers.shape[0]):
        for i in range(close.shape[0]):
            out[k, i] = is_long_candle_nb(
                open, high, low, close, volume, i, mean[i], multipliers[k], body_pcts[k]
            )
