"""Overfitting statistics: vzb's CSCV (numba) against ffn 1.4's, and at scale.

Prints the time of the probability of backtest overfitting for 100 trials x 5,000 bars
(16 blocks) in vzb and in ffn (the same PBO), and for 10,000 trials x 5,000 bars in vzb
alone (ffn does not finish that in minutes), each beside its target.

    .venv/bin/python benchmarks/bench_overfitting.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from vzb.analysis.overfitting import backtest_overfitting

TARGET_10K = 10.0  # seconds for 10,000 trials x 16 blocks: "in seconds", on every sweep


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(0)
    backtest_overfitting(rng.normal(size=(64, 4)), 4)  # compile or load the cache
    small = rng.normal(0, 0.01, size=(5_000, 100))
    ours, t_ours = timed(lambda: backtest_overfitting(small, 16))
    try:
        import ffn
    except ImportError:
        print("ffn not installed (pip install -e '.[dev]'): no comparison")
    else:
        frame = pd.DataFrame(small, index=pd.date_range("2010-01-01", periods=len(small)))
        theirs, t_ffn = timed(lambda: ffn.core.calc_prob_backtest_overfitting(frame, n_blocks=16))
        assert theirs == ours.pbo, (theirs, ours.pbo)
        print(
            f"100 trials x 5,000 bars, 16 blocks: vzb {t_ours:.2f} s, ffn {t_ffn:.1f} s "
            f"({t_ffn / t_ours:.0f}x), same PBO {ours.pbo:.3f}"
        )
    big = rng.normal(0, 0.01, size=(5_000, 10_000))
    result, t_big = timed(lambda: backtest_overfitting(big, 16))
    verdict = "ok" if t_big <= TARGET_10K else "MISSED"
    print(
        f"10,000 trials x 5,000 bars, 16 blocks: vzb {t_big:.2f} s "
        f"(target <= {TARGET_10K:.0f} s) {verdict}; PBO {result.pbo:.3f}"
    )


if __name__ == "__main__":
    main()
