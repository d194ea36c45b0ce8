"""Backtests: candles + strategy + options -> BacktestResult.

Accounting (the standard one, as in vectorbt's ``Portfolio.from_signals``):

* A signal on bar ``i`` fills at ``open[i+1]`` (``fill="next_open"``, the default: it
  cannot look ahead) or at ``close[i]`` (``fill="close"``). The exit is
  ``hold_period_bars`` bars after the entry bar at the same kind of price; stops close
  earlier. A signal on the last bar is not traded.
* Entry fill = price * (1 + slippage); exit fill = price * (1 - slippage).
* Quantity = size * cash / (entry fill * (1 + fees)); entry fee = quantity * entry fill
  * fees; exit fee = quantity * exit fill * fees.
* Net PnL = quantity * exit fill * (1 - fees) - quantity * entry fill * (1 + fees);
  return = net PnL / (quantity * entry fill * (1 + fees)).
* Equity = cash + the open position marked at each bar's close.
* One long position at a time. A signal while a position is open is counted (``#
  Signals``) but not traded. An exit due at the same moment as a new fill (both at the
  same open, or both at the same close) happens first, so that signal is traded.
* ``stop_loss`` / ``take_profit`` are fractions of the entry fill: the stop triggers when
  a bar's low reaches ``entry * (1 - stop_loss)``, the take-profit when its high reaches
  ``entry * (1 + take_profit)``. When both could trigger in one bar the stop wins (the
  bar's path is unknown; assume the worst). A bar that opens beyond the level (a gap)
  fills at its open. Stops are watched from the entry bar with ``next_open`` fills (the
  entry is at that bar's open) and from the bar after the entry with ``close`` fills.
* A position still open at the last bar exits at its close, reason ``end_of_data``.

A mapping ``{symbol: candles}`` runs each symbol with the full cash (``per_symbol``) and
combines them with the cash split equally (:func:`combine`).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vzb._version import __version__
from vzb.engine.nb import (
    EXIT_REASONS,
    N_STATS,
    POSITION_DTYPE,
    backtest_nb,
    kernel_options,
    stats_nb,
)
from vzb.engine.options import validate_options
from vzb.engine.result import POSITION_COLUMNS, BacktestResult
from vzb.engine.stats import STAT_NAMES, bars_per_year, calendar_days, stats_series
from vzb.errors import CandleError, ParameterError
from vzb.strategies._signals import candle_arrays, chunk_size_for, column_arrays
from vzb.strategies.registry import Strategy, get_strategy
from vzb.strategies.volume_zone_breakout import run_kernel

__all__ = ["backtest", "candles_fingerprint", "combine"]

Checkpoint = Callable[[float], None]


def candles_fingerprint(candles: pd.DataFrame) -> str:
    """SHA-256 hex digest of the candles' index and five columns.

    >>> import vzb
    >>> len(candles_fingerprint(vzb.load_sample("BTC_USD")))
    64
    """
    digest = hashlib.sha256()
    index = candles.index
    if isinstance(index, pd.DatetimeIndex):
        digest.update(np.ascontiguousarray(index.as_unit("ns").asi8).tobytes())
    else:
        digest.update(np.ascontiguousarray(np.asarray(index, dtype=np.int64)).tobytes())
    for column in column_arrays(candles):
        digest.update(column.tobytes())
    return digest.hexdigest()


def _strategy_signals(
    strategy: Strategy,
    params: dict[str, Any],
    arrays: tuple[np.ndarray, ...],
    checkpoint: Checkpoint | None,
    fraction: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Signals (and breakout resistance) in chunks, reporting progress in ``fraction``."""
    lo, hi = fraction
    cp = None
    if checkpoint is not None:

        def cp(done: float) -> None:
            checkpoint(lo + (hi - lo) * done)

    n = len(arrays[0])
    chunk = chunk_size_for(strategy, params, n)
    if strategy.ref != "vzb.strategies.volume_zone_breakout:STRATEGY":
        sig = strategy.compute_signals(*arrays, params, checkpoint=cp, chunk_size=chunk)
        return sig, None
    sig = np.zeros(n, dtype=np.bool_)
    res = np.empty(n)
    start = 0
    while start < n:
        stop = min(n, start + chunk)
        run_kernel(*arrays, params, start, stop, sig, res)
        start = stop
        if cp is not None and start < n:
            cp(start / n)
    return sig, res


