"""Hooks an upper layer sets for a lower one: how results are drawn, where trials count.

The engine calls ``result_plotter(result, **kwargs)`` from ``BacktestResult.plot`` and
``trials_recorder(strategy, frames, param_sets)`` after a sweep and
``stats_formatter(stats, symbols)`` from ``BacktestResult.stats_table``; the analysis layer calls
``walk_forward_plotter(wf, **kwargs)`` from ``WalkForwardResult.plot``; the top package
(``vzb/__init__.py``) sets them to the widgets layer's chart and the analysis layer's
ledger of trials, each imported only when first used. So no lower layer ever imports a
higher one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``result_plotter(result, **kwargs) -> figure``
result_plotter: Callable[..., Any] | None = None

#: ``trials_recorder(strategy_ref, {symbol: candles}, param_sets)`` after each sweep
trials_recorder: Callable[..., Any] | None = None

#: ``walk_forward_plotter(walk_forward_result, **kwargs) -> figure``
walk_forward_plotter: Callable[..., Any] | None = None

#: ``store_importer(store_dir) -> int``: queue for the run catalog the results a store held
#: before the catalog existed (set to the jobs layer's importer, which knows tasks)
store_importer: Callable[[str], int] | None = None

#: ``store_restorer(store_dir, old_dir) -> int``: a store restored from a backup of
#: ``old_dir``: its tasks' result paths moved to ``store_dir`` and the runners that ran
#: them elsewhere forgotten (set to the jobs layer's, which knows tasks)
store_restorer: Callable[[str, str], int] | None = None

#: ``comparison_plotter(comparison, **kwargs) -> figure`` for ``vzb.compare(...).plot()``
comparison_plotter: Callable[..., Any] | None = None

#: ``stats_formatter(stats, symbols) -> DataFrame`` for ``BacktestResult.stats_table()``
stats_formatter: Callable[..., Any] | None = None
