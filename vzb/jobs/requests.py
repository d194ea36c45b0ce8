"""Checking a submit request and turning it into a task spec (plain data for the store).

Everything checkable is checked here, before anything is stored: the strategy and its
parameters, the symbols (against the catalog, for the timeframe), the dates, the
timeframe and the engine options. A bad request raises a :class:`~vzb.errors.VzbError`
subclass naming the argument and the fix.

>>> spec = backtest_spec("volume_zone_breakout", {"volume_window": 10}, "BTC_USD")
>>> spec["symbols"], spec["params"]["volume_window"], spec["timeframe"]
(['BTC_USD'], 10, '1d')
>>> backtest_spec("volume_zone_breakout", None, "BTC_USD", start="31/31/2020")
Traceback (most recent call last):
...
vzb.errors.ParameterError: start='31/31/2020' is not a date; write it like '2021-01-31'
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vzb.errors import ParameterError, UnknownSymbolError
from vzb.jobs.units import plain_data, resolve_function

__all__ = ["backtest_spec", "market_spec", "sweep_spec", "units_spec"]


def market_spec(
    strategy: str,
    symbols: str | Sequence[str],
    start: Any = None,
    end: Any = None,
    timeframe: str = "1d",
    data_dir: str | os.PathLike | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict:
    """The part every backtest and sweep spec shares: strategy, market and engine options.

    Raises
    ------
    ParameterError
        Unknown strategy, empty symbols, bad timeframe, dates or engine option.
    UnknownSymbolError
        A symbol the catalog does not hold for this timeframe.

    Examples
    --------
    >>> spec = market_spec("volume_zone_breakout", ["BTC_USD", "BTC_USD"], start="2019-01-01")
    >>> spec["symbols"], spec["start"]
    (['BTC_USD'], '2019-01-01T00:00:00+00:00')
    """
    from vzb.data import TIMEFRAMES, list_symbols
    from vzb.engine import validate_options
    from vzb.strategies import get_strategy

    get_strategy(strategy)
    if timeframe not in TIMEFRAMES:
        raise ParameterError(f"timeframe={timeframe!r} is not one of {list(TIMEFRAMES)}")
    symbols = list(dict.fromkeys([symbols] if isinstance(symbols, str) else symbols))
    if not symbols:
        raise ParameterError("symbols is empty: give at least one symbol, e.g. 'BTC_USD'")
    catalog = list_symbols(data_dir)
    have = catalog.loc[catalog["timeframe"] == timeframe, "symbol"].tolist()
    for symbol in symbols:
        if symbol not in have:
            raise UnknownSymbolError(
                f"No {timeframe} candles for symbol {symbol!r}; available: {sorted(set(have))} "
                "(add CSV files to data_dir or $VZB_DATA_DIR)"
            )
    first, last = _date("start", start), _date("end", end)
    if first is not None and last is not None and first >= last:
        raise ParameterError(f"start={start!r} must be before end={end!r}")
    return {
        "strategy": strategy,
        "symbols": symbols,
        "start": None if first is None else first.isoformat(),
        "end": None if last is None else last.isoformat(),
        "timeframe": timeframe,
        "options": plain_data(validate_options(**(options or {}))),
        # resolved now: workers may have been started before $VZB_DATA_DIR changed
        "data_dir": os.fspath(data_dir) if data_dir else os.environ.get("VZB_DATA_DIR"),
    }


def backtest_spec(
    strategy: str,
    params: Mapping[str, Any] | None,
    symbols: str | Sequence[str],
    start: Any = None,
    end: Any = None,
    timeframe: str = "1d",
    data_dir: str | os.PathLike | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict:
    """A checked backtest spec: :func:`market_spec` plus the full, validated ``params``."""
    from vzb.strategies import get_strategy

    spec = market_spec(strategy, symbols, start, end, timeframe, data_dir, options)
    spec["params"] = plain_data(get_strategy(strategy).validate(params))
    return spec


def sweep_spec(
    strategy: str,
    grid: Mapping[str, Any],
    symbols: str | Sequence[str],
    *,
    n_iter: int | None = None,
    seed: int | None = None,
    start: Any = None,
    end: Any = None,
    timeframe: str = "1d",
    chunk_size: int | None = None,
    workers: int = 1,
    data_dir: str | os.PathLike | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[dict, list[dict]]:
    """A checked sweep spec and its parameter sets (validated, in grid order).

    ``workers`` is kept in the spec: the default unit sizes depend on it, and a runner
    that resumes the task must cut the same units.

    >>> spec, sets = sweep_spec("volume_zone_breakout", {"volume_window": [10, 20]}, "BTC_USD")
    >>> spec["n_sets"], [s["volume_window"] for s in sets]
    (2, [10, 20])
    """
    from vzb.engine import parameter_sets

    spec = market_spec(strategy, symbols, start, end, timeframe, data_dir, options)
    grid = plain_data(dict(grid))
    sets = parameter_sets(strategy, grid, n_iter=n_iter, seed=seed)
    if not sets:
        raise ParameterError(f"grid={grid!r} gives no parameter sets; give each a value")
    if chunk_size is not None and int(chunk_size) < 1:
        raise ParameterError(f"chunk_size={chunk_size!r} must be at least 1")
    spec.update(
        grid=grid,
        n_iter=n_iter,
        seed=seed,
        chunk_size=None if chunk_size is None else int(chunk_size),
        n_sets=len(sets),
        workers=int(workers),
    )
    return spec, sets


def units_spec(function: str, kwargs: Iterable[Mapping[str, Any]], description: str = "") -> dict:
    """A checked spec for custom units: an importable function and one kwargs dict each.

    >>> units_spec("vzb.jobs.units:sleep", [{"seconds": 0}])["units"]
    [{'seconds': 0}]
    """
    resolve_function(function)
    units = [plain_data(dict(k)) for k in kwargs]
    if not units:
        raise ParameterError("kwargs is empty: give at least one unit")
    return {"function": function, "units": units, "description": description}


def _date(name: str, value: Any):
    """``value`` as a UTC Timestamp (naive dates are taken as UTC), or None."""
    import pandas as pd

    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise ParameterError(f"{name}={value!r} is not a date; write it like '2021-01-31'")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
