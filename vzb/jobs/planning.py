"""Planning: a task spec -> its work units (plain data, deterministic).

A backtest is one unit per symbol; a sweep is one unit per chunk of parameter sets (all
symbols each); custom units are one per kwargs dict. The same spec always gives the same
units, so a runner that resumes a task keeps the units another runner finished.

>>> units = build_units("units", {"function": "vzb.jobs.units:sleep",
...                               "units": [{"seconds": 0}, {"seconds": 0}]})
>>> len(units), units[0]["function"]
(2, 'vzb.jobs.units:sleep')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["build_units"]


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
    if kind not in ("backtest", "sweep"):
        raise ValueError(f"Unknown task kind {kind!r}; use 'backtest', 'sweep' or 'units'")
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
