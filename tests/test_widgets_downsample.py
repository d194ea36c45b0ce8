"""Display downsampling against slow, obvious references: every bucket's extremes stay."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vzb
from vzb.widgets.downsample import (
    bucket_edges,
    downsample_candles,
    downsample_line,
    extreme_indices,
)


def _reference_indices(values: list[float], max_points: int) -> list[int]:
    """Bucket by bucket with plain Python: the first lowest and first highest non-NaN
    value, or the bucket's first point when all of it is NaN."""
    n = len(values)
    if n <= max_points:
        return list(range(n))
    buckets = max_points // 2
    kept = set()
    for b in range(buckets):
        start, stop = (b * n) // buckets, ((b + 1) * n) // buckets
        members = [i for i in range(start, stop) if values[i] == values[i]]
        if not members:
            kept.add(start)
            continue
        kept.add(min(members, key=lambda i: (values[i], i)))
        kept.add(min(members, key=lambda i: (-values[i], i)))
    return sorted(kept)


def test_bucket_edges_cover_every_point_once():
    for n, buckets in ((10, 3), (7, 7), (5, 9), (20_111, 1_000)):
        edges = bucket_edges(n, buckets)
        assert edges[0] == 0 and edges[-1] == n
        sizes = np.diff(edges)
        assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=0, max_size=300),
    st.integers(2, 60),
)
def test_extreme_indices_equal_the_reference(values, max_points):
    kept = extreme_indices(np.array(values, dtype=float), max_points)
    assert kept.tolist() == _reference_indices(values, max_points)
    assert len(kept) <= max_points


def test_a_one_bar_spike_survives():
    values = np.ones(100_000)
    values[54_321] = 50.0
    values[77_777] = -3.0
    kept = extreme_indices(values, 1_000)
    assert 54_321 in kept and 77_777 in kept
    assert len(kept) <= 1_000


def test_max_points_below_two_is_refused():
    with pytest.raises(ValueError, match="max_points must be at least 2"):
        extreme_indices(np.arange(5.0), 1)


def test_downsampled_real_candles_keep_the_extremes():
    candles = vzb.load_sample("BTC_USD", timeframe="1h")
    merged = downsample_candles(candles, 500)
    assert len(merged) == 500
    assert merged["high"].max() == candles["high"].max()
    assert merged["low"].min() == candles["low"].min()
    assert merged["volume"].sum() == pytest.approx(candles["volume"].sum(), rel=1e-12)
    # reference: pandas groupby over the same buckets
    labels = np.repeat(np.arange(500), np.diff(bucket_edges(len(candles), 500)))
    grouped = candles.groupby(labels)
    expected = pd.DataFrame(
        {
            "open": grouped["open"].first().to_numpy(),
            "high": grouped["high"].max().to_numpy(),
            "low": grouped["low"].min().to_numpy(),
            "close": grouped["close"].last().to_numpy(),
            "volume": grouped["volume"].sum().to_numpy(),
        },
        index=candles.index[bucket_edges(len(candles), 500)[:-1]],
    )
    pd.testing.assert_frame_equal(merged, expected, check_freq=False, rtol=1e-12)
    assert downsample_candles(candles, None) is candles
    assert downsample_candles(candles.iloc[:100], 500) is not None
    assert len(downsample_candles(candles.iloc[:100], 500)) == 100


def test_downsampled_line_is_a_subset_in_time_order():
    close = vzb.load_sample("BTC_USD", timeframe="1h")["close"]
    line = downsample_line(close, 2_000)
    assert len(line) <= 2_000 and line.index.is_monotonic_increasing
    assert line.max() == close.max() and line.min() == close.min()
    assert (close.loc[line.index] == line).all()
    assert downsample_line(close, None) is close
