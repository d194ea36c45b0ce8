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
    *,
    index_cache: dict | None = None,
) -> dict:
    """The part every backtest and sweep spec shares: strategy, market and engine options.

    Symbols are spelt as the catalog spells them (``"btc/usd"`` -> ``"BTC_USD"``). The
    strategy is stored so that a worker process finds it: a built-in by its name, a user
    strategy by its import path (``Strategy.ref``), as :func:`vzb.sweep` hands it over.
    Each symbol must have candles between ``start`` and ``end`` (both inclusive, a
    date-only ``end`` covers its whole day, as :func:`vzb.load_candles` reads them).
    ``index_cache`` (a dict kept by the caller) holds each symbol's candle timestamps, so
    that only the first request for a symbol and timeframe reads its candles.

    Raises
    ------
    ParameterError
        Unknown strategy, empty symbols, bad timeframe, dates or engine option.
    UnknownSymbolError
        A symbol the catalog does not hold for this timeframe, or has no candles for
        between ``start`` and ``end`` (the catalog's message).

    Examples
    --------
    >>> import pandas as pd
    >>> spec = market_spec("volume_zone_breakout", ["BTC_USD", "btc/usd"], start="2019-01-01",
    ...                    end=pd.Timestamp("2019-06-30"))
    >>> spec["symbols"], spec["start"], spec["end"]
    (['BTC_USD'], '2019-01-01', '2019-06-30T00:00:00+00:00')
    >>> market_spec("volume_zone_breakout", "BTC_USD", start="2030-01-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.UnknownSymbolError: No BTC_USD 1d candles between 2030-01-01 and None; ...
    """
    from vzb.data import TIMEFRAMES, list_symbols, normalize_symbol
    from vzb.engine import validate_options
    from vzb.strategies import get_strategy

    strat = get_strategy(strategy)
    if timeframe not in TIMEFRAMES:
        raise ParameterError(f"timeframe={timeframe!r} is not one of {list(TIMEFRAMES)}")
    given = [symbols] if isinstance(symbols, str) else list(symbols)
    symbols = list(dict.fromkeys(normalize_symbol(s) for s in given))
    if not symbols:
        raise ParameterError("symbols is empty: give at least one symbol, e.g. 'BTC_USD'")
    # resolved now: workers may have been started before $VZB_DATA_DIR changed
    data_dir = os.fspath(data_dir) if data_dir else os.environ.get("VZB_DATA_DIR")
    catalog = list_symbols(data_dir)
    here = catalog[catalog["timeframe"] == timeframe]
    sources = dict(zip(here["symbol"], here["source"], strict=True))
    for symbol in symbols:
        if symbol not in sources:
            raise UnknownSymbolError(
                f"No {timeframe} candles for symbol {symbol!r}; available: {sorted(sources)} "
                "(add CSV files to data_dir or $VZB_DATA_DIR)"
            )
    first, last = _date("start", start), _date("end", end)
    for symbol in symbols:
        key = (symbol, timeframe, data_dir, _version(catalog, symbol, sources[symbol]))
        _check_range(key, start, end, first, last, index_cache)
    return {
        "strategy": strat.name if strat.ref.startswith("vzb.") else strat.ref,
        "symbols": symbols,
        # a string as given: the workers' catalog reads "2019-10-16" as that whole day
        "start": start if first is None or isinstance(start, str) else first.isoformat(),
        "end": end if last is None or isinstance(end, str) else last.isoformat(),
        "timeframe": timeframe,
        "options": plain_data(validate_options(**(options or {}))),
        "data_dir": data_dir,
    }


def _version(catalog, symbol: str, source: str) -> tuple:
    """What the candles of ``symbol`` come from: its file and the time it was last changed."""
    if source.startswith("resampled from "):
        finer = catalog[(catalog["symbol"] == symbol) & (catalog["timeframe"] == source[15:])]
        source = finer["source"].iloc[0]
    try:
        return (source, os.stat(source).st_mtime_ns)
    except OSError:  # "bundled"
        return (source, None)


def _check_range(key: tuple, start: Any, end: Any, first, last, cache: dict | None) -> None:
    """Raise the catalog's error when ``key``'s candles have none between the dates."""
    from vzb.data import load_candles

    symbol, timeframe, data_dir, _ = key
    index = cache.get(key) if cache is not None else None
    if index is None:
        index = load_candles(symbol, timeframe, data_dir=data_dir).index
        if cache is not None:
            cache[key] = index
    # candles at the dates themselves: inside the catalog's range, which can only be wider
    # (a date-only end covers its day); anything else is left to the catalog to judge
    lower = 0 if first is None else index.searchsorted(first, side="left")
    upper = len(index) if last is None else index.searchsorted(last, side="right")
    if upper <= lower:
        load_candles(symbol, timeframe, start, end, data_dir=data_dir)  # raises if empty


def backtest_spec(
    strategy: str, params: Mapping[str, Any] | None, symbols: str | Sequence[str], **market
) -> dict:
    """A checked backtest spec: :func:`market_spec` (``market``: its other arguments) plus
    the full, validated ``params``."""
    from vzb.strategies import get_strategy

    spec = market_spec(strategy, symbols, **market)
    spec["params"] = plain_data(get_strategy(strategy).validate(params))
    return spec


def sweep_spec(
    strategy: str,
    grid: Mapping[str, Any],
    symbols: str | Sequence[str],
    *,
    n_iter: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    **market,
) -> tuple[dict, list[dict]]:
    """A checked sweep spec and its parameter sets (validated, in grid order);
    ``market``: the other arguments of :func:`market_spec`.

    ``workers`` is kept in the spec: the default unit sizes depend on it, and a runner
    that resumes the task must cut the same units. So is the ``seed`` of a random draw
    (``n_iter``): when none is given one is drawn here, and every later step (cutting
    units, combining them, resuming the task) draws the same sets from it.

    >>> spec, sets = sweep_spec("volume_zone_breakout", {"volume_window": [10, 20]}, "BTC_USD")
    >>> spec["n_sets"], [s["volume_window"] for s in sets]
    (2, [10, 20])
    """
    import numpy as np

    from vzb.engine import parameter_sets

    spec = market_spec(strategy, symbols, **market)
    grid = plain_data(dict(grid))
    if n_iter is not None and seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    sets = parameter_sets(spec["strategy"], grid, n_iter=n_iter, seed=seed)
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
