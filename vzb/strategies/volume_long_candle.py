"""Volume Long Candle: enter on a high-volume bullish candle with small wicks.

Rules (see ``DESIGN.md``): signal on bar ``i`` when ``volume[i]`` is at least its
rolling mean (window ``vol_ma_window``, at least one bar, bar ``i`` included) times
``vol_multiplier``, the candle is bullish (``close > open``) with
``(close - open) / open >= body_pct``, upper wick ``(high - close) / open < 2 * body_pct``
and lower wick ``(open - low) / open < 2 * body_pct``.

>>> import numpy as np
>>> from vzb.strategies.volume_long_candle import STRATEGY
>>> o = np.array([100.0, 100, 100]); c = np.array([100.5, 100.2, 105])
>>> STRATEGY.compute(o, c, o, c, np.array([1.0, 1, 5])).tolist()
[False, False, True]
"""

from __future__ import annotations

import numpy as np

from vzb.strategies.nb import volume_long_candle_nb
from vzb.strategies.registry import Parameter, Strategy, run_chunked

__all__ = ["PARAMETERS", "STRATEGY", "compute", "compute_chunk"]

PARAMETERS = (
    Parameter("vol_ma_window", 20, int, low=1, high=100_000, doc="bars in the volume mean"),
    Parameter("vol_multiplier", 1.5, float, low=0.0, doc="volume / mean volume needed"),
    Parameter("body_pct", 0.02, float, low=0.0, high=10.0, doc="minimum body / open"),
    Parameter("hold_period_bars", 1, int, low=1, high=1_000_000, doc="bars to hold a position"),
)


def compute_chunk(open, high, low, close, volume, params, start, stop, signals_out):
    """Fill ``signals_out[start:stop]`` for validated ``params`` (chunked runs)."""
    volume_long_candle_nb(
        open,
        high,
        low,
        close,
        volume,
        int(params["vol_ma_window"]),
        float(params["vol_multiplier"]),
        float(params["body_pct"]),
        int(start),
        int(stop),
        signals_out,
    )


def compute(
    open,
    high,
    low,
    close,
    volume,
    vol_ma_window=20,
    vol_multiplier=1.5,
    body_pct=0.02,
    hold_period_bars=1,
) -> np.ndarray:
    """Boolean entry signals on float64 arrays (parameters already validated)."""
    params = {
        "vol_ma_window": vol_ma_window,
        "vol_multiplier": vol_multiplier,
        "body_pct": body_pct,
    }
    return run_chunked(compute_chunk, open, high, low, close, volume, params)


STRATEGY = Strategy(
    "volume_long_candle",
    PARAMETERS,
    compute,
    description="Enter on a bullish candle with volume well above its rolling mean.",
    chunked=compute_chunk,
    ref="vzb.strategies.volume_long_candle:STRATEGY",
)
