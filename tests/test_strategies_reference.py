"""The strategy kernels equal slow, obviously-correct references, bar for bar.

The references follow DESIGN.md literally with plain Python loops and the same float
formulas (bin edges, overlap shares, summation order) documented in vzb.strategies.nb,
so equality is exact, ties included.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vzb
from vzb.data.arrays import candle_arrays
from vzb.strategies import get_strategy, indicators
from vzb.strategies.volume_zone_breakout.nb import DENSE_MAX_BINS

BREAKOUT = get_strategy("volume_zone_breakout")
LONG_CANDLE = get_strategy("volume_long_candle")


def breakout_compute(*arrays, **params):
    """The breakout's signals through the strategy contract (the engine's path)."""
    return BREAKOUT.run(arrays, BREAKOUT.validate(params))[0]


def long_candle_compute(*arrays, **params):
    return LONG_CANDLE.run(arrays, LONG_CANDLE.validate(params))[0]


def resistance_arrays(*arrays_and_params):
    *arrays, params = arrays_and_params
    return BREAKOUT.run(arrays, BREAKOUT.validate(params), indicators=True)[1]["resistance"]


def resistance(candles, **params):
    return indicators(candles, "volume_zone_breakout", **params)["resistance"]


def reference_breakout(
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
):
    """Volume Zone Breakout exactly as written in DESIGN.md: (signals, resistance)."""
    n = len(close)
    signals = [False] * n
    levels = [math.nan] * n
    for i in range(volume_window, n):
        window = range(i - volume_window, i)  # the bars before i, bar i excluded
        if include_wicks:
            lows = [low[j] for j in window]
            highs = [high[j] for j in window]
        else:
            lows = [min(open[j], close[j]) for j in window]
            highs = [max(open[j], close[j]) for j in window]
        lo, hi = min(lows), max(highs)
        if not hi > lo:
            continue  # flat range: no signal
        width = (hi - lo) / num_bins
        edges = [lo + k * width for k in range(num_bins)] + [hi]
        bins = [0.0] * num_bins
        for j, c_lo, c_hi in zip(window, lows, highs, strict=True):
            span = c_hi - c_lo
            if span > 0:
                for k in range(num_bins):
                    overlap = min(c_hi, edges[k + 1]) - max(c_lo, edges[k])
                    if overlap > 0:
                        bins[k] += (volume[j] / span) * overlap  # volume per unit price
            else:
                if c_lo >= hi:
                    k = num_bins - 1
                else:
                    k = next(k for k in range(num_bins) if edges[k] <= c_lo < edges[k + 1])
                bins[k] += volume[j]
        total = 0.0
        for k in reversed(range(num_bins)):
            total += bins[k]
        if not total > 0:
            continue  # zero volume: no signal
        running = 0.0
        for k in reversed(range(num_bins)):
            running += bins[k]
            if running >= top_percentile * total:
                zone = k
                break
        levels[i] = edges[zone]
        signals[i] = high[i] >= levels[i] * (1 + breakout_buffer)
    return np.array(signals, dtype=bool), np.array(levels)


def reference_long_candle(
    open, high, low, close, volume, vol_ma_window=20, vol_multiplier=1.5, body_pct=0.02
):
    """Volume Long Candle exactly as written in DESIGN.md."""
    out = []
    for i in range(len(close)):
        first = max(0, i - vol_ma_window + 1)
        total = 0.0
        for j in range(first, i + 1):
            total += volume[j]
        mean = total / (i + 1 - first)
        o = open[i]
        out.append(
            volume[i] >= mean * vol_multiplier
            and close[i] > o
            and (close[i] - o) / o >= body_pct
            and (high[i] - close[i]) / o < 2 * body_pct
            and (o - low[i]) / o < 2 * body_pct
        )
    return np.array(out, dtype=bool)


@st.composite
def candle_arrays_st(draw, min_bars=1, max_bars=60, n=None):
    """Random candles on a coarse price grid (ties, flat windows, zero volumes)."""
    n = draw(st.integers(min_bars, max_bars)) if n is None else n
    flat = draw(st.sampled_from([False, False, False, True]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    step = draw(st.sampled_from([0.5, 0.25, 0.1, 1e-3]))
    levels = 100 + step * rng.integers(-6, 7, size=(n, 4))
    if flat:  # long stretches of identical candles
        levels[: n // 2] = 100.0
    o, c = levels[:, 0], levels[:, 1]
    h = np.maximum(np.maximum(o, c), levels[:, 2])
    lo = np.minimum(np.minimum(o, c), levels[:, 3])
    volume = rng.choice([0.0, 0.0, 1.0, 2.5, 3.0, 1e6], size=n)
    if draw(st.sampled_from([False, False, False, True])):
        volume = np.zeros(n)
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (o, h, lo, c, volume))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    volume_window=st.integers(1, 200),
    num_bins=st.integers(1, 50),
    include_wicks=st.booleans(),
    top_percentile=st.sampled_from([0.05, 0.1, 0.2, 0.25, 0.5, 0.7, 1.0]),
    breakout_buffer=st.sampled_from([0.0, 0.0, 0.001, 0.01, -0.01]),
)
def test_breakout_kernel_equals_reference(
    data, volume_window, num_bins, include_wicks, top_percentile, breakout_buffer
):
    n = volume_window + data.draw(st.integers(-5, 30))  # mostly bars past the window
    arrays = data.draw(candle_arrays_st(n=max(1, n)))
    params = dict(
        volume_window=volume_window,
        top_percentile=top_percentile,
        breakout_buffer=breakout_buffer,
        num_bins=num_bins,
        include_wicks=include_wicks,
    )
    assert_breakout_equals_reference(arrays, params)


def assert_breakout_equals_reference(arrays, params):
    want_signals, want_levels = reference_breakout(*arrays, **params)
    got = breakout_compute(*arrays, **params)
    levels = resistance_arrays(*arrays, params)
    np.testing.assert_array_equal(got, want_signals)
    np.testing.assert_array_equal(levels, want_levels)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    volume_window=st.integers(1, 60),
    extra_bins=st.integers(1, 150),
    include_wicks=st.booleans(),
    top_percentile=st.sampled_from([0.05, 0.2, 0.5, 1.0]),
)
def test_breakout_kernel_with_many_bins_equals_reference(
    data, volume_window, extra_bins, include_wicks, top_percentile
):
    # more than DENSE_MAX_BINS bins: each candle touches only the bins it spans
    n = volume_window + data.draw(st.integers(-5, 20))
    arrays = data.draw(candle_arrays_st(n=max(1, n)))
    params = dict(
        volume_window=volume_window,
        top_percentile=top_percentile,
        breakout_buffer=0.0,
        num_bins=DENSE_MAX_BINS + extra_bins,
        include_wicks=include_wicks,
    )
    assert_breakout_equals_reference(arrays, params)


@settings(max_examples=200, deadline=None)
@given(
    arrays=candle_arrays_st(max_bars=80),
    vol_ma_window=st.integers(1, 200),
    vol_multiplier=st.sampled_from([0.0, 1.0, 1.5, 2.0]),
    body_pct=st.sampled_from([0.0, 0.001, 0.005, 0.02]),
)
def test_long_candle_kernel_equals_reference(arrays, vol_ma_window, vol_multiplier, body_pct):
    params = dict(vol_ma_window=vol_ma_window, vol_multiplier=vol_multiplier, body_pct=body_pct)
    np.testing.assert_array_equal(
        long_candle_compute(*arrays, **params), reference_long_candle(*arrays, **params)
    )


def test_chunked_runs_equal_one_run():
    arrays = candle_arrays(vzb.load_sample("BTC_USD"))
    params = BREAKOUT.validate({"volume_window": 15})
    whole, found = BREAKOUT.run(arrays, params, indicators=True)
    # a bar cost so high that the minimum chunk (1,000 bars) applies
    costly = dataclasses.replace(BREAKOUT, bar_cost=lambda p: 10.0**12)
    n = len(arrays[0])
    size = costly.chunk_size(params, n)
    assert size <= 1_000 < n
    seen = []
    chunked, found_chunked = costly.run(arrays, params, indicators=True, checkpoint=seen.append)
    np.testing.assert_array_equal(whole, chunked)
    np.testing.assert_array_equal(found["resistance"], found_chunked["resistance"])
    assert len(seen) == -(-n // size) - 1
    assert seen == sorted(seen) and 0 < seen[0] and seen[-1] < 1


SAMPLES = [("BTC_USD", "1d"), ("ETH_USD", "1d"), ("LTC_USD", "1d"), ("BTC_USD", "1h")]


@pytest.mark.parametrize(("symbol", "timeframe"), SAMPLES)
def test_kernels_equal_references_on_bundled_candles(symbol, timeframe):
    candles = vzb.load_sample(symbol, timeframe=timeframe)
    arrays = candle_arrays(candles)
    if timeframe == "1h":
        param_sets = [{}]
    else:
        param_sets = [
            {},
            {"volume_window": 30, "num_bins": 7, "include_wicks": False, "top_percentile": 0.5},
            {"volume_window": 3, "num_bins": 50, "breakout_buffer": 0.01},
            {"volume_window": 4, "num_bins": DENSE_MAX_BINS + 36, "include_wicks": False},
        ]
    for params in param_sets:
        want_signals, want_levels = reference_breakout(*arrays, **params)
        got = vzb.signals(candles, "volume_zone_breakout", **params)
        np.testing.assert_array_equal(got.to_numpy(), want_signals)
        np.testing.assert_array_equal(resistance(candles, **params).to_numpy(), want_levels)
        assert want_signals.any()
    for params in ({}, {"vol_ma_window": 5, "vol_multiplier": 1.2, "body_pct": 0.01}):
        got = vzb.signals(candles, "volume_long_candle", **params)
        np.testing.assert_array_equal(got.to_numpy(), reference_long_candle(*arrays, **params))


def test_signals_series_is_aligned_bool():
    candles = vzb.load_sample("ETH_USD")
    signals = vzb.signals(candles)
    assert signals.dtype == bool
    assert signals.index.equals(candles.index)
    assert not signals.iloc[:10].any()  # fewer than volume_window bars before


def test_flat_window_and_zero_volume_give_no_signal():
    n = 30
    flat = np.full(n, 100.0)
    volume = np.ones(n)
    assert not breakout_compute(flat, flat, flat, flat, volume, volume_window=5).any()
    rising = np.linspace(100, 130, n)
    zero = np.zeros(n)
    assert not breakout_compute(rising, rising + 1, rising - 1, rising, zero).any()
    assert np.isnan(
        resistance_arrays(
            rising,
            rising + 1,
            rising - 1,
            rising,
            zero,
            {
                "volume_window": 10,
                "top_percentile": 0.2,
                "breakout_buffer": 0.0,
                "num_bins": 20,
                "include_wicks": True,
            },
        )
    ).all()


def test_zero_span_candle_at_the_top_edge_goes_to_the_last_bin():
    # window: a candle spanning 0..10 (volume 1) and a zero-span candle at 10 (volume 9):
    # the top bin [9, 10] holds 0.1 + 9 >= 0.2 * 10, so resistance is its lower edge 9.
    o = np.array([0.0, 10.0, 9.5])
    h = np.array([10.0, 10.0, 9.5])
    lo = np.array([0.0, 10.0, 9.5])
    c = np.array([10.0, 10.0, 9.5])
    v = np.array([1.0, 9.0, 1.0])
    params = {"volume_window": 2, "top_percentile": 0.2, "breakout_buffer": 0.0}
    levels = resistance_arrays(o, h, lo, c, v, {**params, "num_bins": 10, "include_wicks": True})
    assert levels[2] == 9.0
    assert breakout_compute(o, h, lo, c, v, num_bins=10, **params).tolist() == [
        False,
        False,
        True,
    ]


def test_threaded_kernel_equals_serial_kernel():
    from vzb.strategies.volume_zone_breakout.nb import (
        volume_zone_breakout_nb,
        volume_zone_breakout_parallel_nb,
    )

    arrays = candle_arrays(vzb.synthetic_candles(60_000, seed=5, timeframe="1m"))
    n = len(arrays[0])
    outs = []
    for threaded in (False, True):
        signals, levels = np.zeros(n, dtype=bool), np.empty(n)
        args = (*arrays, 12, 0.3, 0.001, 17, False, 0, n, signals, levels)
        if threaded:
            volume_zone_breakout_parallel_nb(*args, 3)
        else:
            volume_zone_breakout_nb(*args)
        outs.append((signals, levels))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
