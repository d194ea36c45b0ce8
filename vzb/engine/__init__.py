"""Engine: signals -> positions, equity, stats; sweeps over parameter grids.

>>> import vzb
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"), fees=0.0005)
>>> result.stats["# Trades"] > 0
True

Names load on first use (no module is named like a function, so a module never hides
one), so planning a sweep (:mod:`vzb.engine.plan`, checking options)
imports no numba: the job layer checks a request without compiling anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vzb._lazy import lazy_names

# public name -> module of vzb.engine that defines it
_API = {
    "COUNT_STATS": "stats",
    "DEFAULT_OPTIONS": "options",
    "EXIT_REASONS": "nb",
    "POSITION_DTYPE": "nb",
    "STAT_NAMES": "stats_nb",
    "BacktestResult": "result",
    "backtest": "backtesting",
    "candles_fingerprint": "backtesting",
    "chain": "portfolio",
    "combine": "portfolio",
    "merge_sweep_parts": "sweeps",
    "parameter_sets": "plan",
    "sweep": "sweeps",
    "sweep_sets": "sweeps",
    "sweep_stats": "sweeps",
    "validate_options": "options",
}

__all__ = [
    "COUNT_STATS",
    "DEFAULT_OPTIONS",
    "EXIT_REASONS",
    "POSITION_DTYPE",
    "STAT_NAMES",
    "BacktestResult",
    "backtest",
    "candles_fingerprint",
    "chain",
    "combine",
    "merge_sweep_parts",
    "parameter_sets",
    "sweep",
    "sweep_sets",
    "sweep_stats",
    "validate_options",
]


__getattr__ = lazy_names(__name__, _API, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers
    from vzb.engine.backtesting import backtest, candles_fingerprint
    from vzb.engine.nb import EXIT_REASONS, POSITION_DTYPE
    from vzb.engine.options import DEFAULT_OPTIONS, validate_options
    from vzb.engine.plan import parameter_sets
    from vzb.engine.portfolio import chain, combine
    from vzb.engine.result import BacktestResult
    from vzb.engine.stats import COUNT_STATS
    from vzb.engine.stats_nb import STAT_NAMES
    from vzb.engine.sweeps import merge_sweep_parts, sweep, sweep_sets, sweep_stats
