"""Signals and full backtests: warm, and the first call in a fresh process.

Run: ``python benchmarks/bench_engine.py``. Prints, for 100, 300, 1,000, 100,000 and
1,000,000 candles (synthetic 1-minute candles, default Volume Zone Breakout parameters,
fees 0.0005), the warm time of ``vzb.signals`` and of ``vzb.backtest`` (best of several
runs, stats Series built), the replaced system's published breakout-signal times and
the ratios, then the first backtest in a fresh Python process including ``import vzb``
(numba's on-disk cache warm, as after the first ever run).

Targets: 1,000 candles <= 1 ms warm, 1,000,000 <= 150 ms, first backtest in a fresh
process <= 1.5 s; the last lines give each figure beside its target with "ok" or
"MISSED". Timings vary with machine load: run it on a quiet machine.
"""

from __future__ import annotations

import subprocess
import sys
import time

import vzb

REPLACED = {100: 0.0228, 300: 0.0708, 1_000: 0.2688}  # seconds, breakout signals
SIZES = (100, 300, 1_000, 100_000, 1_000_000)
#: (what, candles, seconds at most)
TARGETS = (
    ("warm backtest", 1_000, 0.001),
    ("warm backtest", 1_000_000, 0.150),
    ("first backtest in a fresh process, import included", 1_000, 1.5),
    ("first backtest in a fresh process, import included", 1_000_000, 1.5),
)

FRESH = """
import time
t0 = time.perf_counter()
import vzb
candles = vzb.synthetic_candles({n}, seed=1, timeframe="1m")
t1 = time.perf_counter()
result = vzb.backtest(candles, fees=0.0005)
_ = result.stats
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, t2 - t0)
"""


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def verdict(figure: float, target: float) -> str:
    return "ok" if figure <= target else "MISSED"


def main() -> None:
    print(
        f"{'candles':>10} {'signals [s]':>12} {'backtest [s]':>13} "
        f"{'replaced [s]':>13} {'signals x':>10} {'backtest x':>11}"
    )
    figures = {}
    for n in SIZES:
        candles = vzb.synthetic_candles(n, seed=1, timeframe="1m")
        _ = vzb.backtest(candles, fees=0.0005).stats  # warm up (compile or load cache)
        repeat = 5 if n >= 1_000_000 else 20 if n >= 100_000 else 200
        t_sig = best(lambda c=candles: vzb.signals(c), repeat)
        t_bt = best(lambda c=candles: vzb.backtest(c, fees=0.0005).stats, repeat)
        figures["warm backtest", n] = t_bt
        old = REPLACED.get(n)
        ratio = f"{old / t_sig:10.0f} {old / t_bt:11.0f}" if old else f"{'':>10} {'':>11}"
        print(f"{n:>10,} {t_sig:12.6f} {t_bt:13.6f} {old or float('nan'):13.4f} {ratio}")
    print("\nfirst backtest in a fresh process (import + data, backtest, total) [s]:")
    for n in (1_000, 1_000_000):
        out = subprocess.run(
            [sys.executable, "-c", FRESH.format(n=n)], capture_output=True, text=True, check=True
        )
        imp, bt, total = (float(x) for x in out.stdout.split())
        figures["first backtest in a fresh process, import included", n] = total
        print(f"{n:>10,} candles: import+data {imp:.3f}  backtest {bt:.3f}  total {total:.3f}")
    print("\ntargets:")
    for what, n, target in TARGETS:
        figure = figures[what, n]
        print(
            f"  {what}, {n:,} candles: {figure:.4f} s (target <= {target} s, "
            f"{figure / target:.2f} of it) {verdict(figure, target)}"
        )


if __name__ == "__main__":
    main()