def _positions_frame(records: np.ndarray, index: pd.DatetimeIndex, symbol: str) -> pd.DataFrame:
    reasons = np.asarray(EXIT_REASONS, dtype=object)[records["exit_reason"]].tolist()
    frame = pd.DataFrame(
        {
            "symbol": pd.Series([symbol] * len(records), dtype="str"),
            "signal_time": index[records["signal_bar"]],
            "entry_time": index[records["entry_bar"]],
            "exit_time": index[records["exit_bar"]],
            "entry_price": records["entry_price"],
            "exit_price": records["exit_price"],
            "quantity": records["quantity"],
            "entry_fee": records["entry_fee"],
            "exit_fee": records["exit_fee"],
            "gross_pnl": records["gross_pnl"],
            "net_pnl": records["net_pnl"],
            "return": records["return"],
            "bars_held": records["exit_bar"] - records["entry_bar"],
            "exit_reason": pd.Series(reasons, dtype="str"),
        }
    )
    return frame[list(POSITION_COLUMNS)]


def _backtest_one(
    candles: pd.DataFrame,
    strategy: Strategy,
    params: dict[str, Any],
    options: dict[str, Any],
    symbol: str,
    checkpoint: Checkpoint | None,
    fraction: tuple[float, float] = (0.0, 1.0),
) -> BacktestResult:
    started = time.perf_counter()
    arrays = candle_arrays(candles, symbol=symbol)  # checks index order and finite values
    n = len(arrays[0])
    if n == 0:
        raise CandleError(f"candles for {symbol!r} are empty; load a date range with candles")
    index = candles.index
    signals, resistance = _strategy_signals(strategy, params, arrays, checkpoint, fraction)
    hold = int(params.get("hold_period_bars", 1))
    o, h, lo, c, _ = arrays
    opts = kernel_options(
        options,
        buy_hold=c[-1] / c[0] - 1.0,
        bars_per_year=bars_per_year(index),
        days=calendar_days(index),
    )
    # every position comes from a signal; numpy allocates the outputs (huge pages)
    records = np.empty(int(np.count_nonzero(signals)) + 1, dtype=POSITION_DTYPE)
    equity = np.empty(n)
    values = np.empty(N_STATS)
    records = records[: backtest_nb(o, h, lo, c, signals, hold, opts, records, equity, values)]
    elapsed = time.perf_counter() - started
    return BacktestResult(
        stats=lambda: stats_series(values, index),
        positions=lambda: _positions_frame(records, index, symbol),
        equity=lambda: pd.Series(equity, index=index, name="equity"),
        signals=lambda: pd.Series(signals, index=index, name="signals"),
        resistance=(
            None
            if resistance is None
            else (lambda: pd.Series(resistance, index=index, name="resistance"))
        ),
        candles=candles,
        strategy=strategy.name if strategy.ref.startswith("vzb.") else strategy.ref,
        params=params,
        symbols=[symbol],
        total_signals=int(signals.sum()),
        execution_time=elapsed,
        options=options,
        fingerprint=lambda: candles_fingerprint(candles),
        run_id=uuid.uuid4().hex,
        vzb_version=__version__,
    )


def backtest(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: str | Strategy = "volume_zone_breakout",
    params: Mapping[str, Any] | None = None,
    *,
    fill: str = "next_open",
    fees: float = 0.0,
    slippage: float = 0.0,
    cash: float = 1_000_000,
    size: float = 1.0,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    checkpoint: Checkpoint | None = None,
) -> BacktestResult:
    """Backtest a strategy on candles; see the module docstring for the accounting.

    Parameters
    ----------
    candles : DataFrame or mapping of symbol -> DataFrame
        Candles (``open, high, low, close, volume``, DatetimeIndex). A mapping runs each
        symbol and returns the combined result (cash split equally) with ``per_symbol``.
    strategy : str or Strategy
        Registered name or import path ``"module:attribute"``.
    params : dict, optional
        Strategy parameters (``hold_period_bars`` among them); missing ones take defaults.
    fill, fees, slippage, cash, size, stop_loss, take_profit
        Engine options, see :func:`vzb.engine.validate_options`.
    checkpoint : callable, optional
        ``checkpoint(fraction_done)`` is called between kernel chunks and between symbols;
        an exception it raises stops the backtest and propagates (cooperative cancel).

    Returns
    -------
    BacktestResult

    Raises
    ------
    CandleError
        For candles the kernels would get wrong without noticing: an index that is
        not a strictly increasing ``DatetimeIndex`` (newest-first rows, duplicate
        timestamps) or a NaN or infinite value. ``vzb.validate_candles`` sorts such
        frames and reports the bad rows (see :func:`vzb.strategies.candle_arrays`).

    Examples
    --------
    >>> import vzb
    >>> candles = vzb.load_sample("BTC_USD")
    >>> result = vzb.backtest(candles, params={"volume_window": 20}, fees=0.0005)
    >>> int(result.stats["# Trades"]) == len(result.positions)
    True
    >>> both = vzb.backtest({"BTC_USD": candles, "ETH_USD": vzb.load_sample("ETH_USD")})
    >>> sorted(both.per_symbol)
    ['BTC_USD', 'ETH_USD']
    """
    options = validate_options(
        fill=fill,
        fees=fees,
        slippage=slippage,
        cash=cash,
        size=size,
        stop_loss=stop_loss,
        take_profit=take_profit,
    )
    strat = get_strategy(strategy)
    full = strat.validate(params)
    if isinstance(candles, Mapping):
        if not candles:
            raise CandleError("candles mapping is empty; pass at least one symbol")
        items = list(candles.items())
        results = {}
        for k, (symbol, frame) in enumerate(items):
            frac = (k / len(items), (k + 1) / len(items))
            results[str(symbol)] = _backtest_one(
                frame, strat, full, options, str(symbol), checkpoint, frac
            )
            if checkpoint is not None and k + 1 < len(items):
                checkpoint((k + 1) / len(items))
        return combine(results)
    symbol = str(candles.attrs.get("symbol") or "candles")
    return _backtest_one(candles, strat, full, options, symbol, checkpoint)


