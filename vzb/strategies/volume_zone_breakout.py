"""Volume Zone Breakout: enter when price breaks above the top volume zone of a window.

Rules (see ``DESIGN.md``): for each bar ``i >= volume_window``, take the
``volume_window`` bars before ``i``; cut their low–high range (bodies with
``include_wicks=False``) into ``num_bins`` equal bins; spread each candle's volume over
the bins its span overlaps (a zero-span candle puts it in the bin holding its price);
walk down from the top bin accumulating volume; the first bin where the running sum
reaches ``top_percentile`` of the total is the volume zone and its lower edge is the
resistance. Signal when ``high[i] >= resistance * (1 + breakout_buffer)``. A flat range
or zero total volume gives no signal and no resistance (NaN).

>>> import numpy as np
>>> from vzb.strategies.volume_zone_breakout import STRATEGY
>>> high = np.array([10.0, 11, 12, 13])
>>> low = high - 1
>>> out = STRATEGY.compute(low, high, low, high, np.ones(4), volume_window=2)
>>> out.tolist()
[False, False, True, True]
"""

from __future__ import annotations

import numpy as np

from vzb.strategies.nb import volume_zone_breakout_nb, volume_zone_breakout_parallel_nb
from vzb.strategies.registry import Parameter, Strategy, run_chunked

__all__ = [
    "PARALLEL_MIN_BARS",
    "PARAMETERS",
    "STRATEGY",
    "compute",
    "compute_chunk",
    "resistance_arrays",
    "run_kernel",
]

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


def run_kernel(open, high, low, close, volume, params, start, stop, signals_out, resistance_out):
    """Run the breakout kernel on ``[start, stop)``; long ranges on all numba threads.

    The threaded and the serial kernel give identical output (each bar re-bins its own
    window).
    """
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
        resistance_out,
    )
    if stop - start >= PARALLEL_MIN_BARS:
        import numba

        threads = numba.get_num_threads()
        if threads > 1:
            volume_zone_breakout_parallel_nb(*args, threads)
            return
    volume_zone_breakout_nb(*args)


def compute_chunk(open, high, low, close, volume, params, start, stop, signals_out):
    """Fill ``signals_out[start:stop]`` for validated ``params`` (chunked runs)."""
    run_kernel(open, high, low, close, volume, params, start, stop, signals_out, np.empty(0))


def resistance_arrays(
    open, high, low, close, volume, params, start=0, stop=None, signals_out=None
) -> np.ndarray:
    """Resistance per bar (NaN where undefined) for validated ``params``."""
    n = len(close)
    stop = n if stop is None else stop
    out = np.full(n, np.nan)
    if signals_out is None:
        signals_out = np.zeros(n, dtype=np.bool_)
    run_kernel(open, high, low, close, volume, params, start, stop, signals_out, out)
    return out


def compute(
    open,
    high,
    low,
    close,
    volume,
    volume_window=10,
    top_percentile=0.2,
    breakout_buffer=0.0,
    num_bins=20,
    include_wicks=True,
    hold_period_bars=1,
) -> np.ndarray:
    """Boolean entry signals on float64 arrays (parameters already validated)."""
    params = {
        "volume_window": volume_window,
        "top_percentile": top_percentile,
        "breakout_buffer": breakout_buffer,
        "num_bins": num_bins,
        "include_wicks": include_wicks,
    }
    return run_chunked(compute_chunk, open, high, low, close, volume, params)


STRATEGY = Strategy(
    "volume_zone_breakout",
    PARAMETERS,
    compute,
    description=(
        "Enter when the high breaks the lower edge of the top volume zone of the "
        "previous volume_window bars (volume profile resistance breakout)."
    ),
    chunked=compute_chunk,
    ref="vzb.strategies.volume_zone_breakout:STRATEGY",
)
