"""Walk-forward optimisation: 1,000 parameter sets x 10 folds on the bundled BTC hourly
candles, in this process and on 2 worker processes, each beside its target.

    .venv/bin/python benchmarks/bench_walk_forward.py
"""

from __future__ import annotations

import time

import vzb
from vzb.engine import parameter_sets

GRID = {
    "volume_window": [10, 20, 30, 40, 60],
    "top_percentile": [0.1, 0.2, 0.3, 0.4, 0.5],
    "breakout_buffer": [0.0, 0.001, 0.002, 0.005],
    "hold_period_bars": [1, 2, 3, 4, 6, 8, 12, 24, 48, 96],
}
TARGET = 60.0  # seconds for the whole walk-forward (10 training sweeps and the full one)


def main() -> None:
    candles = vzb.load_sample("BTC_USD", timeframe="1h")
    n_sets = len(parameter_sets("volume_zone_breakout", GRID))
    print(f"{n_sets} sets, {len(candles):,} hourly candles")
    for n_jobs in (1, 2):
        start = time.perf_counter()
        wf = vzb.walk_forward(
            candles,
            "volume_zone_breakout",
            GRID,
            train="180D",
            test="60D",
            fees=0.0005,
            n_jobs=n_jobs,
        )
        elapsed = time.perf_counter() - start
        verdict = "ok" if elapsed <= TARGET else "MISSED"
        print(
            f"{n_jobs} worker(s): {len(wf.folds)} folds in {elapsed:.1f} s "
            f"(target <= {TARGET:.0f} s) {verdict}; out of sample Sharpe "
            f"{wf.stats['Sharpe Ratio']:.2f}, PBO {wf.overfitting['pbo']:.2f}"
        )


if __name__ == "__main__":
    main()
