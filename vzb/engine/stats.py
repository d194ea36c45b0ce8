"""Backtest statistics: every definition in one place.

All stats are computed by :func:`vzb.engine.nb.stats_nb` (one code path for single
backtests and sweeps). With ``cash`` the initial cash, ``equity[t]`` the equity at the
close of bar ``t`` (``t = 0 .. n-1``) and ``r[t] = equity[t] / equity[t-1] - 1`` the
per-bar equity returns, ``equity[-1]`` taken as ``cash`` (so there are ``n`` returns):

``Start``, ``End``, ``Duration``
    First and last timestamp and their difference (single backtests only).
``Equity Final [$]``
    ``equity[n-1]``.
``Equity Peak [$]``
    ``max(cash, max(equity))``.
``Return [%]``
    ``100 * (equity[n-1] / cash - 1)``.
``Buy & Hold Return [%]``
    ``100 * (close[n-1] / close[0] - 1)``; for combined results the mean over symbols.
``CAGR [%]``
    ``100 * ((equity[n-1] / cash) ** (365.25 / days) - 1)`` where ``days`` are the
    calendar days from the first to the last bar (NaN for a single bar).
``Volatility (Ann.) [%]``
    ``100 * std(r, ddof=1) * sqrt(bars_per_year)``; ``bars_per_year`` is 365 for daily
    bars, 365 * 24 for hourly bars (crypto trades every day), inferred from the median
    bar spacing.
``Sharpe Ratio``
    ``mean(r) / std(r, ddof=1) * sqrt(bars_per_year)`` (risk-free rate 0; NaN if std is 0).
``Sortino Ratio``
    ``mean(r) / sqrt(mean(min(r, 0) ** 2)) * sqrt(bars_per_year)`` (NaN without losses).
``Calmar Ratio``
    ``CAGR / |max drawdown|`` as fractions (NaN without drawdown).
``Max. Drawdown [%]``
    ``100 * min(equity / peak - 1)`` with ``peak`` the running maximum of the equity,
    starting from ``cash``.
``Max. Drawdown Duration [bars]``
    Longest run of consecutive bars with the equity below its running peak.
``# Trades``
    Number of positions (closed ones, including those closed at the end of the data).
``Win Rate [%]``
    ``100 * share of positions with net PnL > 0``.
``Best Trade [%]``, ``Worst Trade [%]``, ``Avg. Trade [%]``
    Max, min and mean of the position returns ``100 * net PnL / (quantity * entry fill *
    (1 + fees))``.
``Profit Factor``
    ``sum of winning net PnL / |sum of losing net PnL|`` (inf with no losing trade, NaN
    with no trade).
``Expectancy [$]``
    Mean net PnL per position.
``SQN``
    ``sqrt(# trades) * mean(net PnL) / std(net PnL, ddof=1)`` (NaN under 2 trades).
``Exposure Time [%]``
    ``100 * bars with a position open at the close / n``; a position counts the bars
    from its entry bar up to (not including) its exit bar, its "bars held".
``Total Fees [$]``
    Sum of entry and exit fees.
``# Signals``
    Entry signals, traded or not (a signal while a position is open is not traded).

The per-signal study of the replaced system (every signal traded on its own, entry at
the signal bar's close, exit at the close ``hold_period_bars`` later or at the last bar,
no fees; see :func:`vzb.engine.nb.signal_study_nb`):

``Signal Samples``, ``Signal Win Rate [%]``, ``Signal Avg. Return [%]``
    Number of signals studied, share with a positive return, mean return.
``Signal Max. Drawdown [%]``
    Max drawdown of the signal returns compounded in bar order.
``Signal Avg. Bars Held``
    Mean bars between entry and exit.

>>> from vzb.engine.stats import STAT_NAMES
>>> STAT_NAMES[:3]
('Equity Final [$]', 'Equity Peak [$]', 'Return [%]')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vzb.data.timeframes import bars_per_year
from vzb.engine.stats_nb import STAT_INDEX, STAT_NAMES

__all__ = ["COUNT_STATS", "STAT_INDEX", "STAT_NAMES", "series_facts", "stats_series"]

#: stats that count things: ints in the stats Series, int64 columns in sweep tables
COUNT_STATS = ("Max. Drawdown Duration [bars]", "# Trades", "# Signals", "Signal Samples")


def series_facts(index: pd.DatetimeIndex) -> tuple[float, float]:
    """``(bars per year, calendar days)`` of a candle index, for annualising stats.

    Bars per year come from the median bar spacing (:func:`vzb.data.bars_per_year`;
    365 for a single bar); days run from the first to the last timestamp (0 for one bar).

    >>> import pandas as pd
    >>> series_facts(pd.date_range("2020-01-01", periods=49, freq="1h", tz="UTC"))
    (8760.0, 2.0)
    """
    if len(index) < 2:
        return 365.0, 0.0
    days = (index[-1] - index[0]).total_seconds() / 86_400.0
    return bars_per_year(index), days


def stats_series(values: np.ndarray, index: pd.Index) -> pd.Series:
    """The stats Series: Start, End, Duration, then ``values`` under ``STAT_NAMES``.

    An object Series (as in backtesting.py): timestamps, a Timedelta, Python floats,
    and Python ints for the counts in :data:`COUNT_STATS`.

    >>> import numpy as np, pandas as pd
    >>> index = pd.date_range("2024-01-01", periods=3, tz="UTC")
    >>> stats = stats_series(np.arange(len(STAT_NAMES), dtype=float), index)
    >>> stats["# Trades"], stats["Win Rate [%]"], str(stats["Duration"])
    (11, 12.0, '2 days 00:00:00')
    """
    head = [index[0], index[-1], index[-1] - index[0]]
    body = dict(zip(STAT_NAMES, values.tolist(), strict=True))
    for name in COUNT_STATS:
        body[name] = int(body[name])
    return pd.Series([*head, *body.values()], index=_STATS_INDEX, dtype=object)


#: built once: making an Index of strings costs more than the rest of a short backtest
_STATS_INDEX = pd.Index(["Start", "End", "Duration", *STAT_NAMES])
