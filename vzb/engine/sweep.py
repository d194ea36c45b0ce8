"""Parameter sweeps: stats for many parameter sets, in-process or through joblib.

Only stats are kept (no equity curves or positions), so 100,000 parameter sets fit in
memory: one row of ``len(STAT_NAMES)`` floats per set and symbol.

The Volume Zone Breakout fast path shares work between sets: sets with the same
``volume_window``, ``num_bins`` and ``include_wicks`` share one volume profile per bar,
and all their ``top_percentile`` values are resolved from it at once; signals,
simulation and stats then run inside one numba loop per group. Likewise Volume Long
Candle sets with the same ``vol_ma_window`` share one mean volume per bar. Every row
equals the stats of :func:`vzb.backtest` with the same parameters and options.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vzb.engine.nb import (
    N_STATS,
    STAT_NAMES,
    kernel_options,
    sweep_breakout_nb,
    sweep_long_candle_nb,
    sweep_signals_nb,
)
from vzb.engine.options import validate_options
from vzb.engine.stats import COUNT_STATS, bars_per_year, calendar_days
from vzb.errors import CandleError, ParameterError
from vzb.strategies._signals import candle_arrays, chunk_size_for
from vzb.strategies.nb import mean_volumes_nb, volume_zone_resistance_multi_nb
from vzb.strategies.registry import Strategy, get_strategy

__all__ = ["SHARED_WORK_PARAMETERS", "parameter_sets", "sweep", "sweep_stats"]

Checkpoint = Callable[[float], None]
_BREAKOUT_REF = "vzb.strategies.volume_zone_breakout:STRATEGY"
_LONG_CANDLE_REF = "vzb.strategies.volume_long_candle:STRATEGY"


def parameter_sets(
    strategy: str | Strategy,
    grid: Mapping[str, Any],
    *,
    n_iter: int | None = None,
    seed: int | None = None,
) -> list[dict[str, Any]]:
    """Validated parameter sets from a grid: all combinations, or ``n_iter`` of them.

    Parameters
    ----------
    strategy : str or Strategy
    grid : mapping
        Parameter name -> a value or a list of values. Parameters not named take their
        defaults. Every value is validated first.
    n_iter : int, optional
        Draw this many distinct combinations at random (without replacement) instead of
        the full grid; with ``n_iter`` >= the grid size, the full grid.
    seed : int, optional
        Seed of the draw: the same seed gives the same sets in the same order.

    Returns
    -------
    list of dict
        Full parameter dicts (defaults filled in), grid order (last name varies fastest).

    Examples
    --------
    >>> sets = parameter_sets("volume_zone_breakout", {"volume_window": [10, 20], "num_bins": 10})
    >>> [(s["volume_window"], s["num_bins"]) for s in sets]
    [(10, 10), (20, 10)]
    >>> grid = {"volume_window": range(5, 50)}
    >>> len(parameter_sets("volume_zone_breakout", grid, n_iter=5, seed=1))
    5
    """
    strat = get_strategy(strategy)
    if not isinstance(grid, Mapping):
        raise ParameterError(f"grid must be a mapping of parameter -> values, not {type(grid)}")
    names = list(grid)
    axes = []
    for name in names:
        values = grid[name]
        if isinstance(values, str) or not isinstance(values, Sequence | range | np.ndarray):
            values = [values]
        values = list(values)
        if not values:
            raise ParameterError(f"grid[{name!r}] is empty; give at least one value")
        axes.append([strat.validate({name: v})[name] for v in values])
    sizes = [len(a) for a in axes]
    total = int(np.prod(sizes, dtype=np.float64)) if axes else 1
    if n_iter is None or n_iter >= total:
        combos = itertools.product(*axes)
    else:
        if n_iter < 1:
            raise ParameterError(f"n_iter={n_iter} must be >= 1")
        rng = np.random.default_rng(seed)
        picks = rng.choice(total, size=n_iter, replace=False)
        combos = (_decode(int(p), axes, sizes) for p in picks)
    defaults = strat.defaults
    return [{**defaults, **dict(zip(names, combo, strict=True))} for combo in combos]


def _decode(position: int, axes: list[list[Any]], sizes: list[int]) -> tuple[Any, ...]:
    """The grid combination at ``position`` (last axis fastest)."""
    out = []
    for axis, size in zip(reversed(axes), reversed(sizes), strict=True):
        position, k = divmod(position, size)
        out.append(axis[k])
    return tuple(reversed(out))


#: Parameters whose sets share precomputed work (one volume profile or mean per group).
SHARED_WORK_PARAMETERS = ("volume_window", "num_bins", "include_wicks", "vol_ma_window")


def _groups(sets: list[dict[str, Any]]) -> dict[tuple, list[int]]:
    """Set indices grouped by their ``SHARED_WORK_PARAMETERS`` values (absent ones: None)."""
    groups: dict[tuple, list[int]] = {}
    for k, p in enumerate(sets):
        groups.setdefault(tuple(p.get(name) for name in SHARED_WORK_PARAMETERS), []).append(k)
    return groups


def _column(sets: list[dict[str, Any]], members: list[int], name: str, dtype=np.float64):
    return np.array([sets[k][name] for k in members], dtype=dtype)


def _symbol_stats(
    arrays: tuple[np.ndarray, ...],
    bpy: float,
    days: float,
    strategy: Strategy,
    sets: list[dict[str, Any]],
    options: dict[str, Any],
    checkpoint: Checkpoint | None,
) -> np.ndarray:
    """(len(sets), N_STATS) stats for one symbol's arrays."""
    o, h, lo, c, v = arrays
    n, m = len(c), len(sets)
    out = np.empty((m, N_STATS))
    opts = kernel_options(options, buy_hold=c[-1] / c[0] - 1.0, bars_per_year=bpy, days=days)
    done = 0
    if strategy.ref not in (_BREAKOUT_REF, _LONG_CANDLE_REF):
        for k, p in enumerate(sets):
            signals = strategy.compute_signals(o, h, lo, c, v, p)
            hold = np.array([int(p.get("hold_period_bars", 1))], dtype=np.int64)
            sweep_signals_nb(o, h, lo, c, signals[None, :], hold, opts, out[k : k + 1])
            done += 1
            if checkpoint is not None and done < m:
                checkpoint(done / m)
        return out
    for (window, bins, wicks, ma_window), members in _groups(sets).items():
        # the shared work first (in chunks, with checkpoints), then every set of the group
        chunk = chunk_size_for(strategy, sets[members[0]], n)
        if strategy.ref == _BREAKOUT_REF:
            tps = np.unique(_column(sets, members, "top_percentile"))
            shared = np.empty((len(tps), n))
        else:
            shared = np.empty(n)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            if strategy.ref == _BREAKOUT_REF:
                volume_zone_resistance_multi_nb(
                    o, h, lo, c, v, int(window), tps, int(bins), bool(wicks), start, stop, shared
                )
            else:
                mean_volumes_nb(v, int(ma_window), start, stop, shared)
            if checkpoint is not None and stop < n:
                checkpoint((done + len(members) * stop / n / 2) / m)
        holds = _column(sets, members, "hold_period_bars", np.int64)
        block = np.empty((len(members), N_STATS))
        if strategy.ref == _BREAKOUT_REF:
            tp_index = np.searchsorted(tps, _column(sets, members, "top_percentile"))
            buffers = _column(sets, members, "breakout_buffer")
            sweep_breakout_nb(o, h, lo, c, shared, tp_index, buffers, holds, opts, block)
        else:
            multipliers = _column(sets, members, "vol_multiplier")
            body_pcts = _column(sets, members, "body_pct")
            sweep_long_candle_nb(o, h, lo, c, v, shared, multipliers, body_pcts, holds, opts, block)
        out[np.asarray(members, dtype=np.int64)] = block
        done += len(members)
        if checkpoint is not None and done < m:
            checkpoint(done / m)
    return out


