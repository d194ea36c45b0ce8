"""Numba kernels of the stats: every stat is written into its named slot.

``STAT_NAMES`` is the order of the values array the kernels fill; each slot has a
named constant (``SHARPE = STAT_INDEX["Sharpe Ratio"]``) and the kernels and the Python
layer read and write stats only through those names. Definitions:
:mod:`vzb.engine.stats`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from vzb.engine.options import BARS_PER_YEAR, BUY_HOLD, CASH, DAYS

__all__ = ["N_STATS", "STAT_INDEX", "STAT_NAMES", "signal_study_nb", "stats_nb"]

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
