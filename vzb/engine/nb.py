"""Numba kernels of the engine: simulate positions, run backtests and sweeps.

Arrays in, arrays out; the Python layer (:mod:`vzb.engine.backtesting`,
:mod:`vzb.engine.sweeps`) validates options and wraps the results. The engine options and
the facts of a series the stats need travel as one float64 array built once by
:func:`vzb.engine.options.kernel_options`, so every kernel signature stays short; the
stats kernels are in :mod:`vzb.engine.stats_nb`. Positions are records of
:data:`POSITION_DTYPE` written into a preallocated array.
The accounting and stats kernels divide as IEEE does (``error_model="numpy"``): an
account run down to exactly 0 (equity underflows after very many losing trades) gives
NaN ratios from then on instead of raising ``ZeroDivisionError``.

Accounting (see :func:`vzb.engine.backtesting.backtest` for the full rules):
entry fill = price * (1 + slippage); quantity = size * cash / (entry fill * (1 + fees));
exit fill = price * (1 - slippage); net PnL = qty * exit * (1 - fees) -
qty * entry * (1 + fees); equity = cash + quantity * close at every bar.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from vzb.engine.options import CASH, FEES, FILL_CLOSE, SIZE, SL, SLIPPAGE, TP
from vzb.engine.stats_nb import (
    SIGNAL_AVG_BARS,
    SIGNAL_AVG_RETURN,
    SIGNAL_MAX_DRAWDOWN,
    SIGNAL_SAMPLES,
    SIGNAL_WIN_RATE,
    signal_study_nb,
    stats_nb,
)

__all__ = [
    "EXIT_REASONS",
    "POSITION_DTYPE",
    "backtest_nb",
    "count_nb",
    "simulate_nb",
    "sweep_signals_nb",
]

POSITION_DTYPE = np.dtype(
    [
        ("signal_bar", np.int64),
        ("entry_bar", np.int64),
        ("exit_bar", np.int64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("quantity", np.float64),
        ("entry_fee", np.float64),
        ("exit_fee", np.float64),
        ("gross_pnl", np.float64),
        ("net_pnl", np.float64),
        ("return", np.float64),
        ("exit_reason", np.int64),
    ]
)

#: exit_reason codes -> names
EXIT_REASONS = ("hold", "stop_loss", "take_profit", "end_of_data")
HOLD, STOP_LOSS, TAKE_PROFIT, END_OF_DATA = 0, 1, 2, 3


@njit(cache=True, error_model="numpy")
def _exit_nb(records, count, t, price, reason, qty, entry_fill, opts):
    """Write the exit of position ``count`` at ``price``; returns the cash it brings."""
    fees = opts[FEES]
    fill = price * (1.0 - opts[SLIPPAGE])
    rec = records[count]
    rec["exit_bar"] = t
    rec["exit_price"] = fill
    rec["exit_fee"] = qty * fill * fees
    rec["gross_pnl"] = qty * (fill - entry_fill)
    cost = qty * entry_fill * (1.0 + fees)
    net = qty * fill * (1.0 - fees) - cost
    rec["net_pnl"] = net
    rec["return"] = net / cost
    rec["exit_reason"] = reason
    return qty * fill * (1.0 - fees)


@njit(cache=True, error_model="numpy")
def _entry_nb(records, count, signal_bar, t, price, cash_now, opts):
    """Write the entry of position ``count`` at ``price``.

    Returns (entry fill, quantity, cash left, stop-loss level, take-profit level); a
    disabled level is NaN.
    """
    fees = opts[FEES]
    entry_fill = price * (1.0 + opts[SLIPPAGE])
    qty = opts[SIZE] * cash_now / (entry_fill * (1.0 + fees))
    rec = records[count]
    rec["signal_bar"] = signal_bar
    rec["entry_bar"] = t
    rec["entry_price"] = entry_fill
    rec["quantity"] = qty
    rec["entry_fee"] = qty * entry_fill * fees
    cash_left = cash_now - qty * entry_fill * (1.0 + fees)
    sl_level = entry_fill * (1.0 - opts[SL])
    tp_level = entry_fill * (1.0 + opts[TP])
    return entry_fill, qty, cash_left, sl_level, tp_level


@njit(cache=True, error_model="numpy")
def simulate_nb(open, high, low, close, signals, hold, opts, records, equity):
    """Simulate one long position at a time; returns the number of positions written.

    ``opts`` is the array of :func:`kernel_options`. ``signals[i]`` enters at
    ``open[i+1]`` (``fill_close`` 0) or ``close[i]``; the position exits ``hold`` bars
    after the entry bar at the same kind of price, earlier on a stop
    (``low <= entry * (1 - stop_loss)``) or take-profit (``high >= entry * (1 +
    take_profit)``; NaN disables either), the stop winning when both trigger in a bar; a
    bar opening beyond the level fills at its open. Stops are checked from the entry bar
    (next-open fills) or the bar after it (close fills). An exit due at the same price
    time as a new fill happens first, so that signal trades. A signal on the last bar is
    not traded; a position still open on the last bar exits at its close
    (``end_of_data``); a NaN price fills nothing. ``equity[t]`` = cash + quantity *
    close[t].
    """
    n = close.shape[0]
    fill_close = opts[FILL_CLOSE] != 0.0
    use_sl = not np.isnan(opts[SL])
    use_tp = not np.isnan(opts[TP])
    cash_now = opts[CASH]
    qty = 0.0
    in_pos = False
    entry_bar = -1
    exit_due = -1
    entry_fill = 0.0
    sl_level = 0.0
    tp_level = 0.0
    count = 0
    for t in range(n):
        if not fill_close and not np.isnan(open[t]):
            # the open: an exit due now, then an entry on the previous bar's signal
            if in_pos and t == exit_due:
                cash_now += _exit_nb(records, count, t, open[t], HOLD, qty, entry_fill, opts)
                qty, in_pos, count = 0.0, False, count + 1
            if not in_pos and t >= 1 and signals[t - 1]:
                entry = _entry_nb(records, count, t - 1, t, open[t], cash_now, opts)
                entry_fill, qty, cash_now, sl_level, tp_level = entry
                in_pos, entry_bar, exit_due = True, t, t + hold
        if in_pos:
            # intrabar stops, then the close
            exit_price = np.nan
            reason = HOLD
            if (use_sl or use_tp) and (t > entry_bar or not fill_close):
                o = open[t]
                if use_sl and low[t] <= sl_level:
                    exit_price = o if o <= sl_level else sl_level
                    reason = STOP_LOSS
                elif use_tp and high[t] >= tp_level:
                    exit_price = o if o >= tp_level else tp_level
                    reason = TAKE_PROFIT
            if np.isnan(exit_price):
                if fill_close and t == exit_due:
                    exit_price = close[t]
                elif t == n - 1:
                    exit_price = close[t]
                    reason = END_OF_DATA
            if not np.isnan(exit_price):
                cash_now += _exit_nb(records, count, t, exit_price, reason, qty, entry_fill, opts)
                qty, in_pos, count = 0.0, False, count + 1
        if fill_close and not in_pos and t < n - 1 and signals[t] and not np.isnan(close[t]):
            entry = _entry_nb(records, count, t, t, close[t], cash_now, opts)
            entry_fill, qty, cash_now, sl_level, tp_level = entry
            in_pos, entry_bar, exit_due = True, t, t + hold
        equity[t] = cash_now + qty * close[t]
    return count


@njit(cache=True)
def backtest_nb(open, high, low, close, signals, hold, opts, records, equity, out):
    """One full run into preallocated outputs; returns the number of positions.

    Simulates (positions into ``records``, at most one per signal, and ``equity``),
    then fills ``out`` with the stats of ``STAT_NAMES``, the signal study included.
    Allocate the outputs with numpy (see :func:`vzb.engine.backtesting.backtest`): its large
    arrays are backed by huge pages, several times quicker to fill the first time than
    arrays allocated inside a kernel.
    """
    count = simulate_nb(open, high, low, close, signals, hold, opts, records, equity)
    stats_nb(equity, records, count, count_nb(signals), opts, out)
    samples, win_rate, avg_return, max_dd, avg_bars = signal_study_nb(close, signals, hold)
    out[SIGNAL_SAMPLES] = samples
    out[SIGNAL_WIN_RATE] = win_rate
    out[SIGNAL_AVG_RETURN] = avg_return
    out[SIGNAL_MAX_DRAWDOWN] = max_dd
    out[SIGNAL_AVG_BARS] = avg_bars
    return count


@njit(cache=True)
def count_nb(signals):
    """The number of True values (signals) in a boolean array."""
    n_signals = 0
    for i in range(signals.shape[0]):
        if signals[i]:
            n_signals += 1
    return n_signals


@njit(cache=True)
def sweep_signals_nb(open, high, low, close, signals, signal_index, holds, opts, out, equities):
    """Stats of many sets: set ``k`` trades row ``signal_index[k]`` of ``signals`` with
    ``holds[k]`` and writes ``out[k]``. With ``equities`` of shape ``(sets, bars)`` each
    set's equity curve is kept in its row; with shape ``(0, 0)`` only stats are kept
    (one scratch curve)."""
    n = close.shape[0]
    records = np.empty(n + 1, dtype=POSITION_DTYPE)
    keep = equities.shape[0] > 0
    scratch = np.empty(n)
    for k in range(signal_index.shape[0]):
        row = signals[signal_index[k]]
        equity = equities[k] if keep else scratch
        backtest_nb(open, high, low, close, row, holds[k], opts, records, equity, out[k])
