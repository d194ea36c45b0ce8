"""Numba kernels of the engine: simulate positions, compute stats, run sweeps.

Arrays in, arrays out; the Python layer (:mod:`vzb.engine.backtest`,
:mod:`vzb.engine.sweep`) validates options and wraps the results. The engine options and
the facts of a series the stats need travel as one float64 array built once by
:func:`kernel_options` (layout :data:`KERNEL_OPTIONS`), so every kernel signature stays
short. Positions are records of :data:`POSITION_DTYPE` written into a preallocated array.
The accounting and stats kernels divide as IEEE does (``error_model="numpy"``): an
account run down to exactly 0 (equity underflows after very many losing trades) gives
NaN ratios from then on instead of raising ``ZeroDivisionError``.

Accounting (see :func:`vzb.engine.backtest.backtest` for the full rules):
entry fill = price * (1 + slippage); quantity = size * cash / (entry fill * (1 + fees));
exit fill = price * (1 - slippage); net PnL = qty * exit * (1 - fees) -
qty * entry * (1 + fees); equity = cash + quantity * close at every bar.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "EXIT_REASONS",
    "KERNEL_OPTIONS",
    "POSITION_DTYPE",
    "STAT_NAMES",
    "STAT_INDEX",
    "backtest_nb",
    "count_nb",
    "kernel_options",
    "signal_study_nb",
    "simulate_nb",
    "stats_nb",
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

#: order of the values written by :func:`stats_nb`
STAT_NAMES = (
    "Equity Final [$]",
    "Equity Peak [$]",
    "Return [%]",
    "Buy & Hold Return [%]",
    "CAGR [%]",
    "Volatility (Ann.) [%]",
    "Sharpe Ratio",
    "Sortino Ratio",
    "Calmar Ratio",
    "Max. Drawdown [%]",
    "Max. Drawdown Duration [bars]",
    "# Trades",
    "Win Rate [%]",
    "Best Trade [%]",
    "Worst Trade [%]",
    "Avg. Trade [%]",
    "Profit Factor",
    "Expectancy [$]",
    "SQN",
    "Exposure Time [%]",
    "Total Fees [$]",
    "# Signals",
    "Signal Samples",
    "Signal Win Rate [%]",
    "Signal Avg. Return [%]",
    "Signal Max. Drawdown [%]",
    "Signal Avg. Bars Held",
)
N_STATS = len(STAT_NAMES)
#: stat name -> its slot in the values array the kernels fill
STAT_INDEX = {name: k for k, name in enumerate(STAT_NAMES)}

# every slot is written through its name (numba reads these as compile-time constants)
EQUITY_FINAL = STAT_INDEX["Equity Final [$]"]
EQUITY_PEAK = STAT_INDEX["Equity Peak [$]"]
RETURN = STAT_INDEX["Return [%]"]
BUY_HOLD_RETURN = STAT_INDEX["Buy & Hold Return [%]"]
CAGR = STAT_INDEX["CAGR [%]"]
VOLATILITY = STAT_INDEX["Volatility (Ann.) [%]"]
SHARPE = STAT_INDEX["Sharpe Ratio"]
SORTINO = STAT_INDEX["Sortino Ratio"]
CALMAR = STAT_INDEX["Calmar Ratio"]
MAX_DRAWDOWN = STAT_INDEX["Max. Drawdown [%]"]
MAX_DRAWDOWN_BARS = STAT_INDEX["Max. Drawdown Duration [bars]"]
TRADES = STAT_INDEX["# Trades"]
WIN_RATE = STAT_INDEX["Win Rate [%]"]
BEST_TRADE = STAT_INDEX["Best Trade [%]"]
WORST_TRADE = STAT_INDEX["Worst Trade [%]"]
AVG_TRADE = STAT_INDEX["Avg. Trade [%]"]
PROFIT_FACTOR = STAT_INDEX["Profit Factor"]
EXPECTANCY = STAT_INDEX["Expectancy [$]"]
SQN = STAT_INDEX["SQN"]
EXPOSURE = STAT_INDEX["Exposure Time [%]"]
TOTAL_FEES = STAT_INDEX["Total Fees [$]"]
SIGNALS = STAT_INDEX["# Signals"]
SIGNAL_SAMPLES = STAT_INDEX["Signal Samples"]
SIGNAL_WIN_RATE = STAT_INDEX["Signal Win Rate [%]"]
SIGNAL_AVG_RETURN = STAT_INDEX["Signal Avg. Return [%]"]
SIGNAL_MAX_DRAWDOWN = STAT_INDEX["Signal Max. Drawdown [%]"]
SIGNAL_AVG_BARS = STAT_INDEX["Signal Avg. Bars Held"]


#: layout of the float64 options array every engine kernel takes (see kernel_options)
KERNEL_OPTIONS = (
    "fill_close",
    "fees",
    "slippage",
    "cash",
    "size",
    "stop_loss",
    "take_profit",
    "buy_hold",
    "bars_per_year",
    "days",
)
FILL_CLOSE, FEES, SLIPPAGE, CASH, SIZE, SL, TP, BUY_HOLD, BARS_PER_YEAR, DAYS = range(10)


def kernel_options(
    options: dict, *, buy_hold: float = 0.0, bars_per_year: float = 1.0, days: float = 0.0
) -> np.ndarray:
    """Pack validated engine options and a series' facts into the kernels' options array.

    ``options`` comes from :func:`vzb.engine.validate_options`; ``buy_hold`` is the
    buy-and-hold return (a fraction), ``days`` the calendar days from the first to the
    last bar. A disabled stop is NaN. The order is :data:`KERNEL_OPTIONS`.

    >>> from vzb.engine import validate_options
    >>> kernel_options(validate_options(fees=0.001, fill="close"))[:3].tolist()
    [1.0, 0.001, 0.0]
    """
    values = {
        "fill_close": 1.0 if options["fill"] == "close" else 0.0,
        "stop_loss": np.nan if options["stop_loss"] is None else options["stop_loss"],
        "take_profit": np.nan if options["take_profit"] is None else options["take_profit"],
        "buy_hold": buy_hold,
        "bars_per_year": bars_per_year,
        "days": days,
    }
    return np.array([float(values.get(k, options.get(k, 0.0))) for k in KERNEL_OPTIONS])


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


@njit(cache=True, error_model="numpy")
def signal_study_nb(close, signals, hold):
    """The replaced system's per-signal study: every signal traded on its own.

    Each signal on bar ``i < n - 1`` buys at ``close[i]`` and sells at
    ``close[min(i + hold, n - 1)]`` with no fees. Returns (samples, win rate [%],
    average return [%], max drawdown [%] of the compounded signal returns in bar order
    (peak starting at 1), average bars held). NaN when there are no samples.
    """
    n = close.shape[0]
    samples = 0
    wins = 0
    total_ret = 0.0
    total_bars = 0
    eq = 1.0
    peak = 1.0
    max_dd = 0.0
    for i in range(n - 1):
        if not signals[i]:
            continue
        j = i + hold
        if j > n - 1:
            j = n - 1
        r = close[j] / close[i] - 1.0
        samples += 1
        if r > 0.0:
            wins += 1
        total_ret += r
        total_bars += j - i
        eq *= 1.0 + r
        if eq > peak:
            peak = eq
        dd = eq / peak - 1.0
        if dd < max_dd:
            max_dd = dd
    if samples == 0:
        return 0.0, np.nan, np.nan, np.nan, np.nan
    return (
        float(samples),
        100.0 * wins / samples,
        100.0 * total_ret / samples,
        100.0 * max_dd,
        total_bars / samples,
    )


@njit(cache=True, error_model="numpy")
def stats_nb(equity, records, n_positions, n_signals, opts, out):
    """Fill ``out`` (length ``len(STAT_NAMES)``) with the stats of one run.

    ``opts`` is the array of :func:`kernel_options` (cash, buy-and-hold return as a
    fraction, bars per year, calendar days from the first to the last bar).
    Definitions: :mod:`vzb.engine.stats`. The signal study stats are left for the
    caller (:func:`backtest_nb` fills them).
    """
    cash = opts[CASH]
    n = equity.shape[0]
    final = equity[n - 1]
    # one pass: per-bar returns (the first against the initial cash) and the drawdown
    # against the running peak (the initial cash included)
    # (e / peak - 1 only at a new trough: for a fixed peak > 0 it grows with e)
    prev = cash
    mean = 0.0
    peak = cash
    trough = cash
    max_dd = 0.0
    dur = 0
    max_dur = 0
    for t in range(n):
        e = equity[t]
        mean += e / prev - 1.0
        prev = e
        if e >= peak:
            peak = e
            trough = e
            dur = 0
        else:
            dur += 1
            if dur > max_dur:
                max_dur = dur
            if e < trough:
                trough = e
                dd = e / peak - 1.0
                if dd < max_dd:
                    max_dd = dd
    mean /= n
    prev = cash
    var = 0.0
    down = 0.0
    for t in range(n):
        r = equity[t] / prev - 1.0
        prev = equity[t]
        var += (r - mean) * (r - mean)
        if r < 0.0:
            down += r * r
    std = np.sqrt(var / (n - 1)) if n > 1 else np.nan
    down_dev = np.sqrt(down / n)
    ann = np.sqrt(opts[BARS_PER_YEAR])
    days = opts[DAYS]
    ratio = final / cash
    if days > 0.0:
        cagr = ratio ** (365.25 / days) - 1.0 if ratio > 0.0 else -1.0
    else:
        cagr = np.nan
    out[EQUITY_FINAL] = final
    out[EQUITY_PEAK] = peak if peak > cash else cash
    out[RETURN] = 100.0 * (ratio - 1.0)
    out[BUY_HOLD_RETURN] = 100.0 * opts[BUY_HOLD]
    out[CAGR] = 100.0 * cagr
    out[VOLATILITY] = 100.0 * std * ann
    out[SHARPE] = mean / std * ann if std > 0.0 else np.nan
    out[SORTINO] = mean / down_dev * ann if down_dev > 0.0 else np.nan
    out[CALMAR] = cagr / -max_dd if max_dd < 0.0 else np.nan
    out[MAX_DRAWDOWN] = 100.0 * max_dd
    out[MAX_DRAWDOWN_BARS] = max_dur
    # trades
    m = n_positions
    wins = 0
    best = -np.inf
    worst = np.inf
    sum_ret = 0.0
    gain = 0.0
    loss = 0.0
    sum_net = 0.0
    fees_total = 0.0
    bars_held = 0
    for k in range(m):
        rec = records[k]
        net = rec["net_pnl"]
        ret = rec["return"]
        if net > 0.0:
            wins += 1
            gain += net
        elif net < 0.0:
            loss += net
        sum_net += net
        sum_ret += ret
        if ret > best:
            best = ret
        if ret < worst:
            worst = ret
        fees_total += rec["entry_fee"] + rec["exit_fee"]
        bars_held += rec["exit_bar"] - rec["entry_bar"]
    out[TRADES] = m
    if m > 0:
        expectancy = sum_net / m
        var_net = 0.0
        for k in range(m):
            d = records[k]["net_pnl"] - expectancy
            var_net += d * d
        std_net = np.sqrt(var_net / (m - 1)) if m > 1 else np.nan
        out[WIN_RATE] = 100.0 * wins / m
        out[BEST_TRADE] = 100.0 * best
        out[WORST_TRADE] = 100.0 * worst
        out[AVG_TRADE] = 100.0 * sum_ret / m
        if loss < 0.0:
            out[PROFIT_FACTOR] = gain / -loss
        else:
            out[PROFIT_FACTOR] = np.inf if gain > 0.0 else np.nan
        out[EXPECTANCY] = expectancy
        out[SQN] = np.sqrt(m) * expectancy / std_net if std_net > 0.0 else np.nan
    else:
        out[WIN_RATE] = np.nan
        out[BEST_TRADE] = np.nan
        out[WORST_TRADE] = np.nan
        out[AVG_TRADE] = np.nan
        out[PROFIT_FACTOR] = np.nan
        out[EXPECTANCY] = np.nan
        out[SQN] = np.nan
    out[EXPOSURE] = 100.0 * bars_held / n
    out[TOTAL_FEES] = fees_total
    out[SIGNALS] = n_signals


@njit(cache=True)
def backtest_nb(open, high, low, close, signals, hold, opts, records, equity, out):
    """One full run into preallocated outputs; returns the number of positions.

    Simulates (positions into ``records``, at most one per signal, and ``equity``),
    then fills ``out`` with the stats of ``STAT_NAMES``, the signal study included.
    Allocate the outputs with numpy (see :func:`vzb.engine.backtest.backtest`): its large
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
def sweep_signals_nb(open, high, low, close, signals, signal_index, holds, opts, out):
    """Stats of many sets: set ``k`` trades row ``signal_index[k]`` of ``signals`` with
    ``holds[k]`` and writes ``out[k]``. Only stats are kept (one scratch equity curve)."""
    n = close.shape[0]
    records = np.empty(n + 1, dtype=POSITION_DTYPE)
    equity = np.empty(n)
    for k in range(signal_index.shape[0]):
        row = signals[signal_index[k]]
        backtest_nb(open, high, low, close, row, holds[k], opts, records, equity, out[k])
