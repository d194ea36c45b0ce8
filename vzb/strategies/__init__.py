"""Strategies: candles -> boolean entry signals.

Two built-ins, ``volume_zone_breakout`` (the flagship) and ``volume_long_candle``; users
register their own by import path with :func:`register_strategy`.

>>> from vzb.strategies import get_strategy, list_strategies
>>> list_strategies()[:2]
['volume_zone_breakout', 'volume_long_candle']
>>> get_strategy("volume_zone_breakout").parameters["num_bins"].default
20
"""

from vzb.strategies._signals import candle_arrays, resistance, signals
from vzb.strategies.registry import (
    Parameter,
    Strategy,
    get_strategy,
    list_strategies,
    register_strategy,
    unregister_strategy,
)

__all__ = [
    "Parameter",
    "Strategy",
    "candle_arrays",
    "get_strategy",
    "list_strategies",
    "register_strategy",
    "resistance",
    "signals",
    "unregister_strategy",
]
