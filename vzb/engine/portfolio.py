"""Several symbols' results -> one portfolio with the cash split equally."""

from __future__ import annotations

import hashlib
import itertools
import time
import uuid
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vzb._version import __version__
from vzb.engine.nb import POSITION_DTYPE
from vzb.engine.options import kernel_options
from vzb.engine.result import BacktestResult
from vzb.engine.stats import series_facts, stats_series
from vzb.engine.stats_nb import N_STATS, STAT_INDEX, stats_nb
from vzb.errors import ParameterError

__all__ = ["chain", "combine"]

#: position columns that scale with the cash of a sleeve
_MONEY_COLUMNS = ("quantity", "entry_fee", "exit_fee", "gross_pnl", "net_pnl")
#: signal study stats averaged over symbols, weighted by their samples
_WEIGHTED_STUDY = ("Signal Win Rate [%]", "Signal Avg. Return [%]", "Signal Avg. Bars Held")


def _exposed_bars(index: pd.DatetimeIndex, positions: pd.DataFrame) -> np.ndarray:
    """Bool per bar of ``index`` (the union of the symbols' bars): a position is open at
    the bar's close, from its entry time up to, not including, its exit time. Counted by
    time, so a position held across bars its own symbol lacks still counts there."""
    held = np.zeros(len(index) + 1, dtype=np.int64)
    np.add.at(held, index.searchsorted(positions["entry_time"].to_numpy(), side="left"), 1)
    np.add.at(held, index.searchsorted(positions["exit_time"].to_numpy(), side="left"), -1)
    return np.cumsum(held[:-1]) > 0


def combine(results: Mapping[str, BacktestResult], *, cash: float | None = None) -> BacktestResult:
    """Combine per-symbol results into one portfolio with the cash split equally.

    Each symbol's result is a sleeve rescaled to start with ``cash / len(results)``
    (``cash`` defaults to the first result's initial cash: the cash each symbol was run
    with). The engine is linear in cash, so this equals running each symbol with its
    share. The combined equity is the sum of the sleeves on the union of the bar times
    (a sleeve holds its starting cash before its first bar and its last equity after its
    last bar). Positions are concatenated (quantities, fees and PnL rescaled) in entry
    order. Stats are computed on the combined equity and positions, except: Buy & Hold
    is the mean of the symbols' buy-and-hold returns; Exposure is the share of bars with
    any position open; the signal study pools the symbols (samples summed, rates and
    averages weighted by samples, max drawdown the worst symbol's).

    Examples
    --------
    >>> import vzb
    >>> btc = vzb.backtest(vzb.load_sample("BTC_USD"))
    >>> eth = vzb.backtest(vzb.load_sample("ETH_USD"))
    >>> combined = combine({"BTC_USD": btc, "ETH_USD": eth})
    >>> combined.symbols
    ['BTC_USD', 'ETH_USD']
    """
    if not results:
        raise ParameterError("combine() needs at least one result")
    started = time.perf_counter()
    items = list(results.items())
    first = items[0][1]
    total_cash = float(first.options["cash"] if cash is None else cash)
    share = total_cash / len(items)
    index = first.equity.index
    for _, r in items[1:]:
        index = index.union(r.equity.index)
    equity = np.zeros(len(index))
    exposed = np.zeros(len(index), dtype=bool)
    frames, signals, indicators = [], {}, {}
    for symbol, r in items:
        factor = share / float(r.options["cash"])
        equity += (r.equity * factor).reindex(index).ffill().fillna(share).to_numpy()
        positions = r.positions.copy()
        for column in _MONEY_COLUMNS:
            positions[column] = positions[column] * factor
        positions["symbol"] = pd.Series([symbol] * len(positions), dtype="str")
        frames.append(positions)
        exposed |= _exposed_bars(index, positions)
        signals[symbol] = r.signals.reindex(index, fill_value=False).astype(bool)
        for name, values in r.indicators.items():
            indicators[(symbol, name)] = values.reindex(index)
    positions = pd.concat(frames, ignore_index=True)
    positions = positions.sort_values(["entry_time", "symbol"], kind="stable")
    positions = positions.reset_index(drop=True)
    total_signals = sum(r.total_signals for _, r in items)
    buy_hold = np.mean([float(r.stats["Buy & Hold Return [%]"]) for _, r in items]) / 100.0
    options = {**first.options, "cash": total_cash}
    stats = _portfolio_stats(
        equity,
        index,
        positions,
        total_signals,
        options,
        buy_hold=buy_hold,
        exposure=100.0 * exposed.mean(),
        parts=[r.stats for _, r in items],
    )
    fingerprint = hashlib.sha256(
        "".join(f"{s}:{r.fingerprint}" for s, r in items).encode()
    ).hexdigest()
    elapsed = sum(r.execution_time for _, r in items) + time.perf_counter() - started
    return BacktestResult(
        stats=stats,
        positions=positions,
        equity=pd.Series(equity, index=index, name="equity"),
        signals=pd.DataFrame(signals, index=index),
        indicators=_indicator_frame(indicators, index),
        candles=None,
        strategy=first.strategy,
        params=first.params,
        symbols=[s for s, _ in items],
        total_signals=total_signals,
        execution_time=elapsed,
        options=options,
        fingerprint=fingerprint,
        run_id=uuid.uuid4().hex,
        vzb_version=__version__,
        per_symbol=dict(items),
    )


