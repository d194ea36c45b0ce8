"""Gaps: bars an exchange did not publish, and the time ranges a download has covered.

Exchanges publish a candle only for an interval in which something traded. A download
records the ranges it asked for (epoch seconds, end exclusive), so a missing bar inside
a fetched range is a **quiet** bar (no trade), and a missing bar outside every fetched
range is **unfetched** (a page never asked for: an interrupted download, an outage).
Loading fills both as zero-volume bars at the previous close, because a volume window
must count quiet bars as zero volume; ``attrs`` say how many of each were filled.

>>> merge_ranges([[0, 10], [5, 20], [30, 40]])
[[0, 20], [30, 40]]
>>> missing_ranges(0, 50, [[0, 20], [30, 40]])
[[20, 30], [40, 50]]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vzb.data.timeframes import timeframe_seconds

__all__ = ["GapWarning", "fill_gaps", "merge_ranges", "missing_ranges"]


class GapWarning(UserWarning):
    """Candles miss bars that no download asked for (not quiet periods)."""


def merge_ranges(ranges: Sequence[Sequence[int]]) -> list[list[int]]:
    """Sorted, non-overlapping ``[from, to)`` ranges covering the same time as ``ranges``."""
    out: list[list[int]] = []
    for lo, hi in sorted((int(a), int(b)) for a, b in ranges if b > a):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def missing_ranges(lo: int, hi: int, fetched: Sequence[Sequence[int]]) -> list[list[int]]:
    """The parts of ``[lo, hi)`` no range in ``fetched`` covers."""
    out, cursor = [], lo
    for a, b in merge_ranges(fetched):
        if b <= cursor or a >= hi:
            continue
        if a > cursor:
            out.append([cursor, min(a, hi)])
        cursor = max(cursor, b)
        if cursor >= hi:
            break
    if cursor < hi:
        out.append([cursor, hi])
    return out


def fill_gaps(
    candles: pd.DataFrame,
    timeframe: str,
    fetched: Sequence[Sequence[int]] | None = None,
    *,
    warn: bool = True,
) -> pd.DataFrame:
    """Candles with every missing bar between the first and the last one filled.

    A filled bar has ``volume`` 0 and ``open = high = low = close`` = the previous close.

    Parameters
    ----------
    candles : DataFrame
        Validated candles (only the five candle columns are kept).
    timeframe : str
        The bar length that defines a missing bar.
    fetched : list of [from, to), optional
        The ranges a download covered (epoch seconds). A missing bar outside all of them
        counts as unfetched; without ``fetched`` every missing bar counts as quiet.
    warn : bool
        Warn (:class:`GapWarning`) when unfetched bars were filled.

    Returns
    -------
    DataFrame
        With ``attrs["filled_bars"]`` (all filled bars) and ``attrs["unfetched_bars"]``
        (those outside the fetched ranges; 0 without ``fetched``).

    Examples
    --------
    >>> index = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05"], utc=True)
    >>> raw = pd.DataFrame({"open": [1.0, 2, 3], "high": [2.0, 3, 4], "low": [1.0, 2, 3],
    ...                     "close": [2.0, 3, 4], "volume": [5.0, 6, 7]}, index=index)
    >>> day = 86_400
    >>> fetched = [[int(index[0].timestamp()), int(index[0].timestamp()) + 3 * day]]
    >>> filled = fill_gaps(raw, "1d", fetched, warn=False)
    >>> filled["close"].tolist(), filled["volume"].tolist()
    ([2.0, 3.0, 3.0, 3.0, 4.0], [5.0, 6.0, 0.0, 0.0, 7.0])
    >>> filled.attrs["filled_bars"], filled.attrs["unfetched_bars"]
    (2, 1)
    """
    step = timeframe_seconds(timeframe)
    frame = candles[["open", "high", "low", "close", "volume"]]
    attrs = dict(candles.attrs)
    seconds = frame.index.as_unit("s").asi8 if len(frame) else np.array([], dtype=np.int64)
    if len(seconds) < 2:
        out = frame.copy()
        out.attrs = {**attrs, "filled_bars": 0, "unfetched_bars": 0}
        return out
    # the grid runs from the first bar in steps of one bar; an off-grid bar keeps its place
    grid = np.arange(seconds[0], seconds[-1] + 1, step, dtype=np.int64)
    full = np.union1d(grid, seconds)
    absent = ~np.isin(full, seconds)
    index = pd.DatetimeIndex(pd.to_datetime(full, unit="s", utc=True), name=frame.index.name)
    out = frame.reindex(index)
    close = out["close"].ffill()
    for column in ("open", "high", "low", "close"):
        out[column] = out[column].fillna(close)
    out["volume"] = out["volume"].fillna(0.0)
    unfetched = 0
    if fetched is not None and absent.any():
        inside = np.zeros(len(full), dtype=bool)
        for lo, hi in merge_ranges(fetched):
            inside |= (full >= lo) & (full < hi)
        unfetched = int((absent & ~inside).sum())
    out.attrs = {**attrs, "filled_bars": int(absent.sum()), "unfetched_bars": unfetched}
    if unfetched and warn:
        name = attrs.get("symbol") or "candles"
        warnings.warn(
            f"{name} {timeframe}: {unfetched:,} missing bar(s) lie in time no download asked "
            f"for (an interrupted download or a hole): filled at the previous close. Fix: "
            f"run vzb.download_candles again over that range (it fetches only what is missing).",
            GapWarning,
            stacklevel=3,
        )
    return out
