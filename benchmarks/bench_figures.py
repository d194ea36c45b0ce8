"""Time and size of ``result.plot()`` (the interactive Plotly chart) on the bundled
BTC_USD daily and hourly candles.

The size is what the figure adds to a notebook file: its display data (the
``application/vnd.plotly.v1+json`` bundle and a text line) as JSON. Each figure is built
``REPEATS`` times after one warm-up; the minimum is kept. Targets: under 0.5 s and under
1 MB for each.

Run: ``.venv/bin/python benchmarks/bench_figures.py``
"""

from __future__ import annotations

import json
import time

import vzb
from vzb.widgets.display import figure_bundle

REPEATS = 5
TARGET_SECONDS = 0.5
TARGET_BYTES = 1_000_000


def measure(timeframe: str) -> tuple[int, int, float, int]:
    result = vzb.backtest(vzb.load_sample("BTC_USD", timeframe=timeframe), fees=0.0005)
    result.plot()  # warm-up: imports, lazy result fields
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        figure = result.plot()
        times.append(time.perf_counter() - start)
    size = len(json.dumps(figure_bundle(figure)))
    return len(result.candles), len(result.positions), min(times), size


def main() -> None:
    print(f"{'candles':>14} {'bars':>7} {'positions':>9} {'seconds':>8} {'bytes':>10}  ratios")
    for timeframe in ("1d", "1h"):
        bars, positions, seconds, size = measure(timeframe)
        print(
            f"BTC_USD {timeframe:>6} {bars:>7,} {positions:>9,} {seconds:>8.3f} {size:>10,}"
            f"  time {seconds / TARGET_SECONDS:.2f} of {TARGET_SECONDS} s,"
            f" size {size / TARGET_BYTES:.2f} of {TARGET_BYTES:,} bytes"
        )


if __name__ == "__main__":
    main()
