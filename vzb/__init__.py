"""vzb: backtest volume strategies on crypto candles, from a Jupyter notebook.

>>> import vzb
>>> candles = vzb.load_sample("BTC_USD", timeframe="1d")
>>> result = vzb.backtest(candles, fees=0.0005)  # the default strategy: Volume Zone Breakout
>>> result.stats["# Trades"] > 0
True

The top level holds the whole workflow; each layer is a subpackage:
``vzb.data`` (candles in), ``vzb.strategies`` (candles -> signals),
``vzb.engine`` (signals -> positions, equity, stats, sweeps),
``vzb.results`` (Parquet files and the run catalog: ``vzb.runs()``, ``vzb.compare``),
``vzb.jobs`` (background tasks),
``vzb.widgets`` (notebook views).

Names are imported lazily, so ``import vzb`` is fast and compiles nothing.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from vzb import _hooks
from vzb._lazy import lazy_names
from vzb._version import __version__

# public name -> subpackage of vzb that exports it
_API = {
    # data
    "read_candles": "data",
    "validate_candles": "data",
    "from_upbit": "data",
    "from_bithumb": "data",
    "from_ccxt": "data",
    "list_samples": "data",
    "load_sample": "data",
    "load_candles": "data",
    "download_candles": "data",
    "list_symbols": "data",
    "resample_candles": "data",
    "synthetic_candles": "data",
    # strategies
    "list_strategies": "strategies",
    "get_strategy": "strategies",
    "register_strategy": "strategies",
    "signals": "strategies",
    "indicators": "strategies",
    # engine
    "backtest": "engine",
    "BacktestResult": "engine",
    "sweep": "engine",
    # analysis
    "walk_forward": "analysis",
    "trials": "analysis",
    "start_study": "analysis",
    # results
    "record": "results",
    "runs": "results",
    "run": "results",
    "compare": "results",
    "configure": "results",
    # jobs
    "JobRunner": "jobs",
    "TaskStore": "jobs",
    # widgets
    "JobPanel": "widgets",
}

_SUBPACKAGES = ("data", "strategies", "engine", "analysis", "jobs", "results", "widgets", "errors")

__all__ = [  # written out (not ``[*_API]``) so that linters and readers see the API
    "BacktestResult",
    "JobPanel",
    "JobRunner",
    "TaskStore",
    "__version__",
    "backtest",
    "compare",
    "configure",
    "download_candles",
    "from_bithumb",
    "from_ccxt",
    "from_upbit",
    "get_strategy",
    "indicators",
    "list_samples",
    "list_strategies",
    "list_symbols",
    "load_candles",
    "load_sample",
    "read_candles",
    "record",
    "register_strategy",
    "resample_candles",
    "run",
    "runs",
    "signals",
    "start_study",
    "sweep",
    "synthetic_candles",
    "trials",
    "validate_candles",
    "walk_forward",
]


_load = lazy_names(__name__, _API, globals())
#: runs the top level hands out wrapped, so that ``vzb.configure(record="always")``
#: records them (see vzb.results.direct); the subpackages' functions are never wrapped
_RECORDED = ("backtest", "sweep", "walk_forward")


def __getattr__(name: str):
    if name in _SUBPACKAGES:  # ``vzb.widgets.result_view`` after a plain ``import vzb``
        value = importlib.import_module(f"vzb.{name}")
        globals()[name] = value
        return value
    value = _load(name)
    if name in _RECORDED:
        from vzb.results.direct import recorded

        value = globals()[name] = recorded(value)
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def _show_result(result) -> None:
    from vzb.widgets.result_view import result_report

    result_report(result)._ipython_display_()


def _stats_table(stats, symbols):
    from vzb.widgets.formatting import currency_of, stats_table

    return stats_table(stats, currency_of(symbols))


def _plot_result(result, **kwargs):
    from vzb.widgets.result_view import result_figure

    return result_figure(result, **kwargs)


def _show_walk_forward(wf) -> None:
    from vzb.widgets.walk_forward_view import walk_forward_report

    walk_forward_report(wf)._ipython_display_()


def _plot_walk_forward(wf, **kwargs):
    from vzb.widgets.walk_forward_view import walk_forward_figure

    return walk_forward_figure(wf, **kwargs)


def _record_trials(strategy, frames, param_sets) -> None:
    from vzb.analysis.ledger import record_sweep

    record_sweep(strategy, frames, param_sets)


def _import_store(store_dir: str) -> int:
    from vzb.jobs.recording import import_tasks

    return import_tasks(store_dir)


def _restore_store(store_dir: str, old_dir: str) -> int:
    from vzb.jobs.recording import adopt_restored

    return adopt_restored(store_dir, old_dir)


def _plot_comparison(comparison, **kwargs):
    from vzb.widgets.compare_view import comparison_figure

    return comparison_figure(comparison, **kwargs)


def _comparison_html(comparison) -> str:
    from vzb.widgets.compare_view import render_comparison_html

    return render_comparison_html(comparison)


def _register_display_hooks() -> None:
    """Backtest and walk-forward results plot with the widgets layer's charts and, in
    IPython, display as its reports (HTML and interactive charts). Nothing is imported
    until a result is drawn or displayed (the hook is registered by type name); the
    engine and the analysis layer never import the presentation layer.
    """
    _hooks.result_plotter = _plot_result
    _hooks.stats_formatter = _stats_table
    _hooks.walk_forward_plotter = _plot_walk_forward
    _hooks.trials_recorder = _record_trials
    _hooks.store_importer = _import_store
    _hooks.store_restorer = _restore_store
    _hooks.comparison_plotter = _plot_comparison
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module is not None else None
    if shell is None:
        return
    show = shell.display_formatter.ipython_display_formatter
    show.for_type_by_name("vzb.engine.result", "BacktestResult", _show_result)
    show.for_type_by_name("vzb.analysis.walkforward", "WalkForwardResult", _show_walk_forward)
    html = shell.display_formatter.formatters["text/html"]
    html.for_type_by_name("vzb.results.comparison", "Comparison", _comparison_html)


_register_display_hooks()


if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers
    from vzb.analysis import start_study, trials, walk_forward
    from vzb.data import (
        download_candles,
        from_bithumb,
        from_ccxt,
        from_upbit,
        list_samples,
        list_symbols,
        load_candles,
        load_sample,
        read_candles,
        resample_candles,
        synthetic_candles,
        validate_candles,
    )
    from vzb.engine import BacktestResult, backtest, sweep
    from vzb.jobs import JobRunner, TaskStore
    from vzb.results import compare, configure, record, run, runs
    from vzb.strategies import (
        get_strategy,
        indicators,
        list_strategies,
        register_strategy,
        signals,
    )
    from vzb.widgets import JobPanel
