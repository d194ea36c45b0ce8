"""Resampling candles to a coarser timeframe.

Buckets are labelled and closed on the left, aligned to midnight UTC (a 4h bucket
labelled 08:00 holds the bars from 08:00 up to, not including, 12:00): open is the
first open, high the highest high, low the lowest low, close the last close, volume the
sum.

**Incomplete edge buckets are dropped** by default (``partial="drop"``): the last bucket
is incomplete when the data ends before the bucket does (the bar is still forming), the
first when the data starts after the bucket begins. Either would look like a full bar
while holding only part of it. A bucket counts as complete when its first source bar
starts the bucket and its last source bar ends it. Interior buckets with missing source
bars (exchange gaps) are kept, and buckets with no source bars at all are left out.
Pass ``partial="keep"`` to keep the edge buckets too.

>>> from vzb.data.synthetic import synthetic_candles
>>> hourly = synthetic_candles(30, timeframe="1h", start="2024-01-01 02:00")
>>> four_hourly = resample_candles(hourly, "4h")
>>> [str(t) for t in four_hourly.index[[0, -1]]], len(four_hourly)
(['2024-01-01 04:00:00+00:00', '2024-01-02 04:00:00+00:00'], 7)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vzb.data.timeframes import TIMEFRAMES, check_timeframe, infer_timeframe, timeframe_delta
from vzb.data.validate import CANDLE_COLUMNS, describe_source
from vzb.errors import CandleError, ParameterError

__all__ = ["resample_candles"]

_AGGREGATE = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample_candles(df: pd.DataFrame, timeframe: str, *, partial: str = "drop") -> pd.DataFrame:
    """Aggregate candles into a coarser timeframe.

    Parameters
    ----------
    df : DataFrame
        Valid candles; their timeframe is ``df.attrs["timeframe"]`` or inferred from the
        median spacing of the index.
    timeframe : str
        The target, one of :data:`vzb.data.TIMEFRAMES`, coarser than or equal to the
        candles' own (equal returns a copy).
    partial : {"drop", "keep"}, default "drop"
        What to do with incomplete first and last buckets (see the module docs).

    Returns
    -------
    DataFrame
        Candles at ``timeframe``; ``attrs`` keep symbol and source, with the new
        timeframe.

    Raises
    ------
    CandleError
        When the target is finer than the candles, or their timeframe cannot be told.

    Examples
    --------
    >>> from vzb.data.samples import load_sample
    >>> daily = load_sample("BTC_USD", "1d")
    >>> resample_candles(daily, "4h")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.CandleError: Cannot resample bundled sample BTC_USD 1d from 1d to the finer 4h...
    """
    check_timeframe(timeframe)
    if partial not in ("drop", "keep"):
        raise ParameterError(f"partial={partial!r} must be 'drop' or 'keep'.")
    name = describe_source(df)
    source_timeframe = df.attrs.get("timeframe") or infer_timeframe(df.index)
    if source_timeframe not in TIMEFRAMES:
        raise CandleError(
            f"Cannot resample {name}: its timeframe is unknown (the index spacing matches none "
            f"of {', '.join(TIMEFRAMES)}). Fix: set df.attrs['timeframe'] to the bar length."
        )
    step, target = timeframe_delta(source_timeframe), timeframe_delta(timeframe)
    if target < step:
        coarser = [t for t in TIMEFRAMES if timeframe_delta(t) >= step]
        raise CandleError(
            f"Cannot resample {name} from {source_timeframe} to the finer {timeframe}: "
            f"resampling only makes bars longer. Choose one of {', '.join(coarser)}, or load "
            f"finer data."
        )
    if target % step:
        raise CandleError(
            f"Cannot resample {name} from {source_timeframe} to {timeframe}: {timeframe} is "
            f"not a whole number of {source_timeframe} bars."
        )
    attrs = {**df.attrs, "timeframe": timeframe}
    if target == step:
        out = df[list(CANDLE_COLUMNS)].copy()
        out.attrs = attrs
        return out

    frame = df[list(CANDLE_COLUMNS)]
    grouped = frame.resample(target, label="left", closed="left", origin="start_day")
    out = grouped.agg(_AGGREGATE)
    out = out[grouped["close"].count().to_numpy() > 0]
    if partial == "drop" and len(out):
        keep = np.ones(len(out), dtype=bool)
        if frame.index[0] > out.index[0]:
            keep[0] = False
        if frame.index[-1] + step < out.index[-1] + target:
            keep[-1] = False
        out = out[keep]
    out.index.name = "timestamp"
    out = out.astype("float64")
    out.attrs = attrs
    return out
