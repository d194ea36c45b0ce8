"""Volume Zone Breakout: enter when price breaks above the top volume zone of a window.

Rules (see ``DESIGN.md``): for each bar ``i >= volume_window``, take the
``volume_window`` bars before ``i``; cut their low–high range (bodies with
``include_wicks=False``) into ``num_bins`` equal bins; spread each candle's volume over
the bins its span overlaps (a zero-span candle puts it in the bin holding its price);
walk down from the top bin accumulating volume; the first bin where the running sum
reaches ``top_percentile`` of the total is the volume zone and its lower edge is the
resistance. Signal when ``high[i] >= resistance * (1 + breakout_buffer)``. A flat range
or zero total volume gives no signal and no resistance (NaN). Bins are recomputed for
every window.

The kernels live beside this module in :mod:`.nb` and are imported on first use, so
checking parameters stays cheap. The kernel fills the ``resistance`` indicator; the
sweep plan shares one volume profile per bar between sets with the same
``volume_window``, ``num_bins`` and ``include_wicks``, resolving every
``top_percentile`` of the group from it.

>>> import numpy as np
>>> high = np.array([10.0, 11, 12, 13]); low = high - 1
>>> signals, found = STRATEGY.run((low, high, low, high, np.ones(4)),
...                               STRATEGY.validate({"volume_window": 2}), indicators=True)
>>> signals.tolist(), found["resistance"][2:].tolist()
([False, False, True, True], [10.6, 11.6])
"""

from __future__ import annotations

from vzb.strategies.contract import Strategy, SweepPlan
from vzb.strategies.parameters import Parameter

__all__ = ["PARALLEL_MIN_BARS", "PARAMETERS", "STRATEGY", "kernel"]

PARAMETERS = (
    Parameter("volume_window", 10, int, low=1, high=100_000, doc="bars in the profile window"),
    Parameter(
        "top_percentile",
        0.2,
        float,
        low=0.0,
        high=1.0,
        low_inclusive=False,
        doc="share of window volume, from the top, that makes the volume zone",
    ),
    Parameter("breakout_buffer", 0.0, float, low=-0.5, high=10.0, doc="fraction above resistance"),
    Parameter("num_bins", 20, int, low=1, high=10_000, doc="price bins of the profile"),
    Parameter("include_wicks", True, bool, doc="profile on low-high (True) or bodies (False)"),
    Parameter("hold_period_bars", 1, int, low=1, high=1_000_000, doc="bars to hold a position"),
)

#: chunks of at least this many bars run on all numba threads (bars are independent)
PARALLEL_MIN_BARS = 50_000


def kernel(open, high, low, close, volume, params, start, stop, signals_out, indicators_out):
    """Fill ``signals_out[start:stop]`` (and the resistance, when asked) for validated
    ``params``; long ranges run on all numba threads with identical output."""
    import numpy as np

    from vzb.strategies.volume_zone_breakout import nb

    resistance = indicators_out[0] if indicators_out else np.empty(0)
    args = (
        open,
        high,
        low,
        close,
        volume,
        int(params["volume_window"]),
        float(params["top_percentile"]),
        float(params["breakout_buffer"]),
        int(params["num_bins"]),
        bool(params["include_wicks"]),
        int(start),
        int(stop),
        signals_out,
        resistance,
    )
    if stop - start >= PARALLEL_MIN_BARS:
        import numba

        threads = numba.get_num_threads()
        if threads > 1:
            nb.volume_zone_breakout_parallel_nb(*args, threads)
            return
    nb.volume_zone_breakout_nb(*args)


def _bar_cost(params) -> float:
    return int(params["volume_window"]) * (int(params["num_bins"]) + 1)


# -- sweep plan: one profile per bar for a group, every top_percentile from it ------------
def _prepare(arrays, group):
    import numpy as np

    first = group[0]
    tps = np.unique(np.array([p["top_percentile"] for p in group], dtype=np.float64))
    return {
        "window": int(first["volume_window"]),
        "bins": int(first["num_bins"]),
        "wicks": bool(first["include_wicks"]),
        "top_percentiles": tps,
        "resistance": np.empty((len(tps), len(arrays[3]))),
    }


def _fill(arrays, state, start, stop):
    from vzb.strategies.volume_zone_breakout.nb import volume_zone_resistance_multi_nb

    volume_zone_resistance_multi_nb(
        *arrays,
        state["window"],
        state["top_percentiles"],
        state["bins"],
        state["wicks"],
        int(start),
        int(stop),
        state["resistance"],
    )


def _signals(arrays, state, sets, out):
    import numpy as np

    from vzb.strategies.volume_zone_breakout.nb import breakout_signals_nb

    tps = np.array([p["top_percentile"] for p in sets], dtype=np.float64)
    buffers = np.array([p["breakout_buffer"] for p in sets], dtype=np.float64)
    tp_index = np.searchsorted(state["top_percentiles"], tps)
    breakout_signals_nb(arrays[1], state["resistance"], tp_index, buffers, out)


STRATEGY = Strategy(
    "volume_zone_breakout",
    PARAMETERS,
    description=(
        "Enter when the high breaks the lower edge of the top volume zone of the "
        "previous volume_window bars (volume profile resistance breakout)."
    ),
    kernel=kernel,
    indicators=("resistance",),
    sweep_plan=SweepPlan(
        shared=("volume_window", "num_bins", "include_wicks"),
        prepare=_prepare,
        fill=_fill,
        signals=_signals,
    ),
    bar_cost=_bar_cost,
    ref="vzb.strategies.volume_zone_breakout:STRATEGY",
)
