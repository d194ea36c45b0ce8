"""Direct runs recorded when configured: ``vzb.configure(record="always")`` (or
``VZB_RECORD=always``) records every ``vzb.backtest``, ``vzb.sweep`` and
``vzb.walk_forward`` called from the top-level API, with the candles it was given.

The top package hands out :func:`recorded` wrappers of those three functions; with the
default ``record="ask"`` a wrapper only calls through. Calls inside vzb (a walk-forward's
backtests, a job's units) go to the engine directly and are never recorded on their own.

>>> import vzb
>>> from vzb.engine import backtest
>>> wrapped = recorded(backtest)
>>> wrapped.__wrapped__ is backtest, wrapped.__doc__ == backtest.__doc__
(True, True)
"""

from __future__ import annotations

import functools
import inspect
import time
import warnings
from collections.abc import Callable
from typing import Any

from vzb.results.settings import record_mode

__all__ = ["recorded"]


def recorded(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a backtest, sweep or walk-forward), recording its result when the
    record mode is ``"always"``; a failed recording warns and never loses the result."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if record_mode() != "always":
            return function(*args, **kwargs)
        started = time.perf_counter()
        out = function(*args, **kwargs)
        duration = time.perf_counter() - started
        try:
            _record_call(signature, args, kwargs, out, duration)
        except Exception as exc:
            warnings.warn(f"Run not recorded ({type(exc).__name__}: {exc})", stacklevel=2)
        return out

    return wrapper


def _record_call(signature, args, kwargs, out, duration: float) -> None:
    from vzb.results.records import record

    call = signature.bind(*args, **kwargs).arguments
    result = out[0] if isinstance(out, tuple) else out  # sweep(..., returns=True)
    options = None
    if "grid" in call and hasattr(result, "attrs"):  # a sweep table: its full options
        from vzb.engine.options import validate_options

        options = validate_options(**dict(call.get("options") or {}))
    record(
        result, candles=call.get("candles"), strategy=call.get("strategy"),
        grid=call.get("grid"), options=options, duration=duration,
    )  # fmt: skip
