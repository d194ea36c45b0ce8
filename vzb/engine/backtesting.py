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
from vzb.data.arrays import candle_arrays, column_arrays, symbol_frames
from vzb.engine.nb import EXIT_REASONS, POSITION_DTYPE, backtest_nb
from vzb.engine.options import kernel_options, validate_options
from vzb.engine.portfolio import combine
from vzb.engine.result import POSITION_COLUMNS, BacktestResult
from vzb.engine.stats import series_facts, stats_series
from vzb.engine.stats_nb import N_STATS
from vzb.errors import CandleError
from vzb.strategies.contract import Strategy
from vzb.strategies.registry import DEFAULT_STRATEGY, get_strategy, strategy_ref

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


def _scaled(checkpoint: Checkpoint | None, low: float, high: float) -> Checkpoint | None:
    """A checkpoint reporting a step's own fraction done as ``low..high`` of the whole."""
    if checkpoint is None:
        return None
    return lambda done: checkpoint(low + (high - low) * done)


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
    warmup: pd.DataFrame | None = None,
) -> BacktestResult:
    started = time.perf_counter()
    arrays = candle_arrays(candles, symbol=symbol)  # checks index order and finite values
    n = len(arrays[0])
    if n == 0:
        raise CandleError(f"candles for {symbol!r} are empty; load a date range with candles")
    index = candles.index
    seen = arrays
    if warmup is not None and len(warmup):  # history for the look-back, never traded
        seen = candle_arrays(pd.concat([warmup, candles]), symbol=symbol)
    signals, indicators = strategy.run(
        seen, params, indicators=True, checkpoint=_scaled(checkpoint, *fraction)
    )
    if seen is not arrays:
        signals = signals[-n:]
        indicators = {name: values[-n:] for name, values in indicators.items()}
    hold = strategy.hold(params)
    o, h, lo, c, _ = arrays
    bpy, days = series_facts(index)
    opts = kernel_options(options, buy_hold=c[-1] / c[0] - 1.0, bars_per_year=bpy, days=days)
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
        indicators=lambda: pd.DataFrame(indicators, index=index, columns=list(indicators)),
        candles=candles,
        strategy=strategy_ref(strategy),
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
    strategy: str | Strategy = DEFAULT_STRATEGY,
    params: Mapping[str, Any] | None = None,
    *,
    checkpoint: Checkpoint | None = None,
    warmup: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    **options: Any,
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
    checkpoint : callable, optional
        ``checkpoint(fraction_done)`` is called between kernel chunks and between symbols;
        an exception it raises stops the backtest and propagates (cooperative cancel).
    warmup : DataFrame or mapping of symbol -> DataFrame, optional
        Candles right before ``candles``, used only for the strategy's look-back (its
        signals and indicators on the first bars); nothing is traded in them and the
        account starts flat at the first bar of ``candles``. A walk-forward's test
        windows use the history before them this way.
    **options
        Engine options: ``fill`` (``"next_open"``, the default, or ``"close"``), ``fees``,
        ``slippage``, ``cash``, ``size``, ``stop_loss``, ``take_profit``; defaults and
        ranges in :func:`vzb.engine.validate_options`.

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
    options = validate_options(**options)
    strat = get_strategy(strategy)
    full = strat.validate(params)
    frames = symbol_frames(candles)
    if warmup is None:
        history = {}
    elif isinstance(warmup, Mapping):
        history = symbol_frames(warmup)
    else:  # one frame goes with the one frame of candles, whatever its attrs say
        history = dict.fromkeys(frames, warmup)
    results = {}
    for k, (symbol, frame) in enumerate(frames.items()):
        frac = (k / len(frames), (k + 1) / len(frames))
        results[symbol] = _backtest_one(
            frame, strat, full, options, symbol, checkpoint, frac, history.get(symbol)
        )
        if checkpoint is not None and k + 1 < len(frames):
            checkpoint((k + 1) / len(frames))
    if isinstance(candles, Mapping):
        return combine(results)
    return results[symbol]
