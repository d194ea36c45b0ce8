"""Walk-forward folds: a training window, then the test window right after it.

Windows are counted in bars (an int) or as a span of time (a pandas offset such as
``"365D"``, or a Timedelta). Fold ``k`` trains on ``[train_start, train_stop)`` and tests
on ``[test_start, test_stop)`` (positions in the candles' index), with ``purge`` bars
dropped between the two. Rolling folds move the whole training window by ``step``;
anchored folds keep its start at the first bar and grow it. Only complete test windows
make folds. No bar of a fold's test window is ever in its training window.

>>> import pandas as pd
>>> index = pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC")
>>> [(f.train.start, f.train.stop, f.test.start, f.test.stop)
...  for f in split_folds(index, train=50, test=20, purge=2)]
[(0, 50, 52, 72), (20, 70, 72, 92)]
>>> [(f.train.start, f.test.stop) for f in split_folds(index, "30D", "30D", anchored=True)]
[(0, 60), (0, 90)]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vzb.errors import ParameterError

__all__ = ["Fold", "split_folds"]

Window = int | str | pd.Timedelta


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: positions of its training and test windows."""

    number: int
    train: slice
    test: slice


def _span(value: Window, name: str) -> int | pd.Timedelta:
    """A window as a bar count (int) or a Timedelta, checked to be positive."""
    if isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} must be a bar count or an offset like '30D'")
    if isinstance(value, int):
        if value < 1:
            raise ParameterError(
                f"{name}={value} must be at least 1 bar (or an offset such as '30D')"
            )
        return value
    try:
        span = pd.Timedelta(pd.tseries.frequencies.to_offset(value))
    except (TypeError, ValueError):
        try:
            span = pd.Timedelta(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"{name}={value!r} is neither a bar count nor a time span; give e.g. 500 or '365D'"
            ) from None
    if span <= pd.Timedelta(0):
        raise ParameterError(f"{name}={value!r} must be a positive span, e.g. '30D'")
    return span


def _advance(index: pd.DatetimeIndex, start: int, span: int | pd.Timedelta) -> int | None:
    """The position ``span`` after ``start`` (bars, or the first bar at or after the
    time); None when the data ends first."""
    n = len(index)
    if isinstance(span, int):
        stop = start + span
        return stop if stop <= n else None
    if start >= n:
        return None
    end = index[start] + span
    stop = int(index.searchsorted(end, side="left"))
    if stop >= n and end > index[-1] + (index[-1] - index[-2] if n > 1 else pd.Timedelta(0)):
        return None  # the window reaches past the data
    return stop


def split_folds(
    index: pd.DatetimeIndex,
    train: Window,
    test: Window,
    *,
    step: Window | None = None,
    anchored: bool = False,
    purge: int = 0,
) -> list[Fold]:
    """The walk-forward folds of ``index`` (see the module docstring).

    Parameters
    ----------
    index : DatetimeIndex
        The candles' timestamps (several symbols: the union of theirs).
    train, test : int or str or Timedelta
        Window lengths: bars, or a time span such as ``"365D"``.
    step : int or str or Timedelta, optional
        How far one fold moves from the one before; the test length by default. Must
        not be shorter than ``test`` (test windows would overlap).
    anchored : bool
        Keep the training start at the first bar (the window grows by ``step``).
    purge : int
        Bars dropped between each training and test window.

    Raises
    ------
    ParameterError
        For a window that is not positive, a step shorter than the test window, a
        negative purge, or data too short for one fold (saying how long it is).
    """
    train_span, test_span = _span(train, "train"), _span(test, "test")
    step_span = test_span if step is None else _span(step, "step")
    if type(step_span) is not type(test_span):
        raise ParameterError("step and test must both be bar counts or both time spans")
    if step_span < test_span:
        raise ParameterError(
            f"step={step!r} is shorter than test={test!r}: test windows would overlap and "
            "the out-of-sample equity would count bars twice; use step >= test"
        )
    if isinstance(purge, bool) or not isinstance(purge, int) or purge < 0:
        raise ParameterError(f"purge={purge!r} must be a whole number of bars >= 0")
    folds: list[Fold] = []
    while True:
        k = len(folds)
        if anchored:
            train_start = 0
            train_stop = _advance(index, 0, train_span)
            for _ in range(k):
                train_stop = None if train_stop is None else _advance(index, train_stop, step_span)
        else:
            train_start = 0
            for _ in range(k):
                train_start = _advance(index, train_start, step_span)
                if train_start is None:
                    break
            train_stop = None if train_start is None else _advance(index, train_start, train_span)
        if train_stop is None:
            break
        test_start = train_stop + purge
        test_stop = _advance(index, test_start, test_span)
        if test_stop is None or test_stop <= test_start:
            break
        folds.append(Fold(k + 1, slice(train_start, train_stop), slice(test_start, test_stop)))
    if not folds:
        raise ParameterError(
            f"no complete fold: train={train!r}, purge={purge} and test={test!r} need more "
            f"than the {len(index)} bars from {index[0] if len(index) else '-'} to "
            f"{index[-1] if len(index) else '-'}; shorten train or test"
        )
    return folds
