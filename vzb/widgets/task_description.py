"""A task described on one line, in the words a researcher reads it: kind, strategy,
symbols, timeframe, the parameters that differ from the defaults, costs and dates.

>>> describe_task({"kind": "sweep", "spec": {"strategy": "my_strategy",
...     "symbols": ["BTC_USD", "ETH_USD"], "timeframe": "1h",
...     "grid": {"window": [10, 20, 40, 80], "share": [0.1, 0.2]}}})
'sweep my_strategy BTC_USD,ETH_USD 1h window=[10..80]x4 share=[0.1,0.2]'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

__all__ = ["describe_task"]

_MAX_PARAMS_SHOWN = 4
_COST_OPTIONS = ("fees", "slippage", "stop_loss", "take_profit")
_MAX_SYMBOLS_SHOWN = 3


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        if len(value) > 3:
            return f"[{_format_value(value[0])}..{_format_value(value[-1])}]x{len(value)}"
        return "[" + ",".join(_format_value(v) for v in value) + "]"
    return str(value)


@functools.lru_cache(maxsize=64)
def _defaults(strategy: str) -> tuple[tuple[str, Any], ...]:
    try:
        from vzb.strategies import get_strategy

        parameters = get_strategy(strategy).parameters
    except Exception:  # an unknown or unimportable strategy: show every parameter
        return ()
    return tuple((name, p.default) for name, p in parameters.items())


def _non_default(strategy: str | None, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parameters that differ from the strategy's defaults (the ones worth reading)."""
    defaults = dict(_defaults(strategy)) if strategy else {}
    if not defaults:
        return params
    return {k: v for k, v in params.items() if k not in defaults or defaults[k] != v}


def describe_task(record: Mapping[str, Any]) -> str:
    """Kind, strategy, symbols, timeframe and key parameters of a task record, on one line.

    Parameters
    ----------
    record : Mapping
        A task record (``kind`` and ``spec`` are read; missing fields are tolerated).

    Returns
    -------
    str

    Examples
    --------
    >>> describe_task({"kind": "units", "spec": {"function": "pkg.mod:work",
    ...     "units": [{}, {}], "description": "long demo task"}})
    'long demo task (2 units)'
    """
    spec = record.get("spec") or {}
    parts = [str(record.get("kind") or "task")]
    if spec.get("function"):  # your own units: say what they do
        units = spec.get("units") or []
        plural = "" if len(units) == 1 else "s"
        return f"{spec.get('description') or spec['function']} ({len(units)} unit{plural})"
    if spec.get("strategy"):
        parts.append(str(spec["strategy"]))
    symbols = spec.get("symbols") or []
    if isinstance(symbols, str):
        symbols = [symbols]
    if symbols:
        shown = ",".join(str(s) for s in symbols[:_MAX_SYMBOLS_SHOWN])
        if len(symbols) > _MAX_SYMBOLS_SHOWN:
            shown += f"+{len(symbols) - _MAX_SYMBOLS_SHOWN}"
        parts.append(shown)
    if spec.get("timeframe") and spec.get("timeframe") != "1d":
        parts.append(str(spec["timeframe"]))
    if record.get("kind") == "sweep":
        params = spec.get("grid") or {}
    else:
        params = _non_default(spec.get("strategy"), spec.get("params") or {})
    if isinstance(params, Mapping):
        items = list(params.items())
        shown = [f"{k}={_format_value(v)}" for k, v in items[:_MAX_PARAMS_SHOWN]]
        if len(items) > _MAX_PARAMS_SHOWN:
            shown.append(f"+{len(items) - _MAX_PARAMS_SHOWN} more")
        parts.append(" ".join(shown))
    options = spec.get("options") or {}
    costs = [f"{k}={_format_value(options[k])}" for k in _COST_OPTIONS if options.get(k)]
    if spec.get("start") or spec.get("end"):
        from vzb.data.times import describe_range  # loads pandas: only for dated tasks

        costs.append(describe_range(spec.get("start") or None, spec.get("end") or None))
    if costs:
        parts.append(" ".join(costs))
    if record.get("kind") == "sweep" and spec.get("n_iter"):
        parts.append(f"n_iter={spec['n_iter']}")
    return " ".join(p for p in parts if p)
