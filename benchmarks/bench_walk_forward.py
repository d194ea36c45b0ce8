"""Walk-forward optimisation: 1,000 parameter sets x 10 folds on the bundled BTC hourly
candles, direct (in this process and on 2 worker processes) and as a background job
(``JobRunner.submit_walk_forward`` on 1 and 2 workers, from submit to the result loaded),
each beside its target.

    .venv/bin/python benchmarks/bench_walk_forward.py
"""

from __future__ import annotations

import tempfile
import time

import pandas as pd

import vzb
from vzb.engine import parameter_sets

GRID = {
    "volume_window": [10, 20, 30, 40, 60],
    "top_percentile": [0.1, 0.2, 0.3, 0.4, 0.5],
    "breakout_buffer": [0.0, 0.001, 0.002, 0.005],
    "hold_period_bars": [1, 2, 3, 4, 6, 8, 12, 24, 48, 96],
}
TARGET = 60.0  # seconds for the whole walk-forward (10 training sweeps and the full one)


WINDOWS = {"train": "180D", "test": "60D"}


def report(label: str, elapsed: float, wf) -> None:
    verdict = "ok" if elapsed <= TARGET else "MISSED"
    print(
        f"{label}: {len(wf.folds)} folds in {elapsed:.1f} s (target <= {TARGET:.0f} s) "
        f"{verdict}; out of sample Sharpe {wf.stats['Sharpe Ratio']:.2f}, "
        f"PBO {wf.overfitting['pbo']:.2f}"
    )


def main() -> None:
    from vzb.jobs import JobRunner

    candles = vzb.load_sample("BTC_USD", timeframe="1h")
    n_sets = len(parameter_sets("volume_zone_breakout", GRID))
    print(f"{n_sets} sets, {len(candles):,} hourly candles")
    direct = None
    for n_jobs in (1, 2):
        start = time.perf_counter()
        wf = vzb.walk_forward(
            candles,
            "volume_zone_breakout",
            GRID,
            fees=0.0005,
            **WINDOWS,
            n_jobs=n_jobs,
        )
        elapsed = time.perf_counter() - start
        report(f"direct, {n_jobs} worker(s)", elapsed, wf)
        direct = wf
    for workers in (1, 2):
        with JobRunner(tempfile.mkdtemp(prefix="vzb-bench-"), max_workers=workers) as runner:
            start = time.perf_counter()
            task = runner.submit_walk_forward(
                "volume_zone_breakout", GRID, symbols="BTC_USD", timeframe="1h", fees=0.0005,
                **WINDOWS,
            )  # fmt: skip
            wf = task.result(timeout=3600)
            elapsed = time.perf_counter() - start
            units = runner.status(task.task_id)["units_total"]
        report(f"job, {workers} worker(s), {units} units", elapsed, wf)
        pd.testing.assert_frame_equal(wf.folds, direct.folds)  # the same walk-forward


if __name__ == "__main__":
    main()
