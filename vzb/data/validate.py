"""Validation: every candle frame that enters vzb is clean or rejected with a clear error.

A clean candle frame has a tz-aware UTC ``DatetimeIndex`` named ``"timestamp"`` (strictly
increasing, unique, nanosecond unit) and float64 columns ``open, high, low, close, volume``.

>>> import pandas as pd
>>> raw = pd.DataFrame(
...     {"open": [1.0, 2], "high": [2.0, 3], "low": [1.0, 2], "close": [2.0, 3], "volume": [5, 0]},
...     index=pd.to_datetime(["2024-01-01", "2024-01-02"]),
... )
>>> candles = validate_candles(raw, source="example")
>>> str(candles.index.tz), candles.index.name, candles["open"].dtype
('UTC', 'timestamp', dtype('float64'))
>>> raw.loc[pd.Timestamp("2024-01-02"), "high"] = 0.5
>>> validate_candles(raw, source="example")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
vzb.errors.CandleError: example: 1 row has high below max(open, close), first at 2024-01-02 ...
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from vzb.data.arrays import COLUMNS, first_non_finite
from vzb.data.timeframes import infer_timeframe
from vzb.data.times import as_utc
from vzb.errors import CandleError

__all__ = [
    "CANDLE_COLUMNS",
    "PRICE_COLUMNS",
    "describe_source",
    "finish_candles",
    "validate_candles",
]

#: The columns of a candle frame, in order.
CANDLE_COLUMNS: tuple[str, ...] = COLUMNS
#: The price columns, which must be positive.
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")

_ATTRS = ("symbol", "timeframe", "source")


def describe_source(df: pd.DataFrame, source: object = None) -> str:
    """How error messages name a frame: ``source``, else its attrs source or symbol."""
    if source is not None:
        return str(source)
    attrs = getattr(df, "attrs", {}) or {}
    for key in ("source", "symbol"):
        if attrs.get(key):
            return str(attrs[key])
    return "candles"


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside vzb.data.

    Called directly, ``validate_candles`` warns with ``stacklevel=2``; called through
    ``read_candles`` or ``load_candles`` the warning still names the user's line.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("vzb.data"):
        frame, level = frame.f_back, level + 1
    return level


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _utc_index(df: pd.DataFrame, name: str) -> pd.DatetimeIndex:
    index = df.index
    if not isinstance(index, pd.DatetimeIndex):
        for column in ("timestamp", "date", "datetime", "time"):
            if column in df.columns:
                hint = f"df = df.set_index(pd.to_datetime(df[{column!r}], utc=True))"
                break
        else:
            hint = "df.index = pd.to_datetime(df.index, utc=True), or load it with vzb.read_candles"
        raise CandleError(
            f"{name}: the index is a {type(index).__name__}, not a DatetimeIndex of candle "
            f"times. Fix: {hint}."
        )
    if index.tz is None or str(index.tz) != "UTC":
        index = as_utc(index)
    if index.unit != "ns":
        index = index.as_unit("ns")
    if index.hasnans:
        first = int(np.flatnonzero(index.isna())[0])
        raise CandleError(
            f"{name}: {_rows(int(index.isna().sum()))} without a timestamp (NaT), first at "
            f"position {first}. Fix: drop them, e.g. df = df[df.index.notna()]."
        )
    return index.rename("timestamp")


def _columns(df: pd.DataFrame, name: str) -> dict[str, np.ndarray]:
    lower = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in CANDLE_COLUMNS if c not in lower]
    if missing:
        raise CandleError(
            f"{name}: missing column(s) {', '.join(missing)}; found {list(map(str, df.columns))}. "
            f"Fix: rename the columns to {', '.join(CANDLE_COLUMNS)} "
            f"(e.g. df.rename(columns=str.lower)), or load the file with vzb.read_candles."
        )
    arrays = {}
    for column in CANDLE_COLUMNS:
        series = df[lower[column]]
        try:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            numbers = pd.to_numeric(series, errors="coerce")
            bad = numbers.isna() & series.notna()
            raise CandleError(
                f"{name}: column {column} holds {_rows(int(bad.sum()))} that are not numbers, "
                f"first at {df.index[bad.to_numpy()][0]} ({series[bad].iloc[0]!r}). Fix: convert "
                f"with pd.to_numeric(df[{column!r}]) and clean those rows."
            ) from None
        arrays[column] = values
    return arrays


def _first(index: pd.DatetimeIndex, mask: np.ndarray) -> tuple[int, pd.Timestamp]:
    position = int(np.argmax(mask))
    return position, index[position]


def _row_text(arrays: dict[str, np.ndarray], position: int) -> str:
    return ", ".join(f"{c}={float(arrays[c][position])!r}" for c in CANDLE_COLUMNS if c != "volume")


def validate_candles(df: pd.DataFrame, *, source: object = None) -> pd.DataFrame:
    """Check a candle frame and return it normalised, or raise ``CandleError``.

    Normalised means: a tz-aware UTC ``DatetimeIndex`` named ``"timestamp"`` (naive
    times are taken as UTC, other zones converted), float64 columns ``open, high, low,
    close, volume`` in that order (other columns are dropped, column names are matched
    case-insensitively) and rows sorted by time. ``df.attrs`` (symbol, timeframe,
    source) are kept. Zero volume is valid.

    Parameters
    ----------
    df : DataFrame
        Candles indexed by time.
    source : str, optional
        How error messages name the data (a file or a symbol); defaults to
        ``df.attrs["source"]`` or ``df.attrs["symbol"]``.

    Returns
    -------
    DataFrame
        A new, normalised candle frame.

    Raises
    ------
    CandleError
        For a non-datetime index, missing columns, non-numeric values, NaN or infinite
        values, duplicate timestamps, non-positive prices, ``high < max(open, close)``,
        ``low > min(open, close)`` or negative volume. The message names the source, how
        many rows are affected, the first offending timestamp and the fix.

    Warns
    -----
    UserWarning
        When rows are not in time order: they are sorted and the warning says how many
        were out of place.

    Examples
    --------
    >>> import pandas as pd
    >>> index = pd.to_datetime(["2024-01-02", "2024-01-01"], utc=True)
    >>> raw = pd.DataFrame({"Open": [2.0, 1.0], "High": [2, 1], "Low": [2, 1],
    ...                     "Close": [2, 1], "Volume": [0, 3]}, index=index)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     candles = validate_candles(raw)
    >>> str(caught[0].message).startswith("candles: rows are not in time order")
    True
    >>> candles["close"].tolist()
    [1.0, 2.0]
    """
    if not isinstance(df, pd.DataFrame):
        raise CandleError(
            f"validate_candles expects a pandas DataFrame of candles, got {type(df).__name__}. "
            f"Fix: load the data with vzb.read_candles."
        )
    name = describe_source(df, source)
    index = _utc_index(df, name)
    arrays = _columns(df, name)

    first = first_non_finite(tuple(arrays[c] for c in CANDLE_COLUMNS))
    if first is not None:
        position, column = first[0], CANDLE_COLUMNS[first[1]]
        bad = ~np.isfinite(arrays[column])
        when = index[position]
        kind = "NaN" if np.isnan(arrays[column][position]) else "infinite"
        raise CandleError(
            f"{name}: column {column} has {_rows(int(bad.sum()))} with missing (NaN) or "
            f"infinite values, first at {when} ({kind}). Fix: fill or drop them, e.g. "
            f"df = df.dropna(subset={list(CANDLE_COLUMNS)})."
        )

    stamps = index.asi8
    reordered = False
    if stamps.size > 1 and not index.is_monotonic_increasing:
        backwards = np.diff(stamps) < 0
        out_of_place = int(np.count_nonzero(backwards))
        first = index[int(np.argmax(backwards)) + 1]
        if out_of_place == stamps.size - 1:  # newest first: reversing is enough
            order = np.arange(stamps.size - 1, -1, -1)
        else:
            order = np.argsort(stamps, kind="stable")
        warnings.warn(
            f"{name}: rows are not in time order ({out_of_place} step(s) back in time, first "
            f"at {first}); sorted them. Sort the data (df.sort_index()) to silence this.",
            UserWarning,
            stacklevel=_caller_stacklevel(),
        )
        index = index[order]
        stamps = index.asi8
        arrays = {c: a[order] for c, a in arrays.items()}
        reordered = True

    if stamps.size > 1:
        repeated = np.diff(stamps) == 0
        if repeated.any():
            position = int(np.argmax(repeated)) + 1
            raise CandleError(
                f"{name}: {_rows(int(repeated.sum()))} repeat an earlier timestamp, first at "
                f"{index[position]}. Fix: keep one candle per time, e.g. "
                f"df = df[~df.index.duplicated(keep='last')]."
            )

    opens, highs, lows, closes = (arrays[c] for c in PRICE_COLUMNS)
    volumes = arrays["volume"]

    def row(i: int) -> str:
        return _row_text(arrays, i)

    def volume(i: int) -> str:
        return f"volume={float(volumes[i])!r}"

    checks = (  # (rows at fault, what they have, what to show of the first, the fix)
        (
            lambda: (opens <= 0) | (highs <= 0) | (lows <= 0) | (closes <= 0),
            "with a price at or below zero",
            row,
            "Fix: prices must be positive; drop or correct these rows.",
        ),
        (
            lambda: highs < np.maximum(opens, closes),
            "{has} high below max(open, close)",
            row,
            "Fix the source data or drop these rows, "
            'e.g. df = df[df.high >= df[["open", "close"]].max(axis=1)].',
        ),
        (
            lambda: lows > np.minimum(opens, closes),
            "{has} low above min(open, close)",
            row,
            "Fix the source data or drop these rows, "
            'e.g. df = df[df.low <= df[["open", "close"]].min(axis=1)].',
        ),
        (
            lambda: volumes < 0,
            "with negative volume",
            volume,
            "Fix: volume must be zero or more; correct or drop these rows.",
        ),
    )
    for at_fault, what, show, fix in checks:
        bad = at_fault()
        if bad.any():
            count = int(bad.sum())
            position, when = _first(index, bad)
            what = what.format(has="has" if count == 1 else "have")
            raise CandleError(
                f"{name}: {_rows(count)} {what}, first at {when} ({show(position)}). {fix}"
            )

    if reordered:  # fresh arrays from the sort: no copy needed
        candles = pd.DataFrame(arrays, index=index, columns=list(CANDLE_COLUMNS), copy=False)
    else:  # share the input's memory copy-on-write: no copy until one side is written
        lower = {str(c).strip().lower(): c for c in df.columns}
        candles = df[[lower[c] for c in CANDLE_COLUMNS]].astype(np.float64)
        candles = candles.set_axis(list(CANDLE_COLUMNS), axis=1).set_axis(index, axis=0)
    candles.attrs = {k: df.attrs[k] for k in _ATTRS if df.attrs.get(k) is not None}
    if source is not None and "source" not in candles.attrs:
        candles.attrs["source"] = str(source)
    return candles


def finish_candles(
    frame: pd.DataFrame, *, source: str, symbol: str | None = None, timeframe: str | None = None
) -> pd.DataFrame:
    """The last step of every loader: validated candles with ``attrs`` filled in.

    Rows newest first (how exchanges answer and some files are written: a layout, not a
    defect) are reversed without a warning; ``attrs`` get ``source`` and ``symbol``; the
    frame goes through :func:`validate_candles`; ``attrs["timeframe"]`` is ``timeframe``,
    or the one the spacing of the candles shows.

    Examples
    --------
    >>> import pandas as pd
    >>> index = pd.to_datetime(["2024-01-02", "2024-01-01"], utc=True)
    >>> raw = pd.DataFrame({"open": [2.0, 1], "high": [2.0, 1], "low": [2.0, 1],
    ...                     "close": [2.0, 1], "volume": [0.0, 3]}, index=index)
    >>> candles = finish_candles(raw, source="api", symbol="BTC_KRW")
    >>> candles.attrs, candles["close"].tolist()
    ({'symbol': 'BTC_KRW', 'source': 'api', 'timeframe': '1d'}, [1.0, 2.0])
    """
    if len(frame) > 1 and frame.index[0] > frame.index[-1]:
        frame = frame.iloc[::-1]
    frame.attrs = {"source": str(source)}
    if symbol:
        frame.attrs["symbol"] = str(symbol)
    candles = validate_candles(frame, source=source)
    timeframe = timeframe or infer_timeframe(candles.index)
    if timeframe:
        candles.attrs["timeframe"] = timeframe
    return candles
