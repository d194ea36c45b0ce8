"""Timeframes: the bar lengths vzb knows, and how many bars make a year.

>>> from vzb.data.timeframes import TIMEFRAMES, bars_per_year, timeframe_delta
>>> TIMEFRAMES
('1m', '5m', '15m', '1h', '4h', '1d')
>>> bars_per_year("1d"), bars_per_year("1h")
(365.0, 8760.0)
>>> timeframe_delta("4h")
Timedelta('0 days 04:00:00')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vzb.errors import ParameterError

__all__ = [
    "TIMEFRAMES",
    "bars_per_year",
    "check_timeframe",
    "infer_timeframe",
    "timeframe_delta",
]

#: Timeframes vzb supports, finest first. Crypto trades every day, so "1d" is 24 hours.
TIMEFRAMES: tuple[str, ...] = ("1m", "5m", "15m", "1h", "4h", "1d")

_DELTAS = {
    "1m": pd.Timedelta(minutes=1),
    "5m": pd.Timedelta(minutes=5),
    "15m": pd.Timedelta(minutes=15),
    "1h": pd.Timedelta(hours=1),
    "4h": pd.Timedelta(hours=4),
    "1d": pd.Timedelta(days=1),
}
_DAY = pd.Timedelta(days=1)


def check_timeframe(timeframe: str, *, argument: str = "timeframe") -> str:
    """Return ``timeframe`` if vzb knows it, else raise ``ParameterError`` listing the valid ones.

    >>> check_timeframe("4h")
    '4h'
    """
    if timeframe not in _DELTAS:
        raise ParameterError(
            f"{argument}={timeframe!r} is not a timeframe vzb knows; use one of "
            f"{', '.join(TIMEFRAMES)}."
        )
    return timeframe


def timeframe_delta(timeframe: str) -> pd.Timedelta:
    """The length of one bar of ``timeframe`` as a ``pandas.Timedelta``."""
    return _DELTAS[check_timeframe(timeframe)]


def _median_spacing(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    if len(index) < 2:
        return None
    steps = np.diff(index.asi8)
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    return pd.Timedelta(int(np.median(steps)), unit=index.unit)


def infer_timeframe(index: pd.DatetimeIndex) -> str | None:
    """The timeframe whose bar length equals the median spacing of ``index``, or None.

    Gaps (missing bars) do not change the answer as long as most bars are one step apart.

    >>> import pandas as pd
    >>> infer_timeframe(pd.date_range("2024-01-01", periods=5, freq="4h", tz="UTC"))
    '4h'
    >>> infer_timeframe(pd.DatetimeIndex(["2024-01-01"])) is None
    True
    """
    spacing = _median_spacing(pd.DatetimeIndex(index))
    for name, delta in _DELTAS.items():
        if spacing == delta:
            return name
    return None


def bars_per_year(timeframe_or_index: str | pd.DatetimeIndex) -> float:
    """Bars in a year of round-the-clock trading: 365 times the bars per day.

    Parameters
    ----------
    timeframe_or_index : str or DatetimeIndex
        A timeframe such as ``"1h"``, or an index whose median spacing is used.

    Examples
    --------
    >>> import pandas as pd
    >>> bars_per_year("4h")
    2190.0
    >>> bars_per_year(pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC"))
    365.0
    """
    if isinstance(timeframe_or_index, str):
        delta = timeframe_delta(timeframe_or_index)
    else:
        delta = _median_spacing(pd.DatetimeIndex(timeframe_or_index))
        if delta is None:
            raise ParameterError(
                "bars_per_year needs an index with at least two distinct timestamps; "
                "pass a timeframe such as '1d' instead."
            )
    return 365.0 * (_DAY / delta)
