"""Parameter sweeps: stats for many parameter sets, in-process or through joblib.

Only stats are kept (no equity curves or positions), so 100,000 parameter sets fit in
memory: one row of ``len(STAT_NAMES)`` floats per set and symbol.

Sets share work through the strategy's :class:`~vzb.strategies.SweepPlan`: sets in one
group (equal ``plan.shared`` values) share one prepared state (the breakout's volume
profile per bar), from which the signals of every distinct set of signal parameters are
resolved in blocks; sets differing only in ``hold_period_bars`` share signals whatever
the strategy. Simulation and stats of a block run inside one numba loop. Every row
equals the stats of :func:`vzb.backtest` with the same parameters and options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vzb import _hooks
from vzb.data.arrays import candle_arrays, symbol_frames
from vzb.engine.nb import sweep_signals_nb
from vzb.engine.options import kernel_options, validate_options
from vzb.engine.plan import parameter_sets, share_groups, sweep_units
from vzb.engine.stats import COUNT_STATS, series_facts
from vzb.engine.stats_nb import N_STATS, STAT_NAMES
from vzb.errors import CandleError
from vzb.strategies.contract import Strategy
from vzb.strategies.registry import get_strategy, strategy_ref

__all__ = [
    "SIGNAL_BLOCK",
    "merge_sweep_parts",
    "parameter_sets",
    "sweep",
    "sweep_sets",
    "sweep_stats",
]

Checkpoint = Callable[[float], None]
#: distinct signal sets resolved at once (a block of ``SIGNAL_BLOCK x bars`` bools)
SIGNAL_BLOCK = 64


def _symbol_stats(
    arrays: tuple[np.ndarray, ...],
    facts: tuple[float, float],
    strategy: Strategy,
    sets: list[dict[str, Any]],
    options: dict[str, Any],
    checkpoint: Checkpoint | None,
    equities: np.ndarray | None = None,
) -> np.ndarray:
    """(len(sets), N_STATS) stats for one symbol's arrays; with ``equities`` (an array
    ``(len(sets), bars)``) each set's equity curve too."""
    o, h, lo, c, _ = arrays
    n, m = len(c), len(sets)
    out = np.empty((m, N_STATS))
    no_curves = np.empty((0, 0))
    bpy, days = facts
    opts = kernel_options(options, buy_hold=c[-1] / c[0] - 1.0, bars_per_year=bpy, days=days)
    plan = strategy.sweep_plan
    done = 0

    def report(fraction_of_group: float, size: int) -> None:
        fraction = (done + size * fraction_of_group) / m
        if checkpoint is not None and fraction < 1.0:
            checkpoint(fraction)

    for members in share_groups(strategy, sets).values():
        group = [sets[k] for k in members]
        state = None
        if plan is not None:  # the shared work, in chunks, with checkpoints
            state = plan.prepare(arrays, group)
            size = strategy.chunk_size(group[0], n)
            for start in range(0, n, size):
                stop = min(n, start + size)
                plan.fill(arrays, state, start, stop)
                if stop < n:
                    report(stop / n / 2, len(members))
        # distinct signal sets of the group, then every set trades its row
        keys: dict[tuple, int] = {}
        distinct: list[dict[str, Any]] = []
        rows = np.empty(len(group), dtype=np.int64)
        for j, params in enumerate(group):
            rows[j] = keys.setdefault(strategy.signal_key(params), len(keys))
            if rows[j] == len(distinct):
                distinct.append(params)
        holds = np.array([strategy.hold(p) for p in group], dtype=np.int64)
        for first in range(0, len(distinct), SIGNAL_BLOCK):
            block = distinct[first : first + SIGNAL_BLOCK]
            signals = np.empty((len(block), n), dtype=np.bool_)
            if plan is not None:
                plan.signals(arrays, state, block, signals)
            else:
                for r, params in enumerate(block):
                    signals[r] = strategy.run(arrays, params)[0]
            mine = np.flatnonzero((rows >= first) & (rows < first + len(block)))
            where = np.asarray(members, dtype=np.int64)[mine]
            values = np.empty((len(mine), N_STATS))
            curves = no_curves if equities is None else np.empty((len(mine), n))
            sweep_signals_nb(
                o, h, lo, c, signals, rows[mine] - first, holds[mine], opts, values, curves
            )
            out[where] = values
            if equities is not None:
                equities[where] = curves
            report(0.5 + 0.5 * min(1.0, (first + len(block)) / len(distinct)), len(members))
        done += len(members)
    return out


