"""vzb against vectorbt's Portfolio.from_signals on the same signals, fees and slippage.

Run: ``python benchmarks/bench_vectorbt.py`` (needs the ``bench`` extra: vectorbt).
For each size, Volume Zone Breakout signals on synthetic 1-minute candles are spaced so
at least 50 bars apart, so one position closes before the next fills (vectorbt ignores
an exit and an entry on the same bar, vzb exits then re-enters) and the equity stays
far from zero over 20,000 trades, hold 3 bars, next-open fills, fees 0.0001, slippage
0.00005. Times: vzb's simulation + stats (``vzb.backtest`` on the given signals)
and vectorbt's ``from_signals`` + ``stats`` with the entry/exit arrays (and, in a second
column, ``from_signals`` + ``final_value`` only), warm, best of several; the final
equities must agree to a relative 1e-9.
"""

from __future__ import annotations

import math
import time

import numpy as np

import vzb
from vzb.strategies import Parameter, Strategy


def flagged(open, high, low, close, volume, hold_period_bars=1):
    """Signals carried in the volume column: 2.0 marks a signal."""
    return volume == 2.0


FLAGGED = Strategy("flagged", [Parameter("hold_period_bars", 1, int, low=1)], flagged)
HOLD, FEES, SLIPPAGE, SPACING = 3, 0.0001, 0.00005, 50


def spaced(signals):
    keep, last = np.zeros_like(signals), -(10**9)
    for i in np.flatnonzero(signals):
        if i > last + SPACING:
            keep[i], last = True, i
    return keep


def best(fn, repeat):
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    import vectorbt as vbt

    print(
        f"{'candles':>10} {'vzb [s]':>9} {'vectorbt [s]':>13} {'ratio':>7} "
        f"{'vbt no stats [s]':>16} {'ratio':>7}  final equity equal"
    )
    for n in (1_000, 100_000, 1_000_000):
        candles = vzb.synthetic_candles(n, seed=2, timeframe="1m")
        signals = spaced(vzb.signals(candles).to_numpy())
        data = candles.copy()
        data["volume"] = np.where(signals, 2.0, 1.0)
        options = {"fees": FEES, "slippage": SLIPPAGE}

        def run_vzb(data=data, options=options):
            result = vzb.backtest(data, FLAGGED, {"hold_period_bars": HOLD}, **options)
            _ = result.stats  # build the stats Series, as a user would
            return result

        result = run_vzb()
        entries = np.zeros(n, dtype=bool)
        exits = np.zeros(n, dtype=bool)
        entries[candles.index.get_indexer(result.positions["entry_time"])] = True
        exits[candles.index.get_indexer(result.positions["exit_time"])] = True
        price = candles["open"].copy()
        price.iloc[-1] = candles["close"].iloc[-1]  # end_of_data exits at the last close

        def portfolio(entries=entries, exits=exits, price=price, close=candles["close"]):
            return vbt.Portfolio.from_signals(
                close,
                entries,
                exits,
                price=price,
                fees=FEES,
                slippage=SLIPPAGE,
                init_cash=1_000_000,
                size=np.inf,
                freq="1min",
            )

        def run_vbt_final():
            return portfolio().final_value()

        def run_vbt():
            pf = portfolio()
            pf.stats(silence_warnings=True)
            return pf

        run_vbt()
        repeat = 3 if n >= 1_000_000 else 10
        t_vzb, result = best(run_vzb, repeat)
        t_vbt, pf = best(run_vbt, repeat)
        t_final, _ = best(run_vbt_final, repeat)
        a, b = result.stats["Equity Final [$]"], pf.final_value()
        equal = math.isclose(a, b, rel_tol=1e-9)
        print(
            f"{n:>10,} {t_vzb:9.4f} {t_vbt:13.4f} {t_vbt / t_vzb:6.1f}x "
            f"{t_final:16.4f} {t_final / t_vzb:6.1f}x  {equal} "
            f"({a:.10g} vs {b:.10g}, {len(result.positions)} trades)"
        )
        assert equal


if __name__ == "__main__":
    main()
