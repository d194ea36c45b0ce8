"""Sweep planning: a grid -> parameter sets -> groups that share work -> units for workers.

Pure Python over the strategy contract (no numba, no pandas), so the job layer can plan
a task the moment it is submitted. Sets with equal :meth:`Strategy.share_key` share one
precomputed state in the engine (the breakout's volume profile); their cost per bar is
:meth:`Strategy.cost`.

>>> from vzb.strategies import DEFAULT_STRATEGY, get_strategy
>>> breakout = get_strategy(DEFAULT_STRATEGY)
>>> sets = [breakout.validate({"volume_window": w, "top_percentile": p})
...         for w in (10, 20) for p in (0.1, 0.2)]
>>> list(share_groups(breakout, sets).values())
[[0, 1], [2, 3]]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from vzb.errors import ParameterError
from vzb.strategies.contract import Strategy
from vzb.strategies.registry import get_strategy

__all__ = ["MIN_UNIT_WORK", "SHORTEST", "parameter_sets", "share_groups", "sweep_units"]

#: Runs (one parameter set on one symbol of daily candles) in the smallest sweep unit:
#: about 0.25 s of work, enough that a unit's fixed cost (saving its table, a few store
#: writes, the hand-over to a worker) stays small beside it.
MIN_UNIT_WORK = 2000
#: Sweep units shrink down to ``1 / (SHORTEST * workers)`` of the parameter sets.
SHORTEST = 32
_GOLDEN = (5**0.5 - 1) / 2


def share_groups(strategy: Strategy, sets: Sequence[Mapping[str, Any]]) -> dict[tuple, list[int]]:
    """Set indices grouped by :meth:`Strategy.share_key`, in first-seen order."""
    groups: dict[tuple, list[int]] = {}
    for k, params in enumerate(sets):
        groups.setdefault(strategy.share_key(params), []).append(k)
    return groups


def sweep_units(
    strategy: Strategy,
    sets: Sequence[Mapping[str, Any]],
    *,
    workers: int = 1,
    symbols: int = 1,
    bars_per_day: float = 1.0,
    chunk_size: int | None = None,
) -> list[list[int]]:
    """Cut a sweep's parameter sets into units: lists of indices into ``sets``.

    Sets that share work stay together. Their cost differs a lot (a 400-bar window costs
    several times a 10-bar one), so:

    - a small sweep (under ``workers * MIN_UNIT_WORK`` runs of one set on one symbol of
      daily candles; a run on hourly candles, ``bars_per_day=24``, counts 24) is dealt
      into one unit per worker, heaviest groups first and turn about (0, 1, 1, 0, ...),
      which evens out the workers: more units would only add fixed costs;
    - otherwise the groups are mixed (golden-ratio order: every stretch holds heavy and
      light ones alike) and cut into units of ``chunk_size`` sets or, by default, units
      that shrink as the sweep goes on (guided scheduling): each takes
      ``1 / (2 * workers)`` of the sets still left, down to ``1 / (SHORTEST * workers)``
      of them all and at least ``MIN_UNIT_WORK`` runs.

    >>> from vzb.strategies import DEFAULT_STRATEGY, get_strategy
    >>> breakout = get_strategy(DEFAULT_STRATEGY)
    >>> sets = [breakout.validate({"volume_window": w, "top_percentile": p})
    ...         for w in range(5, 505) for p in (0.1, 0.2)]
    >>> units = sweep_units(breakout, sets, workers=2, symbols=2, bars_per_day=24)
    >>> [len(u) for u in units]
    [250, 188, 141, 106, 79, 59, 45, 42, 42, 48]
    >>> windows = [sets[k]["volume_window"] for k in units[0]]
    >>> min(windows) < 20 and max(windows) > 490, sorted(sum(units, [])) == list(range(1000))
    (True, True)
    >>> [len(u) for u in sweep_units(breakout, sets[:100], workers=2)]
    [50, 50]
    >>> [len(u) for u in sweep_units(breakout, sets, chunk_size=400)]
    [400, 400, 200]
    """
    groups = share_groups(strategy, sets)
    heavy_first = sorted(
        groups.values(), key=lambda members: strategy.cost(sets[members[0]]), reverse=True
    )
    workers = max(int(workers), 1)
    per_set = max(int(symbols), 1) * bars_per_day  # runs, in daily terms
    least = math.ceil(MIN_UNIT_WORK / per_set)  # sets in the smallest unit
    if not chunk_size and len(sets) <= workers * least and len(groups) >= workers:
        dealt: list[list[int]] = [[] for _ in range(workers)]
        for i, members in enumerate(heavy_first):
            turn = i % (2 * workers)
            dealt[turn if turn < workers else 2 * workers - 1 - turn].extend(members)
        return [unit for unit in dealt if unit]
    mixed = sorted(range(len(heavy_first)), key=lambda i: (i * _GOLDEN) % 1.0)
    order = [k for i in mixed for k in heavy_first[i]]
    if chunk_size or len(sets) <= workers * least:  # fixed size, or a few big groups
        size = int(chunk_size) if chunk_size else math.ceil(len(order) / workers)
        return [order[i : i + size] for i in range(0, len(order), size)]
    shortest = max(least, math.ceil(len(order) / (SHORTEST * workers)))
    units, start = [], 0
    while start < len(order):
        end = start + max(shortest, math.ceil((len(order) - start) / (2 * workers)))
        if len(order) - end < shortest / 2:  # no tiny unit at the very end
            end = len(order)
        units.append(order[start:end])
        start = end
    return units


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
    >>> from vzb.strategies import DEFAULT_STRATEGY
    >>> sets = parameter_sets(DEFAULT_STRATEGY, {"volume_window": [10, 20], "num_bins": 10})
    >>> [(s["volume_window"], s["num_bins"]) for s in sets]
    [(10, 10), (20, 10)]
    >>> grid = {"volume_window": range(5, 50)}
    >>> len(parameter_sets(DEFAULT_STRATEGY, grid, n_iter=5, seed=1))
    5
    """
    strat = get_strategy(strategy)
    if not isinstance(grid, Mapping):
        raise ParameterError(f"grid must be a mapping of parameter -> values, not {type(grid)}")
    names = list(grid)
    axes = []
    for name in names:
        values = grid[name]
        if isinstance(values, str) or not _is_listlike(values):
            values = [values]
        values = list(values)
        if not values:
            raise ParameterError(f"grid[{name!r}] is empty; give at least one value")
        axes.append([strat.validate({name: v})[name] for v in values])
    sizes = [len(a) for a in axes]
    total = math.prod(sizes)
    if n_iter is None or n_iter >= total:
        combos = itertools.product(*axes)
    else:
        if n_iter < 1:
            raise ParameterError(f"n_iter={n_iter} must be >= 1")
        import numpy as np  # only for a random draw

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


def _is_listlike(values: Any) -> bool:
    """A sequence, range or numpy array (checked without importing numpy)."""
    return isinstance(values, Sequence | range) or (
        type(values).__module__ == "numpy" and (getattr(values, "ndim", 0) >= 1)
    )