def sweep_stats(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: str | Strategy,
    param_sets: Sequence[Mapping[str, Any]],
    *,
    checkpoint: Checkpoint | None = None,
    returns: bool = False,
    count_trials: bool = True,
    **options: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Stats for each parameter set (and symbol), in this process.

    Parameters
    ----------
    candles : DataFrame or mapping of symbol -> DataFrame
    strategy : str or Strategy
    param_sets : sequence of dict
        Parameter sets (validated here; see :func:`parameter_sets`).
    checkpoint : callable, optional
        Called with the fraction done between groups of sets, kernel chunks and symbols;
        an exception it raises stops the sweep and propagates.
    returns : bool
        Also return every set's per-bar returns (see below).
    count_trials : bool
        Count the sets in the ledger of trials of this study (strategy, symbols,
        timeframe, candle range; :mod:`vzb.analysis.ledger`), as every sweep does.
    **options
        Engine options (:func:`vzb.engine.validate_options`).

    Returns
    -------
    DataFrame
        One row per set and symbol (symbol-major, sets in the given order): the
        parameter columns, ``"symbol"``, then the stats columns (no Start/End/Duration).
        Its ``attrs["parameters"]`` names the parameter columns.
    DataFrame, with ``returns=True``
        The per-bar returns of every set, one column per set (in the given order),
        indexed by time: ``equity[t] / equity[t-1] - 1``, the first bar against the
        initial cash; for several symbols, of the set's portfolio with the cash split
        equally (as :func:`vzb.engine.portfolio`). Built from one float64 equity curve per
        set and symbol, filled by the kernels (no Python per bar): 8 bytes x sets x bars,
        e.g. 800 MB for 5,000 sets x 20,000 hourly bars, plus as much again while the
        returns are taken. Columns are stored as one block, ready for
        :func:`vzb.analysis.backtest_overfitting`.

    Examples
    --------
    >>> import vzb
    >>> from vzb.strategies import DEFAULT_STRATEGY
    >>> sets = parameter_sets(DEFAULT_STRATEGY, {"volume_window": [10, 20]})
    >>> table = sweep_stats(vzb.load_sample("BTC_USD"), DEFAULT_STRATEGY, sets)
    >>> table[["volume_window", "symbol"]].values.tolist()
    [[10, 'BTC_USD'], [20, 'BTC_USD']]
    >>> table.attrs["parameters"][:2]
    ['volume_window', 'top_percentile']
    """
    opts = validate_options(**options)
    strat = get_strategy(strategy)
    sets = [strat.validate(p) for p in param_sets]
    frames = symbol_frames(candles)
    blocks = []
    curves = {}
    n_sym = len(frames)
    for s, (symbol, frame) in enumerate(frames.items()):
        arrays = candle_arrays(frame, symbol=symbol)  # checks order and finite values
        if len(arrays[0]) == 0:
            raise CandleError(f"candles for {symbol!r} are empty")
        cp = None
        if checkpoint is not None:

            def cp(done: float, s: int = s) -> None:
                checkpoint((s + done) / n_sym)

        equities = np.empty((len(sets), len(arrays[0]))) if returns else None
        values = _symbol_stats(arrays, series_facts(frame.index), strat, sets, opts, cp, equities)
        blocks.append((symbol, values))
        if returns:
            curves[symbol] = (frame.index, equities)
        if checkpoint is not None and s + 1 < n_sym:
            checkpoint((s + 1) / n_sym)
    names = list(strat.parameters)
    params = pd.DataFrame(sets, columns=names)
    parts = []
    for symbol, values in blocks:
        part = params.copy()
        part["symbol"] = symbol
        stats = pd.DataFrame(values, columns=list(STAT_NAMES))
        stats = stats.astype(dict.fromkeys(COUNT_STATS, np.int64))
        parts.append(pd.concat([part, stats], axis=1))
    if not parts or not sets:
        table = pd.DataFrame(columns=[*names, "symbol", *STAT_NAMES])
    else:
        table = pd.concat(parts, ignore_index=True)
    table.attrs["parameters"] = names
    if count_trials and sets and _hooks.trials_recorder is not None:
        _hooks.trials_recorder(strategy_ref(strat), frames, sets)
    if returns:
        return table, _set_returns(curves, len(sets), float(opts["cash"]))
    return table


def _set_returns(curves: dict, n_sets: int, cash: float) -> pd.DataFrame:
    """Per-bar returns of each set's portfolio (cash split equally over the symbols)."""
    index = None
    for stamps, _ in curves.values():
        index = stamps if index is None else index.union(stamps)
    total = np.zeros((n_sets, len(index)))
    for stamps, equities in curves.values():
        share = equities / len(curves)  # each symbol ran with the full cash
        if len(stamps) == len(index):  # every bar of the union: nothing to fill
            total += share
            continue
        positions = index.get_indexer(stamps)
        sleeve = np.full((n_sets, len(index)), np.nan)
        sleeve[:, positions] = share
        sleeve = pd.DataFrame(sleeve.T).ffill().fillna(cash / len(curves)).to_numpy().T
        total += sleeve
    previous = np.concatenate([np.full((n_sets, 1), cash), total[:, :-1]], axis=1)
    values = total / previous - 1.0
    return pd.DataFrame(values.T, index=index, columns=pd.RangeIndex(n_sets, name="set"))


def merge_sweep_parts(
    parts: Sequence[pd.DataFrame], units: Sequence[Sequence[int]], n_symbols: int
) -> pd.DataFrame:
    """Put the tables of a sweep's units back in :func:`sweep_stats` order.

    Unit ``u`` swept the sets ``units[u]`` (indices into the whole sweep's sets) on
    every symbol, giving ``parts[u]`` (symbol-major). The whole table is symbol-major
    with the sets in grid order, exactly as one in-process sweep gives it.
    """
    blocks, keys = [], []
    for part, indices in zip(parts, units, strict=True):
        m = len(indices)
        for s in range(n_symbols):
            blocks.append(part.iloc[s * m : (s + 1) * m])
            keys.append(np.asarray(indices, dtype=np.int64) + s * (1 << 40))
    table = pd.concat(blocks, ignore_index=True)
    order = np.argsort(np.concatenate(keys), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    table.attrs["parameters"] = list(parts[0].attrs.get("parameters", [])) if parts else []
    return table


def sweep(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: str | Strategy,
    grid: Mapping[str, Any],
    *,
    n_iter: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    returns: bool = False,
    **options: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Sweep a parameter grid: one row of stats per parameter set and symbol.

    Parameters
    ----------
    candles : DataFrame or mapping of symbol -> DataFrame
    strategy : str or Strategy
    grid : mapping
        Parameter name -> value or list of values (see :func:`parameter_sets`).
    n_iter, seed : int, optional
        Draw ``n_iter`` sets at random with ``seed`` instead of the full grid.
    n_jobs : int, optional
        Worker processes; ``None`` or 1 runs in this process.
    backend : str, optional
        Any joblib backend name (``"loky"`` by default with ``n_jobs > 1``;
        ``"threading"``, ``"multiprocessing"``, ``"dask"`` ...).
    returns : bool
        Also return every set's per-bar returns (see :func:`sweep_stats`).
    **options
        Engine options (:func:`vzb.engine.validate_options`).

    Returns
    -------
    DataFrame, or (DataFrame, DataFrame) with ``returns=True``
        Same layout and values as :func:`sweep_stats`, whatever the backend.

    Examples
    --------
    >>> import vzb
    >>> from vzb.strategies import DEFAULT_STRATEGY
    >>> table = vzb.sweep(vzb.load_sample("BTC_USD"), DEFAULT_STRATEGY,
    ...                   {"volume_window": [10, 20], "hold_period_bars": [1, 3]})
    >>> len(table)
    4
    """
    strat = get_strategy(strategy)
    validate_options(**options)
    sets = parameter_sets(strat, grid, n_iter=n_iter, seed=seed)
    return sweep_sets(
        candles, strat, sets, n_jobs=n_jobs, backend=backend, returns=returns, **options
    )


def sweep_sets(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: str | Strategy,
    param_sets: Sequence[Mapping[str, Any]],
    *,
    n_jobs: int | None = None,
    backend: str | None = None,
    returns: bool = False,
    count_trials: bool = True,
    **options: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`sweep_stats` of given parameter sets, in this process or on workers.

    Takes ``n_jobs`` and ``backend`` as :func:`sweep` does; same table, whatever runs it.
    """
    strat = get_strategy(strategy)
    sets = [strat.validate(p) for p in param_sets]
    if (n_jobs is None or n_jobs == 1) and backend is None:
        return sweep_stats(
            candles, strat, sets, returns=returns, count_trials=count_trials, **options
        )
    import joblib

    n_workers = joblib.effective_n_jobs(n_jobs) if n_jobs is not None else 2
    frames = symbol_frames(candles)
    first = next(iter(frames.values()))
    units = sweep_units(
        strat,
        sets,
        workers=n_workers,
        symbols=len(frames),
        bars_per_day=series_facts(first.index)[0] / 365.0,
    )
    ref = strategy_ref(strat)  # worker processes import the strategy by this
    with joblib.parallel_config(backend=backend or "loky", n_jobs=n_jobs or n_workers):
        parts = joblib.Parallel()(
            joblib.delayed(sweep_stats)(
                frames, ref, [sets[k] for k in unit], returns=returns, count_trials=False, **options
            )
            for unit in units
        )
    if count_trials and sets and _hooks.trials_recorder is not None:
        _hooks.trials_recorder(ref, frames, sets)
    if not returns:
        return merge_sweep_parts(parts, units, len(frames))
    table = merge_sweep_parts([table for table, _ in parts], units, len(frames))
    curves = pd.concat([curve for _, curve in parts], axis=1, ignore_index=True)
    order = np.argsort(np.concatenate([np.asarray(unit) for unit in units]), kind="stable")
    curves = pd.DataFrame(
        np.ascontiguousarray(curves.to_numpy().T[order]).T,
        index=curves.index,
        columns=pd.RangeIndex(len(sets), name="set"),
    )
    return table, curves
