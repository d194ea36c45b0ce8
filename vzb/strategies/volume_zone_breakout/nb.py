"""Numba kernels of the Volume Zone Breakout: arrays and scalars in, arrays out.

Every kernel works on a bar range ``[start, stop)`` and writes into preallocated output
arrays indexed by absolute bar number, so callers run long series in chunks and check a
cancel flag between chunks. Inputs are float64 arrays of equal length; the Python layer
(:mod:`vzb.strategies.volume_zone_breakout`) validates parameters before calling.

Floating-point operations follow the slow references in the tests step by step (same
formulas, same order of accumulation), so kernel and reference agree exactly, ties
included:

* bin edges: ``edge[k] = lo + k * ((hi - lo) / num_bins)`` for ``k < num_bins`` and
  ``edge[num_bins] = hi``;
* a candle spanning ``[c_lo, c_hi]`` (``c_hi > c_lo``) adds
  ``(volume / (c_hi - c_lo)) * overlap`` (its volume per unit of price times the
  overlap) to each bin it overlaps, where
  ``overlap = min(c_hi, edge[k+1]) - max(c_lo, edge[k])`` (only when positive),
  candles in bar order;
* a zero-span candle adds its whole volume to the bin ``k`` with
  ``edge[k] <= price < edge[k+1]`` (the price ``hi`` goes to the last bin);
* the window total is the sum of the bins from the top bin down; the zone is the first
  bin, from the top, where the running sum is ``>= top_percentile * total``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "DENSE_MAX_BINS",
    "breakout_signals_nb",
    "volume_zone_breakout_nb",
    "volume_zone_breakout_parallel_nb",
    "volume_zone_resistance_multi_nb",
    "window_profile_nb",
    "zone_edge_nb",
]


#: up to this many bins a candle's volume is spread by one branch-free pass over every
#: bin (the bins it does not span get exactly 0.0); with more, only the spanned bins
DENSE_MAX_BINS = 64


@njit(cache=True)
def window_profile_nb(open, high, low, close, volume, i, volume_window, include_wicks, bins, edges):
    """Fill ``bins`` (volume per bin) and ``edges`` for the window before bar ``i``.

    With at most :data:`DENSE_MAX_BINS` bins each candle's share is computed for every
    bin in one branch-free (vectorised) pass, adding exactly 0.0 where it does not
    overlap; with more bins each candle touches only the bins it spans. Both give the
    same sums, bit for bit, as the formulas in the module docstring.

    Returns the window's total volume (summed from the top bin down), or -1.0 when the
    price range is flat (no profile).
    """
    num_bins = bins.shape[0]
    last = num_bins - 1
    first = i - volume_window
    lo = np.inf
    hi = -np.inf
    if include_wicks:
        for j in range(first, i):
            lo = min(lo, low[j])
            hi = max(hi, high[j])
    else:
        for j in range(first, i):
            lo = min(lo, min(open[j], close[j]))
            hi = max(hi, max(open[j], close[j]))
    if not hi > lo:
        return -1.0
    width = (hi - lo) / num_bins
    for k in range(num_bins):
        edges[k] = lo + k * width
        bins[k] = 0.0
    edges[num_bins] = hi
    scale = 1.0 / width
    dense = num_bins <= DENSE_MAX_BINS
    for j in range(first, i):
        if include_wicks:
            c_lo = low[j]
            c_hi = high[j]
        else:
            c_lo = min(open[j], close[j])
            c_hi = max(open[j], close[j])
        v = volume[j]
        span = c_hi - c_lo
        # first guess of the bin holding c_lo, made exact by the edges below
        k = int((c_lo - lo) * scale)
        if k > last:
            k = last
        if span > 0.0 and dense:
            density = v / span
            for b in range(num_bins):
                overlap = min(c_hi, edges[b + 1]) - max(c_lo, edges[b])
                bins[b] += density * overlap if overlap > 0.0 else 0.0
        elif span > 0.0:
            density = v / span
            # bins k..k1: the first with edge[k+1] > c_lo to the last with edge[k1] < c_hi
            while k > 0 and edges[k] > c_lo:
                k -= 1
            while k < last and edges[k + 1] <= c_lo:
                k += 1
            k1 = int((c_hi - lo) * scale)
            if k1 > last:
                k1 = last
            while k1 > 0 and edges[k1] >= c_hi:
                k1 -= 1
            while k1 < last and edges[k1 + 1] < c_hi:
                k1 += 1
            if k == k1:
                bins[k] += density * span
            else:
                # the min/max overlap formula, resolved: c_lo lies in bin k, c_hi in k1
                bins[k] += density * (edges[k + 1] - c_lo)
                for b in range(k + 1, k1):
                    bins[b] += density * max(edges[b + 1] - edges[b], 0.0)
                bins[k1] += density * (c_hi - edges[k1])
        else:
            # the bin with edge[k] <= price < edge[k+1]; price == hi -> last bin
            while k > 0 and c_lo < edges[k]:
                k -= 1
            while k < last and c_lo >= edges[k + 1]:
                k += 1
            bins[k] += v
    total = 0.0
    for k in range(last, -1, -1):
        total += bins[k]
    return total


@njit(cache=True)
def zone_edge_nb(bins, edges, total, top_percentile):
    """Lower edge of the volume zone of a filled profile.

    Walking down from the top bin, the zone is the first bin where the running sum
    reaches ``top_percentile * total``.
    """
    threshold = top_percentile * total
    running = 0.0
    zone = 0
    for k in range(bins.shape[0] - 1, -1, -1):
        running += bins[k]
        if running >= threshold:
            zone = k
            break
    return edges[zone]


@njit(cache=True)
def volume_zone_breakout_nb(
    open,
    high,
    low,
    close,
    volume,
    volume_window,
    top_percentile,
    breakout_buffer,
    num_bins,
    include_wicks,
    start,
    stop,
    signals_out,
    resistance_out,
):
    """Volume Zone Breakout signals (and resistance) for bars ``start <= i < stop``.

    ``signals_out[i]`` is True when ``high[i] >= resistance * (1 + breakout_buffer)``,
    where the resistance is the lower edge of the volume zone of the ``volume_window``
    bars before ``i``. ``resistance_out`` (length 0 to skip it) gets the resistance, NaN
    where undefined (first bars, flat range, zero volume).
    """
    keep_resistance = resistance_out.shape[0] > 0
    bins = np.empty(num_bins)
    edges = np.empty(num_bins + 1)
    factor = 1.0 + breakout_buffer
    for i in range(start, stop):
        signals_out[i] = False
        if keep_resistance:
            resistance_out[i] = np.nan
        if i < volume_window:
            continue
        total = window_profile_nb(
            open, high, low, close, volume, i, volume_window, include_wicks, bins, edges
        )
        if not total > 0.0:
            continue
        resistance = zone_edge_nb(bins, edges, total, top_percentile)
        if keep_resistance:
            resistance_out[i] = resistance
        signals_out[i] = high[i] >= resistance * factor


@njit(cache=True)
def volume_zone_resistance_multi_nb(
    open,
    high,
    low,
    close,
    volume,
    volume_window,
    top_percentiles,
    num_bins,
    include_wicks,
    start,
    stop,
    resistance_out,
):
    """Resistance for several ``top_percentiles`` at once (one profile per bar).

    ``resistance_out`` has shape ``(len(top_percentiles), n)``; equal, bar for bar, to
    :func:`volume_zone_breakout_nb`'s resistance for each percentile. Used by sweeps.
    """
    n_tp = top_percentiles.shape[0]
    bins = np.empty(num_bins)
    edges = np.empty(num_bins + 1)
    for i in range(start, stop):
        for t in range(n_tp):
            resistance_out[t, i] = np.nan
        if i < volume_window:
            continue
        total = window_profile_nb(
            open, high, low, close, volume, i, volume_window, include_wicks, bins, edges
        )
        if not total > 0.0:
            continue
        for t in range(n_tp):
            resistance_out[t, i] = zone_edge_nb(bins, edges, total, top_percentiles[t])


@njit(cache=True, parallel=True)
def volume_zone_breakout_parallel_nb(
    open,
    high,
    low,
    close,
    volume,
    volume_window,
    top_percentile,
    breakout_buffer,
    num_bins,
    include_wicks,
    start,
    stop,
    signals_out,
    resistance_out,
    n_blocks,
):
    """:func:`volume_zone_breakout_nb` over ``n_blocks`` blocks of bars run on threads.

    Every bar is independent (each re-bins its own window), so the blocks give the same
    output, bit for bit, as one serial run.
    """
    size = (stop - start + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        lo = start + b * size
        hi = min(stop, lo + size)
        if lo < hi:
            volume_zone_breakout_nb(
                open,
                high,
                low,
                close,
                volume,
                volume_window,
                top_percentile,
                breakout_buffer,
                num_bins,
                include_wicks,
                lo,
                hi,
                signals_out,
                resistance_out,
            )


@njit(cache=True)
def breakout_signals_nb(high, resistance, tp_index, buffers, out):
    """Signals of several sets from shared resistance rows (sweeps).

    Row ``k`` of ``out`` is ``high >= resistance[tp_index[k]] * (1 + buffers[k])``
    (NaN resistance: no signal), the comparison of :func:`volume_zone_breakout_nb`.
    """
    for k in range(tp_index.shape[0]):
        row = resistance[tp_index[k]]
        factor = 1.0 + buffers[k]
        for i in range(high.shape[0]):
            out[k, i] = high[i] >= row[i] * factor
