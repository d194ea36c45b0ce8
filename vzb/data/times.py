"""Times in vzb are UTC: one conversion for timestamps and indexes, and date ranges in words.

>>> import pandas as pd
>>> as_utc(pd.Timestamp("2024-01-01 09:00"), tz="Asia/Seoul")
Timestamp('2024-01-01 00:00:00+0000', tz='UTC')
>>> describe_range("2030-01-01", None)
'from 2030-01-01'
"""

from __future__ import annotations

from typing import TypeVar

import pandas as pd

from vzb.errors import ParameterError

__all__ = ["as_utc", "describe_range", "utc_timestamp"]

_Times = TypeVar("_Times", pd.Timestamp, pd.DatetimeIndex)


def as_utc(times: _Times, *, tz: str = "UTC") -> _Times:
    """``times`` in UTC: naive times are taken to be written in ``tz``, aware ones converted.

    Parameters
    ----------
    times : Timestamp or DatetimeIndex
    tz : str, default "UTC"
        The zone naive times are written in.

    Returns
    -------
    Timestamp or DatetimeIndex
        The same instants, tz-aware UTC.

    Examples
    --------
    >>> import pandas as pd
    >>> as_utc(pd.DatetimeIndex(["2024-01-01"])).tz
    datetime.timezone.utc
    """
    if times.tz is None:
        times = times.tz_localize(tz)
    return times.tz_convert("UTC")


def utc_timestamp(value: object, argument: str) -> pd.Timestamp:
    """Read a date or time given as ``argument=value`` (naive times are UTC).

    Raises
    ------
    ParameterError
        When ``value`` is not a date or time; the message names ``argument``.

    Examples
    --------
    >>> utc_timestamp("2019-01-31", "start")
    Timestamp('2019-01-31 00:00:00+0000', tz='UTC')
    >>> utc_timestamp("soon", "end")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: end='soon' is not a date or time; pass e.g. '2019-01-31' ...
    """
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise ParameterError(
            f"{argument}={value!r} is not a date or time; pass e.g. '2019-01-31' or a Timestamp."
        )
    return as_utc(stamp)


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        midnight = not (value.hour or value.minute or value.second)
        return str(value.date()) if midnight else value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def describe_range(start: object = None, end: object = None) -> str:
    """A date range in words, open ends included: how messages and views write it.

    Examples
    --------
    >>> describe_range("2019-01-01", "2019-12-31")
    '2019-01-01 to 2019-12-31'
    >>> describe_range(None, "2019-12-31"), describe_range()
    ('until 2019-12-31', 'at any time')
    """
    if start is not None and end is not None:
        return f"{_text(start)} to {_text(end)}"
    if start is not None:
        return f"from {_text(start)}"
    if end is not None:
        return f"until {_text(end)}"
    return "at any time"
