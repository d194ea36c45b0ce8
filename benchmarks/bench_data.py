"""Data layer figures: synthetic candles, validation, resampling, sample loading.

Run:  .venv/bin/python benchmarks/bench_data.py [ROWS]   (default 10,000,000)

Prints wall-clock seconds (best of a few runs) for each step; no thresholds here.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def quietly(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    code = "import time; t = time.perf_counter(); import vzb.data; print(time.perf_counter() - t)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    print(f"{'import vzb.data (fresh process)':45s} {float(run.stdout):8.3f} s")

    from vzb.data import (
        list_samples,
        load_candles,
        load_sample,
        resample_candles,
        synthetic_candles,
        validate_candles,
    )
    from vzb.data.samples import _load

    candles = synthetic_candles(rows, seed=0, timeframe="1m")
    newest_first = candles.iloc[::-1]

    def cold_samples():
        _load.cache_clear()
        list_samples()

    steps = [
        (f"synthetic_candles({rows:,}, '1m')", lambda: synthetic_candles(rows, timeframe="1m"), 3),
        (f"validate_candles, {rows:,} sorted rows", lambda: validate_candles(candles), 3),
        (
            f"validate_candles, {rows:,} reversed rows",
            lambda: quietly(validate_candles, newest_first),
            1,
        ),
        (f"resample_candles 1m -> 1h, {rows:,} rows", lambda: resample_candles(candles, "1h"), 1),
        ("list_samples, cold (reads 4 Parquet files)", cold_samples, 3),
        ("load_sample('BTC_USD', '1h'), cached", lambda: load_sample("BTC_USD", "1h"), 3),
        ("load_candles('BTC_USD', '4h') (resamples)", lambda: load_candles("BTC_USD", "4h"), 3),
    ]
    for label, fn, repeat in steps:
        print(f"{label:45s} {best(fn, repeat):8.3f} s")


if __name__ == "__main__":
    main()
