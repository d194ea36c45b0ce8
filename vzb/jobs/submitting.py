"""Submitting: the ``submit_*`` methods of :class:`~vzb.jobs.runner.JobRunner`.

Each checks its request completely (:mod:`vzb.jobs.requests`) before anything is stored
and hands the checked spec to the runner's ``_submit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vzb.jobs.dependencies import task_ids
from vzb.jobs.downloads import download_spec
from vzb.jobs.requests import backtest_spec, sweep_spec, units_spec, walk_forward_spec
from vzb.jobs.task import Task
from vzb.strategies.registry import DEFAULT_STRATEGY

__all__ = ["Submitting"]


class Submitting:
    """The submitting half of a runner (it needs ``_submit``, ``max_workers`` and
    ``_candle_index``)."""

    def submit(
        self,
        strategy: str = DEFAULT_STRATEGY,
        params: Mapping[str, Any] | None = None,
        symbols: str | Sequence[str] = ("BTC_USD",),
        start: Any = None,
        end: Any = None,
        timeframe: str = "1d",
        *,
        data_dir: str | None = None,
        after: Any = None,
        **options,
    ) -> Task:
        """Submit a backtest of ``strategy`` on ``symbols``; returns a queued :class:`Task`.

        ``strategy`` defaults to ``vzb.strategies.DEFAULT_STRATEGY``. Everything is
        checked first (strategy, parameters, symbols, dates, timeframe, engine options):
        a bad request raises and stores nothing. Each symbol is one work unit; the result
        is the combined ``BacktestResult``.

        ``after``: a task (or task id, or a list) to wait for, such as the download of
        the candles (:meth:`submit_download`): the backtest stays queued until it has
        completed, and fails if it did not. The catalog is then checked when the
        backtest starts, not now.

        Raises
        ------
        ParameterError
            Unknown strategy, parameter out of range, bad dates, timeframe or option.
        UnknownSymbolError
            A symbol the catalog does not hold for this timeframe.
        """
        spec = backtest_spec(
            strategy, params, symbols, start=start, end=end, timeframe=timeframe,
            data_dir=data_dir, options=options, index_cache=self._candle_index,
            check_candles=after is None,
        )  # fmt: skip
        if after is not None:
            spec["after"] = task_ids(after)
        return self._submit("backtest", spec)

    def submit_sweep(
        self,
        strategy: str,
        grid: Mapping[str, Any],
        symbols: str | Sequence[str] = ("BTC_USD",),
        *,
        n_iter: int | None = None,
        seed: int | None = None,
        start: Any = None,
        end: Any = None,
        timeframe: str = "1d",
        chunk_size: int | None = None,
        data_dir: str | None = None,
        after: Any = None,
        **options,
    ) -> Task:
        """Submit a sweep of ``strategy`` over a parameter ``grid``; returns a queued Task.

        ``n_iter`` samples that many parameter sets at random (reproducible with
        ``seed``). Parameter sets are split into units of ``chunk_size`` sets (default:
        units that shrink as the sweep goes on, see :mod:`vzb.jobs.planning`); the result
        is the stats table, one row per parameter set and symbol, as
        :func:`vzb.engine.sweep_stats` gives it. ``after``: tasks to wait for, as in
        :meth:`submit`.
        """
        spec, sets = sweep_spec(
            strategy, grid, symbols, n_iter=n_iter, seed=seed, start=start, end=end,
            timeframe=timeframe, chunk_size=chunk_size, workers=self.max_workers,
            data_dir=data_dir, options=options, index_cache=self._candle_index,
            check_candles=after is None,
        )  # fmt: skip
        if after is not None:
            spec["after"] = task_ids(after)
        return self._submit("sweep", spec, sets=sets)

    def submit_walk_forward(
        self,
        strategy: str,
        grid: Mapping[str, Any],
        *,
        symbols: str | Sequence[str] = ("BTC_USD",),
        train: Any,
        test: Any,
        step: Any = None,
        anchored: bool = False,
        purge: int = 0,
        objective: str = "Sharpe Ratio",
        n_iter: int | None = None,
        seed: int | None = None,
        timeframe: str = "1d",
        start: Any = None,
        end: Any = None,
        chunk_size: int | None = None,
        data_dir: str | None = None,
        **options,
    ) -> Task:
        """Submit a walk-forward optimisation (:func:`vzb.walk_forward`); returns a Task.

        Same arguments as :func:`vzb.walk_forward`, with the candles given as ``symbols``
        (read through the catalog, between ``start`` and ``end``). The task is cut into
        units: each fold's training sweep in chunks of parameter sets, and the sweep over
        all the candles, so it keeps every worker busy; the panel shows which fold each
        runs ("fold 3/8, training"). Its result (``runner.result(task_id)``) is the
        ``WalkForwardResult``, the same as the direct call gives.

        Raises
        ------
        ParameterError
            As :meth:`submit_sweep`, an objective that is not a stat, or windows that
            do not fit the candles (nothing is stored).
        """
        spec, sets = walk_forward_spec(
            strategy, grid, symbols, train=train, test=test, step=step, anchored=anchored,
            purge=purge, objective=objective, n_iter=n_iter, seed=seed, start=start, end=end,
            timeframe=timeframe, chunk_size=chunk_size, workers=self.max_workers,
            data_dir=data_dir, options=options, index_cache=self._candle_index,
        )  # fmt: skip
        return self._submit("walk_forward", spec, sets=sets)

    def submit_units(
        self, function: str, kwargs: Iterable[Mapping[str, Any]], *, description: str = ""
    ) -> Task:
        """Submit your own function as a task: one unit per kwargs dict.

        ``function`` is an import path ``"package.module:name"`` of a function
        ``f(context, **kwargs)``; call ``context.checkpoint(fraction)`` often so that
        cancel works. Its return values (plain data) are the task's result, a list.
        """
        return self._submit("units", units_spec(function, kwargs, description))

    def submit_download(
        self,
        symbols: str | Sequence[str],
        timeframe: str = "1d",
        *,
        start: Any,
        end: Any = None,
        exchange: str = "upbit",
        api_url: str | None = None,
        data_dir: str | None = None,
    ) -> Task:
        """Download candles from an exchange in the background, one unit per symbol.

        Each unit runs :func:`vzb.download_candles` with these arguments (``data_dir``
        or ``$VZB_DATA_DIR``, fixed now); progress is the fraction of the time range
        fetched, the message says how far (``"BTC_KRW: 2024-03-01 … 2024-05-12, 14,200
        candles"``), and a cancel stops it between pages, keeping what was fetched. The
        result is one summary dict per symbol (file, rows, first and last candle, pages
        asked). Pass the task as ``after=`` to :meth:`submit` to backtest the candles
        once they are in.

        Raises
        ------
        ParameterError
            No symbols, an unknown timeframe, bad dates, or no data directory.
        """
        spec = download_spec(
            symbols, timeframe, start=start, end=end, exchange=exchange, api_url=api_url,
            data_dir=data_dir,
        )  # fmt: skip
        return self._submit("units", spec)
