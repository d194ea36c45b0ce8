"""Volume Long Candle: enter on a high-volume bullish candle with small wicks.

Rules (see ``DESIGN.md``): signal on bar ``i`` when ``volume[i]`` is at least its
rolling mean (window ``vol_ma_window``, at least one bar, bar ``i`` included) times
``vol_multiplier``, the candle is bullish (``close > open``) with
``(close - open) / open >= body_pct``, upper wick ``(high - close) / open < 2 * body_pct``
and lower wick ``(open - low) / open < 2 * body_pct``.

The kernels live beside this module in :mod:`.nb`, imported on first use. The sweep
plan shares one mean volume per bar between sets with the same ``vol_ma_window``.

>>> import numpy as np
>>> o = np.array([100.0, 100, 100]); c = np.array([100.5, 100.2, 105])
>>> signals, _ = STRATEGY.run((o, c, o, c, np.array([1.0, 1, 5])), STRATEGY.validate({}))
>>> signals.tolist()
[False, False, True]
"""

from __future__ import annotations

from vzb.strategies.contract import Strategy, SweepPlan
from vzb.strategies.parameters import Parameter

__all__ = ["PARAMETERS", "STRATEGY", "kernel"]

PARAMETERS = (
    Parameter("vol_ma_window", 20, int, low=1, high=100_000, doc="bars in the volume mean"),
    Parameter("vol_multiplier", 1.5, float, low=0.0, doc="volume / mean volume needed"),
    Parameter("body_pct", 0.02, float, low=0.0, high=10.0, doc="minimum body / open"),
    Parameter("hold_period_bars", 1, int, low=1, high=1_000_000, doc="bars to hold a position"),
)


def kernel(open, high, low, close, volume, params, start, stop, signals_out, indicators_out):
    """Fill ``signals_out[start:stop]`` for validated ``params`` (no indicators)."""
    from vzb.strategies.volume_long_candle.nb import volume_long_candle_nb

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


def _bar_cost(params) -> float:
    return 2 * int(params["vol_ma_window"])


# -- sweep plan: one mean volume per bar for a group --------------------------------------
def _prepare(arrays, group):
    import numpy as np

    return {"window": int(group[0]["vol_ma_window"]), "mean": np.empty(len(arrays[3]))}


def _fill(arrays, state, start, stop):
    from vzb.strategies.volume_long_candle.nb import mean_volumes_nb

    mean_volumes_nb(arrays[4], state["window"], int(start), int(stop), state["mean"])


def _signals(arrays, state, sets, out):
    import numpy as np

    from vzb.strategies.volume_long_candle.nb import long_candle_signals_nb

    multipliers = np.array([p["vol_multiplier"] for p in sets], dtype=np.float64)
    body_pcts = np.array([p["body_pct"] for p in sets], dtype=np.float64)
    long_candle_signals_nb(*arrays, state["mean"], multipliers, body_pcts, out)


STRATEGY = Strategy(
    "volume_long_candle",
    PARAMETERS,
    description="Enter on a bullish candle with volume well above its rolling mean.",
    kernel=kernel,
    sweep_plan=SweepPlan(shared=("vol_ma_window",), prepare=_prepare, fill=_fill, signals=_signals),
    bar_cost=_bar_cost,
    ref="vzb.strategies.volume_long_candle:STRATEGY",
)
