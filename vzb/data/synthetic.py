"""Synthetic candles: deterministic, realistic-looking and fast, for tests and benchmarks.

>>> candles = synthetic_candles(5, seed=1)
>>> candles.index[0], candles.attrs["timeframe"]
(Timestamp('2020-01-01 00:00:00+0000', tz='UTC'), '1d')
>>> synthetic_candles(1000, seed=7).equals(synthetic_candles(1000, seed=7))
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vzb.data.timeframes import timeframe_delta
from vzb.data.times import as_utc, utc_timestamp
from vzb.data.validate import CANDLE_COLUMNS
from vzb.errors import ParameterError

__all__ = ["synthetic_candles"]

_DAILY_VOLATILITY = 0.03  # a typical crypto daily log-return volatility
_FLAT_SHARE = 0.01  # bars with open == high == low == close
_ZERO_VOLUME_SHARE = 0.004  # bars without trades (always flat)
_REGIME_BARS = 64  # length of the volatility regimes
_LOG_SPAN = 4.0  # log prices stay within +-4 of the starting price


def synthetic_candles(
    n: int,
    *,
    seed: int = 0,
    timeframe: str = "1d",
    start: str | pd.Timestamp = "2020-01-01",
    price: float = 100.0,
) -> pd.DataFrame:
    """Generate ``n`` candles from a seeded random walk.

    The same ``n``, ``seed``, ``timeframe``, ``start`` and ``price`` always give the same
    candles. How they are made, all vectorised with numpy:

    - log close prices are a random walk with Student-t (fat-tailed) steps, scaled to a
      3% daily volatility for the timeframe and modulated by slowly varying regimes;
    - each bar opens at the previous close; high and low reach beyond the body by
      random wicks proportional to the volatility;
    - volume rises with the bar's range (high/low) times log-normal noise;
    - about 1% of bars are flat (open = high = low = close, the price does not move) and
      about 0.4% of bars have zero volume (these are flat too).

    The result is a valid candle frame (it passes :func:`vzb.data.validate_candles`).

    Parameters
    ----------
    n : int
        Number of candles (0 or more).
    seed : int, default 0
        Seed of the numpy random generator.
    timeframe : str, default "1d"
        One of :data:`vzb.data.TIMEFRAMES`; sets the spacing and the volatility per bar.
    start : str or Timestamp, default "2020-01-01"
        Time of the first candle (naive times are UTC).
    price : float, default 100.0
        Opening price of the first candle.

    Returns
    -------
    DataFrame
        Candles with ``attrs`` symbol ``"SYNTH"``, the timeframe and a source describing
        the call.

    Examples
    --------
    >>> candles = synthetic_candles(1_000, seed=3, timeframe="1h")
    >>> bool((candles.high >= candles[["open", "close"]].max(axis=1)).all())
    True
    >>> bool((candles.volume == 0).any()), bool((candles.high == candles.low).any())
    (True, True)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ParameterError(f"n={n!r} must be a whole number of candles, 0 or more.")
    if not (isinstance(price, int | float) and np.isfinite(price) and price > 0):
        raise ParameterError(f"price={price!r} must be a positive number.")
    n = int(n)
    step = timeframe_delta(timeframe)
    first = utc_timestamp(start, "start")
    if n and first + (n - 1) * step > as_utc(pd.Timestamp.max):
        raise ParameterError(
            f"n={n} candles of {timeframe} from {first} run past {pd.Timestamp.max.date()}, "
            f"the last date pandas can hold; use a shorter timeframe (e.g. '1m') or fewer candles."
        )
    rng = np.random.default_rng(seed)
    sigma = _DAILY_VOLATILITY * np.sqrt(step / pd.Timedelta(days=1))

    # volatility regimes: a smoothed random walk of log-volatility, kept near zero
    shocks = rng.standard_normal(n // _REGIME_BARS + 2)
    regime = np.repeat(0.35 * shocks, _REGIME_BARS)[:n]
    vol = sigma * np.exp(regime)

    # fat tails: one step in twenty is three times as large (a normal scale mixture)
    scale = np.where(rng.random(n) < 0.05, 3.0, 1.0) / np.sqrt(0.95 + 0.05 * 9.0)
    steps = rng.standard_normal(n) * vol * scale
    flat = rng.random(n) < _FLAT_SHARE
    zero_volume = rng.random(n) < _ZERO_VOLUME_SHARE
    flat |= zero_volume
    steps[flat] = 0.0

    # reflect the walk into price / e^4 .. price * e^4 (about /55 .. x55) so long series
    # neither overflow nor collapse to zero; reflection keeps every step's size
    walk = np.cumsum(steps)
    span = _LOG_SPAN
    folded = span - np.abs(np.mod(walk - span, 4 * span) - 2 * span)
    log_close = np.log(price) + folded
    close = np.exp(log_close)
    opens = np.empty(n)
    if n:
        opens[0] = price
        opens[1:] = close[:-1]
    upper = np.maximum(opens, close) * np.exp(np.abs(rng.standard_normal(n)) * vol * 0.6)
    lower = np.minimum(opens, close) * np.exp(-np.abs(rng.standard_normal(n)) * vol * 0.6)
    upper[flat] = opens[flat]
    lower[flat] = opens[flat]
    close[flat] = opens[flat]

    spread = np.log(upper / lower) / sigma  # range in units of the typical volatility
    volume = 1_000.0 * (0.3 + spread) * np.exp(0.4 * rng.standard_normal(n))
    volume *= step / pd.Timedelta(days=1)
    volume[flat] *= 0.05
    volume[zero_volume] = 0.0

    stamps = first.as_unit("ns").value + np.arange(n, dtype=np.int64) * step.as_unit("ns").value
    index = as_utc(pd.DatetimeIndex(stamps.view("datetime64[ns]"), name="timestamp"))
    candles = pd.DataFrame(
        dict(zip(CANDLE_COLUMNS, (opens, upper, lower, close, volume), strict=True)),
        index=index,
        copy=False,
    )
    candles.attrs = {
        "symbol": "SYNTH",
        "timeframe": timeframe,
        "source": f"synthetic_candles(n={n}, seed={seed}, timeframe={timeframe!r})",
    }
    return candles
