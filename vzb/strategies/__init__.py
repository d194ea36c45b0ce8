"""Strategies: candles -> boolean entry signals (and indicators to plot).

A strategy is a :class:`Strategy`: typed parameters, a chunked signals kernel, optional
indicators and an optional :class:`SweepPlan`. The built-ins (the flagship Volume Zone
Breakout and the Volume Long Candle, each in its own subpackage with its kernels) are
registered exactly as yours are, with :func:`register_strategy` by import path.

>>> from vzb.strategies import DEFAULT_STRATEGY, get_strategy, list_strategies
>>> DEFAULT_STRATEGY in list_strategies()
True
>>> get_strategy(DEFAULT_STRATEGY).parameters["num_bins"].default
20

Checking a strategy's parameters imports neither pandas nor numba; :func:`signals` and
:func:`indicators` (pandas in, pandas out) load on first use.
"""

from vzb._lazy import lazy_names
from vzb.strategies.contract import HOLD_PARAMETER, Strategy, SweepPlan
from vzb.strategies.parameters import Parameter
from vzb.strategies.registry import (
    DEFAULT_STRATEGY,
    get_strategy,
    list_strategies,
    register_strategy,
    strategy_ref,
    unregister_strategy,
)

__all__ = [
    "DEFAULT_STRATEGY",
    "HOLD_PARAMETER",
    "Parameter",
    "Strategy",
    "SweepPlan",
    "get_strategy",
    "indicators",
    "list_strategies",
    "register_strategy",
    "signals",
    "strategy_ref",
    "unregister_strategy",
]


__getattr__ = lazy_names(__name__, {"signals": "series", "indicators": "series"}, globals())
