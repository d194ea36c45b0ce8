"""Candles -> signals and indicator series: the pandas-facing layer over the kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from vzb.data.arrays import candle_arrays
from vzb.strategies.contract import Strategy
from vzb.strategies.registry import DEFAULT_STRATEGY, get_strategy

__all__ = ["indicators", "signals"]


def signals(
    candles: pd.DataFrame,
    strategy: str | Strategy = DEFAULT_STRATEGY,
    *,
    checkpoint: Callable[[float], None] | None = None,
    **params: Any,
) -> pd.Series:
    """Boolean entry signals aligned to ``candles``.

    Parameters
    ----------
    candles : DataFrame
        Candle frame (``open, high, low, close, volume``).
    strategy : str or Strategy
        Registered name or import path ``"module:attribute"``.
    checkpoint : callable, optional
        Called with the fraction done between kernel chunks; raising stops the run.
    **params
        Strategy parameters; missing ones take their defaults.

    Returns
    -------
    Series of bool, named ``"signals"``, indexed like ``candles``.

    Examples
    --------
    >>> import vzb
    >>> candles = vzb.load_sample("BTC_USD")
    >>> s = vzb.signals(candles, volume_window=20)
    >>> s.dtype, len(s) == len(candles)
    (dtype('bool'), True)
    """
    strat = get_strategy(strategy)
    out, _ = strat.run(candle_arrays(candles), strat.validate(params), checkpoint=checkpoint)
    return pd.Series(out, index=candles.index, name="signals")


def indicators(
    candles: pd.DataFrame, strategy: str | Strategy = DEFAULT_STRATEGY, **params: Any
) -> pd.DataFrame:
    """The strategy's indicator series (e.g. a breakout's resistance), for plots.

    One float column per indicator the strategy declares (NaN where undefined); no
    columns for a strategy that declares none.

    Examples
    --------
    >>> import vzb
    >>> frame = vzb.indicators(vzb.load_sample("BTC_USD"), volume_window=10)
    >>> list(frame.columns), bool(frame.iloc[:10].isna().all().all())
    (['resistance'], True)
    """
    strat = get_strategy(strategy)
    _, values = strat.run(candle_arrays(candles), strat.validate(params), indicators=True)
    return pd.DataFrame(values, index=candles.index, columns=list(strat.indicators))
