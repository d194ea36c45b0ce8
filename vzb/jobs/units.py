"""The built-in unit functions: what one work unit of a backtest, a sweep or a demo does.

Each is ``f(context, **kwargs)`` with plain-data ``kwargs`` (see
:mod:`vzb.jobs.worker`); :mod:`vzb.jobs.planning` names them by import path
(``"vzb.jobs.units:backtest_symbol"``), and :meth:`JobRunner.submit_units` runs yours
the same way.

>>> from vzb.jobs.worker import execute
>>> unit = {"task_id": "t", "attempt": 1, "index": 0, "total": 1, "store_dir": None,
...         "function": "vzb.jobs.units:sleep", "kwargs": {"seconds": 0, "value": 42}}
>>> execute(unit)
{'output': 42}
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from vzb.jobs.worker import UnitContext

__all__ = ["backtest_symbol", "sleep", "sweep_chunk"]


def sleep(
    context: UnitContext,
    seconds: float = 1.0,
    value: Any = None,
    ignore_cancel: bool = False,
    fail: str | None = None,
) -> Any:
    """Sleep ``seconds`` in small steps, reporting progress; return ``value``.

    A unit for demos, tests and benchmarks of the job machinery. ``ignore_cancel=True``
    never checks the flag (a stuck unit, to be killed); ``fail`` raises ValueError(fail).
    """
    end = time.monotonic() + seconds
    context.stage(0.0, f"sleeping {seconds:g} s")
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(0.01, left))
        if not ignore_cancel:
            context.checkpoint(1.0 - left / seconds)
    if fail:
        raise ValueError(fail)
    return value


def _load(symbols: Sequence[str], timeframe: str, start, end, data_dir) -> dict:
    from vzb.data.catalog import load_candles

    return {s: load_candles(s, timeframe, start, end, data_dir=data_dir) for s in symbols}


def backtest_symbol(
    context: UnitContext,
    *,
    strategy: str,
    params: Mapping[str, Any] | None,
    symbol: str,
    timeframe: str = "1d",
    start: str | None = None,
    end: str | None = None,
    options: Mapping[str, Any] | None = None,
    data_dir: str | None = None,
):
    """Backtest one symbol of a task: load candles, run, return the ``BacktestResult``."""
    from vzb.engine.backtesting import backtest

    context.stage(0.0, f"loading candles {symbol}")
    candles = _load([symbol], timeframe, start, end, data_dir)[symbol]
    context.stage(0.05, f"running {symbol} {context.index + 1}/{context.total}")
    result = backtest(
        candles,
        strategy,
        dict(params or {}),
        checkpoint=context.scaled(0.05, 0.95),
        **(options or {}),
    )
    context.stage(0.95, f"saving {symbol}")
    return result


def sweep_chunk(
    context: UnitContext,
    *,
    strategy: str,
    param_sets: Sequence[Mapping[str, Any]],
    symbols: Sequence[str],
    timeframe: str = "1d",
    start: str | None = None,
    end: str | None = None,
    options: Mapping[str, Any] | None = None,
    data_dir: str | None = None,
    count_trials: bool = True,
    returns: bool = False,
    label: str | None = None,
    home: str | None = None,
):
    """Run a chunk of parameter sets over the task's symbols: return the stats table.

    ``count_trials=False``: not counted in the ledger of trials (a walk-forward's
    training windows); ``returns=True``: return ``(table, returns)``, the per-bar returns
    with the set's position in the chunk as column name (a string, for Parquet);
    ``label`` leads the progress messages (``"fold 3/8, training"``); ``home``: the
    ledger's directory (:func:`vzb.analysis.ledger.home_dir` where the task was
    submitted; default: this process's).
    """
    from vzb.engine.sweeps import sweep_stats

    lead = f"{label}: " if label else ""
    context.stage(0.0, f"{lead}loading candles")
    candles = _load(symbols, timeframe, start, end, data_dir)
    data = candles[symbols[0]] if len(symbols) == 1 else candles
    context.stage(0.05, f"{lead}running chunk {context.index + 1}/{context.total}")
    output = sweep_stats(
        data,
        strategy,
        [dict(p) for p in param_sets],
        checkpoint=context.scaled(0.05, 0.95),
        count_trials=count_trials and home is None,
        returns=returns,
        **(options or {}),
    )
    if count_trials and home is not None and param_sets:
        from vzb.analysis.ledger import record_sweep
        from vzb.strategies.registry import get_strategy, strategy_ref

        strat = get_strategy(strategy)
        sets = [strat.validate(dict(p)) for p in param_sets]
        record_sweep(strategy_ref(strat), candles, sets, home=home)
    context.stage(0.95, f"{lead}saving chunk {context.index + 1}/{context.total}")
    if returns:
        table, curves = output
        curves.columns = [str(c) for c in curves.columns]
        return table, curves
    return output
