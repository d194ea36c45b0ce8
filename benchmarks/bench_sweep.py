"""Sweep throughput: parameter sets x candles per second, 1 and 2 workers.

Run: ``python benchmarks/bench_sweep.py [n_candles]``. A Volume Zone Breakout grid of
384 sets (2 windows x 2 bin counts x 4 top percentiles x 4 buffers x 6 holds) over
synthetic 1-minute candles (default 200,000), fees 0.0005. Sets sharing a window and bin
count share one volume profile per bar (see ``vzb.engine.sweeps``), so the figure depends
on the grid's shape; the grid is printed. Also a volume_long_candle grid (no sharing).
Target: >= 50 million candle-evaluations per second on 2 cores; the last lines give each
figure with "ok" or "MISSED". Timings vary with machine load: run it on a quiet machine.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import vzb
from vzb.engine import parameter_sets, sweep

BREAKOUT = {
    "volume_window": [10, 20],
    "num_bins": [10, 20],
    "top_percentile": [0.1, 0.2, 0.3, 0.5],
    "breakout_buffer": [0.0, 0.001, 0.002, 0.005],
    "hold_period_bars": [1, 2, 3, 5, 8, 13],
}
TARGET = 50e6  # candle-evaluations per second on 2 cores
USER_COPY_TARGET = 1.10  # a user's copy of the breakout: at most 10% slower than the built-in
LONG_CANDLE = {
    "vol_ma_window": [10, 20, 40],
    "vol_multiplier": [1.2, 1.5, 2.0, 3.0],
    "body_pct": [0.0005, 0.001, 0.002],
    "hold_period_bars": [1, 2, 4, 8],
}


def run(candles, strategy, grid, n_jobs):
    n_sets = len(parameter_sets(strategy, grid))
    kwargs = {} if n_jobs == 1 else {"n_jobs": n_jobs, "backend": "loky"}
    sweep(candles, strategy, grid, n_iter=4, seed=0, fees=0.0005, **kwargs)  # warm workers
    t = time.perf_counter()
    table = sweep(candles, strategy, grid, fees=0.0005, **kwargs)
    elapsed = time.perf_counter() - t
    assert len(table) == n_sets
    rate = n_sets * len(candles) / elapsed
    print(
        f"{strategy:>22} {n_jobs} worker(s): {n_sets} sets x {len(candles):,} candles "
        f"in {elapsed:.2f} s = {rate / 1e6:6.1f} M candle-evals/s"
    )
    return table, rate


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    candles = vzb.synthetic_candles(n, seed=1, timeframe="1m")
    rates = {}
    here = str(Path(__file__).resolve().parent)  # user_breakout.py, for workers too
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    vzb.register_strategy("user_breakout:MY_BREAKOUT")
    tables = {}
    for strategy, grid in (
        ("volume_zone_breakout", BREAKOUT),
        ("my_breakout", BREAKOUT),
        ("volume_long_candle", LONG_CANDLE),
    ):
        print(f"{strategy} grid: {grid}")
        one, rates[strategy, 1] = run(candles, strategy, grid, 1)
        two, rates[strategy, 2] = run(candles, strategy, grid, 2)
        assert one.equals(two), "1 and 2 workers must give identical tables"
        tables[strategy] = one
    assert tables["my_breakout"].equals(tables["volume_zone_breakout"]), "user copy differs"
    print(f"\ntarget: >= {TARGET / 1e6:.0f} M candle-evals/s on 2 cores")
    for (strategy, workers), rate in rates.items():
        verdict = "ok" if rate >= TARGET else "MISSED"
        print(f"  {strategy}, {workers} worker(s): {rate / 1e6:.1f} M/s {verdict}")
    print(f"user copy of the breakout: built-in rate / copy rate, target <= {USER_COPY_TARGET}")
    for workers in (1, 2):
        ratio = rates["volume_zone_breakout", workers] / rates["my_breakout", workers]
        verdict = "ok" if ratio <= USER_COPY_TARGET else "MISSED"
        print(f"  {workers} worker(s): {ratio:.2f} {verdict}")


if __name__ == "__main__":
    main()
