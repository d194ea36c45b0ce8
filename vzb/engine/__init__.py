"""Engine: signals -> positions, equity, stats; sweeps over parameter grids.

>>> import vzb
>>> result = vzb.backtest(vzb.load_sample("BTC_USD"), "volume_zone_breakout", fees=0.0005)
>>> result.stats["# Trades"] > 0
True
"""

from vzb.engine.backtest import backtest, candles_fingerprint, combine
from vzb.engine.nb import EXIT_REASONS, POSITION_DTYPE
from vzb.engine.options import validate_options
from vzb.engine.result import BacktestResult
from vzb.engine.stats import STAT_NAMES
from vzb.engine.sweep import parameter_sets, sweep, sweep_stats

__all__ = [
    "EXIT_REASONS",
    "POSITION_DTYPE",
    "STAT_NAMES",
    "BacktestResult",
    "backtest",
    "candles_fingerprint",
    "combine",
    "parameter_sets",
    "sweep",
    "sweep_stats",
    "validate_options",
]
