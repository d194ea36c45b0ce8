"""Engine: signals -> positions, equity, stats; sweeps over parameter grids.

>>> import vzb
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"), fees=0.0005)
>>> result.stats["# Trades"] > 0
True
"""

from vzb.engine.backtest import backtest, candles_fingerprint
from vzb.engine.combine import chain, combine
from vzb.engine.nb import EXIT_REASONS, POSITION_DTYPE
from vzb.engine.options import DEFAULT_OPTIONS, validate_options
from vzb.engine.result import BacktestResult
from vzb.engine.stats import COUNT_STATS, STAT_NAMES
from vzb.engine.sweep import merge_sweep_parts, parameter_sets, sweep, sweep_stats

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
    "sweep_stats",
    "validate_options",
]