def _portfolio_stats(
    equity: np.ndarray,
    index: pd.Index,
    positions: pd.DataFrame,
    total_signals: int,
    options: dict,
    *,
    buy_hold: float,
    exposure: float,
    parts: list[pd.Series],
) -> pd.Series:
    """Stats of an equity curve built from ``parts`` (results whose stats are given):
    the kernel's stats of the curve and positions, with Buy & Hold (a fraction), the
    Exposure and the pooled signal study of the parts written by name."""
    records = np.zeros(len(positions), dtype=POSITION_DTYPE)
    for column in ("entry_fee", "exit_fee", "net_pnl", "return"):
        records[column] = positions[column].to_numpy()
    bpy, days = series_facts(index)
    opts = kernel_options(options, buy_hold=buy_hold, bars_per_year=bpy, days=days)
    values = np.empty(N_STATS)
    stats_nb(equity, records, len(records), total_signals, opts, values)
    values[STAT_INDEX["Exposure Time [%]"]] = exposure
    _pool_signal_study(values, parts)
    return stats_series(values, index)


def chain(results: Sequence[BacktestResult]) -> BacktestResult:
    """Results of consecutive periods (each starting flat, with the cash the one before
    ended with) -> one result over all of them, as a walk-forward's test windows.

    The equity is the results' curves one after another; positions are concatenated.
    Stats are computed on that equity (from the first result's initial cash), except:
    Buy & Hold compounds the periods' buy-and-hold returns; Exposure is the share of all
    bars with a position open; the signal study pools the periods as :func:`combine`
    pools symbols.

    Examples
    --------
    >>> import vzb
    >>> candles = vzb.load_sample("BTC_USD")
    >>> first = vzb.backtest(candles.iloc[:900])
    >>> second = vzb.backtest(candles.iloc[900:], cash=first.equity.iloc[-1])
    >>> whole = chain([first, second])
    >>> len(whole.equity) == len(candles), len(whole.positions) == len(first.positions) + len(
    ...     second.positions)
    (True, True)
    """
    if not results:
        raise ParameterError("chain() needs at least one result")
    started = time.perf_counter()
    first = results[0]
    for before, after in itertools.pairwise(results):
        if not before.equity.index[-1] < after.equity.index[0]:
            raise ParameterError(
                f"chain() needs results in time order without overlap: one ends at "
                f"{before.equity.index[-1]} and the next starts at {after.equity.index[0]}"
            )
    equity = pd.concat([r.equity for r in results])
    positions = pd.concat([r.positions for r in results], ignore_index=True)
    bars = np.array([len(r.equity) for r in results], dtype=float)
    exposure = float(np.sum([float(r.stats["Exposure Time [%]"]) for r in results] * bars))
    buy_hold = float(np.prod([1 + float(r.stats["Buy & Hold Return [%]"]) / 100 for r in results]))
    stats = _portfolio_stats(
        equity.to_numpy(),
        equity.index,
        positions,
        sum(r.total_signals for r in results),
        first.options,
        buy_hold=buy_hold - 1.0,
        exposure=exposure / bars.sum(),
        parts=[r.stats for r in results],
    )
    pieces = {name: [getattr(r, name) for r in results] for name in ("signals", "indicators")}
    return BacktestResult(
        stats=stats,
        positions=positions,
        equity=equity.rename("equity"),
        signals=pd.concat(pieces["signals"]),
        indicators=pd.concat(pieces["indicators"]),
        candles=None,
        strategy=first.strategy,
        params=first.params,
        symbols=list(dict.fromkeys(s for r in results for s in r.symbols)),
        total_signals=sum(r.total_signals for r in results),
        execution_time=sum(r.execution_time for r in results) + time.perf_counter() - started,
        options=first.options,
        fingerprint=hashlib.sha256("".join(r.fingerprint for r in results).encode()).hexdigest(),
        run_id=uuid.uuid4().hex,
        vzb_version=__version__,
    )


def _pool_signal_study(values: np.ndarray, stats: list[pd.Series]) -> None:
    """Write the pooled signal study of several symbols into ``values`` (by name)."""
    samples = np.array([float(s["Signal Samples"]) for s in stats])
    total = samples.sum()
    values[STAT_INDEX["Signal Samples"]] = total
    if total == 0:
        for name in (*_WEIGHTED_STUDY, "Signal Max. Drawdown [%]"):
            values[STAT_INDEX[name]] = np.nan
        return
    weights = samples / total
    for name in _WEIGHTED_STUDY:
        values[STAT_INDEX[name]] = float(np.nansum([float(s[name]) for s in stats] * weights))
    worst = np.nanmin([float(s["Signal Max. Drawdown [%]"]) for s in stats])
    values[STAT_INDEX["Signal Max. Drawdown [%]"]] = float(worst)


def _indicator_frame(columns: dict[tuple[str, str], pd.Series], index: pd.Index) -> pd.DataFrame:
    """Indicators of several symbols: columns ``(symbol, indicator)``."""
    frame = pd.DataFrame(columns, index=index)
    if columns:
        frame.columns = pd.MultiIndex.from_tuples(list(columns), names=["symbol", "indicator"])
    return frame