def _chunks(sets: list[dict[str, Any]], n_workers: int) -> list[list[int]]:
    """Set indices cut into work units, keeping sets that share a volume profile together.

    With at least as many profile groups as workers, whole groups are dealt to
    ``n_workers`` units (largest first, to the lightest unit); otherwise the sets are cut
    into ``n_workers`` equal units.
    """
    groups = _groups(sets)
    if len(groups) >= n_workers:
        units: list[list[int]] = [[] for _ in range(n_workers)]
        for members in sorted(groups.values(), key=len, reverse=True):
            min(units, key=len).extend(members)
        return [sorted(u) for u in units if u]
    order = [k for members in groups.values() for k in members]
    parts = np.array_split(np.asarray(order, dtype=np.int64), min(n_workers, len(order)))
    return [sorted(c.tolist()) for c in parts if len(c)]


def _frames(candles: pd.DataFrame | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if isinstance(candles, Mapping):
        if not candles:
            raise CandleError("candles mapping is empty; pass at least one symbol")
        return {str(k): v for k, v in candles.items()}
    return {str(candles.attrs.get("symbol") or "candles"): candles}


def sweep_stats(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: str | Strategy,
    param_sets: Sequence[Mapping[str, Any]],
    *,
    checkpoint: Checkpoint | None = None,
    **options: Any,
) -> pd.DataFrame:
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
    **options
        Engine options (:func:`vzb.engine.validate_options`).

    Returns
    -------
    DataFrame
        One row per set and symbol (symbol-major, sets in the given order): the
        parameter columns, ``"symbol"``, then the stats columns (no Start/End/Duration).

    Examples
    --------
    >>> import vzb
    >>> sets = parameter_sets("volume_zone_breakout", {"volume_window": [10, 20]})
    >>> table = sweep_stats(vzb.load_sample("BTC_USD"), "volume_zone_breakout", sets)
    >>> table[["volume_window", "symbol"]].values.tolist()
    [[10, 'BTC_USD'], [20, 'BTC_USD']]
    """
    opts = validate_options(**options)
    strat = get_strategy(strategy)
    sets = [strat.validate(p) for p in param_sets]
    frames = _frames(candles)
    blocks = []
    n_sym = len(frames)
    for s, (symbol, frame) in enumerate(frames.items()):
        arrays = candle_arrays(frame, symbol=symbol)  # checks order and finite values
        if len(arrays[0]) == 0:
            raise CandleError(f"candles for {symbol!r} are empty")
        cp = None
        if checkpoint is not None:

            def cp(done: float, s: int = s) -> None:
                checkpoint((s + done) / n_sym)

        values = _symbol_stats(
            arrays,
            bars_per_year(frame.index),
            calendar_days(frame.index),
            strat,
            sets,
            opts,
            cp,
        )
        blocks.append((symbol, values))
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
        return pd.DataFrame(columns=[*names, "symbol", *STAT_NAMES])
    return pd.concat(parts, ignore_index=True)


def sweep(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: str | Strategy,
    grid: Mapping[str, Any],
    *,
    n_iter: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    **options: Any,
) -> pd.DataFrame:
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
    **options
        Engine options (:func:`vzb.engine.validate_options`).

    Returns
    -------
    DataFrame
        Same layout and values as :func:`sweep_stats`, whatever the backend.

    Examples
    --------
    >>> import vzb
    >>> table = vzb.sweep(vzb.load_sample("BTC_USD"), "volume_zone_breakout",
    ...                   {"volume_window": [10, 20], "hold_period_bars": [1, 3]})
    >>> len(table)
    4
    """
    strat = get_strategy(strategy)
    validate_options(**options)
    sets = parameter_sets(strat, grid, n_iter=n_iter, seed=seed)
    if (n_jobs is None or n_jobs == 1) and backend is None:
        return sweep_stats(candles, strat, sets, **options)
    import joblib

    n_workers = joblib.effective_n_jobs(n_jobs) if n_jobs is not None else 2
    ref = strat.name if strat.ref.startswith("vzb.") else strat.ref
    chunks = _chunks(sets, n_workers)
    frames = _frames(candles)
    with joblib.parallel_config(backend=backend or "loky", n_jobs=n_jobs or n_workers):
        parts = joblib.Parallel()(
            joblib.delayed(sweep_stats)(frames, ref, [sets[k] for k in chunk], **options)
            for chunk in chunks
        )
    # restore the in-process order: symbol-major, sets in grid order
    n_sym = len(frames)
    rows = []
    for chunk, part in zip(chunks, parts, strict=True):
        m = len(chunk)
        for s in range(n_sym):
            block = part.iloc[s * m : (s + 1) * m].copy()
            block["_set"] = chunk
            block["_sym"] = s
            rows.append(block)
    table = pd.concat(rows, ignore_index=True).sort_values(["_sym", "_set"], kind="stable")
    return table.drop(columns=["_set", "_sym"]).reset_index(drop=True)
