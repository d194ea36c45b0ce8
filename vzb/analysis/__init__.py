"""What people read off results: best parameter sets, heatmap tables, position statistics,
walk-forward optimisation and the overfitting statistics (deflated Sharpe ratio, PBO).

Plain functions on pandas objects, no widgets: notebooks, the widgets and scripts all
import them from here. The walk-forward and overfitting names load on first use.

>>> import pandas as pd
>>> import vzb.analysis as analysis
>>> table = pd.DataFrame({"window": [5, 10], "symbol": "BTC_USD", "Return [%]": [1.0, 3.0]})
>>> table.attrs["parameters"] = ["window"]
>>> analysis.best_sets(table, n=1)["window"].tolist()
[10]
"""

from __future__ import annotations

from vzb._lazy import lazy_names
from vzb.analysis.positions import position_stats
from vzb.analysis.sweeps import (
    LOWER_IS_BETTER,
    best_sets,
    heatmap_table,
    lower_is_better,
    parameter_columns,
    stat_columns,
    varying_parameters,
)

# name -> module of vzb.analysis, loaded on first use (they bring the engine and numba)
_LAZY = {
    "Fold": "folds",
    "split_folds": "folds",
    "OverfittingResult": "overfitting",
    "backtest_overfitting": "overfitting",
    "deflated_sharpe": "overfitting",
    "expected_max_sharpe": "overfitting",
    "WalkForwardResult": "walkforward",
    "choose_best": "verdict",
    "describe": "verdict",
    "overfitting_summary": "verdict",
    "walk_forward": "walkforward",
    "count_trials": "ledger",
    "record_trials": "ledger",
    "start_study": "ledger",
    "trials": "ledger",
}

__all__ = [
    "LOWER_IS_BETTER",
    "Fold",
    "OverfittingResult",
    "WalkForwardResult",
    "backtest_overfitting",
    "best_sets",
    "choose_best",
    "count_trials",
    "deflated_sharpe",
    "describe",
    "expected_max_sharpe",
    "heatmap_table",
    "lower_is_better",
    "overfitting_summary",
    "parameter_columns",
    "position_stats",
    "record_trials",
    "split_folds",
    "start_study",
    "stat_columns",
    "trials",
    "varying_parameters",
    "walk_forward",
]


__getattr__ = lazy_names(__name__, _LAZY, globals())
