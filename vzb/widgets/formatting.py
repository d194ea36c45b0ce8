"""One number format for every view, text repr and the CLI (no widgets, no plotting, and
neither numpy nor pandas imported to load it, so the CLI stays light).

Counts are integers with separators, money has thousands separators (and its currency
when known; KRW and JPY never have decimals), percentages and ratios have two decimals,
shares (0..1) whole percent, durations are in days, timestamps carry their zone, and a
missing value (NaN, None) is ``–``.

>>> format_count(960.0), format_money(25_000_000, "USD"), format_money(1234.6, "KRW")
('960', '$ 25,000,000', '₩ 1,235')
>>> format_percent(1130.2512), format_ratio(0.81234), format_share(0.3512)
('1,130.25%', '0.81', '35%')
>>> import pandas as pd
>>> format_duration(pd.Timedelta(days=1876)), format_duration(pd.Timedelta(hours=5))
('1,876 days', '5 h')
>>> format_timestamp(pd.Timestamp("2019-10-17 09:00", tz="UTC"))
'2019-10-17 09:00 UTC'
>>> format_stat("# Trades", 960.0), format_stat("Sharpe Ratio", float("nan"))
('960', '–')

A stats Series (``BacktestResult.stats``, :func:`vzb.analysis.position_stats`, or a frame
of several) is formatted by stat name with :func:`format_stats`, and grouped (returns,
risk, trades, signals) for display with :func:`stats_table`:

>>> stats = pd.Series({"Return [%]": 12.3456, "# Trades": 960, "Total Fees [$]": 763637.26})
>>> format_stats(pd.concat([pd.Series({"volume_window": 80.0}), stats]), "USD").tolist()
['80', '12.35%', '960', '$ 763,637']
>>> stats_table(stats).loc["trades"].to_dict()
{'value': {'# Trades': '960', 'Total Fees [$]': '763,637'}}

Public: ``format_count`` (``"1,200 runs"`` with a noun), ``format_money``, ``format_price``,
``format_percent``, ``format_ratio``, ``format_share``, ``format_duration``,
``format_timestamp``, ``format_parameter``, ``format_value`` (by type), ``stat_kind``,
``stat_group``, ``format_stat``, ``format_stats``, ``stats_table``, ``currency_of``.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from collections.abc import Iterable
from typing import Any

from vzb.widgets.stat_names import STAT_GROUPS, stat_group, stat_kind

__all__ = [
    "MISSING",
    "STAT_GROUPS",
    "currency_of",
    "format_count",
    "format_duration",
    "format_money",
    "format_parameter",
    "format_percent",
    "format_price",
    "format_ratio",
    "format_share",
    "format_stat",
    "format_stats",
    "format_timestamp",
    "format_value",
    "stat_group",
    "stat_kind",
    "stats_table",
]

#: what a missing value (NaN, None, NaT) reads as
MISSING = "–"

#: currency code -> the sign written before an amount
_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "KRW": "₩", "JPY": "¥"}
#: currencies whose amounts have no decimals
_WHOLE_CURRENCIES = {"KRW", "JPY"}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(float(value))
    return type(value).__name__ in ("NaTType", "NAType")


def _number(value: Any, decimals: int) -> str:
    """``value`` with separators and ``decimals`` decimals; never ``-0.00``."""
    text = f"{float(value):,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def _small(value: float, digits: int = 4) -> str:
    """A value under 1 in magnitude with ``digits`` significant digits, never in
    scientific notation (``0.0001234``)."""
    if value == 0:
        return "0"
    decimals = min(max(digits - 1 - math.floor(math.log10(abs(value))), 0), 10)
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _infinite(value: float) -> str:
    return "∞" if value > 0 else "-∞"


def _special(value: Any) -> str | None:
    """How a missing or infinite value reads; None for a finite number."""
    if _missing(value):
        return MISSING
    number = float(value)
    return _infinite(number) if math.isinf(number) else None


def format_count(value: Any, noun: str | None = None) -> str:
    """A count as an integer with separators (``960``, ``12,000``); a non-whole mean
    count keeps one decimal (``12.5``). With ``noun``: the noun after it, plural unless 1.

    >>> format_count(12000), format_count(960.0), format_count(12.5), format_count(None)
    ('12,000', '960', '12.5', '–')
    >>> format_count(1, "run"), format_count(1200, "run")
    ('1 run', '1,200 runs')
    """
    text = _special(value) or _number(float(value), 0 if float(value).is_integer() else 1)
    return text if noun is None else f"{text} {noun}{'' if value == 1 else 's'}"


def format_money(value: Any, currency: str | None = None, *, whole_from: float = 1000) -> str:
    """An amount with thousands separators, its currency before it when known.

    Amounts from ``whole_from`` up have no decimals, smaller ones two, those under 1 four
    significant digits (a small coin's price); KRW and JPY never have decimals.

    >>> format_money(14614296.317903), format_money(-763.5, "USD"), format_money(0.00012346)
    ('14,614,296', '-$ 763.50', '0.0001235')
    """
    special = _special(value)
    if special:
        return special
    value = float(value)
    code = (currency or "").upper()
    size = abs(value)
    if code in _WHOLE_CURRENCIES or size >= whole_from:
        text = _number(size, 0)
    elif size >= 1 or size == 0:
        text = _number(size, 2)
    else:
        text = _small(size)
    sign = "-" if value < 0 and text.strip("0.,") else ""
    if not code:
        return sign + text
    return f"{sign}{_CURRENCY_SIGNS.get(code, code)} {text}"


def format_price(value: Any, currency: str | None = None) -> str:
    """A price: :func:`format_money` with two decimals from 1,000 up too.

    >>> format_price(7510.234, "USD"), format_price(0.000123456), format_price(51234567, "KRW")
    ('$ 7,510.23', '0.0001235', '₩ 51,234,567')
    """
    return format_money(value, currency, whole_from=math.inf)


def format_percent(value: Any, decimals: int = 2) -> str:
    """A value already in percent with ``decimals`` decimals and a ``%`` sign.

    >>> format_percent(-35.123), format_percent(113000.0), format_percent(float("inf"))
    ('-35.12%', '113,000.00%', '∞')
    """
    return _special(value) or _number(value, decimals) + "%"


def format_ratio(value: Any, decimals: int = 2) -> str:
    """A ratio (Sharpe, profit factor, SQN, a mean) with ``decimals`` decimals.

    >>> format_ratio(1.23456), format_ratio(-0.004), format_ratio(float("inf"))
    ('1.23', '0.00', '∞')
    """
    return _special(value) or _number(value, decimals)


def format_share(value: Any) -> str:
    """A probability or share (0..1) in whole percent, as :func:`vzb.analysis.describe`
    writes it.

    >>> format_share(0.3512), format_share(None)
    ('35%', '–')
    """
    if _missing(value):
        return MISSING
    return f"{float(value):.0%}"


def format_duration(value: Any) -> str:
    """A duration in days (``1,876 days``, ``2.5 days``), or hours and minutes under a
    day (``5 h 30 min``); a plain number is taken as days.

    >>> [format_duration(v) for v in (_dt.timedelta(days=1), 2.5, _dt.timedelta(minutes=330))]
    ['1 day', '2.5 days', '5 h 30 min']
    """
    if _missing(value):
        return MISSING
    if isinstance(value, _dt.timedelta):
        days = value.total_seconds() / 86_400.0
    else:
        days = float(value)
    if abs(days) >= 1:
        text = format_count(round(days, 1))
        return f"{text} day" if text == "1" else f"{text} days"
    minutes = round(abs(days) * 1440)
    hours, minutes = divmod(minutes, 60)
    sign = "-" if days < 0 else ""
    if hours:
        return f"{sign}{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{sign}{minutes} min"


def format_timestamp(value: Any, *, time: bool = True, zone: bool = True) -> str:
    """A timestamp as ``2019-10-17 09:00 UTC``: minutes (``time=False``: the date only)
    and its zone when it has one (``zone=False``: without it, for a table whose header
    names the zone).

    >>> import pandas as pd
    >>> stamp = pd.Timestamp("2019-10-17 09:00", tz="Asia/Seoul")
    >>> format_timestamp(stamp), format_timestamp(stamp, time=False, zone=False)
    ('2019-10-17 09:00 KST', '2019-10-17')
    """
    if _missing(value):
        return MISSING
    if not isinstance(value, _dt.datetime):
        if isinstance(value, _dt.date):
            return value.isoformat()
        return str(value)
    text = value.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")
    name = value.tzname() if zone else None
    return f"{text} {name}" if name else text


def format_parameter(value: Any) -> str:
    """A parameter value as written in code (``0.005``, ``20``, ``True``), never in
    scientific notation.

    >>> [format_parameter(v) for v in (0.005, 20, 1e-07, 2.0)]
    ['0.005', '20', '0.0000001', '2']
    """
    if _missing(value):
        return MISSING
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text if "e" not in text else _small(value, 12)
    return str(value)


def format_value(value: Any) -> str:
    """Any value by its type, when no stat name says what it is: integers as counts,
    floats with two decimals (none from 100,000 up or when whole, four significant
    digits under 1), timestamps with their zone, durations in days, missing as ``–``.

    >>> [format_value(v) for v in (1234567.891, 0.012345, 12.3456, 42, 2.0, float("nan"))]
    ['1,234,568', '0.01235', '12.35', '42', '2', '–']
    """
    if _missing(value):
        return MISSING
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.timedelta):
        return format_duration(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isinf(value):
            return _infinite(value)
        if abs(value) >= 1e5 or (value.is_integer() and abs(value) < 1e15):
            return _number(value, 0)
        return _small(value) if abs(value) < 1 else _number(value, 2)
    return str(value)


def format_stat(name: str, value: Any, currency: str | None = None) -> str:
    """``value`` formatted as the stat ``name`` says (:func:`stat_kind`); money with
    ``currency`` when given.

    >>> format_stat("Equity Final [$]", 14614296.3, "USD"), format_stat("# Trades", 412.0)
    ('$ 14,614,296', '412')
    """
    kind = stat_kind(name)
    if kind == "money":
        return format_money(value, currency)
    formatter = {
        "timestamp": format_timestamp,
        "duration": format_duration,
        "count": format_count,
        "percent": format_percent,
    }.get(kind, format_ratio)
    return formatter(value)


def _format_entry(name: Any, value: Any, currency: str | None) -> str:
    # a column that is no stat (a parameter: volume_window 80) by its value's type
    known = stat_group(name) != "other" or stat_kind(name) != "ratio"
    return format_stat(name, value, currency) if known else format_value(value)


def _by_rows(frame: Any) -> bool:
    """Whether a frame holds stats in its rows (index of stat names) or its columns."""
    known = sum(stat_group(name) != "other" for name in frame.index)
    return known >= sum(stat_group(name) != "other" for name in frame.columns)


def format_stats(stats: Any, currency: str | None = None) -> Any:
    """A stats Series, or a frame of several (stats as rows or as columns), as strings
    formatted by stat name (:func:`format_stat`): what a notebook shows instead of
    ``stats.astype(float).round(2)``.

    Parameters
    ----------
    stats : pandas.Series or pandas.DataFrame
        Indexed by stat name (``BacktestResult.stats``, ``position_stats(...)``), or a
        frame whose index or columns are stat names.
    currency : str, optional
        The quote currency of the money stats (``"USD"``, ``"KRW"``): see
        :func:`currency_of`.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        The same shape and labels, every value a string.
    """
    import pandas as pd

    if isinstance(stats, pd.Series):
        values = [_format_entry(name, value, currency) for name, value in stats.items()]
        return pd.Series(values, index=stats.index, name=stats.name, dtype=object)
    if not isinstance(stats, pd.DataFrame):
        raise TypeError(
            f"format_stats takes a stats Series or DataFrame; got {type(stats).__name__}"
        )
    shown = stats.astype(object).copy()
    if _by_rows(stats):
        for name in stats.index:
            shown.loc[name] = [_format_entry(name, v, currency) for v in stats.loc[name]]
    else:
        for name in stats.columns:
            shown[name] = [_format_entry(name, v, currency) for v in stats[name]]
    return shown


def stats_table(stats: Any, currency: str | None = None) -> Any:
    """Stats grouped for display (period, returns, risk, trades, signals), each value
    formatted by its name (:func:`format_stats`).

    Parameters
    ----------
    stats : pandas.Series or pandas.DataFrame
        A stats Series, or a frame with one column per run and stats as rows.
    currency : str, optional
        The quote currency of the money stats.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(group, stat)``; one column ``value`` for a Series, else the
        frame's columns.
    """
    import pandas as pd

    frame = stats.to_frame("value") if isinstance(stats, pd.Series) else stats
    if not _by_rows(frame):
        frame = frame.T
    shown = format_stats(frame, currency)
    groups = [stat_group(name) for name in shown.index]
    order = sorted(range(len(groups)), key=lambda i: STAT_GROUPS.index(groups[i]))
    index = pd.MultiIndex.from_tuples(
        [(groups[i], shown.index[i]) for i in order], names=["group", "stat"]
    )
    return pd.DataFrame(shown.to_numpy()[order], index=index, columns=shown.columns)


def currency_of(symbols: Iterable[str] | str | None) -> str | None:
    """The quote currency shared by ``symbols`` (``BASE_QUOTE``), or None when they have
    none in common.

    >>> currency_of(["BTC_USD", "ETH_USD"]), currency_of("BTC_KRW"), currency_of(["A_USD", "B_KRW"])
    ('USD', 'KRW', None)
    """
    if not symbols:
        return None
    if isinstance(symbols, str):
        symbols = [symbols]
    quotes = {str(symbol).rpartition("_")[2].upper() for symbol in symbols}
    quote = quotes.pop() if len(quotes) == 1 else None
    return quote or None
