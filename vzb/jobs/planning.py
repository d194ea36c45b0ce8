"""Planning: a task spec -> its work units (plain data, deterministic).

A backtest is one unit per symbol; a sweep is one unit per chunk of parameter sets (all
symbols each); a walk-forward is a sweep per fold on its training window plus one over
all the candles (see :func:`walk_forward_units`); custom units are one per kwargs dict.
The same spec always gives the same units, so a runner that resumes a task keeps the
units another runner finished.

>>> units = build_units("units", {"function": "vzb.jobs.units:sleep",
...                               "units": [{"seconds": 0}, {"seconds": 0}]})
>>> len(units), units[0]["function"]
(2, 'vzb.jobs.units:sleep')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["build_units", "load_market", "walk_forward_units"]


def build_units(
    kind: str, spec: Mapping[str, Any], *, sets: Sequence[Mapping[str, Any]] | None = None
) -> list[dict]:
    """Split a task spec into unit descriptions ``{"function", "kwargs"}`` (deterministic).

    ``sets``: a sweep's parameter sets when the caller has them already. A sweep is cut
    by :func:`vzb.engine.plan.sweep_units` (sets that share work stay together, units
    shrink as the sweep goes on); each unit also carries ``set_indices``, the positions
    of its sets in the sweep.

    Raises
    ------
    ValueError
        An unknown kind, or a sweep spec stored by a vzb that cut units differently.
    """
    if kind == "units":
        return [{"function": spec["function"], "kwargs": dict(k)} for k in spec["units"]]
    if kind == "walk_forward":
        return walk_forward_units(spec, sets=sets)
    if kind not in ("backtest", "sweep"):
        raise ValueError(
            f"Unknown task kind {kind!r}; use 'backtest', 'sweep', 'walk_forward' or 'units'"
        )
    common = {
        "timeframe": spec.get("timeframe", "1d"),
        "start": spec.get("start"),
        "end": spec.get("end"),
        "options": spec.get("options") or {},
        "data_dir": spec.get("data_dir"),
    }
    if kind == "backtest":
        params = spec.get("params")
        return [
            {
                "function": "vzb.jobs.units:backtest_symbol",
                "kwargs": {"strategy": spec["strategy"], "params": params, "symbol": s, **common},
            }
            for s in spec["symbols"]
        ]
    if "workers" not in spec:
        raise ValueError(
            "This sweep was stored by an older vzb, which cut its units differently: "
            "submit it again"
        )
    from vzb.data.timeframes import bars_per_year
    from vzb.engine.plan import sweep_units
    from vzb.strategies.registry import get_strategy

    strategy = get_strategy(spec["strategy"])
    if sets is None:
        from vzb.engine.plan import parameter_sets

        sets = parameter_sets(
            strategy, spec["grid"], n_iter=spec.get("n_iter"), seed=spec.get("seed")
        )
    chunks = sweep_units(
        strategy,
        sets,
        workers=spec["workers"],
        symbols=len(spec["symbols"]),
        bars_per_day=bars_per_year(spec.get("timeframe") or "1d") / 365,
        chunk_size=spec.get("chunk_size"),
    )
    return [
        {
            "function": "vzb.jobs.units:sweep_chunk",
            "kwargs": {
                "strategy": spec["strategy"],
                "param_sets": [sets[k] for k in chunk],
                "symbols": list(spec["symbols"]),
                **common,
            },
            "set_indices": chunk,
        }
        for chunk in chunks
    ]


def load_market(spec: Mapping[str, Any]) -> dict:
    """The candles of a task spec, symbol -> DataFrame, as its units read them."""
    from vzb.data.catalog import load_candles

    return {
        s: load_candles(
            s,
            spec.get("timeframe", "1d"),
            spec.get("start"),
            spec.get("end"),
            data_dir=spec.get("data_dir"),
        )
        for s in spec["symbols"]
    }


def _sweep_chunks(spec: Mapping[str, Any], strategy, sets, n_symbols: int) -> list[list[int]]:
    from vzb.data.timeframes import bars_per_year
    from vzb.engine.plan import sweep_units

    return sweep_units(
        strategy,
        sets,
        workers=spec["workers"],
        symbols=n_symbols,
        bars_per_day=bars_per_year(spec.get("timeframe") or "1d") / 365,
        chunk_size=spec.get("chunk_size"),
    )


def walk_forward_units(
    spec: Mapping[str, Any],
    *,
    sets: Sequence[Mapping[str, Any]] | None = None,
    frames: Mapping[str, Any] | None = None,
) -> list[dict]:
    """The units of a walk-forward: for each fold, its training sweep cut into chunks of
    parameter sets (:func:`vzb.engine.plan.sweep_units`), each loading only the candles
    of ``[train start, train stop)`` and not counted as trials; then the sweep over all
    the candles (counted), which also gives every set's per-bar returns.

    Each unit carries ``fold`` (0: all the candles) and ``set_indices``. Reads the
    candles (``frames``, if the caller has them) to cut the folds.

    Raises
    ------
    ParameterError
        Windows that cannot fit the candles, as :func:`vzb.analysis.folds.split_folds`.
    """
    from vzb.analysis.folds import split_folds
    from vzb.analysis.walkforward import training_symbols, union_index
    from vzb.engine.plan import parameter_sets
    from vzb.strategies.registry import get_strategy

    strategy = get_strategy(spec["strategy"])
    if sets is None:
        sets = parameter_sets(
            strategy, spec["grid"], n_iter=spec.get("n_iter"), seed=spec.get("seed")
        )
    frames = load_market(spec) if frames is None else frames
    index = union_index(frames)
    folds = split_folds(
        index, spec["train"], spec["test"], step=spec.get("step"),
        anchored=spec.get("anchored", False), purge=spec.get("purge", 0),
    )  # fmt: skip
    common = {
        "strategy": spec["strategy"],
        "timeframe": spec.get("timeframe", "1d"),
        "options": spec.get("options") or {},
        "data_dir": spec.get("data_dir"),
    }
    units = []
    for fold in folds:
        symbols = training_symbols(frames, index, fold)
        first = index[fold.train.start].isoformat()
        last = index[fold.train.stop - 1].isoformat()  # inclusive: the bar before stop
        for chunk in _sweep_chunks(spec, strategy, sets, len(symbols)):
            units.append(
                {
                    "function": "vzb.jobs.units:sweep_chunk",
                    "kwargs": {
                        **common,
                        "param_sets": [sets[k] for k in chunk],
                        "symbols": symbols,
                        "start": first,
                        "end": last,
                        "count_trials": False,
                        "label": f"fold {fold.number}/{len(folds)}, training",
                    },
                    "set_indices": chunk,
                    "fold": fold.number,
                }
            )
    for chunk in _sweep_chunks(spec, strategy, sets, len(spec["symbols"])):
        units.append(
            {
                "function": "vzb.jobs.units:sweep_chunk",
                "kwargs": {
                    **common,
                    "param_sets": [sets[k] for k in chunk],
                    "symbols": list(spec["symbols"]),
                    "start": spec.get("start"),
                    "end": spec.get("end"),
                    "returns": True,
                    "label": "all candles",
                    "home": spec.get("home"),
                },
                "set_indices": chunk,
                "fold": 0,
            }
        )
    return units
