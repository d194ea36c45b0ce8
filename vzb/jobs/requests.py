"""Checking a submit request and turning it into a task spec (plain data for the store).

Everything checkable is checked here, before anything is stored: the strategy and its
parameters, the symbols (against the catalog, for the timeframe), the dates, the
timeframe and the engine options. A bad request raises a :class:`~vzb.errors.VzbError`
subclass naming the argument and the fix.

Checking is cheap: no numba, no strategy kernels, and ISO dates are read with
:meth:`datetime.fromisoformat`; candles are read only to check a date range, once per
symbol and file version (``index_cache``).

>>> from vzb.strategies.registry import DEFAULT_STRATEGY
>>> spec = backtest_spec(DEFAULT_STRATEGY, None, "btc/usd")
>>> spec["symbols"], spec["timeframe"], spec["start"]
(['BTC_USD'], '1d', None)
>>> backtest_spec(DEFAULT_STRATEGY, None, "BTC_USD", start="31/31/2020")
Traceback (most recent call last):
...
vzb.errors.ParameterError: start='31/31/2020' is not a date; write it like '2021-01-31'
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from vzb.errors import ParameterError, UnknownSymbolError
from vzb.jobs.record import plain_data
from vzb.jobs.worker import resolve_function

__all__ = ["backtest_spec", "market_spec", "sweep_spec", "units_spec", "walk_forward_spec"]


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
    check_candles: bool = True,
) -> dict:
    """The part every backtest and sweep spec shares: strategy, market and engine options.

    Symbols are spelt as the catalog spells them (``"btc/usd"`` -> ``"BTC_USD"``). The
    strategy is stored so that a worker process finds it (``strategy_ref``: a built-in by
    its name, a user strategy by its import path), as :func:`vzb.sweep` hands it over.
    With ``start`` or ``end``, each symbol must have candles between them (both
    inclusive, a date-only ``end`` covers its whole day, as :func:`vzb.load_candles`
    reads them). ``index_cache`` (a dict kept by the caller) holds each symbol's candle
    timestamps, so that only the first such request for a symbol reads its candles.
    ``check_candles=False`` leaves the catalog alone (a task that waits for a download:
    its units read the candles when it starts).

    Raises
    ------
    ParameterError
        Unknown strategy, empty symbols, bad timeframe, dates or engine option.
    UnknownSymbolError
        A symbol the catalog does not hold for this timeframe, or has no candles for
        between ``start`` and ``end`` (the catalog's message).

    Examples
    --------
    >>> from datetime import datetime
    >>> from vzb.strategies.registry import DEFAULT_STRATEGY as name
    >>> spec = market_spec(name, ["BTC_USD", "btc/usd"], start="2019-01-01",
    ...                    end=datetime(2019, 6, 30))
    >>> spec["symbols"], spec["start"], spec["end"]
    (['BTC_USD'], '2019-01-01', '2019-06-30T00:00:00+00:00')
    >>> market_spec(name, "BTC_USD", start="2030-01-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.UnknownSymbolError: No BTC_USD 1d candles from 2030-01-01; ... inside that range.
    """
    from vzb.data.sources import catalog_sources
    from vzb.data.symbols import normalize_symbol
    from vzb.data.timeframes import TIMEFRAMES
    from vzb.engine.options import validate_options
    from vzb.strategies.registry import get_strategy, strategy_ref

    strat = get_strategy(strategy)
    if timeframe not in TIMEFRAMES:
        raise ParameterError(f"timeframe={timeframe!r} is not one of {list(TIMEFRAMES)}")
    given = [symbols] if isinstance(symbols, str) else list(symbols)
    symbols = list(dict.fromkeys(normalize_symbol(s) for s in given))
    if not symbols:
        raise ParameterError("symbols is empty: give at least one symbol, e.g. 'BTC_USD'")
    # resolved now: workers may have been started before $VZB_DATA_DIR changed
    data_dir = os.fspath(data_dir) if data_dir else os.environ.get("VZB_DATA_DIR")
    entries = catalog_sources(data_dir) if check_candles else {}
    sources = {symbol: source for (symbol, tf), source in entries.items() if tf == timeframe}
    first, last = _date("start", start), _date("end", end)
    for symbol in symbols if check_candles else ():
        if symbol not in sources:
            raise UnknownSymbolError(
                f"No {timeframe} candles for symbol {symbol!r}; available: {sorted(sources)} "
                "(add CSV files to data_dir or $VZB_DATA_DIR)"
            )
    if check_candles and (first is not None or last is not None):
        for symbol in symbols:
            key = (symbol, timeframe, data_dir, _version(entries, symbol, sources[symbol]))
            _check_range(key, start, end, first, last, index_cache)
    return {
        "strategy": strategy_ref(strat),
        "symbols": symbols,
        # a string as given: the workers' catalog reads "2019-10-16" as that whole day
        "start": start if first is None or isinstance(start, str) else first.isoformat(),
        "end": end if last is None or isinstance(end, str) else last.isoformat(),
        "timeframe": timeframe,
        "options": plain_data(validate_options(**(options or {}))),
        "data_dir": data_dir,
    }


def _version(entries: dict, symbol: str, source: str) -> tuple:
    """What the candles of ``symbol`` come from: its file and the time it was last changed."""
    if source.startswith("resampled from "):
        source = entries[(symbol, source.removeprefix("resampled from "))]
    try:
        return (source, os.stat(source).st_mtime_ns)
    except OSError:  # "bundled"
        return (source, None)


def _check_range(key: tuple, start: Any, end: Any, first, last, cache: dict | None) -> None:
    """Raise the catalog's error when ``key``'s candles have none between the dates."""
    from vzb.data.catalog import load_candles

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
    from vzb.strategies.registry import get_strategy

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

    >>> from vzb.strategies.registry import DEFAULT_STRATEGY as name, get_strategy
    >>> first = next(iter(get_strategy(name).validate()))
    >>> spec, sets = sweep_spec(name, {first: [1, 2]}, "BTC_USD", n_iter=1)
    >>> spec["n_sets"], len(sets), isinstance(spec["seed"], int)
    (1, 1, True)
    """
    from vzb.engine.plan import parameter_sets

    spec = market_spec(strategy, symbols, **market)
    grid = plain_data(dict(grid))
    if n_iter is not None and seed is None:
        seed = secrets.randbits(32)
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


def walk_forward_spec(
    strategy: str,
    grid: Mapping[str, Any],
    symbols: str | Sequence[str],
    *,
    train: Any,
    test: Any,
    step: Any = None,
    anchored: bool = False,
    purge: int = 0,
    objective: str = "Sharpe Ratio",
    **sweep: Any,
) -> tuple[dict, list[dict]]:
    """A checked walk-forward spec and its parameter sets: :func:`sweep_spec`'s, the
    folds' windows (bar counts, or time spans kept as strings) and the objective.

    Whether the windows fit the candles is checked when the units are cut
    (:func:`vzb.jobs.planning.walk_forward_units`, before anything is stored).

    Raises
    ------
    ParameterError
        As :func:`sweep_spec`, or an objective that is not a stat.
    """
    from vzb.analysis.walkforward import check_objective

    check_objective(objective)
    spec, sets = sweep_spec(strategy, grid, symbols, **sweep)
    from vzb.analysis.ledger import home_dir

    spec.update(
        # the ledger of trials where it is submitted (workers may have started before
        # $VZB_HOME changed): the units count their sets there, the result reads it
        home=os.path.abspath(home_dir()),
        train=_window(train),
        test=_window(test),
        step=None if step is None else _window(step),
        anchored=bool(anchored),
        purge=purge,
        objective=objective,
    )
    return spec, sets


def _window(value: Any) -> Any:
    """A fold window as plain data: a bar count as is, a time span as a string."""
    if isinstance(value, (int, str)) or value is None:
        return value
    import pandas as pd

    if isinstance(value, pd.Timedelta | timedelta):
        return str(pd.Timedelta(value))
    if hasattr(value, "freqstr"):  # an offset such as pd.offsets.Day(30): "30D"
        return value.freqstr
    raise ParameterError(
        f"window {value!r} is neither a bar count nor a time span; give e.g. 500 or '365D'"
    )


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


def _date(name: str, value: Any) -> datetime | None:
    """``value`` as a UTC datetime (naive dates are taken as UTC), or None.

    ISO 8601 strings, ``datetime`` and ``date`` objects are read without pandas; anything
    else (``"2019/10/16"``, numpy datetimes) as ``pandas.Timestamp`` reads it.

    >>> _date("start", "2019-10-16 12:00"), _date("end", None)
    (datetime.datetime(2019, 10, 16, 12, 0, tzinfo=datetime.timezone.utc), None)
    """
    if value is None:
        return None
    stamp = None
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, date):
        stamp = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if stamp is None:
        import pandas as pd

        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            stamp = None
        if stamp is None or stamp is pd.NaT:
            raise ParameterError(f"{name}={value!r} is not a date; write it like '2021-01-31'")
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
