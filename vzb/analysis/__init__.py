"""What people read off results: best parameter sets, heatmap tables, position statistics.

Plain functions on pandas objects, no widgets: notebooks, the widgets and scripts all
import them from here.

>>> import pandas as pd
>>> import vzb.analysis as analysis
>>> table = pd.DataFrame({"window": [5, 10], "symbol": "BTC_USD", "Return [%]": [1.0, 3.0]})
>>> table.attrs["parameters"] = ["window"]
>>> analysis.best_sets(table, n=1)["window"].tolist()
[10]
"""

from __future__ import annotations

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

__all__ = [
    "LOWER_IS_BETTER",
    "best_sets",
    "heatmap_table",
    "lower_is_better",
    "parameter_columns",
    "position_stats",
    "stat_columns",
    "varying_parameters",
]