def _scaled_positions(result: BacktestResult, factor: float) -> pd.DataFrame:
    frame = result.positions.copy()
    for column in ("quantity", "entry_fee", "exit_fee", "gross_pnl", "net_pnl"):
        frame[column] = frame[column] * factor
    return frame


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
    index = items[0][1].equity.index
    for _, r in items[1:]:
        index = index.union(r.equity.index)
    equity = np.zeros(len(index))
    exposed = np.zeros(len(index), dtype=bool)
    frames = []
    signals = {}
    resistance = {}
    buy_holds = []
    study = []
    for symbol, r in items:
        factor = share / float(r.options["cash"])
        sleeve = (r.equity * factor).reindex(index).ffill().fillna(share)
        equity += sleeve.to_numpy()
        positions = _scaled_positions(r, factor)
        positions["symbol"] = pd.Series([symbol] * len(positions), dtype="str")
        frames.append(positions)
        pos = index.get_indexer(r.equity.index)
        held = np.zeros(len(r.equity), dtype=np.int64)
        entry = r.equity.index.get_indexer(positions["entry_time"])
        exit_ = r.equity.index.get_indexer(positions["exit_time"])
        np.add.at(held, entry, 1)
        np.add.at(held, exit_, -1)
        exposed[pos] |= np.cumsum(held) > 0
        sig = r.signals
        signals[symbol] = sig.reindex(index, fill_value=False).astype(bool)
        if r.resistance is not None:
            resistance[symbol] = r.resistance.reindex(index)
        buy_holds.append(float(r.stats["Buy & Hold Return [%]"]) / 100.0)
        study.append([float(r.stats[k]) for k in STAT_NAMES[22:27]])
    positions = pd.concat(frames, ignore_index=True) if frames else None
    positions = positions.sort_values(["entry_time", "symbol"], kind="stable").reset_index(
        drop=True
    )
    records = np.zeros(len(positions), dtype=POSITION_DTYPE)
    for column in ("entry_fee", "exit_fee", "net_pnl", "return"):
        records[column] = positions[column].to_numpy()
    total_signals = sum(r.total_signals for _, r in items)
    out = np.empty(N_STATS)
    opts = kernel_options(
        {**first.options, "cash": total_cash},
        buy_hold=float(np.mean(buy_holds)),
        bars_per_year=bars_per_year(index),
        days=calendar_days(index),
    )
    stats_nb(equity, records, len(records), total_signals, opts, out)
    out[19] = 100.0 * exposed.mean()
    study = np.asarray(study)
    samples = study[:, 0]
    n_samples = samples.sum()
    out[22] = n_samples
    if n_samples > 0:
        weights = samples / n_samples
        for s in (1, 2, 4):
            out[22 + s] = float(np.nansum(study[:, s] * weights))
        out[25] = float(np.nanmin(study[:, 3]))
    else:
        out[23:27] = np.nan
    stats = stats_series(out, index)
    options = dict(first.options)
    options["cash"] = total_cash
    fingerprint = hashlib.sha256(
        "".join(f"{s}:{r.fingerprint}" for s, r in items).encode()
    ).hexdigest()
    elapsed = sum(r.execution_time for _, r in items) + time.perf_counter() - started
    return BacktestResult(
        stats=stats,
        positions=positions,
        equity=pd.Series(equity, index=index, name="equity"),
        signals=pd.DataFrame(signals, index=index),
        resistance=pd.DataFrame(resistance, index=index) if resistance else None,
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
